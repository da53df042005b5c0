"""Delivery under faults, on the real servers (Tansu + osmem, no mocks): records in == documents out, none twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import pytest

from logflow.config import Settings
from logflow.demo.corpus import ShipRecord
from logflow.demo.servers import ServerProcess
from logflow.sink.client import make_client
from logflow.source.base import TP
from logflow.worker.loop import Worker
from tests.conftest import Servers, SettingsFactory
from tests.faultproxy import Fault, FaultProxy
from tests.support import committed_offsets, read_topic, setup_templates, ship, worker_env
from tests.support import wait as run_sync
from tests.worker.test_loop import MOMENT


def numbered(count: int, start: int = 0, tag: str = "fault") -> list[ShipRecord]:
    """JSON app logs whose message carries a unique payload key ``seq=N``."""
    return [
        ShipRecord(
            orjson.dumps(
                {
                    "timestamp": f"2026-11-23T10:{(i // 60) % 60:02d}:{i % 60:02d}Z",
                    "level": "info",
                    "event": f"{tag} payment settled seq={i}",
                    "service": "payments",
                }
            ),
            f"k{i % 17}".encode(),
            (),
            "payments",
            "app",
            "info",
            MOMENT,
        )
        for i in range(start, start + count)
    ]


def payload_lines(count: int, start: int = 0) -> list[ShipRecord]:
    """The smallest JSON app logs that still carry a payload key: ``{"timestamp": …, "event": "seq=N"}``.

    They become 10-field documents with a one-token message: osmem spends ~0.47 ms of CPU on each,
    against ~0.6 ms for the 12-field documents of ``numbered`` (its cost grows with fields and
    tokens). One key per record spreads them evenly over the partitions.
    """
    return [
        ShipRecord(b'{"timestamp":"2026-11-23T10:00:00Z","event":"seq=%d"}' % i, b"k%d" % i, (), "", "app", "", MOMENT)
        for i in range(start, start + count)
    ]


async def every_document(settings: Settings, fields: Sequence[str]) -> list[dict[str, Any]]:
    """Every document under the prefix (``_id``, ``_index`` and the named fields), by scroll in index order.

    A scroll reads 100,000 documents from osmem in ~3 s; sorted search_after pages (``all_documents``)
    take ~27 s, since every page sorts the whole result again. The count read must equal the total.
    """
    client = make_client(settings.elasticsearch)
    prefix = settings.routing.index_prefix
    out: list[dict[str, Any]] = []
    scroll_id: str | None = None
    try:
        await client.indices.refresh(index=f"{prefix}-*")
        resp = await client.search(index=f"{prefix}-*", size=5000, scroll="2m", sort=["_doc"], track_total_hits=True)
        total = resp.body["hits"]["total"]["value"]
        while True:
            scroll_id = resp.body.get("_scroll_id", scroll_id)
            hits = resp.body["hits"]["hits"]
            if not hits:
                break
            out.extend(
                {"_id": h["_id"], "_index": h["_index"], **{f: h["_source"].get(f) for f in fields}} for h in hits
            )
            resp = await client.scroll(scroll_id=scroll_id, scroll="2m")
        assert len(out) == total, f"the scroll returned {len(out)} of {total} documents"
        return out
    finally:
        if scroll_id is not None:
            await client.clear_scroll(scroll_id=scroll_id)
        await client.close()


@dataclass
class Outcome:
    documents: list[dict[str, Any]]
    committed: dict[TP, int | None]

    def seqs(self) -> Counter[str]:
        return Counter(str(d["message"]).rsplit("seq=", 1)[-1] for d in self.documents)


async def outcome(settings: Settings, produced: dict[TP, int]) -> Outcome:
    docs = await every_document(settings, ["message", "logflow.kafka.partition", "logflow.kafka.offset", "tags"])
    return Outcome(docs, await committed_offsets(settings, list(produced)))


def assert_exactly_once(result: Outcome, produced: dict[TP, int], expected: int) -> None:
    """Records in == documents out; no `_id`, no Kafka coordinate and no payload key appears twice."""
    assert result.committed == produced
    ids = Counter(d["_id"] for d in result.documents)
    coordinates = Counter((d["logflow.kafka.partition"], d["logflow.kafka.offset"]) for d in result.documents)
    seqs = result.seqs()
    assert len(result.documents) == expected
    assert max(ids.values()) == 1
    assert max(coordinates.values()) == 1
    assert max(seqs.values()) == 1
    assert len(seqs) == expected


async def run_until(
    worker: Worker,
    produced: dict[TP, int],
    timeout: float,
    during: Callable[[], Coroutine[Any, Any, None]] | None = None,
) -> None:
    """Run ``worker`` until it committed every produced record (``during`` runs alongside), then stop it."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    side = asyncio.create_task(during()) if during is not None else None
    deadline = time.monotonic() + timeout
    try:
        while (side is not None and not side.done()) or any(
            worker.stats.committed.get(tp, 0) < n for tp, n in produced.items()
        ):
            if task.done():
                task.result()
                raise AssertionError("worker stopped before catching up")
            if side is not None and side.done():
                side.result()  # surface a failed side task at once
            assert time.monotonic() < deadline, f"not caught up in {timeout} s: {worker.stats.committed}"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
        if side is not None and not side.done():
            side.cancel()


async def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


class TestFrozenSearchServer:
    async def test_a_search_server_frozen_until_every_partition_pauses_loses_and_doubles_nothing(
        self, servers: Servers, make_settings: SettingsFactory
    ) -> None:
        """osmem stopped (SIGSTOP) mid-stream until every partition is paused, then resumed: every record lands once."""
        osmem: ServerProcess | None = servers.es_process
        assert osmem is not None, "this fault needs the test session's own osmem process"
        settings = make_settings(
            kafka={"max_batch_records": 100},
            elasticsearch={"request_timeout_s": 2.0, "retry_backoff_s": 0.2, "retry_backoff_max_s": 2.0},
        )
        await setup_templates(settings)
        produced = await ship(settings, numbered(1_500))
        worker = Worker(settings)
        committed_while_frozen: list[int] = []

        async def freeze() -> None:
            await wait_for(lambda: sum(worker.stats.committed.values()) > 0, 60, "a first commit")
            osmem.pause()
            try:  # the condition, not a sampled interval: every partition paused while the server is frozen
                await wait_for(lambda: worker.metrics.paused._value.get() == len(produced), 60, "partitions paused")
                committed_while_frozen.append(sum(worker.stats.committed.values()))
            finally:
                osmem.resume()

        await run_until(worker, produced, timeout=120, during=freeze)
        assert committed_while_frozen and committed_while_frozen[0] < 1_500, "the freeze came too late to matter"
        assert worker.metrics.paused._value.get() == 0
        assert_exactly_once(await outcome(settings, produced), produced, 1_500)


PROXY_FAULTS = {
    "429-bursts": [Fault.status_of(429)] * 4,
    "503s": [Fault.status_of(503), Fault.status_of(503), Fault.status_of(502)],
    "per-item-429-in-a-200": [Fault.item_status(429, every=3), Fault.item_status(429, every=2)] * 2,
    "slow-responses-past-the-timeout": [Fault.slow(2.5), Fault.slow(0.5), Fault.slow(2.5)],
    "connection-resets": [Fault.reset(forward=True), Fault.reset(forward=False), Fault.reset(forward=True)],
}


class TestFaultyProxy:
    @pytest.mark.parametrize("faults", list(PROXY_FAULTS), ids=list(PROXY_FAULTS))
    async def test_every_record_lands_exactly_once_through_a_faulty_search_proxy(
        self, servers: Servers, make_settings: SettingsFactory, faults: str
    ) -> None:
        """429 bursts, 503s, per-item 429s, slow answers and resets are retried until each record is in once."""
        script = PROXY_FAULTS[faults]
        async with FaultProxy(servers.es, list(script)) as proxy:
            settings = make_settings(
                kafka={"max_batch_records": 150},
                elasticsearch={
                    "hosts": [proxy.url],
                    "request_timeout_s": 1.5,
                    "retry_backoff_s": 0.05,
                    "retry_backoff_max_s": 0.5,
                },
            )
            await setup_templates(settings)
            produced = await ship(settings, numbered(600))
            worker = Worker(settings)
            await run_until(worker, produced, timeout=90)
            result = await outcome(settings, produced)
        assert proxy.faults == [], "not every fault was injected"
        assert sum(proxy.counts.values()) > 0
        assert worker.stats.dead_lettered == 0
        if faults.startswith("per-item"):
            assert worker.stats.retried_items == proxy.counts["item_429"]
            # The item answers are read from filtered responses: only each item's status and error.
            assert set(proxy.bulk_filters) == {"items.*.status,items.*.error"}
        assert_exactly_once(result, produced, 600)


class TestKilledWorker:
    async def test_a_worker_killed_mid_batch_and_restarted_loses_and_doubles_nothing(
        self, make_settings: SettingsFactory
    ) -> None:
        """SIGKILL while a batch is being indexed; the restarted worker resumes from the commits, exactly."""
        settings = make_settings()
        await setup_templates(settings)
        produced = await ship(settings, numbered(3_000))
        proc = subprocess.Popen(  # noqa: ASYNC220 - the worker must be its own process to be SIGKILLed
            [sys.executable, "-m", "logflow", "run"],
            env=worker_env(settings, LOGFLOW_KAFKA_MAX_BATCH_RECORDS="400"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                done = await committed_offsets(settings, list(produced))
                if sum(v or 0 for v in done.values()) > 0:
                    break
                await asyncio.sleep(0.1)
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        finally:
            if proc.poll() is None:
                proc.kill()
        at_kill = await committed_offsets(settings, list(produced))
        assert 0 < sum(v or 0 for v in at_kill.values()) < 3_000, "the kill did not land mid-stream"
        await run_until(Worker(settings), produced, timeout=90)
        assert_exactly_once(await outcome(settings, produced), produced, 3_000)


class TestRebalances:
    async def test_one_then_three_then_one_worker_while_100000_records_flow_loses_and_doubles_nothing(
        self, make_settings: SettingsFactory, es: Any
    ) -> None:
        """100,000 records produced in waves while the group goes 1 -> 3 -> 1 workers; each is one document.

        A feeder produces waves of 5,000 whenever fewer than 15,000 records wait, so records flow in
        every phase. One worker runs alone until 10,000 are committed; two more join, and all three
        must index while the group holds three members (2 of the 6 partitions each); the two leave
        once 60,000 are committed, with a backlog, and the first worker takes over the rest.

        Size and time: osmem bounds it. It ingests ~1,900-2,700 of these ``payload_lines`` documents
        per second on 2 shared cores (~1,500-2,000 for ``numbered`` ones), 1,000-document bulk
        requests being a little faster and lighter than 5,000; each join or leave pauses the group
        ~3 s on Tansu. The test takes ~60-70 s. ``es`` deletes the indices afterwards: osmem holds
        ~12 KB per document, ~1.2 GB here, for the rest of the session otherwise.
        """
        total, wave, backlog = 100_000, 5_000, 15_000
        settings = make_settings(kafka={"max_batch_records": 2_000}, elasticsearch={"bulk_max_docs": 1_000})
        await setup_templates(settings)
        topic = settings.kafka.topics[0]
        produced: dict[TP, int] = {(topic, p): 0 for p in range(6)}
        first = Worker(settings)
        extra = [Worker(settings), Worker(settings)]
        workers = [first, *extra]
        at_scale_down: dict[str, int] = {}

        def committed() -> int:
            """Records the group committed: per partition, the furthest commit any worker saw."""
            return sum(max(w.stats.committed.get(tp, 0) for w in workers) for tp in produced)

        async def feed() -> None:
            sent = 0
            while sent < total:
                await wait_for(lambda: sum(produced.values()) - committed() < backlog, 120, "the backlog to shrink")
                for tp, n in (await ship(settings, payload_lines(wave, start=sent), partitions=6)).items():
                    produced[tp] += n
                sent += wave

        async def scale() -> None:
            feeding = asyncio.create_task(feed())
            stops = [asyncio.Event() for _ in extra]
            tasks: list[asyncio.Task[None]] = []
            try:
                await wait_for(lambda: committed() >= 10_000, 120, "one worker to commit 10,000 records")
                tasks = [asyncio.create_task(w.run(stop)) for w, stop in zip(extra, stops, strict=True)]
                await wait_for(
                    lambda: all(w.health.assigned == 2 for w in workers), 60, "three workers, 2 partitions each"
                )
                before = [w.stats.indexed for w in workers]

                def three_indexed_and_60000_committed() -> bool:
                    indexed = all(w.stats.indexed > n for w, n in zip(workers, before, strict=True))
                    return indexed and committed() >= 60_000

                await wait_for(three_indexed_and_60000_committed, 180, "three workers indexing, 60,000 committed")
                at_scale_down["produced"] = sum(produced.values())
                at_scale_down["waiting"] = at_scale_down["produced"] - committed()
                for stop in stops:
                    stop.set()
                await asyncio.gather(*tasks)
                await feeding
            finally:
                feeding.cancel()
                for stop in stops:
                    stop.set()
                await asyncio.gather(*tasks, return_exceptions=True)

        await run_until(first, produced, timeout=300, during=scale)
        assert sum(produced.values()) == total
        assert at_scale_down["waiting"] > 0, "the scale-down came after the backlog was gone"
        assert at_scale_down["produced"] < total, "no records were produced after the scale-down"
        assert_exactly_once(await outcome(settings, produced), produced, total)


POISON: dict[str, tuple[bytes, tuple[tuple[str, bytes], ...]]] = {
    "invalid-utf8": (b"2026-11-23 10:00:00,000 INFO svc: caf\xc3\x28 \xff\xfe", ()),
    "five-megabyte-line": (b"2026-11-23 10:00:00,000 INFO svc: " + b"x" * (5 * 1024 * 1024), ()),
    "json-nested-10000-deep": (b'{"a":' * 10_000 + b"1" + b"}" * 10_000, ()),
    "redos-bait": (b"2026-11-23 10:00:00,000 INFO " + b"a" * 30_000 + b"!" + b" -" * 5_000, ()),
    "nul-bytes": (b"2026-11-23 10:00:00,000 INFO svc: nul\x00in\x00the\x00middle", ()),
    "binary-junk": (bytes(range(256)) * 8, ()),
    "mapping-type-conflict": (
        orjson.dumps(
            {
                "timestamp": "2026-11-23T10:00:00Z",
                "level": "info",
                "event": "conflict",
                "http.response.status_code": "not-a-number",
            }
        ),
        (),
    ),
    "unparseable-date": (orjson.dumps({"timestamp": "the 45th of Nevember", "level": "info", "event": "bad date"}), ()),
    "empty": (b"", ()),
    "oversized-headers": (
        b"2026-11-23 10:00:00,000 INFO svc: big headers",
        (("traceparent", b"0" * 200_000), ("x-big", b"y" * 300_000)),
    ),
}


# What each poison record must become: a document carrying the tag, or a dead letter of that type.
EXPECTED: dict[str, tuple[str, str | None]] = {
    "invalid-utf8": ("dead", "invalid_utf8"),
    "five-megabyte-line": ("document", "truncated"),
    "json-nested-10000-deep": ("document", "parse_failure"),
    "redos-bait": ("document", "parse_failure"),
    "nul-bytes": ("document", None),  # NULs are stripped by decode; the event itself is fine
    "binary-junk": ("dead", "invalid_utf8"),
    "mapping-type-conflict": ("document", None),  # fitted: the text moves to json.http_response_status_code
    "unparseable-date": ("document", "timestamp_failure"),
    "empty": ("dead", "empty"),
    "oversized-headers": ("document", None),  # an invalid 200 KB traceparent is ignored, not trusted
}


class TestPoisonRecords:
    def test_each_poison_record_ends_as_a_tagged_document_or_a_dead_letter_and_the_worker_goes_on(
        self, make_settings: SettingsFactory
    ) -> None:
        """Ten kinds of poison between good records, through a worker process: each ends as its expected outcome."""
        settings = make_settings()
        records: list[ShipRecord] = []
        where: dict[int, str] = {}
        good = numbered(40, tag="good")
        for i, (name, (value, headers)) in enumerate(POISON.items()):
            records += good[i * 4 : i * 4 + 4]
            where[len(records)] = name
            records.append(ShipRecord(value, b"poison", headers, "svc", "", "", MOMENT))
        run_sync(setup_templates(settings))
        produced = run_sync(ship(settings, records, partitions=1))
        worker_log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally, after the process exits
        proc = subprocess.Popen(
            [sys.executable, "-m", "logflow", "run"],
            env=worker_env(settings, LOGFLOW_KAFKA_MAX_BATCH_RECORDS="5"),
            stdout=subprocess.DEVNULL,
            stderr=worker_log,  # a file, not a pipe: a full pipe would block the worker's logging
        )
        try:
            deadline = time.monotonic() + 60
            done: dict[TP, int | None] = {}
            while time.monotonic() < deadline:
                done = run_sync(committed_offsets(settings, list(produced)))
                if done == produced:
                    break
                time.sleep(0.2)
            stuck = min((v or 0) for v in done.values()) if done else 0
            near = [n for o, n in where.items() if stuck <= o < stuck + 5]
            assert done == produced, f"worker stuck at offset {stuck}, in a batch holding {near}"
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
            worker_log.seek(0)
            stderr = worker_log.read()
            assert proc.returncode == 0, stderr.decode()[-2000:]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            worker_log.close()
        result = run_sync(outcome(settings, produced))
        dead = run_sync(read_topic(settings, settings.kafka.dead_letter_topic, expected=1))
        docs_at = {d["logflow.kafka.offset"]: d for d in result.documents}
        dead_at = {int(dict(m.headers)["logflow.source.offset"]): dict(m.headers) for m in dead}
        assert not set(docs_at) & set(dead_at), "a record is both a document and a dead letter"
        assert len(docs_at) + len(dead_at) == len(records)
        for offset in range(len(records)):
            if offset not in where:
                assert offset in docs_at, f"good record at offset {offset} was lost"
                continue
            name = where[offset]
            outcome_kind, label = EXPECTED[name]
            if outcome_kind == "dead":
                assert offset in dead_at, f"{name} is not a dead letter"
                assert dead_at[offset]["logflow.error.type"] == str(label).encode(), name
                assert dead_at[offset]["logflow.error.reason"], name
            else:
                assert offset in docs_at, f"{name} is not a document"
                if label is not None:
                    assert label in (docs_at[offset]["tags"] or []), f"{name}: tags {docs_at[offset]['tags']}"

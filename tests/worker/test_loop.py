"""The worker end to end on real servers: Kafka (Tansu or real) -> logflow -> Elasticsearch (osmem or real)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from logflow.config import Settings
from logflow.demo.corpus import CorpusGenerator, ShipRecord
from logflow.demo.run import run_worker_until_caught_up
from logflow.source.base import TP
from tests.conftest import Servers, settings_for
from tests.support import (
    all_documents,
    committed_offsets,
    index_counts,
    read_topic,
    setup_templates,
    ship,
    wait,
    worker_env,
)

MOMENT = datetime(2026, 11, 23, 10, tzinfo=UTC)


@dataclass
class Run:
    settings: Settings
    corpus: list[ShipRecord]
    produced: dict[TP, int]
    counts: dict[str, int]
    committed: dict[TP, int | None]
    documents: list[dict[str, Any]]
    dead_letters: list[Any]


@pytest.fixture(scope="module")
def ten_thousand(servers: Servers) -> Run:
    """One worker run over 10,000 generated records (4 shapes, 2 UTC days, 3 poison records)."""
    settings = settings_for(servers, f"t-spine-{uuid.uuid4().hex[:6]}")
    corpus = CorpusGenerator(seed=11, poison=3).records(10_000)

    async def go() -> Run:
        await setup_templates(settings)
        produced = await ship(settings, corpus)
        await run_worker_until_caught_up(settings, produced, timeout=120)
        counts = await index_counts(settings)
        committed = await committed_offsets(settings, list(produced))
        documents = await all_documents(settings, ["logflow.kafka.partition", "logflow.kafka.offset", "trace.id"])
        dead = await read_topic(settings, settings.kafka.dead_letter_topic, expected=3)
        return Run(settings, corpus, produced, counts, committed, documents, dead)

    return wait(go())  # type: ignore[no-any-return]


class TestWorkerDelivery:
    def test_every_record_lands_in_its_daily_index_by_type_with_exact_counts(self, ten_thousand: Run) -> None:
        """Per-index document counts equal the counts the corpus's ground truth predicts."""
        prefix = ten_thousand.settings.routing.index_prefix
        expected = Counter(r.expected_index(prefix) for r in ten_thousand.corpus if not r.poison)
        assert ten_thousand.counts == dict(expected)
        datasets = {name.split("-")[-2] for name in expected}
        days = {name.rsplit("-", 1)[1] for name in expected}
        assert {"nginx.access", "app", "audit", "errors"} <= datasets
        assert len(days) == 2

    def test_committed_offset_of_each_partition_equals_records_produced_to_it(self, ten_thousand: Run) -> None:
        """The group's committed offsets are exactly the produced counts (offsets start at 0)."""
        assert ten_thousand.committed == ten_thousand.produced
        assert sum(ten_thousand.produced.values()) == 10_000

    def test_no_record_is_indexed_twice_or_lost(self, ten_thousand: Run) -> None:
        """Each (partition, offset) appears once among the documents, and only poison records are missing."""
        docs = ten_thousand.documents
        ids = Counter(d["_id"] for d in docs)
        coordinates = Counter((d["logflow.kafka.partition"], d["logflow.kafka.offset"]) for d in docs)
        assert max(ids.values()) == 1
        assert max(coordinates.values()) == 1
        assert len(docs) + len(ten_thousand.dead_letters) == 10_000

    def test_poison_records_reach_the_dead_letter_topic_with_their_reason_and_bytes(self, ten_thousand: Run) -> None:
        """Undecodable and empty records are dead-lettered byte for byte, with the reason and coordinates."""
        poison = sorted(r.value for r in ten_thousand.corpus if r.poison)
        dead = ten_thousand.dead_letters
        assert sorted(m.value or b"" for m in dead) == poison
        for message in dead:
            headers = dict(message.headers)
            assert headers["logflow.error.type"] in (b"invalid_utf8", b"empty")
            assert headers["logflow.error.reason"]
            assert headers["logflow.source.topic"] == ten_thousand.settings.kafka.topics[0].encode()
        # Each dead letter's coordinates name the very record it was: together with the indexed documents'
        # they cover every offset produced, once.
        letters = [
            (int(dict(m.headers)["logflow.source.partition"]), int(dict(m.headers)["logflow.source.offset"]))
            for m in dead
        ]
        indexed = {(d["logflow.kafka.partition"], d["logflow.kafka.offset"]) for d in ten_thousand.documents}
        assert len(set(letters)) == len(letters) and indexed.isdisjoint(letters)
        assert indexed | set(letters) == {(p, o) for (_, p), end in ten_thousand.produced.items() for o in range(end)}

    def test_trace_ids_join_events_across_services(self, ten_thousand: Run) -> None:
        """Requests that crossed services share one trace.id across nginx, text and JSON logs."""
        by_trace = Counter(d.get("trace.id") for d in ten_thousand.documents if d.get("trace.id"))
        assert max(by_trace.values()) >= 3


class TestRedelivery:
    def test_replaying_the_same_offsets_does_not_create_a_single_extra_document(self, make_settings: Any) -> None:
        """A second consumer group re-reading every offset overwrites documents instead of doubling them."""
        first = make_settings()
        corpus = CorpusGenerator(seed=3).records(1_500)

        async def go() -> tuple[dict[str, int], dict[str, int]]:
            await setup_templates(first)
            produced = await ship(first, corpus)
            await run_worker_until_caught_up(first, produced, timeout=120)
            before = await index_counts(first)
            replay = make_settings(kafka={"group_id": first.kafka.group_id + "-replay"})
            await run_worker_until_caught_up(replay, produced, timeout=120)
            return before, await index_counts(first)

        before, after = wait(go())
        assert sum(before.values()) == 1_500
        assert after == before

    def test_a_worker_joining_a_group_that_is_caught_up_reports_the_group_commits_as_its_own(
        self, make_settings: Any
    ) -> None:
        """Catch-up checks and lag read the group's commits from assignment on, not only what this worker wrote.

        Regression: a partition finished by an earlier worker never got a commit from its successor, so
        the successor looked forever behind on it.
        """
        settings = make_settings()
        corpus = CorpusGenerator(seed=5).records(300)

        async def go() -> tuple[dict[TP, int], dict[TP, int], int]:
            await setup_templates(settings)
            produced = await ship(settings, corpus)
            await run_worker_until_caught_up(settings, produced, timeout=120)
            successor = await run_worker_until_caught_up(settings, produced, timeout=60)
            return produced, dict(successor.stats.committed), successor.stats.received

        produced, committed, received = wait(go())
        assert received == 0
        assert committed == produced


class TestDeadLetters:
    def test_a_rejected_document_goes_to_the_dead_letter_topic_while_its_neighbours_are_indexed(
        self, make_settings: Any
    ) -> None:
        """A mapping conflict is rejected per item by Elasticsearch; only that record is dead-lettered.

        The conflict is one no document shows alone (a JSON log's key names never make one: they are
        fitted to the template, `logflow/parse/mapping.py`; and the template's `ignore_malformed` keeps a
        malformed number's event): the user's own field `attempt`, an object in the documents before it,
        is a plain value in this one.
        """
        settings = make_settings()
        good = [
            ShipRecord(
                orjson.dumps(
                    {
                        "timestamp": f"2026-11-23T10:00:{i:02d}Z",
                        "level": "info",
                        "event": f"ok {i}",
                        "service": "svc",
                        "attempt": {"n": i},
                    }
                ),
                b"k",
                (),
                "svc",
                "app",
                "info",
                MOMENT,
            )
            for i in range(40)
        ]
        bad_value = orjson.dumps(
            {
                "timestamp": "2026-11-23T10:01:00Z",
                "level": "info",
                "event": "attempt is a plain value",
                "service": "svc",
                "attempt": "not-an-object",
            }
        )
        bad = ShipRecord(bad_value, b"k", (("x-custom", b"kept"),), "svc", "", "", MOMENT)
        records = [*good[:20], bad, *good[20:]]

        async def go() -> tuple[dict[str, int], list[Any], dict[TP, int | None], dict[TP, int]]:
            await setup_templates(settings)
            produced = await ship(settings, records, partitions=1)
            await run_worker_until_caught_up(settings, produced, timeout=120)
            counts = await index_counts(settings)
            dead = await read_topic(settings, settings.kafka.dead_letter_topic, expected=1)
            return counts, dead, await committed_offsets(settings, list(produced)), produced

        counts, dead, committed, produced = wait(go())
        assert sum(counts.values()) == 40
        assert len(dead) == 1
        headers = dict(dead[0].headers)
        assert dead[0].value == bad_value
        assert headers["logflow.error.stage"] == b"index"
        assert headers["logflow.error.type"] == b"mapper_parsing_exception"
        assert b"json.attempt" in headers["logflow.error.reason"]
        assert headers["logflow.source.offset"] == b"20"
        assert headers["logflow.error.index"].startswith(settings.routing.index_prefix.encode())
        assert headers["x-custom"] == b"kept"
        assert committed == produced


class TestShutdown:
    def test_sigterm_mid_stream_commits_only_what_was_indexed_and_exits_zero(
        self, make_settings: Any, tmp_path: Path
    ) -> None:
        """A worker process stopped by SIGTERM mid-stream exits 0; everything below its commits is indexed."""
        settings = make_settings()
        corpus = CorpusGenerator(seed=5).records(6_000)

        produced = wait(ship(settings, corpus))
        wait(setup_templates(settings))
        log_path = tmp_path / "worker.log"  # a file, not a pipe: a full pipe would block the worker's logging
        log_file = log_path.open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "logflow", "run"],
            env=worker_env(settings, LOGFLOW_KAFKA_MAX_BATCH_RECORDS="500"),
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # wait until it has committed something, but not everything
                done = wait(committed_offsets(settings, list(produced)))
                if sum(v or 0 for v in done.values()) > 0:
                    break
                time.sleep(0.2)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
            log_file.close()
        stderr = log_path.read_bytes()
        assert proc.returncode == 0, stderr.decode()[-2000:]
        assert b"Worker stopped." in stderr
        committed = wait(committed_offsets(settings, list(produced)))
        assert 0 < sum(v or 0 for v in committed.values()) <= sum(produced.values())
        docs = wait(all_documents(settings, ["logflow.kafka.partition", "logflow.kafka.offset"]))
        indexed = {(d["logflow.kafka.partition"], d["logflow.kafka.offset"]) for d in docs}
        for (_, partition), upto in committed.items():
            missing = [o for o in range(upto or 0) if (partition, o) not in indexed]
            assert missing == [], f"partition {partition}: committed {upto} but offsets {missing[:5]} not indexed"

        # A new worker picks up from the commits; the end state is exact: nothing lost, nothing doubled.
        wait(run_worker_until_caught_up(settings, produced, timeout=120))
        docs = wait(all_documents(settings, ["logflow.kafka.partition", "logflow.kafka.offset"]))
        assert len(docs) == 6_000
        assert len({(d["logflow.kafka.partition"], d["logflow.kafka.offset"]) for d in docs}) == 6_000


def test_the_sync_helpers_close_the_event_loop_they_run_and_leave_none_running() -> None:
    """``wait`` runs a coroutine on its own loop and closes it: a loop left open (or running) would leak into
    the next test, which pytest-asyncio gives a fresh one."""
    loops: list[asyncio.AbstractEventLoop] = []

    async def capture() -> int:
        loops.append(asyncio.get_running_loop())
        return 7

    assert wait(capture()) == 7
    assert wait(capture()) == 7
    assert len(loops) == 2 and loops[0] is not loops[1]
    assert all(loop.is_closed() for loop in loops)
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()

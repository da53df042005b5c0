"""Every place a batch can be given up commits exactly what was finished, and a restart re-reads exactly the rest.

The places: a revoke whose ``worker.revoke_timeout_s`` runs out (``BatchAbandoned`` from the sink), the
drain deadline after SIGTERM (``worker.shutdown_timeout_s``), and a second SIGTERM. Each is played
with the real worker loop and the real Elasticsearch sink over in-memory edges: an Elasticsearch
stand-in that acknowledges the first bulk requests and then freezes (never answers), so part of the
batch is acknowledged and part is in doubt when it is given up. The expected commit is computed
from what the stand-in acknowledged: per partition, the lowest offset not acknowledged (a record
rejected by the stages counts as not finished: its dead letter was never written), or one past the
batch. A restart from those commits must fetch exactly the records at or above them.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable
from functools import cache
from types import SimpleNamespace
from typing import Any, TypeVar

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import Settings, load_settings
from logflow.deadletter.memory import InMemoryDeadLetters
from logflow.event import Record
from logflow.source.base import TP
from logflow.source.memory import InMemorySource
from logflow.worker import runner
from logflow.worker.loop import Worker
from logflow.worker.processor import Processor
from tests.support import CONDITION_DEADLINE_S

T = TypeVar("T")


async def until(awaitable: Awaitable[T]) -> T:
    """Wait for a condition (an event, a commit); a deadline only so that a broken worker fails the test."""
    return await asyncio.wait_for(awaitable, CONDITION_DEADLINE_S)


class PreparedIndices:
    """The index calls the sink's guard makes before a first write, answered as for indices `setup` made."""

    async def get_index_template(self, name: str) -> Any:
        return SimpleNamespace(body={"index_templates": [{"name": name}]})

    async def create(self, index: str) -> Any:
        return SimpleNamespace(body={"acknowledged": True, "index": index})

    async def get_mapping(self, index: str) -> Any:
        return SimpleNamespace(body={index: {"mappings": {"_meta": {"managed_by": "logflow"}}}})


class FreezingElasticsearch:
    """Answers the first ``answered`` bulk requests (201 for every item), then never answers until ``thaw``."""

    def __init__(self, answered: int) -> None:
        self.indices = PreparedIndices()
        self.answered = answered
        self.requests = 0
        self.acknowledged: list[str] = []  # document ids, in acknowledgement order
        self.frozen = asyncio.Event()
        self.thawed = asyncio.Event()

    async def info(self) -> dict[str, Any]:
        return {}

    async def close(self) -> None:
        return None

    async def perform_request(self, method: str, path: str, **kwargs: Any) -> Any:
        ids = [orjson.loads(line)["index"]["_id"] for line in kwargs["body"].splitlines()[::2]]
        self.requests += 1
        if self.requests > self.answered and not self.thawed.is_set():
            self.frozen.set()
            await self.thawed.wait()  # cancelled when the batch is given up
        self.acknowledged.extend(ids)
        return SimpleNamespace(body={"items": [{"index": {"status": 201}} for _ in ids]})


class OneFetchSource(InMemorySource):
    """Hands out the whole log in its first fetch, then nothing: the batch in flight is the only one."""

    def __init__(self, records: list[Record]) -> None:
        super().__init__(records, batch=len(records))
        self.fetches = 0

    async def fetch(self) -> list[Record]:
        self.fetches += 1
        if self.fetches > 1:
            await asyncio.sleep(0.01)
            return []
        return await super().fetch()


class RecordingSource(InMemorySource):
    """A restarted worker's source: starts from ``commits``, keeps every record it hands out."""

    def __init__(self, records: list[Record], commits: dict[TP, int]) -> None:
        super().__init__(records, batch=50)
        self.commits = dict(commits)
        self.fetched: list[Record] = []

    async def fetch(self) -> list[Record]:
        out = await super().fetch()
        self.fetched.extend(out)
        return out


def make_records(sizes: list[int], rejected: set[int]) -> list[Record]:
    """``sizes[p]`` records on partition ``p``; the i-th record overall is empty (rejected) when i in ``rejected``."""
    out = []
    i = 0
    for partition, size in enumerate(sizes):
        for offset in range(size):
            value = b"" if i in rejected else orjson.dumps({"message": f"order {i} shipped", "level": "info"})
            out.append(Record("logs", partition, 100 + offset, value))
            i += 1
    return out


def expected_commits(records: list[Record], acknowledged: list[str]) -> dict[TP, int]:
    """Per partition: the lowest offset not acknowledged (rejected records are not), else one past the last."""
    done = set(acknowledged)
    points: dict[TP, int] = {}
    stuck: set[TP] = set()
    for record in records:  # in offset order within each partition
        tp = (record.topic, record.partition)
        if tp in stuck:
            continue
        if record.doc_id in done:
            points[tp] = record.offset + 1
        else:
            points[tp] = record.offset
            stuck.add(tp)
    return points


def ends(records: list[Record]) -> dict[TP, int]:
    return {(r.topic, r.partition): r.offset + 1 for r in records}


@cache
def processor() -> Processor:
    """One processor for every example: compiling the parsers is the slow part, and it keeps no delivery state."""
    return Processor(load_settings(environ={}))


def settings_for(bulk_max_docs: int, **worker: float) -> Settings:
    return load_settings(
        environ={},
        overrides={"health": {"port": 0}, "elasticsearch": {"bulk_max_docs": bulk_max_docs}, "worker": worker},
    )


async def restart(records: list[Record], commits: dict[TP, int]) -> tuple[RecordingSource, InMemoryDeadLetters]:
    """A new worker from ``commits`` with a healthy Elasticsearch, run until everything is committed."""
    source = RecordingSource(records, commits)
    dead_letters = InMemoryDeadLetters()
    client = FreezingElasticsearch(answered=1 << 30)
    worker = Worker(settings_for(1000), processor(), client, source=source, dead_letters=dead_letters)  # type: ignore[arg-type]
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await until(source.wait_for(ends(records)))
    finally:
        stop.set()
        await task
    return source, dead_letters


def check_restart(
    records: list[Record], commits: dict[TP, int], source: RecordingSource, dead: InMemoryDeadLetters
) -> None:
    rest = [r for r in records if r.offset >= commits[(r.topic, r.partition)]]
    assert sorted(source.fetched, key=lambda r: (r.partition, r.offset)) == rest
    assert [r.record for r in dead.rejections] == [r for r in rest if not r.value]


scenarios = st.tuples(
    st.lists(st.integers(1, 12), min_size=1, max_size=3),  # records per partition
    st.integers(1, 7),  # documents per bulk request
    st.integers(0, 4),  # bulk requests answered before Elasticsearch freezes
    st.sets(st.integers(0, 35), max_size=4),  # which records the stages reject
)


def frozen_part_exists(sizes: list[int], per_request: int, answered: int, rejected: set[int]) -> bool:
    documents = sum(sizes) - len({i for i in rejected if i < sum(sizes)})
    return documents > per_request * answered  # else the batch finishes and nothing is given up


class TestRevokeTimeout:
    @settings(max_examples=25, deadline=None)
    @given(scenarios)
    def test_a_revoked_batch_commits_what_was_acknowledged_and_a_restart_reads_exactly_the_rest(
        self, scenario: tuple[list[int], int, int, set[int]]
    ) -> None:
        sizes, per_request, answered, rejected = scenario
        if not frozen_part_exists(sizes, per_request, answered, rejected):
            return
        records = make_records(sizes, rejected)

        async def play() -> tuple[dict[TP, int], list[str], Worker]:
            source = OneFetchSource(records)
            client = FreezingElasticsearch(answered)
            settings = settings_for(per_request, revoke_timeout_s=0.01)
            worker = Worker(settings, processor(), client, source=source, dead_letters=InMemoryDeadLetters())  # type: ignore[arg-type]
            stop = asyncio.Event()
            task = asyncio.create_task(worker.run(stop))
            try:
                await until(client.frozen.wait())
                await until(source.rebalance())  # revoke_timeout_s passes, the batch is abandoned, partitions move
            finally:
                stop.set()
                await task
            return dict(source.commits), list(client.acknowledged), worker

        commits, acknowledged, worker = asyncio.run(play())
        assert worker.stats.abandoned == 1 and not worker.abort.is_set()
        assert commits == expected_commits(records, acknowledged)
        check_restart(records, commits, *asyncio.run(restart(records, commits)))


class TestShutdown:
    """Through ``runner.serve`` with real signals: the process's own SIGTERM handling, not a stand-in for it."""

    def play(
        self, records: list[Record], per_request: int, answered: int, second_signal: bool
    ) -> tuple[int, dict[TP, int], list[str]]:
        source = OneFetchSource(records)
        client = FreezingElasticsearch(answered)
        deadline = 3600.0 if second_signal else 0.01  # a second signal must not need the deadline
        settings = settings_for(per_request, shutdown_timeout_s=deadline)

        def worker(s: Settings) -> Worker:
            return Worker(s, processor(), client, source=source, dead_letters=InMemoryDeadLetters())  # type: ignore[arg-type]

        async def scenario() -> int:
            loop = asyncio.get_running_loop()
            serving = asyncio.create_task(runner.serve(settings))
            try:
                await until(client.frozen.wait())
                signal.raise_signal(signal.SIGTERM)
                if second_signal:
                    await asyncio.sleep(0)  # the first signal is handled (stop set) before the second arrives
                    signal.raise_signal(signal.SIGTERM)
                return await until(serving)
            finally:
                for signum in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(signum)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(runner, "Worker", worker)
            patch.setattr(runner, "tune_allocator", lambda: False)
            patch.setattr(runner, "tune_collector", lambda: None)
            code = asyncio.run(scenario())
        return code, dict(source.commits), list(client.acknowledged)

    @settings(max_examples=15, deadline=None)
    @given(scenarios, st.booleans())
    def test_a_batch_given_up_at_shutdown_commits_what_was_acknowledged_and_a_restart_reads_exactly_the_rest(
        self, scenario: tuple[list[int], int, int, set[int]], second_signal: bool
    ) -> None:
        """The drain deadline and a second SIGTERM both exit 1 with only the finished part committed."""
        sizes, per_request, answered, rejected = scenario
        if not frozen_part_exists(sizes, per_request, answered, rejected):
            return
        records = make_records(sizes, rejected)
        code, commits, acknowledged = self.play(records, per_request, answered, second_signal)
        assert code == 1
        assert commits == expected_commits(records, acknowledged)
        check_restart(records, commits, *asyncio.run(restart(records, commits)))

    def test_one_sigterm_with_time_to_drain_finishes_the_batch_and_exits_0(self) -> None:
        records = make_records([5, 3], {2})
        source = OneFetchSource(records)
        client = FreezingElasticsearch(answered=1)
        settings = settings_for(2, shutdown_timeout_s=3600.0)

        def worker(s: Settings) -> Worker:
            return Worker(s, processor(), client, source=source, dead_letters=InMemoryDeadLetters())  # type: ignore[arg-type]

        async def scenario() -> int:
            loop = asyncio.get_running_loop()
            serving = asyncio.create_task(runner.serve(settings))
            try:
                await until(client.frozen.wait())
                signal.raise_signal(signal.SIGTERM)
                await asyncio.sleep(0)
                client.thawed.set()  # Elasticsearch answers again within the drain deadline
                return await until(serving)
            finally:
                for signum in (signal.SIGTERM, signal.SIGINT):
                    loop.remove_signal_handler(signum)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(runner, "Worker", worker)
            patch.setattr(runner, "tune_allocator", lambda: False)
            patch.setattr(runner, "tune_collector", lambda: None)
            assert asyncio.run(scenario()) == 0
        assert source.commits == ends(records)

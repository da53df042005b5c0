"""The deliver step and the worker loop with in-memory edges: every record is indexed or dead-lettered, once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import load_settings
from logflow.deadletter.memory import InMemoryDeadLetters
from logflow.event import Action, Record
from logflow.sink.memory import InMemorySink
from logflow.source.memory import InMemorySource
from logflow.worker.deliver import deliver
from logflow.worker.loop import Worker
from logflow.worker.offsets import OffsetTracker
from logflow.worker.processor import Processor
from tests.support import CONDITION_DEADLINE_S

SETTINGS = load_settings(environ={}, overrides={"health": {"port": 0}})


def records(count: int, partitions: int = 3) -> list[Record]:
    out = []
    for i in range(count):
        if i % 17 == 5:
            value = b""  # rejected by decode
        else:
            value = orjson.dumps({"@timestamp": "2026-11-23T01:02:03Z", "message": f"order {i} shipped"})
        out.append(Record("logs", i % partitions, i // partitions, value))
    return out


def refuse_marked(action: Action) -> int:
    """A sink that refuses every document of a record whose offset ends in 3 (as a mapping conflict would)."""
    return 400 if action.record.offset % 10 == 3 else 201


async def test_a_refused_document_is_dead_lettered_once_and_everything_else_is_acknowledged() -> None:
    batch = records(200)
    sink, letters = InMemorySink(refuse_marked), InMemoryDeadLetters()
    tracker = OffsetTracker(batch)
    done = await deliver(batch, Processor(SETTINGS), sink, letters, tracker)
    dead = Counter(r.record.doc_id for r in letters.rejections)
    assert max(dead.values()) == 1
    expected_dead = {r.doc_id for r in batch if not r.value or r.offset % 10 == 3}
    assert set(dead) == expected_dead
    assert {doc_id for _, doc_id in sink.documents} == {r.doc_id for r in batch} - expected_dead
    assert done.indexed == len(batch) - len(expected_dead)
    ends = {(r.topic, r.partition): r.offset + 1 for r in batch}
    assert tracker.commit_points() == ends  # every record finished: each partition commits its end


COPYING = load_settings(
    environ={},
    overrides={
        "health": {"port": 0},
        "routing": {
            "rules": [{"name": "errors", "index": "{prefix}-errors-{date}", "levels": ["error"], "copy": True}]
        },
    },
)


COPYING_PROCESSOR = Processor(COPYING)  # built once: stages are pure, and building one costs a fifth of a second

_REFUSED = {"none": (), "document": (False,), "copy": (True,), "both": (False, True)}


@settings(max_examples=150, deadline=None)
@given(
    plan=st.lists(
        st.tuples(st.sampled_from(["info", "error", None]), st.sampled_from(sorted(_REFUSED))), min_size=1, max_size=30
    ),
    tracked=st.booleans(),
)
async def test_a_record_whose_document_and_copy_are_both_refused_is_dead_lettered_once_and_so_is_every_later_one(
    plan: list[tuple[str | None, str]], tracked: bool
) -> None:
    """Refusals of a record's document, its routing copy or both, in any mix and order: one dead letter each,
    saying which index refused it and why; with or without an offset tracker (replay has none)."""
    batch = [
        Record("logs", 0, i, b"" if level is None else orjson.dumps({"message": f"job {i} done", "level": level}))
        for i, (level, _) in enumerate(plan)
    ]
    refused = {(i, copy) for i, (_, kind) in enumerate(plan) for copy in _REFUSED[kind]}
    sink = InMemorySink(lambda action: 400 if (action.record.offset, action.copy) in refused else 201)
    letters = InMemoryDeadLetters()
    tracker = OffsetTracker(batch) if tracked else None
    done = await deliver(batch, COPYING_PROCESSOR, sink, letters, tracker)
    decoded = {i for i, (level, _) in enumerate(plan) if level is not None}
    copied = {i for i, (level, _) in enumerate(plan) if level == "error"}
    refused_records = {i for i, copy in refused if i in decoded and (not copy or i in copied)}
    dead = Counter(r.record.offset for r in letters.rejections)
    assert set(dead) == (set(range(len(plan))) - decoded) | refused_records
    assert all(count == 1 for count in dead.values())
    assert done.rejections == letters.rejections
    for rejection in letters.rejections:
        if rejection.record.offset in decoded:  # refused by the sink: the first refused document names its index
            copy = (rejection.record.offset, False) not in refused
            expected_index = "logflow-errors-" if copy else "logflow-app-"
            assert (rejection.stage, rejection.error_type, rejection.reason) == (
                "index",
                "http_400",
                "HTTP 400: answered 400",
            )
            assert rejection.index is not None and rejection.index.startswith(expected_index)
    assert done.indexed == len(decoded - {i for i, copy in refused if not copy})
    assert done.copies == len(copied - {i for i, copy in refused if copy})
    if tracker is not None:
        assert tracker.commit_points() == {("logs", 0): len(batch)}


async def run_to_end(worker: Worker, source: InMemorySource, expected: dict[tuple[str, int], int]) -> None:
    """Run ``worker`` until ``source`` holds the ``expected`` commits (a condition, with a generous deadline)."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        async with asyncio.timeout(CONDITION_DEADLINE_S):  # fails the test only if the commits never come
            await source.wait_for(expected)
    finally:
        stop.set()
        await task


async def test_a_worker_reading_again_from_its_commits_writes_no_document_twice() -> None:
    """A rebalance rewinds to the commits; the re-read records overwrite their own ids, and nothing is doubled."""
    batch = records(1000)
    source = InMemorySource(batch, batch=128)
    sink, letters = InMemorySink(refuse_marked), InMemoryDeadLetters()
    worker = Worker(SETTINGS, source=source, sink=sink, dead_letters=letters)
    ends = {(r.topic, r.partition): r.offset + 1 for r in batch}
    await run_to_end(worker, source, ends)
    first_writes, first_letters = sink.writes, len(letters.rejections)
    assert len(sink.documents) + first_letters == len(batch)
    source.commits = {tp: 0 for tp in ends}  # as if the commits had been lost: everything is read again
    worker = Worker(SETTINGS, source=source, sink=sink, dead_letters=letters)
    await run_to_end(worker, source, ends)
    assert len(sink.documents) == first_writes == sink.writes // 2  # the same ids, overwritten


# Lines without a time of their own (or with one that has no year), as text and JSON, from any service.
_WORDS = st.text(alphabet="abcdefxyz019 =:", min_size=1, max_size=30).filter(lambda t: t.strip() != "")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_TIMELESS = st.one_of(
    _WORDS.map(lambda w: w.encode()),
    _WORDS.map(lambda w: orjson.dumps({"message": w, "level": "info"})),
    st.tuples(st.sampled_from(_MONTHS), st.integers(1, 28), _WORDS).map(
        lambda p: f"{p[0]} {p[1]:2d} 23:59:58 host app[1]: {p[2]}".encode()
    ),
)
_MIDNIGHTS = st.integers(0, 40).map(lambda d: datetime(2026, 12, 31, tzinfo=UTC) + timedelta(days=d - 20))


class TestRedeliveryAcrossMidnight:
    """What decides a document's index and id is read from the record, never from the processing clock."""

    @settings(max_examples=60, deadline=None, database=None, derandomize=True)
    @given(
        st.lists(_TIMELESS, min_size=1, max_size=8),
        _MIDNIGHTS,
        st.integers(-120_000, -1),  # the record was produced shortly before midnight
        st.integers(1, 3 * 86_400_000),  # and is redelivered up to three days later
    )
    def test_a_record_redelivered_after_midnight_goes_to_the_same_index_with_the_same_id(
        self, values: list[bytes], midnight: datetime, before_ms: int, later_ms: int
    ) -> None:
        produced = int(midnight.timestamp() * 1000) + before_ms
        batch = [Record("logs", 0, i, v, None, (), produced + i) for i, v in enumerate(values)]
        first_clock = datetime.fromtimestamp((produced + 500) / 1000, UTC)
        again_clock = first_clock + timedelta(milliseconds=later_ms)
        first = PROCESSOR.process(batch, now=first_clock)
        again = PROCESSOR.process(batch, now=again_clock)
        assert [(a.index, a.doc_id) for a in first.actions] == [(a.index, a.doc_id) for a in again.actions]
        assert first.rejections == again.rejections == []

    def test_records_of_the_in_memory_source_carry_a_timestamp(self) -> None:
        source = InMemorySource([Record("logs", 0, i, b"x") for i in range(3)])
        assert all(r.timestamp_ms is not None for rs in source.partitions.values() for r in rs)


PROCESSOR = Processor(SETTINGS)

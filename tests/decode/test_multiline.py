"""Multiline: stack-trace lines shipped one per record become one event, and delivery stays exact."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import pytest

from logflow.config import Settings, load_settings
from logflow.decode.multiline import HeldEvents, MultilineJoiner
from logflow.demo.corpus import ShipRecord
from logflow.demo.run import run_worker_until_caught_up
from logflow.errors import ConfigError
from logflow.event import Action, Processed, Record
from logflow.source.base import TP
from logflow.worker import loop as loop_module
from logflow.worker.loop import Worker
from logflow.worker.offsets import OffsetTracker
from logflow.worker.processor import Processor
from tests.conftest import SettingsFactory
from tests.support import all_documents, committed_offsets, running, setup_templates, ship, wait
from tests.worker.test_loop import MOMENT

START = r"^\d{4}-\d{2}-\d{2}[T ]"
EVENT = [
    b"2026-11-23 10:00:00,000 ERROR com.shop.Orders: update failed",
    b"java.lang.IllegalStateException: order 7 already shipped",
    b"\tat com.shop.Orders.update(Orders.java:42)",
    b"\tat java.base/java.lang.Thread.run(Thread.java:1583)",
]
NEXT = b"2026-11-23 10:00:01,000 INFO com.shop.Orders: order 8 updated"


def process(batch: list[Record], **pipeline: Any) -> Processed:
    """Join then process, as the worker does."""
    settings = load_settings(environ={}, overrides={"decode": {"multiline_start": START, **pipeline}})
    joiner = MultilineJoiner.from_config(settings.decode)
    assert joiner is not None
    return Processor(settings).process(joiner.join(batch), keep_documents=True)


def records(values: list[bytes], key: bytes = b"orders", first: int = 0, partition: int = 0) -> list[Record]:
    return [Record("logs", partition, first + i, v, key) for i, v in enumerate(values)]


def holder(**pipeline: Any) -> HeldEvents:
    """The worker's stateful joiner for START and ``pipeline`` overrides."""
    settings = load_settings(environ={}, overrides={"decode": {"multiline_start": START, **pipeline}})
    joiner = MultilineJoiner.from_config(settings.decode)
    assert joiner is not None
    return HeldEvents(joiner)


def lines(record: Record) -> list[bytes]:
    return (record.value or b"").split(b"\n")


def delivered(events: list[Record], held: HeldEvents) -> OffsetTracker:
    """A tracker for ``events`` as the worker builds it, with every document acknowledged."""
    tracker = OffsetTracker(events, held)
    tracker.hold_all(events)
    tracker.acknowledged([Action(event, "idx", event.doc_id, b"{}") for event in events])
    held.committed(tracker.commit_points())
    return tracker


class TestJoining:
    def test_continuation_records_join_their_event_with_the_first_records_id(self) -> None:
        """Four records become one event with the trace in error.*; the next start line is its own event."""
        out = process(records([*EVENT, NEXT]))
        assert [a.doc_id for a in out.actions] == ["logs-0-0", "logs-0-4"]
        first = out.documents[0]
        assert first["message"] == "update failed"
        assert first["error.type"] == "java.lang.IllegalStateException"
        assert first["error.stack_trace"].endswith("Thread.java:1583)")
        assert out.documents[1]["message"] == "order 8 updated"

    def test_interleaved_sources_are_joined_separately_by_record_key(self) -> None:
        """Lines of two services interleaved on one partition each join their own event."""
        batch = [
            Record("logs", 0, 0, EVENT[0], b"a"),
            Record("logs", 0, 1, EVENT[0], b"b"),
            Record("logs", 0, 2, EVENT[2], b"a"),
            Record("logs", 0, 3, EVENT[3], b"b"),
        ]
        out = process(batch)
        assert [d["error.stack_trace"] for d in out.documents] == [EVENT[2].decode(), EVENT[3].decode()]

    def test_an_event_stops_growing_at_the_line_limit(self) -> None:
        """multiline_max_lines bounds an event; the next continuation starts another."""
        lines = [EVENT[0], *[b"\tat frame"] * 5]
        out = process(records(lines), multiline_max_lines=3)
        assert len(out.actions) == 2

    def test_without_a_start_pattern_every_record_is_its_own_event(self) -> None:
        """Multiline is opt-in: the default joiner joins only CRI partial lines, so these stay five events."""
        settings = load_settings(environ={})
        joiner = MultilineJoiner.from_config(settings.decode)
        assert joiner is not None and joiner.start is None
        assert len(Processor(settings).process(joiner.join(records([*EVENT, NEXT]))).actions) == 5

    def test_json_and_empty_records_never_join(self) -> None:
        """A continuation after a JSON record is an event of its own; an empty record is still dead-lettered."""
        out = process(records([b'{"msg": "x"}', b"\tat frame", b""]))
        assert len(out.actions) == 2
        assert [r.error_type for r in out.rejections] == ["empty"]


class TestHeldAcrossBatches:
    def test_an_event_whose_continuation_lines_arrive_in_the_next_batch_is_one_event(self) -> None:
        """The batch ends after two lines of the trace; the next batch's two lines join them under offset 0."""
        held = holder()
        assert held.feed(records(EVENT[:2]), now=0.0) == []
        events = held.feed(records([*EVENT[2:], NEXT], first=2), now=0.1)
        assert [(e.offset, lines(e)) for e in events] == [(0, EVENT)]
        document = Processor(load_settings(environ={})).process(events, keep_documents=True).documents[0]
        assert document["error.type"] == "java.lang.IllegalStateException"
        assert document["error.stack_trace"].endswith("Thread.java:1583)")
        assert held.floors() == {("logs", 0): 4}  # NEXT may still get a trace of its own

    def test_a_start_line_a_json_record_or_an_empty_record_finishes_a_held_event(self) -> None:
        """Three sources each hold an event; each is finished by what its source sends next, in source order."""
        held = holder()
        batch = [Record("logs", 0, i, EVENT[0], key) for i, key in enumerate([b"a", b"b", b"c"])]
        assert held.feed(batch, now=0.0) == []
        nxt = [
            Record("logs", 0, 3, EVENT[2], b"a"),
            Record("logs", 0, 4, NEXT, b"a"),
            Record("logs", 0, 5, b'{"msg": "x"}', b"b"),
            Record("logs", 0, 6, b"", b"c"),
        ]
        events = held.feed(nxt, now=0.1)
        assert [(e.key, e.offset, len(lines(e))) for e in events] == [
            (b"a", 0, 2),
            (b"b", 1, 1),
            (b"b", 5, 1),
            (b"c", 2, 1),
            (b"c", 6, 1),
        ]
        assert held.floors() == {("logs", 0): 4}

    def test_a_held_event_is_finished_once_it_has_waited_max_wait_since_its_first_batch(self) -> None:
        """Lines still arriving do not extend the wait: it counts from the batch of the event's first record."""
        held = holder(multiline_max_wait_ms=1000)
        assert held.feed(records(EVENT[:2]), now=10.0) == []
        assert held.feed(records(EVENT[2:], first=2), now=10.8) == []
        assert held.due(10.99) == []
        events = held.due(11.0)
        assert [(e.offset, lines(e)) for e in events] == [(0, EVENT)]
        assert len(held) == 0
        assert held.floors() == {}

    def test_an_event_that_reaches_the_line_limit_is_finished_at_once(self) -> None:
        """A full event cannot grow, so it is not held; the next continuation starts an event of its own."""
        held = holder(multiline_max_lines=3)
        events = held.feed(records(EVENT[:3]), now=0.0)
        assert [(e.offset, len(lines(e))) for e in events] == [(0, 3)]
        assert held.feed(records(EVENT[3:], first=3), now=0.1) == []
        assert held.floors() == {("logs", 0): 3}

    def test_held_events_of_revoked_partitions_are_dropped_and_rejoined_whole_when_read_again(self) -> None:
        """Dropping partition 0 keeps partition 1's event; re-reading partition 0 from its floor rebuilds the event."""
        held = holder()
        first = records(EVENT[:2]) + records(EVENT[:2], partition=1)
        held.feed(first, now=0.0)
        assert held.floors() == {("logs", 0): 0, ("logs", 1): 0}
        assert held.drop({("logs", 0)}) == 1
        assert held.floors() == {("logs", 1): 0}
        assert ("logs", 0) not in held.ends
        again = held.feed([*records(EVENT), *records([NEXT], first=4)], now=0.2)
        assert [(e.offset, lines(e)) for e in again] == [(0, EVENT)]

    def test_a_wait_bound_of_zero_is_a_configuration_error_naming_the_key(self) -> None:
        """An event must be allowed to wait for its next batch; 0 ms would index every batch's last events cut."""
        with pytest.raises(ConfigError, match="multiline_max_wait_ms"):
            load_settings(environ={"LOGFLOW_DECODE_MULTILINE_MAX_WAIT_MS": "0"})

    def test_joining_a_whole_input_finishes_every_event_and_holds_nothing(self) -> None:
        """``join`` is pure (``logflow parse``, the analyzer): the trailing event is returned, not kept."""
        held = holder()
        out = held.joiner.join(records([NEXT, *EVENT]))
        assert [(e.offset, len(lines(e))) for e in out] == [(0, 1), (1, 4)]
        assert len(held) == 0


class TestCommitPoints:
    def test_the_commit_stays_at_the_first_offset_of_a_held_event(self) -> None:
        """Records 4 and 5 are held as one event: the commit may cover 0-3 only."""
        held = holder()
        events = held.feed(records([*EVENT, NEXT, EVENT[1]]), now=0.0)
        assert [e.offset for e in events] == [0]
        assert delivered(events, held).commit_points() == {("logs", 0): 4}

    def test_an_event_finished_in_a_later_batch_holds_that_batchs_commit_at_its_first_offset(self) -> None:
        """The event of offsets 4-6 is finished by batch 2 (offsets 6-7): until it is acknowledged, the commit is 4."""
        held = holder()
        held.feed(records([*EVENT, NEXT, EVENT[1]]), now=0.0)
        events = held.feed(records([EVENT[2], NEXT], first=6), now=0.1)
        assert [(e.offset, len(lines(e))) for e in events] == [(4, 3)]
        tracker = OffsetTracker(events, held)
        tracker.hold_all([events[0]])
        assert tracker.commit_points() == {("logs", 0): 4}
        tracker.acknowledged([Action(events[0], "idx", events[0].doc_id, b"{}")])
        assert tracker.commit_points() == {("logs", 0): 7}

    def test_the_commit_never_falls_inside_a_joined_event_of_an_interleaved_source(self) -> None:
        """b's event (0, 2) is indexed while a's (1) is held: committing 1 would make line 2 an event of its own
        when the partition is read again, so the commit stays at 0 until a's event is done too."""
        held = holder()
        batch = [
            Record("logs", 0, 0, EVENT[0], b"b"),
            Record("logs", 0, 1, NEXT, b"a"),
            Record("logs", 0, 2, EVENT[1], b"b"),
            Record("logs", 0, 3, NEXT, b"b"),
        ]
        events = held.feed(batch, now=0.0)
        assert [(e.offset, len(lines(e))) for e in events] == [(0, 2)]
        assert delivered(events, held).commit_points() == {("logs", 0): 0}
        later = held.feed([Record("logs", 0, 4, NEXT, b"a"), Record("logs", 0, 5, NEXT, b"b")], now=0.1)
        assert sorted(e.offset for e in later) == [1, 3]
        assert delivered(later, held).commit_points() == {("logs", 0): 4}
        assert held.spans == {}

    def test_a_partition_commits_past_every_line_once_its_last_held_event_is_flushed(self) -> None:
        """Interleaved sources flushed by the wait bound one after the other: the commit ends one past line 2."""
        held = holder(multiline_max_wait_ms=1000)
        held.feed([Record("logs", 0, 0, EVENT[0], b"a")], now=0.0)
        held.feed([Record("logs", 0, 1, NEXT, b"b"), Record("logs", 0, 2, EVENT[1], b"a")], now=0.5)
        first = held.due(1.0)
        assert [(e.key, e.offset, len(lines(e))) for e in first] == [(b"a", 0, 2)]
        assert delivered(first, held).commit_points() == {("logs", 0): 0}  # 1 would fall inside a's event
        second = held.due(1.5)
        assert [(e.key, e.offset) for e in second] == [(b"b", 1)]
        assert delivered(second, held).commit_points() == {("logs", 0): 3}


TIME = "2026-11-23T01:02:03.123456789Z"


def cri(stream: str, tag: str, content: bytes, time: str = TIME) -> bytes:
    """One record of a pod's log file as containerd writes it."""
    return f"{time} {stream} {tag} ".encode() + content


def cri_joiner(**pipeline: Any) -> MultilineJoiner:
    """The joiner of the default configuration (CRI joining on, multiline off), with ``pipeline`` overrides."""
    joiner = MultilineJoiner.from_config(load_settings(environ={}, overrides={"decode": pipeline}).decode)
    assert joiner is not None
    return joiner


def values(events: list[Record]) -> list[tuple[int, bytes]]:
    return [(e.offset, e.value or b"") for e in events]


class TestCriPartialLines:
    def test_partial_pieces_and_their_final_piece_become_one_line_under_the_first_records_id(self) -> None:
        """P P F: the pieces concatenate byte for byte after the first record's time and stream, tagged F."""
        pieces = [b"x" * 16384, b"  y " * 4096, b"z end"]
        batch = [
            Record("logs", 0, 7, cri("stdout", "P", pieces[0]), b"pod", (("host", b"node-1"),), 1),
            Record("logs", 0, 8, cri("stdout", "P", pieces[1], "2026-11-23T01:02:03.2Z"), b"pod", (), 2),
            Record("logs", 0, 9, cri("stdout", "F", pieces[2], "2026-11-23T01:02:03.3Z"), b"pod", (), 3),
        ]
        [event] = cri_joiner().join(batch)
        assert (event.offset, event.key, event.headers, event.timestamp_ms) == (7, b"pod", (("host", b"node-1"),), 1)
        assert event.value == cri("stdout", "F", b"".join(pieces))
        settings = load_settings(environ={})
        out = Processor(settings).process([event], keep_documents=True)
        [document] = out.documents
        assert out.actions[0].doc_id == "logs-0-7"
        assert document["message"] == b"".join(pieces).decode()
        assert (document["log.cri.tag"], document["log.stream"]) == ("F", "stdout")
        assert document["@timestamp"] == "2026-11-23T01:02:03.123Z"

    def test_interleaved_stdout_and_stderr_runs_of_one_source_are_joined_each_on_its_own(self) -> None:
        """A stderr line written in the middle of a long stdout line is not swallowed by it, nor cuts it."""
        batch = records(
            [
                cri("stdout", "P", b"out-1 "),
                cri("stderr", "P", b"err-1 "),
                cri("stdout", "P", b"out-2 "),
                cri("stderr", "F", b"err-2"),
                cri("stderr", "F", b"a whole stderr line"),
                cri("stdout", "F", b"out-3"),
            ]
        )
        assert values(cri_joiner().join(batch)) == [
            (0, cri("stdout", "F", b"out-1 out-2 out-3")),
            (1, cri("stderr", "F", b"err-1 err-2")),
            (4, cri("stderr", "F", b"a whole stderr line")),
        ]

    def test_runs_of_different_record_keys_on_one_partition_are_joined_separately(self) -> None:
        """The source is (topic, partition, key) as for multiline: two pods' pieces never mix."""
        batch = [
            Record("logs", 0, 0, cri("stdout", "P", b"a1 "), b"pod-a"),
            Record("logs", 0, 1, cri("stdout", "P", b"b1 "), b"pod-b"),
            Record("logs", 0, 2, cri("stdout", "F", b"a2"), b"pod-a"),
            Record("logs", 0, 3, cri("stdout", "F", b"b2"), b"pod-b"),
        ]
        assert values(cri_joiner().join(batch)) == [
            (0, cri("stdout", "F", b"a1 a2")),
            (1, cri("stdout", "F", b"b1 b2")),
        ]

    @pytest.mark.parametrize("ender", [b"a plain text line", b'{"msg": "json"}', b""], ids=["text", "json", "empty"])
    def test_a_record_that_is_not_a_cri_line_ends_the_open_run_as_far_as_it_got(self, ender: bytes) -> None:
        """The pieces so far are one event that keeps the tag P (not a whole line); the late F is its own event."""
        batch = records([cri("stdout", "P", b"a "), cri("stdout", "P", b"b "), ender, cri("stdout", "F", b"c")])
        assert values(cri_joiner().join(batch)) == [
            (0, cri("stdout", "P", b"a b ")),
            (2, ender),
            (3, cri("stdout", "F", b"c")),
        ]

    def test_text_that_only_mentions_stdout_p_is_not_a_partial_line(self) -> None:
        """The cheap bytes test lets it through to the regex, which wants a CRI time first."""
        batch = records([b"2026-11-23 job 7 wrote its stdout P in 3 s", b"2026-11-23 job 8 done"])
        assert values(cri_joiner().join(batch)) == values(batch)

    def test_a_run_stops_at_the_line_limit_and_the_next_piece_starts_an_event(self) -> None:
        """multiline_max_lines caps the pieces of one event too."""
        pieces = [cri("stdout", "P", b"%d " % i) for i in range(5)] + [cri("stdout", "F", b"5")]
        assert values(cri_joiner(multiline_max_lines=3).join(records(pieces))) == [
            (0, cri("stdout", "P", b"0 1 2 ")),
            (3, cri("stdout", "F", b"3 4 5")),
        ]

    def test_a_run_stops_before_its_value_would_pass_max_line_bytes(self) -> None:
        """A piece that does not fit starts the next event: nothing is truncated, and no value passes the bound."""
        pieces = [cri("stdout", "P", bytes([65 + i]) * 400) for i in range(3)] + [cri("stdout", "F", b"D" * 400)]
        events = cri_joiner(max_line_bytes=1024).join(records(pieces))
        assert values(events) == [
            (0, cri("stdout", "P", b"A" * 400 + b"B" * 400)),
            (2, cri("stdout", "F", b"C" * 400 + b"D" * 400)),
        ]
        assert max(len(e.value or b"") for e in events) <= 1024

    def test_with_cri_joining_off_partial_records_are_documents_of_their_own(self) -> None:
        """cri_join_partial = false (and no multiline_start): no joiner, each piece is indexed as it is."""
        settings = load_settings(environ={"LOGFLOW_DECODE_CRI_JOIN_PARTIAL": "false"})
        assert MultilineJoiner.from_config(settings.decode) is None
        batch = records([cri("stdout", "P", b"a "), cri("stdout", "F", b"b")])
        documents = Processor(settings).process(batch, keep_documents=True).documents
        assert [(d["log.cri.tag"], d["message"]) for d in documents] == [("P", "a "), ("F", "b")]

    def test_with_multiline_on_each_rule_joins_its_own_way(self) -> None:
        """A stack trace written by a container: lines join on a new line (multiline), a trace line the runtime
        split joins byte for byte (CRI), and a start line split in two starts an event that is also a run."""
        start = r"^\S+ std(?:out|err) [PF] \d{4}-\d{2}-\d{2} "
        batch = records(
            [
                cri("stderr", "F", EVENT[0]),
                cri("stderr", "P", b"java.lang.IllegalStateException: order 7 "),
                cri("stderr", "F", b"already shipped"),
                cri("stderr", "F", EVENT[2]),
                cri("stderr", "P", NEXT[:30]),
                cri("stderr", "F", NEXT[30:]),
            ]
        )
        events = cri_joiner(multiline_start=start).join(batch)
        assert [(e.offset, lines(e)) for e in events] == [
            (
                0,
                [
                    cri("stderr", "F", EVENT[0]),
                    cri("stderr", "F", b"java.lang.IllegalStateException: order 7 already shipped"),
                    cri("stderr", "F", EVENT[2]),
                ],
            ),
            (4, [cri("stderr", "F", NEXT)]),
        ]
        document = Processor(load_settings(environ={})).process(events[:1], keep_documents=True).documents[0]
        assert document["message"] == EVENT[0].decode()
        assert "order 7 already shipped" in document["error.stack_trace"]


class TestCriAcrossBatches:
    def test_a_run_cut_by_the_batch_is_held_until_its_final_piece_arrives_in_the_next_one(self) -> None:
        """Only the open run is held (a whole line of another pod goes at once); the commit stays at its first
        piece until the joined event is acknowledged, and the event's span is kept for interleaved commits."""
        held = HeldEvents(cri_joiner())
        first = [
            Record("logs", 0, 0, cri("stdout", "P", b"a "), b"pod-a"),
            Record("logs", 0, 1, cri("stdout", "F", b"whole"), b"pod-b"),
            Record("logs", 0, 2, cri("stdout", "P", b"b "), b"pod-a"),
        ]
        events = held.feed(first, now=0.0)
        assert values(events) == [(1, cri("stdout", "F", b"whole"))]
        assert (len(held), held.floors()) == (1, {("logs", 0): 0})
        assert delivered(events, held).commit_points() == {("logs", 0): 0}
        later = held.feed([Record("logs", 0, 3, cri("stdout", "F", b"c"), b"pod-a")], now=0.1)
        assert values(later) == [(0, cri("stdout", "F", b"a b c"))]
        assert (len(held), held.floors(), held.spans) == (0, {}, {("logs", 0): [(0, 3)]})
        assert delivered(later, held).commit_points() == {("logs", 0): 4}
        assert held.spans == {}

    def test_a_held_run_is_indexed_as_far_as_it_got_once_it_waited_max_wait(self) -> None:
        """The wait bound finishes a run whose F never came (tag P); a late F is then an event of its own."""
        held = HeldEvents(cri_joiner(multiline_max_wait_ms=1000))
        assert held.feed(records([cri("stdout", "P", b"a "), cri("stdout", "P", b"b ")]), now=5.0) == []
        assert held.due(5.9) == []
        assert values(held.due(6.0)) == [(0, cri("stdout", "P", b"a b "))]
        assert values(held.feed(records([cri("stdout", "F", b"c")], first=2), now=6.1)) == [
            (2, cri("stdout", "F", b"c"))
        ]
        assert len(held) == 0

    def test_held_runs_are_flushed_at_shutdown_and_dropped_on_revoke(self) -> None:
        """Both streams of a source hold a run: flush indexes both; a revoke forgets both, to be re-read whole."""
        batch = records([cri("stdout", "P", b"o "), cri("stderr", "P", b"e ")])
        held = HeldEvents(cri_joiner())
        held.feed(batch, now=0.0)
        assert values(held.flush()) == values(batch)
        held.feed(batch, now=0.0)
        assert held.drop({("logs", 0)}) == 2
        assert (len(held), held.floors()) == (0, {})
        again = held.feed([*batch, *records([cri("stderr", "F", b"e2"), cri("stdout", "F", b"o2")], first=2)], now=1)
        assert values(again) == [(0, cri("stdout", "F", b"o o2")), (1, cri("stderr", "F", b"e e2"))]


def _records(*values: bytes, key: bytes = b"orders") -> list[ShipRecord]:
    return [ShipRecord(value, key, (), "orders", "app", "error", MOMENT) for value in values]


async def _until(condition: Any, timeout: float, what: str) -> None:
    """Poll ``condition`` every 50 ms; the deadline fails the test only if the condition never holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


class WorkerClock:
    """The worker loop's monotonic clock, moved by the test: the wait bound is judged on it, not on luck."""

    def __init__(self) -> None:
        self.now = 0.0
        self.reads = 0  # each read is one look at the held events

    def monotonic(self) -> float:
        self.reads += 1
        return self.now


async def _two_events_on_one_partition(
    make_settings: SettingsFactory, max_wait_ms: int
) -> tuple[Settings, dict[TP, int], TP]:
    """Two 4-record events on partition 0: the second has no start line after it, so it is held."""
    settings = make_settings(decode={"multiline_start": START, "multiline_max_wait_ms": max_wait_ms})
    await setup_templates(settings)
    produced = await ship(settings, _records(*EVENT, *EVENT), partitions=1)
    return settings, produced, (settings.kafka.topics[0], 0)


class TestDelivery:
    def test_joined_records_are_committed_and_indexed_once(self, make_settings: Any) -> None:
        """Through Kafka and Elasticsearch: 3 events from 12 records, every offset committed, no doubles."""
        settings = make_settings(decode={"multiline_start": START})
        shipped = [
            ShipRecord(value, b"orders", (), "orders", "app", "error", MOMENT) for _ in range(3) for value in EVENT
        ]

        async def go() -> tuple[list[dict[str, Any]], dict[Any, int | None], dict[Any, int]]:
            await setup_templates(settings)
            produced = await ship(settings, shipped, partitions=1)
            await run_worker_until_caught_up(settings, produced, timeout=120)
            docs = await all_documents(settings, ["error.type", "logflow.kafka.offset"])
            return docs, await committed_offsets(settings, list(produced)), produced

        docs, committed, produced = wait(go())
        assert committed == produced == {(settings.kafka.topics[0], 0): 12}
        assert sorted(d["logflow.kafka.offset"] for d in docs) == [0, 4, 8]
        assert {d["error.type"] for d in docs} == {"java.lang.IllegalStateException"}

    def test_events_cut_by_fetch_batches_are_indexed_once_each_with_every_offset_committed(
        self, make_settings: SettingsFactory
    ) -> None:
        """Batches of 3 records cut every trace; each event is still one document with all its lines."""
        settings = make_settings(decode={"multiline_start": START}, kafka={"max_batch_records": 3})
        shipped = _records(*EVENT, NEXT, *EVENT, NEXT, *EVENT)

        async def go() -> tuple[list[dict[str, Any]], dict[Any, int | None], dict[Any, int], int]:
            await setup_templates(settings)
            produced = await ship(settings, shipped, partitions=1)
            worker = await run_worker_until_caught_up(settings, produced, timeout=60)
            docs = await all_documents(settings, ["error.stack_trace", "logflow.kafka.offset"])
            return docs, await committed_offsets(settings, list(produced)), produced, worker.stats.batches

        docs, committed, produced, batches = wait(go())
        assert committed == produced == {(settings.kafka.topics[0], 0): 14}
        assert batches >= 3  # records 4-5, 9-10 and the final flush finish events in different batches
        assert [d["logflow.kafka.offset"] for d in docs] == [0, 4, 5, 9, 10]
        assert max(Counter(d["_id"] for d in docs).values()) == 1
        traces = [d["error.stack_trace"] for d in docs if d["error.stack_trace"]]
        assert traces == [b"\n".join(EVENT[1:]).decode()] * 3

    async def test_the_commit_stays_at_a_held_events_first_record_until_the_wait_bound_flushes_it(
        self, make_settings: SettingsFactory, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The trailing event (offsets 4-7) has no start line after it: offset 4 is the commit until it is indexed.

        The worker's clock is the test's: held at 0 s, still held after many looks at 1.5 s, flushed past 2 s.
        """
        clock = WorkerClock()
        monkeypatch.setattr(loop_module, "time", clock)
        settings, produced, tp = await _two_events_on_one_partition(make_settings, max_wait_ms=2000)
        worker = Worker(settings)
        async with running(worker):
            await _until(lambda: worker.stats.committed.get(tp, 0) >= 4, 30, "the first event's commit")
            clock.now = 1.5
            looks = clock.reads
            await _until(lambda: clock.reads >= looks + 5, 30, "five more looks at the held event")
            assert worker.stats.committed[tp] == 4  # inside the wait bound: still held
            assert await committed_offsets(settings, [tp]) == {tp: 4}
            assert [d["logflow.kafka.offset"] for d in await all_documents(settings, ["logflow.kafka.offset"])] == [0]
            clock.now = 2.5
            await _until(lambda: worker.stats.committed.get(tp, 0) >= 8, 30, "the flush")
        assert await committed_offsets(settings, [tp]) == produced == {tp: 8}
        docs = await all_documents(settings, ["error.stack_trace", "logflow.kafka.offset"])
        assert [d["logflow.kafka.offset"] for d in docs] == [0, 4]
        assert docs[1]["error.stack_trace"] == b"\n".join(EVENT[1:]).decode()

    async def test_stopping_the_worker_indexes_held_events_before_the_final_commit(
        self, make_settings: SettingsFactory
    ) -> None:
        """With a wait bound of ten minutes, the stop signal is what finishes the trailing event."""
        settings, produced, tp = await _two_events_on_one_partition(make_settings, max_wait_ms=600_000)
        worker = Worker(settings)
        async with running(worker):
            await _until(lambda: worker.stats.committed.get(tp, 0) >= 4, 30, "the first event's commit")
            assert worker.stats.committed[tp] == 4
        assert worker.stats.committed[tp] == 8
        assert await committed_offsets(settings, [tp]) == produced == {tp: 8}
        docs = await all_documents(settings, ["logflow.kafka.offset"])
        assert [d["logflow.kafka.offset"] for d in docs] == [0, 4]

    async def test_held_events_of_a_revoked_partition_are_left_uncommitted_and_indexed_once_by_the_new_owner(
        self, make_settings: SettingsFactory
    ) -> None:
        """A second worker takes one of two partitions while the first holds an event on each: none is committed
        by the revoke, and after both stop every event is one document and every offset is committed."""
        settings = make_settings(decode={"multiline_start": START, "multiline_max_wait_ms": 600_000})
        await setup_templates(settings)
        shipped = _records(*EVENT, *EVENT, key=b"orders") + _records(*EVENT, *EVENT, key=b"billing")
        produced = await ship(settings, shipped, partitions=2)
        topic = settings.kafka.topics[0]
        assert produced == {(topic, 0): 8, (topic, 1): 8}  # the keys hash to different partitions
        first, second = Worker(settings), Worker(settings)
        stops = [asyncio.Event(), asyncio.Event()]
        tasks = [asyncio.create_task(first.run(stops[0]))]
        try:
            await _until(lambda: all(first.stats.committed.get(tp, 0) >= 4 for tp in produced), 30, "first commits")
            tasks.append(asyncio.create_task(second.run(stops[1])))
            await _until(
                lambda: first.health.assigned == second.health.assigned == 1 and len(first.held or ()) == 1,
                30,
                "one partition each",
            )
            await _until(lambda: len(second.held or ()) == 1, 10, "the new owner holding its event")
            assert await committed_offsets(settings, list(produced)) == {tp: 4 for tp in produced}
        finally:
            for stop in stops:
                stop.set()
            await asyncio.gather(*tasks)
        assert await committed_offsets(settings, list(produced)) == produced
        docs = await all_documents(settings, ["logflow.kafka.partition", "logflow.kafka.offset"])
        assert sorted((d["logflow.kafka.partition"], d["logflow.kafka.offset"]) for d in docs) == [
            (0, 0),
            (0, 4),
            (1, 0),
            (1, 4),
        ]

    def test_a_container_line_split_into_partial_records_and_fetch_batches_is_one_document(
        self, make_settings: SettingsFactory
    ) -> None:
        """Through Kafka and Elasticsearch with the default configuration: four pieces of a 56 KiB line cut by
        batches of 2 records are one document whose message is the line, under the first piece's `_id`."""
        settings = make_settings(kafka={"max_batch_records": 2})
        line = b"".join(bytes([97 + i]) * 16384 for i in range(3)) + b" the end"
        pieces = [line[:16384], line[16384:32768], line[32768:49152], line[49152:]]
        shipped = [
            ShipRecord(value, b"pod", (), "app", "kubernetes.container_logs", "", MOMENT)
            for value in [
                cri("stdout", "F", b"before"),
                *(cri("stdout", "P", piece) for piece in pieces[:-1]),
                cri("stdout", "F", pieces[-1]),
                cri("stdout", "F", b"after"),
            ]
        ]

        async def go() -> tuple[list[dict[str, Any]], dict[Any, int | None], dict[Any, int], int]:
            await setup_templates(settings)
            produced = await ship(settings, shipped, partitions=1)
            worker = await run_worker_until_caught_up(settings, produced, timeout=60)
            docs = await all_documents(settings, ["message", "log.cri.tag", "logflow.kafka.offset", "log.flags"])
            return docs, await committed_offsets(settings, list(produced)), produced, worker.stats.batches

        docs, committed, produced, batches = wait(go())
        topic = settings.kafka.topics[0]
        assert committed == produced == {(topic, 0): 6}
        assert batches >= 2  # the pieces (offsets 1-4) came in at least two fetches of at most 2 records
        assert [(d["_id"], d["logflow.kafka.offset"], d["log.cri.tag"]) for d in docs] == [
            (f"{topic}-0-0", 0, "F"),
            (f"{topic}-0-1", 1, "F"),
            (f"{topic}-0-5", 5, "F"),
        ]
        assert docs[1]["message"] == line.decode()
        assert [docs[0]["message"], docs[2]["message"]] == ["before", "after"]
        assert [d.get("log.flags") for d in docs] == [None, ["multiline"], None]

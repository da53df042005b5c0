"""The commit point per partition: the lowest offset not yet finished."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.event import Action, Record
from logflow.source.base import TP
from logflow.worker.offsets import OffsetTracker


def _action(record: Record) -> Action:
    return Action(record, "idx", record.doc_id, b"{}")


class TestOffsetTracker:
    def test_the_commit_point_is_the_lowest_offset_not_yet_finished_per_partition(self) -> None:
        """A gap in acknowledgements holds the commit at the first unfinished record of that partition only."""
        records = [Record("t", p, o, b"x") for p in (0, 1) for o in range(10, 15)]
        tracker = OffsetTracker(records)
        tracker.hold_all(records)
        assert tracker.commit_points() == {("t", 0): 10, ("t", 1): 10}
        tracker.acknowledged([_action(r) for r in records if r.offset != 12])
        assert tracker.commit_points() == {("t", 0): 12, ("t", 1): 12}
        tracker.acknowledged([_action(records[2])])
        assert tracker.commit_points() == {("t", 0): 15, ("t", 1): 12}

    def test_a_record_with_a_copy_is_finished_only_when_both_documents_are_or_it_is_dead_lettered(self) -> None:
        """Two documents from one record need two acknowledgements; a dead-letter acknowledgement settles it."""
        first, second = Record("t", 0, 0, b"a"), Record("t", 0, 1, b"b")
        tracker = OffsetTracker([first, second])
        tracker.hold_all([first, first, second, second])  # as the worker holds a batch's actions
        tracker.acknowledged([_action(first), _action(second)])
        assert tracker.commit_points() == {("t", 0): 0}
        tracker.settle(first)  # its copy failed; the dead-letter topic acknowledged the record
        assert tracker.commit_points() == {("t", 0): 1}
        tracker.acknowledged([_action(second)])
        assert tracker.commit_points() == {("t", 0): 2}


class _Held:
    """What the tracker reads of the joiner's state (``logflow.decode.multiline.HeldEvents``)."""

    def __init__(self, ends: dict[TP, int], floors: dict[TP, int], spans: dict[TP, list[tuple[int, int]]]) -> None:
        self.ends, self._floors, self.spans = ends, floors, spans

    def floors(self) -> dict[TP, int]:
        return self._floors


_partition = st.integers(1, 60).flatmap(
    lambda end: st.tuples(
        st.just(end),
        st.none() | st.integers(0, end),  # the first offset of a held event, if any
        st.lists(st.tuples(st.integers(0, end - 1), st.integers(1, end)).filter(lambda s: s[0] < s[1]), max_size=6),
        st.sets(st.integers(0, end - 1), max_size=5),  # records still outstanding
    )
)


class TestJoinedEvents:
    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(st.integers(0, 3), _partition, min_size=1, max_size=3))
    def test_the_commit_point_is_the_highest_offset_at_or_below_every_limit_that_falls_inside_no_joined_event(
        self, partitions: dict[int, tuple[int, int | None, list[tuple[int, int]], set[int]]]
    ) -> None:
        """Spans may overlap or nest (interleaved streams): one move out of an event never lands in another."""
        ends = {("t", p): end for p, (end, _, _, _) in partitions.items()}
        floors = {("t", p): floor for p, (_, floor, _, _) in partitions.items() if floor is not None}
        spans = {("t", p): list(spans) for p, (_, _, spans, _) in partitions.items() if spans}
        tracker = OffsetTracker([], _Held(ends, floors, spans))  # type: ignore[arg-type]
        tracker.hold_all(Record("t", p, o, b"") for p, (_, _, _, waiting) in partitions.items() for o in waiting)
        expected = {}
        for p, (end, floor, joined, waiting) in partitions.items():
            point = min([end, *([] if floor is None else [floor]), *waiting])
            while any(first < point <= last for first, last in joined):
                point -= 1  # the oracle: walk down until outside every joined event
            expected[("t", p)] = point
        assert tracker.commit_points() == expected

    def test_a_held_record_of_a_partition_the_batch_did_not_name_still_holds_its_commit(self) -> None:
        """No end is known for it, so the record itself is the point: nothing past it is committed."""
        tracker = OffsetTracker([Record("t", 0, 4, b"")])
        tracker.hold_all([Record("t", 1, 9, b"")])
        assert tracker.commit_points() == {("t", 0): 5, ("t", 1): 9}

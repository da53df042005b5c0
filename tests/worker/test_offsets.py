"""The commit point per partition: the lowest offset not yet finished."""

from __future__ import annotations

from logflow.event import Action, Record
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

"""Per-item accounting: the status policy, and the commit point per partition."""

from __future__ import annotations

import pytest

from logflow.config import load_settings
from logflow.errors import ConfigError
from logflow.event import Action, Record
from logflow.sink.elasticsearch import StatusPolicy
from logflow.worker.loop import OffsetTracker


class TestStatusPolicy:
    def test_defaults_retry_throttling_and_server_errors_and_dead_letter_other_client_errors(self) -> None:
        """429 and 5xx are retried; 400, 404 and 413 go to the dead-letter topic."""
        policy = StatusPolicy(load_settings(environ={}).elasticsearch.item_status_policy)
        assert [policy(s) for s in (429, 500, 503, 400, 404, 413)] == ["retry"] * 3 + ["dlq"] * 3

    def test_an_exact_code_wins_over_its_class_and_a_class_rule_keeps_429_retried(self) -> None:
        """`4xx=drop` with `413=dlq` drops 400 but dead-letters 413, and still retries 429."""
        policy = StatusPolicy(["4xx=drop", "413=dlq", "5xx=dlq"])
        assert (policy(400), policy(413), policy(429), policy(503)) == ("drop", "dlq", "retry", "dlq")

    def test_a_malformed_policy_is_a_configuration_error_naming_the_key(self) -> None:
        """An unknown action is refused at load time, naming the setting."""
        with pytest.raises(ConfigError, match="item_status_policy"):
            load_settings(environ={"LOGFLOW_ELASTICSEARCH_ITEM_STATUS_POLICY": "429=later"})


def _action(record: Record) -> Action:
    return Action(record, "idx", record.doc_id, b"{}")


class TestOffsetTracker:
    def test_the_commit_point_is_the_lowest_offset_not_yet_finished_per_partition(self) -> None:
        """A gap in acknowledgements holds the commit at the first unfinished record of that partition only."""
        records = [Record("t", p, o, b"x") for p in (0, 1) for o in range(10, 15)]
        tracker = OffsetTracker(records)
        for r in records:
            tracker.hold(r)
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

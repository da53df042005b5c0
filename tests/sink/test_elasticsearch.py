"""The Elasticsearch sink's per-item status policy."""

from __future__ import annotations

import pytest

from logflow.config import load_settings
from logflow.errors import ConfigError
from logflow.sink.elasticsearch import StatusPolicy


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

"""Declarative enrichment rules: tags and typed fields from message patterns, set in config."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from logflow.config import load_settings
from logflow.errors import ConfigError
from logflow.event import Record
from logflow.worker.processor import Processor

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)

BUSINESS: dict[str, object] = {
    "name": "business_metric",
    "contains": "Company extraction completed",
    "pattern": "Company extraction completed for %{NOTSPACE:insights.company} in "
    "%{NUMBER:insights.extraction_time:float}s confidence=%{NUMBER:insights.confidence_score:float}",
    "tags": ["business_metric"],
    "fields": {"event.category": "process"},
}


def document(
    line: str, rules: list[dict[str, object]], routing: list[dict[str, object]] | None = None
) -> dict[str, object]:
    overrides: dict[str, object] = {"enrich": {"rules": rules}}
    if routing is not None:
        overrides["routing"] = {"rules": routing}
    processor = Processor(load_settings(environ={}, overrides=overrides))
    out = processor.process([Record("logs", 0, 0, line.encode())], keep_documents=True)
    return out.documents[0]


class TestEnrichRules:
    def test_a_matching_rule_adds_typed_fields_tags_and_static_fields(self) -> None:
        """The seed deployments' metric line becomes numbers Kibana can chart, tagged business_metric."""
        doc = document(
            "2026-11-23 10:00:00,000 INFO insights.pipeline: Company extraction completed for acme-gmbh "
            "in 2.75s confidence=0.93",
            [BUSINESS],
        )
        assert doc["insights.extraction_time"] == 2.75
        assert doc["insights.confidence_score"] == 0.93
        assert doc["insights.company"] == "acme-gmbh"
        assert doc["event.category"] == "process"
        assert "business_metric" in doc["tags"]  # type: ignore[operator]

    def test_a_rule_that_does_not_match_changes_nothing(self) -> None:
        """Events the rule does not concern keep exactly their fields."""
        line = "2026-11-23 10:00:00,000 INFO insights.pipeline: Company extraction started for acme-gmbh"
        with_rule, without = document(line, [BUSINESS]), document(line, [])
        with_rule.pop("event.ingested")
        without.pop("event.ingested")
        assert with_rule == without

    def test_tags_added_by_rules_drive_routing_rules(self) -> None:
        """Rules run before routing, so a rule's tag can send the event to its own index."""
        doc = document(
            "2026-11-23 10:00:00,000 INFO insights.pipeline: Company extraction completed for x in 1s confidence=1",
            [BUSINESS],
            routing=[{"name": "metrics", "index": "insights-metrics-{date}", "tags": ["business_metric"]}],
        )
        assert doc["_index"] == "insights-metrics-2026.11.23"

    def test_rules_can_be_limited_to_datasets(self) -> None:
        """A rule for app logs leaves nginx lines alone."""
        rule: dict[str, object] = {**BUSINESS, "datasets": ["nginx.access"]}
        doc = document(
            "2026-11-23 10:00:00,000 INFO insights.pipeline: Company extraction completed for x in 1s confidence=1",
            [rule],
        )
        assert "business_metric" not in (doc.get("tags") or [])  # type: ignore[operator]

    def test_a_rule_with_an_unknown_pattern_fails_at_start_up_naming_the_rule(self) -> None:
        """A typo in a rule is a configuration error, not a runtime surprise."""
        with pytest.raises(ConfigError, match=r"enrich.rules\[0\] \(bad\).*unknown pattern"):
            document("x", [{"name": "bad", "pattern": "%{NOPE:x}"}])

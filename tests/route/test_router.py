"""Routing: daily indices by type from event time, and routing rules."""

from __future__ import annotations

import pytest

from logflow.config import RouteRule, RoutingConfig
from logflow.route.router import Router, safe_dataset


def doc(
    dataset: str = "nginx.access", level: str = "info", ts: str = "2026-11-23T23:59:59.999Z", **extra: object
) -> dict[str, object]:
    return {"event.dataset": dataset, "log.level": level, "@timestamp": ts, **extra}


class TestRouter:
    def test_indices_are_prefix_dataset_and_utc_day(self) -> None:
        """{prefix}-{event.dataset}-{YYYY.MM.dd} from the (UTC) event time."""
        assert Router("logs", RoutingConfig()).route(doc()) == ("logs-nginx.access-2026.11.23", [])

    def test_error_events_move_to_the_errors_index_by_default(self) -> None:
        """The default rule sends error and fatal events to {prefix}-errors-{date}."""
        assert Router("logs", RoutingConfig()).route(doc(level="fatal"))[0] == "logs-errors-2026.11.23"

    def test_copy_rules_add_indices_and_keep_the_event_in_place(self) -> None:
        """A copy rule indexes the event twice: its own index and the copy target."""
        rules = RoutingConfig(
            rules=[RouteRule(name="audit", index="insights-audit-{date}", tags=["security"], copy=True)]
        )
        primary, copies = Router("logs", rules).route(doc(dataset="app", tags=["security"]))
        assert primary == "logs-app-2026.11.23"
        assert copies == ["insights-audit-2026.11.23"]

    def test_rules_match_on_dataset_and_the_first_move_wins(self) -> None:
        """Move rules are tried in order."""
        rules = RoutingConfig(
            rules=[
                RouteRule(name="a", index="a-{date}", datasets=["app"]),
                RouteRule(name="b", index="b-{date}", datasets=["app", "web"]),
            ]
        )
        assert Router("logs", rules).route(doc(dataset="app"))[0] == "a-2026.11.23"

    def test_unsafe_dataset_names_become_valid_index_names(self) -> None:
        """Upper case, spaces, slashes and leading punctuation cannot reach an index name."""
        assert safe_dataset("My App/Logs") == "my_app_logs"
        assert safe_dataset("_x") == "x"
        assert safe_dataset("***") == "generic"


class TestDecisionCache:
    def test_one_router_keeps_deciding_by_level_tags_and_day_after_its_cache_is_warm(self) -> None:
        """The memo of decisions must not blur events that differ only in level, tags or day."""
        rules = RoutingConfig(
            rules=[
                RouteRule(name="errors", index="{prefix}-errors-{date}", levels=["error"]),
                RouteRule(name="audit", index="audit-{date}", tags=["security"], copy=True),
            ]
        )
        router = Router("logs", rules)
        cases = [
            (doc(), ("logs-nginx.access-2026.11.23", [])),
            (doc(level="error"), ("logs-errors-2026.11.23", [])),
            (doc(tags=["security"]), ("logs-nginx.access-2026.11.23", ["audit-2026.11.23"])),
            (doc(tags=["web"]), ("logs-nginx.access-2026.11.23", [])),
            (doc(ts="2026-11-24T00:00:00.000Z"), ("logs-nginx.access-2026.11.24", [])),
        ]
        for _ in range(2):  # the second round is answered from the memo
            assert [router.route(d) for d, _ in cases] == [expected for _, expected in cases]

    def test_an_unhashable_dataset_from_a_json_log_is_routed_without_the_memo(self) -> None:
        """A list where a dataset name goes cannot key the memo; it is routed (or rejected) as before."""
        router = Router("logs", RoutingConfig())
        with pytest.raises(TypeError):  # the processor turns this into a per-record rejection
            router.route(doc(dataset=["a"]))  # type: ignore[arg-type]
        assert router.route(doc()) == ("logs-nginx.access-2026.11.23", [])

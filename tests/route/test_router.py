"""Routing: daily indices by type from event time, and routing rules."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

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

    def test_a_list_dataset_from_a_json_log_routes_by_its_first_name(self) -> None:
        router = Router("logs", RoutingConfig())
        assert router.route(doc(dataset=["App", "b"]))[0] == "logs-app-2026.11.23"  # type: ignore[arg-type]
        assert router.route(doc()) == ("logs-nginx.access-2026.11.23", [])


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
_INDEX_NAME = re.compile(r"^[a-z0-9][a-z0-9._+-]*$")


class TestAnyShape:
    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(JSON, JSON, JSON)
    def test_a_dataset_level_or_tags_of_any_json_shape_routes_to_a_valid_index_and_never_raises(
        self, dataset: object, level: object, tags: object
    ) -> None:
        """Users' JSON decides these fields' shapes; routing reads them as text and always decides."""
        rules = RoutingConfig(
            rules=[
                RouteRule(name="errors", index="{prefix}-errors-{date}", levels=["error"]),
                RouteRule(name="sec", index="sec-{date}", tags=["security"], copy=True),
                RouteRule(name="app", index="{prefix}-app-{date}", datasets=["app"]),
            ]
        )
        router = Router("logs", rules)
        document = {"event.dataset": dataset, "log.level": level, "tags": tags, "@timestamp": "2026-11-23T00:00:00Z"}
        primary, copies = router.route(document)
        assert all(_INDEX_NAME.match(name) for name in [primary, *copies])
        assert router.route(document) == (primary, copies)  # the memoized answer is the same

"""Routing: daily indices by type from event time, and routing rules.

Every test takes the index prefix as a parameter (``prefix``): the default prefix is configuration,
and no expectation may depend on which one it is.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logflow.config import RouteRule, RoutingConfig, load_settings
from logflow.event import Batch, Event, Record
from logflow.route.router import Router, safe_dataset
from logflow.worker.processor import Processor

PREFIXES = ["logs", "logflow", "acme-prod", "x"]


@pytest.fixture(params=PREFIXES)
def prefix(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


def doc(
    dataset: str = "nginx.access", level: str = "info", ts: str = "2026-11-23T23:59:59.999Z", **extra: object
) -> dict[str, object]:
    return {"event.dataset": dataset, "log.level": level, "@timestamp": ts, **extra}


class TestRouter:
    def test_indices_are_prefix_dataset_and_utc_day(self, prefix: str) -> None:
        """{prefix}-{event.dataset}-{YYYY.MM.dd} from the (UTC) event time."""
        assert Router(prefix, RoutingConfig()).route(doc()) == (f"{prefix}-nginx.access-2026.11.23", [])

    def test_error_events_move_to_the_errors_index_by_default(self, prefix: str) -> None:
        """The default rule sends error and fatal events to {prefix}-errors-{date}."""
        assert Router(prefix, RoutingConfig()).route(doc(level="fatal"))[0] == f"{prefix}-errors-2026.11.23"

    def test_an_event_without_a_dataset_goes_to_the_generic_index(self, prefix: str) -> None:
        assert Router(prefix, RoutingConfig()).route({"@timestamp": "2026-11-23T00:00:00.000Z"}) == (
            f"{prefix}-generic-2026.11.23",
            [],
        )

    def test_a_rule_for_one_dataset_leaves_other_datasets_in_their_own_index(self, prefix: str) -> None:
        rules = RoutingConfig(rules=[RouteRule(name="a", index="{prefix}-moved-{date}", datasets=["app"])])
        router = Router(prefix, rules)
        assert router.route(doc(dataset="app"))[0] == f"{prefix}-moved-2026.11.23"
        assert router.route(doc(dataset="db"))[0] == f"{prefix}-db-2026.11.23"

    def test_rule_templates_may_name_the_dataset_for_moves_and_copies(self, prefix: str) -> None:
        rules = RoutingConfig(
            rules=[
                RouteRule(name="m", index="{prefix}-m-{dataset}-{date}", levels=["warn"]),
                RouteRule(name="c", index="{prefix}-c-{dataset}-{date}", levels=["warn"], copy=True),
            ]
        )
        assert Router(prefix, rules).route(doc(dataset="App", level="warn")) == (
            f"{prefix}-m-app-2026.11.23",
            [f"{prefix}-c-app-2026.11.23"],
        )

    def test_a_tag_rule_ignores_events_without_that_tag(self, prefix: str) -> None:
        rules = RoutingConfig(rules=[RouteRule(name="s", index="sec-{date}", tags=["security"], copy=True)])
        router = Router(prefix, rules)
        assert router.route(doc(tags=["web", "edge"])) == (f"{prefix}-nginx.access-2026.11.23", [])
        assert router.route(doc()) == (f"{prefix}-nginx.access-2026.11.23", [])

    def test_copy_rules_add_indices_and_keep_the_event_in_place(self, prefix: str) -> None:
        """A copy rule indexes the event twice: its own index and the copy target."""
        rules = RoutingConfig(
            rules=[RouteRule(name="audit", index="insights-audit-{date}", tags=["security"], copy=True)]
        )
        primary, copies = Router(prefix, rules).route(doc(dataset="app", tags=["security"]))
        assert primary == f"{prefix}-app-2026.11.23"
        assert copies == ["insights-audit-2026.11.23"]

    def test_rules_match_on_dataset_and_the_first_move_wins(self, prefix: str) -> None:
        """Move rules are tried in order."""
        rules = RoutingConfig(
            rules=[
                RouteRule(name="a", index="a-{date}", datasets=["app"]),
                RouteRule(name="b", index="b-{date}", datasets=["app", "web"]),
            ]
        )
        assert Router(prefix, rules).route(doc(dataset="app"))[0] == "a-2026.11.23"

    def test_unsafe_dataset_names_become_valid_index_names(self) -> None:
        """Upper case, spaces, slashes and leading punctuation cannot reach an index name."""
        assert safe_dataset("My App/Logs") == "my_app_logs"
        assert safe_dataset("_x") == "x"
        assert safe_dataset("***") == "generic"


class TestDecisionCache:
    def test_one_router_keeps_deciding_by_dataset_level_tags_and_day_after_its_cache_is_warm(self, prefix: str) -> None:
        """The memo of decisions must not blur events that differ only in level, tags or day."""
        rules = RoutingConfig(
            rules=[
                RouteRule(name="errors", index="{prefix}-errors-{date}", levels=["error"]),
                RouteRule(name="audit", index="audit-{date}", tags=["security"], copy=True),
            ]
        )
        router = Router(prefix, rules)
        cases = [
            (doc(), (f"{prefix}-nginx.access-2026.11.23", [])),
            (doc(dataset="app"), (f"{prefix}-app-2026.11.23", [])),
            (doc(level="error"), (f"{prefix}-errors-2026.11.23", [])),
            (doc(tags=["security"]), (f"{prefix}-nginx.access-2026.11.23", ["audit-2026.11.23"])),
            (doc(tags=["web"]), (f"{prefix}-nginx.access-2026.11.23", [])),
            (doc(ts="2026-11-24T00:00:00.000Z"), (f"{prefix}-nginx.access-2026.11.24", [])),
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

    def test_a_repeated_decision_comes_from_the_memo_with_the_same_shared_copy_list(self, prefix: str) -> None:
        """Events that share dataset, level, tags and day get one decision object: its copy list is shared
        (``route`` says: do not mutate it), which is what keeps routing off the per-event cost."""
        rules = RoutingConfig(rules=[RouteRule(name="audit", index="audit-{date}", tags=["security"], copy=True)])
        router = Router(prefix, rules)
        first = router.route(doc(tags=["security"], message="one"))
        again = router.route(doc(tags=["security"], message="two"))
        assert again == first == (f"{prefix}-nginx.access-2026.11.23", ["audit-2026.11.23"])
        assert again[1] is first[1]

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["app", "db", "nginx.access", "App"]),
                st.sampled_from(["info", "error", "warn"]),
                st.sampled_from([[], ["security"], ["web"]]),
                st.sampled_from(["2026-11-23T10:00:00.000Z", "2026-11-24T00:00:00.000Z"]),
            ),
            max_size=30,
        )
    )
    def test_a_warm_router_answers_as_a_fresh_one_for_any_sequence(
        self, cases: list[tuple[str, str, list[str], str]]
    ) -> None:
        rules = RoutingConfig(
            rules=[
                RouteRule(name="errors", index="{prefix}-errors-{date}", levels=["error"]),
                RouteRule(name="audit", index="audit-{dataset}-{date}", tags=["security"], copy=True),
            ]
        )
        warm = Router("acme", rules)
        for dataset, level, tags, ts in cases:
            d = doc(dataset=dataset, level=level, ts=ts, tags=tags)
            assert warm.route(d) == Router("acme", rules).route(d)


def event(doc: dict[str, object], offset: int) -> Event:
    e = Event(Record("logs", 0, offset, b"x"))
    e.doc = doc
    return e


class TestRouteStage:
    def test_the_stage_sets_each_events_index_and_copies(self, prefix: str) -> None:
        rules = RoutingConfig(rules=[RouteRule(name="c", index="{prefix}-copy-{date}", levels=["warn"], copy=True)])
        events = [event(doc(level="warn"), 0), event(doc(dataset="db"), 1)]
        Router(prefix, rules)(Batch(events, dt.datetime(2026, 11, 23, tzinfo=dt.UTC), "2026-11-23T00:00:00.000Z"))
        assert [(e.index, e.copies) for e in events] == [
            (f"{prefix}-nginx.access-2026.11.23", [f"{prefix}-copy-2026.11.23"]),
            (f"{prefix}-db-2026.11.23", []),
        ]
        assert [e.rejection for e in events] == [None, None]

    def test_a_document_that_cannot_be_routed_is_rejected_by_the_route_stage_and_the_rest_go_on(
        self, prefix: str
    ) -> None:
        events = [event({"event.dataset": "app"}, 0), event(doc(), 1)]  # the first has no @timestamp
        batch = Batch(events, dt.datetime(2026, 11, 23, tzinfo=dt.UTC), "2026-11-23T00:00:00.000Z")
        Router(prefix, RoutingConfig())(batch)
        rejection = events[0].rejection
        assert rejection is not None and rejection.record is events[0].record
        assert (rejection.stage, rejection.error_type) == ("route", "KeyError") and "@timestamp" in rejection.reason
        assert events[1].rejection is None and events[1].index == f"{prefix}-nginx.access-2026.11.23"
        assert batch.rejected == 1


@pytest.fixture(params=["UTC", "America/New_York", "Asia/Kolkata"])
def local_zone(request: pytest.FixtureRequest) -> Iterator[str]:
    """The process's local time zone for one test (TZ and tzset), restored afterwards."""
    saved = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        zone: str = request.param
        yield zone
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


@functools.cache
def acme_processor() -> Processor:
    """Built once: compiling every parser per example would dominate the test."""
    return Processor(load_settings(environ={}, overrides={"routing": {"index_prefix": "acme"}}))


ZONES = [dt.UTC, dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=5, minutes=30))]


class TestTimeZones:
    """The index day is the event's UTC day, whatever the machine's local zone (CI runs three)."""

    def test_the_zone_is_really_in_force(self, local_zone: str) -> None:
        offsets = {"UTC": 0, "America/New_York": -5 * 3600, "Asia/Kolkata": 19800}
        assert time.localtime(1_795_000_000).tm_gmtoff == offsets[local_zone]  # a date in November: no DST

    @settings(
        max_examples=50,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.differing_executors],
    )
    @given(
        st.datetimes(
            min_value=dt.datetime(2000, 1, 1),
            max_value=dt.datetime(2090, 1, 1),
            timezones=st.none() | st.sampled_from(ZONES),
        )
    )
    def test_the_index_day_of_a_parsed_event_is_its_utc_day(self, local_zone: str, when: dt.datetime) -> None:
        """Aware times are converted to UTC and naive ones are read in the parser's zone (UTC), never the host's."""
        processor = acme_processor()
        line = f'{{"@timestamp": "{when.isoformat()}", "message": "m", "event.dataset": "app"}}'.encode()
        processed = processor.process([Record("logs", 0, 1, line)])
        day = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).strftime("%Y.%m.%d")
        assert [a.index for a in processed.actions] == [f"acme-app-{day}"]

"""Index names never take the shape of Elastic's built-in data streams (`logs-*-*`...), by default or by choice."""

from __future__ import annotations

import fnmatch

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logflow.config import load_settings
from logflow.errors import ConfigError
from logflow.route.router import Router

BUILT_IN = ["logs-*-*", "metrics-*-*", "traces-*-*", "synthetics-*-*"]  # Elasticsearch 8/9 templates, priority 100
PREFIX = st.from_regex(r"[a-z][a-z0-9_]{0,5}(-[a-z0-9_]{1,5}){0,2}", fullmatch=True)
DATASET = st.from_regex(r"[a-z0-9][a-z0-9._]{0,12}", fullmatch=True)
LEVEL = st.sampled_from([None, "info", "error", "fatal"])


def _claimed(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in BUILT_IN)


def test_the_default_prefix_is_logflow_and_its_names_are_claimed_by_no_built_in_template() -> None:
    routing = load_settings(environ={}).routing
    assert routing.index_prefix == "logflow"
    doc = {"@timestamp": "2026-11-23T10:00:00.000Z", "event.dataset": "nginx.access"}
    index, _ = Router(routing.index_prefix, routing).route(doc)
    assert index == "logflow-nginx.access-2026.11.23" and not _claimed(index)


@given(
    prefix=st.one_of(
        PREFIX,
        st.sampled_from(["logs", "metrics", "traces", "synthetics"]).map(lambda t: t + "-x"),
        st.sampled_from(["logs", "metrics", "traces", "synthetics"]),
    ),
    dataset=DATASET,
    level=LEVEL,
)
def test_a_prefix_is_refused_exactly_when_its_index_names_would_be_claimed_by_a_built_in_template(
    prefix: str, dataset: str, level: str | None
) -> None:
    """Every accepted prefix routes every dataset and level (errors rule included) outside `logs-*-*` & co."""
    if _claimed(f"{prefix}-{dataset}-2026.11.23"):
        with pytest.raises(ConfigError, match=r"routing\.index_prefix.*built-in"):
            load_settings(environ={"LOGFLOW_ROUTING_INDEX_PREFIX": prefix})
        return
    routing = load_settings(environ={"LOGFLOW_ROUTING_INDEX_PREFIX": prefix}).routing
    doc = {"@timestamp": "2026-11-23T10:00:00.000Z", "event.dataset": dataset, "log.level": level}
    index, copies = Router(routing.index_prefix, routing).route(doc)
    assert not _claimed(index) and not any(_claimed(c) for c in copies)
    assert not _claimed(f"{prefix}-anything-2026.11.23")  # nor does the template pattern `{prefix}-*` cover one


@pytest.mark.parametrize("prefix", ["logs", "metrics-app"])
def test_the_refusal_names_the_shape_and_the_default(prefix: str) -> None:
    with pytest.raises(ConfigError, match=r"-\*-\*` shape .*the default is .logflow."):
        load_settings(environ={"LOGFLOW_ROUTING_INDEX_PREFIX": prefix})

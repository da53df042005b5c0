"""JSON logs over ECS field names, in any shape, always fit the index mapping: never dead-lettered for key names."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import load_settings
from logflow.event import Record
from logflow.parse.mapping import FIELDS, LEAVES, MEANS, OBJECTS, fit, fits, leaf_fits, problems
from logflow.worker.processor import Processor

PROPERTY = settings(max_examples=300, deadline=None, database=None, derandomize=True)
PROCESSOR = Processor(load_settings(environ={}))

# Names a user's JSON may use: ECS objects and leaves (whole and in parts), logflow's renames, odd ones.
_ECS_NAMES = sorted({*FIELDS, *OBJECTS, *(name.rsplit(".", 1)[-1] for name in FIELDS)})
_NAMES = st.sampled_from(
    [*_ECS_NAMES, "level", "msg", "event", "log", "time", "", ".", "a..b", "x.", "json", "@timestamp"]
)
_SCALAR = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["10.1.2.3", "::1", "2026-11-23T01:02:03Z", "200", "error"])
)
_VALUES = st.recursive(
    _SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_NAMES | st.text(max_size=3), inner, max_size=3),
    max_leaves=10,
)
_OBJECTS = st.dictionaries(_NAMES, _VALUES, min_size=1, max_size=8)


class TestTheTable:
    def test_every_leaf_a_scalar_is_moved_to_is_a_mapped_leaf_under_its_object(self) -> None:
        assert all(leaf in LEAVES and key in OBJECTS and leaf.startswith(key + ".") for key, leaf in MEANS.items())

    def test_a_scalar_where_ecs_has_an_object_goes_to_the_leaf_it_means(self) -> None:
        for key, leaf in MEANS.items():
            doc: dict[str, Any] = {key: "some text"}
            fit(doc)
            assert doc == {leaf: "some text"}


class TestFit:
    @PROPERTY
    @given(_OBJECTS)
    def test_any_json_log_over_ecs_names_becomes_a_document_the_mapping_accepts(self, obj: dict[str, Any]) -> None:
        """Through the whole pipeline: no rejection, and nothing in the document the mapping would refuse."""
        record = Record("logs", 0, 1, orjson.dumps(obj), None, (), 1795395723456)
        out = PROCESSOR.process([record], keep_documents=True)
        assert out.rejections == []
        doc = dict(out.documents[0])
        del doc["_index"]
        assert problems(doc) == []
        assert problems(orjson.loads(out.actions[0].source)) == []

    @PROPERTY
    @given(st.dictionaries(_NAMES, _VALUES, max_size=8))
    def test_fit_leaves_a_fitting_document_as_it_is_and_makes_any_other_fit(self, doc: dict[str, Any]) -> None:
        before = dict(doc)
        found = problems(doc)
        assert not (fits(doc) and found)  # the quick yes is never wrong
        fit(doc)
        assert problems(doc) == []
        if not found:
            assert doc == before

    @PROPERTY
    @given(st.sampled_from(sorted(LEAVES)), _SCALAR)
    def test_a_value_a_leaf_refuses_is_kept_under_json(self, leaf: str, value: object) -> None:
        doc: dict[str, Any] = {leaf: value}
        fit(doc)
        if leaf_fits(LEAVES[leaf], value):
            assert doc == {leaf: value}
        else:
            assert doc == {f"json.{leaf}": value} or list(doc) == [f"json.{leaf}"]

"""JSON logs over ECS field names, in any shape, always fit the index mapping: never dead-lettered for key names."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.admin.index_templates import install_templates
from logflow.config import Settings, load_settings
from logflow.event import Record
from logflow.parse.mapping import FIELDS, LEAVES, MEANS, OBJECTS, fit, fits, leaf_fits, problems
from logflow.sink.elasticsearch import ElasticsearchSink
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
        assert [r for r in out.rejections if r.stage != "decode"] == []  # decode: an empty envelope message
        if out.rejections:
            return
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
        if not found and "tags" not in before:
            assert doc == before

    @PROPERTY
    @given(_VALUES)
    def test_tags_of_any_shape_become_a_list_of_texts_or_move_under_json(self, tags: object) -> None:
        """Every stage after parse reads `tags` as a list of texts."""
        doc: dict[str, Any] = {"tags": tags}
        fit(doc)
        assert problems(doc) == []
        assert doc.get("tags") is None or all(type(tag) is str for tag in doc["tags"])

    @PROPERTY
    @given(st.sampled_from(sorted(set(LEAVES) - {"tags"})), _SCALAR)
    def test_a_value_a_leaf_refuses_is_kept_under_json(self, leaf: str, value: object) -> None:
        doc: dict[str, Any] = {leaf: value}
        fit(doc)
        if leaf_fits(LEAVES[leaf], value):
            assert doc == {leaf: value}
        else:
            assert list(doc) == [f"json.{leaf.replace('.', '_')}"]


def _random_json(rng: random.Random, path: str = "", depth: int = 0) -> Any:
    """A JSON value of a random shape (seeded) over ECS names.

    Where the template maps the path (an ECS leaf or object) the shape is free in every document: that is
    the class under test. An unmapped path is typed by the first document that has it (dynamic mapping,
    the index's business, not the document's), so it keeps one shape, seeded by the path.
    """
    if path and ((path not in LEAVES and path not in OBJECTS) or path.startswith("nginx")):
        rng = random.Random(path)
    depth = max(depth, path.count("."))  # the same path, reached nested or dotted, gets the same shape
    choice = rng.randrange(10 if depth < 3 else 6)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.randrange(-(2**40), 2**40)
    if choice == 3:
        return rng.uniform(-1e6, 1e6)
    if choice in (4, 5):
        return rng.choice(["x", "10.1.2.3", "2026-11-23T01:02:03Z", "200", "error", "", "a b"])
    if choice in (6, 7):
        return [_random_json(rng, path, 3) for _ in range(rng.randrange(3))]
    names = [rng.choice(_NAME_LIST) for _ in range(rng.randrange(1, 4))]
    return {name: _random_json(rng, f"{path}.{name}" if path else name, depth + 1) for name in names}


# Names whose root the JSON parser keeps as ECS (`nginx.*` is mapped, but a JSON `nginx` key is the
# user's own, under `json.`, dynamically typed).
_NAME_LIST = [name for name in _ECS_NAMES if not name.startswith("nginx")] + ["level", "msg", "time"]


@pytest.mark.integration
async def test_json_logs_of_random_shapes_over_ecs_names_are_all_accepted_by_the_server(
    es: Any, settings: Settings
) -> None:
    """The pure check stands in for the server everywhere else; here the server itself judges, item by item."""
    rng = random.Random(1912)
    objects = []
    for _ in range(400):
        names = [rng.choice(_NAME_LIST) for _ in range(rng.randrange(1, 8))]
        objects.append({name: _random_json(rng, name) for name in names})
    await install_templates(es, settings.routing.index_prefix)
    records = [Record("logs", 0, i, orjson.dumps(o), None, (), 1795395723456 + i) for i, o in enumerate(objects)]
    processed = Processor(settings).process(records)
    assert [r.reason for r in processed.rejections if r.stage != "decode"] == []
    result = await ElasticsearchSink(es, settings.elasticsearch).index(processed.actions)
    assert [(f.action.doc_id, f.reason) for f in result.failures] == []
    assert result.indexed == len(records) - len(processed.rejections) > 300

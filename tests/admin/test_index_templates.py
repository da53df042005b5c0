"""The index templates map logs as Elastic maps them where the server can, and portably where it cannot."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logflow.admin.index_templates import FIELDS, component_template, index_settings, install_templates
from logflow.config import load_settings
from logflow.demo.servers import ServerProcess, start_osmem
from logflow.sink.client import make_client
from logflow.sink.server import Server
from tests.edges.elastic import edge_servers

ES8 = Server("elasticsearch", "8.19.2", 8)
ES812 = Server("elasticsearch", "8.12.0", 8)
ES9 = Server("elasticsearch", "9.2.1", 9)
OPENSEARCH = Server("opensearch", "2.6.0", 2)
ELASTIC_ONLY = {"match_only_text", "wildcard"}


def _types(mapping: dict[str, Any]) -> set[str]:
    found = {str(mapping.get("type"))}
    for sub in (mapping.get("fields") or {}).values():
        found |= _types(sub)
    return found


class TestTypes:
    def test_elasticsearch_gets_elastics_logs_types(self) -> None:
        props = component_template(ES9)["template"]["mappings"]["properties"]
        assert props["message"] == {"type": "match_only_text"}
        assert props["error"]["properties"]["stack_trace"] == {
            "type": "wildcard", "fields": {"text": {"type": "match_only_text"}},
        }  # fmt: skip
        assert props["url"]["properties"]["original"]["type"] == "wildcard"
        assert props["user_agent"]["properties"]["original"]["type"] == "keyword"

    @given(server=st.sampled_from([OPENSEARCH, Server("opensearch", "3.8.0", 3), Server("opensearch", "unknown", 0)]))
    def test_opensearch_gets_no_elastic_only_type_and_the_same_field_names(self, server: Server) -> None:
        props = component_template(server)["template"]["mappings"]["properties"]
        for name, mapping in FIELDS.items():
            node: dict[str, Any] = {"properties": props}
            for part in [name] if name.startswith("@") else name.split("."):
                node = node["properties"][part]
            assert not _types(node) & ELASTIC_ONLY, name
            assert set(node.get("fields") or {}) == set(mapping.get("fields") or {}), name

    @pytest.mark.parametrize(("server", "beyond"), [(ES8, True), (ES9, True), (ES812, False), (OPENSEARCH, False)])
    def test_settings_ignore_malformed_values_compress_and_never_reject_for_the_field_count(
        self, server: Server, beyond: bool
    ) -> None:
        """`ignore_dynamic_beyond_limit` exists from Elasticsearch 8.13 (elastic/elasticsearch#96235)."""
        settings = index_settings(server)
        assert settings["codec"] == "best_compression" and settings["mapping"]["ignore_malformed"] is True
        assert settings["mapping"]["total_fields"].get("ignore_dynamic_beyond_limit", False) is beyond

    def test_with_ecs_mappings_our_catch_all_string_rule_is_left_to_it(self) -> None:
        assert "dynamic_templates" not in component_template(ES9, with_ecs_mappings=True)["template"]["mappings"]
        assert component_template(OPENSEARCH)["template"]["mappings"]["dynamic_templates"]


# --- installed on servers: the Elasticsearch 8 and 9 edges, and osmem -------------------------------------


@pytest.fixture(scope="module")
def osmem() -> Iterator[ServerProcess]:
    server = start_osmem()
    try:
        yield server
    finally:
        server.stop()


BAD_AND_LONG = {
    "@timestamp": "2026-12-01T10:00:00.000Z",
    "message": "boom",
    "http.response.status_code": "not-a-number",  # ignore_malformed: the field is left out, the event kept
    "error.stack_trace": "java.lang.IllegalStateException\n" + "\tat a.b.C.d(C.java:1)\n" * 2000,
    "url.original": "https://shop.example/checkout?" + "x" * 5000,
}


async def _setup_and_write(url: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    cfg = load_settings(environ={}, overrides={"elasticsearch": {"hosts": [url]}}).elasticsearch
    client = make_client(cfg)
    try:
        await install_templates(client, "tmpl")
        template = (await client.indices.get_index_template(name="tmpl-logflow")).body
        await client.index(index="tmpl-app-2026.12.01", id="1", document=BAD_AND_LONG, refresh=True)
        mapping = (await client.indices.get_mapping(index="tmpl-app-2026.12.01")).body
        source = (await client.get(index="tmpl-app-2026.12.01", id="1")).body
        await client.indices.delete(index="tmpl-*")
        await client.indices.delete_index_template(name="tmpl-logflow")
        await client.cluster.delete_component_template(name="tmpl-logflow-ecs")
        return template, mapping["tmpl-app-2026.12.01"]["mappings"], source
    finally:
        await client.close()


@pytest.mark.integration
@pytest.mark.parametrize("version", ["8.17", "9.2"])
def test_on_elasticsearch_the_template_composes_ecs_mappings_and_keeps_a_malformed_event(
    osmem: ServerProcess, version: str
) -> None:
    with edge_servers() as start:
        edge = start(f"http://{osmem.address}", version)
        template, mapping, source = asyncio.run(_setup_and_write(edge.url))
    composed = template["index_templates"][0]["index_template"]["composed_of"]
    assert composed == ["ecs@mappings", "tmpl-logflow-ecs"]
    assert mapping["properties"]["message"]["type"] == "match_only_text"
    assert mapping["properties"]["url"]["properties"]["original"]["type"] == "wildcard"
    assert source["found"] and source["_source"]["http.response.status_code"] == "not-a-number"


@pytest.mark.integration
def test_on_osmem_the_portable_types_are_installed_and_a_malformed_event_is_kept(osmem: ServerProcess) -> None:
    template, mapping, source = asyncio.run(_setup_and_write(f"http://{osmem.address}"))
    assert template["index_templates"][0]["index_template"]["composed_of"] == ["tmpl-logflow-ecs"]
    assert mapping["properties"]["message"]["type"] == "text"
    assert mapping["properties"]["error"]["properties"]["stack_trace"]["type"] == "keyword"
    assert source["found"]

"""The sink never writes into an index nobody prepared: template first, and only into indices of ours."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logflow.config import ElasticsearchConfig, load_settings
from logflow.demo.servers import ServerProcess, start_osmem
from logflow.event import Action, Record
from logflow.sink.client import make_client
from logflow.sink.elasticsearch import ElasticsearchSink
from logflow.sink.guard import ForeignIndex
from tests.edges.elastic import edge_servers


@pytest.fixture(scope="module")
def osmem() -> Iterator[ServerProcess]:
    server = start_osmem()
    try:
        yield server
    finally:
        server.stop()


def _cfg(url: str) -> ElasticsearchConfig:
    return load_settings(environ={}, overrides={"elasticsearch": {"hosts": [url]}}).elasticsearch


def _actions(names: list[str]) -> list[Action]:
    out = []
    for offset, name in enumerate(names):
        doc = {"@timestamp": "2026-12-01T10:00:00.000Z", "message": f"m{offset}", "event.original": "raw"}
        out.append(Action(Record("t", 0, offset, b""), name, f"t-0-{offset}", orjson.dumps(doc)))
    return out


async def _count(client: Any, pattern: str) -> int:
    await client.indices.refresh(index=pattern, ignore_unavailable=True)
    answer = await client.count(index=pattern, ignore_unavailable=True)
    return int(answer.body["count"])


async def _run(url: str, prefix: str, names: list[str], before: Any = None) -> tuple[Any, ...]:
    cfg = _cfg(url)
    admin = make_client(cfg)
    sink = ElasticsearchSink(make_client(cfg), cfg, own_client=True, prefix=prefix)
    try:
        if before is not None:
            await before(admin)
        try:
            result: Any = await sink.index(_actions(names))
        except ForeignIndex as exc:
            result = exc
        assert sink.guard is not None
        return result, sink.guard.installed, await _count(admin, f"{prefix}-*"), admin
    finally:
        await sink.close()


async def _cleanup(url: str, prefix: str) -> None:
    client = make_client(_cfg(url))
    try:
        await client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)
        quiet = client.options(ignore_status=404)
        await quiet.indices.delete_index_template(name=f"{prefix}-logflow")
        await quiet.cluster.delete_component_template(name=f"{prefix}-logflow-ecs")
    finally:
        await client.close()


@pytest.mark.integration
@pytest.mark.parametrize("version", ["8.19", "9.2"])
def test_without_setup_the_first_write_installs_our_template_once_and_the_index_has_our_mapping(
    osmem: ServerProcess, version: str
) -> None:
    with edge_servers() as start:
        edge = start(f"http://{osmem.address}", version)

        async def scenario() -> tuple[Any, ...]:
            result, installed, count, admin = await _run(edge.url, "g", ["g-app-2026.12.01", "g-web-2026.12.01"])
            mapping = (await admin.indices.get_mapping(index="g-app-2026.12.01")).body
            await admin.close()
            await _cleanup(edge.url, "g")
            return result, installed, count, mapping

        result, installed, count, mapping = asyncio.run(scenario())
    assert installed == ["g-logflow-ecs", "g-logflow"]
    assert result.indexed == 2 and count == 2
    props = mapping["g-app-2026.12.01"]["mappings"]["properties"]
    assert props["message"]["type"] == "match_only_text"


@pytest.mark.integration
def test_a_name_a_data_stream_template_claims_is_refused_and_nothing_is_written(osmem: ServerProcess) -> None:
    """A higher-priority data-stream template over our prefix: the worker stops before its first write."""
    with edge_servers() as start:
        edge = start(f"http://{osmem.address}", "9.2")

        async def claim(admin: Any) -> None:
            await admin.indices.put_index_template(
                name="claims-g", index_patterns=["g-app-*"], data_stream={}, priority=900
            )

        async def scenario() -> tuple[Any, ...]:
            result, _, count, admin = await _run(edge.url, "g", ["g-web-2026.12.01", "g-app-2026.12.01"], claim)
            await admin.indices.delete_index_template(name="claims-g")
            await admin.close()
            await _cleanup(edge.url, "g")
            return result, count

        result, count = asyncio.run(scenario())
        bulks = [r for r in edge.edge.seen if "_bulk" in str(r)]
    assert isinstance(result, ForeignIndex) and "g-app-2026.12.01" in str(result)
    assert count == 0 and bulks == []


NAME = st.sampled_from(["app", "web", "db", "errors", "x.y"]).map(lambda d: f"p-{d}-2026.12.01")


@pytest.mark.integration
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(NAME, min_size=1, max_size=6), foreign=st.sets(NAME, max_size=2))
def test_writes_go_through_exactly_when_no_target_is_an_index_made_without_our_template(
    osmem: ServerProcess, names: list[str], foreign: set[str]
) -> None:
    """Some indices exist beforehand with another mapping: any batch touching one writes nothing at all."""
    url = f"http://{osmem.address}"

    async def made_elsewhere(admin: Any) -> None:
        for name in foreign:
            await admin.indices.create(index=name, mappings={"properties": {"message": {"type": "keyword"}}})

    async def scenario() -> tuple[Any, ...]:
        result, _, count, admin = await _run(url, "p", names, made_elsewhere)
        await admin.close()
        await _cleanup(url, "p")
        return result, count

    result, count = asyncio.run(scenario())
    if foreign & set(names):
        assert isinstance(result, ForeignIndex) and count == 0
    else:
        assert not isinstance(result, ForeignIndex) and result.indexed == len(names) and count == len(names)

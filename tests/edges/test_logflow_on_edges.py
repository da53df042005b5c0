"""`logflow setup` and a worker run against the Elasticsearch 8 and 9 edges, with no setting changed for the server."""

from __future__ import annotations

import datetime as dt
import fnmatch
import subprocess
import sys
from typing import Any

import orjson
import pytest

from logflow.demo.corpus import ShipRecord
from logflow.demo.run import run_worker_until_caught_up
from logflow.sink.client import make_client
from tests.conftest import Servers, SettingsFactory
from tests.edges.elastic import edge_servers
from tests.support import index_counts, ship, wait, worker_env

MOMENT = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)  # the records' Kafka time


def _records(n: int) -> list[ShipRecord]:
    lines = [
        {"timestamp": f"2026-11-23T10:00:{i % 60:02d}Z", "level": "error" if i % 7 == 0 else "info", "event": f"e{i}"}
        for i in range(n)
    ]
    return [ShipRecord(orjson.dumps(doc), f"k{i}".encode(), (), "svc", "", "", MOMENT) for i, doc in enumerate(lines)]


@pytest.mark.integration
@pytest.mark.parametrize(("version", "run_setup"), [("8.19", True), ("9.2", False)])
def test_setup_and_a_worker_run_index_everything_into_logflow_indices(
    servers: Servers, make_settings: SettingsFactory, version: str, run_setup: bool
) -> None:
    """8.19 with `setup` first; 9.2 without (the worker installs the template itself). No `logs-*-*` is made."""
    with edge_servers() as start:
        edge = start(servers.es, version)
        settings = make_settings(elasticsearch={"hosts": [edge.url]})
        prefix = settings.routing.index_prefix
        if run_setup:
            argv = [sys.executable, "-m", "logflow", "setup", "--delete-after", "7d"]
            proc = subprocess.run(
                argv, env=worker_env(settings), capture_output=True, text=True, timeout=120, check=False
            )
            assert proc.returncode == 0, proc.stderr
            assert f"installed {prefix}-logflow" in proc.stdout

        async def go() -> tuple[dict[str, int], dict[str, Any], list[str]]:
            produced = await ship(settings, _records(60), partitions=2)
            await run_worker_until_caught_up(settings, produced, timeout=120)
            client = make_client(settings.elasticsearch)
            try:
                template = (await client.indices.get_index_template(name=f"{prefix}-logflow")).body
                streams = (await client.indices.get_data_stream(name="*")).body["data_streams"]
            finally:
                await client.close()
            return await index_counts(settings), template, [s["name"] for s in streams]

        counts, template, streams = wait(go())
    assert sum(counts.values()) == 60
    assert counts and all(name.startswith(prefix + "-") and name.endswith("-2026.11.23") for name in counts)
    assert not any(fnmatch.fnmatchcase(name, "logs-*-*") for name in counts)
    composed = template["index_templates"][0]["index_template"]["composed_of"]
    assert composed == ["ecs@mappings", f"{prefix}-logflow-ecs"]
    assert streams == []  # nothing of ours became a data stream

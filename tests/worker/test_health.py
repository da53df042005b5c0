"""The worker's own health endpoints and metrics, on a running worker against real servers."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from logflow.demo.corpus import CorpusGenerator
from logflow.demo.servers import free_port
from logflow.worker.health import Health
from logflow.worker.loop import Worker
from tests.support import running, setup_templates, ship


class TestHealthEndpoints:
    async def test_a_running_worker_is_live_ready_and_counts_what_it_did(self, make_settings: Any) -> None:
        """/healthz answers, /readyz is 200 once partitions are held, /metrics counts every record."""
        port = free_port()
        settings = make_settings(health={"port": port})
        corpus = CorpusGenerator(seed=2, poison=2).records(300)
        await setup_templates(settings)
        produced = await ship(settings, corpus)
        worker = Worker(settings)
        base = f"http://127.0.0.1:{port}"
        async with running(worker):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and worker.stats.committed != produced:  # noqa: ASYNC110
                await asyncio.sleep(0.1)  # polling a counter the worker task updates; no event to wait on
            assert worker.stats.committed == produced
            async with aiohttp.ClientSession() as http:
                async with http.get(f"{base}/healthz") as resp:
                    assert resp.status == 200
                async with http.get(f"{base}/readyz") as resp:
                    assert resp.status == 200, await resp.text()
                async with http.get(f"{base}/metrics") as resp:
                    text = await resp.text()
        assert "logflow_records_received_total 300.0" in text
        assert "logflow_records_indexed_total 298.0" in text
        assert 'logflow_records_dead_lettered_total{error_type="empty",stage="decode"} 1.0' in text
        assert 'logflow_records_dead_lettered_total{error_type="invalid_utf8",stage="decode"} 1.0' in text
        assert "logflow_bulk_request_seconds_count" in text
        topic = settings.kafka.topics[0]
        for (_, partition), offset in produced.items():
            assert f'logflow_committed_offset{{partition="{partition}",topic="{topic}"}} {float(offset)}' in text
            assert f'logflow_consumer_lag_records{{partition="{partition}",topic="{topic}"}} 0.0' in text


class TestReadiness:
    def test_not_ready_without_partitions_or_while_elasticsearch_fails_too_long(self) -> None:
        """Readiness needs partitions and a recent Elasticsearch answer, and drops after long retries."""
        health = Health(not_ready_after_s=5)
        assert health.ready() == (False, "no partitions assigned")
        health.assigned = 3
        assert health.ready()[0] is False
        health.last_es_ok = time.monotonic()
        assert health.ready() == (True, "ok")
        health.stuck_since = time.monotonic() - 10
        ready, reason = health.ready()
        assert ready is False
        assert "retrying Elasticsearch" in reason

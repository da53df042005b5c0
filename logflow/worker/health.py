"""The worker's own health: `/healthz`, `/readyz` and Prometheus `/metrics` on `health.host:port`.

Liveness only says the event loop answers. Readiness says the worker is doing its job: it holds
partitions, Elasticsearch answered its last request, and it has not been stuck retrying longer than
``not_ready_after_s``. Metric names follow `logflow_<thing>_<unit>_total`; labels are bounded
(stage, error type, status code, parser name, partition).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = structlog.get_logger("logflow.worker.health")


@dataclass
class Metrics:
    """One registry per worker process (so tests and multi-process runs never share counters)."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self.received = Counter("logflow_records_received_total", "Records fetched from Kafka.", registry=r)
        self.indexed = Counter("logflow_records_indexed_total", "Documents Elasticsearch acknowledged.", registry=r)
        self.dead_lettered = Counter(
            "logflow_records_dead_lettered_total",
            "Records written to the dead-letter topic.",
            ["stage", "error_type"],
            registry=r,
        )
        self.dropped = Counter("logflow_records_dropped_total", "Records dropped by policy.", ["reason"], registry=r)
        self.retries = Counter(
            "logflow_bulk_retries_total", "Bulk items retried, by HTTP status.", ["status"], registry=r
        )
        self.errors = Counter("logflow_errors_total", "Errors by stage and type.", ["stage", "error_type"], registry=r)
        self.parse_failures = Counter(
            "logflow_parse_failures_total",
            "Lines no parser matched, by dataset (a parser's dataset or generic; any other hint: other).",
            ["parser"],
            registry=r,
        )
        self.bulk_seconds = Histogram(
            "logflow_bulk_request_seconds",
            "Duration of one _bulk request.",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=r,
        )
        self.inflight_records = Gauge("logflow_inflight_records", "Records fetched but not yet committed.", registry=r)
        self.inflight_bytes = Gauge(
            "logflow_inflight_bytes", "Bytes of records fetched but not yet committed.", registry=r
        )
        self.lag = Gauge(
            "logflow_consumer_lag_records", "Highwater minus committed offset.", ["topic", "partition"], registry=r
        )
        self.committed = Gauge("logflow_committed_offset", "Last committed offset.", ["topic", "partition"], registry=r)
        self.paused = Gauge(
            "logflow_partitions_paused", "Partitions paused while Elasticsearch pushes back.", registry=r
        )
        self.abandoned = Counter(
            "logflow_batches_abandoned_total",
            "Batches given up before Elasticsearch acknowledged them (revoked partitions, shutdown deadline).",
            ["reason"],
            registry=r,
        )


@dataclass
class Health:
    """What readiness is decided from; the worker updates it as it goes."""

    assigned: int = 0
    last_es_ok: float = 0.0
    stuck_since: float | None = None
    not_ready_after_s: float = 60.0

    def ready(self) -> tuple[bool, str]:
        if self.assigned == 0:
            return False, "no partitions assigned"
        if self.last_es_ok == 0.0:
            return False, "Elasticsearch has not answered yet"
        if self.stuck_since is not None and time.monotonic() - self.stuck_since > self.not_ready_after_s:
            return False, f"retrying Elasticsearch for {time.monotonic() - self.stuck_since:.0f} s"
        return True, "ok"


class HealthServer:
    def __init__(self, host: str, port: int, metrics: Metrics, health: Health) -> None:
        self.host = host
        self.port = port
        self.metrics = metrics
        self.health = health
        self._runner: web.AppRunner | None = None
        self.bound_port: int | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.bound_port = sockets[0].getsockname()[1] if sockets else self.port
        log.info("Health endpoints listening.", host=self.host, port=self.bound_port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        ok, reason = self.health.ready()
        return web.json_response({"ready": ok, "reason": reason}, status=200 if ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        body = generate_latest(self.metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

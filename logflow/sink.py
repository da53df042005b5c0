"""The Elasticsearch sink: bulk bodies written with orjson bytes, answers read item by item.

Each action carries its own ``_index`` and ``_id``. A bulk response is split per item: 2xx is
done; 429 and 5xx are retried for those items only, with capped exponential backoff and jitter, up
to ``max_item_retries``; any other status (mapping conflicts, bad values) is returned as a failure
for the dead-letter topic. When the whole request fails (server down, timeout), the same batch is
retried until it goes through or the worker is told to abort: that wait *is* the backpressure, as
the worker fetches nothing new meanwhile.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from elastic_transport import ApiError, ConnectionError, ConnectionTimeout, TransportError
from elasticsearch import AsyncElasticsearch

from logflow.config import ElasticsearchConfig
from logflow.errors import DeliveryError
from logflow.record import Action

log = structlog.get_logger("logflow.sink")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_HEADERS = {"content-type": "application/x-ndjson", "accept": "application/json"}


@dataclass(slots=True)
class Failure:
    action: Action
    status: int
    error_type: str
    reason: str


@dataclass(slots=True)
class IndexResult:
    indexed: int = 0
    retried: int = 0
    failures: list[Failure] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


def bulk_body(actions: Sequence[Action]) -> bytes:
    """The `_bulk` NDJSON body. Index names and ids are our own ASCII, so no JSON escaping is needed."""
    parts: list[bytes] = []
    append = parts.append
    for action in actions:
        append(b'{"index":{"_index":"%s","_id":"%s"}}\n' % (action.index.encode(), action.doc_id.encode()))
        append(action.source)
        append(b"\n")
    return b"".join(parts)


def _chunks(actions: Sequence[Action], max_docs: int, max_bytes: int) -> list[list[Action]]:
    chunks: list[list[Action]] = []
    current: list[Action] = []
    size = 0
    for action in actions:
        cost = len(action.source) + len(action.index) + len(action.doc_id) + 40
        if current and (len(current) >= max_docs or size + cost > max_bytes):
            chunks.append(current)
            current, size = [], 0
        current.append(action)
        size += cost
    if current:
        chunks.append(current)
    return chunks


class ElasticsearchSink:
    """Bulk-indexes actions; returns only once every action is acknowledged or definitively failed."""

    def __init__(
        self, client: AsyncElasticsearch, cfg: ElasticsearchConfig, abort: asyncio.Event | None = None
    ) -> None:
        self.client = client
        self.cfg = cfg
        self.abort = abort or asyncio.Event()
        self.bulk_seconds: list[float] = []  # durations of recent bulk requests, for metrics

    def _backoff(self, attempt: int) -> float:
        base = min(self.cfg.retry_backoff_max_s, self.cfg.retry_backoff_s * float(2 ** min(attempt, 16)))
        return base * (0.5 + random.random() / 2)  # jitter: workers that failed together retry apart

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.abort.wait(), timeout=seconds)
        except TimeoutError:
            return
        raise DeliveryError("aborted while waiting to retry Elasticsearch")

    async def _send(self, actions: Sequence[Action]) -> list[dict[str, Any]]:
        """POST one bulk body, retrying whole-request failures until it is answered or we abort."""
        body = bulk_body(actions)
        attempt = 0
        while True:
            if self.abort.is_set():
                raise DeliveryError("aborted before Elasticsearch acknowledged the batch")
            started = time.perf_counter()
            try:
                resp = await self.client.perform_request("POST", "/_bulk", headers=_HEADERS, body=body)
                self.bulk_seconds.append(time.perf_counter() - started)
                items: list[dict[str, Any]] = resp.body["items"]
                return items
            except ApiError as exc:
                status = exc.meta.status
                if status == 413 and len(actions) > 1:
                    half = len(actions) // 2
                    return [*(await self._send(actions[:half])), *(await self._send(actions[half:]))]
                if status not in RETRY_STATUSES:
                    raise DeliveryError(f"Elasticsearch refused the bulk request: {status} {exc}") from exc
                reason = f"HTTP {status}"
            except (ConnectionError, ConnectionTimeout, TransportError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            delay = self._backoff(attempt)
            log.warning(
                "Elasticsearch bulk request failed; retrying.",
                reason=reason[:300],
                attempt=attempt + 1,
                retry_in_s=round(delay, 2),
                documents=len(actions),
            )
            attempt += 1
            await self._sleep(delay)

    async def index(self, actions: Sequence[Action]) -> IndexResult:
        result = IndexResult()
        pending: list[Action] = list(actions)
        attempt = 0
        while pending:
            retry: list[tuple[Action, int, str, str]] = []
            for chunk in _chunks(pending, self.cfg.bulk_max_docs, self.cfg.bulk_max_bytes):
                items = await self._send(chunk)
                for action, item in zip(chunk, items, strict=True):
                    answer = item.get("index") or item.get("create") or next(iter(item.values()))
                    status = int(answer.get("status", 500))
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if 200 <= status < 300:
                        result.indexed += 1
                        continue
                    error = answer.get("error") or {}
                    error_type = str(error.get("type", "http_" + str(status))) if isinstance(error, dict) else "error"
                    reason = _reason(error)
                    if status in RETRY_STATUSES:
                        retry.append((action, status, error_type, reason))
                    else:
                        result.failures.append(Failure(action, status, error_type, reason))
            if not retry:
                break
            attempt += 1
            if attempt > self.cfg.max_item_retries:
                for action, status, error_type, reason in retry:
                    result.failures.append(
                        Failure(action, status, error_type, f"still {status} after {attempt - 1} retries: {reason}")
                    )
                break
            result.retried += len(retry)
            await self._sleep(self._backoff(attempt - 1))
            pending = [entry[0] for entry in retry]
        return result


def _reason(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)[:1000]
    reason = str(error.get("reason", ""))
    caused = error.get("caused_by")
    if isinstance(caused, dict) and caused.get("reason"):
        reason += f" (caused by {caused.get('type')}: {caused.get('reason')})"
    return reason[:1000]

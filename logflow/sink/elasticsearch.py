"""The Elasticsearch sink: bulk bodies written with orjson bytes, answers read item by item.

Each action carries its own ``_index`` and ``_id``. A bulk response is split per item and each
error status is handled by ``elasticsearch.item_status_policy``:

- 2xx (and 409 on a ``create``) is done;
- ``retry`` (default for 429 and 5xx): only those items are sent again, with capped exponential
  backoff and jitter, at most ``max_item_retries`` times, then they go to the dead-letter topic;
- ``dlq`` (default for other 4xx: mapping conflicts, bad values, 413): returned as failures for the
  dead-letter topic;
- ``drop``: counted done and reported as dropped.

When the whole request fails (server down or frozen, timeout, connection reset, 429/5xx for the
whole body), the same chunk is retried until it goes through, the batch is abandoned (rebalance)
or the worker aborts: that wait *is* the backpressure. ``on_pressure(True)`` tells the worker to
pause its partitions meanwhile, ``on_pressure(False)`` that requests go through again. A whole
request refused with 400 or 413 is split in halves until the offending document stands alone and
is dead-lettered with that status.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal, TypeVar

import structlog
from elastic_transport import ApiError, ConnectionError, ConnectionTimeout, TransportError
from elasticsearch import AsyncElasticsearch

from logflow.config import ElasticsearchConfig
from logflow.errors import DeliveryError
from logflow.event import Action
from logflow.sink.base import BatchAbandoned, Failure, IndexResult
from logflow.sink.client import server_of
from logflow.sink.encode import bulk_body
from logflow.sink.guard import IndexGuard
from logflow.sink.server import Server, UnsupportedServer

log = structlog.get_logger("logflow.sink.elasticsearch")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SPLIT_STATUSES = frozenset({400, 413})  # a whole request refused for its content: isolate the culprit
_HEADERS = {"content-type": "application/x-ndjson", "accept": "application/json"}
# Only what the per-item accounting reads: each item's status and error. Elasticsearch otherwise answers
# ~150 bytes per document (_index, _id, _version, _shards, _seq_no...) that the worker would decode for
# nothing: 2 % of its CPU at 5,000 documents per request.
BULK_PARAMS = {"filter_path": "items.*.status,items.*.error"}
TASK_PARAMS = {"actions": "indices:data/write/bulk*", "detailed": "true", "group_by": "none"}

Policy = Literal["retry", "dlq", "drop"]
T = TypeVar("T")


class StatusPolicy:
    """``item_status_policy`` compiled once: status code -> retry | dlq | drop."""

    def __init__(self, entries: Sequence[str]) -> None:
        self.exact: dict[int, Policy] = {}
        self.classes: dict[int, Policy] = {4: "dlq", 5: "retry"}
        for entry in entries:
            status, _, action = entry.partition("=")
            status = status.strip().lower()
            policy: Policy = action.strip()  # type: ignore[assignment]  # validated by the config model
            if status.endswith("xx"):
                self.classes[int(status[0])] = policy
            else:
                self.exact[int(status)] = policy
        self.exact.setdefault(429, "retry")  # a class rule such as "4xx=dlq" must not dead-letter throttling

    def __call__(self, status: int) -> Policy:
        policy = self.exact.get(status)
        if policy is not None:
            return policy
        return self.classes.get(status // 100, "dlq")


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


def _synthetic_item(status: int, error_type: str, reason: str) -> dict[str, Any]:
    return {"index": {"status": status, "error": {"type": error_type, "reason": reason}}}


class ElasticsearchSink:
    """Bulk-indexes actions; returns only once every action is acknowledged or definitively failed."""

    def __init__(
        self,
        client: AsyncElasticsearch,
        cfg: ElasticsearchConfig,
        abort: asyncio.Event | None = None,
        on_state: Callable[[bool], None] | None = None,
        on_pressure: Callable[[bool], None] | None = None,
        own_client: bool = False,
        prefix: str | None = None,
        data_stream: bool = False,
    ) -> None:
        self.client = client
        self.own_client = own_client  # close it with the sink
        self.cfg = cfg
        self.abort = abort or asyncio.Event()  # set: give up at once (shutdown deadline, second signal)
        self.abandon = asyncio.Event()  # set: give up on the current batch only (revoked partitions)
        self.on_state = on_state  # told True when Elasticsearch answers, False when a request fails
        self.on_pressure = on_pressure  # told True while waiting to retry, False once requests go through
        self.policy = StatusPolicy(cfg.item_status_policy)
        self.bulk_seconds: list[float] = []  # durations of recent bulk requests, for metrics
        self._pressure = False
        self.server: Server | None = None  # what GET / said, once start() reached it
        # With the routing prefix: each new index is checked (and our template installed) before the first write.
        self.guard = IndexGuard(client, prefix) if prefix is not None and not data_stream else None
        self.op = b"create" if data_stream else b"index"  # data streams take only `create`

    async def start(self) -> None:
        """Ask the server once at start-up: a wrong URL or credentials show at once, not at the first batch.

        ``GET /`` also names the server (``sink.client``): one logflow cannot write to stops the worker here.
        """
        try:
            self.server = await server_of(self.client)
        except UnsupportedServer as exc:
            log.error("The search server is not one logflow can write to.", error=str(exc))
            raise
        except Exception as exc:  # the worker still starts: the sink retries until Elasticsearch answers
            log.warning("Elasticsearch did not answer at start-up; will retry.", error=str(exc)[:300])
            return
        if self.on_state is not None:
            self.on_state(True)

    async def close(self) -> None:
        if self.own_client:
            await self.client.close()

    def _set_pressure(self, on: bool) -> None:
        if on != self._pressure:
            self._pressure = on
            if self.on_pressure is not None:
                self.on_pressure(on)

    def _backoff(self, attempt: int) -> float:
        base = min(self.cfg.retry_backoff_max_s, self.cfg.retry_backoff_s * float(2 ** min(attempt, 16)))
        return base * (0.5 + random.random() / 2)  # jitter: workers that failed together retry apart

    def _check(self) -> None:
        if self.abort.is_set():
            raise BatchAbandoned("aborted before Elasticsearch acknowledged the batch")
        if self.abandon.is_set():
            raise BatchAbandoned("batch abandoned (partitions revoked) before Elasticsearch acknowledged it")

    async def _interruptible(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable`` unless abort or abandon is signalled first (then cancel it and raise)."""
        try:
            self._check()
        except BaseException:  # given up before it started: the coroutine is closed, never left unawaited
            if asyncio.iscoroutine(awaitable):
                awaitable.close()
            raise
        work = asyncio.ensure_future(awaitable)
        stops = [asyncio.ensure_future(self.abort.wait()), asyncio.ensure_future(self.abandon.wait())]
        try:
            await asyncio.wait([work, *stops], return_when=asyncio.FIRST_COMPLETED)
        finally:
            for stop in stops:
                stop.cancel()
        if work.done():
            return work.result()
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):  # the request is moot: we are giving up
            await work
        self._check()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _sleep(self, seconds: float) -> None:
        await self._interruptible(asyncio.sleep(seconds))

    def _timeout(self, timeouts: int) -> float:
        """The request timeout after ``timeouts`` timed-out sends of the same body: doubled each time, capped."""
        grown = self.cfg.request_timeout_s * float(2 ** min(timeouts, 16))
        return min(max(self.cfg.bulk_timeout_max_s, self.cfg.request_timeout_s), grown)

    async def _settle(self, opaque: str, timeout: float) -> None:
        """After a timed-out bulk request: wait until the server is no longer working on it (bounded).

        Elasticsearch (and OpenSearch) list running bulk requests in ``GET _tasks`` with the request's
        ``X-Opaque-Id``: while ours is there, sending the body again would only queue a second copy.
        Without a tasks API (osmem), or when it does not answer, the wait ends when the server answers
        at all. Either way it ends after ``bulk_timeout_max_s``: then the body is sent again, which is
        safe because every action carries its record's ``_id`` (a copy overwrites, never doubles).
        """
        deadline = time.monotonic() + self.cfg.bulk_timeout_max_s
        client = self.client.options(request_timeout=timeout)
        pause = self.cfg.retry_backoff_s
        while time.monotonic() < deadline:
            try:
                answer = await self._interruptible(
                    client.perform_request("GET", "/_tasks", params=TASK_PARAMS, headers={"accept": "application/json"})
                )
            except ApiError:  # no tasks API here: the server answered, so it is awake
                return
            except (ConnectionError, ConnectionTimeout, TransportError):
                answer = None  # still unreachable or frozen: keep waiting
            if answer is not None and not _running(answer.body, opaque):
                return
            await self._sleep(pause)
            pause = min(pause * 2, self.cfg.retry_backoff_max_s)

    async def _send(self, actions: Sequence[Action]) -> list[dict[str, Any]]:
        """POST one bulk body, retrying whole-request failures until it is answered, abandoned or aborted.

        A timed-out request may still be running on the server: before the same body goes again the
        sink waits until it is not (``_settle``), and each re-send after a timeout waits twice as long
        (``_timeout``), so a stalled server gets a handful of copies, not one per retry.
        """
        body = bulk_body(actions, self.op)
        attempt = 0
        timeouts = 0
        headers = {**_HEADERS, "x-opaque-id": f"logflow-bulk-{uuid.uuid4().hex}"}
        while True:
            started = time.perf_counter()
            timeout = self._timeout(timeouts)
            client = self.client.options(request_timeout=timeout) if timeouts else self.client
            try:
                resp = await self._interruptible(
                    client.perform_request("POST", "/_bulk", params=BULK_PARAMS, headers=headers, body=body)
                )
                self.bulk_seconds.append(time.perf_counter() - started)
                if self.on_state is not None:
                    self.on_state(True)
                items: list[dict[str, Any]] = resp.body["items"]
                if len(items) != len(actions):
                    raise DeliveryError(f"bulk response has {len(items)} items for {len(actions)} documents")
                return items
            except ApiError as exc:
                status = exc.meta.status
                if status in SPLIT_STATUSES:
                    if self.on_state is not None:
                        self.on_state(True)
                    if len(actions) > 1:
                        half = len(actions) // 2
                        return [*(await self._send(actions[:half])), *(await self._send(actions[half:]))]
                    kind = "request_entity_too_large" if status == 413 else "bulk_request_rejected"
                    return [_synthetic_item(status, kind, f"the whole bulk request was refused: {str(exc)[:500]}")]
                if status not in RETRY_STATUSES:
                    raise DeliveryError(
                        f"Elasticsearch refused the bulk request with HTTP {status}: {str(exc)[:300]} "
                        "(check elasticsearch.hosts and credentials)"
                    ) from exc
                reason = f"HTTP {status}"
            except ConnectionTimeout as exc:
                reason = f"{type(exc).__name__} after {timeout:g} s: {exc}"
                timeouts += 1
                self._set_pressure(True)
                await self._settle(headers["x-opaque-id"], timeout)
            except (ConnectionError, TransportError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            if self.on_state is not None:
                self.on_state(False)
            self._set_pressure(True)
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

    async def _prepare(self, names: set[str]) -> None:
        """The guard's checks, retried like a bulk request while the server is unreachable or busy."""
        assert self.guard is not None
        attempt = 0
        while True:
            try:
                await self._interruptible(self.guard.prepare(names))
                return
            except ApiError as exc:
                if exc.meta.status not in RETRY_STATUSES:
                    raise DeliveryError(f"preparing indices {sorted(names)[:3]} failed: {str(exc)[:300]}") from exc
                reason = f"HTTP {exc.meta.status}"
            except (ConnectionError, ConnectionTimeout, TransportError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            self._set_pressure(True)
            delay = self._backoff(attempt)
            log.warning("Preparing indices failed; retrying.", reason=reason[:300], retry_in_s=round(delay, 2))
            attempt += 1
            await self._sleep(delay)

    async def index(
        self, actions: Sequence[Action], on_done: Callable[[list[Action]], None] | None = None
    ) -> IndexResult:
        """Index ``actions``; ``on_done`` hears about acknowledged (or dropped) actions chunk by chunk.

        Returns when every action is done or failed for good (``result.failures``, for the
        dead-letter topic); raises ``BatchAbandoned`` when told to give up, ``DeliveryError`` when
        Elasticsearch refuses the requests themselves (authentication, wrong URL).
        """
        result = IndexResult()
        if self.guard is not None:
            await self._prepare({action.index for action in actions})
        pending: list[Action] = list(actions)
        attempt = 0
        policy = self.policy
        while pending:
            retry: list[tuple[Action, int, str, str]] = []
            for chunk in _chunks(pending, self.cfg.bulk_max_docs, self.cfg.bulk_max_bytes):
                items = await self._send(chunk)
                done: list[Action] = []
                for action, item in zip(chunk, items, strict=True):
                    op, answer = next(iter(item.items()))
                    status = int(answer.get("status", 500))
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    if 200 <= status < 300 or (status == 409 and op == "create"):
                        result.indexed += 1
                        done.append(action)
                        continue
                    error = answer.get("error") or {}
                    error_type = str(error.get("type", "http_" + str(status))) if isinstance(error, dict) else "error"
                    reason = _reason(error)
                    decision = policy(status)
                    if decision == "retry":
                        retry.append((action, status, error_type, reason))
                    elif decision == "drop":
                        result.dropped.append(Failure(action, status, error_type, reason))
                        done.append(action)
                    else:
                        result.failures.append(Failure(action, status, error_type, reason))
                if done and on_done is not None:
                    on_done(done)
            if not retry:
                self._set_pressure(False)
                break
            attempt += 1
            if attempt > self.cfg.max_item_retries:
                for action, status, error_type, reason in retry:
                    result.failures.append(
                        Failure(action, status, error_type, f"still {status} after {attempt - 1} retries: {reason}")
                    )
                self._set_pressure(False)
                break
            result.retried += len(retry)
            self._set_pressure(True)
            await self._sleep(self._backoff(attempt - 1))
            pending = [entry[0] for entry in retry]
        return result


def _running(tasks: Any, opaque: str) -> bool:
    """Whether ``GET _tasks?group_by=none`` lists a task started by the request with ``X-Opaque-Id: opaque``."""
    listed = tasks.get("tasks") if isinstance(tasks, dict) else None
    if not isinstance(listed, list):
        return False
    return any(isinstance(t, dict) and (t.get("headers") or {}).get("X-Opaque-Id") == opaque for t in listed)


def _reason(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)[:1000]
    reason = str(error.get("reason", ""))
    caused = error.get("caused_by")
    if isinstance(caused, dict) and caused.get("reason"):
        reason += f" (caused by {caused.get('type')}: {caused.get('reason')})"
    return reason[:1000]

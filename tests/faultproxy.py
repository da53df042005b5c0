"""A fault-injecting HTTP proxy in front of the search server (test code, real sockets).

Every request is forwarded to the real server except the ``_bulk`` requests a fault claims. Faults
are consumed in order, one per ``_bulk`` request, then the proxy passes everything through:

- ``Fault.status(429)``: answer the whole request with that status, forward nothing;
- ``Fault.item_status(429, every=3)``: forward all but every 3rd document; answer those with a
  per-item 429 inside a 200 response (so nothing reaches the server unless the worker retries it);
- ``Fault.slow(seconds)``: wait, then forward (longer than the client's timeout: a timeout);
- ``Fault.reset(forward=True)``: forward, then cut the connection without an answer (the server
  may have indexed the documents; the worker cannot know);
- ``Fault.reject_items(marker, status)``: answer documents whose source contains ``marker`` with
  a per-item ``status`` (a mapping-like rejection) every time, forwarding the rest.

``counts`` records what was injected, so a test can show the faults really happened.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
from aiohttp import web


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 0
    every: int = 0
    seconds: float = 0.0
    forward: bool = True
    marker: bytes = b""

    @classmethod
    def status_of(cls, status: int) -> Fault:
        return cls("status", status=status)

    @classmethod
    def item_status(cls, status: int, every: int) -> Fault:
        return cls("items", status=status, every=every)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", seconds=seconds)

    @classmethod
    def reset(cls, forward: bool = True) -> Fault:
        return cls("reset", forward=forward)


_HOP = {"content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"}
_PRODUCT = {"x-elastic-product": "Elasticsearch"}  # what the official client checks on every answer


def _pairs(body: bytes) -> list[tuple[bytes, bytes]]:
    lines = body.split(b"\n")
    return [(lines[i], lines[i + 1]) for i in range(0, len(lines) - 1, 2) if lines[i]]


def _join(pairs: list[tuple[bytes, bytes]]) -> bytes:
    return b"".join(a + b"\n" + s + b"\n" for a, s in pairs)


def _item(status: int, error_type: str, reason: str) -> dict[str, Any]:
    return {"index": {"status": status, "error": {"type": error_type, "reason": reason}}}


class FaultProxy:
    def __init__(
        self, upstream: str, faults: list[Fault] | None = None, reject_marker: bytes = b"", reject_status: int = 400
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults = list(faults or [])
        self.reject_marker = reject_marker
        self.reject_status = reject_status
        self.counts: Counter[str] = Counter()
        self.bulk_requests = 0
        self.bulk_filters: Counter[str | None] = Counter()  # the `filter_path` each bulk request asked for
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    async def __aenter__(self) -> FaultProxy:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request, body: bytes) -> tuple[int, bytes, dict[str, str]]:
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("content-type", "accept")}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body or None, headers=headers
        ) as resp:
            kept = {k: v for k, v in resp.headers.items() if k.lower() not in _HOP}
            return resp.status, await resp.read(), kept

    async def _bulk_partial(
        self, request: web.Request, pairs: list[tuple[bytes, bytes]], refuse: list[bool], status: int, kind: str
    ) -> web.Response:
        """Forward the documents not refused; answer the refused ones with a per-item ``status``."""
        kept = [p for p, r in zip(pairs, refuse, strict=True) if not r]
        upstream_items: list[Any] = []
        if kept:
            code, raw, upstream_headers = await self._forward(request, _join(kept))
            if code != 200:
                return web.Response(status=code, body=raw, headers=upstream_headers)
            upstream_items = orjson.loads(raw)["items"]
        answers = iter(upstream_items)
        items = [_item(status, kind, f"injected by the fault proxy ({status})") if r else next(answers) for r in refuse]
        self.counts[f"item_{status}"] += sum(refuse)
        errors = any(r for r in refuse) or any(next(iter(i.values())).get("error") for i in upstream_items)
        return web.json_response({"took": 1, "errors": errors, "items": items}, headers=_PRODUCT)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        if not request.path.endswith("/_bulk"):
            code, raw, headers = await self._forward(request, body)
            return web.Response(status=code, body=raw, headers=headers)
        self.bulk_requests += 1
        self.bulk_filters[request.query.get("filter_path")] += 1
        pairs = _pairs(body)
        fault = self.faults.pop(0) if self.faults else None
        if fault is not None and fault.kind == "status":
            self.counts[f"status_{fault.status}"] += 1
            error = {"error": {"type": "injected", "reason": "fault proxy"}, "status": fault.status}
            return web.json_response(error, status=fault.status, headers=_PRODUCT)
        if fault is not None and fault.kind == "items":
            refuse = [i % fault.every == 0 for i in range(len(pairs))]
            return await self._bulk_partial(request, pairs, refuse, fault.status, "es_rejected_execution_exception")
        if fault is not None and fault.kind == "slow":
            self.counts["slow"] += 1
            await asyncio.sleep(fault.seconds)
        if fault is not None and fault.kind == "reset":
            self.counts["reset"] += 1
            if fault.forward:
                await self._forward(request, body)
            assert request.transport is not None
            request.transport.abort()  # no answer at all: the client sees the connection drop
            raise asyncio.CancelledError
        if self.reject_marker:
            refuse = [self.reject_marker in source for _, source in pairs]
            if any(refuse):
                return await self._bulk_partial(request, pairs, refuse, self.reject_status, "mapper_parsing_exception")
        code, raw, headers = await self._forward(request, body)
        return web.Response(status=code, body=raw, headers=headers)

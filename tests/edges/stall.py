"""A search server that stalls: a proxy in front of a real one that holds requests, then lets them all through.

What a server under a long GC pause or a full write queue does to a client whose timeout is shorter: the
client gives up on a request the server will still carry out. ``Stall(upstream, seconds)`` holds every
``_bulk`` request that arrives in the first ``seconds`` after ``start()``, then forwards each of them, even
those whose client has gone (aiohttp does not cancel a handler when its client disconnects), so
``bulk_forwarded`` counts the writes the server really received. ``freeze_all`` holds every request (a
frozen node); ``tasks`` answers ``GET /_tasks`` with the bulk requests it holds, by their ``X-Opaque-Id``,
as Elasticsearch's task management API lists running requests (``detailed``, ``group_by=none``).
"""

from __future__ import annotations

import asyncio
import threading
import time

import aiohttp
from aiohttp import web

_KEEP = ("content-type", "accept", "x-opaque-id")


class Stall:
    def __init__(self, upstream: str, seconds: float, freeze_all: bool = False, tasks: bool = False) -> None:
        self.upstream = upstream.rstrip("/")
        self.seconds = seconds
        self.freeze_all = freeze_all
        self.tasks = tasks
        self.bulk_received = 0
        self.bulk_forwarded = 0
        self.held: dict[int, str] = {}  # running bulk requests: serial -> X-Opaque-Id
        self.until = 0.0
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def _hold(self) -> None:
        await asyncio.sleep(max(0.0, self.until - time.monotonic()))

    async def _handle(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        bulk = request.path.endswith("/_bulk")
        if bulk:
            self.bulk_received += 1
        if self.tasks and request.path == "/_tasks":
            listed = [{"action": "indices:data/write/bulk", "headers": {"X-Opaque-Id": o}} for o in self.held.values()]
            return web.json_response({"tasks": listed}, headers={"X-Elastic-Product": "Elasticsearch"})
        serial = self.bulk_received
        if bulk or self.freeze_all:
            if bulk:
                self.held[serial] = request.headers.get("X-Opaque-Id", "")
            try:
                await self._hold()
            finally:
                self.held.pop(serial, None)
        headers = {k: v for k, v in request.headers.items() if k.lower() in _KEEP}
        async with self._session.request(
            request.method, self.upstream + request.path_qs, data=body or None, headers=headers
        ) as resp:
            data = await resp.read()
            if bulk:
                self.bulk_forwarded += 1
            kept = {k: v for k, v in resp.headers.items() if k.lower() in ("content-type", "x-elastic-product")}
            return web.Response(status=resp.status, body=data, headers=kept)

    async def _start(self) -> str:
        self._session = aiohttp.ClientSession()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    def start(self) -> None:
        """Begin the stall now (requests before this pass straight through)."""
        self.until = time.monotonic() + self.seconds

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def __enter__(self) -> Stall:
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

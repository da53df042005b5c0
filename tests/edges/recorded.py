"""A server answering ``GET /`` with a recording (``tests/data/elastic/root/*.json``): servers we cannot run.

OpenSearch 2.6 and Elasticsearch 7.17 are not in the suite; what logflow decides from their ``GET /`` is
tested against their recorded answers, served with the recorded status and headers. Every other request
is answered ``200 {"accept": ..., "content_type": ...}`` (what the request carried), with the recording's
headers, so a test sees the media types a client sent after it read ``GET /``. For a recording whose body
says ``distribution: opensearch`` a versioned media type is answered 406, as osmem answers it
(``errors/osmem-compat-content-type-406.json``; OpenSearch's own answer is not established).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from aiohttp import web

from tests.edges.elastic import recorded


class RecordedRoot:
    """``with RecordedRoot("root/opensearch-2.6.0.json") as server:`` -> ``server.url``, ``server.seen``."""

    def __init__(self, recording: str) -> None:
        self.answer = recorded(recording)
        self.seen: list[tuple[str, str, str | None, str | None]] = []  # method, path, Accept, Content-Type
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        accept, content_type = request.headers.get("Accept"), request.headers.get("Content-Type")
        await request.read()
        self.seen.append((request.method, request.path, accept, content_type))
        headers = {k: v for k, v in self.answer["headers"].items() if k.lower() != "content-type"}
        opensearch = self.answer["body"].get("version", {}).get("distribution") == "opensearch"
        if opensearch and any("compatible-with" in (h or "") for h in (accept, content_type)):
            body = {"error": "Content-Type header [application/vnd.elasticsearch+json] is not supported", "status": 406}
            return web.json_response(body, status=406, headers=headers)
        if request.path == "/":
            return web.json_response(self.answer["body"], status=self.answer["status"], headers=headers)
        echo: dict[str, Any] = {"accept": accept, "content_type": content_type}
        return web.json_response(echo, headers=headers)

    async def _start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    def __enter__(self) -> RecordedRoot:
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

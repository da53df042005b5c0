"""A bulk endpoint that acknowledges every item without storing it: measures the worker, not the sink.

    python bench/ack_server.py [--port P]

Answers `GET /` like Elasticsearch (so the client's product check passes), and `POST /_bulk` with
one created item per action line (filtered by `filter_path` as Elasticsearch does). It counts
documents and bytes received and serves them at `GET /_stats`. Runs in its own process so it does
not share the worker's core.
"""

from __future__ import annotations

import argparse

import orjson
from aiohttp import web

_PRODUCT = {"x-elastic-product": "Elasticsearch"}
_ITEM = b'{"index":{"_index":"bench","_id":"x","_version":1,"result":"created","status":201}}'
_FILTERED_ITEM = b'{"index":{"status":201}}'  # what Elasticsearch sends for filter_path=items.*.status


def bulk_answer(request: web.Request, count: int) -> bytes:
    """``count`` created items, filtered as Elasticsearch filters them when the request asks (`filter_path`)."""
    if "items.*.status" in request.query.get("filter_path", ""):
        return b'{"items":[' + b",".join([_FILTERED_ITEM] * count) + b"]}"
    return b'{"took":1,"errors":false,"items":[' + b",".join([_ITEM] * count) + b"]}"


class AckServer:
    def __init__(self) -> None:
        self.documents = 0
        self.bytes = 0
        self.requests = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=256 * 1024 * 1024)
        app.router.add_get("/", self._info)
        app.router.add_get("/_stats", self._stats)
        app.router.add_post("/_bulk", self._bulk)
        app.router.add_route("*", "/{tail:.*}", self._other)
        return app

    async def _info(self, request: web.Request) -> web.Response:
        body = {"name": "ack", "cluster_name": "bench", "version": {"number": "8.15.0"}}
        return web.json_response(body, headers=_PRODUCT)

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response({"documents": self.documents, "bytes": self.bytes, "requests": self.requests})

    async def _bulk(self, request: web.Request) -> web.Response:
        body = await request.read()
        count = body.count(b"\n") // 2
        self.documents += count
        self.bytes += len(body)
        self.requests += 1
        return web.Response(body=bulk_answer(request, count), content_type="application/json", headers=_PRODUCT)

    async def _other(self, request: web.Request) -> web.Response:
        return web.Response(
            body=orjson.dumps({"acknowledged": True}), content_type="application/json", headers=_PRODUCT
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=9299)
    args = parser.parse_args()
    web.run_app(AckServer().app(), host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()

"""The Elasticsearch client, built from config, speaking the wire format of the server that answers.

The first request a client makes is preceded by one ``GET /`` with plain ``application/json``
(which every supported server and Elasticsearch 7 accept); ``sink.server.identify`` reads it, and
from then on every request's ``Accept``/``Content-Type`` carry ``compatible-with=8`` for
Elasticsearch 8.x, ``compatible-with=9`` for 9.x, and the plain types for OpenSearch and osmem,
whichever client major is installed. An unsupported server fails that first request with
``UnsupportedServer`` naming what answered. ``elasticsearch.plain_media_types`` overrides the
choice (``true``: always plain, ``false``: always the client's own ``compatible-with``) and skips
the check, for a proxy that hides ``GET /``.

It is done in a ``Transport`` subclass (``transport_class`` is public client API), so every caller
of ``make_client`` gets it without an extra step, and no private module of the client is imported.
OpenSearch answers without ``X-Elastic-Product``, which the official client refuses on any 2xx
answer; once ``GET /`` identified OpenSearch, the transport marks its answers with that header.

Retries are ours (see ``sink``), so the transport's own are off. Responses are read with orjson:
a 5,000-item bulk answer took 4 % of a worker's CPU through the stdlib ``json`` decoder.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Mapping
from typing import Any, Literal

import orjson
from elastic_transport import AsyncTransport, HttpHeaders, TransportApiResponse
from elasticsearch import AsyncElasticsearch
from elasticsearch.serializer import JsonSerializer

from logflow.config import ElasticsearchConfig
from logflow.sink.server import Server, identify

MediaChoice = Literal["auto", "plain", "client"]
_VERSIONED = re.compile(r"application/vnd\.elasticsearch\+([\w.-]+);\s*compatible-with=\d+")
_PLAIN = re.compile(r"application/(json|x-ndjson)\b")
_ROOT_HEADERS = {"accept": "application/json"}


def media_headers(headers: Mapping[str, Any], compatible_with: int | None) -> dict[str, Any]:
    """``headers`` with Accept and Content-Type in the chosen form: ``compatible-with=N``, or plain for None."""
    out = dict(headers)
    for name in list(out):
        if name.lower() not in ("accept", "content-type") or not isinstance(out[name], str):
            continue
        plain = _VERSIONED.sub(r"application/\1", out[name])
        if compatible_with is not None:
            plain = _PLAIN.sub(rf"application/vnd.elasticsearch+\1; compatible-with={compatible_with}", plain)
        out[name] = plain
    return out


class WireTransport(AsyncTransport):
    """An ``AsyncTransport`` that learns the server from ``GET /`` once, then speaks its media types."""

    media: MediaChoice = "auto"
    server: Server | None = None
    _lock: asyncio.Lock | None = None

    async def identify(self) -> Server:
        """The server behind this client, asked once (``UnsupportedServer`` when logflow cannot write to it)."""
        if self.server is not None:
            return self.server
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.server is None:
                meta, body = await super().perform_request("GET", "/", headers=_ROOT_HEADERS)
                where = f"{meta.node.scheme}://{meta.node.host}:{meta.node.port}"
                if self.media == "auto":
                    self.server = identify(body, meta.headers, where)
                else:  # the override names the wire format; a server we cannot name gets the portable mappings
                    try:
                        self.server = identify(body, meta.headers, where)
                    except Exception:
                        self.server = Server("opensearch", "unknown", 0)
            return self.server

    async def perform_request(  # type: ignore[override]  # the same keywords, passed through
        self, method: str, target: str, *, body: Any = None, headers: Any = None, **kwargs: Any
    ) -> TransportApiResponse:
        server: Server | None = None
        compatible_with: int | None = None
        if self.media == "auto":
            server = await self.identify()
            compatible_with = server.compatible_with
        elif self.media == "plain":
            server = self.server
        else:
            return await super().perform_request(method, target, body=body, headers=headers or {}, **kwargs)
        sent = media_headers(headers or {}, compatible_with)
        response = await super().perform_request(method, target, body=body, headers=sent, **kwargs)
        meta = response.meta
        if (server is None or server.product == "opensearch") and "x-elastic-product" not in meta.headers:
            marked = HttpHeaders(dict(meta.headers.items()))
            marked["x-elastic-product"] = "Elasticsearch"
            return TransportApiResponse(dataclasses.replace(meta, headers=marked), response.body)
        return response


class FastJsonSerializer(JsonSerializer):
    """orjson for response bodies, the stdlib decoder for what orjson refuses.

    orjson reads integers past 64 bits as floats; the documents logflow writes never hold one (orjson
    cannot write them either).
    """

    def loads(self, data: bytes) -> Any:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            return json.loads(data)


def media_choice(setting: bool | str) -> MediaChoice:
    """``plain_media_types``: ``auto`` (from ``GET /``), ``true`` (plain), ``false`` (the client's own)."""
    if setting == "auto":
        return "auto"
    return "plain" if setting is True else "client"


def make_client(cfg: ElasticsearchConfig) -> AsyncElasticsearch:
    kwargs: dict[str, Any] = {
        "request_timeout": cfg.request_timeout_s,
        "max_retries": 0,
        "retry_on_timeout": False,
        "verify_certs": cfg.verify_certs,
        "transport_class": WireTransport,
        # Also used for the compatibility media type (the client maps it from the plain one).
        "serializers": {JsonSerializer.mimetype: FastJsonSerializer()},
    }
    if cfg.ca_certs is not None:
        kwargs["ca_certs"] = str(cfg.ca_certs)
    if cfg.api_key is not None:
        kwargs["api_key"] = cfg.api_key.get_secret_value()
    elif cfg.username is not None:
        password = cfg.password.get_secret_value() if cfg.password is not None else ""
        kwargs["basic_auth"] = (cfg.username, password)
    client = AsyncElasticsearch(cfg.hosts, **kwargs)
    transport = client.transport
    assert isinstance(transport, WireTransport)
    transport.media = media_choice(cfg.plain_media_types)
    return client


async def server_of(client: AsyncElasticsearch) -> Server:
    """The server behind ``client`` (asked once per client made by ``make_client``)."""
    transport = client.transport
    if isinstance(transport, WireTransport):
        return await transport.identify()
    response = await client.perform_request("GET", "/", headers=_ROOT_HEADERS)
    return identify(response.body, response.meta.headers)

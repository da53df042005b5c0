"""The Elasticsearch client, built from config, with the one switch osmem/OpenSearch need.

The official client (8.x/9.x) sends ``application/vnd.elasticsearch+json; compatible-with=N``;
servers that are not Elasticsearch answer that with 406. ``elasticsearch.plain_media_types``
swaps in a node class that sends plain ``application/json`` / ``application/x-ndjson`` instead.
Retries are ours (see ``sink``), so the transport's own are off. Responses are read with orjson:
a 5,000-item bulk answer took 4 % of a worker's CPU through the stdlib ``json`` decoder.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from elastic_transport import AiohttpHttpNode, HttpHeaders
from elastic_transport._node import NodeApiResponse
from elasticsearch import AsyncElasticsearch
from elasticsearch.serializer import JsonSerializer

from logflow.config import ElasticsearchConfig

_COMPAT = re.compile(r"application/vnd\.elasticsearch\+([\w-]+);\s*compatible-with=\d+")


class PlainMediaTypeNode(AiohttpHttpNode):
    """An aiohttp node that rewrites compatibility media types to their plain forms."""

    async def perform_request(  # type: ignore[override]
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        **kwargs: Any,
    ) -> NodeApiResponse:
        if headers:
            headers = headers.copy()
            for name in ("accept", "content-type"):
                value = headers.get(name)
                if value and "compatible-with" in value:
                    headers[name] = _COMPAT.sub(r"application/\1", value)
        return await super().perform_request(method, target, body, headers, **kwargs)


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


def make_client(cfg: ElasticsearchConfig) -> AsyncElasticsearch:
    kwargs: dict[str, Any] = {
        "request_timeout": cfg.request_timeout_s,
        "max_retries": 0,
        "retry_on_timeout": False,
        "verify_certs": cfg.verify_certs,
        # Also used for the compatibility media type (the client maps it from the plain one).
        "serializers": {JsonSerializer.mimetype: FastJsonSerializer()},
    }
    if cfg.plain_media_types:
        kwargs["node_class"] = PlainMediaTypeNode
    if cfg.ca_certs is not None:
        kwargs["ca_certs"] = str(cfg.ca_certs)
    if cfg.api_key is not None:
        kwargs["api_key"] = cfg.api_key.get_secret_value()
    elif cfg.username is not None:
        password = cfg.password.get_secret_value() if cfg.password is not None else ""
        kwargs["basic_auth"] = (cfg.username, password)
    return AsyncElasticsearch(cfg.hosts, **kwargs)

"""The Elasticsearch client, built from config, with the one switch osmem/OpenSearch need.

The official client (8.x/9.x) sends ``application/vnd.elasticsearch+json; compatible-with=N``;
servers that are not Elasticsearch answer that with 406. ``elasticsearch.plain_media_types``
swaps in a node class that sends plain ``application/json`` / ``application/x-ndjson`` instead.
Retries are ours (see ``sink``), so the transport's own are off.
"""

from __future__ import annotations

import re
from typing import Any

from elastic_transport import AiohttpHttpNode, HttpHeaders
from elastic_transport._node import NodeApiResponse
from elasticsearch import AsyncElasticsearch

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


def make_client(cfg: ElasticsearchConfig) -> AsyncElasticsearch:
    kwargs: dict[str, Any] = {
        "request_timeout": cfg.request_timeout_s,
        "max_retries": 0,
        "retry_on_timeout": False,
        "verify_certs": cfg.verify_certs,
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

"""Index templates for `logflow setup`: ECS mappings so Kibana sees the right types from day one.

A component template holds the mappings; a composable index template applies it to
``{prefix}-*``. Its priority (500) is above Elasticsearch's built-in ``logs-*-*`` data-stream
template (100), so our daily indices stay ordinary indices that accept ``index`` with our ``_id``s.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import AsyncElasticsearch

KEYWORD = {"type": "keyword", "ignore_above": 1024}
TEXT_WITH_KEYWORD = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}}
TEMPLATE_PRIORITY = 500

# Flat dotted ECS names -> mapping; expanded into nested `properties` below.
FIELDS: dict[str, dict[str, Any]] = {
    "@timestamp": {"type": "date"},
    "message": {"type": "text"},
    "tags": KEYWORD,
    "labels": {"type": "object"},
    "log.level": KEYWORD,
    "log.logger": KEYWORD,
    "log.file.path": KEYWORD,
    "log.flags": KEYWORD,
    "log.syslog.facility.code": {"type": "long"},
    "log.syslog.priority": {"type": "long"},
    "service.name": KEYWORD,
    "service.environment": KEYWORD,
    "service.version": KEYWORD,
    "host.name": KEYWORD,
    "host.hostname": KEYWORD,
    "agent.type": KEYWORD,
    "agent.name": KEYWORD,
    "agent.version": KEYWORD,
    "process.name": KEYWORD,
    "process.pid": {"type": "long"},
    "process.thread.name": KEYWORD,
    "event.dataset": KEYWORD,
    "event.kind": KEYWORD,
    "event.category": KEYWORD,
    "event.action": KEYWORD,
    "event.outcome": KEYWORD,
    "event.reason": KEYWORD,
    "event.duration": {"type": "long"},
    "event.ingested": {"type": "date"},
    "event.original": {"type": "keyword", "index": False, "doc_values": False},
    "trace.id": KEYWORD,
    "span.id": KEYWORD,
    "transaction.id": KEYWORD,
    "error.type": KEYWORD,
    "error.message": {"type": "text"},
    "error.stack_trace": {"type": "text"},
    "http.request.id": KEYWORD,
    "http.request.method": KEYWORD,
    "http.request.referrer": KEYWORD,
    "http.request.line": KEYWORD,
    "http.response.status_code": {"type": "long"},
    "http.response.body.bytes": {"type": "long"},
    "http.version": KEYWORD,
    "http.user.ident": KEYWORD,
    "url.original": TEXT_WITH_KEYWORD,
    "url.path": KEYWORD,
    "source.ip": {"type": "ip"},
    "source.domain": KEYWORD,
    "user.name": KEYWORD,
    "user_agent.original": TEXT_WITH_KEYWORD,
    "kubernetes.namespace": KEYWORD,
    "kubernetes.pod.name": KEYWORD,
    "kubernetes.container.name": KEYWORD,
    "nginx.access.request_time": {"type": "float"},
    "nginx.access.forwarded_for": KEYWORD,
    "logflow.parser": KEYWORD,
    "logflow.timestamp_unparsed": KEYWORD,
    "logflow.template.id": KEYWORD,
    "logflow.template.text": TEXT_WITH_KEYWORD,
    "logflow.dead_letter.stage": KEYWORD,
    "logflow.dead_letter.index": KEYWORD,
    "logflow.dead_letter.bytes": {"type": "long"},
    "logflow.dead_letter.source.topic": KEYWORD,
    "logflow.dead_letter.source.partition": {"type": "integer"},
    "logflow.dead_letter.source.offset": {"type": "long"},
    "logflow.dead_letter.attempt": {"type": "integer"},
    "logflow.kafka.topic": KEYWORD,
    "logflow.kafka.partition": {"type": "integer"},
    "logflow.kafka.offset": {"type": "long"},
}


def nested_properties(fields: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``{"log.level": m}`` -> ``{"log": {"properties": {"level": m}}}``."""
    root: dict[str, Any] = {}
    for name, mapping in sorted(fields.items()):
        parts = name.split(".") if not name.startswith("@") else [name]
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {"properties": {}})["properties"]
        node[parts[-1]] = dict(mapping)
    return root


def component_template() -> dict[str, Any]:
    return {
        "template": {
            "mappings": {
                "dynamic_templates": [
                    {"strings_as_keyword": {"match_mapping_type": "string", "mapping": KEYWORD}},
                ],
                "properties": nested_properties(FIELDS),
            }
        },
        "_meta": {"managed_by": "logflow", "description": "ECS mappings for logflow documents"},
    }


def index_template(prefix: str, lifecycle_policy: str | None = None) -> dict[str, Any]:
    """The index template; with ``lifecycle_policy`` every new daily index is managed by that ILM policy."""
    index_settings: dict[str, Any] = {"refresh_interval": "5s"}
    if lifecycle_policy is not None:
        index_settings["lifecycle"] = {"name": lifecycle_policy}
    return {
        "index_patterns": [f"{prefix}-*"],
        "composed_of": [f"{prefix}-logflow-ecs"],
        "priority": TEMPLATE_PRIORITY,
        "template": {"settings": {"index": index_settings}},
        "_meta": {"managed_by": "logflow"},
    }


async def install_templates(
    client: AsyncElasticsearch, prefix: str, lifecycle_policy: str | None = None
) -> list[str]:
    """Create or update the templates; returns the names written (idempotent)."""
    component = f"{prefix}-logflow-ecs"
    await client.cluster.put_component_template(name=component, body=component_template())
    template = index_template(prefix, lifecycle_policy)
    await client.indices.put_index_template(name=f"{prefix}-logflow", body=template)
    return [component, f"{prefix}-logflow"]

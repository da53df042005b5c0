"""Index templates for `logflow setup`: ECS mappings so Kibana sees the right types from day one.

A component template holds the mappings; a composable index template applies it to
``{prefix}-*``. Its priority (500) is above Elasticsearch's built-in ``logs-*-*`` data-stream
template (100), so our daily indices stay ordinary indices that accept ``index`` with our ``_id``s.
The field mappings are ``logflow.parse.mapping.FIELDS``: the parse stage fits JSON logs to the same table.
"""

from __future__ import annotations

from typing import Any

from elasticsearch import AsyncElasticsearch

from logflow.parse.mapping import FIELDS, KEYWORD

__all__ = ["FIELDS", "component_template", "index_template", "install_templates", "nested_properties"]

TEMPLATE_PRIORITY = 500


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
                # A string that looks like a date would otherwise make a field `date`, and the next
                # document with text there would be refused; strings are keywords unless mapped.
                "date_detection": False,
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


async def install_templates(client: AsyncElasticsearch, prefix: str, lifecycle_policy: str | None = None) -> list[str]:
    """Create or update the templates; returns the names written (idempotent)."""
    component = f"{prefix}-logflow-ecs"
    await client.cluster.put_component_template(name=component, body=component_template())
    template = index_template(prefix, lifecycle_policy)
    await client.indices.put_index_template(name=f"{prefix}-logflow", body=template)
    return [component, f"{prefix}-logflow"]

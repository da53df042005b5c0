"""Our index templates: ECS mappings so Kibana sees the right types from day one (`setup` and the worker).

A component template holds the mappings and settings; a composable index template applies it to
``{prefix}-*`` (``logflow-*`` by default: a pattern that no built-in or Fleet template claims, so
our daily indices stay ordinary indices that accept ``index`` with our ``_id``s, and Elastic Agent's
``logs-*-*`` data streams are never ours). Its priority (500) only orders it among templates of
the same pattern. The field table itself is ``logflow.parse.mapping.FIELDS``: the parse stage fits
JSON logs to the same table, so a document never names a field in a shape the template refuses.

The types follow Elastic's own logs mappings where the server has them (``ecs@mappings``,
``logs@settings``): ``message`` and ``error.message`` as ``match_only_text``, ``error.stack_trace``
and ``url.original`` as ``wildcard`` with a ``match_only_text`` ``.text`` sub-field,
``user_agent.original`` as ``keyword``, ``ignore_malformed`` (a bad value leaves its field out,
not the document), ``best_compression``, and a field limit that cannot reject an event
(``ignore_dynamic_beyond_limit``, Elasticsearch 8.13+: fields past it stay in ``_source``,
unmapped). Where Elasticsearch has the ``ecs@mappings`` component template it is composed before
ours (its dynamic templates type the ECS fields we do not list), rather than copied. OpenSearch
and osmem get the portable forms: ``text`` for ``match_only_text``, ``keyword`` with the same
``.text`` sub-field for ``wildcard`` (queries name the same fields on every server), and a raised
field limit (OpenSearch has no ``ignore_dynamic_beyond_limit``: past 10,000 fields a document is
refused and dead-lettered with the reason).
"""

from __future__ import annotations

from typing import Any

from elasticsearch import AsyncElasticsearch, NotFoundError

from logflow.parse.mapping import FIELDS, KEYWORD
from logflow.sink.client import server_of
from logflow.sink.server import Server, UnsupportedServer

TEMPLATE_PRIORITY = 500
TOTAL_FIELDS_LIMIT = 10_000
ECS_MAPPINGS = "ecs@mappings"
OWNED = {"managed_by": "logflow"}


def portable(mapping: dict[str, Any]) -> dict[str, Any]:
    """A mapping with Elastic-only types replaced by what OpenSearch has (same field and sub-field names)."""
    out = dict(mapping)
    kind = out.get("type")
    if kind == "match_only_text":
        out["type"] = "text"
    elif kind == "wildcard":
        out.update(KEYWORD)
    if isinstance(out.get("fields"), dict):
        out["fields"] = {name: portable(sub) for name, sub in out["fields"].items()}
    return out


def field_mappings(server: Server) -> dict[str, dict[str, Any]]:
    """``FIELDS`` as this server can map them."""
    if server.elastic_types:
        return {name: dict(mapping) for name, mapping in FIELDS.items()}
    return {name: portable(mapping) for name, mapping in FIELDS.items()}


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


def index_settings(server: Server) -> dict[str, Any]:
    """What Elastic's ``logs@settings`` sets for logs (minus its pipeline and ILM policy), for this server."""
    mapping: dict[str, Any] = {"ignore_malformed": True, "total_fields": {"limit": TOTAL_FIELDS_LIMIT}}
    if server.product == "elasticsearch" and server.at_least(8, 13):
        mapping["total_fields"]["ignore_dynamic_beyond_limit"] = True
    return {"codec": "best_compression", "mapping": mapping}


def component_template(server: Server, with_ecs_mappings: bool = False) -> dict[str, Any]:
    """Our mappings and settings; the catch-all string rule is left to ``ecs@mappings`` when it is composed."""
    # The mapping's own _meta travels into every index made from the template: how the worker knows an index is ours.
    mappings: dict[str, Any] = {"_meta": dict(OWNED), "properties": nested_properties(field_mappings(server))}
    if not with_ecs_mappings:
        mappings["dynamic_templates"] = [{"strings_as_keyword": {"match_mapping_type": "string", "mapping": KEYWORD}}]
    return {
        "template": {"settings": {"index": index_settings(server)}, "mappings": mappings},
        "_meta": {"managed_by": "logflow", "description": "ECS mappings for logflow documents"},
    }


def component_name(prefix: str) -> str:
    return f"{prefix}-logflow-ecs"


def template_name(prefix: str) -> str:
    return f"{prefix}-logflow"


def index_template(prefix: str, lifecycle_policy: str | None = None, with_ecs_mappings: bool = False) -> dict[str, Any]:
    """The index template; with ``lifecycle_policy`` every new daily index is managed by that ILM policy."""
    settings: dict[str, Any] = {"refresh_interval": "5s"}
    if lifecycle_policy is not None:
        settings["lifecycle"] = {"name": lifecycle_policy}
    composed = [ECS_MAPPINGS] if with_ecs_mappings else []
    return {
        "index_patterns": [f"{prefix}-*"],
        "composed_of": [*composed, component_name(prefix)],  # later components win: ours over ecs@mappings
        "priority": TEMPLATE_PRIORITY,
        "template": {"settings": {"index": settings}},
        "_meta": {"managed_by": "logflow"},
    }


async def has_ecs_mappings(client: AsyncElasticsearch, server: Server) -> bool:
    """Whether Elastic's ``ecs@mappings`` component template is installed (Elasticsearch 8.x/9.x ship it)."""
    if server.product != "elasticsearch":
        return False
    try:
        await client.cluster.get_component_template(name=ECS_MAPPINGS)
    except NotFoundError:
        return False
    return True


async def install_templates(client: AsyncElasticsearch, prefix: str, lifecycle_policy: str | None = None) -> list[str]:
    """Create or update the templates for the server ``client`` talks to; returns the names written (idempotent)."""
    server = await server_of(client)
    ecs = await has_ecs_mappings(client, server)
    component = component_name(prefix)
    await client.cluster.put_component_template(name=component, body=component_template(server, ecs))
    template = index_template(prefix, lifecycle_policy, ecs)
    await client.indices.put_index_template(name=template_name(prefix), body=template)
    return [component, template_name(prefix)]


LOGS_CUSTOM = "logs@custom"


def logs_custom_template(server: Server) -> dict[str, Any]:
    """``logs@custom`` for data-stream mode: our field types only (Elastic's ``logs@settings`` has the rest)."""
    mappings = {"_meta": dict(OWNED), "properties": nested_properties(field_mappings(server))}
    return {
        "template": {"mappings": mappings},
        "_meta": {**OWNED, "description": "logflow's ECS field types for logs-*-* data streams"},
    }


async def install_logs_custom(client: AsyncElasticsearch) -> list[str]:
    """Data-stream mode: our mappings in ``logs@custom``, which Elastic's built-in ``logs`` template composes.

    Never a competing ``logs-*-*`` template. A ``logs@custom`` that someone else wrote is not overwritten.
    """
    server = await server_of(client)
    if server.product != "elasticsearch":
        raise UnsupportedServer(
            f"routing.mode = data_stream needs Elasticsearch 8.x or 9.x (its built-in logs template); "
            f"the server is {server.describe()}: use mode = index"
        )
    try:
        answer = (await client.cluster.get_component_template(name=LOGS_CUSTOM)).body
    except NotFoundError:
        answer = {}
    for found in answer.get("component_templates", []):
        meta = (found.get("component_template") or {}).get("_meta") or {}
        if meta.get("managed_by") != OWNED["managed_by"]:
            raise UnsupportedServer(
                f"{LOGS_CUSTOM} already exists and is not logflow's; merge logflow's mappings into it by hand "
                "(`logflow.sink.templates.logs_custom_template`) rather than have setup overwrite it"
            )
    await client.cluster.put_component_template(name=LOGS_CUSTOM, body=logs_custom_template(server))
    return [LOGS_CUSTOM]

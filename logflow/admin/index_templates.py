"""Index templates for `logflow setup`: the bodies live in ``sink/templates.py``.

The field table is ``logflow.parse.mapping.FIELDS`` (the parse stage fits JSON logs to it). The worker
installs the same templates lazily before its first write to a new index (when `setup`
was not run), so the sink owns what our indices look like; `setup` adds the ILM policy
(``lifecycle``) and names it in the template.
"""

from __future__ import annotations

from logflow.parse.mapping import FIELDS, KEYWORD, TEXT_WITH_KEYWORD
from logflow.sink.templates import (
    ECS_MAPPINGS,
    TEMPLATE_PRIORITY,
    TOTAL_FIELDS_LIMIT,
    component_name,
    component_template,
    field_mappings,
    has_ecs_mappings,
    index_settings,
    index_template,
    install_templates,
    nested_properties,
    portable,
    template_name,
)

__all__ = [
    "ECS_MAPPINGS",
    "FIELDS",
    "KEYWORD",
    "TEMPLATE_PRIORITY",
    "TEXT_WITH_KEYWORD",
    "TOTAL_FIELDS_LIMIT",
    "component_name",
    "component_template",
    "field_mappings",
    "has_ecs_mappings",
    "index_settings",
    "index_template",
    "install_templates",
    "nested_properties",
    "portable",
    "template_name",
]

"""The enrich room: make every parsed document speak ECS (level, trace context, service, errors, tags).

Owns redaction (which runs first, so nothing unmasked is enriched from), trace-id formats, level
names, stack-trace splitting and the declarative enrichment rules.
May import: ``logflow.event``, ``logflow.errors``, ``logflow.config``, ``logflow.decode``, ``logflow.parse``.
"""

"""The sink room: Elasticsearch, the one place documents leave for (bulk writes, per-item answers, retries).

Owns the Elasticsearch client factory and the bulk sink.
May import: ``logflow.event``, ``logflow.errors``, ``logflow.config``. No stage: the sink takes
finished actions.
"""

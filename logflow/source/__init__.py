"""The source room: where records come from (Kafka consumer groups), as ``Record``s with coordinates.

Owns the Kafka consumer and the client options shared by every Kafka client (brokers, TLS, SASL).
May import: ``logflow.event``, ``logflow.errors``, ``logflow.config``. Nothing downstream.
"""

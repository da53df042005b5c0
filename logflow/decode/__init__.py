"""The decode room: a record's bytes to a text line or a JSON object, plus what its envelope and headers say.

Owns shipper envelopes (Filebeat, Fluent Bit, Vector, rsyslog), Kafka headers, and the joining of
records into events (multiline, CRI partial lines) before decoding.
May import: ``logflow.event``, ``logflow.errors``, ``logflow.config``, ``logflow.source``.
"""

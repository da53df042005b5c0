"""The dead-letter room: records that cannot be indexed, kept byte for byte with the reason in headers.

Owns the dead-letter topic's format (headers), its producer, the documents made from dead letters,
and `logflow dlq show/replay`.
May import: ``logflow.event``, ``logflow.errors``, ``logflow.config``, ``logflow.source``,
``logflow.parse`` (time formatting), ``logflow.sink``; ``replay`` also the worker's processor.
"""

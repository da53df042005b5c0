"""The parse room: a decoded line or object to flat ECS fields, by parsers that are data.

Owns the grok compiler, the parser definitions (``parsers/*.toml``) and event-time parsing.
May import: ``logflow.event``, ``logflow.errors``, ``logflow.config``, ``logflow.decode``.
"""

"""The decode stage: a Kafka record's bytes in; a text line or a JSON object, plus envelope metadata, out.

What real shippers put on Kafka is detected per record: a raw line; a JSON application log; or a
shipper envelope (``envelopes``) whose ``message`` is unwrapped and parsed, with the envelope's
metadata kept under ECS names. The record's headers are read here too (``headers``), once per
distinct header set. Empty records and invalid UTF-8 are rejected with the original bytes kept.
"""

from __future__ import annotations

from typing import Any

import orjson

from logflow.decode.envelopes import unwrap
from logflow.decode.headers import HeaderContexts, header_context
from logflow.errors import DecodeError, RecordError
from logflow.event import Batch, Decoded, Headers, Record


def _loads_object(text: str) -> dict[str, Any] | None:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None  # not JSON after all (or nested past orjson's depth limit): a text line
    return value if isinstance(value, dict) else None


def decode(record: Record, max_bytes: int, context: Headers | None = None) -> Decoded:
    """Open one record; raises DecodeError for bytes that cannot be a log event.

    ``context`` is the record's parsed headers (the processor memoizes it); computed when omitted.
    """
    raw = record.value
    if not raw:
        raise DecodeError("empty record: no bytes to index", "empty")
    tags: list[str] = []
    if len(raw) > max_bytes:
        raw = raw[:max_bytes]
        tags.append("truncated")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            text = raw[: exc.start].decode("utf-8")  # cut inside a multibyte character: drop the partial one
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"invalid UTF-8 at byte {exc.start}: {exc.reason}", "invalid_utf8") from None
    text = text.rstrip("\r\n")
    if not text or text.isspace():
        raise DecodeError("blank record: only whitespace", "empty")
    hint = (context if context is not None else header_context(record.headers)).hint
    # Producers key records by their source (service, host, file), so the key separates interleaved sources.
    source = (record.topic, record.partition, record.key.decode("utf-8", "replace") if record.key else "")
    if text[0] == "{" and "truncated" not in tags:
        obj = _loads_object(text)
        if obj is not None:
            unwrapped = unwrap(obj)
            if unwrapped is None:
                return Decoded(None, obj, {}, hint, source, tags)
            inner, meta, env_hint = unwrapped
            hint = hint or (env_hint.lower() if env_hint else None)
            origin = meta.get("log.file.path") or meta.get("kubernetes.pod.name") or meta.get("host.name") or ""
            source = (record.topic, record.partition, str(origin))
            inner = inner.rstrip("\r\n")
            if inner[:1] == "{":
                inner_obj = _loads_object(inner)
                if inner_obj is not None:
                    return Decoded(None, inner_obj, meta, hint, source, tags)
            if not inner.strip():
                raise DecodeError("shipper envelope with an empty message", "empty")
            return Decoded(inner, None, meta, hint, source, tags)
    return Decoded(text, None, {}, hint, source, tags)


class Decode:
    """The decode stage: every event's headers read and its bytes opened (rejected when they cannot be)."""

    def __init__(self, max_line_bytes: int) -> None:
        self.max_bytes = max_line_bytes
        self.headers = HeaderContexts()

    def __call__(self, batch: Batch) -> None:
        max_bytes, headers = self.max_bytes, self.headers
        for event in batch.events:
            if event.finished:
                continue
            record = event.record
            try:
                if record.headers:
                    event.headers = headers(record.headers)
                event.decoded = decode(record, max_bytes, event.headers)
            except RecordError as exc:
                batch.reject(event, "decode", exc.error_type, exc.reason)
            except Exception as exc:  # a bug must not stop the worker
                batch.fail(event, "process", exc)

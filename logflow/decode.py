"""The decode stage: a Kafka record's bytes in; a text line or a JSON object, plus envelope metadata, out.

What real shippers put on Kafka is detected per record: a raw line; a JSON application log; or a
shipper envelope (Filebeat / Elastic Agent, Fluent Bit, Vector, rsyslog JSON templates) whose
``message`` is unwrapped and parsed, with the envelope's metadata kept under ECS names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from logflow.errors import DecodeError
from logflow.headers import HeaderContext, header_context
from logflow.record import Record


@dataclass(slots=True)
class Decoded:
    """One record, opened: exactly one of ``text`` / ``obj`` is set."""

    text: str | None
    obj: dict[str, Any] | None
    meta: dict[str, Any]
    hint: str | None
    source: tuple[str, int, str]  # (topic, partition, file or host): the key for multiline and sticky parsers
    tags: list[str]


def _get(obj: dict[str, Any], *path: str) -> Any:
    cur: Any = obj
    for part in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


def _filebeat(obj: dict[str, Any], meta: dict[str, Any]) -> str | None:
    host = obj.get("host")
    if isinstance(host, dict):
        name = host.get("name") or host.get("hostname")
        if name:
            meta["host.name"] = name
    path = _get(obj, "log", "file", "path")
    if path:
        meta["log.file.path"] = path
    agent = obj.get("agent")
    if isinstance(agent, dict):
        for key in ("type", "name", "version", "id"):
            if key in agent:
                meta[f"agent.{key}"] = agent[key]
    fields = obj.get("fields")
    hint = None
    if isinstance(fields, dict):
        for src, dst in (
            ("service", "service.name"),
            ("service_name", "service.name"),
            ("env", "service.environment"),
            ("environment", "service.environment"),
        ):
            if isinstance(fields.get(src), str):
                meta[dst] = fields[src]
        for key in ("log_type", "type", "dataset"):
            if isinstance(fields.get(key), str):
                hint = fields[key]
                break
    dataset = _get(obj, "event", "dataset") or _get(obj, "data_stream", "dataset")
    if hint is None and isinstance(dataset, str):
        hint = dataset
    service = _get(obj, "service", "name")
    if isinstance(service, str):
        meta["service.name"] = service
    if isinstance(obj.get("@timestamp"), str):
        meta["logflow.envelope_timestamp"] = obj["@timestamp"]
    return hint


def _fluentbit(obj: dict[str, Any], meta: dict[str, Any]) -> str | None:
    k8s = obj.get("kubernetes")
    if isinstance(k8s, dict):
        for src, dst in (
            ("namespace_name", "kubernetes.namespace"),
            ("pod_name", "kubernetes.pod.name"),
            ("container_name", "kubernetes.container.name"),
            ("host", "host.name"),
        ):
            if isinstance(k8s.get(src), str):
                meta[dst] = k8s[src]
        labels = k8s.get("labels")
        if isinstance(labels, dict):
            app = labels.get("app.kubernetes.io/name") or labels.get("app")
            if isinstance(app, str):
                meta["service.name"] = app
            for key, value in labels.items():
                if isinstance(value, str):
                    meta[f"kubernetes.labels.{key.replace('.', '_').replace('/', '_')}"] = value
    if isinstance(obj.get("stream"), str):
        meta["log.stream"] = obj["stream"]
    for key in ("@timestamp", "time", "date"):
        if key in obj:
            meta["logflow.envelope_timestamp"] = obj[key]
            break
    return None


def _vector(obj: dict[str, Any], meta: dict[str, Any]) -> str | None:
    if isinstance(obj.get("host"), str):
        meta["host.name"] = obj["host"]
    if isinstance(obj.get("file"), str):
        meta["log.file.path"] = obj["file"]
    if isinstance(obj.get("timestamp"), str):
        meta["logflow.envelope_timestamp"] = obj["timestamp"]
    meta["agent.type"] = "vector"
    return None


def _rsyslog(obj: dict[str, Any], meta: dict[str, Any]) -> str | None:
    for src, dst in (
        ("hostname", "host.name"),
        ("host", "host.name"),
        ("programname", "process.name"),
        ("severity", "log.level"),
        ("facility", "log.syslog.facility.name"),
    ):
        if isinstance(obj.get(src), str | int):
            meta[dst] = obj[src]
    for key in ("timereported", "timestamp", "@timestamp"):
        if isinstance(obj.get(key), str):
            meta["logflow.envelope_timestamp"] = obj[key]
            break
    return "syslog"


def _unwrap(obj: dict[str, Any]) -> tuple[str, dict[str, Any], str | None] | None:
    """(inner message, metadata, hint) when ``obj`` is a shipper envelope, else None."""
    meta: dict[str, Any] = {}
    message = obj.get("message")
    if isinstance(message, str):
        agent = obj.get("agent")
        if (
            (isinstance(agent, dict) and "type" in agent)
            or isinstance(_get(obj, "log", "file"), dict)
            or (isinstance(obj.get("input"), dict) and "ecs" in obj)
        ):
            return message, meta, _filebeat(obj, meta)
        if "source_type" in obj:
            return message, meta, _vector(obj, meta)
    log = obj.get("log")
    if isinstance(log, str) and "message" not in obj:
        return log, meta, _fluentbit(obj, meta)
    msg = obj.get("msg")
    if isinstance(msg, str) and ("programname" in obj or "syslogtag" in obj):
        return msg, meta, _rsyslog(obj, meta)
    return None


def _loads_object(text: str) -> dict[str, Any] | None:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None  # not JSON after all (or nested past orjson's depth limit): a text line
    return value if isinstance(value, dict) else None


def decode(record: Record, max_bytes: int, context: HeaderContext | None = None) -> Decoded:
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
            unwrapped = _unwrap(obj)
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

"""Shipper envelopes: a JSON object around a raw ``message``, unwrapped with its metadata under ECS names.

Detected per record by the keys each shipper writes: Filebeat / Elastic Agent (``message`` with
any one of: a Beat's ``agent`` (``agent.type`` naming a Beat, or ``agent.ephemeral_id``), a
``log.file.path`` string, or ``input.type`` beside ``ecs``), Vector (``message`` with
``source_type``; the ``kubernetes_logs`` source's ``kubernetes`` object becomes Filebeat's
``kubernetes.*`` and ECS ``container.*``), Fluent Bit (``log`` without ``message``) and rsyslog
JSON templates (``msg`` with ``programname`` or ``syslogtag``). An application's own ``agent`` (a
user agent), ``log`` (ECS ``log.level``), ``input`` or ``fields`` keys are not signals: such an
object stays a JSON log.
``unwrap`` gives the inner message, the metadata and a parser hint, or None for an object that is an
application's own log.

Filebeat decoding JSON lines with ``json.keys_under_root`` (or the ``ndjson`` parser with
``target: ""``) writes the application's keys at the top level, beside its own ``agent``, ``ecs``,
``input``, ``log.file``... (Filebeat's exported fields). Then the inner message is that application
object (every key Filebeat does not write itself, ``message`` included; or the object Filebeat put
under ``json`` without that setting), handed on as JSON text, so it is decoded as the JSON log it
was and its fields are kept.
"""

from __future__ import annotations

from typing import Any, Final

import orjson


def _get(obj: dict[str, Any], *path: str) -> Any:
    cur: Any = obj
    for part in path:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


_AGENT_FIELDS: Final = tuple((key, f"agent.{key}") for key in ("type", "name", "version", "id"))

# The top-level keys Filebeat (and Elastic Agent) write themselves, with the default processors
# (add_host_metadata, add_cloud_metadata, add_docker_metadata, add_kubernetes_metadata) and modules.
# Any other key beside them is the application's, put there by ``json.keys_under_root``.
_FILEBEAT_KEYS: Final = frozenset(
    {
        "@timestamp", "@metadata", "agent", "ecs", "input", "host", "log", "fields", "tags", "cloud",
        "container", "kubernetes", "orchestrator", "data_stream", "elastic_agent", "event", "fileset",
        "service", "stream",
    }
)  # fmt: skip
# What Filebeat writes under ``log``; an application's own ``log.*`` keys (``log.level``...) are kept.
_FILEBEAT_LOG_KEYS: Final = frozenset({"file", "offset", "flags"})


def _is_filebeat(obj: dict[str, Any]) -> bool:
    """Any one signal only a Beat writes; never a key name alone, which an application may use too."""
    agent = obj.get("agent")
    if isinstance(agent, dict):
        kind = agent.get("type")
        if (isinstance(kind, str) and kind.lower().endswith("beat")) or "ephemeral_id" in agent:
            return True
    if isinstance(_get(obj, "log", "file", "path"), str):
        return True
    return isinstance(_get(obj, "input", "type"), str) and isinstance(obj.get("ecs"), dict)


def _keys_under_root(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The application's own object when Filebeat put its keys at the top level, else None."""
    app = {key: value for key, value in obj.items() if key not in _FILEBEAT_KEYS}
    nested = app.get("json")
    if isinstance(nested, dict):  # without keys_under_root Filebeat puts the decoded object under ``json``
        del app["json"]
        app.update(nested)
    log = obj.get("log")
    if isinstance(log, dict):
        own = {key: value for key, value in log.items() if key not in _FILEBEAT_LOG_KEYS}
        if own:
            app["log"] = own
    if app.keys() <= {"message"}:
        return None  # only the line Filebeat read: a plain envelope
    return app


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
        for key, name in _AGENT_FIELDS:
            if key in agent:
                meta[name] = agent[key]
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
                    meta[f"kubernetes.labels.{label_key(key)}"] = value
    if isinstance(obj.get("stream"), str):
        meta["log.stream"] = obj["stream"]
    for key in ("@timestamp", "time", "date"):
        if key in obj:
            meta["logflow.envelope_timestamp"] = obj[key]
            break
    return None


def label_key(key: str) -> str:
    """A Kubernetes label or annotation name as one field name part: dots and slashes become ``_`` (Beats' dedot)."""
    return key.replace(".", "_").replace("/", "_")


#: Vector ``kubernetes_logs``: the ``kubernetes`` object's scalar fields, to the names Filebeat's
#: kubernetes metadata (and ECS ``container.*``) give them.
_VECTOR_K8S: Final = (
    ("pod_namespace", "kubernetes.namespace"),
    ("pod_name", "kubernetes.pod.name"),
    ("pod_uid", "kubernetes.pod.uid"),
    ("pod_ip", "kubernetes.pod.ip"),
    ("pod_node_name", "kubernetes.node.name"),
    ("container_name", "kubernetes.container.name"),
    ("container_id", "container.id"),
    ("container_image", "container.image.name"),
)
#: The objects of labels it carries, and the prefix each one's keys go under.
_VECTOR_K8S_LABELS: Final = (
    ("pod_labels", "kubernetes.labels."),
    ("pod_annotations", "kubernetes.annotations."),
    ("namespace_labels", "kubernetes.namespace_labels."),
    ("node_labels", "kubernetes.node.labels."),
)
#: ``pod_owner`` ``Kind/name``: the owner kinds Filebeat names a field after.
_OWNER_KINDS: Final = {
    "replicaset": "kubernetes.replicaset.name",
    "statefulset": "kubernetes.statefulset.name",
    "daemonset": "kubernetes.daemonset.name",
    "job": "kubernetes.job.name",
    "cronjob": "kubernetes.cronjob.name",
    "deployment": "kubernetes.deployment.name",
}


def _vector_kubernetes(k8s: dict[str, Any], meta: dict[str, Any]) -> None:
    """Vector's ``kubernetes_logs`` metadata (the ``kubernetes`` object of its event) under Beats-style names."""
    for src, dst in _VECTOR_K8S:
        value = k8s.get(src)
        if isinstance(value, str) and value:
            meta[dst] = value
    for src, prefix in _VECTOR_K8S_LABELS:
        labels = k8s.get(src)
        if isinstance(labels, dict):
            for key, value in labels.items():
                if isinstance(key, str) and key and isinstance(value, str):
                    meta[prefix + label_key(key)] = value
    runtime, sep, bare = str(meta.get("container.id", "")).partition("://")
    if sep and bare:  # `containerd://<id>`: ECS keeps the runtime apart, as Filebeat does
        meta["container.id"], meta["container.runtime"] = bare, runtime
    owner = k8s.get("pod_owner")
    if isinstance(owner, str) and "/" in owner:
        kind, _, name = owner.partition("/")
        if kind.lower() in _OWNER_KINDS and name:
            meta[_OWNER_KINDS[kind.lower()]] = name
    labels = k8s.get("pod_labels")
    if isinstance(labels, dict):
        app = labels.get("app.kubernetes.io/name") or labels.get("app")
        if isinstance(app, str) and app:
            meta["service.name"] = app


def _vector(obj: dict[str, Any], meta: dict[str, Any]) -> str | None:
    if isinstance(obj.get("host"), str):
        meta["host.name"] = obj["host"]
    if isinstance(obj.get("file"), str):
        meta["log.file.path"] = obj["file"]
    if isinstance(obj.get("timestamp"), str):
        meta["logflow.envelope_timestamp"] = obj["timestamp"]
    k8s = obj.get("kubernetes")
    if isinstance(k8s, dict):
        _vector_kubernetes(k8s, meta)
        if isinstance(obj.get("stream"), str):
            meta["log.stream"] = obj["stream"]
    meta["agent.type"] = "vector"
    return None


# rsyslog properties (rsyslog "properties" reference; `jsonmesg` carries them all) that say the same
# as an ECS field. Numeric ones arrive as strings ("pri":"38"); "-" is RFC 5424's NILVALUE.
_RSYSLOG_NUMBERS: Final = (
    ("pri", "log.syslog.priority"),
    ("syslogfacility", "log.syslog.facility.code"),
    ("syslogseverity", "log.syslog.severity.code"),
    ("procid", "process.pid"),
)
_RSYSLOG_TEXTS: Final = (
    ("app-name", "log.syslog.appname"),
    ("msgid", "log.syslog.msgid"),
    ("procid", "log.syslog.procid"),
)


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
    for src, dst in _RSYSLOG_NUMBERS:
        value = obj.get(src)
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
            meta[dst] = int(value)
        elif type(value) is int:
            meta[dst] = value
    for src, dst in _RSYSLOG_TEXTS:
        value = obj.get(src)
        if isinstance(value, str) and value and value != "-":
            meta[dst] = value
    for key in ("timereported", "timestamp", "@timestamp"):
        if isinstance(obj.get(key), str):
            meta["logflow.envelope_timestamp"] = obj[key]
            break
    # The MSG part alone: the `syslog.msg` parser takes any text as the message.
    return "syslog.msg"


def unwrap(obj: dict[str, Any]) -> tuple[str, dict[str, Any], str | None] | None:
    """(inner message, metadata, hint) when ``obj`` is a shipper envelope, else None."""
    meta: dict[str, Any] = {}
    message = obj.get("message")
    if (isinstance(message, str) or "message" not in obj) and _is_filebeat(obj):
        app = _keys_under_root(obj)
        hint = _filebeat(obj, meta)
        if app is not None:
            return orjson.dumps(app).decode(), meta, hint
        if isinstance(message, str):
            return message, meta, hint
        return None  # a Beat's own event without a line (a metric, a heartbeat): indexed as it is
    if isinstance(message, str) and "source_type" in obj:
        return message, meta, _vector(obj, meta)
    log = obj.get("log")
    if isinstance(log, str) and "message" not in obj:
        return log, meta, _fluentbit(obj, meta)
    msg = obj.get("msg")
    if isinstance(msg, str) and ("programname" in obj or "syslogtag" in obj):
        # For RFC 3164 input rsyslog's MSG begins with the blank that followed the TAG's colon.
        return msg.removeprefix(" "), meta, _rsyslog(obj, meta)
    return None

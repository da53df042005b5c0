"""The fields logflow's index template maps, and whether a document fits them: one table, two uses.

``FIELDS`` is the truth of what Elasticsearch accepts in a logflow index (``logflow setup`` and the sink install it,
``logflow/sink/templates.py``); every fact below is derived from it: which names are leaves
and of what type, which are objects (a proper prefix of a leaf, or mapped ``object``). A user's JSON
log may use those names in any shape (``"error": "connection refused"``, ``"url": "https://..."``,
``"message": {...}``, ``"tags": {...}``); ``problems`` says, as a pure function, which fields of a
flat document Elasticsearch would refuse and why, and ``fit`` moves each such field where it fits:

- a scalar where ECS has an object goes to the leaf it means (``MEANS``: ``error`` ->
  ``error.message``, ``url`` -> ``url.original``, ...), when that leaf is free and takes the value;
- anything else that does not fit goes under ``json.<its key, dots as _>``, where the template maps
  nothing, as text (a string as it is, anything else as its JSON): one name part and one shape in
  every document, so a moved field cannot conflict with one moved from another document
  (``"log": "stdout"`` -> ``json.log``; ``"message": {...}`` -> ``json.message``, its JSON text);
- a scalar where the same document also has an object (``json.a`` beside ``json.a.b``) keeps the
  name ``<key>._value``; a key with an empty part (``""``, ``a..b``, ``a.``) has ``_`` for it; an
  object nested deeper than ``MAX_DEPTH`` is moved as a whole.

So a JSON log is never dead-lettered for the names of its keys. Only field names and value shapes are
judged here; a type a field got dynamically from an earlier document is the index's, not the document's.
"""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Any

import orjson

from logflow.cache import BoundedCache

KEYWORD = {"type": "keyword", "ignore_above": 1024}
TEXT_WITH_KEYWORD = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}}
# Elastic's types; ``logflow.sink.templates.portable`` gives OpenSearch's forms of them.
MATCH_ONLY_TEXT = {"type": "match_only_text"}
WILDCARD_WITH_TEXT = {"type": "wildcard", "fields": {"text": {"type": "match_only_text"}}}

# Flat dotted ECS names -> mapping; expanded into nested `properties` below.
FIELDS: dict[str, dict[str, Any]] = {
    "@timestamp": {"type": "date"},
    "message": MATCH_ONLY_TEXT,
    "tags": KEYWORD,
    "labels": {"type": "object"},
    "log.level": KEYWORD,
    "log.logger": KEYWORD,
    "log.file.path": KEYWORD,
    "log.flags": KEYWORD,
    "log.syslog.facility.code": {"type": "long"},
    "log.syslog.priority": {"type": "long"},
    "service.name": KEYWORD,
    "service.environment": KEYWORD,
    "service.version": KEYWORD,
    "host.name": KEYWORD,
    "host.hostname": KEYWORD,
    "agent.type": KEYWORD,
    "agent.name": KEYWORD,
    "agent.version": KEYWORD,
    "process.name": KEYWORD,
    "process.pid": {"type": "long"},
    "process.thread.name": KEYWORD,
    "event.dataset": KEYWORD,
    "event.kind": KEYWORD,
    "event.category": KEYWORD,
    "event.action": KEYWORD,
    "event.outcome": KEYWORD,
    "event.reason": KEYWORD,
    "event.duration": {"type": "long"},
    "event.ingested": {"type": "date"},
    "event.original": {"type": "keyword", "index": False, "doc_values": False},
    "trace.id": KEYWORD,
    "span.id": KEYWORD,
    "transaction.id": KEYWORD,
    "error.type": KEYWORD,
    "error.message": MATCH_ONLY_TEXT,
    "error.stack_trace": WILDCARD_WITH_TEXT,
    "http.request.id": KEYWORD,
    "http.request.method": KEYWORD,
    "http.request.referrer": KEYWORD,
    "http.request.line": KEYWORD,
    "http.response.status_code": {"type": "long"},
    "http.response.body.bytes": {"type": "long"},
    "http.version": KEYWORD,
    "http.user.ident": KEYWORD,
    "url.original": WILDCARD_WITH_TEXT,
    "url.path": KEYWORD,
    "source.ip": {"type": "ip"},
    "source.domain": KEYWORD,
    "user.name": KEYWORD,
    "user_agent.original": {**KEYWORD, "fields": {"text": {"type": "match_only_text"}}},
    "kubernetes.namespace": KEYWORD,
    "kubernetes.pod.name": KEYWORD,
    "kubernetes.container.name": KEYWORD,
    "nginx.access.request_time": {"type": "float"},
    "nginx.access.forwarded_for": KEYWORD,
    "logflow.parser": KEYWORD,
    "logflow.timestamp_unparsed": KEYWORD,
    "logflow.template.id": KEYWORD,
    "logflow.template.text": TEXT_WITH_KEYWORD,
    "logflow.dead_letter.stage": KEYWORD,
    "logflow.dead_letter.index": KEYWORD,
    "logflow.dead_letter.bytes": {"type": "long"},
    "logflow.dead_letter.source.topic": KEYWORD,
    "logflow.dead_letter.source.partition": {"type": "integer"},
    "logflow.dead_letter.source.offset": {"type": "long"},
    "logflow.dead_letter.attempt": {"type": "integer"},
    "logflow.kafka.topic": KEYWORD,
    "logflow.kafka.partition": {"type": "integer"},
    "logflow.kafka.offset": {"type": "long"},
}

#: Mapped leaves and their type; objects: every proper prefix of a leaf, and fields mapped ``object``.
LEAVES: dict[str, str] = {name: m["type"] for name, m in FIELDS.items() if m["type"] != "object"}
OBJECTS: frozenset[str] = frozenset(
    {name.rsplit(".", i)[0] for name in LEAVES if not name.startswith("@") for i in range(1, name.count(".") + 1)}
    | {name for name, m in FIELDS.items() if m["type"] == "object"}
)
#: The leaf a scalar means where ECS has an object of that name (each must be a mapped leaf).
MEANS: dict[str, str] = {
    "error": "error.message",
    "url": "url.original",
    "host": "host.name",
    "service": "service.name",
    "user": "user.name",
    "agent": "agent.name",
    "process": "process.name",
    "trace": "trace.id",
    "span": "span.id",
    "transaction": "transaction.id",
    "user_agent": "user_agent.original",
    "http.request": "http.request.line",
}
NAMESPACE = "json"  # where what does not fit goes; the template maps nothing under it
VALUE_NAME = "_value"  # a scalar where the same document has an object of that name
MAX_DEPTH = 16  # Elasticsearch refuses mappings deeper than 20 (`index.mapping.depth.limit`)

_LONG = (-(2**63), 2**63 - 1)
_INTEGER = (-(2**31), 2**31 - 1)
_NUMERIC_TEXT = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.,]+)?(?:Z|[+-]\d{2}:?\d{2})?|\d{1,19}")
_SCALARS = (str, int, float, bool)


def _number_fits(value: Any, bounds: tuple[int, int] | None) -> bool:
    """Whether a long/integer/float field takes ``value`` (Elasticsearch coerces numeric strings)."""
    if type(value) is bool:
        return False
    if isinstance(value, str):
        if value == "":  # indexed as no value, as Elasticsearch reads an empty string for a number
            return True
        if _NUMERIC_TEXT.fullmatch(value.strip()) is None:
            return False
        value = float(value)
    if not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return bounds is None or bounds[0] <= value <= bounds[1]


def _ip_fits(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


#: Types whose malformed *values* the index leaves out instead of refusing the document: the template
#: sets ``index.mapping.ignore_malformed`` (``logflow.sink.templates.index_settings``), which these
#: types honour (Elasticsearch's mapping-parameter docs; ``keyword`` and ``text`` have no such option).
TOLERANT = frozenset({"long", "integer", "short", "byte", "float", "double", "date", "ip", "boolean"})


def scalar_fits(kind: str, value: Any) -> bool:
    """Whether a leaf of type ``kind`` takes the one (non-null, non-list) value ``value`` without the
    document being refused (a malformed scalar in a ``TOLERANT`` type is left out, not refused)."""
    if isinstance(value, dict | list):
        return False
    if kind in TOLERANT:
        return True
    if kind in ("keyword", "text", "match_only_text", "wildcard"):
        return isinstance(value, _SCALARS) and not (isinstance(value, float) and not math.isfinite(value))
    if kind == "long":
        return _number_fits(value, _LONG)
    if kind == "integer":
        return _number_fits(value, _INTEGER)
    if kind in ("float", "double"):
        return _number_fits(value, None)
    if kind == "ip":
        return _ip_fits(value)
    if kind == "date":
        return (isinstance(value, str) and _DATE_TEXT.fullmatch(value) is not None) or type(value) is int
    return True


def leaf_fits(kind: str, value: Any) -> bool:
    """Whether a leaf of type ``kind`` takes ``value``: null, a fitting scalar, or a list of those."""
    if value is None:
        return True
    if isinstance(value, list):
        return all(item is None or scalar_fits(kind, item) for item in value)
    return scalar_fits(kind, value)


def _dynamic_kind(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is bool:
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    return "list"


def _array_fits(values: list[Any]) -> bool:
    """A dynamic array: its first value's kind is the field's, and every later value must parse as it."""
    first: str | None = None
    for item in values:
        kind = _dynamic_kind(item)
        if kind is None:
            continue
        if kind == "list" or (kind == "number" and not math.isfinite(float(item))):
            return False
        if first is None:
            first = kind
        elif first == "object" or kind == "object":
            if first != kind:
                return False
        elif (first == "number" and not _number_fits(item, None)) or (
            first == "boolean" and kind != "boolean" and item not in ("true", "false")
        ):
            return False
    return True


def _bad_name(key: str) -> bool:
    return key == "" or key[0] == "." or key[-1] == "." or ".." in key


_PREFIXES: BoundedCache[str, tuple[str, ...]] = BoundedCache(10_000)


def _prefixes(key: str) -> tuple[str, ...]:
    """``a.b.c`` -> (``a``, ``a.b``): the objects a dotted key implies."""
    found = _PREFIXES.get(key)
    if found is None:
        parts = key.split(".")
        found = _PREFIXES.put(key, tuple(".".join(parts[:i]) for i in range(1, len(parts))))
    return found


def problems(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """``(field, what is wrong)`` for each field of the flat document ``doc`` Elasticsearch would refuse.

    Nested dict values are read as the objects they are. Pure, and the same judge ``fit`` obeys.
    """
    flat: dict[str, Any] = {}
    out: list[tuple[str, str]] = []
    for key, value in doc.items():
        _flatten(key, value, flat, out, 0)
    implied: set[str] = set()
    for key in flat:
        implied.update(_prefixes(key))
    for key, value in flat.items():
        why = _judge(key, value, implied)
        if why is not None:
            out.append((key, why))
    return out


def _flatten(key: str, value: Any, flat: dict[str, Any], out: list[tuple[str, str]], depth: int) -> None:
    if _bad_name(key):
        out.append((key, "a field name with an empty part"))
        return
    if isinstance(value, dict) and value and key not in LEAVES:
        if depth + key.count(".") >= MAX_DEPTH:
            out.append((key, f"an object nested deeper than {MAX_DEPTH} levels"))
            return
        for inner, item in value.items():
            _flatten(f"{key}.{inner}", item, flat, out, depth + 1)
        return
    if key in flat:
        out.append((key, "given twice, as a dotted key and inside an object"))
    flat[key] = value


def _judge(key: str, value: Any, implied: set[str]) -> str | None:
    kind = LEAVES.get(key)
    if kind is not None:
        return None if leaf_fits(kind, value) else f"`{key}` is mapped `{kind}`, and {_shape(value)} does not fit it"
    for prefix in _prefixes(key):
        if prefix in LEAVES:
            return f"`{prefix}` is mapped `{LEAVES[prefix]}`: it cannot hold the field `{key}`"
    if value is None or (isinstance(value, dict | list) and all(item is None for item in value)):
        return None  # null, [] and [null] are no value: nothing to map
    if key in OBJECTS:
        return f"`{key}` is an object in ECS, and {_shape(value)} is not one"
    if key in implied:
        return f"`{key}` holds {_shape(value)}, and the same document has fields inside `{key}`"
    if isinstance(value, list) and not _array_fits(value):
        return f"`{key}` is a list of values of different types"
    if isinstance(value, float) and not math.isfinite(value):
        return f"`{key}` is {value}, which no field can hold"
    return None


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return f"a value of type {type(value).__name__}"


def _safe_key(key: str) -> str:
    return ".".join(part or "_" for part in key.split(".")) if _bad_name(key) else key


def as_text(value: Any) -> str:
    """A moved value as the one shape that fits a dynamic field in every document: text (JSON for non-text)."""
    if isinstance(value, str):
        return value
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _place(doc: dict[str, Any], key: str, value: Any) -> None:
    """``value`` as text under ``key`` (empty name parts as ``_``), at the first free name."""
    key = _safe_key(key)
    value = None if value is None else as_text(value)
    if key in doc or key in OBJECTS or key in LEAVES:  # taken: the first free `<key>_2`, `<key>_3`, ...
        number = 2
        while f"{key}_{number}" in doc:
            number += 1
        key = f"{key}_{number}"
    doc[key] = value


_STRINGS = frozenset({"keyword", "text"})
# key -> the objects it implies when the mapping leaves the name free (dynamic), None when it does not
_FREE: BoundedCache[str, tuple[str, ...] | None] = BoundedCache(10_000)
_NOT_CACHED = ("",)


def _free_prefixes(key: str) -> tuple[str, ...] | None:
    prefixes: tuple[str, ...] | None = _prefixes(key)
    if _bad_name(key) or key in OBJECTS or any(p in LEAVES for p in prefixes or ()):
        prefixes = None
    return _FREE.put(key, prefixes)


def fits(doc: dict[str, Any]) -> bool:
    """A quick yes for the usual document (``problems`` is empty); False means: ask ``problems``.

    Per field a lookup or two: a mapped leaf with a value of its type, or a free name with a scalar
    and no other field of the document where this one's objects would be.
    """
    for key, value in doc.items():
        kind = LEAVES.get(key)
        t = type(value)
        if kind is not None:
            if (t is str and kind in _STRINGS) or leaf_fits(kind, value):
                continue
            return False
        prefixes = _FREE.get(key, _NOT_CACHED)
        if prefixes is _NOT_CACHED:
            prefixes = _free_prefixes(key)
        if prefixes is None or t is dict or t is list or (t is float and not math.isfinite(value)):
            return False
        for prefix in prefixes:
            if prefix in doc:
                return False
    return True


def _fit_tags(doc: dict[str, Any], tags: Any) -> None:
    """``tags`` as the list of texts every stage after parse reads (Elasticsearch indexes each as text)."""
    if isinstance(tags, str):
        doc["tags"] = [tags]
    elif isinstance(tags, list) and all(isinstance(tag, _SCALARS) or tag is None for tag in tags):
        doc["tags"] = [tag if isinstance(tag, str) else as_text(tag) for tag in tags if tag is not None]
    elif isinstance(tags, _SCALARS):
        doc["tags"] = [as_text(tags)]
    # an object, or a list holding one: left for `problems`, which moves it under the namespace


def fit(doc: dict[str, Any], namespace: str = NAMESPACE) -> list[str]:
    """Move every field of ``doc`` Elasticsearch would refuse to where it fits (see the module); the keys moved.

    The common case, a document that fits, costs one quick ``fits`` pass.
    """
    moved: list[str] = []
    tags = doc.get("tags")
    if tags is not None and (type(tags) is not list or not all(type(tag) is str for tag in tags)):
        _fit_tags(doc, tags)
    if fits(doc):
        return moved
    for _ in range(4):  # each pass can only move fields into the namespace, where fewer rules apply
        found = problems(doc)
        if not found:
            return moved
        for field, _why in found:
            root = next((key for key in (field, *_prefixes(field)) if key in doc), None)
            if root is None:
                continue
            value = doc.pop(root)
            moved.append(root)
            target = MEANS.get(root)
            free = target is not None and target not in doc
            if free and isinstance(value, _SCALARS) and leaf_fits(LEAVES[str(target)], value):
                doc[str(target)] = value
            elif root.startswith(namespace + ".") and not _bad_name(root):
                _place(doc, f"{root}.{VALUE_NAME}", value)
            elif root.startswith(namespace + "."):
                _place(doc, root, value)
            else:  # one name part: a moved field is never an object of another (`log` and `log.level.x`)
                _place(doc, f"{namespace}.{root.replace('.', '_')}", value)
    for field, _why in problems(doc):  # nothing left should get here: never let one field lose the event
        doc.pop(field, None)
        moved.append(field)
    return moved

"""Trace context, from wherever it arrives: Kafka headers, JSON fields and free text, in one table.

Each row of ``TRACE_FORMATS`` is one propagation format: the Kafka headers that carry it (the
first one names the format; the others complete it), the document keys a JSON parser leaves it
under, and how its value reads as (trace id, span id). A new format is one row. Headers are the
producer's own context, so they win over ids found in the event; within a source the first row
that reads wins. ``TEXT_KEYS`` lists the ``key=value`` spellings looked for in free text, each with
what its value is.

The same header names are looked for as keys of a JSON log (an application that logs its request
headers): ``json.X-B3-TraceId``, ``json.headers.uber-trace-id``, case-insensitively, read by the row
that owns the header (``JSON_KEYS``), the request-id headers included.

Ids that are no ids are refused as their specifications say: W3C version ``ff`` and all-zero ids,
B3, Jaeger and X-Ray all-zero trace ids, and an all-zero ``trace_id=`` or ``span_id=`` in text or
JSON (W3C: "all bytes as zero ... is considered an invalid value").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from logflow.cache import BoundedCache
from logflow.event import RawHeaders

Ids = tuple[str, str | None]  # (trace id, span id or None)

_HEX = re.compile(r"[0-9a-f]+\Z")
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def _zero(hexid: str) -> bool:
    return hexid.strip("0") == ""


def parse_traceparent(value: str) -> tuple[str, str] | None:
    """W3C trace context: version ff and all-zero ids are invalid by the spec."""
    m = _TRACEPARENT.fullmatch(value.strip().lower()[:55]) if len(value) >= 55 else None
    if m is None:
        return None
    version, trace, span, _ = m.groups()  # one call, not five
    if version == "ff" or _zero(trace) or _zero(span):
        return None
    return trace, span


def parse_b3(value: str) -> Ids | None:
    """B3 single header ``{trace}-{span}[-{sampled}[-{parent}]]``; a bare ``0``/``1`` carries no ids."""
    parts = value.strip().lower().split("-")
    if len(parts) < 2 or len(parts[0]) not in (16, 32) or not _HEX.match(parts[0]) or _zero(parts[0]):
        return None
    return parts[0], parts[1] if _HEX.match(parts[1]) else None


def parse_b3_multi(trace: str, span: str | None = None) -> Ids | None:
    """B3 multi-header: ``X-B3-TraceId`` read as B3 single's trace part, ``X-B3-SpanId`` as is."""
    ids = parse_b3(trace + "-x")
    if ids is None:
        return None
    return ids[0], span.lower() if span else None


def parse_uber(value: str) -> Ids | None:
    """Jaeger ``{trace}:{span}:{parent}:{flags}``; the trace id padded to 16 or 32 hex digits.

    Jaeger's HTTP propagation URL-encodes the value (``%3A`` for ``:``); it is decoded first.
    """
    if "%" in value:
        value = unquote(value)
    parts = [part.strip() for part in value.strip().lower().split(":")]
    if len(parts) != 4 or not _HEX.match(parts[0]) or _zero(parts[0]):
        return None
    return parts[0].rjust(16, "0") if len(parts[0]) <= 16 else parts[0].rjust(32, "0"), parts[1] or None


def parse_amzn(value: str) -> Ids | None:
    """AWS X-Ray ``Root=1-…;Parent=…;Sampled=…``: the root is the trace id."""
    for part in value.split(";"):
        key, _, val = part.strip().partition("=")
        if key.lower() == "root" and val:
            # Root=1-{8 hex time}-{24 hex id}: a root whose hex digits are all zero names no trace
            return (val, None) if not _zero(val.replace("-", "").removeprefix("1")) else None
    return None


@dataclass(frozen=True, slots=True)
class TraceFormat:
    """One propagation format: where it travels and how its value reads."""

    name: str
    headers: tuple[str, ...]  # lowercase Kafka header names; the first one must be there
    fields: tuple[str, ...]  # document keys (popped once read)
    read: Callable[..., Ids | None]  # the values of ``headers`` (or one field's value) -> ids


TRACE_FORMATS: tuple[TraceFormat, ...] = (
    TraceFormat("w3c", ("traceparent",), ("logflow.traceparent",), parse_traceparent),
    TraceFormat("b3", ("b3",), ("logflow.b3",), parse_b3),
    TraceFormat("b3-multi", ("x-b3-traceid", "x-b3-spanid"), (), parse_b3_multi),
    TraceFormat("jaeger", ("uber-trace-id",), (), parse_uber),
    TraceFormat("x-ray", ("x-amzn-trace-id",), (), parse_amzn),
)
_FIELD_FORMATS = tuple((key, fmt.read) for fmt in TRACE_FORMATS for key in fmt.fields)
TRACE_FIELDS = frozenset(key for key, _ in _FIELD_FORMATS)

#: Headers that name a request rather than a trace (the first present wins; `trace.id` when no trace).
REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-correlation-id", "correlation-id")

#: JSON keys (lowercased, the last part of ``json.KEY`` or ``json.<...headers>.KEY``) -> what they carry:
#: a format's header (the format and the header's place in its row) or, for request ids, None.
JSON_KEYS: dict[str, tuple[TraceFormat, int] | None] = {
    **{name: (fmt, i) for fmt in TRACE_FORMATS for i, name in enumerate(fmt.headers)},
    **dict.fromkeys(REQUEST_ID_HEADERS),
}
_HEADERS_OBJECT = "\x00"  # a key whose value may be a logged headers object (`json.headers`)
_JSON_KEY_NAMES: BoundedCache[str, str] = BoundedCache(4096)  # document key -> header name, _HEADERS_OBJECT or ""


def _json_header_name(key: str) -> str:
    """``json.X-B3-TraceId`` -> ``x-b3-traceid`` when that names a header of the table, else ""."""
    low = key[5:].lower() if key.startswith("json.") else ""
    if low in JSON_KEYS:
        return _JSON_KEY_NAMES.put(key, low)
    return _JSON_KEY_NAMES.put(key, _HEADERS_OBJECT if low.endswith("headers") else "")


def trace_from_json(doc: dict[str, Any]) -> None:
    """Trace headers an application logged as JSON keys (``json.X-B3-TraceId``, or inside an object such as
    ``json.headers``): read by the table's rows, in order, case-insensitively; the keys read are removed.

    Each document key is classified once (a bounded memo), so a document costs one lookup per key.
    """
    names = _JSON_KEY_NAMES
    found: dict[str, tuple[str, str | None, Any]] | None = None  # header -> (document key, key inside, value)
    for key in doc:
        name = names.get(key)
        if name is None:
            name = _json_header_name(key)
        if not name:
            continue
        if found is None:
            found = {}
        value = doc[key]
        if name == _HEADERS_OBJECT:
            if type(value) is dict:
                for inner, inner_value in value.items():
                    low = inner.lower() if type(inner) is str else ""
                    if low in JSON_KEYS and type(inner_value) is str:
                        found.setdefault(low, (key, inner, inner_value))
        elif type(value) is str:
            found.setdefault(name, (key, None, value))
    if not found:
        return
    used: list[tuple[str, str | None]] = []
    if "trace.id" not in doc:
        for fmt in TRACE_FORMATS:
            first = found.get(fmt.headers[0])
            if first is None:
                continue
            rest = [found[name][2] if name in found else None for name in fmt.headers[1:]]
            ids = fmt.read(first[2], *rest)
            if ids is not None:
                doc["trace.id"] = ids[0]
                if ids[1] and "span.id" not in doc:
                    doc["span.id"] = ids[1]
                used += [found[name][:2] for name in fmt.headers if name in found]
                break
    for name in REQUEST_ID_HEADERS:
        if name in found and (text := found[name][2].strip()):
            if "http.request.id" not in doc:
                doc["http.request.id"] = text
                used.append(found[name][:2])
            break
    for key, inner in used:
        if inner is None:
            doc.pop(key, None)
        else:
            holder = doc.get(key)
            if type(holder) is dict:
                holder = {k: v for k, v in holder.items() if k != inner}
                if holder:
                    doc[key] = holder
                else:
                    del doc[key]


#: Headers that fill service fields the event does not have.
SERVICE_HEADERS = (
    ("service", "service.name"),
    ("service.name", "service.name"),
    ("environment", "service.environment"),
    ("host", "host.name"),
)
FORCED = frozenset({"trace.id", "span.id"})  # the producer's trace context wins over ids in the event


def _ascii(value: bytes | None) -> str | None:
    if not value:
        return None
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        return None


def trace_from_headers(headers: dict[str, bytes], doc: dict[str, Any]) -> None:
    """The first format in ``TRACE_FORMATS`` whose headers read; then request id and service headers."""
    for fmt in TRACE_FORMATS:
        first = _ascii(headers.get(fmt.headers[0]))
        if first is None:
            continue
        rest = [_ascii(headers.get(name)) for name in fmt.headers[1:]]
        ids = fmt.read(first, *rest)
        if ids is not None:
            doc["trace.id"] = ids[0]
            if ids[1]:
                doc["span.id"] = ids[1]
            break
    for name, key in SERVICE_HEADERS:
        if key not in doc and (text := _ascii(headers.get(name))):
            doc[key] = text
    for name in REQUEST_ID_HEADERS:
        if text := _ascii(headers.get(name)):
            doc.setdefault("http.request.id", text.strip())
            break


def trace_from_fields(doc: dict[str, Any]) -> None:
    """Ids a JSON parser left under a format's field (``logflow.traceparent``...): read, then removed."""
    for key, read in _FIELD_FORMATS:
        value = doc.pop(key, None)
        if isinstance(value, str) and "trace.id" not in doc and (ids := read(value)):
            doc["trace.id"] = ids[0]
            if ids[1]:
                doc["span.id"] = ids[1]


def drop_zero_ids(doc: dict[str, Any]) -> None:
    """An all-zero ``trace.id`` or ``span.id`` (from any source, a JSON ``trace_id`` included) names nothing:
    W3C calls it invalid, B3 and Jaeger agree. It is removed rather than indexed as a trace everyone shares.
    """
    for key in ("trace.id", "span.id"):
        value = doc.get(key)
        if type(value) is str and value[:1] == "0" and not value.strip("0"):
            del doc[key]


# Free text: `key=value` / `key: "value"`. Each spelling (lowered) says what its value is.
TEXT_KEYS: tuple[tuple[str, str], ...] = (
    ("traceparent", "traceparent"),  # a W3C value: trace and span
    ("trace[_.-]?id", "trace"),  # a trace id as written (lowered when hex)
    ("span[_.-]?id", "span"),  # a span id as written (lowered when hex)
    ("req(?:uest)?[_.-]?id", "request"),  # request and correlation ids: `http.request.id`
    ("correlation[_.-]?id", "request"),
    ("x-request-id", "request"),
)


def _key_alternative(pattern: str) -> str:
    """``trace…`` -> ``t(?<!\\wt)race…``: the word boundary checked after the first letter, so the
    expression starts with a choice of letters and `re` scans for those instead of trying every position.
    """
    return f"{pattern[0]}(?<!\\w{pattern[0]}){pattern[1:]}"


_TEXT_IDS_SOURCE = (
    "(?P<key>" + "|".join(_key_alternative(pattern) for pattern, _ in TEXT_KEYS) + ")"
    r"[\"']?\s*[=:]\s*[\"']?(?P<value>[0-9A-Za-z][0-9A-Za-z._:-]{3,127})"
)
_TEXT_IDS = re.compile(_TEXT_IDS_SOURCE, re.IGNORECASE)
# Searched in the lowered message (a third faster than IGNORECASE); values are cut from the original.
_TEXT_IDS_LOWER = re.compile(_TEXT_IDS_SOURCE)
_TEXT_KINDS = [(re.compile(pattern), kind) for pattern, kind in TEXT_KEYS]
# Where a match of _TEXT_IDS_LOWER can start ("x-request-id" is found from its "req", with the same value).
_TEXT_ID_STEMS = ("trace", "span", "req", "correlation")
TEXT_ID_WORDS = ("id", "traceparent")  # a message without these holds no text id


def _text_kind(key: str) -> str:
    for pattern, kind in _TEXT_KINDS:
        if pattern.fullmatch(key):
            return kind
    return "request"


_KINDS: BoundedCache[str, str] = BoundedCache(64)  # the spellings are few; a bound all the same


def trace_from_text(message: str, doc: dict[str, Any], low: str | None = None) -> None:
    """``trace_id=…``, ``request_id=…``, ``traceparent=…`` in free text.

    ``low`` is ``message.lower()`` when the caller has it already.
    """
    if low is None:
        low = message.lower()
    if len(low) != len(message):  # a character grew when lowered ("İ"): positions differ, search the message
        for m in _TEXT_IDS.finditer(message):
            _text_id(m.group(1).lower(), message, m.start(2), m.end(2), doc)
        return
    # A match can start only where a key's stem does: find the stems (a fast substring search), then match
    # there in order, as finditer would, skipping stems inside a match. Cheaper than finditer trying the
    # expression at every t, r, c.
    candidates: list[int] = []
    for stem in _TEXT_ID_STEMS:
        position = low.find(stem)
        while position >= 0:
            candidates.append(position)
            position = low.find(stem, position + len(stem))
    if len(candidates) > 1:
        candidates.sort()
    end = 0
    for position in candidates:
        if position >= end and (match := _TEXT_IDS_LOWER.match(low, position)) is not None:
            end = match.end()
            _text_id(match.group(1), message, match.start(2), end, doc)


def _text_id(key: str, message: str, start: int, end: int, doc: dict[str, Any]) -> None:
    """One ``key=value`` found in ``message`` (``key`` lowered; the value ends the match)."""
    kind = _KINDS.get(key)
    if kind is None:
        kind = _KINDS.put(key, _text_kind(key))
    value = message[start:end]
    if kind == "traceparent":
        ids = parse_traceparent(value)
        if ids and "trace.id" not in doc:
            doc["trace.id"], doc["span.id"] = ids
    elif kind == "trace" or kind == "span":
        field = "trace.id" if kind == "trace" else "span.id"
        if field not in doc:
            lowered = value.lower()
            if _HEX.match(lowered):
                if not _zero(lowered):  # all zero: invalid by W3C, B3 and Jaeger alike
                    doc[field] = lowered
            else:
                doc[field] = value
    else:
        doc.setdefault("http.request.id", value)


@dataclass(frozen=True, slots=True)
class HeaderTrace:
    """What a header set says for the document: ids that win, and service fields that only fill gaps."""

    forced: tuple[tuple[str, Any], ...]
    defaults: tuple[tuple[str, Any], ...]


NO_TRACE = HeaderTrace((), ())


def header_trace(headers: dict[str, bytes]) -> HeaderTrace:
    fields: dict[str, Any] = {}
    trace_from_headers(headers, fields)
    if not fields:
        return NO_TRACE
    return HeaderTrace(
        tuple((k, v) for k, v in fields.items() if k in FORCED),
        tuple((k, v) for k, v in fields.items() if k not in FORCED),
    )


class HeaderTraces:
    """``header_trace`` memoized by the raw header tuple (bounded); a lone ``traceparent`` skips the memo."""

    def __init__(self) -> None:
        self._cache: BoundedCache[RawHeaders, HeaderTrace] = BoundedCache(4096)

    def __call__(self, raw: RawHeaders, names: dict[str, bytes]) -> HeaderTrace:
        if len(raw) == 1 and raw[0][0] == "traceparent":  # fresh per record (OpenTelemetry): not memoized
            text = _ascii(raw[0][1])
            ids = parse_traceparent(text) if text is not None else None
            return HeaderTrace((("trace.id", ids[0]), ("span.id", ids[1])), ()) if ids else NO_TRACE
        trace = self._cache.get(raw)
        if trace is None:
            trace = self._cache.put(raw, header_trace(names))
        return trace

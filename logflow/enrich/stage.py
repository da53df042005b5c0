"""The enrich stage: make every document speak ECS, whatever shape it arrived in.

Normalizes ``log.level``; finds trace context in Kafka headers, fields and free text (W3C
``traceparent``, B3, ``uber-trace-id``, ``X-Amzn-Trace-Id``, OpenTelemetry ids, request and
correlation ids); fills service, environment and host; splits stack traces into ``error.*``; adds
the ``error`` and ``security`` tags and the provenance fields. Configured once, called per event.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from logflow.config import PipelineConfig
from logflow.enrich.joined import holder, starts
from logflow.event import Record

if TYPE_CHECKING:
    from logflow.decode.headers import HeaderContext
from logflow.enrich.rules import RuleSet

LEVELS: dict[str, str] = {
    **{k: "trace" for k in ("trace", "trc", "finest", "finer", "verbose", "v", "10")},
    **{
        k: "debug"
        for k in ("debug", "dbg", "fine", "config", "d", "20", "7", "debug1", "debug2", "debug3", "debug4", "debug5")
    },
    **{
        k: "info"
        for k in (
            "info",
            "inf",
            "information",
            "informational",
            "notice",
            "i",
            "30",
            "6",
            "5",
            "log",
            "statement",
            "detail",
            "hint",
            "context",
            "query",
            "location",
        )
    },
    **{k: "warn" for k in ("warn", "wrn", "warning", "w", "40", "4")},
    **{k: "error" for k in ("error", "err", "eror", "severe", "e", "50", "3")},
    **{
        k: "fatal"
        for k in (
            "fatal",
            "ftl",
            "critical",
            "crit",
            "alert",
            "emerg",
            "emergency",
            "panic",
            "f",
            "a",
            "60",
            "2",
            "1",
            "0",
        )
    },
}
ERROR_LEVELS = frozenset({"error", "fatal"})

_HEX = re.compile(r"[0-9a-f]+\Z")
_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
# The word boundary is checked after each key's first letter (`t(?<!\wt)` is `\bt`), so the expression
# starts with a choice of letters and `re` scans for those before trying a match, instead of trying
# one at every position: a quarter fewer instructions on the messages that hold "id".
_TEXT_IDS_SOURCE = (
    r"(?P<key>t(?<!\wt)race(?:parent|[_.-]?id)|r(?<!\wr)eq(?:uest)?[_.-]?id|c(?<!\wc)orrelation[_.-]?id"
    r"|x(?<!\wx)-request-id)"
    r"[\"']?\s*[=:]\s*[\"']?(?P<value>[0-9A-Za-z][0-9A-Za-z._:-]{3,127})"
)
_TEXT_IDS = re.compile(_TEXT_IDS_SOURCE, re.IGNORECASE)
# What each spelling of a key (lowered) is; every other key the expression takes is a request id.
_TEXT_ID_KINDS = {"traceparent": "traceparent"} | {f"trace{sep}id": "trace" for sep in ("", "_", ".", "-")}
# Searched in the lowered message (a third faster than IGNORECASE); values are cut from the original.
_TEXT_IDS_LOWER = re.compile(_TEXT_IDS_SOURCE)
_TEXT_ID_STEMS = ("trace", "req", "correlation")  # where a match of _TEXT_IDS_LOWER can start
_SECURITY = re.compile(
    r"fail(?:ed|ure)?\s+(?:login|logon|password|authentication|auth)|authentication fail|invalid user"
    r"|unauthori[sz]ed|forbidden|permission denied|access denied|brute.?force|break-in attempt"
)
_SECURITY_WORDS = ("fail", "invalid", "unauthori", "forbidden", "denied", "brute", "break-in")


def keeps_original(mode: str, tags: object) -> bool:
    """Whether the raw line is indexed as ``event.original``: ``pipeline.keep_original`` "always", or
    "failures" for an event tagged ``parse_failure``. The redact stage masks exactly the lines this keeps.
    """
    return mode == "always" or (mode == "failures" and type(tags) is list and "parse_failure" in tags)


def is_security_message(message: str, low: str | None = None) -> bool:
    """Failed logins, unauthorized access...; a substring check first, as most lines have none of the words.

    ``low`` is ``message.lower()`` when the caller has it already.
    """
    if low is None:
        low = message.lower()
    for word in _SECURITY_WORDS:
        if word in low:
            return _SECURITY.search(low) is not None
    return False
_EXCEPTION_LINE = re.compile(
    r"^(?:Caused by: )?"
    r"([A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)*(?:Error|Exception|Fault|Throwable|Exit|Interrupt|Warning)\w*"
    r"|[A-Z]\w+Error)"
    r"(?::\s?(.*))?$"
)


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


def parse_b3(value: str) -> tuple[str, str | None] | None:
    """B3 single header ``{trace}-{span}[-{sampled}[-{parent}]]``; a bare ``0``/``1`` carries no ids."""
    parts = value.strip().lower().split("-")
    if len(parts) < 2 or len(parts[0]) not in (16, 32) or not _HEX.match(parts[0]) or _zero(parts[0]):
        return None
    return parts[0], parts[1] if _HEX.match(parts[1]) else None


def parse_uber(value: str) -> tuple[str, str | None] | None:
    parts = value.strip().lower().split(":")
    if len(parts) != 4 or not _HEX.match(parts[0]) or _zero(parts[0]):
        return None
    return parts[0].rjust(16, "0") if len(parts[0]) <= 16 else parts[0].rjust(32, "0"), parts[1] or None


def parse_amzn(value: str) -> str | None:
    for part in value.split(";"):
        key, _, val = part.strip().partition("=")
        if key.lower() == "root" and val:
            return val
    return None


def _header_str(value: bytes) -> str | None:
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        return None


def trace_from_headers(headers: dict[str, bytes], doc: dict[str, Any]) -> None:
    """Kafka headers carry the producer's context; they win over ids found in fields or text."""
    value = headers.get("traceparent")
    if value and (text := _header_str(value)) and (ids := parse_traceparent(text)):
        doc["trace.id"], doc["span.id"] = ids
    elif (value := headers.get("b3")) and (text := _header_str(value)) and (b3 := parse_b3(text)):
        doc["trace.id"] = b3[0]
        if b3[1]:
            doc["span.id"] = b3[1]
    elif (value := headers.get("x-b3-traceid")) and (text := _header_str(value)) and (b3 := parse_b3(text + "-x")):
        doc["trace.id"] = b3[0]
        span = headers.get("x-b3-spanid")
        if span and (span_text := _header_str(span)):
            doc["span.id"] = span_text.lower()
    elif (value := headers.get("uber-trace-id")) and (text := _header_str(value)) and (uber := parse_uber(text)):
        doc["trace.id"] = uber[0]
        if uber[1]:
            doc["span.id"] = uber[1]
    elif (value := headers.get("x-amzn-trace-id")) and (text := _header_str(value)) and (root := parse_amzn(text)):
        doc["trace.id"] = root
    for name, key in (
        ("service", "service.name"),
        ("service.name", "service.name"),
        ("environment", "service.environment"),
        ("host", "host.name"),
    ):
        value = headers.get(name)
        if value and key not in doc and (text := _header_str(value)):
            doc[key] = text
    for name in ("x-request-id", "request-id", "x-correlation-id", "correlation-id"):
        value = headers.get(name)
        if value and (text := _header_str(value)):
            doc.setdefault("http.request.id", text.strip())
            break


def trace_from_fields(doc: dict[str, Any]) -> None:
    """Ids the JSON parser left under their wire names (``logflow.traceparent`` etc.)."""
    tp = doc.pop("logflow.traceparent", None)
    if isinstance(tp, str) and "trace.id" not in doc and (ids := parse_traceparent(tp)):
        doc["trace.id"], doc["span.id"] = ids
    b3 = doc.pop("logflow.b3", None)
    if isinstance(b3, str) and "trace.id" not in doc and (b3ids := parse_b3(b3)):
        doc["trace.id"] = b3ids[0]
        if b3ids[1]:
            doc["span.id"] = b3ids[1]


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
    # A match can start only where a key's stem does ("x-request-id" is found from its "req", with the
    # same value): find the stems (a fast substring search), then match there in order, as finditer
    # would, skipping stems inside a match. Cheaper than finditer trying the expression at every t, r, c.
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
    kind = _TEXT_ID_KINDS.get(key, "request")
    value = message[start:end]
    if kind == "traceparent":
        ids = parse_traceparent(value)
        if ids and "trace.id" not in doc:
            doc["trace.id"], doc["span.id"] = ids
    elif kind == "trace":
        if "trace.id" not in doc:
            lowered = value.lower()
            doc["trace.id"] = lowered if _HEX.match(lowered) else value
    else:
        doc.setdefault("http.request.id", value)


def split_stack_trace(trace: str) -> tuple[str | None, str | None]:
    """(error.type, error.message) from a Python traceback (last line) or a Java trace (first line)."""
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    if not lines:
        return None, None
    candidates = [lines[-1], lines[0]] if lines[0].startswith("Traceback") else [lines[0], lines[-1]]
    for line in candidates:
        m = _EXCEPTION_LINE.match(line)
        if m:
            return m.group(1), (m.group(2) or "").strip() or None
    return None, None


class Enricher:
    """Per-event enrichment with everything that can be decided once decided in ``__init__``."""

    def __init__(self, pipeline: PipelineConfig, rules: RuleSet | None = None) -> None:
        self.default_service = pipeline.service_name
        self.default_environment = pipeline.environment
        self.keep_original = pipeline.keep_original
        self.rules = rules if rules else None
        self._levels: dict[str | int, str] = {}

    def security_candidates(self, messages: Sequence[object]) -> list[bool]:
        """For each message (a document's ``message`` before enrichment), whether it holds a security word.

        Few messages do: the words are searched once in the batch, joined and lowered, with a fast
        substring search, instead of seven times in every message. Header contexts never set
        ``message``, so the text ``__call__`` reads is the one checked here.
        """
        texts = [m if type(m) is str else "" for m in messages]
        joined = "\x00".join(texts)  # no word holds a NUL: no hit spans two messages
        low = joined.lower()
        if len(low) != len(joined):  # a character that lowers to two ("İ") shifts positions
            return [True] * len(texts)
        found = [False] * len(texts)
        message_starts: list[int] = []  # built at the first hit
        for word in _SECURITY_WORDS:
            position = low.find(word)
            while position >= 0:
                if not message_starts:
                    message_starts = starts(texts)
                j = holder(message_starts, position)
                found[j] = True
                position = low.find(word, message_starts[j + 1])  # on from the next message: this one is found
        return found

    def __call__(
        self,
        doc: dict[str, Any],
        record: Record,
        context: HeaderContext | None,
        ingested: str,
        original: str | None,
        security_words: bool = True,
    ) -> None:
        """Enrich ``doc`` in place (the hot path: lookups are cached and every check is cheap first).

        ``security_words`` False (from ``security_candidates``): the message holds none, skip the search.
        """
        level = doc.get("log.level")
        if level is not None:
            cacheable = type(level) is str or type(level) is int  # not bool: True == 1 as a dict key
            normal = self._levels.get(level) if cacheable else None
            if normal is None:
                key = str(level).strip().lower()
                normal = LEVELS.get(key, key)
                if cacheable and len(self._levels) < 1024:
                    self._levels[level] = normal
            doc["log.level"] = normal
        if context is not None:
            for key, value in context.forced:
                doc[key] = value
            for key, value in context.defaults:
                if key not in doc:
                    doc[key] = value
        if "logflow.traceparent" in doc or "logflow.b3" in doc:
            trace_from_fields(doc)
        message = doc.get("message")
        low = None
        if type(message) is not str:
            message = None
        else:
            low = message.lower()  # shared by the trace and security checks
            if "id" in low or "traceparent" in low:
                trace_from_text(message, doc, low)
        if "trace.id" not in doc and "http.request.id" in doc:
            doc["trace.id"] = doc["http.request.id"]  # no real trace: correlate by request id
        stack = doc.get("error.stack_trace")
        if stack is not None and type(stack) is str and "error.type" not in doc:
            etype, emessage = split_stack_trace(stack)
            if etype:
                doc["error.type"] = etype
                if emessage and "error.message" not in doc:
                    doc["error.message"] = emessage
        if self.default_service and "service.name" not in doc:
            doc["service.name"] = self.default_service
        if self.default_environment and "service.environment" not in doc:
            doc["service.environment"] = self.default_environment
        tags = doc.get("tags")
        if not tags:
            tags = []
        elif type(tags) is not list:
            tags = [str(tags)]
        if self.rules is not None:
            self.rules.apply(doc, tags)
        if doc.get("log.level") in ERROR_LEVELS or "error.type" in doc:
            tags.append("error")
        if (security_words and message is not None and is_security_message(message, low)) or doc.get(
            "event.dataset"
        ) == "audit":
            tags.append("security")
        if "@timestamp" not in doc:
            envelope_time = doc.pop("logflow.envelope_timestamp", None)
            if "logflow.timestamp_unparsed" in doc:
                tags.append("timestamp_failure")
            if isinstance(envelope_time, str):
                doc["@timestamp"] = envelope_time  # the shipper's read time: close, and honest
            else:
                doc["@timestamp"] = ingested
                tags.append("timestamp_missing")
        elif "logflow.envelope_timestamp" in doc:
            del doc["logflow.envelope_timestamp"]
        if tags:
            doc["tags"] = sorted(set(tags)) if len(tags) > 1 else tags
        doc["event.ingested"] = ingested
        doc["logflow.kafka.topic"] = record.topic
        doc["logflow.kafka.partition"] = record.partition
        doc["logflow.kafka.offset"] = record.offset
        if record.joined:  # as Filebeat marks its multiline events, so the same Kibana filter works
            doc["log.flags"] = ["multiline"]
        if original is not None and keeps_original(self.keep_original, tags):
            doc["event.original"] = original

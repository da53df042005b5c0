"""The enrich stage: make every document speak ECS, whatever shape it arrived in.

Normalizes ``log.level`` (``levels``); reads trace context from Kafka headers, fields and free text
(``trace``); fills service, environment and host; splits stack traces into ``error.*``; applies the
enrichment rules; adds the ``error`` and ``security`` tags, the event time when the line had none,
and the provenance fields. Configured once, called per batch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson

from logflow.cache import BoundedCache
from logflow.config import EnrichConfig
from logflow.enrich.categories import categorize_audit
from logflow.enrich.exceptions import error_from_message, error_objects, split_stack_trace
from logflow.enrich.joined import holder, starts
from logflow.enrich.levels import ERROR_LEVELS, LEVELS
from logflow.enrich.rules import RuleSet
from logflow.enrich.trace import (
    TEXT_ID_WORDS,
    TRACE_FIELDS,
    HeaderTrace,
    HeaderTraces,
    drop_zero_ids,
    trace_from_fields,
    trace_from_json,
    trace_from_text,
)
from logflow.event import Batch, Record
from logflow.parse.timestamps import format_utc, record_moment

_SECURITY = re.compile(
    r"fail(?:ed|ure)?\s+(?:login|logon|password|authentication|auth)|authentication fail|invalid user"
    r"|unauthori[sz]ed|forbidden|permission denied|access denied|brute.?force|break-in attempt"
)
_SECURITY_WORDS = ("fail", "invalid", "unauthori", "forbidden", "denied", "brute", "break-in")


def tag_texts(tags: list[Any]) -> list[str]:
    """Tags as the keyword strings they are indexed as: text kept, null dropped, anything else as its JSON."""
    return [tag if type(tag) is str else orjson.dumps(tag).decode() for tag in tags if tag is not None]


def keeps_original(mode: str, tags: object) -> bool:
    """Whether the raw line is indexed as ``event.original``: ``parse.keep_original`` "always", or
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


_TRACE_FIELD_KEYS = tuple(sorted(TRACE_FIELDS))


class Enricher:
    """The enrich stage, with everything that can be decided once decided in ``__init__``."""

    def __init__(self, enrich: EnrichConfig, keep_original: str = "failures", rules: RuleSet | None = None) -> None:
        self.default_service = enrich.service_name
        self.default_environment = enrich.environment
        self.keep_original = keep_original
        self.rules = rules if rules else None
        self._levels: BoundedCache[str | int, str] = BoundedCache(1024)
        self.traces = HeaderTraces()

    def __call__(self, batch: Batch) -> None:
        """Enrich every event of ``batch`` in place; the security words are searched once for the batch."""
        events = batch.events
        security = self.security_candidates([event.doc.get("message") for event in events])
        ingested = batch.ingested
        traces = self.traces
        for i in range(len(events)):  # an index loop: the compiled build runs it natively
            event = events[i]
            try:
                record = event.record
                trace = None if event.finished or not record.headers else traces(record.headers, event.headers.names)
                decoded = event.decoded
                json_object = decoded is not None and decoded.obj is not None
                self.document(event.doc, record, trace, ingested, event.original, security[i], json_object)
            except Exception as exc:  # a bug must not stop the worker
                batch.fail(event, "process", exc)

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

    def document(
        self,
        doc: dict[str, Any],
        record: Record,
        trace: HeaderTrace | None,
        ingested: str,
        original: str | None,
        security_words: bool = True,
        json_object: bool = True,
    ) -> None:
        """Enrich one document in place (the hot path: lookups are cached and every check is cheap first).

        ``trace`` is what the record's headers say (None: nothing); ``security_words`` False (from
        ``security_candidates``): the message holds none, skip the search; ``json_object`` False: the
        record was a line, not a JSON object, so no ``json.*`` key can hold a logged trace header.
        """
        level = doc.get("log.level")
        if level is not None:
            cacheable = type(level) is str or type(level) is int  # not bool: True == 1 as a dict key
            normal = self._levels.get(level) if cacheable else None
            if normal is None:
                key = str(level).strip().lower()
                normal = LEVELS.get(key, key)
                if cacheable:
                    self._levels.put(level, normal)
            doc["log.level"] = normal
        if trace is not None:
            for key, value in trace.forced:
                doc[key] = value
            for key, value in trace.defaults:
                if key not in doc:
                    doc[key] = value
        for key in _TRACE_FIELD_KEYS:
            if key in doc:
                trace_from_fields(doc)
                break
        if json_object:
            trace_from_json(doc)
        message = doc.get("message")
        low = None
        if type(message) is not str:
            message = None
        else:
            low = message.lower()  # shared by the trace and security checks
            for word in TEXT_ID_WORDS:
                if word in low:
                    trace_from_text(message, doc, low)
                    break
        if "trace.id" in doc or "span.id" in doc:
            drop_zero_ids(doc)
        if "trace.id" not in doc and "http.request.id" in doc:
            doc["trace.id"] = doc["http.request.id"]  # no real trace: correlate by request id
        if json_object:
            error_objects(doc)  # pino/bunyan `err`, a logged `error` object: to error.*
        if "error.type" not in doc:
            stack = doc.get("error.stack_trace")
            if stack is not None and type(stack) is str:
                etype, emessage = split_stack_trace(stack)
                if etype:
                    doc["error.type"] = etype
                    if emessage and "error.message" not in doc:
                        doc["error.message"] = emessage
            if message is not None and low is not None and "error.type" not in doc:
                header = error_from_message(message, low)
                if header is not None:
                    doc["error.type"] = header[0]
                    if header[1] and "error.message" not in doc:
                        doc["error.message"] = header[1]
                    if header[2] and "error.code" not in doc:
                        doc["error.code"] = header[2]
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
            if doc.get("event.dataset") == "audit":
                categorize_audit(doc)
        stamp = doc.get("@timestamp")
        if stamp is not None and type(stamp) is not str:  # a producer's object or array: not a time, kept as text
            doc["logflow.timestamp_unparsed"] = orjson.dumps(stamp, default=str).decode()[:256]
            del doc["@timestamp"]
        if "@timestamp" not in doc:
            envelope_time = doc.pop("logflow.envelope_timestamp", None)
            if "logflow.timestamp_unparsed" in doc:
                tags.append("timestamp_failure")
            if isinstance(envelope_time, str):
                doc["@timestamp"] = envelope_time  # the shipper's read time: close, and honest
            else:
                # The Kafka record's timestamp, the same on every re-read: the index (by day) must not
                # depend on the clock of whoever processes the record. Ingest time only without one.
                moment = record_moment(record.timestamp_ms)
                doc["@timestamp"] = ingested if moment is None else format_utc(moment)
                tags.append("timestamp_missing")
        elif "logflow.envelope_timestamp" in doc:
            del doc["logflow.envelope_timestamp"]
        if tags:
            if len(tags) > 1:
                try:
                    tags = sorted(set(tags))
                except TypeError:  # a producer's own tags of other types (null, a number beside text, an object)
                    tags = sorted(set(tag_texts(tags)))
            elif type(tags[0]) is not str:
                tags = tag_texts(tags)
            doc["tags"] = tags
        doc["event.ingested"] = ingested
        doc["logflow.kafka.topic"] = record.topic
        doc["logflow.kafka.partition"] = record.partition
        doc["logflow.kafka.offset"] = record.offset
        if record.joined:  # as Filebeat marks its multiline events, so the same Kibana filter works
            doc["log.flags"] = ["multiline"]
        if original is not None and keeps_original(self.keep_original, tags):
            doc["event.original"] = original

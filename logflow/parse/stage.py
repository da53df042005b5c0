"""The parse stage: each decoded line or object becomes its document.

A JSON object goes to the JSON parser that accepts it (keys renamed to ECS, the rest under
``json.``), and every field the index mapping would refuse is moved where it fits (``mapping.fit``).
A text line's first line goes through the text parsers (``ParserSet.parse_text``);
further lines (a stack trace) become ``error.stack_trace``. A line no parser matches is still an
event, tagged ``parse_failure``, its raw line kept for ``event.original``: its header is read by
``parse/infer.py`` (its own time, its level, the text after them as ``message``, tagged
``parse_inferred`` as well), or, when it shows neither, its text is the ``message``. The envelope's
metadata fills what the line did not say.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from logflow.cache import BoundedCache
from logflow.errors import RecordError
from logflow.event import Batch, Decoded, Record
from logflow.parse import syslog
from logflow.parse.infer import infer
from logflow.parse.mapping import fit
from logflow.parse.parsers import FALLBACK_DATASET, ParserSet
from logflow.parse.timestamps import TimeParser, record_moment

OTHER_LABEL = "other"  # the metric label of a parse failure whose dataset no parser defines


class Parse:
    """Configured once with the parsers; called per batch."""

    def __init__(self, parsers: ParserSet, keep_original: str) -> None:
        self.parsers = parsers
        self.keep_original = keep_original
        self._envelope_time = TimeParser(["ISO8601", "EPOCH"])
        self._moments: BoundedCache[int, datetime] = BoundedCache(4096)
        self.metric_labels = frozenset({p.dataset for p in parsers} | {FALLBACK_DATASET})

    def __call__(self, batch: Batch) -> None:
        """Parse every event; a time without a year is read relative to the record's own Kafka timestamp.

        The year a ``Nov 23 01:02:03`` gets must not depend on when (or where) the record is processed:
        a redelivery after New Year would land in another index. Only a record without a timestamp
        falls back to the batch's clock.
        """
        now, failures = batch.now, batch.parse_failures
        moments = self._moments
        for event in batch.events:
            decoded = event.decoded
            if decoded is None:  # finished (a dead letter)
                continue
            stamp = event.record.timestamp_ms
            record_now = now
            if stamp is not None:
                second = stamp // 1000  # one datetime per second of records, shared (never changed)
                record_now = moments.get(second) or moments.put(second, record_moment(stamp) or now)
            try:
                event.doc, event.original = self.document(event.record, decoded, record_now)
            except RecordError as exc:
                batch.reject(event, "parse", exc.error_type, exc.reason)
                continue
            except Exception as exc:  # a bug must not stop the worker
                batch.fail(event, "process", exc)
                continue
            if event.doc.get("logflow.parser") == "none":
                dataset = event.doc.get("event.dataset")
                # A metric label: a producer's hint header can say anything, so only datasets a parser
                # defines (and the fallback) are labels of their own; the rest count as `other`.
                label = dataset if type(dataset) is str and dataset in self.metric_labels else OTHER_LABEL
                failures[label] = failures.get(label, 0) + 1

    def document(self, record: Record, dec: Decoded, now: datetime) -> tuple[dict[str, Any], str | None]:
        """The document of one decoded record, and its raw line (for `event.original`, masked by redact)."""
        if dec.obj is not None:
            parser = self.parsers.json_parser_for(dec.obj, dec.hint)
            if parser is None:
                raise RecordError("no JSON parser is defined", "no_json_parser")
            doc = parser.fields_from_json(dec.obj)
            namespace: str | None = parser.extra_prefix
            parser.finish(doc, now)
            doc.setdefault("event.dataset", parser.dataset)
            doc["logflow.parser"] = parser.name
            original = None
            if self.keep_original == "always":
                original = (record.value or b"").decode("utf-8", "replace")
            tags = list(parser.tags)
        else:
            namespace = None
            text = dec.text or ""
            head, newline, tail = text.partition("\n")
            timeouts: list[str] = []
            match = self.parsers.parse_text(head, dec.source, record.topic, dec.hint, timeouts)
            if match is not None:
                doc = match.fields
                parser = match.parser
                if "message" not in doc:
                    # Access logs capture no message: the parser's `message` format builds a short one
                    # ("GET /api/orders 502"), which also mines into useful templates; the line itself
                    # is kept in event.original.
                    built = parser.build_message(doc)
                    doc["message"] = built if built is not None else head
                    if built is not None and self.keep_original != "never":
                        doc["event.original"] = head
                if newline and tail.strip():
                    doc.setdefault("error.stack_trace", tail)
                parser.finish(doc, now)
                doc["event.dataset"] = parser.dataset
                doc["logflow.parser"] = parser.name
                tags = list(parser.tags)
            else:
                hinted = self.parsers.for_hint(dec.hint)
                doc = {
                    "message": text,
                    "event.dataset": hinted.dataset if hinted else (dec.hint or FALLBACK_DATASET),
                    "logflow.parser": "none",
                }
                tags = ["parse_failure"]
                # A missing year and an epoch's plausibility are judged against `now`: the record's own time.
                inferred = infer(head, now, tail.partition("\n")[0])
                if inferred is not None:
                    if inferred.message:
                        doc["message"] = inferred.message + text[len(head) :]
                    if inferred.timestamp is not None:
                        doc["@timestamp"] = inferred.timestamp
                    if inferred.level is not None:
                        doc["log.level"] = inferred.level
                    tags.append("parse_inferred")
            if timeouts:  # a pattern ran out of its time budget on this line: visible, never a stall
                tags.append("grok_timeout")
                doc["logflow.grok_timeouts"] = timeouts
            original = text
        if dec.meta:
            for key, value in dec.meta.items():
                doc.setdefault(key, value)
            envelope_time = doc.get("logflow.envelope_timestamp")
            # Only a fallback for events without a time of their own (enrich drops it otherwise): parse it then.
            if envelope_time is not None and "@timestamp" not in doc:
                stamp = self._envelope_time.parse(envelope_time, now)
                if stamp is None:
                    del doc["logflow.envelope_timestamp"]
                else:
                    doc["logflow.envelope_timestamp"] = stamp
        if syslog.PRIORITY in doc or syslog.SEVERITY_CODE in doc or syslog.FACILITY_CODE in doc:
            syslog.derive(doc)  # after the envelope's metadata: rsyslog's pri/syslogseverity count too
        if namespace is not None:
            fit(doc, namespace)  # a user's key names never cost the event a mapping rejection
        if dec.tags:
            tags.extend(dec.tags)
        if tags:
            existing = doc.get("tags")
            doc["tags"] = [*existing, *tags] if isinstance(existing, list) else tags
        return doc, original

"""The parse stage: each decoded line or object becomes its document.

A JSON object goes to the JSON parser that accepts it (keys renamed to ECS, the rest under
``json.``). A text line's first line goes through the text parsers (``ParserSet.parse_text``);
further lines (a stack trace) become ``error.stack_trace``. A line no parser matches is still an
event: its text is the ``message``, it is tagged ``parse_failure`` and its raw line is kept for
``event.original``. The envelope's metadata fills what the line did not say.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from logflow.errors import RecordError
from logflow.event import Batch, Decoded, Record
from logflow.parse.parsers import FALLBACK_DATASET, ParserSet
from logflow.parse.timestamps import TimeParser

OTHER_LABEL = "other"  # the metric label of a parse failure whose dataset no parser defines


class Parse:
    """Configured once with the parsers; called per batch."""

    def __init__(self, parsers: ParserSet, keep_original: str) -> None:
        self.parsers = parsers
        self.keep_original = keep_original
        self._envelope_time = TimeParser(["ISO8601", "EPOCH"])
        self.metric_labels = frozenset({p.dataset for p in parsers} | {FALLBACK_DATASET})

    def __call__(self, batch: Batch) -> None:
        now, failures = batch.now, batch.parse_failures
        for event in batch.events:
            decoded = event.decoded
            if decoded is None:  # finished (a dead letter)
                continue
            try:
                event.doc, event.original = self.document(event.record, decoded, now)
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
            parser.finish(doc, now)
            doc.setdefault("event.dataset", parser.dataset)
            doc["logflow.parser"] = parser.name
            original = None
            if self.keep_original == "always":
                original = (record.value or b"").decode("utf-8", "replace")
            tags = list(parser.tags)
        else:
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
        if dec.tags:
            tags.extend(dec.tags)
        if tags:
            existing = doc.get("tags")
            doc["tags"] = [*existing, *tags] if isinstance(existing, list) else tags
        return doc, original

"""The pure middle of the pipeline: a batch of records in, bulk actions and rejections out.

decode -> parse -> enrich -> mine -> route -> serialize, with no I/O. Everything per batch is computed
once per batch (ingest time); everything per configuration once per process (compiled parsers,
routing tables). One bad record becomes a ``Rejection``; it never raises out of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from logflow.config import Settings
from logflow.deadletter.document import dead_letter_document
from logflow.decode.headers import NO_HEADERS, HeaderContext, HeaderContexts
from logflow.decode.stage import decode
from logflow.enrich.redact import Redactor
from logflow.enrich.rules import RuleSet
from logflow.enrich.stage import Enricher
from logflow.errors import RecordError
from logflow.event import Action, Processed, Record, Rejection
from logflow.mining import TemplateMiner
from logflow.parse.parsers import FALLBACK_DATASET, ParserSet
from logflow.parse.timestamps import TimeParser, format_utc
from logflow.route.router import Router


class Processor:
    """Configured once per worker; ``process`` is called per batch."""

    def __init__(self, settings: Settings, parsers: ParserSet | None = None) -> None:
        self.settings = settings
        self.parsers = parsers or ParserSet.load(settings.pipeline.parsers_dir)
        self.enrich = Enricher(settings.pipeline, RuleSet(settings.enrich, self.parsers.library))
        self.redact = Redactor.from_config(settings.redaction, settings.pipeline.keep_original)
        self.router = Router(settings.pipeline.index_prefix, settings.routing)
        self.max_bytes = settings.pipeline.max_line_bytes
        self.keep_original = settings.pipeline.keep_original
        self._envelope_time = TimeParser(["ISO8601", "EPOCH"])
        self.miner = TemplateMiner()
        self.header_context = HeaderContexts()

    def document(self, record: Record, now: datetime, ingested: str) -> dict[str, Any]:
        """One record to its finished document (raises RecordError for what cannot be indexed).

        The per-record form of ``process`` (same stages, redaction per document), for checks and tools.
        """
        parsed = self._parse(record, now, ingested)
        if isinstance(parsed, dict):
            return parsed
        doc, context, original = parsed
        if self.redact is not None:  # before enrich, so the raw line it keeps is masked too
            original = self.redact(doc, original)
        self.enrich(doc, record, context, ingested, original)
        return doc

    def _parse(
        self, record: Record, now: datetime, ingested: str
    ) -> dict[str, Any] | tuple[dict[str, Any], HeaderContext, str | None]:
        """Decode and parse: (document, header context, raw line) to redact and enrich, or a finished document."""
        context = self.header_context(record.headers) if record.headers else NO_HEADERS
        if context.dead_letter:
            # From the dead-letter topic: a fixed-shape document, never re-parsed.
            doc = dead_letter_document(record, context.headers, ingested)
            self.enrich(doc, record, None, ingested, None)
            return doc
        dec = decode(record, self.max_bytes, context)
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
        return doc, context, original

    def process(
        self, records: Sequence[Record], keep_documents: bool = False, now: datetime | None = None
    ) -> Processed:
        """The batch's actions and rejections; ``now`` (ingest time) is the clock, fixed by tests."""
        if now is None:
            now = datetime.now(UTC)
        ingested = format_utc(now)
        out = Processed()
        rejections = out.rejections
        docs: list[dict[str, Any]] = []
        kept: list[Record] = []
        contexts: list[HeaderContext | None] = []  # None: a finished (dead-letter) document
        originals: list[str | None] = []
        for record in records:
            try:
                parsed = self._parse(record, now, ingested)
            except RecordError as exc:
                stage = "decode" if exc.error_type in ("empty", "invalid_utf8") else "parse"
                rejections.append(Rejection(record, stage, exc.error_type, exc.reason))
                continue
            except Exception as exc:  # a bug must not stop the worker: dead-letter the record, keep going
                rejections.append(_bug(record, exc))
                continue
            kept.append(record)
            if isinstance(parsed, dict):
                docs.append(parsed)
                contexts.append(None)
                originals.append(None)
            else:
                docs.append(parsed[0])
                contexts.append(parsed[1])
                originals.append(parsed[2])
        # Per batch: the redaction prechecks scan each field's values at once.
        failed = self._redact(docs, contexts, originals) if self.redact is not None else {}
        enrich = self.enrich
        security = enrich.security_candidates([doc.get("message") for doc in docs])  # searched per batch
        finished: list[int] = []
        # Index loops over the parallel lists: the compiled build runs them natively (zip is a generic iterator).
        for i in range(len(docs)):
            record, doc, context = kept[i], docs[i], contexts[i]
            if context is None:
                finished.append(i)
                continue
            if failed and i in failed:  # never indexed unmasked
                rejections.append(_bug(record, failed[i]))
                continue
            try:
                enrich(doc, record, context, ingested, originals[i], security[i])
                finished.append(i)
            except Exception as exc:  # a bug must not stop the worker
                rejections.append(_bug(record, exc))
        if len(finished) < len(docs):
            kept = [kept[i] for i in finished]
            docs = [docs[i] for i in finished]
        # Mining is per batch: the miner's caches make a batch far cheaper than its lines one by one.
        templates = self.miner.add_batch([_first_line(doc.get("message", "")) for doc in docs])
        if len(templates) != len(docs):
            raise AssertionError(f"the miner returned {len(templates)} templates for {len(docs)} messages")
        actions = out.actions
        router = self.router
        dumps = orjson.dumps
        failures = out.parse_failures
        for i in range(len(docs)):
            record, doc, template = kept[i], docs[i], templates[i]
            if doc.get("logflow.parser") == "none":
                dataset = str(doc.get("event.dataset"))
                failures[dataset] = failures.get(dataset, 0) + 1
            doc["logflow.template.id"] = template.id
            doc["logflow.template.text"] = template.text
            try:
                primary, copies = router.route(doc)
                source = dumps(doc)
            except Exception as exc:  # e.g. an integer orjson cannot encode
                rejections.append(Rejection(record, "serialize", type(exc).__name__, f"{type(exc).__name__}: {exc}"))
                continue
            doc_id = record.doc_id
            actions.append(Action(record, primary, doc_id, source))
            for index in copies:
                actions.append(Action(record, index, doc_id, source, copy=True))
            if keep_documents:
                doc["_index"] = primary
                out.documents.append(doc)
        return out

    def _redact(
        self, docs: list[dict[str, Any]], contexts: list[HeaderContext | None], originals: list[str | None]
    ) -> dict[int, Exception]:
        """Redact, in place, the documents still to enrich (dead-letter documents are not); the ones that failed."""
        assert self.redact is not None
        todo = [i for i, context in enumerate(contexts) if context is not None]
        batch = [docs[i] for i in todo] if len(todo) < len(docs) else docs
        raws = [originals[i] for i in todo]
        try:
            self.redact.batch(batch, raws)
        except Exception:  # a bug must not cost the batch: one by one, so only the failing documents are lost
            failed: dict[int, Exception] = {}
            for i in todo:
                try:
                    originals[i] = self.redact(docs[i], originals[i])
                except Exception as exc:
                    failed[i] = exc
            return failed
        for i, raw in zip(todo, raws, strict=True):
            originals[i] = raw
        return {}


def _first_line(message: object) -> str:
    """What the miner learns from: the message's first line (most have one line: no split then)."""
    text = str(message)
    return text.partition("\n")[0] if "\n" in text else text


def _bug(record: Record, exc: Exception) -> Rejection:
    return Rejection(record, "process", type(exc).__name__, f"{type(exc).__name__}: {exc}")

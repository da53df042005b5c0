"""The pure middle of the pipeline: a batch of records in, bulk actions and rejections out.

The stages in order, each configured once and called per batch with the same ``stage(batch)``:

    dead letters -> decode -> parse -> redact -> enrich -> mine -> route -> serialize

No I/O. One bad record becomes a ``Rejection`` with its reason; it never raises out of the batch.
Everything per batch is computed once per batch (the ingest time); everything per configuration
once per process (compiled parsers, routing tables).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from logflow.config import Settings
from logflow.deadletter.document import DeadLetterDocuments
from logflow.decode.stage import Decode
from logflow.enrich.redact import Redactor
from logflow.enrich.rules import RuleSet
from logflow.enrich.stage import Enricher
from logflow.errors import RecordError
from logflow.event import Batch, Event, Processed, Record, Stage
from logflow.mining import TemplateMiner
from logflow.mining.config import miner_config
from logflow.mining.stage import Mine
from logflow.parse.parsers import ParserSet
from logflow.parse.stage import Parse
from logflow.parse.timestamps import format_utc
from logflow.route.router import Router
from logflow.sink.encode import Serialize


class Processor:
    """Configured once per worker; ``process`` is called per batch."""

    def __init__(self, settings: Settings, parsers: ParserSet | None = None) -> None:
        self.settings = settings
        self.parsers = parsers or ParserSet.load(settings.parse.parsers_dir)
        keep_original = settings.parse.keep_original
        self.miner = TemplateMiner(miner_config(settings.mining))
        redact = Redactor.from_config(settings.redaction, keep_original)
        stages: list[Stage | None] = [
            DeadLetterDocuments(frozenset([*settings.kafka.dead_letter_sources, settings.kafka.dead_letter_topic])),
            Decode(settings.decode.max_line_bytes),
            Parse(self.parsers, keep_original),
            redact,  # before enrich, so the raw line it keeps is masked too; None when off
            Enricher(settings.enrich, keep_original, RuleSet(settings.enrich, self.parsers.library)),
            Mine(self.miner),
            Router(settings.routing.index_prefix, settings.routing),
            Serialize(),
        ]
        self.stages: list[Stage] = [stage for stage in stages if stage is not None]

    def process(
        self, records: Sequence[Record], keep_documents: bool = False, now: datetime | None = None
    ) -> Processed:
        """The batch's actions and rejections (in record order); ``now`` (ingest time) is the clock, fixed by tests."""
        if now is None:
            now = datetime.now(UTC)
        events = [Event(record) for record in records]
        batch = Batch(events, now, format_utc(now))
        for stage in self.stages:
            stage(batch)
            if batch.rejected:
                batch.events = [event for event in batch.events if event.rejection is None]
                batch.rejected = 0
        out = Processed(batch.actions, parse_failures=batch.parse_failures)
        if len(batch.events) < len(events):
            out.rejections = [event.rejection for event in events if event.rejection is not None]
        if keep_documents:
            for event in batch.events:
                event.doc["_index"] = event.index
                out.documents.append(event.doc)
        return out

    def document(self, record: Record, now: datetime) -> dict[str, Any]:
        """One record's finished document, as ``process`` makes it (raises RecordError when it is rejected)."""
        out = self.process([record], keep_documents=True, now=now)
        if out.rejections:
            rejection = out.rejections[0]
            raise RecordError(rejection.reason, rejection.error_type)
        return out.documents[0]

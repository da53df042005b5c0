"""Dead letters as documents: what a worker makes of a record from the dead-letter topic.

A record read from a dead-letter topic (``kafka.dead_letter_sources``, and the worker's own
``kafka.dead_letter_topic``) that carries logflow's own ``logflow.error.*`` headers was dead-lettered by
a worker; the same headers on a record from any other topic mean nothing (anyone can set headers). It is
never parsed again (it was rejected once and may be rejected again); it becomes a small document with
a fixed shape: the reason, the source coordinates, and a bounded, always-valid preview of the bytes.
Point a worker (its own group, and a *different* dead-letter topic) at the dead-letter topic and the
Kibana "dead letters" search (`event.dataset:deadletter`) shows every rejection with its reason.
"""

from __future__ import annotations

from typing import Any

from logflow.deadletter.headers import DeadLetterHeaders, decode, is_dead_letter
from logflow.event import Batch, Record
from logflow.parse.timestamps import format_utc, record_moment

DATASET = "deadletter"
PREVIEW_BYTES = 32 * 1024


def dead_letter_document(record: Record, letter: DeadLetterHeaders, ingested: str) -> dict[str, Any]:
    """The fixed-shape document for one dead-lettered record (dotted ECS-style keys)."""
    raw = record.value or b""
    moment = record_moment(record.timestamp_ms)  # when it was dead-lettered: the same on every re-read
    when = ingested if moment is None else format_utc(moment)
    doc: dict[str, Any] = {
        "@timestamp": when,
        "message": letter.reason or "dead-lettered record",
        "event.dataset": DATASET,
        "event.kind": "pipeline_error",
        "error.type": letter.error_type,
        "error.message": letter.reason,
        "event.original": raw[:PREVIEW_BYTES].decode("utf-8", "replace"),
        "logflow.parser": "deadletter",
        "logflow.dead_letter.stage": letter.stage,
        "logflow.dead_letter.index": letter.index,
        "logflow.dead_letter.bytes": len(raw),
        "logflow.dead_letter.source.topic": letter.topic or "",
        "logflow.dead_letter.source.partition": -1 if letter.partition is None else letter.partition,
        "logflow.dead_letter.source.offset": -1 if letter.offset is None else letter.offset,
        "logflow.dead_letter.attempt": letter.attempt,
        "tags": ["dead_letter"],
    }
    if len(raw) > PREVIEW_BYTES:
        doc["tags"].append("truncated")
    return {k: v for k, v in doc.items() if v is not None}


class DeadLetterDocuments:
    """The stage that runs first: a record from the dead-letter topic becomes its fixed-shape document.

    Such an event is *finished*: decode and parse leave it alone, and it is never parsed again.
    ``topics`` are the dead-letter topics: only their records are dead letters.
    """

    def __init__(self, topics: frozenset[str]) -> None:
        self.topics = topics

    def __call__(self, batch: Batch) -> None:
        topics = self.topics
        for event in batch.events:
            record = event.record
            letter = decode(record.headers) if is_dead_letter(record.topic, record.headers, topics) else None
            if letter is not None:
                try:
                    event.doc = dead_letter_document(event.record, letter, batch.ingested)
                    event.finished = True
                except Exception as exc:  # a bug must not stop the worker
                    batch.fail(event, "process", exc)

"""Dead letters as documents: what a worker makes of a record from the dead-letter topic.

A record that carries logflow's own ``logflow.error.*`` headers was dead-lettered by a worker. It is
never parsed again (it was rejected once and may be rejected again); it becomes a small document with
a fixed shape: the reason, the source coordinates, and a bounded, always-valid preview of the bytes.
Point a worker (its own group, and a *different* dead-letter topic) at the dead-letter topic and the
Kibana "dead letters" search (`event.dataset:deadletter`) shows every rejection with its reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from logflow.event import Batch, Record
from logflow.parse.timestamps import format_utc

DATASET = "deadletter"
PREVIEW_BYTES = 32 * 1024
MARKER = "logflow.error.type"


def is_dead_letter(headers: dict[str, bytes]) -> bool:
    return MARKER in headers


def _names(record: Record) -> dict[str, bytes] | None:
    """The record's headers by lowercased name when they mark a dead letter, else None."""
    for name, _ in record.headers:  # most records carry no headers, or a few: a scan, no dict
        if len(name) == len(MARKER) and name.lower() == MARKER:
            return {name.lower(): value for name, value in record.headers}
    return None


def _text(value: bytes | None) -> str:
    return (value or b"").decode("utf-8", "replace")


def dead_letter_document(record: Record, headers: dict[str, bytes], ingested: str) -> dict[str, Any]:
    """The fixed-shape document for one dead-lettered record (dotted ECS-style keys)."""
    raw = record.value or b""
    reason = _text(headers.get("logflow.error.reason"))
    when = ingested
    if record.timestamp_ms is not None and record.timestamp_ms > 0:  # when it was dead-lettered
        when = format_utc(datetime.fromtimestamp(record.timestamp_ms / 1000, UTC))
    doc: dict[str, Any] = {
        "@timestamp": when,
        "message": reason or "dead-lettered record",
        "event.dataset": DATASET,
        "event.kind": "pipeline_error",
        "error.type": _text(headers.get(MARKER)),
        "error.message": reason,
        "event.original": raw[:PREVIEW_BYTES].decode("utf-8", "replace"),
        "logflow.parser": "deadletter",
        "logflow.dead_letter.stage": _text(headers.get("logflow.error.stage")),
        "logflow.dead_letter.index": _text(headers.get("logflow.error.index")) or None,
        "logflow.dead_letter.bytes": len(raw),
        "logflow.dead_letter.source.topic": _text(headers.get("logflow.source.topic")),
        "logflow.dead_letter.source.partition": int(_text(headers.get("logflow.source.partition")) or -1),
        "logflow.dead_letter.source.offset": int(_text(headers.get("logflow.source.offset")) or -1),
        "tags": ["dead_letter"],
    }
    if len(raw) > PREVIEW_BYTES:
        doc["tags"].append("truncated")
    return {k: v for k, v in doc.items() if v is not None}


class DeadLetters:
    """The stage that runs first: a record from the dead-letter topic becomes its fixed-shape document.

    Such an event is *finished*: decode and parse leave it alone, and it is never parsed again.
    """

    def __call__(self, batch: Batch) -> None:
        for event in batch.events:
            names = _names(event.record)
            if names is not None:
                try:
                    event.doc = dead_letter_document(event.record, names, batch.ingested)
                    event.finished = True
                except Exception as exc:  # a bug must not stop the worker
                    batch.fail(event, "process", exc)

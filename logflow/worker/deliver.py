"""The deliver step, shared by the worker and `logflow dlq replay`: records in, every one of them accounted for.

    process (pure stages) -> sink.index(actions) -> dead-letter the rejections and refused documents

Returns when every record is finished: each document acknowledged by the sink, or the record
written to the dead-letter topic (once, even when its copy failed too), or dropped by policy. With a
``tracker``, the offset tracker hears about each acknowledgement as it happens, so an abandoned
batch can still commit what was finished; committing is the caller's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

from logflow.deadletter.producer import DeadLetterWriter
from logflow.event import Processed, Record, Rejection
from logflow.sink.base import IndexResult, Sink
from logflow.worker.offsets import OffsetTracker
from logflow.worker.processor import Processor

_RECORD = attrgetter("record")


@dataclass(slots=True)
class Delivery:
    """What one deliver step did."""

    processed: Processed
    result: IndexResult
    rejections: list[Rejection]  # everything dead-lettered, one per record, in this order
    indexed: int  # records whose primary document was acknowledged
    copies: int  # routing copies acknowledged


def index_failures(result: IndexResult, rejections: list[Rejection]) -> list[Rejection]:
    """``rejections`` plus one rejection per record a document of which the sink refused for good."""
    out = list(rejections)
    seen = {r.record.doc_id for r in out}
    for failure in result.failures:  # one dead letter per record, even if its copy failed too
        record = failure.action.record
        if record.doc_id in seen:
            continue
        seen.add(record.doc_id)
        out.append(
            Rejection(
                record, "index", failure.error_type, f"HTTP {failure.status}: {failure.reason}", failure.action.index
            )
        )
    return out


async def deliver(
    records: Sequence[Record],
    processor: Processor,
    sink: Sink,
    dead_letters: DeadLetterWriter,
    tracker: OffsetTracker | None = None,
) -> Delivery:
    """Process ``records``, index what came out, dead-letter what did not; raises only when a sink gives up."""
    processed = processor.process(records)
    if tracker is not None:
        tracker.hold_all(map(_RECORD, processed.actions))
        tracker.hold_all(map(_RECORD, processed.rejections))
    result = await sink.index(processed.actions, on_done=tracker.acknowledged if tracker is not None else None)
    rejections = index_failures(result, processed.rejections)
    if rejections:
        await dead_letters.send_all(rejections)
        if tracker is not None:
            for r in rejections:
                tracker.settle(r.record)
    copies = sum(1 for a in processed.actions if a.copy)
    copy_failures = sum(1 for f in result.failures if f.action.copy)
    copies_done = copies - copy_failures
    return Delivery(processed, result, rejections, result.indexed - copies_done, copies_done)

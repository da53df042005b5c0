"""Multiline: continuation records (stack-trace lines shipped one per record) join their event.

Runs before the processor, on raw records: a text record that does not match
``pipeline.multiline_start`` continues the previous record of the same source (topic, partition,
key). The joined event takes its first record's coordinates (and so its ``_id``); the others
produce no document and are finished when it is acknowledged (their offsets are higher, so a
partition's commit point cannot pass the first).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from logflow.config import PipelineConfig
from logflow.record import Record

Source = tuple[str, int, bytes | None]


class MultilineJoiner:
    """Configured once per worker from ``pipeline.multiline_*``; ``join`` is called per batch."""

    def __init__(self, start: Callable[[bytes], object] | None, max_lines: int) -> None:
        self.start = start
        self.max_lines = max_lines

    @classmethod
    def from_config(cls, pipeline: PipelineConfig) -> MultilineJoiner | None:
        if not pipeline.multiline_start:
            return None
        return cls(re.compile(pipeline.multiline_start.encode("utf-8")).match, pipeline.multiline_max_lines)

    def join(self, records: Sequence[Record]) -> list[Record]:
        """Within one batch; a continuation whose start is in an earlier batch becomes an event of its own."""
        start = self.start
        if start is None:
            return list(records)
        out: list[Record] = []
        current: dict[Source, int] = {}
        parts: dict[int, list[bytes]] = {}
        limit = self.max_lines
        for record in records:
            value = record.value
            source = (record.topic, record.partition, record.key)
            if not value or value[:1] == b"{":  # empty and JSON records never join or get joined
                out.append(record)
                current.pop(source, None)
                continue
            if start(value) is not None:
                out.append(record)
                current[source] = len(out) - 1
                continue
            index = current.get(source)
            if index is None or len(parts.get(index, ())) >= limit:
                out.append(record)  # an orphan continuation, or the event is full: an event of its own
                current[source] = len(out) - 1
                continue
            parts.setdefault(index, [out[index].value or b""]).append(value)
        for index, chunks in parts.items():
            first = out[index]
            out[index] = Record(
                first.topic, first.partition, first.offset, b"\n".join(chunks), first.key, first.headers,
                first.timestamp_ms,
            )
        return out

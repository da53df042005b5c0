"""Multiline: continuation records (stack-trace lines shipped one per record) join their event.

Runs before the processor, on raw records: a text record that does not match
``pipeline.multiline_start`` continues the previous record of the same source (topic, partition,
key). The joined event takes its first record's coordinates (and so its ``_id``); the others
produce no document and are finished when it is acknowledged.

Two ways to run it:

- ``MultilineJoiner.join(records)`` is pure and finishes every event: for whole inputs (``logflow
  parse``, the analyzer), where the end of the input ends every event.
- ``HeldEvents`` is the worker's stateful form. A fetch batch can end in the middle of an event, so
  the last event of each source is *held* instead of emitted; the next batch's continuation lines
  for that source append to it, and a start line, a JSON or empty record, the line limit, or
  ``pipeline.multiline_max_wait_ms`` finishes it. A held event's records are not finished, so
  ``floors()`` gives, per partition, the offset its commit must stay at or below.

A partition's records are re-read from its committed offset after a crash or a rebalance. For the
re-read to join the same events (same ``_id``, same lines), the commit must not fall inside a
joined event of an interleaved source either: re-read from there, its remaining lines would become
an event of their own and be indexed twice. ``spans`` keeps the offsets (first, last) of joined
events the commit could still fall inside, and ``OffsetTracker`` moves a commit point that would to
the event's first offset.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from logflow.config import PipelineConfig
from logflow.record import Record

Source = tuple[str, int, bytes | None]
TP = tuple[str, int]
Span = tuple[int, int]  # first and last offset of a joined event


@dataclass(slots=True)
class _Open:
    """An event that may still grow: its first record, all its lines once it has more than one, when it was held."""

    first: Record
    lines: list[bytes] | None
    since: float
    last: int  # offset of its last line

    def record(self) -> Record:
        """The event as one record with its first record's coordinates."""
        first, lines = self.first, self.lines
        if lines is None:
            return first
        return Record(
            first.topic, first.partition, first.offset, b"\n".join(lines), first.key, first.headers, first.timestamp_ms
        )


class MultilineJoiner:
    """Configured once from ``pipeline.multiline_*``; ``join`` is pure, ``HeldEvents`` carries state."""

    def __init__(self, start: Callable[[bytes], object] | None, max_lines: int, max_wait_s: float = 1.0) -> None:
        self.start = start
        self.max_lines = max_lines
        self.max_wait_s = max_wait_s

    @classmethod
    def from_config(cls, pipeline: PipelineConfig) -> MultilineJoiner | None:
        if not pipeline.multiline_start:
            return None
        return cls(
            re.compile(pipeline.multiline_start.encode("utf-8")).match,
            pipeline.multiline_max_lines,
            pipeline.multiline_max_wait_ms / 1000,
        )

    def join(self, records: Sequence[Record]) -> list[Record]:
        """Every event of ``records``, finished: a continuation whose start came earlier is an event of its own."""
        return self._join(records)

    def _join(
        self,
        records: Sequence[Record],
        held: dict[Source, _Open] | None = None,
        now: float = 0.0,
        spans: dict[TP, list[Span]] | None = None,
    ) -> list[Record]:
        """Join ``records`` in order; with ``held``, resume its events and hold each source's last one again.

        ``spans`` gets (first, last offset) of every joined event returned.

        One pass, one dict lookup per record (and one in ``held`` per source): ``out`` gets each
        event's first record, ``parts`` the lines of the events that grew.
        """
        start = self.start
        if start is None:
            return list(records)
        limit = self.max_lines
        out: list[Record] = []
        current: dict[Source, int] = {}  # source -> index in ``out`` of its open event
        parts: dict[int, list[bytes]] = {}
        lasts: dict[int, int] = {}  # index in ``out`` -> offset of the last line, for events that grew
        resumed: dict[int, float] = {}  # index in ``out`` -> held since, for events carried in from ``held``
        for record in records:
            value = record.value
            source = (record.topic, record.partition, record.key)
            index = current.get(source)
            if index is None and held:
                carried = held.pop(source, None)
                if carried is not None:  # the source's event from an earlier batch is open again
                    index = current[source] = len(out)
                    out.append(carried.first)
                    if carried.lines is not None:
                        parts[index] = carried.lines
                        lasts[index] = carried.last
                    resumed[index] = carried.since
            if not value or value[:1] == b"{":  # empty and JSON records never join or get joined
                out.append(record)
                if index is not None:
                    del current[source]
                continue
            if index is None or start(value) is not None:  # a start line, or an orphan continuation
                current[source] = len(out)
                out.append(record)
                continue
            chunks = parts.get(index)
            if chunks is None:  # the event's second line (max_lines is at least 2)
                parts[index] = [out[index].value or b"", value]
            elif len(chunks) < limit:
                chunks.append(value)
            else:  # the event is full: this line starts another
                current[source] = len(out)
                out.append(record)
                continue
            lasts[index] = record.offset
        keep: list[int] = []
        if held is not None:
            for source, index in current.items():
                chunks = parts.pop(index, None)
                if chunks is not None and len(chunks) >= limit:
                    parts[index] = chunks  # full: it cannot grow, so it is finished now
                    continue
                first = out[index]
                held[source] = _Open(first, chunks, resumed.get(index, now), lasts.get(index, first.offset))
                keep.append(index)
        for index, chunks in parts.items():
            first = out[index]
            out[index] = Record(
                first.topic, first.partition, first.offset, b"\n".join(chunks), first.key, first.headers,
                first.timestamp_ms,
            )
            if spans is not None:
                spans.setdefault((first.topic, first.partition), []).append((first.offset, lasts[index]))
        for index in sorted(keep, reverse=True):
            del out[index]
        return out


class HeldEvents:
    """The worker's joiner state: per source, the last event of a batch, which the next batch may continue.

    ``ends`` is, per partition, one past the last record fed: everything below it is finished, held
    (at or above ``floors()``) or in the batch being delivered. ``spans`` are the joined events a
    commit point could still fall inside (``committed`` prunes them). ``drop`` forgets partitions
    whose records will be read again (revoked, or rewound after an abandoned batch).
    """

    def __init__(self, joiner: MultilineJoiner) -> None:
        self.joiner = joiner
        self.held: dict[Source, _Open] = {}
        self.ends: dict[TP, int] = {}
        self.spans: dict[TP, list[Span]] = {}
        self._oldest = float("inf")  # a lower bound of the held events' ``since``: due() is O(1) until then

    def __len__(self) -> int:
        return len(self.held)

    def feed(self, records: Sequence[Record], now: float) -> list[Record]:
        """The events ``records`` finish (including held ones they end); each source's last event is held."""
        if not records:
            return []
        _advance(self.ends, records)
        out = self.joiner._join(records, self.held, now, self.spans)
        if self.held and now < self._oldest:
            self._oldest = now
        return out

    def due(self, now: float) -> list[Record]:
        """Held events that have waited ``max_wait`` (since the batch of their first record): finished as they are."""
        wait = self.joiner.max_wait_s
        if now < self._oldest + wait:
            return []
        out: list[Record] = []
        oldest = float("inf")
        for source, event in list(self.held.items()):
            if now >= event.since + wait:
                del self.held[source]
                out.append(self._finish(event))
            elif event.since < oldest:
                oldest = event.since
        self._oldest = oldest
        return out

    def flush(self) -> list[Record]:
        """Every held event, finished (shutdown: they are indexed before the final commit)."""
        out = [self._finish(event) for event in self.held.values()]
        self.held.clear()
        self._oldest = float("inf")
        return out

    def drop(self, partitions: Collection[TP]) -> int:
        """Forget the held events and ends of ``partitions``, whose records will be read again; how many events."""
        doomed = [source for source in self.held if (source[0], source[1]) in partitions]
        for source in doomed:
            del self.held[source]
        for tp in partitions:
            self.ends.pop(tp, None)
            self.spans.pop(tp, None)
        return len(doomed)

    def committed(self, points: Mapping[TP, int]) -> None:
        """Forget spans that end below their partition's commit point: later points are never lower."""
        spans = self.spans
        for tp, point in points.items():
            kept = spans.get(tp)
            if kept:
                kept = [span for span in kept if span[1] >= point]
                if kept:
                    spans[tp] = kept
                else:
                    del spans[tp]

    def _finish(self, event: _Open) -> Record:
        if event.lines is not None:
            first = event.first
            self.spans.setdefault((first.topic, first.partition), []).append((first.offset, event.last))
        return event.record()

    def floors(self) -> dict[TP, int]:
        """Per partition, the first offset of its oldest held event: its commit must not pass it."""
        floors: dict[TP, int] = {}
        for event in self.held.values():
            first = event.first
            tp = (first.topic, first.partition)
            offset = floors.get(tp)
            if offset is None or first.offset < offset:
                floors[tp] = first.offset
        return floors


def _advance(ends: dict[TP, int], records: Sequence[Record]) -> None:
    """``ends[tp]`` = one past the last record of ``tp``; a fetch groups each partition's records, so by runs."""
    last: Record | None = None
    for record in records:
        if last is not None and (record.partition != last.partition or record.topic != last.topic):
            ends[(last.topic, last.partition)] = last.offset + 1
        last = record
    if last is not None:
        ends[(last.topic, last.partition)] = last.offset + 1

"""Joining records into events before the processor: multiline events and CRI partial lines.

Runs on raw records, keyed by source (topic, partition, key). Two rules, each optional:

- **Multiline** (``decode.multiline_start``): a text record that does not match the start
  pattern continues the previous event of its source, on a new line (stack-trace lines shipped one
  per record).
- **CRI partial lines** (``decode.cri_join_partial``, on by default): containerd and CRI-O split a
  container line longer than their buffer (16 KiB) into ``<time> <stream> P <piece>`` records and a
  last ``... F <piece>``. The pieces of one stream of a source are concatenated with no separator
  into the first record's line, whose tag becomes ``F`` once the ``F`` record arrives. A run cut
  short (a non-CRI, JSON or empty record from the source, the limits, the wait bound) is indexed as
  far as it got and keeps the tag ``P``, so ``log.cri.tag: P`` always means "not a whole line".
  Runs of stdout and stderr are joined side by side: one never swallows the other's records.

When both are on, a record continues an event when either rule says so: the CRI rule (the event's
last line is a ``P`` of the record's stream) first, then the multiline one (not a start line, and
the event is not a partial line of the other stream). Limits: ``multiline_max_lines`` records per
event, and a CRI piece that would take the value past ``max_line_bytes`` starts a new event instead
(decode would truncate it). The joined event takes its first record's coordinates (and so its
``_id``); the others produce no document and are finished when it is acknowledged.

Two ways to run it:

- ``MultilineJoiner.join(records)`` is pure and finishes every event: for whole inputs (``logflow
  parse``, the analyzer), where the end of the input ends every event.
- ``HeldEvents`` is the worker's stateful form. A fetch batch can end in the middle of an event, so
  the events of a source that may still grow (its last multiline event, its open partial runs) are
  *held* instead of emitted; the next batch's records for that source continue them, and whatever
  finishes an event in a batch, or ``decode.multiline_max_wait_ms``, finishes a held one. A held
  event's records are not finished, so ``floors()`` gives, per partition, the offset its commit must
  stay at or below. With only CRI joining on, only open partial runs are held: a whole line is
  indexed in the batch that brought it.

A partition's records are re-read from its committed offset after a crash or a rebalance. For the
re-read to join the same events (same ``_id``, same lines), the commit must not fall inside a
joined event of an interleaved source either: re-read from there, its remaining lines would become
an event of their own and be indexed twice. ``spans`` keeps the offsets (first, last) of joined
events the commit could still fall inside, and ``OffsetTracker`` moves a commit point that would to
the event's first offset.

Cost per record: with only CRI joining on and no partial run open, one bounded ``bytes.find`` (the
regex runs only on records that look like a ``P`` line, and on the records of a source with an open
run).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from logflow.config import DecodeConfig
from logflow.event import Record

Source = tuple[str, int, bytes | None]
TP = tuple[str, int]
Span = tuple[int, int]  # first and last offset of a joined event

# The CRI head `<RFC 3339 time> <stream> <tag>[:<more tags>] ` (the time as the `cri` parser reads it);
# the content starts at its end. Group 1 is the stream, group 2 the tag.
_CRI_HEAD = re.compile(
    rb"\d{4}-\d\d-\d\d[T ]\d\d:?\d\d(?::?\d\d(?:[.:,]\d+)?)?(?:Z|[+-]\d\d(?::?\d\d)?)? "
    rb"(stdout|stderr) ([PF])(?::\S*)?(?: |$)"
)
# The cheap test before the regex, per record: does a `P` follow ` stdout `/` stderr ` where the CRI
# tag sits (after a 20 to 35 byte time)? A one-byte `find` in that window is the cheapest bytes test
# CPython has: `in` on bytes, or a two-byte needle, costs about twice as much.
_BEFORE_TAG = frozenset((b" stdout ", b" stderr "))
# ``lanes`` of a source: indices (in ``out``) of its multiline event and its open stdout/stderr runs, -1 for none.
_MAIN, _STDOUT, _STDERR = 0, 1, 2


@dataclass(slots=True)
class _Grown:
    """The parts of an event with more than one record; the value is their concatenation."""

    parts: list[bytes]  # a multiline join adds b"\n" as a part of its own, a CRI join only the piece
    count: int  # records joined
    size: int  # bytes of the joined value
    last: int  # offset of its last record
    opener: int = 0  # index in ``parts`` of the line that opened the current CRI run (its tag turns F)

    @classmethod
    def opened(cls, first: Record, line: bytes) -> _Grown:
        """An event of one record so far (``line`` is its value as the join will use it)."""
        return cls([line], 1, len(line), first.offset)

    def add(self, offset: int, *parts: bytes) -> None:
        """One more record joined: its parts (a CRI piece, or a newline and a multiline line)."""
        self.parts.extend(parts)
        self.count += 1
        self.size += sum(map(len, parts))
        self.last = offset

    def trim(self) -> None:
        """Drop a line terminator a shipper left on the last part: CRI pieces concatenate without it."""
        last = self.parts[-1]
        if last[-1:] == b"\n":
            self.parts[-1] = last[:-1]
            self.size -= 1

    def complete(self) -> None:
        """The run's ``F`` piece arrived: the line that opened it is whole, so its tag becomes ``F``."""
        line = self.parts[self.opener]
        head = _CRI_HEAD.match(line)
        if head is not None:
            self.parts[self.opener] = line[: head.start(2)] + b"F" + line[head.end(2) :]

    def value(self) -> bytes:
        return b"".join(self.parts)


@dataclass(slots=True)
class _Open:
    """A held event: its first record, how it grew, when it was held, and which lanes of its source it holds."""

    first: Record
    grown: _Grown | None
    since: float
    lanes: tuple[int, ...]  # _MAIN, _STDOUT, _STDERR

    @property
    def last(self) -> int:
        return self.grown.last if self.grown is not None else self.first.offset

    def record(self) -> Record:
        """The event as one record with its first record's coordinates."""
        first, grown = self.first, self.grown
        if grown is None:
            return first
        return _joined(first, grown)


def _joined(first: Record, grown: _Grown) -> Record:
    return Record(
        first.topic, first.partition, first.offset, grown.value(), first.key, first.headers, first.timestamp_ms, True
    )


def _strip_newline(value: bytes) -> bytes:
    """A line terminator a shipper left on a record is not content: pieces must concatenate without it."""
    return value[:-1] if value[-1:] == b"\n" else value


class MultilineJoiner:
    """Configured once from ``[decode]``; ``join`` is pure, ``HeldEvents`` carries state.

    ``start`` is the multiline start matcher (None: no multiline joining); ``cri`` joins CRI partial
    lines. ``max_bytes`` bounds CRI joins only (multiline events keep growing and decode truncates them).
    """

    def __init__(
        self,
        start: Callable[[bytes], object] | None,
        max_lines: int,
        max_wait_s: float = 1.0,
        *,
        cri: bool = False,
        max_bytes: int = 1_048_576,
    ) -> None:
        self.start = start
        self.max_lines = max_lines
        self.max_wait_s = max_wait_s
        self.cri = cri
        self.max_bytes = max_bytes

    @classmethod
    def from_config(cls, decode: DecodeConfig) -> MultilineJoiner | None:
        """A joiner when multiline or CRI joining is on; None when records are never joined."""
        start = re.compile(decode.multiline_start.encode("utf-8")).match if decode.multiline_start else None
        if start is None and not decode.cri_join_partial:
            return None
        return cls(
            start,
            decode.multiline_max_lines,
            decode.multiline_max_wait_ms / 1000,
            cri=decode.cri_join_partial,
            max_bytes=decode.max_line_bytes,
        )

    def join(self, records: Sequence[Record]) -> list[Record]:
        """Every event of ``records``, finished: a continuation whose start came earlier is an event of its own."""
        return self._join(records)

    def _join(
        self,
        records: Sequence[Record],
        held: dict[Source, list[_Open]] | None = None,
        now: float = 0.0,
        spans: dict[TP, list[Span]] | None = None,
    ) -> list[Record]:
        """Join ``records`` in order; with ``held``, resume its events and hold again those that may still grow.

        ``spans`` gets (first, last offset) of every joined event returned.

        One pass: ``out`` gets each event's first record, ``grown`` the parts of the events that grew,
        and ``open_`` per source the indices of the events a later record may continue (its lanes).
        Sources are looked up only when something may be open: with multiline off and no partial run
        open, a record costs one ``bytes.find``.
        """
        start, cri = self.start, self.cri
        if start is None and not cri:
            return list(records)
        limit, max_bytes = self.max_lines, self.max_bytes
        cri_head = _CRI_HEAD.match
        out: list[Record] = []
        open_: dict[Source, list[int]] = {}
        grown: dict[int, _Grown] = {}
        resumed: dict[int, float] = {}  # index in ``out`` -> held since, for events carried in from ``held``
        runs = 0  # partial runs open in ``open_``
        plain = start is None
        before_tag = _BEFORE_TAG
        MAIN, OUT, ERR = _MAIN, _STDOUT, _STDERR  # local copies: the loop reads them per record
        for record in records:
            value = record.value
            if cri and value:  # could it be a partial line (see ``_BEFORE_TAG``)? The per-record cost of CRI joining
                at = value.find(b"P", 20, 48)
                looks = at > 0 and value[at - 8 : at] in before_tag
            else:
                looks = False
            if plain and not runs and not held and not looks:
                out.append(record)  # the common case: CRI joining only, nothing open, not a partial line
                continue
            source: Source | None = None
            lanes: list[int] | None = None
            if start is not None or runs or held:
                source = (record.topic, record.partition, record.key)
                lanes = open_.get(source)
                if lanes is None and held:
                    resume = held.pop(source, None)
                    if resume is not None:  # the source's events from earlier batches are open again
                        lanes = open_[source] = [-1, -1, -1]
                        for event in resume:
                            index = len(out)
                            out.append(event.first)
                            if event.grown is not None:
                                grown[index] = event.grown
                            resumed[index] = event.since
                            for lane in event.lanes:
                                lanes[lane] = index
                                runs += lane != MAIN
            if not value or value[:1] == b"{":  # empty and JSON records never join or get joined
                if lanes is not None:
                    runs -= (lanes[OUT] >= 0) + (lanes[ERR] >= 0)
                    lanes[:] = (-1, -1, -1)
                out.append(record)
                continue
            running = runs > 0 and lanes is not None and (lanes[OUT] >= 0 or lanes[ERR] >= 0)
            head = cri_head(value) if looks or running else None
            lane = MAIN
            partial = overflow = False
            if head is None:
                if running:  # a record that is not a CRI line ends the source's partial runs
                    assert lanes is not None
                    if lanes[MAIN] >= 0 and lanes[MAIN] in (lanes[OUT], lanes[ERR]):
                        lanes[MAIN] = -1  # the source's last event was a cut partial line: finished too
                    runs -= (lanes[OUT] >= 0) + (lanes[ERR] >= 0)
                    lanes[OUT] = lanes[ERR] = -1
            else:
                lane = OUT if head.group(1) == b"stdout" else ERR
                partial = head.group(2) == b"P"
                run = lanes[lane] if lanes is not None else -1
                if run >= 0:  # CRI rule: the open run of this stream continues
                    assert lanes is not None
                    piece = _strip_newline(value[head.end() :])
                    state = grown.get(run) or _Grown.opened(out[run], out[run].value or b"")
                    state.trim()
                    if state.count < limit and state.size + len(piece) <= max_bytes:
                        state.add(record.offset, piece)
                        grown[run] = state
                        if not partial:  # the F piece: the line is whole
                            state.complete()
                            lanes[lane] = -1
                            runs -= 1
                        continue
                    # full: the run ends as far as it got; this piece starts a new event
                    lanes[lane] = -1
                    runs -= 1
                    if lanes[MAIN] == run:
                        lanes[MAIN] = -1
                    overflow = True
            if start is not None and lanes is not None and not overflow:
                main = lanes[MAIN]
                if (
                    main >= 0
                    and (not runs or (main != lanes[OUT] and main != lanes[ERR]))  # not another stream's run
                    and start(value) is None
                ):  # multiline rule: a continuation line, joined on a new line
                    state = grown.get(main) or _Grown.opened(out[main], out[main].value or b"")
                    if state.count < limit:  # else the event is full: this line starts another
                        state.add(record.offset, b"\n", value)
                        grown[main] = state
                        if partial:  # the event now ends in a partial line: its run is open
                            state.opener = len(state.parts) - 1
                            lanes[lane] = main
                            runs += 1
                        continue
            index = len(out)  # a new event starts with this record
            out.append(record)
            if start is None and not partial:
                continue  # a whole line, and nothing can continue it
            if lanes is None:
                if source is None:
                    source = (record.topic, record.partition, record.key)
                lanes = open_[source] = [-1, -1, -1]
            if start is not None:
                lanes[MAIN] = index
            if partial:
                lanes[lane] = index
                runs += 1
        keep: list[int] = []
        if held is not None:
            for source, lanes in open_.items():
                main, stdout, stderr = lanes
                if stdout < 0 and stderr < 0:
                    if main < 0:
                        continue
                    indices: Sequence[int] = (main,)
                else:
                    indices = sorted({index for index in lanes if index >= 0})
                carried: list[_Open] = []
                for index in indices:
                    roles = tuple(lane for lane in (_MAIN, _STDOUT, _STDERR) if lanes[lane] == index)
                    grew = grown.get(index)
                    if grew is not None and grew.count >= limit and roles == (_MAIN,):
                        # Full: it cannot grow, so it is finished now. A full partial run is held all the
                        # same: its stream's next piece must start an event of its own, as in ``join``.
                        continue
                    carried.append(_Open(out[index], grown.pop(index, None), resumed.get(index, now), roles))
                    keep.append(index)
                if carried:
                    held[source] = carried
        for index, state in grown.items():
            first = out[index]
            out[index] = _joined(first, state)
            if spans is not None:
                spans.setdefault((first.topic, first.partition), []).append((first.offset, state.last))
        for index in sorted(keep, reverse=True):
            del out[index]
        return out


class HeldEvents:
    """The worker's joiner state: per source, the events of a batch that the next batch may continue.

    ``ends`` is, per partition, one past the last record fed: everything below it is finished, held
    (at or above ``floors()``) or in the batch being delivered. ``spans`` are the joined events a
    commit point could still fall inside (``committed`` prunes them). ``drop`` forgets partitions
    whose records will be read again (revoked, or rewound after an abandoned batch).
    """

    def __init__(self, joiner: MultilineJoiner) -> None:
        self.joiner = joiner
        self.held: dict[Source, list[_Open]] = {}  # per source, its held events in offset order
        self.ends: dict[TP, int] = {}
        self.spans: dict[TP, list[Span]] = {}
        self._oldest = float("inf")  # a lower bound of the held events' ``since``: due() is O(1) until then

    def __len__(self) -> int:
        """How many events are held."""
        return sum(len(events) for events in self.held.values())

    def __bool__(self) -> bool:
        return bool(self.held)

    def feed(self, records: Sequence[Record], now: float) -> list[Record]:
        """The events ``records`` finish (including held ones they end); those that may still grow are held."""
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
        for source, events in list(self.held.items()):
            kept: list[_Open] = []
            for event in events:
                if now >= event.since + wait:
                    out.append(self._finish(event))
                else:
                    kept.append(event)
                    oldest = min(oldest, event.since)
            if not kept:
                del self.held[source]
            elif len(kept) < len(events):
                self.held[source] = kept
        self._oldest = oldest
        return out

    def flush(self) -> list[Record]:
        """Every held event, finished (shutdown: they are indexed before the final commit)."""
        out = [self._finish(event) for events in self.held.values() for event in events]
        self.held.clear()
        self._oldest = float("inf")
        return out

    def drop(self, partitions: Collection[TP]) -> int:
        """Forget the held events and ends of ``partitions``, whose records will be read again; how many events."""
        doomed = [source for source in self.held if (source[0], source[1]) in partitions]
        dropped = 0
        for source in doomed:
            dropped += len(self.held.pop(source))
        for tp in partitions:
            self.ends.pop(tp, None)
            self.spans.pop(tp, None)
        return dropped

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
        if event.grown is not None:
            first = event.first
            self.spans.setdefault((first.topic, first.partition), []).append((first.offset, event.last))
        return event.record()

    def floors(self) -> dict[TP, int]:
        """Per partition, the first offset of its oldest held event: its commit must not pass it."""
        floors: dict[TP, int] = {}
        for events in self.held.values():
            for event in events:
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

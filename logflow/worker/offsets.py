"""Per-record accounting for one batch: what is still outstanding, and each partition's commit point.

Delivery rule (per record, per partition): a record is *finished* when the sink acknowledged every
document made from it, or the dead-letter topic acknowledged it, or the retry policy dropped it.
Each partition's commit is the lowest offset not yet finished, so a commit never covers a record
that is still in doubt, even when a batch is abandoned half-way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from operator import attrgetter

from logflow.decode.multiline import HeldEvents
from logflow.event import Action, Record
from logflow.source.base import TP

_Key = tuple[str, int, int]
_KEY = attrgetter("topic", "partition", "offset")  # a record's coordinates, as a tuple built in C
_RECORD = attrgetter("record")


class OffsetTracker:
    """Per-record accounting for one batch: what is still outstanding, and each partition's commit point.

    With ``held`` (multiline events carried across batches) the points also respect what it holds:
    they cover every partition fed so far, up to one past its last record fed, never pass the first
    offset of a held event, and never fall inside a joined event (see ``logflow.decode.multiline``). An
    event finished in a later batch than its first record keeps that record's (lower) offset, so the
    point is the lowest outstanding offset, not the first one in fetch order.
    """

    def __init__(self, records: Sequence[Record], held: HeldEvents | None = None) -> None:
        self.outstanding: Counter[_Key] = Counter()
        self.floors: dict[TP, int] = {}
        self.spans: dict[TP, list[tuple[int, int]]] = {}
        ends: dict[TP, int] = {}
        if held is None:
            for record in records:
                ends[(record.topic, record.partition)] = record.offset + 1
        else:
            ends.update(held.ends)
            self.floors = held.floors()
            self.spans = {tp: sorted(spans, reverse=True) for tp, spans in held.spans.items()}
        self.ends = ends

    def hold_all(self, records: Iterable[Record]) -> None:
        """One more document to acknowledge before each of ``records`` is finished (a copied record comes twice)."""
        self.outstanding.update(map(_KEY, records))  # counted in C

    def acknowledged(self, actions: list[Action]) -> None:
        outstanding = self.outstanding
        for key in map(_KEY, map(_RECORD, actions)):
            outstanding[key] -= 1

    def settle(self, record: Record) -> None:
        """``record`` is finished whatever else was outstanding (its dead-letter write was acknowledged)."""
        self.outstanding[(record.topic, record.partition, record.offset)] = 0

    def commit_points(self) -> dict[TP, int]:
        """Per partition: the lowest offset not yet finished or held (or its end), moved out of joined events."""
        floors = self.floors
        points = {tp: min(end, floors.get(tp, end)) for tp, end in self.ends.items()}
        for (topic, partition, offset), count in self.outstanding.items():
            if count > 0:
                tp = (topic, partition)
                if offset < points.get(tp, offset + 1):
                    points[tp] = offset
        for tp, spans in self.spans.items():  # by first offset, descending: one pass settles nested moves
            point = points.get(tp)
            if point is None:
                continue
            for first, last in spans:
                if first < point <= last:
                    point = first
            points[tp] = point
        return points

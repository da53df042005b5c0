"""Events as columns: one small integer or float per event and field, never one object per event.

A million events cost ~30 MB here (timestamp, template, service, host, level, error flag, where it
came from), so files and Elasticsearch windows stream through without holding messages. Messages are
fetched again only for the handful of examples a report shows (see ``resolve``). Trace ids are kept
for error events only, because only error cascades need them.
"""

from __future__ import annotations

import math
import time
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

#: Normalized ``log.level`` -> rank. 0 is "no level" (access logs, audit events).
LEVEL_RANK: dict[str, int] = {
    "trace": 1,
    "debug": 1,
    "info": 2,
    "notice": 2,
    "warn": 3,
    "warning": 3,
    "error": 4,
    "err": 4,
    "fatal": 5,
    "critical": 5,
    "alert": 5,
    "emergency": 5,
}
LEVEL_NAMES = ("none", "debug", "info", "warn", "error", "fatal")
#: Top-level keys that mean a document nests its ECS fields (an Elasticsearch ``_source``).
_NESTED = frozenset({"log", "service", "host", "trace", "http"})
ERROR_RANK = 4
#: The pipeline's tag for an event whose time is the time it was processed (enrich/stage.py).
UNTIMED_TAG = "timestamp_missing"
#: The service (and host) name of events that carry none. Never shown as such: lists of names in
#: the report leave it out (``named``) and sentences say what it means (``service_label``).
MISSING = ""


def named(names: Iterable[str]) -> list[str]:
    """``names`` in their order, without the missing-name marker."""
    return [n for n in names if n != MISSING]


def service_label(name: str) -> str:
    """A service name for a sentence: the events without ``service.name`` are called that."""
    return name if name != MISSING else "events without service.name"


def field_value(doc: Mapping[str, Any], dotted: str) -> Any:
    """A field from a flat (``{"a.b": 1}``) or nested (``{"a": {"b": 1}}``) document."""
    value = doc.get(dotted)
    if value is not None or "." not in dotted:
        return value
    head, _, rest = dotted.partition(".")
    node = doc.get(head)
    if node is None:
        return None  # the common case for flat documents: no nested object either
    for part in rest.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def parse_timestamp(value: Any) -> float | None:
    """``@timestamp`` (ISO 8601 string or epoch milliseconds) -> epoch seconds (naive means UTC)."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)  # Python 3.11 reads the trailing Z itself
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    if isinstance(value, int | float):
        return float(value) / 1000.0
    return None


def is_error(doc: Mapping[str, Any], rank: int) -> bool:
    """An error event: level error/fatal, the ``error`` tag (exceptions), or an HTTP 5xx answer."""
    if rank >= ERROR_RANK:
        return True
    tags = field_value(doc, "tags")
    if isinstance(tags, list) and "error" in tags:
        return True
    status = field_value(doc, "http.response.status_code")
    return isinstance(status, int) and status >= 500


def _name(value: Any) -> str:
    """A non-string service or host value as a name (``MISSING`` for none or empty)."""
    return MISSING if value is None or value == [] else str(value)


class Vocabulary:
    """Strings <-> small integers, in order of first appearance."""

    __slots__ = ("index", "names")

    def __init__(self) -> None:
        self.names: list[str] = []
        self.index: dict[str, int] = {}

    def code(self, name: str) -> int:
        """The integer for ``name``, assigning the next one on first sight."""
        found = self.index.get(name)
        if found is None:
            found = self.index[name] = len(self.names)
            self.names.append(name)
        return found


@dataclass
class EventTable:
    """Columns of equal length; row ``i`` is one event."""

    ts: npt.NDArray[np.float64]
    template: npt.NDArray[np.int32]
    service: npt.NDArray[np.int32]
    host: npt.NDArray[np.int32]
    level: npt.NDArray[np.int8]
    error: npt.NDArray[np.bool_]
    templates: list[tuple[str, str]]
    """Template (id, text) per template code."""
    services: list[str]
    hosts: list[str]
    error_traces: dict[str, list[int]]
    """trace.id -> rows of its error events."""
    lines: npt.NDArray[np.int64] | None = None
    """File input: 1-based line number over the concatenated inputs, per row."""
    ids: list[str] | None = None
    """Elasticsearch input: ``_id`` per row."""
    indices: list[str] | None = None
    """Elasticsearch input: ``_index`` per row (as a code into ``index_names``)."""
    files: list[tuple[str, int]] = field(default_factory=list)
    """File input: (path, line offset) per input file, in order."""
    untimed: int = 0
    """Events without a time of their own (no readable ``@timestamp``, or tagged ``timestamp_missing``)."""
    time_note: str | None = None
    """What time the untimed events were given, in words (None when every event had its own)."""

    def __len__(self) -> int:
        return int(self.ts.shape[0])


class EventColumns:
    """Appends events one by one into compact arrays; ``table()`` freezes them into numpy."""

    def __init__(self) -> None:
        self.ts = array("d")
        self.service = array("i")
        self.host = array("i")
        self.level = array("b")
        self.error = array("b")
        self.refs = array("q")
        self.ids: list[str] = []
        self.services = Vocabulary()
        self.hosts = Vocabulary()
        self.error_traces: dict[str, list[int]] = {}
        self.segments: list[int] = []
        """First row of each input file: untimed events borrow times within their own file only."""
        self.untimed = 0

    def __len__(self) -> int:
        return len(self.ts)

    def start_segment(self) -> None:
        """The next rows come from another input file."""
        self.segments.append(len(self.ts))

    def add(self, doc: Mapping[str, Any]) -> str:
        """Record one document's columns; returns the text to mine (first line of ``message``).

        The hot path of file analysis (a million calls): flat ECS keys are read with plain
        ``dict.get``; nested lookups run only for documents that have nested objects.
        """
        if _NESTED.isdisjoint(doc.keys()):
            get = doc.get
            stamp, level_name, service, host, tags = (
                get("@timestamp"),
                get("log.level"),
                get("service.name"),
                get("host.name"),
                get("tags"),
            )
        else:
            stamp, level_name = field_value(doc, "@timestamp"), field_value(doc, "log.level")
            service, host = field_value(doc, "service.name"), field_value(doc, "host.name")
            tags = field_value(doc, "tags")
        ts = parse_timestamp(stamp)
        if ts is not None and isinstance(tags, list) and UNTIMED_TAG in tags:
            ts = None  # the pipeline stamped ingest time: the event itself said nothing about when
        if ts is None:
            self.untimed += 1
        rank = LEVEL_RANK.get(level_name, 0) if isinstance(level_name, str) else 0
        err = rank >= ERROR_RANK or is_error(doc, rank)
        row = len(self.ts)
        self.ts.append(math.nan if ts is None else ts)
        self.service.append(self.services.code(service if isinstance(service, str) else _name(service)))
        self.host.append(self.hosts.code(host if isinstance(host, str) else _name(host)))
        self.level.append(rank)
        self.error.append(err)
        if err:
            trace = field_value(doc, "trace.id")
            if isinstance(trace, str) and trace:
                self.error_traces.setdefault(trace, []).append(row)
        message = doc.get("message")
        if message is None:
            message = field_value(doc, "message")
        text = message if isinstance(message, str) else ("" if message is None else str(message))
        cut = text.find("\n")
        return text if cut < 0 else text[:cut]

    def table(self, templates: list[tuple[str, str]], codes: npt.NDArray[np.int32]) -> EventTable:
        """Freeze the columns; ``codes`` is the template code per row (from the miner)."""
        ts, note = fill_untimed(np.frombuffer(self.ts, dtype=np.float64).copy(), self.segments, self.untimed)
        return EventTable(
            ts=ts,
            untimed=self.untimed,
            time_note=note,
            template=codes,
            service=np.frombuffer(self.service, dtype=np.int32).copy(),
            host=np.frombuffer(self.host, dtype=np.int32).copy(),
            level=np.frombuffer(self.level, dtype=np.int8).copy(),
            error=np.frombuffer(self.error, dtype=np.int8).astype(bool),
            templates=templates,
            services=self.services.names,
            hosts=self.hosts.names,
            error_traces=self.error_traces,
        )


def fill_untimed(
    ts: npt.NDArray[np.float64], segments: list[int], untimed: int, now: float | None = None
) -> tuple[npt.NDArray[np.float64], str | None]:
    """Times for events without one (NaN in ``ts``), and a sentence saying which were used.

    Within each input file an untimed event takes the time of the timed event before it (file
    order; leading ones take the first timed event's). Ingest time is never mixed with event time:
    it would put the untimed events hours or years away from the rest, as a burst of their own.
    When no event in the input has a time, rows are placed one second apart in file order,
    ending at the time of this run, so bursts are bursts of lines and rates are per line.
    """
    if untimed == 0 or ts.size == 0:
        return ts, None
    missing = np.isnan(ts)
    if missing.all():
        stop = time.time() if now is None else now
        filled = stop - (ts.size - np.arange(ts.size, dtype=np.float64))
        return filled, (
            f"none of the {ts.size:,} events has a time of its own (no @timestamp the parsers could read): "
            "they are placed one second apart in file order, so bursts are bursts of lines and "
            "rates are per line, not per hour"
        )
    bounds = sorted({0, *segments, ts.size})
    for a, b in pairwise(bounds):
        part = ts[a:b]
        gaps = np.isnan(part)
        if not gaps.any():
            continue
        if gaps.all():
            continue  # a file without any time: filled from the neighbouring files below
        index = np.where(~gaps, np.arange(part.size), 0)
        np.maximum.accumulate(index, out=index)
        first_timed = int(np.flatnonzero(~gaps)[0])
        index[:first_timed] = first_timed
        ts[a:b] = part[index]
    still = np.isnan(ts)
    if still.any():  # whole files without time: the nearest timed event in input order
        index = np.where(~still, np.arange(ts.size), 0)
        np.maximum.accumulate(index, out=index)
        first_timed = int(np.flatnonzero(~still)[0])
        index[:first_timed] = first_timed
        ts = ts[index]
    return ts, (
        f"{untimed:,} of {ts.size:,} events have no time of their own (no @timestamp the parsers could "
        "read): each takes the time of the event before it in its file (file order)"
    )

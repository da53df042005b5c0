"""From a finding's ``Selector`` to the events it covers: line numbers or document ids, examples.

Two implementations with one shape: ``TableResolver`` answers from the in-memory event columns
(files, or documents pulled from Elasticsearch); ``es_source.EsResolver`` asks Elasticsearch (the
aggregation path, where no per-event columns exist). Example messages are fetched last, for every
finding at once, so a file is re-read once (without parsing) and Elasticsearch is asked once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt
import orjson

from logflow.analyze.anomalies import Selector
from logflow.analyze.events import EventTable
from logflow.analyze.report import RANGE_CAP, line_ranges

#: Examples per finding and pattern; trace ids per pattern.
EXAMPLES = 3
TRACE_SAMPLES = 5
#: Characters kept of one example message.
EXAMPLE_CHARS = 400


@dataclass
class Covered:
    """The events a selector covers (capped lists) and references to fetch examples from."""

    count: int
    lines: list[int] | None = None
    locations: list[str] | None = None
    ids: list[str] | None = None
    indices: list[str] | None = None
    example_refs: list[str | int] = field(default_factory=list)
    trace_ids: list[str] = field(default_factory=list)
    line_ranges: list[list[int]] | None = None
    """Every covered line as runs (files only; ``report.RANGE_CAP`` runs at most)."""


class Resolver(Protocol):
    async def covered(self, selector: Selector, cap: int) -> Covered: ...

    async def messages(self, refs: Iterable[str | int]) -> dict[str | int, str]: ...


class TableResolver:
    """Selectors answered with numpy masks over the event columns."""

    def __init__(self, table: EventTable) -> None:
        self.table = table
        self._codes = {tid: code for code, (tid, _) in enumerate(table.templates)}
        self._services = {name: code for code, name in enumerate(table.services)}
        self._trace_of: dict[int, str] | None = None
        self._order = np.argsort(table.ts, kind="stable")

    def rows(self, sel: Selector) -> npt.NDArray[np.int64]:
        """Matching rows in time order."""
        t = self.table
        if sel.trace is not None:
            rows = np.asarray(t.error_traces.get(sel.trace, []), dtype=np.int64)
            keep = (t.ts[rows] >= sel.start) & (t.ts[rows] < sel.end) if rows.size else np.zeros(0, dtype=bool)
            rows = rows[keep]
            return rows[np.argsort(t.ts[rows], kind="stable")]
        mask = (t.ts >= sel.start) & (t.ts < sel.end)
        if sel.templates:
            codes = [self._codes[c] for c in sel.templates if c in self._codes]
            mask &= np.isin(t.template, codes)
        if sel.service is not None:
            mask &= t.service == self._services.get(sel.service, -1)
        if sel.errors_only:
            mask &= t.error
        ordered: npt.NDArray[np.int64] = self._order[mask[self._order]]
        return ordered

    def _traces(self, rows: npt.NDArray[np.int64]) -> list[str]:
        if self._trace_of is None:
            self._trace_of = {row: trace for trace, found in self.table.error_traces.items() for row in found}
        out: list[str] = []
        for row in rows:
            trace = self._trace_of.get(int(row))
            if trace is not None and trace not in out:
                out.append(trace)
                if len(out) >= TRACE_SAMPLES:
                    break
        return out

    async def covered(self, selector: Selector, cap: int) -> Covered:
        rows = self.rows(selector)
        listed = rows[:cap]
        found = Covered(int(rows.size), trace_ids=self._traces(rows))
        if self.table.lines is not None:
            numbers = [int(n) for n in self.table.lines[listed]]
            found.lines = numbers
            found.locations = [self.location(n) for n in numbers]
            found.example_refs = [int(n) for n in self.table.lines[rows[:EXAMPLES]]]
            found.line_ranges = line_ranges([int(n) for n in self.table.lines[rows]], RANGE_CAP)
        elif self.table.ids is not None:
            found.ids = [self.table.ids[int(r)] for r in listed]
            if self.table.indices is not None:
                found.indices = [self.table.indices[int(r)] for r in listed]
            found.example_refs = [self.table.ids[int(r)] for r in rows[:EXAMPLES]]
        return found

    def location(self, number: int) -> str:
        """Global line number -> ``path:line``."""
        path, offset = self.table.files[0]
        for candidate, start in self.table.files:
            if start >= number:
                break
            path, offset = candidate, start
        return f"{path}:{number - offset}"

    async def messages(self, refs: Iterable[str | int]) -> dict[str | int, str]:
        wanted = {int(r) for r in refs}
        if not wanted or self.table.lines is None:
            return {}
        return {k: v for k, v in read_lines(self.table.files, wanted).items()}


def read_lines(files: list[tuple[str, int]], numbers: set[int]) -> dict[str | int, str]:
    """The message of each wanted global line number: ``message`` of a JSON document, else the line."""
    out: dict[str | int, str] = {}
    last = max(numbers)
    for path, offset in files:
        if offset >= last:
            break
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=offset + 1):
                if number > last:
                    break
                if number in numbers:
                    out[number] = message_of(raw)
    return out


def message_of(raw: bytes) -> str:
    """A line's message for display: a document's ``message`` (first line), or the line itself."""
    text = raw.decode("utf-8", "replace").rstrip("\r\n")
    if text.startswith("{"):
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            doc = None
        if isinstance(doc, dict):
            source = doc.get("_source", doc)
            message = source.get("message") if isinstance(source, dict) else None
            if isinstance(message, str):
                text = message
    return text.split("\n", 1)[0][:EXAMPLE_CHARS]

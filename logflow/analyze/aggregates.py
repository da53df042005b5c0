"""The analysis window, its time buckets, and per-template / per-service counts over them.

Both inputs end here: an ``EventTable`` (files, or an Elasticsearch window small enough to pull)
is reduced with numpy, and the Elasticsearch aggregation path (``es_source``) fills the same
``Aggregates`` from ``terms``/``date_histogram`` answers. Everything after this module (families,
patterns, anomalies) works on aggregates only, so it does not care where the events came from.

Windows: ``[baseline_start, start)`` is the baseline, ``[start, end)`` the analysis window. Both
edges snap to bucket boundaries; buckets are aligned on the Unix epoch, as ``date_histogram`` with
a ``fixed_interval`` aligns them, so both paths bucket identically.

Observed time: the windows are what the user asked for, not what the source holds. A baseline of
``1d`` before a file that starts four hours ago, or an index that was empty last week, holds no
data, and an empty bucket there is not evidence of silence. ``Aggregates.observed`` is the span
from the first to the last bucket holding any event; every rate, level and trend is computed over
observed buckets only (see ``anomalies`` and ``patterns``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse

from logflow.analyze.events import LEVEL_NAMES, EventTable

#: Bucket widths to choose from (seconds), smallest first.
WIDTHS = (60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400)
#: The analysis window is cut into at most this many buckets.
MAX_WINDOW_BUCKETS = 150

Counts = npt.NDArray[np.float64]


def bucket_width(seconds: float) -> int:
    """The smallest width that cuts ``seconds`` into at most ``MAX_WINDOW_BUCKETS`` buckets."""
    for width in WIDTHS:
        if seconds / width <= MAX_WINDOW_BUCKETS:
            return width
    return WIDTHS[-1] * math.ceil(seconds / (WIDTHS[-1] * MAX_WINDOW_BUCKETS))


@dataclass(frozen=True, slots=True)
class Windows:
    """Bucketed baseline and analysis windows (epoch seconds)."""

    baseline_start: float
    start: float
    end: float
    width: int

    @classmethod
    def make(cls, baseline_start: float, start: float, end: float) -> Windows:
        width = bucket_width(max(end - start, 1.0))
        origin = math.floor(min(baseline_start, start) / width) * width
        snapped_start = origin + math.floor((start - origin) / width) * width
        snapped_end = origin + math.ceil((end - origin) / width) * width
        return cls(float(origin), float(snapped_start), float(max(snapped_end, snapped_start + width)), width)

    @property
    def buckets(self) -> int:
        return round((self.end - self.baseline_start) / self.width)

    @property
    def first_current(self) -> int:
        """Index of the first bucket of the analysis window."""
        return round((self.start - self.baseline_start) / self.width)

    @property
    def has_baseline(self) -> bool:
        return self.first_current > 0

    @property
    def hours(self) -> float:
        return (self.end - self.start) / 3600.0

    @property
    def baseline_hours(self) -> float:
        return (self.start - self.baseline_start) / 3600.0

    def bucket_start(self, index: int) -> float:
        return self.baseline_start + index * self.width


@dataclass
class TemplateStats:
    """One template over the whole range; services/hosts/levels/first/last over the analysis window."""

    id: str
    text: str
    counts: Counts
    """Events per bucket (baseline and window)."""
    errors: Counts
    """Error events per bucket."""
    services: dict[str, int] = field(default_factory=dict)
    hosts: dict[str, int] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)
    first_seen: float | None = None
    last_seen: float | None = None

    def window_count(self, windows: Windows) -> int:
        return int(self.counts[windows.first_current :].sum())

    def baseline_count(self, windows: Windows) -> int:
        return int(self.counts[: windows.first_current].sum())

    def window_errors(self, windows: Windows) -> int:
        return int(self.errors[windows.first_current :].sum())


@dataclass
class ServiceStats:
    """Events and error events per bucket for one service."""

    name: str
    counts: Counts
    errors: Counts


@dataclass
class TraceStats:
    """The error events of one trace in the analysis window."""

    trace_id: str
    errors: int
    services: dict[str, int]
    first_seen: float
    last_seen: float


@dataclass
class Aggregates:
    """What every detector reads: per template, per service, per error trace."""

    windows: Windows
    templates: list[TemplateStats]
    services: list[ServiceStats]
    traces: list[TraceStats]
    total_events: int
    """Events in baseline + window."""
    window_events: int
    source: str
    """``files``, ``elasticsearch`` (documents pulled) or ``elasticsearch-aggregations``."""
    first_ts: float | None = None
    """The first event's time (None when unknown: then observed buckets count whole)."""
    last_ts: float | None = None
    """The last event's time."""
    observed: slice = field(init=False, default_factory=lambda: slice(0, 0))
    """Buckets from the first to the last one holding any event: the time the source was seen."""

    def __post_init__(self) -> None:
        self.observed = observed_span(self.templates, self.services, self.windows.buckets)

    @property
    def observed_baseline(self) -> slice:
        """Baseline buckets that were observed (empty when the source starts in the window)."""
        first = self.windows.first_current
        return slice(min(self.observed.start, first), min(self.observed.stop, first))

    @property
    def observed_window(self) -> slice:
        """Window buckets that were observed."""
        first = self.windows.first_current
        return slice(max(self.observed.start, first), max(self.observed.stop, first))

    @property
    def has_baseline(self) -> bool:
        """At least one baseline bucket was observed: a baseline rate means something."""
        b = self.observed_baseline
        return int(b.stop) > int(b.start)

    def _span(self, lo: float, hi: float, buckets: slice) -> float:
        """Seconds of ``[lo, hi)`` between the first and last event (whole observed buckets when
        the event times are unknown)."""
        if self.first_ts is None or self.last_ts is None:
            return (int(buckets.stop) - int(buckets.start)) * float(self.windows.width)
        return max(0.0, min(hi, self.last_ts) - max(lo, self.first_ts))

    @property
    def baseline_hours(self) -> float:
        """Observed baseline time, in hours (0 without a baseline)."""
        if not self.has_baseline:
            return 0.0
        w = self.windows
        return self._span(w.baseline_start, w.start, self.observed_baseline) / 3600.0

    @property
    def window_hours(self) -> float:
        """Observed window time, in hours (at least one bucket)."""
        w = self.windows
        return max(self._span(w.start, w.end, self.observed_window), float(w.width)) / 3600.0


def observed_span(templates: list[TemplateStats], services: list[ServiceStats], buckets: int) -> slice:
    """First to last bucket holding an event of any template or service (``slice(0, 0)`` if none).

    Both are read because the aggregation path counts templates and services with separate
    ``terms`` aggregations, each of which can miss documents (no template id, no service).
    """
    busy = np.zeros(buckets, dtype=bool)
    for counts in [t.counts for t in templates] + [s.counts for s in services]:
        busy |= counts[:buckets] > 0
    found = np.flatnonzero(busy)
    if found.size == 0:
        return slice(0, 0)
    return slice(int(found[0]), int(found[-1]) + 1)


def _sparse_counts(
    rows: npt.NDArray[np.int32], cols: npt.NDArray[np.int32], shape: tuple[int, int]
) -> sparse.csr_matrix:
    return sparse.csr_matrix((np.ones(rows.shape[0], dtype=np.float64), (rows, cols)), shape=shape)


def _row_dict(matrix: sparse.csr_matrix, row: int, names: list[str]) -> dict[str, int]:
    start, stop = matrix.indptr[row], matrix.indptr[row + 1]
    pairs = zip(matrix.indices[start:stop], matrix.data[start:stop], strict=True)
    return dict(sorted(((names[c], int(v)) for c, v in pairs), key=lambda kv: -kv[1]))


def from_table(table: EventTable, windows: Windows) -> Aggregates:
    """Reduce an event table to aggregates with numpy (sparse where a dimension can be large)."""
    nb = windows.buckets
    in_range = (table.ts >= windows.baseline_start) & (table.ts < windows.end)
    ts = table.ts[in_range]
    tpl = table.template[in_range]
    err = table.error[in_range]
    svc = table.service[in_range]
    bucket = np.minimum(((ts - windows.baseline_start) // windows.width).astype(np.int32), nb - 1)
    nt, ns = len(table.templates), len(table.services)
    counts = _sparse_counts(tpl, bucket, (nt, nb)).toarray()
    errors = _sparse_counts(tpl[err], bucket[err], (nt, nb)).toarray()
    svc_counts = _sparse_counts(svc, bucket, (ns, nb)).toarray()
    svc_errors = _sparse_counts(svc[err], bucket[err], (ns, nb)).toarray()

    current = ts >= windows.start
    ctpl, cts = tpl[current], ts[current]
    by_service = _sparse_counts(ctpl, svc[current], (nt, ns))
    by_host = _sparse_counts(ctpl, table.host[in_range][current], (nt, len(table.hosts)))
    by_level = _sparse_counts(ctpl, table.level[in_range][current].astype(np.int32), (nt, len(LEVEL_NAMES)))
    first = np.full(nt, np.inf)
    last = np.full(nt, -np.inf)
    np.minimum.at(first, ctpl, cts)
    np.maximum.at(last, ctpl, cts)

    templates = []
    for code, (tid, text) in enumerate(table.templates):
        if not counts[code].any():
            continue
        templates.append(
            TemplateStats(
                tid,
                text,
                counts[code],
                errors[code],
                services=_row_dict(by_service, code, table.services),
                hosts=_row_dict(by_host, code, table.hosts),
                levels=_row_dict(by_level, code, list(LEVEL_NAMES)),
                first_seen=float(first[code]) if np.isfinite(first[code]) else None,
                last_seen=float(last[code]) if np.isfinite(last[code]) else None,
            )
        )
    services = [
        ServiceStats(name, svc_counts[i], svc_errors[i]) for i, name in enumerate(table.services) if svc_counts[i].any()
    ]
    return Aggregates(
        windows,
        templates,
        services,
        _traces(table, windows),
        int(in_range.sum()),
        int(current.sum()),
        "files" if table.lines is not None else "elasticsearch",
        first_ts=float(ts.min()) if ts.size else None,
        last_ts=float(ts.max()) if ts.size else None,
    )


def _traces(table: EventTable, windows: Windows) -> list[TraceStats]:
    """Error traces with at least one error event in the analysis window."""
    out = []
    for trace, rows in table.error_traces.items():
        stamps = table.ts[rows]
        keep = (stamps >= windows.start) & (stamps < windows.end)
        if not keep.any():
            continue
        services: dict[str, int] = {}
        for code in table.service[rows][keep]:
            name = table.services[int(code)]
            services[name] = services.get(name, 0) + 1
        out.append(TraceStats(trace, int(keep.sum()), services, float(stamps[keep].min()), float(stamps[keep].max())))
    return out

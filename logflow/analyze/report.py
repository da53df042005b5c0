"""The report schema: what ``--format json`` prints, ``--write-es`` stores and the renderers draw.

Stable contract (``schema_version`` 1; fields are only ever added):

    {
      "schema_version": 1,
      "generated_at": ISO-8601 UTC,
      "source": {"kind": "files" | "elasticsearch" | "elasticsearch-aggregations",
                 "inputs": [paths or index patterns], "query": str | null, "service": str | null},
      "window": {"baseline_start", "start", "end": ISO-8601, "bucket_seconds": int, "has_baseline": bool},
      "totals": {"events", "window_events", "templates", "families", "error_events"},
      "patterns": [Pattern...],        # recurring error patterns, most events first
      "anomalies": [Anomaly...],       # highest score first
      "timeline": {"buckets": [ISO...], "patterns": {family_id: [count...]},
                   "error_rate": {service: [rate or null...]}},
      "incidents": [Incident...],      # findings grouped: each incident once, highest score first
      "families": [FamilyView...],     # template families worth showing (see FamilyView)
      "flags": ["no-baseline" | "partial-baseline" | "untimed-events"...],
      "warnings": [str...]
    }

``Pattern`` and ``Anomaly`` are below; every time is ISO 8601 UTC with milliseconds. Anomalies from
file input list ``lines`` (1-based, over the inputs concatenated in order) and ``locations``
(``path:line``); from Elasticsearch they list ``ids`` (document ``_id``s) and ``indices``. Both are
capped (``max_events_listed``); ``events`` is always the full count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

SCHEMA_VERSION = 1
#: At most this many ``line_ranges`` per finding; beyond, ``events`` still counts them all.
RANGE_CAP = 1000


def iso(ts: float | None) -> str | None:
    """Epoch seconds -> ``2026-11-22T10:00:00.000Z``."""
    if ts is None:
        return None
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def duration_text(seconds: float) -> str:
    """A duration as a person writes it, never rounded up a unit: ``39 min``, ``1 h 5 min``, ``2 d 3 h``.

    Below a minute it says seconds; below an hour, whole minutes; below two days, hours and minutes;
    beyond, days and hours. Truncated, not rounded, so 39 minutes is never "1 h".
    """
    total = max(int(seconds), 0)
    if total < 60:
        return f"{total} s"
    minutes, hours, days = total // 60, total // 3600, total // 86400
    if hours == 0:
        return f"{minutes} min"
    if days < 2:
        rest = minutes - hours * 60
        return f"{hours} h" + (f" {rest} min" if rest else "")
    rest = hours - days * 24
    return f"{days} d" + (f" {rest} h" if rest else "")


def line_ranges(numbers: list[int], cap: int) -> list[list[int]]:
    """Sorted line numbers as ``[first, last]`` runs of consecutive numbers, at most ``cap`` runs."""
    out: list[list[int]] = []
    for n in sorted(set(numbers)):
        if out and n == out[-1][1] + 1:
            out[-1][1] = n
        elif len(out) >= cap:
            break
        else:
            out.append([n, n])
    return out


def merge_ranges(groups: list[list[list[int]]], cap: int) -> list[list[int]]:
    """Several lists of ``[first, last]`` runs as one, overlapping and adjacent runs joined."""
    out: list[list[int]] = []
    for a, b in sorted(r for runs in groups for r in runs):
        if out and a <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], b)
        elif len(out) >= cap:
            break
        else:
            out.append([a, b])
    return out


def ranges_text(ranges: list[list[int]]) -> str:
    """``[[3, 9], [12, 12]]`` -> ``3-9, 12``."""
    return ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in ranges)


#: Severities in order; a finding's ``severity`` is one of these.
SEVERITIES = ("none", "debug", "info", "warn", "error", "fatal")


def severity_rank(severity: str) -> int:
    """Position in ``SEVERITIES`` (unknown names rank as ``none``): compare findings with ``--fail-on``."""
    try:
        return SEVERITIES.index(severity)
    except ValueError:
        return 0


def at_least(severity: str, threshold: str) -> bool:
    """``severity`` is ``threshold`` or worse (``at_least("fatal", "error")`` is True)."""
    return severity_rank(severity) >= severity_rank(threshold)


@dataclass
class TemplateRef:
    """A template as the report names it."""

    id: str
    text: str
    count: int


@dataclass
class Pattern:
    """A recurring error pattern: one family of similar templates, over the analysis window."""

    family_id: str
    """``f-`` + the id of the family's most frequent template."""
    title: str
    templates: list[TemplateRef]
    """Representative templates, most frequent first (at most 5)."""
    template_count: int
    count: int
    """Error events in the window."""
    share: float
    """``count`` / error events in the window."""
    services: dict[str, int]
    hosts: dict[str, int]
    first_seen: str | None
    last_seen: str | None
    rate_per_hour: float
    baseline_rate_per_hour: float | None
    trend: str
    """``new`` | ``rising`` | ``falling`` | ``steady`` | ``no-baseline``."""
    trend_ratio: float | None
    """Window rate / baseline rate (null when the baseline is empty or missing)."""
    severity: str
    """The most severe level seen in the pattern: ``fatal`` | ``error`` | ``warn``."""
    examples: list[str] = field(default_factory=list)
    trace_ids: list[str] = field(default_factory=list)
    line_ranges: list[list[int]] | None = None
    """File input: every line of the pattern's events in the window, as ``[first, last]`` runs."""


@dataclass
class Anomaly:
    """One finding with its score, its reason in words and the events it covers."""

    id: str
    """Stable: hash of kind, subject and start."""
    kind: str
    """``new_pattern`` | ``rare_pattern`` | ``outlier`` | ``spike`` | ``error_rate_spike`` | ``error_cascade``."""
    score: float
    """0-100, see docs/analysis.md: 100 * (1 - exp(-surprise / 20)) * severity weight."""
    surprise: float
    """-log10 of how likely the observation is under the baseline model of its kind."""
    severity: str
    title: str
    reason: str
    start: str | None
    end: str | None
    events: int
    templates: list[TemplateRef] = field(default_factory=list)
    family_id: str | None = None
    services: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    trace_ids: list[str] = field(default_factory=list)
    observed: float | None = None
    expected: float | None = None
    lines: list[int] | None = None
    locations: list[str] | None = None
    ids: list[str] | None = None
    indices: list[str] | None = None
    examples: list[str] = field(default_factory=list)
    incident: str | None = None
    """The id of the incident this finding is part of (``Report.incidents``)."""
    line_ranges: list[list[int]] | None = None
    """File input: *every* covered line as ``[first, last]`` runs (at most ``RANGE_CAP`` runs)."""


@dataclass
class Incident:
    """A group of findings about one incident (``findings`` are anomaly ids, strongest first)."""

    id: str
    title: str
    kind: str
    """The strongest finding's kind."""
    kinds: list[str]
    score: float
    severity: str
    start: str | None
    end: str | None
    events: int
    """Distinct events listed by its findings (each finding lists at most ``max_events_listed``)."""
    findings: list[str]
    services: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    trace_ids: list[str] = field(default_factory=list)
    lines: list[int] | None = None
    ids: list[str] | None = None
    line_ranges: list[list[int]] | None = None
    """File input: every line of every finding of the incident, as runs."""


@dataclass
class FamilyView:
    """A template family as the report shows it: its templates, who logged it, what it is part of."""

    id: str
    templates: list[TemplateRef]
    """Members, most events in the window first (at most 8)."""
    template_count: int
    events: int
    """Events of the family in the window."""
    error_events: int
    services: list[str]
    incidents: list[str] = field(default_factory=list)
    """Ids of the incidents with a finding in this family."""


@dataclass
class Report:
    """A whole analysis result; ``to_json`` is the ``--format json`` output."""

    generated_at: str
    source: dict[str, Any]
    window: dict[str, Any]
    totals: dict[str, int]
    patterns: list[Pattern]
    anomalies: list[Anomaly]
    timeline: dict[str, Any]
    schema_version: int = SCHEMA_VERSION
    incidents: list[Incident] = field(default_factory=list)
    """Findings grouped so that each incident is listed once (``incidents.group_incidents``)."""
    families: list[FamilyView] = field(default_factory=list)
    """Template families with findings or error patterns, or more than one template or service."""
    flags: list[str] = field(default_factory=list)
    """``no-baseline`` (no baseline time observed), ``partial-baseline``, ``untimed-events``."""
    warnings: list[str] = field(default_factory=list)
    """What the reader must know to trust the findings, in words (also printed on stderr)."""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for anomaly in out["anomalies"]:
            for key in ("lines", "locations", "ids", "indices", "line_ranges"):
                if anomaly[key] is None:
                    del anomaly[key]
        for pattern in out["patterns"]:
            if pattern["line_ranges"] is None:
                del pattern["line_ranges"]
        for incident in out["incidents"]:
            for key in ("lines", "ids", "line_ranges"):
                if incident[key] is None:
                    del incident[key]
        return out

    def worst_severity(self) -> str:
        """The most severe finding's severity (``none`` without findings): for ``--fail-on``."""
        return max((a.severity for a in self.anomalies), key=severity_rank, default="none")

    def to_json(self, indent: bool = True) -> bytes:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2 if indent else 0)

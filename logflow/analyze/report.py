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
                   "error_rate": {service: [rate or null...]}}
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


def iso(ts: float | None) -> str | None:
    """Epoch seconds -> ``2026-11-22T10:00:00.000Z``."""
    if ts is None:
        return None
    moment = datetime.fromtimestamp(ts, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


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

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for anomaly in out["anomalies"]:
            for key in ("lines", "locations", "ids", "indices"):
                if anomaly[key] is None:
                    del anomaly[key]
        return out

    def to_json(self, indent: bool = True) -> bytes:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2 if indent else 0)

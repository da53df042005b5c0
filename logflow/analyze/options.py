"""What the user asked for: sources, the analysis window, the baseline, thresholds.

Parsed once at the edge (the CLI or a test) into a frozen ``AnalysisOptions``; every bad value is a
``ConfigError`` naming the option and the fix, so the CLI exits 2 with a useful message.

Times: ``--since``/``--until`` take an ISO 8601 date or date-time (UTC when no offset is given) or a
duration back from the anchor (``90m``, ``24h``, ``7d``, ``2w``). The anchor is *now* for
Elasticsearch and the last event of the input for files, because archived files are usually
analysed long after they were written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from logflow.config import AnalyzeConfig
from logflow.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}

InputFormat = Literal["auto", "raw", "ndjson"]
OutputFormat = Literal["table", "json", "html"]
Mode = Literal["auto", "documents", "aggregations"]


def parse_duration(text: str, key: str) -> float:
    """``"7d"`` -> seconds; a ConfigError naming ``key`` otherwise."""
    match = _DURATION.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise ConfigError(key, f"{text!r} is not a duration", "write a positive number and a unit: 90m, 24h, 7d, 2w")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_instant(text: str, key: str, anchor: float) -> float:
    """An ISO date/date-time (UTC unless an offset is given), ``now``, or a duration back from ``anchor``."""
    value = text.strip()
    if value == "now":
        return anchor
    if _DURATION.match(value):
        return anchor - parse_duration(value, key)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            key,
            f"{text!r} is neither a date nor a duration",
            "use 2026-11-22, 2026-11-22T10:00:00Z, now or 24h",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Detector knobs. Defaults were chosen on the demo corpus with incidents; see docs/analysis.md."""

    family_similarity: float = 0.5
    """Cosine similarity (TF-IDF of template words) at which two templates join one family."""
    outlier_similarity: float = 0.3
    """A rare template whose nearest other template is less similar than this is an outlier."""
    rare_max: int = 3
    """At most this many events in the whole range (and at least one in the window): rare."""
    new_min: int = 3
    """A pattern absent from the baseline needs this many events in the window to be "new"."""
    spike_min_events: int = 10
    """A frequency spike must cover at least this many events."""
    spike_ratio: float = 3.0
    """... and at least this multiple of the expected count."""
    error_rate_min_errors: int = 5
    """An error-rate spike must cover at least this many errors."""
    cascade_min_services: int = 3
    """An error cascade touches at least this many services in one trace."""
    min_surprise: float = 3.0
    """Findings less surprising than this (-log10 of their probability) are not reported."""
    max_findings: int = 50
    """At most this many anomalies in the report (highest scores first)."""
    max_events_listed: int = 1000
    """At most this many ``lines``/``ids`` per anomaly (``events`` always has the full count)."""


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    """Everything one analysis run needs besides the data itself."""

    since: str | None = None
    until: str | None = None
    baseline: str | None = None
    query: str | None = None
    service: str | None = None
    min_level: Literal["warn", "error"] = "error"
    input_format: InputFormat = "auto"
    mode: Mode = "auto"
    max_documents: int = 200_000
    """Above this many documents in the window, the Elasticsearch path pulls aggregations instead."""
    thresholds: Thresholds = field(default_factory=Thresholds)

    def __post_init__(self) -> None:
        if self.baseline is not None:
            parse_duration(self.baseline, "--baseline")
        if self.max_documents < 1:
            raise ConfigError("--max-documents", "must be at least 1", "pass a positive number")


def thresholds_from(section: AnalyzeConfig) -> Thresholds:
    """The detectors' thresholds from the ``[analyze]`` section."""
    return Thresholds(**{name: getattr(section, name) for name in Thresholds.__dataclass_fields__})


def options_from(section: AnalyzeConfig, **given: Any) -> AnalysisOptions:
    """``AnalysisOptions`` from the ``[analyze]`` defaults, with the options given (not None) winning."""
    defaults: dict[str, Any] = {
        "baseline": section.baseline,
        "min_level": section.min_level,
        "mode": section.mode,
        "max_documents": section.max_documents,
    }
    chosen = {**defaults, **{k: v for k, v in given.items() if v is not None}}
    return AnalysisOptions(**chosen, thresholds=thresholds_from(section))


def choice(key: str, value: str, allowed: tuple[str, ...]) -> Any:
    """``value`` if it is one of ``allowed``; a ConfigError naming ``key`` otherwise."""
    if value not in allowed:
        raise ConfigError(key, f"{value!r} is not one of {', '.join(allowed)}", f"use {key} {allowed[0]}")
    return value

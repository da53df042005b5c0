"""Recurring error patterns: families of templates ranked by their error events in the window.

A pattern is a *family* (see ``clustering``), not a single template, so every variant of "connection
refused" counts together whatever service or host logged it. Trend compares the window's rate with
the baseline's, over *observed* time only (``Aggregates.observed``): under equal rates the window's
share of the family's events is Binomial(n, window h / (window h + baseline h)). ``rising`` /
``new`` (none in the baseline) when the window holds improbably many (one chance in a thousand)
and the rate grew by 1.5x; ``falling`` the other way; ``steady`` when the difference is within
chance; ``no-baseline`` when no baseline time was observed, so there is nothing to compare with.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from logflow.analyze.aggregates import Aggregates, TemplateStats
from logflow.analyze.clustering import Families
from logflow.analyze.events import LEVEL_NAMES, MISSING
from logflow.analyze.report import Pattern, TemplateRef, iso

#: A family needs this many error events in the window to be a *recurring* pattern.
MIN_PATTERN_EVENTS = 2
TREND_FACTOR = 1.5
#: -log10 of the chance a trend is only noise, at which it is called one.
TREND_SURPRISE = 3.0
LN10 = math.log(10.0)
SEVERITY_ORDER = {name: rank for rank, name in enumerate(LEVEL_NAMES)}


@dataclass(frozen=True, slots=True)
class Family:
    """Templates of one family, most events first."""

    id: str
    members: list[TemplateStats]


def families(aggregates: Aggregates, labels: Families) -> list[Family]:
    """Group template stats by family label; the id is ``f-`` + the biggest member's template id."""
    groups: dict[int, list[TemplateStats]] = {}
    for stats, label in zip(aggregates.templates, labels.labels, strict=True):
        groups.setdefault(int(label), []).append(stats)
    out = []
    for members in groups.values():
        members.sort(key=lambda s: (-float(s.counts.sum()), s.id))
        out.append(Family(f"f-{members[0].id}", members))
    return out


def severity_of(levels: dict[str, int], error_events: int) -> str:
    """The most severe level present (an error-tagged event without a level counts as ``error``)."""
    present = [name for name, count in levels.items() if count > 0]
    worst = max(present, key=lambda n: SEVERITY_ORDER.get(n, 0), default="none")
    if SEVERITY_ORDER.get(worst, 0) < SEVERITY_ORDER["error"] and error_events > 0:
        return "error"
    return worst


def trend(
    window_count: int, baseline_count: int, window_hours: float, baseline_hours: float
) -> tuple[str, float | None]:
    """(label, ratio of hourly rates) over observed hours; see the module docstring."""
    if baseline_hours <= 0:
        return "no-baseline", None
    n = window_count + baseline_count
    share = window_hours / (window_hours + baseline_hours)
    ratio = None if baseline_count == 0 else (window_count / window_hours) / (baseline_count / baseline_hours)
    more = -float(binom.logsf(window_count - 1, n, share)) / LN10 if window_count else 0.0
    fewer = -float(binom.logcdf(window_count, n, share)) / LN10
    if more >= TREND_SURPRISE and (ratio is None or ratio >= TREND_FACTOR):
        return ("new" if baseline_count == 0 else "rising"), ratio
    if fewer >= TREND_SURPRISE and ratio is not None and ratio <= 1 / TREND_FACTOR:
        return "falling", ratio
    return "steady", ratio


def recurring_patterns(aggregates: Aggregates, groups: Sequence[Family], min_level: str = "error") -> list[Pattern]:
    """Families with error events (or warnings, with ``min_level="warn"``) in the window, biggest first."""
    w = aggregates.windows
    first = w.first_current
    include_warn = min_level == "warn"
    rows: list[tuple[Family, int, int]] = []
    total = 0
    for family in groups:
        count = base = 0
        for s in family.members:
            count += int(s.errors[first:].sum())
            base += int(s.errors[:first].sum())
            if include_warn:
                count += s.levels.get("warn", 0)
        if count >= MIN_PATTERN_EVENTS:
            rows.append((family, count, base))
        total += count
    patterns = []
    for family, count, base in sorted(rows, key=lambda r: (-r[1], r[0].id)):
        members = [s for s in family.members if s.window_errors(w) or (include_warn and s.levels.get("warn"))]
        services: Counter[str] = Counter()
        hosts: Counter[str] = Counter()
        levels: Counter[str] = Counter()
        for s in members:
            services.update(s.services)
            hosts.update(s.hosts)
            levels.update(s.levels)
        seen_first = [s.first_seen for s in members if s.first_seen is not None]
        seen_last = [s.last_seen for s in members if s.last_seen is not None]
        services.pop(MISSING, None)
        hosts.pop(MISSING, None)
        rate = count / aggregates.window_hours
        base_rate = base / aggregates.baseline_hours if aggregates.has_baseline else None
        label, ratio = trend(count, base, aggregates.window_hours, aggregates.baseline_hours)
        refs = [TemplateRef(s.id, s.text, s.window_count(w)) for s in members[:5]]
        patterns.append(
            Pattern(
                family_id=family.id,
                title=refs[0].text if refs else family.id,
                templates=refs,
                template_count=len(members),
                count=count,
                share=round(count / total, 4) if total else 0.0,
                services=dict(services.most_common()),
                hosts=dict(hosts.most_common(10)),
                first_seen=iso(min(seen_first)) if seen_first else None,
                last_seen=iso(max(seen_last)) if seen_last else None,
                rate_per_hour=round(rate, 3),
                baseline_rate_per_hour=None if base_rate is None else round(base_rate, 3),
                trend=label,
                trend_ratio=None if ratio is None else round(ratio, 3),
                severity=severity_of(dict(levels), count),
            )
        )
    return patterns


def family_series(aggregates: Aggregates, groups: Sequence[Family], ids: Sequence[str]) -> dict[str, list[int]]:
    """Error events per window bucket for the named families (the report's timeline)."""
    first = aggregates.windows.first_current
    by_id = {f.id: f for f in groups}
    out = {}
    for fid in ids:
        family = by_id.get(fid)
        if family is None:
            continue
        series = np.sum([s.errors[first:] for s in family.members], axis=0)
        out[fid] = [int(v) for v in series]
    return out

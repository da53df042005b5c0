"""Aggregates in, ``Report`` out: families, recurring patterns, anomalies, timeline.

The pure core of ``logflow analyze`` (the resolver is the only thing that may do I/O, and only to
fetch the events and examples that findings point at).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from logflow.analyze.aggregates import Aggregates
from logflow.analyze.anomalies import Candidate, Selector, detect
from logflow.analyze.clustering import cluster_templates
from logflow.analyze.events import named, service_label
from logflow.analyze.incidents import group_incidents
from logflow.analyze.options import AnalysisOptions
from logflow.analyze.patterns import Family, families, family_series, recurring_patterns
from logflow.analyze.report import Anomaly, FamilyView, Pattern, Report, TemplateRef, duration_text, iso
from logflow.analyze.resolve import Covered, Resolver

#: Families drawn on the report's timeline.
TIMELINE_PATTERNS = 6


def finding_id(candidate: Candidate) -> str:
    """Stable across runs over the same data: kind, subject and start."""
    key = f"{candidate.kind}|{candidate.subject}|{candidate.start:.3f}"
    return hashlib.blake2b(key.encode(), digest_size=8).hexdigest()


def _anomaly(c: Candidate, covered: Covered) -> Anomaly:
    w_templates = [TemplateRef(s.id, s.text, int(c.events)) for s in c.templates]
    return Anomaly(
        id=finding_id(c),
        kind=c.kind,
        score=c.score,
        surprise=round(c.surprise, 2),
        severity=c.severity,
        title=c.title,
        reason=c.reason,
        start=iso(c.start),
        end=iso(c.end),
        events=covered.count or c.events,
        templates=w_templates,
        family_id=c.family_id,
        services=c.services,
        hosts=c.hosts[:10],
        trace_ids=c.trace_ids or covered.trace_ids,
        observed=c.observed,
        expected=c.expected,
        lines=covered.lines,
        locations=covered.locations,
        ids=covered.ids,
        indices=covered.indices,
        line_ranges=covered.line_ranges,
    )


async def build_report(
    agg: Aggregates,
    resolver: Resolver,
    options: AnalysisOptions,
    source: dict[str, Any],
    time_note: str | None = None,
) -> Report:
    """Cluster, find patterns and anomalies, resolve their events and examples."""
    t = options.thresholds
    w = agg.windows
    fams = cluster_templates([s.text for s in agg.templates], t.family_similarity)
    groups = families(agg, fams)
    patterns = recurring_patterns(agg, groups, options.min_level)
    candidates = detect(agg, fams, groups, t)

    by_family = {f.id: f for f in groups}
    pattern_cover: list[Covered] = []
    for pattern in patterns:
        ids = tuple(s.id for s in by_family[pattern.family_id].members)
        pattern_cover.append(await resolver.covered(Selector(w.start, w.end, ids, errors_only=True), 0))
    anomaly_cover = [await resolver.covered(c.selector, t.max_events_listed) for c in candidates]

    refs = [r for cov in (*pattern_cover, *anomaly_cover) for r in cov.example_refs]
    messages = await resolver.messages(refs)
    anomalies = []
    for pattern, cov in zip(patterns, pattern_cover, strict=True):
        pattern.examples = _examples(cov, messages)
        pattern.trace_ids = cov.trace_ids
        pattern.line_ranges = cov.line_ranges
    for c, cov in zip(candidates, anomaly_cover, strict=True):
        anomaly = _anomaly(c, cov)
        anomaly.examples = _examples(cov, messages)
        anomalies.append(anomaly)

    incidents = group_incidents(anomalies, t.max_events_listed, width=w.width)
    flags, warnings = _flags(agg, time_note)
    seen = agg.observed
    return Report(
        generated_at=iso(datetime.now(UTC).timestamp()) or "",
        source={**source, "kind": agg.source},
        window={
            "baseline_start": iso(w.baseline_start),
            "start": iso(w.start),
            "end": iso(w.end),
            "bucket_seconds": w.width,
            "has_baseline": agg.has_baseline,
            "observed_start": iso(w.bucket_start(seen.start)) if seen.stop > seen.start else None,
            "observed_end": iso(w.bucket_start(seen.stop)) if seen.stop > seen.start else None,
            "baseline_observed_hours": round(agg.baseline_hours, 3),
            "window_observed_hours": round(agg.window_hours, 3),
        },
        totals={
            "events": agg.total_events,
            "window_events": agg.window_events,
            "templates": len(agg.templates),
            "families": fams.count,
            "error_events": int(sum(s.errors[w.first_current :].sum() for s in agg.services)),
        },
        patterns=patterns,
        anomalies=anomalies,
        timeline=_timeline(agg, groups, patterns),
        incidents=incidents,
        families=family_views(agg, groups, patterns, anomalies),
        flags=flags,
        warnings=warnings,
    )


def _flags(agg: Aggregates, time_note: str | None) -> tuple[list[str], list[str]]:
    """Report flags and the warnings that explain them."""
    w = agg.windows
    flags: list[str] = []
    warnings: list[str] = []
    asked = w.baseline_hours * 3600
    if not agg.has_baseline:
        flags.append("no-baseline")
        if asked > 0:
            warnings.append(
                f"no-baseline: the {duration_text(asked)} baseline holds no events, so nothing is compared "
                "with it: no pattern is new or rising, and spikes are measured against the window itself"
            )
    elif agg.baseline_hours * 3600 < asked - w.width:
        flags.append("partial-baseline")
        warnings.append(
            f"partial-baseline: only {duration_text(agg.baseline_hours * 3600)} of the {duration_text(asked)} "
            "baseline holds events; rates are compared over that time only"
        )
    if time_note is not None:
        flags.append("untimed-events")
        warnings.append(f"untimed-events: {time_note}")
    return flags, warnings


#: Families listed in the report's family view.
FAMILY_VIEWS = 30


def family_views(
    agg: Aggregates, groups: Sequence[Family], patterns: list[Pattern], anomalies: list[Anomaly]
) -> list[FamilyView]:
    """The families a reader should see: those with findings or patterns, or grouping several
    templates or services (what TF-IDF grouping did), biggest first."""
    w = agg.windows
    touched: dict[str, list[str]] = {}
    for a in anomalies:
        if a.family_id is not None and a.incident is not None and a.incident not in touched.get(a.family_id, []):
            touched.setdefault(a.family_id, []).append(a.incident)
    in_patterns = {p.family_id for p in patterns}
    out = []
    for family in groups:
        members = [s for s in family.members if s.window_count(w)]
        services = sorted({n for s in members for n in named(s.services)})
        if not members or not (
            family.id in touched or family.id in in_patterns or (len(members) > 1 and len(services) > 1)
        ):
            continue
        members.sort(key=lambda s: (-s.window_count(w), s.id))
        out.append(
            FamilyView(
                id=family.id,
                templates=[TemplateRef(s.id, s.text, s.window_count(w)) for s in members[:8]],
                template_count=len(members),
                events=sum(s.window_count(w) for s in members),
                error_events=sum(s.window_errors(w) for s in members),
                services=services,
                incidents=touched.get(family.id, []),
            )
        )
    out.sort(key=lambda f: (not f.incidents, -f.error_events, -f.events, f.id))
    return out[:FAMILY_VIEWS]


def _examples(cov: Covered, messages: dict[str | int, str]) -> list[str]:
    return [messages[r] for r in cov.example_refs if r in messages]


def _timeline(agg: Aggregates, groups: Any, patterns: list[Pattern]) -> dict[str, Any]:
    """Per window bucket: error events of the top patterns, and each service's error rate."""
    w = agg.windows
    first = w.first_current
    buckets = [iso(w.bucket_start(i)) for i in range(first, w.buckets)]
    series = family_series(agg, groups, [p.family_id for p in patterns[:TIMELINE_PATTERNS]])
    rates: dict[str, list[float | None]] = {}
    for svc in agg.services:
        counts, errors = svc.counts[first:], svc.errors[first:]
        if not errors.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(counts > 0, errors / np.maximum(counts, 1), np.nan)
        rates[service_label(svc.name)] = [None if np.isnan(v) else round(float(v), 4) for v in ratio]
    events = {service_label(svc.name): [int(v) for v in svc.counts[first:]] for svc in agg.services}
    return {"buckets": buckets, "patterns": series, "error_rate": rates, "events": events}

"""Aggregates in, ``Report`` out: families, recurring patterns, anomalies, timeline.

The pure core of ``logflow analyze`` (the resolver is the only thing that may do I/O, and only to
fetch the events and examples that findings point at).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import numpy as np

from logflow.analyze.aggregates import Aggregates
from logflow.analyze.anomalies import Candidate, Selector, detect
from logflow.analyze.clustering import cluster_templates
from logflow.analyze.options import AnalysisOptions
from logflow.analyze.patterns import families, family_series, recurring_patterns
from logflow.analyze.report import Anomaly, Pattern, Report, TemplateRef, iso
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
    )


async def build_report(
    agg: Aggregates, resolver: Resolver, options: AnalysisOptions, source: dict[str, Any]
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
    for c, cov in zip(candidates, anomaly_cover, strict=True):
        anomaly = _anomaly(c, cov)
        anomaly.examples = _examples(cov, messages)
        anomalies.append(anomaly)

    return Report(
        generated_at=iso(datetime.now(UTC).timestamp()) or "",
        source={**source, "kind": agg.source},
        window={
            "baseline_start": iso(w.baseline_start),
            "start": iso(w.start),
            "end": iso(w.end),
            "bucket_seconds": w.width,
            "has_baseline": w.has_baseline,
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
    )


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
        rates[svc.name] = [None if np.isnan(v) else round(float(v), 4) for v in ratio]
    events = {svc.name: [int(v) for v in svc.counts[first:]] for svc in agg.services}
    return {"buckets": buckets, "patterns": series, "error_rate": rates, "events": events}

"""Anomaly detectors over aggregates. Each one turns an observation into a *surprise*.

surprise = -log10(probability of seeing at least this much under the detector's baseline model):

- ``new_pattern``: its family is absent from the observed baseline, ``n`` events in the window. Model: a
  steady rate puts each event in the window with probability ``share = window h / (window h + baseline
  h)`` (observed hours), so all ``n`` land there with probability ``share ** n``.
- ``rare_pattern``: its family has at most ``rare_max`` events in the whole range: ``log10(total events / count)``,
  the information content of meeting this template.
- ``outlier``: a rare template whose nearest other template (TF-IDF cosine) is below
  ``outlier_similarity``: the rare surprise plus ``3 * (1 - nearest / outlier_similarity)``.
- ``spike``: a run of window buckets where a template's count jumps: ``obs ~ Poisson(expected)``
  with ``expected`` = the template's robust level per bucket (median, or trimmed mean for sporadic
  templates) times the run length, divided by the over-dispersion of its counts.
- ``error_rate_spike``: a run of buckets where a service's error share jumps: errors ~
  Binomial(events, p0) with ``p0`` the median per-bucket error rate of that service.
- ``error_cascade``: one trace with error events in several services. Among the error traces that
  span two or more services, each service fails independently with the share of those traces it
  appears in, and repeated errors (more error events than services) are as likely as the share of
  traces repeating at least as often; surprise = -log10 of the product of those shares.

score = 100 * (1 - exp(-surprise / 20)) * weight(severity), weight 1.0 for error/fatal, 0.85 for
warn, 0.7 otherwise: monotone in surprise, comparable across kinds, never above 100.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt
from scipy import stats

from logflow.analyze.aggregates import Aggregates, TemplateStats
from logflow.analyze.clustering import Families
from logflow.analyze.events import named, service_label
from logflow.analyze.options import Thresholds
from logflow.analyze.patterns import Family, severity_of
from logflow.analyze.report import duration_text

LN10 = math.log(10.0)
#: Observed buckets a level (per template or service) needs before a run can stand out of it.
MIN_LEVEL_BUCKETS = 8
SEVERITY_WEIGHT = {"fatal": 1.0, "error": 1.0, "warn": 0.85}


@dataclass(frozen=True, slots=True)
class Selector:
    """Which events a finding covers; resolved to lines or ids by ``resolve``."""

    start: float
    end: float
    templates: tuple[str, ...] = ()
    service: str | None = None
    errors_only: bool = False
    trace: str | None = None


@dataclass
class Candidate:
    """A finding before its events are resolved and it becomes a report ``Anomaly``."""

    kind: str
    subject: str
    surprise: float
    severity: str
    title: str
    reason: str
    start: float
    end: float
    events: int
    selector: Selector
    templates: list[TemplateStats] = field(default_factory=list)
    family_id: str | None = None
    services: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    trace_ids: list[str] = field(default_factory=list)
    observed: float | None = None
    expected: float | None = None

    @property
    def score(self) -> float:
        weight = SEVERITY_WEIGHT.get(self.severity, 0.7)
        return round(100.0 * (1.0 - math.exp(-self.surprise / 20.0)) * weight, 1)


def poisson_surprise(observed: float, expected: float) -> float:
    """-log10 P(X >= observed) for X ~ Poisson(expected)."""
    if observed <= 0:
        return 0.0
    return float(-stats.poisson.logsf(observed - 1, max(expected, 1e-9)) / LN10)


def binomial_surprise(successes: int, trials: int, p: float) -> float:
    """-log10 P(X >= successes) for X ~ Binomial(trials, p)."""
    if successes <= 0:
        return 0.0
    return float(-stats.binom.logsf(successes - 1, trials, min(max(p, 1e-9), 1.0)) / LN10)


def _family_of(groups: Sequence[Family]) -> dict[str, str]:
    return {s.id: f.id for f in groups for s in f.members}


def _severity(stats_: TemplateStats, windows_errors: int) -> str:
    return severity_of(stats_.levels, windows_errors)


def template_anomalies(agg: Aggregates, fams: Families, groups: Sequence[Family], t: Thresholds) -> list[Candidate]:
    """New, rare and outlier families (each family gets at most one of the three).

    Judged per *family*, not per template: ``Role admin granted to carol`` is not rare when its
    siblings for other users are common, a new variant of a known family is not a new pattern, and
    three one-off siblings make one finding, not three (small samples split such templates until the
    miner has seen enough values).
    """
    w = agg.windows
    nearest_of = {s.id: float(n) for s, n in zip(agg.templates, fams.nearest, strict=True)}
    total_events = max(agg.total_events, 1)
    out = []
    for family in groups:
        members = [s for s in family.members if s.window_count(w)]
        if not members:
            continue
        count = sum(s.window_count(w) for s in members)
        total = sum(int(s.counts.sum()) for s in family.members)
        base = sum(s.baseline_count(w) for s in family.members)
        head = members[0]
        levels: dict[str, int] = {}
        for s in members:
            for name, n in s.levels.items():
                levels[name] = levels.get(name, 0) + n
        first = min((s.first_seen for s in members if s.first_seen is not None), default=w.start)
        last = max((s.last_seen for s in members if s.last_seen is not None), default=w.end)
        more = f" (+{len(members) - 1} similar)" if len(members) > 1 else ""
        services = sorted(named({n for s in members for n in s.services}))
        hosts = sorted(named({n for s in members for n in s.hosts}))
        severity = severity_of(levels, sum(s.window_errors(w) for s in members))

        proto = Candidate(
            kind="",
            subject=family.id,
            surprise=0.0,
            severity=severity,
            title="",
            reason="",
            start=first,
            end=last + 0.001,
            events=count,
            selector=Selector(w.start, w.end, tuple(s.id for s in members)),
            templates=members[:5],
            family_id=family.id,
            services=services,
            hosts=hosts,
            observed=float(count),
        )

        if total <= t.rare_max:
            rarity = math.log10(total_events / total)
            nearest = max(nearest_of.get(s.id, 0.0) for s in family.members) if len(family.members) == 1 else 1.0
            if nearest < t.outlier_similarity:
                surprise = rarity + 3.0 * (1.0 - nearest / t.outlier_similarity)
                out.append(
                    replace(
                        proto,
                        kind="outlier",
                        surprise=surprise,
                        title=f"Outlier: {head.text}",
                        reason=(
                            f"{total} event(s) of a template unlike any other (nearest template similarity "
                            f"{nearest:.2f} < {t.outlier_similarity:.2f}); 1 in {total_events // total:,} events"
                        ),
                    )
                )
            else:
                out.append(
                    replace(
                        proto,
                        kind="rare_pattern",
                        surprise=rarity,
                        title=f"Rare: {head.text}{more}",
                        reason=(
                            f"only {total} event(s) of this family in {total_events:,} (1 in {total_events // total:,})"
                        ),
                    )
                )
        elif agg.has_baseline and base == 0 and count >= t.new_min:
            share = agg.window_hours / (agg.window_hours + agg.baseline_hours)
            out.append(
                replace(
                    proto,
                    kind="new_pattern",
                    surprise=-count * math.log10(share),
                    title=f"New: {head.text}{more}",
                    reason=(
                        f"{count:,} events in the window, none in the {duration_text(agg.baseline_hours * 3600)} "
                        f"of baseline with data ({count / agg.window_hours:.1f}/h; at a steady rate "
                        f"{1 - share:.0%} of them would have fallen in the baseline)"
                    ),
                    expected=round(count * (1 - share), 3),
                )
            )
    return out


def _runs(flags: npt.NDArray[np.bool_], gap: int = 1) -> list[tuple[int, int]]:
    """Runs of flagged indices as [start, stop), merging runs separated by at most ``gap`` buckets."""
    idx = np.flatnonzero(flags)
    runs: list[tuple[int, int]] = []
    for i in idx:
        if runs and i - runs[-1][1] <= gap:
            runs[-1] = (runs[-1][0], int(i) + 1)
        else:
            runs.append((int(i), int(i) + 1))
    return runs


def _level(counts: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Robust per-bucket level and over-dispersion (variance / mean, at least 1) of a count series."""
    median = float(np.median(counts))
    trimmed = np.sort(counts)[: max(1, int(len(counts) * 0.9))]
    level = max(median, float(trimmed.mean()), 1.0 / len(counts))
    mad = float(np.median(np.abs(counts - median))) * 1.4826
    return level, max(1.0, mad * mad / level)


def _tests(buckets: int) -> float:
    """-log10 of the number of places a run can start: a run found anywhere in ``buckets`` is that
    much less surprising than one tested at a single place (Bonferroni), so a long quiet window does
    not raise a false alarm just by being long."""
    return math.log10(max(buckets, 1))


def spikes(agg: Aggregates, groups: Sequence[Family], t: Thresholds, skip: set[str]) -> list[Candidate]:
    """Runs of observed window buckets where one template's count jumps far above its own robust level.

    The level is measured over observed buckets only (``Aggregates.observed``): a baseline that
    holds no data says nothing about a template's rate. With fewer than ``MIN_LEVEL_BUCKETS``
    observed buckets there is no level to compare with, so nothing is a spike.
    """
    w = agg.windows
    family_of = _family_of(groups)
    seen, current = agg.observed, agg.observed_window
    if seen.stop - seen.start < MIN_LEVEL_BUCKETS:
        return []
    correction = _tests(current.stop - current.start)
    out = []
    for s in agg.templates:
        if s.id in skip or s.window_count(w) < t.spike_min_events:
            continue
        level, dispersion = _level(s.counts[seen])
        window = s.counts[current]
        flags = (window >= t.spike_ratio * level) & (window - level >= 4.0 * math.sqrt(level * dispersion))
        for a, b in _runs(flags):
            observed = float(window[a:b].sum())
            expected = level * (b - a)
            if observed < t.spike_min_events or observed < t.spike_ratio * expected:
                continue
            start, end = w.bucket_start(current.start + a), w.bucket_start(current.start + b)
            surprise = poisson_surprise(observed, expected) / dispersion - correction
            out.append(
                Candidate(
                    kind="spike",
                    subject=s.id,
                    surprise=surprise,
                    severity=_severity(s, s.window_errors(w)),
                    title=f"Spike: {s.text}",
                    reason=(
                        f"{observed:.0f} events in {duration_text(end - start)} where {expected:.1f} were expected "
                        f"({observed / expected:.1f}x its usual {level:.2f} per {duration_text(w.width)})"
                    ),
                    start=start,
                    end=end,
                    events=int(observed),
                    selector=Selector(start, end, (s.id,)),
                    templates=[s],
                    family_id=family_of.get(s.id),
                    services=named(s.services),
                    hosts=named(s.hosts),
                    observed=observed,
                    expected=round(expected, 3),
                )
            )
    return out


def error_rate_spikes(agg: Aggregates, t: Thresholds) -> list[Candidate]:
    """Runs of buckets where a service's share of error events jumps above its median rate."""
    w = agg.windows
    seen, current = agg.observed, agg.observed_window
    first = current.start
    correction = _tests(current.stop - current.start)
    out = []
    for svc in agg.services:
        counts, errors = svc.counts[seen], svc.errors[seen]
        busy = counts > 0
        if svc.errors[current].sum() < t.error_rate_min_errors or busy.sum() < MIN_LEVEL_BUCKETS:
            continue
        rates = errors[busy] / counts[busy]
        pooled = float(errors.sum() / counts.sum())
        p0 = max(float(np.median(rates)), pooled, 0.5 / float(np.median(counts[busy])))
        window_n, window_e = svc.counts[current], svc.errors[current]
        bucket_surprise = np.array(
            [binomial_surprise(int(e), int(n), p0) if n else 0.0 for e, n in zip(window_e, window_n, strict=True)]
        )
        flags = (bucket_surprise >= t.min_surprise + correction) & (window_e >= 2 * p0 * window_n)
        for a, b in _runs(flags):
            e, n = int(window_e[a:b].sum()), int(window_n[a:b].sum())
            if e < t.error_rate_min_errors or e < 2 * p0 * n:
                continue
            start, end = w.bucket_start(first + a), w.bucket_start(first + b)
            out.append(
                Candidate(
                    kind="error_rate_spike",
                    subject=svc.name,
                    surprise=binomial_surprise(e, n, p0) - correction,
                    severity="error",
                    title=f"Error rate spike: {service_label(svc.name)}",
                    reason=(
                        f"{e} errors in {n} events ({e / n:.1%}) of {service_label(svc.name)} in "
                        f"{duration_text(end - start)}, where its usual rate is {p0:.1%} ({p0 * n:.1f} expected)"
                    ),
                    start=start,
                    end=end,
                    events=e,
                    selector=Selector(start, end, service=svc.name, errors_only=True),
                    services=named({svc.name: 1}),
                    observed=round(e / n, 4),
                    expected=round(p0, 4),
                )
            )
    return out


def cascades(agg: Aggregates, t: Thresholds) -> list[Candidate]:
    """Traces whose errors span an improbable combination of services (independence model).

    The population is the error traces that span at least two services: single-service failures say
    nothing about how failures travel. Repeated errors (more error events than services: retries)
    add the share of traces with at least as many repeats.
    """
    traces = [trace for trace in agg.traces if len(trace.services) >= 2]
    total = len(traces)
    if total == 0:
        return []
    appears: dict[str, int] = {}
    for trace in traces:
        for name in trace.services:
            appears[name] = appears.get(name, 0) + 1
    repeats = sorted(trace.errors - len(trace.services) for trace in traces)
    out = []
    for trace in traces:
        if len(trace.services) < t.cascade_min_services:
            continue
        extra = trace.errors - len(trace.services)
        at_least = total - bisect.bisect_left(repeats, extra)
        surprise = -sum(math.log10(appears[name] / total) for name in trace.services) + math.log10(total / at_least)
        names = sorted(trace.services, key=lambda n: appears[n])
        labels = sorted(service_label(n) for n in names)
        out.append(
            Candidate(
                kind="error_cascade",
                subject=trace.trace_id,
                surprise=surprise,
                severity="error",
                title=f"Error cascade across {len(names)} services: {', '.join(labels)}",
                reason=(
                    f"trace {trace.trace_id} has {trace.errors} error events in {len(names)} services "
                    f"({at_least / total:.0%} of multi-service error traces repeat errors as often); "
                    + "; ".join(f"{service_label(n)} fails in {appears[n] / total:.0%} of them" for n in names)
                ),
                start=trace.first_seen,
                end=trace.last_seen + 0.001,
                events=trace.errors,
                selector=Selector(agg.windows.start, agg.windows.end, errors_only=True, trace=trace.trace_id),
                services=sorted(named(names)),
                trace_ids=[trace.trace_id],
                observed=float(trace.errors),
            )
        )
    return out


def detect(agg: Aggregates, fams: Families, groups: Sequence[Family], t: Thresholds) -> list[Candidate]:
    """Every detector; findings below ``min_surprise`` dropped; highest score first, at most ``max_findings``.

    A template that is already a new, rare or outlier finding is not also tested for spikes, but only
    when that finding is kept: a weak ``new_pattern`` that is dropped must not hide a strong spike.
    """
    found = [c for c in template_anomalies(agg, fams, groups, t) if c.surprise >= t.min_surprise]
    skip = {s.id for c in found for s in c.templates}
    found += spikes(agg, groups, t, skip)
    found += error_rate_spikes(agg, t)
    found += cascades(agg, t)
    kept = [c for c in found if c.surprise >= t.min_surprise]
    kept.sort(key=lambda c: (-c.score, -c.surprise, c.kind, c.subject))
    return kept[: t.max_findings]

"""Detectors on generated aggregates: each fires on its own shape of data and stays quiet otherwise."""

from __future__ import annotations

import numpy as np

from logflow.analyze.aggregates import Aggregates, ServiceStats, TemplateStats, TraceStats, Windows
from logflow.analyze.anomalies import cascades, detect, error_rate_spikes, poisson_surprise, spikes
from logflow.analyze.clustering import cluster_templates
from logflow.analyze.options import Thresholds
from logflow.analyze.patterns import families

HOUR = 3600.0
T = Thresholds()


def windows() -> Windows:
    """A 16 h baseline and a 32 h window in 15-minute buckets (192 buckets)."""
    return Windows.make(0.0, 16 * HOUR, 48 * HOUR)


def steady(tid: str, text: str, per_bucket: float, seed: int, errors: bool = False) -> TemplateStats:
    counts = np.random.default_rng(seed).poisson(per_bucket, windows().buckets).astype(float)
    return TemplateStats(
        tid,
        text,
        counts,
        counts.copy() if errors else np.zeros_like(counts),
        services={"svc": int(counts.sum())},
        levels={"error" if errors else "info": int(counts.sum())},
        first_seen=16 * HOUR,
        last_seen=48 * HOUR - 1,
    )


def aggregates(
    templates: list[TemplateStats],
    services: list[ServiceStats] | None = None,
    traces: list[TraceStats] | None = None,
) -> Aggregates:
    w = windows()
    total = int(sum(s.counts.sum() for s in templates))
    return Aggregates(w, templates, services or [], traces or [], total, total, "files")


def steady_templates() -> list[TemplateStats]:
    return [
        steady("a", "payment authorized", 20, 1),
        steady("b", "cart priced items=<*>", 8, 2),
        steady("c", "checkout failed", 2, 3, errors=True),
    ]


def run(agg: Aggregates) -> list[str]:
    fams = cluster_templates([s.text for s in agg.templates])
    return [c.kind for c in detect(agg, fams, families(agg, fams), T)]


class TestSteady:
    def test_poisson_noise_raises_nothing(self) -> None:
        """Three steady Poisson templates produce no finding."""
        assert run(aggregates(steady_templates())) == []


class TestNewPatterns:
    def test_a_template_absent_from_the_baseline_is_new(self) -> None:
        """Thirty events that start in the window, none before, are a new pattern."""
        w = windows()
        counts = np.zeros(w.buckets)
        counts[150:160] = 3
        fresh = TemplateStats(
            "n",
            "ledger write rejected disk quota",
            counts,
            counts.copy(),
            levels={"error": 30},
            services={"orders": 30},
            first_seen=w.bucket_start(150),
            last_seen=w.bucket_start(160),
        )
        assert "new_pattern" in run(aggregates([*steady_templates(), fresh]))

    def test_without_a_baseline_nothing_is_new(self) -> None:
        """A window that starts with the data has nothing to compare with, so no new pattern."""
        agg = aggregates(steady_templates())
        agg.windows = Windows.make(16 * HOUR, 16 * HOUR, 48 * HOUR)
        assert not agg.windows.has_baseline


class TestSpikes:
    def test_a_burst_over_a_steady_template_is_a_spike(self) -> None:
        """Sixty extra events in two buckets of a template that logs two per bucket are a spike."""
        templates = steady_templates()
        w = windows()
        templates[2].counts[120:122] += 30
        found = spikes(aggregates(templates), [], T, set())
        assert [(c.subject, c.start, c.end) for c in found] == [("c", w.bucket_start(120), w.bucket_start(122))]
        assert found[0].observed is not None and found[0].observed >= 60

    def test_a_doubling_inside_noise_is_not_a_spike(self) -> None:
        """One bucket at twice its usual count of twenty is below the ratio threshold."""
        templates = steady_templates()
        templates[0].counts[130] = 40
        assert spikes(aggregates(templates), [], T, set()) == []


class TestErrorRateSpikes:
    def test_a_service_whose_error_share_jumps_is_flagged(self) -> None:
        """Errors jumping from 5% to 60% of a service's events for an hour are an error-rate spike."""
        w = windows()
        counts = np.full(w.buckets, 40.0)
        errors = np.full(w.buckets, 2.0)
        errors[100:104] = 24
        found = error_rate_spikes(aggregates([], [ServiceStats("payments", counts, errors)]), T)
        assert [(c.subject, c.start, c.end) for c in found] == [("payments", w.bucket_start(100), w.bucket_start(104))]

    def test_more_traffic_at_the_same_error_share_is_not_flagged(self) -> None:
        """Twice the events with twice the errors keeps the rate, so nothing fires."""
        w = windows()
        counts = np.full(w.buckets, 40.0)
        errors = np.full(w.buckets, 2.0)
        counts[100:104], errors[100:104] = 80, 4
        assert error_rate_spikes(aggregates([], [ServiceStats("payments", counts, errors)]), T) == []


class TestCascades:
    def test_a_trace_through_an_unusual_service_with_retries_is_a_cascade(self) -> None:
        """Among common web+checkout failures, a trace also failing in inventory with retries stands out."""
        traces = [TraceStats(f"t{i}", 2, {"web": 1, "checkout": 1}, HOUR * 20, HOUR * 20) for i in range(60)]
        traces += [
            TraceStats(f"p{i}", 3, {"web": 1, "checkout": 1, "payments": 1}, HOUR * 20, HOUR * 20) for i in range(30)
        ]
        traces.append(
            TraceStats("boom", 7, {"web": 1, "checkout": 2, "payments": 1, "inventory": 3}, HOUR * 30, HOUR * 30)
        )
        found = [c for c in cascades(aggregates([], traces=traces), T) if c.surprise >= T.min_surprise]
        assert [c.subject for c in found] == ["boom"]


class TestScores:
    def test_surprise_grows_with_the_excess(self) -> None:
        """Observing more events over the same expectation is more surprising."""
        assert poisson_surprise(10, 2.0) < poisson_surprise(20, 2.0)

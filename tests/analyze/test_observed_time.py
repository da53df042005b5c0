"""Rates are compared only with time that was observed: steady streams raise nothing, bursts do.

The streams are generated: random rates, window and baseline lengths, and a baseline that the
data covers fully, partly or not at all (a file that starts after the baseline began, an index
that was empty last week). The analysis runs on event columns, as files and Elasticsearch
documents both do.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from logflow.analyze.aggregates import Aggregates, ServiceStats, TemplateStats, Windows, from_table
from logflow.analyze.anomalies import detect
from logflow.analyze.clustering import cluster_templates
from logflow.analyze.events import ERROR_RANK, EventTable
from logflow.analyze.options import Thresholds
from logflow.analyze.patterns import families, recurring_patterns

HOUR = 3600.0
T = Thresholds()
TEXTS = (
    "worker heartbeat ok seq=<*>",
    "payment authorized amount=<*>",
    "cache refreshed keys <*>",
    "upstream connect error to backend <*>",
)


def stream(
    seed: int, rates: list[float], errors: list[bool], begin: float, end: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Homogeneous Poisson events per template between ``begin`` and ``end``: (ts, template, error).

    The last template (``marks``) logs once at ``begin`` and once just before ``end``, as a file's
    first and last lines do: the data covers that time whatever the other rates are.
    """
    rng = np.random.default_rng(seed)
    marks = len(rates)
    ts = [np.array([begin, end - 1.0])]
    tpl = [np.full(2, marks, dtype=np.int32)]
    err = [np.zeros(2, dtype=bool)]
    for code, (rate, is_error) in enumerate(zip(rates, errors, strict=True)):
        n = int(rng.poisson(rate * (end - begin) / HOUR))
        ts.append(rng.uniform(begin, end, n))
        tpl.append(np.full(n, code, dtype=np.int32))
        err.append(np.full(n, is_error, dtype=bool))
    return np.concatenate(ts), np.concatenate(tpl), np.concatenate(err)


def table(ts: np.ndarray, tpl: np.ndarray, err: np.ndarray, count: int) -> EventTable:
    order = np.argsort(ts, kind="stable")
    ts, tpl, err = ts[order], tpl[order], err[order]
    return EventTable(
        ts=ts,
        template=tpl,
        service=np.zeros(ts.size, dtype=np.int32),
        host=np.zeros(ts.size, dtype=np.int32),
        level=np.where(err, ERROR_RANK, 2).astype(np.int8),
        error=err,
        templates=[(f"t{i}", TEXTS[i]) for i in range(count)] + [("marks", "service started version <*>")],
        services=["svc"],
        hosts=["h"],
        error_traces={},
        lines=np.arange(1, ts.size + 1, dtype=np.int64),
    )


def findings(agg: Aggregates) -> tuple[list[str], list[str]]:
    fams = cluster_templates([s.text for s in agg.templates])
    groups = families(agg, fams)
    kinds = [c.kind for c in detect(agg, fams, groups, T)]
    trends = [p.trend for p in recurring_patterns(agg, groups)]
    return kinds, trends


streams = st.fixed_dictionaries(
    {
        "seed": st.integers(0, 2**32 - 1),
        "window_h": st.floats(1.0, 48.0),
        "baseline_h": st.floats(1.0, 168.0),
        # Share of the baseline the data covers: 0 = the data starts with the window.
        "covered": st.one_of(st.just(0.0), st.just(1.0), st.floats(0.0, 1.0)),
        "rates": st.lists(st.floats(0.5, 600.0), min_size=1, max_size=len(TEXTS)),
        "errors": st.lists(st.booleans(), min_size=len(TEXTS), max_size=len(TEXTS)),
    }
)


class TestSteadyStreams:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(streams)
    def test_a_steady_stream_is_never_a_spike_new_or_a_trend(self, p: dict[str, Any]) -> None:
        """Whatever the rates and however little of the baseline holds data, a steady stream gives
        no spike, no error-rate spike, no new pattern, and only steady (or no-baseline) trends."""
        end = 1_790_000_000.0
        start = end - p["window_h"] * HOUR
        baseline_start = start - p["baseline_h"] * HOUR
        begin = start - p["covered"] * p["baseline_h"] * HOUR
        rates, errors = p["rates"], p["errors"][: len(p["rates"])]
        ts, tpl, err = stream(p["seed"], rates, errors, begin, end)
        agg = from_table(table(ts, tpl, err, len(rates)), Windows.make(baseline_start, start, end))
        kinds, trends = findings(agg)
        assert not {"spike", "error_rate_spike", "new_pattern"} & set(kinds)
        assert set(trends) <= {"steady", "no-baseline"}

    def test_a_baseline_without_data_is_flagged_as_none(self) -> None:
        """Four hours of one line a minute, with a day of baseline asked for: no baseline observed."""
        end = 1_790_000_000.0
        ts = end - np.arange(240, 0, -1) * 60.0
        agg = from_table(
            table(ts, np.zeros(240, dtype=np.int32), np.zeros(240, dtype=bool), 1),
            Windows.make(end - 28 * HOUR, end - 4 * HOUR, end),
        )
        assert not agg.has_baseline and agg.baseline_hours == 0.0
        assert findings(agg) == ([], [])


class TestPlantedBursts:
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(streams, st.floats(0.2, 0.8), st.integers(8, 30))
    # Found by Hypothesis: the template is also a weak new pattern (no baseline events), which is dropped
    # below min_surprise; it used to hide the burst's spike all the same.
    @example(
        {"seed": 33554431, "window_h": 9.0, "baseline_h": 1.0, "covered": 1.0, "rates": [1.0], "errors": [False]},
        0.5,
        8,
    )
    def test_a_planted_burst_is_a_spike_with_or_without_baseline(
        self, p: dict[str, Any], where: float, factor: int
    ) -> None:
        """A burst of one template (many times its rate, at least 60 events, in one bucket) inside the
        window is found, whatever the baseline holds: as a spike over the burst's bucket, or as a new
        pattern when the baseline held none of that template."""
        end = 1_790_000_000.0
        start = end - p["window_h"] * HOUR
        baseline_start = start - p["baseline_h"] * HOUR
        begin = start - p["covered"] * p["baseline_h"] * HOUR
        rates, errors = p["rates"], p["errors"][: len(p["rates"])]
        windows = Windows.make(baseline_start, start, end)
        ts, tpl, err = stream(p["seed"], rates, errors, begin, end)
        bucket = windows.first_current + int(where * (windows.buckets - windows.first_current))
        at = windows.bucket_start(bucket)
        level = rates[0] * windows.width / HOUR
        n = max(60, int(factor * level) + 1)
        burst = np.random.default_rng(p["seed"]).uniform(at, at + windows.width, n)
        ts = np.concatenate([ts, burst])
        tpl = np.concatenate([tpl, np.zeros(n, dtype=np.int32)])
        err = np.concatenate([err, np.full(n, errors[0])])
        agg = from_table(table(ts, tpl, err, len(rates)), windows)
        fams = cluster_templates([s.text for s in agg.templates])
        found = [
            c
            for c in detect(agg, fams, families(agg, fams), T)
            if "t0" in {s.id for s in c.templates}
            and ((c.kind == "spike" and c.start <= at < c.end) or c.kind == "new_pattern")
        ]
        assert found, (n, level)


class TestAggregationPath:
    @settings(max_examples=40, deadline=None)
    @given(
        st.integers(0, 2**32 - 1),
        st.integers(10, 150),
        st.integers(1, 400),
        st.lists(st.floats(0.05, 50.0), min_size=1, max_size=6),
    )
    def test_an_empty_baseline_makes_no_template_a_spike(
        self, seed: int, window: int, baseline: int, levels: list[float]
    ) -> None:
        """Aggregates as Elasticsearch's histograms give them (no event times): a baseline of empty
        buckets before steady templates makes none of them a spike, new or trending."""
        rng = np.random.default_rng(seed)
        w = Windows.make(0.0, baseline * 900.0, (baseline + window) * 900.0)
        templates = []
        for i, level in enumerate(levels):
            counts = np.zeros(w.buckets)
            counts[w.first_current :] = rng.poisson(level, w.buckets - w.first_current)
            templates.append(
                TemplateStats(f"t{i}", f"template number {chr(97 + i)} <*>", counts, counts.copy(), levels={"error": 1})
            )
        total = int(sum(s.counts.sum() for s in templates))
        agg = Aggregates(
            w,
            templates,
            [
                ServiceStats(
                    "svc", np.sum([s.counts for s in templates], axis=0), np.sum([s.errors for s in templates], axis=0)
                )
            ],
            [],
            total,
            total,
            "elasticsearch-aggregations",
        )
        assert not agg.has_baseline
        kinds, trends = findings(agg)
        assert not {"spike", "error_rate_spike", "new_pattern"} & set(kinds)
        assert set(trends) <= {"no-baseline"}

"""The labelled corpora of bench/incidents: each incident is found with its lines, quiet logs stay quiet."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from logflow.analyze import AnalysisOptions, Report, analyze_files
from logflow.config import load_settings

CORPORA = Path(__file__).resolve().parents[2] / "bench" / "incidents"


def analyse(name: str) -> tuple[Report, dict[str, object]]:
    labels = json.loads((CORPORA / name / "labels.json").read_text())
    files = [CORPORA / name / f for f in labels["files"]]
    return asyncio.run(analyze_files(files, load_settings(environ={}), AnalysisOptions())), labels


def lines_of(runs: list[list[int]] | None) -> set[int]:
    return {n for a, b in runs or [] for n in range(a, b + 1)}


@pytest.mark.parametrize("name", ["oom-kill", "disk-full"])
def test_every_labelled_incident_is_covered_by_one_reported_incident(name: str) -> None:
    """Each labelled incident's lines are touched by a finding, and all its findings are one incident."""
    report, labels = analyse(name)
    for incident in labels["incidents"]:  # type: ignore[attr-defined]
        truth = lines_of(incident["lines"])
        touching = [a for a in report.anomalies if lines_of(a.line_ranges) & truth]
        assert touching, incident["id"]
        assert len({a.incident for a in touching}) == 1, incident["id"]


@pytest.mark.parametrize("name", ["quiet-host", "quiet-steady-errors"])
def test_a_quiet_log_raises_no_anomaly(name: str) -> None:
    """Routine traffic, steady errors included, gives no finding (the errors stay a steady pattern)."""
    report, _ = analyse(name)
    assert report.anomalies == []
    assert {p.trend for p in report.patterns} <= {"steady"}

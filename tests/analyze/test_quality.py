"""Quality: injected incidents are among the top findings; steady patterns are not flagged."""

from __future__ import annotations

import asyncio
from pathlib import Path

from logflow.analyze import AnalysisOptions, Report, analyze_files
from logflow.config import load_settings
from logflow.demo.corpus import ShipRecord

TOP = 10


def analyze(path: Path) -> Report:
    return asyncio.run(analyze_files([path], load_settings(environ={}), AnalysisOptions()))


def incidents_covered(report: Report, records: list[ShipRecord], top: int = TOP) -> dict[str, set[str]]:
    """Incident name -> kinds of the top findings whose lines include that incident's records."""
    found: dict[str, set[str]] = {}
    for anomaly in report.anomalies[:top]:
        for line in anomaly.lines or []:
            name = records[line - 1].incident
            if name:
                found.setdefault(name, set()).add(anomaly.kind)
    return found


class TestInjectedIncidents:
    def test_each_incident_is_among_the_top_findings(self, incident_corpus: tuple[Path, list[ShipRecord]]) -> None:
        """Every injected incident is covered by one of the ten highest-scored anomalies."""
        path, records = incident_corpus
        found = incidents_covered(analyze(path), records)
        assert set(found) == {"new-error", "error-spike", "rare-messages", "cascade"}

    def test_each_incident_is_reported_as_the_right_kind(self, incident_corpus: tuple[Path, list[ShipRecord]]) -> None:
        """The new error is new, the burst is a spike, the one-offs are outliers, the trace is a cascade."""
        path, records = incident_corpus
        found = incidents_covered(analyze(path), records)
        assert "new_pattern" in found["new-error"]
        assert {"spike", "error_rate_spike"} <= found["error-spike"]
        assert "outlier" in found["rare-messages"]
        assert "error_cascade" in found["cascade"]

    def test_the_cascade_lists_every_error_event_of_its_trace(
        self, incident_corpus: tuple[Path, list[ShipRecord]]
    ) -> None:
        """The cascade's lines are exactly the injected trace's error records (the web 503 included)."""
        path, records = incident_corpus
        cascade = next(a for a in analyze(path).anomalies if a.kind == "error_cascade")
        expected = {n for n, r in enumerate(records, 1) if r.incident == "cascade" and r.level in ("error", "")}
        assert set(cascade.lines or []) == expected
        assert cascade.services == ["checkout", "inventory", "orders", "payments", "web"]

    def test_the_new_error_covers_all_its_records_and_no_others(
        self, incident_corpus: tuple[Path, list[ShipRecord]]
    ) -> None:
        """The new pattern's lines are the forty injected records."""
        path, records = incident_corpus
        new = next(a for a in analyze(path).anomalies if a.kind == "new_pattern")
        assert {records[n - 1].incident for n in new.lines or []} == {"new-error"}
        assert new.events == 40

    def test_recurring_patterns_show_the_spiking_error_rising(
        self, incident_corpus: tuple[Path, list[ShipRecord]]
    ) -> None:
        """The declined-payments pattern trends up against the baseline; the new error is marked new."""
        path, _ = incident_corpus
        trends = {p.title: p.trend for p in analyze(path).patterns}
        assert trends["payment declined by processor"] == "rising"
        assert trends["ledger write rejected: disk quota exceeded on volume <*> trace_id=<*>"] == "new"


class TestSteadyCorpus:
    def test_nothing_is_flagged_in_a_steady_corpus(self, steady_corpus: tuple[Path, list[ShipRecord]]) -> None:
        """Twenty thousand steady records yield no anomaly at all."""
        path, _ = steady_corpus
        report = analyze(path)
        assert [(a.kind, a.title) for a in report.anomalies] == []

    def test_steady_error_patterns_are_steady(self, steady_corpus: tuple[Path, list[ShipRecord]]) -> None:
        """Every recurring error pattern of the steady corpus trends steady."""
        path, _ = steady_corpus
        report = analyze(path)
        assert report.patterns
        assert {p.trend for p in report.patterns} == {"steady"}

    def test_steady_patterns_stay_unflagged_next_to_incidents(
        self, incident_corpus: tuple[Path, list[ShipRecord]]
    ) -> None:
        """Template-level findings in the incident corpus concern incident records only."""
        path, records = incident_corpus
        for anomaly in analyze(path).anomalies:
            if anomaly.kind in ("new_pattern", "rare_pattern", "outlier", "error_cascade"):
                assert {records[n - 1].incident for n in anomaly.lines or []} - {""}, anomaly.title
                assert "" not in {records[n - 1].incident for n in anomaly.lines or []}, anomaly.title

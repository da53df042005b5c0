"""What the report says in words: times it had to guess, missing services, durations, incidents, links."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import numpy as np
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from logflow.analyze import AnalysisOptions, Report, analyze_files, render_html
from logflow.analyze.events import fill_untimed
from logflow.analyze.report import duration_text
from logflow.cli import app
from logflow.config import load_settings

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
WORDS = st.sampled_from(["cache", "refresh", "worker", "ready", "queue", "drained", "lease", "renewed"])


def analyze(path: Path) -> Report:
    return asyncio.run(analyze_files([path], load_settings(environ={}), AnalysisOptions(input_format="ndjson")))


def write(path: Path, docs: list[dict[str, object]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in docs))
    return path


def steady_docs(minutes: int, burst_at: int | None = None, service: str | None = None) -> list[dict[str, object]]:
    """One info line a minute, and (optionally) 80 error lines in one minute, ndjson documents."""
    docs: list[dict[str, object]] = []
    for i in range(minutes):
        at = T0 + timedelta(minutes=i)
        docs.append({"@timestamp": at.isoformat(), "log.level": "info", "message": f"worker ready slot {i % 7}"})
        if i == burst_at:
            docs += [
                {
                    "@timestamp": (at + timedelta(seconds=k / 2)).isoformat(),
                    "log.level": "error",
                    "message": f"queue lease lost partition {k % 5}",
                }
                for k in range(80)
            ]
    if service is not None:
        for d in docs:
            d["service.name"] = service
    return docs


class TestUntimedEvents:
    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.booleans(), min_size=1, max_size=60), st.lists(st.floats(0, 1e6), min_size=60, max_size=60))
    def test_untimed_events_borrow_a_time_from_their_file_never_the_clock(
        self, timed: list[bool], stamps: list[float]
    ) -> None:
        """An event without a time takes one of its file's event times (the one before it, or the
        first); only a file with no time at all is placed in line order, one second apart."""
        ts = np.array([1.7e9 + s if t else np.nan for t, s in zip(timed, stamps, strict=False)])
        filled, note = fill_untimed(ts.copy(), [0], int((~np.array(timed)).sum()), now=2e9)
        own = ts[~np.isnan(ts)]
        if all(timed):
            assert note is None and np.array_equal(filled, ts)
        elif own.size:
            assert note is not None and set(filled.tolist()) <= set(own.tolist())
            assert np.array_equal(filled[~np.isnan(ts)], own)
        else:
            assert note is not None and np.all(np.diff(filled) == 1.0) and filled[-1] < 2e9

    def test_ndjson_without_time_fields_says_so_in_the_report_and_on_stderr(self, tmp_path: Path) -> None:
        """Documents without @timestamp: the report carries the flag and the warning, stderr says it."""
        docs: list[dict[str, object]] = [
            {"message": f"worker ready slot {i % 3}", "log.level": "info"} for i in range(300)
        ]
        path = write(tmp_path / "untimed.ndjson", docs)
        report = analyze(path)
        assert "untimed-events" in report.flags
        assert any("no time of its own" in w or "has a time of its own" in w for w in report.warnings)
        result = CliRunner().invoke(app, ["analyze", str(path), "--input", "ndjson", "--format", "json"])
        assert result.exit_code == 0, result.output
        assert "warning: untimed-events" in result.stderr

    def test_timed_documents_raise_no_time_warning(self, tmp_path: Path) -> None:
        """Every event with its own time: no flag, no warning about time."""
        report = analyze(write(tmp_path / "timed.ndjson", steady_docs(120)))
        assert "untimed-events" not in report.flags


def visible_text(page: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", " ", page, flags=re.S)))


class TestHtmlWords:
    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.integers(30, 200), st.integers(0, 1000), st.lists(WORDS, min_size=1, max_size=3))
    def test_a_missing_service_is_never_a_dash_in_the_report(self, minutes: int, seed: int, words: list[str]) -> None:
        """Events without service.name (and no dash in any message): no lone ``-`` anywhere the
        report speaks, in the HTML or in the JSON findings."""
        rng = np.random.default_rng(seed)
        docs = steady_docs(minutes, burst_at=int(rng.integers(minutes // 2, minutes)))
        for d in docs:
            d["message"] = f"{' '.join(words)} {d['message']}"
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            report = analyze(write(Path(tmp) / "noservice.ndjson", docs))
        text = visible_text(render_html(report))
        assert not re.search(r"(^|\s)-(\s|$|[,.;:)])", text), text
        for a in report.anomalies:
            assert "" not in a.services and not re.search(r"(^|\s)-(\s|$)", f"{a.title} {a.reason}")

    def test_one_burst_is_one_incident_however_many_detectors_saw_it(self, tmp_path: Path) -> None:
        """A burst of errors is a spike of its template and an error-rate spike of its service:
        both findings, one incident, listed once in the HTML."""
        report = analyze(write(tmp_path / "burst.ndjson", steady_docs(240, burst_at=150, service="queue")))
        kinds = {a.kind for a in report.anomalies}
        assert {"spike", "error_rate_spike"} <= kinds or "new_pattern" in kinds
        assert len(report.incidents) == 1
        assert set(report.incidents[0].findings) == {a.id for a in report.anomalies}
        page = render_html(report)
        assert page.count("queue lease lost partition") >= 1
        assert visible_text(page).count(report.incidents[0].title) == 1

    def test_the_html_links_to_nothing(self, tmp_path: Path) -> None:
        """No link at all, so no link to a document that is not installed."""
        page = render_html(analyze(write(tmp_path / "burst.ndjson", steady_docs(240, burst_at=150))))
        assert "href=" not in page and "docs/" not in page


UNITS = {"s": 1, "min": 60, "h": 3600, "d": 86400}


def seconds_of(text: str) -> int:
    parts = text.split()
    return sum(int(n) * UNITS[u] for n, u in zip(parts[::2], parts[1::2], strict=True))


class TestDurations:
    @given(st.floats(0, 400 * 86400))
    def test_a_duration_is_never_rounded_up(self, seconds: float) -> None:
        """The text is at most the duration and less than one of its smallest unit below it."""
        text = duration_text(seconds)
        value = seconds_of(text)
        smallest = UNITS[text.split()[-1]]
        assert value <= seconds < value + smallest or value == int(seconds)

    def test_thirty_nine_minutes_are_thirty_nine_minutes(self) -> None:
        """The audit's case: a 39-minute baseline is not "1 h"."""
        assert duration_text(39 * 60) == "39 min"


class TestTerminalText:
    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(["[/]", "[/bold]", "[red]", "[link=x]", "[/...]", "[[", "]]"]), WORDS)
    def test_log_text_is_never_read_as_markup(self, markup: str, word: str) -> None:
        """A message holding rich markup (``[/]``, ``[/bold]``, ``[/...]``) is printed as its template
        says, never parsed as markup (which raised ``MarkupError`` or ate the text)."""
        from rich.console import Console

        from logflow.analyze import render_table

        docs = steady_docs(240, burst_at=150)
        for d in docs:
            if d["log.level"] == "error":
                d["message"] = f"{word} {markup} failed {markup}"
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            report = analyze(write(Path(tmp) / "markup.ndjson", docs))
        console = Console(record=True, width=300)
        render_table(report, console)
        text = console.export_text()
        assert report.patterns and report.patterns[0].title in text
        assert report.incidents and report.incidents[0].title[:60] in text


class TestFamilyView:
    def test_one_failure_worded_by_two_services_is_one_family_and_one_incident(self, tmp_path: Path) -> None:
        """Two services word one failure differently: the family view shows both templates and both
        services, and their burst is one incident."""
        docs = steady_docs(240)
        burst = T0 + timedelta(minutes=150)
        for k in range(60):
            at = (burst + timedelta(seconds=k)).isoformat()
            docs.append(
                {
                    "@timestamp": at,
                    "log.level": "error",
                    "service.name": "orders",
                    "message": f"saving order failed: connection refused to database db-{k % 3}",
                }
            )
            docs.append(
                {
                    "@timestamp": at,
                    "log.level": "error",
                    "service.name": "billing",
                    "message": f"saving invoice failed: database connection refused (host db-{k % 3})",
                }
            )
        docs.sort(key=lambda d: str(d["@timestamp"]))
        report = analyze(write(tmp_path / "two.ndjson", docs))
        family = next(f for f in report.families if f.template_count >= 2)
        assert set(family.services) == {"orders", "billing"}
        assert len([i for i in report.incidents if family.id in i.families]) == 1
        page = render_html(report)
        section = page[page.index("<h2>Template families</h2>") : page.index("<h2>Recurring error patterns</h2>")]
        assert all(t.text in unescape(section) for t in family.templates)

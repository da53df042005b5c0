"""Outputs: JSON schema, HTML self-containment, table, CLI exit codes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from rich.console import Console
from typer.testing import CliRunner

from logflow.analyze import AnalysisOptions, Report, analyze_files, render_html, render_table
from logflow.cli import app
from logflow.config import load_settings
from logflow.demo.corpus import ShipRecord


@pytest.fixture(scope="module")
def report(incident_corpus: tuple[Path, list[ShipRecord]]) -> Report:
    return asyncio.run(analyze_files([incident_corpus[0]], load_settings(environ={}), AnalysisOptions()))


class TestJson:
    def test_the_json_has_the_documented_top_level_keys(self, report: Report) -> None:
        """schema_version, source, window, totals, patterns, anomalies and timeline are present."""
        data = orjson.loads(report.to_json())
        assert set(data) == {
            "schema_version",
            "generated_at",
            "source",
            "window",
            "totals",
            "patterns",
            "anomalies",
            "timeline",
            "incidents",
            "families",
            "flags",
            "warnings",
        }
        assert data["schema_version"] == 1

    def test_file_anomalies_list_lines_and_locations_but_no_ids(self, report: Report) -> None:
        """Each anomaly from file input has ``lines`` and matching ``path:line`` locations, and no ``ids`` key."""
        for anomaly in orjson.loads(report.to_json())["anomalies"]:
            assert anomaly["lines"] and "ids" not in anomaly
            assert anomaly["locations"][0].endswith(f":{anomaly['lines'][0]}")

    def test_patterns_carry_examples_and_trace_ids(self, report: Report) -> None:
        """The top pattern has example messages and sample trace ids."""
        top = report.patterns[0]
        assert top.examples and top.trace_ids and top.services


class TestHtml:
    def test_the_html_is_self_contained(self, report: Report) -> None:
        """No script, stylesheet link or remote URL; two inline SVG plots."""
        page = render_html(report)
        assert "<script" not in page and "<link" not in page and "src=" not in page
        assert page.count("<svg") == 2

    def test_incidents_are_marked_on_the_plots(self, report: Report) -> None:
        """Each incident is one shaded span labelled with its number."""
        page = render_html(report)
        assert page.count('fill="#f6c343"') == len(report.incidents)


class TestTable:
    def test_the_table_shows_patterns_and_anomalies(self, report: Report) -> None:
        """The terminal output names the top pattern and the top anomaly's kind."""
        console = Console(record=True, width=200)
        render_table(report, console)
        text = console.export_text()
        assert report.patterns[0].title[:20] in text and report.incidents[0].kind in text


class TestCli:
    def test_json_output_goes_to_the_out_file(
        self, incident_corpus: tuple[Path, list[ShipRecord]], tmp_path: Path
    ) -> None:
        """``logflow analyze FILE --format json --out PATH`` writes the report and exits 0."""
        out = tmp_path / "report.json"
        result = CliRunner().invoke(app, ["analyze", str(incident_corpus[0]), "--format", "json", "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert orjson.loads(out.read_bytes())["anomalies"]

    def test_a_bad_format_is_a_usage_error(self, incident_corpus: tuple[Path, list[ShipRecord]]) -> None:
        """An unknown --format is a usage error (exit code 2) naming the option and its choices."""
        result = CliRunner().invoke(app, ["analyze", str(incident_corpus[0]), "--format", "xml"])
        assert result.exit_code == 2 and "--format" in result.output

    def test_files_and_es_together_are_a_usage_error(self, incident_corpus: tuple[Path, list[ShipRecord]]) -> None:
        """Giving files and --es at once is refused."""
        result = CliRunner().invoke(app, ["analyze", str(incident_corpus[0]), "--es", "http://x", "--index", "l-*"])
        assert result.exit_code != 0 and "--es" in str(result.exception)

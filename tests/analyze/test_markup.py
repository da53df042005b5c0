"""Text from the logs is never read as rich markup: `[/x]`, `[bold]` and stray brackets print as they are."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from logflow.analyze.render_table import render_table
from logflow.analyze.report import Anomaly, Pattern, Report

MARKUP = st.sampled_from(["[", "]", "[/]", "[/x]", "[bold]", "[red]", "[/bold]", "[link=x]", "\\[", "[dim]a[/dim]"])
#: Short texts full of markup-looking pieces (short enough that no table column cuts them).
outside = (
    st.lists(st.one_of(MARKUP, st.text(alphabet="ab =:/-", max_size=3)), min_size=1, max_size=5)
    .map("".join)
    .filter(lambda text: text.strip() == text and text != "")
)


def report(title: str, reason: str, service: str, source: str) -> Report:
    pattern = Pattern(
        family_id="f-1",
        title=title,
        templates=[],
        template_count=1,
        count=3,
        share=0.5,
        services={service: 3},
        hosts={},
        first_seen=None,
        last_seen="2026-11-23T10:00:00",
        rate_per_hour=1.0,
        baseline_rate_per_hour=None,
        trend="steady",
        trend_ratio=None,
        severity="error",
    )
    anomaly = Anomaly(
        id="a-1",
        kind="new",
        score=50.0,
        surprise=5.0,
        severity="error",
        title=title,
        reason=reason,
        start=None,
        end=None,
        events=3,
    )
    window = {"start": "2026-11-23T00:00:00Z", "end": "2026-11-24T00:00:00Z", "baseline_start": None}
    totals = {"window_events": 1, "events": 1, "templates": 1, "families": 1, "error_events": 1}
    return Report(
        "2026-11-24T00:00:00Z", {"inputs": [source], "kind": "files"}, window, totals, [pattern], [anomaly], {}
    )


class TestTable:
    @settings(max_examples=200, deadline=None)
    @given(title=outside, reason=outside, service=outside, source=outside)
    def test_titles_reasons_services_and_file_names_print_verbatim(
        self, title: str, reason: str, service: str, source: str
    ) -> None:
        """No MarkupError, nothing swallowed as a tag: each text is in the output as it was."""
        console = Console(record=True, width=400, color_system=None)
        render_table(report(title, reason, service, source), console)
        text = console.export_text()
        for part in (title, reason, service, source):
            assert part in text

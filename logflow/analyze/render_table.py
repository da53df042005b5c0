"""``--format table``: the report for a terminal, with rich. Also the demo's closing summary.

Every text that comes from the logs (titles, reasons, services, input names) goes in as ``Text``, never
as a markup string: a template holding ``[/x]`` or ``[bold]`` prints as it is instead of raising
``MarkupError`` or restyling the table. Styles are applied to the ``Text``, not written into it.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from logflow.analyze.report import Report

SEVERITY_STYLE = {"fatal": "bold red", "error": "red", "warn": "yellow"}


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_table(report: Report, console: Console, limit: int = 15) -> None:
    """Header, recurring error patterns, anomalies; ``limit`` rows each."""
    w, t = report.window, report.totals
    header = Text("Log analysis", style="bold")
    header.append(
        f" of {', '.join(report.source['inputs'])} ({report.source['kind']}): "
        f"{t['window_events']:,} events in {w['start']} .. {w['end']}, baseline from {w['baseline_start']} "
        f"({t['events']:,} events in all); {t['templates']:,} templates in {t['families']:,} families; "
        f"{t['error_events']:,} error events in the window."
    )
    console.print(header, highlight=False)
    patterns = Table(title="Recurring error patterns", title_justify="left")
    for name, justify in (
        ("pattern", "left"),
        ("events", "right"),
        ("share", "right"),
        ("per h", "right"),
        ("trend", "left"),
        ("services", "left"),
        ("last seen", "left"),
    ):
        patterns.add_column(name, justify=justify)  # type: ignore[arg-type]
    for p in report.patterns[:limit]:
        trend = p.trend + (f" x{p.trend_ratio:.1f}" if p.trend_ratio is not None else "")
        style = SEVERITY_STYLE.get(p.severity, "")
        patterns.add_row(
            Text(_short(p.title, 60), style=style),
            f"{p.count:,}",
            f"{p.share:.0%}",
            f"{p.rate_per_hour:.1f}",
            Text(trend),
            Text(_short(", ".join(p.services), 30)),
            Text((p.last_seen or "")[:19]),
        )
    console.print(patterns)
    anomalies = Table(title="Anomalies (highest score first)", title_justify="left")
    for name, justify in (
        ("score", "right"),
        ("kind", "left"),
        ("finding", "left"),
        ("events", "right"),
        ("when", "left"),
    ):
        anomalies.add_column(name, justify=justify)  # type: ignore[arg-type]
    for a in report.anomalies[:limit]:
        finding = Text(_short(a.title, 70) + "\n")
        finding.append(_short(a.reason, 110), style="dim")
        anomalies.add_row(f"{a.score:.0f}", Text(a.kind), finding, f"{a.events:,}", Text((a.start or "")[:16]))
    if not report.anomalies:
        anomalies.add_row("", "", Text("nothing unusual", style="green"), "", "")
    console.print(anomalies)


def summary_lines(report: Report, limit: int = 5) -> list[str]:
    """A few plain lines: the top patterns and anomalies (for ``logflow demo``)."""
    out = [
        f"{len(report.patterns)} recurring error patterns, {len(report.anomalies)} anomalies "
        f"in {report.totals['window_events']:,} events."
    ]
    out += [f"  pattern  {p.count:>6,}  {p.trend:<8} {_short(p.title, 70)}" for p in report.patterns[:limit]]
    out += [
        f"  anomaly  {a.score:>6.0f}  {a.kind:<16} {_short(a.title, 70)}" for a in report.anomalies[:limit]
    ]
    return out

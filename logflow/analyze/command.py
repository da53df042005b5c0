"""The ``logflow analyze`` command's body: options in, output written, exit code out.

Kept out of ``cli.py`` (which only declares arguments) so tests and ``logflow demo`` run the same
code. Progress goes to stderr and only on a terminal; the report goes to ``--out`` or stdout.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from logflow.analyze.options import AnalysisOptions, OutputFormat
from logflow.analyze.patterns import SEVERITY_ORDER
from logflow.analyze.render_html import render_html
from logflow.analyze.render_table import render_table
from logflow.analyze.report import Report
from logflow.analyze.run import analyze_es, analyze_files
from logflow.analyze.store import write_findings
from logflow.config import Settings
from logflow.errors import ConfigError


def check_sources(files: Sequence[Path], es: str | None, index: str | None) -> None:
    """Exactly one source: files, or ``--es`` with ``--index``."""
    if files and (es or index):
        raise ConfigError(
            "--es", "give either files or --es/--index, not both", "drop the files or the --es options"
        )
    if not files and not (es and index):
        raise ConfigError(
            "FILE", "nothing to analyse", "pass log files, or --es URL --index PATTERN --since 24h"
        )


async def produce_report(
    files: Sequence[Path], index: str | None, settings: Settings, options: AnalysisOptions, err: Console
) -> Report:
    """Run the analysis with a progress bar on stderr (when it is a terminal)."""
    if files:
        total = sum(p.stat().st_size for p in files if p.is_file())
        with Progress(
            TextColumn("Reading"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        ) as progress:
            bar = progress.add_task("read", total=total)
            return await analyze_files(files, settings, options, lambda n: progress.advance(bar, n))
    assert index is not None
    with Progress(
        TextColumn("Pulling documents"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as progress:
        bar = progress.add_task("pull", total=None)
        return await analyze_es(
            settings, options, index, lambda done, total: progress.update(bar, completed=done, total=total)
        )


def findings_at_or_above(report: Report, severity: str) -> int:
    """How many patterns and anomalies are at least as severe as ``severity`` (``warn`` < ``error`` < ``fatal``)."""
    floor = SEVERITY_ORDER[severity]
    severities = [p.severity for p in report.patterns] + [a.severity for a in report.anomalies]
    return sum(1 for level in severities if SEVERITY_ORDER.get(level, 0) >= floor)


def write_output(report: Report, fmt: OutputFormat, out: Path | None) -> None:
    """Render ``report`` in ``fmt`` to ``out`` (stdout when None; piped stdout gets the file's width)."""
    if fmt == "table":
        if out is None:
            render_table(report, Console() if sys.stdout.isatty() else Console(width=160, soft_wrap=True))
        else:
            with out.open("w", encoding="utf-8") as handle:
                render_table(report, Console(file=handle, width=160, force_terminal=False))
        return
    data = report.to_json() + b"\n" if fmt == "json" else render_html(report).encode()
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)


def run_command(
    files: Sequence[Path],
    index: str | None,
    settings: Settings,
    options: AnalysisOptions,
    fmt: OutputFormat,
    out: Path | None,
    write_es: bool,
    err: Console,
) -> Report:
    """Analyse, write the output, optionally store findings in Elasticsearch."""

    async def go() -> Report:
        report = await produce_report(files, index, settings, options, err)
        if write_es:
            from logflow.sink.client import make_client

            client = make_client(settings.elasticsearch)
            try:
                stored = await write_findings(client, settings.routing.index_prefix, report)
            finally:
                await client.close()
            err.print(f"Stored {stored} findings in {settings.routing.index_prefix}-analysis-*.")
        return report

    report = asyncio.run(go())
    write_output(report, fmt, out)
    if out is not None:
        err.print(f"Report written to {out}")
    return report

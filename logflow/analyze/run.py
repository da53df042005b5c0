"""Entry points: ``analyze_files`` and ``analyze_es``. Windows are settled here, then the pure core runs.

For files the data decides the defaults (relative times count back from the last event):

- ``--since`` given: window ``[since, until or end of data]``, baseline ``--baseline`` before it
  (default: everything before ``since``);
- only ``--baseline D``: the first ``D`` of the data is the baseline, the rest is the window;
- neither: the first third of the time span is the baseline, the last two thirds the window.

For Elasticsearch, relative times count back from now: ``--since`` (default ``24h``) to
``--until`` (default now), baseline ``--baseline`` (default ``7d``) before ``since``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from elasticsearch import AsyncElasticsearch

from logflow.analyze.aggregates import Windows, from_table
from logflow.analyze.analysis import build_report
from logflow.analyze.events import EventTable
from logflow.analyze.options import AnalysisOptions, parse_duration, parse_instant
from logflow.analyze.report import Report
from logflow.analyze.resolve import TableResolver
from logflow.analyze.sources import read_files
from logflow.config import Settings
from logflow.errors import ConfigError


def file_windows(options: AnalysisOptions, first: float, last: float) -> Windows:
    """The windows for file input, from the options and the data's time span (see module docstring)."""
    anchor = last + 0.001
    end = parse_instant(options.until, "--until", anchor) if options.until else anchor
    baseline = parse_duration(options.baseline, "--baseline") if options.baseline else None
    if options.since:
        start = parse_instant(options.since, "--since", anchor)
        baseline_start = start - baseline if baseline is not None else min(first, start)
    elif baseline is not None:
        start = min(first + baseline, end)
        baseline_start = first
    else:
        start = first + (end - first) / 3.0
        baseline_start = first
    if start >= end:
        raise ConfigError(
            "--since",
            "the analysis window is empty (it starts at or after its end)",
            "choose --since before --until and inside the data's time span",
        )
    return Windows.make(baseline_start, start, end)


def _filter(table: EventTable, service: str | None) -> EventTable:
    """``--service`` for file input: keep only that service's rows (columns sliced, vocabularies kept)."""
    if service is None:
        return table
    code = table.services.index(service) if service in table.services else -1
    keep = np.flatnonzero(table.service == code)
    rows = {int(r) for r in keep}
    traces = {t: [r for r in rs if r in rows] for t, rs in table.error_traces.items()}
    remap = np.full(len(table), -1, dtype=np.int64)
    remap[keep] = np.arange(keep.size)
    return EventTable(
        table.ts[keep],
        table.template[keep],
        table.service[keep],
        table.host[keep],
        table.level[keep],
        table.error[keep],
        table.templates,
        table.services,
        table.hosts,
        {t: [int(remap[r]) for r in rs] for t, rs in traces.items() if rs},
        lines=table.lines[keep] if table.lines is not None else None,
        files=table.files,
        untimed=table.untimed,
        time_note=table.time_note,
    )


async def analyze_files(
    paths: Sequence[Path],
    settings: Settings,
    options: AnalysisOptions,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Analyse log files (raw lines or NDJSON documents); anomalies list ``lines``."""
    for path in paths:
        if not path.is_file():
            raise ConfigError("FILE", f"{path} is not a readable file", "pass existing log files")
    if options.query:
        raise ConfigError(
            "--query",
            "query_string filters apply to Elasticsearch input only",
            "filter files with grep first, or use --service",
        )
    table = _filter(read_files(paths, settings, options.input_format, progress), options.service)
    if len(table) == 0:
        raise ConfigError("FILE", "no events in the input", "pass files with log lines or NDJSON documents")
    windows = file_windows(options, float(table.ts.min()), float(table.ts.max()))
    agg = from_table(table, windows)
    source: dict[str, Any] = {"inputs": [str(p) for p in paths], "query": None, "service": options.service}
    return await build_report(agg, TableResolver(table), options, source, table.time_note)


def es_windows(options: AnalysisOptions, now: float) -> Windows:
    """The windows for Elasticsearch input (relative times count back from ``now``)."""
    end = parse_instant(options.until, "--until", now) if options.until else now
    start = parse_instant(options.since or "24h", "--since", now)
    if start >= end:
        raise ConfigError(
            "--since",
            "the analysis window is empty (it starts at or after its end)",
            "choose --since before --until",
        )
    baseline = parse_duration(options.baseline or "7d", "--baseline")
    return Windows.make(start - baseline, start, end)


async def analyze_es(
    settings: Settings,
    options: AnalysisOptions,
    index: str,
    progress: Callable[[int, int], None] | None = None,
    client: AsyncElasticsearch | None = None,
) -> Report:
    """Analyse an Elasticsearch window; anomalies list ``ids`` (and ``indices``).

    ``progress(done, total)`` reports documents pulled (documents mode only).
    """
    from logflow.analyze import es_source
    from logflow.sink.client import make_client

    windows = es_windows(options, time.time())
    own = client is None
    es = make_client(settings.elasticsearch) if client is None else client
    try:
        query = es_source.base_query(windows, options.query, options.service)
        total = await es_source.count(es, index, query)
        mode = options.mode
        if mode == "auto":
            mode = "documents"
            if total > options.max_documents:
                stamped_query = es_source.base_query(windows, options.query, options.service)
                stamped_query["bool"]["filter"].append({"exists": {"field": "logflow.template.id"}})
                stamped = await es_source.count(es, index, stamped_query)
                if stamped == total:
                    mode = "aggregations"
                else:
                    es_source.log.warning(
                        "Documents lack logflow.template.id; pulling them all to mine messages.",
                        documents=total,
                        stamped=stamped,
                    )
        source: dict[str, Any] = {"inputs": [index], "query": options.query, "service": options.service}
        if total == 0:
            raise ConfigError(
                "--index",
                f"no documents in {index} between the baseline start and --until",
                "check --index, --since, --baseline and --query",
            )
        if mode == "aggregations":
            agg = await es_source.pull_aggregates(es, index, windows, options.query, options.service)
            resolver: Any = es_source.EsResolver(es, index, windows, options.query, options.service)
        else:
            done = 0

            def advance(n: int) -> None:
                nonlocal done
                done += n
                if progress is not None:
                    progress(done, total)

            table = await es_source.pull_documents(es, index, query, advance)
            agg = from_table(table, windows)
            resolver = es_source.EsTableResolver(table, es, index)
            return await build_report(agg, resolver, options, source, table.time_note)
        return await build_report(agg, resolver, options, source)
    finally:
        if own:
            await es.close()

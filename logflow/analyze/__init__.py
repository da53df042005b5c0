"""``logflow analyze``: recurring error patterns and anomalies, from files or Elasticsearch.

    report = await analyze_files([Path("app.log")], settings, AnalysisOptions(baseline="1d"))
    report = await analyze_es(settings, AnalysisOptions(since="24h"), index="logflow-*")
    report.to_json(); render_html(report); render_table(report, console)

Pipeline: sources (files, or Elasticsearch documents) -> ``EventTable`` columns -> ``Aggregates``
(or Elasticsearch aggregations directly) -> TF-IDF families -> patterns and anomalies -> ``Report``.
See docs/analysis.md for what each finding means and how it is scored.
"""

from logflow.analyze.options import AnalysisOptions, Thresholds
from logflow.analyze.render_html import render_html
from logflow.analyze.render_table import render_table, summary_lines
from logflow.analyze.report import Anomaly, Pattern, Report
from logflow.analyze.run import analyze_es, analyze_files
from logflow.analyze.store import write_findings

__all__ = [
    "AnalysisOptions",
    "Anomaly",
    "Pattern",
    "Report",
    "Thresholds",
    "analyze_es",
    "analyze_files",
    "render_html",
    "render_table",
    "summary_lines",
    "write_findings",
]

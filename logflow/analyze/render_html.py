"""``--format html``: one self-contained file (inline CSS and SVG, no script, no network), readable offline.

Plots are drawn here as SVG polylines: no plotting dependency, nothing fetched when the file is
opened, and the file stays small (a few hundred KB at most). Anomalies are shaded on both plots
and numbered as in the anomaly table.
"""

from __future__ import annotations

from datetime import datetime
from html import escape as _html_escape

from logflow.analyze.report import Report
from logflow.config.secrets import mask_output


def escape(text: str) -> str:
    """Text for the page: masked as everything the program prints, then HTML-escaped. The report may show
    lines that never went through the redact stage (an NDJSON export, an index another tool wrote)."""
    return _html_escape(mask_output(text))

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f5f5f5}.num{text-align:right}.muted{color:#666}.sev-error,.sev-fatal{color:#c00}
.sev-warn{color:#b60}code{background:#f3f3f3;padding:1px 4px;border-radius:3px;font-size:12px}
details summary{cursor:pointer;color:#046}.legend span{margin-right:14px;white-space:nowrap}
.legend i{display:inline-block;width:12px;height:3px;vertical-align:middle;margin-right:4px}
svg{background:#fff;border:1px solid #eee}
"""


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def line_chart(
    series: dict[str, list[float | None]],
    buckets: list[str],
    marks: list[tuple[str, str, str]],
    percent: bool = False,
    width: int = 1040,
    height: int = 230,
) -> str:
    """An SVG line chart over the window's buckets; ``marks`` are shaded (start, end, label) spans."""
    left, right, top, bottom = 56, 10, 12, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    if not buckets:
        return "<p class='muted'>No data in the window.</p>"
    t0 = _epoch(buckets[0])
    step = (_epoch(buckets[1]) - t0) if len(buckets) > 1 else 3600.0
    t1 = t0 + step * len(buckets)
    peak = max([v for values in series.values() for v in values if v is not None] or [1.0]) or 1.0

    def x(ts: float) -> float:
        return left + (ts - t0) / (t1 - t0) * plot_w

    def y(value: float) -> float:
        return top + plot_h - value / peak * plot_h

    parts = [f'<svg viewBox="0 0 {width} {height}" width="100%" role="img">']
    for start, end, label in marks:
        xa, xb = max(x(_epoch(start)), left), min(x(_epoch(end)), left + plot_w)
        parts.append(
            f'<rect x="{xa:.1f}" y="{top}" width="{max(xb - xa, 2):.1f}" height="{plot_h}" '
            f'fill="#f6c343" opacity="0.35"><title>{escape(label)}</title></rect>'
            f'<text x="{xa + 2:.1f}" y="{top + 11}" font-size="11" fill="#a60">{escape(label.split(" ")[0])}</text>'
        )
    for frac in (0.0, 0.5, 1.0):
        value = peak * frac
        text = f"{value:.0%}" if percent else f"{value:,.0f}"
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" font-size="11" text-anchor="end">{text}</text>'
        )
    for i in range(0, len(buckets), max(1, len(buckets) // 6)):
        parts.append(
            f'<text x="{x(t0 + i * step):.1f}" y="{height - 8}" font-size="11" '
            f'text-anchor="middle">{escape(buckets[i][5:16].replace("T", " "))}</text>'
        )
    for n, (name, values) in enumerate(series.items()):
        color = COLORS[n % len(COLORS)]
        segments: list[list[str]] = [[]]
        for i, point in enumerate(values):
            if point is None:
                segments.append([])
                continue
            segments[-1].append(f"{x(t0 + (i + 0.5) * step):.1f},{y(point):.1f}")
        for points in segments:
            if points:
                parts.append(
                    f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{" ".join(points)}">'
                    f"<title>{escape(name)}</title></polyline>"
                )
    parts.append("</svg>")
    legend = "".join(
        f'<span><i style="background:{COLORS[n % len(COLORS)]}"></i>{escape(name)}</span>'
        for n, name in enumerate(series)
    )
    return "".join(parts) + f'<div class="legend">{legend}</div>'


def render_html(report: Report) -> str:
    """The whole report as one HTML document."""
    w, t, tl = report.window, report.totals, report.timeline
    titles = {p.family_id: p.title for p in report.patterns}
    pattern_series: dict[str, list[float | None]] = {
        f"{titles.get(fid, fid)[:60]}": [float(v) for v in values] for fid, values in tl["patterns"].items()
    }
    marks = [
        (a.start or w["start"], a.end or w["end"], f"#{n} {a.kind}")
        for n, a in enumerate(report.anomalies, 1)
        if a.kind != "error_rate_spike"
    ]
    rate_marks = [
        (a.start or w["start"], a.end or w["end"], f"#{n} {a.kind}")
        for n, a in enumerate(report.anomalies, 1)
        if a.kind == "error_rate_spike"
    ]
    out = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>logflow analysis</title>"
        f"<style>{CSS}</style></head><body>",
        "<h1>logflow analysis</h1>",
        f"<p>{escape(', '.join(report.source['inputs']))} ({escape(report.source['kind'])}). Window "
        f"<b>{escape(w['start'])}</b> to <b>{escape(w['end'])}</b>, baseline from {escape(w['baseline_start'])}, "
        f"{w['bucket_seconds'] // 60} min buckets. {t['window_events']:,} events in the window "
        f"({t['events']:,} with the baseline), {t['templates']:,} templates in {t['families']:,} families, "
        f"{t['error_events']:,} error events. Generated {escape(report.generated_at)}.</p>",
        "<h2>Timeline of the top error patterns</h2>",
        line_chart(pattern_series, tl["buckets"], marks),
        "<h2>Error rate per service</h2>",
        line_chart(dict(tl["error_rate"]), tl["buckets"], rate_marks, percent=True),
        "<h2>Anomalies</h2>",
        _anomalies(report),
        "<h2>Recurring error patterns</h2>",
        _patterns(report),
        "<p class='muted'>How to read this report: docs/analysis.md.</p></body></html>",
    ]
    return "\n".join(out)


def _anomalies(report: Report) -> str:
    if not report.anomalies:
        return "<p>Nothing unusual.</p>"
    rows = [
        "<table><tr><th>#</th><th class='num'>score</th><th>kind</th><th>finding</th><th class='num'>events</th>"
        "<th>when</th></tr>"
    ]
    for n, a in enumerate(report.anomalies, 1):
        refs = a.locations or a.ids or []
        detail = "".join(f"<div><code>{escape(e)}</code></div>" for e in a.examples)
        if refs:
            shown = ", ".join(escape(str(r)) for r in refs[:20])
            detail += f"<div class='muted'>events: {shown}{' …' if len(refs) > 20 else ''}</div>"
        if a.trace_ids:
            detail += f"<div class='muted'>trace.id: {escape(', '.join(a.trace_ids))}</div>"
        rows.append(
            f"<tr><td>{n}</td><td class='num'>{a.score:.0f}</td><td>{escape(a.kind)}</td>"
            f"<td class='sev-{escape(a.severity)}'><b>{escape(a.title)}</b><br>{escape(a.reason)}"
            f"<details><summary>examples and events</summary>{detail}</details></td>"
            f"<td class='num'>{a.events:,}</td><td>{escape((a.start or '')[:16])}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _patterns(report: Report) -> str:
    if not report.patterns:
        return "<p>No recurring error patterns.</p>"
    rows = [
        "<table><tr><th>pattern</th><th class='num'>events</th><th class='num'>share</th>"
        "<th class='num'>per hour</th><th>trend</th><th>services</th><th>seen</th></tr>"
    ]
    for p in report.patterns:
        templates = "".join(
            f"<div><code>{escape(tr.text)}</code> <span class='muted'>({tr.count:,})</span></div>"
            for tr in p.templates
        )
        examples = "".join(f"<div><code>{escape(e)}</code></div>" for e in p.examples)
        traces = f"<div class='muted'>trace.id: {escape(', '.join(p.trace_ids))}</div>" if p.trace_ids else ""
        trend = p.trend + (f" x{p.trend_ratio:.1f}" if p.trend_ratio is not None else "")
        rows.append(
            f"<tr><td class='sev-{escape(p.severity)}'><b>{escape(p.title)}</b>"
            f"<details><summary>{p.template_count} template(s), examples</summary>{templates}{examples}{traces}"
            f"</details></td><td class='num'>{p.count:,}</td><td class='num'>{p.share:.1%}</td>"
            f"<td class='num'>{p.rate_per_hour:.1f}</td><td>{escape(trend)}</td>"
            f"<td>{escape(', '.join(f'{k} ({v:,})' for k, v in p.services.items()))}</td>"
            f"<td>{escape((p.first_seen or '')[:16])} to {escape((p.last_seen or '')[:16])}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)

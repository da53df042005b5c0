"""``--format html``: one self-contained file (inline CSS and SVG, no script, no network), readable offline.

Plots are drawn here as SVG polylines: no plotting dependency, nothing fetched when the file is
opened, and the file stays small (a few hundred KB at most). Anomalies are shaded on both plots
and numbered as in the anomaly table.
"""

from __future__ import annotations

from datetime import datetime
from html import escape as _html_escape

from logflow.analyze.report import Anomaly, Report, duration_text, ranges_text
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
svg{background:#fff;border:1px solid #eee}.warn{background:#fff6e0;border:1px solid #f0c36d;padding:8px 12px}
.finding{margin:6px 0 10px}
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


#: What each finding kind means, shown in the report itself (the report links to nothing).
KIND_HELP = {
    "new_pattern": "a family of templates absent from the observed baseline, with enough events in the window",
    "rare_pattern": "a family with at most a few events in the whole range",
    "outlier": "a rare template unlike any other template (TF-IDF cosine similarity)",
    "spike": "a run of buckets where one template's count jumps far above its own level over observed time",
    "error_rate_spike": "a run of buckets where a service's share of error events jumps above its usual share",
    "error_cascade": "one trace with error events in several services, in an improbable combination",
}


def _span(start: str | None, end: str | None) -> str:
    """``2026-11-22 10:00, for 39 min``: when, and how long, never rounded up."""
    if not start:
        return ""
    text = start[:16].replace("T", " ")
    if end:
        text += f", for {duration_text(_epoch(end) - _epoch(start))}"
    return text


def render_html(report: Report) -> str:
    """The whole report as one HTML document."""
    w, t, tl = report.window, report.totals, report.timeline
    titles = {p.family_id: p.title for p in report.patterns}
    pattern_series: dict[str, list[float | None]] = {
        f"{titles.get(fid, fid)[:60]}": [float(v) for v in values] for fid, values in tl["patterns"].items()
    }
    by_id = {a.id: a for a in report.anomalies}
    marks: list[tuple[str, str, str]] = []
    rate_marks: list[tuple[str, str, str]] = []
    for n, inc in enumerate(report.incidents, 1):
        found = [by_id[f] for f in inc.findings if f in by_id]
        mark = (inc.start or w["start"], inc.end or w["end"], f"#{n} {inc.kind}")
        (rate_marks if all(a.kind == "error_rate_spike" for a in found) else marks).append(mark)
    baseline = (
        f"baseline from {escape(w['baseline_start'])} ({duration_text(w.get('baseline_observed_hours', 0) * 3600)} "
        "of it with events)"
        if w.get("has_baseline")
        else "<b>no baseline data</b>"
    )
    out = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>logflow analysis</title>"
        f"<style>{CSS}</style></head><body>",
        "<h1>logflow analysis</h1>",
        f"<p>{escape(', '.join(report.source['inputs']))} ({escape(report.source['kind'])}). Window "
        f"<b>{escape(w['start'])}</b> to <b>{escape(w['end'])}</b>, {baseline}, "
        f"{duration_text(w['bucket_seconds'])} buckets. {t['window_events']:,} events in the window "
        f"({t['events']:,} with the baseline), {t['templates']:,} templates in {t['families']:,} families, "
        f"{t['error_events']:,} error events. Generated {escape(report.generated_at)}.</p>",
        _warnings(report),
        "<h2>Timeline of the top error patterns</h2>",
        line_chart(pattern_series, tl["buckets"], marks),
        "<h2>Error rate per service</h2>",
        line_chart(dict(tl["error_rate"]), tl["buckets"], rate_marks, percent=True),
        "<h2>Incidents</h2>",
        _incidents(report),
        "<h2>Template families</h2>",
        _families(report),
        "<h2>Recurring error patterns</h2>",
        _patterns(report),
        _help(),
        "</body></html>",
    ]
    return "\n".join(out)


def _warnings(report: Report) -> str:
    if not report.warnings:
        return ""
    items = "".join(f"<li>{escape(text)}</li>" for text in report.warnings)
    return f"<div class='warn'><b>Read with care</b><ul>{items}</ul></div>"


def _events_detail(a: Anomaly) -> str:
    if a.line_ranges:
        more = " …" if sum(b - x + 1 for x, b in a.line_ranges) < a.events else ""
        return f"<div class='muted'>lines: {escape(ranges_text(a.line_ranges))}{more}</div>"
    refs = a.locations or a.ids or []
    if not refs:
        return ""
    shown = ", ".join(escape(str(r)) for r in refs[:20])
    return f"<div class='muted'>events: {shown}{' …' if len(refs) > 20 else ''}</div>"


def _incidents(report: Report) -> str:
    if not report.incidents:
        return "<p>Nothing unusual.</p>"
    by_id = {a.id: a for a in report.anomalies}
    rows = [
        "<table><tr><th>#</th><th class='num'>score</th><th>seen as</th><th>incident</th>"
        "<th class='num'>events</th><th>when</th></tr>"
    ]
    for n, inc in enumerate(report.incidents, 1):
        found = [by_id[f] for f in inc.findings if f in by_id]
        top = found[0]
        detail = ""
        for a in found:
            examples = "".join(f"<div><code>{escape(e)}</code></div>" for e in a.examples)
            traces = f"<div class='muted'>trace.id: {escape(', '.join(a.trace_ids))}</div>" if a.trace_ids else ""
            title = "" if a is top else f": {escape(a.title)}"  # the row itself shows the top one's
            detail += (
                f"<div class='finding'><b>{escape(a.kind)}</b> ({a.score:.0f}){title}<br>"
                f"<span class='muted'>{escape(a.reason)}</span>{examples}{_events_detail(a)}{traces}</div>"
            )
        services = f" <span class='muted'>{escape(', '.join(inc.services))}</span>" if inc.services else ""
        rows.append(
            f"<tr><td>{n}</td><td class='num'>{inc.score:.0f}</td><td>{escape(', '.join(inc.kinds))}</td>"
            f"<td class='sev-{escape(inc.severity)}'><b>{escape(inc.title)}</b>{services}<br>{escape(top.reason)}"
            f"<details><summary>{len(found)} finding(s), examples and events</summary>{detail}</details></td>"
            f"<td class='num'>{inc.events:,}</td><td>{escape(_span(inc.start, inc.end))}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _families(report: Report) -> str:
    if not report.families:
        return "<p>No family groups more than one template or service, and none has a finding.</p>"
    number = {inc.id: n for n, inc in enumerate(report.incidents, 1)}
    rows = [
        "<p class='muted'>Templates grouped by TF-IDF similarity of their words: one failure worded "
        "differently by several services or hosts is one family, and its findings one incident.</p>"
        "<table><tr><th>family</th><th class='num'>events</th><th class='num'>errors</th>"
        "<th>services</th><th>incidents</th></tr>"
    ]
    for f in report.families:
        templates = "".join(
            f"<div><code>{escape(tr.text)}</code> <span class='muted'>({tr.count:,})</span></div>" for tr in f.templates
        )
        more = (
            f"<div class='muted'>and {f.template_count - len(f.templates)} more</div>"
            if f.template_count > len(f.templates)
            else ""
        )
        incidents = ", ".join(f"#{number[i]}" for i in f.incidents if i in number)
        rows.append(
            f"<tr><td><details><summary>{f.template_count} template(s): <code>{escape(f.templates[0].text[:80])}</code>"
            f"</summary>{templates}{more}</details></td><td class='num'>{f.events:,}</td>"
            f"<td class='num'>{f.error_events:,}</td><td>{escape(', '.join(f.services))}</td>"
            f"<td>{escape(incidents)}</td></tr>"
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
            f"<div><code>{escape(tr.text)}</code> <span class='muted'>({tr.count:,})</span></div>" for tr in p.templates
        )
        examples = "".join(f"<div><code>{escape(e)}</code></div>" for e in p.examples)
        traces = f"<div class='muted'>trace.id: {escape(', '.join(p.trace_ids))}</div>" if p.trace_ids else ""
        trend = p.trend + (f" x{p.trend_ratio:.1f}" if p.trend_ratio is not None else "")
        seen = ""
        if p.first_seen:
            last = p.last_seen or p.first_seen
            seen = f"{escape(p.first_seen[:16].replace('T', ' '))} to {escape(last[:16].replace('T', ' '))}"
        rows.append(
            f"<tr><td class='sev-{escape(p.severity)}'><b>{escape(p.title)}</b>"
            f"<details><summary>{p.template_count} template(s), examples</summary>{templates}{examples}{traces}"
            f"</details></td><td class='num'>{p.count:,}</td><td class='num'>{p.share:.1%}</td>"
            f"<td class='num'>{p.rate_per_hour:.1f}</td><td>{escape(trend)}</td>"
            f"<td>{escape(', '.join(f'{k} ({v:,})' for k, v in p.services.items()))}</td>"
            f"<td>{seen}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _help() -> str:
    kinds = "".join(f"<li><b>{escape(k)}</b>: {escape(v)}</li>" for k, v in KIND_HELP.items())
    return (
        "<h2>How to read this report</h2><ul class='muted'>"
        "<li>An <b>incident</b> groups the findings that cover the same events, the same template family "
        "at the same time, or the same trace; it is listed once, with the kinds it was seen as.</li>"
        "<li><b>score</b> = 100 &times; (1 &minus; e<sup>&minus;surprise/20</sup>) &times; severity weight "
        "(error and fatal 1.0, "
        "warn 0.85, other 0.7); <b>surprise</b> = &minus;log10 of the chance of the observation under its "
        "baseline model, and a finding needs at least 3.</li>"
        "<li>Rates are compared over observed time only: time with no events at all (before the data "
        "starts) is not a baseline.</li>"
        f"{kinds}</ul>"
    )

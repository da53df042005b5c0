"""``--write-es``: findings as documents in ``{prefix}-analysis-YYYY.MM.dd``, so Kibana can chart them.

One document per pattern and per anomaly, dated by the finding itself (``@timestamp`` = its start;
a pattern's first sighting), in the daily index of that date. ``_id`` = finding id + the window's
end, so re-running the same analysis overwrites instead of doubling, while analyses of other windows
add their own documents. Fields use ECS names where one exists (``service.name``,
``logflow.template.id``) and ``analysis.*`` otherwise; the analyzer itself skips every document
that has ``analysis.kind``, so writing into an index the analysis reads is harmless.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, cast

import orjson
from elasticsearch import AsyncElasticsearch

from logflow.analyze.report import Anomaly, Pattern, Report
from logflow.errors import DeliveryError


def analysis_index(prefix: str, timestamp: str) -> str:
    """``{prefix}-analysis-YYYY.MM.dd`` for an ISO timestamp (UTC)."""
    day = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).strftime("%Y.%m.%d")
    return f"{prefix}-analysis-{day}"


def _doc_id(finding: str, report: Report) -> str:
    return hashlib.blake2b(f"{finding}|{report.window['end']}".encode(), digest_size=10).hexdigest()


def pattern_document(p: Pattern, report: Report) -> dict[str, Any]:
    return {
        "@timestamp": p.first_seen or report.window["start"],
        "analysis.kind": "pattern",
        "analysis.type": "recurring_error",
        "analysis.generated_at": report.generated_at,
        "analysis.window.start": report.window["start"],
        "analysis.window.end": report.window["end"],
        "analysis.title": p.title,
        "analysis.family_id": p.family_id,
        "analysis.count": p.count,
        "analysis.share": p.share,
        "analysis.rate_per_hour": p.rate_per_hour,
        "analysis.trend": p.trend,
        "analysis.trend_ratio": p.trend_ratio,
        "analysis.last_seen": p.last_seen,
        "log.level": p.severity,
        "service.name": list(p.services),
        "host.name": list(p.hosts)[:10],
        "logflow.template.id": [t.id for t in p.templates],
        "message": p.title,
        "trace.id": p.trace_ids,
    }


def anomaly_document(a: Anomaly, report: Report) -> dict[str, Any]:
    return {
        "@timestamp": a.start or report.window["start"],
        "analysis.kind": "anomaly",
        "analysis.type": a.kind,
        "analysis.score": a.score,
        "analysis.surprise": a.surprise,
        "analysis.generated_at": report.generated_at,
        "analysis.window.start": report.window["start"],
        "analysis.window.end": report.window["end"],
        "analysis.end": a.end,
        "analysis.title": a.title,
        "analysis.reason": a.reason,
        "analysis.events": a.events,
        "analysis.finding_id": a.id,
        "analysis.incident": a.incident,
        "analysis.family_id": a.family_id,
        "analysis.event_ids": (a.ids or [])[:100],
        "analysis.lines": (a.lines or [])[:100],
        "log.level": a.severity,
        "service.name": a.services,
        "host.name": a.hosts[:10],
        "logflow.template.id": [t.id for t in a.templates],
        "message": a.reason,
        "trace.id": a.trace_ids,
    }


async def write_findings(client: AsyncElasticsearch, prefix: str, report: Report) -> int:
    """Bulk-index every finding; returns how many were stored (raises DeliveryError on item errors)."""
    lines: list[bytes] = []
    docs = [(f"pattern|{p.family_id}", pattern_document(p, report)) for p in report.patterns]
    docs += [(f"anomaly|{a.id}", anomaly_document(a, report)) for a in report.anomalies]
    for key, doc in docs:
        action = {"index": {"_index": analysis_index(prefix, doc["@timestamp"]), "_id": _doc_id(key, report)}}
        lines += [orjson.dumps(action), orjson.dumps(doc)]
    if not lines:
        return 0
    answer = await client.bulk(operations=cast(Any, b"\n".join(lines) + b"\n"), refresh="wait_for")
    if answer.body.get("errors"):
        failed = [item for item in answer.body["items"] if item.get("index", {}).get("status", 500) >= 300]
        raise DeliveryError(f"{len(failed)} analysis documents were not indexed: {failed[0]['index'].get('error')}")
    return len(docs)

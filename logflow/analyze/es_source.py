"""The Elasticsearch edge: a window of documents, pulled one by one or as aggregations.

``documents`` mode scrolls the window (``_source`` filtered to the fields the analysis reads) into
an ``EventTable``, exactly like files. ``aggregations`` mode never pulls every document: one
``terms`` aggregation on ``logflow.template.id`` with a ``date_histogram`` per template (and an
error filter, and service/host/level splits over the analysis window), one per ``service.name``, one
``terms`` on ``trace.id`` over error events; findings then ask for their own events with small
searches (``EsResolver``). ``auto`` picks aggregations when the window holds more than
``max_documents`` documents and they carry ``logflow.template.id`` (stamped by the worker).

Scroll, not point-in-time: osmem and OpenSearch-like servers have no PIT, and scroll works
everywhere. Documents written by ``--write-es`` (``analysis.kind``) are always excluded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

import numpy as np
import structlog
from elasticsearch import AsyncElasticsearch

from logflow.analyze.aggregates import Aggregates, ServiceStats, TemplateStats, TraceStats, Windows
from logflow.analyze.anomalies import Selector
from logflow.analyze.events import EventColumns, EventTable, field_value
from logflow.analyze.resolve import EXAMPLE_CHARS, EXAMPLES, TRACE_SAMPLES, Covered, TableResolver
from logflow.analyze.sources import mine_documents

log = structlog.get_logger("logflow.analyze")

FIELDS = [
    "@timestamp",
    "message",
    "log.level",
    "service.name",
    "host.name",
    "trace.id",
    "tags",
    "http.response.status_code",
    "logflow.template.id",
    "logflow.template.text",
]
SCROLL_SIZE = 5000
TEMPLATE_TERMS = 10_000
TRACE_TERMS = 500
ERROR_FILTER: dict[str, Any] = {
    "bool": {
        "should": [
            {"terms": {"log.level": ["error", "fatal"]}},
            {"term": {"tags": "error"}},
            {"range": {"http.response.status_code": {"gte": 500}}},
        ],
        "minimum_should_match": 1,
    }
}


def range_filter(start: float, end: float) -> dict[str, Any]:
    return {"range": {"@timestamp": {"gte": int(start * 1000), "lt": int(end * 1000), "format": "epoch_millis"}}}


def base_query(windows: Windows, query: str | None, service: str | None, start: float | None = None) -> dict[str, Any]:
    """The window (from ``start``, default the baseline start), the user's filters, no analysis documents."""
    filters: list[dict[str, Any]] = [range_filter(windows.baseline_start if start is None else start, windows.end)]
    if query:
        filters.append({"query_string": {"query": query}})
    if service:
        filters.append({"term": {"service.name": service}})
    return {"bool": {"filter": filters, "must_not": [{"exists": {"field": "analysis.kind"}}]}}


async def count(client: AsyncElasticsearch, index: str, query: dict[str, Any]) -> int:
    answer = await client.count(index=index, query=query, ignore_unavailable=True, allow_no_indices=True)
    return int(answer.body["count"])


async def pull_documents(
    client: AsyncElasticsearch,
    index: str,
    query: dict[str, Any],
    progress: Callable[[int], None] | None = None,
    use_stamped: bool = False,
) -> EventTable:
    """Scroll every document of the query into columns.

    Messages are re-mined in batch mode by default, even when the worker stamped a template: a
    streaming miner gives a template's first events the id it had before it generalised (see
    docs/mining.md), which would look like a pattern that stops while its successor starts. Batch
    mining gives every event its final template. ``use_stamped`` keeps the worker's ids instead.
    """
    columns = EventColumns()
    stamped: list[tuple[str, str] | None] = []
    unstamped: list[str] = []
    ids: list[str] = []
    indices: list[str] = []
    index_names: dict[str, str] = {}
    answer = await client.search(
        index=index,
        query=query,
        size=SCROLL_SIZE,
        scroll="2m",
        sort=["_doc"],
        source=cast(Any, FIELDS),
        ignore_unavailable=True,
        allow_no_indices=True,
    )
    scroll_id = answer.body.get("_scroll_id")
    try:
        while True:
            hits = answer.body["hits"]["hits"]
            if not hits:
                break
            for hit in hits:
                source = hit.get("_source") or {}
                message = columns.add(source)
                tid, text = (
                    field_value(source, "logflow.template.id"),
                    field_value(source, "logflow.template.text"),
                )
                if use_stamped and isinstance(tid, str) and isinstance(text, str):
                    stamped.append((tid, text))
                else:
                    stamped.append(None)
                    unstamped.append(message)
                ids.append(hit["_id"])
                name = hit.get("_index", "")
                indices.append(index_names.setdefault(name, name))
            if progress is not None:
                progress(len(hits))
            if scroll_id is None:
                break
            answer = await client.scroll(scroll_id=scroll_id, scroll="2m")
            scroll_id = answer.body.get("_scroll_id", scroll_id)
    finally:
        if scroll_id is not None:
            await client.options(ignore_status=404).clear_scroll(scroll_id=scroll_id)
    return mine_documents(columns, stamped, unstamped, ids, indices)


class EsTableResolver(TableResolver):
    """Documents pulled into a table: rows from the table, example messages fetched by ``_id``."""

    def __init__(self, table: EventTable, client: AsyncElasticsearch, index: str) -> None:
        super().__init__(table)
        self.client = client
        self.index = index

    async def messages(self, refs: Iterable[str | int]) -> dict[str | int, str]:
        wanted = sorted({str(r) for r in refs})
        if not wanted:
            return {}
        answer = await self.client.search(
            index=self.index,
            query={"ids": {"values": wanted}},
            size=len(wanted),
            source=cast(Any, ["message"]),
            ignore_unavailable=True,
        )
        return {hit["_id"]: _message(hit) for hit in answer.body["hits"]["hits"]}


def _message(hit: dict[str, Any]) -> str:
    message = field_value(hit.get("_source") or {}, "message")
    return str(message or "").split("\n", 1)[0][:EXAMPLE_CHARS]


class EsResolver:
    """Aggregation mode: each selector is one small search (its first ``cap`` events, total counted)."""

    def __init__(
        self, client: AsyncElasticsearch, index: str, windows: Windows, query: str | None, service: str | None
    ) -> None:
        self.client, self.index, self.windows = client, index, windows
        self.query, self.service = query, service
        self._messages: dict[str | int, str] = {}

    async def covered(self, selector: Selector, cap: int) -> Covered:
        query = base_query(self.windows, self.query, self.service)
        filters = query["bool"]["filter"]
        filters.append(range_filter(selector.start, selector.end))
        if selector.templates:
            filters.append({"terms": {"logflow.template.id": list(selector.templates)}})
        if selector.service is not None:
            filters.append({"term": {"service.name": selector.service}})
        if selector.errors_only:
            filters.append(ERROR_FILTER)
        if selector.trace is not None:
            filters.append({"term": {"trace.id": selector.trace}})
        answer = await self.client.search(
            index=self.index,
            query=query,
            size=max(cap, 20),
            sort=[{"@timestamp": "asc"}],
            source=cast(Any, ["message", "trace.id"]),
            track_total_hits=True,
            ignore_unavailable=True,
        )
        hits = answer.body["hits"]["hits"]
        total = answer.body["hits"]["total"]
        traces: list[str] = []
        for hit in hits:
            self._messages[hit["_id"]] = _message(hit)
            trace = field_value(hit.get("_source") or {}, "trace.id")
            if isinstance(trace, str) and trace not in traces and len(traces) < TRACE_SAMPLES:
                traces.append(trace)
        listed = hits[:cap]
        return Covered(
            int(total["value"] if isinstance(total, dict) else total),
            ids=[h["_id"] for h in listed],
            indices=[h["_index"] for h in listed],
            example_refs=[h["_id"] for h in hits[:EXAMPLES]],
            trace_ids=traces,
        )

    async def messages(self, refs: Iterable[str | int]) -> dict[str | int, str]:
        return {r: self._messages[r] for r in refs if r in self._messages}


def _series(buckets: list[dict[str, Any]], windows: Windows) -> np.ndarray[Any, np.dtype[np.float64]]:
    out = np.zeros(windows.buckets)
    for bucket in buckets:
        index = round((bucket["key"] / 1000.0 - windows.baseline_start) / windows.width)
        if 0 <= index < windows.buckets:
            out[index] += bucket["doc_count"]
    return out


def _terms(agg: dict[str, Any]) -> dict[str, int]:
    return {str(b["key"]): int(b["doc_count"]) for b in agg.get("buckets", [])}


async def pull_aggregates(
    client: AsyncElasticsearch, index: str, windows: Windows, query: str | None, service: str | None
) -> Aggregates:
    """The aggregation path: three searches with ``size=0``, whatever the window holds."""
    interval = f"{windows.width}s"
    hist = {"date_histogram": {"field": "@timestamp", "fixed_interval": interval}}
    current = range_filter(windows.start, windows.end)
    q = base_query(windows, query, service)
    answer = await client.search(
        index=index,
        query=q,
        size=0,
        ignore_unavailable=True,
        track_total_hits=True,
        aggs={
            "templates": {
                "terms": {"field": "logflow.template.id", "size": TEMPLATE_TERMS},
                "aggs": {
                    "h": hist,
                    "text": {"terms": {"field": "logflow.template.text.keyword", "size": 1}},
                    "errors": {"filter": ERROR_FILTER, "aggs": {"h": hist}},
                    "window": {
                        "filter": current,
                        "aggs": {
                            "services": {"terms": {"field": "service.name", "size": 50}},
                            "hosts": {"terms": {"field": "host.name", "size": 50}},
                            "levels": {"terms": {"field": "log.level", "size": 10}},
                            "first": {"min": {"field": "@timestamp"}},
                            "last": {"max": {"field": "@timestamp"}},
                        },
                    },
                },
            },
            "services": {
                "terms": {"field": "service.name", "size": 1000},
                "aggs": {"h": hist, "errors": {"filter": ERROR_FILTER, "aggs": {"h": hist}}},
            },
            "window": {"filter": current},
            "first": {"min": {"field": "@timestamp"}},
            "last": {"max": {"field": "@timestamp"}},
        },
    )
    aggs = answer.body["aggregations"]
    templates = []
    for b in aggs["templates"]["buckets"]:
        w = b["window"]
        text_buckets = b["text"]["buckets"]
        templates.append(
            TemplateStats(
                str(b["key"]),
                str(text_buckets[0]["key"]) if text_buckets else str(b["key"]),
                _series(b["h"]["buckets"], windows),
                _series(b["errors"]["h"]["buckets"], windows),
                services=_terms(w["services"]),
                hosts=_terms(w["hosts"]),
                levels=_terms(w["levels"]),
                first_seen=w["first"]["value"] / 1000.0 if w["first"].get("value") is not None else None,
                last_seen=w["last"]["value"] / 1000.0 if w["last"].get("value") is not None else None,
            )
        )
    services = [
        ServiceStats(str(b["key"]), _series(b["h"]["buckets"], windows), _series(b["errors"]["h"]["buckets"], windows))
        for b in aggs["services"]["buckets"]
    ]
    traces = await _traces(client, index, windows, query, service)
    return Aggregates(
        windows,
        templates,
        services,
        traces,
        int(answer.body["hits"]["total"]["value"]),
        int(aggs["window"]["doc_count"]),
        "elasticsearch-aggregations",
        first_ts=_seconds(aggs["first"]),
        last_ts=_seconds(aggs["last"]),
    )


def _seconds(metric: dict[str, Any]) -> float | None:
    """A ``min``/``max`` aggregation on ``@timestamp`` (epoch ms) in seconds; None without documents."""
    value = metric.get("value")
    return None if value is None else float(value) / 1000.0


async def _traces(
    client: AsyncElasticsearch, index: str, windows: Windows, query: str | None, service: str | None
) -> list[TraceStats]:
    """The error traces with the most error events in the window (``TRACE_TERMS`` of them)."""
    q = base_query(windows, query, service, start=windows.start)
    q["bool"]["filter"] += [ERROR_FILTER, {"exists": {"field": "trace.id"}}]
    answer = await client.search(
        index=index,
        query=q,
        size=0,
        ignore_unavailable=True,
        aggs={
            "traces": {
                "terms": {"field": "trace.id", "size": TRACE_TERMS},
                "aggs": {
                    "services": {"terms": {"field": "service.name", "size": 20}},
                    "first": {"min": {"field": "@timestamp"}},
                    "last": {"max": {"field": "@timestamp"}},
                },
            }
        },
    )
    return [
        TraceStats(
            str(b["key"]),
            int(b["doc_count"]),
            _terms(b["services"]),
            float(b["first"]["value"]) / 1000.0,
            float(b["last"]["value"]) / 1000.0,
        )
        for b in answer.body["aggregations"]["traces"]["buckets"]
    ]

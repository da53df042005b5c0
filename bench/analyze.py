"""Analyzer benchmark: seconds and peak RSS of `logflow analyze` over 1M events (file) and over Elasticsearch.

    python bench/analyze.py [--events 1000000] [--es-docs 20000] [--workdir /tmp/logflow-bench] [--skip-es]

File input: 20,000 records of the demo corpus with every incident kind go through the real pipeline
stages once (`Processor`) and become NDJSON documents; the 1M-line file repeats them 50 times, each
copy shifted by a few seconds and with its own trace ids, so the stream keeps the corpus's two days,
patterns and incidents at 50x the density. Every event's message is mined again by the analyzer.

Elasticsearch input: `--es-docs` documents (same recipe) are bulk-indexed into an osmem server
started here, then analysed twice: `--mode documents` (scroll every document) and
`--mode aggregations` (terms/date_histogram, then small searches per finding). osmem ingests
~1,200 of our documents per second and holds ~8 KB each, so 1M documents are out of reach on this
machine; the aggregation path's cost depends on templates and buckets, not on documents.

Each analysis runs as `logflow analyze ... --format json --out FILE` in its own process; wall
seconds are measured around it and peak RSS is that process's own `ru_maxrss` (`os.wait4`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

import orjson  # noqa: E402

from logflow.config import load_settings  # noqa: E402
from logflow.demo.corpus import Cascade, CorpusGenerator, ErrorSpike, NewError, RareMessages  # noqa: E402
from logflow.event import Record  # noqa: E402
from logflow.worker.processor import Processor  # noqa: E402

BASE_RECORDS = 20_000
INCIDENTS = (
    NewError(timedelta(hours=30)),
    ErrorSpike(timedelta(hours=36)),
    RareMessages(timedelta(hours=20)),
    Cascade(timedelta(hours=40)),
)


def base_documents() -> list[dict[str, Any]]:
    records = CorpusGenerator(seed=7, incidents=INCIDENTS).records(BASE_RECORDS)
    processor = Processor(load_settings(environ={}))
    out = processor.process(
        [Record("logs", 0, i, r.value, r.key, r.headers) for i, r in enumerate(records)], keep_documents=True
    )
    return out.documents


def _shift(stamp: str, seconds: float) -> str:
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(seconds=seconds)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def documents(count: int) -> Any:
    """``count`` documents: copies of the base corpus, each shifted by ~1.7 s and with its own trace ids."""
    base = base_documents()
    copy = 0
    made = 0
    while made < count:
        for doc in base:
            if made >= count:
                return
            out = dict(doc)
            if copy:
                out["@timestamp"] = _shift(doc["@timestamp"], copy * 1.7)
                if "trace.id" in doc:
                    out["trace.id"] = f"{doc['trace.id'][:-4]}{copy:04x}"
            made += 1
            yield out
        copy += 1


def build_file(path: Path, count: int) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for doc in documents(count):
            handle.write(orjson.dumps(doc) + b"\n")


def measure(args: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MiB) of one `logflow analyze` process (its own rusage, via wait4)."""
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "logflow", "analyze", *args], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"logflow analyze {' '.join(args)} exited {child.returncode}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


async def index_docs(es_url: str, count: int, prefix: str) -> None:
    from logflow.admin.index_templates import install_templates
    from logflow.sink.client import make_client

    settings = load_settings(environ={}, overrides={"elasticsearch": {"hosts": [es_url]}})
    client = make_client(settings.elasticsearch)
    try:
        await install_templates(client, prefix)
        batch: list[bytes] = []
        for n, doc in enumerate(documents(count)):
            day = doc["@timestamp"][:10].replace("-", ".")
            batch.append(orjson.dumps({"index": {"_index": f"{prefix}-bench-{day}", "_id": f"d{n}"}}))
            batch.append(orjson.dumps({k: v for k, v in doc.items() if k != "_index"}))
            if len(batch) >= 4000:
                await client.bulk(operations=cast(Any, b"\n".join(batch) + b"\n"))
                batch.clear()
        if batch:
            await client.bulk(operations=cast(Any, b"\n".join(batch) + b"\n"))
        await client.indices.refresh(index=f"{prefix}-*")
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--es-docs", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/logflow-bench"))
    parser.add_argument("--skip-es", action="store_true")
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")

    path = args.workdir / f"analyze-{args.events}.ndjson"
    started = time.perf_counter()
    build_file(path, args.events)
    print(f"input: {path} ({path.stat().st_size / 2**20:,.0f} MiB, built in {time.perf_counter() - started:.1f} s)")
    seconds, cpu, rss = measure([str(path), "--format", "json", "--out", str(args.workdir / "file-report.json")])
    print(
        f"file, {args.events:,} events: {seconds:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:,.0f} MiB "
        f"({args.events / seconds:,.0f} events/s)"
    )

    if args.skip_es:
        return
    from logflow.demo.servers import start_osmem

    server = start_osmem(log_path=args.workdir / "osmem.log")
    try:
        url = f"http://{server.address}"
        started = time.perf_counter()
        asyncio.run(index_docs(url, args.es_docs, "bench"))
        print(f"indexed {args.es_docs:,} documents into osmem in {time.perf_counter() - started:.1f} s")
        env = dict(os.environ)
        common = [
            "--es",
            url,
            "--index",
            "bench-*",
            "--since",
            "2026-11-22T16:00:00Z",
            "--until",
            "2026-11-24T00:00:00Z",
            "--baseline",
            "16h",
            "--format",
            "json",
        ]
        for mode in ("documents", "aggregations"):
            seconds, cpu, rss = measure([*common, "--mode", mode, "--out", str(args.workdir / f"es-{mode}.json")], env)
            print(
                f"elasticsearch ({mode}), {args.es_docs:,} documents: {seconds:.1f} s wall, {cpu:.1f} s CPU, "
                f"peak RSS {rss:,.0f} MiB"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()

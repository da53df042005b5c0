"""Per-event path speed: decode + parse + enrich + mine + route + serialize to `_bulk` bytes.

One process, a deterministic mixed corpus (nginx access logs raw and in Filebeat envelopes, app
text logs with Python and Java stack traces, structlog JSON, ECS JSON in Fluent Bit envelopes,
audit JSON, syslog), no network. Prints lines/s per stage group and peak RSS.

    python bench/pipeline.py                 # 1,000,000 lines
    python bench/pipeline.py --lines 200000
    python bench/pipeline.py --lines 100000 --by-shape   # also: CPU µs per record, by record shape
    python bench/pipeline.py --no-pygrok                 # skip the parse-only comparison

After the per-event path, the same run compares parse-only speed with pygrok on the corpus's own
lines, for the expressions both engines run (`bench/grok_vs_pygrok.py` has the cases): its raw
combined access lines, the first lines of its app text records and its syslog lines.
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import resource
import time

from grok_vs_pygrok import cases, compare

from logflow import compiled
from logflow.config import load_settings
from logflow.demo.corpus import MONTHS, CorpusGenerator
from logflow.event import Record
from logflow.parse.parsers import ParserSet
from logflow.sink.encode import bulk_body
from logflow.worker.processor import Processor
from logflow.worker.tuning import tune_allocator, tune_collector

BATCH = 5000


def syslog_lines(count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    programs = ("sshd", "cron", "kernel", "systemd", "sudo")
    out = []
    for i in range(count):
        prog = rng.choice(programs)
        ip, port = f"{rng.randint(0, 255)}.{rng.randint(1, 254)}", rng.randint(1024, 65535)
        msg = rng.choice(
            (
                f"Accepted publickey for deploy from 10.0.{ip} port {port} ssh2",
                f"Failed password for invalid user admin from 203.0.{ip} port {port} ssh2",
                f"({rng.choice(('root', 'www-data'))}) CMD (run-parts /etc/cron.hourly)",
                f"Started Session {rng.randint(1, 9999)} of user deploy.",
            )
        )
        stamp = f"{MONTHS[10]} {1 + i % 28:2d} 0{i % 10}:{i % 60:02d}:{(i * 7) % 60:02d}"
        out.append(f"{stamp} host-{i % 7} {prog}[{rng.randint(100, 99999)}]: {msg}".encode())
    return out


def corpus(lines: int, days: float = 2) -> list[Record]:
    """Deterministic: the demo generator (85%, over ``days`` UTC days) plus syslog (15%), interleaved in fixed order."""
    main = CorpusGenerator(seed=42, days=days).records(int(lines * 0.85))
    sys_lines = syslog_lines(lines - len(main), seed=42)
    records: list[Record] = []
    s = 0
    for i, r in enumerate(main):
        records.append(Record("bench", i % 3, len(records), r.value, r.key, r.headers))
        if i % 6 == 5 and s < len(sys_lines):
            records.append(Record("bench", 3, len(records), sys_lines[s]))
            s += 1
    records.extend(Record("bench", 3, len(records) + k, v) for k, v in enumerate(sys_lines[s:]))
    return records[:lines]


def by_shape(records: list[Record]) -> None:
    """CPU µs per record for each shape (parser x raw/JSON/envelope), each shape processed on its own."""
    probe = Processor(load_settings(environ={}))
    shapes: dict[str, list[Record]] = {}
    for i in range(0, len(records), BATCH):
        batch = records[i : i + BATCH]
        for record, doc in zip(batch, probe.process(batch, keep_documents=True).documents, strict=True):
            value = record.value or b""
            wrapped = doc.get("log.file.path") or doc.get("kubernetes.pod.name")
            kind = "raw" if value[:1] != b"{" else "envelope" if wrapped else "json"
            shapes.setdefault(f"{doc.get('logflow.parser')} ({kind})", []).append(record)
    print("CPU µs per record by shape (share of corpus):")
    for name, group in sorted(shapes.items(), key=lambda kv: -len(kv[1])):
        processor = Processor(load_settings(environ={}))
        processor.process(group[:BATCH])
        started = time.process_time()
        for i in range(0, len(group), BATCH):
            bulk_body(processor.process(group[i : i + BATCH]).actions)
        spent = time.process_time() - started
        print(f"  {name:32s} {len(group) / len(records):6.1%}  {spent / len(group) * 1e6:6.1f} µs")


_ACCESS = re.compile(r'\S+ \S+ \S+ \[[^\]]+\] "')  # a combined access line's head
_SYSLOG = re.compile(r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ \S+: ")  # RFC 3164 head
_APP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d\S* [A-Z]+ ")  # ISO time, level


def pygrok_side_by_side(records: list[Record]) -> None:
    """Parse only, on this corpus's own lines: pygrok and logflow on the expressions both run."""
    raw = [r.value.decode("utf-8", "replace") for r in records if r.value and r.value[:1] != b"{"]
    lines = {
        "access": [line for line in raw if _ACCESS.match(line)],
        "app": [line.split("\n", 1)[0] for line in raw if _APP.match(line)],
        "syslog": [line for line in raw if _SYSLOG.match(line)],
    }
    print("parse only (match + fields), same corpus lines, logflow vs pygrok:")
    for kind, runners in cases(ParserSet.load().library).items():
        compare(kind, runners, lines[kind])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--by-shape", action="store_true", help="also print CPU µs per record for each record shape")
    ap.add_argument("--no-pygrok", action="store_true", help="skip the parse-only comparison with pygrok")
    args = ap.parse_args()
    tune_allocator()  # as a worker process sets glibc's allocator (`logflow.worker.tuning.MALLOC_SETTINGS`)
    started = time.perf_counter()
    records = corpus(args.lines)
    built = time.perf_counter() - started
    processor = Processor(load_settings(environ={}))
    processor.process(records[:BATCH])  # warm caches the way a running worker has them
    # The collector as a worker process sets it (`logflow.worker.tuning.tune_collector`). A worker holds one
    # batch, not a million records: the freeze also keeps the corpus (millions of objects, ~2 GB) out
    # of the collector's walks, or each full collection walks it (measured: -16 % at 1M).
    tune_collector()
    rss_before = peak_rss_mb()
    total_bytes = 0
    started = time.perf_counter()
    documents = 0
    for i in range(0, len(records), BATCH):
        out = processor.process(records[i : i + BATCH])
        body = bulk_body(out.actions)
        total_bytes += len(body)
        documents += len(out.actions)
    elapsed = time.perf_counter() - started
    build = "compiled (mypyc wheel)" if compiled() else "pure Python (sources)"
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, 1 process")
    print(f"per-event path: {build}")
    print(
        f"corpus: {len(records):,} records built in {built:.1f} s ({rss_before:,.0f} MB peak RSS with corpus in memory)"
    )
    print(
        f"per-event path (decode+parse+enrich+mine+route+serialize to _bulk bytes): "
        f"{len(records) / elapsed:,.0f} lines/s ({elapsed:.1f} s, {documents:,} documents, "
        f"{total_bytes / len(records):,.0f} bulk bytes/line)"
    )
    print(f"peak RSS: {peak_rss_mb():,.0f} MB")
    if not args.no_pygrok:
        pygrok_side_by_side(records)
    if args.by_shape:
        by_shape(records)


if __name__ == "__main__":
    main()

"""The golden corpus: what the pure middle of the pipeline writes, as one digest.

A broad, fixed input (the demo corpus with its poison records and every shipper shape, the eight
Loghub samples as raw lines, records with trace headers and a dead-letter record) goes through the
processor at a fixed clock; the bulk bodies and the rejections are hashed. A move of code that
changes no behaviour leaves the digest as it is; a change of behaviour changes it, and whoever makes
that change updates ``tests/data/golden.txt`` in the same commit and says why:

    python tests/golden.py --write
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden.txt"
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
BATCH = 1000


def _loghub_lines() -> Iterator[bytes]:
    for path in sorted((ROOT / "tests" / "data" / "loghub").glob("*/*_2k.log")):
        yield from (line for line in path.read_bytes().splitlines() if line.strip())


def golden_records() -> list[object]:
    """The corpus, as records with fixed coordinates (headers and timestamps included)."""
    from logflow.demo.corpus import CorpusGenerator
    from logflow.event import Record

    records: list[object] = []
    ships = CorpusGenerator(seed=11).records(6000)
    records += [Record("logs", i % 3, i, s.value, s.key, s.headers, 1795400000000 + i) for i, s in enumerate(ships)]
    records += [Record("raw", 0, i, line) for i, line in enumerate(_loghub_lines())]
    trace = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    headered = [
        ((("traceparent", trace),), b"2026-11-23 01:02:03,456 ERROR checkout.db: connection refused"),
        ((("b3", b"80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1"),), b'{"message":"hello","level":"info"}'),
        ((("logflow-type", b"nginx.access"), ("service", b"web")), b"not an access line at all"),
        (
            (
                ("logflow.error.type", b"mapper_parsing_exception"),
                ("logflow.error.reason", b"bad"),
                ("logflow.source.topic", b"logs"),
                ("logflow.source.partition", b"1"),
                ("logflow.source.offset", b"7"),
            ),
            b"{broken",
        ),
    ]
    records += [Record("hdr", 0, i, value, None, headers) for i, (headers, value) in enumerate(headered[:-1])]
    # A dead letter is one only when read from a dead-letter topic (its headers alone are a producer's say-so).
    records.append(Record("logflow-dead-letter", 0, 3, headered[-1][1], None, headered[-1][0]))
    records += [Record("bad", 0, i, value) for i, value in enumerate((b"", b"  \r\n", b"\xff\xfe not utf-8"))]
    return records


def input_digest(records: list[object]) -> str:
    """The corpus itself, pinned too: a change of the input must not pass for a change of nothing."""
    digest = hashlib.sha256()
    for r in records:
        digest.update(repr((r.topic, r.partition, r.offset, r.value, r.key, r.headers, r.timestamp_ms)).encode())  # type: ignore[attr-defined]
    return digest.hexdigest()


def golden_digest() -> str:
    """``input sha256, output sha256, records, actions, rejections`` of the golden corpus (default processor)."""
    from logflow.config import load_settings
    from logflow.sink.encode import bulk_body
    from logflow.worker.processor import Processor

    processor = Processor(load_settings(environ={}))
    records = golden_records()
    digest = hashlib.sha256()
    actions = rejections = 0
    for start in range(0, len(records), BATCH):
        out = processor.process(records[start : start + BATCH], now=NOW)  # type: ignore[arg-type]
        digest.update(bulk_body(out.actions))
        actions += len(out.actions)
        for r in out.rejections:
            rejections += 1
            digest.update(repr((r.record.topic, r.record.offset, r.stage, r.error_type, r.reason)).encode())
    return f"input {input_digest(records)}\noutput {digest.hexdigest()} {len(records)} {actions} {rejections}"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    value = golden_digest()
    if "--write" in sys.argv:
        GOLDEN.write_text(value + "\n")
    print(value)

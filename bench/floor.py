"""The floor: how fast can one CPython process go with only the work no log pipeline can skip?

Per record of `bench/pipeline.py`'s corpus: decode the bytes; for a JSON record `orjson.loads`; for
a text record one `match` of the regex of the parser that the real pipeline chose for it, its
groups zipped into a dict; four provenance fields; `orjson.dumps`; the `_bulk` action line. No
envelopes, time parsing, enrichment, redaction, mining or routing, no per-record error handling:
an upper bound for any per-record Python design on this machine, to set the 150,000 lines/s target
of issue 3 against.

    python bench/floor.py                 # 1,000,000 lines
    python bench/floor.py --lines 200000
"""

from __future__ import annotations

import argparse
import platform
import time
from typing import Any

import orjson
from pipeline import BATCH, corpus

from logflow.config import load_settings
from logflow.event import Record
from logflow.worker.processor import Processor
from logflow.worker.tuning import tune_allocator, tune_collector

Plan = tuple[Any, tuple[str, ...]] | None
"""Per record: the compiled match method and group names of the regex the real pipeline chose, or None (JSON)."""


def plans(records: list[Record]) -> list[Plan]:
    """Which regex the real pipeline used for each text record (computed outside any timed loop)."""
    processor = Processor(load_settings(environ={}))
    by_name = processor.parsers.by_name
    out: list[Plan] = []
    for i in range(0, len(records), BATCH):
        for done in processor.process(records[i : i + BATCH], keep_documents=True).documents:
            parser = by_name.get(str(done.get("logflow.parser")))
            grok = parser.groks[0] if parser is not None and parser.groks else None
            out.append(None if grok is None else (grok._match, grok._names))
    return out


def floor_pass(records: list[Record], chosen: list[Plan]) -> int:
    """One pass of the floor's work over ``records``; the bulk bytes it made."""
    dumps, loads = orjson.dumps, orjson.loads
    total = 0
    for i in range(0, len(records), BATCH):
        parts: list[bytes] = []
        for record, plan in zip(records[i : i + BATCH], chosen[i : i + BATCH], strict=True):
            text = (record.value or b"").decode("utf-8")
            doc: dict[str, Any]
            if text[:1] == "{" or plan is None:
                value = loads(text) if text[:1] == "{" else {"message": text}
                doc = value if isinstance(value, dict) else {"message": text}
            else:
                m = plan[0](text.partition("\n")[0])
                doc = dict(zip(plan[1], m.groups())) if m is not None else {"message": text}  # noqa: B905
            doc["event.ingested"] = "2026-11-23T00:00:00.000Z"
            doc["logflow.kafka.topic"] = record.topic
            doc["logflow.kafka.partition"] = record.partition
            doc["logflow.kafka.offset"] = record.offset
            parts.append(b'{"index":{"_index":"logs-x","_id":"%s"}}\n' % record.doc_id.encode())
            parts.append(dumps(doc))
        total += len(b"\n".join(parts))
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    args = ap.parse_args()
    tune_allocator()  # as a worker process does (`logflow.worker.tuning.MALLOC_SETTINGS`)
    records = corpus(args.lines)
    chosen = plans(records)
    tune_collector()
    started = time.perf_counter()
    total = floor_pass(records, chosen)
    elapsed = time.perf_counter() - started
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, 1 process")
    print(
        f"floor (decode + one regex or orjson.loads + 4 fields + orjson.dumps + action line): "
        f"{len(records) / elapsed:,.0f} lines/s ({elapsed:.1f} s, {total / len(records):,.0f} bulk bytes/line)"
    )


if __name__ == "__main__":
    main()

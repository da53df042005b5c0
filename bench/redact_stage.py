"""CPU time of the redact stage alone, per document, over the pipeline benchmark's corpus as parse leaves it.

The whole-pipeline figure (`bench/pipeline.py`) moves by tens of percent on a shared machine; this one
times one stage with the process's CPU clock, best of five, so a change to redaction can be compared
back to back (run it on both trees: `PYTHONPATH=OTHER_TREE python bench/redact_stage.py`).

    python bench/redact_stage.py                 # 50,000 records
    python bench/redact_stage.py --lines 20000
"""

from __future__ import annotations

import argparse
import copy
import time
from datetime import UTC, datetime

from pipeline import corpus

from logflow.config import load_settings
from logflow.decode.stage import Decode
from logflow.enrich.redact import Redactor
from logflow.event import Batch, Event
from logflow.parse.parsers import ParserSet
from logflow.parse.stage import Parse

BATCH = 5000


def parsed_batches(lines: int) -> list[Batch]:
    settings = load_settings(environ={})
    parsers = ParserSet.load(settings.parse.parsers_dir)
    records = corpus(lines)
    now = datetime(2026, 11, 23, tzinfo=UTC)
    out = []
    for start in range(0, len(records), BATCH):
        batch = Batch([Event(r) for r in records[start : start + BATCH]], now, "2026-11-23T00:00:00.000Z")
        Decode(settings.decode.max_line_bytes)(batch)
        Parse(parsers, settings.parse.keep_original)(batch)
        batch.events = [e for e in batch.events if e.rejection is None]
        out.append(batch)
    return out


def fresh(batches: list[Batch]) -> list[Batch]:
    """Copies whose documents the stage may change (the originals stay as parse left them)."""
    out = []
    for batch in batches:
        events = []
        for event in batch.events:
            copied = Event(event.record)
            copied.doc, copied.original = copy.copy(event.doc), event.original
            events.append(copied)
        out.append(Batch(events, batch.now, batch.ingested))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    args = parser.parse_args()
    settings = load_settings(environ={})
    batches = parsed_batches(args.lines)
    redact = Redactor(settings.redaction, settings.parse.keep_original)
    best = float("inf")
    for _ in range(5):
        work = fresh(batches)
        started = time.process_time()
        for batch in work:
            redact(batch)
        best = min(best, time.process_time() - started)
    documents = sum(len(b.events) for b in batches)
    print(f"redact stage: {best / documents * 1e6:.2f} µs CPU per document (best of 5, {documents:,} documents)")


if __name__ == "__main__":
    main()

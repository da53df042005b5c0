"""What each stage of the per-event path costs, priced out one at a time in the same run.

The per-event path (`pipeline.py`) and cheaper variants of it, run in turn on the same corpus, each
variant dropping one more stage, down to the floor (`floor.py`: decode, one regex or `orjson.loads`,
`orjson.dumps`, the action line):

    full                 decode + parse + enrich (with redaction) + mine + route + serialize
    - redaction          the setting `redaction.enabled = false`
    - template mining    every message given one constant template
    - enrichment         trace context, levels, service/environment/host, tags, rules: not run
    decode + parse only  `Processor._parse` per record: no routing, serialization or bulk bytes
    floor                `floor.py`'s work

"- template mining" and "- enrichment" replace the processor's miner and enricher with stand-ins:
measurement only, and only with the sources (`pip install -e .`): the compiled build's `Processor`
accepts nothing but its own types, so there the script skips those two. "decode + parse only" runs in both: what the
issue asks of parsing itself (envelopes, parser choice, grok, types, time parsing, ECS renames and
static fields, header trace context), called per record from this script's loop.

CPU time of each pass (this machine is shared: CPU time is steadier than wall clock), the best of
``--rounds`` rounds, the variants interleaved within each round so a slow phase slows all of them.

    python bench/stages.py                    # 200,000 lines, 5 rounds
    python bench/stages.py --lines 1000000 --rounds 3
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from floor import floor_pass, plans
from pipeline import BATCH, corpus

from logflow import compiled
from logflow.config import load_settings
from logflow.event import Record
from logflow.mining.template import Template, template_id
from logflow.parse.timestamps import format_utc
from logflow.sink.elasticsearch import bulk_body
from logflow.worker.processor import Processor
from logflow.worker.runner import tune_allocator, tune_collector


class ConstantMiner:
    """Stand-in miner: one template for every message (what mining costs is what this saves)."""

    def __init__(self) -> None:
        self.template = Template(id=template_id("<*>"), text="<*>", count=1)

    def add_batch(self, messages: Sequence[str]) -> list[Template]:
        return [self.template] * len(messages)


class NoEnrichment:
    """Stand-in enricher: the documents go on as parsing left them."""

    def security_candidates(self, messages: Sequence[object]) -> list[bool]:
        return [False] * len(messages)

    def __call__(self, *args: Any) -> None:
        return None


def processor(drop: int) -> Processor | None:
    """The processor without its first ``drop`` stages (redaction, mining, enrichment); None if this build refuses."""
    proc = Processor(load_settings(environ={"LOGFLOW_REDACTION_ENABLED": "false"} if drop else {}))
    stand_ins = {"miner": ConstantMiner(), "enrich": NoEnrichment()}
    for attribute in list(stand_ins)[: max(drop - 1, 0)]:
        try:
            setattr(proc, attribute, stand_ins[attribute])  # a stand-in of another type, on purpose
        except TypeError:  # the compiled build checks attribute types
            return None
    return proc


def path_pass(proc: Processor) -> Callable[[list[Record]], int]:
    def run(records: list[Record]) -> int:
        total = 0
        for i in range(0, len(records), BATCH):
            total += len(bulk_body(proc.process(records[i : i + BATCH]).actions))
        return total

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    tune_allocator()  # as a worker process does
    records = corpus(args.lines)
    names = ("full", "- redaction", "- template mining", "- enrichment")
    variants: dict[str, Callable[[list[Record]], int]] = {}
    for drop, name in enumerate(names):
        proc = processor(drop)
        if proc is not None:
            proc.process(records[:BATCH])  # warm caches the way a running worker has them
            variants[name] = path_pass(proc)
    parse_only = Processor(load_settings(environ={}))
    now = datetime.now(UTC)
    ingested = format_utc(now)

    def parse_pass(recs: list[Record]) -> int:  # per batch, as `process` holds one batch of documents
        return sum(
            len([parse_only._parse(r, now, ingested) for r in recs[i : i + BATCH]]) for i in range(0, len(recs), BATCH)
        )

    variants["decode + parse only"] = parse_pass
    chosen = plans(records)
    variants["floor"] = lambda recs: floor_pass(recs, chosen)
    tune_collector()
    spent: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, run in variants.items():
            started = time.process_time()
            run(records)
            spent[name].append(time.process_time() - started)
    build = "compiled (mypyc wheel)" if compiled() else "sources (interpreted)"
    print(f"machine: {platform.machine()}, Python {platform.python_version()}, 1 process, {build}")
    print(f"{len(records):,} lines, best of {args.rounds} rounds, CPU time:")
    previous = None
    for name, times in spent.items():
        best, median = min(times), statistics.median(times)
        per_line = best / len(records) * 1e6
        saved = "" if previous is None else f"  stage: {previous - per_line:5.1f} µs"
        print(
            f"  {name:18s} {len(records) / best:9,.0f} lines/s  {per_line:5.1f} µs/line"
            f"  (median {median / len(records) * 1e6:5.1f}){saved}"
        )
        previous = per_line
    if len(variants) < len(names) + 2:
        print("  (mining and enrichment priced with the sources only: the compiled Processor refuses stand-ins)")
    print("target (issue 3): 150,000 lines/s = 6.7 µs/line for the full path")


if __name__ == "__main__":
    main()

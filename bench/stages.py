"""What each stage of the per-event path costs, priced one at a time in the same run.

The processor is an ordered list of stages (`logflow/worker/processor.py`); this script runs the
same corpus through its first k stages for every k, so each stage's price is the difference between
two neighbouring rows, plus the bulk body the sink would send, and the floor (`floor.py`: decode,
one regex or `orjson.loads`, `orjson.dumps`, the action line):

    dead letters + decode + parse   ... + redact, + enrich, + mine, + route, + serialize, + bulk body

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
from collections.abc import Callable

from floor import floor_pass, plans
from pipeline import BATCH, corpus

from logflow import compiled
from logflow.config import load_settings
from logflow.event import Record
from logflow.sink.encode import bulk_body
from logflow.worker.processor import Processor
from logflow.worker.tuning import tune_allocator, tune_collector


def first_stages(count: int, body: bool = False) -> Callable[[list[Record]], int]:
    """A pass through a processor cut to its first ``count`` stages (and the bulk body when ``body``)."""
    proc = Processor(load_settings(environ={}))
    proc.stages = proc.stages[:count]

    def run(records: list[Record]) -> int:
        total = 0
        for i in range(0, len(records), BATCH):
            out = proc.process(records[i : i + BATCH])
            total += len(bulk_body(out.actions)) if body else len(out.actions)
        return total

    run(corpus(BATCH))  # warm caches the way a running worker has them
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    tune_allocator()  # as a worker process does
    records = corpus(args.lines)
    names = [type(stage).__name__.lower() for stage in Processor(load_settings(environ={})).stages]
    variants: dict[str, Callable[[list[Record]], int]] = {}
    for count in range(3, len(names) + 1):  # dead letters, decode and parse always run together
        variants[" + ".join(names[:3]) if count == 3 else f"+ {names[count - 1]}"] = first_stages(count)
    variants["+ bulk body"] = first_stages(len(names), body=True)
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
    previous = 0.0
    for name, times in spent.items():
        best, median = min(times), statistics.median(times)
        per_line = best / len(records) * 1e6
        step = f"  stage: {per_line - previous:5.1f} µs" if name != "floor" else ""
        print(
            f"  {name:30s} {len(records) / best:9,.0f} lines/s  {per_line:5.1f} µs/line"
            f"  (median {median / len(records) * 1e6:5.1f}){step}"
        )
        previous = per_line


if __name__ == "__main__":
    main()

"""Instructions per record in `Processor.process`: a speed figure this shared machine cannot blur.

Wall-clock figures on this machine class move by ±20 % within an hour (docs/benchmarks.md), which
hides a 5 % change. Valgrind's callgrind counts the instructions the CPU executes, not seconds: the
same binary on the same input counts the same whatever else the machine runs. This script only
processes the benchmark corpus at a fixed clock; callgrind, started around it, counts what
`Processor.process` executes (start-up, corpus building and serialization are outside the count):

    valgrind --tool=callgrind --collect-atstart=no \\
        --toggle-collect='CPyPy_process___Processor___process' \\
        --callgrind-out-file=/tmp/cg.out python bench/instructions.py 10000

and divide "Collected" by the record count. The toggle names the compiled build's entry point
(mypyc's wrapper of `Processor.process`), so this measures the compiled build: run it with the
compiled wheel on `PYTHONPATH` (the per-event section of docs/benchmarks.md shows how), from outside
the checkout. The sources have no such C entry point to toggle on.

The records are as dense in time as the wall-clock bench's 1,000,000 lines over two days
(``--dense-as``): 10,000 records spread over the same two days would put 43 s between requests,
so per-second memos (timestamp heads) would rarely hit here while they do in the wall-clock run.

Instructions are not time: a cache miss costs no more instructions than a hit. Use this to compare
two versions of the code, and the wall-clock benches for speed.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from pipeline import BATCH, corpus

from logflow.config import load_settings
from logflow.worker.processor import Processor
from logflow.worker.tuning import tune_allocator, tune_collector


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("records", type=int, nargs="?", default=10_000)
    ap.add_argument(
        "--dense-as",
        type=int,
        default=1_000_000,
        metavar="LINES",
        help="spread the records over the time LINES lines take in bench/pipeline.py (two days); 0: two days",
    )
    args = ap.parse_args()
    tune_allocator()
    tune_collector()
    records = corpus(args.records, days=2 * args.records / args.dense_as if args.dense_as else 2)
    processor = Processor(load_settings(environ={}))
    now = datetime(2026, 11, 23, tzinfo=UTC)  # a fixed clock: the same work on every run
    for i in range(0, len(records), BATCH):
        processor.process(records[i : i + BATCH], now=now)
    print(f"processed {len(records):,} records; divide callgrind's 'Collected' by {len(records):,}")


if __name__ == "__main__":
    main()

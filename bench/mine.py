"""Throughput benchmark: logflow's template miner against Drain3 on the same 1M-line stream.

    python bench/mine.py [--lines N] [--batch B] [--loghub DIR] [--skip-drain3]
    python bench/mine.py --lines 200000 --write /tmp/stream.txt   # only write the stream, one line each

`--write` is for timing the two commands as whole processes, start-up included:
`logflow mine /tmp/stream.txt` against `python bench/drain3_mine.py /tmp/stream.txt`.

The stream is built at run time (nothing is copied into the repo) from the `Content` column of
the Loghub-2k datasets found under `--loghub` (default tests/data/loghub; see its LICENSE, data
from https://github.com/logpai/loghub). Lines are taken in a seeded shuffled order, and every
digit run is replaced by a fresh random number of a random length, so raw lines almost never
repeat: the miner cannot win by remembering whole lines.

Each miner runs in its own forked process that builds the same stream, so each peak RSS
(getrusage `ru_maxrss`) is its own; `miner MB` is the peak minus the RSS with the stream built,
i.e. what the miner itself added. logflow is fed
through `add_batch` (the pipeline's hot path); Drain3, whose API is per message, through
`add_log_message` with its default settings plus generic IP/hex/number masks.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing as mp
import random
import re
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # drain3_mine.py lives beside this file
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

DEFAULT_LOGHUB = HERE.parent / "tests" / "data" / "loghub"
_DIGITS = re.compile(r"[0-9]+")


def load_contents(loghub: Path) -> list[str]:
    """The `Content` column of every `<Name>/<Name>_2k.log_structured.csv` under `loghub`."""
    contents: list[str] = []
    for path in sorted(loghub.glob("*/*_2k.log_structured.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            contents.extend(row["Content"] for row in csv.DictReader(f))
    if not contents:
        raise SystemExit(f"no Loghub-2k structured CSVs under {loghub}")
    return contents


def build_stream(contents: list[str], n: int, seed: int = 7) -> list[str]:
    """`n` lines: seeded shuffled passes over `contents`, every number redrawn per line."""
    rng = random.Random(seed)
    order = list(range(len(contents)))

    def redraw(_: re.Match[str]) -> str:
        return str(rng.randrange(10 ** rng.randint(1, 6)))

    lines: list[str] = []
    while len(lines) < n:
        rng.shuffle(order)
        lines.extend(_DIGITS.sub(redraw, contents[i]) for i in order[: n - len(lines)])
    return lines


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_logflow(lines: list[str], batch: int) -> int:
    """Mine with logflow in batches; return the number of templates."""
    from logflow.mining import TemplateMiner

    miner = TemplateMiner()
    for start in range(0, len(lines), batch):
        miner.add_batch(lines[start : start + batch])
    return len(miner)


def run_drain3(lines: list[str], batch: int) -> int:
    """Mine with Drain3 line by line; return the number of clusters."""
    from drain3_mine import make_drain3

    miner = make_drain3()
    add = miner.add_log_message
    for line in lines:
        add(line)
    return len(miner.drain.clusters)


def current_rss_mb() -> float:
    """Current resident set size of this process in MB (from /proc; 0 where unavailable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * resource.getpagesize() / 2**20


def _child(run: Callable[[list[str], int], int] | None, args: argparse.Namespace, out: mp.Queue) -> None:  # type: ignore[type-arg]
    """In a fresh process: build the stream, time one miner, report its figures."""
    lines = build_stream(load_contents(args.loghub), args.lines)
    before = current_rss_mb()
    start = time.perf_counter()
    templates = run(lines, args.batch) if run is not None else 0
    seconds = time.perf_counter() - start
    out.put((seconds, templates, before, peak_rss_mb(), len(set(lines))))


def measure(
    run: Callable[[list[str], int], int] | None, args: argparse.Namespace
) -> tuple[float, int, float, float, int]:
    """Run one miner in its own process; return seconds, templates, RSS before, peak RSS, distinct."""
    ctx = mp.get_context("fork")
    queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    proc = ctx.Process(target=_child, args=(run, args, queue))
    proc.start()
    result: tuple[float, int, float, float, int] = queue.get()
    proc.join()
    return result


def main() -> int:
    """Build the stream, run both miners, print lines/s, the ratio and peak RSS."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=4096, help="lines per logflow add_batch call")
    ap.add_argument("--loghub", type=Path, default=DEFAULT_LOGHUB)
    ap.add_argument("--skip-drain3", action="store_true", help="only run logflow (quick checks)")
    ap.add_argument("--write", type=Path, default=None, help="write the stream to this file and stop")
    args = ap.parse_args()
    if args.write is not None:
        lines = build_stream(load_contents(args.loghub), args.lines)
        args.write.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        print(f"wrote {len(lines):,} lines to {args.write}")
        return 0

    _, _, stream_rss, _, distinct = measure(None, args)
    print(f"stream: {args.lines:,} lines, {distinct:,} distinct (built in each child); RSS with it {stream_rss:.0f} MB")
    print(f"{'miner':<8} {'seconds':>8} {'lines/s':>10} {'templates':>9} {'peak RSS MB':>11} {'miner MB':>9}")
    rates: dict[str, float] = {}
    runners: list[tuple[str, Callable[[list[str], int], int]]] = [("logflow", run_logflow)]
    if not args.skip_drain3:
        runners.append(("drain3", run_drain3))
    for name, run in runners:
        seconds, templates, before, peak, _ = measure(run, args)
        rates[name] = args.lines / seconds
        print(f"{name:<8} {seconds:8.2f} {rates[name]:10,.0f} {templates:9d} {peak:11.0f} {peak - before:9.0f}")
    if "drain3" in rates:
        print(f"ratio logflow/drain3: {rates['logflow'] / rates['drain3']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

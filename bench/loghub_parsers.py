"""How well the shipped parsers read the Loghub-2k system logs: `message` against the ground truth.

Every raw line of each dataset's ``*_2k.log`` goes through the full per-event path
(``Processor.document``) with the Kafka header ``logflow-type: <hint>``, exactly as a worker would
handle a record from a topic the shipper labelled. The document's ``message`` is compared with the
``Content`` column of ``*_2k.log_structured.csv`` (same row order), and the header fields the
dataset has (time, level, logger, process, host) must be present. Redaction, a separate stage that
masks text on purpose, is switched off: this measures the parsers.

    python bench/loghub_parsers.py [--loghub tests/data/loghub] [--report-only] [--show 5]

Exits 1 when a dataset is below 100% (unless ``--report-only``), 2 when the data is missing.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from logflow.event import Record
from logflow.worker.processor import Processor

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.parse.datasets import DATASETS, LOGHUB, PARSER_ONLY, Dataset

DEFAULT_LOGHUB = LOGHUB


@dataclass(slots=True)
class Outcome:
    """What one dataset's run found."""

    dataset: Dataset
    lines: int = 0
    matched: int = 0
    headers_ok: int = 0
    untargeted: int = 0  # lines read right with no hint at all (priority order and sticky parser)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return 100.0 * self.matched / self.lines if self.lines else 0.0

    @property
    def complete(self) -> bool:
        return self.lines > 0 and self.matched == self.lines and self.headers_ok == self.lines


def read_dataset(root: Path, name: str) -> list[tuple[bytes, str]]:
    """(raw line as shipped, ground-truth Content) pairs, in file order."""
    raw = (root / name / f"{name}_2k.log").read_bytes().split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    with (root / name / f"{name}_2k.log_structured.csv").open(encoding="utf-8", newline="") as handle:
        contents = [row["Content"] for row in csv.DictReader(handle)]
    if len(raw) != len(contents):
        raise ValueError(f"{name}: {len(raw)} log lines but {len(contents)} ground-truth rows")
    return list(zip(raw, contents, strict=True))


def document(
    processor: Processor,
    line: bytes,
    hint: str | None,
    offset: int,
    topic: str = "loghub",
    now: datetime | None = None,
) -> dict[str, Any]:
    """The document a worker would index for ``line`` arriving with ``logflow-type: hint`` (or no hint).

    ``now`` is per batch in a worker (`Processor.process`); pass one to measure the same way.
    """
    now = now or datetime.now(UTC)
    headers = (("logflow-type", hint.encode()),) if hint else ()
    record = Record(topic, 0, offset, line, headers=headers)
    return processor.document(record, now)


def run_dataset(processor: Processor, root: Path, dataset: Dataset, show: int) -> Outcome:
    outcome = Outcome(dataset)
    pairs = read_dataset(root, dataset.name)
    now = datetime.now(UTC)
    started = time.perf_counter()
    docs = [document(processor, line, dataset.hint, n, now=now) for n, (line, _) in enumerate(pairs)]
    outcome.seconds = time.perf_counter() - started
    topic = f"loghub-{dataset.name.lower()}-unhinted"
    for n, (line, content) in enumerate(pairs):
        doc = document(processor, line, None, n, topic, now)
        outcome.untargeted += doc.get("message") == content and doc.get("logflow.parser") == dataset.parser
    for number, ((line, content), doc) in enumerate(zip(pairs, docs, strict=True), start=1):
        outcome.lines += 1
        ok = doc.get("message") == content and doc.get("logflow.parser") == dataset.parser
        missing = [key for key in dataset.headers if key not in doc]
        if "timestamp_failure" in doc.get("tags", ()) or "timestamp_missing" in doc.get("tags", ()):
            missing.append("@timestamp (unparsed)")
        outcome.matched += ok
        outcome.headers_ok += not missing
        if (not ok or missing) and len(outcome.problems) < show:
            outcome.problems.append(
                f"line {number} [{doc.get('logflow.parser')}]: {line.decode('utf-8', 'replace').rstrip()!r}\n"
                f"      message  {doc.get('message')!r}\n      Content  {content!r}"
                + (f"\n      missing  {missing}" if missing else "")
            )
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--loghub", type=Path, default=DEFAULT_LOGHUB, help="folder of the eight datasets")
    parser.add_argument("--report-only", action="store_true", help="exit 0 even below 100%%")
    parser.add_argument("--show", type=int, default=5, help="mismatches to print per dataset")
    args = parser.parse_args(argv)
    if not args.loghub.is_dir():
        print(f"Loghub data not found at {args.loghub}; pass --loghub PATH.", file=sys.stderr)
        return 2
    processor = Processor(PARSER_ONLY)
    outcomes = [run_dataset(processor, args.loghub, dataset, args.show) for dataset in DATASETS]
    print(
        f"| {'dataset':<11} | {'hint':<11} | {'parser':<12} | {'lines':>5} | {'message = Content':>17} "
        f"| {'header fields':>13} | {'no hint':>7} | {'lines/s':>7} |"
    )
    print(f"|{'-' * 13}|{'-' * 13}|{'-' * 14}|{'-' * 6}:|{'-' * 18}:|{'-' * 14}:|{'-' * 8}:|{'-' * 8}:|")
    for o in outcomes:
        total = max(o.lines, 1)
        print(
            f"| {o.dataset.name:<11} | {o.dataset.hint:<11} | {o.dataset.parser:<12} | {o.lines:>5} "
            f"| {o.rate:>16.2f}% | {100.0 * o.headers_ok / total:>12.2f}% "
            f"| {100.0 * o.untargeted / total:>6.1f}% | {o.lines / max(o.seconds, 1e-9):>7,.0f} |"
        )
    for o in outcomes:
        if o.problems:
            print(f"\n{o.dataset.name}: first mismatches")
            for problem in o.problems:
                print(f"  {problem}")
    if args.report_only:
        return 0
    return 0 if all(o.complete for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

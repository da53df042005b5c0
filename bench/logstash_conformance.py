"""Logstash's pattern tests through logflow's grok: the pass table per spec file and ECS mode.

The examples of logstash-patterns-core's ``spec/patterns/*_spec.rb`` (extracted as data in
tests/data/logstash/spec) run against the vendored pattern libraries (tests/data/logstash/patterns)
exactly as tests/parse/test_logstash_conformance.py runs them; this prints how many pass per spec
file and mode, and with ``--failures`` what differs for each one that does not.

    python bench/logstash_conformance.py              # the table (Markdown, as in docs/parsers.md)
    python bench/logstash_conformance.py --failures   # and every failing example with its difference

Exits 0 whatever the pass rate: the test module is where failures are asserted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.parse.test_logstash_conformance import KNOWN, MODES, Example, Runner, load_examples


def table(results: list[tuple[Example, list[str]]]) -> list[str]:
    """Markdown rows: passed/total per spec file and mode, then the totals."""
    total: Counter[tuple[str, str]] = Counter()
    passed: Counter[tuple[str, str]] = Counter()
    for example, problems in results:
        total[example.spec, example.mode] += 1
        passed[example.spec, example.mode] += not problems
    specs = sorted({spec for spec, _ in total})

    def cell(spec: str | None, mode: str) -> str:
        keys = [(s, mode) for s in specs] if spec is None else [(spec, mode)]
        n, ok = sum(total[k] for k in keys), sum(passed[k] for k in keys)
        return f"{ok}/{n} ({100 * ok / n:.0f}%)" if n else "-"

    rows = ["| spec file | " + " | ".join(MODES) + " |", "| --- |" + " --- |" * len(MODES)]
    rows += [f"| {spec} | " + " | ".join(cell(spec, mode) for mode in MODES) + " |" for spec in specs]
    rows.append("| **all** | " + " | ".join(f"**{cell(None, mode)}**" for mode in MODES) + " |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--failures", action="store_true", help="list every failing example with its difference")
    args = ap.parse_args()
    runner = Runner()
    started = time.perf_counter()
    results = [(example, runner.problems(example)) for example in load_examples()]
    elapsed = time.perf_counter() - started
    print("\n".join(table(results)))
    failing = [(example, problems) for example, problems in results if problems]
    print(
        f"\n{len(results) - len(failing)} of {len(results)} examples pass ({elapsed:.1f} s, "
        f"{len(runner.groks)} expressions compiled); {len(KNOWN)} known failures listed in the test."
    )
    if args.failures:
        for example, problems in failing:
            print(f"\n{example.key}\n  " + "\n  ".join(problems))
            if example.key in KNOWN:
                print(f"  known: {KNOWN[example.key]}")


if __name__ == "__main__":
    main()

"""How well inference reads lines no parser knows: the corpus of tests/data/infer, written from formats' docs.

Two sets: the development corpus (tests/data/infer/*.txt, written from the formats' docs while the
rules were written: a few rules were adjusted after seeing its misses) and the held-out corpus
(tests/data/infer/holdout/, written after the rules were finished and run once, code unchanged since).
For each file (one format family) and in total: the share of lines whose @timestamp, log.level and
message (the line without its time and level) come out exactly as the file expects, and how many
times or levels were inferred wrongly (a wrong answer is worse than none). A line counts for the
time figure when it carries a time (likewise for the level); every line counts for the message.

    python bench/infer_eval.py            # the table
    python bench/infer_eval.py --misses   # and every line that did not come out as expected
    python bench/infer_eval.py --timing   # and the CPU time of inference per line (best of five)
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from logflow.parse.infer import infer

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "infer"
REFERENCE = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Case:
    file: str
    text: str
    time: str | None
    level: str | None
    message: str


def cases(corpus: Path = CORPUS) -> list[Case]:
    """Every entry of the corpus: a line, then `=> time | level | message`."""
    out: list[Case] = []
    for path in sorted(corpus.glob("*.txt")):
        line: str | None = None
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.startswith("#") or not raw.strip():
                continue
            if raw.startswith("=> "):
                if line is None:
                    raise ValueError(f"{path.name}: expectation without a line: {raw!r}")
                time, level, message = raw[3:].split(" | ", 2)
                text = line.replace("\\n", "\n")
                out.append(
                    Case(path.stem, text, None if time == "-" else time, None if level == "-" else level, message)
                )
                line = None
            else:
                line = raw
    return out


def outcome(case: Case) -> tuple[str | None, str | None, str]:
    """What inference makes of the case's line: (time, level, message of the first line)."""
    head, _, rest = case.text.partition("\n")
    found = infer(head, REFERENCE, rest.partition("\n")[0])
    if found is None:
        return None, None, head
    return found.timestamp, found.level, found.message or head


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--misses", action="store_true", help="print every line that did not come out as expected")
    ap.add_argument("--timing", action="store_true", help="print the CPU time of inference per line, best of five")
    args = ap.parse_args()
    for title, corpus in (("development", CORPUS), ("held out", CORPUS / "holdout")):
        print(f"== {title}: {corpus.relative_to(CORPUS.parents[2])}")
        report(cases(corpus), args.misses)
        print()
    if args.timing:
        timing(cases(CORPUS) + cases(CORPUS / "holdout"))
    sys.exit(0)


def timing(corpus: list[Case], rounds: int = 5, repeat: int = 20) -> None:
    """CPU µs per line of ``infer`` over the corpus (each line ``repeat`` times a round), best of ``rounds``."""
    lines = [(head, rest.partition("\n")[0]) for head, _, rest in (c.text.partition("\n") for c in corpus)] * repeat
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for head, second in lines:
            infer(head, REFERENCE, second)
        best = min(best, time.process_time() - start)
    print(f"inference: {best / len(lines) * 1e6:.1f} µs of CPU per line ({len(lines):,} lines, best of {rounds})")


def report(corpus: list[Case], show_misses: bool) -> None:
    """The table of one corpus (and its misses)."""
    rows: dict[str, list[int]] = {}
    misses: list[str] = []
    for case in corpus:
        time, level, message = outcome(case)
        row = rows.setdefault(case.file, [0] * 8)  # lines, timed, time ok, time wrong, levelled, ok, wrong, msg ok
        row[0] += 1
        if case.time is not None:
            row[1] += 1
            row[2] += time == case.time
        row[3] += time is not None and time != case.time
        if case.level is not None:
            row[4] += 1
            row[5] += level == case.level
        row[6] += level is not None and level != case.level
        row[7] += message == case.message
        if (time, level, message) != (case.time, case.level, case.message):
            misses.append(
                f"{case.file}: {case.text!r}\n   got  {time} | {level} | {message}"
                f"\n   want {case.time} | {case.level} | {case.message}"
            )

    total = [sum(column) for column in zip(*rows.values(), strict=True)]

    def pct(part: int, whole: int) -> str:
        return f"{100 * part / whole:5.1f}% ({part}/{whole})" if whole else "  -"

    heads = ("@timestamp right", "wrong", "log.level right", "wrong", "header stripped")
    print(f"{'file':22} {'lines':>5}  {heads[0]:>18} {heads[1]:>5}  {heads[2]:>18} {heads[3]:>5}  {heads[4]:>18}")
    for name, r in [*sorted(rows.items()), ("TOTAL", total)]:
        cells = (pct(r[2], r[1]), r[3], pct(r[5], r[4]), r[6], pct(r[7], r[0]))
        print(f"{name:22} {r[0]:5}  {cells[0]:>18} {cells[1]:5}  {cells[2]:>18} {cells[3]:5}  {cells[4]:>18}")
    if show_misses:
        print("\n".join(["", *misses]))


if __name__ == "__main__":
    main()

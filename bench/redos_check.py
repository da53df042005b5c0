"""Holds the static ReDoS rule (logflow/parse/redos.py) against measured matching times of stdlib `re`.

For a corpus of expressions (the shipped parsers, every library pattern alone and inside a repeat,
the classic dangerous examples, and random small expressions from a fixed seed) it asks the rule
whether each is pathological, then measures whether `re` really blows up on hostile input, and
prints the confusion matrix (flagged against slow) with the disagreements.

Hostile inputs, all at most LONG_LINE characters (longer lines are always guarded):

- the old start-up probe's: runs of short units (``a``, ``1``, ``a ``, ``x:`` ...) and of every
  literal character in the expression, followed by a tail that fails (``!``, a newline, NUL);
- pumped ones, read off the expression's tree: for each repeat, a random text that reaches it,
  then one random iteration of its body again and again, then a failing tail.

An expression is slow when some input takes `re` more than a threshold (timed twice, to rule out a
hiccup of this shared machine), or when one match has not returned after --timeout-s (the worker
process is then killed). The matrix is shown for 100 ms and 500 ms: the rule allows quadratic
expressions (two runs in a row, or one searched), and a quadratic match on a whole line can take
more than 100 ms where its steps are dear. Matching runs in one worker process at a time. Timing decides nothing in the
product: this is only the check.

    python bench/redos_check.py                 # the whole corpus, 400 random expressions
    python bench/redos_check.py --random 1000 --seed 3
"""

from __future__ import annotations

import argparse
import importlib
import multiprocessing
import random
import re
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from logflow.parse import redos
from logflow.parse.grok import LONG_LINE, Grok, PatternLibrary
from logflow.parse.parsers import ParserSet, default_parsers_dir

_sre: Any = importlib.import_module("re._parser")
_con: Any = importlib.import_module("re._constants")

DANGEROUS = [
    r"(a+)+$",
    r"([a-zA-Z]+)*$",
    r"(\w+\s?)*$",
    r"(.*a){12}",
    r"^(([a-z])+.)+[A-Z]([a-z])+$",
    r"(a|aa)+$",
    r"(a|a?)+$",
    r"(\w|\d)+$",
    r"\s*\s*\s*$",
    r".*.*.*x",
    r".*a.*a.*x",
    r"(?:a|a)+$",
    r"(a?a?)+$",
    r"(?:a*)*$",
    r"(?:\w|\d\d)+$",
    r"(\d+\s?)+x",
    r"(?:[^b]c|ac)+$",
    r"(.*?) (.*?) (.*?)x",
    r"\d+\d*\d+!",
    # and their safe rewrites
    r"(a++)+$",
    r"(?>a+)+$",
    r"(a+)++$",
    r"(\w++\s?)*$",
    r"(.*a){12}+",
    r"\s*+\s*+\s*+$",
    r"(?:\.[a-z0-9-]{0,62})*$",
    r'"(.*?)" "(.*?)" "(.*?)"',
    r"[^,]*,[^,]*,[^,]*x",
]
UNITS = ["a", "x", "1", " ", "a ", "=", "a=", "a.", "-", '"', "\t", "x:", "0.", "/", "ab", "a1", "1 "]
TAILS = ["!", "\n", "\x00", "", " ", "."]
LENGTHS = [8, 12, 16, 20, 24, 28, 32, 40, 48, 64, 96, 128, 256, 512, LONG_LINE]
PUMPED = [16, 24, 32, 48, 64, 96, 128, 256, 512, LONG_LINE]
SAMPLES = 20  # random iterations tried per repeat
JOB_S = 20.0  # at most this long on one expression's inputs (each match still has --timeout-s)
ESCALATE_S = 0.02  # a match slower than this tries its family's longer texts next
PRINTABLE = string.ascii_letters + string.digits + string.punctuation + " \t"


@dataclass
class Case:
    source: str  # where the expression comes from
    name: str
    expression: str
    search: bool = False
    reason: str | None = None
    took: float = 0.0  # the slowest match of `re` on the hostile inputs (seconds; inf: killed)
    worst: str = ""  # on which input


def corpus(random_count: int, seed: int) -> list[Case]:
    library = PatternLibrary.from_dir(default_parsers_dir() / "patterns")
    cases: list[Case] = []
    for parser in ParserSet.load():
        for i, grok in enumerate(parser.groks):
            cases.append(Case("shipped parser", f"{parser.name}#{i}", grok.expression))
    for name in library.names():
        cases.append(Case("library pattern", name, Grok(f"%{{{name}}}", library).expression))
    for name in library.names():
        grok = Grok(f"(?:%{{{name}}} )+$", library)
        if grok.engine == "re":
            cases.append(Case("library pattern in a repeat", f"(?:%{{{name}}} )+$", grok.expression))
    for expression in DANGEROUS:
        cases.append(Case("classic example", expression, expression))
    rng = random.Random(seed)
    seen: set[str] = set()
    while len(seen) < random_count:
        expression = random_expression(rng)
        if expression in seen:
            continue
        try:
            re.compile(expression)
        except re.error:
            continue
        seen.add(expression)
        cases.append(Case("random", expression, expression, search=rng.random() < 0.15))
    return cases


_ATOMS = ["a", "b", "ab", "1", " ", ",", ".", r"\d", r"\w", r"\s", r"\S", "[ab]", "[^a]", "[a-z0-9]", "-", r"\.", "x"]
_QUANTIFIERS = ["*", "+", "?", "{2}", "{1,3}", "{2,}", "*?", "+?", "*+", "++", "{0,80}"]
_ENDS = ["$", "!", "x", r"\n", "", "$"]


def random_expression(rng: random.Random) -> str:
    return _random_node(rng, rng.randint(1, 3)) + rng.choice(_ENDS)


def _random_node(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(_ATOMS)
    kind = rng.random()
    if kind < 0.35:
        return "".join(_random_node(rng, depth - 1) for _ in range(rng.randint(2, 3)))
    if kind < 0.6:
        return "(?:" + "|".join(_random_node(rng, depth - 1) for _ in range(rng.randint(2, 3))) + ")"
    body = _random_node(rng, depth - 1)
    group = "(?>" if rng.random() < 0.1 else "(?:"
    return f"{group}{body}){rng.choice(_QUANTIFIERS)}"


# --- hostile inputs --------------------------------------------------------------------------


Family = list[str]  # one hostile text at each length, shortest first


def inputs(expression: str, rng: random.Random) -> list[Family]:
    """Every family of hostile inputs for one expression: the same pumped text at growing lengths."""
    units = list(UNITS)
    units += sorted({c for c in expression if c.isprintable() and c not in "\\()[]{}?*+|^$"} - set(units))
    families: dict[tuple[str, ...], Family] = {}
    for unit in units:
        for tail in TAILS:
            family = [(unit * (length // len(unit) + 1))[: length - len(tail)] + tail for length in LENGTHS]
            families.setdefault(tuple(family), family)
    tree = _sre.parse(expression)
    repeats = _count(tree)
    # What positive look-aheads look for, so that they can hold: then each optional one is a choice.
    wanted = [_sample(content, rng) for content in _lookaheads(tree)][:3]
    for target in range(min(repeats, 12)):
        for _ in range(SAMPLES):
            found = _pump(tree, target, rng)
            if found is None:
                continue
            prefix, body = found
            unit = "".join(_sample(body, rng) for _ in range(rng.randint(1, 2)))
            if not unit:
                continue
            for tail in TAILS + [w + "!" for w in wanted]:
                family = []
                for length in PUMPED:
                    run = max(1, (length - len(prefix) - len(tail)) // len(unit))
                    text = prefix + unit * run + tail
                    if len(text) <= LONG_LINE and text not in family:
                        family.append(text)
                if family:
                    families.setdefault(tuple(family), family)
    return list(families.values())


def _lookaheads(items: Any) -> Iterator[list[Any]]:
    for op, av in _items(items):
        if str(op) == "ASSERT" and av[0] == 1:
            yield _items(av[1])
        for child in _children(op, av):
            yield from _lookaheads(child)


def _items(sub: Any) -> list[Any]:
    return list(getattr(sub, "data", sub))


_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _children(op: Any, av: Any) -> list[Any]:
    """The sub-sequences of one item, in order."""
    name = str(op)
    if name == "BRANCH":
        return [_items(b) for b in av[1]]
    if name == "SUBPATTERN":
        return [_items(av[3])]
    if name in _REPEATS:
        return [_items(av[2])]
    if name == "ATOMIC_GROUP":
        return [_items(av)]
    if name in ("ASSERT", "ASSERT_NOT"):
        return [_items(av[1])]
    if name == "GROUPREF_EXISTS":
        return [_items(av[1])] + ([_items(av[2])] if av[2] is not None else [])
    return []


def _count(items: Any) -> int:
    """Repeats of more than one iteration in a sequence, in the order `_pump` numbers them."""
    total = 0
    for op, av in _items(items):
        if str(op) in _REPEATS and av[1] > 1:
            total += 1
        total += sum(_count(child) for child in _children(op, av))
    return total


class _Found(Exception):
    def __init__(self, prefix: str, body: list[Any]) -> None:
        self.prefix = prefix
        self.body = body


def _pump(items: Any, target: int, rng: random.Random) -> tuple[str, list[Any]] | None:
    """A text that reaches repeat number ``target``, and that repeat's body."""
    out: list[str] = []
    try:
        _walk(_items(items), target, 0, out, rng)
    except _Found as found:
        return found.prefix, found.body
    return None


def _walk(items: list[Any], target: int, seen: int, out: list[str], rng: random.Random) -> int:
    """Write a random match of ``items`` into ``out`` on the way to repeat ``target`` (raises _Found there)."""
    for op, av in items:
        name = str(op)
        if name in _REPEATS and av[1] > 1:
            if seen == target:
                raise _Found("".join(out), _items(av[2]))
            seen += 1
        children = _children(op, av)
        counts = [_count(child) for child in children]
        if name == "BRANCH":
            start = seen
            chosen = None
            for child, count in zip(children, counts, strict=True):
                if start <= target < start + count:
                    chosen = (child, start)
                start += count
            if chosen is None:
                out.append(_sample(rng.choice(children), rng))
            else:
                _walk(chosen[0], target, chosen[1], out, rng)
            seen = start
        elif name in _REPEATS:
            lo, hi = av[0], av[1]
            body = children[0]
            if seen <= target < seen + counts[0]:
                out.extend(_sample(body, rng) for _ in range(max(lo - 1, 0)))
                _walk(body, target, seen, out, rng)
            out.append("".join(_sample(body, rng) for _ in range(rng.randint(lo, min(hi, lo + 2)))))
            seen += counts[0]
        elif name in ("ASSERT", "ASSERT_NOT"):
            seen += counts[0]
        else:
            for child, count in zip(children, counts, strict=True):
                if seen <= target < seen + count:
                    _walk(child, target, seen, out, rng)
                out.append(_sample(child, rng))
                seen += count
            if not children:
                out.append(_sample([(op, av)], rng))
    return seen


def _sample(items: Any, rng: random.Random) -> str:
    """A random text the items (roughly) match: anchors and look-arounds are not honoured."""
    out: list[str] = []
    for op, av in _items(items):
        name = str(op)
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "NOT_LITERAL":
            out.append(rng.choice([c for c in PRINTABLE if ord(c) != av]))
        elif name == "ANY":
            out.append(rng.choice(PRINTABLE))
        elif name == "IN":
            members = [c for c in PRINTABLE if _in_class(av, c)]
            out.append(rng.choice(members) if members else "é")
        elif name == "BRANCH":
            out.append(_sample(rng.choice(av[1]), rng))
        elif name == "SUBPATTERN":
            out.append(_sample(av[3], rng))
        elif name in _REPEATS:
            lo, hi, body = av
            out.extend(_sample(body, rng) for _ in range(rng.randint(lo, min(hi, lo + 3))))
        elif name == "ATOMIC_GROUP":
            out.append(_sample(av, rng))
        elif name == "GROUPREF_EXISTS":
            out.append(_sample(av[1], rng))
    return "".join(out)


def _in_class(items: Any, char: str) -> bool:
    negate = False
    hit = False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit = hit or ord(char) == av
        elif name == "RANGE":
            hit = hit or av[0] <= ord(char) <= av[1]
        elif name == "CATEGORY":
            escape = {"DIGIT": r"\d", "SPACE": r"\s", "WORD": r"\w"}.get(str(av).rsplit("_", 1)[-1], r"\w")
            matched = re.fullmatch(escape, char) is not None
            hit = hit or (matched != ("NOT" in str(av)))
    return hit != negate


# --- measuring ---------------------------------------------------------------------------------


def _worker(conn: Connection, stop_s: float) -> None:
    """Match the inputs of each expression it is sent, shortest first across families; a match slower than
    ESCALATE_S sends its family on to its longer texts at once (until one is slower than ``stop_s``).
    Answers with the slowest time and input; a tick goes back at least every half second."""
    while True:
        job = conn.recv()
        if job is None:
            return
        expression, search, families = job
        compiled = re.compile(expression)
        match = compiled.search if search else compiled.match
        order = sorted(((len(text), i, j) for i, family in enumerate(families) for j, text in enumerate(family)))
        worst, worst_text = 0.0, ""
        ticked = began = time.perf_counter()
        for _, i, j in order:
            if worst > stop_s or time.perf_counter() - began > JOB_S:
                break  # slow enough; or long enough on this one: many inputs, each fast enough
            family = families[i]
            for text in family[j:]:
                took = _time(match, text)
                if took > ESCALATE_S:
                    took = min(took, _time(match, text))  # twice: not a hiccup of this shared machine
                if took > worst:
                    worst, worst_text = took, text
                if took <= ESCALATE_S or worst > stop_s:
                    break
            if time.perf_counter() - ticked > 0.5:
                conn.send(None)
                ticked = time.perf_counter()
        conn.send((worst, worst_text))


def _time(match: Any, text: str) -> float:
    started = time.perf_counter()
    match(text)
    return time.perf_counter() - started


class Measurer:
    """One worker process at a time; killed and replaced when one match does not come back in time."""

    def __init__(self, stop_s: float, timeout_s: float) -> None:
        self.stop_s = stop_s
        self.timeout_s = timeout_s
        self.context = multiprocessing.get_context("fork")
        self._start()

    def _start(self) -> None:
        self.conn, child = self.context.Pipe()
        self.process = self.context.Process(target=_worker, args=(child, self.stop_s), daemon=True)
        self.process.start()

    def slowest(self, expression: str, search: bool, families: list[Family]) -> tuple[float, str]:
        self.conn.send((expression, search, families))
        while self.conn.poll(self.timeout_s):
            answer: tuple[float, str] | None = self.conn.recv()
            if answer is not None:
                return answer
        self.process.kill()
        self.process.join()
        self._start()
        return float("inf"), f"(one match still running after {self.timeout_s:.0f} s)"

    def close(self) -> None:
        self.conn.send(None)
        self.process.join(5)


# --- report ------------------------------------------------------------------------------------


def run(cases: list[Case], measurer: Measurer, seed: int) -> Iterator[Case]:
    rng = random.Random(seed)
    for case in cases:
        case.reason = redos.explain(case.expression, search=case.search)
        case.took, case.worst = measurer.slowest(case.expression, case.search, inputs(case.expression, rng))
        yield case


def report(cases: list[Case], thresholds: list[float]) -> None:
    sources = sorted({c.source for c in cases}, key=lambda s: [c.source for c in cases].index(s))
    for slow_s in thresholds:
        print(f"\nslow = some match took more than {slow_s * 1000:.0f} ms")
        print(f"{'':30} {'flagged+slow':>13} {'flagged+fast':>13} {'unflagged+slow':>15} {'unflagged+fast':>15}")
        for source in [*sources, "all"]:
            some = [c for c in cases if source in ("all", c.source)]
            cells = [
                sum(1 for c in some if (c.reason is not None) == flagged and (c.took > slow_s) == slow)
                for flagged, slow in ((True, True), (True, False), (False, True), (False, False))
            ]
            print(f"{source:30} {cells[0]:>13} {cells[1]:>13} {cells[2]:>15} {cells[3]:>15}")
    reasons: dict[str, int] = {}
    for c in cases:
        if c.reason is not None:
            reasons[c.reason] = reasons.get(c.reason, 0) + 1
    print("\nwhy flagged:")
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        print(f"  {count:4}  {reason}")
    low = min(thresholds)
    print(f"\nnot flagged, slower than {low * 1000:.0f} ms (the rule missed them, or allows them):")
    for c in sorted((c for c in cases if c.reason is None and c.took > low), key=lambda c: -c.took):
        print(f"  [{c.source}] {c.name[:90]}{' (searched)' if c.search else ''}\n      {_shown(c)}")
    print(f"\nflagged, never slower than {max(thresholds) * 1000:.0f} ms:")
    for c in cases:
        if c.reason is not None and c.took <= max(thresholds):
            print(f"  [{c.source}] {c.name[:90]}{' (searched)' if c.search else ''}\n      {c.reason}; {_shown(c)}")


def _shown(case: Case) -> str:
    text = case.worst
    if case.took == float("inf"):
        return text
    return f"{case.took * 1000:.0f} ms on {text[:40]!r}{'...' if len(text) > 40 else ''} ({len(text)} chars)"


# The start-up probe this rule replaced (grok.py until the rule), kept here only to price the rule against it.
_UNITS = ("a", "x", "1", " ", "a ", "=", "a=", "a.", "-", '"', "\t", "x:", "0.", "/", "ab")
_TAILS = ("", "!", "\n")


def _old_probe(match: Any) -> bool:
    for unit in _UNITS:
        for tail in _TAILS:
            times = []
            for n in (12, 16, 20, 24):
                text = unit * (n // len(unit)) + tail
                started = time.perf_counter()
                match(text)
                times.append(time.perf_counter() - started)
            if times[-1] > 0.002 and times[-1] > 4 * times[-2] > 16 * times[-3]:
                return True
            started = time.perf_counter()
            match(unit * (400 // len(unit)) + tail)
            if time.perf_counter() - started > 0.02:
                return True
    return False


def cost(cases: list[Case]) -> None:
    """CPU time of the rule (nothing remembered) and of the old probe, over the shipped expressions."""
    shipped = [c.expression for c in cases if c.source in ("shipped parser", "library pattern")]
    matches = [re.compile(expression).match for expression in shipped]

    def rule() -> None:
        redos._cache.clear()
        redos._groups.clear()
        for expression in shipped:
            redos.explain(expression)

    def probe() -> None:
        for match in matches:
            _old_probe(match)

    print(f"\nstart-up cost over the {len(shipped)} shipped expressions (CPU time, best of 7):")
    for name, fn in (("static rule, cold", rule), ("old timing probe", probe)):
        best = min(_cpu(fn) for _ in range(7))
        print(f"  {name:18} {best * 1000:6.1f} ms  ({best / len(shipped) * 1e6:.0f} µs per expression)")


def _cpu(fn: Any) -> float:
    started = time.process_time()
    fn()
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--random", type=int, default=400, help="random expressions (default 400)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--slow-ms", type=float, nargs="+", default=[100.0, 500.0], help="thresholds of slow (default 100 500)"
    )
    parser.add_argument("--timeout-s", type=float, default=3.0, help="one match still running then is slow")
    args = parser.parse_args()
    cases = corpus(args.random, args.seed)
    thresholds = sorted(ms / 1000 for ms in args.slow_ms)
    measurer = Measurer(max(thresholds), args.timeout_s)
    started = time.perf_counter()
    done: list[Case] = []
    try:
        for i, case in enumerate(run(cases, measurer, args.seed), start=1):
            done.append(case)
            if i % 100 == 0:
                print(f"... {i}/{len(cases)} in {time.perf_counter() - started:.0f} s", flush=True)
    finally:
        measurer.close()
    print(
        f"\n{len(done)} expressions; slow: some hostile input of at most {LONG_LINE} characters took `re` more "
        f"than the threshold (a match still running after {args.timeout_s:.0f} s is killed: slow)"
    )
    report(done, thresholds)
    cost(done)


if __name__ == "__main__":
    main()

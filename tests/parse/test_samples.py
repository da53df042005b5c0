"""Every shipped parser's `[[sample]]` lines are its tests, run through the full per-event path.

`check_parsers` sends each sample through decode, parse and enrich exactly as a worker would and
compares the fields the sample expects; here each sample is one test case, named after its parser
and its number in the file (``syslog-2``).
"""

from __future__ import annotations

import pytest

from logflow.admin.parsers_check import SampleOutcome, check_parsers
from logflow.config import Settings
from logflow.parse.parsers import Parser, ParserSet
from logflow.worker.processor import Processor

PARSERS = ParserSet.load()
SAMPLES = [(parser.name, number) for parser in PARSERS for number in range(1, len(parser.samples) + 1)]
# Lines built to make a badly written pattern backtrack: long runs of the characters patterns split on.
HOSTILE_TAILS = [c * 10_000 for c in (" ", ":", "[", "]", "/", "-", '"', "a", "1")] + [
    ": " * 5_000,
    "a: " * 3_300,
    "1/" * 5_000,
    "[a] " * 2_500,
]


@pytest.fixture(scope="module")
def outcomes() -> dict[tuple[str, int], SampleOutcome]:
    """Every sample's outcome, keyed by (parser name, 1-based sample number)."""
    processor = Processor(Settings(), parsers=PARSERS)
    results = check_parsers(processor)
    keys = [(p.name, number) for p in processor.parsers for number in range(1, len(p.samples) + 1)]
    assert len(keys) == len(results)
    return dict(zip(keys, results, strict=True))


def _prefixes(parser: Parser) -> set[str]:
    """Starts of the parser's sample lines: hostile text after a valid prefix reaches deep into a pattern."""
    out = {""}
    for sample in parser.samples:
        head = sample.line.partition("\n")[0]
        out.update(head[: len(head) * k // 4] for k in range(1, 5))
    return out


class TestSamples:
    """Each sample line produces the fields its parser definition says it must."""

    @pytest.mark.parametrize(("parser", "number"), SAMPLES, ids=[f"{p}-{n}" for p, n in SAMPLES])
    def test_sample_line_yields_its_expected_fields(
        self, outcomes: dict[tuple[str, int], SampleOutcome], parser: str, number: int
    ) -> None:
        """The sample is read by its own parser and every expected field has the expected value."""
        outcome = outcomes[(parser, number)]
        assert outcome.ok, f"{outcome.line!r}: {outcome.problems}"


class TestLibrary:
    """The parser library as a whole: coverage, routing and speed."""

    @pytest.mark.parametrize("parser", PARSERS.parsers, ids=lambda p: p.name)
    def test_every_parser_ships_at_least_two_samples(self, parser: Parser) -> None:
        """A parser with fewer than two sample lines is not tested enough to ship."""
        assert len(parser.samples) >= 2, f"{parser.path} has {len(parser.samples)} sample(s)"

    @pytest.mark.parametrize("parser", PARSERS.parsers, ids=lambda p: p.name)
    def test_every_declared_hint_routes_to_its_parser(self, parser: Parser) -> None:
        """No hint a parser declares is taken by another parser's hint, name or dataset."""
        routed = {hint: PARSERS.for_hint(hint) for hint in parser.hints}
        taken = {hint: found.name if found else None for hint, found in routed.items() if found is not parser}
        assert not taken, f"hints of {parser.name} routed elsewhere: {taken}"

    @pytest.mark.parametrize("parser", PARSERS.text_parsers, ids=lambda p: p.name)
    def test_patterns_stay_linear_on_hostile_lines(self, parser: Parser) -> None:
        """No pattern can backtrack catastrophically on long runs of separators after a valid prefix.

        Judged without a clock: the ReDoS rule reads each expression's parse tree (deterministic), and a
        pattern it would flag is a failure here; the hostile lines are still matched on the fast engine
        (unguarded), so a pattern the rule misjudged keeps this test from finishing rather than passing.
        """
        flagged = [number for number, grok in enumerate(parser.groks) if grok.pathological]
        assert flagged == [], f"patterns {flagged} of {parser.name} can backtrack catastrophically"
        answered = 0
        for grok in parser.groks:
            for prefix in _prefixes(parser):
                for tail in HOSTILE_TAILS:
                    grok.match(prefix + tail)
                    answered += 1
        assert answered == len(parser.groks) * len(_prefixes(parser)) * len(HOSTILE_TAILS)

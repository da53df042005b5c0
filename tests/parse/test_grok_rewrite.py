"""Tests for logflow.parse.grok_rewrite: lazy `.*?` before a literal runs faster and matches the same."""

from __future__ import annotations

import random
import re

import pytest

from logflow.parse.grok import Grok, Origin, PatternLibrary
from logflow.parse.grok_rewrite import lazy_dots

LITERALS = ['"', ":", " ", "\\]", "a", "x", ",", "\\."]
ALPHABET = 'ax:," ].\nb'


def _expression(rng: random.Random, depth: int = 0) -> str:
    """A random expression built from what grok patterns are made of: lazy dots, literals, groups."""
    parts: list[str] = []
    for _ in range(rng.randint(1, 4)):
        roll = rng.random()
        if roll < 0.3:
            if not (parts and parts[-1].endswith(".*?")):  # `.*?.*?` only multiplies backtracking
                parts.append(".*?")
        elif roll < 0.55 or depth > 2:
            parts.append(rng.choice(LITERALS) + rng.choice(["", "", "", "?", "+", "*"]))
        elif roll < 0.65:
            parts.append(rng.choice(["\\s", "\\S+", "[^ ]*", "$", "\\b", "(?!x)"]))
        else:
            inner = _expression(rng, depth + 1)
            opening = rng.choice(["(?:", "(", "(?P<g{n}>", "(?=", "(?>", "(?:-|", "(?<!x)("])
            group = opening.replace("{n}", str(rng.randrange(10**6))) + inner + ")"
            # Repeated lazy runs backtrack exponentially, in both forms: only groups without one repeat.
            repeats = ["", "", "?", "*", "+"] if ".*?" not in inner else ["", "?"]
            parts.append(group + rng.choice(repeats))
    return "".join(parts)


def _outcome(pattern: re.Pattern[str], text: str) -> tuple[object, ...]:
    found = pattern.match(text)
    searched = pattern.search(text)
    return (
        None if found is None else (found.span(), found.groups()),
        None if searched is None else (searched.span(), searched.groups()),
    )


class TestLazyDots:
    """The rewrite keeps every match and capture and only fires where that is certain."""

    def test_random_expressions_match_exactly_as_before(self) -> None:
        """Matches, spans and captures agree on random expressions and texts (match and search)."""
        rng = random.Random(3)
        rewritten_some = 0
        for _ in range(1_500):
            expression = _expression(rng)
            try:
                before = re.compile(expression)
            except re.error:
                continue
            after_text = lazy_dots(expression)
            rewritten_some += after_text != expression
            after = re.compile(after_text)
            for _ in range(12):
                text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 14)))
                assert _outcome(after, text) == _outcome(before, text), (expression, after_text, text)
        assert rewritten_some > 150  # the property is exercised, not vacuously true

    @pytest.mark.parametrize(
        "expression",
        [
            '(?P<a>.*?)"',
            '"(?:-|(?P<a>.*?))" x',
            "(?P<a>.*?): ",
            "(?P<a>.*?)\\]",
            "(?=.*?, client: )",
        ],
    )
    def test_a_lazy_run_before_a_literal_is_rewritten(self, expression: str) -> None:
        """Ending at a literal, directly or after closing plain groups: rewritten."""
        assert ".*?" not in lazy_dots(expression)

    @pytest.mark.parametrize(
        "expression",
        [
            '(?=(?P<a>.*?))"',  # a look-ahead does not pass the position on
            '(?>(?P<a>.*?))"',  # nor does an atomic group
            '(?:a.*?)?"',  # a quantified group
            '(?:.*?|b)"',  # another alternative follows
            '.*?"?',  # an optional literal
            ".*?\\s",  # a class, not a character
            ".*?$",
            '(?s).*?"',  # `.` takes newlines too
            '(?#)).*?"',  # comments may hold parentheses
            '\\.*?"',  # an escaped dot
            '[.*?]"',  # inside a class
        ],
    )
    def test_a_lazy_run_is_left_alone_where_the_argument_does_not_hold(self, expression: str) -> None:
        """Anything between the run and the literal but plain group ends: unchanged."""
        assert lazy_dots(expression) == expression


class TestGrokUsesTheRewrite:
    """Grok expressions are rewritten at compile time; fields come out the same."""

    def test_combined_access_fields_are_unchanged(self) -> None:
        """A quoted DATA field holding an escaped quote still captures up to the right quote."""
        library = PatternLibrary()
        library.add("DATA", ".*?", Origin("<test>"))
        grok = Grok('"%{DATA:referrer}" "%{DATA:agent}"$', library)
        assert ".*?" not in grok.expression
        line = '"https://a.example/" "Mozilla \\"quoted\\" 5.0"'
        assert grok.match(line) == {"referrer": "https://a.example/", "agent": 'Mozilla \\"quoted\\" 5.0'}

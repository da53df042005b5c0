"""Tests for logflow.parse.grok_rewrite: lazy `.*?` before a literal runs faster and matches the same; Oniguruma
syntax reads in Python as it does in Logstash."""

from __future__ import annotations

import random
import re

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.parse.grok import Grok, Origin, PatternLibrary
from logflow.parse.grok_rewrite import _POSIX, lazy_dots, oniguruma

PROPERTY = settings(max_examples=200, deadline=None, database=None, derandomize=True)
ASCII = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=12)

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


class TestOniguruma:
    """Constructs Oniguruma (Logstash's Joni) reads otherwise than Python, written so that `re` reads them alike."""

    def test_expressions_written_for_python_pass_unchanged(self) -> None:
        """The generator of the lazy-dots property (groups, classes, look-arounds, quantifiers): left as written."""
        rng = random.Random(5)
        for _ in range(2_000):
            expression = _expression(rng)
            assert oniguruma(expression) == expression

    @PROPERTY
    @given(st.sampled_from(sorted(_POSIX)), st.sampled_from(["", "_", "%-", "\\]x"]), st.booleans(), ASCII)
    def test_posix_classes_match_as_a_nested_class_does(self, name: str, more: str, negate: bool, text: str) -> None:
        """`[[:alnum:]_]` as the `regex` module reads it (V1 has nested sets and POSIX classes), on ASCII."""
        expression = f"[{'^' if negate else ''}[[:{name}:]]{more}]+"
        ours = re.compile(oniguruma(expression))
        oracle = regex.compile(expression, regex.VERSION1)
        assert [m.span() for m in ours.finditer(text)] == [m.span() for m in oracle.finditer(text)]

    @PROPERTY
    @given(
        st.sampled_from(["a", ".", "[ab]", "(?:ab)", "(a|b)", "\\w"]),
        st.sampled_from(["?", "*", "+", "{2}", "{1,2}"]),
        st.sampled_from(["*", "{2}", "+", "?"]),
        st.text(alphabet="ab", max_size=8),
    )
    def test_a_quantified_atom_quantified_again_is_a_nested_repeat(
        self, atom: str, first: str, second: str, text: str
    ) -> None:
        """Ruby reads `X?*`, `X{2}+` and `X{2}?` as `(?:X?)*`, `(?:X{2})+` and `(?:X{2})?` (Python rejects the
        first, reads the others as possessive and lazy); `X*?`, `X?+` and `X{1,2}?` stay lazy, possessive, lazy."""
        expression = f"{atom}{first}{second}b"
        modifier = (first in ("?", "*", "+") and second in ("?", "+")) or (first == "{1,2}" and second == "?")
        want = expression if modifier else f"(?:{atom}{first}){second}b"
        assert oniguruma(expression) == want
        found, wanted = re.compile(oniguruma(expression)).match(text), re.compile(want).match(text)
        assert (found and found.span()) == (wanted and wanted.span())

    def test_an_option_in_mid_expression_takes_the_rest_of_its_group_alternatives_too(self) -> None:
        """Oniguruma's isolated option "makes a group to the next ')' or end of the pattern":
        its own example, `/ab(?i)c|def|gh/ == /ab(?i:c|def|gh)/` (Perl and `regex` split it per alternative)."""
        assert oniguruma("ab(?i)c|def|gh") == "ab(?i:c|def|gh)"
        assert oniguruma("(x(?m-i)y|z)w") == "(x(?s-i:y|z))w"
        assert re.compile(oniguruma("ab(?i)c|def|gh")).fullmatch("abDEF")

    @PROPERTY
    @given(st.text(alphabet="aAbBcC", max_size=6), st.text(alphabet="aAbBcC", max_size=6))
    def test_an_option_in_mid_expression_applies_to_the_end_of_its_group(self, head: str, tail: str) -> None:
        """Without an alternative after it, as `regex` V1 scopes inline flags; 3.11 rejects it in mid-expression."""
        for expression in ("(?:a(?i)b)c", "x(?:a(?i)bc)(?-i)c", "(?i)ab(?-i)c", "a(?i)(?:b)c"):
            ours = re.compile(oniguruma(expression))
            oracle = regex.compile(expression, regex.VERSION1)
            for text in (head, head + tail, "a" + tail, "x" + head + tail):
                assert bool(ours.fullmatch(text)) == bool(oracle.fullmatch(text)), (expression, text)

    def test_ruby_escapes_and_options_mean_what_they_mean_in_ruby(self) -> None:
        """`(?m)` is dot-matches-newline, `\\h` a hex digit, `\\Z` the end or before a final newline, `\\z` the end."""
        assert re.compile(oniguruma("(?m)a.b")).match("a\nb")
        assert re.compile(oniguruma("(?m:a.)b")).match("a\nb")
        assert re.compile(oniguruma("\\h+$")).match("09afAF")
        assert not re.compile(oniguruma("\\h")).match("g")
        assert re.compile(oniguruma("[\\h-]+$")).match("0-f")
        assert re.compile(oniguruma("a\\Z")).match("a\n")
        assert not re.compile(oniguruma("a\\z")).match("a\n")

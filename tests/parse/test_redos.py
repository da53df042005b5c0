"""The ReDoS rule: which expressions stdlib `re` could backtrack catastrophically on, read off the parse tree.

No test here times anything: the rule is a function of the expression alone. bench/redos_check.py
holds it against measured matching times.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logflow.parse import redos
from logflow.parse.grok import Grok, PatternLibrary
from logflow.parse.parsers import default_parsers_dir

PROPERTIES = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def library() -> PatternLibrary:
    return PatternLibrary.from_dir(default_parsers_dir() / "patterns")


@pytest.fixture
def cold() -> Iterator[None]:
    """Nothing remembered from earlier expressions (the answers must not depend on it anyway)."""
    _forget()
    yield
    _forget()


def _forget() -> None:
    redos._cache.clear()
    redos._groups.clear()


class TestExponentialBacktracking:
    @pytest.mark.parametrize(
        "expression",
        [
            r"(a+)+$",
            r"([a-zA-Z]+)*$",
            r"(\w+\s?)*$",
            r"(.*a){12}",
            r"^(([a-z])+.)+[A-Z]([a-z])+$",
            r"(a|aa)+$",
            r"(a|a?)+$",
            r"(?:a|a)+$",
            r"(a?a?)+$",
            r"(?:a*)*$",
            r"(?:\w|\d\d)+$",
            r"(?:a|b|ab)+x",
            r"(?P<user>(?:a|aa)+)$",
            r"(?:(?:a|aa)+|b)c",
            r"(?:(?>a+)b|ab)+$",
        ],
    )
    def test_a_repeat_whose_iterations_can_share_out_the_same_text_in_two_ways_is_flagged(
        self, expression: str
    ) -> None:
        assert redos.explain(expression) == redos.EXPONENTIAL

    @pytest.mark.parametrize("expression", [r"(?:\d|1x)+$", r"(ab|ac)+$", r"(?:ab)+$", r"(?:\d{2}:?)+$"])
    def test_alternatives_that_only_start_alike_are_not_ambiguous(self, expression: str) -> None:
        """`1x` and `\\d` both start with 1, but no text is both: the next character tells them apart."""
        assert redos.explain(expression) is None

    @pytest.mark.parametrize(
        "expression",
        [r"(?:\.[a-z0-9-]{0,62})*$", r"(?:/[\w.-]*)+$", r"[a-z]+(?:\.[a-z]+)*$", r'(?:[^"\\]|\\.)*"'],
    )
    def test_a_character_the_inner_repeat_cannot_take_keeps_iterations_apart(self, expression: str) -> None:
        """HOSTNAME's `(?:\\.[a-z0-9-]{0,62})*`: each iteration starts with the dot, which the run cannot eat."""
        assert redos.explain(expression) is None

    @pytest.mark.parametrize(
        "expression",
        [r"(a++)+$", r"(?>a+)+$", r"(a+)++$", r"(?:a|aa)++$", r"(.*a){12}+", r"(?>(?:\w+\s?)*)$", r"(?:a++|a)+$"],
    )
    def test_possessive_repeats_and_atomic_groups_are_not_backtracked_into(self, expression: str) -> None:
        assert redos.explain(expression) is None

    def test_what_follows_inside_an_atomic_group_still_makes_it_backtrack(self) -> None:
        """The group is only atomic once it has matched: `(a+)+b` retries every split on its way there."""
        assert redos.explain(r"(?>(a+)+b)") == redos.EXPONENTIAL

    @pytest.mark.parametrize("expression", [r"(a+)+", r"x(\w+\s?)*", r"(?:a|aa)*\s*"])
    def test_a_repeat_that_nothing_after_it_can_fail_is_never_retried(self, expression: str) -> None:
        """Grok matches at the start and takes the first match: a repeat at the end is entered once."""
        assert redos.explain(expression) is None

    def test_a_repeat_that_needs_many_iterations_is_retried_even_at_the_end(self) -> None:
        """`(.*a){12}` must find twelve `a`s and tries every way of placing them before it gives up."""
        assert redos.explain(r"(.*a){12}") == redos.EXPONENTIAL
        assert redos.explain(r"(.*a){1,12}") is None

    @pytest.mark.parametrize("expression", [r"(\w|\d)+$", r"(?:a|[ab])+$"])
    def test_single_character_alternatives_are_one_set_as_re_compiles_them(self, expression: str) -> None:
        """`re`'s parser merges `\\w|\\d` into `[\\w\\d]`: one step per character, nothing to retry."""
        assert redos.explain(expression) is None

    def test_a_loop_stops_on_an_empty_iteration_so_one_optional_body_is_not_ambiguous(self) -> None:
        """`(a?)+` can only take each `a` one way (an empty iteration ends the loop); `(a?a?)+` has two."""
        assert redos.explain(r"(a?)+$") is None
        assert redos.explain(r"(a?a?)+$") == redos.EXPONENTIAL

    def test_a_few_iterations_of_a_body_without_unbounded_repeats_are_not_retried_without_end(self) -> None:
        """`(a|.){2}` has four ways at most; two iterations of a run are like two runs in a row (allowed)."""
        assert redos.explain(r"(?:a|.){2}$") is None
        assert redos.explain(r"(?:a|.){11}$") == redos.EXPONENTIAL
        assert redos.explain(r"(?:,{2,}){2}\n") is None
        assert redos.explain(r"(?:,{2,}){3}\n") == redos.EXPONENTIAL

    def test_paths_that_leave_an_atomic_part_together_may_part_again(self, library: PatternLibrary) -> None:
        """After the possessive ` ++`, IPORHOST reads `1.2.3.4` as an IP or as a host name."""
        assert Grok(r"(?:x ++%{IPORHOST} )+$", library).pathological is True
        assert Grok(r"(?:x ++%{HOSTNAME} )+$", library).pathological is False

    def test_a_possessive_run_leaves_only_on_a_character_it_cannot_take(self, library: PatternLibrary) -> None:
        """JAVACLASS's `(?:[A-Za-z_$][\\w$]*+\\.)*+` cannot give a class name back to what follows."""
        assert Grok(r"(?:%{JAVACLASS} )+$", library).pathological is False
        assert redos.explain(r"(?:(?>a+)|a)+$") is None

    def test_anchors_and_word_boundaries_limit_what_can_follow_them(self, library: PatternLibrary) -> None:
        """`\\b` keeps `\\w+` from splitting a word; nothing but a newline follows `$`."""
        assert redos.explain(r"(?:\w+ ?)+$") == redos.EXPONENTIAL
        assert Grok(r"(?:%{WORD} ?)+$", library).pathological is False
        assert redos.explain(r"(?:(?:a|a)$ )+x") is None
        assert redos.explain(r"(?:(?:a|a)$\n?)+x") == redos.EXPONENTIAL

    def test_an_ambiguous_part_of_a_body_that_never_ends_is_not_retried(self, library: PatternLibrary) -> None:
        """The optional `[client ...]` reads an IP two ways, but `$ ` cannot match: there is no second iteration."""
        assert Grok(r"(?:(?:\[%{IPORHOST}\])?x$ )+$", library).pathological is False

    def test_an_ambiguous_library_pattern_inside_a_repeat_is_flagged(self, library: PatternLibrary) -> None:
        """%{TIMESTAMP_ISO8601} reads `1000` as 10:00 or as 1:00:0, so a run of them doubles per timestamp."""
        assert Grok("%{TIMESTAMP_ISO8601}", library).pathological is False
        assert Grok(r"(?:%{TIMESTAMP_ISO8601} )+x", library).pathological is True


class TestCharacterSets:
    """Two alternatives that can read the same text are ambiguous; whether they can depends on the sets."""

    def test_ignorecase_makes_the_two_cases_overlap(self) -> None:
        assert redos.explain(r"(?:ab|Ab)+$") is None
        assert redos.explain(r"(?i:ab|Ab)+$") == redos.EXPONENTIAL

    def test_categories_hold_non_ascii_characters_unless_ascii_is_asked_for(self) -> None:
        assert redos.explain(r"(?:éb|\wb)+$") == redos.EXPONENTIAL
        assert redos.explain(r"(?a:éb|\wb)+$") is None

    def test_non_ascii_digits_spaces_and_letters_are_told_apart(self) -> None:
        """A Unicode digit is a word character but no space: `\\d+\\s*\\w+\\s*$` has two runs, not three."""
        assert redos.explain(r"\d+\s*\w+\s*$") is None
        assert redos.explain(r"\d+\w*\w+\s*$") == redos.POLYNOMIAL

    def test_a_negated_class_overlaps_all_it_does_not_exclude(self) -> None:
        assert redos.explain(r"(?:[^a]c|ac)+$") is None
        assert redos.explain(r"(?:[^b]c|ac)+$") == redos.EXPONENTIAL
        assert redos.explain(r"(?:[^\s]c|\sc)+$") is None

    def test_a_dot_stops_at_a_newline_unless_dotall(self) -> None:
        assert redos.explain(r"(?:.x|\nx)+$") is None
        assert redos.explain(r"(?s:.x|\nx)+$") == redos.EXPONENTIAL


class TestPolynomialBacktracking:
    @pytest.mark.parametrize("expression", [r"\s*\s*\s*$", r".*.*.*x", r"\d+\d*\d+!", r"a.*?b?.*?c?.*?$"])
    def test_three_unbounded_repeats_over_the_same_characters_are_flagged(self, expression: str) -> None:
        assert redos.explain(expression) == redos.POLYNOMIAL

    @pytest.mark.parametrize("expression", [r"\s*\s*$", r".*.*x", r"\S+ .*\s*$", r"\w+\s*\w+$"])
    def test_two_are_allowed(self, expression: str) -> None:
        """Two cost the square of the line's length at worst: `%{DATA} %{GREEDYDATA}` is fine."""
        assert redos.explain(expression) is None

    def test_items_between_the_repeats_count_when_the_repeated_text_can_hold_them(self) -> None:
        """`.*a.*a.*x` shares out a run of `a`s; the commas of `[^,]*,[^,]*,[^,]*x` fix where each field ends."""
        assert redos.explain(r".*a.*a.*x") == redos.POLYNOMIAL
        assert redos.explain(r"[^,]*,[^,]*,[^,]*x") is None

    def test_a_run_is_harmless_when_what_follows_it_would_match_inside_the_repeated_text(self) -> None:
        """Three quoted fields: the text they share must hold a quote, so the last one closes at once."""
        assert redos.explain(r'"(.*?)" "(.*?)" "(.*?)"') is None
        assert redos.explain(r"(.*?) (.*?) (.*?)x") == redos.POLYNOMIAL

    def test_iterations_of_a_bounded_repeat_count_as_repeats_in_a_row(self) -> None:
        """`\\w*(?:[a-z0-9]*){2}$` is three runs over the letters and digits, like `\\w*[a-z0-9]*[a-z0-9]*$`."""
        assert redos.explain(r"-(?>\w)*(?:(?:[a-z0-9])*){2}$") == redos.POLYNOMIAL
        assert redos.explain(r"-\w*(?:[a-z0-9]*){2}$") == redos.POLYNOMIAL

    def test_optional_items_after_a_run_do_not_save_it(self) -> None:
        """`(?:,x)?` may stay empty; the `$` after it fails on a run of commas."""
        assert redos.explain(r".*,.*,.*(?:,x)?$") == redos.POLYNOMIAL

    def test_a_run_at_the_end_is_never_retried(self) -> None:
        assert redos.explain(r".*.*.*") is None

    def test_searched_expressions_are_tried_at_every_position_so_two_are_too_many(self) -> None:
        assert redos.explain(r"\s*\s*x") is None
        assert redos.explain(r"\s*\s*x", search=True) == redos.POLYNOMIAL
        assert Grok(r"\s*\s*x", PatternLibrary(), search=True).pathological is True


# A library pattern that the rule flags must be listed here, with the reason it is kept as it is.
JUSTIFIED: dict[str, str] = {}


class TestShippedPatterns:
    def test_no_pattern_in_the_shipped_library_is_flagged(self, library: PatternLibrary) -> None:
        """Each library pattern on its own, as `%{NAME}` (what `PatternLibrary.validate` compiles at start-up)."""
        flagged = {
            name: redos.explain(grok.expression)
            for name in library.names()
            if (grok := Grok(f"%{{{name}}}", library)).pathological
        }
        assert sorted(flagged) == sorted(JUSTIFIED), flagged

    def test_the_grok_flag_is_the_rule_on_the_compiled_expression(self, library: PatternLibrary) -> None:
        for pattern, search in (("%{COMBINEDAPACHELOG}", False), (r"(?:%{IP} )+$", False), (r"%{DATA}\s*x", True)):
            grok = Grok(pattern, library, search=search)
            assert grok.pathological is redos.pathological(grok.expression, search=search)


class TestSafeSide:
    def test_an_expression_the_rule_cannot_read_counts_as_pathological(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """`\\p{L}` is `regex`-only syntax; without `re._parser` nothing can be read."""
        assert redos.explain(r"\p{L}+") == redos.UNREADABLE
        monkeypatch.setattr(redos, "_sre", None)
        monkeypatch.setattr(redos, "_cache", {})
        assert redos.explain(r"\w+ \w+") == redos.UNREADABLE

    def test_an_expression_too_large_to_analyse_within_the_step_budget_counts_as_pathological(
        self, library: PatternLibrary
    ) -> None:
        """A repeat around IPs or host names: the product automaton of its body is past the budget."""
        grok = Grok(r"(?:%{IPORHOST},?)+$", library)
        assert redos.explain(grok.expression) == redos.TOO_LARGE
        assert grok.pathological is True

    def test_an_expression_nested_too_deeply_to_read_counts_as_pathological(self) -> None:
        assert redos.explain("(?:" * 3000 + "a" + ")" * 3000) == redos.UNREADABLE


# Random small expressions, as trees, so that one tree can be written in several ways.
_ATOMS = ["a", "b", "ab", "1", " ", ".", r"\d", r"\w", r"\s", r"\S", "[ab]", "[^a]", "[a-z]", "-", r"\.", "é"]
_QUANTIFIERS = ["*", "+", "?", "{2}", "{1,3}", "{2,}", "*?", "+?"]
_TAILS = ["", "$", "!", r"\n", "a"]

Tree = Any  # ("atom", text) | ("seq", [tree]) | ("alt", [tree]) | ("rep", tree, quantifier)


def _trees() -> st.SearchStrategy[Tree]:
    atoms = st.sampled_from(_ATOMS).map(lambda text: ("atom", text))
    return st.recursive(
        atoms,
        lambda kids: st.one_of(
            st.lists(kids, min_size=2, max_size=3).map(lambda items: ("seq", items)),
            st.lists(kids, min_size=2, max_size=3).map(lambda items: ("alt", items)),
            st.tuples(kids, st.sampled_from(_QUANTIFIERS)).map(lambda rep: ("rep", rep[0], rep[1])),
        ),
        max_leaves=8,
    )


def _write(tree: Tree, how: str = "plain") -> str:
    """``how``: plain; possessive (every repeat); atomic (every repeated body in an atomic group)."""
    kind = tree[0]
    if kind == "atom":
        return str(tree[1])
    if kind == "seq":
        return "".join(f"(?:{_write(kid, how)})" for kid in tree[1])
    if kind == "alt":
        return "(?:" + "|".join(_write(kid, how) for kid in tree[1]) + ")"
    body, quantifier = _write(tree[1], how), str(tree[2])
    if how == "possessive":
        return f"(?:{body}){quantifier.rstrip('?') or '?'}+"
    if how == "atomic":
        return f"(?>{body}){quantifier}"
    return f"(?:{body}){quantifier}"


expressions = st.tuples(_trees(), st.sampled_from(_TAILS))


class TestProperties:
    @PROPERTIES
    @given(st.lists(expressions, min_size=1, max_size=6))
    def test_the_same_expression_gets_the_same_answer_whatever_was_judged_before(
        self, cases: list[tuple[Tree, str]]
    ) -> None:
        written = [_write(tree) + tail for tree, tail in cases]
        _forget()
        first = [redos.explain(expression) for expression in written]
        again = [redos.explain(expression) for expression in written]
        _forget()
        backwards = [redos.explain(expression) for expression in reversed(written)]
        assert first == again == backwards[::-1]

    @PROPERTIES
    @given(expressions)
    def test_making_every_repeat_possessive_unflags_any_expression(self, case: tuple[Tree, str]) -> None:
        tree, tail = case
        assert redos.explain(_write(tree, "possessive") + tail) is None

    @PROPERTIES
    @given(expressions)
    def test_an_atomic_body_makes_a_repeat_unambiguous(self, case: tuple[Tree, str]) -> None:
        """Each iteration then matches one way; only a run of such repeats can still be polynomial."""
        tree, tail = case
        assert redos.explain(_write(tree, "atomic") + tail) in (None, redos.POLYNOMIAL)

    @PROPERTIES
    @given(expressions, st.booleans())
    def test_reading_each_group_once_is_never_less_careful_than_reading_the_whole(
        self, case: tuple[Tree, str], search: bool
    ) -> None:
        """Groups are parsed once and shared between expressions; `re` may factor alternatives that
        then stay unfactored, which can only add ambiguity."""
        tree, tail = case
        expression = _write(tree) + tail
        whole = redos._judge(redos._full_tree(expression), search)
        if whole is not None:
            assert redos._judge(redos._tree(expression), search) is not None

    @pytest.mark.usefixtures("cold")
    def test_reading_each_group_once_reads_every_shipped_expression_as_a_whole_parse_does(
        self, library: PatternLibrary
    ) -> None:
        for name in library.names():
            expression = Grok(f"%{{{name}}}", library).expression
            for search in (False, True):
                whole = redos._judge(redos._full_tree(expression), search)
                assert redos._judge(redos._tree(expression), search) == whole, name

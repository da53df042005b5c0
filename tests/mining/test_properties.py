"""Properties of the miner that hold for any input, checked on generated log lines (hypothesis).

Each property is one a user relies on without reading the code: every line gets a template, the
template reads its line, ids do not depend on the run or on how the stream was cut into batches,
and masking never tears a bracket or a quote away from its partner.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.mining import WILDCARD, Masker, TemplateMiner, mine_lines
from logflow.mining.cluster import balanced, generalize

WORDS = st.sampled_from(
    ["open", "close", "user", "alice", "bob", "root", "failed", "for", "from", "port", "ok", "state", "Jul"]
)
NUMBERS = st.integers(min_value=-(10**12), max_value=10**12).map(str)
HEX = st.integers(min_value=0, max_value=2**64).map(lambda n: f"0x{n:x}")
ADDRESSES = st.tuples(*[st.integers(0, 255)] * 4, st.integers(0, 65535)).map(
    lambda t: f"/{t[0]}.{t[1]}.{t[2]}.{t[3]}:{t[4]}"
)
PREFIXED = st.tuples(st.sampled_from(["blk_", "rdd_", "task_", "id-", "core."]), NUMBERS).map("".join)
ATOMS = st.one_of(WORDS, NUMBERS, HEX, ADDRESSES, PREFIXED)


def _pair(open_: str, close: str) -> st.SearchStrategy[str]:
    """A bracketed or quoted group of atoms, sometimes behind a key (`key=[abc]`)."""
    inner = st.lists(ATOMS, min_size=0, max_size=3).map(" ".join)
    keyed = st.tuples(st.sampled_from(["", "key=", "password=", "x:"]), inner)
    return keyed.map(lambda t: f"{t[0]}{open_}{t[1]}{close}")


PAIRS = st.one_of(_pair("[", "]"), _pair("(", ")"), _pair("{", "}"), _pair('"', '"'))
TOKENS = st.one_of(ATOMS, PAIRS, st.tuples(WORDS, st.just("="), ATOMS).map("".join))
SEPARATORS = st.sampled_from([" ", " ", " ", "  ", "\t"])


@st.composite
def lines(draw: st.DrawFn) -> str:
    """One log line: 1 to 8 tokens of every kind above, with irregular whitespace."""
    toks = draw(st.lists(TOKENS, min_size=1, max_size=8))
    return "".join(tok + draw(SEPARATORS) for tok in toks).rstrip(" \t") or "x"


STREAMS = st.lists(lines(), min_size=1, max_size=40)


def reads(template: str, line: str) -> bool:
    """Whether `template`, reading `<*>` as any text and a space as any whitespace, is all of `line`."""
    parts = [re.escape(p) for p in template.split(WILDCARD)]
    pattern = ".*".join(parts).replace(r"\ ", r"\s+")
    return re.fullmatch(rf"\s*{pattern}\s*", line, re.DOTALL) is not None


def final_ids(miner: TemplateMiner, stream: list[str]) -> list[str]:
    """Each line's template id after the whole stream was learned (`match` learns nothing)."""
    found = [miner.match(line) for line in stream]
    assert all(t is not None for t in found)
    return [t.id for t in found if t is not None]


@settings(max_examples=150, deadline=None)
@given(STREAMS)
def test_every_line_gets_a_template_that_reads_it(stream: list[str]) -> None:
    """One template per line, and `<*>` as a wildcard turns the template back into the line."""
    found = mine_lines(stream)
    assert len(found) == len(stream)
    for line, template in zip(stream, found, strict=True):
        assert template.id and reads(template.text, line), (line, template.text)


@settings(max_examples=100, deadline=None)
@given(STREAMS, st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=6))
def test_ids_do_not_depend_on_the_run_or_on_batch_boundaries(stream: list[str], cuts: list[int]) -> None:
    """A second miner, fed the same lines in other batches, ends with the same id for every line."""
    whole = TemplateMiner()
    whole.add_batch(stream)
    split = TemplateMiner()
    start = 0
    for size in cuts * (len(stream) // sum(cuts) + 1):
        if start >= len(stream):
            break
        split.add_batch(stream[start : start + size])
        start += size
    assert final_ids(split, stream) == final_ids(whole, stream)
    assert [t.id for t in mine_lines(stream)] == final_ids(whole, stream)


@settings(max_examples=300, deadline=None)
@given(lines())
def test_masking_never_splits_a_bracket_or_quote_pair(line: str) -> None:
    """Every bracket keeps its partner and quotes stay paired (`key=[abc] x`, never `key=<*>] x`)."""
    shape = Masker().mask(line)
    assert balanced(shape), (line, shape)
    assert shape.count('"') % 2 == 0, (line, shape)


def test_the_pairs_named_in_the_issue_stay_whole() -> None:
    """A bracketed word value is a word to the miner, not a variable that eats its opening bracket."""
    masker = Masker()
    assert masker.mask("key=[abc] x") == "key=[abc] x"
    assert masker.mask("password=[REDACTED] ok") == "password=[REDACTED] ok"
    assert masker.mask("see (http://example.com/a) now") == "see (<*>) now"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["<*>", "[", "]", "(", ")", "_", "/", ":", "a", "b", "="]), max_size=8).map("".join),
    st.lists(st.sampled_from(["<*>", "[", "]", "(", ")", "_", "/", ":", "a", "b", "="]), max_size=8).map("".join),
)
def test_a_generalised_token_reads_both_tokens_and_keeps_pairs(a: str, b: str) -> None:
    """`generalize` gives a token that reads each input, and splits no pair the inputs kept."""
    merged = generalize(a, b)
    assert reads(merged, a) and reads(merged, b), (a, b, merged)
    if balanced(a) and balanced(b):
        assert balanced(merged), (a, b, merged)

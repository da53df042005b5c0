"""Free text of any length inside one template (`logflow.mining.tree`'s stretching), on generated lines.

Bucketing by token count alone would give a template per length to every message that ends with
free text (`failed: <reason>`). These properties pin what a user expects instead: lines that share
their constant words around a free run share one template id whatever the run's length, and lines
whose constant words differ never do.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.mining import TemplateMiner
from logflow.mining.tree import MIN_ANCHORS

#: Digit-free words, so masking leaves them as words and only grouping can find the variable.
FREE = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=9)
ANCHOR = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=8)


def _ids(lines: list[str]) -> list[str]:
    miner = TemplateMiner()
    miner.add_batch(lines)
    return [miner.match(line).id for line in lines]  # type: ignore[union-attr]


@st.composite
def families(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Constant words before and after a free run, and free texts of 1-8 words (4 one-word texts first,
    distinct, so the run has shown that it is a variable)."""
    before = draw(st.lists(ANCHOR, min_size=MIN_ANCHORS, max_size=4, unique=True))
    after = draw(st.lists(ANCHOR, min_size=0, max_size=2))
    singles = [[w] for w in draw(st.lists(FREE, min_size=4, max_size=4, unique=True))]
    texts = singles + draw(st.lists(st.lists(FREE, min_size=1, max_size=8), min_size=1, max_size=12))
    return before + after, [" ".join([*before, *text, *after]) for text in texts]


@settings(max_examples=60, deadline=None)
@given(families())
def test_free_text_of_any_length_between_constant_words_is_one_template(family: tuple[list[str], list[str]]) -> None:
    _, lines = family
    assert len(set(_ids(lines))) == 1, lines


@settings(max_examples=60, deadline=None)
@given(families(), families())
def test_lines_whose_constant_words_differ_never_share_a_template(
    a: tuple[list[str], list[str]], b: tuple[list[str], list[str]]
) -> None:
    if set(a[0]) & set(b[0]):  # a shared constant word could legitimately be one event's
        return
    ids = _ids(a[1] + b[1])
    assert not set(ids[: len(a[1])]) & set(ids[len(a[1]) :])


def test_free_text_learned_before_its_run_opened_joins_the_template_later() -> None:
    lines = [
        "Upload of report aborted by peer",
        "Upload of report aborted by the remote peer",
        "Upload of report aborted by proxy",
        "Upload of report aborted by client",
        "Upload of report aborted by server",
    ]
    ids = _ids(lines)
    assert len(set(ids)) == 1
    miner = TemplateMiner()
    miner.add_batch(lines)
    assert miner.match(lines[1]).text == "Upload of report aborted by <*>"  # type: ignore[union-attr]


def test_a_run_with_fewer_constant_words_than_the_minimum_does_not_stretch() -> None:
    # One constant word is not evidence that two lines of different lengths are one event.
    words = ["alpha", "bravo", "charlie", "delta", "echo"]
    one_word = [f"Retry {w}" for w in words]
    longer = ["Retry because the disk is full", "Retry later"]
    ids = _ids(one_word + longer)
    assert ids[-2] != ids[0]


def test_free_positions_survive_a_state_round_trip() -> None:
    lines = [f"Session closed by {w}" for w in ("peer", "proxy", "client", "server")]
    miner = TemplateMiner()
    miner.add_batch(lines)
    again = TemplateMiner.load_state(miner.save_state())
    longer = "Session closed by the remote end"
    assert again.add(longer).id == miner.add(longer).id == miner.match(lines[0]).id  # type: ignore[union-attr]

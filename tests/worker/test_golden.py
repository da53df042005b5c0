"""The pipeline's output on the golden corpus is exactly what it was: moves of code change no byte."""

from __future__ import annotations

from tests.golden import GOLDEN, golden_digest


def test_the_golden_corpus_gives_the_recorded_bulk_bytes_and_rejections() -> None:
    """A deliberate change of output updates tests/data/golden.txt (`python tests/golden.py --write`)."""
    assert golden_digest() == GOLDEN.read_text().strip()

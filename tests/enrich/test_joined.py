"""Positions in a batch's joined text map back to the text that holds them."""

from __future__ import annotations

import random

from logflow.enrich.joined import holder, starts


def test_every_position_of_the_joined_text_maps_to_the_text_holding_it() -> None:
    """Empty texts included: each character's holder is its text, and each separator belongs to the text before it."""
    rng = random.Random(5)
    for _ in range(200):
        texts = ["".join(rng.choices("ab ", k=rng.choice((0, 0, 1, 3, 8)))) for _ in range(rng.randint(1, 12))]
        joined = "\x00".join(texts)
        bounds = starts(texts)
        assert len(bounds) == len(texts) + 1 and bounds[-1] == len(joined) + 1
        owner = [j for j, text in enumerate(texts) for _ in range(len(text) + 1)][: len(joined)]
        assert [holder(bounds, position) for position in range(len(joined))] == owner

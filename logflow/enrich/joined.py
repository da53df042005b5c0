"""Searching a batch's texts at once: joined by NUL, searched with ``str.find``, hits mapped back.

The redact and enrich stages look for rare words in every document; one fast substring search
over the batch's texts joined costs far less than a search per text. These map a position in the
joined text back to the text that holds it.
"""

from __future__ import annotations

from bisect import bisect_right


def starts(texts: list[str]) -> list[int]:
    """Where each text starts in ``"\\x00".join(texts)``, and one past its end (a loop the compiled build runs in C)."""
    out = [0] * (len(texts) + 1)
    total = 0
    for k, text in enumerate(texts):
        total += len(text) + 1
        out[k + 1] = total
    return out


def holder(starts: list[int], position: int) -> int:
    """The index of the text holding ``position`` of the joined text (text j spans starts[j] .. starts[j + 1] - 2)."""
    return bisect_right(starts, position) - 1

"""The search structure that finds a shape's family: Drain's fixed-depth tree, flattened.

Shapes are bucketed by token count and their first `prefix_tokens` tokens; the bucket key *is*
Drain's tree path, so one dict lookup replaces the walk. Inside a bucket the shape joins the most
similar family when the similarity reaches the threshold, else it starts a new family. Every
family in a bucket shares the prefix, so prefix tokens never generalise (as in Drain).
"""

from __future__ import annotations

from collections.abc import Iterator

from logflow.mining.cluster import BucketKey, Family


class FamilyTree:
    """Buckets of families keyed by (token count, leading tokens)."""

    __slots__ = ("_buckets", "_prefix", "_threshold")

    def __init__(self, prefix_tokens: int, threshold: float) -> None:
        """Create an empty tree."""
        self._prefix = prefix_tokens
        self._threshold = threshold
        self._buckets: dict[BucketKey, list[Family]] = {}

    def bucket_key(self, shape: tuple[str, ...]) -> BucketKey:
        """The bucket a shape belongs to."""
        return (len(shape), shape[: self._prefix])

    def best(self, shape: tuple[str, ...]) -> Family | None:
        """The most similar family the shape may join (first one on ties), or None.

        It may join when the share of agreeing word positions reaches the threshold, or when it
        differs from the family in one word position only and agrees on at least one: a single
        differing word is what closed positions are for, and without this a two-word line
        (`removing echo`, `removing time`) could never reach a threshold above one half.
        """
        best: Family | None = None
        best_sim = -1.0
        threshold = self._threshold
        for family in self._buckets.get(self.bucket_key(shape), ()):
            same, words = family.agreement(shape)
            sim = same / words if words else 1.0
            if sim > best_sim and (sim >= threshold or (same and words - same == 1)):
                best, best_sim = family, sim
        return best

    def covering(self, shape: tuple[str, ...], fine: tuple[str, ...]) -> Family | None:
        """A family that covers the shape without learning (for `match`), or None."""
        for family in self._buckets.get(self.bucket_key(shape), ()):
            if family.covers(shape, fine):
                return family
        return None

    def add(self, family: Family) -> None:
        """Insert a family into its bucket."""
        self._buckets.setdefault(family.bucket, []).append(family)

    def remove(self, family: Family) -> None:
        """Remove a family (its last cluster was evicted); empty buckets are dropped."""
        bucket = self._buckets[family.bucket]
        bucket.remove(family)
        if not bucket:
            del self._buckets[family.bucket]

    def __iter__(self) -> Iterator[Family]:
        """Every family, bucket by bucket."""
        for bucket in self._buckets.values():
            yield from bucket

"""The search structure that finds a shape's family: Drain's fixed-depth tree, flattened, plus stretching.

Shapes are bucketed by token count and their first `prefix_tokens` tokens; the bucket key *is*
Drain's tree path, so one dict lookup replaces the walk. Inside a bucket the shape joins the most
similar family when the similarity reaches the threshold, else it starts a new family. Every
family in a bucket shares the prefix, so prefix tokens never generalise (as in Drain).

A variable may span a varying number of words (free text after `failed:`, a description): bucketing
by length alone would make one template per length. So a family whose words disagreed at a run
of positions (a *free run*, ``Family.free_runs``) reads lines of other lengths too: a shape that
agrees with its constant words before and after the run, with any number (one or more) of tokens
where the run is, is the same template (Spell's longest-common-subsequence idea, applied at the
one place it is needed). ``stretch_target`` finds such a family for a shape that would otherwise
start a family of its own; ``restretch`` brings families of other lengths, learnt before the run
opened, into its template. Both require two constant words around the run, so a family of mostly
variables never swallows lines of every length.
"""

from __future__ import annotations

from collections.abc import Iterator

from logflow.mining.cluster import BucketKey, Family, generalize, spells
from logflow.mining.masking import WILDCARD

#: Constant words a stretchable family needs around its free run.
MIN_ANCHORS = 2


class FamilyTree:
    """Buckets of families keyed by (token count, leading tokens)."""

    __slots__ = ("_buckets", "_edges", "_prefix", "_stretchy", "_threshold")

    def __init__(self, prefix_tokens: int, threshold: float) -> None:
        """Create an empty tree."""
        self._prefix = prefix_tokens
        self._threshold = threshold
        self._buckets: dict[BucketKey, list[Family]] = {}
        self._edges: dict[tuple[int, str], dict[int, Family]] = {}  # (0, first) / (1, last token) -> families
        self._stretchy: dict[tuple[int, str], dict[int, Family]] = {}  # the same, families with free runs only

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
        """Insert a family into its bucket (and the edge index stretching searches)."""
        self._buckets.setdefault(family.bucket, []).append(family)
        if family.tokens:
            for edge in ((0, family.tokens[0]), (1, family.tokens[-1])):
                self._edges.setdefault(edge, {})[id(family)] = family
        if family.free:
            self.note_free(family)

    def note_free(self, family: Family) -> None:
        """``family`` has a free run now: shapes of other lengths may stretch into it."""
        if family.tokens:
            for edge in ((0, family.tokens[0]), (1, family.tokens[-1])):
                self._stretchy.setdefault(edge, {})[id(family)] = family

    def remove(self, family: Family) -> None:
        """Remove a family (its last cluster was evicted); empty buckets are dropped."""
        bucket = self._buckets[family.bucket]
        bucket.remove(family)
        if not bucket:
            del self._buckets[family.bucket]
        for index in (self._edges, self._stretchy):
            for edges in index.values():
                edges.pop(id(family), None)

    @staticmethod
    def _near(index: dict[tuple[int, str], dict[int, Family]], first: str, last: str) -> list[Family]:
        """Families of ``index`` that may align with a shape starting with ``first`` and ending with ``last``."""
        seen: dict[int, Family] = {}
        for edge in ((0, first), (1, last), (0, WILDCARD), (1, WILDCARD)):
            found = index.get(edge)
            if found:
                seen.update(found)
        return list(seen.values())

    def stretch_target(self, shape: tuple[str, ...]) -> tuple[Family, int, int] | None:
        """A family of another length whose free run ``[start, end)`` reads ``shape`` (most anchors first)."""
        if not shape:
            return None
        best: tuple[Family, int, int] | None = None
        best_anchors = MIN_ANCHORS - 1
        for family in self._near(self._stretchy, shape[0], shape[-1]):
            if len(family.tokens) == len(shape):
                continue
            for start, end in family.free_runs():
                anchors = aligned(family, start, end, shape)
                if anchors > best_anchors:
                    best, best_anchors = (family, start, end), anchors
        return best

    def restretch(self, family: Family) -> None:
        """Bring families of other lengths that the free runs of ``family`` read into its template."""
        runs = family.free_runs()
        if not runs or not family.tokens:
            return
        for other in self._near(self._edges, family.tokens[0], family.tokens[-1]):
            if other is family or len(other.tokens) == len(family.tokens):
                continue
            for start, end in runs:
                if aligned(family, start, end, tuple(other.tokens)) >= MIN_ANCHORS:
                    conform(other, family, start, end)
                    break

    def __iter__(self) -> Iterator[Family]:
        """Every family, bucket by bucket."""
        for bucket in self._buckets.values():
            yield from bucket


def aligned(family: Family, start: int, end: int, shape: tuple[str, ...]) -> int:
    """How many constant words of ``family`` around its run ``[start, end)`` a shape repeats, where the run
    takes the shape's extra (or fewer, at least one) tokens; 0 when some position disagrees.
    """
    toks = family.tokens
    width = len(shape) - (len(toks) - (end - start))
    if width < 1:
        return 0
    anchors = 0
    pairs = [
        *zip(range(start), shape[:start], strict=True),
        *zip(range(end, len(toks)), shape[start + width :], strict=True),
    ]
    for pos, theirs in pairs:
        mine = toks[pos]
        if pos in family.values:
            if theirs not in family.values[pos]:
                return 0
        elif mine == WILDCARD:
            continue
        elif mine != theirs:
            return 0
        else:
            anchors += 1
    return anchors


def _mapped(family: Family, start: int, end: int, length: int) -> list[int]:
    """For each position of a shape of ``length`` aligned on the run, the family position it faces (-1: in the run)."""
    width = length - (len(family.tokens) - (end - start))
    return [*range(start), *([-1] * width), *range(end, len(family.tokens))]


def stretched(
    shape: tuple[str, ...], fine: tuple[str, ...], family: Family, start: int, end: int, bucket: BucketKey
) -> Family:
    """A new family for a shape of another length, reading it as ``family``'s template does."""
    tokens, display = list(shape), list(fine)
    new = Family(tokens, bucket, display)
    positions: list[int] = []
    shown: dict[int, str] = {}
    for pos, theirs in enumerate(_mapped(family, start, end, len(shape))):
        if theirs < 0:
            positions.append(pos)
            shown[pos] = WILDCARD
        elif family.tokens[theirs] == WILDCARD and theirs not in family.values:
            positions.append(pos)
            shown[pos] = _reading(family.display[theirs], fine[pos])
    new.open_positions(positions, shown)
    new.free.update(p for p, theirs in enumerate(_mapped(family, start, end, len(shape))) if theirs < 0)
    return new


def conform(other: Family, family: Family, start: int, end: int) -> None:
    """Open the positions of ``other`` that ``family``'s template reads as variables (its run among them)."""
    positions: list[int] = []
    shown: dict[int, str] = {}
    for pos, theirs in enumerate(_mapped(family, start, end, len(other.tokens))):
        if theirs < 0:
            positions.append(pos)
            shown[pos] = WILDCARD
        elif family.tokens[theirs] == WILDCARD and theirs not in family.values and other.tokens[pos] != WILDCARD:
            positions.append(pos)
            shown[pos] = _reading(family.display[theirs], other.display[pos])
    if positions:
        other.open_positions(positions, shown)


def _reading(shown: str, fine: str) -> str:
    """The family's display token where it reads ``fine``, else the most specific token reading both."""
    return shown if shown == fine or spells(shown, fine) else generalize(shown, fine)

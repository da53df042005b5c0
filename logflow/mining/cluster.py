"""Families and clusters: how a group of similar shapes decides which positions are variables.

A *family* is what Drain calls a cluster: shapes of one bucket that were similar enough to align
position by position. Where the family's shapes disagree, Drain turns the position into `<*>` at
once. That over-generalises word alternatives that are really different events (`cupsd startup
succeeded` / `cupsd shutdown succeeded`, `stored as bytes` / `stored as values`). Here a
disagreeing position first becomes a *closed* variable position that remembers its distinct
values; it *opens* (becomes `<*>` for good) when either

- it has seen `min_variable_values` distinct values (user names, host names: many values), or
- one value, read with its `<*>` as "any text", spells the other (`(<*>)` against `()` or
  `(host)`, `rhost=<*>` against `rhost=`): the masked variable *is* the difference, so the slot
  is data. `LOGIN(uid=<*>)` against `(uid=<*>)` differ outside the variable and stay apart.

Positions are compared on *coarse* tokens (`masking.coarse`: each masked run of a token is one
`<*>`); what a template shows is the family's `display`, per position the most specific token
that reads every member (`generalize`: `blk_<*>` while every member has it, `<*>` once `rdd_<*>`
joins).

Every combination of values at the closed positions is one *cluster*, the unit reported as a
`Template`; its text is the family's tokens with those values filled in. When a position opens,
the clusters that differed only there merge; the merged-away cluster forwards to the survivor
(`merged_into`), so references held in caches stay valid.
"""

from __future__ import annotations

import re

from logflow.mining.masking import WILDCARD, collapse
from logflow.mining.template import Template, template_id

BucketKey = tuple[int, tuple[str, ...]]


class Cluster:
    """One template: a family plus the values of its closed positions. Mutable, miner-owned."""

    __slots__ = ("_gen", "_id", "_text", "count", "family", "last_seen", "merged_into", "values")

    def __init__(self, family: Family, values: tuple[str, ...], count: int = 0, last_seen: int = 0) -> None:
        """Create a cluster of `family` for the given closed-position values."""
        self.family = family
        self.values = values
        self.count = count
        self.last_seen = last_seen
        self.merged_into: Cluster | None = None
        self._gen = -1
        self._text = ""
        self._id = ""

    def live(self) -> Cluster:
        """This cluster, or the one it was merged into (following the chain)."""
        cluster = self
        while cluster.merged_into is not None:
            cluster = cluster.merged_into
        return cluster

    @property
    def text(self) -> str:
        """The template text: family tokens, closed positions filled with this cluster's values."""
        family = self.family
        if self._gen != family.gen:
            toks = list(family.display)
            for pos, value in zip(family.closed, self.values, strict=True):
                toks[pos] = value
            self._text = collapse(" ".join(toks))
            self._id = template_id(self._text)
            self._gen = family.gen
        return self._text

    @property
    def id(self) -> str:
        """The stable id of the current text."""
        _ = self.text
        return self._id

    def snapshot(self) -> Template:
        """The current template as an immutable value."""
        return Template(self.id, self.text, self.count)


class Family:
    """Aligned shapes of one bucket: generalised tokens, closed positions and their clusters."""

    __slots__ = ("_runs", "_runs_gen", "bucket", "closed", "clusters", "display", "free", "gen", "tokens", "values")

    def __init__(self, tokens: list[str], bucket: BucketKey, display: list[str] | None = None) -> None:
        """Start a family from one shape: its coarse tokens, and the fine ones a person reads."""
        self.tokens = tokens
        """Coarse tokens (`masking.coarse`): what grouping compares."""
        self.display = list(tokens) if display is None else display
        """Per position, the most specific token that reads every member's fine token (`blk_<*>`
        where the coarse token is `<*>`); equal to the coarse token at a word position."""
        self.bucket = bucket
        self.values: dict[int, set[str]] = {}
        """Distinct values seen at each closed position."""
        self.closed: tuple[int, ...] = ()
        """Closed positions, ascending (the order of `Cluster.values`)."""
        self.clusters: dict[tuple[str, ...], Cluster] = {}
        self.free: set[int] = set()
        """Open positions where words disagreed (free text, names): a run of them may hold any number
        of words, so the family's template also reads lines of other lengths (`FamilyTree.stretch`)."""
        self.gen = 0
        """Bumped whenever `tokens` or `closed` change, so clusters recompute their text."""
        self._runs: list[tuple[int, int]] = []
        self._runs_gen = -1

    def free_runs(self) -> list[tuple[int, int]]:
        """``[start, end)`` of each run of open `<*>` positions holding at least one free position."""
        if self._runs_gen == self.gen:
            return self._runs
        runs: list[tuple[int, int]] = []
        start = -1
        tokens, values, free = self.tokens, self.values, self.free
        for pos in range(len(tokens) + 1):
            open_var = pos < len(tokens) and tokens[pos] == WILDCARD and pos not in values
            if open_var and start < 0:
                start = pos
            elif not open_var and start >= 0:
                if any(p in free for p in range(start, pos)):
                    runs.append((start, pos))
                start = -1
        self._runs, self._runs_gen = runs, self.gen
        return runs

    def agreement(self, shape: tuple[str, ...]) -> tuple[int, int]:
        """(agreeing, counted) positions: those holding a word on either side, and of them those
        where the shape repeats the family (the similarity is their ratio).

        Two `<*>` agree on nothing about which event a line is, so a position where both are
        variables does not count (unlike Drain, where it counts against): a line that is mostly
        variables is judged by its few words, not by its length. A word facing a `<*>` counts
        against, so a family of variables only does not swallow every line of its length. A
        closed position agrees on a value it has seen.
        """
        same = 0
        words = 0
        values = self.values
        display = self.display
        for pos, (mine, theirs) in enumerate(zip(self.tokens, shape, strict=True)):
            if (
                mine == theirs
                or (pos in values and theirs in values[pos])
                or ("=" in theirs and same_key(display[pos], theirs))
            ):
                if mine != WILDCARD:
                    same += 1
                    words += 1
            elif mine != WILDCARD or theirs != WILDCARD:
                words += 1
        return same, words

    def covers(self, shape: tuple[str, ...], fine: tuple[str, ...]) -> bool:
        """Whether the shape fits without learning: each token equal, under `<*>`, or a seen value,
        and each fine token read by the display (so the reported template matches the message)."""
        if len(shape) != len(self.tokens):
            return False
        for pos, (mine, theirs) in enumerate(zip(self.tokens, shape, strict=True)):
            shown = self.display[pos]
            if shown != fine[pos] and pos not in self.values and not spells(shown, fine[pos]):
                return False
            if mine == theirs:
                continue
            if pos in self.values:
                if theirs not in self.values[pos]:
                    return False
            elif mine != WILDCARD:
                return False
        return True

    def key_of(self, shape: tuple[str, ...]) -> tuple[str, ...]:
        """The closed-position values of a shape: which cluster of the family it belongs to."""
        return tuple(shape[pos] for pos in self.closed)

    def absorb(self, shape: tuple[str, ...], fine: tuple[str, ...], min_values: int) -> None:
        """Align a shape (coarse tokens, and the `fine` ones of the same message): open or close
        disagreeing positions, merging clusters when one opens; generalise the display."""
        display = self.display
        for pos, (mine, theirs) in enumerate(zip(display, fine, strict=True)):
            if mine != theirs:
                display[pos] = generalize(mine, theirs)
                self.gen += 1
        opened: list[int] = []
        newly_closed: dict[int, str] = {}
        changed = False
        for pos, (mine, theirs) in enumerate(zip(self.tokens, shape, strict=True)):
            seen = self.values.get(pos)
            if seen is not None:
                if theirs not in seen:
                    seen.add(theirs)
                    if len(seen) >= min_values:
                        opened.append(pos)
                        if not any(WILDCARD in v for v in seen):
                            self.free.add(pos)
                    elif any(same_slot(theirs, v) for v in seen if v != theirs):
                        opened.append(pos)
            elif mine != theirs and mine != WILDCARD:
                self.tokens[pos] = WILDCARD
                changed = True
                if same_slot(mine, theirs):
                    continue
                if min_values <= 2:
                    if WILDCARD not in mine and WILDCARD not in theirs:
                        self.free.add(pos)
                    continue
                self.values[pos] = {mine, theirs}
                newly_closed[pos] = mine
        if opened or newly_closed:
            self._reshape(opened, newly_closed)
        elif changed:
            self.gen += 1

    def open_positions(self, positions: list[int], display: dict[int, str]) -> None:
        """Make ``positions`` open variables (merging the clusters that differed only there), as free
        text when they held words; ``display`` gives the token each one shows."""
        opened = [pos for pos in positions if pos in self.values]
        for pos in positions:
            if self.tokens[pos] != WILDCARD or pos in self.values:
                self.free.add(pos)
            self.tokens[pos] = WILDCARD
        for pos, shown in display.items():
            self.display[pos] = shown
        if opened:
            self._reshape(opened, {})
        else:
            self.gen += 1

    def cluster_for(self, shape: tuple[str, ...]) -> Cluster:
        """The cluster for a shape already absorbed, created when its value combination is new."""
        key = self.key_of(shape)
        cluster = self.clusters.get(key)
        if cluster is None:
            cluster = self.clusters[key] = Cluster(self, key)
        return cluster

    def _reshape(self, opened: list[int], newly_closed: dict[int, str]) -> None:
        """Recompute closed positions and re-key clusters; clusters whose keys coincide merge.

        At a newly closed position every existing cluster holds the family's previous token.
        """
        old_closed = self.closed
        for pos in opened:
            del self.values[pos]
        self.closed = tuple(sorted(self.values))
        self.gen += 1
        old_index = {pos: i for i, pos in enumerate(old_closed)}
        merged: dict[tuple[str, ...], Cluster] = {}
        for old_key, cluster in self.clusters.items():
            key = tuple(old_key[old_index[pos]] if pos in old_index else newly_closed[pos] for pos in self.closed)
            survivor = merged.get(key)
            if survivor is None:
                cluster.values = key
                merged[key] = cluster
            else:
                survivor.count += cluster.count
                survivor.last_seen = max(survivor.last_seen, cluster.last_seen)
                cluster.merged_into = survivor
        self.clusters = merged


def _wildcard_regex(value: str) -> str:
    """A regex reading each `<*>` of a token as any text (`re` caches the compiled pattern)."""
    return ".*".join(re.escape(part) for part in value.split(WILDCARD))


def spells(pattern: str, token: str) -> bool:
    """Whether `pattern`, reading each `<*>` as any text, matches all of `token`."""
    return WILDCARD in pattern and re.fullmatch(_wildcard_regex(pattern), token, re.DOTALL) is not None


def same_key(a: str, b: str) -> bool:
    """Whether two tokens are values of one key (`user=alice`, `user=bob`): the key is structure, the value data."""
    cut = a.find("=")
    return 0 < cut < len(a) - 1 and b[: cut + 1] == a[: cut + 1] and len(b) > cut + 1


def same_slot(a: str, b: str) -> bool:
    """Whether two different tokens are one variable slot: a masked one can spell the other."""
    return spells(a, b) or spells(b, a)


#: Where a common end of two tokens may stop: a unit boundary (`masking`'s separators).
_BOUNDARY = frozenset(" =:,;()[]{}\"'<>_/\\@#|")


def generalize(a: str, b: str) -> str:
    """The most specific token that reads both masked tokens: their common ends around one `<*>`.

    `/<*>:<*>` and `<*>:<*>` give `<*>:<*>`; `[<*>]` and `[<*>,<*>]` give `[<*>]`; `blk_<*>` and
    `rdd_<*>` give `<*>`; `startup` and `shutdown` give `<*>`. A common end stops at a unit boundary
    and never inside a `<*>`, so the result reads both (and `<*>_<*>` collapses into one variable).
    """
    limit = min(len(a), len(b))
    head = 0
    while head < limit and a[head] == b[head]:
        head += 1
    head = _unsplit(a, head, forward=True)
    while head and a[head - 1] not in _BOUNDARY:
        head -= 1
    head = _unsplit(a, head, forward=True)
    tail = 0
    while tail < limit - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    start = _unsplit(a, len(a) - tail, forward=False)
    while start < len(a) and a[start] not in _BOUNDARY:
        start += 1
    start = _unsplit(a, start, forward=False)
    merged = collapse(a[:head] + WILDCARD + a[start:])
    return merged if balanced(merged) or not (balanced(a) and balanced(b)) else WILDCARD


_CLOSERS = {")": "(", "]": "[", "}": "{"}


def balanced(text: str) -> bool:
    """Whether every bracket of `text` has its partner, in order (a common end must not split a pair)."""
    stack: list[str] = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif ch in _CLOSERS and (not stack or stack.pop() != _CLOSERS[ch]):
            return False
    return not stack


def _unsplit(text: str, cut: int, forward: bool) -> int:
    """Move a cut of `text` out of any `<*>` it falls inside: back for a head, on for a tail."""
    start = text.rfind(WILDCARD, 0, cut)
    if start != -1 and start < cut < start + len(WILDCARD):
        return start if forward else start + len(WILDCARD)
    return cut

"""Which grok expressions can backtrack catastrophically in stdlib `re`: a static rule, no clocks.

`re` cannot be interrupted, so an expression that can take exponential (or high-degree polynomial)
time on some line runs through `regex` under a time budget instead (``Grok.pathological``). This
module decides that from the expression's parse tree, the one `re` itself compiles (``re._parser``,
private but stable in 3.11-3.13), so an expression gets the same answer on every machine and in
every run. A tree it cannot read, or cannot analyse within ``STEP_BUDGET`` counted steps, counts as
pathological: the safe side.

**Exponential: a repeat that can share out the same text in two ways.** When what follows a repeat
``B{m,n}`` (n > 1) fails, the engine retries every way the iterations of ``B`` can divide the text
between them; that is exponential exactly when ``B*`` can read some text in two different ways from
a position back to the same position (its automaton is *exponentially ambiguous*). The check builds
the position automaton of ``B``, one position per character set, counting the ways each step can be
taken (``(a+)+`` goes from ``a`` to ``a`` by the inner loop and by the outer one: two ways), and
looks in the product automaton (pairs of positions that can read the same character) for a cycle
through a diagonal pair and a point where two paths part. That finds nested quantifiers whose inner
run can take what starts or ends the next iteration (``(a+)+$``, ``(\\w+\\s?)*$``, ``(.*a){12}``),
alternatives that can read the same text (``(a|aa)+$``, ``(?:%{IP} )+$``: IPV6 reads ``1::1`` six
ways), and leaves alone iterations that something keeps apart (``(?:\\.[a-z0-9-]{0,62})*``: the dot,
which the run cannot take) or alternatives that only start alike (``(?:\\d|1x)+``). Counted inner
repeats are unrolled while small (``\\d{2}`` is two positions), larger ones are read as loops.

**Polynomial: unbounded repeats in a row that can share out one repeated text** (``\\s*\\s*\\s*$``,
``.*.*.*x``, ``.*a.*a.*x``): every way of dividing it between them is tried, the cube of the line's
length for three. What stands between them must be optional, or able to read a character of that
text (the ``a`` above; not the commas of ``[^,]*,[^,]*,[^,]*x``). And what follows must be able to
fail on that text: three quoted ``%{DATA}`` fields share a text that holds a quote, so the last one
closes at once. Two in a row are allowed (``%{DATA} %{GREEDYDATA}``: the square of at most
``LONG_LINE`` characters); searched expressions (enrich rules) are tried at every position, one
degree more, so there two are flagged.

Either matters only when something after the repeat can fail: a repeat at the end of the expression,
or at the end of an atomic group, succeeds the first time and is never re-entered, unless it needs
more iterations than the text holds (``(.*a){12}`` tries every way of placing eleven ``a`` before
it gives up: more than POLY_DEGREE iterations needed count). A few iterations of a body without
unbounded repeats (at most ``FEW``) have a fixed number of ways, and two of one with them are like
two runs in a row. Possessive repeats and atomic groups are not backtracked into: two paths
that are in one together go on together, and a possessive run of one set only leaves on a character
it cannot take. Look-arounds are atomic too, and match nothing; anchors and ``\\b`` are read as
matching nothing, which can only make the rule more careful. Character sets are bit masks: ASCII
exactly (categories as `re` itself reads them, negated classes, IGNORECASE), the rest of Unicode in
four kinds (digits, other word characters, spaces, the others), so an overlap is never missed.

Cost: one parse and walks linear in the tree, plus, per repeat whose body has alternatives, optional
parts or nested repeats, a product automaton of the body's positions. Grok expressions are library
patterns inside library patterns, so each group's text is parsed once and its tree shared (below).
"""

from __future__ import annotations

import importlib
import re
import threading
from typing import Any, Final

try:
    _sre: Any = importlib.import_module("re._parser")
    _con: Any = importlib.import_module("re._constants")
except ImportError:  # pragma: no cover - a future Python without the private parser
    _sre = None
    _con = None


def _op(name: str) -> Any:
    """One of re._parser's opcodes (compared by identity, as `re` does), or a stand-in that matches nothing."""
    return getattr(_con, name, object()) if _con is not None else object()


_LITERAL: Final = _op("LITERAL")
_NOT_LITERAL: Final = _op("NOT_LITERAL")
_ANY: Final = _op("ANY")
_IN: Final = _op("IN")
_AT: Final = _op("AT")
_BRANCH: Final = _op("BRANCH")
_SUBPATTERN: Final = _op("SUBPATTERN")
_MAX_REPEAT: Final = _op("MAX_REPEAT")
_MIN_REPEAT: Final = _op("MIN_REPEAT")
_POSSESSIVE_REPEAT: Final = _op("POSSESSIVE_REPEAT")
_ATOMIC_GROUP: Final = _op("ATOMIC_GROUP")
_ASSERT: Final = _op("ASSERT")
_ASSERT_NOT: Final = _op("ASSERT_NOT")
_GROUPREF: Final = _op("GROUPREF")
_GROUPREF_EXISTS: Final = _op("GROUPREF_EXISTS")
_NEGATE: Final = _op("NEGATE")
_RANGE: Final = _op("RANGE")
_CATEGORY: Final = _op("CATEGORY")
_MAXREPEAT: Final = int(_con.MAXREPEAT) if _con is not None else 1 << 32

STEP_BUDGET: Final = 100_000  # automaton and product steps per expression (tens of ms); past it: pathological
WIDE: Final = 64  # a counted repeat with at least this many optional iterations counts as unbounded
UNROLL: Final = 16  # inner repeats are unrolled exactly up to this many positions (twice that for one set)
POLY_DEGREE: Final = 3  # unbounded repeats in a chain that are too many (one less when searching)
FEW: Final = 10  # iterations of a body without unbounded repeats that can be tried every way
MAX_DEPTH: Final = 200  # groups nested deeper are not read (a bound of its own, not Python's recursion limit)
_CACHE_SIZE: Final = 1024

# What `explain` says.
EXPONENTIAL: Final = "a repeat can match the same text in two ways across its iterations (exponential backtracking)"
POLYNOMIAL: Final = "unbounded repeats in a row can share out the same text (polynomial backtracking)"
UNREADABLE: Final = "its parse tree could not be read"
TOO_LARGE: Final = "it is too large to analyse within the step budget"

_IGNORECASE: Final = 2
_DEFAULT_FLAGS: Final = 32  # UNICODE, what a str expression gets without inline flags
_DOTALL: Final = 16
_ASCII: Final = 256

# Character sets are bit masks: bit i for ASCII code point i, and four bits for the rest of Unicode, by
# what the categories say of a character: a digit (\d, also \w), another word character, a space, or
# none of these. Those four split every non-ASCII character exactly one way, so a set over them is never
# thinner than the characters it stands for (a single é stands for all non-ASCII letters).
_NA_DIGIT: Final = 1 << 128
_NA_WORD: Final = 1 << 129
_NA_SPACE: Final = 1 << 130
_NA_OTHER: Final = 1 << 131
NONASCII: Final = _NA_DIGIT | _NA_WORD | _NA_SPACE | _NA_OTHER
ALL_ASCII: Final = (1 << 128) - 1
FULL: Final = ALL_ASCII | NONASCII
_UPPER: Final = ((1 << 26) - 1) << 65
_LOWER: Final = ((1 << 26) - 1) << 97
_NEWLINE: Final = 1 << 10

# Node kinds of the tree the rule reads (built from re._parser's).
_CHAR: Final = 0  # one character from `mask`
_ZERO: Final = 1  # zero-width; `fails` tells whether it can fail (anchors, look-arounds)
_SEQ: Final = 2
_ALT: Final = 3
_REPEAT: Final = 4  # lo..hi of kids[0]; hi == INF when unbounded
_BLOCK: Final = 5  # an atomic group (or a backreference): what it matched is not tried again
INF: Final = 1 << 40

_GREEDY: Final = 0
_LAZY: Final = 1
_POSSESSIVE: Final = 2

# Anchors, kept on _ZERO nodes (`mode`) for the automaton: what they ask of the characters around them.
_NO_ANCHOR: Final = 0  # a look-around, or nothing
_BOUNDARY: Final = 1  # \b: a word character on one side only (`word` holds the word characters)
_NOT_BOUNDARY: Final = 2  # \B
_END: Final = 3  # $: only a newline may follow
_END_STRING: Final = 4  # \Z: nothing may follow
_BEGIN: Final = 5  # ^ and \A: nothing may come before
_BEGIN_LINE: Final = 6  # ^ in MULTILINE: only a newline may come before
_MULTILINE: Final = 8


class _Unreadable(Exception):
    """The tree has a shape the rule does not know."""


class _OverBudget(Exception):
    """The analysis would take more than STEP_BUDGET steps."""


def _category_masks() -> tuple[dict[str, int], dict[str, int]]:
    """\\d \\D \\s \\S \\w \\W as masks, their ASCII part read from `re` itself (Unicode and ASCII mode)."""
    uni: dict[str, int] = {}
    asc: dict[str, int] = {}
    for name, escape, beyond in (
        ("CATEGORY_DIGIT", r"\d", _NA_DIGIT),
        ("CATEGORY_NOT_DIGIT", r"\D", _NA_WORD | _NA_SPACE | _NA_OTHER),
        ("CATEGORY_SPACE", r"\s", _NA_SPACE),
        ("CATEGORY_NOT_SPACE", r"\S", _NA_DIGIT | _NA_WORD | _NA_OTHER),
        ("CATEGORY_WORD", r"\w", _NA_DIGIT | _NA_WORD),
        ("CATEGORY_NOT_WORD", r"\W", _NA_SPACE | _NA_OTHER),
    ):
        unicode_bits = ascii_bits = 0
        for code in range(128):
            if re.fullmatch(escape, chr(code)) is not None:
                unicode_bits |= 1 << code
            if re.fullmatch(escape, chr(code), re.ASCII) is not None:
                ascii_bits |= 1 << code
        uni[name] = unicode_bits | beyond
        asc[name] = ascii_bits | (NONASCII if "NOT" in name else 0)  # ASCII mode: \d \s \w stop at ASCII
    return uni, asc


_UNI_CATEGORIES, _ASCII_CATEGORIES = _category_masks()


def _fold(mask: int) -> int:
    """Close a set under IGNORECASE: both cases of ASCII letters, and non-ASCII look-alikes (the Kelvin sign)."""
    if not mask & (_UPPER | _LOWER):
        return mask
    return mask | ((mask & _UPPER) << 32) | ((mask & _LOWER) >> 32) | _NA_WORD


def _code(code: int, flags: int) -> int:
    if code < 128:
        bit = 1 << code
        return _fold(bit) if flags & _IGNORECASE else bit
    char = chr(code)
    if re.fullmatch(r"\d", char):
        kind = _NA_DIGIT
    elif re.fullmatch(r"\w", char):
        kind = _NA_WORD
    elif re.fullmatch(r"\s", char):
        kind = _NA_SPACE
    else:
        kind = _NA_OTHER
    # Under IGNORECASE some letters fold to ASCII ones (the Kelvin sign to k).
    return kind | (_UPPER | _LOWER if flags & _IGNORECASE and kind == _NA_WORD else 0)


def _range(lo: int, hi: int, flags: int) -> int:
    mask = 0
    if lo < 128:
        top = min(hi, 127)
        mask = ((1 << (top + 1)) - 1) ^ ((1 << lo) - 1)
    if hi >= 128:
        mask |= NONASCII | (_UPPER | _LOWER if flags & _IGNORECASE else 0)
    return _fold(mask) if flags & _IGNORECASE else mask


def _category(name: str, flags: int) -> int:
    table = _ASCII_CATEGORIES if flags & _ASCII else _UNI_CATEGORIES
    found = table.get(name)
    return FULL if found is None else found  # an unknown category may be anything


def _negated(mask: int, covered: int, flags: int) -> int:
    """The complement: exact over ASCII; of the non-ASCII kinds, all but those ``covered`` whole (by a category)."""
    out = (ALL_ASCII & ~mask) | (NONASCII & ~covered)
    return _fold(out) if flags & _IGNORECASE else out


def _charset(items: Any, flags: int) -> int:
    mask = 0
    covered = 0  # non-ASCII kinds in the set whole: a category holds all of its kinds, a literal or range not
    negate = False
    for op, av in items:
        if op is _NEGATE:
            negate = True
        elif op is _LITERAL:
            mask |= _code(int(av), flags)
        elif op is _RANGE:
            mask |= _range(int(av[0]), int(av[1]), flags)
        elif op is _CATEGORY:
            found = _category(str(av), flags)
            mask |= found
            covered |= found & NONASCII
        else:
            raise _Unreadable(str(op))
    return _negated(mask, covered, flags) if negate else mask


class _Node:
    """One node of the tree the rule reads, with what the checks need computed bottom-up."""

    __slots__ = (
        "ambiguous",
        "depth",
        "fails",
        "first",
        "found",
        "hi",
        "kids",
        "kind",
        "lo",
        "loops",
        "mask",
        "mode",
        "nulls",
        "repeats",
        "size",
        "steps",
        "walked",
        "word",
    )

    kind: int
    mask: int  # the characters any match of the node can contain
    first: int  # the characters a match can start with
    lo: int
    hi: int
    mode: int
    kids: list[_Node]
    nulls: int  # ways to match the empty string, capped at 2
    fails: bool  # can the node fail where it is tried (rather than always match, if only empty)
    size: int  # positions of its automaton, about
    repeats: bool  # does it hold a repeat that can backtrack over several iterations (what `walk` checks)?
    loops: int  # how many unbounded repeats it holds, as `chains` counts them (the least it can meet)
    # Trees of groups are shared between expressions, so what the checks found in a node is kept on it:
    # a repeat's ambiguity and the steps it took, and `walk`'s finding and steps for each `tail` and mode. Steps
    # are charged again each time, so an expression costs the same steps whatever was checked before it.
    ambiguous: bool
    steps: int  # -1: not known yet
    walked: list[int]  # steps, by tail False and True, matched and searched; -1: not walked yet
    found: list[str | None]
    word: int  # an anchor's word characters (\\b, \\B)
    depth: int  # how deeply nodes nest below it

    def __init__(
        self, kind: int, kids: list[_Node], mask: int = 0, lo: int = 1, hi: int = 1, mode: int = 0, fails: bool = True
    ) -> None:
        self.kind = kind
        self.word = 0
        self.kids = kids
        self.lo = lo
        self.hi = hi
        self.mode = mode
        self.ambiguous = False
        self.steps = -1
        self.walked = [-1, -1, -1, -1]
        self.found = [None, None, None, None]
        self.depth = 1 + max((kid.depth for kid in kids), default=0)
        repeats = False
        loops = 0
        nulls = 1
        size = 0
        first = mask
        if kind == _CHAR:
            nulls, size = 0, 1
        elif kind == _ZERO:  # an anchor or a look-around (can fail), or nothing at all (cannot)
            mask = first = 0
            for kid in kids:  # a look-around's content
                repeats, loops = kid.repeats, kid.loops
        elif kind in (_SEQ, _ALT):
            seq = kind == _SEQ
            nulls = 1 if seq else 0
            fails = not seq
            first = 0
            for kid in kids:
                if nulls or not seq:
                    first |= kid.first
                mask |= kid.mask
                size += kid.size
                repeats = repeats or kid.repeats
                loops += kid.loops
                if seq:
                    nulls = min(2, nulls * kid.nulls)
                    fails = fails or kid.fails
                else:
                    nulls = min(2, nulls + kid.nulls)
                    fails = fails and kid.fails
        else:
            body = kids[0]
            repeats, loops, size = body.repeats, body.loops, body.size
            first = body.first if hi > 0 else 0
            if kind == _BLOCK:
                mask, nulls, fails, size = body.mask, min(1, body.nulls), body.fails, 1
            else:
                mask = body.mask if hi > 0 else 0
                if mode == _POSSESSIVE:
                    nulls = 1 if lo == 0 or body.nulls else 0
                elif lo == 0:
                    # zero iterations; an empty iteration adds a way only for `x?` (loops stop on one)
                    nulls = min(2, 1 + body.nulls) if hi == 1 else 1
                else:
                    nulls = body.nulls
                fails = lo > 0 and body.fails
                if mode != _POSSESSIVE:
                    repeats = repeats or hi > 1
                    if hi - lo >= WIDE:
                        loops += 1
                    else:  # `chains` goes through up to POLY_DEGREE iterations
                        loops *= min(hi, POLY_DEGREE)
        self.mask = mask
        self.first = first
        self.nulls = nulls
        self.fails = fails
        self.size = size
        self.repeats = repeats
        self.loops = loops


def _convert(items: Any, flags: int, groups: _Groups | None) -> _Node:
    """re._parser's tree to ours; with ``groups``, placeholder characters stand for the trees of groups."""
    kids: list[_Node] = []
    for op, av in getattr(items, "data", items):  # a SubPattern's list, or a list
        if op is _LITERAL:
            code = int(av)
            if groups is not None and code >= _PLACEHOLDER:
                kids.append(groups.trees[code - _PLACEHOLDER])
            else:
                kids.append(_Node(_CHAR, [], _code(code, flags)))
        elif op is _NOT_LITERAL:
            kids.append(_Node(_CHAR, [], _negated(_code(int(av), flags), 0, flags)))
        elif op is _ANY:
            kids.append(_Node(_CHAR, [], FULL if flags & _DOTALL else FULL & ~_NEWLINE))
        elif op is _IN:
            kids.append(_Node(_CHAR, [], _charset(av, flags)))
        elif op is _AT:
            kids.append(_anchor(str(av), flags))
        elif op is _BRANCH:
            kids.append(_Node(_ALT, [_convert(branch, flags, groups) for branch in av[1]]))
        elif op is _SUBPATTERN:
            _group, add, remove, sub = av
            kids.append(_convert(sub, (flags | int(add)) & ~int(remove), groups))
        elif op is _MAX_REPEAT or op is _MIN_REPEAT or op is _POSSESSIVE_REPEAT:
            lo, hi, sub = av
            mode = _GREEDY if op is _MAX_REPEAT else _LAZY if op is _MIN_REPEAT else _POSSESSIVE
            top = INF if int(hi) >= _MAXREPEAT else int(hi)
            kids.append(_Node(_REPEAT, [_convert(sub, flags, groups)], 0, int(lo), top, mode))
        elif op is _ATOMIC_GROUP:
            kids.append(_Node(_BLOCK, [_convert(av, flags, groups)]))
        elif op is _ASSERT or op is _ASSERT_NOT:
            # Matches nothing here; its content is checked on its own (look-arounds are atomic).
            kids.append(_Node(_ZERO, [_convert(av[1], flags, groups)]))
        elif op is _GROUPREF:
            anything = _Node(_REPEAT, [_Node(_CHAR, [], FULL)], 0, 0, INF, _GREEDY)
            kids.append(_Node(_BLOCK, [anything]))  # the text of a group: one step, of any characters
        elif op is _GROUPREF_EXISTS:
            _group, yes, no = av
            other = _convert(no, flags, groups) if no is not None else _Node(_ZERO, [], fails=False)
            kids.append(_Node(_ALT, [_convert(yes, flags, groups), other]))
        else:
            raise _Unreadable(str(op))
    if not kids:
        return _Node(_ZERO, [], fails=False)
    return kids[0] if len(kids) == 1 else _Node(_SEQ, kids)


def _anchor(name: str, flags: int) -> _Node:
    node = _Node(_ZERO, [])
    if "BOUNDARY" in name:
        node.mode = _NOT_BOUNDARY if name.endswith("NON_BOUNDARY") else _BOUNDARY
        node.word = _category("CATEGORY_WORD", flags)
    elif name == "AT_END_STRING":
        node.mode = _END_STRING
    elif name in ("AT_END", "AT_END_LINE"):
        node.mode = _END
    elif name == "AT_BEGINNING_STRING" or (name == "AT_BEGINNING" and not flags & _MULTILINE):
        node.mode = _BEGIN
    elif name in ("AT_BEGINNING", "AT_BEGINNING_LINE"):
        node.mode = _BEGIN_LINE
    return node  # anything else asks nothing the rule knows of: read as matching nothing


def _full_tree(expression: str) -> _Node:
    """The expression's tree from one parse of the whole. Raises _Unreadable when `re`'s tree is not as expected."""
    if _sre is None:
        raise _Unreadable("re._parser")
    try:
        tree = _sre.parse(expression)
        return _convert(tree, int(tree.state.flags), None)
    except _Unreadable:
        raise
    except Exception as exc:  # a tree shaped otherwise than in 3.11-3.13, or not an `re` expression
        raise _Unreadable(type(exc).__name__) from None


# Grok expressions are library patterns inside library patterns: %{IPV6} is the same 700 characters in
# every expression that takes an IP. Parsing each group's text once, and every group in it as a
# placeholder, costs a quarter of parsing every expression whole. A placeholder is a capturing group
# around one private-use character (capturing groups are never spliced into their surroundings by
# `re`'s parser), which stands for the group's tree. Groups whose content is one character set stay as
# they are: `re` merges single-character alternatives into one set (`(?:a)|(?:b)` is `[ab]`), and so
# must the rule. `re` also factors a common first item out of alternatives (`ab|ac` is `a[bc]`), which
# it cannot do through a placeholder; an alternative left unfactored reads the same texts, in as many
# ways or more, so the rule can only be more careful there, never less.
_PLACEHOLDER: Final = 0xF0000  # supplementary private use area A
_PLACEHOLDERS: Final = 0xFFFE - 1
_NOT_OURS: Final = re.compile(r"[\U000F0000-\U000FFFFF]")
# The next parenthesis, past escapes and character classes (read as `re` reads them: a `]` first is literal).
_UNTIL_PAREN: Final = r"(?:[^\\\[()]++|\\.|\[\^?\]?(?:[^\]\\]++|\\.)*+\])*+"
_PAREN: Final = re.compile(_UNTIL_PAREN + "([()])", re.DOTALL)
_NO_PAREN: Final = re.compile(_UNTIL_PAREN, re.DOTALL)
_BACKREFERENCE: Final = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")  # (or an escaped backslash and a digit: parsed whole)
_FLAGS_GROUP: Final = re.compile(r"\?[aiLmsux]*(?:-[imsx]+)?:")
_SUBSTITUTE: Final = 0  # (?:...), (?P<name>...), (...): the content stands for itself anywhere
_RECURSE: Final = 1  # (?=...), (?!...), (?>...): kept, placeholders inside
_VERBATIM: Final = 2  # look-behinds (fixed width) and flag groups (other flags): kept as written


class _NoSplit(Exception):
    """The expression has something a placeholder could change (a backreference, global flags): parse it whole."""


class _Groups:
    """Trees of group contents met so far, by their text; ids are placeholder characters."""

    __slots__ = ("ids", "starts", "trees")

    ids: dict[str, int]  # content -> placeholder id, or -1: a character set, kept as written
    trees: list[_Node]
    starts: dict[str, list[str]]  # the first _PREFIX characters of longer contents -> those contents

    def __init__(self) -> None:
        self.ids = {}
        self.trees = []
        self.starts = {}

    def known(self, text: str, start: int) -> str | None:
        """A known content that starts at ``start`` and is closed right after: no need to scan it again.

        (Contents are balanced, so a known one followed by `)` is exactly the group's content.)
        """
        for content in self.starts.get(text[start : start + _PREFIX], ()):
            if text.startswith(content, start) and text.startswith(")", start + len(content)):
                return content
        return None

    def add(self, content: str, tree: _Node) -> None:
        if len(self.trees) >= _PLACEHOLDERS:
            raise _NoSplit
        if tree.kind == _CHAR:
            self.ids[content] = -1
        else:
            self.ids[content] = len(self.trees)
            self.trees.append(tree)
        if len(content) >= _PREFIX:
            self.starts.setdefault(content[:_PREFIX], []).append(content)

    def clear(self) -> None:
        self.ids.clear()
        self.trees.clear()
        self.starts.clear()


_PREFIX: Final = 24
_groups = _Groups()


def _split_tree(expression: str) -> _Node:
    if _NOT_OURS.search(expression) is not None:
        raise _NoSplit
    if _BACKREFERENCE.search(expression) is not None:
        raise _NoSplit  # group numbers and names must stay as they are
    skeleton, _ = _scan(expression, 0, 0)
    return _parse_skeleton(skeleton)


def _scan(text: str, pos: int, depth: int) -> tuple[str, int]:
    """``text`` from ``pos`` to the `)` that closes the group it is in (``depth`` groups deep) or to the end,
    with each group in it as a placeholder; and where it ends."""
    if depth > MAX_DEPTH:
        raise _Unreadable("nested too deeply")
    nested = depth > 0
    out: list[str] = []
    done = pos
    while True:
        m = _PAREN.match(text, pos)
        if m is None:
            if nested or _NO_PAREN.fullmatch(text, pos) is None:
                raise _NoSplit  # unbalanced, or a class left open: the whole parse says what is wrong
            out.append(text[done:])
            return "".join(out), len(text)
        at = m.end() - 1
        out.append(text[done:at])
        if m.group(1) == ")":
            if not nested:
                raise _NoSplit
            return "".join(out), at
        kind, head = _opening(text, at)
        start = at + head
        if kind == _SUBSTITUTE:
            content = _groups.known(text, start)
            if content is None:
                inner, close = _scan(text, start, depth + 1)
                content = text[start:close]
                if content not in _groups.ids:
                    _groups.add(content, _parse_skeleton(inner))
            else:
                close = start + len(content)
            found = _groups.ids[content]
            out.append(f"({chr(_PLACEHOLDER + found)})" if found >= 0 else text[at : close + 1])
        elif kind == _RECURSE:
            inner, close = _scan(text, start, depth + 1)
            out.append(text[at:start])
            out.append(inner)
            out.append(")")
        else:
            close = _close(text, start)
            out.append(text[at : close + 1])
        pos = done = close + 1


def _close(text: str, pos: int) -> int:
    """Where the group whose content starts at ``pos`` closes."""
    depth = 0
    while True:
        m = _PAREN.match(text, pos)
        if m is None:
            raise _NoSplit
        pos = m.end()
        if m.group(1) == "(":
            depth += 1
        elif depth:
            depth -= 1
        else:
            return pos - 1


def _opening(text: str, i: int) -> tuple[int, int]:
    """What kind of group opens at ``i``, and how long its opening is."""
    if text[i + 1 : i + 2] != "?":
        return _SUBSTITUTE, 1
    two = text[i + 1 : i + 3]
    if two == "?:":
        return _SUBSTITUTE, 3
    if two in ("?=", "?!", "?>"):
        return _RECURSE, 3
    if text.startswith("?P<", i + 1):
        end = text.find(">", i)
        if end < 0:
            raise _NoSplit
        return _SUBSTITUTE, end + 1 - i
    if text.startswith("?<=", i + 1) or text.startswith("?<!", i + 1):
        return _VERBATIM, 1
    flags = _FLAGS_GROUP.match(text, i + 1)
    if flags is not None and flags.end() > i + 2:
        return _VERBATIM, 1
    raise _NoSplit  # global flags, comments, conditionals, named backreferences


def _parse_skeleton(skeleton: str) -> _Node:
    assert _sre is not None
    try:
        tree = _sre.parse(skeleton)
        flags = int(tree.state.flags)
    except Exception:  # not valid on its own (or a tree shaped otherwise): parse the whole expression
        raise _NoSplit from None
    if flags & ~_DEFAULT_FLAGS:
        raise _NoSplit
    try:
        return _convert(tree, flags, _groups)
    except _Unreadable:
        raise _NoSplit from None


def _tree(expression: str) -> _Node:
    """The expression's tree as the rule reads it; _Unreadable when it cannot be read."""
    if _sre is None:
        raise _Unreadable("re._parser")
    if len(_groups.trees) > _CACHE_SIZE * 8:
        _groups.clear()
    try:
        return _split_tree(expression)
    except _NoSplit:
        return _full_tree(expression)


class _Automaton:
    """The position automaton of one repeat's body: a state per character set, steps counted with their ways.

    Positions inside an atomic group or a possessive repeat are ``fixed``, and the steps made inside
    one are ``inner``: from a fixed position the engine goes on one way only (the one it found first),
    so two paths at the same fixed position at the same time go on together, until they leave. A
    possessive run of one character set (``[^:\\s]++``, ``(?>a+)``) only leaves on a character it
    cannot take: the steps out of it are ``barred`` from its set. Anchors are positions of no width
    (``zero``) until ``settle`` replaces each by steps from what comes before it to what comes after,
    kept only where the characters on both sides can be as it asks.
    """

    __slots__ = ("barred", "budget", "fixed", "follow", "greedy", "inner", "inside", "masks", "zero")

    masks: list[int]
    follow: list[dict[int, int]]  # position -> next position -> ways (1, or 2 for "two or more")
    inner: list[dict[int, int]]  # the same, for steps inside an atomic group or possessive repeat
    barred: list[dict[int, int]]  # position -> next position -> characters that step cannot read
    greedy: dict[int, int]  # the position of a possessive run -> its set
    fixed: list[bool]
    zero: dict[int, _Node]  # anchor positions -> their anchor
    inside: int  # how many atomic groups and possessive repeats the positions being made are in
    budget: _Budget

    def __init__(self, budget: _Budget) -> None:
        self.masks = []
        self.follow = []
        self.inner = []
        self.barred = []
        self.greedy = {}
        self.fixed = []
        self.zero = {}
        self.inside = 0
        self.budget = budget

    def _position(self, mask: int) -> dict[int, int]:
        self.budget.spend(1)
        self.masks.append(mask)
        self.follow.append({})
        self.inner.append({})
        self.barred.append({})
        self.fixed.append(self.inside > 0)
        return {len(self.masks) - 1: 1}

    def link(self, last: dict[int, int], first: dict[int, int]) -> None:
        self.budget.spend(len(last) * len(first))
        inside = self.inside > 0
        for p, ways in last.items():
            out = self.inner[p] if inside else self.follow[p]
            run = 0 if inside else self.greedy.get(p, 0)
            for q, more in first.items():
                out[q] = min(2, out.get(q, 0) + ways * more)
                if run:
                    self.barred[p][q] = self.barred[p].get(q, 0) | run

    def settle(self) -> None:
        """Replace each anchor by steps past it (see the class)."""
        for z, anchor in self.zero.items():
            n = len(self.masks)
            self.budget.spend(n)
            after = [(q, ways, self.barred[z].get(q, 0)) for q, ways in self.follow[z].items()]
            after += [(q, ways, 0) for q, ways in self.inner[z].items()]
            for p in range(n):
                for steps, is_inner in ((self.follow[p], False), (self.inner[p], True)):
                    ways_in = steps.pop(z, 0)
                    if not ways_in:
                        continue
                    bar_in = 0 if is_inner else self.barred[p].pop(z, 0)
                    self.budget.spend(len(after))
                    for q, ways_out, bar_out in after:
                        bar = _anchor_bar(anchor, self.masks[p], p in self.zero or q in self.zero)
                        if bar < 0:
                            continue  # the anchor cannot hold between these two
                        steps[q] = min(2, steps.get(q, 0) + ways_in * ways_out)
                        bar |= bar_in | bar_out
                        if bar and not is_inner:
                            self.barred[p][q] = self.barred[p].get(q, 0) | bar
            self.follow[z].clear()
            self.inner[z].clear()

    def build(self, node: _Node) -> tuple[dict[int, int], dict[int, int], int]:
        """(first positions, last positions, ways to match empty), each position with its number of ways."""
        kind = node.kind
        if kind == _CHAR:
            first = self._position(node.mask)
            return first, dict(first), 0
        if kind == _ZERO:
            if node.mode == _NO_ANCHOR:
                return {}, {}, 1
            first = self._position(0)
            self.zero[len(self.masks) - 1] = node
            return first, dict(first), 0
        if kind == _BLOCK or (kind == _REPEAT and node.mode == _POSSESSIVE):
            self.inside += 1
            first, last, nulls = self.build(node.kids[0]) if kind == _BLOCK else self._repeat(node)
            self.inside -= 1
            run = node.kids[0] if kind == _BLOCK else node
            if run.kind == _REPEAT and run.mode != _LAZY and run.hi == INF and run.kids[0].kind == _CHAR:
                for p in last:
                    self.greedy[p] = run.kids[0].mask
            return _once(first), _once(last), min(1, nulls)  # in and out one way: the one found first
        if kind == _SEQ:
            return self._seq(node.kids)
        if kind == _ALT:
            return self._alt(node.kids)
        return self._repeat(node)

    def _seq(self, kids: list[_Node]) -> tuple[dict[int, int], dict[int, int], int]:
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        nulls = 1
        for kid in kids:
            f, kid_last, n = self.build(kid)
            self.link(last, f)
            if nulls:
                _add(first, f, nulls)
            if n:
                _add(kid_last, last, n)
            last = kid_last
            nulls = min(2, nulls * n)
        return first, last, nulls

    def _alt(self, kids: list[_Node]) -> tuple[dict[int, int], dict[int, int], int]:
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        nulls = 0
        for kid in kids:
            f, la, n = self.build(kid)
            _add(first, f, 1)
            _add(last, la, 1)
            nulls = min(2, nulls + n)
        return first, last, nulls

    def _repeat(self, node: _Node) -> tuple[dict[int, int], dict[int, int], int]:
        body = node.kids[0]
        lo, hi = node.lo, node.hi
        if hi == 0:
            return {}, {}, 1
        if hi == 1:
            f, la, n = self.build(body)
            return f, la, min(2, n + 1) if lo == 0 else n
        if hi < INF and (body.size * hi <= UNROLL or (body.kind == _CHAR and hi <= 2 * UNROLL)):
            # Exactly: lo copies, then hi - lo nested optional ones (b(b(b)?)?)?, which add no ambiguity.
            first: dict[int, int] = {}
            last: dict[int, int] = {}
            nulls = 1
            for _ in range(lo):
                f, la, n = self.build(body)
                self.link(last, f)
                if nulls:
                    _add(first, f, nulls)
                if n:
                    _add(la, last, n)
                last, nulls = la, min(2, nulls * n)
            tail_first: dict[int, int] = {}
            chain_last: list[dict[int, int]] = []
            prev_last = last
            for i in range(hi - lo):
                f, la, n = self.build(body)
                self.link(prev_last, f)
                if i == 0:
                    tail_first = f
                chain_last.append(la)
                prev_last = la
            # Any optional copy can be the last one; the first optional copy can follow the mandatory part.
            out_last = dict(last)
            for la in chain_last:
                _add(out_last, la, 1)
            if nulls:
                _add(first, tail_first, nulls)
            return first, out_last, nulls
        # As a loop: one copy whose end leads back to its start.
        f, la, n = self.build(body)
        self.link(la, f)
        return f, la, 1 if lo == 0 else min(1, n)


def _anchor_bar(anchor: _Node, before: int, unknown: bool) -> int:
    """What an anchor bars the character after it from, given the characters before it; -1: it never holds."""
    kind = anchor.mode
    if kind == _END:
        return FULL & ~_NEWLINE
    if kind in (_END_STRING, _BEGIN):
        return -1
    if kind == _BEGIN_LINE:
        return 0 if before & _NEWLINE or unknown else -1
    word = anchor.word
    if unknown or (before & word and before & ~word):
        return 0  # either side may be a word character: no bar to say
    inside_word = bool(before & word)  # every character before is a word character (or none is)
    if kind == _BOUNDARY:
        return word if inside_word else FULL & ~word
    return FULL & ~word if inside_word else word


def _once(ways: dict[int, int]) -> dict[int, int]:
    return {position: 1 for position in ways}


def _add(into: dict[int, int], more: dict[int, int], times: int) -> None:
    for p, ways in more.items():
        into[p] = min(2, into.get(p, 0) + ways * times)


class _Budget:
    __slots__ = ("left",)

    left: int

    def __init__(self, steps: int) -> None:
        self.left = steps

    def spend(self, steps: int) -> None:
        self.left -= steps
        if self.left < 0:
            raise _OverBudget


def _exponentially_ambiguous(body: _Node, budget: _Budget) -> bool:
    """Can ``body*`` read some text two ways and come back to the same position (EDA)?"""
    auto = _Automaton(budget)
    first, last, _ = auto.build(body)
    auto.link(last, first)
    auto.settle()
    masks = auto.masks
    if _deterministic(auto):
        return False
    n = len(masks)
    # Tarjan's strongly connected components over pairs (p, q), p <= q, of positions reading the same
    # character, explored from the diagonal. Iterative, so deep automata do not hit the recursion limit.
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    component: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    doubled: list[tuple[int, int]] = []  # diagonal steps that can be taken two ways
    counter = 0
    components = 0
    for start in range(n):
        root = start * n + start
        if root in index:
            continue
        work: list[tuple[int, list[int], int]] = [(root, _pairs(root, auto, doubled), 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, succ, i = work[-1]
            if i < len(succ):
                work[-1] = (node, succ, i + 1)
                nxt = succ[i]
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, _pairs(nxt, auto, doubled), 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members: list[int] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = components
                    members.append(member)
                    if member == node:
                        break
                components += 1
                if any(m // n == m % n for m in members) and any(m // n != m % n for m in members):
                    return True  # two paths part from a position and meet again on it, reading the same text
    return any(component[a] == component[b] for a, b in doubled)


def _deterministic(auto: _Automaton) -> bool:
    """From every position, each character leads on one way at most: no two paths can part.

    (Inside an atomic part two paths go on together; they can only part on leaving it.)
    """
    masks = auto.masks
    for p, targets in enumerate(auto.follow):
        barred = auto.barred[p]
        seen = 0
        for q, ways in targets.items():
            mask = masks[q] & ~barred.get(q, 0)
            if ways > 1 or seen & mask:
                return False
            seen |= mask
    return True


def _steps(auto: _Automaton, p: int) -> list[tuple[int, int, int]]:
    """(next position, the characters it can read on that step, ways) for every step from ``p``."""
    masks, barred = auto.masks, auto.barred[p]
    out = [(q, masks[q] & ~barred.get(q, 0), ways) for q, ways in auto.follow[p].items()]
    out += [(q, masks[q], ways) for q, ways in auto.inner[p].items()]
    return out


def _pairs(node: int, auto: _Automaton, doubled: list[tuple[int, int]]) -> list[int]:
    """The pairs one common character further on from pair ``node``; steps that can be taken two ways from
    a pair of one position to ``doubled``."""
    masks, budget = auto.masks, auto.budget
    n = len(masks)
    p, q = divmod(node, n)
    out: list[int] = []
    if p == q:
        # Together: inside an atomic part they stay together; elsewhere (or on leaving) they may part.
        if auto.fixed[p]:
            out.extend(p2 * n + p2 for p2 in auto.inner[p] if masks[p2])
        steps = [(q2, mask, ways) for q2, mask, ways in _steps(auto, p) if q2 not in auto.inner[p]]
        budget.spend(len(steps) * len(steps))
        for i, (p2, m, ways) in enumerate(steps):
            if not m:
                continue
            for q2, m2, _ in steps[i:]:
                if m & m2:
                    out.append(p2 * n + q2 if p2 <= q2 else q2 * n + p2)
            if ways > 1:
                doubled.append((node, p2 * n + p2))
        return out
    from_p, from_q = _steps(auto, p), _steps(auto, q)
    budget.spend(len(from_p) * len(from_q))
    for p2, m, _ in from_p:
        for q2, m2, _ in from_q:
            if m & m2:
                out.append(p2 * n + q2 if p2 <= q2 else q2 * n + p2)
    return out


_Run = tuple[int, int, tuple[int, ...]]


def _through(chains: list[_Run], mask: int) -> list[_Run]:
    """The runs that can go on through an item that must match one of ``mask``'s characters."""
    out: list[_Run] = []
    for have, count, between in chains:
        if have & mask:
            if have & ~mask and mask not in between:  # (an item over all of them asks nothing)
                between = (*between, mask)[-8:]
            out.append((have, count, between))
    return out


def _follows(kids: list[_Node], follow: int) -> list[int]:
    """For each item of a sequence: the characters the first item after it that must match can start with.

    (Optional items are passed over: they may stay empty, and what they could take of the repeated text
    only delays the failure of what must match after them.)
    """
    out = [0] * len(kids)
    for i in range(len(kids) - 1, -1, -1):
        out[i] = follow
        kid = kids[i]
        if not kid.nulls:
            follow = kid.first
    return out


def _tails(kids: list[_Node], tail: bool) -> list[bool]:
    """For each item of a sequence: can what follows it fail?"""
    out = [False] * len(kids)
    for i in range(len(kids) - 1, -1, -1):
        out[i] = tail
        tail = tail or kids[i].fails
    return out


def _may_be_ambiguous(body: _Node) -> bool:
    """A body without alternatives, optional parts or repeats reads any text one way only."""
    if body.kind == _CHAR or body.kind == _BLOCK:
        return False
    if body.kind == _SEQ:
        return any(kid.kind not in (_CHAR, _BLOCK) or kid.nulls for kid in body.kids)
    return True


def _merge(chains: list[_Run]) -> list[_Run]:
    """One run per character set and items between, the longest; at most 16, the longest first."""
    best: dict[tuple[int, tuple[int, ...]], int] = {}
    for mask, count, between in chains:
        key = (mask, between)
        if best.get(key, 0) < count:
            best[key] = count
    merged = sorted(((mask, count, between) for (mask, between), count in best.items()), key=_longest_first)
    return merged[:16]


def _longest_first(run: _Run) -> tuple[int, int, tuple[int, ...]]:
    return (-run[1], run[0], run[2])


class _Checker:
    __slots__ = ("budget", "degree", "reason")

    budget: _Budget
    degree: int
    reason: str | None

    def __init__(self, degree: int) -> None:
        self.budget = _Budget(STEP_BUDGET)
        self.degree = degree
        self.reason = None

    def stopped(self) -> bool:
        """A reason is found. (A method, not `self.reason is not None` in place: that would narrow
        `self.reason` to None for the rest of the caller, past the calls that set it, and mypyc trusts it.)"""
        return self.reason is not None

    def walk(self, node: _Node, tail: bool) -> None:
        """Check every repeat under ``node``; ``tail``: can what follows ``node`` (in its atomic scope) fail?"""
        if not node.repeats or self.stopped():
            return
        slot = (1 if tail else 0) + (2 if self.degree < POLY_DEGREE else 0)
        known = node.walked[slot]
        if known >= 0:
            self.budget.spend(known)
            self.reason = node.found[slot]
            return
        before = self.budget.left
        self._walk(node, tail)
        node.walked[slot] = before - self.budget.left
        node.found[slot] = self.reason

    def _walk(self, node: _Node, tail: bool) -> None:
        self.budget.spend(1)
        kind = node.kind
        if kind == _SEQ:
            for kid, after in zip(node.kids, _tails(node.kids, tail), strict=True):
                self.walk(kid, after)
        elif kind == _ALT:
            for kid in node.kids:
                self.walk(kid, tail)
        elif kind == _ZERO:
            for kid in node.kids:
                self.walk(kid, False)  # a look-around's content: atomic
        elif kind == _BLOCK:
            self.walk(node.kids[0], False)
        elif kind == _REPEAT:
            body = node.kids[0]
            if node.mode == _POSSESSIVE:
                self.walk(body, False)  # each iteration is atomic
                return
            retried = tail or (node.lo > self.degree and body.fails)
            if retried and self._many(node) and _may_be_ambiguous(body):
                if node.steps < 0:
                    before = self.budget.left
                    node.ambiguous = _exponentially_ambiguous(body, self.budget)
                    node.steps = before - self.budget.left
                else:
                    self.budget.spend(node.steps)
                if node.ambiguous:
                    self.reason = EXPONENTIAL
                    return
            self.walk(body, retried)

    def _many(self, node: _Node) -> bool:
        """Can the ways of sharing out iterations grow with the text? A few iterations of a body without
        unbounded repeats can be tried in a fixed number of ways only; two of one with them, in the square
        of the text's length, like two runs in a row."""
        if node.hi == INF or node.hi - node.lo >= WIDE:
            return True
        if node.kids[0].loops:
            return node.hi >= self.degree
        return node.hi > FEW

    def chains(self, node: _Node, chains: list[_Run], tail: bool, follow: int, ahead: int) -> list[_Run]:
        """Runs of unbounded repeats that can all read one repeated text, from ``node`` on.

        A run is (the characters every repeat in it can read, how many repeats, the character sets of the
        items between them that must match): the repeated text has to hold a character of each of those,
        within the first. Optional items between repeats may stay empty. ``chains``: the runs reaching
        ``node``; returns those leaving it. ``tail``: can what follows fail; ``follow``: the characters it
        can start with; ``ahead``: how many unbounded repeats it holds (runs that cannot get long enough
        are dropped). A run is too long when what follows can fail on the repeated text itself, that is
        when the text can keep clear of ``follow``: then every way of sharing it out is tried.
        """
        if self.stopped():
            return []
        if chains:
            chains = [run for run in chains if run[1] + node.loops + ahead >= self.degree]
        if not chains and (node.loops == 0 or node.loops + ahead < self.degree):
            return []  # nothing to carry through, and no run can start here that gets long enough
        self.budget.spend(1 + len(chains))
        kind = node.kind
        if kind == _CHAR:
            return _through(chains, node.mask)
        if kind == _BLOCK or (kind == _REPEAT and node.mode == _POSSESSIVE):
            self.chains(node.kids[0], [], False, 0, 0)
            # It may stay empty, or the repeated text may hold one of its characters.
            return _merge([*chains, *_through(chains, node.mask)]) if node.nulls else _through(chains, node.mask)
        if kind == _ZERO:
            for kid in node.kids:
                self.chains(kid, [], False, 0, 0)
            return chains
        if kind == _SEQ:
            kids = node.kids
            tails = _tails(kids, tail)
            follows = _follows(kids, follow)
            later = ahead
            aheads = [0] * len(kids)
            for i in range(len(kids) - 1, -1, -1):
                aheads[i] = later
                later += kids[i].loops
            for i in range(len(kids)):
                chains = self.chains(kids[i], chains, tails[i], follows[i], aheads[i])
            return chains
        if kind == _ALT:
            out: list[_Run] = []
            for kid in node.kids:
                out.extend(self.chains(kid, chains, tail, follow, ahead))
            return _merge(out)
        body = node.kids[0]
        retried = tail or (node.lo > self.degree and body.fails)
        # After an iteration: another that must match, or (if the rest may be left out) what follows.
        again = body.first if node.lo >= 2 and not body.nulls else follow
        if node.hi - node.lo >= WIDE:
            self.chains(body, [], retried, again, ahead + node.loops)  # runs inside the body, on their own
            mask = body.mask
            out = [(mask, 1, ())]
            for have, count, between in chains:
                common = have & mask
                if common and all(sep & common for sep in between):
                    out.append((common, count + 1, between))
                    free = common & ~follow
                    if count + 1 >= self.degree and tail and free and all(sep & free for sep in between):
                        self.reason = POLYNOMIAL
                        return []
            if node.nulls:
                out.extend(chains)
            return _merge(out)
        # A bounded repeat: up to `degree` iterations, those past `lo` optional.
        out = list(chains) if node.lo == 0 else []
        current = chains
        rounds = min(node.hi, self.degree)
        for i in range(1, rounds + 1):
            after = body.first if i < node.lo and not body.nulls else follow
            current = self.chains(body, current, retried, after, ahead + (rounds - i) * body.loops)
            if i >= node.lo or i == rounds:
                out.extend(current)
        return _merge(out)


_cache: dict[tuple[str, bool], str | None] = {}
_lock = threading.Lock()


def explain(expression: str, *, search: bool = False) -> str | None:
    """Why ``expression`` can backtrack catastrophically in `re`, or None when it cannot.

    ``search``: the expression is searched for (tried at every position), not matched at the start.
    """
    key = (expression, search)
    with _lock:  # the caches are shared; parsers may be loaded from several threads
        if key in _cache:
            return _cache[key]
        reason = _explain(expression, search)
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[key] = reason
        return reason


def _explain(expression: str, search: bool) -> str | None:
    try:
        tree = _tree(expression)
    except (_Unreadable, RecursionError):
        return UNREADABLE
    return _judge(tree, search)


def _judge(tree: _Node, search: bool) -> str | None:
    if tree.depth > MAX_DEPTH:
        return TOO_LARGE
    checker = _Checker(POLY_DEGREE - 1 if search else POLY_DEGREE)
    try:
        checker.walk(tree, False)
        if checker.reason is None and tree.loops >= checker.degree:
            checker.chains(tree, [], False, 0, 0)
    except (_OverBudget, RecursionError):
        return TOO_LARGE
    return checker.reason


def pathological(expression: str, *, search: bool = False) -> bool:
    """Can stdlib `re` backtrack catastrophically on ``expression``? The same answer on every machine."""
    return explain(expression, search=search) is not None

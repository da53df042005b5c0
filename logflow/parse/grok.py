"""A Logstash-compatible grok compiler: ``%{SYNTAX:field:type}`` to one compiled regular expression.

Grok is compiled once, at start-up, into a single expression; matching a line is then one regex
call plus a loop over the captured groups. Field names may be dotted (``http.request.method``) or
in Logstash's bracket form (``[http][request][method]``); both become the same flat dotted key.

The standard library's ``re`` is tried first (it is 2-3x faster than ``regex`` on grok output and
has atomic groups and possessive quantifiers since 3.11); expressions it cannot compile (``\\p{..}``,
variable-width look-behind) fall back to ``regex``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from logflow.errors import ParserDefinitionError
from logflow.parse import redos
from logflow.parse.grok_rewrite import class_end, lazy_dots, oniguruma

# The parse tree `re` compiles from (private, stable since 3.11): which groups can stay out of a match.
# Without it every capture is treated as possibly absent: correct, a little slower.
try:
    _sre: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - a future Python
    _sre = None

# A reference as Logstash's grok (jls-grok) reads one: %{NAME}, %{NAME:field}, %{NAME:field:type} and
# %{NAME:field=definition}. The field takes Logstash's characters only and whatever else stands before the `}`
# is ignored: upstream's `%{POSINT:[a][b]?}` is `%{POSINT:[a][b]}`, and its spec's
# `%{NAGIOSLOGLINE - CURRENT HOST STATE}` is `%{NAGIOSLOGLINE}`.
_REFERENCE = re.compile(
    r"%\{(?P<name>[A-Za-z0-9_]+)(?::(?P<field>[@\[\]A-Za-z0-9_.\-]+))?(?::(?P<type>[A-Za-z0-9_]+))?"
    r"(?:=(?P<definition>(?:[^{}\\]|\\.|\{[^{}]*\})+))?[^}]*\}"
)
# (?<name>...) and (?P<name>...) but not look-behinds (?<= (?<!
_INLINE = re.compile(r"\(\?P?<(?P<field>[A-Za-z_@\[][A-Za-z0-9_.@\[\]-]*)>")
_PATTERN_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_]+)\s+(?P<pattern>.+?)\s*$")

Converter = Callable[[str], Any]

DEFAULT_BUDGET_S = 0.05  # per line and expression
LONG_LINE = 1024  # longer lines always match under the time budget


CONVERTERS: dict[str, Converter | None] = {"string": None, "int": int, "float": float}  # builtins: no frame per value
# Ruby's String#to_i and #to_f (Logstash's :int and :float) read the number a value starts with: "12abc" is 12,
# "0.001\t-" is 0.001. The builtins reject those; these read them as Ruby does.
_LEADING_INT = re.compile(r"\s*[+-]?\d+(?:_\d+)*")
_LEADING_FLOAT = re.compile(r"\s*[+-]?(?:\d+(?:_\d+)*(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?")


class Unrepresentable:
    """``to_number``'s answer for a number no document can hold: a long past 64 bits, a float that is
    not finite (``nan``, ``inf``, ``1e999``), a fraction given to ``:int`` (``12.9``).

    One instance, ``UNREPRESENTABLE``.
    """

    __slots__ = ()


UNREPRESENTABLE = Unrepresentable()
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1  # Elasticsearch's `long`
#: Where a typed capture that cannot be represented is kept, as text: ``logflow.grok_unconverted.<field>``.
UNCONVERTED_PREFIX = "logflow.grok_unconverted."
#: The tag of an event with such a capture (as Logstash tags a failed match ``_grokparsefailure``).
TYPE_FAILURE_TAG = "_grok_type_failure"
_FRACTION = re.compile(r"\s*[+-]?\d+(?:_\d+)*\.\d*[1-9]")  # a leading decimal that is not whole


def to_number(convert: Converter, value: str) -> Any:
    """``convert(value)`` with Ruby's reading of a value that only starts with a number; None when none does.

    Where Ruby makes 0 of a value with no number at all (``-``, ``""``), the field is left out instead:
    a 0 would be a wrong value in the document, where no value is the truth. A number that is there but
    cannot be represented in the index (see ``Unrepresentable``) is ``UNREPRESENTABLE``: the caller keeps
    the text and tags the event, rather than truncating, nulling or failing the whole event at serialize.
    """
    try:
        number = convert(value)
    except ValueError:
        number = None
    if number is None:
        if convert is int and _FRACTION.match(value):
            return UNREPRESENTABLE  # Ruby's to_i would cut 12.9 to 12: a wrong value, not a reading
        leading = (_LEADING_INT if convert is int else _LEADING_FLOAT).match(value)
        if leading is None:
            return None
        try:
            number = convert(leading.group().replace("_", ""))
        except ValueError:  # past Python's digit limit for int(): no number a document could hold
            return UNREPRESENTABLE
    if convert is int:
        return number if LONG_MIN <= number <= LONG_MAX else UNREPRESENTABLE
    if convert is float:
        return number if number - number == 0.0 else UNREPRESENTABLE  # nan and +-inf give nan
    return number


def note_unrepresentable(out: dict[str, Any], name: str, text: str) -> None:
    """Keep a capture that cannot be represented as text under its documented name, and tag the event."""
    out[UNCONVERTED_PREFIX + name] = text
    tags = out.get("tags")
    if isinstance(tags, list):
        if TYPE_FAILURE_TAG not in tags:
            tags.append(TYPE_FAILURE_TAG)
    elif tags is None:
        out["tags"] = [TYPE_FAILURE_TAG]
    else:
        out["tags"] = [str(tags), TYPE_FAILURE_TAG]


def _out_of_range(text: str) -> Any:
    """The generated matcher's way back to the general path for a value ``to_number`` must judge."""
    raise ValueError(text)


def field_path(name: str) -> str:
    """``[http][request][method]`` -> ``http.request.method``; dotted names pass through."""
    if name.startswith("["):
        return ".".join(part for part in re.split(r"[\[\]]+", name) if part)
    return name


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a pattern was defined, so errors can point at the file and line."""

    path: str
    line: int | None = None


class PatternLibrary:
    """Named grok patterns, loaded from ``NAME regex`` files; later definitions override earlier ones."""

    def __init__(self) -> None:
        self._patterns: dict[str, tuple[str, Origin]] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._patterns

    def __len__(self) -> int:
        return len(self._patterns)

    def names(self) -> list[str]:
        return sorted(self._patterns)

    def add(self, name: str, pattern: str, origin: Origin) -> None:
        self._patterns[name] = (pattern, origin)

    def copy(self) -> PatternLibrary:
        clone = PatternLibrary()
        clone._patterns = dict(self._patterns)
        return clone

    def load_file(self, path: Path) -> None:
        for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = _PATTERN_LINE.match(line)
            if m is None:
                raise ParserDefinitionError(
                    str(path), number, "expected `NAME regex`", "put a name, a space, a pattern"
                )
            self.add(m["name"], m["pattern"], Origin(str(path), number))

    @classmethod
    def from_dir(cls, directory: Path, glob: str = "*.grok") -> PatternLibrary:
        """Every file of ``directory`` that ``glob`` matches, in name order (a later definition wins).

        Logstash's ``patterns_dir`` loads every file (its ``patterns_files_glob`` is ``*``) and its own library
        has no extensions: ``glob="*"`` loads a Logstash patterns folder as Logstash does.
        """
        lib = cls()
        for path in sorted(p for p in directory.glob(glob) if p.is_file()):
            lib.load_file(path)
        return lib

    def validate(self) -> None:
        """Expand and compile every pattern, so a broken library fails at start-up, not on some line."""
        for name, (_, origin) in self._patterns.items():
            Grok(f"%{{{name}}}", self, origin=origin)

    def lookup(self, name: str) -> tuple[str, Origin] | None:
        return self._patterns.get(name)


class GrokTimeout(Exception):
    """A line took longer than the time budget to match one expression (counted as no match)."""


@dataclass(frozen=True, slots=True)
class Capture:
    group: str
    field: str
    convert: Converter | None


class Grok:
    """One grok expression compiled to one regex; ``match`` returns flat dotted fields or None."""

    __slots__ = (
        "_converted",
        "_groups",
        "_guarded",
        "_match",
        "_multi",
        "_names",
        "_positional",
        "_unique",
        "budget_s",
        "captures",
        "engine",
        "expression",
        "flags",
        "keep_empty_captures",
        "match",
        "pathological",
        "pattern",
    )

    match: Callable[[str], dict[str, Any] | None]

    def __init__(
        self,
        pattern: str,
        library: PatternLibrary,
        *,
        origin: Origin | None = None,
        engine: str = "auto",
        search: bool = False,
        multiline: bool = False,
        keep_empty_captures: bool = True,
        budget_s: float = DEFAULT_BUDGET_S,
    ) -> None:
        """``search``: find the expression anywhere in a line, as Logstash does (default: anchored at the start).
        ``multiline``: Ruby's MULTILINE, which Logstash compiles every grok with, and Ruby's line anchors:
        ``.`` matches a newline, ``^`` and ``$`` match at line breaks. ``keep_empty_captures``: keep fields
        whose capture matched the empty string (Logstash's option of that name). logflow's parsers keep them
        (an empty CRI line is ``message: ""``); Logstash's default leaves them out: pass False for that.
        """
        self.pattern = pattern
        origin = origin or Origin("<inline>")
        captures: list[Capture] = []
        self.expression = lazy_dots(oniguruma(_expand(pattern, library, captures, origin, stack=())), multiline)
        self.captures = tuple(captures)
        self.flags = re.DOTALL | re.MULTILINE if multiline else 0
        self.keep_empty_captures = keep_empty_captures
        compiled, self.engine = _compile(self.expression, origin, engine, self.flags)
        self._match = compiled.search if search else compiled.match
        # The time budget: `re` cannot be interrupted, `regex` can. Expressions that can backtrack
        # catastrophically (a static rule on the parse tree, the same on every machine: redos.py), and every
        # line longer than LONG_LINE, go through `regex` with a timeout.
        self.budget_s = budget_s
        guarded = compiled if self.engine == "regex" else regex.compile(self.expression, regex.VERSION0 | self.flags)
        self._guarded = guarded.search if search else guarded.match
        self.pathological = self.engine == "regex" or redos.pathological(self.expression, search=search)
        self._groups = tuple(c.group for c in self.captures)
        self._names = tuple(c.field for c in self.captures)
        self._multi = len(self._groups) > 1
        # Each field captured once: `dict(zip(...))` builds the fields in C, half the cost of a comprehension,
        # and types apply per field. A field captured in two places (`(?:%{IP:client}|%{HOSTNAME:client})`)
        # takes the value and the type of the capture that took part; of two that both took part, Logstash's
        # array (see _fields_by_capture).
        self._unique = len(set(self._names)) == len(self._names)
        # When the expression's only capture groups are the named captures, in order, `m.groups()` (one C
        # call, no name lookups) gives the values.
        index = compiled.groupindex
        self._positional = compiled.groups == len(self._groups) and all(
            index.get(g) == i for i, g in enumerate(self._groups, start=1)
        )
        converted = {c.field: c.convert for c in self.captures if c.convert is not None}
        self._converted = tuple(converted.items())
        # `match` is the per-line hot call, so each expression gets its own, generated for it (below). A
        # pathological expression goes through `regex` under the time budget on every line: the general method.
        self.match = self._match_general if self.pathological else _generated_matcher(self, compiled)

    def _match_general(self, text: str) -> dict[str, Any] | None:
        """Anchored at the start like Logstash's usual ``^`` patterns; fields that did not take part are absent.

        Raises GrokTimeout when a guarded match runs past the time budget.
        """
        if self.pathological or len(text) > LONG_LINE:
            try:
                m = self._guarded(text, timeout=self.budget_s)
            except TimeoutError:
                raise GrokTimeout(self.pattern) from None
        else:
            m = self._match(text)
        if m is None:
            return None
        if self._positional:
            return self._fields(m.groups())
        if not self._multi:
            return self._fields((m.group(self._groups[0]),) if self._groups else ())
        return self._fields(m.group(*self._groups))

    def _fields(self, values: tuple[str | None, ...]) -> dict[str, Any]:
        """The captured values, in capture order, to fields: absent when not taking part (or empty), typed."""
        if not self._unique:
            return self._fields_by_capture(values)
        if None not in values and (self.keep_empty_captures or "" not in values):  # the usual case
            out = dict(zip(self._names, values, strict=True))
        elif self.keep_empty_captures:  # a field whose part did not take part is absent, not null
            out = {name: value for name, value in zip(self._names, values, strict=True) if value is not None}
        else:  # and one that matched nothing is absent too, as in Logstash
            out = {name: value for name, value in zip(self._names, values, strict=True) if value}
        for name, convert in self._converted:
            value = out.get(name)
            if value is not None:
                number = to_number(convert, value)
                if number is None:
                    del out[name]  # a `-` where a number goes: leave it out rather than conflict the mapping
                elif number is UNREPRESENTABLE:
                    del out[name]
                    note_unrepresentable(out, name, value)
                else:
                    out[name] = number
        return out

    def _fields_by_capture(self, values: tuple[str | None, ...]) -> dict[str, Any]:
        """A field captured in several places, as Logstash's grok filter adds them to an event.

        The captures that took part give the field in turn, each with its own type: the first sets it, a later
        one turns a string into an array (``[first, second]``) or extends one; one after a number is dropped.
        """
        out: dict[str, Any] = {}
        for capture, value in zip(self.captures, values, strict=True):
            if value is None or not (value or self.keep_empty_captures):
                continue
            typed: Any = value
            if capture.convert is not None:
                typed = to_number(capture.convert, value)
                if typed is None:
                    continue
                if typed is UNREPRESENTABLE:
                    note_unrepresentable(out, capture.field, value)
                    continue
            existing = out.get(capture.field)
            if existing is None:
                out[capture.field] = typed
            elif isinstance(existing, list):
                existing.append(typed)
            elif isinstance(existing, str):
                out[capture.field] = [existing, typed]
        return out

    def prefix_length(self, text: str) -> int:
        """How many leading characters some prefix of the expression can match (for `parse --explain`)."""
        return self.stop(text).end

    def stop(self, text: str) -> Stop:
        """Where the expression stopped on ``text``: the longest prefix of it that matches, piece by piece.

        The expression is cut into its top-level pieces; a piece that does not match where the prefix
        before it ended is cut into its own pieces when it is a plain group (not an alternation, not
        quantified), so the answer names a small piece (`:`, `\\d{4}`), not a whole `%{PATTERN}`.
        """
        prefix = ""  # expression text known to match, with the groups it went into still open
        closes = ""  # the `)`s that close them, for each trial
        pieces = _split_top_level(self.expression)  # a bare ")" (never a piece of a valid expression) closes one
        end = taken_from = 0
        index = 0
        while index < len(pieces):
            piece = pieces[index]
            if piece == ")":
                prefix, closes = prefix + ")", closes[1:]
                index += 1
                continue
            try:
                m = regex.match(prefix + piece + closes, text, self.flags, timeout=0.05)
            except (regex.error, TimeoutError):
                m = None
            if m is not None:
                if m.end() > end:
                    taken_from = end
                end = m.end()
                prefix += piece
                index += 1
                continue
            body = _group_body(piece)
            if body is None:
                return Stop(end, taken_from, piece)
            opening, inner = body
            prefix, closes = prefix + opening, ")" + closes
            pieces[index : index + 1] = [*_split_top_level(inner), ")"]
        return Stop(end, taken_from, None)


@dataclass(frozen=True, slots=True)
class Stop:
    """How far an expression got on a line: ``end`` characters matched by its longest matching prefix,
    the last piece that took characters began at ``taken_from``, and ``wanted`` is the piece that did
    not match at ``end`` (None: every piece matched)."""

    end: int
    taken_from: int
    wanted: str | None


_OPENINGS = re.compile(r"\((?:\?:|\?>|\?P?<[A-Za-z_][\w.@\[\]-]*>)?")


def _group_body(piece: str) -> tuple[str, str] | None:
    """``("(?:", "a b")`` for a plain group ``(?:a b)``: one group, no quantifier, no top-level `|`."""
    if not piece.startswith("(") or not piece.endswith(")") or piece.startswith(("(?=", "(?!", "(?<=", "(?<!", "(?#")):
        return None
    m = _OPENINGS.match(piece)
    if m is None or (piece.startswith("(?") and m.end() == 1):
        return None  # flags groups, conditionals: not cut
    inner = piece[m.end() : -1]
    parts = _split_top_level(inner)
    if "".join(parts) != inner or "|" in parts:
        return None
    return m.group(), inner


_MATCHER = """\
def match(text):
    if len(text) > LONG_LINE:  # long lines take the guarded engine, under the time budget
        return general(text)
    m = rx_match(text)
    if m is None:
        return None
    {unpack} = {values}
    try:
        out = {{{display}}}
{statements}        return out
    except ValueError:  # a `-` where a number goes: the general path leaves that one field out
        return fields(({unpack}))
"""


def _generated_matcher(grok: Grok, compiled: re.Pattern[str]) -> Callable[[str], dict[str, Any] | None]:
    """``Grok.match`` written out for one expression: one regex call and one dict display.

    Why generated: the general method spends more time than the regex itself on attribute loads,
    branches and ``dict(zip(...))``; a dict display with constant keys is one bytecode. On an app line
    (4 fields) the general method takes 1.7 µs and this 1.2 µs, of which the regex is 0.6 µs. Captures
    that can stay out of a match (in an optional part or an alternative) get an ``is not None`` test;
    the rest go straight into the display. Unless empty captures are kept, one that can match the empty
    string is tested for truth instead (``None`` and ``""`` are both left out), again only where it can.
    Field names enter the source only as ``repr()`` literals, converters only as bound names. Expressions
    whose fields repeat keep the general method.
    ``compiled`` is the expression's stdlib `re` pattern (a non-pathological expression always has one).
    """
    if not grok._unique or not grok._groups:
        return grok._match_general
    optional = _optional_groups(grok.expression, compiled.groups, grok.flags)
    empty = None if grok.keep_empty_captures else _empty_groups(grok.expression, compiled.groups, grok.flags)
    index = compiled.groupindex
    env: dict[str, Any] = {
        "LONG_LINE": LONG_LINE,
        "LONG_MIN": LONG_MIN,
        "LONG_MAX": LONG_MAX,
        "out_of_range": _out_of_range,
        "general": grok._match_general,
        "rx_match": grok._match,
        "fields": grok._fields,
        "groups": grok._groups,
    }
    # Fields keep capture order (documents stay byte-identical): the leading captures that always take
    # part form the display, the rest follow as statements.
    display: list[str] = []
    statements: list[str] = []
    for i, capture in enumerate(grok.captures):
        value = f"v{i}"
        if capture.convert is int:  # a number the index cannot hold goes back to the general path
            env[f"convert{i}"] = capture.convert
            value = f"(n{i} if LONG_MIN <= (n{i} := convert{i}(v{i})) <= LONG_MAX else out_of_range(v{i}))"
        elif capture.convert is float:
            env[f"convert{i}"] = capture.convert
            value = f"(n{i} if (n{i} := convert{i}(v{i})) - n{i} == 0.0 else out_of_range(v{i}))"
        elif capture.convert is not None:
            env[f"convert{i}"] = capture.convert
            value = f"convert{i}(v{i})"
        group = index.get(capture.group)
        always = optional is not None and group not in optional
        filled = grok.keep_empty_captures or (empty is not None and group not in empty)
        if always and filled and not statements:
            display.append(f"{capture.field!r}: {value}")
        elif always and filled:
            statements.append(f"        out[{capture.field!r}] = {value}\n")
        else:
            test = f"v{i} is not None" if grok.keep_empty_captures else f"v{i}"
            statements.append(f"        if {test}:\n            out[{capture.field!r}] = {value}\n")
    if grok._positional:
        values = "m.groups()"
    elif len(grok._groups) > 1:
        values = "m.group(*groups)"
    else:
        values = "(m.group(groups[0]),)"
    source = _MATCHER.format(
        unpack="".join(f"v{i}, " for i in range(len(grok.captures))),
        values=values,
        display=", ".join(display),
        statements="".join(statements),
    )
    exec(compile(source, f"<grok {grok.pattern[:60]!r}>", "exec"), env)  # noqa: S102 (literal keys, see above)
    matcher: Callable[[str], dict[str, Any] | None] = env["match"]
    return matcher


def _optional_groups(expression: str, groups: int, flags: int = 0) -> set[int] | None:
    """Numbers of the groups that can stay out of a match: inside an alternative, an optional or zero-minimum
    repeat, a conditional or a look-around. Read from the parse tree of ``re`` itself (``re._parser``).

    None (treat every group as optional) when the tree cannot be read, or when the walk did not meet all
    ``groups`` groups: a construct it does not know may hold some, and a wrong "always there" would index
    nulls.
    """
    if _sre is None:
        return None
    optional: set[int] = set()
    seen: set[int] = set()

    def walk(items: Any, conditional: bool) -> None:
        for op, av in items:
            if op is _sre.SUBPATTERN:
                group, _, _, sub = av
                if group is not None:
                    seen.add(group)
                    if conditional:
                        optional.add(group)
                walk(sub, conditional)
            elif op is _sre.BRANCH:
                for alternative in av[1]:
                    walk(alternative, True)
            elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
                low, _, sub = av
                walk(sub, conditional or low == 0)
            elif op is _sre.ATOMIC_GROUP:
                walk(av, conditional)
            elif op is _sre.GROUPREF_EXISTS:
                walk(av[1], True)
                if av[2] is not None:
                    walk(av[2], True)
            elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
                walk(av[1], True)

    try:
        walk(_sre.parse(expression, flags), False)
    except Exception:  # a tree shaped otherwise than in 3.11-3.13
        return None
    return optional if len(seen) == groups else None


def _empty_groups(expression: str, groups: int, flags: int = 0) -> set[int] | None:
    """Numbers of the groups that can match the empty string (their shortest match is 0 characters), read
    from ``re``'s parse tree like _optional_groups. None (every group may be empty) when it cannot be read.
    """
    if _sre is None:
        return None
    empty: set[int] = set()
    seen: set[int] = set()

    def walk(items: Any) -> None:
        for op, av in items:
            if op is _sre.SUBPATTERN:
                group, _, _, sub = av
                if group is not None:
                    seen.add(group)
                    if sub.getwidth()[0] == 0:
                        empty.add(group)
                walk(sub)
            elif op is _sre.BRANCH:
                for alternative in av[1]:
                    walk(alternative)
            elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
                walk(av[2])
            elif op is _sre.ATOMIC_GROUP:
                walk(av)
            elif op is _sre.GROUPREF_EXISTS:
                walk(av[1])
                if av[2] is not None:
                    walk(av[2])
            elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
                walk(av[1])

    try:
        walk(_sre.parse(expression, flags))
    except Exception:  # a tree shaped otherwise than in 3.11-3.13
        return None
    return empty if len(seen) == groups else None


def _split_top_level(expression: str) -> list[str]:
    """Cut an expression into top-level atoms (groups, escapes, characters) with their quantifiers."""
    atoms: list[str] = []
    i, n = 0, len(expression)
    while i < n:
        start = i
        ch = expression[i]
        if ch == "(":
            depth = 0
            while i < n:
                c = expression[i]
                if c == "\\":
                    i += 2
                    continue
                if c == "[":
                    i = class_end(expression, i)
                    continue
                if c == "(":
                    depth += 1
                elif c == ")":
                    depth -= 1
                    if depth == 0:
                        i += 1
                        break
                i += 1
        elif ch == "[":
            i = class_end(expression, i)
        elif ch == "\\":
            i += 2
        else:
            i += 1
        while i < n and expression[i] in "*+?{":
            if expression[i] == "{":
                close = expression.find("}", i)
                i = close + 1 if close != -1 else i + 1
            else:
                i += 1
        atoms.append(expression[start:i])
    return atoms


def _expand(
    pattern: str,
    library: PatternLibrary,
    captures: list[Capture],
    origin: Origin,
    stack: tuple[str, ...],
) -> str:
    def inline(m: re.Match[str]) -> str:
        group = f"_g{len(captures)}"
        captures.append(Capture(group, field_path(m["field"]), None))
        return f"(?P<{group}>"

    pattern = _INLINE.sub(inline, pattern)

    def reference(m: re.Match[str]) -> str:
        name, field, kind = m["name"], m["field"], m["type"]
        if name in stack:
            raise ParserDefinitionError(
                origin.path,
                origin.line,
                f"pattern {name} refers to itself through {' -> '.join(stack)}",
                "break the cycle",
            )
        found = (m["definition"], origin) if m["definition"] is not None else library.lookup(name)
        if found is None:
            raise ParserDefinitionError(
                origin.path,
                origin.line,
                f"unknown pattern %{{{name}}}",
                "define it in a parsers/patterns/*.grok file or in the parser's `[parser.patterns]`",
            )
        body = _expand(found[0], library, captures, found[1], (*stack, name))
        if field is None:
            return f"(?:{body})"
        if kind is not None and kind not in CONVERTERS:
            raise ParserDefinitionError(
                origin.path, origin.line, f"unknown type `{kind}` in {m.group(0)}", "use int, float or string"
            )
        group = f"_g{len(captures)}"
        captures.append(Capture(group, field_path(field), CONVERTERS[kind or "string"]))
        return f"(?P<{group}>{body})"

    return _REFERENCE.sub(reference, pattern)


def _compile(expression: str, origin: Origin, engine: str, flags: int = 0) -> tuple[Any, str]:
    if engine in ("auto", "re"):
        try:
            return re.compile(expression, flags), "re"
        except re.error as exc:
            if engine == "re":
                raise ParserDefinitionError(
                    origin.path, origin.line, f"does not compile: {exc}", "fix the regex"
                ) from None
    try:
        return regex.compile(expression, regex.VERSION0 | flags), "regex"
    except regex.error as exc:
        raise ParserDefinitionError(origin.path, origin.line, f"does not compile: {exc}", "fix the regex") from None


def compile_all(patterns: Iterable[str], library: PatternLibrary, origin: Origin) -> list[Grok]:
    return [Grok(p, library, origin=origin) for p in patterns]

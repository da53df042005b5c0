"""Masking: turn a raw message into its *shape*, the message with every variable part as `<*>`.

Why mask before any template search: most variables (numbers, addresses, ids, paths, timestamps)
are recognisable on sight, and masking them turns thousands of distinct lines into a handful of
shapes. Runs of whitespace are normalised and runs of `<*>` (joined by spaces or by `,.;_-`
alone, as in `<*>,<*>`) collapse into one, as does a masked token repeated (`blk_<*> blk_<*>`),
so a variable that spans a varying number of tokens (a list of ids, a quoted string with
spaces) still yields one shape with one token count.

What is masked is the *unit* of a token that holds a digit: units end at whitespace, brackets,
quotes and the joiners `= : , ; _ / \\ @ # |`, so the constant part a person reads stays
(`blk_<*>`, `/<*>:<*>`, `uid=<*>`, `[<*>]`); `.`, `-` and `+` are inside a unit (`10.0.0.1`,
`-1.5`, `2024-05-01` are one value each), except dots that end it (`port <*>.`). Grouping then
compares `coarse` tokens, where each masked run of a token is one `<*>`, so `blk_<*>` and
`rdd_<*>` do not split an event.

Masking runs in two steps, so the hot path stays one cheap regex per line:

1. `Masker.key(message)`: user `extra_masks`, then every unit holding a digit becomes `0`. Lines
   that differ only in their numbers share a key, and the miner caches key -> cluster, so a
   repeated key costs one substitution and one dict lookup. `Masker.keys` computes a batch's keys
   through a cheaper substitution first (below).
2. `Masker.shape(key)`: the full masking, run only when a key is new. It works on the key, so the
   shape is a function of the key and the cache is exact. Rules, in order, all generic:

   - URLs (`scheme://...`), e-mail addresses, quoted strings (`"..."`, `'...'`);
   - every unit holding a digit: numbers, hex (`0x1f`), UUIDs, IPv4/IPv6 addresses, ports,
     versions, clock times; in logs a digit is almost always data, not wording;
   - day and month names next to a masked number (`Sun Jul <*>` is a timestamp);
   - a byte-size unit after a masked number (`<*> KB`), since the unit varies with the value;
   - absolute or relative-dot paths (`/var/log/x`, `./run.sh`, `~/x`), drive-letter and UNC
     paths (`C:\\x`, `\\\\host\\share`);
   - the value of every `key=value` pair that is not a bare word (the key stays).

   No rule takes a bracket or a quote without its partner: a value, URL or path stops at any
   bracket, so `key=[abc] x` keeps `[abc]` whole and `(see http://x/y)` keeps its `)`.

Tokens without digits that still vary (user names, host names) are left to the miner's
closed/open positions (`cluster.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

#: The placeholder for a variable, in shapes and in template text.
WILDCARD = "<*>"

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)(?:day|sday|nesday|rsday|urday)?"
_W = re.escape(WILDCARD)
#: What ends a *unit*, the part of a token that masking replaces: whitespace, brackets, quotes, and
#: the joiners `= : , ; _ / \\ @ # |` that glue a constant to a value, so the constant stays in the
#: template (`blk_<*>`, `/<*>:<*>`, `uid=<*>`, `[<*>]`). `.`, `-` and `+` do not end a unit: they
#: are inside numbers, addresses, versions, dates and ids (`-1.5`, `10.0.0.1`, `2024-05-01`).
_SEP = r"\s=:,;()\[\]{}\"'<>_/\\@#|"

#: The built-in mask kinds, by name, in the order they run inside `Masker.shape`.
PATTERNS: Mapping[str, str] = MappingProxyType(
    {
        "url": r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s\"'<>()\[\]{}]+",
        "email": r"(?<![\w.+\-])[\w.+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+\b",
        "quoted": r"(?<![\w\\])\"[^\"\n]*\"|(?<![\w\\])'[^'\n]*'(?!\w)",
        "number": rf"(?<![^{_SEP}.])[^{_SEP}0-9]*+[0-9][^{_SEP}.]*+(?:\.[^{_SEP}.]++)*+",
        "timestamp": (
            rf"(?:\b{_DAY},?\s+)?\b{_MONTH}\.?,?\s+{_W}"
            rf"|{_W}\s+{_MONTH}\b\.?,?(?:\s+{_W})?"
            rf"|\b{_DAY},?\s+{_W}"
        ),
        "size": rf"{_W}\s+(?:[KMGTPE]i?B|B)\b",
        "path": (
            rf"(?<![\w/.\-:<>*])(?:~|\.{{1,2}})?/"
            rf"(?:(?:[\w.\-@%+~]|{_W})+(?:/(?:[\w.\-@%+~]|{_W})*)+|[\w.\-@%+~]*[A-Za-z_][\w.\-@%+~]*)"
        ),
        "drive_path": rf"(?<![\w\\])(?:[A-Za-z]:|\\\\[\w.$\-]+)\\(?:[^\s\"'<>|()\[\]{{}}]|{_W})*",
        "key_value": rf"(?<=[\w.\-]=)(?!{_W})(?![A-Za-z_]+(?:[\s,;)\]}}'\"]|$))[^\s,;()\[\]{{}}'\"=<>]+",
    }
)

#: A substring a kind needs, so shapes skip regexes that cannot match with one fast `in` test.
_GUARDS: Mapping[str, str | None] = MappingProxyType(
    {
        "url": "://",
        "email": "@",
        "quoted": None,
        "number": None,
        "timestamp": WILDCARD,
        "size": "B",
        "path": "/",
        "drive_path": "\\",
        "key_value": "=",
    }
)

# A unit holding a digit. Only unit starts are tried and nothing backtracks: the plain form
# (`[^sep]*[0-9][^sep]*`) rescanned each digit-free unit from every position, twice the cost.
# Dots at a unit's end are not part of it (`port 80.` keeps its full stop; `10.0.0.1` is one unit).
_DIGITS = re.compile(rf"(?<![^{_SEP}.])[^{_SEP}0-9]*+[0-9][^{_SEP}.]*+(?:\.[^{_SEP}.]++)*+")
# From a unit's first digit to its end. A search for it starts only at digits (re's prefix scan),
# where `_DIGITS` tries every position: half the instructions. It keeps what precedes the digit, so
# it is not the key, but `_DIGITS` of its result is (unit bounds and digit-holding are kept).
_FROM_DIGIT = re.compile(rf"[0-9][^{_SEP}.]*+(?:\.[^{_SEP}.]++)*+")
#: Entries `Masker.keys` remembers (cheap form -> key) before it starts afresh.
MEMO_LIMIT = 65_536
# Runs of `<*>` joined by spaces or by list punctuation alone are one variable (a list of ids, a
# value that spans words). `:` and `/` are not list punctuation: `/<*>:<*>` (address and port),
# `<*>/<*>:<*>` (host, address, port) and `<*>:<*>:<*>` (a clock time) keep them, as a person writes.
_WILDCARD_RUN = re.compile(rf"{_W}(?:(?:\s+|[,.;_\-]*){_W})+")
# A run of one masked token with a constant word in it, repeated (`blk_<*> blk_<*>`), is one
# variable too; `<*>: <*>:` is two fields, not a list.
_TOKEN_RUN = re.compile(rf"(?<!\S)((?=[^\s]*[A-Za-z])\S*{_W}\S*)(?:\s+\1)+(?!\S)")
_SPACES = re.compile(r"\s+")

Substitute = Callable[[str, str], str]


class Masker:
    """Computes message keys (hot path) and shapes (on a new key). Compiled once, then called."""

    __slots__ = ("_digits", "_extra", "_from_digit", "_memo", "_rules")

    def __init__(self, kinds: tuple[str, ...] | None = None, extra: tuple[str, ...] = ()) -> None:
        """Compile the named kinds (default: all of `PATTERNS`, in their order) and `extra` regexes."""
        wanted = set(PATTERNS if kinds is None else kinds)
        unknown = sorted(wanted - set(PATTERNS))
        if unknown:
            raise ValueError(f"unknown mask kinds {unknown}; known kinds are {list(PATTERNS)}")
        self._extra: tuple[Substitute, ...] = tuple(re.compile(p).sub for p in extra)
        self._rules: tuple[tuple[str | None, Substitute], ...] = tuple(
            (_GUARDS[k], re.compile(p).sub) for k, p in PATTERNS.items() if k in wanted
        )
        self._digits: Substitute = _DIGITS.sub
        self._from_digit: Substitute = _FROM_DIGIT.sub
        self._memo: dict[str, str] = {}

    def key(self, message: str) -> str:
        """Return the cache key of `message`: extra masks applied, each token holding a digit turned into `0`."""
        for sub in self._extra:
            message = sub(WILDCARD, message)
        return self._digits("0", message)

    def keys(self, messages: Sequence[str]) -> list[str]:
        """`key` of each message, for the miner's per-batch hot loop.

        Without extra masks, a message first loses everything from each token's first digit on
        (`_FROM_DIGIT`, half the cost of `_DIGITS`); the key of that cheap form, which is the key of
        the message, is remembered. Hex ids make the cheap forms a little more varied than the keys
        (`ab0` and `0` for `ab12` and `12`), so a few per cent of them miss and pay the full key.
        The cheap forms are made by one substitution over the batch joined by newlines, which no
        token spans; a batch where some message holds a newline is done message by message.
        """
        if self._extra:
            return [self.key(m) for m in messages]
        cheap = self._from_digit
        forms = cheap("0", "\n".join(messages)).split("\n")
        if len(forms) != len(messages):
            forms = [cheap("0", m) for m in messages]
        full = self._digits
        memo = self._memo
        out: list[str] = []
        for form in forms:  # direct method calls, no bound-method aliases: the compiled build calls them in C
            key = memo.get(form)
            if key is None:
                if len(memo) >= MEMO_LIMIT:
                    memo.clear()
                key = memo[form] = full("0", form)
            out.append(key)
        return out

    def shape(self, key: str) -> str:
        """Return the shape of a key: fully masked, whitespace-normalised, wildcard runs collapsed."""
        for guard, sub in self._rules:
            if guard is None or guard in key:
                key = sub(WILDCARD, key)
        key = _SPACES.sub(" ", key).strip()
        return collapse(key)

    def mask(self, message: str) -> str:
        """Return the shape of a raw message (`shape(key(message))`)."""
        return self.shape(self.key(message))


def collapse(text: str) -> str:
    """Turn runs of variables into one: `<*>` joined by spaces or list punctuation, a repeated masked token."""
    if text.count(WILDCARD) > 1:
        text = _TOKEN_RUN.sub(r"\1", _WILDCARD_RUN.sub(WILDCARD, text))
    return text


# A token's run that holds a `<*>`, up to brackets, quotes, `=`, `,` and `;`: one variable for grouping.
_COARSE = re.compile(rf"(?:[^\s=,;()\[\]{{}}\"'<>:|@#]|{_W})*{_W}(?:[^\s=,;()\[\]{{}}\"'<>:|@#]|{_W})*")


def coarse(fine: tuple[str, ...]) -> tuple[str, ...]:
    """The tokens grouping compares: each masked run of a token, joiners included, as one `<*>`.

    `blk_<*>` and `rdd_<*>`, `/<*>:<*>` and `<*>` are one variable to the miner (which event a line
    is does not depend on them), while brackets and keys stay structure (`(uid=<*>)`, `[<*>]`).
    """
    return tuple(_COARSE.sub(WILDCARD, t) if WILDCARD in t else t for t in fine)


def tokens(shape: str) -> tuple[str, ...]:
    """Split a shape into its tokens (shapes are already whitespace-normalised)."""
    return tuple(shape.split(" ")) if shape else ()

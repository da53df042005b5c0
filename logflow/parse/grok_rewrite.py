"""Rewrites of a compiled grok expression that the regex engine runs faster, with the same matches.

Grok's ``DATA`` is ``.*?``, and most uses of it end at a literal: ``"%{DATA:user_agent}"``,
``%{DATA:logger}: ``. Python's regex engine runs a lazy ``.*?`` by trying the rest of the expression
after every character (a jump and a backtrack per character), which made the two quoted fields of a
combined access line cost more than the rest of the line. When the next thing the expression must
match is a literal character ``c``, the only lengths that can succeed end right before a ``c``, so

    .*?c   is rewritten to   [^c\\n]*+(?:c[^c\\n]*+)*?c

The possessive run reaches the first ``c`` (or the line's end) in one scan, and each further lazy
step reaches the next ``c``: the same candidate ends, tried in the same order, so every match and
every capture is the same as before. ``.`` stops at a newline and so does the class. The rewrite is
skipped whenever that argument does not hold: the literal is optional or repeated, something other
than the closing of plain groups stands between (an alternative, a quantified group, a look-around
or atomic group, which would not pass the position on), or inline flags change what ``.`` means.
"""

from __future__ import annotations

import re

_LAZY_DOTS = ".*?"
# Characters that are not literals when unescaped.
_META = frozenset(".^$*+?{}[]|()\\")
# Inline flags that change `.` (DOTALL) or the syntax (VERBOSE), and comments (which may hold
# unbalanced parentheses): the rewrite does not run at all.
_UNSURE = re.compile(r"\(\?(?:[aiLmux]*[sx]|#)")


def lazy_dots(expression: str) -> str:
    """``expression`` with each ``.*?`` that ends at a literal character rewritten as above."""
    if _LAZY_DOTS not in expression or _UNSURE.search(expression):
        return expression
    out: list[str] = []
    plain: list[bool] = []  # per open group: does closing it pass the position straight on?
    i, n, done = 0, len(expression), 0
    while i < n:
        ch = expression[i]
        if ch == "\\":
            i += 2
        elif ch == "[":
            i = class_end(expression, i)
        elif ch == "(":
            plain.append(_opens_plain_group(expression, i))
            i += 1
        elif ch == ")":
            if plain:
                plain.pop()
            i += 1
        elif expression.startswith(_LAZY_DOTS, i) and expression[i + 3 : i + 4] not in ("?", "+"):
            literal = _literal_after(expression, i + 3, plain)
            if literal is not None:
                out.append(expression[done:i])
                out.append(_until(literal))
                done = i + 3
            i += 3
        else:
            i += 1
    out.append(expression[done:])
    return "".join(out)


def _until(literal: str) -> str:
    not_it = f"[^{re.escape(literal)}\\n]*+"
    return f"{not_it}(?:{re.escape(literal)}{not_it})*?"


def _opens_plain_group(expression: str, i: int) -> bool:
    """`(`, `(?:`, `(?P<name>` and `(?<name>`: groups whose end is where their content ended."""
    rest = expression[i + 1 : i + 4]
    if not rest.startswith("?"):
        return True
    if rest.startswith("?:") or rest.startswith("?P<"):
        return True
    return rest.startswith("?<") and rest[2:3] not in ("=", "!")


def _literal_after(expression: str, j: int, plain: list[bool]) -> str | None:
    """The literal character that must come next after position ``j``, if the text says so plainly."""
    depth = len(plain)
    while j < len(expression) and expression[j] == ")":
        depth -= 1
        if depth < 0 or not plain[depth] or expression[j + 1 : j + 2] in ("?", "*", "+", "{"):
            return None
        j += 1
    if j >= len(expression):
        return None
    ch = expression[j]
    if ch == "\\":
        escaped = expression[j + 1 : j + 2]
        if not escaped or escaped.isalnum() or escaped == "_":
            return None  # \s, \d, \b, \1, \n ...: classes, assertions, references, not one character
        literal, after = escaped, j + 2
    elif ch in _META or ch == "\n":
        return None
    else:
        literal, after = ch, j + 1
    if expression[after : after + 1] in ("?", "*", "{"):
        return None  # optional or counted: the next character need not be this one
    return literal


def class_end(expression: str, i: int) -> int:
    """The index just past the character class that opens at ``i``."""
    i += 1
    if i < len(expression) and expression[i] == "^":
        i += 1
    if i < len(expression) and expression[i] == "]":
        i += 1
    while i < len(expression) and expression[i] != "]":
        i += 2 if expression[i] == "\\" else 1
    return i + 1

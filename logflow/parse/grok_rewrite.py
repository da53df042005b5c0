"""Rewrites of an expanded grok expression: Oniguruma syntax to Python's, and faster forms of the same.

``oniguruma`` reads the constructs Logstash's regex engine (Joni, Ruby's Oniguruma) gives a meaning
that Python's ``re`` reads differently or rejects, and writes each in the form ``re`` understands
(see its docstring). ``lazy_dots`` is a speed rewrite that keeps every match:

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


def lazy_dots(expression: str, dotall: bool = False) -> str:
    """``expression`` with each ``.*?`` that ends at a literal character rewritten as above.

    ``dotall``: the expression is compiled with ``re.DOTALL`` (``.`` matches a newline, and so must the class).
    """
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
                out.append(_until(literal, dotall))
                done = i + 3
            i += 3
        else:
            i += 1
    out.append(expression[done:])
    return "".join(out)


def _until(literal: str, dotall: bool) -> str:
    not_it = f"[^{re.escape(literal)}]*+" if dotall else f"[^{re.escape(literal)}\\n]*+"
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


# --- Oniguruma (Ruby, Joni) syntax as Python's `re` reads it ----------------------------------------

# POSIX bracket classes, as their ASCII members (Ruby's also take non-ASCII letters and digits).
_POSIX = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "ascii": "\\x00-\\x7f",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "\\x21-\\x7e",
    "lower": "a-z",
    "print": "\\x20-\\x7e",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "word": "\\w",
    "xdigit": "0-9a-fA-F",
}
_POSIX_BRACKET = re.compile(r"\[:([a-z]+):\]")
_HEX = "0-9a-fA-F"
# Escapes outside a class that Ruby reads otherwise than Python (\h: a hex digit; \Z: the end or before a
# final newline, which is Python's `$` without MULTILINE; \z: the very end, Python's \Z).
_ESCAPES = {"\\h": f"[{_HEX}]", "\\H": f"[^{_HEX}]", "\\Z": "(?=\\n?\\Z)", "\\z": "\\Z"}
# Ruby's option letters: m is Python's s (dot matches a newline); i and x mean the same.
_OPTION_GROUP = re.compile(r"\(\?([imx]*)(?:-([imx]*))?([:)])")
_FLAG = {"i": "i", "m": "s", "x": "x"}
_INTERVAL = re.compile(r"\{(?:\d+(?:,\d*)?|,\d+)\}")
_GROUP_OPENER = re.compile(r"\((?:\?(?:P?<(?![=!])[^>]*>|[:=!>]|<[=!]|\(\w+\)))?")


def oniguruma(expression: str) -> str:
    """``expression`` (Oniguruma syntax, as Logstash's patterns are written) in the syntax Python's ``re`` reads alike.

    - ``[[:alnum:]_-]``: POSIX bracket classes and nested classes inside a class, which ``re`` reads as a
      literal ``[`` (and a class ending early), become one flat class.
    - ``(?m)`` is Ruby's dot-matches-newline, Python's ``(?s)``; an option group in the middle of an
      expression (``a(?i)b``), which 3.11 rejects, applies to the end of its group as in Ruby: ``a(?i:b)``.
    - ``\\h``/``\\H`` (hex digit), ``\\Z`` (end, or before a final newline) and ``\\z`` (end) as Ruby means them.
    - A quantifier on a quantified atom (``.?*``, ``x{1,2}+``, ``x{2}?``) is Ruby's nested repeat, ``(?:.?)*``;
      ``re`` rejects the first and reads the others as possessive and lazy. ``x?+``, ``x*?`` and ``x{1,2}?``
      (possessive, lazy) keep their meaning.

    Everything else passes through unchanged, so expressions written for Python keep their meaning.
    """
    out: list[str] = []
    opened: list[int] = []  # per open group: where its opener is in `out`
    scoped: list[int] = [0]  # per open group (and the whole): option groups to close with it
    atom = -1  # where in `out` the last quantifiable atom starts
    state = 0  # of that atom: 0 bare, 1 after ?*+ (a ? or + may follow), 2 after {n,m} (a ? may), 3 done, 4 after {n}
    i, n = 0, len(expression)
    while i < n:
        ch = expression[i]
        if ch == "\\":
            escape = expression[i : i + 2]
            atom, state = len(out), 0
            out.append(_ESCAPES.get(escape, escape))
            i += 2
        elif ch == "[":
            end, text = _class(expression, i)
            atom, state = len(out), 0
            out.append(text)
            i = end
        elif ch == "(":
            option = _OPTION_GROUP.match(expression, i)
            if option is not None and (option[1] or option[2] is not None):
                flags = "".join(_FLAG[f] for f in option[1])
                off = "".join(_FLAG[f] for f in option[2] or "")
                opener = f"(?{flags}-{off}:" if off else f"(?{flags}:"
                if option[3] == ":":
                    opened.append(len(out))
                    scoped.append(0)
                else:  # to the end of the enclosing group
                    scoped[-1] += 1
                out.append(opener)
                atom, i = -1, option.end()
                continue
            if expression.startswith("(?#", i):
                close = expression.find(")", i)
                close = n - 1 if close == -1 else close
                out.append(expression[i : close + 1])
                i = close + 1
                continue
            if expression.startswith("(?P=", i):
                close = expression.find(")", i)
                close = n - 1 if close == -1 else close
                atom, state = len(out), 0
                out.append(expression[i : close + 1])
                i = close + 1
                continue
            found = _GROUP_OPENER.match(expression, i)
            opener = found.group() if found is not None else "("
            opened.append(len(out))
            scoped.append(0)
            out.append(opener)
            atom, i = -1, i + len(opener)
        elif ch == ")":
            closes = scoped.pop() if len(scoped) > 1 else 0
            out.append(")" * closes + ")")
            atom, state = (opened.pop() if opened else -1), 0
            i += 1
        elif ch == "|":
            out.append(ch)
            atom, i = -1, i + 1
        elif ch in "?*+" or (ch == "{" and _INTERVAL.match(expression, i)):
            interval = _INTERVAL.match(expression, i) if ch == "{" else None
            quantifier = interval.group() if interval is not None else ch
            if atom >= 0 and (state in (3, 4) or (state == 1 and ch not in "?+") or (state == 2 and ch != "?")):
                out[atom:] = ["(?:" + "".join(out[atom:]) + ")"]  # Ruby's nested repeat
                state = 0
            out.append(quantifier)
            if state != 0:
                state = 3
            elif interval is None:
                state = 1
            else:
                state = 2 if "," in quantifier else 4
            i += len(quantifier)
        else:
            atom, state = len(out), 0
            out.append(ch)
            i += 1
    out.append(")" * scoped[0])
    return "".join(out)


def _class(expression: str, start: int) -> tuple[int, str]:
    """The class opening at ``start``: where it ends and its Python text. Oniguruma reads ``[`` inside a class
    as a nested class (or ``[:name:]``); a class without either, or one this cannot flatten (a negated nested
    class, ``&&``, ``\\H``), is kept as written, ending where Python ends it.
    """
    as_written = class_end(expression, start)
    j, n = start + 1, len(expression)
    negate = expression.startswith("^", j)
    j += negate
    members: list[str] = []
    changed = False
    first = True
    while j < n:
        ch = expression[j]
        if ch == "]" and not first:
            if not changed:
                break
            return j + 1, ("[^" if negate else "[") + "".join(members) + "]"
        if ch == "\\":
            escape = expression[j : j + 2]
            if escape == "\\H":
                break
            changed |= escape == "\\h"
            members.append(_HEX if escape == "\\h" else escape)
            j += 2
        elif ch == "[":
            posix = _POSIX_BRACKET.match(expression, j)
            if posix is not None and posix[1] in _POSIX:
                members.append(_POSIX[posix[1]])
                j = posix.end()
            elif expression.startswith("[^", j) or expression.startswith("[:", j):
                break
            else:
                end, text = _class(expression, j)
                if not text.startswith("[") or not text.endswith("]") or text.startswith("[^"):
                    break
                members.append(text[1:-1])
                j = end
            changed = True
        elif expression.startswith("&&", j):
            break
        else:
            members.append(ch)
            j += 1
        first = False
    return as_written, expression[start:as_written]

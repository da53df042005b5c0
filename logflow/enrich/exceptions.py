"""Errors as runtimes and loggers write them: exception headers and serialized error objects, to ``error.*``.

``EXCEPTION_HEADERS`` is one table of the first lines that open an exception report (Java, Kotlin,
Python, Go, Node), each read as (error.type, error.message, error.code); ``split_stack_trace`` finds
one in a stack trace, ``error_from_message`` at the start of a message. ``ERROR_OBJECT_KEYS`` /
``ERROR_OBJECT_FIELDS`` say where JSON loggers put a serialized error (pino and bunyan ``err``,
winston and others ``error``) and what its fields mean.
"""

from __future__ import annotations

import re
from typing import Any

_JAVA_CLASS = r"(?:[A-Za-z_$][\w$]*\.)+[A-Za-z_$][\w$]*(?:Exception|Error|Throwable|Fault)\w*"
_NAMED = r"[A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt|Fault)\w*|Error"  # Python and JavaScript names
_CODE = r"(?: \[(?P<code>[A-Z][A-Z0-9_]+)\])?"  # Node: TypeError [ERR_INVALID_ARG_TYPE]: ...
_MESSAGE = r"(?::\s?(?P<message>.*))?$"

#: The first line of an exception report, per runtime: (rule, fixed type or None, strong). A strong rule
#: cannot be ordinary prose (a thread header, a dotted class name, Go's panic), so it applies to a lone
#: message line; a weak one (``ValueError: x``, ``Error: x``) only where a trace is known to follow.
EXCEPTION_HEADERS: tuple[tuple[re.Pattern[str], str | None, bool], ...] = (
    (re.compile(rf'Exception in thread "[^"]*" (?P<type>{_JAVA_CLASS}){_MESSAGE}'), None, True),  # Java, uncaught
    (re.compile(rf"(?:Caused by: |Suppressed: )?(?P<type>{_JAVA_CLASS}){_MESSAGE}"), None, True),  # Java, Kotlin
    (re.compile(r"panic: (?P<message>.+)$"), "panic", True),  # Go: panic, then goroutine traces
    (re.compile(r"fatal error: (?P<message>.+)$"), "fatal error", True),  # Go runtime: deadlock, out of memory
    (re.compile(rf"Uncaught (?P<type>{_NAMED}){_CODE}{_MESSAGE}"), None, True),  # Node, browsers
    (re.compile(rf"(?:Caused by: )?(?P<type>{_NAMED}){_CODE}{_MESSAGE}"), None, False),  # Python, Node
)
# Every header's first line holds one of these (lowercased): one C-level search rules most messages out.
_HEADER_WORDS = re.compile("error|exception|throwable|fault|panic|warning|exit|interrupt")


def exception_header(line: str, strong_only: bool = False) -> tuple[str, str | None, str | None] | None:
    """(error.type, error.message, error.code) when ``line`` opens an exception report, else None."""
    line = line.strip()
    for rule, fixed, strong in EXCEPTION_HEADERS:
        if strong_only and not strong:
            continue
        m = rule.match(line)
        if m is not None:
            groups = m.groupdict()
            message = (groups.get("message") or "").strip() or None
            return fixed or groups["type"], message, groups.get("code")
    return None


def split_stack_trace(trace: str) -> tuple[str | None, str | None]:
    """(error.type, error.message) from a Python traceback (last line) or a Java, Go or Node trace (first line)."""
    lines = [line.strip() for line in trace.strip().splitlines() if line.strip()]
    if not lines:
        return None, None
    candidates = [lines[-1], lines[0]] if lines[0].startswith("Traceback") else [lines[0], lines[-1]]
    for line in candidates:
        found = exception_header(line)
        if found:
            return found[0], found[1]
    return None, None


def error_from_message(message: str, low: str) -> tuple[str, str | None, str | None] | None:
    """An exception header opening the message itself (an uncaught exception logged as it was printed).

    Strong headers on any message; weak ones only when more lines (the trace) follow. A substring test
    first: most messages name no exception.
    """
    hit = _HEADER_WORDS.search(low)
    if hit is None:
        return None
    newline = low.find("\n", 0, hit.start())
    if newline >= 0:  # the word is on a later line: not in the first line's header
        return None
    newline = low.find("\n", hit.start())
    return exception_header(message if newline < 0 else message[:newline], strong_only=newline < 0)


#: Document keys a JSON parser leaves a serialized error object under (pino and bunyan: `err`).
ERROR_OBJECT_KEYS = tuple(
    f"{prefix}.{name}" for prefix in ("json", "pino", "bunyan", "winston") for name in ("err", "error", "exception")
)
#: A serialized error's fields -> ECS (pino: type message stack; bunyan: name message stack code signal;
#: serialize-error and winston metadata alike). The first field present of each target wins.
ERROR_OBJECT_FIELDS: tuple[tuple[str, str], ...] = (
    ("type", "error.type"),
    ("name", "error.type"),
    ("message", "error.message"),
    ("msg", "error.message"),
    ("stack", "error.stack_trace"),
    ("stack_trace", "error.stack_trace"),
    ("stacktrace", "error.stack_trace"),
    ("code", "error.code"),
)
#: Flat keys a parser made of an ECS-shaped `error` object that ECS spells otherwise.
_ERROR_ALIASES = (("error.stack", "error.stack_trace"), ("error.name", "error.type"))
_ERROR_KEYS = frozenset(ERROR_OBJECT_KEYS) | {alias for alias, _ in _ERROR_ALIASES}


def error_objects(doc: dict[str, Any]) -> None:
    """A serialized error object (``json.err``...) becomes ``error.*``; what ECS has no field for stays where it was.

    Fields the document already has win (a parser's own ``error.message`` is not overwritten).
    """
    if _ERROR_KEYS.isdisjoint(doc):  # one C-level pass over the keys: most documents hold none
        return
    for key in ERROR_OBJECT_KEYS:
        obj = doc.get(key)
        if type(obj) is not dict:
            continue
        rest = dict(obj)
        for name, target in ERROR_OBJECT_FIELDS:
            value = rest.get(name)
            if type(value) is int and not isinstance(value, bool):
                value = str(value)  # a numeric code (errno): error.code is a keyword
            if type(value) is str and value and target not in doc:
                doc[target] = value
                del rest[name]
        if rest:
            doc[key] = rest
        else:
            del doc[key]
    for alias, target in _ERROR_ALIASES:
        value = doc.get(alias)
        if type(value) is str and target not in doc:
            doc[target] = doc.pop(alias)

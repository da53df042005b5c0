"""Which parser reads a line: hint, then the parsers a source used lately, then priority order."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from logflow.parse.parsers import RECENT_PARSERS, ParserSet

PARSERS = ParserSet.load()
APP = "2026-11-22 00:00:44,129 INFO checkout.api: cart priced items=4 total=478.82"
ACCESS = '10.1.2.3 - - [22/Nov/2026:10:11:12 +0000] "GET /api/products/123 HTTP/1.1" 200 5123 "-" "curl/8.5.0"'
SYSLOG = "Nov 22 09:59:53 host-3 sshd[98999]: Accepted publickey for deploy from 10.0.45.161 port 55357 ssh2"


@contextmanager
def attempts(parsers: ParserSet) -> Iterator[list[str]]:
    """The names of the parsers tried, in order, while the block runs.

    Counted at each parser's first grok expression (every parser tried runs it), by wrapping the
    expression's matcher: the parse module may be compiled (mypyc), whose classes cannot be patched.
    """
    tried: list[str] = []
    restore: list[tuple[Any, Any]] = []

    def counting(name: str, match: Callable[[str], Any]) -> Callable[[str], Any]:
        def counted(line: str) -> Any:
            tried.append(name)
            return match(line)

        return counted

    for parser in parsers:
        if parser.groks:
            grok = parser.groks[0]
            restore.append((grok, grok.match))
            grok.match = counting(parser.name, grok.match)
    try:
        yield tried
    finally:
        for grok, match in restore:
            grok.match = match


def parser_of(parsers: ParserSet, line: str, source: Any) -> str | None:
    found = parsers.parse_text(line, source, "logs")
    return None if found is None else found.parser.name


def test_an_unkeyed_partition_that_interleaves_formats_tries_only_the_parsers_it_used_lately() -> None:
    parsers = ParserSet.load()
    source = ("logs", 0, "")  # what an unkeyed raw record's source is
    for line in (APP, ACCESS, SYSLOG):  # each found by priority order once
        parser_of(parsers, line, source)
    with attempts(parsers) as tried:
        names = [parser_of(parsers, line, source) for line in (SYSLOG, APP, ACCESS, APP, SYSLOG)]
    assert names == ["syslog", "app", "nginx.access", "app", "syslog"]
    assert len(tried) <= 5 * RECENT_PARSERS  # never the whole library (over a dozen parsers) again
    assert tried[:1] == ["syslog"]  # the most recent first


def test_a_source_that_uses_more_formats_than_it_remembers_still_reads_every_line() -> None:
    parsers = ParserSet.load()
    source = ("logs", 0, "")
    samples = [(p.name, s.line) for p in PARSERS for s in p.samples if p.kind == "grok" and "\n" not in s.line]
    fresh = ParserSet.load()
    rng = random.Random(5)
    for _ in range(3):
        rng.shuffle(samples)
        for _, line in samples:
            alone = parser_of(fresh, line, object())  # a new source: no memory, priority order
            assert (parser_of(parsers, line, source) is None) == (alone is None), line


def test_memory_never_changes_the_parser_of_a_line_only_one_parser_reads() -> None:
    """Lines of the demo's formats are each read by one parser: with or without memory, the same one."""
    parsers = ParserSet.load()
    source = ("logs", 0, "")
    lines = [APP, ACCESS, SYSLOG] * 20
    random.Random(3).shuffle(lines)
    fresh = ParserSet.load()
    assert [parser_of(parsers, line, source) for line in lines] == [
        parser_of(fresh, line, object())
        for line in lines  # a new source per line: priority order each time
    ]


def test_a_hint_is_tried_before_anything_the_source_remembers() -> None:
    parsers = ParserSet.load()
    source = ("logs", 0, "")
    parser_of(parsers, APP, source)
    with attempts(parsers) as tried:
        found = parsers.parse_text(ACCESS, source, "logs", hint="nginx")
    assert found is not None and found.parser.name == "nginx.access"
    assert tried == ["nginx.access"]

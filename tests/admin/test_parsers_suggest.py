"""`logflow parsers suggest`: drafts parsers for formats generated here, never seen by the code.

Each example invents a log format (time style, separators, level style, an optional thread column)
and a handful of message templates, writes lines in it, asks for a draft, and then reads *new*
lines of the same format with the draft: the time, level and message must come out as written.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from logflow.admin.parsers_suggest import suggest
from logflow.config import Settings, load_settings
from logflow.parse.parsers import ParserSet, load_parser
from logflow.parse.timestamps import format_utc

LEVELS = {"DEBUG": "debug", "INFO": "info", "WARN": "warn", "WARNING": "warn", "ERROR": "error", "FATAL": "fatal"}
WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8)
TIME_STYLES = {
    "iso": lambda t: t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}",
    "iso_t": lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
    "bracketed": lambda t: "[" + t.strftime("%Y-%m-%d %H:%M:%S,") + f"{t.microsecond // 1000:03d}]",
    "slashes": lambda t: t.strftime("%Y/%m/%d %H:%M:%S"),
}


@st.composite
def formats(draw: st.DrawFn) -> dict[str, object]:
    """A log format: time style, separator, level style, thread column, and 2-4 message templates."""
    templates = []
    for _ in range(draw(st.integers(2, 4))):
        words = draw(st.lists(WORD, min_size=2, max_size=4, unique=True))
        kinds = draw(st.lists(st.sampled_from(["int", "ip"]), min_size=1, max_size=2))
        slots = [(kind, draw(st.integers(1, len(words) + n))) for n, kind in enumerate(kinds)]
        templates.append((words, slots))
    firsts = [words[0] for words, _ in templates]
    if len(set(firsts)) != len(firsts):  # templates must be told apart by a constant word
        templates = [(words, slots) for n, (words, slots) in enumerate(templates) if words[0] not in firsts[:n]]
    return {
        "time": draw(st.sampled_from(sorted(TIME_STYLES))),
        "sep": draw(st.sampled_from([" ", " | ", " - "])),
        "level": draw(st.sampled_from(["bare", "bracketed"])),
        "thread": draw(st.booleans()),
        "templates": templates,
    }


def _value(kind: str, rnd: st.DrawFn) -> str:
    if kind == "int":
        return str(rnd(st.integers(0, 10**6)))
    return ".".join(str(rnd(st.integers(1, 254))) for _ in range(4))


@st.composite
def lines_of(draw: st.DrawFn, fmt: dict[str, object], count: int) -> list[tuple[str, str, str, str]]:
    """(line, expected @timestamp, expected level, expected message) in format ``fmt``."""
    start = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    out = []
    templates = fmt["templates"]
    assert isinstance(templates, list)
    for n in range(count):
        moment = start + timedelta(milliseconds=draw(st.integers(0, 10**8)))
        if fmt["time"] == "slashes":
            moment = moment.replace(microsecond=0)
        words, slots = templates[n % len(templates)]
        parts = list(words)
        for kind, position in slots:
            parts.insert(position, _value(kind, draw))
        message = " ".join(parts)
        level = draw(st.sampled_from(sorted(LEVELS)))
        shown = f"[{level}]" if fmt["level"] == "bracketed" else f"{level:<5}"
        thread = f"[worker-{draw(st.integers(1, 9))}] " if fmt["thread"] else ""
        time_text = TIME_STYLES[str(fmt["time"])](moment)
        line = f"{time_text}{fmt['sep']}{shown} {thread}{message}"
        out.append((line, format_utc(moment), LEVELS[level], message))
    return out


@pytest.fixture(scope="module")
def base() -> tuple[ParserSet, Settings]:
    return ParserSet.load(), load_settings(None)


# No shrinking: each example drafts and checks a whole parser, and a failing format prints in full.
@settings(
    max_examples=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_a_draft_reads_new_lines_of_a_format_it_was_never_shown(
    base: tuple[ParserSet, Settings], data: st.DataObject
) -> None:
    parsers, config = base
    fmt = data.draw(formats())
    seen = data.draw(lines_of(fmt, 60))
    draft = suggest([line for line, *_ in seen], parsers, config, name="generated")
    if not draft.unmatched:  # a shipped parser reads this format already: nothing to draft
        return
    assert draft.problems == [], draft.toml
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.toml"
        path.write_text(draft.toml, encoding="utf-8")
        parser = load_parser(path, parsers.library)
    now = datetime.now(UTC)
    fresh = data.draw(lines_of(fmt, 30))
    for line, stamp, level, message in fresh:
        if parsers.parse_text(line, None, "t") is not None:
            continue
        found = parser.match_text(line)
        assert found is not None, line
        fields = dict(found[0])
        parser.finish(fields, now)
        assert fields.get("@timestamp") == stamp, line
        assert str(fields.get("log.level")).lower() in (level, level.upper(), "warning")
        assert fields.get("message") == message, line


def test_a_frequent_template_gets_typed_fields_named_after_their_keys(base: tuple[ParserSet, Settings]) -> None:
    parsers, config = base
    lines = [f"2026-11-20 08:15:{n:02d}.000 | INFO | sent batch={n} to 10.0.0.{n} in {n * 3} ms" for n in range(10)]
    draft = suggest(lines, parsers, config, name="shipper")
    assert draft.problems == []
    assert "%{INT:shipper.batch:int}" in draft.toml
    assert "%{IPV4:" in draft.toml


def test_lines_every_parser_already_reads_draft_nothing(base: tuple[ParserSet, Settings]) -> None:
    parsers, config = base
    line = '10.1.2.3 - - [20/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "-"'
    assert suggest([line] * 5, parsers, config).unmatched == 0

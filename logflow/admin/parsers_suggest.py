"""`logflow parsers suggest FILE`: a parser definition drafted from the lines no parser matched.

A user with a format nobody wrote a parser for has the lines, not a grammar. This drafts one for
them to review: it finds the header the lines share (time, level, thread, pid, logger: built one
element at a time, each element kept only when nearly every line has it), mines the templates of
what follows, and writes one grok expression per frequent template (its variable parts as typed
captures) plus a catch-all for the rest, with sample lines and the fields they must give. The
draft is checked before it is shown: it is loaded as `logflow parsers check` loads a parser, and
every sample must give what it expects.

Expectations are computed apart from the drafted grok: the time from the header text through the
same time formats a parser names, the level through the level table, the message as the text after
the header. So a draft whose grok captures the wrong text fails its own samples.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from logflow.admin.parsers_check import check_parsers
from logflow.config import Settings
from logflow.enrich.levels import LEVELS
from logflow.errors import ConfigError, ParserDefinitionError
from logflow.mining import WILDCARD, TemplateMiner
from logflow.parse.grok import Grok, PatternLibrary
from logflow.parse.parsers import ParserSet, load_parser
from logflow.parse.timestamps import TimeParser
from logflow.worker.processor import Processor

#: Share of the lines still in play that must have a header element for it to be kept.
KEEP_SHARE = 0.9
#: A template gets a grok of its own when it covers at least this many lines (and this share).
MIN_TEMPLATE_LINES = 3
MIN_TEMPLATE_SHARE = 0.01


@dataclass(frozen=True, slots=True)
class Element:
    """One header element: a grok snippet, what it is called in the report, and its time format."""

    grok: str
    label: str
    time_format: str | None = None
    first_only: bool = False


_SP = r"\s*"
#: Candidate header elements, most specific first within each kind (ties go to the earlier one).
ELEMENTS: tuple[Element, ...] = (
    Element(r"\[%{TIMESTAMP_ISO8601:timestamp}\]", "[ISO 8601 time]", "ISO8601", True),
    Element(r"%{TIMESTAMP_ISO8601:timestamp}", "ISO 8601 time", "ISO8601", True),
    Element(r"\[%{HTTPDATE:timestamp}\]", "[dd/Mon/yyyy:HH:mm:ss zone]", "HTTPDATE", True),
    Element(r"%{HTTPDATE:timestamp}", "dd/Mon/yyyy:HH:mm:ss zone", "HTTPDATE", True),
    Element(r"%{SYSLOGTIMESTAMP:timestamp}", "syslog time (no year)", "SYSLOG", True),
    Element(r"(?<timestamp>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)", "yyyy/MM/dd HH:mm:ss", "%Y/%m/%d %H:%M:%S", True),
    Element(r"(?<timestamp>\d{6} \d{6})(?!\d)", "yyMMdd HHmmss", "%y%m%d %H%M%S", True),
    Element(r"\[(?<timestamp>1\d{12})\]", "[epoch ms]", "UNIX_MS", True),
    Element(r"(?<timestamp>1\d{12})(?![\d.])", "epoch ms", "UNIX_MS", True),
    Element(r"\[(?<timestamp>1\d{9}(?:\.\d+)?)\]", "[epoch s]", "UNIX", True),
    Element(r"(?<timestamp>1\d{9}(?:\.\d+)?)(?![\d])", "epoch s", "UNIX", True),
    Element(r"\[%{LOGLEVEL:log.level}\]", "[level]"),
    Element(r"<%{LOGLEVEL:log.level}>", "<level>"),
    Element(r"%{LOGLEVEL:log.level}(?=[\s:|]|$)", "level"),
    Element(r"\[%{POSINT:process.pid:int}\]", "[pid]"),
    Element(
        r"%{SYSLOGHOST:host.hostname} %{PROG:process.name}(?:\[%{POSINT:process.pid:int}\])?:", "host program[pid]:"
    ),
    Element(r"%{PROG:process.name}\[%{POSINT:process.pid:int}\]:", "program[pid]:"),
    Element(r"\[(?<process.thread.name>[^\]\s][^\]]*)\]", "[thread]"),
    Element(r"(?<log.logger>[A-Za-z_$][\w$]*(?:\.[\w$]+)+)(?=[\s:])", "dotted logger"),
    Element(r"(?:-|:|\|)(?=\s)", "separator"),
    Element(r"(?<{column}>[^\s|\[\]]+)(?=\s+(?:\||-\s))", "column"),
)

_KEY = re.compile(r"([A-Za-z_][\w.-]*)\s*[=:]\s*[\"'\[(]?$")
_INT = re.compile(r"-?\d{1,18}")
_FLOAT = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")
_IPV4 = re.compile(r"(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}")
_IDENT = re.compile(r"[^a-z0-9_]+")


@dataclass(slots=True)
class Header:
    """The header the lines share: its grok, its elements and how each line ended it."""

    grok: str = ""
    labels: list[str] = field(default_factory=list)
    time_format: str | None = None
    regex: re.Pattern[str] | None = None


@dataclass(slots=True)
class Draft:
    """A drafted parser: the TOML text, what it covers and whether its own check passed."""

    toml: str
    lines: int
    unmatched: int
    header: Header
    patterns: list[tuple[str, int]]
    header_misses: list[str]
    problems: list[str]


def unmatched_lines(lines: Iterable[str], parsers: ParserSet) -> list[str]:
    """Text lines (not JSON objects) that no parser of the set matches."""
    out: list[str] = []
    for line in lines:
        text = line.rstrip("\r\n")
        if not text.strip() or text.lstrip().startswith("{"):
            continue
        if parsers.parse_text(text, None, "suggest") is None:
            out.append(text)
    return out


def _compile(grok: str, library: PatternLibrary) -> re.Pattern[str]:
    return re.compile(Grok(grok, library).expression)


def find_header(lines: Sequence[str], library: PatternLibrary, namespace: str) -> tuple[Header, list[str]]:
    """Grow the header element by element while nearly every line has the next one.

    Returns the header and the lines it does not read (a second format, continuation lines).
    """
    header = Header()
    in_play = list(lines)
    while in_play:
        best: tuple[int, Element, re.Pattern[str], str] | None = None
        for element in ELEMENTS:
            if element.first_only and header.grok:
                continue
            if element.time_format and header.time_format:
                continue
            if element.label in header.labels and element.label not in ("separator", "column"):
                continue
            if element.label == "separator" and (not header.labels or header.labels[-1] == "separator"):
                continue
            if "log.level" in element.grok and any("level" in label for label in header.labels):
                continue
            column = f"{namespace}.column{header.labels.count('column') + 1}"
            snippet = element.grok.replace("{column}", column)
            grok = f"{header.grok}{_SP}{snippet}" if header.grok else snippet
            regex = _compile(grok, library)
            hits = sum(1 for line in in_play if regex.match(line))
            if hits >= KEEP_SHARE * len(in_play) and (best is None or hits > best[0]):
                best = (hits, element, regex, grok)
        if best is None:
            break
        _, element, regex, header.grok = best
        header.labels.append(element.label)
        header.time_format = header.time_format or element.time_format
        header.regex = regex
        in_play = [line for line in in_play if regex.match(line)]
    if header.labels and header.labels[-1] == "separator" and len(header.labels) == 1:
        return Header(), list(lines)
    misses = [line for line in lines if header.regex is None or not header.regex.match(line)]
    return header, misses


def _rest(header: Header, line: str) -> str:
    """The message: what follows the header, separators and spaces taken off."""
    if header.regex is None:
        return line.strip()
    found = header.regex.match(line)
    return line[found.end() :].lstrip(" \t:|-").strip() if found else line.strip()


def _slot_regex(template: str) -> re.Pattern[str]:
    """A regex reading a template, one group per `<*>` (spaces as any whitespace)."""
    parts = [re.escape(p).replace(r"\ ", r"\s+") for p in template.split(WILDCARD)]
    body = "".join(f"{p}(.+?)" for p in parts[:-1]) + parts[-1]
    return re.compile(rf"{body}\s*$", re.DOTALL)


def _capture(values: list[str], name: str, last: bool) -> tuple[str, str]:
    """The grok capture for a slot's values, typed by what all of them are; also its type name."""
    if all(_INT.fullmatch(v) for v in values):
        return f"%{{INT:{name}:int}}", "int"
    if all(_FLOAT.fullmatch(v) or _INT.fullmatch(v) for v in values):
        return f"%{{NUMBER:{name}:float}}", "float"
    if all(_IPV4.fullmatch(v) for v in values):
        return f"%{{IPV4:{name}}}", "text"
    if all(v and not any(c.isspace() for c in v) for v in values) and not last:
        return f"%{{NOTSPACE:{name}}}", "text"
    return (f"%{{GREEDYDATA:{name}}}" if last else f"%{{DATA:{name}}}"), "text"


_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "in",
        "at",
        "to",
        "for",
        "of",
        "on",
        "by",
        "with",
        "from",
        "after",
        "before",
        "into",
        "than",
        "then",
        "is",
        "was",
        "are",
        "be",
        "been",
        "and",
        "or",
        "not",
        "as",
        "via",
    ]
)


def _slot_name(before: str, after: str) -> str:
    """A name for a variable: the key before it (`user=<*>`), else the word before it unless that is
    a function word (`order <*>`), else the word after it (`<*> attempts`); "" when none reads well."""
    key = _KEY.search(before)
    if key:
        return _IDENT.sub("_", key.group(1).lower()).strip("_")
    prev = before.split()[-1:]
    for word in (*prev, *after.split()[:1]):
        clean = word.strip("()[]{}<>,;:'\"").lower()
        if clean.isalpha() and len(clean) > 1 and clean not in _STOPWORDS:
            return clean
    return ""


def _slot_names(template: str, namespace: str) -> list[str]:
    """A field name for each `<*>` (see `_slot_name`), else its position; unique within the pattern."""
    names: list[str] = []
    pieces = template.split(WILDCARD)
    for number, before in enumerate(pieces[:-1], start=1):
        base = _slot_name(before, pieces[number])
        name = base or f"field{number}"
        while f"{namespace}.{name}" in names:
            name = f"{name}_{number}"
        names.append(f"{namespace}.{name}")
    return names


def _grok_escape(text: str) -> str:
    """Constant template text as a grok literal: regex-escaped, spaces as `\\s+`."""
    return re.escape(text).replace(r"\ ", r"\s+").replace("%", r"\%")


def _split_runs(template: str, messages: list[str]) -> str:
    """The template with each `<*>` that always holds the same number of words (``2 72``) written as
    that many `<*>`, so each word gets a capture (and a type) of its own."""
    reader = _slot_regex(template)
    rows = [found.groups() for m in messages if (found := reader.fullmatch(m))]
    if len(rows) != len(messages) or not rows:
        return template
    pieces = template.split(WILDCARD)
    out = pieces[0]
    for number, piece in enumerate(pieces[1:]):
        widths = {len(row[number].split()) for row in rows}
        width = widths.pop() if len(widths) == 1 else 1
        out += " ".join([WILDCARD] * max(width, 1)) + piece
    return out


def template_grok(template: str, messages: list[str], namespace: str) -> tuple[str, list[dict[str, Any]]] | None:
    """A grok for one template (message kept whole, variables typed) and each message's slot values."""
    template = _split_runs(template, messages)
    reader = _slot_regex(template)
    rows = [reader.fullmatch(m) for m in messages]
    if not all(rows):
        return None
    columns = list(zip(*(r.groups() for r in rows if r), strict=True)) if template.count(WILDCARD) else []
    names = _slot_names(template, namespace)
    pieces = template.split(WILDCARD)
    body = ""
    kinds: list[str] = []
    for number, piece in enumerate(pieces[:-1]):
        last = number == len(pieces) - 2 and not pieces[-1]
        capture, kind = _capture([v.strip() for v in columns[number]], names[number], last)
        body += _grok_escape(piece) + capture
        kinds.append(kind)
    body += _grok_escape(pieces[-1])
    values: list[dict[str, Any]] = []
    for row in rows:
        assert row is not None
        fields: dict[str, Any] = {}
        for name, kind, value in zip(names, kinds, row.groups(), strict=True):
            value = value.strip()
            fields[name] = int(value) if kind == "int" else float(value) if kind == "float" else value
        values.append(fields)
    return f"(?<message>{body})", values


def suggest(
    lines: Sequence[str], parsers: ParserSet, settings: Settings, name: str = "suggested", top: int = 12
) -> Draft:
    """Draft a parser for the lines of ``lines`` no parser of ``parsers`` matches."""
    all_lines = [line.rstrip("\r\n") for line in lines if line.strip()]
    todo = unmatched_lines(all_lines, parsers)
    library = parsers.library
    namespace = _IDENT.sub("_", name.lower()).strip("_") or "suggested"
    header, misses = find_header(todo, library, namespace)
    covered = [line for line in todo if line not in set(misses)] if header.regex else list(todo)
    messages = [_rest(header, line) for line in covered]
    miner = TemplateMiner()
    miner.add_batch(messages)
    by_template: dict[str, list[int]] = {}
    for index, message in enumerate(messages):
        found = miner.match(message)
        by_template.setdefault(found.text if found else message, []).append(index)
    threshold = max(MIN_TEMPLATE_LINES, MIN_TEMPLATE_SHARE * len(messages))
    frequent = sorted(
        (t for t, idx in by_template.items() if len(idx) >= threshold), key=lambda t: -len(by_template[t])
    )
    made_for: list[tuple[str, int, str, dict[str, Any]]] = []
    header_name = f"{namespace.upper()}_HEADER"
    joiner = f"%{{{header_name}}}{_SP}" if header.grok else ""
    for template in frequent[:top]:
        if template.strip() == WILDCARD:
            continue
        made = template_grok(template, [messages[i] for i in by_template[template]], namespace)
        if made is None:
            continue
        grok, values = made
        first = by_template[template][0]
        made_for.append((f"{joiner}{grok}\\s*$", len(by_template[template]), covered[first], values[0]))
    # Most specific first (fewest variables, then most constant text): a pattern with a variable where
    # another template has a constant word must not read that template's lines.
    made_for.sort(key=lambda m: (m[0].count("%{"), -len(re.sub(r"%\{[^}]*\}", "", m[0]))))
    patterns = [(grok, count) for grok, count, _, _ in made_for]
    compiled = [_compile(p.replace(joiner, f"{header.grok}{_SP}", 1), library) for p, _ in patterns]
    samples: list[tuple[str, dict[str, Any]]] = []
    for number, (_, _, line, slots) in enumerate(made_for):
        first_match = next((n for n, g in enumerate(compiled) if g.match(line)), None)
        samples.append((line, slots if first_match == number else {}))
    patterns.append((f"{joiner}%{{GREEDYDATA:message}}", len(messages) - sum(n for _, n in patterns)))
    if samples:
        specific = {covered[by_template[t][0]] for t in frequent[:top]}
        rest = [line for line in covered if line not in specific]
        samples_lines = [s[0] for s in samples]
        leftover = next((line for line in rest if not any(g.match(line) for g in compiled)), None)
        if leftover is not None and leftover not in samples_lines:
            samples.append((leftover, {}))
    elif covered:
        samples.append((covered[0], {}))
    toml = render_toml(name, header, patterns, samples, parsers.library)
    problems = check_draft(toml, parsers, settings)
    return Draft(toml, len(all_lines), len(todo), header, patterns, misses, problems)


def _expected(header: Header, line: str, slots: dict[str, Any], library: PatternLibrary) -> dict[str, Any]:
    """What a sample line must give, computed apart from the drafted patterns."""
    expect: dict[str, Any] = {"message": _rest(header, line)}
    if header.regex is not None:
        found = Grok(header.grok, library).match(line)
        if found:
            level = found.get("log.level")
            if isinstance(level, str):
                expect["log.level"] = LEVELS.get(level.lower(), level.lower())
            stamp = found.get("timestamp")
            if isinstance(stamp, str) and header.time_format and header.time_format != "SYSLOG":
                parsed = TimeParser([header.time_format]).parse(stamp, datetime.now(UTC))
                if parsed is not None:
                    expect["@timestamp"] = parsed

    expect.update(slots)
    return expect


def _toml_str(text: str) -> str:
    """A TOML literal string when it can be one (no escapes to read), else a basic string."""
    if "'" not in text and "\n" not in text and not any(ord(c) < 32 for c in text):
        return f"'{text}'"
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if ord(c) >= 32 else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def _toml_key(key: str) -> str:
    """A key as TOML reads it whole: dotted field names are quoted (`"log.level"`), bare words stay bare."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_str(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return _toml_str(str(value))


def render_toml(
    name: str,
    header: Header,
    patterns: list[tuple[str, int]],
    samples: list[tuple[str, dict[str, Any]]],
    library: PatternLibrary,
) -> str:
    """The parser definition as TOML, with comments saying what was found."""
    dataset = _IDENT.sub("_", name.lower()).strip("_") or "suggested"
    lines = [
        "# Drafted by `logflow parsers suggest`: review the names and types, then drop this file into",
        "# your parse.parsers_dir and run `logflow parsers check`.",
        f"# Header found: {' '.join(header.labels) if header.labels else 'none (no shared time or level)'}",
        f'name = "{dataset}"',
        f'dataset = "{dataset}"',
        f'description = "Drafted from sample lines ({len(patterns) - 1} templates and a catch-all)"',
        "priority = 90",
        "patterns = [",
    ]
    for grok, count in patterns:
        lines.append(f"    # {count} line(s)")
        lines.append(f"    {_toml_str(grok)},")
    lines.append("]")
    if header.grok:
        lines += ["", "[definitions]", f"# the header every line shares: {' '.join(header.labels)}"]
        lines.append(f"{dataset.upper()}_HEADER = {_toml_str(header.grok)}")
    if header.time_format:
        lines += [
            "",
            "[timestamp]",
            'field = "timestamp"',
            f"formats = [{_toml_str(header.time_format)}]",
            'timezone = "UTC"',
        ]
    for line, slots in samples:
        lines += ["", "[[sample]]", f"line = {_toml_str(line)}", "[sample.expect]"]
        for key, value in _expected(header, line, slots, library).items():
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def check_draft(toml: str, parsers: ParserSet, settings: Settings) -> list[str]:
    """Run the draft as `logflow parsers check` would: loaded beside the library, samples through the
    real decode, parse and enrich path; every way it fails, in words."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "suggested.toml"
        path.write_text(toml, encoding="utf-8")
        try:
            draft = load_parser(path, parsers.library)
        except (ParserDefinitionError, ConfigError, ValueError) as exc:
            return [f"the draft does not load: {exc}"]
    others = [p for p in parsers.parsers if p.name != draft.name]
    processor = Processor(settings, ParserSet([*others, draft], parsers.library))
    problems: list[str] = []
    for outcome in check_parsers(processor, draft.name):
        problems.extend(f"{problem} (in {outcome.line[:80]!r})" for problem in outcome.problems)
    return problems


def summary(draft: Draft) -> list[str]:
    """Lines for the terminal: what was read, found and checked."""
    out = [
        f"{draft.lines} lines read, {draft.unmatched} matched no parser",
        f"header: {' '.join(draft.header.labels) or 'none found'}"
        + (f" ({len(draft.header_misses)} lines do not have it)" if draft.header_misses else ""),
        f"{len(draft.patterns) - 1} template patterns and a catch-all",
    ]
    out.append("check: passed" if not draft.problems else f"check: {len(draft.problems)} problem(s)")
    out.extend(f"  {p}" for p in draft.problems[:10])
    return out

"""The parse stage: a line (or a decoded JSON object) in, flat ECS fields out.

Parsers are data (``parsers/*.toml``), loaded and compiled once. For each text line the stage
tries, in order: the parser named by a hint (Kafka header, envelope field), the parsers that
matched the last lines from the same source (up to three, most recent first: logs arrive in runs of
one format, and a partition written unkeyed interleaves a few; each pattern tried and failed costs
1-4 µs of regex), then every parser by priority. A line no parser matches is still an event: it keeps
its text as ``message`` and is tagged ``parse_failure``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import structlog

from logflow.cache import BoundedCache
from logflow.errors import ParserDefinitionError
from logflow.parse.grok import Grok, GrokTimeout, Origin, PatternLibrary
from logflow.parse.mapping import LEAVES, STRING_KINDS, leaf_fits
from logflow.parse.timestamps import TimeParser

log = structlog.get_logger("logflow.parse.parsers")

FALLBACK_DATASET = "generic"
# Parsers remembered per source: a partition written unkeyed carries several formats at once.
RECENT_PARSERS = 3
_DURATION_SCALE = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}


def default_parsers_dir() -> Path:
    """The parsers shipped with logflow: packaged in the wheel, or the repository's ``parsers/``."""
    packaged = resources.files("logflow") / "_parsers"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "parsers"


@dataclass(frozen=True, slots=True)
class Sample:
    """A real line and the fields it must produce: the parser's own test."""

    line: str
    expect: Mapping[str, Any]
    absent: tuple[str, ...] = ()


@dataclass(slots=True, eq=False)
class Parser:
    """One log type: how to recognize it and how to turn it into fields. Compared by identity: a parser is
    loaded once, and `parser in tried` must not compare every field of two different parsers.
    """

    name: str
    dataset: str
    kind: str  # "grok" | "json"
    priority: int
    path: str
    description: str = ""
    hints: tuple[str, ...] = ()
    topics: frozenset[str] = frozenset()
    groks: tuple[Grok, ...] = ()
    timestamp_field: str | None = None
    time: TimeParser | None = None
    static: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    rename: dict[str, str] = field(default_factory=dict)
    durations: tuple[tuple[str, float], ...] = ()
    samples: tuple[Sample, ...] = ()
    when: dict[str, Any] = field(default_factory=dict)
    extra_prefix: str = "json"
    message_format: tuple[tuple[str, str | None], ...] | None = None  # (literal, field) parts
    hint_only: bool = False  # tried only for records hinted to it (a catch-all such as `syslog.msg`)

    def build_message(self, fields: dict[str, Any]) -> str | None:
        """`message` from captured fields, e.g. "GET /api/orders 502"; None when a field is missing."""
        if self.message_format is None:
            return None
        parts: list[str] = []
        for literal, name in self.message_format:
            parts.append(literal)
            if name is not None:
                value = fields.get(name)
                if value is None:
                    return None
                parts.append(str(value))
        return "".join(parts)

    def accepts(self, obj: dict[str, Any]) -> bool:
        """JSON parsers pick objects by field values (``[when] type = "audit"``); empty `when` takes all."""
        if not self.when:  # the usual catch-all parser: no generator to build per record
            return True
        return all(obj.get(key) == value for key, value in self.when.items())

    def fields_from_json(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Known keys to ECS (the `rename` table), ECS-shaped keys kept, everything else under `extra_prefix`."""
        out: dict[str, Any] = {}
        rename = self.rename
        extra = self.extra_prefix
        for key, value in obj.items():
            target = rename.get(key)
            root = key.split(".", 1)[0]
            if target is not None and not (isinstance(value, dict) and root in ECS_ROOTS):
                if target == "-":
                    continue
                kind = LEAVES.get(target)
                if (  # `"level": {"name": ...}` is the user's own field; a text is fine where a text goes
                    kind is not None
                    and not (type(value) is str and kind in STRING_KINDS)
                    and not leaf_fits(kind, value)
                ):
                    out[f"{extra}.{key}"] = value
                elif target not in out:
                    out[target] = value
                continue
            if root in ECS_ROOTS:
                if isinstance(value, dict):
                    _flatten_into(out, key, value, 0)
                else:
                    out.setdefault(key, value)
            else:
                out[f"{extra}.{key}"] = value
        message = out.get("message")
        if message is not None and not isinstance(message, str | dict):  # an object is fitted (parse.mapping)
            out["message"] = str(message)
        return out

    def match_text(self, line: str, timeouts: list[str] | None = None) -> tuple[dict[str, Any], int] | None:
        """Fields and the index of the pattern that matched (first match wins).

        A pattern that runs past its time budget counts as not matching; it is noted in ``timeouts``.
        """
        for number, grok in enumerate(self.groks):
            try:
                fields = grok.match(line)
            except GrokTimeout:
                if timeouts is not None:
                    timeouts.append(f"{self.name}#{number}")
                continue
            if fields is not None:
                return fields, number
        return None

    def finish(self, fields: dict[str, Any], now: datetime) -> None:
        """Per-parser post-processing shared by text and JSON: time, durations, static fields."""
        if self.timestamp_field is not None and self.time is not None:
            raw = fields.pop(self.timestamp_field, None)
            if raw is not None:
                stamp = self.time.parse(raw, now)
                if stamp is not None:
                    fields["@timestamp"] = stamp
                else:
                    fields["logflow.timestamp_unparsed"] = str(raw)[:256]
        for name, scale in self.durations:
            value = fields.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                fields["event.duration"] = int(value * scale)
        if self.static:
            for key, value in self.static.items():
                fields.setdefault(key, value)


_PLACEHOLDER = re.compile(r"\{([^{}]+)\}")


def compile_message_format(text: str | None) -> tuple[tuple[str, str | None], ...] | None:
    """`"{http.request.method} {url.original}"` -> literal/field parts (dotted names are plain keys here)."""
    if text is None:
        return None
    parts: list[tuple[str, str | None]] = []
    position = 0
    for m in _PLACEHOLDER.finditer(text):
        parts.append((text[position : m.start()], m.group(1)))
        position = m.end()
    parts.append((text[position:], None))
    return tuple(parts)


def _as_list(value: Any, key: str, path: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    raise ParserDefinitionError(path, None, f"`{key}` must be a string or a list", f'write {key} = ["..."]')


_KNOWN_KEYS = {
    "name",
    "dataset",
    "kind",
    "priority",
    "description",
    "hints",
    "topics",
    "patterns",
    "definitions",
    "timestamp",
    "fields",
    "tags",
    "rename",
    "durations",
    "sample",
    "when",
    "extra_prefix",
    "message",
    "hint_only",
}

# Keys whose dotted or nested form is already ECS: kept as they are, flattened to dotted keys.
ECS_ROOTS = frozenset(
    {
        "@timestamp",
        "message",
        "tags",
        "labels",
        "log",
        "service",
        "trace",
        "span",
        "transaction",
        "error",
        "http",
        "url",
        "event",
        "host",
        "process",
        "user",
        "source",
        "destination",
        "client",
        "server",
        "user_agent",
        "agent",
        "ecs",
        "cloud",
        "container",
        "kubernetes",
        "network",
        "file",
        "observer",
        "organization",
        "related",
        "data_stream",
        "orchestrator",
        "dns",
        "tls",
        "geo",
        "logflow",
    }
)
_MAX_FLATTEN_DEPTH = 8


def _flatten_into(out: dict[str, Any], prefix: str, value: Any, depth: int) -> None:
    if isinstance(value, dict) and value and depth < _MAX_FLATTEN_DEPTH:
        for key, inner in value.items():
            _flatten_into(out, f"{prefix}.{key}", inner, depth + 1)
    else:
        out[prefix] = value


def load_parser(path: Path, library: PatternLibrary) -> Parser:
    """Read and compile one parser definition; every mistake names the file (and line for patterns)."""
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParserDefinitionError(str(path), getattr(exc, "lineno", None), f"invalid TOML: {exc}") from None
    where = str(path)
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise ParserDefinitionError(where, None, f"unknown key `{unknown[0]}`", f"use only {sorted(_KNOWN_KEYS)}")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise ParserDefinitionError(where, None, "missing `name`", 'add name = "my.type"')
    kind = data.get("kind", "grok")
    if kind not in ("grok", "json"):
        raise ParserDefinitionError(where, None, f"unknown kind {kind!r}", 'use kind = "grok" or "json"')
    local = library
    definitions = data.get("definitions", {})
    if definitions:
        local = library.copy()
        for def_name, pattern in definitions.items():
            local.add(def_name, pattern, Origin(where, _line_of(text, def_name)))
    groks: list[Grok] = []
    for pattern in _as_list(data.get("patterns"), "patterns", where):
        groks.append(Grok(pattern, local, origin=Origin(where, _line_of(text, pattern[:40]))))
    if kind == "grok" and not groks:
        raise ParserDefinitionError(where, None, "a grok parser needs `patterns`", "add patterns = ['%{...}']")
    ts = data.get("timestamp", {})
    time_parser = None
    if ts:
        time_parser = TimeParser(ts.get("formats", ["ISO8601"]), ts.get("timezone", "UTC"))
    samples = tuple(Sample(s["line"], s.get("expect", {}), tuple(s.get("absent", []))) for s in data.get("sample", []))
    return Parser(
        name=name,
        dataset=data.get("dataset", name),
        kind=kind,
        priority=int(data.get("priority", 100)),
        path=where,
        description=data.get("description", ""),
        hints=tuple(h.lower() for h in _as_list(data.get("hints"), "hints", where)),
        topics=frozenset(_as_list(data.get("topics"), "topics", where)),
        groks=tuple(groks),
        timestamp_field=ts.get("field", "timestamp") if ts else None,
        time=time_parser,
        static=dict(data.get("fields", {})),
        tags=tuple(_as_list(data.get("tags"), "tags", where)),
        rename=dict(data.get("rename", {})),
        durations=tuple((k, _DURATION_SCALE[v]) for k, v in data.get("durations", {}).items()),
        samples=samples,
        when=dict(data.get("when", {})),
        extra_prefix=str(data.get("extra_prefix", "json")),
        message_format=compile_message_format(data.get("message")),
        hint_only=bool(data.get("hint_only", False)),
    )


def _line_of(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


@dataclass(slots=True, init=False)
class TextMatch:
    parser: Parser
    pattern: int
    fields: dict[str, Any]

    def __init__(self, parser: Parser, pattern: int, fields: dict[str, Any]) -> None:
        # Written out, not generated by dataclass: see logflow/event.py.
        self.parser = parser
        self.pattern = pattern
        self.fields = fields


class ParserSet:
    """Every parser, compiled, with the lookup tables the hot path needs."""

    def __init__(self, parsers: list[Parser], library: PatternLibrary) -> None:
        self._check_unique(parsers)
        self.library = library
        self.parsers = sorted(parsers, key=lambda p: (p.priority, p.name))
        self.by_name = {p.name: p for p in self.parsers}
        # Parsers tried in priority order; a `hint_only` one is tried only when a record is hinted to it.
        self.text_parsers = [p for p in self.parsers if p.kind == "grok" and not p.hint_only]
        self.json_parsers = [p for p in self.parsers if p.kind == "json" and not p.hint_only]
        self._by_hint: dict[str, Parser] = {}
        for p in self.parsers:
            for hint in (*p.hints, p.name.lower(), p.dataset.lower()):
                self._by_hint.setdefault(hint, p)
        self._sticky: BoundedCache[Any, tuple[Parser, ...]] = BoundedCache(10_000)  # per source: recent parsers

    @classmethod
    def load(cls, directory: Path | None = None, *, shipped: bool = True) -> ParserSet:
        """The shipped parsers and pattern library, then ``directory``'s (``parse.parsers_dir``) on top.

        A user's folder adds to the library, as Logstash's ``patterns_dir`` does: its ``patterns/*.grok``
        definitions are added after the shipped ones (a name defined again replaces the shipped one,
        for every parser), and each of its ``*.toml`` parsers is added, or replaces the shipped parser
        of the same name. ``shipped=False`` loads ``directory`` alone.
        """
        base = default_parsers_dir()
        folders = [base] if directory is None else [directory] if not shipped else [base, directory]
        if len(folders) == 2 and folders[0].resolve() == folders[1].resolve():
            folders = [base]
        for folder in folders:
            if not folder.is_dir():
                raise ParserDefinitionError(str(folder), None, "is not a folder", "set parse.parsers_dir")
        library = PatternLibrary()
        for folder in folders:
            for path in sorted(p for p in (folder / "patterns").glob("*.grok") if p.is_file()):
                library.load_file(path)
        library.validate()
        by_name: dict[str, Parser] = {}
        for folder in folders:
            own = [load_parser(path, library) for path in sorted(folder.glob("*.toml"))]
            cls._check_unique(own)  # the same name twice in one folder is a mistake; across folders, an override
            for parser in own:
                replaced = by_name.get(parser.name)
                if replaced is not None:
                    log.info(
                        "Parser replaces a shipped one.", parser=parser.name, path=parser.path, replaces=replaced.path
                    )
                by_name[parser.name] = parser
        parsers = list(by_name.values())
        for parser in parsers:
            for number, grok in enumerate(parser.groks):
                if grok.pathological:
                    log.warning(
                        "Pattern backtracks badly on hostile input; it will always match under a time budget.",
                        parser=parser.name,
                        pattern=number,
                        path=parser.path,
                        budget_ms=grok.budget_s * 1000,
                    )
        return cls(parsers, library)

    @staticmethod
    def _check_unique(parsers: list[Parser]) -> None:
        seen: dict[str, str] = {}
        for parser in parsers:
            if parser.name in seen:
                raise ParserDefinitionError(
                    parser.path, None, f"parser name {parser.name!r} is also used by {seen[parser.name]}"
                )
            seen[parser.name] = parser.path

    def __iter__(self) -> Iterator[Parser]:
        return iter(self.parsers)

    def for_hint(self, hint: str | None) -> Parser | None:
        return self._by_hint.get(hint.lower()) if hint else None

    def json_parser_for(self, obj: dict[str, Any], hint: str | None) -> Parser | None:
        hinted = self._by_hint.get(hint.lower()) if hint else None
        if hinted is not None and hinted.kind == "json":
            return hinted
        for parser in self.json_parsers:
            if parser.accepts(obj):
                return parser
        return None

    def parse_text(
        self, line: str, source: Any, topic: str, hint: str | None = None, timeouts: list[str] | None = None
    ) -> TextMatch | None:
        """The first parser that matches ``line``; ``source`` keys the parsers it matched lately.

        Patterns that ran out of time budget are appended to ``timeouts`` (the caller tags the event).
        """
        hinted = self._by_hint.get(hint.lower()) if hint else None
        tried: tuple[Parser, ...] = (hinted,) if hinted is not None else self._sticky.get(source, ())
        for position, parser in enumerate(tried):
            if parser.kind == "grok":
                found = parser.match_text(line, timeouts)
                if found is not None:
                    if position:  # most recent first
                        self._remember(source, parser, tried)
                    return TextMatch(parser, found[1], found[0])
        for parser in self.text_parsers:
            if (parser.topics and topic not in parser.topics) or parser in tried:
                continue
            found = parser.match_text(line, timeouts)
            if found is not None:
                self._remember(source, parser, () if hinted is not None else tried)
                return TextMatch(parser, found[1], found[0])
        return None

    def _remember(self, source: Any, parser: Parser, recent: tuple[Parser, ...]) -> None:
        """``parser`` becomes the source's most recent; the source keeps its last few distinct ones."""
        self._sticky.put(source, (parser, *(p for p in recent if p is not parser))[:RECENT_PARSERS])

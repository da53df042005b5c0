"""`logflow generate`: the demo corpus as lines in a file, for `logflow ship` (and the compose stack).

Kafka headers do not survive a text file, so a raw text line whose producer named its service in a
header is written inside a minimal Filebeat-style envelope (``message`` plus ``fields.service``):
the worker unwraps it like any Filebeat record and still knows ``service.name``. JSON records are
written as they are. Multi-line records (stack traces) stay one line: JSON escapes the newlines.

Times are spread over ``span`` ending now (by default), so dashboards over "the last hour" have
data the moment it is indexed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import orjson

from logflow.demo.corpus import CorpusGenerator, ShipRecord
from logflow.errors import ConfigError

_SPAN = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_span(text: str) -> timedelta:
    """``"90s"``, ``"15m"``, ``"6h"``, ``"2d"`` -> a timedelta."""
    match = _SPAN.fullmatch(text.strip().lower())
    if match is None or int(match.group(1)) < 1:
        raise ConfigError("--span", f"{text!r} is not a duration", "write it like 15m, 6h or 1d")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def line_for(record: ShipRecord) -> bytes:
    """One record as one line of the file."""
    value = record.value
    if value[:1] == b"{" and b"\n" not in value:
        return value
    headers = dict(record.headers)
    fields: dict[str, str] = {}
    if "service" in headers:
        fields["service"] = headers["service"].decode()
    if "environment" in headers:
        fields["env"] = headers["environment"].decode()
    return orjson.dumps(
        {
            "message": value.decode("utf-8", "replace"),
            "agent": {"type": "logflow-generate"},
            "host": {"name": f"{record.service}-1"},
            "fields": fields,
        }
    )


def generate_lines(
    records: int, seed: int = 7, end: datetime | None = None, span: timedelta = timedelta(days=1)
) -> Iterator[bytes]:
    """``records`` corpus lines, with event times spread over ``span`` before ``end`` (default: now)."""
    end = end or datetime.now(UTC)
    # The corpus spreads times over `days`; a fraction of a day works (it only builds a timedelta).
    days = cast(int, span.total_seconds() / 86400)
    corpus = CorpusGenerator(seed=seed, start=end - span, days=days)
    for record in corpus.records(records):
        yield line_for(record)


def write_corpus(
    path: Path, records: int, seed: int = 7, end: datetime | None = None, span: timedelta = timedelta(days=1)
) -> int:
    """Write the lines to ``path``; returns how many were written."""
    written = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        for line in generate_lines(records, seed, end, span):
            handle.write(line + b"\n")
            written += 1
    return written

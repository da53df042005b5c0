"""Readers at the edge: files (raw lines or NDJSON documents) into an ``EventTable``.

Files are streamed line by line. Raw lines go through the real pipeline stages (``Processor``: decode,
parse, enrich), so the analysis sees the same fields the worker would index; NDJSON documents (the
output of ``logflow parse``, or an export) are read as they are. Every event's message is then mined
with one ``TemplateMiner`` over the whole input, in batch mode, so each event carries its template's
*final* id (see docs/mining.md, "Template ids").

Line numbers are 1-based and run over the inputs in the order given, as ``cat FILE...`` would
number them; ``EventTable.files`` maps them back to (file, line).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from logflow.analyze.events import EventColumns, EventTable
from logflow.config import Settings
from logflow.enrich.redact import Redactor
from logflow.errors import ConfigError
from logflow.event import Record
from logflow.mining import Template, mine_lines

#: Raw lines handed to the pipeline stages per call.
RAW_BATCH = 2000

Progress = Callable[[int], None]
"""Called with the number of bytes just read."""


def detect_format(path: Path) -> str:
    """``ndjson`` when the first non-blank line is a logflow/ECS document, else ``raw``.

    A JSON application log line (structlog, ECS logging) is *raw* input: it still needs the parsers.
    A document is recognised by fields only logflow or an Elasticsearch export writes.
    """
    with path.open("rb") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                return "raw"
            if isinstance(obj, dict) and (
                "_index" in obj or "logflow.parser" in obj or "event.dataset" in obj or "_source" in obj
            ):
                return "ndjson"
            return "raw"
    return "raw"


def _ndjson_docs(path: Path, first_line: int, progress: Progress | None) -> Iterator[tuple[int, dict[str, Any]]]:
    loads = orjson.loads
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=first_line):
            if progress is not None:
                progress(len(line))
            if not line.strip():
                continue
            try:
                doc = loads(line)
            except orjson.JSONDecodeError as exc:
                raise ConfigError(
                    str(path),
                    f"line {number - first_line + 1} is not JSON ({exc})",
                    "pass --input raw to run the lines through the parsers",
                ) from None
            if isinstance(doc, dict):
                source = doc.get("_source")
                if isinstance(source, dict):  # an Elasticsearch hit
                    doc = source
                yield number, doc


def _raw_docs(
    path: Path, first_line: int, settings: Settings, progress: Progress | None
) -> Iterator[tuple[int, dict[str, Any]]]:
    from logflow.decode.multiline import MultilineJoiner
    from logflow.worker.processor import Processor  # the parsers load once per run, only when raw input needs them

    processor = Processor(settings)
    joiner = MultilineJoiner.from_config(settings.decode)
    with path.open("rb") as handle:
        numbered = enumerate(handle, start=first_line)
        while True:
            chunk = list(islice(numbered, RAW_BATCH))
            if not chunk:
                return
            records = []
            for number, line in chunk:
                if progress is not None:
                    progress(len(line))
                raw = line.rstrip(b"\r\n")
                if raw.strip():
                    records.append(Record(path.name, 0, number - 1, raw))
            if joiner is not None:  # a stack trace or a CRI line split over records is one event, as in the worker
                records = joiner.join(records)
            for doc in processor.process(records, keep_documents=True).documents:
                yield int(doc["logflow.kafka.offset"]) + 1, doc


def read_files(
    paths: Sequence[Path], settings: Settings, input_format: str = "auto", progress: Progress | None = None
) -> EventTable:
    """Stream every file once into columns, mining messages on the way."""
    columns = EventColumns()
    refs: list[int] = []
    files: list[tuple[str, int]] = []
    redact = Redactor.from_config(settings.redaction)  # raw lines go through it inside the processor

    def messages() -> Iterator[str]:
        offset = 0
        for path in paths:
            fmt = detect_format(path) if input_format == "auto" else input_format
            files.append((str(path), offset))
            columns.start_segment()
            docs = (
                _ndjson_docs(path, offset + 1, progress)
                if fmt == "ndjson"
                else _raw_docs(path, offset + 1, settings, progress)
            )
            for number, doc in docs:
                if fmt == "ndjson" and redact is not None:
                    redact.document(doc)  # an export may hold what was never redacted: masked as indexing masks
                refs.append(number)
                yield columns.add(doc)
            offset += _count_lines(path)

    found = mine_lines(messages())
    return _finish(columns, found, refs=refs, files=files)


def _count_lines(path: Path) -> int:
    """Lines in a file (only used to keep numbering right when its last lines were blank or rejected)."""
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _finish(
    columns: EventColumns,
    found: Sequence[Any],
    refs: list[int] | None = None,
    files: list[tuple[str, int]] | None = None,
    ids: list[str] | None = None,
) -> EventTable:
    """Templates per row -> template codes; freeze the columns."""
    code_of: dict[str, int] = {}
    templates: list[tuple[str, str]] = []
    codes = np.empty(len(found), dtype=np.int32)
    for row, template in enumerate(found):
        code = code_of.get(template.id)
        if code is None:
            code = code_of[template.id] = len(templates)
            templates.append((template.id, template.text))
        codes[row] = code
    table = columns.table(templates, codes)
    if refs is not None:
        table.lines = np.asarray(refs, dtype=np.int64)
    table.files = files or []
    table.ids = ids
    return table


def mine_documents(
    columns: EventColumns,
    stamped: list[tuple[str, str] | None],
    unstamped: list[str],
    ids: list[str],
    indices: list[str],
) -> EventTable:
    """Documents pulled from Elasticsearch: the worker's template where stamped, mined otherwise.

    ``unstamped`` holds the messages of the rows whose ``stamped`` entry is None, in row order; they
    are mined in one batch pass (final ids). Stamped rows keep the worker's id, so the report names
    the template ids Kibana shows.
    """
    mined = iter(mine_lines(unstamped)) if unstamped else iter(())
    found = [Template(s[0], s[1], 0) if s is not None else next(mined) for s in stamped]
    table = _finish(columns, found, ids=ids)
    table.indices = indices
    return table

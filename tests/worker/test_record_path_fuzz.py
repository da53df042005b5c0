"""A fuzz test of the whole per-record path: any record ends as a document or as a rejection with a reason.

Arbitrary bytes, arbitrary JSON (deep, wide, odd keys: empty, dots only, ``@timestamp`` as an object,
``message`` as an array, huge numbers, lone surrogates, the ECS names), shipper envelopes around
either, and arbitrary headers (the trace, hint and dead-letter names among them) go through the
deliver step with in-memory edges: decode -> parse -> redact -> enrich -> mine -> route -> serialize,
then the sink and the dead-letter writer. Nothing may raise out of the batch; every record is indexed
once or dead-lettered once with a reason from the stages' vocabulary (a lowercase ``error_type``, not
the name of an exception a stage caught: that is a bug the safety net hid), every document is JSON,
and every partition commits its end.

Budget: ``max_examples`` below (``LOGFLOW_FUZZ_EXAMPLES`` raises it for a long local run). The corpus:
``tests/data/fuzz/regressions.jsonl`` holds the inputs the fuzzer found, replayed on every run, and
``tests/data/fuzz/hypothesis`` is Hypothesis's example database, read-only unless
``LOGFLOW_FUZZ_RECORD=1`` (then new failures are saved there too, to be copied into the corpus).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase, ReadOnlyDatabase

from logflow.config import load_settings
from logflow.deadletter import headers as dead_letter_headers
from logflow.deadletter.memory import InMemoryDeadLetters
from logflow.decode.headers import HINT_HEADERS
from logflow.event import Record
from logflow.sink.encode import bulk_body
from logflow.sink.memory import InMemorySink
from logflow.worker.deliver import deliver
from logflow.worker.offsets import OffsetTracker
from logflow.worker.processor import Processor

CORPUS = Path(__file__).resolve().parents[1] / "data" / "fuzz"
_DATABASE = DirectoryBasedExampleDatabase(str(CORPUS / "hypothesis"))
DATABASE = _DATABASE if os.environ.get("LOGFLOW_FUZZ_RECORD") == "1" else ReadOnlyDatabase(_DATABASE)
EXAMPLES = int(os.environ.get("LOGFLOW_FUZZ_EXAMPLES", "150"))
VOCABULARY = re.compile(r"[a-z][a-z0-9_]*")  # the stages' error types; an exception's name is CamelCase

ECS_NAMES = [
    "@timestamp",
    "message",
    "msg",
    "level",
    "log",
    "log.level",
    "error",
    "error.message",
    "url",
    "tags",
    "labels",
    "host",
    "service",
    "trace",
    "span",
    "trace.id",
    "span.id",
    "event",
    "event.dataset",
    "event.original",
    "http",
    "user",
    "agent",
    "kubernetes",
    "fields",
    "input",
    "json",
    "time",
    "ts",
]
ODD_KEYS = ["", ".", "..", "...", " ", "a.", ".a", "a..b", "\u0000", "\ud800", "é", "İ", "_id", "_index", "@"]
HEADER_NAMES = [
    *HINT_HEADERS,
    "traceparent",
    "b3",
    "x-b3-traceid",
    "x-b3-spanid",
    "uber-trace-id",
    "x-request-id",
    "tracestate",
    "content-type",
    dead_letter_headers.TYPE,
    dead_letter_headers.REASON,
    dead_letter_headers.STAGE,
    dead_letter_headers.TOPIC,
    dead_letter_headers.PARTITION,
    dead_letter_headers.OFFSET,
    dead_letter_headers.INDEX,
    "Event.Dataset",
    "",
]

keys = st.one_of(st.sampled_from(ECS_NAMES), st.sampled_from(ODD_KEYS), st.text(max_size=12))
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=2**63 - 2, max_value=2**200),
    st.integers(min_value=-(2**200), max_value=-(2**63)),
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    numbers,
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "error",
            "ERROR",
            "2026-11-23T10:00:00Z",
            "4111 1111 1111 1111",
            "password=pw1",
            "Bearer abcdefgh1234",
            "\ud83d",
            "nan",
            "1e309",
        ]
    ),
)
json_values: st.SearchStrategy[Any] = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=6)),
    max_leaves=30,
)
objects = st.dictionaries(keys, json_values, max_size=10)
deep = st.integers(1, 400).map(lambda n: "[" * n + "1" + "]" * n)  # nested past any limit a parser may have


def dumps(value: Any, ascii_only: bool) -> bytes:
    """JSON text as a producer may send it: lone surrogates escaped, or as raw (invalid UTF-8) bytes."""
    text = json.dumps(value, ensure_ascii=ascii_only, allow_nan=True)
    return text.encode("utf-8", "surrogatepass")


@st.composite
def values(draw: st.DrawFn) -> bytes | None:
    kind = draw(st.sampled_from(("bytes", "json", "json", "envelope", "text", "deep", "none")))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return dumps(draw(objects), draw(st.booleans()))
    if kind == "envelope":  # a shipper's envelope around a line or a JSON document
        inner = draw(st.one_of(st.text(max_size=60), objects.map(lambda o: json.dumps(o))))
        shape = draw(st.sampled_from(("filebeat", "fluentbit", "vector", "plain")))
        env: dict[str, Any] = {"message": inner}
        if shape == "filebeat":
            env |= {"agent": {"type": "filebeat"}, "@timestamp": draw(scalars), "log": draw(json_values)}
        elif shape == "fluentbit":
            env = {"log": inner, "date": draw(scalars), "kubernetes": draw(json_values)}
        elif shape == "vector":
            env |= {"source_type": draw(st.sampled_from(("kubernetes_logs", "file", ""))), "timestamp": draw(scalars)}
        return dumps(env, draw(st.booleans()))
    if kind == "text":
        return draw(st.text(max_size=120)).encode("utf-8", "surrogatepass")
    if kind == "deep":
        return draw(deep).encode()
    return None


headers = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(HEADER_NAMES), st.text(max_size=10)),
        st.one_of(
            st.binary(max_size=40),
            st.sampled_from(
                [
                    b"",
                    b"nginx",
                    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                    b"x" * 300,
                    b"\xff\xfe",
                    b"12",
                    b"-1",
                    b"nan",
                    b"[]",
                ]
            ),
        ),
    ),
    max_size=4,
).map(tuple)
records = st.lists(
    st.tuples(
        values(),
        st.one_of(st.none(), st.binary(max_size=20)),
        headers,
        st.one_of(st.none(), st.integers(-(2**63), 2**63)),
    ),
    min_size=1,
    max_size=8,
)

SETTINGS = load_settings(environ={}, overrides={"parse": {"keep_original": "always"}})
PROCESSOR = Processor(SETTINGS)


def as_records(raw: list[tuple[bytes | None, bytes | None, tuple[tuple[str, bytes], ...], int | None]]) -> list[Record]:
    return [Record("logs", i % 2, i // 2, value, key, hdrs, stamp) for i, (value, key, hdrs, stamp) in enumerate(raw)]


def check_every_record_ends_well(batch: list[Record]) -> None:
    """One deliver step with in-memory edges; every record indexed or dead-lettered once, with a reason."""
    sink, letters = InMemorySink(), InMemoryDeadLetters()
    tracker = OffsetTracker(batch)
    done = asyncio.run(deliver(batch, PROCESSOR, sink, letters, tracker))
    indexed = [doc_id for _, doc_id in sink.documents]
    dead = [rejection.record.doc_id for rejection in letters.rejections]
    assert sorted(indexed + dead) == sorted(record.doc_id for record in batch)  # each once, none lost
    for rejection in letters.rejections:
        assert VOCABULARY.fullmatch(rejection.error_type), f"a stage crashed: {rejection.stage}: {rejection.reason}"
        assert rejection.reason.strip()
    for action in done.processed.actions:
        doc = orjson.loads(action.source)
        tags = doc.get("tags")
        assert tags is None or (isinstance(tags, list) and all(isinstance(tag, str) for tag in tags)), tags
    bulk_body(done.processed.actions)  # the request body can be written
    assert tracker.commit_points() == {(r.topic, r.partition): r.offset + 1 for r in batch}


def mapping_problems(doc: dict[str, Any], prefix: str = "") -> list[str]:
    """What Elasticsearch's dynamic mapping refuses in a document: empty or dot-edged names, and one
    name used both for a value and for an object (``error`` text beside ``error.message``)."""
    problems = []
    names = {prefix + key for key in doc}
    for key, value in doc.items():
        if not key.strip(".") or key.startswith(".") or key.endswith(".") or ".." in key:
            problems.append(f"field name {prefix + key!r}")
        elif (
            not isinstance(value, dict)
            and value is not None  # null maps nothing: Elasticsearch takes it where it maps an object
            and any(other.startswith(prefix + key + ".") for other in names)
        ):
            problems.append(f"{prefix + key!r} is a value and an object")
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                problems += mapping_problems(item, prefix + key + ".")
    return problems


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=DATABASE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(records)
@example([(b'{"@timestamp": {"a": 1}, "message": ["x", 2], "": 1, "..": {".": 2}}', None, (), None)])
@example([(b'{"n": 123456789012345678901234567890, "m": -1e400, "s": "\\ud800"}', b"\xff", (), 2**62)])
@example([(b'{"message": "\xed\xa0\x80"}', None, (("traceparent", b"\xff"), ("event.dataset", b"[]")), None)])
def test_every_record_becomes_a_document_or_a_rejection_with_a_reason(
    raw: list[tuple[bytes | None, bytes | None, tuple[tuple[str, bytes], ...], int | None]],
) -> None:
    check_every_record_ends_well(as_records(raw))


@settings(max_examples=EXAMPLES, deadline=None, database=DATABASE, suppress_health_check=[HealthCheck.too_slow])
@given(objects)
@example({"message": [{"": None}]})
def test_no_json_log_is_refused_for_the_names_of_its_keys(obj: dict[str, Any]) -> None:
    """Issue 19.12 through the whole path: the documents made of any JSON object are mappable."""
    record = Record("logs", 0, 0, dumps(obj, ascii_only=True))
    out = PROCESSOR.process([record])
    for action in out.actions:
        assert mapping_problems(orjson.loads(action.source)) == []


def _corpus() -> list[Any]:
    path = CORPUS / "regressions.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [pytest.param(json.loads(line), id=json.loads(line)["why"][:60]) for line in lines if line.strip()]


def _bytes(text: str | None) -> bytes | None:
    return None if text is None else base64.b64decode(text)


@pytest.mark.parametrize("case", _corpus())
def test_the_inputs_the_fuzzer_found_end_well(case: dict[str, Any]) -> None:
    """The corpus: each entry is a batch the fuzzer once broke, kept as bytes (base64), with why."""
    batch = [
        Record(
            "logs",
            0,
            offset,
            _bytes(item.get("value")),
            _bytes(item.get("key")),
            tuple((name, base64.b64decode(value)) for name, value in item.get("headers", [])),
            item.get("timestamp_ms"),
        )
        for offset, item in enumerate(case["records"])
    ]
    check_every_record_ends_well(batch)

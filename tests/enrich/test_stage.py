"""Enrichment: levels, trace context, stack traces, tags, provenance."""

from __future__ import annotations

import random
from typing import Any

import pytest

from logflow.config import EnrichConfig
from logflow.enrich.exceptions import split_stack_trace
from logflow.enrich.stage import Enricher
from logflow.enrich.trace import (
    _TEXT_IDS,
    _text_id,
    header_trace,
    parse_b3,
    parse_traceparent,
    parse_uber,
    trace_from_text,
)
from logflow.event import Record

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


def enrich(doc: dict[str, Any], headers: dict[str, bytes] | None = None, **cfg: Any) -> dict[str, Any]:
    trace = header_trace({name.lower(): value for name, value in (headers or {}).items()})
    keep = cfg.pop("keep_original", "failures")
    enricher = Enricher(EnrichConfig(**cfg), keep)
    enricher.document(doc, Record("logs", 1, 9, b"x"), trace, "2026-11-23T00:00:00.000Z", "orig")
    return doc


class TestTraceContext:
    def test_a_valid_traceparent_gives_trace_and_span_ids(self) -> None:
        """W3C trace context version 00 with non-zero ids is accepted."""
        assert parse_traceparent(f"00-{TRACE}-{SPAN}-01") == (TRACE, SPAN)

    @pytest.mark.parametrize(
        "value",
        [
            f"ff-{TRACE}-{SPAN}-01",
            f"00-{'0' * 32}-{SPAN}-01",
            f"00-{TRACE}-{'0' * 16}-01",
            "00-xyz",
            f"00-{TRACE[:-1]}-{SPAN}-01",
        ],
    )
    def test_invalid_traceparents_are_rejected(self, value: str) -> None:
        """Version ff, all-zero ids and malformed values carry no context."""
        assert parse_traceparent(value) is None

    def test_b3_single_and_uber_headers_are_read(self) -> None:
        """B3 `{trace}-{span}-{sampled}` and Jaeger `{trace}:{span}:{parent}:{flags}`."""
        assert parse_b3(f"{TRACE}-{SPAN}-1") == (TRACE, SPAN)
        assert parse_b3("1") is None
        assert parse_uber(f"{TRACE}:{SPAN}:0:1") == (TRACE, SPAN)

    def test_kafka_headers_set_the_trace_over_anything_in_the_text(self) -> None:
        """The producer's traceparent header wins over ids found in free text."""
        doc = enrich({"message": "trace_id=abcdef0123456789"}, {"traceparent": f"00-{TRACE}-{SPAN}-01".encode()})
        assert (doc["trace.id"], doc["span.id"]) == (TRACE, SPAN)

    @pytest.mark.parametrize(
        ("headers", "expected"),
        [
            ({"b3": f"{TRACE}-{SPAN}-1".encode()}, TRACE),
            ({"x-b3-traceid": TRACE.encode()}, TRACE),
            ({"uber-trace-id": f"{TRACE}:{SPAN}:0:1".encode()}, TRACE),
            (
                {"x-amzn-trace-id": b"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"},
                "1-5759e988-bd862e3fe1be46a994272793",
            ),
        ],
    )
    def test_every_header_format_is_understood(self, headers: dict[str, bytes], expected: str) -> None:
        """B3 single and multi, uber-trace-id and X-Amzn-Trace-Id all give a trace.id."""
        assert enrich({"message": "m"}, headers)["trace.id"] == expected

    def test_ids_in_free_text_are_found(self) -> None:
        """`trace_id=…` and `request_id=…` in a message are correlation ids."""
        doc = enrich({"message": f"charged card trace_id={TRACE} request_id=req-77"})
        assert doc["trace.id"] == TRACE and doc["http.request.id"] == "req-77"

    @pytest.mark.parametrize(
        ("text", "field"),
        [
            (f"trace.id={TRACE}", "trace.id"),
            (f"trace-id: {TRACE}", "trace.id"),
            (f"traceid='{TRACE}'", "trace.id"),
            ("req_id=r-1234", "http.request.id"),
            ("reqid=r-1234", "http.request.id"),
            ("request.id=r-1234", "http.request.id"),
            ('correlation_id="r-1234"', "http.request.id"),
            ("x-request-id: r-1234", "http.request.id"),
        ],
    )
    def test_every_spelling_of_a_key_is_understood(self, text: str, field: str) -> None:
        """Separators `_`, `.`, `-` or none, `=` or `:`, quotes: the key's kind decides the field."""
        doc = enrich({"message": f"done {text} ok"})
        assert doc[field] == (TRACE if field == "trace.id" else "r-1234")

    @pytest.mark.parametrize(
        "text", [f"subtrace_id={TRACE}", "myrequest_id=r-1234", "xreq_id=r-1234", "ancorrelation_id=r-1"]
    )
    def test_a_key_inside_a_longer_word_is_not_a_key(self, text: str) -> None:
        """Keys start at a word boundary, so `subtrace_id` is not `trace_id`."""
        doc = enrich({"message": f"done {text} ok"})
        assert "trace.id" not in doc and "http.request.id" not in doc

    @pytest.mark.parametrize("prefix", ["", "İstanbul checkout: "])  # "İ" lowers to two characters
    def test_keys_in_any_case_are_found_and_values_keep_their_case(self, prefix: str) -> None:
        """The search runs on the lowered text; the value is cut from the original, also when lowering shifts it."""
        doc = enrich({"message": f"{prefix}Correlation-ID: Req-AbC-9 X-Request-Id=ignored"})
        assert doc["http.request.id"] == "Req-AbC-9"
        doc = enrich({"message": f"{prefix}TRACE_ID={TRACE.upper()}"})
        assert doc["trace.id"] == TRACE

    def test_the_stem_search_finds_what_a_scan_of_the_whole_message_finds(self) -> None:
        """Matching only where a key's stem starts gives finditer's ids, in its order, on 20,000 messages."""

        def scanned(message: str, doc: dict[str, Any]) -> None:  # the search before the stems
            for m in _TEXT_IDS.finditer(message):
                _text_id(m.group(1).lower(), message, m.start(2), m.end(2), doc)

        rng = random.Random(3)
        pieces = [
            "trace_id",
            "TraceId",
            "trace.id",
            "traceparent",
            "request_id",
            "req-id",
            "x-request-id",
            "X-Request-ID",
            "ax-request-id",
            "correlation_id",
            "subtrace_id",
            "trace",
            "req",
            "x-",
            "=",
            ": ",
            "='",
            '"',
            " ",
            " ",
            "-",
            "_",
            TRACE,
            TRACE.upper(),
            f"00-{TRACE}-{SPAN}-01",
            "abc-9",
            "ok",
            "x",
            "İ",
        ]
        for _ in range(20_000):
            message = "".join(rng.choices(pieces, k=rng.randint(1, 9)))
            start = {} if rng.random() < 0.8 else {"trace.id": "preset"}
            found, expected = dict(start), dict(start)
            trace_from_text(message, found)
            scanned(message, expected)
            assert found == expected, message

    def test_a_request_id_becomes_the_trace_id_when_there_is_no_trace(self) -> None:
        """X-Request-ID alone still correlates events."""
        doc = enrich({"message": "m"}, {"x-request-id": b"abc-123"})
        assert doc["http.request.id"] == doc["trace.id"] == "abc-123"

    def test_a_traceparent_field_from_json_is_decoded(self) -> None:
        """JSON logs that carry a traceparent field get trace and span ids."""
        doc = enrich({"message": "m", "logflow.traceparent": f"00-{TRACE}-{SPAN}-01"})
        assert doc["trace.id"] == TRACE and "logflow.traceparent" not in doc


class TestLevelsAndTags:
    @pytest.mark.parametrize(
        ("raw", "level"),
        [
            ("WARNING", "warn"),
            ("critical", "fatal"),
            ("Err", "error"),
            ("SEVERE", "error"),
            ("notice", "info"),
            (30, "info"),
            (50, "error"),
            ("60", "fatal"),
            ("FINEST", "trace"),
            ("emerg", "fatal"),
            ("LOG", "info"),
        ],
    )
    def test_levels_from_every_ecosystem_are_normalized(self, raw: Any, level: str) -> None:
        """Python, Java, syslog, pino/bunyan and PostgreSQL spellings map to ECS levels."""
        assert enrich({"message": "m", "log.level": raw})["log.level"] == level

    def test_errors_and_security_events_are_tagged(self) -> None:
        """Error levels get `error`; failed logins and unauthorized access get `security`."""
        assert "error" in enrich({"message": "boom", "log.level": "ERROR"})["tags"]
        assert "security" in enrich({"message": "Failed password for invalid user admin"})["tags"]
        assert "security" not in enrich({"message": "user logged in"}).get("tags", [])

    def test_a_missing_timestamp_becomes_ingest_time_and_is_tagged(self) -> None:
        """No event time: ingest time, tagged, so it is visible and never rejected."""
        doc = enrich({"message": "m"})
        assert doc["@timestamp"] == doc["event.ingested"]
        assert "timestamp_missing" in doc["tags"]

    def test_provenance_and_defaults_are_added(self) -> None:
        """Kafka coordinates always; configured service and environment only when absent."""
        doc = enrich({"message": "m", "service.name": "own"}, service_name="dflt", environment="prod")
        assert (doc["logflow.kafka.topic"], doc["logflow.kafka.partition"], doc["logflow.kafka.offset"]) == (
            "logs",
            1,
            9,
        )
        assert doc["service.name"] == "own" and doc["service.environment"] == "prod"

    def test_an_event_joined_from_several_records_is_flagged_multiline(self) -> None:
        """The flag Filebeat sets on its multiline events, so one Kibana filter finds them either way."""
        for joined, flags in ((True, ["multiline"]), (False, None)):
            doc: dict[str, Any] = {"message": "m"}
            record = Record("logs", 1, 9, b"x", joined=joined)
            Enricher(EnrichConfig()).document(doc, record, None, "2026-11-23T00:00:00.000Z", None)
            assert doc.get("log.flags") == flags

    def test_the_original_line_is_kept_for_parse_failures_by_default(self) -> None:
        """keep_original=failures keeps event.original only where parsing failed."""
        assert enrich({"message": "m", "tags": ["parse_failure"]})["event.original"] == "orig"
        assert "event.original" not in enrich({"message": "m"})
        assert enrich({"message": "m"}, keep_original="always")["event.original"] == "orig"


class TestStackTraces:
    def test_python_tracebacks_name_the_last_exception(self) -> None:
        """Python prints the exception last."""
        trace = 'Traceback (most recent call last):\n  File "a.py", line 1, in f\nValueError: bad value'
        assert split_stack_trace(trace) == ("ValueError", "bad value")

    def test_java_traces_name_the_first_exception(self) -> None:
        """Java prints the exception first, then frames."""
        trace = "java.lang.IllegalStateException: no\n\tat a.B.c(B.java:1)\nCaused by: java.io.IOException: io"
        assert split_stack_trace(trace) == ("java.lang.IllegalStateException", "no")

    def test_stack_traces_fill_error_type_and_message(self) -> None:
        """A document with a stack trace gets error.type and error.message."""
        doc = enrich({"message": "m", "error.stack_trace": "Traceback (most recent call last):\nKeyError: 'sku'"})
        assert doc["error.type"] == "KeyError" and doc["error.message"] == "'sku'"


class TestKeepsOriginal:
    def test_the_raw_line_is_kept_always_or_for_parse_failures_only(self) -> None:
        """One rule for the enrich stage (what it indexes) and the redact stage (what it masks)."""
        from logflow.enrich.stage import keeps_original

        assert keeps_original("always", None)
        assert keeps_original("failures", ["parse_failure", "x"])
        assert not keeps_original("failures", ["error"])
        assert not keeps_original("failures", "parse_failure")  # tags that are not a list are not ours
        assert not keeps_original("never", ["parse_failure"])

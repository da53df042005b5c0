"""Trace context an application logged itself: header names as JSON keys, Jaeger's URL encoding, zero ids, span_id=.

Generated ids, key spellings and nestings; every row of the table in ``logflow.enrich.trace`` is read
the way its header is.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import EnrichConfig
from logflow.enrich.stage import Enricher
from logflow.enrich.trace import parse_uber
from logflow.event import Record

hex_id = st.integers(min_value=1, max_value=2**64 - 1).map(lambda n: f"{n:016x}")
trace_id = st.tuples(hex_id, hex_id).map("".join)
request_id = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=4, max_size=20).filter(
    lambda s: s.strip("-") == s
)


def spellings(name: str) -> st.SearchStrategy[str]:
    """The header name in any mix of upper and lower case (HTTP header names are case-insensitive)."""
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda ups: "".join(c.upper() if up else c.lower() for c, up in zip(name, ups, strict=True))
    )


def enrich(doc: dict[str, Any], json_object: bool = True) -> dict[str, Any]:
    Enricher(EnrichConfig()).document(
        doc, Record("logs", 0, 1, b"x"), None, "2026-11-23T00:00:00.000Z", None, True, json_object
    )
    return doc


def place(doc: dict[str, Any], key: str, value: str, nested: bool) -> None:
    """As the JSON parser leaves it: ``json.KEY``, or inside a logged ``headers`` object."""
    if nested:
        doc.setdefault("json.headers", {})[key] = value
    else:
        doc[f"json.{key}"] = value


class TestHeadersLoggedAsJson:
    @settings(max_examples=200, deadline=None)
    @given(
        trace=trace_id, span=hex_id, tkey=spellings("X-B3-TraceId"), skey=spellings("X-B3-SpanId"), nested=st.booleans()
    )
    def test_b3_multi_headers_give_trace_and_span(
        self, trace: str, span: str, tkey: str, skey: str, nested: bool
    ) -> None:
        doc: dict[str, Any] = {"message": "m"}
        place(doc, tkey, trace.upper(), nested)
        place(doc, skey, span, nested)
        out = enrich(doc)
        assert (out["trace.id"], out["span.id"]) == (trace, span)
        assert not any(k.startswith("json.") for k in out)  # read, so removed

    @settings(max_examples=200, deadline=None)
    @given(trace=trace_id, span=hex_id, key=spellings("uber-trace-id"), encoded=st.booleans(), nested=st.booleans())
    def test_a_jaeger_header_plain_or_url_encoded_gives_trace_and_span(
        self, trace: str, span: str, key: str, encoded: bool, nested: bool
    ) -> None:
        value = f"{trace}:{span}:0:1"
        doc: dict[str, Any] = {"message": "m"}
        place(doc, key, quote(value, safe="") if encoded else value, nested)
        out = enrich(doc)
        assert (out["trace.id"], out["span.id"]) == (trace, span)

    @settings(max_examples=100, deadline=None)
    @given(root=st.integers(min_value=1, max_value=2**96 - 1), key=spellings("X-Amzn-Trace-Id"))
    def test_an_x_ray_header_gives_its_root(self, root: int, key: str) -> None:
        value = f"1-5759e988-{root:024x}"
        out = enrich({"message": "m", f"json.{key}": f"Root={value};Sampled=1"})
        assert out["trace.id"] == value

    @settings(max_examples=100, deadline=None)
    @given(rid=request_id, key=st.sampled_from(["X-Request-ID", "x-request-id", "Request-Id", "X-Correlation-ID"]))
    def test_a_request_id_header_gives_http_request_id(self, rid: str, key: str) -> None:
        out = enrich({"message": "m", f"json.{key}": rid})
        assert out["http.request.id"] == rid and f"json.{key}" not in out

    def test_other_json_keys_and_lines_are_left_alone(self) -> None:
        assert enrich({"message": "m", "json.X-B3-Traceid-Other": "abc"})["json.X-B3-Traceid-Other"] == "abc"
        line = enrich({"message": "m", "json.X-B3-TraceId": "4bf92f3577b34da6"}, json_object=False)
        assert "trace.id" not in line  # a text line's fields are the parser's, not logged headers


class TestZeroIds:
    @settings(max_examples=100, deadline=None)
    @given(zeros=st.integers(min_value=1, max_value=32), where=st.sampled_from(["text", "json"]))
    def test_an_all_zero_trace_or_span_id_is_no_id(self, zeros: int, where: str) -> None:
        """W3C: an id of all zeros is invalid, whatever its length and wherever it came from."""
        zero = "0" * zeros
        if where == "text":
            out = enrich({"message": f"work trace_id={zero} span_id={zero} done"}, json_object=False)
        else:
            out = enrich({"message": "m", "trace.id": zero, "span.id": zero})
        assert "trace.id" not in out and "span.id" not in out

    @settings(max_examples=100, deadline=None)
    @given(zeros=st.integers(min_value=1, max_value=16))
    def test_all_zero_jaeger_and_x_ray_roots_are_refused(self, zeros: int) -> None:
        assert parse_uber(f"{'0' * zeros}:1:0:1") is None
        out = enrich({"message": "m", "json.x-amzn-trace-id": f"Root=1-{'0' * 8}-{'0' * 24}"})
        assert "trace.id" not in out


class TestSpanIdInText:
    @settings(max_examples=200, deadline=None)
    @given(
        trace=trace_id,
        span=hex_id,
        key=st.sampled_from(["span_id", "spanId", "span.id", "span-id", "SPAN_ID"]),
        sep=st.sampled_from(["=", ": ", '="', ':"']),
    )
    def test_span_id_is_read_beside_trace_id(self, trace: str, span: str, key: str, sep: str) -> None:
        quote_end = '"' if '"' in sep else ""
        message = f"handled trace_id={trace} {key}{sep}{span.upper()}{quote_end} in 5 ms"
        out = enrich({"message": message}, json_object=False)
        assert (out["trace.id"], out["span.id"]) == (trace, span)

"""Trace context from headers: the producer's ids win, service fields fill gaps, each format reads as specified."""

from __future__ import annotations

import pytest

from logflow.enrich.trace import HeaderTraces, header_trace

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


def names(raw: tuple[tuple[str, bytes], ...]) -> dict[str, bytes]:
    return {name.lower(): value for name, value in raw}


class TestHeaderTrace:
    def test_trace_ids_are_forced_and_service_fields_are_defaults(self) -> None:
        """The producer's trace context overrides ids found in the event; service fields only fill gaps."""
        raw = (("traceparent", f"00-{TRACE}-{SPAN}-01".encode()), ("service", b"web"), ("x-request-id", b"r-1"))
        trace = header_trace(names(raw))
        assert dict(trace.forced) == {"trace.id": TRACE, "span.id": SPAN}
        assert dict(trace.defaults) == {"service.name": "web", "http.request.id": "r-1"}

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ((("b3", f"{TRACE}-{SPAN}-1".encode()),), {"trace.id": TRACE, "span.id": SPAN}),
            (
                (("X-B3-TraceId", TRACE.upper().encode()), ("X-B3-SpanId", SPAN.upper().encode())),
                {"trace.id": TRACE, "span.id": SPAN},
            ),
            ((("uber-trace-id", f"{TRACE}:{SPAN}:0:1".encode()),), {"trace.id": TRACE, "span.id": SPAN}),
            (
                (("X-Amzn-Trace-Id", b"Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"),),
                {"trace.id": "1-5759e988-bd862e3fe1be46a994272793"},
            ),
        ],
    )
    def test_each_propagation_format_is_read(
        self, raw: tuple[tuple[str, bytes], ...], expected: dict[str, str]
    ) -> None:
        assert dict(header_trace(names(raw)).forced) == expected

    def test_an_invalid_traceparent_falls_through_to_the_next_format(self) -> None:
        """Version ff carries no context; a b3 header beside it still does."""
        raw = (("traceparent", f"ff-{TRACE}-{SPAN}-01".encode()), ("b3", f"{TRACE}-{SPAN}".encode()))
        assert dict(header_trace(names(raw)).forced) == {"trace.id": TRACE, "span.id": SPAN}


class TestLoneTraceparent:
    VALUES = (
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        b"  00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01  ",  # spaces, upper case
        b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # version ff: invalid
        b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id: invalid
        b"00-4bf92f3577b34da6a3ce929d0e0e4736",  # too short
        b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\xff",  # not ASCII
        b"",
    )

    def test_it_gives_what_the_general_path_gives_and_leaves_the_memo_alone(self) -> None:
        traces = HeaderTraces()
        for value in self.VALUES:
            raw = (("traceparent", value),)
            assert traces(raw, names(raw)) == header_trace(names(raw)), value
        assert traces._cache == {}

"""Kafka headers: parsed once per distinct header set, with the producer's trace context winning."""

from __future__ import annotations

from logflow.decode.headers import NO_HEADERS, HeaderContexts, header_context, traceparent_context

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


class TestHeaderContext:
    def test_names_are_case_insensitive_and_give_the_parser_hint(self) -> None:
        context = header_context((("Logflow-Type", b"Nginx.Access"), ("SERVICE", b"web")))
        assert context.hint == "nginx.access"
        assert context.headers == {"logflow-type": b"Nginx.Access", "service": b"web"}

    def test_trace_ids_are_forced_and_service_fields_are_defaults(self) -> None:
        """The producer's trace context overrides ids found in the event; service fields only fill gaps."""
        context = header_context(
            (("traceparent", f"00-{TRACE}-{SPAN}-01".encode()), ("service", b"web"), ("x-request-id", b"r-1"))
        )
        assert dict(context.forced) == {"trace.id": TRACE, "span.id": SPAN}
        assert dict(context.defaults) == {"service.name": "web", "http.request.id": "r-1"}

    def test_the_dead_letter_marker_is_recognized(self) -> None:
        assert header_context((("logflow.error.type", b"mapping"),)).dead_letter
        assert not header_context((("service", b"web"),)).dead_letter

    def test_no_headers_share_one_empty_context(self) -> None:
        assert header_context(()) is NO_HEADERS
        assert HeaderContexts()(()) is NO_HEADERS


class TestMemo:
    def test_equal_header_tuples_get_the_same_context_object(self) -> None:
        contexts = HeaderContexts()
        first = contexts((("service", b"web"),))
        assert contexts((("service", b"web"),)) is first
        assert contexts((("service", b"api"),)) is not first

    def test_the_memo_is_bounded(self) -> None:
        contexts = HeaderContexts()
        for i in range(10_000):
            contexts((("traceparent", f"00-{i:032x}-{SPAN}-01".encode()),))
        assert len(contexts._cache) <= 4096


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

    def test_it_gives_the_context_the_general_path_gives(self) -> None:
        for value in self.VALUES:
            assert traceparent_context(value) == header_context((("traceparent", value),)), value

    def test_it_is_used_for_a_lone_traceparent_and_leaves_the_memo_alone(self) -> None:
        contexts = HeaderContexts()
        for value in self.VALUES:
            assert contexts((("traceparent", value),)) == header_context((("traceparent", value),))
        assert contexts._cache == {}
        contexts((("Traceparent", self.VALUES[0]),))  # any other spelling takes the general, memoized path
        assert len(contexts._cache) == 1

"""Kafka headers: read once per distinct header set, names case-insensitive, the parser hint found."""

from __future__ import annotations

from logflow.decode.headers import HeaderContexts, header_context
from logflow.event import NO_HEADERS

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


class TestHeaderContext:
    def test_names_are_case_insensitive_and_give_the_parser_hint(self) -> None:
        context = header_context((("Logflow-Type", b"Nginx.Access"), ("SERVICE", b"web")))
        assert context.hint == "nginx.access"
        assert context.names == {"logflow-type": b"Nginx.Access", "service": b"web"}

    def test_a_hint_that_is_not_ascii_is_no_hint(self) -> None:
        assert header_context((("logflow-type", "nginx\u00e9".encode()),)).hint is None

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
            contexts((("service", f"svc-{i}".encode()),))
        assert len(contexts._cache) <= 4096

    def test_a_lone_traceparent_gets_its_context_without_a_memo_entry(self) -> None:
        """OpenTelemetry producers send a fresh one per record: it would only evict useful entries."""
        contexts = HeaderContexts()
        value = f"00-{TRACE}-{SPAN}-01".encode()
        context = contexts((("traceparent", value),))
        assert context.names == {"traceparent": value} and context.hint is None
        assert contexts._cache == {}
        contexts((("Traceparent", value),))  # any other spelling takes the general, memoized path
        assert len(contexts._cache) == 1

"""Decoding what shippers put on Kafka: raw lines, JSON logs, and shipper envelopes."""

from __future__ import annotations

import orjson
import pytest

from logflow.decode.stage import decode
from logflow.errors import DecodeError
from logflow.event import Record

MAX = 1_048_576


def rec(value: bytes, headers: tuple[tuple[str, bytes], ...] = ()) -> Record:
    return Record("logs", 2, 17, value, None, headers)


class TestDecode:
    def test_a_raw_line_is_text_without_its_line_ending(self) -> None:
        """A plain line comes out as text; CR/LF are dropped."""
        dec = decode(rec(b"hello world\r\n"), MAX)
        assert (dec.text, dec.obj, dec.source) == ("hello world", None, ("logs", 2, ""))  # no key, no origin

    def test_a_json_application_log_is_an_object(self) -> None:
        """A JSON object that is not an envelope is an application log."""
        dec = decode(rec(b'{"level": "info", "message": "hi", "host": "a"}'), MAX)
        assert dec.obj == {"level": "info", "message": "hi", "host": "a"} and dec.text is None

    def test_filebeat_envelopes_are_unwrapped_with_their_metadata(self) -> None:
        """Filebeat's message is parsed; host, file path, agent and fields are kept under ECS names."""
        envelope = {
            "@timestamp": "2026-11-23T01:02:03.000Z",
            "message": "GET / 200",
            "agent": {"type": "filebeat", "version": "8.16.1"},
            "log": {"file": {"path": "/var/log/a.log"}},
            "host": {"name": "web-1"},
            "fields": {"service": "shop", "env": "prod", "log_type": "nginx"},
        }
        dec = decode(rec(orjson.dumps(envelope)), MAX)
        assert dec.text == "GET / 200"
        assert dec.meta["host.name"] == "web-1"
        assert dec.meta["log.file.path"] == "/var/log/a.log"
        assert dec.meta["service.name"] == "shop" and dec.meta["service.environment"] == "prod"
        assert dec.meta["agent.type"] == "filebeat"
        assert dec.hint == "nginx"
        assert dec.source == ("logs", 2, "/var/log/a.log")

    def test_fluent_bit_records_keep_kubernetes_metadata(self) -> None:
        """Fluent Bit's `log` is the line; pod, namespace and the app label become ECS fields."""
        envelope = {
            "log": "plain line\n",
            "stream": "stderr",
            "time": "2026-11-23T01:02:03Z",
            "kubernetes": {"namespace_name": "shop", "pod_name": "api-1", "labels": {"app": "api"}},
        }
        dec = decode(rec(orjson.dumps(envelope)), MAX)
        assert dec.text == "plain line"
        assert dec.meta["kubernetes.namespace"] == "shop"
        assert dec.meta["kubernetes.pod.name"] == "api-1"
        assert dec.meta["service.name"] == "api"
        assert dec.meta["log.stream"] == "stderr"

    def test_an_envelope_around_a_json_log_yields_the_inner_object(self) -> None:
        """An ECS JSON line inside Fluent Bit's `log` is decoded as JSON."""
        envelope = {"log": '{"log.level": "info", "message": "x"}', "kubernetes": {"pod_name": "p"}}
        dec = decode(rec(orjson.dumps(envelope)), MAX)
        assert dec.obj == {"log.level": "info", "message": "x"}
        assert dec.meta["kubernetes.pod.name"] == "p"

    def test_vector_and_rsyslog_envelopes_are_recognized(self) -> None:
        """Vector (`source_type`) and rsyslog JSON templates (`programname`) are unwrapped."""
        vector = decode(rec(orjson.dumps({"message": "m1", "source_type": "file", "host": "h", "file": "/f"})), MAX)
        assert (vector.text, vector.meta["host.name"], vector.meta["log.file.path"]) == ("m1", "h", "/f")
        rsyslog = decode(rec(orjson.dumps({"msg": "m2", "programname": "sshd", "hostname": "h2"})), MAX)
        assert (rsyslog.text, rsyslog.meta["process.name"], rsyslog.hint) == ("m2", "sshd", "syslog.msg")

    def test_a_type_hint_header_names_the_parser(self) -> None:
        """A `logflow-type` Kafka header is the parser hint."""
        assert decode(rec(b"x", (("logflow-type", b"Nginx"),)), MAX).hint == "nginx"

    @pytest.mark.parametrize(("value", "kind"), [(b"", "empty"), (b"  \n", "empty"), (b"\xff\xfeabc", "invalid_utf8")])
    def test_undecodable_records_raise_a_decode_error_with_a_bounded_type(self, value: bytes, kind: str) -> None:
        """Empty records and invalid UTF-8 are rejected with a reason (they go to the dead-letter topic)."""
        with pytest.raises(DecodeError) as info:
            decode(rec(value), MAX)
        assert info.value.error_type == kind

    def test_oversized_records_are_truncated_and_tagged(self) -> None:
        """A record over the limit keeps its head, cut on a character boundary, and is tagged."""
        dec = decode(rec(("é" * 1000).encode()), 1025)
        assert dec.text == "é" * 512
        assert "truncated" in dec.tags

    def test_json_nested_past_any_sane_depth_is_treated_as_text(self) -> None:
        """orjson refuses deep nesting; the record is still an event, as text."""
        deep = b"{" + b'"a":{' * 10_000 + b"}" * 10_001
        assert decode(rec(deep), 10_000_000).text is not None

    def test_json_that_is_not_an_object_is_text(self) -> None:
        """A JSON array or number on a line is just a line."""
        assert decode(rec(b"[1, 2]"), MAX).text == "[1, 2]"

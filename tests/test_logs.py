"""The worker's own logs: logflow's and every library's records as one stream, one format, secrets masked."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import subprocess
import sys
import textwrap

import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config.secrets import remember
from logflow.logs import configure_logging, is_secret_key, mask_text

#: Secrets as credentials look: long enough that they cannot appear in a log line by chance.
SECRETS = st.from_regex(r"[A-Za-z0-9_~+/=.\-]{4,20}", fullmatch=True).map(lambda s: f"Sx9{s}")
LEVELS = ("debug", "info", "warning", "error")


def _emit(fmt: str, level: str, emit: object) -> str:
    """Configure logging as the CLI does, run ``emit`` with stderr captured; what was written."""
    buffer = io.StringIO()
    with contextlib.redirect_stderr(buffer):
        configure_logging(fmt, level)
        assert callable(emit)
        emit()
    return buffer.getvalue()


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class TestOneStream:
    def test_library_records_and_logflow_records_share_one_json_format(self) -> None:
        """A stdlib record (aiokafka's logger) and a structlog record render as JSON with the same keys."""

        def emit() -> None:
            structlog.get_logger().info("Partitions assigned.", partitions=4)
            logging.getLogger("aiokafka.consumer.group_coordinator").warning("Heartbeat failed for %s", "g1")

        own, library = _json_lines(_emit("json", "info", emit))
        assert own["event"] == "Partitions assigned." and own["partitions"] == 4
        assert library == {
            "event": "Heartbeat failed for g1",
            "level": "warning",
            "logger": "aiokafka.consumer.group_coordinator",
            "timestamp": library["timestamp"],
        }
        assert {"event", "level", "timestamp"} <= own.keys()

    def test_ecs_format_uses_ecs_field_names_for_both_kinds_of_record(self) -> None:
        """`ecs`: @timestamp, log.level, message, log.logger, ecs.version; a traceback is error.stack_trace."""

        def emit() -> None:
            structlog.get_logger().info("started")
            try:
                raise RuntimeError("boom")
            except RuntimeError:
                logging.getLogger("elastic_transport.transport").exception("request failed")

        own, library = _json_lines(_emit("ecs", "info", emit))
        assert own["message"] == "started" and own["log.level"] == "info" and "ecs.version" in own
        assert library["log.logger"] == "elastic_transport.transport"
        assert library["log.level"] == "error"
        assert "RuntimeError: boom" in str(library["error.stack_trace"])
        for line in (own, library):
            assert str(line["@timestamp"]).endswith("Z")
            assert not {"event", "level", "timestamp", "logger"} & line.keys()

    @settings(max_examples=60, deadline=None)
    @given(configured=st.sampled_from(LEVELS), record=st.sampled_from(LEVELS))
    def test_library_records_below_the_level_are_dropped_like_logflows_own(self, configured: str, record: str) -> None:
        """Both kinds of record are shown exactly when their level reaches log.level."""

        def emit() -> None:
            getattr(structlog.get_logger(), record)("own")
            getattr(logging.getLogger("aiohttp.access"), record)("library")

        lines = _json_lines(_emit("json", configured, emit))
        shown = LEVELS.index(record) >= LEVELS.index(configured)
        assert [line["event"] for line in lines] == (["own", "library"] if shown else [])

    def test_a_library_logger_that_does_not_propagate_still_writes_json(self) -> None:
        """elastic_transport's node logger sets propagate=False: its warnings still come as JSON, not as
        logging's plain-text last resort; its per-request info lines stay out below debug."""
        logging.getLogger("some.library").propagate = False
        try:

            def emit() -> None:
                node = logging.getLogger("elastic_transport.node")
                node.info("POST http://es:9200/_bulk [status:200 duration:0.010s]")
                node.warning("POST http://es:9200/_bulk [status:N/A duration:1.000s]")
                logging.getLogger("some.library").info("not propagated")

            lines = _json_lines(_emit("json", "info", emit))
        finally:
            logging.getLogger("some.library").propagate = True
        assert [(line["logger"], line["level"]) for line in lines] == [
            ("elastic_transport.node", "warning"),
            ("some.library", "info"),
        ]

    def test_configuring_twice_does_not_double_library_lines(self) -> None:
        """Every command configures logging; a record still prints once."""

        def emit() -> None:
            configure_logging("json", "info")
            logging.getLogger("kafka").error("once")

        assert len(_json_lines(_emit("json", "info", emit))) == 1

    def test_a_real_aiokafka_failure_is_logged_as_a_json_line(self) -> None:
        """aiokafka's own connection error (unreachable broker), in a fresh process, is one JSON object per line."""
        script = textwrap.dedent(
            """
            import asyncio
            from aiokafka import AIOKafkaProducer
            from logflow.logs import configure_logging

            configure_logging("json", "info")

            async def main():
                producer = AIOKafkaProducer(bootstrap_servers="127.0.0.1:1", request_timeout_ms=1000)
                try:
                    await producer.start()
                except Exception:
                    pass
                finally:
                    await producer.stop()

            asyncio.run(main())
            """
        )
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
        lines = _json_lines(proc.stderr)
        assert lines, proc.stderr
        assert any(str(line.get("logger", "")).startswith("aiokafka") for line in lines)


class TestSecretsMasked:
    @settings(max_examples=150, deadline=None)
    @given(
        secret=SECRETS,
        fmt=st.sampled_from(["json", "ecs", "console"]),
        user=st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True),
        key=st.sampled_from(
            ["password", "sasl_password", "api_key", "x-api-key", "auth.token", "Authorization", "client_secret"]
        ),
        carrier=st.sampled_from(["url", "kv", "field", "nested", "library-arg", "traceback", "header", "bare"]),
    )
    def test_no_secret_reaches_the_stream_whoever_logs_it(
        self, secret: str, fmt: str, user: str, key: str, carrier: str
    ) -> None:
        """URL userinfo, key=value text, credential-named fields (nested too), library messages and tracebacks."""
        url = f"https://{user}:{secret}@es.example:9200/_bulk"

        def emit() -> None:
            log = structlog.get_logger()
            library = logging.getLogger("elastic_transport.node")
            if carrier == "url":
                log.info("Connecting.", host=url)
            elif carrier == "kv":
                log.warning(f"login failed {key}={secret} retrying")
            elif carrier == "field":
                log.info("Settings.", **{key: secret})
            elif carrier == "nested":
                log.info("Settings.", kafka={"sasl": {key: secret}, "hosts": [url]})
            elif carrier == "library-arg":
                library.warning("POST %s failed", url)
            elif carrier == "header":
                library.info("sent headers %s", {"Authorization": f"ApiKey {secret}"})
            elif carrier == "bare":  # a settings secret quoted with nothing around it that names it
                remember(secret)
                library.warning("auth rejected for %s/%s", user, secret)
            else:
                try:
                    raise ConnectionError(f"cannot reach {url}")
                except ConnectionError:
                    library.exception("request failed")

        out = _emit(fmt, "debug", emit)
        assert out.strip()
        assert secret not in out
        if fmt != "console":
            assert all(isinstance(line, dict) for line in _json_lines(out))

    @given(word=st.from_regex(r"[a-z]{1,10}", fullmatch=True))
    def test_ordinary_words_and_counts_are_left_alone(self, word: str) -> None:
        """`tokens=5`, `passed: 3`, a Basic-auth word in prose: only credential names are masked."""
        text = f"tokens=5 passed: 3 {word} Basic authentication needed; mail a@b.example"
        if word not in ("password", "passwd", "passphrase", "pwd", "secret", "token", "apikey", "authorization"):
            assert mask_text(text) == text

    def test_credential_key_names_are_recognised_by_word(self) -> None:
        """Names made of words: `sasl_password` and `x-api-key` are secrets, `max_tokens` and `bypass` are not."""
        assert all(is_secret_key(k) for k in ("sasl_password", "x-api-key", "Authorization", "ssl.password", "token"))
        assert not any(is_secret_key(k) for k in ("max_tokens", "bypass", "passed", "tokenizer", "keys"))

    def test_a_secret_the_settings_hold_is_masked_in_any_shape_of_text(self) -> None:
        """A settings password a library quotes without `key=` (an answer, a traceback) is still masked."""
        from logflow.config.load import load_settings

        load_settings(environ={"LOGFLOW_ELASTICSEARCH_PASSWORD": "Zq7-known-Secret"})

        def emit() -> None:
            logging.getLogger("elastic_transport.node").warning("auth rejected for elastic/Zq7-known-Secret")
            structlog.get_logger().info("Answer.", body={"detail": "bad credential Zq7-known-Secret given"})

        out = _emit("json", "info", emit)
        assert "Zq7-known-Secret" not in out and out.count("***") >= 2

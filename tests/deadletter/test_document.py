"""Dead letters as documents: a worker pointed at the dead-letter topic indexes every rejection."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import load_settings
from logflow.deadletter import headers as dl
from logflow.demo.corpus import CorpusGenerator
from logflow.demo.run import run_worker_until_caught_up
from logflow.errors import ConfigError
from logflow.event import Record
from logflow.worker.processor import Processor
from tests.support import all_documents, setup_templates, ship, wait

LOGFLOW_HEADERS = [dl.STAGE, dl.TYPE, dl.REASON, dl.INDEX, dl.TOPIC, dl.PARTITION, dl.OFFSET, dl.TRUNCATED_FROM]
PROCESSOR = Processor(load_settings(environ={}))  # once: the property below runs it hundreds of times


class TestDeadLetterDocument:
    def test_a_record_with_logflow_error_headers_becomes_a_fixed_shape_document(self) -> None:
        """The reason, stage and source coordinates become fields; the bytes a valid preview; never re-parsed."""
        headers = (
            ("logflow.error.stage", b"decode"),
            ("logflow.error.type", b"invalid_utf8"),
            ("logflow.error.reason", b"invalid UTF-8 at byte 0"),
            ("logflow.source.topic", b"logs"),
            ("logflow.source.partition", b"2"),
            ("logflow.source.offset", b"41"),
        )
        processor = Processor(load_settings(environ={}))
        record = Record("logflow-dead-letter", 0, 7, b"\xff\xfe junk", None, headers, 1795395723456)
        out = processor.process([record], keep_documents=True)
        doc = out.documents[0]
        assert out.rejections == []
        assert doc["event.dataset"] == "deadletter"
        assert doc["error.type"] == "invalid_utf8"
        assert doc["message"] == "invalid UTF-8 at byte 0"
        assert (
            doc["logflow.dead_letter.source.topic"],
            doc["logflow.dead_letter.source.partition"],
            doc["logflow.dead_letter.source.offset"],
        ) == ("logs", 2, 41)
        assert doc["event.original"] == "\ufffd\ufffd junk"
        assert doc["_index"].startswith("logflow-deadletter-")
        assert "dead_letter" in doc["tags"]
        assert "timestamp_missing" not in doc["tags"]
        assert doc["@timestamp"] == "2026-11-23T01:02:03.456Z"  # the dead-lettering time, not ingest time

    @settings(max_examples=200, deadline=None, database=None, derandomize=True)
    @given(
        st.lists(
            st.tuples(
                st.sampled_from([*LOGFLOW_HEADERS, dl.ATTEMPT, "logflow.x", "service"]) | st.text(max_size=20),
                st.binary(max_size=24) | st.sampled_from([b"", b"-1", b"4x", b"\xff", "\u0661".encode(), b"1e3"]),
            ),
            max_size=8,
        ),
        st.booleans(),
    )
    def test_only_a_record_from_a_dead_letter_topic_is_a_dead_letter_and_no_header_value_raises(
        self, raw: list[tuple[str, bytes]], marked: bool
    ) -> None:
        """Headers from outside: logflow's own on a source record mean nothing; on a dead letter, never a crash."""
        headers = (*raw, ("logflow.error.type", b"x")) if marked else tuple(raw)
        processor = PROCESSOR
        source = Record("logs", 0, 1, b"plain line", None, headers, 1795395723456)
        letter = Record("logflow-dead-letter", 0, 1, b"plain line", None, headers, 1795395723456)
        out = processor.process([source, letter], keep_documents=True)
        assert out.rejections == []
        assert out.documents[0]["event.dataset"] != "deadletter"
        if marked:
            doc = out.documents[1]
            assert doc["event.dataset"] == "deadletter"
            assert isinstance(doc["logflow.dead_letter.source.offset"], int)
            assert doc["logflow.dead_letter.attempt"] >= 1

    def test_a_worker_cannot_read_its_own_dead_letter_topic(self) -> None:
        """A record rejected twice would loop forever: the configuration refuses it."""
        with pytest.raises(ConfigError, match="dead_letter_topic"):
            load_settings(environ={"LOGFLOW_KAFKA_TOPICS": "logs,dlq", "LOGFLOW_KAFKA_DEAD_LETTER_TOPIC": "dlq"})


class TestDeadLetterIndexing:
    def test_a_second_worker_indexes_what_the_first_dead_lettered(self, make_settings: Any) -> None:
        """Poison records end in Elasticsearch as dead-letter documents with their reasons."""
        first = make_settings()
        corpus = CorpusGenerator(seed=4, poison=3).records(200)
        second = make_settings(
            kafka={
                "topics": [first.kafka.dead_letter_topic],
                "dead_letter_sources": [first.kafka.dead_letter_topic],
                "group_id": first.kafka.group_id + "-dlq-indexer",
                "dead_letter_topic": first.kafka.dead_letter_topic + "-2",
            }
        )

        async def go() -> list[dict[str, Any]]:
            await setup_templates(first)
            produced = await ship(first, corpus)
            await run_worker_until_caught_up(first, produced, timeout=120)
            await run_worker_until_caught_up(second, {(first.kafka.dead_letter_topic, 0): 3}, timeout=120)
            docs = await all_documents(first, ["event.dataset", "error.type", "logflow.dead_letter.source.offset"])
            return [d for d in docs if d["event.dataset"] == "deadletter"]

        dead = wait(go())
        assert sorted(d["error.type"] for d in dead) == ["empty", "empty", "invalid_utf8"]
        assert all(d["_index"].startswith(first.routing.index_prefix + "-deadletter-") for d in dead)

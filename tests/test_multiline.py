"""Multiline: stack-trace lines shipped one per record become one event, and delivery stays exact."""

from __future__ import annotations

from typing import Any

from logflow.config import load_settings
from logflow.demo.corpus import ShipRecord
from logflow.demo.run import run_worker_until_caught_up
from logflow.multiline import MultilineJoiner
from logflow.process import Processor
from logflow.record import Processed, Record
from tests.support import all_documents, committed_offsets, setup_templates, ship, wait
from tests.test_pipeline import MOMENT

START = r"^\d{4}-\d{2}-\d{2}[T ]"
EVENT = [
    b"2026-11-23 10:00:00,000 ERROR com.shop.Orders: update failed",
    b"java.lang.IllegalStateException: order 7 already shipped",
    b"\tat com.shop.Orders.update(Orders.java:42)",
    b"\tat java.base/java.lang.Thread.run(Thread.java:1583)",
]
NEXT = b"2026-11-23 10:00:01,000 INFO com.shop.Orders: order 8 updated"


def process(batch: list[Record], **pipeline: Any) -> Processed:
    """Join then process, as the worker does."""
    settings = load_settings(environ={}, overrides={"pipeline": {"multiline_start": START, **pipeline}})
    joiner = MultilineJoiner.from_config(settings.pipeline)
    assert joiner is not None
    return Processor(settings).process(joiner.join(batch), keep_documents=True)


def records(values: list[bytes], key: bytes = b"orders") -> list[Record]:
    return [Record("logs", 0, i, v, key) for i, v in enumerate(values)]


class TestJoining:
    def test_continuation_records_join_their_event_with_the_first_records_id(self) -> None:
        """Four records become one event with the trace in error.*; the next start line is its own event."""
        out = process(records([*EVENT, NEXT]))
        assert [a.doc_id for a in out.actions] == ["logs-0-0", "logs-0-4"]
        first = out.documents[0]
        assert first["message"] == "update failed"
        assert first["error.type"] == "java.lang.IllegalStateException"
        assert first["error.stack_trace"].endswith("Thread.java:1583)")
        assert out.documents[1]["message"] == "order 8 updated"

    def test_interleaved_sources_are_joined_separately_by_record_key(self) -> None:
        """Lines of two services interleaved on one partition each join their own event."""
        batch = [
            Record("logs", 0, 0, EVENT[0], b"a"),
            Record("logs", 0, 1, EVENT[0], b"b"),
            Record("logs", 0, 2, EVENT[2], b"a"),
            Record("logs", 0, 3, EVENT[3], b"b"),
        ]
        out = process(batch)
        assert [d["error.stack_trace"] for d in out.documents] == [EVENT[2].decode(), EVENT[3].decode()]

    def test_an_event_stops_growing_at_the_line_limit(self) -> None:
        """multiline_max_lines bounds an event; the next continuation starts another."""
        lines = [EVENT[0], *[b"\tat frame"] * 5]
        out = process(records(lines), multiline_max_lines=3)
        assert len(out.actions) == 2

    def test_without_a_start_pattern_every_record_is_its_own_event(self) -> None:
        """Multiline is opt-in: the default configuration never joins."""
        settings = load_settings(environ={})
        assert MultilineJoiner.from_config(settings.pipeline) is None
        assert len(Processor(settings).process(records([*EVENT, NEXT])).actions) == 5

    def test_json_and_empty_records_never_join(self) -> None:
        """A continuation after a JSON record is an event of its own; an empty record is still dead-lettered."""
        out = process(records([b'{"msg": "x"}', b"\tat frame", b""]))
        assert len(out.actions) == 2
        assert [r.error_type for r in out.rejections] == ["empty"]


class TestDelivery:
    def test_joined_records_are_committed_and_indexed_once(self, make_settings: Any) -> None:
        """Through Kafka and Elasticsearch: 3 events from 12 records, every offset committed, no doubles."""
        settings = make_settings(pipeline={"multiline_start": START})
        shipped = [
            ShipRecord(value, b"orders", (), "orders", "app", "error", MOMENT) for _ in range(3) for value in EVENT
        ]

        async def go() -> tuple[list[dict[str, Any]], dict[Any, int | None], dict[Any, int]]:
            await setup_templates(settings)
            produced = await ship(settings, shipped, partitions=1)
            await run_worker_until_caught_up(settings, produced, timeout=120)
            docs = await all_documents(settings, ["error.type", "logflow.kafka.offset"])
            return docs, await committed_offsets(settings, list(produced)), produced

        docs, committed, produced = wait(go())
        assert committed == produced == {(settings.kafka.topics[0], 0): 12}
        assert sorted(d["logflow.kafka.offset"] for d in docs) == [0, 4, 8]
        assert {d["error.type"] for d in docs} == {"java.lang.IllegalStateException"}

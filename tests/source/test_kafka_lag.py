"""The Kafka source against a real Kafka-API broker: lag from public consumer API only."""

from __future__ import annotations

import ast
import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from logflow.admin.ship import ensure_topics, produce
from logflow.source.kafka import KafkaSource

SOURCE_ROOM = Path(__file__).resolve().parents[2] / "logflow" / "source"


async def _fetch_at_least(source: KafkaSource, count: int) -> int:
    """Fetch until ``count`` records came; how many did."""
    seen = 0
    deadline = time.monotonic() + 30
    while seen < count and time.monotonic() < deadline:
        seen += len(await source.fetch())
    return seen


class TestLag:
    @pytest.mark.integration
    async def test_lag_is_highwater_minus_committed_or_minus_what_was_fetched(self, make_settings: Any) -> None:
        """Uncommitted: highwater - next fetched offset; committed: highwater - commit; a seek moves it back."""
        settings = make_settings(kafka={"max_batch_records": 7, "auto_offset_reset": "earliest"})
        topic = settings.kafka.topics[0]
        await ensure_topics(settings.kafka, {topic: 1})
        await produce(settings.kafka, topic, ((None, f"line {i}".encode(), ()) for i in range(40)))
        source = KafkaSource(settings.kafka)
        await source.start()
        try:
            fetched = await _fetch_at_least(source, 1)
            assert 0 < fetched <= 40
            tp = (topic, 0)
            assert source.lag({}) == {tp: 40 - fetched}
            await source.commit({tp: 3})
            assert source.lag({tp: 3}) == {tp: 37}
            source.seek({tp: 1})
            assert source.lag({}) == {tp: 39}
        finally:
            await asyncio.wait_for(source.stop(), 30)


class TestPublicApiOnly:
    def test_the_source_room_reads_no_private_attribute_of_another_object(self) -> None:
        """`x._name` only on `self`: private aiokafka state (`consumer._subscription`) changes unannounced."""
        offending = []
        for path in SOURCE_ROOM.glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Attribute)
                    and node.attr.startswith("_")
                    and not node.attr.startswith("__")
                    and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
                ):
                    offending.append(f"{path.name}:{node.lineno} .{node.attr}")
            for imported in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(imported, ast.ImportFrom) or not imported.module:
                    continue
                if any(part.startswith("_") and part != "__future__" for part in imported.module.split(".")):
                    offending.append(f"{path.name}:{imported.lineno} from {imported.module}")
        assert offending == []

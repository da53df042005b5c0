"""Helpers shared by integration tests (fixtures themselves live in conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from logflow.admin.index_templates import install_templates
from logflow.admin.ship import ensure_topics, produce
from logflow.config import Settings
from logflow.demo.corpus import ShipRecord
from logflow.sink.client import make_client
from logflow.source.base import TP
from logflow.source.kafka import security_kwargs
from logflow.worker.loop import Worker

# How long a test waits for a condition (a commit, an event) before it fails: only a condition that
# never holds reaches it. bench/mutation.py shortens it, since a mutant that breaks delivery makes
# every such wait run to its end.
CONDITION_DEADLINE_S = float(os.environ.get("LOGFLOW_TEST_DEADLINE_S", "60"))


async def ship(settings: Settings, records: Sequence[ShipRecord], partitions: int = 3) -> dict[TP, int]:
    """Create the test's topics and produce ``records``; returns records per (topic, partition)."""
    topic = settings.kafka.topics[0]
    await ensure_topics(settings.kafka, {topic: partitions, settings.kafka.dead_letter_topic: 1})
    counts = await produce(settings.kafka, topic, ((r.key, r.value, r.headers) for r in records))
    return {(topic, p): n for p, n in counts.items()}


async def setup_templates(settings: Settings) -> None:
    client = make_client(settings.elasticsearch)
    try:
        await install_templates(client, settings.routing.index_prefix)
    finally:
        await client.close()


async def read_topic(
    settings: Settings, topic: str, expected: int, timeout: float = 15.0
) -> list[ConsumerRecord[Any, Any]]:
    """Every record of ``topic`` from the start (waits for at least ``expected``)."""
    consumer = AIOKafkaConsumer(
        topic, **security_kwargs(settings.kafka), group_id=None, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    out: list[ConsumerRecord[Any, Any]] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=200)
            for messages in batch.values():
                out.extend(messages)
            if len(out) >= expected and not batch:
                break
    finally:
        await consumer.stop()
    return out


async def committed_offsets(settings: Settings, partitions: Sequence[TP]) -> dict[TP, int | None]:
    """The group's committed offsets, read by a consumer that joins no group."""
    consumer = AIOKafkaConsumer(
        **security_kwargs(settings.kafka), group_id=settings.kafka.group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        return {tp: await consumer.committed(TopicPartition(*tp)) for tp in partitions}
    finally:
        await consumer.stop()


async def index_counts(settings: Settings) -> dict[str, int]:
    """Documents per index under the test's prefix, after a refresh."""
    client = make_client(settings.elasticsearch)
    prefix = settings.routing.index_prefix
    try:
        await client.indices.refresh(index=f"{prefix}-*")
        cat = await client.cat.indices(index=f"{prefix}-*", format="json")
        rows: list[dict[str, Any]] = cat.body  # type: ignore[assignment]  # format=json gives rows
        return {row["index"]: int(row["docs.count"]) for row in rows}
    finally:
        await client.close()


async def all_documents(settings: Settings, fields: Sequence[str]) -> list[dict[str, Any]]:
    """Every document under the prefix (``_id``, ``_index`` and the named fields), by search_after."""
    client = make_client(settings.elasticsearch)
    prefix = settings.routing.index_prefix
    out: list[dict[str, Any]] = []
    after: list[Any] | None = None
    try:
        await client.indices.refresh(index=f"{prefix}-*")
        while True:
            # No _source filtering: servers differ on whether `a.b` selects a flat dotted key.
            kwargs: dict[str, Any] = {
                "index": f"{prefix}-*",
                "size": 5000,
                "sort": [{"logflow.kafka.partition": "asc"}, {"logflow.kafka.offset": "asc"}],
            }
            if after is not None:
                kwargs["search_after"] = after
            resp = await client.search(**kwargs)
            hits = resp.body["hits"]["hits"]
            if not hits:
                return out
            out.extend(
                {"_id": h["_id"], "_index": h["_index"], **{f: h["_source"].get(f) for f in fields}} for h in hits
            )
            after = hits[-1]["sort"]
    finally:
        await client.close()


def wait(coro: Any) -> Any:
    return asyncio.run(coro)


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a `python -m logflow run` subprocess for these settings (other LOGFLOW_* removed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGFLOW_")}
    env.update(
        {
            "LOGFLOW_KAFKA_BOOTSTRAP_SERVERS": ",".join(settings.kafka.bootstrap_servers),
            "LOGFLOW_KAFKA_TOPICS": ",".join(settings.kafka.topics),
            "LOGFLOW_KAFKA_GROUP_ID": settings.kafka.group_id,
            "LOGFLOW_KAFKA_DEAD_LETTER_TOPIC": settings.kafka.dead_letter_topic,
            "LOGFLOW_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "LOGFLOW_ELASTICSEARCH_HOSTS": ",".join(settings.elasticsearch.hosts),
            "LOGFLOW_ROUTING_INDEX_PREFIX": settings.routing.index_prefix,
            "LOGFLOW_HEALTH_PORT": "0",
            "LOGFLOW_LOG_FORMAT": "json",
            **extra,
        }
    )
    return env


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[asyncio.Task[None]]:
    """``worker`` runs in the background inside the block; leaving it stops the worker and waits for it."""
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        yield task
    finally:
        stop.set()
        await task

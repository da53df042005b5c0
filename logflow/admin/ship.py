"""`logflow ship`: produce lines or prepared records to Kafka (the demo's and the tests' producer)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from logflow.config import KafkaConfig
from logflow.source.kafka import security_kwargs

Message = tuple[bytes | None, bytes, tuple[tuple[str, bytes], ...]]  # key, value, headers


async def ensure_topics(cfg: KafkaConfig, topics: dict[str, int]) -> None:
    """Create topics that do not exist yet (name -> partitions)."""
    admin = AIOKafkaAdminClient(**security_kwargs(cfg))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(name, partitions, 1) for name, partitions in topics.items() if name not in existing]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker or test won the race
                await admin.create_topics(wanted)
    finally:
        await admin.close()


async def produce(
    cfg: KafkaConfig,
    topic: str,
    messages: Iterable[Message],
    progress: Callable[[int], None] | None = None,
) -> dict[int, int]:
    """Produce every message and wait for all acknowledgements; returns records per partition."""
    producer = AIOKafkaProducer(
        **security_kwargs(cfg),
        acks="all",
        linger_ms=20,
        max_batch_size=1 << 20,
        max_request_size=16 << 20,
        enable_idempotence=False,
    )
    await producer.start()
    per_partition: dict[int, int] = {}
    pending: list[asyncio.Future[object]] = []

    def settle(done: list[object]) -> None:
        for meta in done:
            partition = meta.partition  # type: ignore[attr-defined]
            per_partition[partition] = per_partition.get(partition, 0) + 1
        if progress is not None:
            progress(len(done))

    try:
        for key, value, headers in messages:
            pending.append(await producer.send(topic, value=value, key=key, headers=list(headers)))
            if len(pending) >= 5000:
                settle(list(await asyncio.gather(*pending)))
                pending = []
        await producer.flush()
        settle(list(await asyncio.gather(*pending)))
    finally:
        await producer.stop()
    return per_partition


def file_messages(paths: Iterable[Path], key: bytes | None = None) -> Iterator[Message]:
    """One record per non-empty line; JSON lines go as they are (the worker detects them)."""
    for path in paths:
        with path.open("rb") as handle:
            for line in handle:
                line = line.rstrip(b"\r\n")
                if line:
                    yield key, line, ()

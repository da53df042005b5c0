"""The dead-letter topic: rejected records, byte for byte, with the reason in headers.

The value and key are the original bytes (so invalid UTF-8 and binary junk survive intact, and a
replay after a fix re-feeds exactly what arrived); the original headers are kept; logflow adds
``logflow.error.*`` and ``logflow.source.*`` headers saying what went wrong and where the record
came from. A dead-lettered record counts as done only once the broker acknowledged it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError

from logflow.config import KafkaConfig
from logflow.deadletter.headers import TRUNCATED_FROM, encode
from logflow.event import Rejection
from logflow.source.kafka import security_kwargs

MAX_REQUEST_BYTES = 16 * 1024 * 1024
TRUNCATE_TO = 900 * 1024


class DeadLetterWriter(Protocol):
    """What the worker needs of the dead-letter topic: every rejection written and acknowledged, or an error."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send_all(self, rejections: Sequence[Rejection]) -> None: ...


class KafkaDeadLetters:
    """The dead-letter topic on Kafka: ``acks=all``, one record per rejection."""

    def __init__(self, cfg: KafkaConfig) -> None:
        self.topic = cfg.dead_letter_topic
        # Times each record (by document id) was dead-lettered before: set by `dlq replay` from the dead
        # letters it read, so a record that fails again is written with the next attempt number.
        self.attempts: dict[str, int] = {}
        self.producer = AIOKafkaProducer(
            **security_kwargs(cfg),
            acks="all",
            linger_ms=5,
            max_request_size=MAX_REQUEST_BYTES,
            enable_idempotence=False,
        )

    async def start(self) -> None:
        await self.producer.start()

    async def stop(self) -> None:
        await self.producer.stop()

    async def send_all(self, rejections: Sequence[Rejection]) -> None:
        """Returns once every rejection is acknowledged by the broker; raises if one cannot be written."""
        if not rejections:
            return
        futures = [await self._send(r) for r in rejections]
        await asyncio.gather(*futures)

    async def _send(self, rejection: Rejection) -> asyncio.Future[object]:
        record = rejection.record
        headers = encode(rejection, self.attempts.get(record.doc_id, 0) + 1)
        try:
            future: asyncio.Future[object] = await self.producer.send(
                self.topic, value=record.value, key=record.key, headers=headers
            )
        except MessageSizeTooLargeError:
            # Too big for the dead-letter topic as it is: keep the head, and say so.
            value = (record.value or b"")[:TRUNCATE_TO]
            headers = [(k, v) for k, v in headers if len(v) < 64 * 1024]
            headers.append((TRUNCATED_FROM, str(len(record.value or b"")).encode()))
            future = await self.producer.send(
                self.topic, value=value, key=(record.key or b"")[:1024] or None, headers=headers
            )
        return future

"""The dead-letter topic: rejected records, byte for byte, with the reason in headers.

The value and key are the original bytes (so invalid UTF-8 and binary junk survive intact, and a
replay after a fix re-feeds exactly what arrived); the original headers are kept; logflow adds
``logflow.error.*`` and ``logflow.source.*`` headers saying what went wrong and where the record
came from. A dead-lettered record counts as done only once the broker acknowledged it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError

from logflow.config import KafkaConfig
from logflow.event import Rejection
from logflow.source.kafka import security_kwargs

MAX_REQUEST_BYTES = 16 * 1024 * 1024
TRUNCATE_TO = 900 * 1024
_REASON_LIMIT = 2000


def dead_letter_headers(rejection: Rejection) -> list[tuple[str, bytes]]:
    record = rejection.record
    headers = [(k, v) for k, v in record.headers if not k.startswith("logflow.")]
    headers += [
        ("logflow.error.stage", rejection.stage.encode()),
        ("logflow.error.type", rejection.error_type.encode()),
        ("logflow.error.reason", rejection.reason[:_REASON_LIMIT].encode("utf-8", "replace")),
        ("logflow.source.topic", record.topic.encode()),
        ("logflow.source.partition", str(record.partition).encode()),
        ("logflow.source.offset", str(record.offset).encode()),
    ]
    if rejection.index:
        headers.append(("logflow.error.index", rejection.index.encode()))
    return headers


class DeadLetterQueue:
    def __init__(self, cfg: KafkaConfig) -> None:
        self.topic = cfg.dead_letter_topic
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
        headers = dead_letter_headers(rejection)
        try:
            future: asyncio.Future[object] = await self.producer.send(
                self.topic, value=record.value, key=record.key, headers=headers
            )
        except MessageSizeTooLargeError:
            # Too big for the dead-letter topic as it is: keep the head, and say so.
            value = (record.value or b"")[:TRUNCATE_TO]
            headers = [(k, v) for k, v in headers if len(v) < 64 * 1024]
            headers.append(("logflow.error.truncated_from", str(len(record.value or b"")).encode()))
            future = await self.producer.send(
                self.topic, value=value, key=(record.key or b"")[:1024] or None, headers=headers
            )
        return future

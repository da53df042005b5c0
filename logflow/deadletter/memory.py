"""An in-memory dead-letter writer with the worker's interface, for tests of everything before the network."""

from __future__ import annotations

from collections.abc import Sequence

from logflow.deadletter.headers import encode
from logflow.event import RawHeaders, Rejection


class InMemoryDeadLetters:
    def __init__(self) -> None:
        self.letters: list[tuple[bytes | None, bytes | None, RawHeaders]] = []  # key, value, headers as written
        self.rejections: list[Rejection] = []
        self.attempts: dict[str, int] = {}  # as ``KafkaDeadLetters.attempts``: prior dead letters by document id

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send_all(self, rejections: Sequence[Rejection]) -> None:
        for rejection in rejections:
            self.rejections.append(rejection)
            attempt = self.attempts.get(rejection.record.doc_id, 0) + 1
            self.letters.append((rejection.record.key, rejection.record.value, tuple(encode(rejection, attempt))))

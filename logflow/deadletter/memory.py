"""An in-memory dead-letter writer with the worker's interface, for tests of everything before the network."""

from __future__ import annotations

from collections.abc import Sequence

from logflow.deadletter.headers import encode
from logflow.event import RawHeaders, Rejection


class InMemoryDeadLetters:
    def __init__(self) -> None:
        self.letters: list[tuple[bytes | None, bytes | None, RawHeaders]] = []  # key, value, headers as written
        self.rejections: list[Rejection] = []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send_all(self, rejections: Sequence[Rejection]) -> None:
        for rejection in rejections:
            self.rejections.append(rejection)
            self.letters.append((rejection.record.key, rejection.record.value, tuple(encode(rejection))))

"""What a sink is to the worker: something that acknowledges actions, item by item.

The worker hands a sink the batch's actions and learns, per action, whether it was acknowledged
(``on_done`` as chunks are answered, for the offset tracker), failed for good (``failures``, for the
dead-letter topic) or dropped by policy. A sink may take as long as it needs (that wait is the
backpressure), but gives up at once when ``abandon`` is set (partitions revoked) by raising
``BatchAbandoned``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from logflow.errors import DeliveryError
from logflow.event import Action


class BatchAbandoned(DeliveryError):
    """The worker gave up on the batch in flight (partitions revoked, or shutdown deadline)."""


@dataclass(slots=True)
class Failure:
    action: Action
    status: int
    error_type: str
    reason: str


@dataclass(slots=True)
class IndexResult:
    indexed: int = 0
    retried: int = 0
    dropped: list[Failure] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


class Sink(Protocol):
    abandon: asyncio.Event  # set: give up on the current batch only
    bulk_seconds: list[float]  # durations of recent requests, drained by the worker for metrics

    async def start(self) -> None:
        """Reach the server once (and learn what it is); a sink that cannot is still usable: it retries."""

    async def close(self) -> None: ...

    async def index(
        self, actions: Sequence[Action], on_done: Callable[[list[Action]], None] | None = None
    ) -> IndexResult: ...

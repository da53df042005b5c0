"""What a source is to the worker: batches of records from partitions it owns, and commits.

A source hands out records with their coordinates, takes commits (``offset + 1`` per partition,
only ever after the sink acknowledged), can be paused (backpressure), rewound (an abandoned batch)
and tells the worker when partitions are revoked or assigned (``listen``), so the batch in flight
can finish before they move.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from logflow.event import Record

TP = tuple[str, int]
Callback = Callable[[set[TP]], Awaitable[None]]


class Source(Protocol):
    def listen(self, on_revoked: Callback | None, on_assigned: Callback | None) -> None:
        """Who hears about rebalances; called once, before ``start``."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def fetch(self) -> list[Record]:
        """The next records of owned partitions (empty when none came in time)."""

    def assignment(self) -> set[TP]: ...

    def pause(self, partitions: set[TP] | None = None) -> set[TP]:
        """Fetch nothing more from ``partitions`` (default: all owned); the ones paused."""

    def resume(self, partitions: set[TP] | None = None) -> None: ...

    def seek(self, offsets: dict[TP, int]) -> None:
        """Fetch again from these offsets (owned partitions only)."""

    async def commit(self, offsets: dict[TP, int]) -> None: ...

    async def committed(self, tp: TP) -> int | None: ...

    def lag(self, committed: dict[TP, int]) -> dict[TP, int]:
        """Records not yet committed, per owned partition (what the source knows of its end)."""

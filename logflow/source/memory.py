"""An in-memory source with the worker's source interface, for tests of everything before the network.

Partitions are lists of records; every partition is owned from ``start``; ``fetch`` hands out up to
``batch`` records from the fetch positions, partition by partition, as a Kafka fetch groups them.
Every record carries a timestamp, as every record a broker hands out does (one without gets the time
it was appended here, the same on every re-read). Commits are kept, and ``rebalance`` plays a revoke
and re-assignment through the worker's callbacks. Never a stand-in for the integration tests, which
run against a real Kafka API.
"""

from __future__ import annotations

import asyncio
import time

from logflow.event import Record
from logflow.source.base import TP, Callback


class InMemorySource:
    def __init__(self, records: list[Record], batch: int = 500) -> None:
        self.partitions: dict[TP, list[Record]] = {}
        appended_ms = int(time.time() * 1000)
        for record in records:
            if record.timestamp_ms is None:  # as a broker stamps every record it appends (LogAppendTime)
                record.timestamp_ms = appended_ms
            self.partitions.setdefault((record.topic, record.partition), []).append(record)
        self.batch = batch
        self.positions: dict[TP, int] = {}
        self.commits: dict[TP, int] = {}
        self.paused_partitions: set[TP] = set()
        self.on_revoked: Callback | None = None
        self.on_assigned: Callback | None = None
        self.committed_now = asyncio.Event()  # set at each commit, for whoever waits for one

    async def wait_for(self, commits: dict[TP, int]) -> None:
        """Return once the commits are ``commits`` (at each commit, no polling)."""
        while self.commits != commits:
            self.committed_now.clear()
            await self.committed_now.wait()

    def listen(self, on_revoked: Callback | None, on_assigned: Callback | None) -> None:
        self.on_revoked, self.on_assigned = on_revoked, on_assigned

    async def start(self) -> None:
        for tp, records in self.partitions.items():
            self.positions[tp] = self.commits.get(tp, records[0].offset if records else 0)
        if self.on_assigned is not None:
            await self.on_assigned(set(self.partitions))

    async def stop(self) -> None:
        return None

    def _index(self, tp: TP, offset: int) -> int:
        return next((i for i, r in enumerate(self.partitions[tp]) if r.offset >= offset), len(self.partitions[tp]))

    async def fetch(self) -> list[Record]:
        out: list[Record] = []
        for tp, records in self.partitions.items():
            if tp in self.paused_partitions:
                continue
            start = self._index(tp, self.positions[tp])
            taken = records[start : start + self.batch - len(out)]
            if taken:
                out.extend(taken)
                self.positions[tp] = taken[-1].offset + 1
            if len(out) >= self.batch:
                break
        if not out:
            await asyncio.sleep(0.01)  # an empty fetch waits a little, as a real one does
        return out

    def assignment(self) -> set[TP]:
        return set(self.partitions)

    def pause(self, partitions: set[TP] | None = None) -> set[TP]:
        chosen = set(self.partitions) if partitions is None else partitions & set(self.partitions)
        self.paused_partitions |= chosen
        return chosen

    def resume(self, partitions: set[TP] | None = None) -> None:
        self.paused_partitions -= set(self.partitions) if partitions is None else partitions

    def seek(self, offsets: dict[TP, int]) -> None:
        for tp, offset in offsets.items():
            if tp in self.partitions:
                self.positions[tp] = offset

    async def commit(self, offsets: dict[TP, int]) -> None:
        self.commits.update(offsets)
        self.committed_now.set()

    async def committed(self, tp: TP) -> int | None:
        return self.commits.get(tp)

    def lag(self, committed: dict[TP, int]) -> dict[TP, int]:
        out: dict[TP, int] = {}
        for tp, records in self.partitions.items():
            end = records[-1].offset + 1 if records else 0
            out[tp] = max(0, end - committed.get(tp, self.commits.get(tp, 0)))
        return out

    async def rebalance(self) -> None:
        """Revoke every partition and assign them again, as a group rebalance does; fetching resumes from commits."""
        owned = set(self.partitions)
        if self.on_revoked is not None:
            await self.on_revoked(owned)
        for tp in owned:
            self.positions[tp] = self.commits.get(tp, self.partitions[tp][0].offset if self.partitions[tp] else 0)
        if self.on_assigned is not None:
            await self.on_assigned(owned)

"""An in-memory sink with the worker's sink interface, for tests of everything before the network.

It keeps the last source written per (index, id), as Elasticsearch does with ``index`` operations, and
answers each action with the status ``status(action)`` gives (default 201): 2xx acknowledged, others
returned as failures for the dead-letter topic. Never a stand-in for the integration tests, which
run against a real Elasticsearch API.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from logflow.event import Action
from logflow.sink.base import BatchAbandoned, Failure, IndexResult


class InMemorySink:
    def __init__(self, status: Callable[[Action], int] | None = None) -> None:
        self.status = status or (lambda action: 201)
        self.documents: dict[tuple[str, str], bytes] = {}
        self.writes = 0  # every acknowledged write, overwrites included
        self.abandon = asyncio.Event()
        self.bulk_seconds: list[float] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def index(
        self, actions: Sequence[Action], on_done: Callable[[list[Action]], None] | None = None
    ) -> IndexResult:
        if self.abandon.is_set():
            raise BatchAbandoned("batch abandoned (partitions revoked) before the sink acknowledged it")
        result = IndexResult()
        done: list[Action] = []
        for action in actions:
            status = self.status(action)
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                self.documents[(action.index, action.doc_id)] = action.source
                self.writes += 1
                result.indexed += 1
                done.append(action)
            else:
                result.failures.append(Failure(action, status, f"http_{status}", f"answered {status}"))
        if done and on_done is not None:
            on_done(done)
        return result

"""A server slower than the request timeout gets a bounded number of copies of a bulk body, not one per retry."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterator

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logflow.config import load_settings
from logflow.demo.servers import ServerProcess, start_osmem
from logflow.event import Action, Record
from logflow.sink.client import make_client
from logflow.sink.elasticsearch import ElasticsearchSink
from tests.edges.stall import Stall


@pytest.fixture(scope="module")
def osmem() -> Iterator[ServerProcess]:
    server = start_osmem()
    try:
        yield server
    finally:
        server.stop()


def _actions(index: str, n: int) -> list[Action]:
    return [
        Action(Record("slow", 0, i, b""), index, f"slow-0-{i}", orjson.dumps({"message": f"m{i}"})) for i in range(n)
    ]


async def _index_through(stall: Stall, timeout: float, n: int, index: str) -> tuple[int, int]:
    overrides = {
        "hosts": [stall.url],
        "request_timeout_s": timeout,
        "retry_backoff_s": 0.05,
        "retry_backoff_max_s": 0.2,
        "bulk_timeout_max_s": 60,
    }
    cfg = load_settings(environ={}, overrides={"elasticsearch": overrides}).elasticsearch
    sink = ElasticsearchSink(make_client(cfg), cfg, own_client=True)
    try:
        await sink.start()  # GET / before the stall
        stall.start()
        result = await sink.index(_actions(index, n))
        end = time.monotonic() + 30
        while (stall.held or stall.bulk_received != stall.bulk_forwarded) and time.monotonic() < end:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # let every copy the server still holds reach it (another thread counts)
        admin = make_client(
            load_settings(environ={}, overrides={"elasticsearch": {"hosts": [stall.upstream]}}).elasticsearch
        )
        try:
            await admin.indices.refresh(index=index)
            count = int((await admin.count(index=index)).body["count"])
            await admin.indices.delete(index=index)
        finally:
            await admin.close()
        assert result.indexed == n and not result.failures
        return stall.bulk_forwarded, count
    finally:
        await sink.close()


MODES = st.sampled_from(["frozen node", "busy writes, tasks API", "busy writes, no tasks API"])


@pytest.mark.integration
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    mode=MODES,
    timeout=st.floats(min_value=0.2, max_value=0.4),
    stall_s=st.floats(min_value=1.0, max_value=2.5),
    n=st.integers(min_value=1, max_value=40),
)
def test_a_stall_longer_than_the_timeout_sends_a_bounded_number_of_copies_and_doubles_nothing(
    osmem: ServerProcess, mode: str, timeout: float, stall_s: float, n: int
) -> None:
    """Frozen node or known running task: one re-send. No tasks API: re-sends with doubling timeouts only."""
    frozen, tasks = mode == "frozen node", mode == "busy writes, tasks API"
    with Stall(f"http://{osmem.address}", stall_s, freeze_all=frozen, tasks=tasks) as stall:
        forwarded, count = asyncio.run(_index_through(stall, timeout, n, f"slow-{mode[:4]}"))
    bound = 2 if frozen or tasks else 1 + math.ceil(math.log2(stall_s / timeout + 1))
    assert forwarded <= bound, f"{forwarded} copies reached the server ({mode}, bound {bound})"
    assert count == n  # every copy carried the same _ids: overwritten, never doubled

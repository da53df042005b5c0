"""The sink gives up on work it has not started without leaving a coroutine unawaited."""

from __future__ import annotations

import asyncio
import gc
import warnings

import pytest

from logflow.config import load_settings
from logflow.sink.base import BatchAbandoned
from logflow.sink.elasticsearch import ElasticsearchSink


def test_work_given_up_before_it_starts_is_closed_not_left_unawaited() -> None:
    cfg = load_settings(environ={}).elasticsearch
    sink = ElasticsearchSink(object(), cfg)  # type: ignore[arg-type]
    sink.abandon.set()
    started: list[bool] = []

    async def work() -> None:
        started.append(True)

    async def scenario() -> None:
        with pytest.raises(BatchAbandoned):
            await sink._interruptible(work())

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # "coroutine ... was never awaited"
        asyncio.run(scenario())
        gc.collect()
    assert started == []


def test_a_request_that_fails_while_being_cancelled_still_ends_as_an_abandoned_batch() -> None:
    """An HTTP client may answer cancellation with its own error: giving up must not turn into that error."""
    cfg = load_settings(environ={}).elasticsearch
    sink = ElasticsearchSink(object(), cfg)  # type: ignore[arg-type]

    async def request(started: asyncio.Event) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise OSError("connection closed while cancelling") from None

    async def scenario() -> None:
        started = asyncio.Event()
        task = asyncio.create_task(sink._interruptible(request(started)))
        await started.wait()
        sink.abandon.set()
        with pytest.raises(BatchAbandoned, match="revoked"):
            await task

    asyncio.run(scenario())

"""Running workers as processes: signals, drain deadline, and `--workers N`.

SIGTERM (or Ctrl-C) asks the worker to stop fetching, finish and commit the batch in flight, leave
the group and exit 0. A second signal, or the drain deadline (``worker.shutdown_timeout_s``),
aborts: the batch in flight is not committed (its records will be redelivered and overwrite
themselves) and the exit code is 1. ``--workers N`` starts N such processes in one consumer group
(Python uses one core per process) and forwards signals to them.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import sys
from pathlib import Path

import structlog

from logflow.config import Settings, load_settings
from logflow.errors import DeliveryError
from logflow.logs import configure_logging
from logflow.source.kafka import create_missing_topics
from logflow.worker.loop import Worker
from logflow.worker.tuning import tune_allocator, tune_collector

log = structlog.get_logger("logflow.worker.runner")


async def serve(settings: Settings) -> int:
    if settings.kafka.create_topics:
        created = await create_missing_topics(settings.kafka)
        if created:
            log.info("Created missing topics.", topics=created, partitions=settings.kafka.create_partitions)
    tune_allocator()
    worker = Worker(settings)
    tune_collector()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = 0

    def on_signal(signum: int) -> None:
        nonlocal signals
        signals += 1
        if signals == 1:
            log.info("Shutdown requested; finishing the batch in flight.", signal=signal.Signals(signum).name)
            stop.set()
            loop.call_later(settings.worker.shutdown_timeout_s, _deadline)
        else:
            log.warning("Second signal; exiting without committing the batch in flight.")
            worker.abort.set()

    def _deadline() -> None:
        log.warning(
            "Drain deadline passed; exiting without committing the batch in flight.",
            timeout_s=settings.worker.shutdown_timeout_s,
        )
        worker.abort.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, on_signal, signum)
    try:
        await worker.run(stop)
    except DeliveryError:
        return 1
    return 0 if not worker.abort.is_set() else 1


def _child(config: Path | None, index: int) -> None:
    settings = load_settings(config)
    if settings.health.port:  # one port per worker process: base, base+1, ...
        health = settings.health.model_copy(update={"port": settings.health.port + index})
        settings = settings.model_copy(update={"health": health})
    configure_logging(settings.log.format, settings.log.level)
    structlog.contextvars.bind_contextvars(worker=index)
    sys.exit(asyncio.run(serve(settings)))


def run_workers(settings: Settings, config: Path | None, workers: int) -> int:
    if workers <= 1:
        return asyncio.run(serve(settings))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_child, args=(config, i), name=f"logflow-worker-{i}") for i in range(workers)]
    for proc in procs:
        proc.start()

    def forward(signum: int, _frame: object) -> None:
        for proc in procs:
            if proc.is_alive() and proc.pid is not None:
                import os

                os.kill(proc.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for proc in procs:
        proc.join()
    return max((proc.exitcode or 0) for proc in procs)

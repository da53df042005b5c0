"""Running workers as processes: signals, drain deadline, and `--workers N`.

SIGTERM (or Ctrl-C) asks the worker to stop fetching, finish and commit the batch in flight, leave
the group and exit 0. A second signal, or the drain deadline (``worker.shutdown_timeout_s``),
aborts: the batch in flight is not committed (its records will be redelivered and overwrite
themselves) and the exit code is 1. ``--workers N`` starts N such processes in one consumer group
(Python uses one core per process) and forwards signals to them.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import multiprocessing
import signal
import sys
from pathlib import Path

import structlog

from logflow.config import Settings, load_settings
from logflow.errors import DeliveryError
from logflow.logs import configure_logging
from logflow.worker.loop import Worker

log = structlog.get_logger("logflow.worker.runner")

#: The cyclic collector's thresholds in a worker process. A batch holds ~20 container objects per
#: record until it is delivered; with CPython's default (700, 10, 10) a 5,000-record batch survives
#: hundreds of young collections into the old generation and sets off full collections that walk
#: the whole heap: 11 % of a worker's CPU, measured with gc callbacks (`bench/e2e.py`). The
#: pipeline's data is acyclic and freed by reference counting; the collector only has to find the
#: rare cycle (an exception's traceback, say), which it still does, less often. The price is memory
#: that waits longer to be freed: a worker's peak RSS under a 1M backlog went from ~185 to ~230 MB
#: (`bench/backlog_rss.py`); (10_000, 50, 100) kept 180 MB but saved only half the collector's time.
GC_THRESHOLDS = (50_000, 20, 100)


def tune_collector() -> None:
    """Set ``GC_THRESHOLDS`` and move what start-up built (modules, compiled parsers) out of the collector's walks."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


#: glibc's allocator in a worker process: (mallopt parameter, value). Each batch allocates and frees
#: tens of MB (documents, serialized sources, a ~4 MB bulk body); by default glibc serves blocks over
#: 128 KB with mmap and hands freed memory at the top of the heap back to the kernel, so every batch
#: faults the same pages in again. Measured on the demo corpus (`python bench/pipeline.py`, one
#: process): 2.3 page faults per record and 15 % of the CPU in the kernel; with these settings 0.02
#: faults per record and 22 µs instead of 26 µs of CPU per record. The price: a worker keeps the
#: memory of its largest batch instead of returning it between batches (its peak is unchanged).
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
MALLOC_SETTINGS = (
    (M_MMAP_THRESHOLD, 32 << 20),  # blocks up to 32 MB (glibc's maximum) come from the heap, not fresh mmaps
    (M_TRIM_THRESHOLD, 512 << 20),  # free memory at the heap's top stays, up to 512 MB
    (M_TOP_PAD, 64 << 20),  # grow the heap 64 MB at a time (address space; pages count only once used)
)


def tune_allocator() -> bool:
    """Apply ``MALLOC_SETTINGS`` where the C library is glibc; False (and nothing changed) elsewhere (musl, macOS)."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return all(mallopt(parameter, value) == 1 for parameter, value in MALLOC_SETTINGS)


async def serve(settings: Settings) -> int:
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

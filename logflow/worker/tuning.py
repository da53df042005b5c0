"""How a worker process tunes CPython's collector and glibc's allocator for batch work: the one place for both.

A worker holds one batch of objects at a time and frees them all together; the defaults of both
the cyclic garbage collector and glibc's malloc are tuned for the opposite (long-lived objects,
memory returned eagerly). Each setting below says what it costs and what it saves, as measured.
Both are applied in ``logflow.worker.runner.serve`` and by the benchmarks, which measure a worker.
"""

from __future__ import annotations

import ctypes
import gc

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

"""The worker process's own settings (signals and `--workers N` are covered in test_lifecycle / test_scaleout)."""

from __future__ import annotations

import gc
import platform
import subprocess
import sys

from logflow.worker.tuning import GC_THRESHOLDS, tune_allocator, tune_collector


def test_tune_collector_raises_the_young_threshold_and_freezes_what_start_up_built() -> None:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # CPython's defaults, whatever an earlier test in this process set
    built_at_start_up = [{"parser": i} for i in range(1_000)]
    try:
        tune_collector()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert GC_THRESHOLDS[0] > 700
        assert gc.get_freeze_count() >= len(built_at_start_up)
        walked = {id(o) for o in gc.get_objects()}  # the permanent generation is never walked
        assert not any(id(o) in walked for o in built_at_start_up)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


_FAULTS = """
import resource, sys
from logflow.worker.tuning import tune_allocator
tuned = tune_allocator() if sys.argv[1] == "tuned" else None
from logflow.config import load_settings
from logflow.demo.corpus import CorpusGenerator
from logflow.worker.processor import Processor
from logflow.event import Record
from logflow.sink.encode import bulk_body
records = [Record("t", 0, i, r.value, None, r.headers) for i, r in enumerate(CorpusGenerator(seed=1).records(12_000))]
processor = Processor(load_settings(environ={}))
bulk_body(processor.process(records[:2_000]).actions)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for i in range(2_000, len(records), 2_000):  # batches made, sent, freed: as a worker does
    bulk_body(processor.process(records[i : i + 2_000]).actions)
print(tuned, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_tune_allocator_stops_each_batch_from_faulting_its_memory_in_again() -> None:
    """Five batches of demo records processed: by default glibc hands freed memory back and faults it in again."""

    if platform.libc_ver()[0] != "glibc":  # musl, macOS: nothing to set, and it says so
        assert tune_allocator() is False
        return

    def faults(mode: str) -> tuple[str, int]:
        out = subprocess.run([sys.executable, "-c", _FAULTS, mode], capture_output=True, text=True, check=True)
        tuned, count = out.stdout.split()
        return tuned, int(count)

    default = faults("default")[1]
    tuned, after = faults("tuned")
    assert tuned == "True"
    assert default > 10_000  # measured ~2 page faults per record
    assert after < default / 5  # measured: 22,922 -> 1,194

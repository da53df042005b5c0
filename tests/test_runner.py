"""The worker process's own settings (signals and `--workers N` are covered in test_lifecycle / test_scaleout)."""

from __future__ import annotations

import gc

from logflow.runner import GC_THRESHOLDS, tune_collector


def test_tune_collector_raises_the_young_threshold_and_freezes_what_start_up_built() -> None:
    before = gc.get_threshold()
    built_at_start_up = [{"parser": i} for i in range(1_000)]
    try:
        tune_collector()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert GC_THRESHOLDS[0] > before[0]
        assert gc.get_freeze_count() >= len(built_at_start_up)
        walked = {id(o) for o in gc.get_objects()}  # the permanent generation is never walked
        assert not any(id(o) in walked for o in built_at_start_up)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

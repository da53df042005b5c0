"""Shared data for the analyzer tests: the demo corpus with injected incidents, as files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from logflow.config import load_settings
from logflow.demo.corpus import (
    Cascade,
    CorpusGenerator,
    ErrorSpike,
    Incident,
    NewError,
    RareMessages,
    ShipRecord,
)
from logflow.event import Record
from logflow.worker.processor import Processor

INCIDENTS: tuple[Incident, ...] = (
    NewError(timedelta(hours=30)),
    ErrorSpike(timedelta(hours=36)),
    RareMessages(timedelta(hours=20)),
    Cascade(timedelta(hours=40)),
)


def write_documents(records: Sequence[ShipRecord], path: Path) -> list[ShipRecord]:
    """Run records through the real pipeline stages and write one NDJSON document per line.

    Returns the records in line order (line ``i`` is ``records[i - 1]``; poison records are dropped).
    """
    processor = Processor(load_settings(environ={}))
    kept = [r for r in records if not r.poison]
    out = processor.process(
        [Record("t", 0, i, r.value, r.key, r.headers) for i, r in enumerate(kept)], keep_documents=True
    )
    assert len(out.documents) == len(kept)
    path.write_bytes(b"".join(orjson.dumps(doc) + b"\n" for doc in out.documents))
    return kept


@pytest.fixture(scope="session")
def incident_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ShipRecord]]:
    """20,000 steady records plus every incident kind, as NDJSON documents."""
    path = tmp_path_factory.mktemp("corpus") / "incidents.ndjson"
    return path, write_documents(CorpusGenerator(seed=7, incidents=INCIDENTS).records(20_000), path)


@pytest.fixture(scope="session")
def steady_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ShipRecord]]:
    """20,000 steady records (another seed), as NDJSON documents."""
    path = tmp_path_factory.mktemp("corpus") / "steady.ndjson"
    return path, write_documents(CorpusGenerator(seed=3).records(20_000), path)

"""The pure middle of the pipeline: what ``Processor.process`` does per batch equals what it does per record."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import orjson

from logflow.config import load_settings
from logflow.enrich.stage import _SECURITY_WORDS
from logflow.event import Record
from logflow.worker.processor import Processor

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def messages(count: int, seed: int) -> list[object]:
    """Messages built around the security words, in every case, at message edges, with odd characters."""
    rng = random.Random(seed)
    pieces = [
        *_SECURITY_WORDS,
        "FAILED password for",
        "Invalid User",
        "login",
        "access DENIED",
        "id=7",
        "İstanbul",
        "ok",
        "",
        " ",
        "x\x00y",
        "é",
    ]
    out: list[object] = []
    for _ in range(count):
        if rng.random() < 0.05:
            out.append(rng.choice((None, 42, ["fail"], {"m": "denied"})))
        else:
            out.append("".join(rng.choices(pieces, k=rng.randint(0, 3))))
    return out


def test_security_tags_from_the_batch_search_equal_the_per_record_ones() -> None:
    """`process` looks for the security words once per batch; every document gets the tags the per-record path gives."""
    processor = Processor(load_settings(environ={}))
    for seed in range(4):  # seed 0..3: some batches hold "İ", which lowers to two characters
        batch = messages(300, seed)
        if seed % 2:
            batch = [m for m in batch if not (isinstance(m, str) and "İ" in m)]
        records = [
            Record("logs", 0, i, orjson.dumps({"message": m, "@timestamp": "2026-11-23T01:02:03Z"}))
            for i, m in enumerate(batch)
        ]
        out = processor.process(records, keep_documents=True, now=NOW)
        assert len(out.documents) == len(records)
        for record, doc in zip(records, out.documents, strict=True):
            alone = processor.document(record, NOW)
            assert doc.get("tags") == alone.get("tags"), doc.get("message")

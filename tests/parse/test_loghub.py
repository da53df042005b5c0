"""The system-log parsers against the Loghub-2k ground truth (tests/data/loghub).

Each raw line goes through the full per-event path with the Kafka header ``logflow-type: <hint>``;
its `message` must equal the `Content` column of ``*_2k.log_structured.csv`` and the header fields
the format has must be present. The data ships with the repository (tests/data/loghub): when it is
missing the tests fail, they never skip. (The same run, with a table: bench/loghub_parsers.py.)

Loghub: https://github.com/logpai/loghub (see tests/data/loghub/LICENSE and CITATION).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from logflow.event import Record
from logflow.worker.processor import Processor
from tests.parse.datasets import DATASETS, LOGHUB, PARSER_ONLY, Dataset


@dataclass(slots=True)
class Run:
    """One dataset read through the pipeline: the raw lines, the ground truth and the documents."""

    lines: list[bytes]
    contents: list[str]
    documents: list[dict[str, Any]]


def _read(dataset: Dataset) -> tuple[list[bytes], list[str]]:
    folder = LOGHUB / dataset.name
    lines = (folder / f"{dataset.name}_2k.log").read_bytes().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    with (folder / f"{dataset.name}_2k.log_structured.csv").open(encoding="utf-8", newline="") as handle:
        contents = [row["Content"] for row in csv.DictReader(handle)]
    return lines, contents


def _documents(processor: Processor, lines: list[bytes], hint: str | None, topic: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    headers = (("logflow-type", hint.encode()),) if hint else ()
    return [
        processor.document(Record(topic, 0, offset, line, headers=headers), now) for offset, line in enumerate(lines)
    ]


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    """Every dataset, read once with its hint."""
    processor = Processor(PARSER_ONLY)
    out: dict[str, Run] = {}
    for dataset in DATASETS:
        lines, contents = _read(dataset)
        out[dataset.name] = Run(lines, contents, _documents(processor, lines, dataset.hint, "loghub"))
    return out


def _first_failures(run: Run, bad: list[int]) -> str:
    return "\n".join(
        f"line {i + 1}: {run.lines[i]!r}\n  message {run.documents[i].get('message')!r}\n  Content {run.contents[i]!r}"
        for i in bad[:3]
    )


def test_the_loghub_data_is_present() -> None:
    """The eight datasets sit at tests/data/loghub; without them the parser library is unverified."""
    missing = [d.name for d in DATASETS if not (LOGHUB / d.name / f"{d.name}_2k.log_structured.csv").exists()]
    assert not missing, f"Loghub datasets missing under {LOGHUB}: {missing}"


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda d: d.name)
class TestLoghub:
    """One dataset per case, routed by its hint."""

    def test_the_ground_truth_has_one_row_per_line(self, runs: dict[str, Run], dataset: Dataset) -> None:
        """The structured CSV lists every raw line in the same order, so rows compare by position."""
        run = runs[dataset.name]
        assert len(run.lines) == len(run.contents) == 2000

    def test_every_line_is_read_by_the_hinted_parser(self, runs: dict[str, Run], dataset: Dataset) -> None:
        """The hint picks the parser meant for the format, and it matches every line."""
        run = runs[dataset.name]
        bad = [i for i, doc in enumerate(run.documents) if doc.get("logflow.parser") != dataset.parser]
        assert not bad, _first_failures(run, bad)

    def test_every_message_equals_the_ground_truth_content(self, runs: dict[str, Run], dataset: Dataset) -> None:
        """The free-text `message` of every line is exactly Loghub's `Content`."""
        run = runs[dataset.name]
        bad = [
            i
            for i, (doc, content) in enumerate(zip(run.documents, run.contents, strict=True))
            if doc.get("message") != content
        ]
        assert not bad, f"{len(bad)} of {len(run.lines)} differ\n" + _first_failures(run, bad)

    def test_every_line_carries_the_header_fields(self, runs: dict[str, Run], dataset: Dataset) -> None:
        """Time, level, logger, process and host (as the format has them) are fields, and the time parsed."""
        run = runs[dataset.name]
        bad = [
            i
            for i, doc in enumerate(run.documents)
            if any(key not in doc for key in dataset.headers)
            or {"timestamp_failure", "timestamp_missing"} & set(doc.get("tags", ()))
        ]
        assert not bad, _first_failures(run, bad) + f"\n  document {run.documents[bad[0]]!r}"

    def test_without_a_hint_the_priority_order_finds_the_same_parser(
        self, runs: dict[str, Run], dataset: Dataset
    ) -> None:
        """Untargeted (no hint, a fresh source) every line still goes to the parser meant for it."""
        run = runs[dataset.name]
        docs = _documents(Processor(PARSER_ONLY), run.lines, None, f"loghub-{dataset.name}-unhinted")
        bad = [
            i
            for i, doc in enumerate(docs)
            if doc.get("logflow.parser") != dataset.parser or doc.get("message") != run.contents[i]
        ]
        assert not bad, _first_failures(Run(run.lines, run.contents, docs), bad)

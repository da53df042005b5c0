"""`logflow parsers check`: run every parser's sample lines through the real per-event path.

Samples are the parser tests: each ``[[sample]]`` line goes through decode, parse and enrich
exactly as a worker would handle it, and the fields it ``expect``s (and the ones it says must be
``absent``) are compared. An operator runs this before deploying an edited parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from logflow.errors import RecordError
from logflow.event import Record
from logflow.worker.processor import Processor


@dataclass(slots=True)
class SampleOutcome:
    parser: str
    line: str
    problems: list[str] = field(default_factory=list)
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_parsers(processor: Processor, name: str | None = None) -> list[SampleOutcome]:
    """One outcome per sample; ``name`` limits the check to one parser."""
    parsers = [p for p in processor.parsers if name is None or p.name == name]
    now = datetime.now(UTC)
    outcomes: list[SampleOutcome] = []
    for parser in parsers:
        for number, sample in enumerate(parser.samples):
            topic = sorted(parser.topics)[0] if parser.topics else "samples"
            record = Record(topic, 0, number, sample.line.encode("utf-8"), headers=())
            outcome = SampleOutcome(parser.name, sample.line)
            try:
                doc = processor.document(record, now)
            except RecordError as exc:
                outcome.problems.append(f"rejected: {exc.reason}")
                outcomes.append(outcome)
                continue
            outcome.document = doc
            if doc.get("logflow.parser") != parser.name:
                outcome.problems.append(f"matched by parser {doc.get('logflow.parser')!r}, not {parser.name!r}")
            for key, expected in sample.expect.items():
                if key == "absent":
                    continue
                actual = doc.get(key)
                if key == "tags" and isinstance(expected, list):
                    missing = [t for t in expected if t not in (actual or [])]
                    if missing:
                        outcome.problems.append(f"tags {actual!r} lack {missing!r}")
                elif actual != expected:
                    outcome.problems.append(f"{key}: expected {expected!r}, got {actual!r}")
            absent = list(sample.absent) + list(sample.expect.get("absent", []))
            for key in absent:
                if key in doc:
                    outcome.problems.append(f"{key}: expected absent, got {doc[key]!r}")
            outcomes.append(outcome)
    return outcomes

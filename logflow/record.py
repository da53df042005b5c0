"""The one record type that crosses every stage boundary.

A ``Record`` is what Kafka gave us, with its coordinates, so any stage can say exactly where a
failure came from. Stages never copy it; they attach results (``Action`` to index, ``Rejection``
to dead-letter) that point back to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Record:
    """One Kafka record as consumed: coordinates, raw bytes and headers."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()
    timestamp_ms: int | None = None
    joined: bool = False  # several records joined into this one event (multiline, CRI partial lines)

    @property
    def doc_id(self) -> str:
        """Deterministic document id: a redelivered record overwrites itself instead of doubling."""
        return f"{self.topic}-{self.partition}-{self.offset}"

    @property
    def coordinates(self) -> str:
        return f"{self.topic}/{self.partition}@{self.offset}"


@dataclass(slots=True)
class Action:
    """A document ready for the bulk API: where it goes and its serialized source."""

    record: Record
    index: str
    doc_id: str
    source: bytes
    copy: bool = False  # a routing copy; does not count as the record's primary document


@dataclass(slots=True)
class Rejection:
    """A record that goes to the dead-letter topic, and why."""

    record: Record
    stage: str  # decode | parse | index
    error_type: str  # bounded vocabulary, safe as a metric label
    reason: str
    index: str | None = None


@dataclass(slots=True)
class Processed:
    """What the pure stages made of one batch of records."""

    actions: list[Action] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)  # kept only when asked (parse CLI)
    parse_failures: dict[str, int] = field(default_factory=dict)  # by dataset, for metrics

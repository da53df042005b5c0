"""The one record type that crosses every stage boundary.

A ``Record`` is what Kafka gave us, with its coordinates, so any stage can say exactly where a
failure came from. Stages never copy it; they attach results (``Action`` to index, ``Rejection``
to dead-letter) that point back to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The classes made once per record or per document write their __init__ out (init=False) instead of
# letting dataclass generate it: the compiled build (mypyc) compiles a written __init__, while the one
# dataclass generates at import stays interpreted (5 % of the compiled path's instructions, docs/benchmarks.md).


@dataclass(slots=True, init=False)
class Record:
    """One Kafka record as consumed: coordinates, raw bytes and headers."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    key: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    timestamp_ms: int | None
    joined: bool  # several records joined into this one event (multiline, CRI partial lines)

    def __init__(
        self,
        topic: str,
        partition: int,
        offset: int,
        value: bytes | None,
        key: bytes | None = None,
        headers: tuple[tuple[str, bytes], ...] = (),
        timestamp_ms: int | None = None,
        joined: bool = False,
    ) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.value = value
        self.key = key
        self.headers = headers
        self.timestamp_ms = timestamp_ms
        self.joined = joined

    @property
    def doc_id(self) -> str:
        """Deterministic document id: a redelivered record overwrites itself instead of doubling."""
        return f"{self.topic}-{self.partition}-{self.offset}"

    @property
    def coordinates(self) -> str:
        return f"{self.topic}/{self.partition}@{self.offset}"


@dataclass(slots=True, init=False)
class Action:
    """A document ready for the bulk API: where it goes and its serialized source."""

    record: Record
    index: str
    doc_id: str
    source: bytes
    copy: bool  # a routing copy; does not count as the record's primary document

    def __init__(self, record: Record, index: str, doc_id: str, source: bytes, copy: bool = False) -> None:
        self.record = record
        self.index = index
        self.doc_id = doc_id
        self.source = source
        self.copy = copy


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

"""The types that cross stage boundaries, and the one shape every stage has.

A ``Record`` is what Kafka gave us, with its coordinates, so any stage can say exactly where a
failure came from. An ``Event`` carries one record through the stages: each stage reads what the
ones before it wrote (decode the ``Decoded`` line or object, parse the ``doc``) and adds its own.
Every stage is called the same way, once per batch: ``stage(batch)``. A stage that cannot handle an
event rejects it (``Batch.reject``); the event then goes to the dead-letter topic with that reason
and later stages never see it. What leaves the stages: an ``Action`` per document to index, a
``Rejection`` per record to dead-letter.

The classes made once per record write their ``__init__`` out instead of letting dataclass generate
it: the compiled build (mypyc) compiles a written ``__init__``, while the one dataclass generates at
import stays interpreted (docs/architecture.md, "One source, two builds").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

RawHeaders = tuple[tuple[str, bytes], ...]
SourceKey = tuple[str, int, str]  # (topic, partition, file or host): keys multiline joins and sticky parsers


@dataclass(slots=True, init=False)
class Record:
    """One Kafka record as consumed: coordinates, raw bytes and headers."""

    topic: str
    partition: int
    offset: int
    value: bytes | None
    key: bytes | None
    headers: RawHeaders
    timestamp_ms: int | None
    joined: bool  # several records joined into this one event (multiline, CRI partial lines)

    def __init__(
        self,
        topic: str,
        partition: int,
        offset: int,
        value: bytes | None,
        key: bytes | None = None,
        headers: RawHeaders = (),
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
class Headers:
    """What a record's Kafka headers say, shared by every record that sent the same headers (never changed)."""

    names: dict[str, bytes]  # lowercased names
    hint: str | None  # the parser a producer named (`logflow-type`, ...)

    def __init__(self, names: dict[str, bytes], hint: str | None) -> None:
        self.names = names
        self.hint = hint


NO_HEADERS = Headers({}, None)
_NO_COPIES: list[str] = []  # shared by every event without copies: never mutated


@dataclass(slots=True, init=False)
class Decoded:
    """One record, opened by decode: exactly one of ``text`` / ``obj`` is set."""

    text: str | None
    obj: dict[str, Any] | None
    meta: dict[str, Any]  # what a shipper envelope said, under ECS names
    hint: str | None
    source: SourceKey
    tags: list[str]

    def __init__(
        self,
        text: str | None,
        obj: dict[str, Any] | None,
        meta: dict[str, Any],
        hint: str | None,
        source: SourceKey,
        tags: list[str],
    ) -> None:
        self.text = text
        self.obj = obj
        self.meta = meta
        self.hint = hint
        self.source = source
        self.tags = tags


@dataclass(slots=True)
class Rejection:
    """A record that goes to the dead-letter topic, and why."""

    record: Record
    stage: str  # decode | parse | process | route | serialize | index
    error_type: str  # bounded vocabulary, safe as a metric label
    reason: str
    index: str | None = None


@dataclass(slots=True, init=False)
class Event:
    """One record on its way through the stages, and what they made of it so far."""

    record: Record
    headers: Headers  # decode
    decoded: Decoded | None  # decode (None for a finished event)
    doc: dict[str, Any]  # parse onwards: the document, flat dotted ECS keys
    original: str | None  # the raw line, kept as `event.original` when asked (redact masks it)
    finished: bool  # a fixed-shape document (a dead letter): redact and parse leave it alone
    index: str  # route: the primary index
    copies: list[str]  # route: copy indices (shared between events: never mutated)
    rejection: Rejection | None

    def __init__(self, record: Record) -> None:
        self.record = record
        self.headers = NO_HEADERS
        self.decoded = None
        self.doc = {}
        self.original = None
        self.finished = False
        self.index = ""
        self.copies = _NO_COPIES
        self.rejection = None


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


class Batch:
    """What every stage is called with: the events still going, the batch's clock, and what came out."""

    __slots__ = ("actions", "events", "ingested", "now", "parse_failures", "rejected")

    def __init__(self, events: list[Event], now: datetime, ingested: str) -> None:
        self.events = events
        self.now = now  # ingest time: one clock per batch
        self.ingested = ingested  # ``now`` as every document's `event.ingested`
        self.actions: list[Action] = []
        self.parse_failures: dict[str, int] = {}  # lines no parser matched, by dataset (a metric)
        self.rejected = 0  # events rejected since the processor last dropped them

    def reject(self, event: Event, stage: str, error_type: str, reason: str) -> None:
        """``event`` goes to the dead-letter topic with this reason; later stages do not see it."""
        event.rejection = Rejection(event.record, stage, error_type, reason)
        self.rejected += 1

    def fail(self, event: Event, stage: str, exc: Exception) -> None:
        """A bug in a stage must not stop the worker: the event is dead-lettered with the exception."""
        self.reject(event, stage, type(exc).__name__, f"{type(exc).__name__}: {exc}")


#: Every stage: configured once, called per batch.
Stage = Callable[[Batch], None]


@dataclass(slots=True)
class Processed:
    """What the stages made of one batch of records."""

    actions: list[Action] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)  # kept only when asked (parse CLI)
    parse_failures: dict[str, int] = field(default_factory=dict)  # by dataset, for metrics

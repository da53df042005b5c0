"""The dead-letter topic's format: the headers that say why a record was rejected and where it came from.

Encoded once here (``encode``) and read back once here (``decode``), by the worker that writes dead
letters, the one that indexes them, and `logflow dlq show/replay`. A dead letter keeps the original
value, key and headers; logflow adds:

| header | value |
| --- | --- |
| ``logflow.error.stage`` | the stage that rejected it (`decode`, `parse`, `index`, ...) |
| ``logflow.error.type`` | a bounded error type (also the marker of a dead letter) |
| ``logflow.error.reason`` | the reason, at most 2,000 characters |
| ``logflow.error.index`` | the index Elasticsearch refused, when it was Elasticsearch |
| ``logflow.source.topic`` / ``.partition`` / ``.offset`` | the record's coordinates: its document ``_id`` |
| ``logflow.error.truncated_from`` | the original size, when the value had to be cut to fit the topic |
| ``logflow.source.timestamp`` | the record's own Kafka timestamp (ms): a replay routes it as its first delivery did |
| ``logflow.error.attempt`` | 1 for a first dead letter, 2 for one a replay wrote back, ... |

Headers from outside cannot be trusted: ``decode`` never raises, a coordinate that is not a number is
reported as missing rather than guessed, and only a record read from a dead-letter topic is taken for a
dead letter at all (``is_dead_letter``): a producer's own ``logflow.*`` headers on a source record are
ignored, and replaced when that record is dead-lettered.
"""

from __future__ import annotations

from dataclasses import dataclass

from logflow.event import RawHeaders, Rejection

PREFIX = "logflow."
STAGE = "logflow.error.stage"
TYPE = "logflow.error.type"  # present on every dead letter: the marker
REASON = "logflow.error.reason"
INDEX = "logflow.error.index"
TRUNCATED_FROM = "logflow.error.truncated_from"
ATTEMPT = "logflow.error.attempt"
TOPIC = "logflow.source.topic"
PARTITION = "logflow.source.partition"
OFFSET = "logflow.source.offset"
TIMESTAMP = "logflow.source.timestamp"
REASON_LIMIT = 2000


def encode(rejection: Rejection, attempt: int = 1) -> list[tuple[str, bytes]]:
    """The headers of ``rejection``'s dead letter: the record's own (logflow's replaced) and ours.

    ``attempt`` counts the times this record was dead-lettered (a replay that fails again writes 2, ...).
    """
    record = rejection.record
    headers = [(k, v) for k, v in record.headers if not k.lower().startswith(PREFIX)]
    headers += [
        (STAGE, rejection.stage.encode()),
        (TYPE, rejection.error_type.encode()),
        (REASON, rejection.reason[:REASON_LIMIT].encode("utf-8", "replace")),
        (TOPIC, record.topic.encode()),
        (PARTITION, str(record.partition).encode()),
        (OFFSET, str(record.offset).encode()),
        (ATTEMPT, str(attempt).encode()),
    ]
    if record.timestamp_ms is not None:
        headers.append((TIMESTAMP, str(record.timestamp_ms).encode()))
    if rejection.index:
        headers.append((INDEX, rejection.index.encode()))
    return headers


@dataclass(frozen=True, slots=True)
class DeadLetterHeaders:
    """What a dead letter's headers say (``decode``); the original headers without logflow's own."""

    stage: str
    error_type: str
    reason: str
    index: str | None
    topic: str | None
    partition: int | None
    offset: int | None
    truncated_from: int | None
    original: RawHeaders
    attempt: int = 1  # a dead letter written before the header existed counts as a first one
    timestamp_ms: int | None = None  # the source record's own timestamp


def _text(value: bytes | None) -> str:
    return (value or b"").decode("utf-8", "replace")


def _number(value: bytes | None) -> int | None:
    """A non-negative integer header, or None for a missing or malformed one (never an exception)."""
    text = _text(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 19 else None


def has_marker(raw: RawHeaders) -> bool:
    """Whether the headers carry logflow's marker (names compared case-insensitively, as Kafka tools vary)."""
    return any(len(name) == len(TYPE) and name.lower() == TYPE for name, _ in raw)  # a scan, no dict


def is_dead_letter(topic: str, raw: RawHeaders, dead_letter_topics: frozenset[str]) -> bool:
    """Whether a record is one of logflow's dead letters: read from a dead-letter topic *and* marked.

    The topic decides, not the headers alone: anyone who can produce to a source topic can set headers.
    """
    return topic in dead_letter_topics and has_marker(raw)


def decode(raw: RawHeaders) -> DeadLetterHeaders | None:
    """The dead-letter headers of ``raw`` (read from a dead-letter topic), or None when they carry no marker."""
    if not has_marker(raw):
        return None
    own: dict[str, bytes] = {}
    original: list[tuple[str, bytes]] = []
    for name, value in raw:
        low = name.lower()
        if low.startswith(PREFIX):
            own[low] = value
        else:
            original.append((name, value))
    index = _text(own.get(INDEX))
    topic = _text(own.get(TOPIC))
    return DeadLetterHeaders(
        stage=_text(own.get(STAGE)),
        error_type=_text(own.get(TYPE)),
        reason=_text(own.get(REASON)),
        index=index or None,
        topic=topic or None,
        partition=_number(own.get(PARTITION)),
        offset=_number(own.get(OFFSET)),
        truncated_from=_number(own.get(TRUNCATED_FROM)),
        original=tuple(original),
        attempt=max(1, _number(own.get(ATTEMPT)) or 1),
        timestamp_ms=_number(own.get(TIMESTAMP)),
    )

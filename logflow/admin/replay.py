"""`logflow dlq show` and `logflow dlq replay`: read the dead-letter topic, and re-feed it after a fix.

A dead letter keeps the original bytes, key and headers, plus ``logflow.source.topic/partition/
offset``. Replay rebuilds each record *with its original coordinates*, so it runs through the same
stages and gets the same document ``_id`` (``topic-partition-offset``) it would have had: replaying
twice, or replaying a record that meanwhile got indexed, overwrites instead of doubling.

Replay reads the dead-letter topic from the offsets committed by its own group
(``{kafka.group_id}-dlq-replay`` unless told otherwise) up to the end it saw at start, indexes what
now goes through, writes what still fails back to the dead-letter topic (same source coordinates,
fresh reason, the next ``logflow.error.attempt``, so `dlq show` tells such copies from first dead
letters), and commits its progress batch by batch, only after both are acknowledged. Records
that were truncated to fit the dead-letter topic are not replayed (their tail is gone); they are
counted and reported.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from logflow.config import ElasticsearchConfig, Settings
from logflow.config.secrets import mask_output
from logflow.deadletter import headers
from logflow.deadletter.producer import DeadLetterWriter, KafkaDeadLetters
from logflow.event import Action, Record, Rejection
from logflow.parse.mapping import problems
from logflow.sink.base import Failure, IndexResult, Sink
from logflow.sink.client import make_client
from logflow.sink.elasticsearch import ElasticsearchSink, StatusPolicy
from logflow.source.kafka import security_kwargs
from logflow.worker.deliver import deliver
from logflow.worker.processor import Processor


@dataclass(slots=True)
class DeadLetter:
    """One dead-letter record, decoded: where it came from, why it failed, and the original record."""

    dlq_partition: int
    dlq_offset: int
    record: Record
    stage: str
    error_type: str
    reason: str
    index: str | None
    truncated_from: int | None
    attempt: int = 1  # 1: dead-lettered once; 2: a replay wrote it back once; ...

    def summary(self, mask: Callable[[str], str] = mask_output) -> dict[str, Any]:
        """What ``dlq show`` prints of this dead letter: the reason and a preview of the record, masked
        (the record is a log line as it arrived, secrets and all; ``printable`` masks it as indexing would)."""
        return {
            "attempt": self.attempt,
            "dlq": f"{self.dlq_partition}@{self.dlq_offset}",
            "source": self.record.coordinates,
            "id": self.record.doc_id,
            "stage": self.stage,
            "error_type": self.error_type,
            "reason": mask(self.reason),
            "index": self.index,
            "bytes": len(self.record.value or b""),
            "truncated_from": self.truncated_from,
            "preview": mask((self.record.value or b"").decode("utf-8", "replace"))[:120],
        }


def decode_dead_letter(message: Any) -> DeadLetter:
    """A consumed dead-letter message back to its original ``Record`` and its failure.

    Coordinates missing from the headers (or not numbers) fall back to the dead letter's own.
    """
    letter = headers.decode(tuple(message.headers or ()))
    if letter is None:  # not written by logflow: replayed as the record it is, without logflow's header names
        original = tuple((k, v) for k, v in message.headers or () if not k.lower().startswith(headers.PREFIX))
        letter = headers.DeadLetterHeaders("", "", "", None, None, None, None, None, original)
    record = Record(
        letter.topic or message.topic,
        message.partition if letter.partition is None else letter.partition,
        message.offset if letter.offset is None else letter.offset,
        message.value,
        message.key,
        letter.original,
        message.timestamp,
    )
    return DeadLetter(
        message.partition,
        message.offset,
        record,
        letter.stage,
        letter.error_type,
        letter.reason,
        letter.index,
        letter.truncated_from,
        letter.attempt,
    )


class _DeadLetterReader:
    """Reads the dead-letter topic by manual assignment (no group join) from a start to the end seen at start."""

    def __init__(self, settings: Settings, group: str | None) -> None:
        self.topic = settings.kafka.dead_letter_topic
        self.consumer = AIOKafkaConsumer(
            **security_kwargs(settings.kafka),
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self.partitions: list[TopicPartition] = []
        self.end: dict[TopicPartition, int] = {}

    async def start(self, from_committed: bool) -> None:
        await self.consumer.start()
        ids = self.consumer.partitions_for_topic(self.topic) or set()
        if not ids:
            await self.consumer.force_metadata_update()
            ids = self.consumer.partitions_for_topic(self.topic) or set()
        self.partitions = [TopicPartition(self.topic, p) for p in sorted(ids)]
        self.consumer.assign(self.partitions)
        for tp in self.partitions:
            committed = await self.consumer.committed(tp) if from_committed else None
            if committed is None:
                await self.consumer.seek_to_beginning(tp)
            else:
                self.consumer.seek(tp, committed)

    async def batches(self, max_records: int, idle_polls: int = 3) -> Any:
        """Yield lists of messages until every partition reached the high watermark seen in fetches."""
        idle = 0
        while self.partitions:
            got = await self.consumer.getmany(timeout_ms=500, max_records=max_records)
            messages = [m for batch in got.values() for m in batch]
            for tp in self.partitions:
                high = self.consumer.highwater(tp)
                if high is not None and tp not in self.end:
                    self.end[tp] = high  # the end as first seen: records written back later are not re-read
            if messages:
                idle = 0
                end = self.end
                messages = [m for m in messages if m.offset < end.get(TopicPartition(m.topic, m.partition), 1 << 62)]
                if messages:
                    yield messages
            else:
                idle += 1
            done = True
            for tp in self.partitions:
                if tp not in self.end or await self.consumer.position(tp) < self.end[tp]:
                    done = False
            if done or idle >= idle_polls:
                return

    async def stop(self) -> None:
        await self.consumer.stop()


async def show(settings: Settings, limit: int = 100, error_type: str | None = None) -> list[DeadLetter]:
    """Dead letters from the start of the topic (at most ``limit``), optionally of one error type."""
    reader = _DeadLetterReader(settings, None)
    out: list[DeadLetter] = []
    await reader.start(from_committed=False)
    try:
        async for messages in reader.batches(max_records=1000):
            for message in messages:
                letter = decode_dead_letter(message)
                if error_type is None or letter.error_type == error_type:
                    out.append(letter)
                    if len(out) >= limit:
                        return out
    finally:
        await reader.stop()
    return out


@dataclass
class ReplayResult:
    read: int = 0
    indexed: int = 0
    dead_lettered_again: int = 0
    dropped: int = 0  # refused by the index and dropped by `item_status_policy`
    skipped_truncated: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


MAPPING_REFUSAL = "document_parsing_exception"  # what Elasticsearch 8.x/9.x calls a document its mapping refuses


class DrySink:
    """A sink that writes nothing and answers each action as a logflow index would: a document its mapping
    refuses (``logflow.parse.mapping.problems``, the template's own table) gets a 400, the rest a 201.

    ``dlq replay --dry-run`` runs the real deliver step with it, so the prediction goes through the same
    stages, routing, serialization and ``item_status_policy`` as the replay itself.
    """

    def __init__(self, cfg: ElasticsearchConfig) -> None:
        self.policy = StatusPolicy(cfg.item_status_policy)
        self.abandon = asyncio.Event()
        self.bulk_seconds: list[float] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def index(
        self, actions: Sequence[Action], on_done: Callable[[list[Action]], None] | None = None
    ) -> IndexResult:
        result = IndexResult()
        done: list[Action] = []
        for action in actions:
            found = problems(orjson.loads(action.source))
            if not found:
                result.indexed += 1
                result.statuses[201] = result.statuses.get(201, 0) + 1
                done.append(action)
                continue
            result.statuses[400] = result.statuses.get(400, 0) + 1
            field_name, why = found[0]
            failure = Failure(action, 400, MAPPING_REFUSAL, f"failed to parse field [{field_name}]: {why}")
            decision = self.policy(400)
            if decision == "drop":
                result.dropped.append(failure)
                done.append(action)
            else:  # "retry" of a mapping refusal ends in the dead-letter topic too, after the retries
                result.failures.append(failure)
        if done and on_done is not None:
            on_done(done)
        return result


class CountingDeadLetters(DeadLetterWriter, Protocol):
    """A dead-letter writer told how often each record (by document id) was dead-lettered before."""

    attempts: dict[str, int]


class DryDeadLetters:
    """The dead-letter topic of a dry run: remembers what would be written back, writes nothing."""

    def __init__(self) -> None:
        self.rejections: list[Rejection] = []
        self.attempts: dict[str, int] = {}

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send_all(self, rejections: Sequence[Rejection]) -> None:
        self.rejections.extend(rejections)


async def replay_batch(
    letters: Sequence[DeadLetter],
    processor: Processor,
    sink: Sink,
    dead_letters: CountingDeadLetters,
    result: ReplayResult,
) -> None:
    """One batch of dead letters through the shared deliver step (real or dry sink alike), tallied into ``result``."""
    result.read += len(letters)
    replayable = [x.record for x in letters if x.truncated_from is None]
    result.skipped_truncated += len(letters) - len(replayable)
    dead_letters.attempts = {x.record.doc_id: x.attempt for x in letters}  # what fails again: attempt + 1
    done = await deliver(replayable, processor, sink, dead_letters)
    for r in done.rejections:
        result.reasons[r.error_type] = result.reasons.get(r.error_type, 0) + 1
    result.dead_lettered_again += len(done.rejections)
    result.dropped += len({f.action.record.doc_id for f in done.result.dropped})
    result.indexed += done.indexed


async def replay(
    settings: Settings,
    group: str | None = None,
    dry_run: bool = False,
    progress: Callable[[ReplayResult], None] | None = None,
) -> ReplayResult:
    """Re-feed the dead-letter topic through the pipeline with the records' original ids.

    ``dry_run`` runs the very same deliver step with a ``DrySink`` and ``DryDeadLetters``: nothing is
    indexed, written back or committed, and the result says what the replay would do.
    """
    group = group or f"{settings.kafka.group_id}-dlq-replay"
    reader = _DeadLetterReader(settings, group)
    result = ReplayResult()
    processor = Processor(settings)
    sink: Sink
    dead_letters: CountingDeadLetters
    if dry_run:
        sink, dead_letters = DrySink(settings.elasticsearch), DryDeadLetters()
    else:
        sink = ElasticsearchSink(
            make_client(settings.elasticsearch),
            settings.elasticsearch,
            own_client=True,
            prefix=settings.routing.index_prefix,
            data_stream=settings.routing.mode == "data_stream",
        )
        dead_letters = KafkaDeadLetters(settings.kafka)
    await reader.start(from_committed=True)
    await dead_letters.start()
    try:
        async for messages in reader.batches(max_records=settings.kafka.max_batch_records):
            await replay_batch([decode_dead_letter(m) for m in messages], processor, sink, dead_letters, result)
            if dry_run:
                continue
            offsets: dict[TopicPartition, int] = {}
            for m in messages:
                tp = TopicPartition(m.topic, m.partition)
                offsets[tp] = max(offsets.get(tp, 0), m.offset + 1)
            await reader.consumer.commit(offsets)
            if progress is not None:
                progress(result)
    finally:
        await dead_letters.stop()
        await reader.stop()
        await sink.close()
    return result

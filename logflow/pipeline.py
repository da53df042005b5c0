"""The worker loop: the only place that knows both the source and the sink.

    fetch batch -> process (pure) -> bulk index -> dead-letter rejects -> commit offsets

Offsets are committed only after Elasticsearch acknowledged, or the dead-letter topic received,
every record before them. The loop holds ``_batch_lock`` from processing to commit (never around
``getmany``); the rebalance listener takes the same lock, so partitions move only between batches.
Records fetched before a rebalance for partitions we no longer own are dropped, not indexed: their
new owner will read them from the committed offset.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import structlog
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from elasticsearch import AsyncElasticsearch

from logflow.config import Settings
from logflow.dlq import DeadLetterQueue
from logflow.errors import DeliveryError
from logflow.es import make_client
from logflow.process import Processor
from logflow.record import Record, Rejection
from logflow.sink import ElasticsearchSink
from logflow.source import TP, KafkaSource

log = structlog.get_logger("logflow.worker")


@dataclass
class WorkerStats:
    """Counters a caller (demo, tests, metrics) can read while the worker runs."""

    received: int = 0
    indexed: int = 0
    copies: int = 0
    dead_lettered: int = 0
    batches: int = 0
    retried_items: int = 0
    committed: dict[TP, int] = field(default_factory=dict)
    dead_letter_reasons: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)


class Worker:
    def __init__(
        self,
        settings: Settings,
        processor: Processor | None = None,
        client: AsyncElasticsearch | None = None,
    ) -> None:
        self.settings = settings
        self.processor = processor or Processor(settings)
        self.client = client or make_client(settings.elasticsearch)
        self._own_client = client is None
        self.abort = asyncio.Event()
        self.sink = ElasticsearchSink(self.client, settings.elasticsearch, self.abort)
        self.dlq = DeadLetterQueue(settings.kafka)
        self.source = KafkaSource(settings.kafka, on_revoked=self._on_revoked, on_assigned=self._on_assigned)
        self.stats = WorkerStats()
        self.assigned = asyncio.Event()
        self._batch_lock = asyncio.Lock()

    async def _on_revoked(self, revoked: set[TP]) -> None:
        async with self._batch_lock:  # wait for the batch in flight to be indexed and committed
            log.info("Partitions revoked.", partitions=sorted(f"{t}/{p}" for t, p in revoked))

    async def _on_assigned(self, assigned: set[TP]) -> None:
        log.info("Partitions assigned.", partitions=sorted(f"{t}/{p}" for t, p in assigned))
        if assigned:
            self.assigned.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set, then finish the batch in flight, commit and leave the group."""
        await self.dlq.start()
        try:
            await self.source.start()
            try:
                log.info("Worker started.", topics=self.settings.kafka.topics, group=self.settings.kafka.group_id)
                while not stop.is_set() and not self.abort.is_set():
                    records = await self.source.fetch()
                    if records:
                        await self.handle(records)
            finally:
                await self.source.stop()
        finally:
            await self.dlq.stop()
            if self._own_client:
                await self.client.close()
        log.info(
            "Worker stopped.",
            received=self.stats.received,
            indexed=self.stats.indexed,
            dead_lettered=self.stats.dead_lettered,
        )

    async def handle(self, records: list[Record]) -> None:
        async with self._batch_lock:
            owned = self.source.assignment()
            records = [r for r in records if (r.topic, r.partition) in owned]
            if not records:
                return
            structlog.contextvars.bind_contextvars(batch_first=records[0].coordinates, batch_size=len(records))
            try:
                await self._deliver(records)
            finally:
                structlog.contextvars.unbind_contextvars("batch_first", "batch_size")

    async def _deliver(self, records: list[Record]) -> None:
        stats = self.stats
        stats.received += len(records)
        processed = self.processor.process(records)
        rejections = processed.rejections
        try:
            result = await self.sink.index(processed.actions)
        except DeliveryError:
            log.warning("Batch abandoned before Elasticsearch acknowledged it; its offsets stay uncommitted.")
            raise
        for failure in result.failures:
            rejections.append(
                Rejection(
                    failure.action.record,
                    "index",
                    failure.error_type,
                    f"HTTP {failure.status}: {failure.reason}",
                    failure.action.index,
                )
            )
        copies = sum(1 for a in processed.actions if a.copy)
        copy_failures = sum(1 for f in result.failures if f.action.copy)
        stats.copies += copies - copy_failures
        stats.indexed += result.indexed - (copies - copy_failures)
        stats.retried_items += result.retried
        if rejections:
            await self.dlq.send_all(rejections)
            stats.dead_lettered += len({r.record.doc_id for r in rejections})
            for r in rejections:
                stats.dead_letter_reasons[r.error_type] = stats.dead_letter_reasons.get(r.error_type, 0) + 1
            log.info(
                "Records sent to the dead-letter topic.",
                count=len(rejections),
                first=rejections[0].record.coordinates,
                reason=rejections[0].reason[:200],
            )
        offsets: dict[TP, int] = {}
        for record in records:
            key = (record.topic, record.partition)
            if record.offset + 1 > offsets.get(key, -1):
                offsets[key] = record.offset + 1
        try:
            await self.source.commit(offsets)
            stats.committed.update(offsets)
        except (CommitFailedError, IllegalStateError, KafkaError) as exc:
            # The group moved on; the documents are in (idempotent ids), the new owner re-reads them.
            log.warning(
                "Offset commit failed after a rebalance; records will be redelivered and overwrite.", error=str(exc)
            )
        stats.batches += 1

"""The worker loop: the only place that knows both the source and the sink.

    fetch batch -> deliver (process, index, dead-letter; ``deliver``) -> commit offsets

A record is finished once the sink or the dead-letter topic acknowledged it; each partition's commit
is the lowest offset not yet finished (``OffsetTracker``), so a commit never covers a record that is
still in doubt, even when a batch ends half-way. The source, the sink and the dead-letter writer are
Kafka and Elasticsearch by default; any object with their interface (``logflow.source.base``,
``logflow.sink.base``, ``logflow.deadletter.producer.DeadLetterWriter``) can stand in.

The loop holds ``_batch_lock`` from processing to commit (never around ``getmany``); the rebalance
listener takes the same lock, so partitions move only between batches. When a revoke arrives while
a batch waits for Elasticsearch, the listener gives it ``worker.revoke_timeout_s``; then the batch
is abandoned: what was finished is committed, the rest is left to the new owner. While the sink
retries (Elasticsearch down, throttling) every assigned partition is paused, so the consumer drops
its prefetched records and fetches nothing; memory stays bounded by the batch in hand.

Events held across batches (``HeldEvents``: multiline events, and CRI partial lines whose last piece
has not arrived; see ``logflow.decode.multiline``): a partition's commit point never passes the first
offset of an event still held, and an event finished in a later batch is tracked by its first
(lower) offset there. Held events are indexed once they waited ``decode.multiline_max_wait_ms`` or
at shutdown before the last commit; they are dropped (and so re-read from the commit point) when
their partition is revoked or rewound after an abandoned batch.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from operator import attrgetter

import structlog
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from elasticsearch import AsyncElasticsearch

from logflow import compiled
from logflow.config import Settings
from logflow.deadletter.producer import DeadLetterWriter, KafkaDeadLetters
from logflow.decode.multiline import HeldEvents, MultilineJoiner
from logflow.event import Record
from logflow.sink.base import BatchAbandoned, Sink
from logflow.sink.client import make_client
from logflow.sink.elasticsearch import RETRY_STATUSES, ElasticsearchSink
from logflow.source.base import TP, Source
from logflow.source.kafka import KafkaSource
from logflow.worker.deliver import deliver
from logflow.worker.health import Health, HealthServer, Metrics
from logflow.worker.offsets import OffsetTracker
from logflow.worker.processor import Processor

log = structlog.get_logger("logflow.worker")

_VALUE = attrgetter("value")


@dataclass
class WorkerStats:
    """Counters a caller (demo, tests, metrics) can read while the worker runs."""

    received: int = 0
    indexed: int = 0
    copies: int = 0
    dead_lettered: int = 0
    dropped: int = 0
    batches: int = 0
    abandoned: int = 0
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
        *,
        source: Source | None = None,
        sink: Sink | None = None,
        dead_letters: DeadLetterWriter | None = None,
    ) -> None:
        self.settings = settings
        self.processor = processor or Processor(settings)
        joiner = MultilineJoiner.from_config(settings.decode)
        self.held = HeldEvents(joiner) if joiner is not None else None
        self.abort = asyncio.Event()
        self.metrics = Metrics()
        self.health = Health()
        if sink is None:
            sink = ElasticsearchSink(
                client or make_client(settings.elasticsearch),
                settings.elasticsearch,
                self.abort,
                on_state=self._es_state,
                on_pressure=self._pressure,
                own_client=client is None,
                prefix=settings.routing.index_prefix,
                data_stream=settings.routing.mode == "data_stream",
            )
        self.sink = sink
        self.dead_letters = dead_letters or KafkaDeadLetters(settings.kafka)
        self.source = source or KafkaSource(settings.kafka)
        self.source.listen(self._on_revoked, self._on_assigned)
        self.stats = WorkerStats()
        self.assigned = asyncio.Event()
        self._batch_lock = asyncio.Lock()
        self._paused: set[TP] = set()

    def _es_state(self, ok: bool) -> None:
        if ok:
            self.health.last_es_ok = time.monotonic()
            self.health.stuck_since = None
        elif self.health.stuck_since is None:
            self.health.stuck_since = time.monotonic()

    def _pressure(self, on: bool) -> None:
        """The sink is waiting to retry (on) or got through again (off): pause or resume every partition."""
        if on:
            self._paused = self.source.pause()
            log.warning("Elasticsearch pushes back; partitions paused.", partitions=len(self._paused))
        elif self._paused:
            self.source.resume(self._paused)
            log.info("Elasticsearch accepts again; partitions resumed.", partitions=len(self._paused))
            self._paused = set()
        self.metrics.paused.set(len(self._paused))

    async def _on_revoked(self, revoked: set[TP]) -> None:
        """Let the batch in flight finish (or abandon it), then forget held multiline events of ``revoked``.

        Held events are dropped, not flushed: their first offset caps the partition's commit, so the
        new owner reads them again and can still join the continuation lines that arrive after the
        rebalance (a flush here would cut those events in two, and index inside the rebalance).
        """
        timer = None
        if self._batch_lock.locked():  # a batch is in flight: give it revoke_timeout_s, then abandon it
            patience = self.settings.worker.revoke_timeout_s
            timer = asyncio.get_running_loop().call_later(patience, self.sink.abandon.set)
        try:
            async with self._batch_lock:  # the batch in flight is committed (or abandoned) before partitions move
                dropped = self.held.drop(revoked) if self.held is not None else 0
                log.info("Partitions revoked.", partitions=sorted(f"{t}/{p}" for t, p in revoked), held_dropped=dropped)
        finally:
            if timer is not None:
                timer.cancel()
            self.sink.abandon.clear()

    async def _on_assigned(self, assigned: set[TP]) -> None:
        log.info("Partitions assigned.", partitions=sorted(f"{t}/{p}" for t, p in assigned))
        self.health.assigned = len(assigned)
        for tp in assigned:  # what the group already committed counts as done, for lag and catch-up checks
            offset = await self.source.committed(tp)
            if offset is not None and offset > self.stats.committed.get(tp, -1):
                self.stats.committed[tp] = offset
        if assigned:
            self.assigned.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop`` is set, then finish the batch in flight, commit and leave the group."""
        health_server = None
        if self.settings.health.port:
            health_server = HealthServer(
                self.settings.health.host, self.settings.health.port, self.metrics, self.health
            )
            await health_server.start()
        await self.sink.start()
        await self.dead_letters.start()
        try:
            await self.source.start()
            try:
                log.info(
                    "Worker started.",
                    topics=self.settings.kafka.topics,
                    group=self.settings.kafka.group_id,
                    compiled=compiled(),
                )
                while not stop.is_set() and not self.abort.is_set():
                    records = await self.source.fetch()
                    if records or self.held:  # an empty fetch still lets held events that waited long enough go
                        await self.handle(records)
                if self.held and not self.abort.is_set():  # drain: held events are indexed before the last commit
                    await self.handle([], final=True)
            finally:
                await self.source.stop()
        finally:
            await self.dead_letters.stop()
            await self.sink.close()
            if health_server is not None:
                await health_server.stop()
        log.info(
            "Worker stopped.",
            received=self.stats.received,
            indexed=self.stats.indexed,
            dead_lettered=self.stats.dead_lettered,
        )

    async def handle(self, records: list[Record], final: bool = False) -> None:
        """Deliver one fetched batch and commit what it finished; ``final`` also finishes every held event."""
        async with self._batch_lock:
            owned = self.source.assignment()
            records = [r for r in records if (r.topic, r.partition) in owned]
            if records:
                self.stats.received += len(records)
                self.metrics.received.inc(len(records))
            events, tracker = self._events(records, final)
            if not events:  # everything was held: nothing new can be committed
                return
            structlog.contextvars.bind_contextvars(batch_first=events[0].coordinates, batch_size=len(events))
            try:
                await self._deliver(events, tracker)
            except BatchAbandoned as exc:
                await self._abandon(tracker, str(exc))
                if self.abort.is_set():
                    raise
            finally:
                if self._paused:
                    self._pressure(False)
                self.metrics.inflight_records.set(0)
                self.metrics.inflight_bytes.set(0)
                structlog.contextvars.unbind_contextvars("batch_first", "batch_size")

    def _events(self, records: list[Record], final: bool) -> tuple[list[Record], OffsetTracker]:
        """The events to deliver now, and their tracker.

        Without a joiner (multiline and CRI joining both off), the records themselves. With one: held
        events that waited ``multiline_max_wait_ms`` (or all of them when ``final``), then what
        ``records`` finished; the tracker's commit points stay at or below every event still held.
        """
        held = self.held
        if held is None:
            return records, OffsetTracker(records)
        now = time.monotonic()
        events = held.feed(records, now)
        late = held.flush() if final else held.due(now)
        if late:
            events = late + events
        return events, OffsetTracker(events, held)

    async def _abandon(self, tracker: OffsetTracker, why: str) -> None:
        """Commit what is finished, and rewind owned partitions to it so nothing fetched is skipped.

        On a revoke the held multiline events are forgotten too: each lies at or above its partition's
        point, so it is fetched and joined again rather than kept and doubled by the re-read records.
        """
        reason = "shutdown" if self.abort.is_set() else "revoked"
        self.stats.abandoned += 1
        self.metrics.abandoned.labels(reason).inc()
        points = tracker.commit_points()
        log.warning("Batch abandoned; committing only what was finished.", reason=why, commit=_fmt(points))
        try:
            await asyncio.wait_for(self._commit(points), timeout=5.0)
        except TimeoutError:
            log.warning("Commit of the finished part timed out; those records will be redelivered and overwrite.")
        if reason == "revoked":
            self.source.seek(points)
            if self.held is not None:  # held records lie at or above the points: they are fetched again
                self.held.drop(set(points))

    async def _deliver(self, records: list[Record], tracker: OffsetTracker) -> None:
        stats, metrics = self.stats, self.metrics
        metrics.inflight_records.set(len(records))
        metrics.inflight_bytes.set(sum(map(len, filter(None, map(_VALUE, records)))))  # C-level, per batch
        try:
            done = await deliver(records, self.processor, self.sink, self.dead_letters, tracker)
        finally:
            for seconds in self.sink.bulk_seconds:
                metrics.bulk_seconds.observe(seconds)
            self.sink.bulk_seconds.clear()
        for dataset, count in done.processed.parse_failures.items():
            metrics.parse_failures.labels(dataset).inc(count)
        result = done.result
        for status, count in result.statuses.items():
            if status in RETRY_STATUSES:
                metrics.retries.labels(str(status)).inc(count)
        for dropped in result.dropped:
            stats.dropped += 1
            metrics.dropped.labels(f"http_{dropped.status}").inc()
        stats.copies += done.copies
        stats.indexed += done.indexed
        metrics.indexed.inc(done.indexed)
        stats.retried_items += result.retried
        rejections = done.rejections
        if rejections:
            stats.dead_lettered += len(rejections)
            for r in rejections:
                stats.dead_letter_reasons[r.error_type] = stats.dead_letter_reasons.get(r.error_type, 0) + 1
                metrics.dead_lettered.labels(r.stage, r.error_type).inc()
            log.info(
                "Records sent to the dead-letter topic.",
                count=len(rejections),
                first=rejections[0].record.coordinates,
                reason=rejections[0].reason[:200],
            )
        points = tracker.commit_points()
        await self._commit(points)
        if self.held is not None:
            self.held.committed(points)
        for (topic, partition), lag in self.source.lag(stats.committed).items():
            metrics.lag.labels(topic, str(partition)).set(lag)
        stats.batches += 1

    async def _commit(self, points: dict[TP, int]) -> None:
        offsets = {tp: o for tp, o in points.items() if o > self.stats.committed.get(tp, -1)}
        if not offsets:
            return
        try:
            await self.source.commit(offsets)
            self.stats.committed.update(offsets)
            for (topic, partition), offset in offsets.items():
                self.metrics.committed.labels(topic, str(partition)).set(offset)
        except (CommitFailedError, IllegalStateError, KafkaError) as exc:
            # The group moved on; the documents are in (idempotent ids), the new owner re-reads them.
            self.metrics.errors.labels("sending", "commit_failed").inc()
            log.warning(
                "Offset commit failed after a rebalance; records will be redelivered and overwrite.", error=str(exc)
            )


def _fmt(points: dict[TP, int]) -> dict[str, int]:
    return {f"{t}/{p}": o for (t, p), o in sorted(points.items())}

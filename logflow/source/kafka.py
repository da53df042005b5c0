"""The Kafka source: a consumer-group member that hands out batches of ``Record``s.

Manual commits only (``enable_auto_commit=False``): the pipeline commits ``offset + 1`` per
partition after the sink acknowledged. Rebalance callbacks are forwarded to the pipeline, which
finishes the batch in flight before partitions move.
"""

from __future__ import annotations

import contextlib
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from logflow.config import KafkaConfig
from logflow.errors import ConfigError
from logflow.event import Record
from logflow.source.base import TP, Callback


def security_kwargs(cfg: KafkaConfig) -> dict[str, Any]:
    """Client settings shared by consumers, producers and admin clients: brokers, TLS and SASL."""
    kwargs: dict[str, Any] = {
        "bootstrap_servers": ",".join(cfg.bootstrap_servers),
        "client_id": cfg.client_id,
        "security_protocol": cfg.security_protocol,
    }
    if cfg.security_protocol in ("SSL", "SASL_SSL"):
        from aiokafka.helpers import create_ssl_context

        try:
            kwargs["ssl_context"] = create_ssl_context(
                cafile=cfg.ssl_cafile,
                certfile=cfg.ssl_certfile,
                keyfile=cfg.ssl_keyfile,
                password=cfg.ssl_password.get_secret_value() if cfg.ssl_password is not None else None,
            )
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
            raise ConfigError(
                "kafka.ssl_cafile / ssl_certfile / ssl_keyfile",
                f"cannot load the TLS files: {exc}",
                "give readable PEM files (and ssl_password for an encrypted key)",
            ) from None
    if cfg.security_protocol.startswith("SASL_"):
        kwargs["sasl_mechanism"] = cfg.sasl_mechanism
        kwargs["sasl_plain_username"] = cfg.sasl_username
        kwargs["sasl_plain_password"] = cfg.sasl_password.get_secret_value() if cfg.sasl_password else None
    return kwargs


async def create_missing_topics(cfg: KafkaConfig) -> list[str]:
    """``kafka.create_topics``: create the source topics and the dead-letter topic that do not exist yet.

    Each gets ``create_partitions`` partitions and ``create_replication_factor`` replicas; a topic that
    exists is left as it is. Workers starting together race to create a topic: the loser's
    "already exists" is the outcome it wanted. Returns the topics created.
    """
    admin = AIOKafkaAdminClient(**security_kwargs(cfg))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [name for name in dict.fromkeys([*cfg.topics, cfg.dead_letter_topic]) if name not in existing]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(
                    [NewTopic(name, cfg.create_partitions, cfg.create_replication_factor) for name in wanted]
                )
        return wanted
    finally:
        await admin.close()


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, on_revoked: Callback | None, on_assigned: Callback | None) -> None:
        self.on_revoked = on_revoked
        self.on_assigned = on_assigned

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if self.on_revoked is not None:
            await self.on_revoked({(tp.topic, tp.partition) for tp in revoked})

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if self.on_assigned is not None:
            await self.on_assigned({(tp.topic, tp.partition) for tp in assigned})


class KafkaSource:
    def __init__(
        self,
        cfg: KafkaConfig,
        on_revoked: Callback | None = None,
        on_assigned: Callback | None = None,
    ) -> None:
        self.cfg = cfg
        self.consumer = AIOKafkaConsumer(
            **security_kwargs(cfg),
            group_id=cfg.group_id,
            enable_auto_commit=False,
            auto_offset_reset=cfg.auto_offset_reset,
            session_timeout_ms=cfg.session_timeout_ms,
            max_poll_interval_ms=cfg.max_poll_interval_ms,
            max_partition_fetch_bytes=cfg.max_partition_fetch_bytes,
            fetch_max_bytes=cfg.fetch_max_bytes,
        )
        self._listener = _Listener(on_revoked, on_assigned)
        # The next offset this source hands out per partition (after the last fetched record, or where
        # a seek moved it): the lag of a partition nobody has committed yet. Kept here because the
        # consumer's own position is only public as a coroutine that may wait for a fetch.
        self._next: dict[TP, int] = {}

    def listen(self, on_revoked: Callback | None, on_assigned: Callback | None) -> None:
        self._listener = _Listener(on_revoked, on_assigned)

    async def start(self) -> None:
        await self.consumer.start()
        self.consumer.subscribe(self.cfg.topics, listener=self._listener)

    async def stop(self) -> None:
        await self.consumer.stop()

    def assignment(self) -> set[TP]:
        return {(tp.topic, tp.partition) for tp in self.consumer.assignment()}

    async def fetch(self) -> list[Record]:
        batches = await self.consumer.getmany(
            timeout_ms=self.cfg.fetch_timeout_ms, max_records=self.cfg.max_batch_records
        )
        records: list[Record] = []
        for tp, messages in batches.items():
            topic, partition = tp.topic, tp.partition
            if messages:
                self._next[(topic, partition)] = messages[-1].offset + 1
            records.extend(
                Record(topic, partition, m.offset, m.value, m.key, tuple(m.headers) if m.headers else (), m.timestamp)
                for m in messages
            )
        return records

    def pause(self, partitions: set[TP] | None = None) -> set[TP]:
        """Stop fetching (and drop prefetched records of) ``partitions`` (default: all assigned)."""
        tps = self._tps(partitions)
        self.consumer.pause(*tps)
        return {(tp.topic, tp.partition) for tp in tps}

    def resume(self, partitions: set[TP] | None = None) -> None:
        self.consumer.resume(*self._tps(partitions))

    def paused(self) -> set[TP]:
        return {(tp.topic, tp.partition) for tp in self.consumer.paused()}

    def seek(self, offsets: dict[TP, int]) -> None:
        """Move the fetch position back, for records fetched but abandoned (assigned partitions only)."""
        owned = self.consumer.assignment()
        for (topic, partition), offset in offsets.items():
            tp = TopicPartition(topic, partition)
            if tp in owned:
                self.consumer.seek(tp, offset)
                self._next[(topic, partition)] = offset

    def _tps(self, partitions: set[TP] | None) -> list[TopicPartition]:
        owned = self.consumer.assignment()
        if partitions is None:
            return list(owned)
        return [tp for tp in (TopicPartition(t, p) for t, p in partitions) if tp in owned]

    async def commit(self, offsets: dict[TP, int]) -> None:
        await self.consumer.commit({TopicPartition(t, p): o for (t, p), o in offsets.items()})

    async def committed(self, tp: TP) -> int | None:
        value: int | None = await self.consumer.committed(TopicPartition(*tp))
        return value

    def lag(self, committed: dict[TP, int]) -> dict[TP, int]:
        """Records not yet committed: highwater - committed per partition (else - the next offset fetched).

        The high watermark is the consumer's public ``highwater()``, which comes from fetch
        responses and is right on every broker; the ListOffsets answer behind ``end_offsets()`` is
        not (Tansu answers it wrongly after batched produces), so it is never used. A partition
        not fetched from yet has no high watermark and no lag figure.
        """
        out: dict[TP, int] = {}
        for tp in self.consumer.assignment():
            key = (tp.topic, tp.partition)
            high = self.consumer.highwater(tp)
            done = committed.get(key, self._next.get(key))
            if high is not None and done is not None:
                out[key] = max(0, high - done)
        return out

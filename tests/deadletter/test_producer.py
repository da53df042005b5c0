"""The dead-letter producer's promises: original key, value and headers kept; oversized letters keep their head.

The producer is an ``AIOKafkaProducer``; here a recording stand-in takes its place (unit tests only:
the integration tests write to a real Kafka API). It refuses values over ``limit`` bytes with
``MessageSizeTooLargeError``, as the client does for a record over ``max_request_size``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import load_settings
from logflow.deadletter import producer as producer_module
from logflow.deadletter.headers import TRUNCATED_FROM, encode
from logflow.deadletter.producer import MAX_REQUEST_BYTES, TRUNCATE_TO, KafkaDeadLetters
from logflow.event import Record, Rejection

SETTINGS = load_settings(environ={}, overrides={"kafka": {"dead_letter_topic": "acme-dlq"}})
Sent = tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]


class RecordingProducer:
    """Keeps what was sent; refuses values over ``limit``; each send's future fails when ``fail_acks``."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.sent: list[Sent] = []
        self.limit = 1 << 62
        self.fail_acks = False
        self.refusals = 0  # refuse this many sends first, whatever their size
        self.started = self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def send(
        self, topic: str, value: bytes | None = None, key: bytes | None = None, headers: Any = None
    ) -> asyncio.Future[object]:
        if self.refusals:
            self.refusals -= 1
            raise MessageSizeTooLargeError("too large")
        if len(value or b"") > self.limit:
            raise MessageSizeTooLargeError("too large")
        self.sent.append((topic, key, value, list(headers)))
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if self.fail_acks:
            future.set_exception(KafkaError("not acknowledged"))
        else:
            future.set_result(None)
        return future


@pytest.fixture
def letters(monkeypatch: pytest.MonkeyPatch) -> KafkaDeadLetters:
    monkeypatch.setattr(producer_module, "AIOKafkaProducer", RecordingProducer)
    return KafkaDeadLetters(SETTINGS.kafka)


def sent(letters: KafkaDeadLetters) -> list[Sent]:
    producer: RecordingProducer = letters.producer
    return producer.sent


def rejection(value: bytes | None, key: bytes | None = None, headers: tuple[tuple[str, bytes], ...] = ()) -> Rejection:
    return Rejection(Record("logs", 3, 41, value, key, headers), "decode", "empty", "empty record")


byte_keys = st.none() | st.binary(min_size=1, max_size=64)
header_lists = st.lists(
    st.tuples(st.text(min_size=1, max_size=10).filter(lambda k: not k.startswith("logflow.")), st.binary(max_size=20)),
    max_size=3,
).map(tuple)


class TestProducerSettings:
    def test_the_producer_waits_for_every_replica_and_accepts_large_requests(self, letters: KafkaDeadLetters) -> None:
        producer: RecordingProducer = letters.producer
        assert producer.kwargs["acks"] == "all"
        assert producer.kwargs["max_request_size"] == MAX_REQUEST_BYTES
        assert producer.kwargs["bootstrap_servers"] == ",".join(SETTINGS.kafka.bootstrap_servers)
        assert letters.topic == "acme-dlq"
        # Off on purpose: a dead letter written twice is harmless (a replay overwrites by document id), and
        # the idempotent producer needs broker support (InitProducerId) that not every Kafka API offers.
        assert producer.kwargs["enable_idempotence"] is False

    async def test_start_and_stop_reach_the_producer(self, letters: KafkaDeadLetters) -> None:
        producer: RecordingProducer = letters.producer
        await letters.start()
        assert producer.started and not producer.stopped
        await letters.stop()
        assert producer.stopped


class TestDeadLetters:
    @settings(max_examples=100, deadline=None)
    @given(st.lists(st.tuples(st.binary(max_size=200), byte_keys, header_lists), min_size=1, max_size=8))
    def test_each_letter_keeps_the_records_key_value_and_headers_in_order(
        self, cases: list[tuple[bytes, bytes | None, tuple[tuple[str, bytes], ...]]]
    ) -> None:
        async def scenario() -> list[Sent]:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(producer_module, "AIOKafkaProducer", RecordingProducer)
                letters = KafkaDeadLetters(SETTINGS.kafka)
            rejections = [rejection(value, key, headers) for value, key, headers in cases]
            await letters.send_all(rejections)
            return sent(letters)

        out = asyncio.run(scenario())
        assert out == [
            ("acme-dlq", key, value, encode(rejection(value, key, headers))) for value, key, headers in cases
        ]

    async def test_nothing_to_send_sends_nothing(self, letters: KafkaDeadLetters) -> None:
        await letters.send_all([])
        assert sent(letters) == []

    async def test_an_unacknowledged_letter_is_an_error_not_a_success(self, letters: KafkaDeadLetters) -> None:
        letters.producer.fail_acks = True
        with pytest.raises(KafkaError):
            await letters.send_all([rejection(b"x")])


class TestOversizedLetters:
    @settings(max_examples=30, deadline=None)
    @given(
        st.integers(TRUNCATE_TO + 1, TRUNCATE_TO + 5000),
        st.none() | st.binary(min_size=1, max_size=3000),
        st.integers(0, 255),
    )
    def test_an_oversized_letter_keeps_the_head_of_its_value_its_key_and_says_how_long_it_was(
        self, length: int, key: bytes | None, fill: int
    ) -> None:
        value = bytes([fill]) * (length - 1) + b"\x00"  # the cut must keep the head, byte for byte
        big_header = ("trace", b"t" * (64 * 1024))
        small_header = ("tenant", b"acme")

        async def scenario() -> list[Sent]:
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(producer_module, "AIOKafkaProducer", RecordingProducer)
                letters = KafkaDeadLetters(SETTINGS.kafka)
            letters.producer.limit = TRUNCATE_TO
            await letters.send_all([rejection(value, key, (big_header, small_header))])
            return sent(letters)

        [(topic, sent_key, sent_value, headers)] = asyncio.run(scenario())
        assert topic == "acme-dlq"
        assert sent_value == value[:TRUNCATE_TO]
        assert sent_key == (key[:1024] if key else None)
        assert (TRUNCATED_FROM, str(length).encode()) in headers
        assert small_header in headers and big_header not in headers
        full = encode(rejection(value, key, (big_header, small_header)))
        assert [h for h in headers if h[0] != TRUNCATED_FROM] == [h for h in full if len(h[1]) < 64 * 1024]

    @pytest.mark.parametrize(("length", "kept"), [(1024, 1024), (1025, 1024), (5000, 1024), (0, None)])
    async def test_an_oversized_letters_key_is_cut_at_one_kibibyte(
        self, letters: KafkaDeadLetters, length: int, kept: int | None
    ) -> None:
        letters.producer.refusals = 1
        key = bytes(range(256)) * 20
        await letters.send_all([rejection(b"v", key[:length] or None)])
        [(_, sent_key, _, _)] = sent(letters)
        assert sent_key == (key[:kept] if kept else None)

    async def test_a_letter_that_fits_is_not_truncated(self, letters: KafkaDeadLetters) -> None:
        letters.producer.limit = 10
        await letters.send_all([rejection(b"0123456789", b"k")])
        [(_, key, value, headers)] = sent(letters)
        assert (key, value) == (b"k", b"0123456789")
        assert all(name != TRUNCATED_FROM for name, _ in headers)

    async def test_a_refused_letter_without_a_value_is_sent_empty_with_its_key(self, letters: KafkaDeadLetters) -> None:
        letters.producer.refusals = 1
        await letters.send_all([rejection(None, b"k")])
        [(_, key, value, headers)] = sent(letters)
        assert (key, value) == (b"k", b"")
        assert (TRUNCATED_FROM, b"0") in headers

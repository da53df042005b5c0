"""The Kafka edge's start-up duties, against a real broker (Tansu or the one LOGFLOW_TEST_KAFKA names)."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from logflow.config import Settings
from logflow.source.kafka import create_missing_topics, security_kwargs
from logflow.worker.runner import serve
from tests.conftest import SettingsFactory

pytestmark = pytest.mark.integration


async def topics_and_partitions(settings: Settings, names: list[str]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(**security_kwargs(settings.kafka))
    await admin.start()
    try:
        found = await admin.describe_topics(names)
    finally:
        await admin.close()
    return {t["topic"]: len(t["partitions"]) for t in found if t["error_code"] == 0 and t["partitions"]}


class TestCreateTopics:
    async def test_missing_source_and_dead_letter_topics_are_created_with_the_configured_partitions(
        self, make_settings: SettingsFactory, unique: str
    ) -> None:
        """`kafka.create_topics` creates every topic the worker reads or writes; a second start creates none."""
        settings = make_settings(
            kafka={"topics": [f"{unique}-a", f"{unique}-b"], "create_topics": True, "create_partitions": 2}
        )
        wanted = [f"{unique}-a", f"{unique}-b", settings.kafka.dead_letter_topic]
        assert sorted(await create_missing_topics(settings.kafka)) == sorted(wanted)
        assert await topics_and_partitions(settings, wanted) == dict.fromkeys(wanted, 2)
        assert await create_missing_topics(settings.kafka) == []

    @pytest.mark.parametrize("create", [True, False])
    async def test_the_worker_creates_them_at_start_up_only_when_the_setting_is_on(
        self, make_settings: SettingsFactory, unique: str, create: bool
    ) -> None:
        """`logflow run` (serve) reads the setting: with it the topics exist once the worker has joined its
        group (3 partitions, not the broker's auto-created 1); without it the worker creates nothing."""
        settings = make_settings(
            kafka={"topics": [f"{unique}-w"], "create_topics": create, "create_partitions": 3},
            worker={"shutdown_timeout_s": 5},
        )
        wanted = [f"{unique}-w", settings.kafka.dead_letter_topic]
        task = asyncio.ensure_future(serve(settings))
        for _ in range(150):  # until the worker is running: its group is stable (no topic is looked up before)
            if task.done() or await group_is_stable(settings):
                break
            await asyncio.sleep(0.2)
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(task, 30) == 0
        found = await topics_and_partitions(settings, wanted)  # (a lookup may auto-create: only after the run)
        if create:
            assert found == dict.fromkeys(wanted, 3)
        else:
            assert all(found.get(name, 0) != 3 for name in wanted)


async def group_is_stable(settings: Settings) -> bool:
    """Whether the consumer group has finished joining (DescribeGroups: error code, id, state, ...)."""
    admin = AIOKafkaAdminClient(**security_kwargs(settings.kafka))
    await admin.start()
    try:
        responses = await admin.describe_consumer_groups([settings.kafka.group_id])
    finally:
        await admin.close()
    return any(group[2] == "Stable" for response in responses for group in response.groups)

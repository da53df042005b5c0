"""The dead-letter topic after a fix: `dlq show` lists it, `dlq replay` re-feeds it with the same ids."""

from __future__ import annotations

from collections import Counter

from logflow.admin.replay import replay, show
from logflow.worker.loop import Worker
from tests.conftest import Servers, SettingsFactory
from tests.faultproxy import FaultProxy
from tests.support import all_documents, setup_templates, ship
from tests.worker.test_faults import numbered, run_until


class TestReplay:
    async def test_replay_after_a_fix_indexes_dead_letters_under_their_original_ids_and_twice_changes_nothing(
        self, servers: Servers, make_settings: SettingsFactory
    ) -> None:
        """Records rejected per item are dead-lettered; after the fix a replay indexes them once, a second adds none."""
        records = numbered(300)
        async with FaultProxy(servers.es, reject_marker=b"seq=1", reject_status=400) as proxy:
            broken = make_settings(elasticsearch={"hosts": [proxy.url]})
            await setup_templates(broken)
            produced = await ship(broken, records)
            worker = Worker(broken)
            await run_until(worker, produced, timeout=60)
        rejected = sum(1 for r in records if b"seq=1" in r.value)  # seq=1, 10-19, 100-199
        assert worker.stats.dead_lettered == rejected == proxy.counts["item_400"]

        fixed = make_settings()  # the fix: the same topics and prefix, without the rejecting proxy
        letters = await show(fixed, limit=1000)
        assert len(letters) == rejected
        assert {x.error_type for x in letters} == {"mapper_parsing_exception"}
        assert all(x.stage == "index" and x.reason.startswith("HTTP 400") for x in letters)
        before = await all_documents(fixed, ["message"])
        assert len(before) == 300 - rejected

        first = await replay(fixed)
        assert (first.read, first.indexed, first.dead_lettered_again) == (rejected, rejected, 0)
        after = await all_documents(fixed, ["message", "logflow.kafka.topic", "logflow.kafka.partition",
                                            "logflow.kafka.offset"])
        assert len(after) == 300
        assert Counter(d["_id"] for d in after).most_common(1)[0][1] == 1
        assert {x.record.doc_id for x in letters} <= {d["_id"] for d in after}
        for doc in after:  # same ids as a first delivery would have given: topic-partition-offset
            source = (doc["logflow.kafka.topic"], doc["logflow.kafka.partition"], doc["logflow.kafka.offset"])
            assert doc["_id"] == "-".join(map(str, source))

        again = await replay(fixed, group=f"{fixed.kafka.group_id}-second-replay")
        assert again.read == rejected
        assert len(await all_documents(fixed, ["message"])) == 300

    async def test_a_replay_of_records_that_still_fail_writes_them_back_with_their_source_coordinates(
        self, servers: Servers, make_settings: SettingsFactory
    ) -> None:
        """A replay before the fix changes nothing but the reason's freshness: the dead letters keep their sources."""
        async with FaultProxy(servers.es, reject_marker=b"seq=7", reject_status=400) as proxy:
            broken = make_settings(elasticsearch={"hosts": [proxy.url]})
            await setup_templates(broken)
            produced = await ship(broken, numbered(20))
            await run_until(Worker(broken), produced, timeout=60)
            result = await replay(broken)
            assert (result.read, result.indexed, result.dead_lettered_again) == (1, 0, 1)
        letters = await show(broken)
        assert len(letters) == 2
        assert letters[0].record.doc_id == letters[1].record.doc_id
        assert letters[0].dlq_offset < letters[1].dlq_offset

"""Tests for logflow.mining.miner: grouping, variable token counts, caps, match and batches."""

from __future__ import annotations

import hashlib
import os
import random
import subprocess
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from logflow.mining import MinerConfig, Template, TemplateMiner, template_id

ROOT = Path(__file__).resolve().parents[2]


def ip(rng: random.Random) -> str:
    """A random IPv4 address."""
    return ".".join(str(rng.randrange(256)) for _ in range(4))


def word(rng: random.Random) -> str:
    """A random digit-free lower-case word (user names, host names)."""
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))


def generated_corpus(n: int, seed: int = 3) -> tuple[list[str], list[int]]:
    """Lines from 12 event kinds with random variables of every kind, and each line's kind."""
    rng = random.Random(seed)
    kinds = [
        lambda: f"Accepted password for {word(rng)} from {ip(rng)} port {rng.randrange(65536)} ssh2",
        lambda: f"Failed password for invalid user {word(rng)} from {ip(rng)} port {rng.randrange(65536)} ssh2",
        lambda: f"Invalid user {word(rng)} from {ip(rng)}",
        lambda: f"Received block blk_{rng.randrange(10**18)} of size {rng.randrange(10**8)} from /{ip(rng)}",
        lambda: "Deleting blocks " + " ".join(f"blk_{rng.randrange(10**9)}" for _ in range(rng.randint(1, 6))),
        lambda: f"cache startup succeeded in {rng.random() * 9:.2f} s",
        lambda: f"cache shutdown succeeded in {rng.random() * 9:.2f} s",
        lambda: f"GET https://{word(rng)}.example.com/items/{rng.randrange(999)} returned {rng.choice([200, 404])}",
        lambda: f'job "{word(rng)} {word(rng)}" finished at 2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00Z',
        lambda: f"session opened for user {word(rng)} by (uid={rng.randrange(1000)})",
        lambda: f"Connection from {word(rng)}.net:{rng.randrange(65536)} closed after {rng.randrange(99)} KB",
        lambda: (
            f"mail for {word(rng)}@{word(rng)}.org deferred: retry={rng.randrange(9)} uuid {rng.getrandbits(128):032x}"
        ),
    ]
    truth = [rng.randrange(len(kinds)) for _ in range(n)]
    return [kinds[k]() for k in truth], truth


def partition(labels: Sequence[object]) -> set[frozenset[int]]:
    """The grouping of line indexes induced by per-line labels."""
    groups: dict[object, set[int]] = defaultdict(set)
    for i, label in enumerate(labels):
        groups[label].add(i)
    return {frozenset(g) for g in groups.values()}


class TestTemplateMinerGrouping:
    """Lines of one event share one template; different events do not."""

    def test_lines_differing_only_in_variables_share_one_template(self) -> None:
        """Numbers, addresses and ids do not split a template."""
        miner = TemplateMiner()
        a = miner.add("Received block blk_1 of size 67108864 from /10.0.0.1")
        b = miner.add("Received block blk_-9876543210 of size 12 from /192.168.1.77")
        matched = miner.match("Received block blk_5 of size 1 from /1.2.3.4")
        assert a.id == b.id
        assert matched is not None
        assert matched.id == b.id
        assert b.text == "Received block blk_<*> of size <*> from /<*>"

    def test_a_variable_first_word_does_not_split_a_template(self) -> None:
        """A host or program name in front is a variable like any other: no bucket per value."""
        hosts = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]
        found = TemplateMiner().add_batch([f"{h} session opened for user {h[:2]}x" for h in hosts])
        assert {t.text for t in found} == {"<*> session opened for user <*>"}

    def test_a_two_word_line_with_a_variable_word_becomes_one_template(self) -> None:
        """One differing word may always join a family; the closed position then decides."""
        services = ["echo", "time", "daytime", "chargen", "klogin"]
        found = TemplateMiner().add_batch([f"removing {s}" for s in services])
        assert {t.text for t in found} == {"removing <*>"}
        two = TemplateMiner().add_batch(["cupsd startup", "cupsd shutdown"])
        assert len({t.id for t in two}) == 2

    def test_words_glued_to_numbers_by_a_colon_or_bar_tell_events_apart(self) -> None:
        """`onStart:12` and `onStop:12` are two events; `blk_1` and `rdd_2` are one variable."""
        miner = TemplateMiner()
        starts = miner.add_batch([f"step|{i}|onStart:{i} done" for i in range(5)])
        stops = miner.add_batch([f"step|{i}|onStop:{i} done" for i in range(5)])
        assert len({t.id for t in starts + stops}) == 2
        blocks = miner.add_batch([f"Block {p}_{i} stored" for i, p in enumerate(["blk", "rdd", "broadcast"])])
        assert {t.text for t in blocks} == {"Block <*> stored"}

    def test_variable_parts_that_change_the_token_count_share_one_template(self) -> None:
        """A timestamp with or without a year and a list of ids of any length fit one template."""
        miner = TemplateMiner()
        ids = {miner.add(f"Deleting {' '.join(f'blk_{i}' for i in range(n))} now").id for n in range(1, 7)}
        stamps = {miner.add(m).id for m in ("at Jul 1 07:57:30 2005 login", "at Sun Jul 24 02:38:22 login")}
        assert len(ids) == 1
        assert len(stamps) == 1

    def test_a_word_alternative_stays_two_templates_until_it_shows_many_values(self) -> None:
        """`startup`/`shutdown` are two events; a position with many distinct words becomes `<*>`."""
        miner = TemplateMiner(MinerConfig(min_variable_values=4))
        up = miner.add("cupsd startup succeeded")
        down = miner.add("cupsd shutdown succeeded")
        assert up.id != down.id
        for user in ("alice", "bob", "carol", "dave"):
            last = miner.add(f"Invalid user {user} from 10.0.0.1")
        assert last.text == "Invalid user <*> from <*>"
        assert [t.count for t in miner.templates() if t.text.startswith("Invalid")] == [4]

    def test_drain_behaviour_is_one_setting_away(self) -> None:
        """With `min_variable_values=2` the first disagreement generalises, as in Drain."""
        miner = TemplateMiner(MinerConfig(min_variable_values=2))
        miner.add("cupsd startup succeeded")
        assert miner.add("cupsd shutdown succeeded").text == "cupsd <*> succeeded"

    def test_a_generated_corpus_is_grouped_exactly(self) -> None:
        """Every generated line lands with exactly the lines of its own event kind."""
        lines, truth = generated_corpus(3000)
        templates = TemplateMiner().add_batch(lines)
        assert partition([t.id for t in templates]) == partition(truth)


class TestTemplateMinerApi:
    """The streaming API: add, add_batch, match, templates."""

    def test_add_batch_reports_each_cluster_with_its_template_at_the_end_of_the_batch(self) -> None:
        """Lines learned before a generalisation in the same batch report the final id."""
        users = ["alice", "bob", "carol", "dave", "erin"]
        templates = TemplateMiner().add_batch([f"Invalid user {u} from 10.0.0.{i}" for i, u in enumerate(users)])
        assert {t.id for t in templates} == {template_id("Invalid user <*> from <*>")}
        assert templates[0].count == 5

    def test_match_finds_a_known_template_without_learning(self) -> None:
        """`match` answers for a known shape, returns None for a new one, and changes no count."""
        miner = TemplateMiner()
        miner.add("worker 7 started")
        assert miner.match("worker 12 started") == Template(template_id("worker <*> started"), "worker <*> started", 1)
        assert miner.match("worker stopped unexpectedly") is None
        assert len(miner) == 1

    def test_templates_are_listed_most_frequent_first(self) -> None:
        """`templates()` sorts by count, then text."""
        miner = TemplateMiner()
        miner.add_batch(["a 1", "b 1 x", "b 2 x", "c"])
        assert [t.text for t in miner.templates()] == ["b <*> x", "a <*>", "c"]

    def test_an_empty_message_is_a_template_of_its_own(self) -> None:
        """Blank lines do not crash and group together."""
        miner = TemplateMiner()
        assert miner.add("").id == miner.add("   ").id


class TestTemplateMinerMemory:
    """The template cap bounds memory by evicting least recently used clusters."""

    def test_the_cap_evicts_least_recently_used_templates(self) -> None:
        """With a cap of 10, the miner never holds more, and recent templates survive."""
        miner = TemplateMiner(MinerConfig(max_templates=10))
        for n in range(100):
            tag = f"{chr(97 + n % 26)}{chr(97 + n // 26)}"
            miner.add_batch([f"event{tag} happened{tag}", "heartbeat ok"])
            assert len(miner) <= 10
        texts = {t.text for t in miner.templates()}
        assert "heartbeat ok" in texts
        assert "eventvd happenedvd" in texts

    def test_the_key_cache_is_bounded(self) -> None:
        """The key cache never grows past `max_cache_entries`."""
        miner = TemplateMiner(MinerConfig(max_cache_entries=50))
        miner.add_batch([f"user {chr(97 + i % 26)}{chr(97 + i // 26)} logged in" for i in range(500)])
        assert len(miner._key_cache) <= 50


class TestTemplateId:
    """Ids are a pure function of the text: every process agrees without coordination."""

    def test_the_id_is_sixteen_hex_characters_of_blake2b(self) -> None:
        """The id format is fixed and documented."""
        expected = hashlib.blake2b(b"worker <*> started", digest_size=8).hexdigest()
        assert template_id("worker <*> started") == expected
        assert len(expected) == 16

    def test_another_process_computes_the_same_id(self) -> None:
        """A fresh interpreter (different hash seed) mines the same id for the same lines."""
        code = "from logflow.mining import TemplateMiner; print(TemplateMiner().add('worker 7 started').id)"
        env = {**os.environ, "PYTHONHASHSEED": "12345"}
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=ROOT
        ).stdout.strip()
        assert out == TemplateMiner().add("worker 99 started").id

    @pytest.mark.parametrize("text", ["", "a", "naïve <*> ✓"])
    def test_the_id_depends_only_on_the_text(self, text: str) -> None:
        """Same text, same id; a different text, a different id."""
        assert template_id(text) == template_id(str(text))
        assert template_id(text) != template_id(text + " ")


class TestLongMessages:
    def test_a_megabyte_long_message_is_mined_by_its_head_only(self) -> None:
        """Only the head of a message is mined, so one huge line cannot stall a worker: the work is counted in
        characters handed to the masker, not timed."""
        miner = TemplateMiner()
        huge = " ".join(f"token{i % 97}x" for i in range(150_000))
        seen: list[int] = []
        masker = miner._masker

        class Counting:
            """The miner's masker, counting the characters it is handed."""

            def keys(self, messages: list[str]) -> Any:
                seen.extend(map(len, messages))
                return masker.keys(messages)

            def __getattr__(self, name: str) -> Any:
                return getattr(masker, name)

        miner._masker = Counting()  # type: ignore[assignment]
        template = miner.add_batch([huge, huge + " tail"])
        limit = miner._config.max_message_chars
        assert seen and max(seen) <= limit < len(huge)
        assert template[0].id == template[1].id  # same head, same template

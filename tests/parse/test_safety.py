"""Hostile input never stalls or crashes the per-event path: ReDoS bait, huge lines, NULs, junk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from logflow.config import load_settings
from logflow.event import Record
from logflow.parse.grok import Grok, GrokTimeout, PatternLibrary
from logflow.parse.parsers import ParserSet, default_parsers_dir
from logflow.worker.processor import Processor

EVIL = r"(?<user.name>(a|aa)+)$"  # overlapping alternatives: exponential backtracking in any engine


@pytest.fixture(scope="module")
def evil_parsers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped parsers plus one user parser with a catastrophic pattern, tried first."""
    folder = tmp_path_factory.mktemp("parsers")
    shutil.copytree(default_parsers_dir(), folder, dirs_exist_ok=True)
    (folder / "evil.toml").write_text(f"name = 'evil'\npriority = 1\npatterns = ['{EVIL}']\n")
    return folder


class TestTimeBudget:
    def test_catastrophic_patterns_are_found_at_start_up(self) -> None:
        """Overlapping alternatives and nested quantifiers are found in the parse tree (no timing), and guarded."""
        assert Grok(EVIL, PatternLibrary()).pathological is True
        assert Grok(r"(\w+\s?)*$", PatternLibrary()).pathological is True
        assert Grok(r"\w+ \w+", PatternLibrary()).pathological is False

    def test_no_shipped_pattern_needs_guarding(self) -> None:
        """Every shipped expression runs on the fast engine."""
        flagged = [(p.name, i) for p in ParserSet.load() for i, g in enumerate(p.groks) if g.pathological]
        assert flagged == []

    def test_a_guarded_pattern_gives_up_at_its_budget(self) -> None:
        """ReDoS bait against a guarded expression raises GrokTimeout at its budget (unguarded it runs for hours,
        so the raise is the proof; no duration is asserted)."""
        grok = Grok(r"(a|aa)+$", PatternLibrary(), budget_s=0.05)
        with pytest.raises(GrokTimeout):
            grok.match("a" * 5000 + "!")

    def test_redos_bait_through_the_pipeline_is_tagged_and_the_batch_keeps_its_pace(self, evil_parsers: Path) -> None:
        """Bait lines finish as tagged documents; good lines in the same batch parse normally."""
        processor = Processor(load_settings(environ={}, overrides={"parse": {"parsers_dir": str(evil_parsers)}}))
        bait = ("a" * 5000 + "!").encode()
        good = b"2026-11-23 10:00:00,000 INFO api.http: served request"
        records = [Record("t", 0, i, bait if i % 2 else good) for i in range(20)]
        out = processor.process(records, keep_documents=True)  # unguarded, one bait line alone runs for hours
        assert len(out.documents) == 20 and out.rejections == []
        baits = [d for d in out.documents if d["logflow.kafka.offset"] % 2]
        assert all("grok_timeout" in d["tags"] for d in baits)
        assert all(d["logflow.grok_timeouts"] == ["evil#0"] for d in baits)
        assert all(d["logflow.parser"] == "app" for d in out.documents if d["logflow.kafka.offset"] % 2 == 0)


@pytest.fixture(scope="module")
def processor() -> Processor:
    return Processor(load_settings(environ={}))


class TestHostileRecords:
    def test_a_5_mb_line_is_truncated_tagged_and_indexed(self, processor: Processor) -> None:
        """Lines over decode.max_line_bytes keep their head and a `truncated` tag."""
        out = processor.process([Record("t", 0, 0, b"x" * 5_000_000)], keep_documents=True)
        doc = out.documents[0]
        assert "truncated" in doc["tags"]
        assert len(doc["message"]) == 1_048_576

    def test_nul_bytes_survive_as_text(self, processor: Processor) -> None:
        """NUL is valid UTF-8; the event is indexed (orjson escapes it)."""
        out = processor.process([Record("t", 0, 0, b"before\x00after")], keep_documents=True)
        assert out.documents[0]["message"] == "before\x00after"
        assert b"\\u0000" in out.actions[0].source

    def test_binary_junk_is_dead_lettered_with_a_reason(self, processor: Processor) -> None:
        """Bytes that are not UTF-8 go to the dead-letter topic, never into a document."""
        out = processor.process([Record("t", 0, 0, bytes(range(128, 256)))])
        assert out.actions == []
        assert out.rejections[0].error_type == "invalid_utf8"

    def test_json_nested_ten_thousand_deep_is_indexed_as_text(self, processor: Processor) -> None:
        """orjson refuses the depth; the record is still an event (text, tagged parse_failure)."""
        deep = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
        out = processor.process([Record("t", 0, 0, deep)], keep_documents=True)
        assert "parse_failure" in out.documents[0]["tags"]

    def test_an_unparseable_date_becomes_ingest_time_and_a_tag_not_a_rejection(self, processor: Processor) -> None:
        """A matched line with an impossible time is indexed at ingest time, tagged timestamp_failure."""
        out = processor.process(
            [Record("t", 0, 0, b"2026-02-30 10:00:00,000 ERROR x.y: bad clock")], keep_documents=True
        )
        doc = out.documents[0]
        assert "timestamp_failure" in doc["tags"]
        assert doc["@timestamp"] == doc["event.ingested"]

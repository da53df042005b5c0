"""A `parse.parsers_dir` adds to the shipped parsers and pattern library, or overrides them by name."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logflow.admin.parsers_check import check_parsers
from logflow.config import Settings
from logflow.errors import ParserDefinitionError
from logflow.event import Record
from logflow.parse.parsers import ParserSet
from logflow.worker.processor import Processor

SHIPPED = ParserSet.load()
SHIPPED_NAMES = sorted(p.name for p in SHIPPED)
# Names of the shipped pattern library a user's pattern may build on (those without captures of their own).
BUILDING_BLOCKS = ["YEAR", "MONTHNUM2", "MONTHDAY", "TIME", "LOGLEVEL", "INT", "WORD", "NOTSPACE", "IP"]

BILLING = """
name = "billing"
priority = 5
patterns = ['%{YEAR:billing.year:int}-%{MONTHNUM2}-%{MONTHDAY} %{LOGLEVEL:log.level} billing: %{GREEDYMSG:message}']

[[sample]]
line = "2026-11-20 ERROR billing: card declined"
[sample.expect]
"billing.year" = 2026
"log.level" = "error"
message = "card declined"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class TestAddingToTheLibrary:
    """One file in a user's folder is one parser more; nothing shipped is lost."""

    def test_a_folder_with_one_parser_keeps_every_shipped_parser_and_pattern(self, tmp_path: Path) -> None:
        write(tmp_path, "billing.toml", BILLING)
        parsers = ParserSet.load(tmp_path)
        assert sorted(p.name for p in parsers) == sorted([*SHIPPED_NAMES, "billing"])
        assert parsers.library.names() == SHIPPED.library.names()
        outcomes = check_parsers(Processor(Settings(), parsers=parsers))
        assert [(o.parser, o.problems) for o in outcomes if o.problems] == []
        assert len(outcomes) == sum(len(p.samples) for p in SHIPPED) + 1

    @settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.one_of(st.sampled_from(SHIPPED_NAMES), st.from_regex(r"user\.[a-z]{1,8}", fullmatch=True)),
        st.lists(st.sampled_from(BUILDING_BLOCKS), min_size=1, max_size=4),
    )
    def test_a_user_parser_is_added_or_replaces_the_one_of_its_name(self, name: str, blocks: list[str]) -> None:
        pattern = " ".join(f"%{{{block}}}" for block in blocks) + r" %{GREEDYMSG:message}"
        with tempfile.TemporaryDirectory() as folder:
            path = write(Path(folder), "mine.toml", f"name = {name!r}\npatterns = [{pattern!r}]\n")
            parsers = ParserSet.load(Path(folder))
        assert parsers.by_name[name].path == str(path)
        expected = set(SHIPPED_NAMES) | {name}
        assert {p.name for p in parsers} == expected
        assert len(parsers.parsers) == len(expected)

    def test_the_user_parser_reads_lines_through_the_pipeline(self, tmp_path: Path) -> None:
        write(tmp_path, "billing.toml", BILLING)
        processor = Processor(Settings(), parsers=ParserSet.load(tmp_path))
        now = datetime(2026, 11, 23, tzinfo=UTC)
        doc = processor.document(Record("logs", 0, 0, b"2026-11-20 WARN billing: retry"), now)
        assert (doc["logflow.parser"], doc["log.level"], doc["message"]) == ("billing", "warn", "retry")
        nginx = b'10.1.2.3 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5.0"'
        assert processor.document(Record("logs", 0, 1, nginx), now)["logflow.parser"] == "nginx.access"


class TestPatterns:
    """A user's `patterns/*.grok` come after the shipped ones: new names added, a name redefined replaced."""

    def test_a_user_pattern_file_adds_names_built_on_the_shipped_ones(self, tmp_path: Path) -> None:
        write(tmp_path, "patterns/billing.grok", "BILLING_DAY %{YEAR}-%{MONTHNUM2}-%{MONTHDAY}\n")
        write(tmp_path, "b.toml", "name = 'b'\npatterns = ['%{BILLING_DAY:day} %{GREEDYMSG:message}']\n")
        parsers = ParserSet.load(tmp_path)
        assert set(parsers.library.names()) == {*SHIPPED.library.names(), "BILLING_DAY"}
        assert parsers.by_name["b"].match_text("2026-11-20 paid") == ({"day": "2026-11-20", "message": "paid"}, 0)

    def test_a_redefined_pattern_name_replaces_the_shipped_definition(self, tmp_path: Path) -> None:
        write(tmp_path, "patterns/override.grok", "LOGLEVEL (?:OOPS|YAY)\n")
        write(tmp_path, "b.toml", "name = 'b'\npatterns = ['%{LOGLEVEL:log.level} %{GREEDYMSG:message}']\n")
        parsers = ParserSet.load(tmp_path)
        assert parsers.by_name["b"].match_text("OOPS x") is not None
        assert parsers.by_name["b"].match_text("ERROR x") is None


class TestMistakes:
    def test_two_parsers_of_one_name_in_the_users_folder_are_an_error(self, tmp_path: Path) -> None:
        write(tmp_path, "a.toml", "name = 'dup'\npatterns = ['%{WORD}']\n")
        write(tmp_path, "b.toml", "name = 'dup'\npatterns = ['%{INT}']\n")
        with pytest.raises(ParserDefinitionError, match="dup"):
            ParserSet.load(tmp_path)

    def test_a_missing_folder_is_an_error_that_names_it(self, tmp_path: Path) -> None:
        with pytest.raises(ParserDefinitionError, match="is not a folder"):
            ParserSet.load(tmp_path / "nope")

    def test_shipped_false_loads_the_folder_alone(self, tmp_path: Path) -> None:
        write(tmp_path, "patterns/p.grok", "WORDY \\w+\n")
        write(tmp_path, "a.toml", "name = 'a'\npatterns = ['%{WORDY:x}']\n")
        parsers = ParserSet.load(tmp_path, shipped=False)
        assert [p.name for p in parsers] == ["a"]

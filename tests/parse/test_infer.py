"""Lines no parser matches: their own time, level and message come from the header, never from the text."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import Settings
from logflow.event import Record
from logflow.parse.infer import LEVEL_WORDS, infer
from logflow.parse.parsers import ParserSet
from logflow.parse.timestamps import format_utc
from logflow.worker.processor import Processor

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import infer_eval  # noqa: E402

REFERENCE = infer_eval.REFERENCE
Renderer = Callable[[datetime], str]
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
CASES = infer_eval.cases() + infer_eval.cases(infer_eval.CORPUS / "holdout")
PROCESSOR = Processor(Settings(), parsers=ParserSet.load())


def _ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# How formats write a time (each from the document tests/data/infer names), rendered from a moment in UTC.
def _iso(m: datetime) -> str:
    return f"{m:%Y-%m-%dT%H:%M:%S}.{m.microsecond // 1000:03d}Z"


def _iso_offset(m: datetime, minutes: int) -> str:
    local = m.astimezone(timezone(timedelta(minutes=minutes)))
    sign, value = ("-", -minutes) if minutes < 0 else ("+", minutes)
    return f"{local:%Y-%m-%d %H:%M:%S},{m.microsecond // 1000:03d} {sign}{value // 60:02d}:{value % 60:02d}"


RENDERERS: dict[str, tuple[Renderer, bool]] = {
    "iso": (_iso, True),
    "iso_space_comma": (lambda m: f"{m:%Y-%m-%d %H:%M:%S},{m.microsecond // 1000:03d}", True),
    "iso_micro_offset": (lambda m: f"{m:%Y-%m-%dT%H:%M:%S.%f}+00:00", True),
    "slash": (lambda m: f"{m:%Y/%m/%d %H:%M:%S}", False),
    "compact": (lambda m: f"{m:%Y%m%d-%H:%M:%S}:{m.microsecond // 1000:03d}", True),
    "http": (lambda m: f"[{m.day:02d}/{MONTHS[m.month - 1]}/{m:%Y:%H:%M:%S} +0000]", False),
    "ctime": (lambda m: f"[{DAYS[m.weekday()]} {MONTHS[m.month - 1]} {m.day:02d} {m:%H:%M:%S}.{m:%f} {m.year}]", True),
    "redis": (lambda m: f"{m.day} {MONTHS[m.month - 1]} {m.year} {m:%H:%M:%S}.{m.microsecond // 1000:03d}", True),
    "jul": (lambda m: f"{MONTHS[m.month - 1]} {m.day:02d}, {m.year} {(m.hour % 12) or 12}:{m:%M:%S %p}", False),
    "epoch": (lambda m: f"{m.timestamp():.3f}", True),
    "epoch_ms": (lambda m: f"{int(m.timestamp() * 1000)}", True),
}
YEARLESS: dict[str, tuple[Renderer, bool]] = {
    "syslog": (lambda m: f"{MONTHS[m.month - 1]} {m.day:2d} {m:%H:%M:%S}", False),
    "glog": (lambda m: f"E{m:%m%d %H:%M:%S}.{m:%f}", True),
    "logcat": (lambda m: f"{m:%m-%d %H:%M:%S}.{m.microsecond // 1000:03d}", True),
}
# A message after the header: words that are not level words, names of months or numbers.
text_words = st.from_regex(r"[a-z]{2,9}", fullmatch=True).filter(
    lambda w: w not in LEVEL_WORDS and w[:3].title() not in MONTHS and w[:3].title() not in DAYS
)
messages = st.lists(text_words, min_size=1, max_size=6).map(" ".join)
levels = st.sampled_from(
    [("ERROR", "error"), ("[warn]", "warn"), ("INFO", "info"), ("[core:crit]", "fatal"), ("", None)]
)


class TestTheCorpus:
    """Lines written from 30 formats' documentation (tests/data/infer): figures in docs/parsers.md."""

    def test_the_corpus_is_read(self) -> None:
        assert len(CASES) > 100
        assert {c.file for c in CASES} >= {"apache_error", "postgresql", "glog", "no_header", "corpus"}

    @pytest.mark.parametrize("case", CASES, ids=[f"{c.file}-{n}" for n, c in enumerate(CASES)])
    def test_no_line_gets_a_wrong_time_or_a_wrong_level(self, case: infer_eval.Case) -> None:
        """Inference may miss; it must not be wrong (a wrong time hides an event in another hour)."""
        time, level, _ = infer_eval.outcome(case)
        assert time in (None, case.time)
        assert level in (None, case.level)

    def test_most_lines_come_out_exactly_as_their_documentation_says(self) -> None:
        exact = sum(infer_eval.outcome(c) == (c.time, c.level, c.message) for c in CASES)
        assert exact / len(CASES) > 0.9


class TestTimes:
    @settings(max_examples=300)
    @given(
        st.datetimes(datetime(2017, 1, 1), datetime(2026, 11, 22), timezones=st.just(UTC)),
        st.sampled_from(sorted(RENDERERS)),
        levels,
        messages,
    )
    def test_a_generated_date_form_is_recovered_exactly(
        self, moment: datetime, form: str, level: tuple[str, str | None], message: str
    ) -> None:
        moment = _ms(moment)  # the forms write milliseconds at most
        render, fraction = RENDERERS[form]
        line = " ".join(part for part in (render(moment), level[0], message) if part)
        found = infer(line, REFERENCE)
        assert found is not None, line
        expected = _ms(moment) if fraction else moment.replace(microsecond=0)
        assert found.timestamp == format_utc(expected), line
        assert found.level == level[1], line
        assert found.message == message, line

    @settings(max_examples=200)
    @given(st.integers(0, 300 * 86400 * 1000), st.sampled_from(sorted(YEARLESS)), messages)
    def test_a_time_without_a_year_takes_the_year_that_puts_it_just_before_the_record(
        self, before_ms: int, form: str, message: str
    ) -> None:
        moment = REFERENCE - timedelta(milliseconds=before_ms + 1)
        render, fraction = YEARLESS[form]
        line = f"{render(moment)} {message}"
        found = infer(line, REFERENCE)
        assert found is not None, line
        expected = _ms(moment) if fraction else moment.replace(microsecond=0)
        assert found.timestamp == format_utc(expected), line

    @given(st.integers(1, 86400 * 30))
    def test_a_yearless_time_more_than_a_day_ahead_of_the_record_is_last_years(self, ahead_s: int) -> None:
        moment = REFERENCE + timedelta(seconds=ahead_s)
        found = infer(f"{MONTHS[moment.month - 1]} {moment.day:2d} {moment:%H:%M:%S} job done", REFERENCE)
        assert found is not None
        year = moment.year if ahead_s <= 86400 else moment.year - 1
        assert found.timestamp == format_utc(moment.replace(year=year))

    @settings(max_examples=200)
    @given(st.integers(0, 9999), st.integers(13, 99), st.integers(1, 28), st.integers(0, 99), messages)
    def test_a_date_shape_with_an_impossible_month_is_no_time(
        self, year: int, month: int, day: int, hour: int, message: str
    ) -> None:
        for line in (
            f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:00:00 {message}",
            f"{year:04d}/{month:02d}/{day:02d} {hour:02d}:00:00 {message}",
            f"{year % 100:02d}{month:02d}{day:02d} {hour % 24:02d}0000 {message}",
        ):
            found = infer(line, REFERENCE)
            assert found is None or found.timestamp is None, line

    @settings(max_examples=300)
    @given(
        st.lists(
            st.one_of(
                text_words,
                st.integers(0, 99999).map(str),
                st.integers(10**14, 10**20).map(str),
                st.from_regex(r"\d{1,2}:\d{2}(:\d{2})?", fullmatch=True),  # a time of day, a ratio
                st.from_regex(r"\d{1,3}\.\d{1,3}(\.\d{1,3}){0,2}", fullmatch=True),  # versions, addresses
                st.sampled_from(["-", "[", "]", "|", ":", "#", "=>", "ERROR:"]),
            ),
            max_size=12,
        )
    )
    def test_random_text_with_no_date_never_gets_a_time(self, tokens: list[str]) -> None:
        line = " ".join(tokens)
        found = infer(line, REFERENCE)
        assert found is None or found.timestamp is None, line

    @given(st.integers(0, 10**10 - 1).filter(lambda n: not 1479000000 <= n <= 1795500000), messages)
    def test_a_number_that_cannot_be_a_recent_epoch_is_no_time(self, number: int, message: str) -> None:
        found = infer(f"{number} {message}", REFERENCE)
        assert found is None or found.timestamp is None


class TestLevels:
    @given(text_words, text_words, st.sampled_from(["ERROR", "WARN", "error:", "[error]", "E", "INFO"]), messages)
    def test_a_level_word_inside_the_text_is_not_the_level(self, first: str, second: str, word: str, rest: str) -> None:
        for line in (f"{first} {second} {word} {rest}", f"2026-11-23 01:02:03 {first} {second} {word} {rest}"):
            found = infer(line, REFERENCE)
            assert found is None or found.level is None, line

    @given(st.sampled_from(sorted(LEVEL_WORDS)), messages)
    def test_an_upper_case_level_word_after_the_time_is_the_level(self, word: str, message: str) -> None:
        found = infer(f"2026-11-23 01:02:03,456 {word.upper()} {message}", REFERENCE)
        assert found is not None
        assert found.level == LEVEL_WORDS[word]
        assert found.message == message


class TestTheParseStage:
    """The stage runs inference on lines no parser matched, and tags what it inferred."""

    def document(self, line: str, timestamp_ms: int | None = None) -> dict[str, Any]:
        return PROCESSOR.document(Record("logs", 0, 0, line.encode(), timestamp_ms=timestamp_ms), REFERENCE)

    def test_an_unknown_format_gets_its_own_time_and_level_tagged_parse_inferred(self) -> None:
        doc = self.document("20261120-08:15:02:123|ERROR|Checkout|payment declined\n  at Checkout.pay")
        assert doc["logflow.parser"] == "none"
        assert (doc["@timestamp"], doc["log.level"]) == ("2026-11-20T08:15:02.123Z", "error")
        assert doc["message"] == "Checkout|payment declined\n  at Checkout.pay"
        assert "parse_inferred" in doc["tags"] and "timestamp_missing" not in doc["tags"]
        assert doc["event.original"].startswith("20261120-08:15:02:123|ERROR|")
        assert "-errors-2026.11.20" in doc["_index"]

    def test_a_line_with_no_header_is_left_as_it_was(self) -> None:
        doc = self.document("something happened, error count 3")
        assert doc["message"] == "something happened, error count 3"
        assert "log.level" not in doc
        assert "parse_inferred" not in doc["tags"] and "timestamp_missing" in doc["tags"]

    def test_a_missing_year_is_inferred_from_the_records_own_time(self) -> None:
        record_time = datetime(2025, 1, 5, tzinfo=UTC)
        line = "*Dec 30 18:46:11.123: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down"
        doc = self.document(line, int(record_time.timestamp() * 1000))
        assert doc["logflow.parser"] == "none"
        assert doc["@timestamp"] == "2024-12-30T18:46:11.123Z"

    def test_an_epoch_is_judged_against_the_records_time(self) -> None:
        old = datetime(2010, 10, 8, 12, tzinfo=UTC)
        line = "1286536308.779    180 192.168.0.224 TCP_MISS/200 411 GET http://example.com/ - DIRECT/1.2.3.4 text/html"
        today = self.document(line)  # read in 2026: sixteen years old is not plausible, so no time
        assert today["@timestamp"] == format_utc(REFERENCE) and "timestamp_missing" in today["tags"]
        doc = self.document(line, int(old.timestamp() * 1000))
        assert doc["@timestamp"] == "2010-10-08T11:11:48.779Z"


# Cisco "System Message Format" (IOS, IOS XE, NX-OS, ASA configuration guides): an optional sequence
# number (`service sequence-numbers`), an optional time (`service timestamps log datetime [msec]
# [year] [show-timezone]`, with `*` when the clock is not authoritative and `.` when it lost its
# source; `service timestamps log uptime` instead gives a time since boot), then
# `%FACILITY-SEVERITY-MNEMONIC: description`, the severity a syslog digit 0-7.
SYSLOG_SEVERITY_LEVELS = {
    0: "fatal",  # emergency
    1: "fatal",  # alert
    2: "fatal",  # critical
    3: "error",
    4: "warn",
    5: "info",  # notice
    6: "info",  # informational
    7: "debug",
}
cisco_part = st.from_regex(r"[A-Z][A-Z0-9_]{0,11}", fullmatch=True)
facilities = st.one_of(
    st.sampled_from(["LINK", "LINEPROTO", "SYS", "C4K_EBM", "DHCP_SNOOPING", "ETHPORT", "ASA", "PM-SP", "C6KPWR-SP"]),
    st.lists(cisco_part, min_size=1, max_size=3).map("-".join),
)
mnemonics = st.one_of(
    st.sampled_from(["UPDOWN", "CONFIG_I", "IF_DOWN_LINK_FAILURE", "HOSTFLAPPING", "106023", "ERR_DISABLE"]),
    st.from_regex(r"[A-Z0-9_]{1,20}", fullmatch=True),
)
sequence_numbers = st.one_of(st.just(""), st.integers(0, 999999).map(lambda n: f"{n:06d}: "))


def cisco_time(moment: datetime, marker: str, msec: bool, year: bool, zone: bool, padded: bool) -> str:
    day = f"{moment.day:02d}" if padded else f"{moment.day:2d}"
    text = f"{marker}{MONTHS[moment.month - 1]} {day}{f' {moment.year}' if year else ''} {moment:%H:%M:%S}"
    return text + (f".{moment.microsecond // 1000:03d}" if msec else "") + (" UTC" if zone else "")


class TestCiscoSystemMessages:
    @settings(max_examples=400)
    @given(
        st.integers(1, 300 * 86400 * 1000),
        sequence_numbers,
        st.sampled_from(["", "*", "."]),
        st.booleans(),
        st.booleans(),
        st.booleans(),
        st.booleans(),
        facilities,
        st.integers(0, 7),
        mnemonics,
        messages,
    )
    def test_a_generated_header_gives_its_time_and_its_severity_as_the_level(
        self,
        before_ms: int,
        sequence: str,
        marker: str,
        msec: bool,
        year: bool,
        zone: bool,
        padded: bool,
        facility: str,
        severity: int,
        mnemonic: str,
        text: str,
    ) -> None:
        moment = REFERENCE - timedelta(milliseconds=before_ms)
        identity = f"%{facility}-{severity}-{mnemonic}:"
        line = f"{sequence}{cisco_time(moment, marker, msec, year, zone, padded)}: {identity} {text}"
        found = infer(line, REFERENCE)
        assert found is not None, line
        expected = _ms(moment) if msec else moment.replace(microsecond=0)
        assert found.timestamp == format_utc(expected), line
        assert found.level == SYSLOG_SEVERITY_LEVELS[severity], line
        assert found.message == f"{identity} {text}", line  # the identity stays: it names the message

    @given(
        sequence_numbers,
        st.sampled_from(["", "00:02:58: ", "00:02:58.123: ", "1d02h: ", "2w3d: "]),
        facilities,
        st.integers(0, 7),
        mnemonics,
        messages,
    )
    def test_without_a_date_the_level_is_read_and_no_time_is_made_up(
        self, sequence: str, uptime: str, facility: str, severity: int, mnemonic: str, text: str
    ) -> None:
        identity = f"%{facility}-{severity}-{mnemonic}:"
        found = infer(f"{sequence}{uptime}{identity} {text}", REFERENCE)
        assert found is not None
        assert found.timestamp is None  # an uptime is no date
        assert found.level == SYSLOG_SEVERITY_LEVELS[severity]
        assert found.message == f"{identity} {text}"

    def test_the_documented_examples(self) -> None:
        lines = {
            "000123: *Oct  5 06:00:24.187: %LINK-3-UPDOWN: Interface GigabitEthernet1/0/22, changed state to down": (
                "2026-10-05T06:00:24.187Z",
                "error",
            ),
            "Oct  5 06:00:24.187 UTC: %SYS-5-CONFIG_I: Configured from console by netops on vty2 (10.0.0.1)": (
                "2026-10-05T06:00:24.187Z",
                "info",
            ),
            ".Oct  5 06:00:24: %NTP-6-PEERSYNC: NTP synced to peer 10.1.2.3": ("2026-10-05T06:00:24.000Z", "info"),
            '%ASA-4-106023: Deny tcp src outside:10.1.1.1/1234 dst inside:10.2.2.2/80 by access-group "x"': (
                None,
                "warn",
            ),
            "2025 Oct  5 06:00:24 N7K-1 %ETHPORT-5-IF_DOWN_LINK_FAILURE: Interface Ethernet1/1 is down": (
                "2025-10-05T06:00:24.000Z",
                "info",
            ),
            "*Oct  5 2025 06:00:24.187: %C4K_EBM-4-HOSTFLAPPING: Host 00:11:22:33:44:55 in vlan 1 is flapping": (
                "2025-10-05T06:00:24.187Z",
                "warn",
            ),
            "Oct 05 2025 06:00:24: %ASA-2-106001: Inbound TCP connection denied": ("2025-10-05T06:00:24.000Z", "fatal"),
        }
        for line, (time, level) in lines.items():
            found = infer(line, REFERENCE)
            assert found is not None, line
            assert (found.timestamp, found.level) == (time, level), line
            assert found.message.startswith("%"), line

    @given(
        st.one_of(
            st.sampled_from(["%d", "50%", "%s:", "100%:", "%FOO-3-BAR", "%-3-BAR:", "%FOO--3-BAR:", "%FOO-33-BAR:"]),
            st.builds(lambda f, s, m: f"%{f}-{s}-{m}:", facilities, st.sampled_from([8, 9]), mnemonics),
            st.builds(lambda f, s, m: f"%{f.lower()}-{s}-{m.lower()}:", facilities, st.integers(0, 7), mnemonics),
            st.builds(lambda f, s: f"%{f}-{s}-updown:", facilities, st.integers(0, 7)),
        ),
        sequence_numbers,
        st.booleans(),
        messages,
    )
    def test_a_percent_token_not_of_the_pattern_gives_no_level(
        self, token: str, sequence: str, timed: bool, text: str
    ) -> None:
        line = f"{sequence}{'*Oct  5 06:00:24.187: ' if timed else ''}{token} {text}"
        found = infer(line, REFERENCE)
        assert found is None or found.level is None, line
        if timed:
            assert found is not None and found.timestamp == "2026-10-05T06:00:24.187Z", line

    @given(st.sampled_from(["x*", "1*", "**", ".*", "x.", "1.", "..", "*.", "gi0/1."]), messages)
    def test_a_mark_not_at_the_start_of_the_times_token_is_no_clock_mark(self, glued: str, text: str) -> None:
        for line in (f"{glued}Oct  5 06:00:24.187: %LINK-3-UPDOWN: {text}", f"000123: {glued}Oct  5 06:00:24: {text}"):
            found = infer(line, REFERENCE)
            assert found is None or found.timestamp is None, line

    @given(st.sampled_from(["*", "."]), messages)
    def test_a_mark_glued_to_a_time_of_day_alone_makes_no_date(self, marker: str, text: str) -> None:
        found = infer(f"{marker}06:00:24.187: %LINK-3-UPDOWN: {text}", REFERENCE)
        assert found is None or found.timestamp is None

    @given(
        st.sampled_from(["", "*Oct  5 06:00:24.187: ", "000123: ", "2025-10-05 06:00:24 "]),
        text_words,
        text_words,
        st.integers(0, 7),
        messages,
    )
    def test_a_severity_token_inside_the_text_is_not_the_level(
        self, header: str, first: str, second: str, severity: int, rest: str
    ) -> None:
        line = f"{header}{first} {second} %LINK-{severity}-UPDOWN: {rest}"
        found = infer(line, REFERENCE)
        assert found is None or found.level is None, line

    def test_a_cisco_line_no_parser_knows_routes_by_its_severity(self) -> None:
        doc = PROCESSOR.document(
            Record(
                "logs", 0, 0, b"000123: *Nov 22 18:46:11.123: %LINK-3-UPDOWN: Interface Gi1/0/22, changed state to down"
            ),
            REFERENCE,
        )
        assert doc["logflow.parser"] == "none" and "parse_inferred" in doc["tags"]
        assert (doc["@timestamp"], doc["log.level"]) == ("2026-11-22T18:46:11.123Z", "error")
        assert doc["message"] == "%LINK-3-UPDOWN: Interface Gi1/0/22, changed state to down"
        assert "-errors-2026.11.22" in doc["_index"]

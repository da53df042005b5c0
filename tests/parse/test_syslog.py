"""Syslog `<PRI>` becomes facility, severity and `log.level`; rsyslog envelopes are read whole."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import Settings
from logflow.event import Record
from logflow.parse import syslog
from logflow.parse.parsers import ParserSet
from logflow.worker.processor import Processor

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
PROCESSOR = Processor(Settings(), parsers=ParserSet.load())

# RFC 5424 §6.2.1 table 1 (facility) and table 2 (severity), as the keywords syslog daemons write.
RFC5424_FACILITIES = {
    0: "kern", 1: "user", 2: "mail", 3: "daemon", 4: "auth", 5: "syslog", 6: "lpr", 7: "news",
    8: "uucp", 9: "cron", 10: "authpriv", 11: "ftp", 12: "ntp", 13: "security", 14: "console",
    15: "solaris-cron", 16: "local0", 17: "local1", 18: "local2", 19: "local3", 20: "local4",
    21: "local5", 22: "local6", 23: "local7",
}  # fmt: skip
RFC5424_SEVERITIES = {0: "emerg", 1: "alert", 2: "crit", 3: "err", 4: "warning", 5: "notice", 6: "info", 7: "debug"}
# What the enrich stage makes of each severity keyword (the six ECS levels).
ECS_LEVEL = {0: "fatal", 1: "fatal", 2: "fatal", 3: "error", 4: "warn", 5: "info", 6: "info", 7: "debug"}

# RFC 3164 §4.1.2: HOSTNAME is a host name or an address (RFC 1123 labels: letters, digits and inner hyphens).
hosts = st.from_regex(r"[a-z]([a-z0-9-]{0,12}[a-z0-9])?(\.[a-z]([a-z0-9-]{0,6}[a-z0-9])?){0,2}", fullmatch=True)
# The TAG: alphanumeric, at most 32 characters.
words = st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,15}", fullmatch=True)
messages = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_categories=["Cs"]), max_size=60).map(
    str.strip
)


def document(value: bytes) -> dict[str, Any]:
    return PROCESSOR.document(Record("logs", 0, 0, value), NOW)


class TestPriority:
    """PRI = facility * 8 + severity, 0..191 (RFC 5424 §6.2.1, RFC 3164 §4.1.1)."""

    @given(st.integers(0, 191))
    def test_every_pri_decodes_to_its_facility_and_severity(self, pri: int) -> None:
        doc: dict[str, Any] = {"log.syslog.priority": pri}
        syslog.derive(doc)
        facility, severity = pri // 8, pri % 8
        assert doc["log.syslog.facility.code"] == facility
        assert doc["log.syslog.facility.name"] == RFC5424_FACILITIES[facility]
        assert doc["log.syslog.severity.code"] == severity
        assert doc["log.syslog.severity.name"] == RFC5424_SEVERITIES[severity]
        assert doc["log.level"] == RFC5424_SEVERITIES[severity]

    @given(st.one_of(st.integers(max_value=-1), st.integers(min_value=192), st.booleans(), st.floats(), st.text()))
    def test_a_value_that_is_not_a_pri_derives_nothing(self, value: object) -> None:
        if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 3 and int(value) < 192:
            return  # a numeric string that is a PRI (rsyslog's "pri":"38") is one
        doc: dict[str, Any] = {"log.syslog.priority": value}
        syslog.derive(doc)
        assert doc == {"log.syslog.priority": value}

    @given(st.integers(0, 191), st.sampled_from(["warn", "debug", "error"]))
    def test_a_level_the_event_has_is_kept(self, pri: int, level: str) -> None:
        doc: dict[str, Any] = {"log.syslog.priority": pri, "log.level": level}
        syslog.derive(doc)
        assert doc["log.level"] == level

    @settings(max_examples=60, deadline=None)
    @given(st.integers(0, 191), hosts, words, st.integers(1, 99999), messages)
    def test_a_3164_line_with_pri_gets_its_ecs_level_and_routes_by_it(
        self, pri: int, host: str, program: str, pid: int, message: str
    ) -> None:
        line = f"<{pri}>Nov 20 08:15:02 {host} {program}[{pid}]: {message}"
        doc = document(line.encode())
        assert doc["logflow.parser"] == "syslog", line
        assert doc["log.syslog.severity.code"] == pri % 8
        assert doc["log.level"] == ECS_LEVEL[pri % 8]
        assert ("-errors-" in doc["_index"]) == (pri % 8 <= 3)

    @settings(max_examples=60, deadline=None)
    @given(st.integers(0, 191), hosts, words, messages)
    def test_a_5424_line_with_pri_gets_its_ecs_level(self, pri: int, host: str, app: str, message: str) -> None:
        line = f"<{pri}>1 2026-11-20T08:15:02.003Z {host} {app} - - - {message}"
        doc = document(line.encode())
        assert doc["logflow.parser"] == "syslog.rfc5424", line
        assert doc["log.syslog.facility.name"] == RFC5424_FACILITIES[pri // 8]
        assert doc["log.level"] == ECS_LEVEL[pri % 8]


class TestRsyslogEnvelopes:
    """rsyslog's JSON (`jsonmesg`, or a template with `msg` and `programname`) is never a parse failure."""

    @settings(max_examples=80, deadline=None)
    @given(
        messages.filter(bool),
        st.booleans(),
        words,
        st.one_of(st.none(), st.integers(0, 4_000_000)),
        st.one_of(st.none(), st.integers(0, 191)),
    )
    def test_the_msg_part_is_the_message_with_its_header_from_the_envelope(
        self, message: str, leading_blank: bool, program: str, procid: int | None, pri: int | None
    ) -> None:
        envelope: dict[str, Any] = {
            "msg": (" " if leading_blank else "") + message,
            "timereported": "2026-11-20T08:15:02.123456+00:00",
            "hostname": "web-1",
            "programname": program,
            "procid": "-" if procid is None else str(procid),
        }
        if pri is not None:
            envelope["pri"] = str(pri)
        doc = document(orjson.dumps(envelope))
        assert "parse_failure" not in doc.get("tags", [])
        assert doc["message"] == message
        assert doc["process.name"] == program
        assert doc["@timestamp"] == "2026-11-20T08:15:02.123Z"
        if procid is None:
            assert "process.pid" not in doc
        else:
            assert doc["process.pid"] == procid
        if pri is None:
            assert "log.syslog.severity.code" not in doc
        else:
            assert doc["log.syslog.severity.name"] == RFC5424_SEVERITIES[pri % 8]
            assert doc["log.level"] == ECS_LEVEL[pri % 8]

    @given(st.integers(0, 23), st.integers(0, 7))
    def test_split_codes_as_strings_give_names(self, facility: int, severity: int) -> None:
        envelope = {"msg": "x", "programname": "p", "syslogfacility": str(facility), "syslogseverity": str(severity)}
        doc = document(orjson.dumps(envelope))
        assert doc["log.syslog.facility.name"] == RFC5424_FACILITIES[facility]
        assert doc["log.syslog.severity.name"] == RFC5424_SEVERITIES[severity]


class TestHintOnly:
    """`syslog.msg` takes any text, so it is tried only for records hinted to it."""

    @settings(max_examples=30, deadline=None)
    @given(messages.filter(lambda m: not m.startswith(("{", "["))))
    def test_an_unhinted_line_never_reaches_the_catch_all(self, message: str) -> None:
        doc = document(message.encode() or b"x")
        assert doc["logflow.parser"] != "syslog.msg"

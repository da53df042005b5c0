"""Event times: every accepted format comes out as UTC ISO 8601 with milliseconds."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime

import pytest

from logflow.errors import ConfigError
from logflow.parse.timestamps import TimeParser, _httpdate, _iso8601, _iso_millis, _syslog, format_utc

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ASCII_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")


class TestTimeParser:
    @pytest.mark.parametrize(
        ("fmt", "text", "expected"),
        [
            ("ISO8601", "2026-11-23T01:02:03.456Z", "2026-11-23T01:02:03.456Z"),
            ("ISO8601", "2026-11-23 01:02:03,456", "2026-11-23T01:02:03.456Z"),
            ("ISO8601", "2026-11-23T02:02:03+01:00", "2026-11-23T01:02:03.000Z"),
            ("ISO8601", "2026-11-23 02:02:03.5 +0100", "2026-11-23T01:02:03.500Z"),
            ("ISO8601", "2026-11-23T01:02:03.123456789Z", "2026-11-23T01:02:03.123Z"),
            ("HTTPDATE", "23/Nov/2026:02:02:03 +0100", "2026-11-23T01:02:03.000Z"),
            ("UNIX", "1795395723", "2026-11-23T01:02:03.000Z"),
            ("UNIX_MS", "1795395723456", "2026-11-23T01:02:03.456Z"),
            ("UNIX_US", "1795395723456789", "2026-11-23T01:02:03.456Z"),
            ("UNIX_NS", "1795395723456789000", "2026-11-23T01:02:03.456Z"),
            ("EPOCH", "1795395723456", "2026-11-23T01:02:03.456Z"),
            ("%d.%m.%Y %H:%M", "23.11.2026 01:02", "2026-11-23T01:02:00.000Z"),
        ],
    )
    def test_each_format_is_read_and_normalized_to_utc(self, fmt: str, text: str, expected: str) -> None:
        """Each named or strptime format gives the same UTC millisecond string."""
        assert TimeParser([fmt]).parse(text, NOW) == expected

    def test_times_without_a_zone_use_the_parser_zone(self) -> None:
        """A naive time is read in the configured zone, then converted to UTC."""
        assert TimeParser(["ISO8601"], "Europe/Berlin").parse("2026-11-23 02:02:03", NOW) == "2026-11-23T01:02:03.000Z"

    def test_syslog_times_get_this_year_when_they_are_in_the_past(self) -> None:
        """Nov 23 read in November 2026 is 2026."""
        assert TimeParser(["SYSLOG"]).parse("Nov 23 01:02:03", NOW) == "2026-11-23T01:02:03.000Z"

    def test_syslog_times_read_just_after_new_year_belong_to_the_old_year(self) -> None:
        """A Dec 31 line read on 1 January is from the year that just ended."""
        new_year = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
        assert TimeParser(["SYSLOG"]).parse("Dec 31 23:59:59", new_year) == "2026-12-31T23:59:59.000Z"
        assert TimeParser(["SYSLOG"]).parse("Jan  1 00:01:00", new_year) == "2027-01-01T00:01:00.000Z"

    @pytest.mark.parametrize("fmt", [["SYSLOG"], ["%b %d %H:%M:%S"]])
    @pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin"])
    def test_a_yearless_time_seen_again_gets_the_year_inferred_at_the_new_now(self, fmt: list[str], zone: str) -> None:
        """Remembered answers never outlive the inference: a date comes within a day, or the year turns."""
        parser = TimeParser(fmt, zone)

        def year(text: str, now: datetime) -> str:
            return str(parser.parse(text, now))[:4]

        # Nov 25 is more than a day ahead on the 23rd (last year's), not on the 24th afternoon (this year's).
        assert year("Nov 25 12:00:00", NOW) == "2025"
        assert year("Nov 25 12:00:00", datetime(2026, 11, 24, 15, 0, tzinfo=UTC)) == "2026"
        # Jan 1 read on 31 December is this year's past; read a day later, it is the new year's.
        assert year("Jan  1 12:00:00", datetime(2026, 12, 31, 12, 0, tzinfo=UTC)) == "2026"
        assert year("Jan  1 12:00:00", datetime(2027, 1, 1, 13, 0, tzinfo=UTC)) == "2027"

    def test_yearless_strptime_formats_accept_29_february(self) -> None:
        """A leap day without a year parses in a leap year instead of failing."""
        leap = datetime(2028, 3, 1, tzinfo=UTC)
        assert TimeParser(["%m-%d %H:%M:%S.%f"]).parse("02-29 01:02:03.456", leap) == "2028-02-29T01:02:03.456Z"

    def test_formats_are_tried_in_order(self) -> None:
        """The first format that reads the text wins."""
        parser = TimeParser(["HTTPDATE", "ISO8601"])
        assert parser.parse("2026-11-23T01:02:03Z", NOW) == "2026-11-23T01:02:03.000Z"

    @pytest.mark.parametrize(
        "text",
        [
            "garbage",
            "2026-13-45T99:99:99",
            "",
            "99999999999999999999999",
            "Nov  3 23:59:5901234567890",  # fields too large for a C integer
            "23/Nov/2026:01:02:0399999999999999999999 +0000",
        ],
    )
    def test_text_that_is_not_a_time_gives_none(self, text: str) -> None:
        """An unreadable time is None (the caller uses ingest time and tags the event), never an exception."""
        assert TimeParser(["ISO8601", "HTTPDATE", "SYSLOG", "EPOCH"]).parse(text, NOW) is None

    @pytest.mark.parametrize(
        ("fmt", "text"),
        [
            ("ISO8601", "\u0662\u0660\u0662\u0666-11-23 01:02:03,456"),  # Arabic-Indic year
            ("ISO8601", "2026-11-23T0\u0661:02:03Z"),
            ("ISO8601", "\uff12\uff10\uff12\uff16-11-23T01:02:03Z"),  # fullwidth digits
            ("HTTPDATE", "2\u0663/Nov/2026:01:02:03 +0000"),
            ("SYSLOG", "Nov \u0663 01:02:03"),
        ],
    )
    def test_a_time_in_non_ascii_digits_never_reaches_the_index_as_written(self, fmt: str, text: str) -> None:
        """Elasticsearch rejects such a @timestamp: read into ASCII digits, or unreadable (ingest time + tag)."""
        result = TimeParser([fmt]).parse(text, NOW)
        assert result is None or ASCII_UTC.fullmatch(result)

    def test_numbers_are_read_as_epochs_by_magnitude(self) -> None:
        """JSON numbers: 10 digits are seconds, 13 milliseconds."""
        parser = TimeParser(["ISO8601"])
        assert parser.parse(1795395723, NOW) == "2026-11-23T01:02:03.000Z"
        assert parser.parse(1795395723456, NOW) == "2026-11-23T01:02:03.456Z"

    def test_unknown_format_names_and_zones_are_configuration_errors(self) -> None:
        """Mistakes in a parser definition fail at start-up with the fix."""
        with pytest.raises(ConfigError, match="unknown format"):
            TimeParser(["NOT_A_FORMAT"])
        with pytest.raises(ConfigError, match="unknown time zone"):
            TimeParser(["ISO8601"], "Mars/Olympus")


def test_format_utc_always_has_milliseconds_and_z() -> None:
    """Every @timestamp has the same shape, which routing relies on."""
    assert format_utc(datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=UTC)) == "2026-01-02T03:04:05.006Z"


class TestFastPaths:
    """The slicing shortcuts must give exactly what the general converters give, date by date."""

    @pytest.mark.parametrize(
        "now",
        [
            datetime(2026, 1, 1, 0, 30, tzinfo=UTC),
            datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
            datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
            NOW,
        ],
    )
    def test_syslog_dates_agree_with_the_full_year_inference_on_every_day_of_the_year(self, now: datetime) -> None:
        fast = TimeParser(["SYSLOG"])
        months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
        for month in months:
            for day in range(1, 32):
                for clock in ("00:00:01", "12:00:00", "23:59:59.25"):
                    text = f"{month} {day:2d} {clock}"
                    slow = _syslog(text, UTC, now)
                    assert fast.parse(text, now) == (format_utc(slow) if slow else None), (text, now)

    def test_access_log_dates_agree_with_the_full_parser(self) -> None:
        fast = TimeParser(["HTTPDATE"], timezone="Europe/Berlin")
        for month in ("Jan", "Feb", "Nov", "Dec", "Foo"):
            for day in range(1, 32):
                for zone in ("+0000", "-0000", "+0130"):
                    text = f"{day:02d}/{month}/2026:23:59:58 {zone}"
                    slow = _httpdate(text, fast.zone, NOW)
                    assert fast.parse(text, NOW) == (format_utc(slow) if slow else None), text


# The fast paths' languages as one expression each (before heads and tails were checked apart): the
# parser must give what these give where they match, and what the general converter gives elsewhere.
WHOLE = {
    "ISO8601": re.compile(
        r"(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8]))[T ]((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)"
        r"(?:[.,](\d{1,9}))?(?:Z|[+-]00:?00)?",
        re.ASCII,
    ),
    "HTTPDATE": re.compile(
        r"(0[1-9]|1\d|2[0-8])/([A-Z][a-z]{2})/(\d{4}):((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d) [+-]0000", re.ASCII
    ),
    "SYSLOG": re.compile(r"([A-Z][a-z]{2} [ \d]\d) ((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)(?:\.(\d{1,6}))?", re.ASCII),
}
HEADS = {
    "ISO8601": ["2026-11-23T01:02:03", "2026-11-23 23:59:59", "2026-02-28T00:00:00", "2026-11-29T01:02:03"],
    "HTTPDATE": ["23/Nov/2026:01:02:03", "01/Jan/2027:00:00:00", "28/Feb/2026:23:59:59", "29/Nov/2026:01:02:03"],
    "SYSLOG": ["Nov 23 01:02:03", "Nov  3 23:59:59", "Dec 31 00:00:00", "Jan  1 12:00:00"],
}
TAILS = [
    "",
    ".",
    ",",
    ".5",
    ",25",
    ".123456",
    ".123456789",
    ".1234567890",
    "Z",
    "z",
    "+00:00",
    "-0000",
    "+0000",
    "+00:0",
    "+01:00",
    " +0000",
    " -0000",
    " +0100",
    " ",
    "0",
    ":00",
    "00:00",
    "\u0663",
    "\n",
]
NOISE = ["0", "9", "a", "Z", " ", "T", "-", ":", "/", ".", "\u0663", "\uff12", "N", "ö"]


def whole_reference(fmt: str, text: str, now: datetime) -> str | None:
    """The fast paths as one expression each, the general converters behind them (the code before)."""
    m = WHOLE[fmt].fullmatch(text)
    if m is not None and fmt == "ISO8601":
        day, clock, fraction = m.groups()
        return f"{day}T{clock}.{(fraction + '00')[:3] if fraction else '000'}Z"
    if m is not None and fmt == "HTTPDATE":
        day, month, year, clock = m.groups()
        number = {"Nov": "11", "Jan": "01", "Feb": "02"}.get(month)
        if number is not None:
            return f"{year}-{number}-{day}T{clock}.000Z"
    moment = {"ISO8601": _iso8601, "HTTPDATE": _httpdate, "SYSLOG": _syslog}[fmt](text, UTC, now)
    return format_utc(moment) if moment is not None and 1 <= moment.year <= 9999 else None


@pytest.mark.parametrize("fmt", list(WHOLE))
def test_fast_paths_accept_exactly_what_their_whole_expressions_accept(fmt: str) -> None:
    """Heads remembered and tails checked apart give what one expression per shape gave, on 6,000 near-misses."""
    rng = random.Random(fmt)
    parser = TimeParser([fmt])
    for now in (NOW, datetime(2027, 1, 1, 0, 5, tzinfo=UTC)):  # syslog dates change with the day
        for _ in range(3000):
            text = list(rng.choice(HEADS[fmt]) + "".join(rng.choices(TAILS, k=rng.randint(0, 2))))
            for _ in range(rng.choice((0, 0, 1, 2))):
                text[rng.randrange(len(text))] = rng.choice(NOISE)
            if rng.random() < 0.1:
                del text[rng.randrange(len(text)) :]
            line = "".join(text)
            assert parser.parse(line, now) == whole_reference(fmt, line, now), (line, now)


@pytest.mark.parametrize(
    ("tail", "millis"),
    [
        ("", "000"),
        ("Z", "000"),
        (".5", "500"),
        (",25Z", "250"),
        (".123456789+00:00", "123"),
        ("-0000", "000"),
        ("+0000", "000"),
        ("-00:00", "000"),
        ("z", None),
        ("+01:00", None),
        (".1234567890", None),
        ("+00:00Z", None),
        (".", None),
        (".\u0663", None),
        ("Z0000", None),
    ],
)
def test_the_iso_fast_path_takes_every_utc_tail_itself(tail: str, millis: str | None) -> None:
    """Where it declines, the general parser answers the same, only slower: so its language is pinned here."""
    assert _iso_millis("2026-11-23T01:02:03" + tail) == millis

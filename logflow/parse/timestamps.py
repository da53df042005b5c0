"""Event times: many input formats in, one output out (UTC, millisecond ISO 8601 with ``Z``).

A ``TimeParser`` is built once per parser definition (formats and default zone resolved up front)
and memoizes recent inputs: log timestamps repeat for every line in the same second, so most lines
cost one dict lookup. A time that does not parse returns None; the caller uses ingest time and tags
the event, so Elasticsearch never rejects a document for its date.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from logflow.cache import BoundedCache
from logflow.errors import ConfigError

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_CACHE_LIMIT = 4096
# Fast paths for the most common shapes: rewritten by slicing, with no datetime object at all. Each
# shape is a fixed-length head (date and clock, to the second) and a short tail (fraction, zone). A head
# repeats for every line of its second, so ``TimeParser`` checks each head once with these expressions
# and remembers the answer; it checks the tail with string methods. All of them are ASCII-only: each
# fast path copies digits into @timestamp, and "٢٠٢٦" would pass a Unicode `\d` and be rejected there.
#
# ISO 8601 in UTC: `2026-11-23T01:02:03`, then `[.,]` and 1-9 digits, then `Z`, `+00:00`, `-0000`...
# (or nothing). Days after the 28th take the full path, which knows month lengths.
_ISO_HEAD: Final = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])[T ](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d", re.ASCII
)
# Access logs: `23/Nov/2026:01:02:03`, then ` +0000` or ` -0000` (UTC whatever the parser's zone).
_HTTP_HEAD: Final = re.compile(r"(?:0[1-9]|1\d|2[0-8])/[A-Z][a-z]{2}/\d{4}:(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d", re.ASCII)
_HTTP_TAILS: Final = (" +0000", " -0000")
# Syslog without a year: `Nov  3 01:02:03`, then `.` and 1-6 digits or nothing; the date part depends
# on today (see _syslog_day), so these heads are forgotten when the day changes.
_SYSLOG_HEAD: Final = re.compile(r"[A-Z][a-z]{2} [ \d]\d (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d", re.ASCII)
# Final: the compiled build reads these as constants, not from the module's dict on every line.
_ISO: Final = 19  # head lengths
_HTTP: Final = 20
_SYSLOG: Final = 15
_ZERO_ZONES: Final = frozenset(("+00:00", "-00:00", "+0000", "-0000"))
_MONTH_NUMBERS: Final = {name.title(): f"{number:02d}" for name, number in _MONTHS.items() if len(name) == 3}

Converter = Callable[[str, tzinfo, datetime], datetime | None]


def _syslog_day(month_day: str, today: date) -> str | None:
    """`Nov  3` -> `2026-11-03` when the year is certain whatever the time of day, else None.

    The rule of ``_syslog`` (the latest year not more than a day ahead of now) depends on the time
    only for dates next to today; those take the full path.
    """
    month = _MONTHS.get(month_day[:3].lower())
    if month is None:
        return None
    try:
        day = date(today.year, month, int(month_day[4:]))
    except ValueError:
        return None  # 29 Feb outside a leap year, 31 Nov...: the full path decides
    if day <= today:
        return day.isoformat()
    if day > today + timedelta(days=2):
        try:
            return day.replace(year=today.year - 1).isoformat()
        except ValueError:
            return None
    return None


def record_moment(timestamp_ms: int | None) -> datetime | None:
    """A Kafka record's timestamp as a UTC datetime; None when it has none (or an impossible one).

    The record timestamp is the same on every re-read of the record, unlike the clock of whoever
    processes it: what decides a document's index is read from it, never from the clock.
    """
    if timestamp_ms is None or timestamp_ms <= 0:
        return None
    try:
        return datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def format_utc(moment: datetime) -> str:
    """``2026-11-23T01:02:03.456Z``: the one shape every document's ``@timestamp`` has."""
    moment = moment.astimezone(UTC)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:{moment.minute:02d}:"
        f"{moment.second:02d}.{moment.microsecond // 1000:03d}Z"
    )


def resolve_zone(name: str) -> tzinfo:
    if name.upper() in ("UTC", "Z", "GMT"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "timezone", f"unknown time zone {name!r}", "use an IANA name like Europe/Berlin or UTC"
        ) from None


def _iso8601(text: str, zone: tzinfo, now: datetime) -> datetime | None:
    text = text.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    else:
        head, _, zone_text = text.rpartition(" ")
        if head and zone_text[:1] in "+-" and zone_text[1:].replace(":", "").isdigit():
            digits = zone_text[1:].replace(":", "")
            text = f"{head}{zone_text[0]}{digits[:2]}:{digits[2:4] or '00'}"  # "… 01:02:03.456 +01" / " +0100"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _httpdate(text: str, zone: tzinfo, now: datetime) -> datetime | None:
    # 23/Nov/2026:01:02:03 +0000
    try:
        day, month, rest = text.split("/", 2)
        year, hh, mm, tail = rest.split(":", 3)
        ss, offset = tail.split(" ", 1) if " " in tail else (tail, "")
        moment = datetime(int(year), _MONTHS[month.lower()], int(day), int(hh), int(mm), int(ss), tzinfo=zone)
    except (ValueError, KeyError, OverflowError):  # OverflowError: a field of 20 digits
        return None
    if offset:
        sign = -1 if offset[0] == "-" else 1
        digits = offset.lstrip("+-").replace(":", "")
        try:
            delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
        except ValueError:
            return None
        moment = moment.replace(tzinfo=None) - sign * delta
        moment = moment.replace(tzinfo=UTC)
    return moment


def _syslog(text: str, zone: tzinfo, now: datetime) -> datetime | None:
    """``Nov 23 01:02:03`` has no year: take the one that puts the event closest before ``now``."""
    parts = text.split()
    if len(parts) < 3:
        return None
    try:
        month = _MONTHS[parts[0].lower()]
        day = int(parts[1])
        clock = parts[2].split(":")
        hh, mm = int(clock[0]), int(clock[1])
        sec_text = clock[2] if len(clock) > 2 else "0"
        sec, _, frac = sec_text.partition(".")
        micro = int((frac + "000000")[:6]) if frac else 0
        local_now = now.astimezone(zone)
        year = local_now.year
        # Across New Year: a December line read on 1 January belongs to last year; a line more than
        # a day in the future means last year too (clocks skew by minutes, not months).
        candidate = datetime(year, month, day, hh, mm, int(sec), micro, tzinfo=zone)
        if candidate - local_now > timedelta(days=1):
            candidate = candidate.replace(year=year - 1)
    except (ValueError, KeyError, IndexError, OverflowError):  # OverflowError: a field of 20 digits
        return None
    return candidate


def _epoch(scale: float) -> Converter:
    def convert(text: str, zone: tzinfo, now: datetime) -> datetime | None:
        try:
            value = float(text) / scale
            return datetime.fromtimestamp(value, UTC)
        except (ValueError, OverflowError, OSError):
            return None

    return convert


def _epoch_auto(text: str, zone: tzinfo, now: datetime) -> datetime | None:
    """Seconds, ms, µs or ns by magnitude: 10 digits are seconds until the year 2286."""
    digits = text.split(".", 1)[0].lstrip("-")
    if not digits.isdigit():
        return None
    scale = {10: 1.0, 13: 1e3, 16: 1e6, 19: 1e9}.get(len(digits), 1.0 if len(digits) < 12 else 0.0)
    if scale == 0.0:
        return None
    return _epoch(scale)(text, zone, now)


def _infer_year(candidate: datetime, now: datetime, zone: tzinfo) -> datetime:
    """A time without a year is the most recent one not more than a day in the future."""
    local_now = now.astimezone(zone)
    if candidate - local_now > timedelta(days=1):
        return candidate.replace(year=candidate.year - 1)
    return candidate


def _strptime(fmt: str) -> Converter:
    has_year = "%Y" in fmt or "%y" in fmt

    def convert(text: str, zone: tzinfo, now: datetime) -> datetime | None:
        text = text.strip()
        try:
            # Without a year, parse with this year in front (so 29 Feb parses in leap years), then infer it.
            moment = datetime.strptime(text, fmt) if has_year else datetime.strptime(f"{now.year} {text}", f"%Y {fmt}")
        except ValueError:
            if has_year:
                return None
            try:
                moment = datetime.strptime(f"2000 {text}", f"%Y {fmt}")  # 29 Feb outside a leap year
            except ValueError:
                return None
            try:
                moment = moment.replace(year=now.year)
            except ValueError:
                moment = moment.replace(year=now.year - (now.year % 4))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment if has_year else _infer_year(moment, now, zone)

    return convert


_NAMED: dict[str, Converter] = {
    "ISO8601": _iso8601,
    "HTTPDATE": _httpdate,
    "SYSLOG": _syslog,
    "UNIX": _epoch(1.0),
    "UNIX_MS": _epoch(1e3),
    "UNIX_US": _epoch(1e6),
    "UNIX_NS": _epoch(1e9),
    "EPOCH": _epoch_auto,
}


def _near_new_inference(moment: datetime, now: datetime) -> bool:
    """Whether ``moment``'s month and day lie within three days of ``now``'s in some year.

    A yearless time's inferred year flips when ``now`` comes within a day of its date this year, and
    time zones shift that by up to a day: such answers may change during the day, the rest only with it.
    """
    if moment.month == 2 and moment.day == 29:
        return True
    years = (now.year - 1, now.year, now.year + 1)
    return any(abs(moment.replace(year=year) - now) < timedelta(days=3) for year in years)


def _fraction(text: str, start: int, end: int, marks: str, most: int) -> str | None:
    """The milliseconds of ``text[start:end]``: "" -> "000", ".5" -> "500", ",123456" -> "123".

    None unless it is empty or one of ``marks`` and 1 to ``most`` ASCII digits. Indexes, not slices:
    the compiled build reads ``ord(text[k])`` in place.
    """
    if start >= end:
        return "000"
    if end - start - 1 < 1 or end - start - 1 > most or text[start] not in marks:
        return None
    for k in range(start + 1, end):
        c = ord(text[k])
        if c < 48 or c > 57:
            return None
    return (text[start + 1 : min(start + 4, end)] + "00")[:3]


def _iso_millis(text: str) -> str | None:
    """What follows an ISO head: an optional fraction, then an optional UTC zone (`Z`, `+00:00`, `-0000`)."""
    end = len(text)
    if end > _ISO:
        last = text[end - 1]
        if last == "Z":
            end -= 1
        elif last == "0":  # the head ends in `d:dd`, so a zone found here lies in the tail
            if text[end - 6 : end] in _ZERO_ZONES:
                end -= 6
            elif text[end - 5 : end] in _ZERO_ZONES:
                end -= 5
    return _fraction(text, _ISO, end, ".,", 9)


class TimeParser:
    """Tries the configured formats in order; remembers recent answers."""

    def __init__(self, formats: Sequence[str] = ("ISO8601",), timezone: str = "UTC") -> None:
        if not formats:
            raise ConfigError("timestamp.formats", "is empty", 'name at least one format, e.g. ["ISO8601"]')
        self.zone = resolve_zone(timezone)
        self._converters: list[Converter] = []
        # A format without a year gives an answer that depends on `now` (the year is inferred).
        self._yearless = any(fmt == "SYSLOG" or ("%" in fmt and "%Y" not in fmt and "%y" not in fmt) for fmt in formats)
        for fmt in formats:
            if fmt in _NAMED:
                self._converters.append(_NAMED[fmt])
            elif "%" in fmt:
                self._converters.append(_strptime(fmt))
            else:
                raise ConfigError(
                    "timestamp.formats",
                    f"unknown format {fmt!r}",
                    f"use one of {', '.join(_NAMED)} or a strptime pattern with %",
                )
        self._cache: BoundedCache[str, str | None] = BoundedCache(_CACHE_LIMIT)
        # The slicing fast path for the first format, when its result needs no calendar arithmetic:
        # the head length that names it (0: none), and its heads seen lately -> "date`T`clock" ("": not fast).
        first = self._converters[0]
        utc = self.zone is UTC
        self._fast = (
            _ISO
            if utc and first is _iso8601
            else _HTTP
            if first is _httpdate
            else _SYSLOG
            if utc and first is _syslog
            else 0
        )
        self._heads: BoundedCache[str, str] = BoundedCache(_CACHE_LIMIT)
        self._now: datetime | None = None  # the `now` yearless answers were given for (one per batch)
        self._today: date | None = None

    def parse(self, text: str | int | float, now: datetime) -> str | None:
        """The UTC ISO string for ``text``, or None when no format fits."""
        if not isinstance(text, str):
            if isinstance(text, bool):
                return None
            text = str(text)
            converters: list[Converter] = [_epoch_auto]
        else:
            converters = self._converters
            if self._yearless and now is not self._now:
                self._new_now(now)
            fast = self._fast
            if fast:
                base = self._heads.get(text[:fast])
                if base is None:
                    base = self._head(text[:fast], now)
                if base:
                    if fast == _ISO:
                        millis = _iso_millis(text)
                    elif fast == _HTTP:
                        millis = "000" if text[_HTTP:] in _HTTP_TAILS else None
                    else:
                        millis = _fraction(text, _SYSLOG, len(text), ".", 6)
                    if millis is not None:
                        return f"{base}.{millis}Z"
        cached = self._cache.get(text, "")
        if cached != "":
            return cached
        result: str | None = None
        moment: datetime | None = None
        for convert in converters:
            moment = convert(text, self.zone, now)
            if moment is not None and 1 <= moment.year <= 9999:
                try:
                    result = format_utc(moment)
                except (OverflowError, ValueError):
                    result = None
                if result is not None:
                    break
        if self._yearless and moment is not None and _near_new_inference(moment, now):
            return result  # the inferred year may change before the day does: not remembered
        self._cache.put(text, result)
        return result

    def _head(self, head: str, now: datetime) -> str:
        """ "date`T`clock" for a fast head, "" for a head the fast path does not take; remembered."""
        base = ""
        fast = self._fast  # fixed-length heads: their parts are sliced, not read from groups
        if fast == _ISO:
            if _ISO_HEAD.fullmatch(head) is not None:
                base = f"{head[:10]}T{head[11:]}"
        elif fast == _HTTP:
            if _HTTP_HEAD.fullmatch(head) is not None:
                number = _MONTH_NUMBERS.get(head[3:6])
                if number is not None:
                    base = f"{head[7:11]}-{number}-{head[:2]}T{head[12:]}"
        elif _SYSLOG_HEAD.fullmatch(head) is not None:
            stamp = _syslog_day(head[:6], now.date())  # the fast path runs only in UTC, where `now` is
            if stamp is not None:
                base = f"{stamp}T{head[7:]}"
        self._heads.put(head, base)
        return base

    def _new_now(self, now: datetime) -> None:
        """Times without a year are remembered for one day (UTC) of ``now``: a new day may infer another year."""
        self._now = now
        today = now.date()
        if today != self._today:
            self._today = today
            self._heads.clear()
            self._cache.clear()

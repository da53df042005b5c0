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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
# The most common shape of all, already in UTC: rewritten by slicing, no datetime object at all.
# Days after the 28th take the full path, which knows month lengths.
_FAST_ISO = re.compile(
    r"(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8]))[T ]((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)"
    r"(?:[.,](\d{1,9}))?(?:Z|[+-]00:?00)?",
    re.ASCII,  # each fast path copies digits into @timestamp: "٢٠٢٦" would pass `\d` and be rejected there
)
# Access logs: `23/Nov/2026:01:02:03 +0000`. An explicit +0000 is UTC whatever the parser's zone.
_FAST_HTTP = re.compile(
    r"(0[1-9]|1\d|2[0-8])/([A-Z][a-z]{2})/(\d{4}):((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d) [+-]0000",
    re.ASCII,
)
# Syslog without a year: `Nov  3 01:02:03`; the date part is resolved once per day (see _syslog_day).
_FAST_SYSLOG = re.compile(
    r"([A-Z][a-z]{2} [ \d]\d) ((?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)(?:\.(\d{1,6}))?", re.ASCII
)
_MONTH_NUMBERS = {name.title(): f"{number:02d}" for name, number in _MONTHS.items() if len(name) == 3}

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
    except (ValueError, KeyError):
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
    except (ValueError, KeyError, IndexError):
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


class TimeParser:
    """Tries the configured formats in order; remembers recent answers."""

    def __init__(self, formats: Sequence[str] = ("ISO8601",), timezone: str = "UTC") -> None:
        if not formats:
            raise ConfigError("timestamp.formats", "is empty", 'name at least one format, e.g. ["ISO8601"]')
        self.zone = resolve_zone(timezone)
        self._converters: list[Converter] = []
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
        self._cache: dict[str, str | None] = {}
        # Slicing fast paths for the first format, when its result needs no calendar arithmetic.
        first = self._converters[0]
        utc = self.zone is UTC
        self._fast_iso = _FAST_ISO.fullmatch if utc and first is _iso8601 else None
        self._fast_http = _FAST_HTTP.fullmatch if first is _httpdate else None
        self._fast_syslog = _FAST_SYSLOG.fullmatch if utc and first is _syslog else None
        self._days: dict[str, str | None] = {}
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
            if self._fast_iso is not None and (m := self._fast_iso(text)) is not None:
                date, clock, fraction = m.groups()  # one call, not three
                millis = (fraction + "00")[:3] if fraction else "000"
                return f"{date}T{clock}.{millis}Z"
            if self._fast_http is not None and (m := self._fast_http(text)) is not None:
                day, month, year, clock = m.groups()
                number = _MONTH_NUMBERS.get(month)
                if number is not None:
                    return f"{year}-{number}-{day}T{clock}.000Z"
            if self._fast_syslog is not None and (m := self._fast_syslog(text)) is not None:
                month_day, clock, fraction = m.groups()
                stamp = self._syslog_date(month_day, now)
                if stamp is not None:
                    millis = (fraction + "00")[:3] if fraction else "000"
                    return f"{stamp}T{clock}.{millis}Z"
        cached = self._cache.get(text, "")
        if cached != "":
            return cached
        result: str | None = None
        for convert in converters:
            moment = convert(text, self.zone, now)
            if moment is not None and 1 <= moment.year <= 9999:
                try:
                    result = format_utc(moment)
                except (OverflowError, ValueError):
                    result = None
                if result is not None:
                    break
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[text] = result
        return result

    def _syslog_date(self, month_day: str, now: datetime) -> str | None:
        today = now.date()  # the fast path runs only in UTC, where `now` is
        if today != self._today:
            self._today = today
            self._days.clear()
        if month_day in self._days:
            return self._days[month_day]
        result = self._days[month_day] = _syslog_day(month_day, today)
        return result

"""Inference for lines no parser matched: the time, the level and the message of an unknown format.

Most log formats begin with a header: a date and time, a level, then the text. ``infer`` looks for
those two at the start of a line and nowhere else, so a line of an unknown format still gets its
own ``@timestamp``, its ``log.level`` and a ``message`` with that header taken off (the parse stage
tags it ``parse_inferred``). Everything here is a pure function of the line and a reference time.

Times, as the formats' documentation writes them (all read in UTC unless the line gives a zone):

- ISO 8601 / RFC 3339 and their variants: `T`, a blank or `_` between date and time, `.` or `,`
  before 1-9 fraction digits, `Z`, `+01:00`, `+0100`, `+01`, ` +01:00`, ` UTC`/` GMT` or nothing;
  the basic form `20261123T010203Z`; `2026/11/23 01:02:03` (Go's log, nginx); `26/11/23 01:02:03`
  (log4j `yy/MM/dd`); compact `20261123-01:02:03:456`.
- `23/Nov/2026:01:02:03 +0100` (Apache/NCSA, with an optional fraction: HAProxy).
- `Mon Nov 23 01:02:03.456789 2026` (C `ctime`, Apache's error log), `23 Nov 2026 01:02:03.456`
  (Redis), `23-Nov-2026 01:02:03.456` (Tomcat), `Nov 23, 2026 1:02:03 AM` (java.util.logging),
  `Nov 23 2026 01:02:03`, `Nov 23 01:02:03 2026`, `2026 Nov 23 01:02:03` (NX-OS).
- Cisco's system messages (Cisco, "System Message Format", IOS / IOS XE / NX-OS / ASA): after an
  optional sequence number (`000123: `), `service timestamps log datetime [msec] [year]
  [show-timezone]` writes `Nov 23 01:02:03.456` (year inferred, as below), `Nov 23 2026
  01:02:03.456`, ` UTC` after it, and a `:` ends it. The time may begin with a clock-status mark,
  `*` (not authoritative) or `.` (lost its source), glued to it and itself at the start of a token
  (`x*Nov`, `**Nov` are no time).
- Without a year, which is inferred (the latest year that puts the time no more than a day after
  the reference, the record's own time): syslog `Nov 23 01:02:03`, glog/klog `I1123 01:02:03.456789`
  (whose letter is the level), Android's `11-23 01:02:03.456`, and `261123 010203` (HDFS
  `yyMMdd HHmmss`) at the very start of a line only.
- Epoch seconds (10 digits, optional fraction) or milliseconds (13 digits) as the first token,
  delimited by a blank or `]|,;`, and only when plausible: within ten years before the reference
  and a day after it.

A candidate that is not a real date (month 13, 31 November, hour 24) is no time at all: a number
that is not a time is never read as one. Times of day alone are left alone: their date is unknown.

Levels: a level word (``ERROR``, ``Warning``, ``err``, ``DEBUG3``, ``INF``...) or letter (``E``,
``W``...) among the first tokens of the header, bracketed or bare (``[error]``, ``[core:error]``,
``<warn>``, ``|INFO|``, ``ERROR:``, ``level=error``). A bare lower-case word counts only as the
first token after the time (``... error: text``); a letter only when bare and upper-case. The scan
stops at the first token that looks like text, so a level word inside the message is never taken.

Cisco's `%FACILITY-SEVERITY-MNEMONIC:` (`%LINK-3-UPDOWN:`, `%C4K_EBM-4-HOSTFLAPPING:`,
`%PM-SP-4-ERR_DISABLE:`, `%ASA-4-106023:`; upper-case facility parts, one severity digit 0-7, `:`)
among the same header tokens (after the time, after at most one word such as a host name), or at
the start of a line without a date (after a sequence number and an uptime `00:02:58:`, `1d02h:` at
most): its digit is a syslog severity, named as parse/syslog.py names it and normalized as
config/levels.py does (0-2 fatal, 3 error, 4 warn, 5-6 info, 7 debug). Unlike a level word, the
token stays in the message, which begins with it: `%LINK-3-UPDOWN` is the message's identity (what
Cisco documents each message under, what template mining groups by). What sits between the time
and it (a host name, a zone abbreviation) is dropped from the message like any field before a
level. `%d`, `50%`, `%FOO-9-BAR:`, `%link-3-updown:` name no level, nor does such a token in text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from logflow.config.levels import normal_level
from logflow.parse.syslog import SEVERITIES
from logflow.parse.timestamps import format_utc

WINDOW: Final = 100  # characters of a line searched for a time
MAX_PREFIX: Final = 40  # the time starts within this many characters...
MAX_PREFIX_TOKENS: Final = 3  # ...and after at most this many tokens (`<134>`, `E,`, `host`)
MAX_LEVEL_TOKENS: Final = 5  # header tokens scanned for a level
EPOCH_BEFORE: Final = timedelta(days=3653)
AHEAD: Final = timedelta(days=1)

_MONTHS: Final = {
    m: n for n, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}
_MON = r"(?:[Jj]an|[Ff]eb|[Mm]ar|[Aa]pr|[Mm]ay|[Jj]un|[Jj]ul|[Aa]ug|[Ss]ep|[Oo]ct|[Nn]ov|[Dd]ec)"
_DOW = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_CLOCK = r"(?P<H>\d{1,2}):(?P<M>\d{2}):(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?"
_CLOCK2 = r"(?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?"
# A zone right after the clock, or after a blank when it cannot be a number of the text (`+01:00`, `-0700`).
_ZONE = r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?|\s[+-]\d{2}:?\d{2}|\s(?:UTC|GMT))?(?![A-Za-z0-9])"
_B = r"(?<![\w.:/+-])"  # a time starts at a token boundary
# The same for the forms Cisco writes, where a time may begin with a clock-status mark glued to it:
# `*` (clock not authoritative) or `.` (clock lost its source), itself at the start of a token.
_BM = r"(?<![\w:/+-])(?<!\S[*.])"
_NAMED_ZONE = r"(?P<z>\s(?:UTC|GMT))?"  # Cisco's `show-timezone`, when the zone is UTC

# Each form: a regex with the groups Y (or y: two digits), m or mon (name), d, H, M, S, f, z, ampm,
# and what the form needs of the reference (a year inferred). Tried in order; the earliest match wins.
_FORMS: Final = [
    ("iso", re.compile(_B + r"(?P<Y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})[T _]" + _CLOCK2 + _ZONE, re.ASCII)),
    (
        "basic",
        re.compile(
            _B + r"(?P<Y>\d{4})(?P<m>\d{2})(?P<d>\d{2})T(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?"
            r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?(?![A-Za-z0-9])",
            re.ASCII,
        ),
    ),
    (
        "compact",
        re.compile(
            _B + r"(?P<Y>\d{4})(?P<m>\d{2})(?P<d>\d{2})-" + _CLOCK2.replace("[.,]", "[.,:]") + r"(?!\d)", re.ASCII
        ),
    ),
    ("slash", re.compile(_B + r"(?P<Y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})[T ]" + _CLOCK2 + _ZONE, re.ASCII)),
    ("yslash", re.compile(_B + r"(?P<y>\d{2})/(?P<m>\d{2})/(?P<d>\d{2}) " + _CLOCK2 + r"(?!\d)", re.ASCII)),
    (
        "http",
        re.compile(
            _B + r"(?P<d>\d{2})/(?P<mon>" + _MON + r")/(?P<Y>\d{4}):" + _CLOCK2 + r"(?P<z>\s[+-]\d{4})?(?!\d)",
            re.ASCII,
        ),
    ),
    (
        "ctime",
        re.compile(
            _B + _DOW + r",? (?P<mon>" + _MON + r") {1,2}(?P<d>\d{1,2}) " + _CLOCK2 + r" (?P<Y>\d{4})(?!\d)", re.ASCII
        ),
    ),
    (
        "dmy",
        re.compile(_B + r"(?P<d>\d{1,2})[ -](?P<mon>" + _MON + r")[ -](?P<Y>\d{4})[ :]" + _CLOCK2 + _ZONE, re.ASCII),
    ),
    (
        "mdy",
        re.compile(
            _BM
            + r"(?P<mon>"
            + _MON
            + r") {1,2}(?P<d>\d{1,2}),? (?P<Y>\d{4}) "
            + _CLOCK
            + r"(?: (?P<ampm>[AaPp][Mm]))?"
            + _NAMED_ZONE
            + r"(?!\w|:\S|[.,]\d)",  # a `:` may end it (Cisco), a fraction is read whole or not at all
            re.ASCII,
        ),
    ),
    (
        "syslog",
        re.compile(
            _BM
            + r"(?P<mon>"
            + _MON
            + r") {1,2}(?P<d>\d{1,2}) "
            + _CLOCK2
            + r"(?: (?P<Y>\d{4}))?"
            + _NAMED_ZONE
            + r"(?!\d|:\d)",
            re.ASCII,
        ),
    ),
    (  # NX-OS: `2026 Oct  5 06:00:24[.187]`
        "ymd_name",
        re.compile(
            _BM + r"(?P<Y>\d{4}) (?P<mon>" + _MON + r") {1,2}(?P<d>\d{1,2}) " + _CLOCK2 + _NAMED_ZONE + r"(?!\d|:\d)",
            re.ASCII,
        ),
    ),
    ("glog", re.compile(r"(?P<L>[IWEF])(?P<m>\d{2})(?P<d>\d{2}) " + _CLOCK2 + r"(?!\d)", re.ASCII)),
    ("mdclock", re.compile(r"(?P<m>\d{2})-(?P<d>\d{2}) " + _CLOCK2 + r"(?!\d)", re.ASCII)),
    (
        "yymmdd",
        re.compile(r"(?P<y>\d{2})(?P<m>\d{2})(?P<d>\d{2}) (?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})(?![\d:])", re.ASCII),
    ),
    ("epoch", re.compile(r"\[?(?P<e>\d{10}(?:\.\d{1,6})?|\d{13})(?=[\s\]|,;]|$)", re.ASCII)),
]
# Forms read only at the very start of a line (their shapes are too plain to look for further in).
_ANCHORED: Final = frozenset(("glog", "mdclock", "yymmdd", "epoch"))
# A character each form cannot do without: most lines skip most expressions with one `in` test.
_NEEDS: Final = {"iso": "-", "compact": "-", "slash": "/", "yslash": "/", "http": "/", "basic": "T"}
_BY_NAME: Final = frozenset(("ctime", "dmy", "mdy", "syslog", "ymd_name"))  # forms with a month name
_MONTH_NAME: Final = re.compile(_MON)
_TIME_OF_DAY: Final = re.compile(r"\[?\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?\]?(?= )", re.ASCII)
_GLOG_LEVELS: Final = {"I": "info", "W": "warn", "E": "error", "F": "fatal"}

# Level words the formats write, to the six ECS levels (as the enrich stage maps them).
LEVEL_WORDS: Final = {
    **dict.fromkeys(("trace", "trc", "trce", "finest", "finer", "verbose", "vrb"), "trace"),
    **dict.fromkeys(
        ("debug", "dbg", "dbug", "fine", "config", "debug1", "debug2", "debug3", "debug4", "debug5"), "debug"
    ),
    **dict.fromkeys(
        ("info", "inf", "information", "informational", "notice", "note", "log", "statement", "detail", "hint"), "info"
    ),
    **dict.fromkeys(("warn", "wrn", "warning"), "warn"),
    **dict.fromkeys(("error", "err", "eror", "severe", "fail"), "error"),
    **dict.fromkeys(("fatal", "ftl", "critical", "crit", "alert", "emerg", "emergency", "panic"), "fatal"),
}
# Words that name a level only in upper case, in brackets or before `:` (`LOG:` is PostgreSQL's,
# `fail:` .NET's; "log", "note" and "fail" are words of text too).
_WEAK_WORDS: Final = frozenset(
    [
        "log",
        "fine",
        "config",
        "alert",
        "notice",
        "note",
        "information",
        "panic",
        "verbose",
        "critical",
        "fail",
        "statement",
        "detail",
        "hint",
        "trce",
        "dbug",
    ]
)
# Cisco's message identity, `%FACILITY-SEVERITY-MNEMONIC:` ("System Message Format" of IOS, IOS XE,
# NX-OS, ASA): a facility of upper-case parts joined by `-` (`LINK`, `C4K_EBM`, `PM-SP`), a severity
# digit 0-7 (syslog's), a mnemonic (`UPDOWN`, `106023`), then `:`. A facility part needs a letter,
# so `%A-1-2-B:` is not read two ways.
_CISCO_PART = r"[A-Z0-9_]*[A-Z][A-Z0-9_]*"
_CISCO: Final = re.compile(r"%" + _CISCO_PART + r"(?:-" + _CISCO_PART + r")*-(?P<s>[0-7])-[A-Z0-9_]+:", re.ASCII)
# The severity as a level: syslog's name for it (parse/syslog.py), normalized as the enrich stage does.
CISCO_LEVELS: Final = tuple(normal_level(name) for name in SEVERITIES)
# What may precede the `%` token of a Cisco line without a date: a sequence number and an uptime
# (`00:02:58:`, `00:02:58.123:`, `1d02h:`, `2w3d:`), `service sequence-numbers` and `timestamps log uptime`.
_CISCO_LEAD: Final = re.compile(
    r"(?:\d{1,10}: )?(?:(?:\d{1,4}:\d{2}:\d{2}(?:\.\d{1,3})?|\d{1,4}[ywd]\d{1,2}[wdh]): )?", re.ASCII
)
LEVEL_LETTERS: Final = {"V": "trace", "T": "trace", "D": "debug", "I": "info", "W": "warn", "E": "error", "F": "fatal"}
_TOKEN = re.compile(r"[^\s|]+")
_OPEN = "[(<{"
_CLOSE = "])>}"
_DECOR = "[]()<>{}:;,=*"
_LEAD = re.compile(r"[\s|:;,\]>)}]*(?:-+(?=\s)[\s|:;,]*)?")  # what separates a header from its text


@dataclass(frozen=True, slots=True)
class Inferred:
    """What a line's header says: its time (UTC ISO string), its level (ECS name), and the rest."""

    timestamp: str | None
    level: str | None
    message: str


def _year(yearless: datetime, reference: datetime) -> int:
    """The latest year that puts ``yearless`` (its year ignored) no more than a day after ``reference``.

    29 February goes to the latest leap year that does.
    """
    year = reference.year
    for candidate in range(year + 1, year - 8, -1):
        try:
            moment = yearless.replace(year=candidate)
        except ValueError:
            continue
        if moment - reference <= AHEAD:
            return candidate
    return year


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    text = text.strip()
    if text in ("Z", "UTC", "GMT"):
        return UTC
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
    if minutes >= 24 * 60:
        raise ValueError("offset out of range")
    return timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))


def _moment(form: str, m: re.Match[str], reference: datetime) -> datetime | None:
    """The time a match names, or None when it names none (an impossible date, an implausible epoch)."""
    g = m.groupdict()
    try:
        if form == "epoch":
            whole, _, fraction = g["e"].partition(".")  # digits, not a float: 1483228800.001 is not .000999
            if len(whole) == 13:
                seconds, micro = divmod(int(whole), 1000)
                micro *= 1000
            else:
                seconds, micro = int(whole), int((fraction + "000000")[:6])
            moment = datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=micro)
            if not reference - EPOCH_BEFORE <= moment <= reference + AHEAD:
                return None
            return moment
        month = _MONTHS[g["mon"].lower()] if g.get("mon") else int(g["m"])
        day = int(g["d"])
        hour, minute, second = int(g["H"]), int(g["M"]), int(g["S"])
        ampm = g.get("ampm")
        if ampm:
            if not 1 <= hour <= 12:
                return None
            hour = hour % 12 + (12 if ampm.lower() == "pm" else 0)
        fraction = g.get("f") or ""
        micro = int((fraction + "000000")[:6]) if fraction else 0
        if g.get("Y"):
            year = int(g["Y"])
        elif g.get("y"):
            year = 2000 + int(g["y"])
        else:
            year = 0
        zone = _zone(g.get("z")) or UTC
        if year == 0:  # 2000 is a leap year: any month/day is valid in it
            year = _year(datetime(2000, month, day, hour, minute, second, micro, tzinfo=zone), reference)
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
        if form in ("yymmdd", "yslash") and not reference - timedelta(days=7305) <= moment <= reference + AHEAD:
            return None  # two-digit years: only when plausible
        return moment
    except (ValueError, KeyError, OverflowError, OSError):
        return None


def find_time(head: str, reference: datetime) -> tuple[datetime, int, int, str] | None:
    """The first time near the start of ``head``: (moment, start, end, form), or None."""
    window = head[:WINDOW]
    if not any(c.isdigit() for c in window[: MAX_PREFIX + 12]):
        return None
    best: tuple[datetime, int, int, str] | None = None
    near = window[: MAX_PREFIX + 40]
    named = _MONTH_NAME.search(near) is not None
    for form, regex in _FORMS:
        if form in _BY_NAME and not named:
            continue
        if form in _ANCHORED:
            m = regex.match(window)
        else:
            need = _NEEDS.get(form)
            if need is not None and need not in near:
                continue
            m = regex.search(window, 0, MAX_PREFIX + 40)
        if m is None or m.start() > MAX_PREFIX or (best is not None and m.start() >= best[1]):
            continue
        if sum(1 for token in window[: m.start()].split() if any(c.isalnum() for c in token)) > MAX_PREFIX_TOKENS:
            continue  # `[`, `-` and other punctuation do not count
        moment = _moment(form, m, reference)
        if moment is not None:
            best = (moment, m.start(), m.end(), form)
    return best


def _level_of(token: str, first: bool) -> str | None:
    """The ECS level a header token names, or None.

    Upper case (``ERROR``, ``WRN``), bracketed (``[error]``, ``<warn>``, ``[core:error]``), before a
    colon (``error:``) or in ``level=`` always count; a capitalized word (``Info``) only as the first
    word of the header and not one of the words text uses too; a letter only bare and upper-case.
    """
    core = token.strip(_DECOR)
    marked = token[:1] in _OPEN or token.endswith(":")
    if "=" in core:  # level=error, severity=WARN
        key, _, value = core.partition("=")
        if key.lower() not in ("level", "lvl", "severity", "loglevel"):
            return None
        core, marked = value.strip("\"'"), True
    if ":" in core:  # [core:error] (Apache 2.4's module:level)
        if token[:1] not in _OPEN:
            return None
        core = core.rpartition(":")[2]
    if len(core) == 1:
        return LEVEL_LETTERS.get(core) if token == core else None
    level = LEVEL_WORDS.get(core.lower())
    if level is None:
        return None
    if core.isupper() or marked:
        return level
    if first and core.istitle() and core.lower() not in _WEAK_WORDS:
        return level
    return None


def _header_like(token: str) -> bool:
    """Tokens a header carries before its level: `[main]`, `1234`, `1234#0:`, `-`, `[pid 12:tid 3]`, `k=v`."""
    if token[:1] in _OPEN or token[-1:] in _CLOSE or "=" in token[1:-1]:
        return True
    return not any(c.isalpha() for c in token)


def find_level(text: str, start: int) -> tuple[str, int, int] | None:
    """The level among the first header tokens of ``text[start:]``: (level, start, end), or None.

    The scan passes header tokens (numbers, bracketed groups, dashes) and at most one word (a logger
    or component name, `simple_example - ERROR`), after which only an upper-case level word counts.
    """
    bracket = 0  # inside a bracketed group of several tokens (`[pid 12:tid 34]`)
    words = 0
    seen_alnum = False
    for count, m in enumerate(_TOKEN.finditer(text, start, start + 80)):
        token = m.group()
        if not bracket:
            cisco = _CISCO.match(token) if token[0] == "%" else None
            if cisco is not None:  # the level of a Cisco line; the token stays in the message, its identity
                return CISCO_LEVELS[int(cisco["s"])], m.start(), m.start()
            # `WARNING:root:msg` (Python's default format): an upper-case level word and `:` begin the token.
            word = token.partition(":")[0]
            if word != token and word.isupper() and token[:1] not in _OPEN:
                candidate, length = word, len(word) + 1
            else:
                candidate, length = token, len(token)
            if words == 0:
                level = _level_of(candidate, not seen_alnum)
            else:
                core = candidate.strip(_DECOR)
                level = LEVEL_WORDS.get(core.lower()) if len(core) > 2 and core.isupper() else None
            if level is not None:
                return level, m.start(), m.start() + length
        bracket = max(bracket + token.count("[") - token.count("]"), 0)
        seen_alnum = seen_alnum or any(c.isalnum() for c in token)
        if not (bracket or _header_like(token)):
            words += 1
        if count + 1 >= MAX_LEVEL_TOKENS or words > 1:
            return None
    return None


def infer(head: str, reference: datetime, second: str = "") -> Inferred | None:
    """The time, level and message of a line's header (None: the line shows neither).

    ``head`` is the line (the first line of a record), ``second`` the record's next line if any
    (java.util.logging writes the level there: `SEVERE: text`); ``reference`` is the record's time,
    against which a missing year is inferred and an epoch judged plausible. The message is the
    rest of ``head``.
    """
    found = find_time(head, reference)
    level: str | None = None
    end = 0
    if found is not None:
        moment, start, end, form = found
        if form == "glog":
            level = _GLOG_LEVELS[head[0]]
        else:
            before = find_level(head[:start], 0) if start else None
            after = find_level(head, end)
            if after is not None:
                level, end = after[0], after[2]
            elif before is not None:
                level = before[0]
            elif second:
                word = second.partition(":")[0]
                if word.isupper() and second[len(word) : len(word) + 2] == ": ":
                    level = LEVEL_WORDS.get(word.lower())
        timestamp: str | None = format_utc(moment)
    else:
        timestamp = None
        if head[1:2] == "/" and head[:1] in LEVEL_LETTERS:  # logcat's brief format: `W/Tag( 123): text`
            return Inferred(None, LEVEL_LETTERS[head[0]], head[2:].rstrip())
        lead = _CISCO_LEAD.match(head) if "%" in head[:MAX_PREFIX] else None
        start = lead.end() if lead is not None else 0
        cisco = _CISCO.match(head, start) if lead is not None else None
        if cisco is not None:  # `%ASA-4-106023: text`, `000123: 00:02:58: %LINK-3-UPDOWN: text`
            return Inferred(None, CISCO_LEVELS[int(cisco["s"])], head[start:].rstrip())
        clock = _TIME_OF_DAY.match(head)  # `01:02:03.456 [error] text`: a level, but no date to know
        at_start = find_level(head, clock.end() if clock else 0)
        if at_start is None or (clock is None and at_start[1] > 1):
            return None  # without a clock in front, only a level that begins the line
        level, end = at_start[0], at_start[2]
    lead = _LEAD.match(head, end)
    return Inferred(timestamp, level, head[lead.end() if lead else end :].rstrip())

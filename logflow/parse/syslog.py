"""Syslog priority: ``<PRI>`` to facility, severity and ``log.level``.

RFC 5424 §6.2.1 (and RFC 3164 §4.1.1): ``PRI = facility * 8 + severity``, an integer 0..191;
anything else is not a PRI and nothing is derived from it. The names are the keywords syslog
daemons use (RFC 5424 tables 1 and 2, rsyslog's ``syslogfacility-text``/``syslogseverity-text``).
The severity name becomes ``log.level`` when the event has no level of its own; the enrich stage
maps it to the six ECS levels (``err`` -> error, ``crit`` -> fatal, ``notice`` -> info), so a
``<11>`` line routes to the errors index even when its text says nothing.
"""

from __future__ import annotations

from typing import Any, Final

FACILITIES: Final = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
    "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip
SEVERITIES: Final = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")
PRIORITY: Final = "log.syslog.priority"
FACILITY_CODE: Final = "log.syslog.facility.code"
SEVERITY_CODE: Final = "log.syslog.severity.code"


def _code(value: Any, limit: int) -> int | None:
    """An integer in ``0..limit-1`` (a numeric string too: rsyslog writes ``"pri":"38"``), else None."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit() and len(value) <= 3):
            return None
        value = int(value)
    if type(value) is not int or not 0 <= value < limit:
        return None
    return value


def split_priority(priority: Any) -> tuple[int, int] | None:
    """``(facility, severity)`` of a PRI value, or None when it is not one (not an integer in 0..191)."""
    code = _code(priority, 192)
    return None if code is None else divmod(code, 8)


def derive(doc: dict[str, Any]) -> None:
    """Facility and severity codes and names, and ``log.level``, from what the document already has.

    Reads ``log.syslog.priority`` or, without it, the codes already split (rsyslog's
    ``syslogfacility``/``syslogseverity``). Codes are written as integers; names and the level never
    overwrite ones the event has.
    """
    pair = split_priority(doc.get(PRIORITY))
    if pair is not None:
        facility: int | None
        severity: int | None
        facility, severity = pair
        doc[PRIORITY] = facility * 8 + severity
    else:
        facility = _code(doc.get(FACILITY_CODE), len(FACILITIES))
        severity = _code(doc.get(SEVERITY_CODE), len(SEVERITIES))
    if facility is not None:
        doc[FACILITY_CODE] = facility
        doc.setdefault("log.syslog.facility.name", FACILITIES[facility])
    if severity is not None:
        doc[SEVERITY_CODE] = severity
        name = SEVERITIES[severity]
        doc.setdefault("log.syslog.severity.name", name)
        doc.setdefault("log.level", name)

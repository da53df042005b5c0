"""Level names as logs spell them, to the six ECS levels: ``trace debug info warn error fatal``.

Python, Java (log4j, JUL), syslog severities and keywords, pino/bunyan numbers and PostgreSQL's
message levels all map here; anything else is kept lowercased as it came. The table lives with the
configuration because both read it: the enrich stage normalizes with it, and the configuration
refuses a routing rule level that ``log.level`` can never hold (``"eror"`` is normalized to ``error``).
"""

from __future__ import annotations

LEVELS: dict[str, str] = {
    **{k: "trace" for k in ("trace", "trc", "finest", "finer", "verbose", "v", "10")},
    **{
        k: "debug"
        for k in ("debug", "dbg", "fine", "config", "d", "20", "7", "debug1", "debug2", "debug3", "debug4", "debug5")
    },
    **{
        k: "info"
        for k in (
            "info",
            "inf",
            "information",
            "informational",
            "notice",
            "i",
            "30",
            "6",
            "5",
            "log",
            "statement",
            "detail",
            "hint",
            "context",
            "query",
            "location",
        )
    },
    **{k: "warn" for k in ("warn", "wrn", "warning", "w", "40", "4")},
    **{k: "error" for k in ("error", "err", "eror", "severe", "e", "50", "3")},
    **{
        k: "fatal"
        for k in (
            "fatal",
            "ftl",
            "critical",
            "crit",
            "alert",
            "emerg",
            "emergency",
            "panic",
            "f",
            "a",
            "60",
            "2",
            "1",
            "0",
        )
    },
}
ECS_LEVELS = ("trace", "debug", "info", "warn", "error", "fatal")
ERROR_LEVELS = frozenset({"error", "fatal"})


def normal_level(name: str) -> str:
    """What ``log.level`` holds for a level spelt ``name``: one of ``ECS_LEVELS``, or the name lowercased."""
    key = name.strip().lower()
    return LEVELS.get(key, key)

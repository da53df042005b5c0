"""The worker's own logs: one stream on stderr, JSON in production, pretty on a terminal.

logflow logs through structlog; aiokafka, elasticsearch, aiohttp and every other library log
through the standard ``logging`` module. Both go through the same processors and the same renderer
(stdlib records via a ``ProcessorFormatter`` on the root logger), so a log collector sees one
format: one JSON object per line, whoever wrote it. Library records carry their ``logger`` name.

Formats (``log.format``): ``json``; ``ecs``, JSON with Elastic Common Schema field names
(``@timestamp``, ``log.level``, ``message``, ``log.logger``, ``error.stack_trace``,
``ecs.version``), for shippers that index the worker's logs as they are; ``console`` for people;
``auto`` is ``console`` on a terminal, ``json`` otherwise.

Every line passes ``mask_secrets`` last before rendering: URL userinfo
(``http://user:pass@host`` -> ``http://***@host``), the values of credential-looking keys
(``password``, ``token``, ``api_key``, ``authorization``, ...), ``key=value`` credentials and
``Basic``/``Bearer``/``ApiKey`` header values inside any string, including library messages and
tracebacks, and every secret value the settings hold (``config.secrets.remember``), whatever
surrounds it. A secret never reaches the stream, and neither does a partial form of it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from logflow.config.secrets import mask_known

MASK = "***"
ECS_VERSION = "8.11.0"
#: Words that make a key a credential's name (`sasl_password`, `x-api-key`, `auth.token`); compared per word.
SECRET_WORDS = frozenset(
    {"password", "passwd", "passphrase", "pwd", "secret", "token", "apikey", "authorization", "cookie", "credentials"}
)
SECRET_PAIRS = ("api_key", "access_key", "private_key", "secret_key", "client_secret")
_CREDENTIAL_NAME = (
    r"(?:password|passwd|passphrase|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key|"
    r"authorization|credentials?)"
)
#: Everything between `scheme://` and an `@` before the next space or quote: a password with a raw `/`
#: or `?` is not valid userinfo, but it is still a password, so masking errs towards too much.
_SCHEME_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s@\"'<>]+@")
#: `password=x`, `"token": "x"`, `Authorization: Basic x`: the key kept, the value (up to a space,
#: quote or separator) masked.
_KEY_VALUE = re.compile(
    rf"(?i)((?<![A-Za-z0-9])(?:[\w.\-]*[_.\-])?{_CREDENTIAL_NAME}(?![A-Za-z0-9])[\"']?\s*[=:]\s*[\"']?)"
    r"((?:basic|bearer|apikey|digest)\s+)?([^\s\"',;&)}\]]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|apikey)(\s+)[A-Za-z0-9+/=._~\-]{8,}")
_HANDLER_MARK = "_logflow_handler"


def mask_text(text: str) -> str:
    """``text`` with URL userinfo, ``key=value`` credentials and header credentials replaced by ``***``."""
    if "@" in text:
        text = _SCHEME_USERINFO.sub(rf"\1{MASK}@", text)
    text = _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2) or ''}{MASK}", text)
    return mask_known(_BEARER.sub(rf"\1\2{MASK}", text), MASK)  # and the settings' secrets, in any shape


def is_secret_key(key: str) -> bool:
    """Whether ``key`` names a credential: one of its words is a secret word, or it holds a secret pair."""
    name = key.lower().replace("-", "_")
    return bool(SECRET_WORDS.intersection(re.split(r"[._]", name))) or any(pair in name for pair in SECRET_PAIRS)


def _mask_value(key: str | None, value: Any) -> Any:
    if key is not None and is_secret_key(key) and value is not None and not isinstance(value, int | float | Mapping):
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, Mapping):
        return {k: _mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_mask_value(None, v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return mask_text(str(value))


def mask_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Structlog processor: every value of the event, masked (see the module docstring)."""
    return {key: value if key.startswith("_") else _mask_value(key, value) for key, value in event_dict.items()}


def _add_logger_name(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    record = event_dict.get("_record")
    if record is not None and not event_dict.get("_from_structlog"):
        event_dict.setdefault("logger", record.name)
    return event_dict


_ECS_NAMES = {
    "timestamp": "@timestamp",
    "level": "log.level",
    "event": "message",
    "logger": "log.logger",
    "exception": "error.stack_trace",
}


def ecs_keys(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Rename the standard keys to their ECS fields; add ``ecs.version``. Other keys stay as given."""
    out: EventDict = {"@timestamp": event_dict.pop("timestamp", None)}
    for key, value in event_dict.items():
        out[_ECS_NAMES.get(key, key)] = value
    out["ecs.version"] = ECS_VERSION
    return out


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler that writes to the current ``sys.stderr`` (test runners and daemons swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)


def processors_for(fmt: str) -> tuple[list[Processor], list[Processor]]:
    """(shared, final): the chain every record runs, then masking, key names and the renderer of ``fmt``."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        # Tracebacks become text here, so the masking below sees them in every format.
        structlog.processors.format_exc_info,
    ]
    final: list[Processor] = [mask_secrets]
    if fmt == "ecs":
        final.append(ecs_keys)
    if fmt in ("json", "ecs"):
        final.append(structlog.processors.JSONRenderer())
    else:
        final.append(structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty()))
    return shared, final


def configure_logging(fmt: str = "auto", level: str = "info") -> None:
    """Send logflow's and every library's log records to stderr in one format, at ``level`` and above."""
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    shared, final = processors_for(fmt)
    threshold = getattr(logging, level.upper())
    structlog.configure(
        processors=[*shared, *final],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        # Resolve sys.stderr at each use, not once: test runners and daemons swap the stream.
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    foreign = [_brief_exception, *shared] if threshold > logging.DEBUG else shared
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=foreign,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    root = logging.getLogger()
    _install(root, formatter, threshold)
    root.setLevel(threshold)
    # Loggers that do not propagate would miss the root handler and fall to logging's last resort (plain
    # text, unmasked): they get their own. elastic_transport's node logger is one; it logs every request
    # at info, so below debug it shows warnings and worse only.
    quiet = max(threshold, logging.WARNING) if threshold > logging.DEBUG else threshold
    for name in QUIET_LOGGERS:  # and their children, which propagate to the root handler
        logging.getLogger(name).setLevel(quiet)
    for name in {*NON_PROPAGATING, *_non_propagating()}:
        _install(logging.getLogger(name), formatter, quiet if name.startswith(QUIET_LOGGERS) else threshold)


def _brief_exception(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """A library's record with an exception (a transport retrying, say) carries the exception's one line,
    not its traceback: the caller reports the failure that matters. At debug the traceback stays."""
    exc_info = event_dict.get("exc_info")
    if exc_info:
        exc = exc_info[1] if isinstance(exc_info, tuple) else exc_info if isinstance(exc_info, BaseException) else None
        event_dict.pop("exc_info", None)
        if exc is not None:
            event_dict["exception"] = f"{type(exc).__name__}: {exc}"  # structlog's key: every format names it alike
    return event_dict


#: Libraries that log every request (and every retried failure) at info: below debug they show
#: warnings and worse only.
QUIET_LOGGERS = ("elastic_transport",)
#: Loggers that do not propagate, known before they exist (elastic_transport's node logger, its
#: authors' choice, kept): each gets a handler of its own.
NON_PROPAGATING = ("elastic_transport.node",)


def _non_propagating() -> list[str]:
    loggers = logging.root.manager.loggerDict.items()
    return [name for name, logger in loggers if isinstance(logger, logging.Logger) and not logger.propagate]


def _install(logger: logging.Logger, formatter: logging.Formatter, level: int) -> None:
    """Replace the handler we gave ``logger`` before (if any) with one at ``level``."""
    for old in [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]:
        logger.removeHandler(old)
    handler = _StderrHandler()
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(formatter)
    handler.setLevel(level)
    logger.addHandler(handler)

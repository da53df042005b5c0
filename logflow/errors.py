"""Every exception logflow raises on purpose.

    LogflowError
    ├── ConfigError          bad configuration: exit code 2; names the key and the fix
    │   ├── ConfigErrors     several at once: every problem found, each with its key and fix
    │   └── ParserDefinitionError   a parser or pattern file that does not load (file and line)
    ├── RecordError          one record cannot become a document (goes to the dead-letter topic)
    │   ├── DecodeError      bytes that are not UTF-8, empty records
    │   └── ParseError       no parser matched where one had to
    ├── DeliveryError        Elasticsearch or the dead-letter topic did not take what it must
    └── ServerError          an embedded test/demo server did not start or answer

Record errors carry a short, bounded ``error_type`` (for metrics and dead-letter headers) and a
human ``reason``; nothing per-record is ever raised past the batch that contains it.
"""

from __future__ import annotations


class LogflowError(Exception):
    """Base class: catch this to catch everything logflow raises deliberately."""


class ConfigError(LogflowError):
    """The configuration is wrong; the message names the key and what to do."""

    def __init__(self, key: str, problem: str, fix: str = "") -> None:
        self.key = key
        self.problem = problem
        self.fix = fix
        text = f"{key}: {problem}"
        if fix:
            text += f" (fix: {fix})"
        super().__init__(text)


class ConfigErrors(ConfigError):
    """Every problem the configuration has, found in one pass, so a user fixes them all in one go."""

    def __init__(self, problems: list[ConfigError]) -> None:
        self.problems = problems
        first = problems[0]
        super().__init__(first.key, first.problem, first.fix)
        self.args = ("\n".join(str(p) for p in problems),)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ParserDefinitionError(ConfigError):
    """A parser definition or pattern library file is invalid."""

    def __init__(self, path: str, line: int | None, problem: str, fix: str = "") -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(where, problem, fix)
        self.path = path
        self.line = line


class RecordError(LogflowError):
    """One record cannot be turned into a document."""

    error_type = "record_error"

    def __init__(self, reason: str, error_type: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        if error_type is not None:
            self.error_type = error_type


class DecodeError(RecordError):
    """The record's bytes cannot be read as a log line or JSON object."""

    error_type = "decode_error"


class ParseError(RecordError):
    """No parser could make sense of the line."""

    error_type = "parse_error"


class DeliveryError(LogflowError):
    """A sink did not acknowledge what it was given within the retry policy."""


class ServerError(LogflowError):
    """An embedded server (Tansu, osmem) failed to start or to answer."""

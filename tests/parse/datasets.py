"""The eight Loghub-2k datasets as parser test cases: shared by tests/parse/test_loghub.py and
bench/loghub_parsers.py. Data: Loghub (https://github.com/logpai/loghub), a copy of the 2k samples in
tests/data/loghub with its LICENSE and CITATION, so every clone can run the tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from logflow.config import Settings

LOGHUB = Path(__file__).resolve().parents[1] / "data" / "loghub"

# Redaction is a later, separate stage that masks text on purpose (`Token: Token {...}` in one Hadoop
# line reads as a secret); the parsers are measured without it.
PARSER_ONLY = Settings.model_validate({"redaction": {"enabled": False}})


@dataclass(frozen=True, slots=True)
class Dataset:
    """One Loghub dataset: the hint that routes it, the parser that must read it, its header fields."""

    name: str
    hint: str
    parser: str
    headers: tuple[str, ...]


DATASETS = (
    Dataset("HDFS", "hdfs", "java", ("@timestamp", "log.level", "log.logger", "process.pid")),
    Dataset("Hadoop", "hadoop", "java", ("@timestamp", "log.level", "log.logger", "process.thread.name")),
    Dataset("Spark", "spark", "java", ("@timestamp", "log.level", "log.logger")),
    Dataset(
        "Zookeeper",
        "zookeeper",
        "java",
        ("@timestamp", "log.level", "log.logger", "process.thread.name", "log.origin.file.line"),
    ),
    Dataset("OpenSSH", "openssh", "syslog", ("@timestamp", "host.hostname", "process.name", "process.pid")),
    Dataset("Linux", "linux", "syslog", ("@timestamp", "host.hostname", "process.name")),
    Dataset("Apache", "apache", "apache.error", ("@timestamp", "log.level")),
    Dataset(
        "Thunderbird",
        "thunderbird",
        "hpc.syslog",
        ("@timestamp", "host.hostname", "log.syslog.hostname", "process.name"),
    ),
)

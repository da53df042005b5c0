"""`logflow run --workers N`: N processes in one consumer group share the partitions and drain on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from typing import Any

import orjson

from tests.conftest import SettingsFactory
from tests.support import committed_offsets, setup_templates, ship, worker_env
from tests.support import wait as run_sync
from tests.worker.test_faults import assert_exactly_once, numbered, outcome


def _json(line: bytes) -> dict[str, Any]:
    """One JSON log line; two processes share stderr, so a line may be torn (then it is ignored)."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


class TestWorkers:
    def test_two_worker_processes_share_the_partitions_and_exit_zero_on_sigterm(
        self, make_settings: SettingsFactory
    ) -> None:
        """Both processes hold partitions and index records; together they deliver each record exactly once."""
        settings = make_settings()
        run_sync(setup_templates(settings))
        produced = run_sync(ship(settings, numbered(2_000), partitions=4))
        worker_log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in the finally, after the process exits
        proc = subprocess.Popen(
            [sys.executable, "-m", "logflow", "run", "--workers", "2"],
            env=worker_env(settings, LOGFLOW_KAFKA_MAX_BATCH_RECORDS="100"),
            stdout=subprocess.DEVNULL,
            stderr=worker_log,  # a file, not a pipe: a full pipe would block the worker's logging
        )
        try:
            deadline = time.monotonic() + 90
            while run_sync(committed_offsets(settings, list(produced))) != produced:
                assert time.monotonic() < deadline, "the two workers did not catch up"
                time.sleep(0.3)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            worker_log.seek(0)
            stderr = worker_log.read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            worker_log.close()
        assert proc.returncode == 0, stderr.decode()[-2000:]
        lines = [_json(line) for line in stderr.splitlines()]
        holders = {e.get("worker") for e in lines if e.get("event") == "Partitions assigned." and e.get("partitions")}
        assert holders == {0, 1}
        assert sum(1 for e in lines if e.get("event") == "Worker stopped.") == 2
        assert_exactly_once(run_sync(outcome(settings, produced)), produced, 2_000)

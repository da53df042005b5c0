"""Mutation testing of the delivery-critical rooms with mutmut: one room at a time, one worker.

    python bench/mutation.py                 # every room, one after another
    python bench/mutation.py route redact    # only these rooms
    python bench/mutation.py --children 2 redact   # two mutants at a time (a quiet machine with 2+ cores)

Each room is mutated in its own scratch copy of the tree (``.mutation/<room>/``, git-ignored), with
only that room's fast unit tests selected, so a run never touches the work tree and never starts a
server. At the end it prints, per room, the mutants killed, the survivors (by name: ``mutmut show
NAME`` in the room's scratch folder prints the diff) and the run's duration. docs/testing.md records
the figures and why each survivor is equivalent or harmless.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / ".mutation"


@dataclass(frozen=True)
class Room:
    """The module(s) mutated and the unit tests that must kill the mutants."""

    modules: tuple[str, ...]
    tests: tuple[str, ...]


ROOMS: dict[str, Room] = {
    "offsets": Room(
        ("logflow/worker/offsets.py", "logflow/worker/deliver.py"),
        (
            "tests/worker/test_offsets.py",
            "tests/worker/test_deliver.py",
            "tests/worker/test_abandon.py",
        ),
    ),
    "sink": Room(
        ("logflow/sink/elasticsearch.py",),
        ("tests/sink/test_elasticsearch.py", "tests/sink/test_interruptible.py"),
    ),
    "deadletter": Room(("logflow/deadletter/producer.py",), ("tests/deadletter/test_producer.py",)),
    "envelopes": Room(
        ("logflow/decode/envelopes.py",), ("tests/decode/test_envelopes.py", "tests/decode/test_stage.py")
    ),
    "route": Room(("logflow/route/router.py",), ("tests/route/test_router.py",)),
    "redact": Room(
        ("logflow/enrich/redact.py",),
        ("tests/enrich/test_redact.py", "tests/enrich/test_redact_property.py", "tests/enrich/test_redact_outputs.py"),
    ),
}

_SUPPORT = ("tests/__init__.py", "tests/conftest.py", "tests/support.py")
_HYPOTHESIS_PROFILE = """

from hypothesis import HealthCheck as _HealthCheck
from hypothesis import settings as _settings

_settings.register_profile(
    "mutation", derandomize=True, database=None, suppress_health_check=[_HealthCheck.differing_executors]
)
_settings.load_profile("mutation")
"""


def _config(room: Room) -> str:
    def toml_list(items: tuple[str, ...] | list[str]) -> str:
        return "[" + ", ".join(f'"{item}"' for item in items) + "]"

    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["logflow/"]\n'
        f"only_mutate = {toml_list(room.modules)}\n"
        'also_copy = ["parsers/"]\n'
        f"pytest_add_cli_args_test_selection = {toml_list(room.tests)}\n"
        # One process (`-n 0`): mutmut runs the tests in its own process to see which ones cover a mutant.
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-m", "not integration", "-x", "-n", "0"]\n'
        # A mutant that loops forever is stopped after 6x its tests' measured CPU time (mutmut's default,
        # 30x, spends half an hour on each one that a room's property tests cover).
        "timeout_multiplier = 3.0\n"
    )


def prepare(name: str, room: Room) -> Path:
    """A scratch tree: the package, the parsers, the room's tests and their support, and the config."""
    where = SCRATCH / name
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    shutil.copytree(ROOT / "logflow", where / "logflow", ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    shutil.copytree(ROOT / "parsers", where / "parsers")
    for test in (*_SUPPORT, *room.tests):
        target = where / test
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / test, target)
        init = target.parent / "__init__.py"
        if not init.exists():
            init.write_text("")
    if (ROOT / "tests" / "data").is_dir():
        shutil.copytree(ROOT / "tests" / "data", where / "tests" / "data")
    # mutmut calls each test from more than one test session in one process, which Hypothesis would flag;
    # fixed examples (derandomize) make two runs of a room give the same figures.
    with open(where / "tests" / "conftest.py", "a") as conftest:
        conftest.write(_HYPOTHESIS_PROFILE)
    pyproject = (ROOT / "pyproject.toml").read_text()
    (where / "pyproject.toml").write_text(pyproject + _config(room))
    return where


_RESULT = re.compile(r"^\s*(\S+): (\w[\w ]*)$")


def run(name: str, room: Room, children: int = 1) -> tuple[int, int, list[str], float]:
    """(killed, total, survivors, seconds) for one room."""
    where = prepare(name, room)
    # A mutant that breaks delivery makes a test wait for a commit that never comes: 5 s instead of 60.
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "LOGFLOW_TEST_DEADLINE_S": "5"}
    started = time.monotonic()
    with open(where / "run.log", "w") as out:
        subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(children)],
            cwd=where,
            env=env,
            stdout=out,
            stderr=out,
        )
    seconds = time.monotonic() - started
    if "failed to collect stats" in (where / "run.log").read_text(errors="replace"):
        sys.exit(f"{name}: the room's tests did not run unmutated; see {where / 'run.log'}")
    results = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    statuses = {m.group(1): m.group(2) for m in map(_RESULT.match, results.splitlines()) if m}
    killed = sum(1 for s in statuses.values() if s in ("killed", "timeout"))
    survivors = sorted(k for k, s in statuses.items() if s not in ("killed", "timeout"))
    return killed, len(statuses), survivors, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rooms", nargs="*", help=f"rooms to run (default: all): {', '.join(ROOMS)}")
    parser.add_argument("--children", type=int, default=1, help="mutants tested at once (default 1)")
    args = parser.parse_args()
    unknown = set(args.rooms) - set(ROOMS)
    if unknown:
        parser.error(f"unknown rooms: {', '.join(sorted(unknown))}")
    failed = False
    for name in args.rooms or list(ROOMS):
        killed, total, survivors, seconds = run(name, ROOMS[name], args.children)
        rate = 100.0 * killed / total if total else 0.0
        print(f"{name}: {killed}/{total} killed ({rate:.1f} %) in {seconds:.0f} s", flush=True)
        for survivor in survivors:
            print(f"  survived: {survivor}", flush=True)
        failed |= rate < 90.0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

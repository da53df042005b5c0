"""Static checks of the Dockerfile: slim base, non-root, health-checked, `logflow` as entrypoint."""

from __future__ import annotations

import json
import re
from pathlib import Path

from logflow.config import HealthConfig
from logflow.config.load import env_overrides

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


class TestDockerfile:
    def test_final_stage_runs_as_a_non_root_user(self) -> None:
        """The last USER of the final stage is neither root nor uid 0."""
        users = [args for word, args in final_stage() if word == "USER"]
        assert users
        assert users[-1].split(":")[0] not in ("root", "0")

    def test_base_image_is_a_slim_python(self) -> None:
        """Every stage starts from a slim Python image."""
        args = {k: v for k, v in (a.split("=", 1) for w, a in instructions() if w == "ARG" and "=" in a)}
        for word, image in instructions():
            if word == "FROM":
                name = image.split()[0]
                resolved = args.get(name.strip("${}"), name)
                assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?", resolved), resolved

    def test_healthcheck_hits_the_workers_healthz_endpoint(self) -> None:
        """HEALTHCHECK requests /healthz on the default health port."""
        checks = [args for word, args in final_stage() if word == "HEALTHCHECK"]
        assert len(checks) == 1
        port = HealthConfig().port
        assert f"127.0.0.1:{port}/healthz" in checks[0]

    def test_entrypoint_is_logflow_and_the_default_command_runs_the_worker(self) -> None:
        """ENTRYPOINT is exactly ["logflow"] and CMD is ["run"]."""
        stage = dict(final_stage())
        assert json.loads(stage["ENTRYPOINT"]) == ["logflow"]
        assert json.loads(stage["CMD"]) == ["run"]

    def test_environment_names_are_logflow_settings(self) -> None:
        """Every LOGFLOW_* variable set with ENV is a setting logflow accepts."""
        env = {}
        for word, args in final_stage():
            if word == "ENV":
                env.update(dict(re.findall(r"(\w+)=(\S+)", args)))
        logflow_env = {k: v for k, v in env.items() if k.startswith("LOGFLOW_")}
        assert logflow_env.get("LOGFLOW_HEALTH_HOST") == "0.0.0.0"
        assert env_overrides(logflow_env)[1] == []  # no unknown name

    def test_every_copied_source_exists_and_the_package_is_copied(self) -> None:
        """Each COPY source is in the repository, and pyproject, logflow/ and parsers/ are among them."""
        sources = [
            src for word, args in instructions() if word == "COPY" and "--from" not in args for src in args.split()[:-1]
        ]
        assert {"pyproject.toml", "README.md", "hatch_build.py", "logflow", "parsers"} <= set(sources)
        for source in sources:
            assert (ROOT / source).exists(), source

    def test_dockerignore_keeps_the_virtualenv_and_git_out(self) -> None:
        """.dockerignore excludes .venv, .git and tests from the build context."""
        ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()}
        assert {".venv", ".git", "tests"} <= ignored

    def test_the_image_installs_the_compiled_core_or_fails_to_build(self) -> None:
        """The build stage has a C compiler and requires the compiled wheel (no silent pure-Python fallback)."""
        runs = [args for word, args in instructions() if word == "RUN"]
        assert any("apt-get install" in run and "gcc" in run for run in runs)
        assert any("LOGFLOW_BUILD_COMPILED=yes pip wheel" in run for run in runs)

    def test_the_image_installs_logflow_without_extras_so_no_demo_server_ships(self) -> None:
        """The final stage installs plain `logflow` from the wheels built without extras: no demo servers, no tests."""
        installs = [args for word, args in final_stage() if word == "RUN" and "pip install" in args]
        assert len(installs) == 1
        assert installs[0].split()[-1] == "logflow"
        wheels = [args for word, args in instructions() if word == "RUN" and "pip wheel" in args]
        assert all(args.split()[-1] == "." for args in wheels)

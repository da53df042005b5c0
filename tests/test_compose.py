"""compose/compose.yaml: valid against the Compose specification, and speaking logflow's language.

Docker is not available in CI, so the file is checked with check-jsonschema against the Compose
Specification schema it vendors (``vendor.compose-spec``), and every logflow invocation and
``LOGFLOW_*`` variable is checked against the real CLI and settings model.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
from ruamel.yaml import YAML

from logflow.cli import app
from logflow.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose" / "compose.yaml"
LOGFLOW_SERVICES = ("setup", "worker", "deadletter-indexer", "generator")


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(COMPOSE.read_text(encoding="utf-8"))
    return data


def _services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = compose["services"]
    return services


def _logflow_invocations(service: dict[str, Any]) -> list[list[str]]:
    """The argument lists each logflow service passes to the `logflow` command."""
    entrypoint = service.get("entrypoint")
    command = service["command"]
    if entrypoint is None:
        return [list(command)]
    script = " ".join(command[-1:]) if isinstance(command, list) else str(command)
    script = re.sub(r"\$\$\([^)]*\)", "1", script)  # shell substitutions ($$ escapes $ in compose) -> a value
    out = []
    for part in re.split(r"&&|;|\bdo\b|\bdone\b", script):
        words = shlex.split(part.strip())
        if words and words[0] == "logflow":
            out.append(words[1:])
    return out


class TestSpecification:
    def test_compose_file_validates_against_the_compose_specification(self) -> None:
        """check-jsonschema accepts the file against the vendored Compose Specification schema."""
        result = _validate(COMPOSE)
        assert result.returncode == 0, result.stdout + result.stderr

    def test_the_validator_rejects_a_broken_compose_file(self, tmp_path: Path) -> None:
        """The same check fails on a file with an invalid depends_on condition, so it really validates."""
        broken = tmp_path / "compose.yaml"
        broken.write_text(
            COMPOSE.read_text(encoding="utf-8").replace(
                "condition: service_healthy", "condition: when_ready", 1
            ),
            encoding="utf-8",
        )
        result = _validate(broken)
        assert result.returncode != 0


class TestStack:
    def test_stack_has_kafka_elasticsearch_kibana_setup_two_workers_and_a_generator(
        self, compose: dict[str, Any]
    ) -> None:
        """Every piece the issue lists is a service, with two worker replicas."""
        services = _services(compose)
        expected = {"kafka", "kafka-init", "elasticsearch", "kibana", "setup", "worker", "generator"}
        assert expected <= set(services)
        assert services["worker"]["deploy"]["replicas"] == 2

    def test_kafka_runs_kraft_as_a_single_node(self, compose: dict[str, Any]) -> None:
        """Kafka is its own controller (KRaft) with replication factors of one."""
        env = _services(compose)["kafka"]["environment"]
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith("1@")
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 1

    def test_elasticsearch_is_a_single_node(self, compose: dict[str, Any]) -> None:
        """Elasticsearch runs with discovery.type single-node."""
        assert _services(compose)["elasticsearch"]["environment"]["discovery.type"] == "single-node"

    def test_every_image_is_pinned_to_a_version(self, compose: dict[str, Any]) -> None:
        """No service uses an untagged or `latest` image."""
        for name, service in _services(compose).items():
            image = service["image"]
            tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
            assert tag, f"{name}: {image}"
            assert tag != "latest", f"{name}: {image}"
            if name not in LOGFLOW_SERVICES:
                assert re.fullmatch(r"\d+\.\d+\.\d+", tag), f"{name}: pin an exact version, not {tag}"

    def test_published_ports_listen_on_loopback_only(self, compose: dict[str, Any]) -> None:
        """Every published port is bound to 127.0.0.1."""
        published = [(n, p) for n, s in _services(compose).items() for p in s.get("ports", [])]
        assert published
        for name, port in published:
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"

    def test_long_running_services_have_healthchecks(self, compose: dict[str, Any]) -> None:
        """Kafka, Elasticsearch, Kibana and the workers are checked; the workers' check hits /healthz."""
        services = _services(compose)
        for name in ("kafka", "elasticsearch", "kibana", "worker"):
            check = services[name]["healthcheck"]
            assert check["test"], name
            assert not check.get("disable"), name
        assert any("/healthz" in part for part in services["worker"]["healthcheck"]["test"])

    def test_dependencies_wait_on_health_or_completion(self, compose: dict[str, Any]) -> None:
        """Every depends_on names a condition; workers start only after setup and topic creation succeeded."""
        services = _services(compose)
        for name, service in services.items():
            for dependency, rule in service.get("depends_on", {}).items():
                assert dependency in services
                assert rule["condition"] in ("service_healthy", "service_completed_successfully"), name
        worker = services["worker"]["depends_on"]
        assert worker["setup"]["condition"] == "service_completed_successfully"
        assert worker["kafka-init"]["condition"] == "service_completed_successfully"

    def test_workers_do_not_outnumber_the_topic_partitions(self, compose: dict[str, Any]) -> None:
        """kafka-init creates the logs topic with at least as many partitions as worker replicas."""
        script = " ".join(_services(compose)["kafka-init"]["command"])
        match = re.search(r"--topic logs --partitions (\d+)", script)
        assert match is not None
        assert int(match.group(1)) >= _services(compose)["worker"]["deploy"]["replicas"]


class TestLogflowServices:
    def test_every_logflow_variable_is_a_setting_logflow_understands(self, compose: dict[str, Any]) -> None:
        """The LOGFLOW_* environment of each logflow service loads as settings (unknown names are errors)."""
        for name in LOGFLOW_SERVICES:
            env = {k: str(v) for k, v in _services(compose)[name]["environment"].items()}
            assert any(k.startswith("LOGFLOW_") for k in env)
            settings = load_settings(environ=env)
            assert settings.elasticsearch.hosts == ["http://elasticsearch:9200"]
            assert settings.kafka.bootstrap_servers == ["kafka:9092"]

    def test_worker_health_endpoints_listen_beyond_loopback(self, compose: dict[str, Any]) -> None:
        """Workers bind the health endpoints on 0.0.0.0 so probes from outside the container reach them."""
        env = {k: str(v) for k, v in _services(compose)["worker"]["environment"].items()}
        assert load_settings(environ=env).health.host == "0.0.0.0"

    def test_every_logflow_invocation_parses_with_the_real_cli(self, compose: dict[str, Any]) -> None:
        """setup, run, generate and ship are invoked with options the CLI accepts."""
        commands: dict[str, Any] = typer.main.get_command(app).commands  # type: ignore[attr-defined]
        seen = set()
        for name in LOGFLOW_SERVICES:
            for args in _logflow_invocations(_services(compose)[name]):
                command = commands[args[0]]
                ship_args = [a if not a.startswith("/tmp/") else __file__ for a in args[1:]]  # must exist
                command.make_context(args[0], ship_args)
                seen.add(args[0])
        assert seen == {"setup", "run", "generate", "ship"}

    def test_logflow_services_build_the_repository_image(self, compose: dict[str, Any]) -> None:
        """setup, worker and generator share one image built from the repository's Dockerfile."""
        for name in LOGFLOW_SERVICES:
            service = _services(compose)[name]
            assert service["image"] == "logflow:local"
            assert (COMPOSE.parent / service["build"]["context"] / service["build"]["dockerfile"]).is_file()

"""compose/compose.yaml: valid against the Compose specification, and speaking logflow's language.

Docker is not available in CI, so the file is checked with check-jsonschema against the Compose
Specification schema it vendors (``vendor.compose-spec``), and every logflow invocation and
``LOGFLOW_*`` variable is checked against the real CLI and settings model.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.version import Version
from ruamel.yaml import YAML

from logflow.cli import app
from logflow.config import load_settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose" / "compose.yaml"
LOGFLOW_SERVICES = ("setup", "worker", "deadletter-indexer", "generator")
LEVELS = ("available", "degraded", "unavailable", "critical")


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


def _image_version(service: dict[str, Any]) -> Version:
    return Version(service["image"].rsplit(":", 1)[1])


def _client_requirement() -> Requirement:
    """The elasticsearch client requirement pyproject.toml declares."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(d) for d in project["dependencies"] if Requirement(d).name == "elasticsearch"]
    assert len(found) == 1
    return found[0]


def _kibana_check(compose: dict[str, Any], status_body: str) -> int:
    """Run Kibana's health check with `curl` answering ``status_body``: its exit status."""
    test = _services(compose)["kibana"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    curl = "curl -fsS http://localhost:5601/api/status"
    assert curl in test[1]
    script = test[1].replace(curl, 'printf %s "$BODY"')
    return subprocess.run(["/bin/sh", "-c", script], env={"BODY": status_body}, check=False, timeout=10).returncode


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
            COMPOSE.read_text(encoding="utf-8").replace("condition: service_healthy", "condition: when_ready", 1),
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

    def test_kafka_is_4x_with_a_16_byte_cluster_id(self, compose: dict[str, Any]) -> None:
        """Kafka 4 (KRaft only); CLUSTER_ID is 22 characters of URL-safe base64 for 16 bytes, as KRaft requires."""
        kafka = _services(compose)["kafka"]
        assert _image_version(kafka).major >= 4
        assert _image_version(_services(compose)["kafka-init"]) == _image_version(kafka)
        cluster_id = kafka["environment"]["CLUSTER_ID"]
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cluster_id)
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16

    def test_kafka_keeps_its_log_on_the_mounted_volume(self, compose: dict[str, Any]) -> None:
        """Every KAFKA_LOG_DIRS entry lies under a volume mount (the image's default is under /tmp)."""
        kafka = _services(compose)["kafka"]
        mounts = [volume.split(":")[1] for volume in kafka["volumes"]]
        log_dirs = kafka["environment"]["KAFKA_LOG_DIRS"].split(",")
        for log_dir in log_dirs:
            assert any(log_dir == m or log_dir.startswith(m.rstrip("/") + "/") for m in mounts), log_dir

    def test_no_service_sets_a_memlock_ulimit_nothing_uses(self, compose: dict[str, Any]) -> None:
        """A memlock ulimit only matters with bootstrap.memory_lock=true; without it the limit is dead."""
        for name, service in _services(compose).items():
            if "memlock" in service.get("ulimits", {}):
                assert str(service.get("environment", {}).get("bootstrap.memory_lock")).lower() == "true", name

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


class TestVersions:
    def test_elasticsearch_and_kibana_run_the_same_current_version(self, compose: dict[str, Any]) -> None:
        """Kibana must match its Elasticsearch; both are 8.19 (the last 8.x minor) or 9.x."""
        services = _services(compose)
        es, kibana = _image_version(services["elasticsearch"]), _image_version(services["kibana"])
        assert es == kibana
        assert es.release[:2] >= (8, 19)

    def test_elasticsearch_version_is_in_the_client_range(self, compose: dict[str, Any]) -> None:
        """The declared elasticsearch client range has an upper bound and contains the compose server's version."""
        requirement = _client_requirement()
        assert any(spec.operator == "<" for spec in requirement.specifier), requirement
        assert _image_version(_services(compose)["elasticsearch"]) in requirement.specifier


class TestKibanaHealthcheck:
    @settings(max_examples=40, deadline=None)
    @given(
        overall=st.sampled_from(LEVELS),
        services=st.dictionaries(st.sampled_from(("elasticsearch", "savedObjects", "http")), st.sampled_from(LEVELS)),
        plugins=st.dictionaries(st.from_regex(r"[a-z]{1,12}", fullmatch=True), st.sampled_from(LEVELS), max_size=4),
        plugins_first=st.booleans(),
    )
    def test_healthy_exactly_when_kibanas_overall_level_is_available(
        self,
        compose: dict[str, Any],
        overall: str,
        services: dict[str, str],
        plugins: dict[str, str],
        plugins_first: bool,
    ) -> None:
        """Whatever the core services and plugins say, the check passes only on Kibana's own overall level."""
        parts = {
            "overall": {"level": overall, "summary": f"Kibana is {overall}"},
            "core": {name: {"level": level, "summary": "-"} for name, level in services.items()},
            "plugins": {name: {"level": level, "summary": "-"} for name, level in plugins.items()},
        }
        order = ["plugins", "core", "overall"] if plugins_first else ["overall", "core", "plugins"]
        body = {"name": "kibana", "version": {"number": "9"}, "status": {key: parts[key] for key in order}}
        code = _kibana_check(compose, json.dumps(body, separators=(",", ":")))
        assert (code == 0) == (overall == "available")


class TestLogflowServices:
    def test_every_logflow_variable_is_a_setting_logflow_understands(self, compose: dict[str, Any]) -> None:
        """The LOGFLOW_* environment of each logflow service loads as settings (unknown names are errors)."""
        for name in LOGFLOW_SERVICES:
            env = {k: str(v) for k, v in _services(compose)[name]["environment"].items()}
            assert any(k.startswith("LOGFLOW_") for k in env)
            loaded = load_settings(environ=env)
            assert loaded.elasticsearch.hosts == ["http://elasticsearch:9200"]
            assert loaded.kafka.bootstrap_servers == ["kafka:9092"]
            assert loaded.routing.index_prefix == "logflow"

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

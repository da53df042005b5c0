"""ILM detection and the lifecycle policy that `logflow setup` writes where the server has ILM."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from logflow.admin.index_templates import index_template
from logflow.admin.lifecycle import ilm_status, parse_days, policy_body, policy_name, setup_indices
from logflow.cli import app
from logflow.config import Settings
from logflow.errors import ConfigError
from logflow.sink.client import make_client
from tests.conftest import Servers, SettingsFactory
from tests.edges.elastic import recorded


class TestPolicy:
    def test_policy_keeps_indices_hot_then_deletes_them_after_n_days(self) -> None:
        """The policy has a hot phase from creation and a delete phase at N days."""
        phases = policy_body(14)["phases"]
        assert phases["hot"]["min_age"] == "0ms"
        assert phases["delete"] == {"min_age": "14d", "actions": {"delete": {}}}

    def test_template_names_the_policy_only_when_given_one(self) -> None:
        """index.lifecycle.name is set with a policy and absent without."""
        with_policy = index_template("logflow", "logflow-logflow")["template"]["settings"]["index"]
        without = index_template("logflow")["template"]["settings"]["index"]
        assert with_policy["lifecycle"] == {"name": "logflow-logflow"}
        assert "lifecycle" not in without

    @pytest.mark.parametrize(("text", "days"), [("30d", 30), ("1d", 1), (" 7D ", 7)])
    def test_ages_are_whole_days(self, text: str, days: int) -> None:
        """`30d` reads as 30 days."""
        assert parse_days(text) == days

    @pytest.mark.parametrize("text", ["30", "0d", "2w", "-1d", "1.5d", ""])
    def test_other_ages_are_configuration_errors(self, text: str) -> None:
        """Anything but a positive whole number of days is a ConfigError naming the option."""
        with pytest.raises(ConfigError, match="--keep"):
            parse_days(text)


@pytest.mark.integration
class TestWithoutIlm:
    async def test_ilm_is_reported_absent_on_a_server_without_it(self, es: Any) -> None:
        """The test server answers /_ilm/status with 400: ILM is not available, and the reason says so."""
        status = await ilm_status(es)
        assert not status.available
        assert "400" in status.reason

    async def test_setup_installs_templates_without_a_policy(self, es: Any, settings: Settings) -> None:
        """Without ILM the templates are installed and name no lifecycle policy."""
        prefix = settings.routing.index_prefix
        result = await setup_indices(es, prefix, 30)
        assert result.policy is None
        assert result.templates == [f"{prefix}-logflow-ecs", f"{prefix}-logflow"]
        template = await es.indices.get_index_template(name=f"{prefix}-logflow")
        index_settings = template.body["index_templates"][0]["index_template"]["template"]["settings"]["index"]
        assert "lifecycle" not in index_settings

    def test_setup_command_says_ilm_is_absent_and_suggests_retention(
        self, servers: Servers, unique: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`logflow setup --delete-after 14d` exits 0 and points to `logflow retention --keep 14d`."""
        for name in list(os.environ):
            if name.startswith("LOGFLOW_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("LOGFLOW_ELASTICSEARCH_HOSTS", servers.es)
        monkeypatch.setenv("LOGFLOW_ROUTING_INDEX_PREFIX", unique)
        result = CliRunner().invoke(app, ["setup", "--delete-after", "14d"])
        assert result.exit_code == 0, result.output
        assert f"installed {unique}-logflow" in result.output
        assert "ILM: not used" in result.output
        assert "logflow retention --keep 14d" in result.output


class _IlmServer:
    """A stand-in for an Elasticsearch with ILM: records requests, acknowledges everything."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.requests: list[tuple[str, str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                path = self.path.split("?")[0]
                if path == "/":  # what the client reads first: Elasticsearch 8.19's own answer
                    reply: Any = recorded("root/es-8.19.2.json")["body"]
                else:
                    outer.requests.append((self.command, path, body))
                    reply = {"operation_mode": "RUNNING"} if path.startswith("/_ilm/status") else {"acknowledged": True}
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)


@pytest.fixture
def ilm_server() -> Iterator[_IlmServer]:
    server = _IlmServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join(5)


class TestWithIlm:
    async def test_setup_writes_the_policy_then_a_template_that_names_it(
        self, ilm_server: _IlmServer, make_settings: SettingsFactory
    ) -> None:
        """With ILM running: PUT _ilm/policy/{prefix}-logflow, then a template that names the policy."""
        settings = make_settings(elasticsearch={"hosts": [ilm_server.url]})
        prefix = settings.routing.index_prefix
        client = make_client(settings.elasticsearch)
        try:
            result = await setup_indices(client, prefix, 21)
        finally:
            await client.close()
        assert result.policy == policy_name(prefix)
        paths = [(method, path) for method, path, _ in ilm_server.requests]
        assert paths == [
            ("GET", "/_ilm/status"),
            ("PUT", f"/_ilm/policy/{prefix}-logflow"),
            ("GET", "/_component_template/ecs@mappings"),
            ("PUT", f"/_component_template/{prefix}-logflow-ecs"),
            ("PUT", f"/_index_template/{prefix}-logflow"),
        ]
        assert ilm_server.requests[1][2] == {"policy": policy_body(21)}
        template = ilm_server.requests[4][2]
        assert template["template"]["settings"]["index"]["lifecycle"] == {"name": f"{prefix}-logflow"}

    async def test_no_ilm_flag_skips_detection_and_policy(
        self, ilm_server: _IlmServer, make_settings: SettingsFactory
    ) -> None:
        """use_ilm=False writes only the templates, even where ILM runs."""
        settings = make_settings(elasticsearch={"hosts": [ilm_server.url]})
        client = make_client(settings.elasticsearch)
        try:
            result = await setup_indices(client, settings.routing.index_prefix, 21, use_ilm=False)
        finally:
            await client.close()
        assert result.policy is None
        assert [m for m, p, _ in ilm_server.requests if "_ilm" in p] == []

"""The command line's contracts (design.md), exercised as a user runs them."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import orjson
import pytest
import typer.main
from hypothesis import given, settings
from hypothesis import settings as examples
from hypothesis import strategies as st

from logflow import cli
from logflow.analyze.command import findings_at_or_above
from logflow.cli import app
from logflow.config import Settings
from logflow.config.secrets import mask_output
from logflow.demo.servers import free_port
from logflow.sink.client import make_client
from tests.analyze.test_markup import outside
from tests.support import read_topic, wait


def logflow(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LOGFLOW_")}
    return subprocess.run(
        [sys.executable, "-m", "logflow", *args],
        input=stdin,
        capture_output=True,
        env={**base, **(env or {})},
        check=False,
        timeout=300,
    )


def env_for(settings: Settings) -> dict[str, str]:
    return {
        "LOGFLOW_KAFKA_BOOTSTRAP_SERVERS": ",".join(settings.kafka.bootstrap_servers),
        "LOGFLOW_ELASTICSEARCH_HOSTS": ",".join(settings.elasticsearch.hosts),
        "LOGFLOW_ROUTING_INDEX_PREFIX": settings.routing.index_prefix,
    }


class TestParseCommand:
    def test_parse_prints_one_document_per_line_with_its_index(self) -> None:
        """`logflow parse` reads stdin and prints each event as it would be indexed, plus `_index`."""
        lines = (
            b'10.0.0.1 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8"\n'
            b"2026-11-23 10:00:01,000 ERROR api.db: connection refused\n"
            b'{"level": "info", "msg": "hello", "time": "2026-11-22T23:59:59Z"}\n'
        )
        proc = logflow("parse", stdin=lines)
        assert proc.returncode == 0, proc.stderr.decode()
        docs = [orjson.loads(line) for line in proc.stdout.splitlines()]
        assert [d["_index"] for d in docs] == [
            "logflow-nginx.access-2026.11.23",
            "logflow-errors-2026.11.23",
            "logflow-app-2026.11.22",
        ]
        assert docs[0]["http.response.status_code"] == 200
        assert docs[1]["log.level"] == "error"
        assert docs[2]["message"] == "hello"

    def test_parse_explain_says_which_parser_matched_and_how_far_others_got(self) -> None:
        """--explain adds, per parser and pattern, matched or the number of characters matched."""
        proc = logflow("parse", "--explain", stdin=b"2026-11-23 10:00:01,000 ERROR api.db: boom\n")
        doc = orjson.loads(proc.stdout)
        explained = {(e["parser"], e["pattern"]): e for e in doc["_explain"]}
        assert explained[("app", 0)]["matched"] is True
        assert explained[("nginx.access", 0)]["matched"] is False
        assert "matched_chars" in explained[("nginx.access", 0)]

    def test_rejected_lines_are_reported_on_stderr_and_do_not_stop_the_rest(self) -> None:
        """Invalid UTF-8 is reported with its line number; later lines still print; the exit code says 3."""
        proc = logflow("parse", stdin=b"\xff\xfe bad\nok line\n")
        assert proc.returncode == 3
        assert b"stdin:1: rejected (invalid_utf8)" in proc.stderr
        assert len(proc.stdout.splitlines()) == 1

    def test_parse_exits_0_when_nothing_was_rejected(self) -> None:
        """Exit 3 is for rejections only: lines that parse, or are indexed as parse failures, exit 0."""
        proc = logflow("parse", stdin=b"ok line\nnot a known format at all\n")
        assert proc.returncode == 0, proc.stderr.decode()
        assert len(proc.stdout.splitlines()) == 2


class TestConfigShow:
    def test_config_show_exits_2_for_a_rule_pattern_only_the_parsers_library_can_judge(self, tmp_path: Path) -> None:
        """An enrichment rule naming an unknown grok pattern stops `config show`, as it stops the worker."""
        path = tmp_path / "c.toml"
        path.write_text('[[enrich.rules]]\nname = "r"\npattern = "%{NUMBR:n}"\n', encoding="utf-8")
        proc = logflow("config", "show", "--config", str(path))
        assert proc.returncode == 2
        assert b"enrich.rules[0] (r)" in proc.stderr and b"NUMBR" in proc.stderr
        assert proc.stdout == b""


class TestMineCommand:
    def test_mine_prints_the_csv_contract_with_one_row_per_line(self, tmp_path: Path) -> None:
        """`logflow mine FILE` prints `line,template_id,template`, 1-based, one row per input line."""
        path = tmp_path / "m.txt"
        path.write_text("connected to 10.0.0.1 in 5 ms\nconnected to 10.0.0.2 in 7 ms\ndisk full on /dev/sda1\n")
        proc = logflow("mine", str(path))
        rows = list(csv.DictReader(io.StringIO(proc.stdout.decode())))
        assert [r["line"] for r in rows] == ["1", "2", "3"]
        assert rows[0]["template_id"] == rows[1]["template_id"] != rows[2]["template_id"]
        assert "<*>" in rows[0]["template"]


class TestParsersCheck:
    def test_every_shipped_parser_passes_its_own_samples(self) -> None:
        """`logflow parsers check` exits 0 and reports `N passed, 0 failed`."""
        proc = logflow("parsers", "check")
        assert proc.returncode == 0, proc.stderr.decode()
        assert proc.stdout.strip().endswith(b", 0 failed")

    def test_an_unknown_parser_name_is_a_usage_error(self) -> None:
        """Exit code 2 and the list of names."""
        proc = logflow("parsers", "check", "no-such-parser")
        assert proc.returncode == 2
        assert b"no parser named" in proc.stderr


class TestSetupAndShip:
    def test_setup_installs_the_templates_that_type_the_fields(self, settings: Settings) -> None:
        """After `logflow setup`, a new daily index maps ECS fields with the right types."""
        proc = logflow("setup", env=env_for(settings))
        assert proc.returncode == 0, proc.stderr.decode()
        index = f"{settings.routing.index_prefix}-app-2026.11.23"

        async def mapping() -> dict[str, Any]:
            client = make_client(settings.elasticsearch)
            try:
                doc = {"@timestamp": "2026-11-23T00:00:00Z", "message": "m", "source.ip": "10.0.0.1"}
                await client.index(index=index, id="1", document=doc)
                body: dict[str, Any] = (await client.indices.get_mapping(index=index)).body
                return body[index]["mappings"]["properties"]  # type: ignore[no-any-return]
            finally:
                await client.indices.delete(index=index, ignore_unavailable=True)
                await client.close()

        props = wait(mapping())
        assert props["@timestamp"]["type"] == "date"
        assert props["source"]["properties"]["ip"]["type"] == "ip"
        assert props["log"]["properties"]["level"]["type"] == "keyword"
        assert props["message"]["type"] == "text"
        assert props["http"]["properties"]["response"]["properties"]["status_code"]["type"] == "long"

    def test_ship_produces_every_line_of_a_file(self, settings: Settings, tmp_path: Path) -> None:
        """`logflow ship FILE --topic T` produces one record per non-empty line."""
        path = tmp_path / "a.log"
        path.write_text("one\n\ntwo\nthree\n")
        topic = settings.kafka.topics[0]
        proc = logflow("ship", str(path), "--topic", topic, env=env_for(settings))
        assert proc.returncode == 0, proc.stderr.decode()
        assert b"Shipped 3 records" in proc.stderr
        records = wait(read_topic(settings, topic, expected=3))
        assert sorted(r.value for r in records) == [b"one", b"three", b"two"]


@pytest.mark.integration  # `logflow demo` starts its own embedded Tansu and osmem
class TestDemo:
    def test_the_demo_reconciles_every_record_it_shipped(self, tmp_path: Path) -> None:
        """`logflow demo` on its embedded stack: indexed + dead-lettered equals shipped, exit code 0."""
        proc = logflow("demo", "--records", "1500", "--out", str(tmp_path / "demo"))
        out = proc.stdout.decode()
        assert proc.returncode == 0, out[-3000:] + proc.stderr.decode()[-3000:]
        shipped = re.search(r"Shipped ([\d,]+) records; indexed \+ dead-lettered = ([\d,]+): match", out)
        assert shipped is not None, out[-3000:]
        assert shipped.group(1) == shipped.group(2)
        assert int(shipped.group(1).replace(",", "")) > 1_500  # 1,500 steady records plus the injected incidents
        assert "logflow-nginx.access-2026.11.22" in out
        assert "new_pattern" in out  # the analysis at the end found the injected new error
        assert (tmp_path / "demo" / "analysis.html").stat().st_size > 10_000


class TestServerErrors:
    """A server that is down or slow is a one-line error naming the setting to check, never a traceback."""

    def test_an_unreachable_elasticsearch_names_the_hosts_setting(self) -> None:
        proc = logflow(
            "analyze",
            "--es",
            f"http://127.0.0.1:{free_port()}",
            "--index",
            "logs-*",
            "--since",
            "2026-11-22T00:00:00Z",
            "--until",
            "2026-11-23T00:00:00Z",
        )
        assert proc.returncode == 1
        assert b"cannot reach Elasticsearch" in proc.stderr and b"LOGFLOW_ELASTICSEARCH_HOSTS" in proc.stderr
        assert b"Traceback" not in proc.stderr

    def test_an_elasticsearch_that_answers_too_late_names_the_timeout_setting(self, settings: Settings) -> None:
        proc = logflow(
            "analyze",
            "--es",
            settings.elasticsearch.hosts[0],
            "--index",
            f"{settings.routing.index_prefix}-*",
            "--since",
            "2026-11-22T00:00:00Z",
            "--until",
            "2026-11-23T00:00:00Z",
            env={**env_for(settings), "LOGFLOW_ELASTICSEARCH_REQUEST_TIMEOUT_S": "0.000001"},
        )
        assert proc.returncode == 1
        assert b"did not answer in time" in proc.stderr and b"REQUEST_TIMEOUT_S" in proc.stderr
        assert b"Traceback" not in proc.stderr

    def test_an_unreachable_kafka_names_the_bootstrap_setting(self, tmp_path: Path) -> None:
        lines = tmp_path / "app.log"
        lines.write_text("one line\n")
        proc = logflow(
            "ship",
            str(lines),
            "--topic",
            "logs",
            env={"LOGFLOW_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{free_port()}"},
        )
        assert proc.returncode == 1
        assert b"cannot reach Kafka" in proc.stderr and b"LOGFLOW_KAFKA_BOOTSTRAP_SERVERS" in proc.stderr
        assert b"Traceback" not in proc.stderr


class TestNoMarkup:
    @examples(max_examples=200, deadline=None)
    @given(text=outside)
    def test_error_lines_print_server_answers_and_file_names_verbatim(self, text: str) -> None:
        """`_say` (every error line) and the shared stderr console never read outside text as markup."""
        from logflow import cli

        buffer = io.StringIO()
        with contextlib.redirect_stderr(buffer):  # the console follows sys.stderr; nothing to restore after
            cli._say("error:", text)
            cli.err.print(f"{text}: rejected", highlight=False)  # how `parse` reports a rejection
        masked = mask_output(text)
        assert buffer.getvalue().splitlines() == [f"error: {masked}", f"{text}: rejected"]


class TestConventions:
    """--version, -h, choices listed as choices, one line per message, exit codes CI can act on."""

    def test_version_prints_the_installed_version(self) -> None:
        """`logflow --version` prints `logflow X.Y.Z` (the installed distribution's version) and exits 0."""
        proc = logflow("--version")
        assert proc.returncode == 0, proc.stderr.decode()
        assert proc.stdout.decode().strip() == f"logflow {version('logflow')}"

    def test_short_help_works_on_the_root_and_on_nested_commands(self) -> None:
        """`-h` is `--help` everywhere, including sub-sub-commands such as `dlq show`."""
        for args in (["-h"], ["analyze", "-h"], ["dlq", "show", "-h"], ["config", "show", "-h"]):
            proc = logflow(*args)
            assert proc.returncode == 0, (args, proc.stderr.decode())
            assert b"Usage:" in proc.stdout, args

    def test_options_with_fixed_values_are_choices(self) -> None:
        """--format, --input, --mode, --min-level and --fail-on accept exactly their values, and -h lists them."""
        command = typer.main.get_command(app).commands["analyze"]  # type: ignore[attr-defined]
        choices = {
            "--format": ["table", "json", "html"],
            "--input": ["auto", "raw", "ndjson"],
            "--mode": ["auto", "documents", "aggregations"],
            "--min-level": ["warn", "error"],
            "--fail-on": ["warn", "error", "fatal"],
        }
        for option, values in choices.items():
            for value in values:
                command.make_context("analyze", [__file__, option, value])
            with pytest.raises(Exception, match="is not one of") as refused:
                command.make_context("analyze", [__file__, option, "nope"])
            assert all(value in str(refused.value) for value in values), option
        shown = logflow("analyze", "-h", env={"COLUMNS": "200"}).stdout.decode()
        for listed in ("table|json|html", "auto|raw|ndjson", "auto|documents|aggregations", "warn|error|fatal"):
            assert listed in shown

    def test_a_value_outside_the_choices_is_a_usage_error(self, tmp_path: Path) -> None:
        """Exit 2, the choices named, no traceback."""
        path = tmp_path / "a.log"
        path.write_text("one line\n")
        proc = logflow("analyze", str(path), "--format", "xml")
        assert proc.returncode == 2
        assert b"table" in proc.stderr and b"Traceback" not in proc.stderr

    def test_fail_on_exits_3_when_findings_reach_the_severity_and_0_below(self, tmp_path: Path) -> None:
        """A recurring error pattern fails `--fail-on error` and `warn`, not `fatal`; the report is still written."""
        path = tmp_path / "app.log"
        lines = [f"2026-11-23 10:{i:02d}:01,000 ERROR api.db: connection refused to 10.0.0.{i % 5}" for i in range(40)]
        path.write_text("\n".join(lines) + "\n")
        for severity, code in (("warn", 3), ("error", 3), ("fatal", 0)):
            proc = logflow("analyze", str(path), "--format", "json", "--fail-on", severity)
            assert proc.returncode == code, (severity, proc.stderr.decode())
            report = orjson.loads(proc.stdout)
            assert any(p["severity"] == "error" for p in report["patterns"])
        assert logflow("analyze", str(path), "--format", "json").returncode == 0

    @settings(max_examples=200, deadline=None)
    @given(
        severities=st.lists(st.sampled_from(["none", "debug", "info", "warn", "error", "fatal"]), max_size=12),
        split=st.integers(min_value=0, max_value=12),
        floor=st.sampled_from(["warn", "error", "fatal"]),
    )
    def test_findings_at_or_above_counts_patterns_and_anomalies_by_rank(
        self, severities: list[str], split: int, floor: str
    ) -> None:
        """Every pattern and anomaly whose severity ranks at or above the floor counts; lower ones never do."""
        rank = ["warn", "error", "fatal"]
        report = SimpleNamespace(
            patterns=[SimpleNamespace(severity=s) for s in severities[:split]],
            anomalies=[SimpleNamespace(severity=s) for s in severities[split:]],
        )
        expected = sum(1 for s in severities if s in rank and rank.index(s) >= rank.index(floor))
        assert findings_at_or_above(cast(Any, report), floor) == expected

    @settings(max_examples=200, deadline=None)
    @given(
        text=st.lists(
            st.one_of(
                st.text(
                    st.characters(
                        min_codepoint=0x20, max_codepoint=0x2FFF, exclude_categories=("Cc", "Cs", "Zl", "Zp")
                    ),
                    max_size=60,
                ),
                st.sampled_from([":warning:", "[red]", "[/]", " ", "http://h:9200/x", ":smile:"]),
            ),
            min_size=1,
            max_size=12,
        ).map("".join)
    )
    def test_a_message_is_one_line_verbatim_when_stderr_is_not_a_terminal(self, text: str) -> None:
        """However long, with brackets or :emoji: codes, an error line is written as given, on one line."""
        buffer = io.StringIO()
        with contextlib.redirect_stderr(buffer):
            cli._say("error:", text)
        assert buffer.getvalue() == f"error: {mask_output(text)}\n"  # verbatim but for a credential's mask

    def test_test_server_variables_do_not_stop_a_command(self) -> None:
        """LOGFLOW_TEST_KAFKA / LOGFLOW_TEST_ES (the test suite's) are not settings, and no command rejects them."""
        proc = logflow("config", "show", env={"LOGFLOW_TEST_KAFKA": "k:9092", "LOGFLOW_TEST_ES": "http://e:9200"})
        assert proc.returncode == 0, proc.stderr.decode()

    def test_a_list_setting_as_json_works_and_broken_json_is_a_clear_error(self) -> None:
        """`LOGFLOW_KAFKA_TOPICS='["a","b"]'` sets two topics; a broken array exits 2 naming the variable."""
        proc = logflow("config", "show", env={"LOGFLOW_KAFKA_TOPICS": '["a", "b"]'})
        assert proc.returncode == 0, proc.stderr.decode()
        assert orjson.loads(proc.stdout)["kafka"]["topics"] == ["a", "b"]
        broken = logflow("config", "show", env={"LOGFLOW_KAFKA_TOPICS": '["a", '})
        assert broken.returncode == 2
        assert b"LOGFLOW_KAFKA_TOPICS" in broken.stderr and b"Traceback" not in broken.stderr

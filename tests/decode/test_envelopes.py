"""Envelope detection: each shipper's own signals unwrap, an application's look-alike keys do not.

Filebeat's shapes are built from its documented exported fields (``agent``, ``ecs``, ``input``,
``log.file.path``, ``host``, ``fields``) and from what ``json.keys_under_root`` does (the
application's decoded keys at the top level, beside Filebeat's), not from one captured sample.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import load_settings
from logflow.decode.envelopes import unwrap
from logflow.decode.stage import decode
from logflow.event import Record
from logflow.worker.processor import Processor

MAX = 1_048_576

FILEBEAT: dict[str, Any] = {
    "@timestamp": "2026-11-23T01:02:03.000Z",
    "agent": {"type": "filebeat", "version": "8.16.1", "ephemeral_id": "9f1c", "name": "web-1"},
    "ecs": {"version": "8.0.0"},
    "input": {"type": "filestream"},
    "log": {"file": {"path": "/var/log/app.json"}, "offset": 4096},
    "host": {"name": "web-1"},
}

# JSON values as an application writes them (orjson round-trips each one exactly).
scalars = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
# The top-level keys Filebeat's exported fields and default processors use; an application's are any others.
FILEBEAT_OWN = frozenset(
    {
        "@timestamp", "@metadata", "agent", "ecs", "input", "host", "log", "fields", "tags", "cloud",
        "container", "kubernetes", "orchestrator", "data_stream", "elastic_agent", "event", "fileset",
        "service", "stream", "json",
    }
)  # fmt: skip
app_keys = st.text(min_size=1, max_size=12).filter(lambda k: k not in FILEBEAT_OWN)
app_objects = st.dictionaries(app_keys, values, min_size=1, max_size=6)


def rec(value: bytes) -> Record:
    return Record("logs", 0, 7, value)


def decoded(obj: dict[str, Any]) -> Any:
    return decode(rec(orjson.dumps(obj)), MAX)


class TestApplicationLogsWithLookAlikeKeys:
    """Key names alone are not signals: applications write ``agent``, ``log``, ``input`` and ``fields`` too."""

    not_a_beat = st.text(max_size=12).filter(lambda t: not t.lower().endswith("beat"))
    user_agents = st.text(max_size=30) | st.fixed_dictionaries(
        {"type": not_a_beat}, optional={"name": st.text(max_size=10), "version": st.text(max_size=6)}
    )
    app_log_keys = st.fixed_dictionaries(
        {},
        optional={
            "level": st.sampled_from(["info", "warn", "error"]),
            "logger": st.text(max_size=10),
            "origin": st.fixed_dictionaries({"file": st.fixed_dictionaries({"name": st.text(max_size=10)})}),
            "file": st.fixed_dictionaries({}, optional={"name": st.text(max_size=8), "line": st.integers(0, 999)}),
        },
    )
    inputs = st.dictionaries(st.text(max_size=8), values, max_size=3)
    look_alikes = st.fixed_dictionaries(
        {"message": st.text(max_size=40)},
        optional={"agent": user_agents, "log": app_log_keys, "input": inputs, "fields": values},
    )
    others = st.dictionaries(
        st.text(min_size=1, max_size=10).filter(lambda k: k not in {"ecs", "source_type", "message"}),
        values,
        max_size=3,
    )

    @settings(max_examples=300, deadline=None)
    @given(look_alikes, others)
    def test_a_json_log_with_agent_log_input_or_fields_keys_of_its_own_stays_a_json_log(
        self, log: dict[str, Any], other: dict[str, Any]
    ) -> None:
        obj = {**other, **log}
        assert unwrap(obj) is None
        dec = decoded(obj)
        assert dec.obj == obj and dec.text is None and dec.meta == {}

    @pytest.mark.parametrize(
        "obj",
        [
            {"message": "GET / 200", "agent": {"type": "browser", "name": "Firefox", "version": "133"}},
            {"message": "x", "agent": "curl/8.5.0"},
            {"message": "x", "log": {"level": "info", "logger": "app"}},
            {"message": "x", "log": {"file": {"name": "app.py", "line": 3}}},
            {"message": "x", "input": {"type": "keyboard"}},
            {"message": "x", "fields": {"service": "shop", "log_type": "nginx"}},
        ],
    )
    def test_each_look_alike_alone_is_an_application_log(self, obj: dict[str, Any]) -> None:
        assert unwrap(obj) is None


class TestFilebeatSignals:
    """Each Filebeat signal is enough on its own (drop_fields often removes the others)."""

    @pytest.mark.parametrize(
        "signal",
        [
            {"agent": {"type": "filebeat"}},
            {"agent": {"type": "Winlogbeat"}},
            {"agent": {"ephemeral_id": "9f1c", "type": "elastic-agent"}},
            {"log": {"file": {"path": "/var/log/a.log"}}},
            {"input": {"type": "filestream"}, "ecs": {"version": "8.0.0"}},
        ],
    )
    def test_a_single_signal_unwraps_the_message(self, signal: dict[str, Any]) -> None:
        dec = decoded({"message": "GET / 200", **signal})
        assert dec.text == "GET / 200" and dec.obj is None

    def test_input_without_ecs_is_not_a_signal_but_with_it_is(self) -> None:
        assert unwrap({"message": "x", "input": {"type": "filestream"}}) is None
        assert unwrap({"message": "x", "input": {"type": "filestream"}, "ecs": {}}) is not None

    def test_the_metadata_is_kept_under_ecs_names(self) -> None:
        dec = decoded({**FILEBEAT, "message": "GET / 200"})
        assert dec.text == "GET / 200"
        assert dec.meta == {
            "host.name": "web-1",
            "log.file.path": "/var/log/app.json",
            "agent.type": "filebeat",
            "agent.version": "8.16.1",
            "agent.name": "web-1",
            "logflow.envelope_timestamp": "2026-11-23T01:02:03.000Z",
        }

    def test_a_beat_event_without_a_line_is_indexed_as_it_is(self) -> None:
        assert unwrap({k: v for k, v in FILEBEAT.items()}) is None


class TestKeysUnderRoot:
    """``json.keys_under_root``: the application's fields sit beside Filebeat's and are kept at top level."""

    def test_the_reported_record_keeps_its_level_and_logger(self) -> None:
        value = (
            b'{"message":"disk nearly full","level":"warn","logger":"storage","input":{"type":"filestream"},'
            b'"ecs":{"version":"8.0.0"},"agent":{"type":"filebeat"},"log":{"file":{"path":"/var/log/app.json"}}}'
        )
        processed = Processor(load_settings(environ={})).process([rec(value)])
        doc = orjson.loads(processed.actions[0].source)
        assert doc["log.level"] == "warn" and doc["log.logger"] == "storage"
        assert doc["message"] == "disk nearly full" and doc["logflow.parser"] != "none"
        assert doc["log.file.path"] == "/var/log/app.json"

    @settings(max_examples=300, deadline=None)
    @given(app_objects, st.none() | st.text(max_size=30))
    def test_every_application_key_comes_out_as_the_json_log_it_was(
        self, app: dict[str, Any], message: str | None
    ) -> None:
        if message is not None:
            app = {**app, "message": message}
        dec = decoded({**FILEBEAT, **app})
        assert dec.obj == app and dec.text is None
        assert dec.meta["log.file.path"] == "/var/log/app.json" and dec.meta["host.name"] == "web-1"

    @settings(max_examples=100, deadline=None)
    @given(app_objects)
    def test_the_applications_own_log_keys_are_kept_beside_filebeats_log_file(self, app: dict[str, Any]) -> None:
        envelope = {**FILEBEAT, **app, "log": {**FILEBEAT["log"], "level": "error"}}
        dec = decoded(envelope)
        assert dec.obj == {**app, "log": {"level": "error"}}

    @settings(max_examples=100, deadline=None)
    @given(app_objects)
    def test_without_keys_under_root_the_object_under_json_is_the_log(self, app: dict[str, Any]) -> None:
        dec = decoded({**FILEBEAT, "json": app})
        assert dec.obj == app


class TestOtherShippers:
    """Fluent Bit, Vector and rsyslog: each one's metadata, exactly, under ECS names."""

    def test_fluent_bit_keeps_kubernetes_labels_stream_and_time(self) -> None:
        envelope = {
            "log": "plain line",
            "stream": "stderr",
            "time": "2026-11-23T01:02:03Z",
            "kubernetes": {
                "namespace_name": "shop",
                "pod_name": "api-1",
                "container_name": "api",
                "host": "node-3",
                "labels": {"app.kubernetes.io/name": "orders", "tier": "web", "n": 3},
            },
        }
        text, meta, hint = unwrap(envelope) or ("", {}, "x")
        assert (text, hint) == ("plain line", None)
        assert meta == {
            "kubernetes.namespace": "shop",
            "kubernetes.pod.name": "api-1",
            "kubernetes.container.name": "api",
            "host.name": "node-3",
            "service.name": "orders",
            "kubernetes.labels.app_kubernetes_io_name": "orders",
            "kubernetes.labels.tier": "web",
            "log.stream": "stderr",
            "logflow.envelope_timestamp": "2026-11-23T01:02:03Z",
        }

    @pytest.mark.parametrize("key", ["@timestamp", "time", "date"])
    def test_fluent_bit_takes_the_first_time_key_it_finds(self, key: str) -> None:
        found = unwrap({"log": "x", key: 1732323723.5, "kubernetes": {"labels": {"app": "api"}}})
        assert found is not None
        assert found[1] == {
            "logflow.envelope_timestamp": 1732323723.5,
            "service.name": "api",
            "kubernetes.labels.app": "api",
        }

    def test_a_fluent_bit_record_with_a_message_key_is_not_a_fluent_bit_envelope(self) -> None:
        assert unwrap({"log": "x", "message": "y"}) is None

    def test_vector_keeps_host_file_and_timestamp_and_names_itself(self) -> None:
        found = unwrap(
            {"message": "m", "source_type": "file", "host": "h", "file": "/f", "timestamp": "2026-11-23T01:02:03Z"}
        )
        assert found == (
            "m",
            {
                "host.name": "h",
                "log.file.path": "/f",
                "logflow.envelope_timestamp": "2026-11-23T01:02:03Z",
                "agent.type": "vector",
            },
            None,
        )
        assert unwrap({"message": "m", "source_type": "kafka", "host": 3}) == ("m", {"agent.type": "vector"}, None)

    def test_rsyslog_templates_keep_host_program_severity_facility_and_time(self) -> None:
        found = unwrap(
            {
                "msg": "m",
                "syslogtag": "sshd[1]:",
                "hostname": "h",
                "programname": "sshd",
                "severity": 3,
                "facility": "auth",
                "timereported": "2026-11-23T01:02:03Z",
                "timestamp": "later",
            }
        )
        assert found == (
            "m",
            {
                "host.name": "h",
                "process.name": "sshd",
                "log.level": 3,
                "log.syslog.facility.name": "auth",
                "logflow.envelope_timestamp": "2026-11-23T01:02:03Z",
            },
            "syslog.msg",  # the message alone, as rsyslog's `msg` property holds it (parsers/syslog_msg.toml)
        )
        assert unwrap({"msg": "m", "host": "h2", "syslogtag": "x"}) == ("m", {"host.name": "h2"}, "syslog.msg")
        assert unwrap({"msg": "m"}) is None

    def test_filebeat_fields_name_the_service_environment_and_parser_hint(self) -> None:
        found = unwrap(
            {
                "message": "m",
                "log": {"file": {"path": "/a"}},
                "host": {"hostname": "h"},
                "fields": {"service_name": "shop", "environment": "prod", "type": "nginx", "dataset": "other"},
            }
        )
        assert found == (
            "m",
            {"host.name": "h", "log.file.path": "/a", "service.name": "shop", "service.environment": "prod"},
            "nginx",
        )
        by_dataset = unwrap({"message": "m", "agent": {"type": "filebeat"}, "event": {"dataset": "nginx.access"}})
        assert by_dataset is not None and by_dataset[2] == "nginx.access"
        by_stream = unwrap(
            {
                "message": "m",
                "agent": {"type": "filebeat"},
                "data_stream": {"dataset": "app"},
                "service": {"name": "svc"},
            }
        )
        assert by_stream is not None and by_stream[2] == "app" and by_stream[1]["service.name"] == "svc"

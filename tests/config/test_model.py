"""Configuration: TOML plus LOGFLOW_* variables, validated with errors that name the key and the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from logflow.config import load_settings, redacted
from logflow.config.reference import reference_markdown
from logflow.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


class TestLoadSettings:
    def test_defaults_need_no_file_and_no_environment(self) -> None:
        """logflow starts with sensible defaults."""
        settings = load_settings(environ={})
        assert settings.routing.index_prefix == "logflow"
        assert settings.elasticsearch.plain_media_types == "auto"

    def test_environment_overrides_the_file(self, tmp_path: Path) -> None:
        """Precedence: defaults < TOML < LOGFLOW_* variables; lists are comma-separated."""
        path = tmp_path / "logflow.toml"
        path.write_text('[kafka]\ntopics = ["a"]\ngroup_id = "from-file"\n')
        settings = load_settings(
            path, environ={"LOGFLOW_KAFKA_TOPICS": "x, y", "LOGFLOW_ELASTICSEARCH_PLAIN_MEDIA_TYPES": "true"}
        )
        assert settings.kafka.topics == ["x", "y"]
        assert settings.kafka.group_id == "from-file"
        assert settings.elasticsearch.plain_media_types is True

    def test_the_config_file_can_come_from_logflow_config(self, tmp_path: Path) -> None:
        """LOGFLOW_CONFIG names the file when --config is not given."""
        path = tmp_path / "c.toml"
        path.write_text('[routing]\nindex_prefix = "prod"\n')
        assert load_settings(environ={"LOGFLOW_CONFIG": str(path)}).routing.index_prefix == "prod"

    def test_a_bad_value_names_the_key_the_variable_and_the_fix(self) -> None:
        """The error says which setting, where it came from and what it should be."""
        with pytest.raises(ConfigError) as info:
            load_settings(environ={"LOGFLOW_KAFKA_MAX_BATCH_RECORDS": "0"})
        text = str(info.value)
        assert "kafka.max_batch_records" in text and "LOGFLOW_KAFKA_MAX_BATCH_RECORDS" in text
        assert "greater than or equal to 1" in text

    def test_unknown_keys_in_the_file_are_errors(self, tmp_path: Path) -> None:
        """A misspelt key is caught instead of silently ignored."""
        path = tmp_path / "c.toml"
        path.write_text("[kafka]\ntopic = 'x'\n")
        with pytest.raises(ConfigError, match=r"kafka\.topic: .*did you mean kafka\.topics"):
            load_settings(path, environ={})

    def test_unknown_logflow_variables_are_errors(self) -> None:
        """LOGFLOW_KAFKA_TOPIX is a typo, not a new setting."""
        with pytest.raises(ConfigError, match="LOGFLOW_KAFKA_TOPIX"):
            load_settings(environ={"LOGFLOW_KAFKA_TOPIX": "x"})

    def test_invalid_toml_and_missing_files_are_errors(self, tmp_path: Path) -> None:
        """Both name the file."""
        bad = tmp_path / "bad.toml"
        bad.write_text("[kafka\n")
        with pytest.raises(ConfigError, match="not valid TOML"):
            load_settings(bad, environ={})
        with pytest.raises(ConfigError, match="does not exist"):
            load_settings(tmp_path / "missing.toml", environ={})

    def test_index_prefix_must_be_a_valid_index_name(self) -> None:
        """Upper case or wildcards in the prefix would make every index name invalid."""
        with pytest.raises(ConfigError, match=r"routing\.index_prefix"):
            load_settings(environ={"LOGFLOW_ROUTING_INDEX_PREFIX": "Logs*"})

    def test_routing_rules_can_come_from_json_in_the_environment(self) -> None:
        """Structured settings take JSON in their variable."""
        rules = '[{"name": "audit", "index": "insights-audit-{date}", "tags": ["security"], "copy": true}]'
        env = {"LOGFLOW_ROUTING_RULES": rules}
        rule = load_settings(environ=env).routing.rules[0]
        assert rule.name == "audit" and rule.copy_event is True


class TestSecrets:
    def test_secrets_are_masked_when_shown(self) -> None:
        """config show never prints a password or API key."""
        shown = redacted(
            load_settings(environ={"LOGFLOW_ELASTICSEARCH_PASSWORD": "hunter2", "LOGFLOW_ELASTICSEARCH_API_KEY": "k3y"})
        )
        assert "hunter2" not in str(shown) and "k3y" not in str(shown)


class TestReference:
    def test_docs_configuration_md_is_generated_from_the_model_and_current(self) -> None:
        """docs/configuration.md matches `python -m logflow.config`; regenerate it when this fails."""
        assert (ROOT / "docs" / "configuration.md").read_text() == reference_markdown()


class TestCommandLine:
    def test_a_configuration_error_exits_2_with_the_message(self) -> None:
        """Usage and configuration errors exit with code 2 and say what to fix."""
        proc = subprocess.run(
            [sys.executable, "-m", "logflow", "config", "show"],
            capture_output=True,
            text=True,
            env={"LOGFLOW_KAFKA_MAX_BATCH_RECORDS": "-1", "PATH": "/usr/bin:/bin"},
            check=False,
        )
        assert proc.returncode == 2
        assert "kafka.max_batch_records" in proc.stderr

"""Security settings: Kafka TLS/SASL, Elasticsearch and Kibana credentials, secrets from files, masking."""

from __future__ import annotations

import os
import ssl
from pathlib import Path

import certifi
import pytest
from typer.testing import CliRunner

from logflow.cli import app
from logflow.config import load_settings
from logflow.errors import ConfigError
from logflow.sink.client import make_client
from logflow.source.kafka import security_kwargs

CA = certifi.where()  # any readable PEM bundle serves as a CA file here


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No LOGFLOW_* variables from the outside world."""
    for name in list(os.environ):
        if name.startswith("LOGFLOW_"):
            monkeypatch.delenv(name)
    return monkeypatch


class TestKafka:
    def test_plaintext_is_the_default_and_adds_no_tls_or_sasl(self) -> None:
        """Without settings the client talks PLAINTEXT and gets no SSL context or SASL credentials."""
        kwargs = security_kwargs(load_settings(environ={}).kafka)
        assert kwargs["security_protocol"] == "PLAINTEXT"
        assert "ssl_context" not in kwargs
        assert "sasl_mechanism" not in kwargs

    @pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
    def test_sasl_ssl_passes_mechanism_credentials_and_a_tls_context(self, mechanism: str) -> None:
        """SASL_SSL gives aiokafka the mechanism, user, password and an SSLContext from the CA file."""
        env = {
            "LOGFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "LOGFLOW_KAFKA_SASL_MECHANISM": mechanism,
            "LOGFLOW_KAFKA_SASL_USERNAME": "logflow",
            "LOGFLOW_KAFKA_SASL_PASSWORD": "kafka-pw",
            "LOGFLOW_KAFKA_SSL_CAFILE": CA,
        }
        kwargs = security_kwargs(load_settings(environ=env).kafka)
        assert kwargs["security_protocol"] == "SASL_SSL"
        assert kwargs["sasl_mechanism"] == mechanism
        assert (kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == ("logflow", "kafka-pw")
        assert isinstance(kwargs["ssl_context"], ssl.SSLContext)
        assert kwargs["ssl_context"].check_hostname

    def test_sasl_plaintext_has_no_tls_context(self) -> None:
        """SASL_PLAINTEXT sends credentials without building an SSL context."""
        env = {
            "LOGFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "LOGFLOW_KAFKA_SASL_MECHANISM": "PLAIN",
            "LOGFLOW_KAFKA_SASL_USERNAME": "u",
            "LOGFLOW_KAFKA_SASL_PASSWORD": "p",
        }
        kwargs = security_kwargs(load_settings(environ=env).kafka)
        assert "ssl_context" not in kwargs
        assert kwargs["sasl_plain_password"] == "p"

    def test_sasl_without_credentials_is_a_configuration_error(self) -> None:
        """SASL_SSL without mechanism, user or password names what is missing."""
        with pytest.raises(ConfigError, match="kafka") as caught:
            load_settings(environ={"LOGFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"})
        assert "sasl_password" in str(caught.value)

    def test_unknown_mechanism_is_rejected(self) -> None:
        """Only PLAIN and SCRAM mechanisms are accepted."""
        with pytest.raises(ConfigError, match="sasl_mechanism"):
            load_settings(environ={"LOGFLOW_KAFKA_SASL_MECHANISM": "GSSAPI"})

    def test_unreadable_tls_files_are_a_configuration_error(self, tmp_path: Path) -> None:
        """A CA file that is not PEM fails with the keys to fix, not a traceback."""
        bad = tmp_path / "ca.pem"
        bad.write_text("not a certificate", encoding="utf-8")
        env = {"LOGFLOW_KAFKA_SECURITY_PROTOCOL": "SSL", "LOGFLOW_KAFKA_SSL_CAFILE": str(bad)}
        with pytest.raises(ConfigError, match="ssl_cafile"):
            security_kwargs(load_settings(environ=env).kafka)


class TestSecretFiles:
    def test_password_file_is_read_at_load_time_without_its_newline(self, tmp_path: Path) -> None:
        """`sasl_password_file` fills `sasl_password` with the file's content, trailing newline dropped."""
        secret = tmp_path / "pw"
        secret.write_text("from-a-file\n", encoding="utf-8")
        env = {
            "LOGFLOW_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "LOGFLOW_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "LOGFLOW_KAFKA_SASL_USERNAME": "u",
            "LOGFLOW_KAFKA_SASL_PASSWORD_FILE": str(secret),
        }
        kafka = load_settings(environ=env).kafka
        assert kafka.sasl_password is not None
        assert kafka.sasl_password.get_secret_value() == "from-a-file"

    @pytest.mark.parametrize("key", ["password", "api_key"])
    def test_elasticsearch_secrets_come_from_files(self, tmp_path: Path, key: str) -> None:
        """`elasticsearch.password_file` and `api_key_file` fill the secret."""
        secret = tmp_path / key
        secret.write_text("s3cret\n", encoding="utf-8")
        es = load_settings(environ={f"LOGFLOW_ELASTICSEARCH_{key.upper()}_FILE": str(secret)}).elasticsearch
        value = getattr(es, key)
        assert value.get_secret_value() == "s3cret"

    def test_giving_a_secret_and_its_file_is_an_error(self, tmp_path: Path) -> None:
        """Both `password` and `password_file` is ambiguous and rejected."""
        secret = tmp_path / "pw"
        secret.write_text("a", encoding="utf-8")
        env = {"LOGFLOW_ELASTICSEARCH_PASSWORD": "b", "LOGFLOW_ELASTICSEARCH_PASSWORD_FILE": str(secret)}
        with pytest.raises(ConfigError, match="not both"):
            load_settings(environ=env)

    def test_a_missing_secret_file_names_the_key_and_not_a_secret(self, tmp_path: Path) -> None:
        """An unreadable file is a ConfigError naming the `_file` key and the path."""
        missing = tmp_path / "nope"
        with pytest.raises(ConfigError, match="api_key_file") as caught:
            load_settings(environ={"LOGFLOW_KIBANA_API_KEY_FILE": str(missing)})
        assert str(missing) in str(caught.value)


class TestElasticsearchAuth:
    def test_api_key_becomes_an_apikey_authorization_header(self) -> None:
        """An API key is sent as `Authorization: ApiKey …`."""
        es = load_settings(environ={"LOGFLOW_ELASTICSEARCH_API_KEY": "aWQ6a2V5"}).elasticsearch
        client = make_client(es)
        assert client._headers["authorization"] == "ApiKey aWQ6a2V5"

    def test_basic_auth_and_a_ca_file_are_used(self) -> None:
        """User and password become basic auth; the CA file verifies TLS."""
        env = {
            "LOGFLOW_ELASTICSEARCH_HOSTS": "https://es.example:9200",
            "LOGFLOW_ELASTICSEARCH_USERNAME": "writer",
            "LOGFLOW_ELASTICSEARCH_PASSWORD": "pw",
            "LOGFLOW_ELASTICSEARCH_CA_CERTS": CA,
        }
        client = make_client(load_settings(environ=env).elasticsearch)
        assert client._headers["authorization"].startswith("Basic ")


class TestConfigShow:
    def test_config_show_masks_every_secret_including_those_from_files(
        self, clean_env: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Passwords and API keys from variables or files never appear in `logflow config show`."""
        secret_file = tmp_path / "kibana-pw"
        secret_file.write_text("kibana-file-secret\n", encoding="utf-8")
        secrets = {
            "LOGFLOW_KAFKA_SASL_PASSWORD": "kafka-env-secret",
            "LOGFLOW_ELASTICSEARCH_API_KEY": "es-env-secret",
            "LOGFLOW_ELASTICSEARCH_PASSWORD": "es-pw-secret",
            "LOGFLOW_KIBANA_PASSWORD_FILE": str(secret_file),
        }
        for name, value in secrets.items():
            clean_env.setenv(name, value)
        result = CliRunner().invoke(app, ["config", "show"])
        assert result.exit_code == 0, result.output
        for value in ("kafka-env-secret", "es-env-secret", "es-pw-secret", "kibana-file-secret"):
            assert value not in result.output
        assert result.output.count("**********") >= 4

    def test_redaction_is_on_by_default_for_secrets_and_cards(self) -> None:
        """The default [redaction] masks passwords, bearer tokens and card numbers."""
        redaction = load_settings(environ={}).redaction
        assert redaction.enabled
        assert set(redaction.kinds) == {"password", "bearer", "card"}
        assert redaction.fields == ["*"]  # every field that can hold input text

"""Loading the configuration: every problem at once, with its key and fix; old keys say where they went."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import load_settings, redacted, without_credentials
from logflow.config.load import env_name
from logflow.config.sections import SECTIONS
from logflow.errors import ConfigError, ConfigErrors


def problems(exc: ConfigError) -> list[str]:
    return [str(p) for p in getattr(exc, "problems", [exc])]


class TestAllErrorsAtOnce:
    def test_every_bad_value_in_a_file_and_the_environment_is_reported_in_one_error(self, tmp_path: Path) -> None:
        path = tmp_path / "logflow.toml"
        path.write_text('[decode]\nmultiline_start = "(unclosed"\n[kafka]\nmax_batch_records = 0\n')
        with pytest.raises(ConfigErrors) as caught:
            load_settings(path, environ={"LOGFLOW_ROUTING_INDEX_PREFIX": "Bad Prefix"})
        text = problems(caught.value)
        assert len(text) == 3
        assert any(t.startswith("decode.multiline_start") and "regular expression" in t for t in text)
        assert any(t.startswith("kafka.max_batch_records") for t in text)
        assert any("LOGFLOW_ROUTING_INDEX_PREFIX" in t for t in text)

    def test_a_misspelt_key_gets_the_closest_known_key(self, tmp_path: Path) -> None:
        path = tmp_path / "logflow.toml"
        path.write_text("[routing]\nindex_prefx = 'logs'\n[kafak]\ntopics = ['a']\n")
        with pytest.raises(ConfigErrors) as caught:
            load_settings(path, environ={})
        text = " ".join(problems(caught.value))
        assert "did you mean routing.index_prefix?" in text
        assert "did you mean kafka?" in text

    def test_an_unknown_variable_gets_the_closest_variable(self) -> None:
        with pytest.raises(ConfigError, match="did you mean LOGFLOW_KAFKA_TOPICS"):
            load_settings(environ={"LOGFLOW_KAFKA_TOPIC": "logs"})


class TestMovedKeys:
    @pytest.mark.parametrize(
        ("key", "section"),
        [
            ("index_prefix", "routing"),
            ("multiline_start", "decode"),
            ("parsers_dir", "parse"),
            ("shutdown_timeout_s", "worker"),
            ("service_name", "enrich"),
        ],
    )
    def test_a_key_of_the_old_pipeline_section_names_its_new_section(
        self, tmp_path: Path, key: str, section: str
    ) -> None:
        path = tmp_path / "logflow.toml"
        path.write_text(f"[pipeline]\n{key} = 'x'\n")
        with pytest.raises(ConfigError, match=rf"pipeline\.{key}: moved to \[{section}\].*{section}\.{key}"):
            load_settings(path, environ={})

    def test_an_old_pipeline_variable_names_its_new_variable(self) -> None:
        with pytest.raises(ConfigError, match="rename the variable to LOGFLOW_DECODE_MAX_LINE_BYTES"):
            load_settings(environ={"LOGFLOW_PIPELINE_MAX_LINE_BYTES": "4096"})


class TestEnvironment:
    def test_the_test_suites_own_variables_are_not_settings_errors(self) -> None:
        """LOGFLOW_TEST_KAFKA / LOGFLOW_TEST_ES point the tests at real servers; every command still runs."""
        settings = load_settings(environ={"LOGFLOW_TEST_KAFKA": "k:9092", "LOGFLOW_TEST_ES": "http://e:9200"})
        assert settings.kafka.bootstrap_servers == ["localhost:9092"]

    @pytest.mark.parametrize("raw", ['["a", "b"]', "a, b", "a,b,"])
    def test_a_list_can_be_given_as_json_or_comma_separated(self, raw: str) -> None:
        assert load_settings(environ={"LOGFLOW_KAFKA_TOPICS": raw}).kafka.topics == ["a", "b"]

    @pytest.mark.parametrize("raw", ['["a", ', "[1, {}]"])
    def test_a_list_given_as_broken_json_is_a_clear_error(self, raw: str) -> None:
        with pytest.raises(ConfigError, match="LOGFLOW_KAFKA_TOPICS"):
            load_settings(environ={"LOGFLOW_KAFKA_TOPICS": raw})


# Every setting's variable, and text as Python hands a variable with bytes that are not UTF-8 (a lone
# surrogate from os.environ's surrogateescape), anywhere in the value.
VARIABLES = sorted(env_name(section, key) for section, model in SECTIONS.items() for key in model.model_fields)
NOT_UTF8 = st.tuples(
    st.text(max_size=8), st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF), st.text(max_size=8)
)


class TestNotUtf8:
    @settings(max_examples=200, deadline=None)
    @given(name=st.sampled_from(VARIABLES), parts=NOT_UTF8)
    def test_a_variable_with_bytes_that_are_not_utf8_is_refused_by_name_never_shown(
        self, name: str, parts: tuple[str, str, str]
    ) -> None:
        """Not a crash where the text is encoded later (a topic, an index, a header), and not the value: it may
        be a secret."""
        value = "".join(parts)
        with pytest.raises(ConfigError) as caught:
            load_settings(environ={name: value})
        # The whole message, exactly: the name and the position, nothing of the value.
        at = len(parts[0]) + 1
        assert (
            str(caught.value)
            == f"{name}: holds bytes that are not UTF-8 (at character {at}) (fix: set it to UTF-8 text)"
        )

    def test_a_config_file_that_is_not_utf8_names_the_file_and_the_line(self, tmp_path: Path) -> None:
        path = tmp_path / "logflow.toml"
        path.write_bytes(b'[routing]\nindex_prefix = "lo\xffg"\n')
        with pytest.raises(ConfigError, match=r"logflow.toml: is not UTF-8 text \(line 2, byte 29\)"):
            load_settings(path, environ={})

    def test_a_secret_file_that_is_not_utf8_is_an_error_that_shows_none_of_its_bytes(self, tmp_path: Path) -> None:
        path = tmp_path / "password"
        path.write_bytes(b"hunter\xff2-secret")
        with pytest.raises(ConfigError) as caught:
            load_settings(environ={"LOGFLOW_ELASTICSEARCH_PASSWORD_FILE": str(path)})
        assert "password_file" in str(caught.value) and "is not UTF-8 text (byte 7)" in str(caught.value)
        assert "hunter" not in str(caught.value)


class TestShown:
    @pytest.mark.parametrize(
        ("url", "shown"),
        [
            ("https://user:pw@es1:9200", "https://****@es1:9200"),
            ("http://es1:9200/path?x=1", "http://es1:9200/path?x=1"),
            ("https://tok@es:9200", "https://****@es:9200"),
        ],
    )
    def test_credentials_in_urls_are_masked(self, url: str, shown: str) -> None:
        assert without_credentials(url) == shown

    def test_config_show_carries_no_url_credentials(self) -> None:
        env = {"LOGFLOW_ELASTICSEARCH_HOSTS": "https://elastic:s3cret@es1:9200", "LOGFLOW_KIBANA_URL": "http://k:pw@kb"}
        shown = str(redacted(load_settings(environ=env)))
        assert "s3cret" not in shown and ":pw@" not in shown

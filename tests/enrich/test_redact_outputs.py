"""Issue 19.2: nothing the program prints carries a secret: ``config show``, error lines, ``dlq show``, the HTML
report. One masking (``logflow.config.secrets``) for all of them; secrets, hosts and texts are generated."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow import cli
from logflow.admin.replay import DeadLetter
from logflow.analyze.render_html import escape
from logflow.config import RedactionConfig, load_settings, redacted
from logflow.config.secrets import mask_output, mask_value, remember
from logflow.enrich.redact import printable
from logflow.event import Record
from tests.enrich.test_redact_property import WORDS, records, secret_keys, secrets

words = st.sampled_from(WORDS)
hosts = st.tuples(words, st.integers(1, 65535)).map(lambda h: f"{h[0]}.example:{h[1]}")
texts = st.text(st.characters(exclude_characters="*", exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=60, deadline=None)
@given(secrets, secrets, secrets, secrets, hosts, st.sampled_from(("https", "http")), st.booleans())
def test_config_show_holds_no_secret_from_any_setting(
    user: str, password: str, api_key: str, kafka_password: str, host: str, scheme: str, from_files: bool
) -> None:
    """URL userinfo anywhere, every secret setting inline or from its ``*_file``: none of it is printed."""
    with tempfile.TemporaryDirectory() as tmp:
        overrides: dict[str, Any] = {
            "elasticsearch": {"hosts": [f"{scheme}://{user}:{password}@{host}"]},
            "kibana": {"url": f"{scheme}://{user}:{password}@{host}/kibana"},
            "kafka": {"bootstrap_servers": [f"{user}:{kafka_password}@{host}"]},
        }
        if from_files:
            for section, key, value in (
                ("elasticsearch", "api_key", api_key),
                ("kafka", "ssl_password", kafka_password),
            ):
                path = Path(tmp) / key
                path.write_text(value + "\n")
                overrides[section][f"{key}_file"] = str(path)
        else:
            overrides["elasticsearch"]["api_key"] = api_key
            overrides["kafka"]["ssl_password"] = kafka_password
        shown = orjson.dumps(redacted(load_settings(environ={}, overrides=overrides))).decode()
    for secret in (user, password, api_key, kafka_password):
        assert secret not in shown
    assert host in shown  # what is not secret is still there to read


@settings(max_examples=200, deadline=None)
@given(secrets, texts, texts)
def test_a_secret_the_settings_hold_is_masked_in_any_text_around_it(secret: str, before: str, after: str) -> None:
    """A server's answer or a traceback may quote the password in any shape: the value itself is never printed."""
    remember(secret)
    assert secret not in mask_output(f"{before}{secret}{after}")


@settings(max_examples=200, deadline=None)
@given(words, secrets, secrets, hosts, texts, texts)
def test_url_userinfo_is_masked_whole_in_printed_text(
    scheme: str, user: str, password: str, host: str, before: str, after: str
) -> None:
    out = mask_output(f"{before} {scheme}://{user}:{password}@{host}/x {after}")
    assert user not in out and password not in out


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.one_of(st.none(), st.integers(-(2**40), 2**40), words), lambda c: st.dictionaries(words, c, max_size=3)
    ),
    secret_keys(),
    secrets,
)
def test_printed_structures_mask_secret_named_keys_at_any_depth(tree: Any, key: str, secret: str) -> None:
    printed = orjson.dumps(mask_value({"outer": [{"inner": tree, key: {"v": secret}}]})).decode()
    assert secret not in printed


@settings(max_examples=100, deadline=None)
@given(records(), words)
def test_dlq_show_prints_no_secret_from_the_record_or_the_reason(line: tuple[bytes, list[str]], field: str) -> None:
    """The record is a log line as it arrived: its preview and the reason are masked as indexing would."""
    value, planted = line
    quoted = value.decode() if value[:1] != b"{" else f"token={planted[0]}"  # a server quotes a value
    reason = f"failed to parse field [{field}]: {quoted[:200]}"
    letter = DeadLetter(0, 1, Record("logs", 0, 1, value), "index", "mapper_parsing_exception", reason, None, None)
    printed = orjson.dumps(letter.summary(printable(RedactionConfig()))).decode()
    for secret in planted:
        assert secret not in printed


def test_dlq_show_masks_even_when_indexing_redaction_is_off() -> None:
    """Turning redaction off for the index does not turn it off for the terminal."""
    mask = printable(RedactionConfig(enabled=False, kinds=[], secret_fields=[]))
    assert "zx81zx81" not in mask('{"a": {"client_secret": "zx81zx81"}}')
    assert "zx81zx81" not in mask("retry token=zx81zx81")


@settings(max_examples=100, deadline=None)
@given(records())
def test_the_html_report_masks_every_text_it_shows(line: tuple[bytes, list[str]]) -> None:
    """Every text of the page goes through ``escape``: an example line from an export is masked there."""
    value, planted = line
    page = escape(value.decode())
    for secret in planted:
        assert secret not in page


def test_error_lines_show_no_credentials(capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI's error printer masks what it is given (an answer, a URL from the settings)."""
    cli._say("error:", "cannot reach Elasticsearch (https://ops:k3yk3yk3y@es-9:9200): refused")
    err = capsys.readouterr().err
    assert "k3yk3yk3y" not in err and "ops:" not in err and "es-9:9200" in err

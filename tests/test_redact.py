"""The redact stage: each kind is masked, the document is tagged, and nothing else changes."""

from __future__ import annotations

import copy
import time
from typing import Any

import orjson
import pytest

from logflow.config import RedactionConfig, load_settings
from logflow.process import Processor
from logflow.record import Record
from logflow.redact import Redactor, luhn_ok

ALL = RedactionConfig(kinds=["password", "bearer", "card", "email"])
R = "[REDACTED]"


def masked(text: str, cfg: RedactionConfig = ALL) -> str:
    return Redactor(cfg).text(text)


class TestKinds:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("login ok password=hunter2 user=bob", f"login ok password={R} user=bob"),
            ("db_password: 'p@ss w'", f"db_password: '{R}'"),
            ('{"api_key": "abcd1234", "n": 1}', f'{{"api_key": "{R}", "n": 1}}'),
            ("X-Api-Key: zzz123", f"X-Api-Key: {R}"),
            ("GET /cb?access_token=eyJabc&state=1", f"GET /cb?access_token={R}&state=1"),
            ("PASSWD=Secret1", f"PASSWD={R}"),
            ("client_secret = xyz", f"client_secret = {R}"),
            ("dial postgres://app:s3cr3t@db:5432/shop", f"dial postgres://app:{R}@db:5432/shop"),
        ],
    )
    def test_passwords_in_key_value_pairs_and_urls_are_masked(self, text: str, expected: str) -> None:
        """The value after a password-like key, and the password in URL credentials, are replaced."""
        assert masked(text) == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", f"Authorization: Bearer {R}"),
            ("header bearer abcdefgh12345678==", f"header bearer {R}"),
        ],
    )
    def test_bearer_tokens_are_masked(self, text: str, expected: str) -> None:
        """The token after `Bearer` is masked, the word stays."""
        assert masked(text) == expected

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("charged 4111111111111111 ok", f"charged {R} ok"),
            ("card 4111 1111 1111 1111.", f"card {R}."),
            ("amex 3782-822463-10005 declined", f"amex {R} declined"),
            ("mc 5555555555554444", f"mc {R}"),
        ],
    )
    def test_card_numbers_that_pass_luhn_are_masked(self, text: str, expected: str) -> None:
        """Card numbers, grouped or not, are masked when their Luhn checksum holds."""
        assert masked(text) == expected

    @pytest.mark.parametrize(
        "text",
        [
            "order 4111111111111112 shipped",  # fails Luhn
            "epoch 1795397232000 ms",  # 13 digits, starts with 1
            "trace 4bf92f3577b34da6a3ce929d0e0e4736",
            "at 2026-11-23 10:11:12,123 took 1234 ms",
            "ip 10.1.2.3 port 443 bytes 1234567",
        ],
    )
    def test_numbers_that_are_not_cards_stay(self, text: str) -> None:
        """Timestamps, ids and numbers that fail Luhn are untouched."""
        assert masked(text) == text

    def test_emails_are_masked_when_enabled(self) -> None:
        """With `email` among the kinds, addresses are masked."""
        assert masked("reset sent to bob.smith+x@mail.example.co.uk now") == f"reset sent to {R} now"

    def test_emails_stay_by_default(self) -> None:
        """The default kinds leave e-mail addresses alone (they are often needed to debug)."""
        assert masked("reset sent to bob@example.com", RedactionConfig()) == "reset sent to bob@example.com"

    @pytest.mark.parametrize(
        "text",
        [
            "tokens=512 passed: 3 key=cart:1 secret_name=db",
            "User bob logged in from 198.51.100.7",
            "Failed login for user carol: bad password",
        ],
    )
    def test_text_without_secrets_is_returned_unchanged(self, text: str) -> None:
        """Look-alike words without a secret value are not masked, and the same object comes back."""
        assert Redactor(ALL).text(text) is text

    def test_masking_twice_changes_nothing_more(self) -> None:
        """Redacting already redacted text is a no-op."""
        once = masked("password=x Bearer abcdefgh1234 4111111111111111")
        assert masked(once) == once

    def test_luhn(self) -> None:
        """The Luhn check accepts a valid test card and rejects a neighbour."""
        assert luhn_ok("4111111111111111")
        assert not luhn_ok("4111111111111112")


class TestDocuments:
    def test_only_configured_fields_change_and_the_document_is_tagged(self) -> None:
        """message and error.message are masked and `redacted` is added; other fields stay byte for byte."""
        doc: dict[str, Any] = {
            "message": "login password=hunter2",
            "error.message": "auth with Bearer abcdefgh12345",
            "user.name": "password=visible-on-purpose",
            "tags": ["security"],
            "http.response.status_code": 200,
        }
        before = copy.deepcopy(doc)
        Redactor(ALL)(doc)
        assert doc["message"] == f"login password={R}"
        assert doc["error.message"] == f"auth with Bearer {R}"
        assert doc["tags"] == ["security", "redacted"]
        assert {k: v for k, v in doc.items() if k not in ("message", "error.message", "tags")} == {
            k: v for k, v in before.items() if k not in ("message", "error.message", "tags")
        }

    def test_a_document_without_secrets_is_left_exactly_as_it_was(self) -> None:
        """No masking, no tag, no new keys."""
        doc: dict[str, Any] = {"message": "order 42 placed", "service.name": "orders", "log.level": "info"}
        before = copy.deepcopy(doc)
        Redactor(ALL)(doc)
        assert doc == before

    def test_fields_named_like_secrets_are_masked_whole(self) -> None:
        """`labels.password` and `json.API_KEY` lose their values; `labels.user` keeps it."""
        doc: dict[str, Any] = {
            "message": "x",
            "labels.password": "pw",
            "json.API_KEY": "k",
            "labels.user": "bob",
        }
        Redactor(RedactionConfig())(doc)
        assert doc == {
            "message": "x",
            "labels.password": R,
            "json.API_KEY": R,
            "labels.user": "bob",
            "tags": ["redacted"],
        }

    def test_the_raw_line_is_masked_when_it_will_be_kept(self) -> None:
        """For a parse failure (event.original kept) the original line comes back masked."""
        doc: dict[str, Any] = {"message": "junk password=pw", "tags": ["parse_failure"]}
        original = Redactor(RedactionConfig())(doc, "junk password=pw")
        assert original == f"junk password={R}"

    def test_the_raw_line_is_not_scanned_when_it_will_be_dropped(self) -> None:
        """Under keep_original=failures a parsed line's original comes back as is (it is not indexed)."""
        raw = "line password=pw"
        assert Redactor(RedactionConfig(), "failures")({"message": "line"}, raw) is raw

    def test_redaction_that_is_off_is_not_called_at_all(self) -> None:
        """enabled=false gives no redactor, so the pipeline skips the stage."""
        assert Redactor.from_config(RedactionConfig(enabled=False)) is None
        assert Redactor.from_config(RedactionConfig()) is not None


class TestPipeline:
    def _process(self, value: bytes, **redaction: Any) -> dict[str, Any]:
        settings = load_settings(environ={}, overrides={"redaction": redaction} if redaction else None)
        processed = Processor(settings).process([Record("logs", 0, 7, value)], keep_documents=True)
        assert processed.documents, processed.rejections
        return processed.documents[0]

    def test_processor_masks_a_parsed_line_and_tags_it(self) -> None:
        """An app log line with a password is indexed masked and tagged `redacted`."""
        doc = self._process(
            b"2026-11-23 10:11:12,123 INFO checkout.api: retry with password=hunter2 trace_id=abc123"
        )
        assert "hunter2" not in orjson.dumps(doc).decode()
        assert "redacted" in doc["tags"]

    def test_processor_masks_event_original_of_a_parse_failure(self) -> None:
        """A line no parser matches keeps its raw text in event.original, masked."""
        doc = self._process(b"%%% opaque Bearer abcdefgh12345678 %%%")
        assert "abcdefgh12345678" not in orjson.dumps(doc).decode()
        assert "parse_failure" in doc["tags"]
        assert "redacted" in doc["tags"]

    def test_processor_leaves_clean_lines_untagged(self) -> None:
        """A line without secrets gets no `redacted` tag."""
        doc = self._process(
            b"2026-11-23 10:11:12,123 INFO checkout.api: order placed order_id=1 trace_id=abc123"
        )
        assert "redacted" not in (doc.get("tags") or [])

    def test_processor_with_redaction_off_indexes_the_secret(self) -> None:
        """enabled=false turns the stage off."""
        doc = self._process(b"2026-11-23 10:11:12,123 INFO checkout.api: password=hunter2", enabled=False)
        assert "hunter2" in doc["message"]


class TestCost:
    def test_clean_events_cost_a_few_microseconds(self) -> None:
        """The default redactor costs well under the pipeline's per-event budget on a typical access line."""
        line = (
            '10.1.2.3 - alice [22/Nov/2026:10:11:12 +0000] "GET /api/products/123 HTTP/1.1" 200 5123 '
            '"https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36" "-" 0.081 '
            "4bf92f3577b34da6a3ce929d0e0e4736"
        )
        redact = Redactor(RedactionConfig())
        docs = [
            {"message": line, "url.original": "/api/products/123", "service.name": "web"}
            for _ in range(20_000)
        ]
        started = time.perf_counter()
        for doc in docs:
            redact(doc)
        per_event_us = (time.perf_counter() - started) / len(docs) * 1e6
        assert per_event_us < 40, f"{per_event_us:.1f} µs per event"

"""The redact stage: each kind is masked, the document is tagged, and nothing else changes."""

from __future__ import annotations

import copy
import datetime as dt
import random
import re
from typing import Any

import orjson
import pytest
from structlog.testing import capture_logs

from logflow.config import RedactionConfig, load_settings
from logflow.enrich.redact import Redactor, luhn_ok, printable
from logflow.event import Batch, Event, Record
from logflow.worker.processor import Processor

ALL = RedactionConfig(kinds=["password", "bearer", "card", "email"])
NAMED = ["message", "error.message", "error.stack_trace", "url.original", "event.original"]  # fields named, not `*`
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
        """With fields named, message and error.message are masked and `redacted` is added; other fields
        stay byte for byte."""
        doc: dict[str, Any] = {
            "message": "login password=hunter2",
            "error.message": "auth with Bearer abcdefgh12345",
            "user.name": "password=visible-on-purpose",
            "tags": ["security"],
            "http.response.status_code": 200,
        }
        before = copy.deepcopy(doc)
        Redactor(ALL.model_copy(update={"fields": NAMED})).document(doc)
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
        Redactor(ALL).document(doc)
        assert doc == before

    def test_fields_named_like_secrets_are_masked_whole(self) -> None:
        """`labels.password` and `json.API_KEY` lose their values; `labels.user` keeps it."""
        doc: dict[str, Any] = {
            "message": "x",
            "labels.password": "pw",
            "json.API_KEY": "k",
            "labels.user": "bob",
        }
        Redactor(RedactionConfig()).document(doc)
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
        original = Redactor(RedactionConfig()).document(doc, "junk password=pw")
        assert original == f"junk password={R}"

    def test_the_raw_line_is_not_scanned_when_it_will_be_dropped(self) -> None:
        """Under keep_original=failures a parsed line's original comes back as is (it is not indexed)."""
        raw = "line password=pw"
        assert Redactor(RedactionConfig(), "failures").document({"message": "line"}, raw) is raw

    @pytest.mark.parametrize("keep_original", ["always", "failures", "never"])
    def test_the_raw_line_is_searched_only_when_event_original_is_a_configured_field(self, keep_original: str) -> None:
        """`fields` says what is searched: without `event.original` the raw line comes back as it was."""
        raw = '{"password": "pw"} token=abc'
        doc: dict[str, Any] = {"message": "line token=abc", "tags": ["parse_failure"]}
        assert Redactor(RedactionConfig(fields=["message"]), keep_original).document(doc, raw) is raw
        assert doc == {"message": f"line token={R}", "tags": ["parse_failure", "redacted"]}

    @pytest.mark.parametrize(
        "value",
        [None, True, False, R, {}, [], {"a": None, "b": R}, [None, [], {}, False], {"nested": {"deeper": [R]}}],
        ids=["null", "true", "false", "already-masked", "empty-object", "empty-array", "object", "array", "deep"],
    )
    def test_a_secret_named_value_with_nothing_to_hide_is_not_tagged_redacted(self, value: Any) -> None:
        """`redacted` says a value was masked; null, booleans, empty containers and masks already there hide nothing."""
        doc: dict[str, Any] = {"message": "x", "labels.password": copy.deepcopy(value)}
        Redactor(RedactionConfig()).document(doc)
        assert doc == {"message": "x", "labels.password": value}

    @pytest.mark.parametrize(
        ("value", "expected"),
        [({"a": None, "b": "pw"}, {"a": None, "b": R}), ([None, ["pw"], {}], [None, [R], {}])],
        ids=["object", "array"],
    )
    def test_one_leaf_masked_deep_in_a_secret_named_value_tags_the_document(self, value: Any, expected: Any) -> None:
        doc: dict[str, Any] = {"labels.password": copy.deepcopy(value)}  # parameters are shared between runs
        Redactor(RedactionConfig()).document(doc)
        assert doc == {"labels.password": expected, "tags": ["redacted"]}

    def test_from_config_masks_the_raw_line_of_a_parse_failure_by_default(self) -> None:
        """The default `keep_original` is `failures`: the line of a failed parse is indexed, so it is masked."""
        redactor = Redactor.from_config(RedactionConfig())
        assert redactor is not None
        doc: dict[str, Any] = {"message": "junk", "tags": ["parse_failure"]}
        assert redactor.document(doc, "junk password=pw") == f"junk password={R}"

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
        doc = self._process(b"2026-11-23 10:11:12,123 INFO checkout.api: retry with password=hunter2 trace_id=abc123")
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
        doc = self._process(b"2026-11-23 10:11:12,123 INFO checkout.api: order placed order_id=1 trace_id=abc123")
        assert "redacted" not in (doc.get("tags") or [])

    def test_processor_with_redaction_off_indexes_the_secret(self) -> None:
        """enabled=false turns the stage off."""
        doc = self._process(b"2026-11-23 10:11:12,123 INFO checkout.api: password=hunter2", enabled=False)
        assert "hunter2" in doc["message"]


class TestBatch:
    """``batch`` checks each kind's condition once over a field's joined values; it must mask as per document."""

    FRAGMENTS = (
        "GET /api/orders 200",
        "password=hunter2",
        "db_password: 'p@ss w'",
        '{"api_key": "abcd1234"}',
        "dial postgres://app:s3cr3t@db:5432/shop",
        "see https://example.com/a",
        "Authorization: Bearer abcdefgh12345",
        "card 4111 1111 1111 1111 ok",
        "4111-1111-1111-1112",
        "order 1234567890123456789",
        "mail bob@example.com",
        "İstanbul ödeme",
        "naïve café",
        "token:",
        "key = ",
        "",
        "x" * 40,
        "12 34 56 78 90 12 34",
    )

    def documents(self, seed: int) -> tuple[list[dict[str, Any]], list[str | None]]:
        rng = random.Random(seed)
        docs: list[dict[str, Any]] = []
        originals: list[str | None] = []
        for _ in range(rng.randint(0, 60)):
            doc: dict[str, Any] = {}
            for name in ("message", "error.message", "url.original", "error.stack_trace", "labels.password"):
                if rng.random() < 0.6:
                    doc[name] = " ".join(rng.choice(self.FRAGMENTS) for _ in range(rng.randint(1, 3)))
            if rng.random() < 0.2:
                doc["message"] = rng.choice((42, None, ["a"]))  # not a string: never scanned
            doc["tags"] = rng.choice((None, ["parse_failure"], ["x"], "solo"))
            if doc["tags"] is None:
                del doc["tags"]
            docs.append(doc)
            originals.append(" ".join(rng.choice(self.FRAGMENTS) for _ in range(2)) if rng.random() < 0.7 else None)
        return docs, originals

    @pytest.mark.parametrize("keep_original", ["always", "failures", "never"])
    @pytest.mark.parametrize(
        "cfg", [ALL, RedactionConfig(), RedactionConfig(kinds=["card"]), RedactionConfig(kinds=["email"])]
    )
    def test_a_batch_is_masked_exactly_as_document_by_document(self, cfg: RedactionConfig, keep_original: str) -> None:
        redact = Redactor(cfg, keep_original)
        for seed in range(40):
            docs, originals = self.documents(seed)
            one_by_one = copy.deepcopy(docs)
            expected = [redact.document(doc, raw) for doc, raw in zip(one_by_one, originals, strict=True)]
            got = list(originals)
            redact.documents(docs, got)
            assert (docs, got) == (one_by_one, expected), f"seed {seed}"

    def test_a_secret_right_after_non_ascii_text_is_found_in_its_own_value(self) -> None:
        """Characters and UTF-8 bytes differ after "é": the digit scan must not attribute a card to the wrong value."""
        redact = Redactor(ALL)
        messages = ["é" * 40, "4111 1111 1111 1111 paid", "café password=x1"]
        docs: list[dict[str, Any]] = [{"message": m} for m in messages]
        redact.documents(docs, [None, None, None])
        assert [d["message"] for d in docs] == ["é" * 40, f"{R} paid", f"café password={R}"]
        assert [d.get("tags") for d in docs] == [None, ["redacted"], ["redacted"]]

    @pytest.mark.parametrize(
        "word",
        [
            "password",
            "passwd",
            "passphrase",
            "pwd",
            "secret",
            "token",
            "apikey",
            "api_key",
            "api-key",
            "accesskey",
            "access_key",
            "access-key",
        ],
    )
    def test_every_key_word_makes_its_value_suspect_wherever_it_stands(self, word: str) -> None:
        """The batch check finds the hint's words by substring search and tries the hint only there."""
        values = [f"{word}", f"{word}=x", f"my{word.upper()} : y", f'"{word}"\t:"z"', "clean", f"{word}:", f"{word} is"]
        assert Redactor(RedactionConfig(kinds=["password"]))._suspects(values) == {1, 2, 3, 5}

    def test_the_batch_hint_check_flags_exactly_the_values_the_hint_expression_matches(self) -> None:
        """Near misses (``api__key``, ``acces_key``, words cut by a value boundary) included: as a regex scan."""
        hint = re.compile(
            r"(?:pass(?:word|wd|phrase)|pwd|secret|token|(?:api|access)[_-]?key|authorization)(?:\\?[\"'])?[ \t]*[=:]"
        )
        parts = [
            "api",
            "access",
            "_",
            "-",
            "key",
            "pass",
            "word",
            "wd",
            "phrase",
            "pwd",
            "secret",
            "token",
            "=",
            ":",
            " ",
            "\t",
            '"',
            "'",
            "x",
            "K",
            "é",
            "monkey",
            "ssword=",
            "authoriz",
            "ation",
            "\\",
        ]
        redact = Redactor(RedactionConfig(kinds=["password"]))
        rng = random.Random(5)
        for _ in range(300):
            values = ["".join(rng.choice(parts) for _ in range(rng.randint(0, 8))) for _ in range(rng.randint(1, 12))]
            expected = {j for j, value in enumerate(values) if hint.search(value.lower())}
            assert redact._suspects(values) == expected, values

    @pytest.mark.parametrize("text", ["cache hit key=cart:44308", "monkey: 3", "Failed password for bob"])
    def test_words_that_only_look_like_keys_do_not_make_a_value_suspect(self, text: str) -> None:
        """A bare `key=` (not api_key/access_key) cannot be masked, so it does not cost the full search."""
        assert Redactor(ALL)._suspects([text]) == set()
        assert masked(text) == text

    def test_clean_values_never_reach_the_full_expressions(self) -> None:
        """What makes redaction cheap: a value that meets no condition is never searched with a kind's expression."""

        class Forbidden:
            def sub(self, *args: Any) -> str:
                raise AssertionError("a clean value reached a full expression")

        redact = Redactor(ALL, "always")
        m = redact.masker
        m.password = m.authorization = m.url_credentials = m.bearer = m.card = m.email = Forbidden()  # type: ignore[assignment]
        line = (
            '10.1.2.3 - alice [22/Nov/2026:10:11:12 +0000] "GET /api/products/123 HTTP/1.1" 200 5123 '
            '"https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64)" "-" 0.081 4bf92f3577b34da6a3ce929d0e0e4736'
        )
        docs = [{"message": f"{line} {i}", "url.original": "/api/products/123"} for i in range(100)]
        redact.documents(docs, [line] * len(docs))  # "://" without "@": URL credentials are ruled out per value
        for doc in docs:
            redact.document(doc, line)


class TestEveryIndexedString:
    """Issue 19.1: the same masking for every string a named field holds, at any depth, and by key name anywhere."""

    def test_event_original_set_as_a_field_by_the_parser_is_masked(self) -> None:
        """A parser that keeps the line as the `event.original` field (access logs) gets it masked as a named field."""
        doc: dict[str, Any] = {"message": "GET /a 200", "event.original": "GET /a?api_key=zq81 HTTP/1.1"}
        Redactor(RedactionConfig()).document(doc)
        assert doc["event.original"] == f"GET /a?api_key={R} HTTP/1.1"

    def test_strings_in_arrays_outside_the_named_fields_are_left_alone(self) -> None:
        """Only the named fields are searched: an array elsewhere keeps its strings, nested ones too."""
        doc: dict[str, Any] = {"json.args": ["token=abc", ["password=pw"], {"note": "Bearer abcdefgh1234"}]}
        Redactor(RedactionConfig(fields=NAMED)).document(doc)
        assert doc == {"json.args": ["token=abc", ["password=pw"], {"note": "Bearer abcdefgh1234"}]}

    @pytest.mark.parametrize(
        "key", ["db_password", "X-Api-Key", "clientSecret", "Proxy-Authorization", "session_token"]
    )
    def test_keys_that_end_in_a_secret_name_are_masked_at_any_depth(self, key: str) -> None:
        """Nested objects and arrays under `json.*` are walked; the key's last part decides, separators ignored."""
        doc: dict[str, Any] = {"json.req": {"hdrs": [{key: "v4lue", "ok": "kept"}]}}
        Redactor(RedactionConfig()).document(doc)
        assert doc == {"json.req": {"hdrs": [{key: R, "ok": "kept"}]}, "tags": ["redacted"]}

    def test_a_secret_named_object_is_masked_leaf_by_leaf_and_keeps_its_shape(self) -> None:
        """So the mapping stays an object; None and booleans hold nothing and stay."""
        doc: dict[str, Any] = {"json.credentials": {"user": "u1", "keys": ["k1", 7], "on": True, "none": None}}
        Redactor(RedactionConfig()).document(doc)
        assert doc["json.credentials"] == {"user": R, "keys": [R, R], "on": True, "none": None}

    def test_strings_nested_in_a_named_field_are_searched(self) -> None:
        """`message` as an array or object, and `message.x`: every string under a named field."""
        doc: dict[str, Any] = {
            "message": ["a", "password=hunter2", {"b": "token=q1w2", "c": ["ok", "pwd=x1"]}],
            "message.extra": "Bearer abcdefgh1234",
        }
        Redactor(RedactionConfig()).document(doc)
        assert doc["message"] == ["a", f"password={R}", {"b": f"token={R}", "c": ["ok", f"pwd={R}"]}]
        assert doc["message.extra"] == f"Bearer {R}"

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Authorization: Basic dXNlcjpwdw==", f"Authorization: Basic {R}"),
            ("authorization=Zm9vYmFy rest", f"authorization={R} rest"),  # no scheme: the first word is the secret
            ('{\\"password\\":\\"pw1\\"}', f'{{\\"password\\":\\"{R}\\"}}'),  # JSON quoted inside a log line
        ],
    )
    def test_authorization_values_and_escaped_quotes_are_masked(self, text: str, expected: str) -> None:
        assert masked(text) == expected

    def test_a_json_raw_line_is_masked_by_its_structure(self) -> None:
        """JSON escapes (`\\t`, `\\u0070`) hide key words from a text search: the raw JSON is masked as JSON."""
        raw = '{"msg": "pass\\u0077ord\\t:\\tq9q9", "nested": {"Cookie": "c0c0"}}'
        out = Redactor(RedactionConfig(), "always").document({"message": "x"}, raw)
        assert out is not None and "q9q9" not in out and "c0c0" not in out
        assert orjson.loads(out) == {"msg": f"password\t:\t{R}", "nested": {"Cookie": R}}


class TestRedactStage:
    """The stage over a batch: every unfinished event masked, its kept raw line too; dead letters left alone."""

    @staticmethod
    def batch(*lines: str, finished: int | None = None) -> tuple[Batch, list[Event]]:
        events = []
        for i, line in enumerate(lines):
            event = Event(Record("logs", 0, i, line.encode()))
            event.doc = {"message": line}
            event.original = line
            event.finished = i == finished
            events.append(event)
        return Batch(events, dt.datetime(2026, 11, 23, tzinfo=dt.UTC), "2026-11-23T00:00:00.000Z"), events

    def test_each_document_and_its_raw_line_are_masked_finished_events_included(self) -> None:
        """A finished event (a dead letter indexed as a document) is masked too: its preview is indexed."""
        batch, events = self.batch("login password=hunter2", "all quiet", "token=abc123", finished=2)
        Redactor(ALL, "always")(batch)
        assert [e.doc["message"] for e in events] == [f"login password={R}", "all quiet", f"token={R}"]
        assert [e.original for e in events] == [f"login password={R}", "all quiet", f"token={R}"]
        assert "redacted" in events[0].doc["tags"] and "tags" not in events[1].doc
        assert all(e.rejection is None for e in events)

    def test_when_the_batch_pass_fails_each_document_is_masked_alone_and_a_failing_one_is_dead_lettered(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        batch, events = self.batch("login password=hunter2", "boom", "token: s3cret")
        redactor = Redactor(ALL, "always")
        documents = redactor.documents  # `document` masks one document through it

        def failing(docs: Any, raws: Any) -> None:
            if len(docs) > 1:
                raise RuntimeError("a bug in the batch pass")
            if docs[0]["message"] == "boom":
                raise ValueError("a bug in one document")
            documents(docs, raws)

        monkeypatch.setattr(redactor, "documents", failing)
        with capture_logs() as logs:
            redactor(batch)
        assert logs == [
            {
                "event": "Redaction failed on a batch; masking document by document.",
                "error": "RuntimeError",
                "log_level": "warning",
            }
        ]
        assert [e.doc["message"] for e in events] == [f"login password={R}", "boom", f"token: {R}"]
        assert [e.original for e in events] == [f"login password={R}", "boom", f"token: {R}"]
        rejection = events[1].rejection
        assert rejection is not None and (rejection.stage, rejection.error_type) == ("process", "ValueError")
        assert events[0].rejection is None and events[2].rejection is None and batch.rejected == 1

    def test_a_batch_pass_that_works_logs_nothing(self) -> None:
        batch, events = self.batch("login password=hunter2", "all quiet")
        with capture_logs() as logs:
            Redactor(ALL, "always")(batch)
        assert logs == [] and events[0].doc["message"] == f"login password={R}"

    def test_a_failing_batch_pass_is_logged_once_per_kind_of_error_and_never_with_its_message(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        redactor = Redactor(ALL, "always")
        documents = redactor.documents
        errors = iter([KeyError("password=hunter2"), KeyError("password=hunter3"), TypeError("token=abc")])

        def failing(docs: Any, raws: Any) -> None:
            if len(docs) > 1:
                raise next(errors)
            documents(docs, raws)

        monkeypatch.setattr(redactor, "documents", failing)
        with capture_logs() as logs:
            for _ in range(3):
                batch, events = self.batch("login password=hunter2", "all quiet")
                redactor(batch)
                assert events[0].doc["message"] == f"login password={R}" and batch.rejected == 0
        assert [entry["error"] for entry in logs] == ["KeyError", "TypeError"]
        assert "hunter" not in repr(logs) and "abc" not in repr(logs)


def luhn_number(length: int, seed: int) -> str:
    """A ``length``-digit number starting with 4 (a card network's range) that passes the Luhn check."""
    rng = random.Random(seed)
    body = "4" + "".join(rng.choice("0123456789") for _ in range(length - 2))
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


class TestCardBounds:
    @pytest.mark.parametrize("length", [13, 19])
    def test_card_numbers_of_13_and_19_digits_are_masked_grouped_or_not(self, length: int) -> None:
        number = luhn_number(length, length)
        grouped = "-".join(number[i : i + 4] for i in range(0, length, 4))
        assert masked(f"paid with {number} ok") == f"paid with {R} ok"
        assert masked(f"paid with {grouped} ok") == f"paid with {R} ok"

    @pytest.mark.parametrize("length", [12, 20])
    def test_numbers_outside_13_to_19_digits_are_kept(self, length: int) -> None:
        number = luhn_number(length, length)
        assert masked(f"order {number} shipped") == f"order {number} shipped"

    def test_a_card_next_to_a_lone_surrogate_is_still_masked(self) -> None:
        """JSON logs can carry lone surrogates; the digit scan must not stop at them."""
        number = luhn_number(16, 7)
        assert masked(f"\ud800 card {number}") == f"\ud800 card {R}"

    @pytest.mark.parametrize("length", [13, 16, 19])
    @pytest.mark.parametrize("other", ["café au lait", "\ud800", "ascii only"])
    def test_a_card_that_is_the_whole_value_is_found_whatever_else_the_batch_holds(
        self, length: int, other: str
    ) -> None:
        """Non-ASCII text elsewhere in the batch switches the digit scan to one value at a time; the
        shortest card, alone in its field, must still be a suspect there."""
        number = luhn_number(length, length + 1)
        docs: list[dict[str, Any]] = [{"message": other}, {"message": number}, {"message": f"x {number}"}]
        Redactor(ALL).documents(docs, [None, None, None])
        assert [doc["message"] for doc in docs] == [other, R, f"x {R}"]


class TestEveryField:
    """The default `fields = ["*"]`: every field that can hold input text, whatever its name."""

    @pytest.mark.parametrize(
        ("doc", "secret"),
        [
            ({"json.details": "user=bob password=hunter2"}, "hunter2"),
            ({"http.request.body": "grant_type=x&token=abc123xyz"}, "abc123xyz"),
            ({"json.ctx": {"url": "https://bob:hunter2@db:5432/x"}}, "hunter2"),
            ({"labels.note": "Bearer abcdefghijklmnop1234"}, "abcdefghijklmnop1234"),
            ({"user.card": "4111 1111 1111 1111"}, "4111 1111 1111 1111"),
            ({"json.items": ["ok", {"deep": ["secret: s3cr3tv4lue"]}]}, "s3cr3tv4lue"),
            ({"logflow.timestamp_unparsed": "token=abc123xyz"}, "abc123xyz"),
        ],
        ids=["json-text", "ecs-field", "url-in-object", "label", "card", "deep-array", "unparsed-time"],
    )
    def test_a_secret_in_a_field_nobody_named_is_masked(self, doc: dict[str, Any], secret: str) -> None:
        doc = copy.deepcopy(doc)
        Redactor(RedactionConfig()).document(doc)
        assert secret not in orjson.dumps(doc).decode() and "redacted" in doc["tags"]

    def test_the_fields_logflow_writes_itself_are_not_searched(self) -> None:
        """Their values come from no input text (a template text holds `<*>`, never a value)."""
        doc: dict[str, Any] = {"message": "ok", "logflow.template.text": "token=<*>", "logflow.parser": "pwd=x"}
        before = copy.deepcopy(doc)
        Redactor(RedactionConfig()).document(doc)
        assert doc == before

    def test_the_raw_line_is_searched_under_every_field(self) -> None:
        raw = "junk password=pw"
        assert Redactor(RedactionConfig(), "always").document({"message": "junk"}, raw) == f"junk password={R}"


class TestFromConfig:
    def test_secret_fields_alone_are_enough_to_run_and_nothing_at_all_is_not(self) -> None:
        assert Redactor.from_config(RedactionConfig(kinds=[], secret_fields=["password"])) is not None
        assert Redactor.from_config(RedactionConfig(kinds=[], secret_fields=[])) is None
        assert Redactor.from_config(RedactionConfig(kinds=["password"], fields=[], secret_fields=[])) is None
        assert Redactor.from_config(RedactionConfig(enabled=False)) is None

    def test_with_no_kinds_json_text_in_the_fields_still_loses_its_secret_named_values(self) -> None:
        redactor = Redactor(RedactionConfig(kinds=[], fields=NAMED), "always")
        doc: dict[str, Any] = {"message": '{"password": "hunter2", "user": "bob"}', "note": '{"password": "kept"}'}
        raw = redactor.document(doc, '{"msg": "login", "api_key": "k-123", "token=abc": 1}')
        assert orjson.loads(doc["message"]) == {"password": R, "user": "bob"}
        assert doc["note"] == '{"password": "kept"}'  # not a configured field
        assert raw is not None and orjson.loads(raw) == {"msg": "login", "api_key": R, "token=abc": 1}
        assert doc["tags"] == ["redacted"]

    def test_the_keep_original_mode_reaches_the_redactor(self) -> None:
        redactor = Redactor.from_config(ALL, "never")
        assert redactor is not None and redactor.keep_original == "never"


class TestStructureInText:
    """JSON carried as text (kept under ``json.``, in a text field, as the raw line) is masked by its structure."""

    @pytest.mark.parametrize("fields", [["*"], NAMED], ids=["every-field", "named-fields"])
    def test_json_kept_as_text_under_json_keeps_its_secret_named_keys_masked_and_stays_json(
        self, fields: list[str]
    ) -> None:
        """Searched (`*`) or not (`json` not named), JSON text under `json.` keeps no secret-named value."""
        doc: dict[str, Any] = {
            "json.headers": '{"authorization": "Basic dXNlcjpwYXNz", "accept": "text/plain"}',
            "message": "m",
        }
        Redactor(RedactionConfig(fields=fields)).document(doc)
        assert orjson.loads(doc["json.headers"]) == {"authorization": R, "accept": "text/plain"}
        assert doc["tags"] == ["redacted"]

    def test_the_kinds_are_searched_inside_json_text_only_under_a_text_path(self) -> None:
        """`json.note` named in `fields` is text: its card is masked; `json.other` is not text: kept as it is."""
        cfg = RedactionConfig(kinds=["card"], fields=["message", "json.note"])
        card = "4111 1111 1111 1111"
        doc = {"json.note": f'{{"text": "paid with {card}"}}', "json.other": f'{{"text": "paid with {card}"}}'}
        Redactor(cfg).document(doc)
        assert orjson.loads(doc["json.note"]) == {"text": f"paid with {R}"}
        assert orjson.loads(doc["json.other"]) == {"text": f"paid with {card}"}

    @pytest.mark.parametrize(
        ("message", "expected"),
        [
            ('{"password": "hunter2", "user": "bob"}', {"password": R, "user": "bob"}),
            ('[{"api_key": "k-123"}, {"user": "bob"}]', [{"api_key": R}, {"user": "bob"}]),
            # names no text kind reads, and a name spelt with an escape: only the structure sees them
            ('{"cookie": "sid=abc", "user": "bob"}', {"cookie": R, "user": "bob"}),
            ('[{"credentials": "u:p"}]', [{"credentials": R}]),
            ('{"\\u0070assword": "hunter2"}', {"password": R}),
        ],
    )
    def test_a_json_message_loses_the_values_of_its_secret_named_keys_and_nothing_else(
        self, message: str, expected: Any
    ) -> None:
        doc = {"message": message}
        Redactor(RedactionConfig()).document(doc)
        assert orjson.loads(doc["message"]) == expected

    def test_a_message_that_only_opens_like_json_is_still_masked_as_text(self) -> None:
        doc = {"message": "{not json} login password=abc"}
        Redactor(RedactionConfig()).document(doc)
        assert doc["message"] == f"{{not json}} login password={R}"

    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ('{"token": "abc123def", "n": 1}', {"token": R, "n": 1}),
            ('[{"secret": "x1"}]', [{"secret": R}]),
            ('  {"passwd": "x2"}', {"passwd": R}),
            ('{"cookie": "sid=abc"}', {"cookie": R}),
            ('[{"credentials": "u:p"}]', [{"credentials": R}]),
            ('  {"\\u0074oken": "x3"}', {"token": R}),
        ],
    )
    def test_a_kept_raw_line_that_is_json_is_masked_by_its_structure(self, raw: str, expected: Any) -> None:
        """Escapes would hide a key from a text search (`\\u0074oken`); the structure does not."""
        out = Redactor(RedactionConfig(), keep_original="always").document({"message": "m"}, raw)
        assert out is not None and orjson.loads(out) == expected


class TestSettingsReachTheMasking:
    def test_a_custom_replacement_and_secret_field_are_what_masking_uses(self) -> None:
        cfg = RedactionConfig(replacement="***", secret_fields=["pin"])
        doc = {"message": "login password=abc", "pin": "1234", "user": "bob"}
        Redactor(cfg).document(doc)
        assert (doc["message"], doc["pin"], doc["user"]) == ("login password=***", "***", "bob")

    def test_a_single_tag_string_is_kept_beside_the_redacted_tag(self) -> None:
        doc: dict[str, Any] = {"message": "password=abc", "tags": "billing"}
        Redactor(RedactionConfig()).document(doc)
        assert doc["tags"] == ["billing", "redacted"]


class TestPrintable:
    """``printable`` masks a line the program prints as indexing would, whatever indexing is set to."""

    def test_it_masks_the_default_kinds_even_with_redaction_off(self) -> None:
        """The indexing masker's own replacement shows it ran (every output's masking writes ``****``)."""
        mask = printable(RedactionConfig(enabled=False, kinds=[]))
        assert mask("login password=abc ok") == f"login password={R} ok"

    def test_it_masks_the_configured_kinds_and_secret_fields_too(self) -> None:
        mask = printable(RedactionConfig(kinds=["email"], secret_fields=["pin"]))
        assert mask("mail bob@example.com") == f"mail {R}"
        assert orjson.loads(mask('{"pin": "1234", "user": "bob"}')) == {"pin": R, "user": "bob"}

    def test_a_line_with_nothing_to_mask_comes_back_as_it_was(self) -> None:
        assert printable(RedactionConfig())("GET /health 200") == "GET /health 200"

    def test_it_searches_the_printed_line_whatever_fields_indexing_searches(self) -> None:
        """The line printed is a raw line: it is masked as one even when `fields` leaves out `event.original`."""
        assert printable(RedactionConfig(fields=["message"]))("login password=abc") == f"login password={R}"

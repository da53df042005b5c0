"""Redaction by class: secrets planted at random depths, under random keys and in random text forms never
reach the bulk bytes (the real serialize stage and `_bulk` body), and documents without secrets pass as
they were. The secrets, keys and fillers are generated; none is a fixed example."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logflow.config import RedactionConfig, load_settings
from logflow.deadletter.headers import encode
from logflow.enrich.redact import Redactor, luhn_ok
from logflow.event import Batch, Event, Record, Rejection
from logflow.sink.encode import Serialize, bulk_body
from logflow.worker.processor import Processor

CFG = RedactionConfig()
# Under the default `fields = ["*"]` every field is searched: secrets are planted in these, and in fields
# named by random words (`json.<word>`, `labels.<word>`, `<word>`).
TEXT_FIELDS = ("message", "error.message", "error.stack_trace", "url.original", "http.request.body", "user.name")
# Lowercase words that hold no key word of any kind, no digits, no "@" or "://": fillers and plain keys.
WORDS = ("alpha", "bravo", "charlie", "delta", "foxtrot", "golf", "hotel", "india", "juliet", "lima", "mike",
         "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "xray",
         "yankee")  # fmt: skip
PASSWORD_WORDS = ("password", "passwd", "passphrase", "pwd", "secret", "token", "api_key", "api-key", "apikey",
                  "access_key", "access-key", "accesskey")  # fmt: skip
SEPARATORS = ("=", ":", ": ", " = ", "\t:\t", '": "', "='", '="', '="')

secrets = st.from_regex(r"[A-Z][A-Z0-9]{11,23}", fullmatch=True)
fillers = st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join)
leaves: st.SearchStrategy[Any] = st.one_of(fillers, st.integers(-(2**40), 2**40), st.booleans(), st.none())
trees: st.SearchStrategy[Any] = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.sampled_from(WORDS), children, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def secret_keys(draw: st.DrawFn) -> str:
    """A key named like a secret: a configured name in any case, with or without a prefix and separators."""
    name = draw(st.sampled_from(CFG.secret_fields))
    parts = name.split("_")
    style = draw(st.sampled_from(("lower", "upper", "camel", "dash", "title")))
    if style == "camel":
        name = parts[0] + "".join(p.title() for p in parts[1:])
    elif style == "dash":
        name = "-".join(parts)
    elif style == "upper":
        name = name.upper()
    elif style == "title":
        name = "-".join(p.title() for p in parts)
    prefix = draw(st.sampled_from(("", "db_", "x-", "client", "old_", "my.")))
    return prefix + name


@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    body = "4" + "".join(str(d) for d in draw(st.lists(st.integers(0, 9), min_size=14, max_size=14)))
    check = next(str(d) for d in range(10) if luhn_ok(body + str(d)))
    return body + check


@st.composite
def secret_texts(draw: st.DrawFn, secret: str) -> str:
    """``secret`` in one of the forms the text kinds mean, between filler words."""
    form = draw(st.sampled_from(("key", "bearer", "authorization", "url")))
    if form == "key":
        word = draw(st.sampled_from(PASSWORD_WORDS))
        word = draw(st.sampled_from((word, word.upper(), "db_" + word, "X-" + word.title())))
        core = f"{word}{draw(st.sampled_from(SEPARATORS))}{secret}"
    elif form == "bearer":
        core = f"{draw(st.sampled_from(('Bearer', 'bearer', 'BEARER')))} {secret}"
    elif form == "authorization":
        scheme = draw(st.sampled_from(("Basic ", "Digest ", "Token ", "")))
        core = f"{draw(st.sampled_from(('Authorization', 'authorization', 'Proxy-Authorization')))}: {scheme}{secret}"
    else:
        scheme = draw(st.sampled_from(("https", "postgres", "amqp", "redis")))
        core = f"{scheme}://{draw(st.sampled_from(WORDS))}:{secret}@{draw(st.sampled_from(WORDS))}:5432/x"
    return f"{draw(fillers)} {core} {draw(fillers)}".strip()


def containers(tree: Any) -> list[Any]:
    """Every dict and list in ``tree`` (the places a secret can be planted)."""
    out: list[Any] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict | list):
            out.append(node)
            stack.extend(node.values() if isinstance(node, dict) else node)
    return out


@st.composite
def planted(draw: st.DrawFn) -> tuple[dict[str, Any], list[str], str | None]:
    """A flat document (a top-level key per field, nested values anywhere), the secrets planted in it,
    and its raw line (which may hold one more)."""
    doc: dict[str, Any] = {
        draw(st.sampled_from(WORDS)) + "." + draw(st.sampled_from(WORDS)): draw(trees)
        for _ in range(draw(st.integers(0, 4)))
    }
    planted_secrets: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        secret = draw(secrets)
        planted_secrets.append(secret)
        where = draw(st.sampled_from(("key", "text", "card")))
        if where == "key":  # under a secret-named key, in any container or at the top, maybe inside a structure
            value: Any = draw(st.sampled_from((secret, [secret], {draw(st.sampled_from(WORDS)): secret})))
            spots = containers(list(doc.values()))[1:]
            dicts: list[dict[str, Any]] = [c for c in spots if isinstance(c, dict)]
            nested = draw(st.booleans())
            if nested and dicts:
                draw(st.sampled_from(dicts))[draw(secret_keys())] = value
            else:
                doc[draw(st.sampled_from(("", "json.", "labels."))) + draw(secret_keys())] = value
            continue
        text = draw(secret_texts(secret)) if where == "text" else f"{draw(fillers)} {draw(card_numbers())}"
        if where == "card":
            planted_secrets[-1] = text.rsplit(" ", 1)[1]
        field = draw(
            st.one_of(st.sampled_from(TEXT_FIELDS), st.sampled_from(("", "json.", "labels.")).map(lambda p: p + "x"))
        )
        if field.endswith(".x") or field == "x":
            field = field[:-1] + draw(st.sampled_from(WORDS))
        shape = draw(st.sampled_from(("flat", "list", "nested", "below")))
        if shape == "flat" or field in doc:
            doc[field] = text if field not in doc else [doc[field], text]
        elif shape == "list":
            doc[field] = [draw(fillers), text]
        elif shape == "nested":
            doc[field] = {draw(st.sampled_from(WORDS)): [{draw(st.sampled_from(WORDS)): text}]}
        else:
            doc[f"{field}.{draw(st.sampled_from(WORDS))}"] = text
    raw = None
    if draw(st.booleans()):
        secret = draw(secrets)
        planted_secrets.append(secret)
        raw = draw(secret_texts(secret))
        doc["tags"] = ["parse_failure"]
    return doc, planted_secrets, raw


def bulk(docs: list[dict[str, Any]], raws: list[str | None], redact: Redactor, keep: bool) -> bytes:
    """The documents through the redact stage and the real serialize stage, as `_bulk` bytes."""
    events = []
    for offset, (doc, raw) in enumerate(zip(docs, raws, strict=True)):
        event = Event(Record("logs", 0, offset, b""))
        event.doc, event.original, event.index = doc, raw, "logs-x"
        events.append(event)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    batch = Batch(events, now, "2026-01-01T00:00:00.000Z")
    redact(batch)
    for event in batch.events:  # as enrich keeps the raw line
        if keep and event.original is not None:
            event.doc["event.original"] = event.original
    Serialize()(batch)
    assert not [e.rejection for e in batch.events if e.rejection], "redaction must not reject"
    return bulk_body(batch.actions)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(planted(), min_size=1, max_size=6), st.sampled_from(("always", "failures")))
def test_no_planted_secret_reaches_the_bulk_bytes(
    cases: list[tuple[dict[str, Any], list[str], str | None]], mode: str
) -> None:
    """At any depth, under any secret-named key or in any text form in a named field, and in the raw line."""
    docs = [doc for doc, _, _ in cases]
    raws = [raw for _, _, raw in cases]
    body = bulk(docs, raws, Redactor(CFG, mode), keep=True).decode()
    for doc, planted_secrets, _ in cases:
        assert '"redacted"' in json.dumps(doc.get("tags"))
        for secret in planted_secrets:
            assert secret not in body


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(WORDS).map(lambda w: f"json.{w}"), trees, max_size=5), max_size=8))
def test_documents_without_secrets_pass_untouched(docs: list[dict[str, Any]]) -> None:
    """Nothing is masked, tagged or added where no kind and no secret name occurs."""
    for doc in docs:
        doc["message"] = " ".join(WORDS[: len(doc)])
    before = copy.deepcopy(docs)
    Redactor(CFG, "always").documents(docs, [None] * len(docs))
    assert docs == before


@settings(max_examples=150, deadline=None)
@given(st.lists(planted(), min_size=1, max_size=3))
def test_a_batch_masks_as_each_document_alone(cases: list[tuple[dict[str, Any], list[str], str | None]]) -> None:
    """The batch checks (fields joined, containers walked once) decide exactly what one document alone would."""
    redact = Redactor(CFG, "failures")
    docs = [doc for doc, _, _ in cases]
    alone = copy.deepcopy(docs)
    raws = [raw for _, _, raw in cases]
    expected = [redact.document(doc, raw) for doc, raw in zip(alone, raws, strict=True)]
    got = list(raws)
    Redactor(CFG, "failures").documents(docs, got)
    assert (docs, got) == (alone, expected)


@st.composite
def records(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """A JSON log line or a text line with secrets in it, as a producer would send it."""
    secret = draw(secrets)
    kind = draw(st.sampled_from(("json", "app", "access", "junk")))
    if kind == "json":
        obj: dict[str, Any] = {"message": draw(secret_texts(secret)), "level": "info"}
        extra = draw(secrets)
        inner = draw(trees)
        spot = [c for c in containers(inner) if isinstance(c, dict)]
        target = draw(st.sampled_from(spot)) if spot else obj
        target[draw(secret_keys())] = extra
        obj[draw(st.sampled_from(WORDS))] = inner
        hidden = draw(secrets)  # a secret in text under a key of any name, at any depth
        spot = [c for c in containers(inner) if isinstance(c, dict)] or [obj]
        draw(st.sampled_from(spot))[draw(st.sampled_from(WORDS))] = draw(secret_texts(hidden))
        return json.dumps(obj).encode(), [secret, extra, hidden]
    text = draw(secret_texts(secret))
    if kind == "app":
        return f"2026-11-23 10:11:12,123 INFO svc.api: {text}".encode(), [secret]
    if kind == "access":
        word = draw(st.sampled_from(PASSWORD_WORDS))
        path = draw(st.sampled_from(WORDS))
        line = f'10.0.0.1 - - [23/Nov/2026:10:00:00 +0000] "GET /{path}?{word}={secret} HTTP/1.1" 200 5 "-" "-"'
        return line.encode(), [secret]
    return f"%% {text} %%".encode(), [secret]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), min_size=1, max_size=5), st.sampled_from(("always", "failures", "never")))
def test_the_pipeline_indexes_no_secret_from_any_line(lines: list[tuple[bytes, list[str]]], keep: str) -> None:
    """Decode, parse, redact, enrich, mine, route, serialize: the `_bulk` body holds none of the secrets."""
    processor = PROCESSORS[keep]
    out = processor.process([Record("logs", 0, i, value) for i, (value, _) in enumerate(lines)])
    body = bulk_body(out.actions).decode()
    assert len(out.actions) == len(lines), [r.reason for r in out.rejections]
    for _, planted_secrets in lines:
        for secret in planted_secrets:
            assert secret not in body


PROCESSORS = {
    keep: Processor(load_settings(environ={}, overrides={"parse": {"keep_original": keep}}))
    for keep in ("always", "failures", "never")
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_a_dead_letter_indexed_as_a_document_shows_no_secret(line: tuple[bytes, list[str]]) -> None:
    """A worker on the dead-letter topic indexes a preview of each record: masked like any raw line."""
    value, planted_secrets = line
    processor = PROCESSORS["failures"]
    topic = processor.settings.kafka.dead_letter_topic
    source = Record("logs", 0, 3, value)
    letter = Record(
        topic, 0, 9, value, None, tuple(encode(Rejection(source, "index", "mapper_parsing_exception", "x")))
    )
    out = processor.process([letter], keep_documents=True)
    assert out.documents and out.documents[0]["event.dataset"] == "deadletter"
    body = bulk_body(out.actions).decode()
    for secret in planted_secrets:
        assert secret not in body

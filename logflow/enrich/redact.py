"""The redact stage: mask secrets and personal data in a document before it is indexed.

Pure and configured once (``[redaction]``); the masking itself is ``logflow.config.secrets``'s
``TextMasker``, the one every output of the program uses too. What is masked, at any depth:

- every string in a field ``redaction.fields`` names, or under it (``json`` names ``json.a`` and the
  strings nested in ``json.a``'s objects and arrays; ``*``, the default, names every field but the
  ones logflow writes itself), is searched for the kinds (``redaction.kinds``):
  ``password`` (the value in ``password=…``, ``"api_key": "…"``, ``Authorization: Basic …``, the
  password in ``scheme://user:PASSWORD@host``), ``bearer``, ``card`` (Luhn), ``email``;
- every value whose key is named like a secret (``redaction.secret_fields``, matched against the end
  of the key's last part: ``json.db_password``, ``X-Api-Key``, a nested ``headers.authorization``) is
  replaced whole, and so is everything inside it;
- the raw line (``event.original``, when it is kept), as a field or still on the event.

A field's path is its dotted name with the keys of nested objects appended (arrays add nothing), as
Elasticsearch names it; each path is classified once. Each kind has a cheap necessary condition (a
key word before ``=``/``:``, ``://``, ``bearer``, a run of 13 digits, ``@``); ``documents`` checks the
conditions once over the batch's strings of a field joined (scanned at C speed) instead of once per
value, and only the rare suspect values get the full search. A document where anything was masked
is tagged ``redacted``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import structlog

from logflow.config import RedactionConfig
from logflow.config.secrets import (
    DIGIT_RUN,
    DIGIT_TABLE,
    HINT,
    HINT_NEEDLES,
    KINDS,
    TextMasker,
    digits,
    is_secret_name,
    looks_like_json,
    mask_json,
    mask_output,
)
from logflow.config.secrets import luhn_ok as luhn_ok
from logflow.enrich.joined import holder, starts
from logflow.enrich.stage import keeps_original
from logflow.event import Batch

TAG = "redacted"
ORIGINAL = "event.original"
PLAIN, TEXT, SECRET = 0, 1, 2  # what a path is: left alone, searched for the kinds, masked whole
MOVED = "json."  # where the parser puts what fits no mapped field, objects and arrays as JSON text
_CONTAINERS = frozenset({dict, list})
_JSON_HEADS = ("{", "[")
EVERY = "*"  # in ``redaction.fields``: every field that may hold input text
#: Fields logflow writes itself, from no input text: not searched under ``*`` (config/sections.py lists
#: them). ``logflow.timestamp_unparsed``, ``event.dataset`` and ``tags`` may come from input: searched.
OWN_FIELDS = frozenset(
    {
        "@timestamp",
        "event.ingested",
        "_index",
        "logflow.parser",
        "logflow.kafka.topic",
        "logflow.kafka.partition",
        "logflow.kafka.offset",
        "logflow.template.id",
        "logflow.template.text",
    }
)
_PATH_LIMIT = 50_000  # unbounded key sets (labels.*) must not grow memory forever

log = structlog.get_logger("logflow.enrich.redact")


class Redactor:
    """Masks configured kinds in configured fields and whole values named like secrets; per batch."""

    def __init__(self, cfg: RedactionConfig, keep_original: str = "failures") -> None:
        self.replacement = cfg.replacement
        self.masker = TextMasker(set(cfg.kinds), cfg.replacement)
        # Kept with no kinds too: JSON text in these fields still loses its secret-named keys' values.
        self.fields = tuple(dict.fromkeys(cfg.fields))
        self._prefixes = tuple(f"{name}." for name in self.fields)
        self.original = ORIGINAL in self.fields or EVERY in self.fields
        self._every = EVERY in self.fields  # every field is searched, but for those logflow writes itself
        self.keep_original = keep_original
        self.secret_names = tuple(dict.fromkeys(cfg.secret_fields))
        self._paths: dict[str, int] = {}
        self._text: Callable[[str], str] = self.masker.text
        self._has_password = self.masker.password is not None
        self._has_bearer = self.masker.bearer is not None
        self._has_card = self.masker.card is not None
        self._has_email = self.masker.email is not None
        self._failures: set[str] = set()  # exception types of failed batch passes already logged

    @classmethod
    def from_config(cls, cfg: RedactionConfig, keep_original: str = "failures") -> Redactor | None:
        """None when redaction is off or has nothing to do, so the pipeline skips the call entirely."""
        if not cfg.enabled or not ((cfg.kinds and cfg.fields) or cfg.secret_fields):
            return None
        return cls(cfg, keep_original)

    def text(self, value: str) -> str:
        """``value`` with every configured kind masked (the same object when nothing matched)."""
        return self._text(value)

    def path_kind(self, path: str) -> int:
        """PLAIN, TEXT or SECRET for a field path (``json.headers.authorization``), remembered."""
        kind = self._paths.get(path)
        if kind is None:
            if self.secret_names and is_secret_name(path, self.secret_names):
                kind = SECRET
            elif path in self.fields or path.startswith(self._prefixes) or (self._every and path not in OWN_FIELDS):
                kind = TEXT
            else:
                kind = PLAIN
            if len(self._paths) >= _PATH_LIMIT:
                self._paths.clear()
            self._paths[path] = kind
        return kind

    def __call__(self, batch: Batch) -> None:
        """The redact stage: mask the batch's documents in place, dead-letter documents included (their
        preview of the record is indexed too).

        Per batch (``documents``); if that raises, document by document, so a bug costs only the
        documents it fails on, and those are dead-lettered rather than indexed unmasked.
        """
        events = batch.events
        docs = [event.doc for event in events]
        raws = [event.original for event in events]
        try:
            self.documents(docs, raws)
        except Exception as exc:
            self._log_failure(exc)
            for event in events:
                try:
                    event.original = self.document(event.doc, event.original)
                except Exception as exc:
                    batch.fail(event, "process", exc)
            return
        for event, raw in zip(events, raws, strict=True):
            event.original = raw

    def _log_failure(self, exc: Exception) -> None:
        """A failed batch pass is a bug: said once per exception type, by type only (its message may quote
        a value that was being masked)."""
        error = type(exc).__name__
        if error not in self._failures:
            self._failures.add(error)
            log.warning("Redaction failed on a batch; masking document by document.", error=error)

    def document(self, doc: dict[str, Any], original: str | None = None) -> str | None:
        """Mask one document in place; returns ``original`` (the raw line) masked too when it will be kept."""
        originals = [original]
        self.documents([doc], originals)
        return originals[0]

    def documents(self, docs: Sequence[dict[str, Any]], originals: list[str | None]) -> None:
        """Mask documents in place (``originals[i]`` is document i's raw line).

        Top-level strings are checked a field at a time over the batch, the raw lines at once, and the
        strings nested in objects and arrays (found by one walk of each document's containers) at once.
        """
        changed: set[int] = set()
        names: set[str] = set().union(*docs)  # C-level
        kind_of = self.path_kind
        text = self._text
        for name in names:
            kind = kind_of(name)
            if kind == PLAIN and name.startswith(MOVED):  # under a text path, the branch below does this too
                self._moved_json(name, docs, changed)
            if kind == TEXT:
                values = [doc.get(name, "") for doc in docs]  # a missing field joins as "": positions are indices
                suspects = self._suspects(values)
                # A string that may be JSON (a raw line kept as a field, a JSON value the parse stage kept as
                # text under `json.`) is masked by its structure too: a secret-named key inside it is a secret.
                json_at = {i for i, v in enumerate(values) if type(v) is str and v[:1] in _JSON_HEADS}
                for i in json_at.union(suspects):
                    value = values[i]
                    if type(value) is str:
                        masked = self._json_line(value) if i in json_at else text(value)
                        if masked is not value:
                            docs[i][name] = masked
                            changed.add(i)
            elif kind == SECRET:
                for i, doc in enumerate(docs):
                    if name in doc and _mask_whole(doc, name, self.replacement):
                        changed.add(i)
        self._nested(docs, changed)
        if self.original:  # a raw line that will not be kept is "" below: never scanned
            mode = self.keep_original
            raws = [
                raw if raw and keeps_original(mode, doc.get("tags")) else ""
                for doc, raw in zip(docs, originals, strict=True)
            ]
            for i, raw in enumerate(raws):  # a JSON line by its structure: escapes (`\t`, `\u0070`) hide words
                head = raw[:1]
                if head and (head == "{" or head == "[" or (head.isspace() and looks_like_json(raw))):
                    masked = self._json_line(raw)
                    if masked is not raw:
                        originals[i] = masked
                        changed.add(i)
                    raws[i] = ""
            for i in self._suspects(raws):
                raw = raws[i]
                masked = text(raw)
                if masked is not raw:
                    originals[i] = masked
                    changed.add(i)
        for i in changed:
            _tag(docs[i])

    def _moved_json(self, name: str, docs: Sequence[dict[str, Any]], changed: set[int]) -> None:
        """Objects and arrays the parser moved under ``json.`` as JSON text (``parse/mapping.py``) keep their
        secret-named keys: masked by the text's structure, as if it were still an object (the kinds are
        not searched: the path is not a text path)."""
        for i, doc in enumerate(docs):
            value = doc.get(name)
            if type(value) is str and value[:1] in _JSON_HEADS:
                masked = mask_json(value, _unchanged, self.secret_names, self.replacement)
                if masked != value:
                    doc[name] = masked
                    changed.add(i)

    def _nested(self, docs: Sequence[dict[str, Any]], changed: set[int]) -> None:
        """The strings inside objects and arrays: whole values under secret names, the kinds under text paths."""
        holders: list[tuple[int, Any, Any]] = []  # (document, container, key or index) of each text string
        kind_of = self.path_kind
        for i, doc in enumerate(docs):
            if _CONTAINERS.isdisjoint(map(type, doc.values())):  # most documents: no walk (a C-level check)
                continue
            for name, value in doc.items():
                kind = type(value)
                if kind is dict or kind is list:
                    path_kind = kind_of(name)
                    if path_kind == SECRET:
                        continue  # masked whole by ``documents``
                    if self._walk(value, name, path_kind == TEXT, i, holders):
                        changed.add(i)  # a secret-named key inside
        if not holders:
            return
        values = [container[key] for _, container, key in holders]
        text = self._text
        for j in self._suspects(values):
            value = values[j]
            masked = text(value)
            if masked is not value:
                i, container, key = holders[j]
                container[key] = masked
                changed.add(i)

    def _walk(self, value: Any, path: str, searched: bool, i: int, holders: list[tuple[int, Any, Any]]) -> bool:
        """Collect the text strings under ``value`` (at ``path``); mask secret-named keys now; whether any was."""
        masked_any = False
        if type(value) is list:  # an array adds nothing to the path: its items are what it is
            for index, item in enumerate(value):  # values are replaced, never added: iterating is safe
                if type(item) is str:
                    if searched:
                        holders.append((i, value, index))
                elif type(item) in _CONTAINERS and self._walk(item, path, searched, i, holders):
                    masked_any = True
            return masked_any
        for key, item in value.items():
            sub = f"{path}.{key}"
            kind = self.path_kind(sub)
            if kind == SECRET:
                if _mask_whole(value, key, self.replacement):
                    masked_any = True
            elif type(item) is str:
                if kind == TEXT:
                    holders.append((i, value, key))
            elif type(item) in _CONTAINERS and self._walk(item, sub, kind == TEXT, i, holders):
                masked_any = True
        return masked_any

    def _json_line(self, raw: str) -> str:
        """A raw line that is JSON, masked by its structure and then as text."""
        return self._text(mask_json(raw, self._text, self.secret_names, self.replacement))

    def _suspects(self, values: list[Any]) -> set[int] | range:
        """Positions in ``values`` that meet some kind's condition (a superset of those ``text`` would change).

        Values are field values of any type; only strings can hold what is masked.
        """
        if not values:
            return set()
        try:
            joined = "\x00".join(values)  # no condition can match across a NUL
        except TypeError:  # a number, a list...: joins as "" (only strings are masked)
            values = [v if type(v) is str else "" for v in values]
            joined = "\x00".join(values)
        lower = joined.lower()
        if len(lower) != len(joined):  # a character that lowers to two ("İ") shifts positions: check each value
            return range(len(values))
        found: set[int] = set()
        hits: list[int] = []  # positions in `joined`; most batches have none
        at = hits.append
        if self._has_password:
            match = HINT.match
            for needle, backs in HINT_NEEDLES:
                position = lower.find(needle)
                while position >= 0:
                    for back in backs:  # the hint's start; what matches there lies in that start's value
                        if back <= position and match(lower, position - back):
                            at(position - back)
                            break
                    position = lower.find(needle, position + len(needle))
            _find_all(joined, "://", at)
        if self._has_bearer:
            _find_all(lower, "bearer", at)
        if self._has_email:
            _find_all(joined, "@", at)
        if self._has_card:
            if joined.isascii():  # bytes and characters line up
                _find_all(joined.encode().translate(DIGIT_TABLE), DIGIT_RUN, at)
            else:
                found.update(j for j, value in enumerate(values) if len(value) >= 13 and DIGIT_RUN in digits(value))
        if hits:  # built only when needed
            value_starts = starts(values)
            found.update(holder(value_starts, position) for position in hits)
        return found


def _unchanged(text: str) -> str:
    return text


def _mask_whole(container: Any, key: Any, replacement: str) -> bool:
    """Mask ``container[key]``, a secret-named value, in place; whether anything changed. A scalar becomes
    ``replacement`` (None and booleans stay: they hold no secret); an object or array keeps its shape with
    every leaf masked."""
    value = container[key]
    kind = type(value)
    if kind is dict or kind is list:
        changed = False
        for sub in list(value) if kind is dict else range(len(value)):
            if _mask_whole(value, sub, replacement):
                changed = True
        return changed
    if value is None or kind is bool or value == replacement:
        return False
    container[key] = replacement
    return True


def _tag(doc: dict[str, Any]) -> None:
    tags = doc.get("tags")
    if isinstance(tags, list):
        if TAG not in tags:
            tags.append(TAG)
    else:
        doc["tags"] = [TAG] if tags is None else [str(tags), TAG]


def _find_all(haystack: str | bytes, needle: str | bytes, found: Callable[[int], None]) -> None:
    """Call ``found`` with every position of ``needle`` (``find`` is a fast substring search)."""
    find: Callable[[Any, int], int] = haystack.find  # str in str or bytes in bytes (not a TypeVar: mypyc)
    step = len(needle)
    position = -step
    while (position := find(needle, position + step)) >= 0:
        found(position)


def printable(cfg: RedactionConfig) -> Callable[[str], str]:
    """The masking for a log line the program prints (``dlq show``, reports): what indexing masks (the
    configured kinds, at least the default ones, even when indexing redaction is off; a JSON line by its
    structure), then what every output masks (``mask_output``: URL userinfo, the settings' secrets)."""
    kinds = list(dict.fromkeys([*cfg.kinds, *KINDS]))  # the default secret names: ``mask_output`` masks them
    redactor = Redactor(cfg.model_copy(update={"kinds": kinds, "fields": [ORIGINAL]}), "always")

    def mask(text: str) -> str:
        return mask_output(redactor.document({}, text) or text)

    return mask

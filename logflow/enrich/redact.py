"""The redact stage: mask secrets and personal data in a document before it is indexed.

Pure and configured once (``[redaction]``): patterns are compiled in ``__init__``. Each kind has
a cheap necessary condition (a key name before ``=``/``:``, ``://``, ``bearer``, a run of 13
digits, ``@``); only a value that meets one is searched with the kind's full expression. ``documents``
checks the conditions once per field over the whole batch (the values joined, scanned at C speed)
instead of once per value, so a batch pays a few scans and the rare suspect values their full
search. A document where anything was masked is tagged ``redacted``.

Kinds (``redaction.kinds``):

- ``password``: the value in ``password=…``, ``"api_key": "…"``, ``X-Api-Key: …`` (key names
  ending in password/passwd/passphrase/pwd/secret/token/api key/access key), and the password in
  URL credentials (``scheme://user:PASSWORD@host``);
- ``bearer``: the token after ``Bearer``;
- ``card``: 13-19 digit card numbers (optionally grouped by spaces or dashes) that pass the Luhn
  check;
- ``email``: e-mail addresses (off by default).

Separately, fields whose name ends in one of ``redaction.secret_fields`` (``labels.password``)
have their whole value masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from logflow.config import RedactionConfig
from logflow.enrich.joined import holder, starts
from logflow.enrich.stage import keeps_original
from logflow.event import Batch

TAG = "redacted"
_NONE: frozenset[str] = frozenset()
ORIGINAL = "event.original"

_DIGIT_RUN = b"0" * 13
# Every match of the password hint (``Redactor.__init__``) holds one of these words, this many characters
# after the match's start: the batch check finds the words with ``str.find`` (a fast substring search)
# and tries the hint only there, instead of running the hint's regex from every p, s, t and a of a batch.
_HINT_NEEDLES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("pass", (0,)),  # password, passwd, passphrase
    ("pwd", (0,)),
    ("secret", (0,)),
    ("token", (0,)),
    ("key", (3, 4, 6, 7)),  # apikey, api_key / api-key, accesskey, access_key / access-key
)
# bytes.translate table: digits, spaces and dashes -> "0", everything else -> "x".
_DIGIT_TABLE = bytes(48 if (48 <= i <= 57 or i in (32, 45)) else 120 for i in range(256))


def _digits(text: str) -> bytes:
    """``text`` with digits, spaces and dashes as ``0`` and the rest as ``x`` (C speed, no regex)."""
    try:
        raw = text.encode()
    except UnicodeEncodeError:  # lone surrogates
        raw = text.encode("utf-8", "replace")
    return raw.translate(_DIGIT_TABLE)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every payment card number satisfies."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


class Redactor:
    """Masks configured kinds in configured fields; ``__call__`` per document."""

    def __init__(self, cfg: RedactionConfig, keep_original: str = "failures") -> None:
        self.replacement = cfg.replacement
        kinds = set(cfg.kinds)
        self.fields = tuple(f for f in dict.fromkeys(cfg.fields) if f != ORIGINAL)
        self.original = ORIGINAL in cfg.fields
        self.keep_original = keep_original
        self.secret_names = frozenset(name.lower() for name in cfg.secret_fields)
        self._checked: set[str] = set()
        self._secret_keys: set[str] = set()
        not_done = rf"(?!{re.escape(cfg.replacement)})" if cfg.replacement else ""
        # The key name is found by a case-sensitive search of the lowered text (C speed) before the
        # case-insensitive substitution runs: "Failed password for ..." has the word but no `=`/`:`.
        hint = re.compile(r"(?:pass(?:word|wd|phrase)|pwd|secret|token|(?:api|access)[_-]?key)[\"']?[ \t]*[=:]")
        self._password_hint = hint.search
        self._password_hint_at = hint.match
        self._password = re.compile(
            r"(?P<key>(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key))"
            r"(?P<sep>[\"']?[ \t]*[=:][ \t]*[\"']?)" + not_done
            + r"(?P<value>(?<=\")[^\"]+|(?<=')[^']+|[^\s\"'&,;)\]}]+)",
            re.IGNORECASE,
        ) if "password" in kinds else None
        self._url_credentials = re.compile(
            r"(?P<head>://[^/\s:@]+:)" + not_done + r"[^/\s@]+@"
        ) if "password" in kinds else None
        self._bearer = re.compile(
            r"\b(?P<word>bearer)\s+" + not_done + r"[A-Za-z0-9\-._~+/]{8,}=*", re.IGNORECASE
        ) if "bearer" in kinds else None
        card = r"(?<![\w-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\w-])"
        self._card = re.compile(card) if "card" in kinds else None
        self._email = re.compile(
            r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
        ) if "email" in kinds else None
        self._card_sub: Callable[[re.Match[str]], str] = self._mask_card

    @classmethod
    def from_config(cls, cfg: RedactionConfig, keep_original: str = "failures") -> Redactor | None:
        """None when redaction is off or has nothing to do, so the pipeline skips the call entirely."""
        if not cfg.enabled or not ((cfg.kinds and cfg.fields) or cfg.secret_fields):
            return None
        return cls(cfg, keep_original)

    def _mask_card(self, match: re.Match[str]) -> str:
        text = match.group(0)
        digits = text.replace(" ", "").replace("-", "")
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return self.replacement
        return text

    def text(self, value: str) -> str:
        """``value`` with every configured kind masked (the same object when nothing matched)."""
        lower = value.lower()
        out = value
        if self._password is not None:
            if self._password_hint(lower) is not None:
                out = self._password.sub(lambda m: m.group("key") + m.group("sep") + self.replacement, out)
            if "://" in out and "@" in out:
                assert self._url_credentials is not None
                out = self._url_credentials.sub(lambda m: f"{m.group('head')}{self.replacement}@", out)
        if self._bearer is not None and "bearer" in lower:
            out = self._bearer.sub(lambda m: m.group("word") + " " + self.replacement, out)
        if self._card is not None and len(out) >= 13 and _DIGIT_RUN in _digits(out):
            out = self._card.sub(self._card_sub, out)
        if self._email is not None and "@" in out:
            out = self._email.sub(self.replacement, out)
        return value if out == value else out

    def _secret_fields(self, doc: dict[str, Any]) -> set[str] | frozenset[str]:
        self._classify(doc)
        return self._secret_keys.intersection(doc) if self._secret_keys else _NONE

    def _classify(self, keys: Iterable[str]) -> None:
        """Note which of ``keys`` are named like a secret; each key name is classified once."""
        checked = self._checked
        if not checked.issuperset(keys):  # a key never seen before
            if len(checked) > 50_000:  # unbounded key sets (labels.*) must not grow memory forever
                checked.clear()
                self._secret_keys.clear()
            for key in keys:
                if key not in checked:
                    checked.add(key)
                    if key.rpartition(".")[2].lower() in self.secret_names:
                        self._secret_keys.add(key)

    def __call__(self, batch: Batch) -> None:
        """The redact stage: mask the batch's documents in place (finished ones, dead letters, are left alone).

        Per batch (``documents``); if that raises, document by document, so a bug costs only the
        documents it fails on, and those are dead-lettered rather than indexed unmasked.
        """
        events = [event for event in batch.events if not event.finished]
        docs = [event.doc for event in events]
        raws = [event.original for event in events]
        try:
            self.documents(docs, raws)
        except Exception:
            for event in events:
                try:
                    event.original = self.document(event.doc, event.original)
                except Exception as exc:
                    batch.fail(event, "process", exc)
            return
        for event, raw in zip(events, raws, strict=True):
            event.original = raw

    def document(self, doc: dict[str, Any], original: str | None = None) -> str | None:
        """Mask ``doc`` in place; returns ``original`` (the raw line) masked too when it will be kept."""
        changed = False
        for name in self.fields:
            value = doc.get(name)
            if type(value) is str:
                masked = self.text(value)
                if masked is not value:
                    doc[name] = masked
                    changed = True
        if self.secret_names and self._mask_secret_keys(doc):
            changed = True
        if original is not None and self.original and keeps_original(self.keep_original, doc.get("tags")):
            masked = self.text(original)
            if masked is not original:
                original = masked
                changed = True
        if changed:
            _tag(doc)
        return original

    def documents(self, docs: Sequence[dict[str, Any]], originals: list[str | None]) -> None:
        """Mask documents in place (``originals[i]`` is document i's raw line): the same result as ``document`` on each.

        The per-value conditions are checked over each field's values joined, and the key names over the
        batch's names at once; only the documents with a suspect value take the per-document path, and the
        others have their keys masked only when some key in the batch is named like a secret.
        """
        suspects: set[int] = set()
        for name in self.fields:  # a missing field joins as "", so positions are indices
            suspects.update(self._suspects([doc.get(name, "") for doc in docs]))
        if self.original and self.keep_original != "never":
            mode = self.keep_original
            raws = [
                raw if raw and keeps_original(mode, doc.get("tags")) else ""
                for doc, raw in zip(docs, originals, strict=True)
            ]
            suspects.update(self._suspects(raws))
        secret_here = False
        if self.secret_names:
            names = set().union(*docs)  # C-level, half the cost of two set tests per document
            self._classify(names)
            secret_here = not self._secret_keys.isdisjoint(names)
        for i, doc in enumerate(docs):
            if i in suspects:
                originals[i] = self.document(doc, originals[i])
            elif secret_here and self._mask_secret_keys(doc):
                _tag(doc)

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
        if self._password is not None:
            match = self._password_hint_at
            for needle, backs in _HINT_NEEDLES:
                position = lower.find(needle)
                while position >= 0:
                    for back in backs:  # the hint's start; what matches there lies in that start's value
                        if back <= position and match(lower, position - back):
                            at(position - back)
                            break
                    position = lower.find(needle, position + len(needle))
            _find_all(joined, "://", at)
        if self._bearer is not None:
            _find_all(lower, "bearer", at)
        if self._email is not None:
            _find_all(joined, "@", at)
        if self._card is not None:
            if joined.isascii():  # bytes and characters line up
                _find_all(joined.encode().translate(_DIGIT_TABLE), _DIGIT_RUN, at)
            else:
                found.update(j for j, value in enumerate(values) if len(value) >= 13 and _DIGIT_RUN in _digits(value))
        if hits:  # built only when needed
            value_starts = starts(values)
            found.update(holder(value_starts, position) for position in hits)
        return found

    def _mask_secret_keys(self, doc: dict[str, Any]) -> bool:
        """Whole values of fields named like a secret (``labels.password``); whether any changed."""
        changed = False
        for key in self._secret_fields(doc):
            if doc[key] is not None and doc[key] != self.replacement:
                doc[key] = self.replacement
                changed = True
        return changed


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
    position = find(needle, 0)
    while position >= 0:
        found(position)
        position = find(needle, position + len(needle))

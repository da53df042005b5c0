"""What counts as a secret, and the one masking every output uses: indexed documents and what we print.

The redact stage (``logflow.enrich.redact``) masks documents with a ``TextMasker`` built from
``[redaction]``; everything the program prints or logs (``config show``, error messages, ``dlq show``,
the HTML report, log lines) goes through ``mask_output``/``mask_value``, which use the same masker with
the default kinds and also hide the whole userinfo of a URL and the literal value of every secret the
settings hold (``password``, ``api_key``, ... whether given inline, in ``*_file`` or by environment).
This module is on the shared ground (it imports no room), so the configuration and the worker's own
logs (``logflow.logs``) can use it too.

A key is named like a secret when its last dotted part, lowered and without ``-``, ``_`` and spaces,
ends with one of the secret names (``db_password``, ``X-Api-Key``, ``json.headers.authorization``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import orjson

SECRET_NAMES: tuple[str, ...] = (
    "password", "passwd", "passphrase", "pwd", "secret", "token", "api_key", "apikey", "access_key",
    "private_key", "access_token", "refresh_token", "client_secret", "authorization", "cookie", "credentials",
)  # fmt: skip
KINDS: tuple[str, ...] = ("password", "bearer", "card")
REPLACEMENT = "[REDACTED]"

# Key words of the `password` kind in text. Every match of HINT holds one of HINT_NEEDLES' words, that
# many characters after the match's start: the redact stage's batch check finds the words with `str.find`.
_PASSWORD_WORDS = r"pass(?:word|wd|phrase)|pwd|secret|token|(?:api|access)[_-]?key"  # noqa: S105 (key names)
_QUOTE = r"(?:\\?[\"'])?"  # a quote, maybe escaped (JSON inside a log line: `{\"password\":\"x\"}`)
HINT = re.compile(rf"(?:{_PASSWORD_WORDS}|authorization){_QUOTE}[ \t]*[=:]")
HINT_NEEDLES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("pass", (0,)),  # password, passwd, passphrase
    ("pwd", (0,)),
    ("secret", (0,)),
    ("token", (0,)),
    ("key", (3, 4, 6, 7)),  # apikey, api_key / api-key, accesskey, access_key / access-key
    ("authorization", (0,)),
)
# The IANA HTTP Authentication Scheme Registry, and the common unregistered ones (AWS, GitHub tokens).
_AUTH_SCHEMES = (
    r"basic|bearer|concealed|digest|dpop|gnap|hoba|mutual|negotiate|ntlm|oauth|privatetoken|scram-sha-1"
    r"|scram-sha-256|vapid|aws4-hmac-sha256|token|apikey"
)
_SEPARATORS = str.maketrans("", "", "-_ ")


def normal_name(name: str) -> str:
    """``X-Api-Key`` -> ``xapikey``: the form in which key names are compared."""
    return name.lower().translate(_SEPARATORS)


def is_secret_name(key: str, names: Iterable[str] = SECRET_NAMES) -> bool:
    """Whether ``key`` (a dotted field name or a nested key) is named like a secret."""
    last = normal_name(key.rpartition(".")[2])
    return any(last.endswith(normal_name(name)) for name in names)


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


class TextMasker:
    """The kinds of ``[redaction]`` compiled once; ``text`` masks one string.

    ``whole_userinfo`` masks all of ``user:password@`` in URLs (what we print) instead of only the
    password (what we index, where the user name helps to debug). ``done`` are other replacements that
    are left as they are (what we print may have been masked for indexing already).
    """

    def __init__(
        self,
        kinds: Iterable[str] = KINDS,
        replacement: str = REPLACEMENT,
        whole_userinfo: bool = False,
        done: Iterable[str] = (),
    ) -> None:
        kinds = set(kinds)
        self.replacement = replacement
        finished = "|".join(re.escape(r) for r in dict.fromkeys([replacement, *done]) if r)
        not_done = rf"(?!{finished})" if finished else ""
        value = r"(?P<value>(?<=\")[^\"\\]+|(?<=')[^'\\]+|[^\s\"'&,;)\]}\\]+)"
        self.password = re.compile(
            rf"(?P<key>{_PASSWORD_WORDS})(?P<sep>{_QUOTE}[ \t]*[=:][ \t]*{_QUOTE})" + not_done + value, re.IGNORECASE
        ) if "password" in kinds else None  # fmt: skip
        # An Authorization value is `<scheme> <credentials>` (RFC 9110, 11.4): a registered scheme stays and
        # the credentials go; a first word that is no scheme is itself the credential.
        self.authorization = re.compile(
            rf"(?P<head>authorization{_QUOTE}[ \t]*[=:][ \t]*{_QUOTE}(?:(?:{_AUTH_SCHEMES})[ \t]+)?)"
            + not_done
            + value,
            re.IGNORECASE,
        ) if "password" in kinds else None  # fmt: skip
        head = r"(?P<head>://)" if whole_userinfo else r"(?P<head>://[^/\s:@]+:)"
        self.url_credentials = re.compile(head + not_done + r"[^/\s@]+@") if "password" in kinds else None
        # `user:password@host` without a scheme (a Kafka bootstrap server written as a URL's authority).
        self.bare_userinfo = (
            re.compile(r"(?<![^\s\"'(\[,=])" + not_done + r"[^\s\"'/@:]+:[^\s\"'/@]+@(?=[\w\[])")
            if whole_userinfo and "password" in kinds
            else None
        )
        self.bearer = re.compile(
            r"\b(?P<word>bearer)\s+" + not_done + r"[A-Za-z0-9\-._~+/]{8,}=*", re.IGNORECASE
        ) if "bearer" in kinds else None  # fmt: skip
        card = r"(?<![\w-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\w-])"
        self.card = re.compile(card) if "card" in kinds else None
        self.email = re.compile(
            r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"
        ) if "email" in kinds else None  # fmt: skip
        self._password_sub: Callable[[re.Match[str]], str] = self._mask_password
        self._authorization_sub: Callable[[re.Match[str]], str] = self._mask_authorization
        self._card_sub: Callable[[re.Match[str]], str] = self._mask_card

    def _mask_password(self, match: re.Match[str]) -> str:
        return match.group("key") + match.group("sep") + self.replacement

    def _mask_authorization(self, match: re.Match[str]) -> str:
        return match.group("head") + self.replacement

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
        if self.password is not None:
            if HINT.search(lower) is not None:
                out = self.password.sub(self._password_sub, out)
                if "authorization" in lower:
                    assert self.authorization is not None
                    out = self.authorization.sub(self._authorization_sub, out)
            if "://" in out and "@" in out:
                assert self.url_credentials is not None
                out = self.url_credentials.sub(lambda m: f"{m.group('head')}{self.replacement}@", out)
            if self.bare_userinfo is not None and "@" in out:
                out = self.bare_userinfo.sub(f"{self.replacement}@", out)
        if self.bearer is not None and "bearer" in lower:
            out = self.bearer.sub(lambda m: m.group("word") + " " + self.replacement, out)
        if self.card is not None and len(out) >= 13 and _has_digit_run(out):
            out = self.card.sub(self._card_sub, out)
        if self.email is not None and "@" in out:
            out = self.email.sub(self.replacement, out)
        return value if out == value else out


DIGIT_RUN = b"0" * 13
# bytes.translate table: digits, spaces and dashes -> "0", everything else -> "x".
DIGIT_TABLE = bytes(48 if (48 <= i <= 57 or i in (32, 45)) else 120 for i in range(256))


def digits(text: str) -> bytes:
    """``text`` with digits, spaces and dashes as ``0`` and the rest as ``x`` (C speed, no regex)."""
    try:
        raw = text.encode()
    except UnicodeEncodeError:  # lone surrogates
        raw = text.encode("utf-8", "replace")
    return raw.translate(DIGIT_TABLE)


def _has_digit_run(text: str) -> bool:
    return DIGIT_RUN in digits(text)


def looks_like_json(text: str) -> bool:
    """Whether ``text`` may be a JSON object or array (its first non-blank character opens one)."""
    head = text[:1]
    if head.isspace():
        head = text.lstrip()[:1]
    return head == "{" or head == "["


def mask_json(text: str, mask: Callable[[str], str], names: Iterable[str], replacement: str) -> str:
    """A JSON text masked by its structure (``mask`` on every string, secret-named keys masked whole at any
    depth), re-serialized only when something changed; ``text`` itself when it is not JSON. A text search
    alone would miss what JSON escapes (``\\t``, ``\\u0070``) hide."""
    try:
        tree = orjson.loads(text)
    except orjson.JSONDecodeError:
        return text
    names = tuple(names)
    holder = [tree]
    if _mask_tree(holder, 0, mask, names, replacement):
        return orjson.dumps(holder[0]).decode()
    return text


def _mask_tree(container: Any, key: Any, mask: Callable[[str], str], names: tuple[str, ...], replacement: str) -> bool:
    value = container[key]
    if isinstance(value, str):
        masked = mask(value)
        if masked == value:
            return False
        container[key] = masked
        return True
    changed = False
    if isinstance(value, dict):
        for sub in value:
            if names and is_secret_name(sub, names):
                masked = _masked_leaves(value[sub], replacement)
                if masked != value[sub]:
                    value[sub] = masked
                    changed = True
            elif _mask_tree(value, sub, mask, names, replacement):
                changed = True
    elif isinstance(value, list):
        for index in range(len(value)):
            if _mask_tree(value, index, mask, names, replacement):
                changed = True
    return changed


# ── what we print ─────────────────────────────────────────────────────────────────────────────────

_OUTPUT = TextMasker(KINDS, "****", whole_userinfo=True, done=[REPLACEMENT])
_KNOWN: set[str] = set()
MIN_KNOWN = 4  # shorter secret values are not searched for in output: they would mask ordinary words


def remember(secret: str | None) -> None:
    """Note a secret value this process holds (a password, an API key, a ``*_file``'s contents), so no
    output ever shows it, whatever the shape of the text around it (a server's answer, a traceback)."""
    if secret and len(secret) >= MIN_KNOWN:
        _KNOWN.add(secret)
        stripped = secret.strip()
        if stripped != secret and len(stripped) >= MIN_KNOWN:
            _KNOWN.add(stripped)


def mask_output(text: str) -> str:
    """``text`` as it may be printed or logged: known secret values, credentials in ``key=value`` and
    ``Authorization`` forms, bearer tokens, card numbers and URL userinfo become ``****``."""
    if looks_like_json(text):
        text = mask_json(text, _OUTPUT.text, SECRET_NAMES, "****")
    text = _OUTPUT.text(text)  # first: a known value masked inside a URL would hide the URL's userinfo from it
    return mask_known(text)


def mask_known(text: str, mask: str = "****") -> str:
    """``text`` with every secret value this process holds (``remember``) replaced by ``mask``."""
    for secret in sorted(_KNOWN, key=len, reverse=True):  # longest first: one secret may hold another
        if secret in text:
            text = text.replace(secret, mask)
    return text


def mask_value(value: Any, names: Iterable[str] = SECRET_NAMES, replacement: str = "****") -> Any:
    """A copy of ``value`` (JSON-like: dicts, lists, scalars) fit to print: strings masked as by
    ``mask_output``, and the whole value of every key named like a secret, at any depth, replaced."""
    names = tuple(names)
    if isinstance(value, str):
        return mask_output(value)
    if isinstance(value, dict):
        return {
            key: _masked_leaves(item, replacement) if isinstance(key, str) and is_secret_name(key, names)
            else mask_value(item, names, replacement)
            for key, item in value.items()
        }  # fmt: skip
    if isinstance(value, list | tuple):
        return [mask_value(item, names, replacement) for item in value]
    return value


def _masked_leaves(value: Any, replacement: str) -> Any:
    if isinstance(value, dict):
        return {key: _masked_leaves(item, replacement) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked_leaves(item, replacement) for item in value]
    masked_already = isinstance(value, str) and (value == replacement or value.strip("*") == "")  # SecretStr's dump
    return value if value is None or isinstance(value, bool) or masked_already else replacement

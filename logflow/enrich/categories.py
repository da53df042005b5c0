"""ECS categorization of audit events: ``event.category`` and ``event.type`` from what the event says it did.

ECS (Event Categorization Fields) gives each category the event types that may go with it. An audit
event's ``event.action`` is read as words (``user.create``, ``deleteFile``, ``login``): a verb gives
the type, a noun the category (a user is ``iam``, a file ``file``, a setting ``configuration``); a
log-in or log-out is ``authentication`` whatever else it names; an action on a URL path with no
noun of its own is an ``api`` call. A pair ECS does not allow falls back to the category's ``info``
(or ``change`` for a creation or deletion where ECS has no such type), and an action with no word of
the tables gets no category: unknown, rather than wrong.
"""

from __future__ import annotations

import re
from typing import Any

from logflow.cache import BoundedCache

#: ECS: the event types each category allows.
ALLOWED_TYPES: dict[str, frozenset[str]] = {
    "api": frozenset(
        {"access", "admin", "allowed", "change", "creation", "deletion", "denied", "end", "info", "start", "user"}
    ),
    "authentication": frozenset({"start", "end", "info"}),
    "configuration": frozenset({"access", "change", "creation", "deletion", "info"}),
    "database": frozenset({"access", "change", "info", "error"}),
    "file": frozenset({"access", "change", "creation", "deletion", "info"}),
    "iam": frozenset({"admin", "change", "creation", "deletion", "group", "info", "user"}),
    "session": frozenset({"start", "end", "info"}),
}
#: Verbs -> event.type (authentication verbs also decide the category).
VERBS: dict[str, str] = {
    **dict.fromkeys(
        ("create", "add", "insert", "new", "register", "upload", "invite", "signup", "provision"), "creation"
    ),
    **dict.fromkeys(("delete", "remove", "destroy", "drop", "purge", "erase", "deprovision", "unregister"), "deletion"),
    **dict.fromkeys(
        (
            "update",
            "modify",
            "change",
            "edit",
            "set",
            "patch",
            "rename",
            "enable",
            "disable",
            "grant",
            "revoke",
            "assign",
            "unassign",
            "reset",
            "rotate",
            "move",
            "restore",
        ),
        "change",
    ),
    **dict.fromkeys(
        ("read", "view", "get", "list", "download", "access", "export", "search", "query", "open", "fetch"), "access"
    ),
}
AUTH_VERBS: dict[str, str] = {
    **dict.fromkeys(("login", "logon", "signin", "authenticate", "auth", "mfa", "sso"), "start"),
    **dict.fromkeys(("logout", "logoff", "signout"), "end"),
}
#: Nouns -> event.category; iam nouns also add ECS's `user` or `group` type.
NOUNS: dict[str, str] = {
    **dict.fromkeys(
        (
            "user",
            "users",
            "account",
            "accounts",
            "member",
            "members",
            "group",
            "groups",
            "role",
            "roles",
            "permission",
            "permissions",
            "policy",
            "policies",
            "apikey",
            "credential",
            "credentials",
            "password",
        ),
        "iam",
    ),
    **dict.fromkeys(
        (
            "file",
            "files",
            "document",
            "documents",
            "object",
            "objects",
            "bucket",
            "folder",
            "directory",
            "attachment",
            "blob",
        ),
        "file",
    ),
    **dict.fromkeys(
        ("config", "configuration", "setting", "settings", "feature", "flag", "preference", "preferences"),
        "configuration",
    ),
    **dict.fromkeys(("database", "table", "schema", "index", "collection"), "database"),
    **dict.fromkeys(("session", "sessions"), "session"),
}
_IAM_TYPES = {
    "user": "user",
    "users": "user",
    "account": "user",
    "accounts": "user",
    "member": "user",
    "members": "user",
    "group": "group",
    "groups": "group",
}
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def words(action: str) -> list[str]:
    """``deleteUserAccount`` / ``user.delete`` / ``DELETE_FILE`` -> lowercased words."""
    return [w.lower() for w in _WORDS.findall(action)]


def categorize(action: str, path: bool) -> tuple[str, list[str]] | None:
    """(event.category, event.type) for an audit action, or None when the tables know none of its words.

    ``path``: the event names a URL path (``url.path``), so an action on no known noun is an API call.
    """
    found = words(action)
    joined = "".join(found)
    for verb, auth_type in AUTH_VERBS.items():  # "log in", "sign-in" and "LogIn" are one word joined
        if verb in found or (verb in ("login", "logon", "signin", "logout", "logoff", "signout") and verb in joined):
            return "authentication", [auth_type]
    kind = next((VERBS[w] for w in found if w in VERBS), None)
    noun = next((w for w in found if w in NOUNS), None)
    category = NOUNS[noun] if noun else ("api" if path and kind else None)
    if category is None:
        return None
    types = [kind or "info"]
    if types[0] not in ALLOWED_TYPES[category]:
        types = ["change" if types[0] in ("creation", "deletion") and "change" in ALLOWED_TYPES[category] else "info"]
    if category == "iam" and noun in _IAM_TYPES:
        types.append(_IAM_TYPES[noun])
    return category, types


_MEMO: BoundedCache[tuple[str, bool], tuple[str, list[str]] | None] = BoundedCache(4096)


def categorize_audit(doc: dict[str, Any]) -> None:
    """Set ``event.category``/``event.type`` of an audit event from its ``event.action`` (what it did).

    Fields the event has are kept. An event without an action is left uncategorized.
    """
    action = doc.get("event.action")
    if type(action) is not str or ("event.category" in doc and "event.type" in doc):
        return
    key = (action, "url.path" in doc)
    found = _MEMO.get(key) if key in _MEMO else _MEMO.put(key, categorize(*key))
    if found is None:
        return
    doc.setdefault("event.category", found[0])
    doc.setdefault("event.type", list(found[1]))

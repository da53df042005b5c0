"""Audit events are categorized by what they did (ECS event.category / event.type), not all as authentication."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.config import EnrichConfig
from logflow.enrich.categories import ALLOWED_TYPES, AUTH_VERBS, NOUNS, VERBS, categorize
from logflow.enrich.stage import Enricher
from logflow.event import Record

#: How an action names its words: `user.delete`, `delete_user`, `deleteUser`, `DELETE-USER`.
STYLES = st.sampled_from(
    [
        lambda ws: ".".join(ws),
        lambda ws: "_".join(ws),
        lambda ws: ws[0] + "".join(w.capitalize() for w in ws[1:]),
        lambda ws: "-".join(w.upper() for w in ws),
    ]
)


def audit(action: str, **extra: Any) -> dict[str, Any]:
    doc = {"event.dataset": "audit", "event.action": action, "message": "m", **extra}
    Enricher(EnrichConfig()).document(doc, Record("audit", 0, 1, b"x"), None, "2026-11-23T00:00:00.000Z", None)
    return doc


class TestCategories:
    @settings(max_examples=400, deadline=None)
    @given(verb=st.sampled_from(sorted(VERBS)), noun=st.sampled_from(sorted(NOUNS)), style=STYLES, first=st.booleans())
    def test_a_verb_on_a_noun_is_the_nouns_category_with_an_allowed_type(
        self, verb: str, noun: str, style: Any, first: bool
    ) -> None:
        """`user.delete` is iam/deletion, `updateSettings` configuration/change: never authentication."""
        action = style([verb, noun] if first else [noun, verb])
        doc = audit(action)
        assert doc["event.category"] == NOUNS[noun]
        assert set(doc["event.type"]) <= ALLOWED_TYPES[NOUNS[noun]] | {"user", "group"}
        assert doc["event.type"][0] in (VERBS[verb], "change", "info")

    @settings(max_examples=200, deadline=None)
    @given(
        verb=st.sampled_from(sorted(AUTH_VERBS)), noun=st.sampled_from(["", "user", "account", "session"]), style=STYLES
    )
    def test_a_log_in_or_out_is_authentication_start_or_end(self, verb: str, noun: str, style: Any) -> None:
        doc = audit(style([verb, noun]) if noun else verb)
        assert (doc["event.category"], doc["event.type"]) == ("authentication", [AUTH_VERBS[verb]])

    @settings(max_examples=200, deadline=None)
    @given(verb=st.sampled_from(sorted(VERBS)))
    def test_a_bare_verb_on_a_url_path_is_an_api_call(self, verb: str) -> None:
        doc = audit(verb, **{"url.path": "/api/orders/42"})
        assert (doc["event.category"], doc["event.type"]) == ("api", [VERBS[verb]])
        assert "event.category" not in audit(verb)  # no noun, no path: unknown, not a guess

    @settings(max_examples=200, deadline=None)
    @given(action=st.text(alphabet="xyzqjk._-", min_size=1, max_size=12))
    def test_an_action_of_unknown_words_gets_no_category(self, action: str) -> None:
        assert categorize(action, path=False) is None

    def test_the_events_own_category_wins(self) -> None:
        doc = audit("delete_user", **{"event.category": "host", "event.type": ["change"]})
        assert (doc["event.category"], doc["event.type"]) == ("host", ["change"])

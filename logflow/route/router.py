"""The route stage: which daily index (or indices) a document goes to.

``{prefix}-{event.dataset}-{YYYY.MM.dd}`` by event time in UTC, so one data view ``{prefix}-*``
sees everything. Rules (config ``[[routing.rules]]``) move an event to another index, or add a
copy there. Index names are built from small caches: the same (dataset, day) pair recurs for
thousands of events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from logflow.cache import BoundedCache
from logflow.config import RouteRule, RoutingConfig
from logflow.event import Batch

_UNSAFE = re.compile(r"[^a-z0-9._+-]+")


def safe_dataset(name: str) -> str:
    """Index names are lowercase, without spaces, commas, slashes or leading punctuation."""
    cleaned = _UNSAFE.sub("_", name.lower()).strip("._-+")
    return cleaned or "generic"


def routing_text(value: Any) -> str | None:
    """The text a routing decision reads from a field of any JSON shape: a list gives its first text, an
    object or null gives nothing (a user's odd field shape decides nothing, and never raises)."""
    if type(value) is str:
        return value
    if isinstance(value, list):
        for item in value:
            text = routing_text(item) if not isinstance(item, list) else None
            if text is not None:
                return text
        return None
    if value is None or isinstance(value, dict):
        return None
    return str(value)


def routing_tags(value: Any) -> tuple[str, ...]:
    """A document's tags as routing compares them: the texts among them, in order."""
    if type(value) is str:
        return (value,)
    if not isinstance(value, list):
        return ()
    return tuple(text for text in map(routing_text, value) if text is not None)


def index_date(timestamp: str) -> str:
    """``2026-11-23T…Z`` -> ``2026.11.23`` (timestamps are normalized to UTC before routing)."""
    return timestamp[:10].replace("-", ".")


@dataclass(frozen=True, slots=True)
class _Rule:
    name: str
    template: str
    levels: frozenset[str]
    datasets: frozenset[str]
    tags: frozenset[str]
    copy: bool

    def matches(self, dataset: str | None, level: str | None, tags: tuple[str, ...]) -> bool:
        if self.levels and level not in self.levels:
            return False
        if self.datasets and dataset not in self.datasets:
            return False
        return not (self.tags and self.tags.isdisjoint(tags))


class Router:
    """Turns a finished document into its target index and any copy indices."""

    def __init__(self, prefix: str, routing: RoutingConfig) -> None:
        self.prefix = prefix
        # data_stream mode: Elastic's naming scheme, logs-{dataset}-{namespace}; rules do not apply there.
        self.stream = routing.mode == "data_stream"
        self.namespace = routing.namespace
        self.rules = [] if self.stream else [self._compile(rule) for rule in routing.rules]
        self._names: BoundedCache[tuple[str, str, str], str] = BoundedCache(10_000)
        self._datasets: BoundedCache[str, str] = BoundedCache(10_000)
        # Decisions depend only on (dataset, level, tags, day), which repeat for thousands of events;
        # the parts no rule looks at are left out of the key.
        self._uses_levels = any(rule.levels for rule in self.rules)
        self._uses_tags = any(rule.tags for rule in self.rules)
        self._decisions: BoundedCache[tuple[Any, ...], tuple[str, list[str]]] = BoundedCache(10_000)

    @staticmethod
    def _compile(rule: RouteRule) -> _Rule:
        return _Rule(
            rule.name,
            rule.index,
            frozenset(rule.levels),
            frozenset(rule.datasets),
            frozenset(rule.tags),
            rule.copy_event,
        )

    def _name(self, template: str, dataset: str, day: str) -> str:
        key = (template, dataset, day)
        name = self._names.get(key)
        if name is None:
            name = template.format(prefix=self.prefix, dataset=dataset, date=day, namespace=self.namespace).lower()
            name = self._names.put(key, name)
        return name

    def __call__(self, batch: Batch) -> None:
        """The route stage: every event's primary index and copies."""
        route = self.route
        for event in batch.events:
            try:
                event.index, event.copies = route(event.doc)
            except Exception as exc:  # a document without a usable time or dataset: a reason, not a crash
                batch.fail(event, "route", exc)

    def route(self, doc: dict[str, Any]) -> tuple[str, list[str]]:
        """(primary index, copy indices); the copy list is shared between calls: do not mutate it.

        Reads the fields as text of any JSON shape (``routing_text``), so the key is always hashable.
        """
        dataset = doc.get("event.dataset")
        if type(dataset) is not str:
            dataset = routing_text(dataset)
        level = doc.get("log.level") if self._uses_levels else None
        if level is not None and type(level) is not str:
            level = routing_text(level)
        tags = routing_tags(doc.get("tags")) if self._uses_tags else ()
        day = doc["@timestamp"][:10]
        key = (dataset, level, tags, day)
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._decisions.put(key, self._route(dataset, level, tags, day))
        return decision

    def _route(self, field: str | None, level: str | None, tags: tuple[str, ...], day10: str) -> tuple[str, list[str]]:
        raw_dataset = field or "generic"
        dataset = self._datasets.get(raw_dataset)
        if dataset is None:
            dataset = self._datasets.put(raw_dataset, safe_dataset(raw_dataset))
        day = index_date(day10)
        if self.stream:  # a dataset may not hold `-` there: it separates the parts of the name
            return self._name("logs-{dataset}-{namespace}", dataset.replace("-", "_"), day), []
        primary = None
        copies: list[str] = []
        for rule in self.rules:
            if rule.matches(field, level, tags):
                if rule.copy:
                    copies.append(self._name(rule.template, dataset, day))
                elif primary is None:
                    primary = self._name(rule.template, dataset, day)
        if primary is None:
            primary = self._name("{prefix}-{dataset}-{date}", dataset, day)
        return primary, copies

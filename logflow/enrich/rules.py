"""Declarative enrichment rules: tags and typed fields pulled out of messages, from config.

Each rule is compiled once (grok, searched anywhere in ``message``); a ``contains`` literal is
checked first, so a rule costs one substring test on the events it does not concern. Rules run in
the enrich stage, before routing, so routing rules can act on the tags they add.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import regex

from logflow.config import EnrichConfig
from logflow.errors import ConfigError, ConfigErrors
from logflow.parse.grok import Grok, Origin, PatternLibrary


@dataclass(frozen=True, slots=True)
class _Compiled:
    name: str
    contains: str | None
    grok: Grok
    tags: tuple[str, ...]
    fields: tuple[tuple[str, Any], ...]
    datasets: frozenset[str]


class RuleSet:
    def __init__(self, cfg: EnrichConfig, library: PatternLibrary) -> None:
        """Compile every rule; a rule that does not compile is reported with all the others, at start-up."""
        self.rules: list[_Compiled] = []
        problems: list[ConfigError] = []
        for i, rule in enumerate(cfg.rules):
            where = f"enrich.rules[{i}] ({rule.name})"
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error", FutureWarning)  # `re`: a meaning a later Python changes
                    grok = Grok(rule.pattern, library, origin=Origin(where), search=True)
            except ConfigError as exc:
                problems.extend(getattr(exc, "problems", [exc]))
                continue
            except FutureWarning as exc:
                problems.append(ConfigError(where, f"is ambiguous: {exc}", "escape a literal [ inside a set as \\["))
                continue
            except (ValueError, OverflowError, RecursionError, regex.error) as exc:  # `re`'s others; the guard's
                problems.append(ConfigError(where, f"does not compile: {exc}", "fix the pattern"))
                continue
            self.rules.append(
                _Compiled(
                    rule.name,
                    rule.contains,
                    grok,
                    tuple(rule.tags),
                    tuple(rule.fields.items()),
                    frozenset(rule.datasets),
                )
            )
        if problems:
            raise problems[0] if len(problems) == 1 else ConfigErrors(problems)

    def __bool__(self) -> bool:
        return bool(self.rules)

    def apply(self, doc: dict[str, Any], tags: list[str]) -> None:
        """Add every matching rule's captures, static fields and tags (existing fields are not overwritten)."""
        message = doc.get("message")
        if not isinstance(message, str):
            return
        for rule in self.rules:
            if rule.contains is not None and rule.contains not in message:
                continue
            if rule.datasets and doc.get("event.dataset") not in rule.datasets:
                continue
            captured = rule.grok.match(message)
            if captured is None:
                continue
            for key, value in captured.items():
                doc.setdefault(key, value)
            for key, value in rule.fields:
                doc.setdefault(key, value)
            tags.extend(rule.tags)

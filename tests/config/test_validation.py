"""Start-up validation: whatever the configuration holds, it either loads and works, or stops with its key.

Generated values (regular expressions, index templates, level names, rule lists, paths) go through
``load_settings`` and then through the stage that uses them: a value that loads must never fail
later (at the first line, the first routed event), and a rule that loads must be able to match.
"""

from __future__ import annotations

import difflib
import itertools
import re
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from logflow.config import EnrichConfig, RouteRule, RoutingConfig, Settings, load_settings
from logflow.config.levels import ECS_LEVELS, LEVELS, normal_level
from logflow.decode.multiline import MultilineJoiner
from logflow.enrich.rules import RuleSet
from logflow.errors import ConfigError, ConfigErrors
from logflow.mining.masking import Masker
from logflow.parse.parsers import ParserSet
from logflow.route.router import Router

REGEX_ALPHABET = st.sampled_from([*"ab.*+?()[]{}|^$\\-<=!:,0123456789dwsP", "\ud800", "(?<=", "(?P<"])
regexes = st.lists(REGEX_ALPHABET, max_size=12).map("".join)
LINES = ["", "a", "ab(1)", "2026-11-23 a", "[x] {y}", "\u00e9t\u00e9"]
LIBRARY = ParserSet.load(None).library


def problems(exc: ConfigError) -> list[ConfigError]:
    return list(getattr(exc, "problems", [exc]))


def load(**overrides: Any) -> tuple[Settings | None, list[str]]:
    """The settings, or None and the keys of the problems."""
    try:
        return load_settings(environ={}, overrides=overrides), []
    except ConfigError as exc:
        return None, [p.key for p in problems(exc)]


def validation_error(model: type[BaseModel], data: dict[str, Any]) -> str | None:
    """The validation message for ``data``, or None when it is valid."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return str(exc)
    return None


class TestRegularExpressions:
    @settings(max_examples=300, deadline=None)
    @given(pattern=regexes)
    def test_a_multiline_start_that_loads_compiles_and_runs_as_the_joiner_uses_it(self, pattern: str) -> None:
        """Every expression is either refused at load with its key, or works on every line."""
        loaded, keys = load(decode={"multiline_start": pattern})
        if loaded is None:
            assert keys == ["decode.multiline_start"]
            return
        joiner = MultilineJoiner.from_config(loaded.decode)
        assert joiner is not None and joiner.start is not None
        for line in LINES:
            joiner.start(line.encode("utf-8"))

    @settings(max_examples=300, deadline=None)
    @given(pattern=regexes)
    @example(pattern="[\ud800-a")  # found by this test: the error's text held the lone surrogate and did not render
    def test_an_extra_mask_that_loads_compiles_for_the_miner(self, pattern: str) -> None:
        loaded, keys = load(mining={"extra_masks": [pattern]})
        if loaded is None:
            assert keys == ["mining.extra_masks"]
            return
        masker = Masker(extra=tuple(loaded.mining.extra_masks))
        for line in LINES:
            masker.key(line)

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(patterns=st.lists(regexes, min_size=1, max_size=3))
    def test_enrichment_rule_patterns_fail_together_as_configuration_errors(self, patterns: list[str]) -> None:
        """Every rule that does not compile is named at once; no `re.error` or other exception escapes."""
        rules = [{"name": f"r{i}", "pattern": p} for i, p in enumerate(patterns)]
        enrich = load_settings(environ={}, overrides={"enrich": {"rules": rules}}).enrich
        ruleset, keys = compiled(enrich)
        assert [key.split(" ")[0] for key in keys] == [f"enrich.rules[{i}]" for i in ruleset_failures(patterns)]
        if ruleset is None:
            return
        for line in LINES:
            ruleset.apply({"message": line}, [])


def compiled(enrich: EnrichConfig) -> tuple[RuleSet | None, list[str]]:
    try:
        return RuleSet(enrich, LIBRARY), []
    except ConfigError as exc:
        return None, [p.key for p in problems(exc)]


def ruleset_failures(patterns: list[str]) -> list[int]:
    """Which rules fail on their own (the reference the joint report must agree with)."""
    alone = [EnrichConfig.model_validate({"rules": [{"name": "x", "pattern": p}]}) for p in patterns]
    return [i for i, enrich in enumerate(alone) if compiled(enrich)[0] is None]


TEMPLATE_PIECES = st.sampled_from(
    [
        "{prefix}",
        "{dataset}",
        "{date}",
        "{prefx}",
        "{data}",
        "{}",
        "{0}",
        "{date!r}",
        "{date:>3}",
        "{",
        "}",
        "{{",
        "}}",
        "-",
        "_",
        ".",
        "a",
        "Z",
        " ",
        "*",
        "/",
        ",",
        "#",
        ":",
        "?",
    ]
)


class TestIndexTemplates:
    @settings(max_examples=400, deadline=None)
    @given(pieces=st.lists(TEMPLATE_PIECES, min_size=1, max_size=6))
    def test_a_template_that_loads_routes_every_event_to_a_valid_index_name(self, pieces: list[str]) -> None:
        """Unknown or positional placeholders, stray braces and forbidden characters stop the start."""
        template = "".join(pieces)
        rule = {"name": "r", "index": template, "levels": ["error"]}
        loaded, keys = load(routing={"rules": [rule]})
        if loaded is None:
            assert keys == ["routing.rules[0].index"]
            return
        name, _ = Router("logs", loaded.routing).route(
            {"@timestamp": "2026-11-23T10:00:00.000Z", "event.dataset": "App/X", "log.level": "error"}
        )
        assert name and not set(name) & set(' "*\\<|,>/?#:') and name[0] not in "-_+."

    def test_a_misspelt_placeholder_gets_the_placeholder_it_meant(self) -> None:
        with pytest.raises(ValidationError, match=r"\{prefx\}"):
            RouteRule(name="r", index="{prefx}-e-{date}")
        rule = {"name": "r", "index": "{prefx}-e-{date}"}
        with pytest.raises(ConfigError, match=r"did you mean 'prefix'"):
            load_settings(environ={}, overrides={"routing": {"rules": [rule]}})


LEVEL_WORDS = st.one_of(
    st.sampled_from(sorted(LEVELS) + [x.upper() for x in ECS_LEVELS] + ["errorr", "fatl", "audit", " info"]),
    st.text(alphabet=string.ascii_letters + " ", min_size=1, max_size=8),
)


class TestRuleLevels:
    @settings(max_examples=400, deadline=None)
    @given(levels=st.lists(LEVEL_WORDS, min_size=1, max_size=3))
    def test_a_rule_level_that_loads_is_one_log_level_can_hold(self, levels: list[str]) -> None:
        """`log.level` is normalized before routing: a rule level it never equals would match nothing."""
        refused = validation_error(RouteRule, {"name": "r", "index": "{prefix}-x-{date}", "levels": levels})
        if refused is not None:
            near = [lv for lv in levels if lv not in ECS_LEVELS and difflib.get_close_matches(lv, ECS_LEVELS, 1, 0.75)]
            assert any(normal_level(level) != level for level in levels) or near, refused
            return
        for level in levels:
            assert normal_level(level) == level  # an event of this level reaches log.level == level

    def test_a_near_miss_of_a_level_says_which_level_it_meant(self) -> None:
        with pytest.raises(ConfigError, match="did you mean 'error'"):
            load_settings(
                environ={}, overrides={"routing": {"rules": [{"name": "r", "index": "x-{date}", "levels": ["errorr"]}]}}
            )


LEVEL_VOCAB = ("debug", "info", "error")
VOCAB = ("a", "b", "c")
level_conditions = st.lists(st.sampled_from(LEVEL_VOCAB), max_size=2, unique=True)
conditions = st.lists(st.sampled_from(VOCAB), max_size=2, unique=True)


def witness_docs() -> list[dict[str, Any]]:
    """Every kind of event over the vocabulary: a level, a dataset, at most one tag (one tag is the
    hardest case for any-of tag rules, so a rule that matches some event matches one of these)."""
    return [
        {
            "@timestamp": "2026-11-23T10:00:00.000Z",
            "log.level": level,
            "event.dataset": dataset,
            **({"tags": [tag]} if tag else {}),
        }
        for level, dataset, tag in itertools.product((*LEVEL_VOCAB, "warn"), (*VOCAB, "other"), (*VOCAB, None))
    ]


def matches(spec: tuple[list[str], list[str], list[str], bool], doc: dict[str, Any]) -> bool:
    levels, datasets, tags, _ = spec
    return (
        (not levels or doc["log.level"] in levels)
        and (not datasets or doc["event.dataset"] in datasets)
        and (not tags or bool(set(doc.get("tags", [])) & set(tags)))
    )


class TestRulesThatCanNeverMatch:
    @settings(max_examples=300, deadline=None)
    @given(specs=st.lists(st.tuples(level_conditions, conditions, conditions, st.booleans()), min_size=1, max_size=4))
    # Found by this test: two earlier rules hide a third together, neither alone.
    @example(specs=[([], [], ["a"], False), ([], [], ["b"], False), ([], [], ["a", "b"], False)])
    def test_rules_load_exactly_when_every_move_rule_can_receive_an_event(
        self, specs: list[tuple[list[str], list[str], list[str], bool]]
    ) -> None:
        """A move rule hidden behind earlier move rules is an error; every rule that loads receives some event."""
        rules = [
            {"name": f"r{i}", "index": f"r{i}-{{date}}", "levels": lv, "datasets": ds, "tags": tg, "copy": copy}
            for i, (lv, ds, tg, copy) in enumerate(specs)
        ]
        refused = validation_error(RoutingConfig, {"rules": rules})
        assert refused is None or "never matches" in refused
        reachable = set()
        for doc in witness_docs():
            for i, spec in enumerate(specs):
                if not spec[3] and matches(spec, doc):
                    reachable.add(i)
                    break  # the first move wins
        moves = {i for i, spec in enumerate(specs) if not spec[3]}
        assert (refused is None) == (moves <= reachable)
        if refused is None:
            router = Router("logs", RoutingConfig.model_validate({"rules": rules}))
            got = {router.route(doc)[0] for doc in witness_docs()}
            assert {f"r{i}-2026.11.23" for i in moves} <= got

    @pytest.mark.parametrize(
        ("earlier", "hidden", "one_more"),
        [
            ([{"tags": ["a"]}, {"tags": ["b"]}], {"tags": ["a", "b"]}, {"tags": ["a", "b", "c"]}),
            (
                [{"levels": ["error"]}, {"levels": ["fatal"]}],
                {"levels": ["error", "fatal"], "datasets": ["web"]},
                {"levels": ["error", "fatal", "warn"], "datasets": ["web"]},
            ),
            (
                [{"datasets": ["web"]}, {"levels": ["error"]}],
                {"datasets": ["web", "db"], "levels": ["error"]},
                {"datasets": ["web", "db"]},
            ),
        ],
    )
    def test_a_move_rule_that_earlier_rules_hide_together_is_an_error_naming_each_of_them(
        self, earlier: list[dict[str, Any]], hidden: dict[str, Any], one_more: dict[str, Any]
    ) -> None:
        """Hidden by two rules together, neither alone; with one event they leave, or as a copy, it loads."""
        first = [{"name": f"r{i}", "index": f"r{i}-{{date}}", **rule} for i, rule in enumerate(earlier)]
        with pytest.raises(ConfigError) as caught:
            load_settings(
                environ={}, overrides={"routing": {"rules": [*first, {"name": "late", "index": "l-{date}", **hidden}]}}
            )
        message = str(caught.value)
        assert "rules[2] (late) never matches: rules[0] (r0), rules[1] (r1) together move every event" in message
        assert "put rules[2] first" in message
        for late in ({**one_more}, {**hidden, "copy": True}):
            rules = [*first, {"name": "late", "index": "l-{date}", **late}]
            load_settings(environ={}, overrides={"routing": {"rules": rules}})

    def test_a_duplicate_rule_name_is_an_error(self) -> None:
        rules = [
            {"name": "x", "index": "a-{date}", "levels": ["error"]},
            {"name": "x", "index": "b-{date}", "levels": ["warn"]},
        ]
        with pytest.raises(ConfigError, match="second rule named 'x'"):
            load_settings(environ={}, overrides={"routing": {"rules": rules}})


class TestPaths:
    @pytest.mark.parametrize(
        ("section", "key", "kind"),
        [
            ("parse", "parsers_dir", "folder"),
            ("kafka", "ssl_cafile", "file"),
            ("kafka", "ssl_certfile", "file"),
            ("kafka", "ssl_keyfile", "file"),
            ("elasticsearch", "ca_certs", "file"),
            ("kibana", "ca_certs", "file"),
        ],
    )
    def test_a_path_is_checked_at_start_up(self, tmp_path: Path, section: str, key: str, kind: str) -> None:
        """A missing path, or a file where a folder belongs (and the reverse), names its key; a real one loads."""
        real = tmp_path / "real"
        if kind == "folder":
            real.mkdir()
        else:
            real.write_text("x", encoding="utf-8")
        wrong = tmp_path / ("plain-file" if kind == "folder" else "a-folder")
        if kind == "folder":
            wrong.write_text("x", encoding="utf-8")
        else:
            wrong.mkdir()
        for bad in (tmp_path / "missing", wrong):
            with pytest.raises(ConfigError, match=rf"{section}\.{key}: .*(does not exist|is not a {kind})"):
                load_settings(environ={}, overrides={section: {key: str(bad)}})
        assert getattr(getattr(load_settings(environ={}, overrides={section: {key: str(real)}}), section), key) == real


class TestAllAtOnce:
    def test_every_kind_of_problem_is_reported_in_one_error(self, tmp_path: Path) -> None:
        """A regex, a placeholder, a level and a path, all wrong: four problems, each with its key and a fix."""
        path = tmp_path / "logflow.toml"
        path.write_text(
            '[decode]\nmultiline_start = "(x"\n[parse]\nparsers_dir = "/no/such/dir"\n'
            '[[routing.rules]]\nname = "e"\nindex = "{prefx}-e-{date}"\nlevels = ["eror"]\n',
            encoding="utf-8",
        )
        with pytest.raises(ConfigErrors) as caught:
            load_settings(path, environ={})
        found = problems(caught.value)
        assert sorted(p.key for p in found) == [
            "decode.multiline_start",
            "parse.parsers_dir",
            "routing.rules[0].index",
            "routing.rules[0].levels",
        ]
        assert all(p.fix for p in found)
        assert re.search("did you mean 'prefix'", str(caught.value))

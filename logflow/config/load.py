"""Reading the configuration: defaults, then a TOML file, then ``LOGFLOW_*`` variables, validated once.

Every scalar or list setting ``section.key`` has the variable ``LOGFLOW_SECTION_KEY`` (lists
comma-separated or as a JSON array; booleans ``true``/``false``; rules as JSON). Every problem is
reported at once (``ConfigErrors``), each naming the key (and the variable it came from), what is
wrong and the fix, with "did you mean" for a misspelt key. Keys of the old ``[pipeline]`` section
name their new home.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args, get_origin

import orjson
from pydantic import SecretStr, ValidationError

from logflow.config.secrets import mask_value, remember
from logflow.config.sections import SECTIONS, Settings
from logflow.errors import ConfigError, ConfigErrors

ENV_PREFIX = "LOGFLOW_"
#: Read by others, allowed and ignored here: the package build, and the test suite's server addresses.
FOREIGN = ("LOGFLOW_CONFIG", "LOGFLOW_BUILD_COMPILED")
FOREIGN_PREFIXES = ("LOGFLOW_TEST_",)
#: Where the keys of the old `[pipeline]` section live now.
MOVED = {
    "index_prefix": "routing",
    "parsers_dir": "parse",
    "keep_original": "parse",
    "service_name": "enrich",
    "environment": "enrich",
    "shutdown_timeout_s": "worker",
    "revoke_timeout_s": "worker",
    "multiline_start": "decode",
    "multiline_max_lines": "decode",
    "multiline_max_wait_ms": "decode",
    "cri_join_partial": "decode",
    "max_line_bytes": "decode",
}


def env_name(section: str, key: str) -> str:
    return f"{ENV_PREFIX}{section.upper()}_{key.upper()}"


def _is_list(annotation: Any) -> bool:
    return get_origin(annotation) is list or any(get_origin(a) is list for a in get_args(annotation))


def _env_value(name: str, key: str, raw: str, annotation: Any) -> Any:
    """The value of one variable: JSON for rules and for lists written as JSON arrays, else comma-separated."""
    if key == "rules" or (_is_list(annotation) and raw.lstrip().startswith("[")):
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            what = "a JSON list of rule objects" if key == "rules" else 'a JSON array (["a", "b"]) or a, b'
            raise ConfigError(name, f"is not valid JSON ({exc})", f"give {what}") from None
        if not isinstance(value, list):
            raise ConfigError(name, "is JSON but not a list", "give a JSON array")
        return value
    if _is_list(annotation):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw


def _utf8(name: str, value: str) -> str:
    """``value`` when it is text; a variable holding bytes that are not UTF-8 (Python decodes them to lone
    surrogates) is refused here, by name and position only (it may be a secret), instead of failing later
    where it is encoded: a Kafka topic, an index name, an HTTP header."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ConfigError(
            name, f"holds bytes that are not UTF-8 (at character {exc.start + 1})", "set it to UTF-8 text"
        ) from None
    return value


def env_overrides(environ: Mapping[str, str]) -> tuple[dict[str, dict[str, Any]], list[ConfigError]]:
    """``LOGFLOW_SECTION_KEY`` variables onto the nested settings dict, and the problems with them."""
    out: dict[str, dict[str, Any]] = {}
    problems: list[ConfigError] = []
    known: set[str] = set(FOREIGN)
    for section, model in SECTIONS.items():
        for key, info in model.model_fields.items():
            name = env_name(section, key)
            known.add(name)
            if name in environ and info.annotation is not None:
                try:
                    value = _utf8(name, environ[name])
                    out.setdefault(section, {})[key] = _env_value(name, key, value, info.annotation)
                except ConfigError as exc:
                    problems.append(exc)
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX) or name in known or name.startswith(FOREIGN_PREFIXES):
            continue
        old = name.removeprefix(f"{ENV_PREFIX}PIPELINE_").lower()
        if name.startswith(f"{ENV_PREFIX}PIPELINE_") and old in MOVED:
            new = env_name(MOVED[old], old)
            problems.append(ConfigError(name, f"moved to [{MOVED[old]}] {old}", f"rename the variable to {new}"))
            continue
        guess = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
        fix = f"did you mean {guess[0]}?" if guess else "see docs/configuration.md for the variable names, or unset it"
        problems.append(ConfigError(name, "is not a logflow setting", fix))
    return out, problems


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _moved_sections(data: dict[str, Any]) -> list[ConfigError]:
    """``[pipeline]`` keys in a file: each one names its new section (the section itself is removed)."""
    old = data.pop("pipeline", None)
    if not isinstance(old, Mapping):
        return []
    problems = []
    for key in old:
        if key in MOVED:
            problems.append(
                ConfigError(f"pipeline.{key}", f"moved to [{MOVED[key]}]", f"write it as {MOVED[key]}.{key}")
            )
        else:
            problems.append(ConfigError(f"pipeline.{key}", "is not a logflow setting", "remove it"))
    return problems


def _did_you_mean(loc: list[str]) -> str:
    """For an unknown key: the closest known key of its section (or the closest section)."""
    if len(loc) == 1:
        choices = sorted(SECTIONS)
    elif loc[0] in SECTIONS and len(loc) == 2:
        choices = sorted(SECTIONS[loc[0]].model_fields)
    else:
        return ""
    guess = difflib.get_close_matches(loc[-1], choices, n=1, cutoff=0.6)
    return f"did you mean {'.'.join([*loc[:-1], guess[0]])}?" if guess else ""


def _explain(exc: ValidationError, from_env: dict[str, dict[str, Any]]) -> list[ConfigError]:
    problems = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        key = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", ".".join(loc))  # routing.rules[0].levels
        if len(loc) >= 2 and loc[0] in from_env and loc[1] in from_env[loc[0]]:
            key += f" (from {env_name(loc[0], loc[1])})"
        fix = ""
        ctx = err.get("ctx") or {}
        if err["type"] == "logflow":  # sections.invalid: the validator said what to do
            fix = str(ctx.get("fix", ""))
        elif err["type"] == "extra_forbidden":
            fix = _did_you_mean(loc) or "remove it or check its spelling against docs/configuration.md"
        elif len(loc) >= 2 and loc[0] in SECTIONS:
            info = SECTIONS[loc[0]].model_fields.get(loc[1])
            if info is not None:
                fix = info.description or ""
                if info.examples:
                    fix += f" Example: {info.examples[0]!r}."
        message = re.sub(r"^(Value error|Assertion failed), ", "", err["msg"])
        problems.append(ConfigError(key, message, fix.strip()))
    return problems


def load_settings(
    path: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Read defaults, then the TOML file, then the environment, then explicit overrides; validate once.

    Raises ``ConfigErrors`` with every problem found (a ``ConfigError`` when there is only one).
    """
    environ = os.environ if environ is None else environ
    if path is None and environ.get(f"{ENV_PREFIX}CONFIG"):
        path = Path(environ[f"{ENV_PREFIX}CONFIG"])
    data: dict[str, Any] = {}
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("--config", f"file {path} does not exist", "give the path of a TOML file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(path), f"is not valid TOML: {exc}", "fix the syntax at that line") from None
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[: exc.start].count(b"\n") + 1
            raise ConfigError(
                str(path),
                f"is not UTF-8 text (line {line}, byte {exc.start + 1})",
                "save it as UTF-8, as TOML requires",
            ) from None
    problems = _moved_sections(data)
    from_env, env_problems = env_overrides(environ)
    problems += env_problems
    data = _merge(data, from_env)
    if overrides:
        data = _merge(data, overrides)
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems += _explain(exc, from_env)
    if problems:
        raise problems[0] if len(problems) == 1 else ConfigErrors(problems)
    assert settings is not None
    remember_secrets(settings)
    return settings


_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


def without_credentials(url: str) -> str:
    """``https://user:pw@es1:9200`` -> ``https://****@es1:9200``: URL userinfo is a secret."""
    return _USERINFO.sub("****@", url)


def redacted(settings: Settings) -> dict[str, Any]:
    """The settings as a plain dict with every secret masked, for `logflow config show`.

    ``SecretStr`` fields dump as ``**********``; every other value goes through ``mask_value`` (the masking
    of everything printed): URL userinfo anywhere, credentials in ``key=value`` form, and the literal
    value of every secret the settings hold (a ``*_file``'s contents too) become ``****``.
    """
    remember_secrets(settings)
    data: dict[str, Any] = mask_value(settings.model_dump(mode="json", by_alias=True))
    return data


def remember_secrets(settings: Settings) -> None:
    """Register every ``SecretStr`` value of ``settings`` (inline, from ``*_file`` or the environment) with
    ``logflow.config.secrets``, so no output shows it, whatever text surrounds it."""
    for section_name in type(settings).model_fields:
        section = getattr(settings, section_name)
        for field_name in type(section).model_fields:
            value = getattr(section, field_name, None)
            if isinstance(value, SecretStr):
                remember(value.get_secret_value())

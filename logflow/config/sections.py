"""The configuration model: one frozen, typed section per stage and edge.

Every setting has a description, a default and, where it helps, an example; ``docs/configuration.md``
is generated from these models (``logflow.config.reference``). Unknown keys are errors; secrets are
``SecretStr`` and never printed; values that must compile (regular expressions) are checked here, so
a bad one stops start-up instead of a line.
"""

from __future__ import annotations

import difflib
import itertools
import re
import string
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from logflow.config.levels import ECS_LEVELS, normal_level
from logflow.config.secrets import SECRET_NAMES

_DURATION = re.compile(r"^\s*\d+(?:\.\d+)?\s*[smhdw]\s*$")


def invalid(problem: str, fix: str) -> PydanticCustomError:
    """A validation error that carries its fix; ``load._explain`` shows it as the ConfigError's fix.

    A lone surrogate (an environment variable's non-UTF-8 byte, as Python decodes it) is written as its
    escape: pydantic could not render the message at all, and the error would hide every other one.
    """
    return PydanticCustomError("logflow", "{problem}", {"problem": _printable(problem), "fix": _printable(fix)})


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def did_you_mean(word: str, choices: tuple[str, ...] | list[str], cutoff: float = 0.6) -> str:
    """``did you mean X?`` for the closest choice, or "" when none is close."""
    guess = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return f"did you mean {guess[0]!r}? " if guess else ""


def _compile_regex(pattern: str, as_bytes: bool = False) -> None:
    """Raise ``invalid`` when ``pattern`` does not compile the way the stage that uses it compiles it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # FutureWarning: a meaning that changes in a later Python
            re.compile(pattern.encode("utf-8") if as_bytes else pattern)
    except FutureWarning as exc:
        raise invalid(f"{pattern!r} is ambiguous: {exc}", "escape a literal [ inside a set as \\[") from None
    except re.error as exc:
        raise invalid(
            f"{pattern!r} is not a valid regular expression: {exc}", "fix the expression (Python `re` syntax)"
        ) from None
    except (ValueError, OverflowError, RecursionError) as exc:  # a lone surrogate, a huge repeat, deep nesting
        raise invalid(f"{pattern!r} cannot be compiled: {exc}", "fix the expression (Python `re` syntax)") from None


def _existing(path: Path | None, kind: Literal["file", "folder"], what: str) -> Path | None:
    """Paths the program opens later are checked at start-up, so a typo stops the start, not the first batch."""
    if path is None:
        return None
    exists = path.is_file() if kind == "file" else path.is_dir()
    if not exists:
        problem = f"{str(path)!r} does not exist" if not path.exists() else f"{str(path)!r} is not a {kind}"
        raise invalid(problem, f"give the path of an existing {kind}: {what}")
    return path


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _read_secret_file(key: str, path: Any) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise ValueError(f"{key}: cannot read {path} ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:  # the message names the position only: the bytes are a secret
        raise ValueError(f"{key}: {path} is not UTF-8 text (byte {exc.start + 1}); save the secret as UTF-8") from None


class _SecretsFromFiles(_Section):
    """A section whose secrets ``X`` can also be given as ``X_file`` (read once, at load time).

    Mounted secrets (Kubernetes, Docker) are files; reading them here keeps the value out of the
    environment and the command line. Giving both ``X`` and ``X_file`` is an error.
    """

    @model_validator(mode="before")
    @classmethod
    def _secrets_from_files(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        out = dict(data)
        for key in cls.model_fields:
            if not key.endswith("_file") or key[: -len("_file")] not in cls.model_fields:
                continue
            target = key[: -len("_file")]
            path = out.get(key)
            if path is None:
                continue
            if out.get(target) is not None:
                raise ValueError(f"give either {target} or {key}, not both")
            out[target] = _read_secret_file(key, path)
        return out


class KafkaConfig(_SecretsFromFiles):
    """Where records come from, and where rejects go."""

    bootstrap_servers: list[str] = Field(
        default=["localhost:9092"],
        description="Kafka brokers to bootstrap from.",
        examples=[["kafka-1:9092", "kafka-2:9092"]],
    )
    topics: list[str] = Field(
        default=["logs"], description="Topics to consume shipped logs from.", examples=[["logs", "audit"]]
    )
    group_id: str = Field(
        default="logflow",
        description="Consumer group: every worker with the same id shares the partitions.",
        examples=["logflow-prod"],
    )
    dead_letter_topic: str = Field(
        default="logflow-dead-letter",
        description="Topic that receives records that cannot be indexed, with the reason in headers.",
        examples=["logs-dlq"],
    )
    dead_letter_sources: list[str] = Field(
        default=["logflow-dead-letter"],
        description=(
            "Topics whose records are logflow's dead letters: a worker reading one indexes each as a dead-letter "
            "document. A record from any other topic is never taken for a dead letter, whatever its headers say."
        ),
        examples=[["logs-dlq"]],
    )
    client_id: str = Field(default="logflow", description="Kafka client id (shows in broker logs).")
    max_batch_records: int = Field(
        default=5000, ge=1, le=100_000, description="Most records taken from Kafka per batch (getmany)."
    )
    fetch_timeout_ms: int = Field(
        default=500, ge=1, le=60_000, description="How long one fetch waits for records before returning."
    )
    max_partition_fetch_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=64 * 1024,
        description=(
            "Most bytes prefetched per partition in one fetch. With `fetch_max_bytes` and `max_batch_records` "
            "it bounds the worker's memory; it must exceed the largest record you accept."
        ),
    )
    fetch_max_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=64 * 1024,
        description="Most bytes one fetch response may carry (the consumer's prefetch bound across partitions).",
    )
    auto_offset_reset: Literal["earliest", "latest"] = Field(
        default="earliest", description="Where a new consumer group starts reading."
    )
    session_timeout_ms: int = Field(
        default=10_000,
        ge=1000,
        description=(
            "Group session timeout: a worker that stops heartbeating this long loses its partitions. Some brokers "
            "(Tansu) also hold a new group's first join for half of it."
        ),
    )
    max_poll_interval_ms: int = Field(
        default=300_000, ge=1000, description="Longest gap between fetches before the group evicts us."
    )
    create_topics: bool = Field(
        default=False,
        description=(
            "At start-up, create the topics of `topics` and the `dead_letter_topic` that do not exist yet, with "
            "`create_partitions` partitions and `create_replication_factor` replicas (needs the right to create "
            "topics). Existing topics are left as they are. Off: missing topics are the broker's business."
        ),
    )
    create_partitions: int = Field(
        default=3, ge=1, description="Partitions of a topic `create_topics` creates (the most workers that share it)."
    )
    create_replication_factor: int = Field(
        default=1,
        ge=1,
        description="Replicas of a topic `create_topics` creates: at most the number of brokers (3 in production).",
        examples=[3],
    )
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="How to talk to the brokers: TLS (`SSL`), SASL, both (`SASL_SSL`), or neither.",
        examples=["SASL_SSL"],
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        default=None,
        description="SASL mechanism; required with `SASL_PLAINTEXT` and `SASL_SSL`.",
        examples=["SCRAM-SHA-512"],
    )
    sasl_username: str | None = Field(default=None, description="SASL user name.", examples=["logflow"])
    sasl_password: SecretStr | None = Field(
        default=None, description="SASL password (secret; prefer `sasl_password_file`)."
    )
    sasl_password_file: Path | None = Field(
        default=None,
        description="File holding the SASL password (read at start-up, trailing newline dropped).",
        examples=["/run/secrets/kafka-password"],
    )
    ssl_cafile: Path | None = Field(
        default=None,
        description="CA bundle to verify the brokers' TLS certificates.",
        examples=["/etc/logflow/ca.pem"],
    )
    ssl_certfile: Path | None = Field(default=None, description="Client certificate for mutual TLS.")
    ssl_keyfile: Path | None = Field(default=None, description="Private key of the client certificate.")
    ssl_password: SecretStr | None = Field(default=None, description="Password of `ssl_keyfile` (secret).")
    ssl_password_file: Path | None = Field(default=None, description="File holding the `ssl_keyfile` password.")

    @field_validator("ssl_cafile", "ssl_certfile", "ssl_keyfile")
    @classmethod
    def _tls_files_exist(cls, value: Path | None) -> Path | None:
        return _existing(value, "file", "a PEM file")

    @model_validator(mode="after")
    def _sasl_complete(self) -> KafkaConfig:
        if self.security_protocol.startswith("SASL_"):
            needed = ("sasl_mechanism", "sasl_username", "sasl_password")
            missing = [k for k in needed if getattr(self, k) is None]
            if missing:
                raise ValueError(
                    f"security_protocol {self.security_protocol} needs {', '.join(missing)} "
                    "(the password may come from sasl_password_file or LOGFLOW_KAFKA_SASL_PASSWORD)"
                )
        return self

    @model_validator(mode="after")
    def _no_dead_letter_loop(self) -> KafkaConfig:
        if self.dead_letter_topic in self.topics:
            raise ValueError(
                f"dead_letter_topic {self.dead_letter_topic!r} is also in topics: a record rejected twice would loop "
                "forever; a worker that indexes dead letters needs its own dead_letter_topic"
            )
        return self


class ElasticsearchConfig(_SecretsFromFiles):
    """Where documents go."""

    hosts: list[str] = Field(
        default=["http://localhost:9200"],
        description="Elasticsearch nodes.",
        examples=[["https://es-1:9200"]],
    )
    username: str | None = Field(default=None, description="Basic-auth user.", examples=["logflow_writer"])
    password: SecretStr | None = Field(default=None, description="Basic-auth password (secret).")
    password_file: Path | None = Field(
        default=None,
        description="File holding the basic-auth password (read at start-up, trailing newline dropped).",
        examples=["/run/secrets/es-password"],
    )
    api_key: SecretStr | None = Field(default=None, description="API key, base64 `id:key` (secret).")
    api_key_file: Path | None = Field(
        default=None, description="File holding the API key.", examples=["/run/secrets/es-api-key"]
    )
    ca_certs: Path | None = Field(default=None, description="CA bundle to verify the cluster's TLS.")
    verify_certs: bool = Field(default=True, description="Verify TLS certificates.")
    plain_media_types: Literal["auto"] | bool = Field(
        default="auto",
        description=(
            "Media types on the wire. `auto` (default): read `GET /` once and send `compatible-with=8` to "
            "Elasticsearch 8.x, `compatible-with=9` to 9.x and plain `application/json` to OpenSearch and osmem; "
            "any other server is refused with an error naming it. `true`: always plain JSON; `false`: always the "
            "installed client's own `compatible-with`. Both overrides skip the server check (for a proxy that "
            "hides `GET /`)."
        ),
        examples=["auto"],
    )
    request_timeout_s: float = Field(default=30.0, gt=0, description="Timeout for one request.")
    bulk_timeout_max_s: float = Field(
        default=300.0,
        gt=0,
        description=(
            "A bulk request that timed out is sent again only once the server no longer runs it (`GET _tasks`, "
            "by its `X-Opaque-Id`) or this long after; each re-send after a timeout waits twice as long, up to "
            "this. Re-sends are safe: every document carries its record's `_id`."
        ),
    )
    bulk_max_docs: int = Field(default=5000, ge=1, description="Most documents in one `_bulk` request.")
    bulk_max_bytes: int = Field(default=10_000_000, ge=10_000, description="Most bytes in one `_bulk` request body.")
    max_item_retries: int = Field(
        default=6,
        ge=0,
        description=(
            "Retries for one document answered 429/5xx inside a bulk response; after that it goes to "
            "the dead-letter topic with the last reason."
        ),
    )
    item_status_policy: list[str] = Field(
        default=["429=retry", "5xx=retry", "4xx=dlq"],
        description=(
            "What to do with a document Elasticsearch answers with an error status inside a bulk response: "
            "`STATUS=retry|dlq|drop`, where STATUS is a code (`413`) or a class (`4xx`, `5xx`); exact codes win "
            "over classes. `retry` retries that document only (at most `max_item_retries` times, then `dlq`); "
            "`dlq` writes it to the dead-letter topic; `drop` counts it done and only bumps "
            "`logflow_records_dropped_total`. 2xx, and 409 on a `create`, are always done."
        ),
        examples=[["429=retry", "5xx=retry", "4xx=dlq", "404=drop"]],
    )
    retry_backoff_s: float = Field(default=0.5, gt=0, description="First retry delay (doubles, capped).")
    retry_backoff_max_s: float = Field(default=30.0, gt=0, description="Longest retry delay.")

    @field_validator("ca_certs")
    @classmethod
    def _ca_exists(cls, value: Path | None) -> Path | None:
        return _existing(value, "file", "a PEM CA bundle")

    @field_validator("item_status_policy")
    @classmethod
    def _valid_policy(cls, value: list[str]) -> list[str]:
        for entry in value:
            status, _, action = entry.partition("=")
            status = status.strip().lower()
            valid_status = (status.isdigit() and len(status) == 3) or status in ("4xx", "5xx")
            if not valid_status or action.strip() not in ("retry", "dlq", "drop"):
                raise ValueError(f"{entry!r} is not STATUS=retry|dlq|drop (STATUS: a code like 413, or 4xx / 5xx)")
            if status.startswith("2"):
                raise ValueError(f"{entry!r}: 2xx answers are always done")
        return value


class DecodeConfig(_Section):
    """How records are opened and joined into events (the decode stage)."""

    max_line_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Longer records are truncated to this many bytes and tagged `truncated`.",
    )

    multiline_start: str | None = Field(
        default=None,
        description=(
            "Regex that starts a new event. When set, a text record that does not match it continues the "
            "previous record from the same topic, partition and key, also across fetch batches (stack trace "
            "lines shipped one per record). Off by default."
        ),
        examples=[r"^\d{4}-\d{2}-\d{2}[T ]"],
    )
    multiline_max_lines: int = Field(
        default=500, ge=2, description="Most records joined into one event; the next one starts a new event."
    )
    multiline_max_wait_ms: int = Field(
        default=1000,
        gt=0,
        description=(
            "How long the last event of a source waits for continuation lines from later fetch batches before "
            "it is indexed as it is. Its records are committed only once it is indexed, so this bounds both the "
            "event's delay and how far the committed offset trails behind a quiet source."
        ),
    )
    cri_join_partial: bool = Field(
        default=True,
        description=(
            "Join Kubernetes CRI partial lines into one event: containerd and CRI-O split a container line longer "
            "than their 16 KiB buffer into `<time> <stream> P <piece>` records up to a last `F` record, and a `P` "
            "record alone is never a whole event. The pieces of one source (topic, partition, key) and stream are "
            "concatenated byte for byte under the first record's time and `_id`, also across fetch batches "
            "(bounded by `multiline_max_lines`, `multiline_max_wait_ms` and `max_line_bytes`). Independent of "
            "`multiline_start`. Off: every piece is indexed as a document of its own."
        ),
    )

    @field_validator("multiline_start")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value == "":
            raise invalid("is empty (every record would start an event)", "leave it unset to join no lines")
        if value is not None:
            _compile_regex(value, as_bytes=True)  # the joiner matches it against the record's bytes
        return value


class ParseConfig(_Section):
    """Which parsers turn lines into documents, and what of the raw line is kept (the parse stage)."""

    parsers_dir: Path | None = Field(
        default=None,
        description="Folder of parser definitions and `patterns/`; default: the parsers shipped with logflow.",
    )
    keep_original: Literal["always", "failures", "never"] = Field(
        default="failures",
        description="When to keep the raw line in `event.original`.",
    )

    @field_validator("parsers_dir")
    @classmethod
    def _parsers_dir_exists(cls, value: Path | None) -> Path | None:
        return _existing(value, "folder", "the folder of parser definitions (*.toml) and patterns/")


class RedactionConfig(_Section):
    """Masking of secrets and personal data in log fields before they are indexed."""

    enabled: bool = Field(default=True, description="Redact before indexing; matching events are tagged `redacted`.")
    kinds: list[Literal["password", "bearer", "card", "email"]] = Field(
        default=["password", "bearer", "card"],
        description=(
            "What to mask in text fields: `password` (values of password/secret/token/api_key in "
            "key=value or key: value, quoted or not; the credentials of `Authorization: <scheme> ...`; the "
            "password in URL credentials), `bearer` (`Bearer <token>`), `card` (13-19 digit card numbers that "
            "pass the Luhn check), `email` (addresses; off by default, since they are often needed to debug)."
        ),
        examples=[["password", "bearer", "card", "email"]],
    )
    fields: list[str] = Field(
        default=["*"],
        description=(
            "Fields whose strings are searched for the kinds above, at any depth: a name covers the field, "
            "the fields under it (`json` covers every `json.*`) and every string in their objects and arrays. "
            "`*` (the default) is every field that can hold input text: all but `@timestamp`, "
            "`event.ingested`, `_index`, `logflow.parser`, `logflow.kafka.*` and `logflow.template.*`, "
            "which logflow writes itself; so a secret in a field nobody thought of is masked too. Naming "
            "fields instead searches less text (faster) and leaves the others as they came. "
            "`event.original` is the raw line. JSON text in these fields (a raw line that is JSON, a JSON "
            "message) is masked by its structure too, secret-named keys included, even with no `kinds`."
        ),
        examples=[["message", "url.original"]],
    )
    secret_fields: list[str] = Field(
        default=list(SECRET_NAMES),
        description=(
            "Field names whose whole value is masked, at any depth (nested objects and arrays under `json.*` "
            "included; an object keeps its shape with every leaf masked). A key matches when its last dotted "
            "part, lowered and without `-`, `_` and spaces, ends with one of these: `password` covers "
            "`labels.password`, `json.db_password` and `DB-Password`."
        ),
    )
    replacement: str = Field(default="[REDACTED]", description="What replaces a masked value.")


class EnrichRule(_Section):
    """Add tags and fields to events whose message matches a pattern."""

    name: str = Field(description="Rule name, for logs and metrics.", examples=["business_metric"])
    pattern: str = Field(
        description=("Grok (or plain regex) searched in `message`; `%{NUMBER:field:float}` captures become fields."),
        examples=["Company extraction completed .*? in %{NUMBER:insights.extraction_time:float}s"],
    )
    contains: str | None = Field(
        default=None,
        description="Literal text that must occur in the message before the pattern is tried (a cheap filter).",
        examples=["Company extraction completed"],
    )
    tags: list[str] = Field(default=[], description="Tags to add when the rule matches.")
    fields: dict[str, str | int | float | bool] = Field(default={}, description="Static fields to set when it matches.")
    datasets: list[str] = Field(default=[], description="Only events of these `event.dataset`s (empty: all).")


class EnrichConfig(_Section):
    """What the enrich stage adds: service defaults, and tags and fields from message patterns."""

    service_name: str | None = Field(
        default=None, description="`service.name` for events that do not name one.", examples=["checkout"]
    )
    environment: str | None = Field(
        default=None,
        description="`service.environment` for events that do not name one.",
        examples=["production"],
    )

    rules: list[EnrichRule] = Field(
        default=[],
        description="Rules applied in order; every matching rule adds its tags and fields. Default: none.",
    )


MaskKind = Literal["url", "email", "quoted", "number", "timestamp", "size", "path", "drive_path", "key_value"]


class MiningConfig(_Section):
    """The template miner every worker and `logflow mine` run (one generic setting; see docs/mining.md)."""

    similarity_threshold: float = Field(
        default=0.6,
        gt=0,
        le=1,
        description=(
            "A message joins the most similar family of its bucket when the family's words repeat at least this "
            "share of the positions where either side holds a word."
        ),
    )
    min_variable_values: int = Field(
        default=4,
        ge=2,
        description=(
            "A word position where similar messages disagree becomes `<*>` once it has shown this many distinct "
            "values (or any masked variable); 2 generalises at the first disagreement, as Drain does."
        ),
    )
    prefix_tokens: int = Field(
        default=0, ge=0, description="Leading tokens that pick a message's bucket, besides its token count."
    )
    max_templates: int = Field(
        default=10_000, ge=1, description="Most templates kept; the least recently used ones are evicted past it."
    )
    max_cache_entries: int = Field(default=100_000, ge=1, description="Most entries of the message-key cache.")
    max_message_chars: int = Field(
        default=2_000, ge=100, description="Only the first this many characters of a message are mined."
    )
    mask_kinds: list[MaskKind] = Field(
        default=["url", "email", "quoted", "number", "timestamp", "size", "path", "drive_path", "key_value"],
        description="Which built-in masks turn variables into `<*>` before grouping.",
    )
    extra_masks: list[str] = Field(
        default=[],
        description="Extra regular expressions whose matches become `<*>` before any built-in mask runs.",
        examples=[[r"order-[0-9a-f]{8}"]],
    )

    @field_validator("extra_masks")
    @classmethod
    def _masks_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            _compile_regex(pattern)
        return value


class RouteRule(_Section):
    """Send matching events (or a copy of them) to another daily index."""

    name: str = Field(description="Rule name, for logs and metrics.", examples=["errors"])
    index: str = Field(
        description="Target index template; `{prefix}`, `{dataset}` and `{date}` (YYYY.MM.dd) are filled in.",
        examples=["{prefix}-errors-{date}"],
    )
    levels: list[str] = Field(default=[], description="Match when `log.level` is one of these.")
    datasets: list[str] = Field(default=[], description="Match when `event.dataset` is one of these.")
    tags: list[str] = Field(default=[], description="Match when the event carries any of these tags.")
    copy_event: bool = Field(
        default=False,
        alias="copy",
        description="Index a copy there and keep the event in its own index, instead of moving it.",
    )

    @field_validator("index")
    @classmethod
    def _index_template(cls, value: str) -> str:
        return check_index_template(value)

    @field_validator("levels")
    @classmethod
    def _levels_log_level_can_hold(cls, value: list[str]) -> list[str]:
        found = [p for p in map(rule_level_problem, value) if p is not None]
        if found:
            raise invalid(
                "; ".join(problem for problem, _ in found),
                "; ".join(fix for _, fix in found)
                + f" (levels are {', '.join(ECS_LEVELS)}, or an application's own in lowercase)",
            )
        return value

    def accepts(self, level: str | None, dataset: str | None, tags: tuple[str, ...]) -> bool:
        """Whether an event of this level, dataset and tags matches (as the router matches it)."""
        return (
            (not self.levels or level in self.levels)
            and (not self.datasets or dataset in self.datasets)
            and (not self.tags or not set(self.tags).isdisjoint(tags))
        )


def shadowing_rules(rule: RouteRule, earlier: list[tuple[int, RouteRule]]) -> list[int] | None:
    """The earlier move rules that, together, take every event ``rule`` would match; None if one reaches it.

    One rule can hide another, and so can several (`tags = ["a"]`, then `["b"]`, hide `["a", "b"]`). Each
    condition is an any-of set over one value (level, dataset) or over the tags, so a finite set of events
    decides: where ``rule`` names values, each of them; where it names none, each value an earlier rule
    names and one that none names (``None``); for tags, each of ``rule``'s alone (more tags only let earlier
    rules match more), or no tag when it names none.
    """

    def values(mine: list[str], named: set[str]) -> list[str | None]:
        return list(mine) if mine else [*sorted(named), None]

    levels = values(rule.levels, {v for _, r in earlier for v in r.levels})
    datasets = values(rule.datasets, {v for _, r in earlier for v in r.datasets})
    tag_sets: list[tuple[str, ...]] = [(tag,) for tag in rule.tags] or [()]
    takers: set[int] = set()
    for level, dataset, tags in itertools.product(levels, datasets, tag_sets):
        taker = next((j for j, other in earlier if other.accepts(level, dataset, tags)), None)
        if taker is None:
            return None
        takers.add(taker)
    return sorted(takers)


INDEX_PLACEHOLDERS = ("prefix", "dataset", "date")
_INDEX_FORBIDDEN = set(' "*\\<|,>/?#:')


def check_index_template(template: str) -> str:
    """A routing rule's index template: only ``{prefix}``, ``{dataset}``, ``{date}``, and a valid index name.

    ``str.format`` would raise on an unknown or positional placeholder at the first routed event; here it
    stops the start instead, with the placeholder named.
    """
    fix_names = "use only {prefix}, {dataset} and {date}"
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise invalid(
            f"{template!r} is not a valid template ({exc})", f"{fix_names}; write a literal brace as {{{{ or }}}}"
        ) from None
    literal = ""
    for text, field, spec, conversion in parts:
        literal += text
        if field is None:
            continue
        if field not in INDEX_PLACEHOLDERS:
            hint = did_you_mean(field, INDEX_PLACEHOLDERS) if field else ""
            name = f"{{{field}}}" if field else "{} (positional)"
            raise invalid(f"{template!r} has the unknown placeholder {name}", f"{hint}{fix_names}")
        if spec or conversion:
            raise invalid(f"{template!r}: {{{field}}} takes no conversion or format spec", f"write it as {{{field}}}")
    bad = sorted(set(literal) & _INDEX_FORBIDDEN)
    if bad or not template or template.strip() != template:
        raise invalid(
            f"{template!r} cannot make an index name" + (f" (it holds {' '.join(bad)})" if bad else ""),
            'index names hold no spaces or * \\ / ? " < > | , # :; like "{prefix}-errors-{date}"',
        )
    if template.startswith(("-", "_", "+", ".")):
        raise invalid(f"{template!r} starts with {template[0]!r}", "index names start with a letter or digit")
    return template


def rule_level_problem(level: str) -> tuple[str, str] | None:
    """(problem, fix) for a level ``log.level`` can never hold after the enrich stage normalized it, else None."""
    normal = normal_level(level)
    if normal == level:
        near = difflib.get_close_matches(level, ECS_LEVELS, n=1, cutoff=0.75) if level not in ECS_LEVELS else []
        if near:  # a custom level is kept as it came, but one this close to a real one is a typo
            return f"{level!r} is not a level", f"did you mean {near[0]!r}?"
        return None  # an ECS level, or an application's own, kept lowercased as it came
    return (
        f"{level!r} never matches (the enrich stage normalizes log.level {level!r} to {normal!r})",
        f"write {normal!r}",
    )


# The `<type>-*-*` patterns of Elasticsearch's built-in index templates (data streams, priority 100).
ELASTIC_DATA_STREAM_TYPES = frozenset({"logs", "metrics", "traces", "synthetics"})


def _default_rules() -> list[RouteRule]:
    return [RouteRule(name="errors", index="{prefix}-errors-{date}", levels=["error", "fatal"])]


class RoutingConfig(_Section):
    """Which daily index a document goes to: the prefix, and rules (first match wins for moves; every
    matching copy rule adds a copy)."""

    index_prefix: str = Field(
        default="logflow",
        description=(
            "Index names are `{prefix}-{event.dataset}-{YYYY.MM.dd}`; one data view `prefix-*`. A prefix whose "
            "names would have the shape of Elastic's built-in data streams (`logs`, `metrics`, `traces`, "
            "`synthetics`, or one starting with them and a dash) is refused: Elasticsearch 8/9 turns such names into "
            "data streams, and our template would claim Elastic Agent's streams (`docs/deploy.md`)."
        ),
        examples=["logflow"],
    )

    rules: list[RouteRule] = Field(
        default_factory=_default_rules,
        description=(
            "Rules applied in order. Default: error and fatal events move to `{prefix}-errors-{date}`. Not used in "
            "`data_stream` mode (an event's data stream is its dataset's)."
        ),
    )

    @model_validator(mode="after")
    def _every_rule_can_match(self) -> RoutingConfig:
        """A move rule after a move rule that takes all its events never matches: an error, not a silent no-op.

        Giving ``rules`` replaces the default errors rule; a rule that cannot match would leave errors
        in the dataset indices without a word.
        """
        problems: list[str] = []
        fixes: list[str] = []
        names: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.name in names:
                problems.append(f"rules[{i}]: a second rule named {rule.name!r}")
                fixes.append("give every rule its own name")
            names.add(rule.name)
            if rule.copy_event:
                continue  # every matching copy rule adds its copy: none hides another
            moves = [(j, earlier) for j, earlier in enumerate(self.rules[:i]) if not earlier.copy_event]
            takers = shadowing_rules(rule, moves)
            if takers is not None:
                named = ", ".join(f"rules[{j}] ({self.rules[j].name})" for j in takers)
                verb = "moves" if len(takers) == 1 else "together move"
                problems.append(
                    f"rules[{i}] ({rule.name}) never matches: {named} {verb} every event it would match, "
                    "and the first move wins"
                )
                earlier_ones = ", ".join(f"rules[{j}]" for j in takers)
                fixes.append(
                    f"narrow {earlier_ones}, put rules[{i}] first, or make rules[{i}] a copy rule (copy = true)"
                )
        if problems:
            raise invalid("; ".join(problems), "; ".join(dict.fromkeys(fixes)))
        return self

    mode: Literal["index", "data_stream"] = Field(
        default="index",
        description=(
            "`index` (default): daily indices of our own, `{prefix}-{dataset}-{date}`, written with `index` and "
            "the record's `_id`. `data_stream`: Elastic's data streams `logs-{dataset}-{namespace}` under the "
            "built-in `logs` template, written with `create`; `setup` puts our mappings in the `logs@custom` "
            "component template. There an `_id` is checked only within the current backing index: a record "
            "redelivered after a rollover is indexed again (`docs/deploy.md`). Elasticsearch 8.x/9.x only."
        ),
        examples=["data_stream"],
    )

    namespace: str = Field(
        default="default",
        description="The `{namespace}` of `logs-{dataset}-{namespace}` in `data_stream` mode (`prod`, `team_a`...).",
        examples=["prod"],
    )

    @field_validator("namespace")
    @classmethod
    def _valid_namespace(cls, value: str) -> str:
        # Elastic's data stream naming scheme: lowercase, no `-`, at most 100 bytes.
        bad = any(c in value for c in ' -"*\\<|,>/?#:')
        if not value or value != value.lower() or len(value.encode()) > 100 or bad:
            raise ValueError('must be lowercase, at most 100 bytes, without - or spaces or * \\ / ? " < > | , # :')
        return value

    @model_validator(mode="after")
    def _rules_of_the_mode(self) -> RoutingConfig:
        if self.mode == "data_stream" and "rules" in self.model_fields_set and self.rules:
            raise ValueError(
                "routing.rules do not apply in data_stream mode (an event goes to logs-{dataset}-{namespace}); "
                'remove them, or use mode = "index"'
            )
        return self

    @field_validator("index_prefix")
    @classmethod
    def _lowercase_prefix(cls, value: str) -> str:
        if not value or value != value.lower() or any(c in value for c in ' "*\\<|,>/?#:'):
            raise ValueError('must be a non-empty lowercase index name part without spaces or * \\ / ? " < > | , # :')
        if value.split("-")[0] in ELASTIC_DATA_STREAM_TYPES:
            raise ValueError(
                f"{value!r} makes index names of the `{value.split('-')[0]}-*-*` shape that Elasticsearch's built-in "
                "data-stream templates and Fleet claim; choose another prefix (the default is 'logflow')"
            )
        return value


class WorkerConfig(_Section):
    """How a worker gives up: on shutdown and on rebalances."""

    shutdown_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description=(
            "On SIGTERM, how long the worker may take to finish and commit the batch in flight before it "
            "exits without committing it (a second SIGTERM exits at once)."
        ),
    )
    revoke_timeout_s: float = Field(
        default=15.0,
        gt=0,
        description=(
            "When partitions are revoked (rebalance) while a batch waits for Elasticsearch, how long to wait for it "
            "before abandoning the rest: what was acknowledged is committed, the rest is re-read by the new owner."
        ),
    )


class AnalyzeConfig(_Section):
    """Defaults of `logflow analyze` (its options override them) and the detectors' thresholds."""

    baseline: str | None = Field(
        default=None,
        description="Baseline length before the window (`7d`); unset: the part of the input before the window.",
        examples=["7d"],
    )
    min_level: Literal["warn", "error"] = Field(default="error", description="Patterns from error or warn events.")
    mode: Literal["auto", "documents", "aggregations"] = Field(
        default="auto", description="Elasticsearch: read documents, aggregations, or choose by size."
    )
    max_documents: int = Field(
        default=200_000, ge=1, description="Above this many documents in the window, use aggregations."
    )
    family_similarity: float = Field(
        default=0.5, gt=0, le=1, description="Cosine similarity (TF-IDF of template words) that joins a family."
    )
    outlier_similarity: float = Field(
        default=0.3, gt=0, le=1, description="A rare template less similar than this to any other is an outlier."
    )
    rare_max: int = Field(default=3, ge=1, description="At most this many events in the whole range: rare.")
    new_min: int = Field(default=3, ge=1, description="A pattern absent from the baseline needs this many events.")
    spike_min_events: int = Field(default=10, ge=1, description="A frequency spike covers at least this many events.")
    spike_ratio: float = Field(default=3.0, gt=1, description="... and at least this multiple of the expected count.")
    error_rate_min_errors: int = Field(default=5, ge=1, description="An error-rate spike covers at least this many.")
    cascade_min_services: int = Field(default=3, ge=2, description="An error cascade touches this many services.")
    min_surprise: float = Field(
        default=3.0, ge=0, description="Findings less surprising than this (-log10 of their probability) are dropped."
    )
    max_findings: int = Field(default=50, ge=1, description="At most this many anomalies in a report.")
    max_events_listed: int = Field(
        default=1000, ge=1, description="At most this many line numbers or ids per finding (the count is always whole)."
    )

    @field_validator("baseline")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None and _DURATION.match(value) is None:
            raise ValueError(f"{value!r} is not a duration: write a positive number and a unit, like 90m, 24h or 7d")
        return value


class KibanaConfig(_SecretsFromFiles):
    """Where `logflow setup --kibana` imports the saved objects (data views, searches, dashboard)."""

    url: str | None = Field(default=None, description="Kibana base URL.", examples=["http://localhost:5601"])
    space: str | None = Field(default=None, description="Kibana space to import into (the default space if unset).")
    username: str | None = Field(
        default=None, description="Basic-auth user (default: `elasticsearch.username`).", examples=["elastic"]
    )
    password: SecretStr | None = Field(default=None, description="Basic-auth password (secret).")
    password_file: Path | None = Field(default=None, description="File holding the basic-auth password.")
    api_key: SecretStr | None = Field(default=None, description="API key, base64 `id:key` (secret).")
    api_key_file: Path | None = Field(default=None, description="File holding the API key.")
    ca_certs: Path | None = Field(default=None, description="CA bundle to verify Kibana's TLS.")
    verify_certs: bool = Field(default=True, description="Verify TLS certificates.")

    @field_validator("ca_certs")
    @classmethod
    def _ca_exists(cls, value: Path | None) -> Path | None:
        return _existing(value, "file", "a PEM CA bundle")


class HealthConfig(_Section):
    """The worker's own HTTP endpoints."""

    host: str = Field(default="127.0.0.1", description="Address for /healthz, /readyz and /metrics.")
    port: int = Field(default=9108, ge=0, le=65535, description="Port for the endpoints (0 turns them off).")


class LogConfig(_Section):
    """The worker's own logs."""

    format: Literal["auto", "json", "ecs", "console"] = Field(
        default="auto",
        description="`auto`: pretty on a terminal, JSON otherwise; `ecs`: JSON with ECS field names "
        "(`@timestamp`, `log.level`, `message`, `log.logger`). Library logs use the same format.",
    )
    level: Literal["debug", "info", "warning", "error"] = Field(default="info", description="Lowest level shown.")


class Settings(_Section):
    """All of logflow's configuration, a section per stage and edge."""

    kafka: KafkaConfig = KafkaConfig()
    decode: DecodeConfig = DecodeConfig()
    parse: ParseConfig = ParseConfig()
    redaction: RedactionConfig = RedactionConfig()
    enrich: EnrichConfig = EnrichConfig()
    mining: MiningConfig = MiningConfig()
    routing: RoutingConfig = RoutingConfig()
    elasticsearch: ElasticsearchConfig = ElasticsearchConfig()
    worker: WorkerConfig = WorkerConfig()
    analyze: AnalyzeConfig = AnalyzeConfig()
    kibana: KibanaConfig = KibanaConfig()
    health: HealthConfig = HealthConfig()
    log: LogConfig = LogConfig()


SECTIONS: dict[str, type[_Section]] = {
    name: info.annotation  # type: ignore[misc]
    for name, info in Settings.model_fields.items()
}

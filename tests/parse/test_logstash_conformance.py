"""Logstash's own pattern tests as logflow's grok conformance test.

The examples of logstash-patterns-core's ``spec/patterns/*_spec.rb`` were extracted as data
(tests/data/logstash/spec/*.json, one file per spec file; tests/data/logstash/README.md says from
where and how). Each one names a pattern, an ECS mode (``legacy`` is Logstash's
``ecs_compatibility => disabled``, ``ecs-v1`` is ``v1``), a message and what the spec expects of
the event. Here the vendored pattern library of that mode is loaded as a user would load theirs
(``PatternLibrary.from_dir`` with Logstash's ``*`` file glob), ``%{NAME}`` is compiled by logflow's
``Grok`` and searched for in the message (Logstash's match is a search), and the captures are put on
an event the way Logstash's grok filter does (spec/spec_helper.rb, ``grok_match``): the event starts
as ``{"message": message}``, a capture into a field that already holds a string makes an array, a
failed match adds the ``_grokparsefailure`` tag, ``[@metadata]`` is not part of the event.

The expectations mirror RSpec's: ``include`` is a subset of fields (dotted names), ``exact`` marks
a nested hash given whole (not ``hash_including``) so nothing else may sit under that prefix,
``keys`` lists the children a prefix must have exactly, ``absent`` is ``.keys.to_not include``,
``contains`` is a substring of a string field, ``"match": false`` is ``not_to pass``.

Every example is asserted; the known differences are listed in KNOWN with their reason and run as
strict xfails, so mending one turns the test red until the list is updated.
(The same run, as a table per spec file and mode: bench/logstash_conformance.py.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from logflow.errors import ParserDefinitionError
from logflow.parse.grok import Grok, GrokTimeout, Origin, PatternLibrary, _compile, _expand
from logflow.parse.grok_rewrite import lazy_dots, oniguruma

DATA = Path(__file__).resolve().parents[1] / "data" / "logstash"
MODES = ("legacy", "ecs-v1")
MESSAGE = "$message"  # in an expected value: the example's own message


@dataclass(frozen=True, slots=True)
class Example:
    """One spec example in one ECS mode."""

    spec: str
    pattern: str
    context: str
    it: str
    mode: str
    message: str
    expect: Mapping[str, Any]

    @property
    def key(self) -> str:
        where = " / ".join(part for part in (self.pattern, self.context, self.it) if part)
        return f"{self.spec}: {where} [{self.mode}]"

    @property
    def expression(self) -> str:
        """The spec's ``grok_match(label, message)`` compiles ``%{label}``; a label may be a whole expression."""
        return self.pattern if "%{" in self.pattern else f"%{{{self.pattern}}}"


def _merge(*parts: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in parts:
        for name, value in (part or {}).items():
            if isinstance(value, dict) and isinstance(out.get(name), dict):
                out[name] = {**out[name], **value}
            elif isinstance(value, list) and isinstance(out.get(name), list) and name != "match":
                out[name] = [*out[name], *value]
            else:
                out[name] = value
    return out


def load_examples(data: Path = DATA) -> list[Example]:
    """Every example of every spec file, expanded to one per mode it has expectations for."""
    out: list[Example] = []
    for path in sorted((data / "spec").glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        for raw in spec["examples"]:
            modes = raw.get("modes", spec["modes"])
            for mode in modes:
                expect = _merge(raw.get("common"), raw.get(mode))
                out.append(
                    Example(spec["spec"], raw["pattern"], raw["context"], raw["it"], mode, raw["message"], expect)
                )
    keys = [example.key for example in out]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicates, f"example names must be unique: {duplicates}"
    return out


@cache
def library(mode: str) -> PatternLibrary:
    """The vendored pattern folder of one mode, loaded like Logstash's ``patterns_dir`` (every file)."""
    return PatternLibrary.from_dir(DATA / "patterns" / mode, glob="*")


@dataclass(slots=True)
class Runner:
    """Compiles each expression once per mode and runs examples against it."""

    groks: dict[tuple[str, str], Grok | str] = field(default_factory=dict)

    def grok(self, mode: str, expression: str) -> Grok | str:
        """The compiled expression, or why it does not compile."""
        key = (mode, expression)
        if key not in self.groks:
            try:
                self.groks[key] = Grok(
                    expression, library(mode), search=True, multiline=True, keep_empty_captures=False
                )
            except ParserDefinitionError as exc:
                self.groks[key] = f"does not compile: {exc}"
        return self.groks[key]

    def event(self, example: Example) -> dict[str, Any] | str:
        """The Logstash event the example's message becomes, or why there is none."""
        grok = self.grok(example.mode, example.expression)
        if isinstance(grok, str):
            return grok
        try:
            fields = grok.match(example.message)
        except GrokTimeout:
            return "timed out"
        return logstash_event(example.message, fields)

    def problems(self, example: Example) -> list[str]:
        """What differs from the spec's expectation; empty when the example passes."""
        event = self.event(example)
        if isinstance(event, str):
            return [event]
        return problems(event, example.expect, example.message)


def logstash_event(message: str, fields: Mapping[str, Any] | None) -> dict[str, Any]:
    """The event ``grok_match`` returns: captures added to ``{"message": ...}`` as Logstash's grok filter adds them.

    A value captured for a field that holds a string already turns the field into an array (the
    filter's default, no ``overwrite``); one captured for a field holding a number is dropped (the
    filter only promotes strings). ``[@metadata]`` fields are kept (a spec may read ``event.get('@metadata')``)
    but are no top-level namespace of the event.
    """
    event: dict[str, Any] = {"message": message, "@version": "1"}
    if fields is None:
        event["tags"] = ["_grokparsefailure"]
        return event
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            existing = event.get(name)
            if existing is None:
                event[name] = one
            elif isinstance(existing, list):
                existing.append(one)
            elif isinstance(existing, str):
                event[name] = [existing, one]
    return event


def _same(have: Any, want: Any) -> bool:
    """Ruby's ``==`` as the specs use it: numbers compare by value, anything else by type and value."""
    numbers = (int, float)
    if isinstance(have, numbers) and isinstance(want, numbers) and not isinstance(have, bool):
        return bool(have == want)
    if isinstance(have, list) and isinstance(want, list):
        return len(have) == len(want) and all(_same(h, w) for h, w in zip(have, want, strict=True))
    return type(have) is type(want) and bool(have == want)


def _under(keys: Iterable[str], prefix: str) -> set[str]:
    return {key for key in keys if key == prefix or key.startswith(prefix + ".")}


def problems(event: Mapping[str, Any], expect: Mapping[str, Any], message: str) -> list[str]:
    """The RSpec assertions of one example, checked against one event."""
    matched = "tags" not in event
    if expect.get("match") is False:
        return [] if not matched else ["matched; the spec expects no match"]
    if not matched and not expect.get("any_match"):
        return ["no match"]
    out: list[str] = []
    include: dict[str, Any] = dict(expect.get("include", {}))
    for name, want in include.items():
        if isinstance(want, list):
            want = [message if item == MESSAGE else item for item in want]
        if name not in event:
            out.append(f"{name} missing (want {want!r})")
        elif not _same(event[name], want):
            out.append(f"{name} = {event[name]!r}, want {want!r}")
    for prefix in expect.get("exact", []):
        extra = sorted(_under(event, prefix) - _under(include, prefix))
        if extra:
            out.append(f"unexpected under {prefix}: " + ", ".join(f"{k}={event[k]!r}" for k in extra))
    for prefix, children in expect.get("keys", {}).items():
        have = {key[len(prefix) + 1 :].split(".")[0] for key in _under(event, prefix) if key != prefix}
        if have != set(children):
            out.append(f"{prefix} has {sorted(have)}, want {sorted(children)}")
    for name in expect.get("absent", []):
        present = sorted(_under(event, name))
        if present:
            out.append(f"{name} present: " + ", ".join(f"{k}={event[k]!r}" for k in present))
    for name, part in expect.get("contains", {}).items():
        value = event.get(name)  # RSpec's include: a substring of a string, an element of an array
        if not isinstance(value, str | list) or part not in value:
            out.append(f"{name} = {value!r} does not contain {part!r}")
    for name, want in expect.get("last", {}).items():
        value = event.get(name)  # `grok[name].last`: only an array has one
        if not (isinstance(value, list) and value and _same(value[-1], want)):
            out.append(f"{name} = {value!r}, want its last element {want!r}")
    for name, end in expect.get("last_not_ends_with", {}).items():
        value = event.get(name)
        value = value[-1] if isinstance(value, list) and value else value
        if not isinstance(value, str) or value.endswith(end):
            out.append(f"{name} = {value!r} ends with {end!r}")
    for name, starts in expect.get("starts_with", {}).items():
        value = event.get(name)
        starts = [message if item == MESSAGE else item for item in starts]
        if not (isinstance(value, list) and len(value) == len(starts)) or not all(
            isinstance(v, str) and v.startswith(s) for v, s in zip(value, starts, strict=True)
        ):
            out.append(f"{name} = {value!r} does not start with {starts!r}")
    allowed = expect.get("namespaces")
    if allowed is not None:
        top = {key.split(".")[0] for key in event} - {"message", "@version", "@timestamp", "@metadata", "tags"}
        if top - set(allowed):
            out.append(f"top-level namespaces {sorted(top - set(allowed))} not in {allowed}")
    for name, text in expect.get("to_s", {}).items():
        value = event.get(name)
        if value is None or str(value) != text:
            out.append(f"{name} = {value!r}, want {text!r} after to_s")
    for name, number in expect.get("to_i", {}).items():
        value = event.get(name)
        if value is None or _ruby_to_i(str(value)) != number:
            out.append(f"{name} = {value!r}, want {number} after to_i")
    return out


def _ruby_to_i(text: str) -> int:
    """Ruby's ``String#to_i``: the leading integer, 0 when there is none."""
    digits = re.match(r"\s*[+-]?\d+", text)
    return int(digits.group()) if digits else 0


EXAMPLES = load_examples()

# Every example logflow does not read as the spec says, with why. Strict: a mended one fails until removed.
# Each is version skew: the pattern file the index held is older or newer than the spec file (see README).
_SKEW1 = (
    "version skew: ecs-v1/aws (2dcc8b9) captures [aws][s3access][total_time] and [tls][cipher]; this spec"
    " expects [event][duration] and [aws][s3access][cipher_suite]"
)
_SKEW2 = (
    "version skew: ecs-v1/aws (2dcc8b9) captures the request id as [aws][cloudfront][x_edge_request_id]; "
    "this spec expects [event][id]"
)
_SKEW3 = (
    "version skew: ecs-v1/bacula (934165b) captures [bacula][volume][max_capacity]; this spec expects "
    "[bacula][volume][bytes]"
)
_SKEW4 = (
    "version skew: legacy/bind is the pre-4.3 patterns/bind (10a5d86): clientport is :int, the spec "
    'expects the string "12345"'
)
_SKEW5 = (
    "version skew: ecs-v1/bind (ce5b630) also captures [bind][log][category]; the spec's bind => {log => "
    "{question => ...}} has no category"
)
_SKEW6 = "version skew: legacy/bind is the pre-4.3 patterns/bind (10a5d86), without the `client @0x...` form"
_SKEW7 = (
    "version skew: ecs-v1/zeek, loaded after ecs-v1/bro (name order, as Logstash's sorted glob), "
    "redefines ZEEK_HTTP with [http][response][mime_type]; this spec expects bro's "
    "[zeek][http][resp_mime_types]"
)
_SKEW8 = (
    "version skew: legacy/bro is the pre-4.3 patterns/bro (de97831): BRO_CONN wants 24 tab-separated "
    "columns (oric_cc, resp_cc, sensorname), the messages have 21"
)
_SKEW9 = (
    "version skew: ecs-v1/bro (269f29d) still captures BRO_FILES under legacy names (fuid, tx_hosts, "
    "...); this spec expects [zeek][files][*] and [file][*]"
)
_SKEW10 = (
    "version skew: ecs-v1/exim (718eedb) captures the remote host as "
    "[client][address]/[client][ip]/[client][port] and the interface as [exim][log][host][*]; this spec "
    "expects [source][*] and [destination][*]"
)
_SKEW11 = (
    "version skew: ecs-v1/exim (718eedb) captures the remote host as "
    "[client][address]/[client][ip]/[client][port] and the interface as [exim][log][host][*]; this spec "
    "expects [source][*] and [destination][*], and [exim][log][sender][original]; and its "
    "EXIM_NAMED_FIELDS stop at `from <...>`, so the trailing `for` recipient is not reached"
)
_SKEW12 = (
    "version skew: legacy/firewalls (3b04a02) SFW2 wants MAC= right after the OUT= interface; the IPv6 "
    "message has `OUT=eth1 MAC=`"
)
_SKEW13 = (
    "version skew: ecs-v1/haproxy (245334c) captures the byte count as [source][bytes]; this spec expects"
    " [haproxy][bytes_read]"
)
_SKEW14 = (
    "version skew: legacy/httpd (0887051) wants a module before the level "
    "(`[%{WORD:module}:%{LOGLEVEL}]`); `[:error]` has none"
)
_SKEW15 = (
    "version skew: legacy/java is the pre-4.3 patterns/java (10800c9), which defines JAVACLASS, JAVAFILE "
    "and JAVASTACKTRACEPART twice; the later ones win (as in Logstash) and take no `_` in a class, no "
    "space or `$` in a file name, and a required line number"
)
_SKEW16 = (
    "version skew: ecs-v1/mongodb (05bc014) has MONGO3_COMPONENT `%{WORD}|-`, so `-` is captured as "
    "[mongodb][component]"
)
_SKEW17 = (
    "version skew: ecs-v1/nagios (0a3f14b) captures the service as [service][name]; this spec expects "
    "[nagios][log][service]"
)
_SKEW18 = (
    "version skew: legacy/nagios is the pre-4.2 patterns/nagios (03a9c25): TIMEPERIOD TRANSITION ends in "
    "a lazy %{DATA:nagios_unknown2}, which matches the empty string and is left out (upstream's #275 fix,"
    " 4.2.0, is not in this version)"
)
_SKEW19 = (
    "version skew: legacy/rails is the pre-4.3 patterns/rails (9779ab8): totalms, viewms and "
    "activerecordms are :float; the spec expects strings"
)
_SKEW20 = "version skew: legacy/redis is the pre-4.3 patterns/redis (22e090e): port is :int; the spec expects strings"
_SKEW21 = (
    "version skew: ecs-v1/squid (1addb50) captures [squid][cache_result_code], "
    "[http][response][body][bytes] and [squid][request][content_type]; this spec expects [event][action],"
    " [http][response][bytes] and [http][response][mime_type]"
)
_SKEW22 = "version skew: ecs-v1/squid (1addb50) has `(%{NOTSPACE:[user][name]}|-)`, which takes `-` as a user name"
_SKEW23 = "version skew: ecs-v1/squid (1addb50) reads the status with POSINT, which does not match `000`"
_SKEW24 = (
    "version skew: legacy/linux-syslog is the pre-4.3 patterns/linux-syslog (36b64c5): syslog5424_pri and"
    " syslog5424_ver are :int; the spec expects strings"
)
_SKEW25 = (
    "version skew: ecs-v1/linux-syslog (03adf12) captures the MSGID as [event][code]; this spec expects "
    "[system][syslog][msgid]"
)
KNOWN: dict[str, str] = {
    "aws_spec.rb: S3_ACCESS_LOG / a long line / matches [ecs-v1]": _SKEW1,
    "aws_spec.rb: CLOUDFRONT_ACCESS_LOG / matches [ecs-v1]": _SKEW2,
    "aws_spec.rb: CLOUDFRONT_ACCESS_LOG / version 1.0 / matches [ecs-v1]": _SKEW2,
    "bacula_spec.rb: BACULA_LOG_MAX_CAPACITY / matches [ecs-v1]": _SKEW3,
    "bind_spec.rb: BIND9 / matches [legacy]": _SKEW4,
    "bind_spec.rb: BIND9 / matches [ecs-v1]": _SKEW5,
    "bind_spec.rb: BIND9 / with client memory address (Bind 9.11) / matches [legacy]": _SKEW6,
    "bind_spec.rb: BIND9 / with client memory address (Bind 9.11) / matches [ecs-v1]": _SKEW5,
    "bro_spec.rb: ZEEK_HTTP / sample message / matches [ecs-v1]": _SKEW7,
    "bro_spec.rb: BRO_CONN / matches [legacy]": _SKEW8,
    "bro_spec.rb: BRO_CONN / updated log format / matches [legacy]": _SKEW8,
    "bro_spec.rb: BRO_FILES / matches [ecs-v1]": _SKEW9,
    "bro_spec.rb: BRO_FILES / new (zeek) message format / matches (correctly) in ECS mode [ecs-v1]": _SKEW9,
    "exim_spec.rb: EXIM / message arrival (old) / matches [ecs-v1]": _SKEW10,
    "exim_spec.rb: EXIM / message arrival (new) / matches [ecs-v1]": _SKEW10,
    "exim_spec.rb: EXIM / message arrival with quoted hostname / matches [ecs-v1]": _SKEW10,
    "exim_spec.rb: EXIM / message arrival with quoted hostname and port / matches [ecs-v1]": _SKEW11,
    "firewalls_spec.rb: SFW2 / IPv6 message / matches [legacy]": _SKEW12,
    "haproxy_spec.rb: HAPROXYHTTP / log line from raw syslog line / matches [ecs-v1]": _SKEW13,
    "haproxy_spec.rb: HAPROXYHTTP / BADREQ/NOSRV log line / matches [ecs-v1]": _SKEW13,
    "haproxy_spec.rb: HAPROXYHTTPBASE / log line without syslog specific entries / matches [ecs-v1]": _SKEW13,
    "httpd_spec.rb: HTTPD_ERRORLOG / a httpd 2.4 message witout module / matches [legacy]": _SKEW14,
    "java_spec.rb: ^%{JAVACLASS}$ / matches a java class with underscores [legacy]": _SKEW15,
    "java_spec.rb: ^%{JAVAFILE}$ / matches a java file name with spaces [legacy]": _SKEW15,
    "java_spec.rb: JAVASTACKTRACEPART / generated file / matches [legacy]": _SKEW15,
    "mongodb_spec.rb: MONGO3_LOG / parsing a message with a missing component / matches [ecs-v1]": _SKEW16,
    "nagios_spec.rb: NAGIOSLOGLINE - CURRENT SERVICE STATE / generates the nagios_service field [ecs-v1]": _SKEW17,
    "nagios_spec.rb: NAGIOSLOGLINE - CURRENT SERVICE STATE / real-world example / matches [ecs-v1]": _SKEW17,
    "nagios_spec.rb: NAGIOSLOGLINE - TIMEPERIOD TRANSITION / generates the nagios_service field [ecs-v1]": _SKEW17,
    "nagios_spec.rb: NAGIOSLOGLINE - TIMEPERIOD TRANSITION / generates the period from/to fields [legacy]": _SKEW18,
    "nagios_spec.rb: NAGIOSLOGLINE - SERVICE ALERT / generates the nagios_service field [ecs-v1]": _SKEW17,
    "nagios_spec.rb: NAGIOSLOGLINE - SERVICE NOTIFICATION / generates the nagios_service field [ecs-v1]": _SKEW17,
    "rails3_spec.rb: RAILS3 / multi-line log / in (durations) [legacy]": _SKEW19,
    "redis_spec.rb: REDISMONLOG / simple command / generates the port field [legacy]": _SKEW20,
    "redis_spec.rb: REDISMONLOG / one param command / generates the port field [legacy]": _SKEW20,
    "redis_spec.rb: REDISMONLOG / two param command / generates the port field [legacy]": _SKEW20,
    "redis_spec.rb: REDISMONLOG / variadic command / generates the port field [legacy]": _SKEW20,
    "squid_spec.rb: SQUID3 / CONNECT sample / matches [ecs-v1]": _SKEW21,
    "squid_spec.rb: SQUID3 / CONNECT sample / does not include missing ('-') user-name [ecs-v1]": _SKEW22,
    "squid_spec.rb: SQUID3 / GET sample / matches [ecs-v1]": _SKEW21,
    "squid_spec.rb: SQUID3 / GET with invalid status / matches [ecs-v1]": _SKEW23,
    "syslog_spec.rb: SYSLOG5424LINE / matches (ipv4 host) [legacy]": _SKEW24,
    "syslog_spec.rb: SYSLOG5424LINE / matches milli-second precision timestamp (Z) and msgid [ecs-v1]": _SKEW25,
}


def _params() -> Iterator[Any]:
    for example in EXAMPLES:
        marks = [pytest.mark.xfail(reason=KNOWN[example.key], strict=True)] if example.key in KNOWN else []
        yield pytest.param(example, id=example.key, marks=marks)


@pytest.fixture(scope="module")
def runner() -> Runner:
    return Runner()


@pytest.mark.parametrize("example", list(_params()))
def test_the_spec_example_reads_as_in_logstash(runner: Runner, example: Example) -> None:
    assert runner.problems(example) == []


def test_every_known_failure_names_an_example() -> None:
    """A stale entry (renamed example) would otherwise hide silently."""
    assert sorted(set(KNOWN) - {example.key for example in EXAMPLES}) == []


def test_both_pattern_libraries_load_completely() -> None:
    """Every vendored file is read as Logstash reads it; the libraries hold their core patterns."""
    for mode in MODES:
        assert {"SYSLOGLINE", "HTTPD_COMBINEDLOG", "CISCOFW106001", "TIMESTAMP_ISO8601"} <= set(library(mode).names())


@pytest.mark.parametrize("mode", MODES)
def test_every_pattern_compiles_where_oniguruma_compiles_it(mode: str) -> None:
    """All 290 legacy and 346 of the 347 ecs-v1 patterns compile. ecs-v1's EXIM_FLAGS, `(<=|=>|->|*>|**|...)`,
    is rejected by Ruby too ("target of repeat operator is not specified"); nothing upstream refers to it."""
    lib = library(mode)
    failing = []
    for name in lib.names():  # Grok's compile steps, without its per-expression backtracking probe (seconds here)
        try:
            expression = lazy_dots(oniguruma(_expand(f"%{{{name}}}", lib, [], Origin("spec"), ())), dotall=True)
            _compile(expression, Origin("spec"), "auto", re.DOTALL | re.MULTILINE)
        except ParserDefinitionError:
            failing.append(name)
    assert failing == (["EXIM_FLAGS"] if mode == "ecs-v1" else [])

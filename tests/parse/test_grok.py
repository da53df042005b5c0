"""The grok compiler: Logstash syntax in, one compiled expression and flat ECS fields out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logflow.errors import ParserDefinitionError
from logflow.parse.grok import Grok, Origin, PatternLibrary, _empty_groups, _optional_groups, field_path
from logflow.parse.parsers import ParserSet, default_parsers_dir

# Generated inputs, reproducible and without a database in the work tree.
PROPERTY = settings(max_examples=150, deadline=None, database=None, derandomize=True)
WORDS = st.text(alphabet="abcXYZ019_", min_size=1, max_size=8)


@pytest.fixture(scope="module")
def library() -> PatternLibrary:
    return PatternLibrary.from_dir(default_parsers_dir() / "patterns")


def _in_order(fields: dict[str, Any] | None) -> list[tuple[str, Any]] | None:
    """Fields with their order: documents serialize in it, so both matchers must agree on it too."""
    return None if fields is None else list(fields.items())


class TestFieldPath:
    def test_bracket_names_become_dotted_names(self) -> None:
        """Logstash's [http][request][method] is the same field as http.request.method."""
        assert field_path("[http][request][method]") == "http.request.method"
        assert field_path("http.request.method") == "http.request.method"


class TestGrok:
    def test_semantic_names_capture_into_dotted_fields(self, library: PatternLibrary) -> None:
        """%{SYNTAX:field} captures, %{SYNTAX} alone does not."""
        grok = Grok("%{WORD:a.b} %{WORD} %{INT:c}", library)
        assert grok.match("hello big 42") == {"a.b": "hello", "c": "42"}

    def test_types_convert_to_int_and_float(self, library: PatternLibrary) -> None:
        """:int and :float convert; a value that does not convert is left out rather than kept as text."""
        grok = Grok("%{NUMBER:n:int} %{NUMBER:f:float} %{NOTSPACE:bad:int}", library)
        assert grok.match("7 2.5 x") == {"n": 7, "f": 2.5}

    def test_a_capture_in_a_part_that_did_not_take_part_leaves_its_field_absent(self, library: PatternLibrary) -> None:
        grok = Grok("%{WORD:verb}(?: %{INT:count:int})?", library)
        assert grok.match("start 3") == {"verb": "start", "count": 3}
        assert grok.match("start") == {"verb": "start"}

    def test_a_field_captured_in_two_alternatives_takes_the_one_that_matched(self, library: PatternLibrary) -> None:
        grok = Grok("(?:%{INT:id:int}|%{WORD:id}) %{WORD:tail}", library)
        assert grok.match("42 x") == {"id": 42, "tail": "x"}
        assert grok.match("abc x") == {"id": "abc", "tail": "x"}

    def test_inline_named_groups_and_bracket_fields_work(self, library: PatternLibrary) -> None:
        """(?<field>...) captures too, with bracket or dotted names."""
        grok = Grok(r"(?<[user][name]>\w+)=(?<value>\d+)", library)
        assert grok.match("bob=3") == {"user.name": "bob", "value": "3"}

    def test_lookbehinds_are_not_mistaken_for_named_groups(self, library: PatternLibrary) -> None:
        """(?<=...) and (?<!...) stay look-behinds."""
        grok = Grok(r"(?<!x)%{INT:n}", library)
        assert grok.match("12") == {"n": "12"}

    def test_nested_references_capture_at_every_level(self, library: PatternLibrary) -> None:
        """Library patterns with semantic names inside (HTTPD_COMBINEDLOG) capture their fields."""
        grok = Grok("%{HTTPD_COMBINEDLOG}", library)
        fields = grok.match('1.2.3.4 - - [23/Nov/2026:01:02:03 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8"')
        assert fields is not None
        assert fields["source.ip"] == "1.2.3.4"
        assert fields["http.response.status_code"] == 200
        assert fields["user_agent.original"] == "curl/8"

    def test_an_unknown_pattern_is_a_start_up_error_naming_the_file_and_line(self, library: PatternLibrary) -> None:
        """A typo in a pattern name fails at compile time with where it was written."""
        with pytest.raises(ParserDefinitionError, match=r"parsers/x\.toml:7.*unknown pattern %\{NOPE\}"):
            Grok("%{NOPE:x}", library, origin=Origin("parsers/x.toml", 7))

    def test_a_self_referencing_pattern_is_reported_as_a_cycle(self) -> None:
        """A -> B -> A would recurse forever; it is an error instead."""
        lib = PatternLibrary()
        lib.add("A", "%{B}", Origin("p", 1))
        lib.add("B", "%{A}", Origin("p", 2))
        with pytest.raises(ParserDefinitionError, match="refers to itself"):
            Grok("%{A}", lib)

    def test_a_pattern_that_does_not_compile_is_reported(self, library: PatternLibrary) -> None:
        """Broken regex syntax is a start-up error, not a runtime surprise."""
        with pytest.raises(ParserDefinitionError, match="does not compile"):
            Grok("(unclosed", library)

    def test_stdlib_re_is_used_when_it_can_compile_the_expression(self, library: PatternLibrary) -> None:
        """The faster engine is chosen; `regex` is only the fallback."""
        assert Grok("%{TIMESTAMP_ISO8601:t}", library).engine == "re"
        assert Grok(r"\p{L}+", library).engine == "regex"

    @pytest.mark.parametrize(
        "expression",
        [
            "%{TIMESTAMP_ISO8601:timestamp} %{LOGLEVEL:level} %{DATA:logger}: %{GREEDYDATA:message}",
            "%{WORD:verb}(?: %{INT:count:int})?(?: %{NUMBER:ratio:float})?",
            "%{NGINX_ACCESS}",
            r"(start|stop) %{WORD:verb}(?: (\d+))?",  # unnamed groups: values picked by group name
            r"(start|stop) (?:%{INT:count:int})?",
            "%{WORD:it's \\ odd\"} %{INT:count:int}",  # quotes, a backslash after the name: ignored
        ],
    )
    def test_the_specialized_matcher_gives_what_the_general_one_gives(
        self, library: PatternLibrary, expression: str
    ) -> None:
        """The per-expression closure is only a faster path: same fields, same types, same absences."""
        grok = Grok(expression, library)
        assert grok.match != grok._match_general  # the closure is the one in use
        lines = [
            "2026-11-23T10:00:00Z INFO app.orders: order 17 placed",
            "2026-11-23 10:00:00,123 WARN x.y: retry: 3 of 5",
            "start",
            "start 3",
            "start 3 0.5",
            "start x",
            "start 99999999999999999999 1e3",
            "stop go 7",
            "stop ",
            '1.2.3.4 - bob [23/Nov/2026:01:02:03 +0000] "GET /a?b=1 HTTP/1.1" 200 512 "-" "curl/8" 0.012',
            '1.2.3.4 - - [23/Nov/2026:01:02:03 +0000] "GET / HTTP/1.1" 404 - "-" "curl/8"',
            "start " + "9" * 2000,  # past LONG_LINE: the guarded engine
            "2026-11-23T10:00:00Z INFO app: " + "x" * 3000,
            "",
            "\x00\xff",
            "nothing like it",
        ]
        for line in lines:
            assert _in_order(grok.match(line)) == _in_order(grok._match_general(line)), line

    def test_every_shipped_expression_gives_the_same_fields_through_either_matcher(self) -> None:
        """Over the parser library's own samples, tried against every expression of every parser."""
        parsers = ParserSet.load().parsers
        lines = [sample.line.partition("\n")[0] for parser in parsers for sample in parser.samples]
        compared = 0
        for parser in parsers:
            for grok in parser.groks:
                for line in lines:
                    assert _in_order(grok.match(line)) == _in_order(grok._match_general(line)), (parser.name, line)
                    compared += grok.match(line) is not None
        assert compared >= len(lines)  # every sample matched somewhere: the fields were compared, not just None

    def test_groups_in_alternatives_repeats_and_optional_parts_are_known_to_be_optional(self) -> None:
        expression = r"(?P<a>x)(?:(?P<b>y)|z)(?P<c>w)?(?P<d>q)+(?P<e>(?P<f>r)*)(?=(?P<g>s))"
        assert _optional_groups(expression, 7) == {2, 3, 6, 7}

    def test_a_walk_that_misses_a_group_treats_every_group_as_optional(self) -> None:
        """Were `re`'s tree to hold groups where the walk does not look, none is taken to be always there."""
        assert _optional_groups(r"(?P<a>x)(?P<b>y)", 3) is None

    def test_prefix_length_tells_how_far_a_line_matched(self, library: PatternLibrary) -> None:
        """--explain reports how many characters matched before the pattern gave up."""
        grok = Grok("%{INT:a} %{WORD:b} %{INT:c}", library)
        assert grok.prefix_length("12 abc xyz") >= 6


class TestPatternLibrary:
    def test_the_shipped_library_compiles_completely(self, library: PatternLibrary) -> None:
        """Every shipped pattern expands and compiles."""
        library.validate()
        for name in (
            "WORD",
            "NUMBER",
            "INT",
            "IP",
            "IPV4",
            "IPV6",
            "HOSTNAME",
            "HOSTPORT",
            "URIPATH",
            "URIPARAM",
            "QS",
            "UUID",
            "LOGLEVEL",
            "TIMESTAMP_ISO8601",
            "HTTPDATE",
            "SYSLOGTIMESTAMP",
            "DATA",
            "GREEDYDATA",
        ):
            assert name in library

    def test_a_malformed_line_names_its_file_and_line(self, tmp_path: Path) -> None:
        """A pattern file line without a name and a regex is rejected with its position."""
        path = tmp_path / "bad.grok"
        path.write_text("# comment\nGOOD \\w+\nbad-line-without-space\n")
        with pytest.raises(ParserDefinitionError, match=r"bad\.grok:3"):
            PatternLibrary().load_file(path)

    @pytest.mark.parametrize(
        ("pattern", "text"),
        [
            ("%{IPV4}", "192.168.0.1"),
            ("%{IPV6}", "2001:db8::1"),
            ("%{UUID}", "123e4567-e89b-12d3-a456-426614174000"),
            ("%{HTTPDATE}", "23/Nov/2026:01:02:03 +0000"),
            ("%{SYSLOGTIMESTAMP}", "Nov  3 01:02:03"),
            ("%{TIMESTAMP_ISO8601}", "2026-11-23T01:02:03.456Z"),
            ("%{HOSTPORT}", "db-1.example.com:5432"),
        ],
    )
    def test_core_patterns_match_their_canonical_examples(
        self, library: PatternLibrary, pattern: str, text: str
    ) -> None:
        """Each core pattern matches a whole canonical value."""
        grok = Grok(f"(?<v>{pattern})$", library)
        assert grok.match(text) == {"v": text}


class TestLogstashSemantics:
    """What Logstash's grok does and logflow's must do alike, each on generated inputs."""

    @PROPERTY
    @given(WORDS, st.text(alphabet=" ?!#,;'\"\\=x", max_size=6).filter(lambda t: not t or t[0] not in "=x"))
    def test_what_follows_the_field_name_in_a_reference_is_ignored(self, word: str, junk: str) -> None:
        """jls-grok ignores anything between the field name and the `}`: upstream's HTTPD24_ERRORLOG writes
        `%{POSINT:[apache][error][proxy][error][code]?}`, its nagios spec `%{NAGIOSLOGLINE - CURRENT HOST STATE}`."""
        lib = PatternLibrary()
        lib.add("W", "[a-zA-Z0-9_]+", Origin("p"))
        assert Grok(f"%{{W:[a][b]{junk}}}", lib).match(word) == {"a.b": word}
        assert Grok(f"%{{W{junk}}}", lib).match(word) == {}

    def test_a_reference_may_define_its_pattern_inline(self) -> None:
        """`%{NAME:field=regex}` defines the pattern where it is used."""
        assert Grok(r"%{NUM:n:int=\d{2}}x", PatternLibrary()).match("42x") == {"n": 42}

    @PROPERTY
    @given(st.lists(st.text(alphabet="ab: ", max_size=4), min_size=1, max_size=4), st.booleans())
    def test_empty_captures_are_left_out_unless_kept(self, parts: list[str], keep: bool) -> None:
        """Logstash drops a field whose capture matched nothing (keep_empty_captures => false), in both matchers."""
        lib = PatternLibrary()
        lib.add("PART", "[ab ]*", Origin("p"))
        expression = ":".join(f"%{{PART:f{i}}}" for i in range(len(parts)))
        grok = Grok(expression, lib, keep_empty_captures=keep)
        text = ":".join(part.replace(":", "") for part in parts)
        want = {f"f{i}": part.replace(":", "") for i, part in enumerate(parts)}
        want = want if keep else {name: value for name, value in want.items() if value}
        assert grok.match(text) == want
        assert grok._match_general(text) == want

    @PROPERTY
    @given(st.lists(WORDS, min_size=1, max_size=5))
    def test_a_field_captured_twice_becomes_an_array_as_in_logstash(self, words: list[str]) -> None:
        """Every capture that took part adds to the field: one value, then Logstash's array of them in order."""
        lib = PatternLibrary()
        lib.add("W", "[a-zA-Z0-9_]+", Origin("p"))
        grok = Grok(" ".join("%{W:w}" for _ in words), lib)
        assert grok.match(" ".join(words)) == {"w": words[0] if len(words) == 1 else words}

    def test_a_value_after_a_typed_one_is_dropped_as_in_logstash(self) -> None:
        """The grok filter only turns a string into an array; a number already in the field stays alone."""
        lib = PatternLibrary()
        lib.add("N", "[0-9]+", Origin("p"))
        assert Grok("%{N:n:int} %{N:n} %{N:n}", lib).match("1 2 3") == {"n": 1}
        assert Grok("%{N:n} %{N:n:int} %{N:n}", lib).match("1 2 3") == {"n": ["1", 2, "3"]}

    @PROPERTY
    @given(
        st.integers(-(10**12), 10**12),
        st.text(alphabet="\t -x.:abc", max_size=6).filter(lambda t: t[:1] not in "0123456789"),
    )
    def test_a_value_that_starts_with_a_number_converts_as_rubys_to_i(self, number: int, rest: str) -> None:
        """:int reads the leading integer (Ruby's String#to_i): `12abc` is 12; a value without one is left out."""
        lib = PatternLibrary()
        lib.add("ANY", "[^|]+", Origin("p"))
        grok = Grok("%{ANY:n:int}\\|", lib)
        assert grok.match(f"{number}{rest}|") == {"n": number}
        assert grok.match(f"x{number}|") == {}

    @PROPERTY
    @given(
        st.floats(-1e9, 1e9, allow_nan=False).map(lambda f: round(f, 6)),
        st.sampled_from(["", "\t-\tTLSv1.2", "ms", " x"]),
    )
    def test_a_value_that_starts_with_a_number_converts_as_rubys_to_f(self, number: float, rest: str) -> None:
        """:float reads the leading number (Ruby's String#to_f): CloudFront's `0.001\t-\t...` is 0.001."""
        lib = PatternLibrary()
        lib.add("ANY", "[^|]+", Origin("p"))
        assert Grok("%{ANY:f:float}\\|", lib).match(f"{number!r}{rest}|") == {"f": number}

    @PROPERTY
    @given(st.lists(WORDS, min_size=1, max_size=4))
    def test_multiline_lets_dot_cross_newlines_and_anchors_match_at_line_breaks(self, lines: list[str]) -> None:
        """Logstash compiles grok with Ruby's MULTILINE (`.` matches a newline) and Ruby's `^`/`$` are line anchors."""
        lib = PatternLibrary()
        lib.add("GREEDYDATA", ".*", Origin("p"))
        lib.add("DATA", ".*?", Origin("p"))
        text = "\n".join(lines)
        assert Grok("%{GREEDYDATA:all}", lib, multiline=True).match(text) == {"all": text}
        assert Grok("%{GREEDYDATA:all}", lib).match(text) == {"all": lines[0]}
        assert Grok("%{DATA:head}\n", lib, multiline=True).match(text + "\n") == {"head": lines[0]}
        last = Grok(r"^(?<last>\w+)$\Z", lib, search=True, multiline=True)
        assert last.match(text) == {"last": lines[-1]}

    def test_a_pattern_directory_loads_as_a_logstash_patterns_dir(self, tmp_path: Path) -> None:
        """Logstash's pattern files have no extension and its patterns_dir loads every file: glob="*"."""
        (tmp_path / "grok-patterns").write_text("WORD \\b\\w+\\b\n")
        (tmp_path / "extra.grok").write_text("INT [0-9]+\n")
        (tmp_path / "sub").mkdir()
        assert PatternLibrary.from_dir(tmp_path).names() == ["INT"]
        assert PatternLibrary.from_dir(tmp_path, glob="*").names() == ["INT", "WORD"]

    def test_oniguruma_syntax_in_a_library_means_what_it_means_in_logstash(self) -> None:
        """Upstream's UNIXPATH (a POSIX class in a class), RAILS3HEAD (a `(?m)` mid-expression) and the legacy
        SHOREWALL (`.?*`, a nested repeat) compile and match as in Logstash."""
        lib = PatternLibrary()
        lib.add("UNIXPATH", "(/[[[:alnum:]]_%!$@:.,+~-]*)+", Origin("p"))
        lib.add("HEAD", "(?m)Started .*", Origin("p"))
        assert Grok("%{UNIXPATH:p}", lib).match("/var/lib/bac-1/x.sql: ERR") == {"p": "/var/lib/bac-1/x.sql:"}
        assert Grok("x%{HEAD:h}", lib).match("xStarted a\nb") == {"h": "Started a\nb"}
        assert Grok("a.?*b", lib).match("axxb") == {}

    def test_groups_that_can_match_nothing_are_known(self) -> None:
        """The generated matcher tests only these for emptiness: read from `re`'s own parse tree."""
        assert _empty_groups(r"(?P<a>x)(?P<b>y*)(?P<c>(?:z|))(?P<d>w+)?(?P<e>(?=q))", 5) == {2, 3, 5}
        assert _empty_groups(r"(?P<a>x)", 2) is None
        found = re.compile(r"(?P<c>(?:z|))").match("")
        assert found is not None and found.group("c") == ""


# Numbers a typed capture may hold as text but no document can: longs past 64 bits, floats that are not
# finite (or overflow to infinity), fractions given to :int.
_HUGE_INTS = st.one_of(st.integers(min_value=2**63), st.integers(max_value=-(2**63) - 1)).map(str)
_FRACTIONS = st.tuples(st.integers(-(10**9), 10**9), st.integers(1, 10**6)).map(
    lambda p: f"{p[0]}.{str(p[1]).rjust(7, '0').rstrip('0')}"
)
_NOT_FINITE = st.one_of(
    st.sampled_from(["nan", "NaN", "inf", "-inf", "Infinity", "-Infinity", "+inf"]),
    st.integers(309, 5000).map(lambda e: f"1e{e}"),
    st.integers(309, 400).map(lambda e: "9" * e),
)


class TestUnrepresentableCaptures:
    """A typed capture the index cannot hold keeps the event: the field left out, its text kept, the event tagged."""

    @staticmethod
    def _groks(kind: str) -> list[Grok]:
        lib = PatternLibrary()
        lib.add("ANY", "[^|]+", Origin("p"))
        lib.add("W", "[a-z]+", Origin("p"))
        return [
            Grok(f"%{{W:verb}}\\|%{{ANY:n:{kind}}}\\|", lib),  # the generated matcher
            Grok(f"%{{W:verb}}\\|%{{ANY:n:{kind}}}\\|%{{W:verb}}", lib),  # a repeated field: the general one
        ]

    @staticmethod
    def _check(fields: dict[str, Any] | None, text: str) -> None:
        import orjson

        assert fields is not None
        assert "n" not in fields
        assert fields["logflow.grok_unconverted.n"] == text
        assert "_grok_type_failure" in fields["tags"]
        orjson.dumps(fields)  # and the document serializes: nothing for the serializer to refuse

    @PROPERTY
    @given(st.one_of(_HUGE_INTS, _FRACTIONS))
    def test_an_int_capture_past_64_bits_or_with_a_fraction_is_kept_as_text_and_tagged(self, text: str) -> None:
        for grok in self._groks("int"):
            self._check(grok.match(f"get|{text}|get"), text)

    @PROPERTY
    @given(_NOT_FINITE)
    def test_a_float_capture_that_is_not_finite_is_kept_as_text_and_tagged(self, text: str) -> None:
        for grok in self._groks("float"):
            self._check(grok.match(f"get|{text}|get"), text)

    @PROPERTY
    @given(st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False, allow_infinity=False))
    def test_numbers_the_index_can_hold_still_convert_untagged(self, number: int, real: float) -> None:
        for grok in self._groks("int"):
            fields = grok.match(f"get|{number}|get")
            assert fields is not None and fields["n"] == number and "tags" not in fields
        for grok in self._groks("float"):
            fields = grok.match(f"get|{real!r}|get")
            assert fields is not None and fields.get("n") == real and "tags" not in fields

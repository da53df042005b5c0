"""`parse --explain`: where each pattern stopped, never "unmatched with every character matched", no markup."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from typer.testing import CliRunner

from logflow.cli import app
from logflow.parse.explain import explain, table
from logflow.parse.grok import Grok, PatternLibrary
from logflow.parse.parsers import ParserSet, default_parsers_dir

PARSERS = ParserSet.load()
LIBRARY = PatternLibrary.from_dir(default_parsers_dir() / "patterns")
SAMPLE_HEADS = sorted({s.line.partition("\n")[0] for p in PARSERS for s in p.samples if not s.line.startswith("{")})
PRINTABLE = st.characters(min_codepoint=32, exclude_categories=["Cc", "Cs", "Zl", "Zp"])  # a terminal shows these
MARKUP = st.sampled_from(["[bold]", "[/]", "[/bold]", "[red]x[/red]", "[link=http://x]", "[", "]", "\\[", ":smile:"])


@st.composite
def near_lines(draw: st.DrawFn) -> str:
    """A sample line of some parser, cut and given another tail: lines that get part of the way."""
    head = draw(st.sampled_from(SAMPLE_HEADS))
    cut = draw(st.integers(0, len(head)))
    tail = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12))
    return head[:cut] + tail


class TestWhereItStopped:
    @settings(max_examples=25, deadline=None)
    @given(near_lines())
    def test_a_pattern_that_does_not_match_never_claims_every_character(self, line: str) -> None:
        for entry in explain(PARSERS, line):
            grok = PARSERS.by_name[entry["parser"]].groks[entry["pattern"]]
            assert entry["matched"] == (grok.match(line) is not None)
            if not entry["matched"] and not entry.get("timed_out"):
                assert 0 <= entry["stopped_at"] <= len(line) == entry["of"]
                assert entry["matched_chars"] < len(line) or not line, entry
                assert entry["reason"]

    def test_a_piece_that_takes_the_rest_of_the_line_is_named_as_such(self) -> None:
        grok = Grok("%{WORD:a} %{DATA:b}: %{GREEDYDATA:c}", LIBRARY)
        stop = grok.stop("hello there no colon")
        assert (stop.end, stop.taken_from, stop.wanted) == (20, 6, ":")

    def test_the_stop_is_a_small_piece_inside_a_pattern_not_the_whole_reference(self) -> None:
        """`%{NGINX_ACCESS}`-like references are one group: the answer goes inside it."""
        library = LIBRARY.copy()
        grok = Grok("(?:%{IP:source.ip} - - \\[%{HTTPDATE:t}\\] %{INT:status})", library)
        line = "10.1.2.3 - - [23/Nov/2026:10:00:00 +0000] abc"
        stop = grok.stop(line)
        assert stop.end == line.index("abc")
        assert stop.wanted is not None and "0-9" in stop.wanted  # a piece of %{INT}, not the whole group

    @given(st.integers(1, 20), st.integers(0, 5))
    def test_the_stop_is_where_the_line_first_differs(self, digits: int, spaces: int) -> None:
        grok = Grok("%{INT:a} %{WORD:b} %{INT:c}", LIBRARY)
        line = "7" * digits + " " + "word" + " " + "x" * (spaces + 1)
        stop = grok.stop(line)
        assert stop.end == digits + 6
        assert stop.wanted is not None


class TestTheTable:
    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.one_of(MARKUP, st.text(PRINTABLE, max_size=8)), min_size=1, max_size=8).map(" ".join))
    def test_log_text_is_shown_as_it_is_never_as_markup(self, line: str) -> None:
        line = line.replace("\n", " ").replace("\r", " ")
        doc = {"message": line, "logflow.parser": "none"}
        buffer = io.StringIO()
        Console(file=buffer, width=400, markup=False, highlight=False, color_system=None).print(
            table(line, doc, explain(PARSERS, line), "stdin:1")
        )
        shown = buffer.getvalue()
        assert line.strip()[:100].split(" ")[0] in shown

    def test_the_table_names_the_parser_and_the_patterns_that_got_furthest(self) -> None:
        line = '10.1.2.3 - - [23/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5.0"'
        buffer = io.StringIO()
        doc = {"logflow.parser": "nginx.access", "message": "GET / 200"}
        Console(file=buffer, width=200, markup=False, color_system=None).print(table(line, doc, explain(PARSERS, line)))
        shown = buffer.getvalue()
        assert "nginx.access" in shown and "matched" in shown and "no match" in shown
        assert "more patterns did not match" in shown


class TestTheCommand:
    def test_piped_output_is_json_lines_with_the_explanation(self, tmp_path: Path) -> None:
        path = tmp_path / "x.log"
        path.write_text("Nov 23 01:02:03 web-1 sshd[42]: [bold]ok[/bold]\n", encoding="utf-8")
        result = CliRunner().invoke(app, ["parse", "--explain", str(path)])
        assert result.exit_code == 0, result.output
        doc = orjson.loads(result.stdout.splitlines()[0])
        assert doc["message"] == "[bold]ok[/bold]"
        assert any(e["matched"] for e in doc["_explain"])
        assert all("reason" in e for e in doc["_explain"] if not e["matched"])

    def test_json_is_asked_for_with_a_flag_too(self, tmp_path: Path) -> None:
        path = tmp_path / "x.log"
        path.write_text("hello\n", encoding="utf-8")
        result = CliRunner().invoke(app, ["parse", "--explain", "--json", str(path)])
        assert result.exit_code == 0, result.output
        assert "_explain" in orjson.loads(result.stdout.splitlines()[0])

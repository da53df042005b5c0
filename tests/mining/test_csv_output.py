"""Tests for logflow.mining.csv_output and `python -m logflow.mining`: the `mine` CSV contract."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

from logflow.mining import mine_to_csv, template_id

ROOT = Path(__file__).resolve().parents[2]


def mined_rows(lines: list[str]) -> list[list[str]]:
    """Run `mine_to_csv` on lines and parse its output back with the csv module."""
    out = io.StringIO()
    mine_to_csv(lines, out)
    return list(csv.reader(io.StringIO(out.getvalue())))


class TestMineToCsv:
    """Header, one row per line, 1-based numbers, final ids, proper quoting."""

    def test_the_header_comes_first(self) -> None:
        """The first row is `line,template_id,template`."""
        assert mined_rows(["a"])[0] == ["line", "template_id", "template"]

    def test_one_row_per_line_numbered_from_one(self) -> None:
        """Each input line gets a row, in order, numbered 1..n, blank lines included."""
        rows = mined_rows(["first 1\n", "\n", "first 2\n"])
        assert [r[0] for r in rows[1:]] == ["1", "2", "3"]

    def test_ids_are_final_for_every_row_of_a_cluster(self) -> None:
        """Lines read before their template generalised report the generalised id."""
        users = ["alice", "bob", "carol", "dave", "erin"]
        rows = mined_rows([f"Invalid user {u} from host{i}" for i, u in enumerate(users)])
        assert {(r[1], r[2]) for r in rows[1:]} == {
            (template_id("Invalid user <*> from <*>"), "Invalid user <*> from <*>")
        }

    def test_templates_with_commas_and_quotes_are_quoted(self) -> None:
        """Commas and double quotes inside a template survive a csv round trip."""
        out = io.StringIO()
        mine_to_csv(['say "hi", then leave'], out)
        assert out.getvalue().splitlines()[1].endswith(',"say <*>, then leave"')
        assert next(csv.reader(io.StringIO(out.getvalue().splitlines()[1])))[2] == "say <*>, then leave"


class TestModuleCommand:
    """`python -m logflow.mining [FILE]` prints the same CSV, from a file or stdin."""

    def run(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run the module command from the repository root."""
        return subprocess.run(
            [sys.executable, "-m", "logflow.mining", *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )

    def test_reads_stdin_by_default(self) -> None:
        """Without FILE the command mines stdin."""
        result = self.run(stdin="worker 1 up\nworker 2 up\n")
        assert result.returncode == 0
        assert result.stdout.splitlines() == [
            "line,template_id,template",
            f"1,{template_id('worker <*> up')},worker <*> up",
            f"2,{template_id('worker <*> up')},worker <*> up",
        ]

    def test_reads_a_file_and_matches_the_library(self, tmp_path: Path) -> None:
        """The command's output equals `mine_to_csv` on the same lines."""
        lines = ["disk /dev/sda1 full", "disk /dev/sdb2 full", 'quote "a, b" end']
        path = tmp_path / "in.log"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        expected = io.StringIO()
        mine_to_csv(lines, expected)
        assert self.run(str(path)).stdout == expected.getvalue()

    def test_a_missing_file_is_an_error_with_its_name(self, tmp_path: Path) -> None:
        """An unreadable FILE exits 1 and names the file."""
        result = self.run(str(tmp_path / "nope.log"))
        assert result.returncode == 1
        assert "nope.log" in result.stderr

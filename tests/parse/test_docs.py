"""The parser example in docs/parsers.md is a working parser, so the guide cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

from logflow.admin.parsers_check import check_parsers
from logflow.config import Settings
from logflow.parse.parsers import ParserSet
from logflow.worker.processor import Processor

ROOT = Path(__file__).resolve().parents[2]


class TestGuideExample:
    """The `billing` example, written alone to a parsers folder (the shipped library comes with it)."""

    def test_the_documented_example_loads_and_passes_its_samples(self, tmp_path: Path) -> None:
        """Every key in the example is accepted and both of its samples produce their fields."""
        guide = (ROOT / "docs" / "parsers.md").read_text(encoding="utf-8")
        blocks = re.findall(r"```toml\n(.*?)```", guide, flags=re.DOTALL)
        assert blocks, "docs/parsers.md has no ```toml example"
        (tmp_path / "billing.toml").write_text(blocks[0], encoding="utf-8")
        parsers = ParserSet.load(tmp_path)
        name = next(p.name for p in parsers if p.path == str(tmp_path / "billing.toml"))
        outcomes = check_parsers(Processor(Settings(), parsers=parsers), name)
        assert len(outcomes) == 2
        assert [o.problems for o in outcomes] == [[], []]

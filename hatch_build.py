"""Build hook: compile the per-event path with mypyc when building a wheel (`pip install .`, the image).

The same typed sources, compiled to C extension modules: the pipeline's per-event CPU drops by a fifth
to a third (docs/benchmarks.md), with no second implementation to keep in step. The `.py` files ship
alongside; Python imports the compiled module when both are present.

`LOGFLOW_BUILD_COMPILED` chooses:

- `auto` (default): compile if a C compiler and the Python headers are there, else warn and build the
  pure-Python wheel (a fresh machine with only Python and pip still installs);
- `yes`: compile or fail the build (the container image and the test of the compiled build use it);
- `no`: pure Python.

Editable installs (`pip install -e .`) are never compiled: an edited `.py` file must take effect, not
be shadowed by a stale extension module beside it.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

# The per-event path (decode -> parse -> enrich -> mine -> route -> serialize) and what it calls per
# record. The I/O edges (Kafka, Elasticsearch, HTTP) and the CLI stay interpreted: they are not where
# the CPU goes, and asyncio code is best left to the interpreter.
COMPILED = [
    "logflow/event.py",
    "logflow/decode/stage.py",
    "logflow/decode/headers.py",
    "logflow/deadletter/document.py",
    "logflow/parse/timestamps.py",
    "logflow/parse/parsers.py",
    "logflow/enrich/rules.py",
    "logflow/enrich/stage.py",
    "logflow/enrich/joined.py",
    "logflow/enrich/redact.py",
    "logflow/route/router.py",
    "logflow/worker/processor.py",
    "logflow/mining/config.py",
    "logflow/mining/masking.py",
    "logflow/mining/template.py",
    "logflow/mining/cluster.py",
    "logflow/mining/tree.py",
    "logflow/mining/miner.py",
]

# The build environment has mypy but not the runtime dependencies: their types are Any here. Strict
# type checking is CI's job (`mypy`); this only has to type the compiled modules well enough to compile.
MYPY_CONFIG = "[mypy]\npython_version = 3.11\nignore_missing_imports = True\n"

MODES = ("auto", "yes", "no")


def mode() -> str:
    value = os.environ.get("LOGFLOW_BUILD_COMPILED", "auto").strip().lower() or "auto"
    if value not in MODES:
        raise ValueError(f"LOGFLOW_BUILD_COMPILED={value!r}: use one of {', '.join(MODES)}")
    return value


class CompiledCoreHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        return [] if mode() == "no" else ["mypy>=1.13", "setuptools>=70"]

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        wanted = mode()
        if self.target_name != "wheel" or version == "editable" or wanted == "no":
            return
        work = Path(tempfile.mkdtemp(prefix="logflow-mypyc-"))
        try:
            built = compile_modules(Path(self.root), work)
        except BaseException as exc:  # SystemExit from distutils on a missing compiler, among others
            shutil.rmtree(work, ignore_errors=True)
            if wanted == "yes":
                raise RuntimeError(f"LOGFLOW_BUILD_COMPILED=yes but the compiled core did not build: {exc}") from exc
            self.app.display_warning(
                f"logflow: compiled core not built ({type(exc).__name__}: {exc}); installing pure Python "
                "(same behaviour, slower per event; needs a C compiler and the Python headers)"
            )
            return
        self._work = work
        for path in built:
            build_data["force_include"][str(path)] = path.relative_to(work / "lib").as_posix()
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        self.app.display_info(f"logflow: compiled {len(COMPILED)} modules with mypyc")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        work = getattr(self, "_work", None)
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


def compile_modules(root: Path, work: Path) -> list[Path]:
    """mypyc's C for `COMPILED`, built into extension modules under ``work/lib``; their paths."""
    from mypyc.build import mypycify
    from setuptools import Distribution

    config = work / "mypy.ini"
    config.write_text(MYPY_CONFIG)
    cwd = os.getcwd()
    os.chdir(root)  # mypyc names modules by their paths relative to the working directory
    try:
        extensions = mypycify(["--config-file", str(config), *COMPILED], opt_level="3", target_dir=str(work / "c"))
        dist = Distribution({"name": "logflow", "ext_modules": extensions})
        build_ext = dist.get_command_obj("build_ext")
        build_ext.build_lib = str(work / "lib")
        build_ext.build_temp = str(work / "tmp")
        build_ext.ensure_finalized()
        build_ext.run()
    finally:
        os.chdir(cwd)
    suffix = ".pyd" if sys.platform == "win32" else ".so"
    return sorted(p for p in (work / "lib").rglob(f"*{suffix}"))

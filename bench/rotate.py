"""Held-out accuracy of the miner by rotation over the Loghub-2k sets: tune on some, report the others.

    python bench/rotate.py                       # 4 folds of 2, the grid below, GA and PA
    python bench/rotate.py --folds 8             # leave one out
    python bench/rotate.py --ablate              # also: each mechanism switched off, all sets

The score on a set the configuration was chosen on says little about a set it was not. So the sets
are dealt into folds by name (sorted, dealt round-robin: nothing about their contents picks a fold);
for each fold, every configuration of `GRID` is scored on the *other* folds, the best average GA
there is chosen (ties: the earlier, i.e. the default), and only then is the fold itself scored with
it. The held-out row of a set is the figure that speaks for logs the miner was never tuned on.

Scoring is the shared evaluator's (`../shared/eval/loghub_ga.py`, imported by path): same data
loading (`Content` column), same GA and PA. The miner runs in-process through `mine_lines`, which
is what `logflow mine` runs. Data: Loghub (https://github.com/logpai/loghub, see the LICENSE beside
the datasets); nothing is copied.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import sys
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from logflow.mining import MinerConfig, mine_lines  # noqa: E402

#: The shared evaluator: beside the checkout (`../shared`), or beside the clone root of a worktree.
EVAL_CANDIDATES = (
    HERE.parent.parent / "shared" / "eval" / "loghub_ga.py",
    HERE.parent.parent.parent / "shared" / "eval" / "loghub_ga.py",
)

#: The constants a fold may choose between. The default configuration is the first point.
GRID: dict[str, tuple[Any, ...]] = {
    "prefix_tokens": (0, 1),
    "similarity_threshold": (0.5, 0.4, 0.6),
    "min_variable_values": (4, 3, 5),
}

#: Mechanisms `--ablate` switches off one at a time (field -> the value that disables it).
ABLATIONS: dict[str, Any] = {}


def find_evaluator(given: Path | None) -> Path:
    """The shared evaluator: `--eval`, else `../shared/eval` beside the checkout (or its clone root)."""
    for path in (given, *EVAL_CANDIDATES):
        if path is not None and path.exists():
            return path
    raise SystemExit("cannot find loghub_ga.py; pass --eval PATH")


def load_evaluator(path: Path) -> ModuleType:
    """Import the shared evaluator from its file path."""
    spec = importlib.util.spec_from_file_location("loghub_ga", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the evaluator from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


Score = tuple[float, float]


class Scorer:
    """GA and PA of a configuration on a set, each computed once."""

    def __init__(self, ev: ModuleType, loghub: Path, names: list[str]) -> None:
        """Load every set's truth once."""
        self._ev = ev
        self._data = {name: ev.load_truth(loghub / name) for name in names}
        self._memo: dict[tuple[MinerConfig, str], Score] = {}

    def score(self, config: MinerConfig, name: str) -> Score:
        """(GA, PA) of `config` on set `name`."""
        key = (config, name)
        if key not in self._memo:
            contents, truth_ids, truth_templates = self._data[name]
            found = mine_lines([c.replace("\n", " ") for c in contents], config)
            ga = self._ev.grouping_accuracy(truth_ids, [t.id for t in found])
            pa = self._ev.parsing_accuracy(truth_templates, [t.text for t in found])
            self._memo[key] = (ga, pa)
        return self._memo[key]

    def mean_ga(self, config: MinerConfig, names: list[str]) -> float:
        """Average GA over `names`."""
        return sum(self.score(config, n)[0] for n in names) / len(names)


def grid_configs(base: MinerConfig) -> list[MinerConfig]:
    """Every point of `GRID` as a configuration (the default first)."""
    keys = list(GRID)
    return [replace(base, **dict(zip(keys, values, strict=True))) for values in itertools.product(*GRID.values())]


def describe(config: MinerConfig, base: MinerConfig) -> str:
    """The grid fields of `config` that differ from the default, or 'default'."""
    diff = [f"{k}={getattr(config, k)}" for k in GRID if getattr(config, k) != getattr(base, k)]
    return ", ".join(diff) or "default"


def rotate(scorer: Scorer, names: list[str], folds: int, base: MinerConfig) -> None:
    """Print the held-out table: per fold, the configuration chosen on the rest and its scores."""
    configs = grid_configs(base)
    dealt = [names[i::folds] for i in range(folds)]
    print(f"rotation: {folds} folds, {len(configs)} configurations; chosen on the other folds by mean GA")
    print(f"{'fold':<5} {'held-out set':<12} {'GA':>6} {'PA':>6}  {'tuned GA':>8}  chosen on the rest")
    held: list[Score] = []
    for i, fold in enumerate(dealt):
        rest = [n for n in names if n not in fold]
        best = max(configs, key=lambda c: scorer.mean_ga(c, rest))  # max keeps the first of equals
        for name in fold:
            ga, pa = scorer.score(best, name)
            held.append((ga, pa))
            print(
                f"{i + 1:<5} {name:<12} {ga:6.3f} {pa:6.3f}  {scorer.mean_ga(best, rest):8.3f}  {describe(best, base)}"
            )
    print(
        f"{'held-out average':<18} {_mean(held, 0):6.3f} {_mean(held, 1):6.3f}   min GA {min(g for g, _ in held):.3f}"
    )


def seen(scorer: Scorer, names: list[str], base: MinerConfig) -> None:
    """Print the shipped default's scores on every set (all of them seen while developing)."""
    print(f"default configuration on every set (seen):\n{'set':<12} {'GA':>6} {'PA':>6}")
    rows = [scorer.score(base, n) for n in names]
    for name, (ga, pa) in zip(names, rows, strict=True):
        print(f"{name:<12} {ga:6.3f} {pa:6.3f}")
    print(f"{'average':<12} {_mean(rows, 0):6.3f} {_mean(rows, 1):6.3f}")


def ablate(scorer: Scorer, names: list[str], base: MinerConfig) -> None:
    """Print average GA/PA over every set with each mechanism of `ABLATIONS` switched off."""
    print(f"ablation (every set, default otherwise):\n{'configuration':<28} {'GA':>6} {'PA':>6} {'min GA':>7}")
    for label, config in [("default", base)] + [(f"{k}={v}", replace(base, **{k: v})) for k, v in ABLATIONS.items()]:
        rows = [scorer.score(config, n) for n in names]
        print(f"{label:<28} {_mean(rows, 0):6.3f} {_mean(rows, 1):6.3f} {min(g for g, _ in rows):7.3f}")


def _mean(rows: list[Score], i: int) -> float:
    return sum(r[i] for r in rows) / len(rows)


def main() -> int:
    """Parse arguments, load the sets, print the tables."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval", type=Path, default=None, help="path of loghub_ga.py")
    ap.add_argument("--loghub", type=Path, default=None, help="folder of Loghub-2k sets (default: the evaluator's)")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--ablate", action="store_true")
    args = ap.parse_args()
    ev = load_evaluator(find_evaluator(args.eval))
    loghub: Path = args.loghub or ev.DEFAULT_LOGHUB
    names = sorted(p.name for p in loghub.iterdir() if (p / f"{p.name}_2k.log_structured.csv").exists())
    scorer = Scorer(ev, loghub, names)
    base = MinerConfig()
    rotate(scorer, names, args.folds, base)
    print()
    seen(scorer, names, base)
    if args.ablate:
        print()
        ablate(scorer, names, base)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Held-out accuracy of the miner by rotation over the Loghub-2k sets: tune on some, report the others.

    python bench/rotate.py                       # 4 folds of 2, the grid below, GA and PA
    python bench/rotate.py --folds 8             # leave one out
    python bench/rotate.py --ablate              # also: each mechanism switched off, all sets

The score on a set the configuration was chosen on says little about a set it was not. So the sets
are dealt into folds by name (sorted, dealt round-robin: nothing about their contents picks a fold);
for each fold, every configuration of `GRID` is scored on the *other* folds, the best average GA
there is chosen (ties: the earlier, i.e. the default), and only then is the fold itself scored with
it. The held-out row of a set is the figure that speaks for logs the miner was never tuned on.

Tuning scores each set twice: as given, and with a digit-free variable word put in front of every
line (`lead_variable`; the truth is unchanged). The shared sets had their headers cut off, so no
line starts with a host or program name; without the second form, tuning would pick a rule that
keys on the first word and fails on any log that does (GA lead column).

Scoring is the shared evaluator's (`../shared/eval/loghub_ga.py`, imported by path): same data
loading (`Content` column), same GA and PA. The miner runs in-process through `mine_lines`, which
is what `logflow mine` runs. Data: Loghub (https://github.com/logpai/loghub, see the LICENSE beside
the datasets); nothing is copied.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import itertools
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from logflow.mining import MinerConfig, mine_lines  # noqa: E402
from logflow.mining.cluster import Family  # noqa: E402
from logflow.mining.masking import PATTERNS, coarse, tokens  # noqa: E402

#: The shared evaluator: beside the checkout (`../shared`), or beside the clone root of a worktree.
EVAL_CANDIDATES = (
    HERE.parent.parent / "shared" / "eval" / "loghub_ga.py",
    HERE.parent.parent.parent / "shared" / "eval" / "loghub_ga.py",
)

#: The constants a fold may choose between. The default configuration is the first point.
GRID: dict[str, tuple[Any, ...]] = {
    "prefix_tokens": (0, 1),
    "similarity_threshold": (0.6, 0.5, 0.4),
    "min_variable_values": (4, 3, 5),
}

#: What `--ablate` switches off, one at a time: a label and the configuration change that does it.
ABLATIONS: dict[str, dict[str, Any]] = {
    "prefix_tokens=1 (Drain's first-token tree)": {"prefix_tokens": 1},
    "min_variable_values=2 (no closed positions)": {"min_variable_values": 2},
    **{f"mask kind '{k}' off": {"mask_kinds": tuple(x for x in PATTERNS if x != k)} for k in PATTERNS},
}


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

#: Hosts `lead_variable` puts in front of messages: digit-free words, 20 of them.
LEAD_WORDS = 20


def lead_variable(lines: list[str], seed: int = 1) -> list[str]:
    """The lines with a digit-free variable word in front (one of `LEAD_WORDS` random host names).

    Logs that start with a program, host or user name are common, and the shared sets have none
    (their headers were cut off): a mechanism that keys on the first word is tuned to that. The
    ground truth is unchanged: the word is a variable, so the grouping must not change.
    """
    rng = random.Random(seed)
    hosts = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)) for _ in range(LEAD_WORDS)]
    return [f"{rng.choice(hosts)} {line}" for line in lines]


#: The forms of every set a configuration is scored on: as given, and with a variable first word.
FORMS: dict[str, Callable[[list[str]], list[str]]] = {"as given": lambda lines: lines, "lead": lead_variable}


class Scorer:
    """GA and PA of a configuration on a set in a form, each computed once."""

    def __init__(self, ev: ModuleType, loghub: Path, names: list[str]) -> None:
        """Load every set's truth once."""
        self._ev = ev
        self._data = {name: ev.load_truth(loghub / name) for name in names}
        self._memo: dict[tuple[MinerConfig, str, str, str], Score] = {}

    def score(self, config: MinerConfig, name: str, form: str = "as given", variant: str = "") -> Score:
        """(GA, PA) of `config` on set `name` in `form` (PA is only meaningful as given).

        `variant` names an entry of `VARIANTS`: a mechanism that is not a configuration field,
        swapped for its older or simpler form while this set is mined.
        """
        key = (config, name, form, variant)
        if key not in self._memo:
            contents, truth_ids, truth_templates = self._data[name]
            lines = FORMS[form]([c.replace("\n", " ") for c in contents])
            swap, shown = VARIANTS[variant] if variant else (contextlib.nullcontext, _same)
            with swap():
                found = mine_lines(lines, config)
            ga = self._ev.grouping_accuracy(truth_ids, [t.id for t in found])
            pa = self._ev.parsing_accuracy(truth_templates, [shown(t.text) for t in found])
            self._memo[key] = (ga, pa)
        return self._memo[key]

    def objective(self, config: MinerConfig, names: list[str]) -> float:
        """What tuning maximises: average GA over `names` in every form of `FORMS`."""
        return sum(self.score(config, n, f)[0] for n in names for f in FORMS) / (len(names) * len(FORMS))


def _same(text: str) -> str:
    return text


def _coarse_text(text: str) -> str:
    """A template as it read before constant prefixes were kept: each masked run as one `<*>`."""
    return " ".join(coarse(tokens(text)))


def _agreement_counting_wildcards(self: Family, shape: tuple[str, ...]) -> tuple[int, int]:
    """The agreement before this branch: `<*>` against anything agreed, over every position."""
    values = self.values
    same = sum(
        1
        for pos, (mine, theirs) in enumerate(zip(self.tokens, shape, strict=True))
        if mine == theirs or (pos in values and theirs in values[pos])
    )
    return same, len(shape)


@contextlib.contextmanager
def _old_similarity() -> Iterator[None]:
    """Mine with `_agreement_counting_wildcards` (pure-Python builds only: a compiled class is fixed)."""
    current = Family.agreement
    Family.agreement = _agreement_counting_wildcards  # type: ignore[method-assign]
    try:
        yield
    finally:
        Family.agreement = current  # type: ignore[method-assign]


#: Mechanisms that are not configuration fields: how to swap each out, and how to show a template.
VARIANTS: dict[str, tuple[Callable[[], contextlib.AbstractContextManager[None]], Callable[[str], str]]] = {
    "similarity: <*> agrees, over all positions": (_old_similarity, _same),
    "display: coarse tokens (no blk_<*>, /<*>:<*>)": (contextlib.nullcontext, _coarse_text),
}


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
    print(f"rotation: {folds} folds, {len(configs)} configurations, each chosen on the other folds")
    print(f"{'fold':<5} {'held-out set':<12} {'GA':>6} {'PA':>6} {'GA lead':>7}  {'tuned':>6}  chosen on the rest")
    held: list[tuple[float, float, float]] = []
    for i, fold in enumerate(dealt):
        rest = [n for n in names if n not in fold]
        best = max(configs, key=lambda c: scorer.objective(c, rest))  # max keeps the first of equals
        for name in fold:
            ga, pa = scorer.score(best, name)
            lead = scorer.score(best, name, "lead")[0]
            held.append((ga, pa, lead))
            tuned = scorer.objective(best, rest)
            print(f"{i + 1:<5} {name:<12} {ga:6.3f} {pa:6.3f} {lead:7.3f}  {tuned:6.3f}  {describe(best, base)}")
    ga_avg, pa_avg, lead_avg = (sum(r[k] for r in held) / len(held) for k in range(3))
    print(
        f"{'held-out average':<18} {ga_avg:6.3f} {pa_avg:6.3f} {lead_avg:7.3f}   min GA {min(r[0] for r in held):.3f}"
    )


def seen(scorer: Scorer, names: list[str], base: MinerConfig) -> None:
    """Print the shipped default's scores on every set (all of them seen while developing)."""
    best = max(grid_configs(base), key=lambda c: scorer.objective(c, names))
    print(f"chosen on all sets: {describe(best, base)} (the shipped default is the first point of GRID)")
    print(f"default configuration on every set (seen):\n{'set':<12} {'GA':>6} {'PA':>6} {'GA lead':>7}")
    rows = [(*scorer.score(base, n), scorer.score(base, n, "lead")[0]) for n in names]
    for name, (ga, pa, lead) in zip(names, rows, strict=True):
        print(f"{name:<12} {ga:6.3f} {pa:6.3f} {lead:7.3f}")
    print(
        f"{'average':<12} "
        + " ".join(f"{sum(r[k] for r in rows) / len(rows):{w}.3f}" for k, w in ((0, 6), (1, 6), (2, 7)))
    )


def ablate(scorer: Scorer, names: list[str], base: MinerConfig) -> None:
    """Print average GA/PA over every set with each mechanism of `ABLATIONS` switched off."""
    print("ablation (every set, default otherwise):")
    print(f"{'configuration':<44} {'GA':>6} {'PA':>6} {'GA lead':>7} {'min GA':>7}")
    variants = [("default", base, "")] + [(label, replace(base, **change), "") for label, change in ABLATIONS.items()]
    variants += [(label, base, label) for label in VARIANTS]
    for label, config, variant in variants:
        rows = [
            (*scorer.score(config, n, "as given", variant), scorer.score(config, n, "lead", variant)[0]) for n in names
        ]
        ga, pa, lead = (sum(r[k] for r in rows) / len(rows) for k in range(3))
        print(f"{label:<44} {ga:6.3f} {pa:6.3f} {lead:7.3f} {min(r[0] for r in rows):7.3f}")


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

"""Grouping accuracy of logflow's miner and Drain3, side by side, in one run.

    python bench/ga.py [--loghub DIR] [--eval PATH]

Uses the shared evaluator (`../shared/eval/loghub_ga.py`) for data loading and scoring, and runs
both miners exactly as it would: as commands that get a file and print the `mine` CSV
(`python -m logflow.mining FILE` and `python bench/drain3_mine.py FILE`). Data: Loghub-2k
(https://github.com/logpai/loghub, see the LICENSE beside the datasets); nothing is copied.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: The shared evaluator: beside the checkout (`../shared`), or beside the clone root of a worktree.
EVAL_CANDIDATES = (
    ROOT.parent / "shared" / "eval" / "loghub_ga.py",
    ROOT.parent.parent / "shared" / "eval" / "loghub_ga.py",
)

MINERS: dict[str, list[str]] = {
    "logflow": [sys.executable, "-m", "logflow.mining"],
    "drain3": [sys.executable, str(HERE / "drain3_mine.py")],
}


def load_evaluator(path: Path) -> ModuleType:
    """Import the shared evaluator from its file path."""
    spec = importlib.util.spec_from_file_location("loghub_ga", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the evaluator from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    """Print GA (and PA) per dataset for both miners, then the averages and minimums."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval", type=Path, default=None, help="path of loghub_ga.py")
    ap.add_argument("--loghub", type=Path, default=None, help="folder of Loghub-2k datasets")
    args = ap.parse_args()
    found = [p for p in (args.eval, *EVAL_CANDIDATES) if p is not None and p.exists()]
    if not found:
        raise SystemExit("cannot find loghub_ga.py; pass --eval PATH")
    ev = load_evaluator(found[0])
    loghub: Path = args.loghub or ev.DEFAULT_LOGHUB
    names = sorted(p.name for p in loghub.iterdir() if (p / f"{p.name}_2k.log_structured.csv").exists())

    print(
        f"{'dataset':<12} {'logflow GA':>10} {'drain3 GA':>9} {'logflow PA':>10} {'drain3 PA':>9}"
        f" {'templates (truth)':>20}"
    )
    scores: dict[str, list[float]] = {name: [] for name in MINERS}
    for name in names:
        contents, truth_ids, truth_templates = ev.load_truth(loghub / name)
        row: dict[str, tuple[float, float, int]] = {}
        for miner, command in MINERS.items():
            ids, texts, _ = ev.run_miner(command, contents)
            ga = ev.grouping_accuracy(truth_ids, ids)
            row[miner] = (ga, ev.parsing_accuracy(truth_templates, texts), len(set(ids)))
            scores[miner].append(ga)
        counts = f"{row['logflow'][2]}/{row['drain3'][2]} ({len(set(truth_ids))})"
        print(
            f"{name:<12} {row['logflow'][0]:10.3f} {row['drain3'][0]:9.3f} "
            f"{row['logflow'][1]:10.3f} {row['drain3'][1]:9.3f} {counts:>20}"
        )
    for label, agg in (("average", lambda xs: sum(xs) / len(xs)), ("minimum", min)):
        print(f"{label:<12} {agg(scores['logflow']):10.3f} {agg(scores['drain3']):9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How well `logflow analyze` finds labelled incidents: precision, recall, F1 per finding kind, and
false alarms on quiet logs.

    python bench/analysis_eval.py [--corpora bench/incidents] [--input auto|raw|ndjson] [--json OUT]

Every corpus directory holds log files and ``labels.json`` (see bench/incidents/make.py for the
format). Each corpus is analysed as a user would: ``analyze_files`` over its files in the order
``labels.json`` lists them, default options (the first third of the time span is the baseline).

Finding kinds and the label kinds they answer to:

    error  recurring error patterns, error cascades      burst  spike, error_rate_spike
    new    new_pattern                                    rare   rare_pattern, outlier

Line level, per kind K: predicted = every line covered by a finding of kind K (``line_ranges``:
all its events, not a sample); truth = every line of a labelled incident whose ``kinds`` include
K. Precision = |predicted ∩ truth| / |predicted|, recall = |predicted ∩ truth| / |truth|, F1 their
harmonic mean, over all corpora pooled. ``any`` pools every kind. Incident level: the share of
labelled incidents that some anomaly touches (``hit``), and the number of report incidents and of
anomalies that touch each one (1 is best: one incident, reported once).

Quiet logs (no labelled incident): ``false-alarm rate`` = quiet logs with at least one anomaly /
quiet logs, and anomalies per 10,000 quiet lines. Error patterns are not alarms (a steady error is
a pattern, not an incident).

Families (issue 20.3): the same corpora with TF-IDF families off (``--no-families``: each template
its own family, findings not linked by family) shows what families add; both are printed.

Formats logflow does not parse yet run too: their lines carry no time, the analyzer says so and
places them in file order (see docs/analysis.md); the script prints how many lines were untimed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from logflow.analyze import AnalysisOptions, Report, Thresholds, analyze_files  # noqa: E402
from logflow.analyze.incidents import group_incidents  # noqa: E402
from logflow.config import load_settings  # noqa: E402

KIND_OF = {
    "spike": "burst",
    "error_rate_spike": "burst",
    "new_pattern": "new",
    "rare_pattern": "rare",
    "outlier": "rare",
    "error_cascade": "error",
}
KINDS = ("error", "burst", "new", "rare")


def expand(runs: list[list[int]] | None) -> set[int]:
    return {n for a, b in runs or [] for n in range(a, b + 1)}


@dataclass
class Tally:
    """Line counts per kind, pooled over corpora."""

    predicted: dict[str, set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))
    truth: dict[str, set[tuple[str, int]]] = field(default_factory=lambda: defaultdict(set))
    incidents: int = 0
    hit: int = 0
    report_incidents_per_hit: list[int] = field(default_factory=list)
    anomalies_per_hit: list[int] = field(default_factory=list)
    quiet_logs: int = 0
    quiet_alarmed: int = 0
    quiet_anomalies: int = 0
    quiet_lines: int = 0
    untimed: int = 0
    incident_anomalies: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)


def analyse(files: list[Path], input_format: str, use_families: bool) -> Report:
    thresholds = Thresholds() if use_families else Thresholds(family_similarity=1.0)
    options = AnalysisOptions(input_format=input_format, thresholds=thresholds)  # type: ignore[arg-type]
    report = asyncio.run(analyze_files(files, load_settings(environ={}), options))
    if not use_families:
        for a in report.anomalies:
            a.incident = None
        report.incidents = group_incidents(
            report.anomalies, thresholds.max_events_listed, use_families=False, width=report.window["bucket_seconds"]
        )
    return report


def score(corpus: Path, report: Report, labels: dict[str, Any], tally: Tally) -> None:
    name = corpus.name
    predicted: dict[str, set[int]] = defaultdict(set)
    for a in report.anomalies:
        predicted[KIND_OF.get(a.kind, a.kind)] |= expand(a.line_ranges)
    for p in report.patterns:
        predicted["error"] |= expand(p.line_ranges)
    truth: dict[str, set[int]] = defaultdict(set)
    for inc in labels["incidents"]:
        lines = expand(inc["lines"])
        for kind in inc["kinds"]:
            truth[kind] |= lines
    for kind in KINDS:
        tally.predicted[kind] |= {(name, n) for n in predicted[kind]}
        tally.truth[kind] |= {(name, n) for n in truth[kind]}
    if not labels["incidents"]:
        tally.quiet_logs += 1
        tally.quiet_lines += int(labels["lines"])
        tally.quiet_anomalies += len(report.anomalies)
        tally.quiet_alarmed += bool(report.anomalies)
    else:
        tally.incident_anomalies += len(report.anomalies)
    for inc in labels["incidents"]:
        lines = expand(inc["lines"])
        touching = [a for a in report.anomalies if expand(a.line_ranges) & lines]
        tally.incidents += 1
        if touching:
            tally.hit += 1
            tally.anomalies_per_hit.append(len(touching))
            tally.report_incidents_per_hit.append(len({a.incident for a in touching}))
    untimed = sum(1 for w in report.warnings if w.startswith("untimed-events"))
    tally.untimed += untimed
    tally.rows.append(
        {
            "corpus": name,
            "lines": labels["lines"],
            "incidents": len(labels["incidents"]),
            "anomalies": len(report.anomalies),
            "report_incidents": len(report.incidents),
            "kinds": sorted({a.kind for a in report.anomalies}),
            "flags": report.flags,
        }
    )


def prf(tally: Tally, kind: str | None) -> tuple[float, float, float, int, int]:
    if kind is None:
        pred = set().union(*tally.predicted.values())
        truth = set().union(*tally.truth.values())
    else:
        pred, truth = tally.predicted[kind], tally.truth[kind]
    both = len(pred & truth)
    p = both / len(pred) if pred else 0.0
    r = both / len(truth) if truth else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, len(pred), len(truth)


def run(corpora: Path, input_format: str, use_families: bool) -> Tally:
    tally = Tally()
    for corpus in sorted(d for d in corpora.iterdir() if (d / "labels.json").is_file()):
        labels = json.loads((corpus / "labels.json").read_text())
        report = analyse([corpus / f for f in labels["files"]], input_format, use_families)
        score(corpus, report, labels, tally)
    return tally


def summary(tally: Tally) -> dict[str, Any]:
    kinds = {
        k: dict(zip(("precision", "recall", "f1", "predicted", "truth"), prf(tally, k), strict=True)) for k in KINDS
    }
    kinds["any"] = dict(zip(("precision", "recall", "f1", "predicted", "truth"), prf(tally, None), strict=True))
    hits = tally.report_incidents_per_hit
    return {
        "kinds": kinds,
        "incidents": tally.incidents,
        "hit": tally.hit,
        "report_incidents_per_hit": sum(hits) / len(hits) if hits else None,
        "anomalies_on_incident_corpora": tally.incident_anomalies,
        "anomalies_per_hit": sum(tally.anomalies_per_hit) / len(hits) if hits else None,
        "quiet_logs": tally.quiet_logs,
        "quiet_false_alarm_rate": tally.quiet_alarmed / tally.quiet_logs if tally.quiet_logs else None,
        "quiet_anomalies_per_10k_lines": 1e4 * tally.quiet_anomalies / tally.quiet_lines if tally.quiet_lines else None,
        "corpora": tally.rows,
    }


def print_table(title: str, s: dict[str, Any]) -> None:
    print(f"\n{title}\n")
    print("| kind | precision | recall | F1 | predicted lines | incident lines |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for kind, m in s["kinds"].items():
        print(
            f"| {kind} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['predicted']:,} | {m['truth']:,} |"  # noqa: E501
        )
    print(
        f"\nincidents hit: {s['hit']}/{s['incidents']}; per hit incident: "
        f"{s['anomalies_per_hit']:.2f} anomalies, {s['report_incidents_per_hit']:.2f} report incidents"
        if s["hit"]
        else f"\nincidents hit: 0/{s['incidents']}"
    )
    print(f"anomalies on the incident corpora: {s['anomalies_on_incident_corpora']}")
    print(
        f"quiet logs: {s['quiet_logs']}, false-alarm rate {s['quiet_false_alarm_rate']:.2f}, "
        f"{s['quiet_anomalies_per_10k_lines']:.2f} anomalies per 10k lines"
    )
    print("\n| corpus | lines | labelled | anomalies | report incidents | kinds | flags |")
    print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
    for row in s["corpora"]:
        print(
            f"| {row['corpus']} | {row['lines']:,} | {row['incidents']} | {row['anomalies']} | "
            f"{row['report_incidents']} | {', '.join(row['kinds'])} | {', '.join(row['flags'])} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=HERE / "incidents")
    parser.add_argument("--input", default="auto", choices=("auto", "raw", "ndjson"))
    parser.add_argument("--json", type=Path, help="also write both summaries here")
    args = parser.parse_args()
    with_families = summary(run(args.corpora, args.input, True))
    without = summary(run(args.corpora, args.input, False))
    print_table("With TF-IDF families (default)", with_families)
    print_table("Without families (each template its own family, no family links)", without)
    if args.json:
        args.json.write_text(json.dumps({"families": with_families, "no_families": without}, indent=1))


if __name__ == "__main__":
    main()

"""Drain3 as a miner command with logflow's `mine` CSV contract, for side-by-side accuracy runs.

    python bench/drain3_mine.py FILE        # or stdin when FILE is missing

Drain3 (PyPI `drain3`) runs with its default settings plus the generic masking instructions the
issue names (IP, hex, number), so the comparison is with Drain3 as a user would configure it.
Two passes like logflow's batch mode: learn on every line, then report each line's cluster with
the cluster's final template, so the ids in the CSV are final.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterable
from typing import TextIO

from drain3 import TemplateMiner as Drain3Miner
from drain3.masking import MaskingInstruction
from drain3.template_miner_config import TemplateMinerConfig

#: Generic masks (no dataset-specific patterns): IPv4 with optional port, hex literals, numbers.
GENERIC_MASKS: tuple[tuple[str, str], ...] = (
    (r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(:\d+)?((?=[^A-Za-z0-9])|$)", "IP"),
    (r"((?<=[^A-Za-z0-9])|^)(0x[a-fA-F0-9]+)((?=[^A-Za-z0-9])|$)", "HEX"),
    (r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
)


def make_drain3() -> Drain3Miner:
    """Build Drain3 with default settings and the generic masks, without reading drain3.ini."""
    config = TemplateMinerConfig()
    config.masking_instructions = [MaskingInstruction(p, name) for p, name in GENERIC_MASKS]
    config.profiling_enabled = False
    return Drain3Miner(config=config)


def drain3_to_csv(lines: Iterable[str], out: TextIO) -> None:
    """Write `line,template_id,template` rows for each line, using Drain3's final clusters."""
    miner = make_drain3()
    cluster_ids = [miner.add_log_message(line.rstrip("\r\n"))["cluster_id"] for line in lines]
    templates = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("line", "template_id", "template"))
    for number, cluster_id in enumerate(cluster_ids, start=1):
        writer.writerow((number, cluster_id, templates[cluster_id]))


def main(argv: list[str]) -> int:
    """Read FILE (or stdin) and print the CSV."""
    if len(argv) > 1:
        with open(argv[1], encoding="utf-8", errors="replace") as f:
            drain3_to_csv(f, sys.stdout)
    else:
        drain3_to_csv(sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

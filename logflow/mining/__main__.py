"""`python -m logflow.mining [FILE]`: print the `mine` CSV for FILE (stdin when omitted).

Kept free of typer so the miner runs without the CLI; `logflow mine` calls the same function.
"""

from __future__ import annotations

import sys

from logflow.mining.csv_output import mine_to_csv


def main(argv: list[str]) -> int:
    """Mine FILE (or stdin) to CSV on stdout; exit 2 with a message on a usage error."""
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        print("usage: python -m logflow.mining [FILE]", file=sys.stderr)
        return 2 if len(argv) > 2 else 0
    if len(argv) == 2 and argv[1] != "-":
        try:
            with open(argv[1], encoding="utf-8", errors="replace", newline="") as f:
                mine_to_csv(f, sys.stdout)
        except OSError as exc:
            print(f"cannot read {argv[1]}: {exc.strerror}", file=sys.stderr)
            return 1
    else:
        mine_to_csv(sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

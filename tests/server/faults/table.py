"""Print the reliability table (docs/reliability.md) from a fault-suite run's results.

HSI_FAULTS_RESULTS=/tmp/faults.jsonl .venv/bin/python -m pytest tests/server/faults -q
.venv/bin/python -m tests.server.faults.table /tmp/faults.jsonl
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.server.faults.rig import results

HEADER = (
    "| fault | uploads | ended in event | dead letters / quarantined | lost | duplicated |\n"
    "|---|---|---|---|---|---|"
)


def table(path: Path) -> str:
    """The Markdown table, one row per fault (the last run of each)."""
    rows = [HEADER]
    for r in results(path):
        dead = f"{r['dead_letter']} / {r['quarantined']}"
        rows.append(
            f"| {r['fault']} | {r['uploads']} | {r['event']} | {dead} | {r['lost']} | {r['duplicated']} |"
        )
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    """`python -m tests.server.faults.table FILE`."""
    if len(argv) != 1:
        print("usage: python -m tests.server.faults.table RESULTS.jsonl", file=sys.stderr)
        return 2
    print(table(Path(argv[0])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

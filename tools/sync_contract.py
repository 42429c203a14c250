"""Write the server's contract into the Home Assistant integration (which cannot import the server).

    python -m tools.sync_contract          # rewrite custom_components/.../contract.json
    python -m tools.sync_contract --check  # exit 1 when the copy is out of date

`tests/server/test_contract.py` fails when the copy differs from `inference_server.contract`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from inference_server.contract import document

ROOT = Path(__file__).resolve().parent.parent
HA_COPY = ROOT / "custom_components" / "home_security_intelligence" / "contract.json"


def rendered() -> str:
    """The integration's copy as it must read, byte for byte."""
    return json.dumps(document(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Rewrite the copy, or with --check only compare it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when out of date")
    args = parser.parse_args(argv)
    want = rendered()
    have = HA_COPY.read_text(encoding="utf-8") if HA_COPY.is_file() else ""
    if have == want:
        return 0
    if args.check:
        print(
            f"{HA_COPY.relative_to(ROOT)} is out of date: run python -m tools.sync_contract", file=sys.stderr
        )
        return 1
    HA_COPY.write_text(want, encoding="utf-8")
    print(f"wrote {HA_COPY.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

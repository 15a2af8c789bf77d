"""Regenerate the documentation that is generated from code.

    uv run python scripts/update_docs.py          # rewrite the files
    uv run python scripts/update_docs.py --check  # exit 1 if any is out of date

* docs/ODD.md: the parameter tables between ``<!-- parameters:GROUP -->`` markers, from
  simulation/parameters.py and the code's defaults;
* docs/scenario-reference.md: from the scenario schema (``sovsim scenarios reference``).
"""

import sys
from pathlib import Path

from simulation import parameters, scenarios

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    """Regenerate (or with --check, verify) the generated docs; return the exit status."""
    check = "--check" in sys.argv
    stale = []
    if parameters.update_odd(str(ROOT / "docs" / "ODD.md"), check=check):
        stale.append("docs/ODD.md")
    reference = ROOT / "docs" / "scenario-reference.md"
    text = scenarios.reference_markdown()
    if reference.read_text(encoding="utf-8") != text:
        stale.append("docs/scenario-reference.md")
        if not check:
            reference.write_text(text, encoding="utf-8")
    verb = "out of date" if check else "updated"
    print(f"{verb}: {', '.join(stale)}" if stale else "generated docs are up to date")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())

"""Paste a `results.md` written by `hamnet reproduce` into README.md between the markers.

    python scripts/splice_results.py results/full/results.md [README.md]
"""

from __future__ import annotations

import sys
from pathlib import Path

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def splice(readme: str, results: str) -> str:
    """`readme` with the text between BEGIN and END replaced by `results`."""
    head, found, rest = readme.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise SystemExit(f"README has no {BEGIN} … {END} block")
    body = results.strip().replace("\n## Results\n", "\n").removeprefix("## Results").strip()
    return f"{head}{BEGIN}\n{body}\n{END}{tail}"


def main() -> None:
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    results = Path(sys.argv[1]).read_text(encoding="utf-8")
    readme_path = Path(sys.argv[2] if len(sys.argv) == 3 else "README.md")
    readme_path.write_text(splice(readme_path.read_text(encoding="utf-8"), results), encoding="utf-8")


if __name__ == "__main__":
    main()

"""Paste `results.md` files written by `hamnet reproduce` into README.md between the markers.

    python scripts/splice_results.py results/full/results.md [results/pixel/results.md ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
README = Path("README.md")


def splice(readme: str, results: list[str]) -> str:
    """`readme` with the text between BEGIN and END replaced by the `results` pages."""
    head, found, rest = readme.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not (found and found_end):
        raise SystemExit(f"README has no {BEGIN} … {END} block")
    body = "\n\n".join(page.strip().removeprefix("## Results").strip() for page in results)
    return f"{head}{BEGIN}\n{body}\n{END}{tail}"


def main() -> None:
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    pages = [Path(name).read_text(encoding="utf-8") for name in sys.argv[1:]]
    README.write_text(splice(README.read_text(encoding="utf-8"), pages), encoding="utf-8")


if __name__ == "__main__":
    main()

"""Paste `results.md` files written by `hamnet reproduce` into README.md between markers.

    python scripts/splice_results.py results/full/results.md [results/pixel/results.md ...]
    python scripts/splice_results.py --block dissipative results/dissipative/results.md

Without `--block`, the pages go between `<!-- results:begin -->` and `<!-- results:end -->`;
with `--block NAME`, between `<!-- results:NAME:begin -->` and `<!-- results:NAME:end -->`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hamnet.atomic import write_text
from hamnet.errors import HamnetError, exit_with

README = Path("README.md")


def markers(block: str | None) -> tuple[str, str]:
    """The begin and end markers of a block (None: the paper table's)."""
    name = f"results:{block}" if block else "results"
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def splice(readme: str, results: list[str], block: str | None = None) -> str:
    """`readme` with the text between the block's markers replaced by the `results` pages."""
    begin, end = markers(block)
    head, found, rest = readme.partition(begin)
    _, found_end, tail = rest.partition(end)
    if not (found and found_end):
        exit_with(f"error: README has no {begin} … {end} block")
    body = "\n\n".join(page.strip().removeprefix("## Results").strip() for page in results)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block", help="name of the README block to replace (default: the paper table)")
    parser.add_argument("pages", nargs="+", help="results.md files")
    args = parser.parse_args()
    try:
        pages = [Path(name).read_text(encoding="utf-8") for name in args.pages]
        readme = README.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        exit_with(f"error: {getattr(exc, 'filename', None) or 'a page'}: cannot be read "
                  f"({exc.strerror if isinstance(exc, OSError) else exc})")
    try:
        write_text(README, splice(readme, pages, args.block))
    except HamnetError as exc:
        exit_with(f"error: {exc}")


if __name__ == "__main__":
    main()

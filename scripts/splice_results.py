"""Paste `results.md` files written by `hamnet reproduce` into a page between markers.

    python scripts/splice_results.py --page docs/paper.md results/full/results.md [results/pixel/results.md ...]
    python scripts/splice_results.py --page docs/dissipative.md --block dissipative results/dissipative/results.md
    python scripts/splice_results.py --block headline --section "Energy MSE along rollouts" results/full/results.md

Without `--block`, the pages go between `<!-- results:begin -->` and `<!-- results:end -->`;
with `--block NAME`, between `<!-- results:NAME:begin -->` and `<!-- results:NAME:end -->`.
`--page` names the file that holds the block (default: README.md). `--section TITLE` keeps
of each results page only its heading lines (the command, the seeds) and its section
`### TITLE`. Nothing is typed by hand, and a page without the block is left as it was.
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


def section(page: str, title: str) -> str:
    """`page` cut to its lines before the first `### ` heading and its section `### title`
    (up to the next `### `); exits with one line if it has no such section."""
    head, sections = [], {}
    current = None
    for line in page.strip().removeprefix("## Results").strip().splitlines():
        if line.startswith("### "):
            current = line.removeprefix("### ").strip()
            sections.setdefault(current, [])
        (sections[current] if current is not None else head).append(line)
    found = [name for name in sections if name == title or name.startswith(f"{title} (")]
    if not found:
        exit_with(f"error: a results page has no section '### {title}'; it has: {', '.join(sections) or 'none'}")
    return "\n".join(head).strip() + "\n\n" + "\n".join(sections[found[0]]).strip()


def splice(readme: str, results: list[str], block: str | None = None, name: str = "README.md") -> str:
    """`readme` (the text of the page called `name`) with the text between the block's
    markers replaced by the `results` pages."""
    begin, end = markers(block)
    head, found, rest = readme.partition(begin)
    _, found_end, tail = rest.partition(end)
    if not (found and found_end):
        exit_with(f"error: {name} has no {begin} … {end} block")
    body = "\n\n".join(page.strip().removeprefix("## Results").strip() for page in results)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--block", help="name of the block to replace (default: the paper table)")
    parser.add_argument("--page", type=Path, default=README,
                        help="the Markdown file that holds the block (default: README.md)")
    parser.add_argument("--section", help="keep only this '### ' section of each results page (and its heading lines)")
    parser.add_argument("pages", nargs="+", help="results.md files")
    args = parser.parse_args()
    try:
        pages = [Path(name).read_text(encoding="utf-8") for name in args.pages]
        text = args.page.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        exit_with(f"error: {getattr(exc, 'filename', None) or 'a page'}: cannot be read "
                  f"({exc.strerror if isinstance(exc, OSError) else exc})")
    if args.section:
        pages = [section(page, args.section) for page in pages]
    try:
        write_text(args.page, splice(text, pages, args.block, str(args.page)))
    except HamnetError as exc:
        exit_with(f"error: {exc}")


if __name__ == "__main__":
    main()

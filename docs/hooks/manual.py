"""MkDocs hooks of hamnet's manual (mkdocs.yml: `hooks`).

- The home page is README.md itself, its links into docs/ made relative to the site, so
  the front page is written once.
- Every object that the reference pages document (`::: name` in docs/reference/*.md) and
  each public function, class and method inside it must have a docstring; one without is
  a warning, which `mkdocs build --strict` turns into a failure.
- The command line reference is written from the Typer app at build time (mkdocs-typer),
  its usage lines starting with `hamnet`.
- A code fence's marks for tests/test_tutorials.py (```` ```python needs-real-pendulum ````)
  are dropped from what is rendered; the page itself is left as it is.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import griffe

log = logging.getLogger("mkdocs.hooks.hamnet")

ROOT = Path(__file__).resolve().parents[2]
FENCE_MARKS = re.compile(r"^([ \t]*```+)(\w+)(?:[ \t]+[\w-]+)+[ \t]*$", re.MULTILINE)
DIRECTIVE = re.compile(r"^::: ([\w.]+)\n((?:[ \t]+.*\n?)*)", re.MULTILINE)


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ANN001
    """index.md is README.md, with `docs/...` links made relative to the site; a code
    fence's words after its language (`python needs-real-pendulum`: marks for
    tests/test_tutorials.py) are dropped, so that the fence is read as one."""
    if page.file.src_uri == "index.md":
        markdown = re.sub(r"\]\(docs/", "](", (ROOT / "README.md").read_text(encoding="utf-8"))
    if page.file.src_uri == "reference/cli.md":
        markdown = _command_docs(markdown)
    return FENCE_MARKS.sub(r"\1\2", markdown)


def _command_docs(markdown: str) -> str:
    """The `::: mkdocs-typer` block written out here, as mkdocs-typer writes it, with the
    help texts' `<` and `>` (`horizon-<integrator>-<N>x.json`) escaped outside code blocks,
    where Markdown would take them for HTML tags."""
    from mkdocs_typer._docs import make_command_docs
    from mkdocs_typer._loader import load_command

    def expand(match: re.Match) -> str:
        options = dict(re.findall(r":(\w+):\s*(\S+)", match.group(0)))
        lines, fenced = [], False
        for line in make_command_docs(options.get("prog_name", ""), load_command(options["module"], options["command"]),
                                      level=int(options.get("depth", 0))):
            fenced ^= line.startswith("```")
            lines.append(line if fenced or line.startswith("```") else line.replace("<", "&lt;").replace(">", "&gt;"))
        return "\n".join(lines) + "\n"

    return re.sub(r"^::: mkdocs-typer\n(?:[ \t]+:\w+:.*\n?)+", expand, markdown, flags=re.MULTILINE)


def on_pre_build(config) -> None:  # noqa: ANN001
    """Warn about every documented public object without a docstring."""
    package = griffe.load("hamnet", search_paths=[str(ROOT / "src")], resolve_aliases=True,
                          resolve_external=False)
    for page in sorted((ROOT / "docs" / "reference").glob("*.md")):
        for name, options in DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            if not name.startswith("hamnet"):
                continue
            members = re.search(r"members:\s*(\[([^\]]*)\]|false)", options)
            wanted = None if not members else [] if members.group(1) == "false" else \
                [m.strip() for m in members.group(2).split(",")]
            try:
                obj = package[name.removeprefix("hamnet.")] if name != "hamnet" else package
            except KeyError:
                log.warning("%s: documents %s, which does not exist", page.name, name)
                continue
            for missing in _undocumented(obj, wanted):
                log.warning("%s: %s has no docstring", page.name, missing)


def _public(obj, wanted: list[str] | None) -> list:  # noqa: ANN001
    """The members of `obj` that its page shows: `wanted`, else the public ones defined in it."""
    if wanted is not None:
        for name in wanted:
            if name not in obj.members:
                log.warning("the reference pages name %s.%s, which does not exist", obj.path, name)
        return [obj[name] for name in wanted if name in obj.members]
    return [member for member in obj.members.values()
            if member.is_public and not member.name.startswith("_") and not (obj.is_class and member.is_alias)]


def _undocumented(obj, wanted: list[str] | None = None) -> list[str]:  # noqa: ANN001
    """Paths of the functions, classes and methods in `obj` (and `obj` itself) that have no docstring."""
    missing = []
    target = _target(obj)
    if target is None:
        return missing
    if (target.is_function or target.is_class or target.is_module) and not target.docstring:
        missing.append(obj.path)
    if target.is_module or target.is_class:
        for member in _public(target, wanted):
            member_target = _target(member)
            if member_target is not None and (member_target.is_function or member_target.is_class):
                missing += _undocumented(member)
    return missing


def _target(obj):  # noqa: ANN001, ANN202
    """What `obj` stands for (an alias: the object it names; None where that is outside hamnet)."""
    if not obj.is_alias:
        return obj
    try:
        return obj.final_target
    except (griffe.AliasResolutionError, griffe.CyclicAliasError, KeyError):
        return None


def on_page_content(html: str, page, config, files) -> str:  # noqa: ANN001
    """The command line reference's usage lines start with the program's name (mkdocs-typer
    leaves it out: hamnet's Typer app has none of its own)."""
    if page.file.src_uri != "reference/cli.md":
        return html
    return re.sub(r'(Usage:</p>\s*<div class="highlight"><pre><span></span><code>) ', r"\1hamnet ", html)

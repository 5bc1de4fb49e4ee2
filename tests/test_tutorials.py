"""The tutorial pages run as written: every ```bash and ```python block of docs/your-system.md,
docs/your-data.md and docs/export.md, in order, in a fresh directory holding a copy of
docs/examples (blocks tagged `needs-real-pendulum` only where the measured series is found)."""

from __future__ import annotations

import concurrent.futures as cf
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from hamnet.data.real_pendulum import find_data_file
from hamnet.errors import DataFileError

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCK = re.compile(r"^```(bash|python)([^\n]*)\n(.*?)^```", re.S | re.M)


def blocks(page: Path) -> list[tuple[str, str, str]]:
    """(language, info-string tags, code) of every runnable block, in order."""
    return [(m.group(1), m.group(2), m.group(3)) for m in BLOCK.finditer(page.read_text(encoding="utf-8"))]


def _has_real_pendulum() -> bool:
    try:
        find_data_file()
        return True
    except DataFileError:
        return False


def run_page(page: str, folder: Path) -> str | None:
    """Run the page's blocks in order in `folder`. -> None, or what failed."""
    shutil.copytree(DOCS / "examples", folder / "docs" / "examples")
    # one thread each: the two pages run side by side, and two-threaded commands would fight over 2 cores
    env = dict(os.environ, CI="true", OMP_NUM_THREADS="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    ran = 0
    for language, tags, code in blocks(DOCS / page):
        if "needs-real-pendulum" in tags and not _has_real_pendulum():
            continue
        command = ["bash", "-euo", "pipefail", "-c", code] if language == "bash" else [sys.executable, "-c", code]
        result = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            return f"{page}: this block failed:\n{code}\n{result.stderr[-3000:]}"
        ran += 1
    return None if ran >= 3 else f"{page}: only {ran} blocks ran"


def test_tutorials_run_as_written(tmp_path: Path) -> None:
    pages = ["your-system.md", "your-data.md", "export.md"]
    with cf.ThreadPoolExecutor(max_workers=len(pages)) as pool:  # side by side: each is mostly process start-up
        failures = [f for f in pool.map(lambda page: run_page(page, tmp_path / page.removesuffix(".md")), pages) if f]
    assert not failures, "\n\n".join(failures)

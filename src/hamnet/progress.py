"""Progress display: a Rich bar on an interactive terminal, silence otherwise."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

Advance = Callable[..., None]

#: Set (to anything) to draw no progress bars: worker processes set it (`hamnet.jobs`).
QUIET_ENV = "HAMNET_NO_PROGRESS"


def interactive() -> bool:
    """True when stderr is a terminal, not under CI and not `QUIET_ENV`."""
    return sys.stderr.isatty() and not os.environ.get("CI") and not os.environ.get(QUIET_ENV)


@contextlib.contextmanager
def progress_bar(total: int, description: str, enabled: bool | None = None) -> Iterator[Advance]:
    """Yield `advance(n=1, status="")`; draws a bar only when `enabled` (default: interactive)."""
    if enabled is None:
        enabled = interactive()
    if not enabled:
        yield lambda n=1, status="": None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[status]}"))
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total, status="")

        def advance(n: int = 1, status: str = "") -> None:
            if status:
                progress.update(task, advance=n, status=status)
            else:
                progress.advance(task, n)

        yield advance


def log(message: str) -> None:
    """One status line on stderr."""
    print(message, file=sys.stderr, flush=True)

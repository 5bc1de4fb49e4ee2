"""One writer per output directory: an OS file lock, with the holder named for others.

`exclusive(dir)` takes `dir/.hamnet.lock` (the `filelock` package: an `flock` on Unix),
so the operating system releases it when the holder exits or is killed: a lock left by a
crashed process is taken over by the next one without any clean-up. While held, the
holder's pid, host, command and start time are in `dir/.hamnet-owner.json`, which a
second process quotes when it is refused. Temporary files left in `dir` by a killed
writer are removed when the lock is taken.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import sys
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from ..atomic import ensure_writable_dir, remove_stale_temporaries, write_text
from ..errors import DirectoryInUseError

LOCK_FILE = ".hamnet.lock"
OWNER_FILE = ".hamnet-owner.json"


def _owner_record() -> dict[str, object]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "command": " ".join(sys.argv),
            "since": dt.datetime.now().isoformat(timespec="seconds")}


def describe_owner(directory: Path) -> str:
    """Who holds `directory`'s lock, as far as its owner file tells."""
    try:
        owner = json.loads((directory / OWNER_FILE).read_text(encoding="utf-8"))
        return f"pid {owner['pid']} on {owner['host']} since {owner['since']} ({owner['command']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (its pid is not recorded yet)"


@contextlib.contextmanager
def exclusive(directory: str | os.PathLike) -> Iterator[Path]:
    """Hold `directory` (created if needed) for this process for the block.

    Raises `DirectoryInUseError` at once, naming the holder, if another process holds it.
    If the block leaves nothing in the directory but a lock file this call created, that
    file goes again, and so do the directories this call created (a run that failed at
    once leaves no trace).
    """
    created = _first_missing(Path(directory))
    lock_existed = (Path(directory) / LOCK_FILE).exists()
    directory = ensure_writable_dir(directory)
    lock = FileLock(directory / LOCK_FILE, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise DirectoryInUseError(f"{directory} is in use by {describe_owner(directory)}; "
                                  "wait for it to finish or stop it") from None
    try:
        remove_stale_temporaries(directory)
        write_text(directory / OWNER_FILE, json.dumps(_owner_record()))
        yield directory
    finally:
        (directory / OWNER_FILE).unlink(missing_ok=True)
        lock.release()
        if not lock_existed and [p.name for p in directory.iterdir()] == [LOCK_FILE]:
            (directory / LOCK_FILE).unlink(missing_ok=True)
            _remove_empty(directory, created)


def _first_missing(path: Path) -> Path | None:
    """The outermost of `path` and its parents that does not exist yet (None: `path` exists)."""
    missing = None
    path = path.absolute()
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing = folder
    return missing


def _remove_empty(directory: Path, outermost: Path | None) -> None:
    """Remove `directory` and its parents up to `outermost` while they are empty."""
    if outermost is None:
        return
    folder = directory.absolute()
    outermost = outermost.absolute()
    while True:
        try:
            folder.rmdir()
        except OSError:
            return
        if folder == outermost or outermost not in folder.parents:
            return
        folder = folder.parent

"""Write files atomically: to a temporary file beside the target, then rename.

Temporary files are named `.<target name>.<random>.hamnet-tmp`; the file renamed into
place gets mode 0666 minus the user's umask (as `open` would give), whatever library wrote
it, so results are as readable as any other file the user writes. A process killed mid-write leaves only such a temporary file, which
`remove_stale_temporaries` clears on the next run.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Iterator

from .errors import OutputError

TEMPORARY_SUFFIX = ".hamnet-tmp"


def _create_temporary(folder: Path, name: str) -> Path:
    """Create an empty, new file `.name.<random>.hamnet-tmp` in `folder` (mode 0666 & ~umask)."""
    for _ in range(100):
        path = folder / f".{name}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}"
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name for {name} in {folder}")


def _umask() -> int:
    """The process's umask (read from /proc where possible: setting it to read it races)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto `target` on success.

    On any error the temporary file is removed and `target` is left untouched.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = _create_temporary(target.parent, target.name)
    except OSError as exc:
        raise OutputError(f"cannot write to {target.parent}: {exc.strerror or exc}") from None
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # whatever mode the writer created it with
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text(target: str | os.PathLike, text: str) -> None:
    """Atomically write `text` (UTF-8) to `target`."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def remove_stale_temporaries(folder: str | os.PathLike) -> None:
    """Delete temporary files that an interrupted write left in `folder` (call it only
    while holding the folder's lock, so no live writer's file is removed)."""
    for path in Path(folder).glob(f".*{TEMPORARY_SUFFIX}"):
        if path.is_file():
            path.unlink(missing_ok=True)


def ensure_writable_dir(path: str | os.PathLike) -> Path:
    """Create `path` if needed and check that files can be written in it."""
    path = Path(path)
    blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise OutputError(f"output directory {path} is not writable: {blocker} is a file, not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise OutputError(f"output directory {path} is not writable: {exc.strerror or exc}") from None
    return path


def check_writable_target(path: str | os.PathLike) -> None:
    """`OutputError` unless the folder `path` exists and is writable or could be created
    (its nearest existing ancestor a writable directory), without creating anything."""
    path = Path(path)
    existing = next(p for p in (path, *path.parents) if p.exists() or p == Path(p.anchor or "."))
    if not existing.is_dir():
        raise OutputError(f"output directory {path} is not writable: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(f"output directory {path} is not writable: no permission to write in {existing}")

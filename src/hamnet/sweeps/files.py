"""Reading a sweep file (TOML), or a built-in sweep by name: no PyTorch needed, so a
missing or malformed file fails at once (`spec.parse_spec` checks what it says)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..errors import InvalidValueError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Sweeps that come with hamnet (`hamnet sweep NAME`): the curves of `builtin/NAME.toml`.
BUILTIN = Path(__file__).parent / "builtin"
#: The keys a sweep file may hold.
KEYS = ("tasks", "models", "seeds", "preset", "set", "grid", "points")


def builtin_names() -> list[str]:
    """The names of the sweeps that come with hamnet."""
    return sorted(p.stem for p in BUILTIN.glob("*.toml"))


def read_spec_file(path: str | Path) -> tuple[dict[str, Any], str]:
    """(the mapping a sweep file holds, its path as text); a built-in sweep's name reads its
    file. Raises `InvalidValueError` for a missing, unreadable or non-TOML file, or an unknown key."""
    path = Path(path)
    if not path.exists() and str(path) in builtin_names():
        path = BUILTIN / f"{path}.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidValueError(f"sweep file {path} does not exist (built-in sweeps: "
                                f"{', '.join(builtin_names())})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidValueError(f"cannot read sweep file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidValueError(f"sweep file {path} is not valid TOML: {exc}") from None
    check_keys(raw, str(path))
    return raw, str(path)


def check_keys(raw: dict[str, Any], where: str) -> None:
    """Raise `InvalidValueError` for the first key a sweep file may not hold."""
    unknown = [key for key in raw if key not in KEYS]
    if unknown:
        raise InvalidValueError(f"{where}: unknown key {unknown[0]!r} (keys: {', '.join(KEYS)})")

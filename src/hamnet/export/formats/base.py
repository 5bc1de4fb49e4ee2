"""What an export format is: a file suffix, the packages it needs, how to write an
`ExportedProgram` to it, and how to run the file it wrote (to check it)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from ...errors import InvalidValueError

#: A written file, run: states x[batch, dim] -> dx/dt[batch, dim] (NumPy, the file's dtype).
Runner = Callable[[np.ndarray], np.ndarray]


class Format:
    """One export format (`hamnet.export.formats.names()`)."""

    name: str = ""
    suffix: str = ""  # the file's suffix, e.g. ".onnx"
    default_name: str = ""  # the file `hamnet export` writes in RUN/export/ unless told
    packages: tuple[str, ...] = ()  # modules it imports, to write and to run the file

    def check_available(self) -> None:
        """`InvalidValueError` (one line) naming what is missing to write this format here."""
        missing = [name for name in self.packages if not _importable(name)]
        if missing:
            raise InvalidValueError(f"export format {self.name!r} needs {', '.join(missing)}, not installed here: "
                                    "pip install 'hamnet[export]'")

    def write(self, program: torch.export.ExportedProgram, path: Path, metadata: dict[str, str]) -> None:
        """Write the traced field to `path` (its suffix is `suffix`), `metadata` inside where the format keeps any."""
        raise NotImplementedError

    def load(self, path: Path) -> Runner:
        """The file at `path` as a function of NumPy states, run by the format's own runtime."""
        raise NotImplementedError


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def first_line(exc: BaseException) -> str:
    """An exception's message, its first non-empty line (exporters' messages run to pages)."""
    return next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)


def as_numpy(value: Any) -> np.ndarray:
    return value.detach().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)

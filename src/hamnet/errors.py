"""Typed errors. The CLI turns every `HamnetError` into one line and exit code 2 (`exit_with`)."""

from __future__ import annotations

import sys
from typing import NoReturn


def exit_with(message: str, code: int = 2) -> NoReturn:
    """Print `message` as one line on stderr (its whitespace folded), prefixed `hamnet:`,
    and exit with `code` (2: bad input)."""
    print(f"hamnet: {' '.join(message.split())}", file=sys.stderr)
    raise SystemExit(code)


class HamnetError(Exception):
    """Base class: a problem the user can act on (bad input, missing file, ...)."""


class UnknownNameError(HamnetError):
    """An unknown task, model, integrator or preset name."""


class InvalidValueError(HamnetError):
    """A setting out of its valid range (non-positive steps, wrong shapes, ...)."""


class DataFileError(HamnetError):
    """A data file that is missing or malformed."""


class RunDirectoryError(HamnetError):
    """A run directory with a missing or corrupt file."""


class OutputError(HamnetError):
    """An output location that cannot be written."""


class TrainingDivergedError(HamnetError):
    """A non-finite loss appeared during training."""


class DirectoryInUseError(HamnetError):
    """An output directory that another hamnet process is writing."""


class SingularLagrangianError(TrainingDivergedError):
    """A learned Lagrangian whose velocity Hessian is singular at some states (LNN)."""

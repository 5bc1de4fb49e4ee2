"""A user's trajectories in a file (`hamnet.data.files`): the task `file`, with a
Hamiltonian the user writes (`hamnet.expression`) when the true energy is known."""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ..errors import DataFileError, InvalidValueError
from .base import EnergyProtocol, System

#: Options of the task (`RunConfig.system_options`, `hamnet train --data ...`).
OPTIONS = ("path", "coords", "momenta", "hamiltonian", "sha256")


@dataclass(frozen=True)
class FileRecipe:
    """How a trajectory file becomes a training set (`hamnet.data.measured`).

    `derivative`: how dx/dt is estimated where the file has none (`hamnet.data.derivatives`:
    forward, central, gradient, spline). `test_fraction`: the share of whole trajectories
    held out (seeded), or of a single trajectory's samples, its last ones.
    """

    derivative: str = "spline"
    test_fraction: float = 0.2

    def __post_init__(self) -> None:
        from ..data.derivatives import METHODS

        if self.derivative not in METHODS:
            raise InvalidValueError(f"unknown derivative estimate {self.derivative!r}; use {', '.join(METHODS)}")
        if not 0.0 < self.test_fraction < 1.0:
            raise InvalidValueError(f"the test fraction must be between 0 and 1, got {self.test_fraction}")


@functools.lru_cache(maxsize=8)
def _read(path: str, stamp: tuple[int, int], coords: tuple[str, ...] | None, momenta: tuple[str, ...] | None):
    from ..data.files import read_trajectories

    return read_trajectories(path, coords, momenta)


def read_file(path: str | Path, coords: tuple[str, ...] | None = None, momenta: tuple[str, ...] | None = None):
    """`hamnet.data.files.read_trajectories`, read once per process while the file is unchanged."""
    try:
        status = Path(path).stat()
    except OSError as err:
        raise DataFileError(f"cannot read trajectory file {path}: {err.strerror or err}") from None
    return _read(str(path), (status.st_mtime_ns, status.st_size), coords, momenta)


class MeasuredSystem(System):
    """Trajectories from a file; dim, coordinate names and the plot range come from it.

    With a `hamiltonian` expression of the file's coordinates its energy and field are
    known (energy metrics, true-field figures); without, `has_energy` is False and only
    what the data show is scored. The evaluation rolls out from each test trajectory's
    first sample over its own times (`EnergyProtocol.on_test_segment`).
    """

    name = "file"
    dim = 2
    description = "your trajectories: hamnet train --data FILE.npz|FILE.csv [--hamiltonian EXPR]"
    data_source = "file"
    recipe = FileRecipe()
    energy_protocol = EnergyProtocol(n_states=1, on_test_segment=True)

    def __init__(self, path: str | None = None, coords: list[str] | None = None, momenta: list[str] | None = None,
                 hamiltonian: str | None = None, sha256: str | None = None) -> None:
        if path is None:
            raise InvalidValueError("task 'file' needs a trajectory file: hamnet train --data FILE ...")
        from ..expression import HamiltonianExpression

        self.path = str(Path(path).resolve())
        data = read_file(self.path, tuple(coords) if coords else None, tuple(momenta) if momenta else None)
        if sha256 is not None and data.digest != sha256:
            raise DataFileError(f"{self.path} changed since this run was configured (its sha256 is {data.digest[:12]}…, "
                                f"the run's {sha256[:12]}…): restore it, or train a new run")
        self.given_names = (list(coords), list(momenta)) if coords else None
        self.coords, self.momenta, self.dim, self.digest = data.coords, data.momenta, data.dim, data.digest
        self._label = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(path).stem) or "file"
        self.expression = HamiltonianExpression.parse(hamiltonian, data.coords, data.momenta) if hamiltonian else None
        self.has_energy = self.expression is not None
        self.separable = bool(self.expression and self.expression.separable)
        self.masses, self.constant_mass = data.masses, self.expression is None
        self._states = torch.cat(data.x)
        self._low, self._high = self._states.min(dim=0).values, self._states.max(dim=0).values
        self._span = max(float(t[-1] - t[0]) for t in data.t)
        self._step = float(torch.cat([t[1:] - t[:-1] for t in data.t]).median())

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> "MeasuredSystem":
        unknown = [key for key in options if key not in OPTIONS]
        if unknown:
            raise InvalidValueError(f"task 'file' has no option {unknown[0]!r} (options: {', '.join(OPTIONS)})")
        return cls(**options)

    def options(self) -> dict[str, Any]:
        coords, momenta = self.given_names or (None, None)
        return {"path": self.path, "coords": coords, "momenta": momenta,
                "hamiltonian": self.expression.text if self.expression else None, "sha256": self.digest}

    @property
    def label(self) -> str:
        """The file's name without its suffix."""
        return self._label

    @property
    def cache_name(self) -> str:
        """The file's name and a digest of its contents and the given names and H."""
        options = self.options()
        key = json.dumps([self.digest, options["coords"], options["momenta"], options["hamiltonian"]])
        return f"{self._label}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"

    def training_span(self, recipe: dict[str, Any], protocol: dict[str, Any]) -> tuple[float, float] | None:
        """The longest trajectory's span and the median time step, where the given H is the
        true one (`EnergyProtocol.reference_flow`); else None (no true flow to compare with)."""
        return (self._span, self._step) if protocol.get("reference_flow") and self.has_energy else None

    def sample_evaluation_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """States drawn from the file's samples (without replacement while there are
        enough): the long-horizon metrics' starts, on the data's own distribution."""
        pick = torch.randperm(self._states.shape[0], generator=generator)[:n] if n <= self._states.shape[0] \
            else torch.randint(self._states.shape[0], (n,), generator=generator)
        return self._states[pick]

    def mass_matrix(self, q: Tensor) -> Tensor:
        """From the given H (`System.mass_matrix`); without one, diag(the file's `masses`),
        else the identity (p = q̇).  q[..., n] -> [..., n, n]."""
        if self.expression is not None:
            return super().mass_matrix(q)
        n = self.dim // 2
        masses = self.masses if self.masses is not None else torch.ones(n, dtype=torch.float64)
        return torch.diag(masses.to(q)).expand(*q.shape[:-1], n, n)

    def hamiltonian(self, x: Tensor) -> Tensor:
        if self.expression is None:
            raise InvalidValueError(f"{self.path}: no Hamiltonian is known for these data (pass --hamiltonian EXPR)")
        return self.expression(x)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """States uniform in the data's bounding box (for figures).  -> [n, dim] float64."""
        return self._low + (self._high - self._low) * torch.rand(n, self.dim, generator=generator, dtype=torch.float64)

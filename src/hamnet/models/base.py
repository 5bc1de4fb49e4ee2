"""What every dynamics model offers: a time derivative on a batch of states."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class DynamicsModel(nn.Module):
    """A learned vector field.  Subclasses implement `_time_derivative` in the parameter dtype."""

    kind: str = ""   # the registry name (`hamnet.models.names()`)
    title: str = ""  # how tables and legends name it
    color: str = "tab:gray"  # its colour in every figure (a Matplotlib colour)
    description: str = ""  # one line for `hamnet models`
    #: Whether dq/dt depends on p alone and dp/dt on q alone (leapfrog applies).
    separable: bool = False
    #: Whether it works with velocities and needs the system's mass matrix (`kinematics`).
    needs_kinematics: bool = False
    #: Whether it imposes the system's constraints and needs them (`constraints`).
    needs_constraints: bool = False
    #: Whether several runs of it may train as one `vmap`-ed stack (`hamnet.training`).
    stackable: bool = True

    def __init__(self, dim: int, hidden: tuple[int, ...], residual: bool = False):
        super().__init__()
        self.dim = dim
        self.hidden = tuple(hidden)
        self.residual = residual  # residual hidden layers (`MLP`)

    def spec(self) -> dict[str, Any]:
        """Everything needed to rebuild this model (saved in a run's config.json)."""
        return {"kind": self.kind, "dim": self.dim, "hidden": list(self.hidden), "residual": self.residual}

    @property
    def dtype(self) -> torch.dtype:
        """The parameters' dtype; kept, since a rollout asks at every field evaluation, and
        renewed by `.to`, `.double()` and the like (all go through `_apply`)."""
        if "_dtype" not in self.__dict__:
            self.__dict__["_dtype"] = next(self.parameters()).dtype
        return self.__dict__["_dtype"]

    def _apply(self, fn: Any, recurse: bool = True) -> "DynamicsModel":
        self.__dict__.pop("_dtype", None)
        return super()._apply(fn, recurse)

    def time_derivative(self, x: Tensor) -> Tensor:
        """dx/dt.  x[batch, dim] (float32 or float64) -> [batch, dim] in x's dtype.

        Computed in the parameters' dtype; call `.double()` on the model for float64 math.
        """
        out = self._time_derivative(x.to(self.dtype))
        return out.to(x.dtype)

    def _time_derivative(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def encode(self, x: Tensor) -> Tensor:
        """Observation -> state the dynamics act on (identity for state-space models)."""
        return x

    def coordinates(self, x: Tensor) -> Tensor:
        """State -> the system's coordinates (identity for state-space models)."""
        return x

    def from_coordinates(self, coords: Tensor) -> Tensor:
        """The system's coordinates -> state (the inverse of `coordinates`)."""
        return coords

    def fit_latent_scale(self, x: Tensor) -> None:
        """Fit, before training, the scale the dynamics see states in, from training
        observations `x` (nothing to fit here)."""

    def fit_readout(self, x: Tensor, coords: Tensor) -> None:
        """Fit the map from states to the system's coordinates (nothing to fit here)."""

    @property
    def solve_size(self) -> int:
        """Unknowns its field solves for per state (0: none; a velocity model: its n velocities;
        the export tolerance counts their eliminations, `hamnet.export.check.tolerance`)."""
        return self.dim // 2 if self.needs_kinematics else 0

    @property
    def has_hamiltonian(self) -> bool:
        """Whether `hamiltonian(x)` (a learned energy) exists."""
        return hasattr(self, "hamiltonian")

    def forward(self, x: Tensor) -> Tensor:
        """`model(x)` is `time_derivative(x)`: x [batch, dim] -> dx/dt [batch, dim]."""
        return self.time_derivative(x)

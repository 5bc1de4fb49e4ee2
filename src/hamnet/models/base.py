"""What every dynamics model offers: a time derivative on a batch of states."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn


class DynamicsModel(nn.Module):
    """A learned vector field.  Subclasses implement `_time_derivative` in the parameter dtype."""

    kind: str = ""

    def __init__(self, dim: int, hidden: tuple[int, ...]):
        super().__init__()
        self.dim = dim
        self.hidden = tuple(hidden)

    def spec(self) -> dict[str, Any]:
        """Everything needed to rebuild this model (saved in a run's config.json)."""
        return {"kind": self.kind, "dim": self.dim, "hidden": list(self.hidden)}

    @property
    def dtype(self) -> torch.dtype:
        return next(self.parameters()).dtype

    def time_derivative(self, x: Tensor) -> Tensor:
        """dx/dt.  x[batch, dim] (float32 or float64) -> [batch, dim] in x's dtype.

        Computed in the parameters' dtype; call `.double()` on the model for float64 math.
        """
        out = self._time_derivative(x.to(self.dtype))
        return out.to(x.dtype)

    def _time_derivative(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def loss(self, x: Tensor, dxdt: Tensor) -> Tensor:
        """Training objective: MSE of dx/dt over batch and state dimensions (a scalar)."""
        return (self.time_derivative(x) - dxdt).pow(2).mean()

    def forward(self, x: Tensor) -> Tensor:
        return self.time_derivative(x)

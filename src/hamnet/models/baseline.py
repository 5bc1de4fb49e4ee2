"""The paper's baseline: an MLP that regresses dx/dt directly."""

from __future__ import annotations

import torch
from torch import Tensor

from .base import DynamicsModel
from .mlp import MLP


class Baseline(DynamicsModel):
    """x[batch, dim] -> dx/dt[batch, dim] by a plain MLP."""

    kind, title, color = "baseline", "Baseline", "tab:red"
    description = "MLP regressing dx/dt directly (the paper's baseline)"

    def __init__(self, dim: int, hidden: tuple[int, ...] = (200, 200),
                 generator: torch.Generator | None = None, residual: bool = False):
        super().__init__(dim, hidden, residual)
        self.net = MLP(dim, dim, hidden, generator=generator, residual=residual)

    def _time_derivative(self, x: Tensor) -> Tensor:
        return self.net(x)

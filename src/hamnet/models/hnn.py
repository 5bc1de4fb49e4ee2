"""Hamiltonian Neural Network: an MLP learns H(q, p); dx/dt = J ∇H."""

from __future__ import annotations

import torch
from torch import Tensor

from ..hamiltonian import symplectic_gradient
from .base import DynamicsModel
from .mlp import MLP


class HNN(DynamicsModel):
    """H_θ: x[batch, dim] -> [batch];  dx/dt = J ∇H_θ (dq/dt = ∂H/∂p, dp/dt = -∂H/∂q).

    ∇H_θ is the MLP's closed-form input gradient (`MLP.input_gradient`): the same
    numbers as double backprop, built from plain tensor ops, so training needs one ordinary
    backward and several runs can be trained at once under `torch.func.vmap`.
    """

    kind, title, color = "hnn", "HNN", "tab:blue"
    description = "Hamiltonian neural network: dx/dt = J grad H (Greydanus et al. 2019)"

    def __init__(self, dim: int, hidden: tuple[int, ...] = (200, 200),
                 generator: torch.Generator | None = None, residual: bool = False):
        super().__init__(dim, hidden, residual)
        self.net = MLP(dim, 1, hidden, generator=generator, residual=residual)

    def hamiltonian(self, x: Tensor) -> Tensor:
        """Learned energy.  x[batch, dim] -> [batch] in x's dtype."""
        return self.net(x.to(self.dtype)).squeeze(-1).to(x.dtype)

    def _time_derivative(self, x: Tensor) -> Tensor:
        return symplectic_gradient(self.net.input_gradient(x))

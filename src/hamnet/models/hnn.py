"""Hamiltonian Neural Network: an MLP learns H(q, p); dx/dt = J ∇H."""

from __future__ import annotations

import torch
from torch import Tensor

from ..hamiltonian import hamiltonian_vector_field
from .base import DynamicsModel
from .mlp import MLP


class HNN(DynamicsModel):
    """H_θ: x[batch, dim] -> [batch];  dx/dt = J ∇H_θ (dq/dt = ∂H/∂p, dp/dt = -∂H/∂q).

    The gradient is taken in-graph: under `torch.enable_grad()` the result is
    differentiable with respect to the parameters (double backprop in training);
    under `torch.no_grad()` no graph is kept.
    """

    kind = "hnn"

    def __init__(self, dim: int, hidden: tuple[int, ...] = (200, 200),
                 generator: torch.Generator | None = None):
        super().__init__(dim, hidden)
        self.net = MLP(dim, 1, hidden, generator=generator)

    def hamiltonian(self, x: Tensor) -> Tensor:
        """Learned energy.  x[batch, dim] -> [batch] in x's dtype."""
        return self.net(x.to(self.dtype)).squeeze(-1).to(x.dtype)

    def _time_derivative(self, x: Tensor) -> Tensor:
        create_graph = torch.is_grad_enabled()
        return hamiltonian_vector_field(lambda z: self.net(z).squeeze(-1), x, create_graph=create_graph)

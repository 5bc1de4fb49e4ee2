"""Dissipative HNN (Sosanya & Greydanus 2022): a learned energy H and a learned dissipation
potential D; dx/dt = J ∇H + ∇D (the Helmholtz split of a field into its conservative,
divergence-free part and its irrotational part)."""

from __future__ import annotations

import torch
from torch import Tensor

from ..hamiltonian import symplectic_gradient
from .base import DynamicsModel
from .mlp import MLP


class DHNN(DynamicsModel):
    """H_θ, D_φ: x[batch, dim] -> [batch] each (two MLPs);  dx/dt = J ∇H_θ + ∇D_φ.

    J ∇H conserves H; ∇D carries whatever the data do that no energy-conserving flow can
    (friction, driving). Both gradients are the MLPs' closed-form input gradients, so
    training needs one ordinary backward and runs stack under `torch.func.vmap`.
    """

    kind, title, color = "dhnn", "D-HNN", "tab:green"
    description = "dissipative HNN: dx/dt = J grad H + grad D (Sosanya & Greydanus 2022)"

    def __init__(self, dim: int, hidden: tuple[int, ...] = (200, 200),
                 generator: torch.Generator | None = None, residual: bool = False):
        super().__init__(dim, hidden, residual)
        self.h_net = MLP(dim, 1, hidden, generator=generator, residual=residual)
        self.d_net = MLP(dim, 1, hidden, generator=generator, residual=residual)

    def hamiltonian(self, x: Tensor) -> Tensor:
        """Learned energy (the conservative part).  x[batch, dim] -> [batch] in x's dtype."""
        return self.h_net(x.to(self.dtype)).squeeze(-1).to(x.dtype)

    def dissipation(self, x: Tensor) -> Tensor:
        """Learned dissipation potential.  x[batch, dim] -> [batch] in x's dtype."""
        return self.d_net(x.to(self.dtype)).squeeze(-1).to(x.dtype)

    def conservative_field(self, x: Tensor) -> Tensor:
        """J ∇H.  x[batch, dim] -> [batch, dim] in x's dtype."""
        return symplectic_gradient(self.h_net.input_gradient(x.to(self.dtype))).to(x.dtype)

    def dissipative_field(self, x: Tensor) -> Tensor:
        """∇D.  x[batch, dim] -> [batch, dim] in x's dtype."""
        return self.d_net.input_gradient(x.to(self.dtype)).to(x.dtype)

    def _time_derivative(self, x: Tensor) -> Tensor:
        return symplectic_gradient(self.h_net.input_gradient(x)) + self.d_net.input_gradient(x)

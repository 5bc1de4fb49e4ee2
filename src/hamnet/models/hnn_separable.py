"""Separable HNN (as SRNN, Chen et al. 2020): H(q, p) = T(p) + V(q) from two networks, so
that symplectic leapfrog and Yoshida steps apply to the learned field."""

from __future__ import annotations

import torch
from torch import Tensor

from .base import DynamicsModel
from .mlp import MLP


class SeparableHNN(DynamicsModel):
    """T_θ(p), V_φ(q): [batch, dim/2] -> [batch] each;  dq/dt = ∂T/∂p, dp/dt = −∂V/∂q.

    dq/dt depends on p alone and dp/dt on q alone (`separable`), which is what
    `leapfrog`/`yoshida4` need; both gradients are the MLPs' closed-form input gradients.
    """

    kind, title, color = "hnn-separable", "HNN (T + V)", "tab:cyan"
    description = "separable HNN: H = T(p) + V(q) from two networks (as SRNN), for leapfrog"
    separable = True

    def __init__(self, dim: int, hidden: tuple[int, ...] = (200, 200),
                 generator: torch.Generator | None = None, residual: bool = False):
        super().__init__(dim, hidden, residual)
        self.kinetic = MLP(dim // 2, 1, hidden, generator=generator, residual=residual)
        self.potential = MLP(dim // 2, 1, hidden, generator=generator, residual=residual)

    def hamiltonian(self, x: Tensor) -> Tensor:
        """Learned energy T(p) + V(q).  x[batch, dim] -> [batch] in x's dtype."""
        q, p = x.to(self.dtype).chunk(2, dim=-1)
        return (self.kinetic(p) + self.potential(q)).squeeze(-1).to(x.dtype)

    def position_rate(self, p: Tensor) -> Tensor:
        """dq/dt = ∂T/∂p from the momenta alone.  p[batch, dim/2] -> [batch, dim/2] in p's dtype."""
        return self.kinetic.input_gradient(p.to(self.dtype)).to(p.dtype)

    def momentum_rate(self, q: Tensor) -> Tensor:
        """dp/dt = −∂V/∂q from the positions alone.  q[batch, dim/2] -> [batch, dim/2] in q's dtype."""
        return (-self.potential.input_gradient(q.to(self.dtype))).to(q.dtype)

    def _time_derivative(self, x: Tensor) -> Tensor:
        q, p = x.chunk(2, dim=-1)
        return torch.cat([self.kinetic.input_gradient(p), -self.potential.input_gradient(q)], dim=-1)

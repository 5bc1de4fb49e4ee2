"""Second-order model (Gruver et al. 2022): an MLP predicts the acceleration q̈ from
(q, q̇); q̇ itself comes from the momenta by the system's mass matrix."""

from __future__ import annotations

import torch
from torch import Tensor

from .base import DynamicsModel
from .kinematics import Kinematics
from .mlp import MLP


class SecondOrder(DynamicsModel):
    """x = [q, p] -> q̇ = M(q)⁻¹ p (exact), q̈ = a_θ(q, q̇), ṗ = d/dt (M(q) q̇)."""

    kind, title, color = "second-order", "2nd-order", "tab:olive"
    description = "MLP for the acceleration from (q, q-dot) (Gruver et al. 2022)"
    needs_kinematics = True

    def __init__(self, dim: int, hidden: tuple[int, ...] = (200, 200), generator: torch.Generator | None = None,
                 residual: bool = False, kinematics: Kinematics | None = None):
        super().__init__(dim, hidden, residual)
        self.kinematics = kinematics
        self.net = MLP(dim, dim // 2, hidden, generator=generator, residual=residual)

    def _time_derivative(self, x: Tensor) -> Tensor:
        q, p = x.chunk(2, dim=-1)
        velocity = self.kinematics.velocity(q, p)
        acceleration = self.net(torch.cat([q, velocity], dim=-1))
        return torch.cat([velocity, self.kinematics.momentum_rate(q, velocity, acceleration)], dim=-1)

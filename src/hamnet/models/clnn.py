"""Constrained LNN (Finzi, Wang & Wilson 2020): L_θ(x, v) = ½ Σ_i m_i |v_i|² − V_θ(x) in
Cartesian coordinates, the constraints imposed exactly by Lagrange multipliers: the bodies
accelerate under −∇V_θ and the constraint forces that keep Φ̈ = 0
(`DistanceConstraints.acceleration`: one small solve per state, batched). The network
learns only the potential and each body's mass, as CHNN does, but works with velocities:
v = M⁻¹ p from the system's masses (`Kinematics`, as the LNN), and ṗ = M a."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .base import DynamicsModel
from .kinematics import Kinematics
from .mlp import MLP


class CLNN(DynamicsModel):
    """x = [positions (n·d), momenta (n·d)];  V_θ: MLP of the positions, learned masses
    m_i = exp(μ_i) per body. `constraints`: the system's `DistanceConstraints`;
    `kinematics`: its (constant) mass matrix, to read velocities from momenta."""

    kind, title, color = "clnn", "CLNN", "tab:olive"
    description = "constrained LNN: Cartesian L = T - V with rod constraints by Lagrange multipliers (Finzi et al. 2020)"
    needs_constraints = True
    needs_kinematics = True
    stackable = False

    def __init__(self, dim: int, hidden: tuple[int, ...] = (200, 200), generator: torch.Generator | None = None,
                 residual: bool = False, constraints=None,  # noqa: ANN001 (a DistanceConstraints)
                 kinematics: Kinematics | None = None) -> None:
        super().__init__(dim, hidden, residual)
        self.constraints, self.kinematics = constraints, kinematics
        self.potential = MLP(dim // 2, 1, hidden, generator=generator, residual=residual)
        self.log_mass = nn.Parameter(torch.zeros(constraints.bodies))

    @property
    def solve_size(self) -> int:
        """One C × C system per state, C the constraints (`DistanceConstraints.acceleration`)."""
        return self.constraints.count

    def inverse_mass(self) -> Tensor:
        """The learned 1/m of every coordinate's body.  -> [n·d]."""
        return torch.exp(-self.log_mass).repeat_interleave(self.constraints.d)

    def lagrangian(self, positions: Tensor, velocity: Tensor) -> Tensor:
        """½ Σ m_i |v_i|² − V_θ.  positions, velocity [..., n·d] -> [...]."""
        return 0.5 * (velocity * velocity / self.inverse_mass()).sum(-1) - self.potential(positions).squeeze(-1)

    def _time_derivative(self, x: Tensor) -> Tensor:
        positions, p = x.chunk(2, dim=-1)
        velocity = self.kinematics.velocity(positions, p)
        force = -self.potential.input_gradient(positions)
        acceleration = self.constraints.acceleration(force, positions, velocity, self.inverse_mass())
        return torch.cat([velocity, self.kinematics.momentum_rate(positions, velocity, acceleration)], dim=-1)

"""Constrained HNN (Finzi, Wang & Wilson 2020): H_θ(x, p) = ½ Σ_i |p_i|² / m_i + V_θ(x)
in Cartesian coordinates, the constraints imposed exactly by Lagrange multipliers, so the
network learns only the potential and each body's mass; the field is J∇H_θ projected onto
the constraint manifold in closed form (`DistanceConstraints.project_field`: two small
solves per state, batched)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .base import DynamicsModel
from .mlp import MLP


class CHNN(DynamicsModel):
    """x = [positions (n·d), momenta (n·d)];  V_θ: MLP of the positions, masses m_i =
    exp(μ_i) learned per body (a constant positive definite mass matrix, as CHNN's point
    masses). `constraints`: the system's `DistanceConstraints` (its lengths are not used:
    the field needs only which bodies are tied, the state carries the rest)."""

    kind, title, color = "chnn", "CHNN", "tab:pink"
    description = "constrained HNN: Cartesian H with rod constraints by Lagrange multipliers (Finzi et al. 2020)"
    needs_constraints = True
    stackable = False

    def __init__(self, dim: int, hidden: tuple[int, ...] = (200, 200), generator: torch.Generator | None = None,
                 residual: bool = False, constraints=None) -> None:  # noqa: ANN001 (a DistanceConstraints)
        super().__init__(dim, hidden, residual)
        self.constraints = constraints
        self.potential = MLP(dim // 2, 1, hidden, generator=generator, residual=residual)
        self.log_mass = nn.Parameter(torch.zeros(constraints.bodies))

    @property
    def solve_size(self) -> int:
        """Two C × C systems per state, C the constraints (`DistanceConstraints.project_field`)."""
        return 2 * self.constraints.count

    def inverse_mass(self) -> Tensor:
        """1/m of every coordinate's body.  -> [n·d]."""
        return torch.exp(-self.log_mass).repeat_interleave(self.constraints.d)

    def hamiltonian(self, x: Tensor) -> Tensor:
        """½ Σ |p_i|²/m_i + V_θ(positions).  x[batch, dim] -> [batch] in x's dtype."""
        positions, p = x.to(self.dtype).chunk(2, dim=-1)
        kinetic = 0.5 * (p * p * self.inverse_mass()).sum(-1)
        return (kinetic + self.potential(positions).squeeze(-1)).to(x.dtype)

    def _time_derivative(self, x: Tensor) -> Tensor:
        positions, p = x.chunk(2, dim=-1)
        inverse_mass = self.inverse_mass()
        velocity = p * inverse_mass
        free = torch.cat([velocity, -self.potential.input_gradient(positions)], dim=-1)
        return self.constraints.project_field(free, positions, velocity, inverse_mass)

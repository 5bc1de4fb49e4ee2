"""N spherical pendulums in a row, neighbours joined by springs, in 3-D Cartesian coordinates
with constraints: CHNN's `CoupledPendulum` (Finzi, Wang & Wilson 2020).

Bob i (mass 1) hangs on a rod of length 1 from the pivot (i, 0, 0); neighbouring bobs are
joined by springs of stiffness 10 and rest length 1 (the pivots' spacing); gravity 9.81
along −z. V = g Σ m_i z_i + Σ ½ k (|x_{i+1} − x_i| − 1)². Initial states as theirs: per bob
φ = π + 0.3 N(0, 1), θ = π/2 + 0.3 N(0, 1), both rates 0.3 N(0, 1) (`spherical_bobs`).
"""

from __future__ import annotations

import torch
from torch import Tensor

from .base import EnergyProtocol, TrajectoryRecipe
from .bodies import ConstrainedBodies, spherical_bobs
from .constraints import DistanceConstraints
from .pendulum_chain import parse_links


class CoupledPendulum(ConstrainedBodies):
    """`coupled-pendulum:N` (N bobs, default 3)."""

    name = "coupled-pendulum"
    bobs = 3
    d = 3
    stiffness = 10.0
    description = "N spherical pendulums in a row joined by springs, 3-D Cartesian with rod constraints (CHNN's)"
    recipe = TrajectoryRecipe(n_trajectories=200, t_end=4.95, n_points=100, noise_std=0.0)
    energy_protocol = EnergyProtocol(n_states=15, t_end=4.95, n_points=100)

    def __init__(self, bobs: int | None = None) -> None:
        if bobs is not None:
            self.bobs = bobs
        self.dim = 6 * self.bobs
        self.masses = (1.0,) * self.bobs
        self.pivots = tuple((float(i), 0.0, 0.0) for i in range(self.bobs))
        self.constraints = DistanceConstraints(self.bobs, 3, tuple(range(self.bobs)), (-1,) * self.bobs,
                                               (1.0,) * self.bobs, self.pivots)

    @classmethod
    def from_parameter(cls, text: str) -> "CoupledPendulum":
        """`coupled-pendulum:N`: N bobs, 1 ≤ N ≤ 20."""
        return cls(parse_links(cls.name, text))

    @property
    def label(self) -> str:
        return f"{self.name}-{self.bobs}"

    @property
    def cache_name(self) -> str:
        return self.label

    def potential(self, positions: Tensor) -> Tensor:
        """Gravity plus the springs between neighbours.  positions [..., 3N] -> [...]."""
        bobs = positions.reshape(*positions.shape[:-1], self.bobs, 3)
        stretch = (bobs[..., 1:, :] - bobs[..., :-1, :]).norm(dim=-1) - 1.0
        return self.gravity_potential(positions) + 0.5 * self.stiffness * (stretch * stretch).sum(-1)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """As CHNN samples (module docstring).  -> [n, 6N] float64."""
        draws = 0.3 * torch.randn(n, 2, self.bobs, 2, generator=generator, dtype=torch.float64)
        angles = draws[:, 0] + torch.tensor([torch.pi, torch.pi / 2], dtype=torch.float64)
        offsets, velocities = spherical_bobs(angles, draws[:, 1])
        positions = offsets + torch.tensor(self.pivots, dtype=torch.float64).flatten()
        return self.from_velocities(positions, velocities)

    def body_positions(self, x: Tensor) -> Tensor:
        """The bobs seen from the side, (x, z).  x[..., 6N] -> [..., N, 2]."""
        return x[..., :3 * self.bobs].reshape(*x.shape[:-1], self.bobs, 3)[..., [0, 2]]

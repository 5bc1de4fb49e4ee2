"""A spherical pendulum whose bob, a magnetic dipole, swings over fixed magnets, in 3-D
Cartesian coordinates with a constraint: CHNN's `MagnetPendulum` (Finzi, Wang & Wilson 2020).

The bob (mass 3) hangs on a rod of length 1 from the origin; gravity 9.81 along −z. Its
dipole points along the rod, m_0 = q r_0 / |r_0|² (q = 0.3); two magnets sit at
(±0.1, 0, −1.05), dipoles q ẑ. The potential is their code's dipole term, written out:
V = g m z + Σ_i (−3 (m_0·r_i)(m_i·r_i) − |r_i|² (m_0·m_i)) / (4π |r_i|⁵), r_i = a_i − r_0.
Initial states as theirs: φ = π + 0.3 N(0, 1), φ̇ = 0.05 N(0, 1), θ = π/2 + 0.2 N(0, 1),
θ̇ = 0.4 N(0, 1) (`spherical_bobs`); their time step 0.05 over 5 time units.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .base import EnergyProtocol, TrajectoryRecipe
from .bodies import ConstrainedBodies, ring, spherical_bobs
from .constraints import DistanceConstraints


class MagnetPendulum(ConstrainedBodies):
    """`magnet-pendulum`."""

    name = "magnet-pendulum"
    d = 3
    dim = 6
    masses = (3.0,)
    moment = 0.3
    magnets = tuple(ring(2, 0.1, -1.05))
    description = "spherical pendulum with a magnetic bob over two magnets, 3-D Cartesian with a rod constraint (CHNN's)"
    recipe = TrajectoryRecipe(n_trajectories=200, t_end=4.95, n_points=100, noise_std=0.0)
    energy_protocol = EnergyProtocol(n_states=15, t_end=4.95, n_points=100)

    def __init__(self) -> None:
        self.constraints = DistanceConstraints(1, 3, (0,), (-1,), (1.0,), ((0.0, 0.0, 0.0),))

    def potential(self, positions: Tensor) -> Tensor:
        """Gravity plus the dipoles' energy (module docstring).  positions [..., 3] -> [...]."""
        magnets = positions.new_tensor(self.magnets)  # [k, 3]
        dipole = self.moment * positions / (positions * positions).sum(-1, keepdim=True)  # m_0 [..., 3]
        r = magnets - positions.unsqueeze(-2)  # [..., k, 3]
        along_bob = (dipole.unsqueeze(-2) * r).sum(-1)
        along_magnet = self.moment * r[..., 2]  # m_i = q ẑ
        both = self.moment * dipole[..., 2].unsqueeze(-1)
        distance2 = (r * r).sum(-1)
        energy = (-3 * along_bob * along_magnet - distance2 * both) / (4 * math.pi * distance2 ** 2.5)
        return self.gravity_potential(positions) + energy.sum(-1)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """As CHNN samples (module docstring).  -> [n, 6] float64."""
        draws = torch.randn(n, 1, 4, generator=generator, dtype=torch.float64)
        angles = torch.stack([torch.pi + 0.3 * draws[..., 0], torch.pi / 2 + 0.2 * draws[..., 1]], dim=-1)
        rates = torch.stack([0.05 * draws[..., 2], 0.4 * draws[..., 3]], dim=-1)
        positions, velocities = spherical_bobs(angles, rates)
        return self.from_velocities(positions, velocities)

    def body_positions(self, x: Tensor) -> Tensor:
        """The bob seen from above, (x, y).  x[..., 6] -> [..., 1, 2]."""
        return x[..., :2].unsqueeze(-2)

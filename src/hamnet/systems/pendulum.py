"""Ideal pendulum: H = 3 (1 - cos q) + p² (the paper's units: 2 m g l = 3, m l² = 1/2)."""

from __future__ import annotations

import torch
from torch import Tensor

from ..render.shapes import Drawing, Rod
from .base import EnergyProtocol, System, TrajectoryRecipe, sample_annulus, sample_pushed_box


class Pendulum(System):
    name = "pendulum"
    dim = 2
    separable = True  # H = T(p) + V(q)
    description = "ideal pendulum, H = 3(1 - cos q) + p^2"
    recipe = TrajectoryRecipe(n_trajectories=50, t_end=3.0, n_points=45, noise_std=0.1)
    energy_protocol = EnergyProtocol(n_states=15, t_end=20.0, n_points=100)

    def hamiltonian(self, x: Tensor) -> Tensor:
        q, p = x[..., 0], x[..., 1]
        return 3 * (1 - torch.cos(q)) + p**2

    def vector_field(self, x: Tensor) -> Tensor:
        q, p = x[..., 0], x[..., 1]
        return torch.stack([2 * p, -3 * torch.sin(q)], dim=-1)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        return sample_annulus(n, 1.3, 2.3, generator)

    def sample_evaluation_initial(self, n: int, generator: torch.Generator) -> Tensor:
        return sample_pushed_box(n, self.dim, generator)

    def drawing(self, x: Tensor) -> Drawing:
        """A unit rod hanging from the pivot at the origin, at angle q.  x [N, 2]."""
        q = x[..., 0]
        bob = torch.stack([torch.sin(q), -torch.cos(q)], dim=-1)
        return Drawing([Rod(torch.zeros_like(bob), bob, 0.1)], half_width=1.2)

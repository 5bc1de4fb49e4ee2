"""Ideal mass-spring: H = q² + p² (the paper's units: k = 2, m = 1/2)."""

from __future__ import annotations

import torch
from torch import Tensor

from ..render.shapes import Block, Drawing
from .base import EnergyProtocol, System, TrajectoryRecipe, sample_annulus, sample_pushed_box


class Spring(System):
    name = "spring"
    dim = 2
    separable = True  # H = T(p) + V(q)
    description = "ideal mass-spring, H = q^2 + p^2"
    recipe = TrajectoryRecipe(n_trajectories=50, t_end=3.0, n_points=30, noise_std=0.1)
    energy_protocol = EnergyProtocol(n_states=15, t_end=20.0, n_points=100)

    def hamiltonian(self, x: Tensor) -> Tensor:
        q, p = x[..., 0], x[..., 1]
        return q**2 + p**2

    def vector_field(self, x: Tensor) -> Tensor:
        q, p = x[..., 0], x[..., 1]
        return torch.stack([2 * p, -2 * q], dim=-1)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        return sample_annulus(n, 0.1, 1.0, generator)

    def sample_evaluation_initial(self, n: int, generator: torch.Generator) -> Tensor:
        return sample_pushed_box(n, self.dim, generator)

    def drawing(self, x: Tensor) -> Drawing:
        """A block at (q, 0), sliding along the x axis.  x [N, 2]."""
        centre = torch.stack([x[..., 0], torch.zeros_like(x[..., 0])], dim=-1)
        return Drawing([Block(centre, (0.2, 0.4))], half_width=1.6)

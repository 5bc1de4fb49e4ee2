"""Between canonical (q, p) and (q, q̇): written once for every model that works with
velocities (`second-order`, `lnn`), from the system's mass matrix p = M(q) q̇
(`hamnet.systems.System.mass_matrix`)."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor


class Kinematics:
    """p = M(q) q̇ of one system.  q, p, q̇, q̈: [..., n]."""

    def __init__(self, mass_matrix: Callable[[Tensor], Tensor], constant: bool, n: int) -> None:
        self.mass_matrix, self.constant, self.n = mass_matrix, constant, n
        #: A constant M, evaluated once (in float64, at q = 0), outside any later transform.
        self.fixed = mass_matrix(torch.zeros(n, dtype=torch.float64)) if constant else None

    def _matrix(self, q: Tensor) -> Tensor:
        """M(q) [..., n, n] (a constant one broadcast)."""
        if self.fixed is not None:
            return self.fixed.to(dtype=q.dtype, device=q.device)
        return self.mass_matrix(q)

    def velocity(self, q: Tensor, p: Tensor) -> Tensor:
        """q̇ = M(q)⁻¹ p."""
        matrix = self._matrix(q)
        return torch.linalg.solve(matrix.expand(*p.shape[:-1], self.n, self.n), p.unsqueeze(-1)).squeeze(-1)

    def momentum_rate(self, q: Tensor, velocity: Tensor, acceleration: Tensor) -> Tensor:
        """ṗ = d/dt (M(q) q̇) = M q̈ + (Σ_k ∂M/∂q_k q̇_k) q̇."""
        if self.fixed is not None:
            return acceleration @ self._matrix(q).transpose(-1, -2)
        matrix, change = torch.func.jvp(self.mass_matrix, (q,), (velocity,))
        return ((matrix @ acceleration.unsqueeze(-1)) + (change @ velocity.unsqueeze(-1))).squeeze(-1)

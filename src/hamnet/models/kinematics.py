"""Between canonical (q, p) and (q, q̇): written once for every model that works with
velocities (`second-order`, `lnn`), from the system's mass matrix p = M(q) q̇
(`hamnet.systems.System.mass_matrix`)."""

from __future__ import annotations

from typing import Any, Callable

import torch
from torch import Tensor

from .solve import solve


class Kinematics:
    """p = M(q) q̇ of one system.  q, p, q̇, q̈: [..., n]."""

    def __init__(self, mass_matrix: Callable[[Tensor], Tensor], constant: bool, n: int,
                 mass_matrix_rate: Callable[[Tensor, Tensor], Tensor] | None = None) -> None:
        """`mass_matrix_rate(q, q̇)`: dM/dt (`System.mass_matrix_rate`), needed unless M is constant."""
        if mass_matrix_rate is None and not constant:
            raise ValueError("a q-dependent mass matrix needs its rate dM/dt (System.mass_matrix_rate)")
        self.mass_matrix, self.n, self.mass_matrix_rate = mass_matrix, n, mass_matrix_rate
        #: A constant M and its inverse, evaluated once (in float64, at q = 0), outside any later transform.
        self.fixed = mass_matrix(torch.zeros(n, dtype=torch.float64)) if constant else None
        self.fixed_inverse = torch.linalg.inv(self.fixed) if constant else None

    @classmethod
    def of(cls, system: Any) -> "Kinematics":
        """The kinematics of a `hamnet.systems.System`: its mass matrix and dM/dt."""
        return cls(system.mass_matrix, system.constant_mass, system.dim // 2, system.mass_matrix_rate)

    def velocity(self, q: Tensor, p: Tensor) -> Tensor:
        """q̇ = M(q)⁻¹ p (a constant M: one product with its inverse)."""
        if self.fixed_inverse is not None:
            return p @ self.fixed_inverse.to(dtype=p.dtype, device=p.device).transpose(-1, -2)
        return solve(self.mass_matrix(q), p)

    def momentum_rate(self, q: Tensor, velocity: Tensor, acceleration: Tensor) -> Tensor:
        """ṗ = d/dt (M(q) q̇) = M q̈ + (Σ_k ∂M/∂q_k q̇_k) q̇."""
        if self.fixed is not None:
            return acceleration @ self.fixed.to(dtype=q.dtype, device=q.device).transpose(-1, -2)
        matrix, change = self.mass_matrix(q), self.mass_matrix_rate(q, velocity)
        return ((matrix @ acceleration.unsqueeze(-1)) + (change @ velocity.unsqueeze(-1))).squeeze(-1)

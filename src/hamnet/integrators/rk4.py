"""The classical fourth-order Runge–Kutta method (order 4, not symplectic: on an oscillator
its energy error grows steadily with time)."""

from __future__ import annotations

from torch import Tensor

from .base import FixedStep, VectorField


class RK4(FixedStep):
    name, order, evaluations = "rk4", 4, 4.0

    def step(self, f: VectorField, x: Tensor, h: float) -> Tensor:
        k1 = f(x)
        k2 = f(x + (h / 2) * k1)
        k3 = f(x + (h / 2) * k2)
        k4 = f(x + h * k3)
        return x + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)

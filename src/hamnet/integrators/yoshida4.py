"""Yoshida's fourth-order composition of leapfrog (1990): three leapfrog steps of
w₁h, w₀h, w₁h with w₁ = 1/(2 − 2^{1/3}), w₀ = 1 − 2w₁. Order 4, symplectic, separable fields."""

from __future__ import annotations

from torch import Tensor

from .base import FixedStep, VectorField
from .leapfrog import Leapfrog

W1 = 1 / (2 - 2 ** (1 / 3))
W0 = 1 - 2 * W1


class Yoshida4(FixedStep):
    name, order, symplectic, separable = "yoshida4", 4, True, True
    evaluations = 3 * Leapfrog.evaluations

    def __init__(self) -> None:
        self.leapfrog = Leapfrog()

    def step(self, f: VectorField, x: Tensor, h: float) -> Tensor:
        for weight in (W1, W0, W1):
            x = self.leapfrog.step(f, x, weight * h)
        return x

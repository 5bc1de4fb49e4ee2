"""Explicit Euler: x + h f(x) (order 1)."""

from __future__ import annotations

from torch import Tensor

from .base import FixedStep, VectorField


class Euler(FixedStep):
    name, order, evaluations = "euler", 1, 1.0

    def step(self, f: VectorField, x: Tensor, h: float) -> Tensor:
        return x + h * f(x)

"""Störmer–Verlet (leapfrog) for separable fields: order 2, symplectic, time-reversible.

Kick–drift–kick: p ← p + (h/2)·ṗ(q);  q ← q + h·q̇(p);  p ← p + (h/2)·ṗ(q). With
H = T(p) + V(q), q̇ depends on p only and ṗ on q only, so evaluating the field at a mixed
state (new q, old p) is exact; for any other field it would be wrong, hence `separable`.
Each rate is only the half of the field it needs where the model offers it
(`position_rate`, `momentum_rate`): one network per evaluation, not both.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .base import FixedStep, VectorField, momentum_rate, position_rate


class Leapfrog(FixedStep):
    name, order, symplectic, separable = "leapfrog", 2, True, True
    evaluations = 2.0  # dp/dt twice and dq/dt once, each about half the field

    def step(self, f: VectorField, x: Tensor, h: float) -> Tensor:
        q, p = x.chunk(2, dim=-1)
        p = p + (h / 2) * momentum_rate(f, q, p)
        q = q + h * position_rate(f, q, p)
        p = p + (h / 2) * momentum_rate(f, q, p)
        return torch.cat([q, p], dim=-1)

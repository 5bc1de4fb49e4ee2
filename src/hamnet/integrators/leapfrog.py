"""Störmer–Verlet (leapfrog) for separable fields: order 2, symplectic, time-reversible.

Kick–drift–kick: p ← p + (h/2)·ṗ(q);  q ← q + h·q̇(p);  p ← p + (h/2)·ṗ(q). With
H = T(p) + V(q), q̇ depends on p only and ṗ on q only, so evaluating the field at a mixed
state (new q, old p) is exact; for any other field it would be wrong, hence `separable`.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .base import FixedStep, VectorField, split_field


class Leapfrog(FixedStep):
    name, order, symplectic, separable = "leapfrog", 2, True, True

    def step(self, f: VectorField, x: Tensor, h: float) -> Tensor:
        q, p = x.chunk(2, dim=-1)
        p = p + (h / 2) * split_field(f, x)[1]
        q = q + h * split_field(f, torch.cat([q, p], dim=-1))[0]
        p = p + (h / 2) * split_field(f, torch.cat([q, p], dim=-1))[1]
        return torch.cat([q, p], dim=-1)

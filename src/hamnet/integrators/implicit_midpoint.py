"""The implicit midpoint rule, x' = x + h f((x + x')/2): order 2, symplectic for any
Hamiltonian field (separable or not, a learned one too), time-reversible.

Each step solves for x' by fixed-point iteration from the explicit midpoint guess, batched
over trajectories: iterate until every trajectory's update is below `tolerance` (max norm,
relative to the state's size) or `max_iterations` is reached. A trajectory that has not
converged by then is set to NaN from that step on (like a failed adaptive step), and the
count is kept in `unconverged` for the caller to report.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .base import FixedStep, VectorField

#: Fixed-point tolerance per dtype (relative, max norm): a few hundred ulps.
TOLERANCE = {torch.float64: 1e-13, torch.float32: 1e-6}
MAX_ITERATIONS = 100


class ImplicitMidpoint(FixedStep):
    name, order, symplectic = "implicit-midpoint", 2, True
    evaluations = 6.0  # the explicit predictor's two and a few fixed-point iterations
    vmappable = False  # it stops when every trajectory has converged: data-dependent

    def __init__(self, max_iterations: int = MAX_ITERATIONS) -> None:
        self.max_iterations = max_iterations
        self.unconverged = 0  # trajectories that failed to converge, over all steps so far

    def step(self, f: VectorField, x: Tensor, h: float) -> Tensor:
        tolerance = TOLERANCE.get(x.dtype, 1e-6)
        nxt = x + h * f(x + (h / 2) * f(x))  # explicit midpoint: O(h³) from the solution
        for _ in range(self.max_iterations):
            update = x + h * f((x + nxt) / 2)
            converged = _converged(update, nxt, tolerance)
            nxt = update
            if bool(converged.all()):
                return nxt
        self.unconverged += int((~converged).sum())
        return nxt.masked_fill(~converged[:, None], float("nan"))


def _converged(update: Tensor, previous: Tensor, tolerance: float) -> Tensor:
    """Per trajectory: finite, and the update moved no coordinate by more than `tolerance`
    relative to the state's size.  -> [b] bool."""
    change = (update - previous).abs().amax(dim=-1)
    return torch.isfinite(update).all(dim=-1) & (change <= tolerance * (1 + update.abs().amax(dim=-1)))

"""Adaptive Dormand–Prince 5(4) on torchode, with per-trajectory step control.

torchode controls the step size of every trajectory separately; the field is evaluated
only on the trajectories not yet at the end, so its cost is the sum of the trajectories'
own steps (torchode's bookkeeping still spans the batch until the hardest one is done).
torchode is imported on first use.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import Tensor

from .base import VectorField


def _max_norm(error: Tensor) -> Tensor:
    """Per-trajectory error norm for step control: its worst coordinate.  [b, dim] -> [b]."""
    return error.abs().amax(dim=-1)


class _RunningRowsField:
    """The vector field evaluated only on the trajectories still being integrated.

    Trajectories that reached the end of the time grid get a zero derivative (their state
    is no longer updated), so a batch whose easy trajectories are done pays for the field
    on the hard ones only.
    """

    def __init__(self, f: VectorField):
        self.f = f
        self.rows: Tensor | None = None  # indices of running trajectories; None: all

    def __call__(self, _t: Tensor, x: Tensor) -> Tensor:
        if self.rows is None:
            return self.f(x)
        out = torch.zeros_like(x)
        out[self.rows] = self.f(x[self.rows])
        return out


@functools.cache
def _dopri5_running_rows() -> type:
    """torchode's dopri5 that tells `_RunningRowsField` which trajectories are running."""
    import torchode

    class Dopri5RunningRows(torchode.Dopri5):
        def __init__(self, term: torchode.ODETerm, field: _RunningRowsField):
            super().__init__(term=term)
            self.field = field

        def step(self, term: torchode.ODETerm | None, running: Tensor, *args: Any, **kwargs: Any) -> Any:
            rows = running.nonzero().squeeze(1)
            self.field.rows = None if rows.numel() == running.numel() else rows
            return super().step(term, running, *args, **kwargs)

    return Dopri5RunningRows


def dopri5(f: VectorField, x0: Tensor, t: Tensor, rtol: float, atol: float) -> Tensor:
    """dopri5 with per-trajectory step control (torchode).  -> [T, b, dim]."""
    import torchode

    field = _RunningRowsField(f)
    term = torchode.ODETerm(field)
    controller = torchode.IntegralController(atol=atol, rtol=rtol, term=term, norm=_max_norm)
    solver = torchode.AutoDiffAdjoint(_dopri5_running_rows()(term, field), controller)
    problem = torchode.InitialValueProblem(y0=x0, t_eval=t.expand(x0.shape[0], -1))
    solution = solver.solve(problem)
    # A trajectory that failed (a diverging learned field) filled only its first points.
    reached = torch.arange(t.numel(), device=t.device) < solution.stats["n_initialized"][:, None]
    return solution.ys.masked_fill(~reached[..., None], float("nan")).transpose(0, 1).contiguous()

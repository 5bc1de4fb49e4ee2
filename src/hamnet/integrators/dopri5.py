"""Adaptive Dormand–Prince 5(4) on torchode, with per-trajectory step control.

torchode controls the step size of every trajectory separately; the field is evaluated
only on the trajectories not yet at the end, so its cost is the sum of the trajectories'
own steps (torchode's bookkeeping still spans the batch until the hardest one is done).
A trajectory whose step leaves the finite numbers, or whose largest coordinate grows past
`GROWTH_LIMIT` times its start's (at least 1), has diverged: it is NaN from that step's
start on, and it is frozen (its steps accepted, unchanged, ever longer) so that it reaches
the end in a few steps. The other trajectories go on unaffected: torchode would otherwise
stop the whole batch at the first infinite error, and a finite-time blow-up would take
thousands of ever shorter steps on its way to the float range's end first. torchode is
imported on first use.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import Tensor

from .base import VectorField

#: How far a trajectory's largest coordinate may grow past its start's (at least 1) before
#: it counts as diverged.
GROWTH_LIMIT = 1e30


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
        """Tells `field` the running trajectories; freezes the diverged ones (module
        docstring), recording in `diverged_at` [b] the start of each one's first diverged
        step (inf: none)."""

        def __init__(self, term: torchode.ODETerm, field: _RunningRowsField, limit: Tensor):
            super().__init__(term=term)
            self.field = field
            self.limit = limit  # [b]
            self.diverged_at = torch.full_like(limit, float("inf"))

        def step(self, term: torchode.ODETerm | None, running: Tensor, y0: Tensor, t0: Tensor,
                 *args: Any, **kwargs: Any) -> Any:
            rows = running.nonzero().squeeze(1)
            self.field.rows = None if rows.numel() == running.numel() else rows
            result, *rest = super().step(term, running, y0, t0, *args, **kwargs)
            bounded = (result.y.abs().amax(dim=-1) <= self.limit) & result.error_estimate.isfinite().all(dim=-1)
            if bool(bounded.all()):  # the usual step (torchode syncs with the host at every step anyway)
                return (result, *rest)
            # frozen: also a finished trajectory's idle step, which torchode's status would count
            self.diverged_at = torch.where(~bounded & running, torch.minimum(self.diverged_at, t0.to(self.limit.dtype)),
                                           self.diverged_at)
            frozen = ~bounded[:, None]
            return (result._replace(y=torch.where(frozen, y0, result.y),
                                    error_estimate=result.error_estimate.masked_fill(frozen, 0.0)), *rest)

    return Dopri5RunningRows


def dopri5(f: VectorField, x0: Tensor, t: Tensor, rtol: float, atol: float) -> Tensor:
    """dopri5 with per-trajectory step control (torchode).  -> [T, b, dim]."""
    import torchode

    field = _RunningRowsField(f)
    term = torchode.ODETerm(field)
    controller = torchode.IntegralController(atol=atol, rtol=rtol, term=term, norm=_max_norm)
    limit = GROWTH_LIMIT * x0.abs().amax(dim=-1).clamp_min(1.0)
    method = _dopri5_running_rows()(term, field, limit)
    solver = torchode.AutoDiffAdjoint(method, controller)
    problem = torchode.InitialValueProblem(y0=x0, t_eval=t.expand(x0.shape[0], -1))
    solution = solver.solve(problem)
    # A trajectory that failed otherwise (its step size underflowed) filled only its first points.
    reached = torch.arange(t.numel(), device=t.device) < solution.stats["n_initialized"][:, None]
    valid = reached & (t[None, :] <= method.diverged_at[:, None])
    return solution.ys.masked_fill(~valid[..., None], float("nan")).transpose(0, 1).contiguous()

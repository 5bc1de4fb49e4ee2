"""Rollouts of any autonomous vector field, batched over initial states.

Adaptive `dopri5` runs on torchode, which controls the step size of every trajectory
separately; the field is evaluated only on the trajectories not yet at the end, so its cost
is the sum of the trajectories' own steps (torchode's bookkeeping still spans the batch until
the hardest one is done). The fixed-step methods run on torchdiffeq.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torchode
from torch import Tensor
from torchdiffeq import odeint

from .errors import InvalidValueError, UnknownNameError

VectorField = Callable[[Tensor], Tensor]

#: Fixed-step integrators by name (torchdiffeq method names).
FIXED_STEP = ("rk4", "euler")
METHODS = ("dopri5", *FIXED_STEP)


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


class _Dopri5RunningRows(torchode.Dopri5):
    """torchode's dopri5 that tells `_RunningRowsField` which trajectories are running."""

    def __init__(self, term: torchode.ODETerm, field: _RunningRowsField):
        super().__init__(term=term)
        self.field = field

    def step(self, term: torchode.ODETerm | None, running: Tensor, *args: Any, **kwargs: Any) -> Any:
        rows = running.nonzero().squeeze(1)
        self.field.rows = None if rows.numel() == running.numel() else rows
        return super().step(term, running, *args, **kwargs)


def _adaptive(f: VectorField, x0: Tensor, t: Tensor, rtol: float, atol: float) -> Tensor:
    """dopri5 with per-trajectory step control (torchode).  -> [T, b, dim]."""
    field = _RunningRowsField(f)
    term = torchode.ODETerm(field)
    controller = torchode.IntegralController(atol=atol, rtol=rtol, term=term, norm=_max_norm)
    solver = torchode.AutoDiffAdjoint(_Dopri5RunningRows(term, field), controller)
    problem = torchode.InitialValueProblem(y0=x0, t_eval=t.expand(x0.shape[0], -1))
    solution = solver.solve(problem)
    # A trajectory that failed (a diverging learned field) filled only its first points.
    reached = torch.arange(t.numel(), device=t.device) < solution.stats["n_initialized"][:, None]
    return solution.ys.masked_fill(~reached[..., None], float("nan")).transpose(0, 1).contiguous()


def rollout(
    f: VectorField,
    x0: Tensor,
    t: Tensor,
    method: str = "dopri5",
    rtol: float = 1e-9,
    atol: float = 1e-9,
    step_size: float | None = None,
) -> Tensor:
    """Integrate dx/dt = f(x) from every initial state in `x0` and sample at times `t`.

    f: [b, dim] -> [b, dim];  x0: [b, dim];  t: [T] increasing (time units of the system).
    Returns [T, b, dim]. `dopri5` controls each trajectory's own step so that its worst
    coordinate meets rtol/atol; batching never loosens any trajectory's tolerance, and a
    trajectory whose integration fails (a diverging learned field) comes back as NaN from
    where it failed. Fixed-step methods (`rk4`, `euler`) step between the points of `t`, or
    by `step_size` if given.
    """
    if method not in METHODS:
        raise UnknownNameError(f"unknown integrator {method!r}; known: {', '.join(METHODS)}")
    if x0.dim() != 2:
        raise InvalidValueError(f"x0 must have shape [batch, dim], got {tuple(x0.shape)}")
    if t.dim() != 1 or t.numel() < 1:
        raise InvalidValueError(f"t must have shape [T] with T >= 1, got {tuple(t.shape)}")
    if t.numel() > 1 and not bool(torch.all(t[1:] > t[:-1])):
        raise InvalidValueError("t must be strictly increasing")
    t = t.to(dtype=x0.dtype, device=x0.device)
    if method == "dopri5":
        if t.numel() == 1:
            return x0.unsqueeze(0)
        return _adaptive(f, x0, t, rtol, atol)
    options = {} if step_size is None else {"step_size": step_size}
    return odeint(lambda _t, x: f(x), x0, t, method=method, options=options)

"""Rollouts of any autonomous vector field, batched over initial states.

Adaptive `dopri5` runs on torchode, which controls the step size of every trajectory
separately; the field is evaluated only on the trajectories not yet at the end, so its cost
is the sum of the trajectories' own steps (torchode's bookkeeping still spans the batch until
the hardest one is done). The fixed-step methods run on torchdiffeq. Both are imported on
first use (together they take a second to import).
"""

from __future__ import annotations

import functools
import math
from typing import Any, Callable

import torch
from torch import Tensor

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


def _adaptive(f: VectorField, x0: Tensor, t: Tensor, rtol: float, atol: float) -> Tensor:
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


def _check_arguments(f: VectorField, x0: Tensor, t: Tensor, method: str, step_size: float | None,
                     rtol: float, atol: float) -> None:
    """`InvalidValueError` naming the argument that `rollout` cannot use."""
    if method not in METHODS:
        raise UnknownNameError(f"unknown integrator {method!r}; known: {', '.join(METHODS)}")
    if not isinstance(x0, Tensor) or not isinstance(t, Tensor):
        raise InvalidValueError("x0 and t must be torch tensors")
    if x0.dim() != 2 or x0.shape[0] == 0:
        raise InvalidValueError(f"x0 must have shape [batch, dim] with batch >= 1, got {tuple(x0.shape)}")
    if not x0.is_floating_point():
        raise InvalidValueError(f"x0 must hold floating-point numbers, got dtype {x0.dtype}")
    if not bool(torch.isfinite(x0).all()):
        raise InvalidValueError("x0 must hold finite numbers, it holds NaN or inf")
    if t.dim() != 1 or t.numel() < 1:
        raise InvalidValueError(f"t must have shape [T] with T >= 1, got {tuple(t.shape)}")
    if not t.is_floating_point():
        raise InvalidValueError(f"t must hold floating-point times, got dtype {t.dtype}; "
                                "e.g. torch.linspace(0, 10, 100)")
    if not bool(torch.isfinite(t).all()):
        raise InvalidValueError("t must hold finite times, it holds NaN or inf")
    if t.numel() > 1 and not bool(torch.all(t[1:] > t[:-1])):
        raise InvalidValueError("t must be strictly increasing")
    if step_size is not None and not (math.isfinite(step_size) and step_size > 0):
        raise InvalidValueError(f"step_size must be a positive finite number, got {step_size}")
    for name, tolerance in (("rtol", rtol), ("atol", atol)):
        if not (math.isfinite(tolerance) and tolerance >= 0):
            raise InvalidValueError(f"{name} must be a non-negative finite number, got {tolerance}")
    if rtol == 0 and atol == 0:
        raise InvalidValueError("rtol and atol cannot both be 0")
    try:
        with torch.no_grad():
            probe = f(x0[:1])
    except (RuntimeError, ValueError, IndexError) as exc:
        raise InvalidValueError(f"the vector field cannot take x0 of shape {tuple(x0.shape)}: "
                                f"{str(exc).splitlines()[0]}") from None
    if not isinstance(probe, Tensor) or probe.shape != x0[:1].shape:
        shape = tuple(probe.shape) if isinstance(probe, Tensor) else type(probe).__name__
        raise InvalidValueError(f"the vector field maps x0 rows of shape {tuple(x0[:1].shape)} to {shape}; "
                                "x0 must have the field's state size")


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
    _check_arguments(f, x0, t, method, step_size, rtol, atol)
    t = t.to(dtype=x0.dtype, device=x0.device)
    if method == "dopri5":
        if t.numel() == 1:
            return x0.unsqueeze(0)
        return _adaptive(f, x0, t, rtol, atol)
    from torchdiffeq import odeint

    options = {} if step_size is None else {"step_size": step_size}
    return odeint(lambda _t, x: f(x), x0, t, method=method, options=options)

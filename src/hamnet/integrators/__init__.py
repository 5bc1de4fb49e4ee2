"""Integrators and `rollout`, the one entry point: any autonomous vector field, batched
over initial states.

`dopri5` (adaptive, per-trajectory step control on torchode) and the fixed-step methods
of `FIXED_STEP`, one file each: `euler`, `rk4`, and the symplectic `leapfrog`, `yoshida4`
(separable fields only) and `implicit-midpoint` (any Hamiltonian field); their shared
stepping is `base.integrate_fixed`.
"""

from __future__ import annotations

import math
import warnings

import torch
from torch import Tensor

from ..errors import InvalidValueError, UnknownNameError
from .base import FixedStep, VectorField, integrate_fixed, owner_of
from .dopri5 import GROWTH_LIMIT, dopri5
from .euler import Euler
from .implicit_midpoint import ImplicitMidpoint
from .leapfrog import Leapfrog
from .rk4 import RK4
from .yoshida4 import Yoshida4

#: Fixed-step integrators by name.
FIXED_STEP: dict[str, type[FixedStep]] = {
    Euler.name: Euler,
    RK4.name: RK4,
    Leapfrog.name: Leapfrog,
    Yoshida4.name: Yoshida4,
    ImplicitMidpoint.name: ImplicitMidpoint,
}
METHODS = ("dopri5", *FIXED_STEP)
#: Methods that sample `t` by interpolating between their own steps: a time added to `t`
#: leaves the other samples unchanged (a fixed-step method steps between the points of `t`).
INTERPOLATING = ("dopri5",)


class NonConvergenceWarning(UserWarning):
    """An implicit step did not converge for some trajectories (they continue as NaN)."""


def is_separable(f: VectorField) -> bool:
    """Whether `f` says it is separable (dq/dt from p alone, dp/dt from q alone): its own
    `separable` attribute, or that of the object a bound method belongs to (a model, a
    system)."""
    return bool(getattr(f, "separable", getattr(owner_of(f), "separable", False)))


def check_method(method: str) -> None:
    """`UnknownNameError` for a name that is not an integrator of `METHODS`."""
    if method not in METHODS:
        raise UnknownNameError(f"unknown integrator {method!r}; known: {', '.join(METHODS)}")


def _check_arguments(f: VectorField, x0: Tensor, t: Tensor, method: str, step_size: float | None,
                     rtol: float, atol: float) -> None:
    """`InvalidValueError` naming the argument that `rollout` cannot use."""
    check_method(method)
    if method in FIXED_STEP and FIXED_STEP[method].separable and not is_separable(f):
        raise InvalidValueError(f"{method} needs a separable field (H = T(p) + V(q)), and this one does not say it "
                                "is: use implicit-midpoint, rk4 or dopri5, or a separable model (hnn-separable)")
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
    trajectory whose integration fails (a diverging learned field: it leaves the finite
    numbers, or its largest coordinate grows past `GROWTH_LIMIT` = 1e30 times its start's,
    at least 1) comes back as NaN from where it failed, leaving the others of its batch
    alone.
    Fixed-step methods step between the points of `t`, in equal steps no longer than
    `step_size` if given; `leapfrog` and `yoshida4` need a field that says it is separable
    (`is_separable`). `implicit-midpoint` turns trajectories whose step does
    not converge into NaN and warns (`NonConvergenceWarning`).
    """
    _check_arguments(f, x0, t, method, step_size, rtol, atol)
    t = t.to(dtype=x0.dtype, device=x0.device)
    if t.numel() == 1:
        return x0.unsqueeze(0)
    if method == "dopri5":
        return dopri5(f, x0, t, rtol, atol)
    integrator = FIXED_STEP[method]()
    states = integrate_fixed(integrator, f, x0, t, step_size)
    unconverged = getattr(integrator, "unconverged", 0)
    if unconverged:
        warnings.warn(f"{method}: {unconverged} trajectory steps did not converge within "
                      f"{integrator.max_iterations} iterations; those trajectories are NaN from there on",
                      NonConvergenceWarning, stacklevel=2)
    return states


__all__ = ["FIXED_STEP", "GROWTH_LIMIT", "INTERPOLATING", "METHODS", "FixedStep", "NonConvergenceWarning", "check_method",
           "is_separable", "rollout"]

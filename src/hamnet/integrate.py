"""Rollouts of any autonomous vector field, batched over initial states (via torchdiffeq)."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor
from torchdiffeq import odeint

from .errors import InvalidValueError, UnknownNameError

VectorField = Callable[[Tensor], Tensor]

#: Integrators by name -> (torchdiffeq method, adaptive?)
METHODS: dict[str, tuple[str, bool]] = {
    "dopri5": ("dopri5", True),
    "rk4": ("rk4", False),
    "euler": ("euler", False),
}


def _max_norm(tensor: Tensor) -> Tensor:
    """Error norm for adaptive steps: the worst element, so every trajectory meets the tolerance."""
    return tensor.abs().max()


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
    Returns [T, b, dim]. The adaptive method (`dopri5`) controls the error of every
    element (max norm), so batching never loosens any trajectory's tolerance. Fixed-step
    methods (`rk4`, `euler`) step between the points of `t`, or by `step_size` if given.
    """
    if method not in METHODS:
        raise UnknownNameError(f"unknown integrator {method!r}; known: {', '.join(METHODS)}")
    if x0.dim() != 2:
        raise InvalidValueError(f"x0 must have shape [batch, dim], got {tuple(x0.shape)}")
    if t.dim() != 1 or t.numel() < 1:
        raise InvalidValueError(f"t must have shape [T] with T >= 1, got {tuple(t.shape)}")
    if t.numel() > 1 and not bool(torch.all(t[1:] > t[:-1])):
        raise InvalidValueError("t must be strictly increasing")
    torch_method, adaptive = METHODS[method]
    options: dict = {"norm": _max_norm} if adaptive else {}
    if step_size is not None and not adaptive:
        options["step_size"] = step_size
    t = t.to(dtype=x0.dtype, device=x0.device)
    return odeint(lambda _t, x: f(x), x0, t, rtol=rtol, atol=atol, method=torch_method, options=options)

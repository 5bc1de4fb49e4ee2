"""What every fixed-step integrator offers, and the stepping they share."""

from __future__ import annotations

import math
from typing import Callable, ClassVar

import torch
from torch import Tensor

VectorField = Callable[[Tensor], Tensor]


class FixedStep:
    """A one-step method: `step(f, x, h)` advances states x [b, dim] by a step h of
    dx/dt = f(x). `order` is its global order of accuracy; `symplectic` whether it
    preserves the symplectic form of a Hamiltonian flow (energy errors then stay bounded);
    `separable` whether it needs a separable field, dq/dt = g(p), dp/dt = h(q) (H = T(p) +
    V(q)), which it may then evaluate at mixed states; `vmappable` whether its step runs
    under `torch.func.vmap` (an iterative solve that stops on convergence does not);
    `evaluations` about how many evaluations of the whole field one step costs (for the
    cost estimates that order jobs)."""

    name: ClassVar[str]
    order: ClassVar[int]
    symplectic: ClassVar[bool] = False
    separable: ClassVar[bool] = False
    vmappable: ClassVar[bool] = True
    evaluations: ClassVar[float] = 1.0

    def step(self, f: VectorField, x: Tensor, h: float) -> Tensor:
        """The states one step of length `h` (time units) after x [b, dim] -> [b, dim]."""
        raise NotImplementedError


def integrate_fixed(method: FixedStep, f: VectorField, x0: Tensor, t: Tensor, step_size: float | None) -> Tensor:
    """States at times `t` [T] from x0 [b, dim] by `method`: each interval of `t` in equal
    steps no longer than `step_size` (one step per interval if None).  -> [T, b, dim]."""
    states = [x0]
    x = x0
    gaps = (t[1:] - t[:-1]).tolist()
    for gap in gaps:
        steps = 1 if step_size is None else max(1, math.ceil(gap / step_size - 1e-9))
        h = gap / steps
        for _ in range(steps):
            x = method.step(f, x, h)
        states.append(x)
    return torch.stack(states)


def owner_of(f: VectorField) -> object:
    """The object a bound-method field belongs to (a model, a system), else None."""
    return getattr(f, "__self__", None)


def position_rate(f: VectorField, q: Tensor, p: Tensor) -> Tensor:
    """dq/dt of a separable field f at (q, p), [b, dim/2]: from p alone by the `position_rate`
    of the object f is a method of (a separable model), else half of f's whole field."""
    owner = owner_of(f)
    if hasattr(owner, "position_rate"):
        return owner.position_rate(p)
    return f(torch.cat([q, p], dim=-1)).chunk(2, dim=-1)[0]


def momentum_rate(f: VectorField, q: Tensor, p: Tensor) -> Tensor:
    """dp/dt of a separable field f at (q, p), [b, dim/2]: from q alone where f's owner has
    `momentum_rate`, else half of f's whole field (as `position_rate`)."""
    owner = owner_of(f)
    if hasattr(owner, "momentum_rate"):
        return owner.momentum_rate(q)
    return f(torch.cat([q, p], dim=-1)).chunk(2, dim=-1)[1]

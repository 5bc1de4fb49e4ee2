"""`hamnet simulate`: trajectories of a Hamiltonian the user writes (`hamnet.expression`),
integrated in float64 with its field J∇H by autograd, as a trajectory file."""

from __future__ import annotations

import torch
from torch import Tensor

from .data.trajectories import generate_trajectories
from .errors import InvalidValueError
from .expression import HamiltonianExpression
from .integrators import GROWTH_LIMIT
from .systems import TrajectoryRecipe
from .systems.expression import ExpressionSystem, Sampler

__all__ = ["ExpressionSystem", "Sampler", "simulate"]


def simulate(expression: HamiltonianExpression, sampler: Sampler, n_trajectories: int, t_end: float,
             n_points: int, noise: float, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """Trajectories of `expression` from `n_trajectories` sampled states over [0, t_end]
    at `n_points` times (dopri5, rtol = atol = 1e-10), observed with Gaussian noise of std
    `noise`.  -> (t[T], x[n, T, dim] noisy states, dxdt[n, T, dim] the true field at the
    noiseless states)."""
    system = ExpressionSystem(expression, sampler)
    generator = torch.Generator().manual_seed(seed)
    recipe = TrajectoryRecipe(n_trajectories=n_trajectories, t_end=t_end, n_points=n_points)
    t, states, dxdt = generate_trajectories(system, recipe, generator)
    blown = (~torch.isfinite(states).all(-1).all(-1) | ~torch.isfinite(dxdt).all(-1).all(-1)).nonzero()
    if blown.numel():
        raise InvalidValueError(f"{blown.numel()} of {n_trajectories} trajectories of {expression.text!r} diverge "
                                f"(leave the finite numbers, or grow {GROWTH_LIMIT:.0e}-fold) before t = {t_end:g} (e.g. trajectory "
                                f"{int(blown[0])}); choose a smaller --box, an energy range, or a shorter --t-end")
    noisy = states + noise * torch.randn(states.shape, generator=generator, dtype=torch.float64)
    return t, noisy, dxdt

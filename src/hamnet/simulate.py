"""`hamnet simulate`: trajectories of a Hamiltonian the user writes (`hamnet.expression`),
integrated in float64 with its field J∇H by autograd, as a trajectory file."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .data.trajectories import generate_trajectories
from .errors import InvalidValueError
from .expression import HamiltonianExpression
from .integrators import GROWTH_LIMIT
from .systems import System, TrajectoryRecipe

#: Rounds of rejection sampling for an energy shell before giving up.
SHELL_ROUNDS = 200


@dataclass(frozen=True)
class Sampler:
    """Initial states: every coordinate uniform in [low, high]; with `energy` = (E1, E2),
    only those whose H lies in [E1, E2] (rejection sampling within the box)."""

    low: float = -1.0
    high: float = 1.0
    energy: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if not self.low < self.high:
            raise InvalidValueError(f"the box's low end must be below its high end, got {self.low}, {self.high}")
        if self.energy is not None and not self.energy[0] < self.energy[1]:
            raise InvalidValueError(f"the energy range must be E1 < E2, got {self.energy[0]}, {self.energy[1]}")


class ExpressionSystem(System):
    """The system of a `HamiltonianExpression`, sampled as `Sampler` says."""

    name = "hamiltonian"
    dim = 2

    def __init__(self, expression: HamiltonianExpression, sampler: Sampler) -> None:
        self.expression, self.sampler, self.dim = expression, sampler, expression.dim
        self.separable = expression.separable

    def hamiltonian(self, x: Tensor) -> Tensor:
        return self.expression(x)

    def sample_initial(self, n: int, generator: torch.Generator) -> Tensor:
        """-> [n, dim] float64 (`Sampler`)."""
        low, high = self.sampler.low, self.sampler.high

        def box(count: int) -> Tensor:
            return low + (high - low) * torch.rand(count, self.dim, generator=generator, dtype=torch.float64)

        if self.sampler.energy is None:
            return box(n)
        e1, e2 = self.sampler.energy
        found: list[Tensor] = []
        for _ in range(SHELL_ROUNDS):
            states = box(4 * n)
            energy = self.expression(states)
            found.append(states[(energy >= e1) & (energy <= e2)])
            if sum(len(f) for f in found) >= n:
                return torch.cat(found)[:n]
        raise InvalidValueError(f"only {sum(len(f) for f in found)} of {SHELL_ROUNDS * 4 * n} states drawn in the box "
                                f"[{low}, {high}] have an energy in [{e1}, {e2}]; widen --box or the energy range")


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

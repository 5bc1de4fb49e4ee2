"""Training sets sampled from a system's true flow, all trajectories in one batch."""

from __future__ import annotations

import dataclasses
import time

import torch
from torch import Tensor

from ..errors import InvalidValueError
from ..integrators import rollout
from ..systems import System, TrajectoryRecipe
from .cache import cached
from .dataset import Dataset, split_blocks


def generate_trajectories(
    system: System, recipe: TrajectoryRecipe, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Integrate `recipe.n_trajectories` initial states as one batch in float64.

    Returns (t[T], x[n, T, dim] noiseless states, dxdt[n, T, dim] true field at them).
    """
    x0 = system.sample_initial(recipe.n_trajectories, generator).to(torch.float64)
    check_on_constraints(system, x0)
    t = torch.linspace(0.0, recipe.t_end, recipe.n_points, dtype=torch.float64)
    states = true_flow(system, x0, t, recipe.rtol, recipe.atol)
    return t, states, system.vector_field(states)


#: How far (relative) an initial state may be off its system's constraints: far above
#: the Newton projection's 1e-12, far below what changes a trajectory.
CONSTRAINT_TOLERANCE = 1e-8


def check_on_constraints(system: System, x0: Tensor) -> None:
    """Refuse initial states x0 [n, dim] off the system's constraints (the constrained field
    keeps a violation as it is, so the data would not be motions of the system)."""
    violation = system.constraint_violation(x0)
    if bool((violation > CONSTRAINT_TOLERANCE).any()):
        worst = int(violation.argmax())
        raise InvalidValueError(f"{system.label}: initial state {worst} is off the system's constraints (relative "
                                f"violation {float(violation[worst]):.3g}); sample_initial must return states on "
                                "them (System.onto_manifold projects a state)")


def true_flow(system: System, x0: Tensor, t: Tensor, rtol: float, atol: float) -> Tensor:
    """The system's true flow from x0 [n, dim] on the times t [T] (dopri5, float64).  -> [n, T, dim]."""
    with torch.no_grad():
        return rollout(system.vector_field, x0, t, method="dopri5", rtol=rtol, atol=atol).transpose(0, 1).contiguous()


def trajectory_dataset(
    system: System, recipe: TrajectoryRecipe, seed: int, use_cache: bool = True
) -> Dataset:
    """The paper's data set for `system`: noisy states, noiseless targets, block split
    (whole trajectories, in order; `extras["t"]` is their common time grid).

    Deterministic for (`system`, `recipe`, `seed`); cached on disk under that key.
    """

    def build() -> tuple[dict[str, torch.Tensor], dict[str, float]]:
        generator = torch.Generator().manual_seed(seed)
        start = time.perf_counter()
        _, states, dxdt = generate_trajectories(system, recipe, generator)
        seconds = time.perf_counter() - start
        noisy = states + recipe.noise_std * torch.randn(
            states.shape, generator=generator, dtype=torch.float64)
        if recipe.chunk_points is not None:
            noisy, dxdt = one_chunk_each(noisy, dxdt, recipe.chunk_points, generator)
        x = noisy.reshape(-1, system.dim)
        dx = dxdt.reshape(-1, system.dim)
        x_train, x_test = split_blocks(x, recipe.test_fraction, recipe.test_first)
        dx_train, dx_test = split_blocks(dx, recipe.test_fraction, recipe.test_first)
        tensors = {"x_train": x_train, "dxdt_train": dx_train, "x_test": x_test, "dxdt_test": dx_test}
        return tensors, {"generation_seconds": seconds}

    spec = {"name": system.cache_name, "recipe": dataclasses.asdict(recipe), "seed": seed}
    tensors, info = cached(spec, build, use_cache=use_cache)
    data = Dataset.from_tensors(tensors, info)
    grid = torch.linspace(0.0, recipe.t_end, recipe.n_points, dtype=torch.float64)
    data.extras["t"] = grid[:recipe.chunk_points or recipe.n_points]  # every trajectory's grid (from its first point)
    return data


def one_chunk_each(states: Tensor, dxdt: Tensor, points: int,
                   generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Per trajectory one of its ⌊T / points⌋ consecutive chunks of `points` samples, drawn
    uniformly (a remainder at the end is never drawn).  states, dxdt [n, T, dim] -> [n, points, dim]."""
    n, steps = states.shape[:2]
    start = points * torch.randint(steps // points, (n,), generator=generator)
    rows = (start.unsqueeze(1) + torch.arange(points)).unsqueeze(-1).expand(-1, -1, states.shape[-1])
    return states.gather(1, rows), dxdt.gather(1, rows)

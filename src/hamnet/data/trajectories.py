"""Training sets sampled from a system's true flow, all trajectories in one batch."""

from __future__ import annotations

import dataclasses
import time

import torch
from torch import Tensor

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
    t = torch.linspace(0.0, recipe.t_end, recipe.n_points, dtype=torch.float64)
    states = true_flow(system, x0, t, recipe.rtol, recipe.atol)
    return t, states, system.vector_field(states)


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
        x = noisy.reshape(-1, system.dim)
        dx = dxdt.reshape(-1, system.dim)
        x_train, x_test = split_blocks(x, recipe.test_fraction, recipe.test_first)
        dx_train, dx_test = split_blocks(dx, recipe.test_fraction, recipe.test_first)
        tensors = {"x_train": x_train, "dxdt_train": dx_train, "x_test": x_test, "dxdt_test": dx_test}
        return tensors, {"generation_seconds": seconds}

    spec = {"name": system.cache_name, "recipe": dataclasses.asdict(recipe), "seed": seed}
    tensors, info = cached(spec, build, use_cache=use_cache)
    data = Dataset.from_tensors(tensors, info)
    data.extras["t"] = torch.linspace(0.0, recipe.t_end, recipe.n_points, dtype=torch.float64)  # every trajectory's grid
    return data

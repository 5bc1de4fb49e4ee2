"""Pixel data of any system that draws itself (`hamnet.systems.pixel_frames`).

Trajectories of the system's true flow (its own sampler; dopri5 in float64 at the tolerance
of its trajectory recipe, else 1e-10) are drawn by `hamnet.render` and stored as uint8 grey
levels 0..127, i.e. values in [0, 0.5] after dividing by 255, as the pixel pendulum's.
Observations, pairs and splits are the pixel pendulum's (`hamnet.data.pixels`): x_t = (frame_t,
frame_{t+1}); pairs (x_t, x_{t+1}); the last `test_fraction` of the trajectories test.
The first `n_reference` test trajectories are drawn again over `horizon` × t_end: they are
the data set's `reference()`, what rollouts are scored against, in frames.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time

import torch
from torch import Tensor

from ..render import render_states
from ..systems import System
from ..systems.pixel_frames import SIDE, FramesRecipe
from .cache import cached
from .dataset import split_blocks
from .pixels import PixelData, consecutive_pairs, stacked_observations
from .trajectories import true_flow

BRIGHTEST = 127  # grey level of a fully covered pixel at level 1 (the pixel pendulum's rod)


def _trajectories(system: System, x0: Tensor, n_frames: int, frame_dt: float) -> Tensor:
    """The true flow from x0 [n, dim] on n_frames frames.  -> [n, F, dim] float64."""
    tolerance = getattr(system.base.recipe, "rtol", 1e-10)
    return true_flow(system, x0, torch.arange(n_frames, dtype=torch.float64) * frame_dt, tolerance, tolerance)


def _frames(system: System, states: Tensor) -> Tensor:
    """States [n, F, dim] -> frames [n, F, 28·28] uint8 (0..BRIGHTEST)."""
    grey = render_states(system.drawing, states.reshape(-1, system.dim), SIDE)
    return (grey * BRIGHTEST).round().to(torch.uint8).reshape(*states.shape[:2], SIDE * SIDE)


def drawing_digest(system: System) -> str:
    """A digest of how `system` draws itself (frames of four fixed states), so that frames
    cached before a change to its drawing are never reused."""
    probe = system.sample_initial(4, torch.Generator().manual_seed(0)).to(torch.float64)
    return hashlib.sha256(_frames(system, probe[:, None]).numpy().tobytes()).hexdigest()[:12]


def frames_dataset(system: System, recipe: FramesRecipe, seed: int, use_cache: bool = True) -> PixelData:
    """The pixel data of `system` for `recipe`, deterministic for `seed` (frames cached on disk)."""
    n_test = int(recipe.n_trajectories * recipe.test_fraction)
    n_reference = min(recipe.n_reference, n_test)

    def build() -> tuple[dict[str, Tensor], dict[str, float]]:
        start = time.perf_counter()
        generator = torch.Generator().manual_seed(seed)
        x0 = system.sample_initial(recipe.n_trajectories, generator).to(torch.float64)
        if recipe.turn:
            x0 = system.turned(x0, 2 * math.pi * torch.rand(len(x0), generator=generator, dtype=torch.float64))
        states = _trajectories(system, x0, recipe.n_frames, recipe.frame_dt)
        first_test = recipe.n_trajectories - n_test
        reference = _trajectories(system, x0[first_test:first_test + n_reference], recipe.reference_frames,
                                  recipe.frame_dt)
        tensors = {"frames": _frames(system, states), "coords": states,
                   "reference_frames": _frames(system, reference), "reference_coords": reference}
        seconds = time.perf_counter() - start
        n = recipe.n_trajectories * recipe.n_frames + n_reference * recipe.reference_frames
        return tensors, {"generation_seconds": seconds, "seconds_per_frame": seconds / n}

    spec = {"name": f"{system.cache_name}-frames", "recipe": dataclasses.asdict(recipe), "seed": seed, "side": SIDE,
            "brightest": BRIGHTEST, "drawing": drawing_digest(system)}
    tensors, info = cached(spec, build, use_cache=use_cache)
    observations = stacked_observations(tensors["frames"].to(torch.float32) / 255.0)
    obs_train, obs_test = split_blocks(observations, recipe.test_fraction, test_first=False)
    coords_train, coords_test = split_blocks(tensors["coords"], recipe.test_fraction, test_first=False)
    x_train, x_next_train, c_train = consecutive_pairs(obs_train, coords_train)
    x_test, x_next_test, c_test = consecutive_pairs(obs_test, coords_test)
    reference = stacked_observations(tensors["reference_frames"].to(torch.float32) / 255.0)
    return PixelData(x_train, x_next_train, x_test, x_next_test, c_train, c_test, reference,
                     tensors["reference_coords"][:, :-1].contiguous(), info,
                     sequences={"train": obs_train, "test": obs_test})

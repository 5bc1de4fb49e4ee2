"""Data: the paper's recipe, batched float64 generation, seeding, caching."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import torch

import hamnet
from hamnet.data import trajectory_dataset
from hamnet.data.cache import cache_dir


def test_spring_recipe_sizes_and_split() -> None:
    system = hamnet.systems.get("spring")
    data = trajectory_dataset(system, system.recipe, seed=0)
    assert data.x_train.shape == (750, 2) and data.x_test.shape == (750, 2)
    assert data.x_train.dtype == torch.float64


def test_targets_are_noiseless_field_and_states_noisy() -> None:
    system = hamnet.systems.get("spring")
    data = trajectory_dataset(system, system.recipe, seed=0)
    # dx/dt is the noiseless field: for the spring |dx/dt| = 2 r is constant along a trajectory
    speed = data.dxdt_train.norm(dim=-1).reshape(25, 30)
    assert (speed - speed[:, :1]).abs().max() < 1e-7
    noise = data.x_train - data.dxdt_train.flip(-1) * torch.tensor([-0.5, 0.5], dtype=torch.float64)
    assert 0.07 < float(noise.std()) < 0.13  # σ = 0.1 on q and p


def test_same_seed_same_data_other_seed_other_data() -> None:
    system = hamnet.systems.get("pendulum")
    recipe = dataclasses.replace(system.recipe, n_trajectories=6)
    a = trajectory_dataset(system, recipe, seed=1, use_cache=False)
    b = trajectory_dataset(system, recipe, seed=1, use_cache=False)
    c = trajectory_dataset(system, recipe, seed=2, use_cache=False)
    assert torch.equal(a.x_train, b.x_train) and not torch.equal(a.x_train, c.x_train)


def test_cache_round_trip_and_corrupt_entry_is_rebuilt() -> None:
    system = hamnet.systems.get("spring")
    recipe = dataclasses.replace(system.recipe, n_trajectories=4)
    fresh = trajectory_dataset(system, recipe, seed=9)
    files = sorted(cache_dir().glob("spring-*.safetensors"), key=os.path.getmtime)
    assert files, "the data set was not cached"
    cached = trajectory_dataset(system, recipe, seed=9)
    assert torch.equal(fresh.x_test, cached.x_test)
    Path(files[-1]).write_bytes(b"garbage")
    rebuilt = trajectory_dataset(system, recipe, seed=9)
    assert torch.equal(fresh.x_test, rebuilt.x_test)
    assert not list(cache_dir().glob(".*.tmp"))

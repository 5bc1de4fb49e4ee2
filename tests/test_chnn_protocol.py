"""CHNN's protocol (`--preset chnn-paper`): chunked training data, the L1 rollout loss,
AdamW on a cosine schedule, and its scoring (starts along true trajectories, positions and
velocities, a componentwise nudge, the geometric mean over states), with its published
numbers beside ours."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hamnet import objectives, systems
from hamnet.data import trajectory_dataset
from hamnet.data.trajectories import true_flow
from hamnet.errors import InvalidValueError
from hamnet.experiments import RunConfig
from hamnet.horizon import HorizonProtocol, _truth, horizon_protocol, long_horizon_metrics
from hamnet.models import DynamicsModel
from hamnet.pipeline import evaluate_run, load_horizon_curves, protocol_factor, train_run
from hamnet.report import horizon_error_table
from hamnet.systems import EnergyProtocol, TrajectoryRecipe
from hamnet.training import TrainSettings

EPS = torch.finfo(torch.float64).eps


class TrueField(DynamicsModel):
    """A system's own field as a 'model'."""

    kind = "field"

    def __init__(self, system):
        super().__init__(system.dim, ())
        self.system = system
        self.anchor = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))

    def _time_derivative(self, x):
        return self.system.vector_field(x)


def test_each_trajectory_keeps_one_random_chunk_of_its_flow() -> None:
    system = systems.get("chain-pendulum:2")
    recipe = TrajectoryRecipe(n_trajectories=12, t_end=2.97, n_points=100, chunk_points=5, test_fraction=0.25)
    data = trajectory_dataset(system, recipe, seed=4, use_cache=False)
    assert data.x_train.shape == (9 * 5, system.dim) and data.x_test.shape == (3 * 5, system.dim)
    assert torch.allclose(data.extras["t"], torch.tensor([0.0, 0.03, 0.06, 0.09, 0.12], dtype=torch.float64))
    chunks = data.x_train.reshape(9, 5, system.dim)
    # a chunk is the true flow from its first state, sampled every 0.03
    flowed = true_flow(system, chunks[:, 0], data.extras["t"], 1e-10, 1e-10)
    assert (flowed - chunks).abs().max() < 1e-7
    # chunks start at different times: not all at the trajectories' start
    full = trajectory_dataset(system, TrajectoryRecipe(n_trajectories=12, t_end=2.97, n_points=100,
                                                       test_fraction=0.25), seed=4, use_cache=False)
    starts = full.x_train.reshape(9, 100, system.dim)[:, 0]
    assert not torch.allclose(starts, chunks[:, 0])


@pytest.mark.parametrize("chunk", [1, 101, 2.5])
def test_a_chunk_longer_than_the_trajectory_or_of_one_point_is_refused(chunk) -> None:
    with pytest.raises(InvalidValueError, match="chunk_points must be an integer from 2 to n_points"):
        TrajectoryRecipe(n_trajectories=2, t_end=1.0, n_points=100, chunk_points=chunk)


def test_the_absolute_error_rollout_loss_is_the_mean_distance() -> None:
    class Still(DynamicsModel):
        kind = "still"

        def __init__(self):
            super().__init__(4, ())
            self.anchor = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))

        def _time_derivative(self, x):
            return torch.zeros_like(x)

    window = torch.arange(24, dtype=torch.float64).reshape(2, 3, 4)
    dt = torch.full((2, 2), 0.1, dtype=torch.float64)
    objective = objectives.get("rollout", {"unroll": 2, "error": "absolute"})
    loss = objective.terms(Still(), window, dt)["loss"]
    expected = (window[:, 1:] - window[:, :1]).abs().mean(dim=(1, 2))
    assert torch.equal(loss, expected)  # a still model stays at the first state
    with pytest.raises(InvalidValueError, match="error must be one of squared, absolute"):
        objectives.get("rollout", {"error": "huber"})


def test_the_cosine_schedule_falls_from_lr_to_zero() -> None:
    settings = TrainSettings(steps=100, lr=3e-3, schedule="cosine", optimizer="adamw")
    assert settings.learning_rate(0) == 3e-3
    assert abs(settings.learning_rate(50) - 1.5e-3) < 1e-15
    assert 0 < settings.learning_rate(99) < 1e-6
    assert TrainSettings(steps=100, lr=3e-3).learning_rate(99) == 3e-3
    for bad in ({"optimizer": "sgd"}, {"schedule": "linear"}):
        with pytest.raises(InvalidValueError, match="must be one of"):
            TrainSettings(**bad).validate()


def test_the_chnn_preset_is_their_protocol() -> None:
    config = RunConfig.for_task("chain-pendulum:3", "chnn", 0, "chnn-paper")
    assert config.hidden == (256, 256, 256)
    assert (config.train.optimizer, config.train.schedule, config.train.lr, config.train.steps) == \
        ("adamw", "cosine", 3e-3, 8000)
    assert config.objective == "rollout" and config.objective_options["error"] == "absolute"
    assert config.objective_options["unroll"] == 4 and config.recipe["chunk_points"] == 5
    protocol = horizon_protocol(EnergyProtocol(**config.protocol))
    assert (protocol.n_states, protocol.factor, protocol.velocities, protocol.state_mean) == (100, 1.0, True, "geometric")
    # 800 training chunks
    assert config.recipe["n_trajectories"] * (1 - config.recipe["test_fraction"]) == 800


def test_velocity_state_divides_momenta_by_the_masses() -> None:
    system = systems.get("chain-pendulum:3")
    x = system.sample_initial(5, torch.Generator().manual_seed(0))
    scored = system.velocity_state(x)
    masses = torch.tensor(system.masses, dtype=torch.float64).repeat_interleave(2)
    assert torch.equal(scored[:, :6], x[:, :6])
    # the generic solve with the system's diagonal mass matrix: a few roundings of p / m
    assert (scored[:, 6:] - x[:, 6:] / masses).abs().max() <= 4 * EPS * (x[:, 6:] / masses).abs().max()


def test_their_scoring_of_the_true_field_is_its_integration_error_far_below_the_floor() -> None:
    system = systems.get("chain-pendulum:2")
    protocol = HorizonProtocol(factor=1.0, n_states=8, n_points=100, componentwise=True, advance_step=0.15,
                               advance_steps=20, velocities=True, state_mean="geometric")
    metrics, curves = long_horizon_metrics(system, TrueField(system), 2.97, protocol)
    # the floor of a 1e-4 nudge on the 2-chain over 3 s: CHNN measured 5.9e-5 ± 0.4e-5
    assert 2e-5 < metrics["horizon_floor"] < 2e-4
    assert metrics["horizon_error"] < 1e-2 * metrics["horizon_floor"]  # dopri5 at rtol 1e-7 vs 1e-10
    # the geometric mean over states is at most the arithmetic one (AM-GM)
    per_state = curves.floor[1:].log().mean(0).exp().numpy()
    assert metrics["horizon_floor"] <= per_state.mean() * (1 + 1e-12)
    assert math.isclose(metrics["horizon_floor"], float(np.exp(np.log(per_state).mean())), rel_tol=1e-12)


def test_starts_along_true_trajectories_keep_their_energy() -> None:
    system = systems.get("chain-pendulum:2")
    plain = HorizonProtocol(factor=0.1, n_states=6, n_points=3)
    moved = HorizonProtocol(factor=0.1, n_states=6, n_points=3, advance_step=0.15, advance_steps=20)
    a, b = _truth(system, 2.97, plain)["x0"], _truth(system, 2.97, moved)["x0"]
    assert not torch.allclose(a, b)
    energy = system.hamiltonian(a)
    assert ((system.hamiltonian(b) - energy).abs() / energy.abs().clamp_min(1)).max() < 1e-7


@pytest.mark.parametrize("settings, message", [
    ({"velocity": True}, "unknown protocol horizon setting 'velocity'"),
    ({"state_mean": "median"}, "state_mean must be one of arithmetic, geometric"),
    ({"advance_steps": 0}, "advance_steps must be an integer of at least 1"),
    ({"factor": -1}, "factor must be a positive number"),
    ({"componentwise": "yes"}, "componentwise must be true or false"),
])
def test_a_bad_horizon_setting_is_named(settings, message) -> None:
    with pytest.raises(InvalidValueError, match=message):
        horizon_protocol(EnergyProtocol(horizon=settings))


def test_published_numbers_stand_beside_ours_in_the_horizon_table() -> None:
    records = [{"task": "chain-pendulum:2", "model": "chnn", "seed": 0, "horizon_error": 2e-4, "horizon_floor": 6e-5,
                "paper_horizon_error": 1e-4, "paper_horizon_error_se": 1e-5, "paper_horizon_floor": 5.9e-5}]
    table = horizon_error_table(records, "CHNN paper")
    header, _, row = table.splitlines()
    assert header == "| task | chaos floor | CHNN paper floor | CHNN | CHNN paper | ratio |"
    assert row.endswith("| 1.000e-04 ± 1.0e-05 | 2.00 |") and "(3.33× floor)" in row
    assert "CHNN paper" not in horizon_error_table(records)  # no label: ours only


def test_a_quick_chnn_protocol_run_trains_and_is_scored_their_way(tmp_path) -> None:
    config = RunConfig.for_task("chain-pendulum:2", "chnn", 0, "chnn-paper-quick", 30)
    train_run(config, tmp_path / "run")
    metrics = evaluate_run(tmp_path / "run")
    assert math.isfinite(metrics["test_loss"]) and math.isfinite(metrics["test_dxdt_mse"])
    assert 2e-5 < metrics["horizon_floor"] < 2e-4  # their 1e-4 componentwise nudge, 3 s
    assert metrics["horizon_error"] > metrics["horizon_floor"]
    # scored over the protocol's horizon (1x: their 3 s), not the default 10x
    assert protocol_factor(tmp_path / "run") == 1.0
    assert abs(float(load_horizon_curves(tmp_path / "run").t[-1]) - 2.97) < 1e-12

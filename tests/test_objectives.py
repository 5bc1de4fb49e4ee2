"""Training objectives: the rollout objective's windows, its loss, training through an
integrator, and its settings in a run's config."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import hamnet
from hamnet.data import trajectory_dataset
from hamnet.errors import InvalidValueError
from hamnet.experiments import RunConfig
from hamnet.models import DynamicsModel
from hamnet.objectives import RolloutObjective
from hamnet.pipeline import build_data, evaluate_run, train_run
from hamnet.training import TrainSettings, train_one


class TrueField(DynamicsModel):
    """The spring's own field as a 'model' (no parameters to learn)."""

    kind, separable = "true", True

    def __init__(self):
        super().__init__(2, ())
        self.system = hamnet.systems.get("spring")
        self.anchor = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))

    def _time_derivative(self, x):
        return self.system.vector_field(x)


def noiseless_spring() -> hamnet.data.Dataset:
    system = hamnet.systems.get("spring")
    return trajectory_dataset(system, dataclasses.replace(system.recipe, noise_std=0.0, n_trajectories=6), seed=0)


def test_windows_are_consecutive_states_of_one_trajectory() -> None:
    data = noiseless_spring()
    window, dt = data.windows("train", 8)
    per_trajectory = data.x_train.reshape(-1, 30, 2)
    assert window.shape == (3 * 22, 9, 2) and dt.shape == (3 * 22, 8)
    assert torch.equal(window[0], per_trajectory[0, :9]) and torch.equal(window[22], per_trajectory[1, :9])
    torch.testing.assert_close(dt, torch.full_like(dt, 3.0 / 29), rtol=1e-12, atol=0)
    with pytest.raises(InvalidValueError, match="more than 30 points"):
        data.windows("train", 30)


@pytest.mark.parametrize("integrator,substeps,bound", [("rk4", 4, 1e-10), ("leapfrog", 16, 1e-6),
                                                       ("implicit-midpoint", 16, 1e-6)])
def test_the_true_field_has_no_rollout_loss(integrator: str, substeps: int, bound: float) -> None:
    """Unrolling the true field through noiseless windows reproduces them up to the
    integrator's error (rk4: h⁴, the second-order methods: h²)."""
    window, dt = noiseless_spring().windows("test", 8)
    objective = RolloutObjective(unroll=8, integrator=integrator, substeps=substeps)
    loss = objective.terms(TrueField(), window, dt)["loss"]
    assert loss.shape == (window.shape[0],) and float(loss.max()) < bound


def test_a_separable_hnn_learns_through_leapfrog_unrolls() -> None:
    """The gradient flows back through every leapfrog step: 150 steps of Adam cut the
    8-step rollout loss on the spring by over 10×."""
    data = noiseless_spring()
    objective = RolloutObjective(unroll=8, integrator="leapfrog")
    model = hamnet.models.build("hnn-separable", 2, (32, 32), generator=torch.Generator().manual_seed(0))
    history = train_one(model, objective.tensors(data, "train"), objective.tensors(data, "test"),
                        TrainSettings(steps=150, lr=3e-3, weight_decay=0.0, eval_every=50), seed=0,
                        objective=objective, show_progress=False)
    assert history.test_loss[-1] < 0.1 * history.train_loss[0]


def test_measured_series_windows_keep_their_uneven_steps() -> None:
    """The real pendulum's series has gaps of 1/3 and 1/2 s: windows across them say so."""
    try:
        data = build_data(RunConfig.for_task("real-pendulum", "hnn"))
    except hamnet.HamnetError as exc:
        pytest.skip(f"needs the measured series: {exc}")
    _, dt = data.windows("train", 4)
    assert dt.shape == (444 - 4, 4)
    assert {round(v, 3) for v in dt.flatten().tolist()} == {0.167, 0.333, 0.5}


def test_a_rollout_run_saves_its_settings_and_evaluates(tmp_path) -> None:
    config = RunConfig.for_task("spring", "hnn-separable", steps=20, objective="rollout",
                                objective_options={"unroll": 4, "integrator": "leapfrog"})
    assert config.objective_options == {"unroll": 4, "integrator": "leapfrog", "substeps": 1, "error": "squared"}
    train_run(config, tmp_path / "run", show_progress=False)
    assert hamnet.runs.load_config(tmp_path / "run") == config
    metrics = evaluate_run(tmp_path / "run")
    assert metrics["test_loss"] > 0 and metrics["energy_mse"] > 0
    with pytest.raises(InvalidValueError, match="needs a separable model"):
        RunConfig.for_task("spring", "hnn", objective="rollout", objective_options={"integrator": "yoshida4"})
    with pytest.raises(InvalidValueError, match="does not fit task 'pixel-pendulum'"):
        RunConfig.for_task("pixel-pendulum", "hnn", objective="rollout")


def test_reproduce_with_another_objective_sets_no_published_numbers_beside_it(tmp_path) -> None:
    from hamnet.reproduce import reproduce

    records = reproduce(["spring"], "full", seeds=1, out_dir=tmp_path, steps=5, show_progress=False, jobs=1,
                        models=["hnn"], objective="rollout", objective_options={"unroll": 2})
    assert "paper_test_loss" not in records[0] and "horizon_error" in records[0]
    assert "(paper)" not in (tmp_path / "results.md").read_text()


def test_seeds_with_an_objective_that_cannot_be_stacked_train_one_after_the_other(tmp_path) -> None:
    """Implicit midpoint stops when converged (data-dependent, no vmap): two seeds train
    alone, each as it would by itself."""
    from hamnet.pipeline import train_runs

    options = {"unroll": 2, "integrator": "implicit-midpoint"}
    configs = [RunConfig.for_task("spring", "hnn", seed=s, steps=3, objective="rollout", objective_options=options)
               for s in (0, 1)]
    assert not hamnet.objectives.get("rollout", options).stackable
    together = train_runs(configs, [tmp_path / "a0", tmp_path / "a1"], show_progress=False)
    alone = train_run(configs[1], tmp_path / "b1", show_progress=False)
    assert together[1][1].train_loss == alone[1].train_loss  # the same path: bitwise

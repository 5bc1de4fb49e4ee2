"""Tuning: validation data cut from the training split, tuned presets as files, and a tiny
Optuna tune that scores on validation data, resumes, and writes a preset reproduce runs."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from hamnet.data import Dataset
from hamnet.errors import HamnetError, InvalidValueError
from hamnet.experiments import RunConfig, presets
from hamnet.tuning.study import run_tune


def _dataset(lengths: list[int] | None = None, grid: int | None = None, n: int = 20) -> Dataset:
    x = torch.arange(2.0 * n, dtype=torch.float64).reshape(n, 2)
    extras = {}
    if grid is not None:
        extras["t"] = torch.linspace(0, 1, grid, dtype=torch.float64)
    if lengths is not None:
        extras |= {"t_train": torch.arange(float(n)), "lengths_train": torch.tensor(lengths),
                   "t_test": torch.zeros(3), "lengths_test": torch.tensor([3])}
    return Dataset(x, -x, torch.full((3, 2), 1e9), torch.full((3, 2), 1e9), extras)


def test_holdout_cuts_whole_trajectories_from_the_training_split_only() -> None:
    data = _dataset(grid=5)  # 4 trajectories of 5 points
    held = data.holdout(0.25)
    assert torch.equal(held.x_train, data.x_train[:15]) and torch.equal(held.x_test, data.x_train[15:])
    assert torch.equal(held.dxdt_test, data.dxdt_train[15:])
    assert held.windows("test", 2)[0].shape == (3, 3, 2)  # the held-out part is one whole trajectory
    measured = _dataset(lengths=[6, 6, 8]).holdout(0.3)  # round(0.9) = 1 trajectory, the last
    assert measured.extras["lengths_train"].tolist() == [6, 6] and measured.extras["lengths_test"].tolist() == [8]
    assert torch.equal(measured.extras["t_test"], torch.arange(12.0, 20.0))
    assert len(measured.segments("test")) == 1
    one = _dataset(lengths=[20]).holdout(0.2)  # a single trajectory: cut in time
    assert one.x_train.shape[0] == 16 and torch.equal(one.x_test, _dataset().x_train[16:])
    for held in (held, measured, one):  # nothing of the task's test split is left
        assert not (held.x_test == 1e9).any()
    with pytest.raises(InvalidValueError, match="leaves no training or no validation samples"):
        _dataset(n=1).holdout(0.5)


@pytest.mark.parametrize("value,message", [(1.0, "validation must be a fraction"), (0, "validation must be a fraction"),
                                           ("0.2", "validation must be a fraction")])
def test_a_bad_validation_fraction_is_refused(value, message: str) -> None:
    with pytest.raises(InvalidValueError, match=message):
        dataclasses.replace(RunConfig.for_task("spring", "hnn", preset="quick"), validation=value).validate()


def test_observations_cannot_be_split_for_validation() -> None:
    config = dataclasses.replace(RunConfig.for_task("pixel-pendulum", "hnn", preset="quick"), validation=0.2)
    with pytest.raises(InvalidValueError, match="observations cannot be split for validation"):
        config.validate()


def _tuned_file(tmp_path: Path, document: object) -> str:
    path = tmp_path / "tuned.json"
    path.write_text(json.dumps(document))
    return str(path)


GOOD = {"format": 1, "base": "quick",
        "experiments": {"spring": {"hnn": {"train.lr": 0.004, "hidden": [64]}, "baseline": {"train.weight_decay": 0.0}}}}


@pytest.mark.parametrize("document,message", [
    ([1, 2], "not a tuned-preset file"),
    (GOOD | {"format": 7}, "not a tuned-preset file"),
    (GOOD | {"base": "huge"}, "base must name a built-in preset"),
    (GOOD | {"experiments": {}}, "experiments must map tasks"),
    (GOOD | {"experiments": {"spring": {"gpt": {}}}}, "unknown model 'gpt'"),
    (GOOD | {"experiments": {"spring": ["hnn"]}}, "experiments.spring must map models"),
    (GOOD | {"base": "dhnn-paper"}, "task 'spring' has no experiment in its base preset 'dhnn-paper'"),
])
def test_a_bad_tuned_preset_is_refused_naming_the_problem(tmp_path, document, message: str) -> None:
    with pytest.raises(HamnetError, match=message):
        presets.preset(_tuned_file(tmp_path, document))


def test_a_tuned_preset_sets_each_models_own_settings(tmp_path) -> None:
    name = _tuned_file(tmp_path, GOOD)
    chosen = presets.preset(name)
    assert chosen.tasks == ("spring",) and presets.get("spring", name).models == ("hnn", "baseline")
    hnn = RunConfig.for_task("spring", "hnn", preset=name)
    base = presets.get("spring", GOOD["base"]).train
    assert hnn.train.lr == 0.004 and hnn.hidden == (64,) and hnn.train.steps == base.steps  # the rest is the base's
    assert RunConfig.for_task("spring", "baseline", preset=name).train.weight_decay == 0.0
    explicit = RunConfig.for_task("spring", "hnn", preset=name, lr=1e-2, steps=7)  # explicit settings win
    assert (explicit.train.lr, explicit.train.steps, explicit.hidden) == (1e-2, 7, (64,))
    bad = _tuned_file(tmp_path, GOOD | {"experiments": {"spring": {"hnn": {"train.momentum": 0.9}}}})
    with pytest.raises(InvalidValueError, match="preset .*model 'hnn'.*'train.momentum' names no field"):
        RunConfig.for_task("spring", "hnn", preset=bad)


def test_the_shipped_tuned_preset_builds_every_run() -> None:
    chosen = presets.preset("tuned")
    for task in chosen.tasks:
        for model in presets.get(task, "tuned").models:
            config = RunConfig.for_task(task, model, preset="tuned")
            assert config.validation is None  # tuned on validation data, run on the task's own split


def test_a_tiny_tune_scores_on_validation_resumes_and_writes_a_preset(tmp_path) -> None:
    out = tmp_path / "tune"
    (row,) = run_tune(["spring"], ["baseline"], 3, out, preset="quick", jobs=1, show_progress=False)
    losses = [loss for _, loss in row["history"]]
    assert [n for n, _ in row["history"]] == [0, 1, 2] and row["failed"] == 0
    assert row["preset_loss"] == losses[0] and row["tuned_loss"] == min(losses)
    first = json.loads((out / "trials" / "spring-baseline" / "trial000" / "config.json").read_text())
    assert first["validation"] == 0.2 and first["train"]["lr"] == 1e-3  # trial 0: the preset's own settings
    best = json.loads((out / "trials" / "spring-baseline" / f"trial{row['best_trial']:03d}" / "config.json").read_text())
    config = RunConfig.for_task("spring", "baseline", preset=str(out / "tuned.json"))
    assert (config.train.lr, list(config.hidden)) == (best["train"]["lr"], best["hidden"])
    assert config.validation is None
    assert "| spring | Baseline | 3 (0) |" in (out / "tune.md").read_text() and (out / "tune.png").exists()
    kept = (out / "trials" / "spring-baseline" / "trial001" / "history.json").stat().st_mtime_ns
    (again,) = run_tune(["spring"], ["baseline"], 4, out, preset="quick", jobs=1, show_progress=False)
    assert again["history"][:3] == row["history"] and len(again["history"]) == 4  # one more trial, the rest kept
    assert (out / "trials" / "spring-baseline" / "trial001" / "history.json").stat().st_mtime_ns == kept
    with pytest.raises(InvalidValueError, match="tuned with other settings"):
        run_tune(["spring"], ["baseline"], 4, out, preset="quick", jobs=1, show_progress=False, validation=0.3)

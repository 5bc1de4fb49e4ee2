"""Run directories: load round trip, missing and corrupt files."""

from __future__ import annotations

import json

import pytest
import torch

import hamnet
from hamnet.errors import RunDirectoryError
from hamnet.experiments import RunConfig
from hamnet.pipeline import plot_run, train_run
from hamnet.runs.files import CONFIG, WEIGHTS, fingerprint


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "spring-hnn"
    train_run(RunConfig.for_task("spring", "hnn", steps=50), out, show_progress=False)
    return out


def test_load_round_trip_gives_identical_outputs(run_dir) -> None:
    config = hamnet.runs.load_config(run_dir)
    assert config.task == "spring" and config.model == "hnn" and config.train.steps == 50
    model = hamnet.load(run_dir)
    again = hamnet.load(run_dir)
    x = torch.randn(32, 2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(model.time_derivative(x), again.time_derivative(x))
    assert torch.equal(model.hamiltonian(x), again.hamiltonian(x))


def test_evaluate_and_plot_write_files(run_dir) -> None:
    metrics = hamnet.pipeline.evaluate_run(run_dir)
    for key in ("train_loss", "train_loss_se", "test_loss", "test_loss_se", "energy_mse",
                "energy_mse_se", "train_seconds"):
        assert key in metrics and metrics[key] == metrics[key]  # present and not NaN
    assert hamnet.runs.load_metrics(run_dir) == metrics
    assert json.loads((run_dir / "metrics.json").read_text())["fingerprint"] == fingerprint(run_dir)
    paths = plot_run(run_dir)
    assert {p.name for p in paths} == {"vector_field.png", "rollouts.png", "energy_fields.png", "divergence.png",
                                       "horizon.png"}
    assert all(p.stat().st_size > 10_000 for p in paths)


@pytest.mark.parametrize("damage,match", [
    (lambda d: (d / WEIGHTS).unlink(), "model.safetensors is missing"),
    (lambda d: (d / WEIGHTS).write_bytes(b"\x00" * 10), "corrupt"),
    (lambda d: (d / CONFIG).write_text("{not json"), "corrupt"),
    (lambda d: (d / CONFIG).unlink(), "config.json is missing"),
    (lambda d: (d / CONFIG).write_text(json.dumps({"task": "spring"})), "corrupt"),
])
def test_damaged_run_directory(tmp_path, run_dir, damage, match) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(run_dir, copy)
    damage(copy)
    with pytest.raises(RunDirectoryError, match=match):
        hamnet.load(copy)


def test_missing_run_directory(tmp_path) -> None:
    with pytest.raises(RunDirectoryError, match="does not exist"):
        hamnet.load(tmp_path / "nope")


def test_a_config_written_before_fields_were_added_is_the_same_run(tmp_path, run_dir) -> None:
    """A run directory of an earlier version (its config.json lacks the fields added since:
    `residual`, `train.batch_order`, recipe fields) is the same run as today's config: it
    is resumed and kept, not retrained."""
    import shutil

    old = tmp_path / "old"
    shutil.copytree(run_dir, old)
    raw = json.loads((old / CONFIG).read_text())
    del raw["residual"], raw["train"]["batch_order"]
    raw["recipe"].pop("noise_std")
    (old / CONFIG).write_text(json.dumps(raw))
    config = RunConfig.for_task("spring", "hnn", steps=50)
    assert hamnet.runs.load_config(old) == config
    weights = (old / WEIGHTS).read_bytes()
    train_run(config, old, resume=True, show_progress=False)
    assert (old / WEIGHTS).read_bytes() == weights
    with pytest.raises(RunDirectoryError, match="--resume to continue it"):
        train_run(config, old, show_progress=False)

"""Sweeps: a file of tasks × models × seeds × overrides, run as ordinary run directories,
resumable, summarised over seeds; the same point gives the same numbers as `reproduce`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hamnet.errors import InvalidValueError
from hamnet.reproduce import reproduce
from hamnet.sweeps import load_spec, parse_spec, point_dir, run_sweep
from hamnet.tuning.study import run_tune

BASE = {"tasks": ["spring"], "models": ["baseline", "hnn"], "seeds": 1, "preset": "quick",
        "set": {"train.steps": 20}}


@pytest.mark.parametrize("change,message", [
    ({"task": ["spring"]}, "unknown key 'task'"),
    ({"tasks": []}, "tasks must be a non-empty list"),
    ({"models": ["hnn", "hnn"]}, "models names one twice"),
    ({"models": ["gpt"]}, "unknown model 'gpt'"),
    ({"models": ["hnn+nothing"]}, "unknown objective 'nothing'"),
    ({"seeds": 0}, "seeds must be between 1 and"),
    ({"seeds": [1, 1]}, "seeds must be a count or a list of distinct seeds"),
    ({"preset": "huge"}, "unknown preset 'huge'"),
    ({"grid": {"train.lr": 0.1}}, "grid.train.lr must be a non-empty list"),
    ({"grid": {"train.lr": [0.1, 0.1]}}, "grid.train.lr lists a value twice"),
    ({"grid": {"train.steps": [5, 10]}}, "'train.steps' is both fixed (set) and varied"),
    ({"grid": {"train.lr": [float("nan")]}}, "override values must be finite"),
    ({"points": [{}]}, "points must be a list of tables"),
])
def test_a_bad_sweep_file_is_refused_naming_the_problem(change: dict, message: str) -> None:
    with pytest.raises(Exception, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_spec(BASE | change)


@pytest.mark.parametrize("key,value,message", [
    ("train.momentum", 0.9, "'train.momentum' names no field of the run's train"),
    ("seed", 3, "cannot override 'seed'"),
    ("train.lr", -1.0, r'the point \{"train.steps": 20, "train.lr": -1.0\} is no valid run: learning rate must be'),
    ("recipe.n_trajectories", "many", "recipe.n_trajectories must be like"),
])
def test_a_bad_override_is_refused_before_anything_runs(tmp_path, key: str, value, message: str) -> None:
    spec = parse_spec(BASE | {"grid": {key: [value]}})
    with pytest.raises(InvalidValueError, match=message):
        run_sweep(spec, tmp_path / "out", jobs=1, show_progress=False)
    assert not (tmp_path / "out" / "runs").exists()


def test_a_tiny_sweep_runs_resumes_and_summarises(tmp_path) -> None:
    path = tmp_path / "sweep.toml"
    path.write_text('tasks = ["spring"]\nmodels = ["hnn"]\nseeds = 2\npreset = "quick"\n'
                    '[set]\n"train.steps" = 20\n[grid]\n"train.lr" = [1e-3, 3e-3]\n')
    spec = load_spec(path)
    records = run_sweep(spec, tmp_path / "out", jobs=1, show_progress=False)
    assert len(records) == 4 and {r["train.lr"] for r in records} == {1e-3, 3e-3}
    point = next(p for p in spec.points() if p.model == "hnn" and p.overrides["train.lr"] == 3e-3 and p.seed == 1)
    config = json.loads((point_dir(tmp_path / "out", point) / "config.json").read_text())
    assert config["train"]["lr"] == 3e-3 and config["train"]["steps"] == 20
    saved = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert saved["axes"] == ["train.lr"] and len(saved["summary"]) == 2
    row = next(r for r in saved["summary"] if r["model"] == "hnn" and r["train.lr"] == 1e-3)
    seeds = [r["test_loss"] for r in records if r["model"] == "hnn" and r["train.lr"] == 1e-3]
    assert row["seeds"] == 2 and row["test_loss"] == pytest.approx(sum(seeds) / 2, rel=1e-12)
    assert (tmp_path / "out" / "sweep-train.lr.png").exists()
    assert "| spring | HNN | 0.003 | 2 |" in (tmp_path / "out" / "sweep.md").read_text()
    again = run_sweep(spec, tmp_path / "out", jobs=1, show_progress=False)  # finished points are kept
    assert "0 trained, 4 kept from an earlier run" in (tmp_path / "out" / "sweep.md").read_text()
    assert again == records
    # a point gives the numbers `reproduce` gives for the same run: one code path, the same arithmetic
    (reproduced,) = reproduce(["spring"], "quick", seeds=1, out_dir=tmp_path / "reproduce", steps=20,
                              lr=3e-3, show_progress=False, jobs=1, models=["hnn"])
    swept = next(r for r in records if r["model"] == "hnn" and r["train.lr"] == 3e-3 and r["seed"] == 0)
    for metric in ("test_loss", "energy_mse", "horizon_error"):
        assert swept[metric] == reproduced[metric]


def test_ray_gives_the_local_pools_numbers_for_sweeps_and_tunes(tmp_path) -> None:
    """The same points, and the same tune, on a local Ray instance (2 CPUs, started once for
    both) and on the local pool: identical metrics and trials."""
    ray = pytest.importorskip("ray")
    spec = parse_spec(BASE | {"models": ["hnn"], "grid": {"train.lr": [1e-3, 3e-3]}})
    local = run_sweep(spec, tmp_path / "local", jobs=1, show_progress=False)
    tune = {"tasks": ["spring"], "models": ["baseline"], "trials": 2, "preset": "quick", "jobs": 1,
            "show_progress": False}
    tuned_here = run_tune(**tune, out_dir=tmp_path / "tune-local")
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    try:
        on_ray = run_sweep(spec, tmp_path / "ray", jobs=2, show_progress=False, backend="ray")
        tuned_on_ray = run_tune(**tune, out_dir=tmp_path / "tune-ray", backend="ray")
    finally:
        ray.shutdown()
    assert len(local) == len(on_ray) == 2
    drop = {"train_seconds"}
    assert [{k: v for k, v in r.items() if k not in drop} for r in on_ray] == \
        [{k: v for k, v in r.items() if k not in drop} for r in local]
    assert "backend ray · 2 points: 2 trained" in (tmp_path / "ray" / "sweep.md").read_text()
    assert tuned_on_ray == tuned_here and len(tuned_here[0]["history"]) == 2


@pytest.mark.parametrize("name,axis,values", [("data-efficiency", "recipe.n_trajectories", 5),
                                              ("noise", "recipe.noise_std", 4)])
def test_the_built_in_curves_are_sweeps_of_every_registered_model(name: str, axis: str, values: int) -> None:
    from hamnet import models, systems
    from hamnet.sweeps.files import builtin_names

    assert name in builtin_names()
    spec = load_spec(name)
    assert spec.models == tuple(models.names()) and spec.axes == [axis] and len(spec.grid[axis]) == values
    assert spec.preset == "full" and load_spec(name, quick=True).preset == "quick"
    fitting = [kind for kind in models.names() if models.fits(kind, systems.get("spring"))]  # chnn: none
    assert len(spec.points()) == 2 * len(fitting) * values * 3  # every point builds


def test_chnn_data_efficiency_is_their_curve_on_their_protocol() -> None:
    spec = load_spec("chnn-data-efficiency")
    assert spec.models == ("baseline", "hnn", "chnn", "clnn") and spec.preset == "chnn-paper"
    assert load_spec("chnn-data-efficiency", quick=True).preset == "chnn-paper-quick"
    points = spec.points()
    assert len(points) == 4 * 6 * 3
    trains = sorted({int(p.config.recipe["n_trajectories"] * (1 - p.config.recipe["test_fraction"])) for p in points})
    assert trains == [20, 40, 80, 200, 400, 800]
    assert {p.config.objective_options["error"] for p in points} == {"absolute"}


def test_a_missing_sweep_file_names_the_built_in_ones(tmp_path) -> None:
    with pytest.raises(InvalidValueError, match="does not exist .built-in sweeps: chnn-data-efficiency, data-efficiency, noise"):
        load_spec(tmp_path / "none.toml")


@pytest.mark.parametrize("path", sorted((Path(__file__).parents[1] / "docs" / "examples").glob("*.toml")),
                         ids=lambda p: p.name)
def test_every_example_sweep_builds_its_points(path: Path) -> None:
    """The sweep files docs/pixels.md quotes still describe runs hamnet can build."""
    spec = load_spec(path)
    points = spec.points()
    assert len(points) == len(spec.combinations()) * len(spec.tasks) * len(spec.models) * len(spec.seeds)

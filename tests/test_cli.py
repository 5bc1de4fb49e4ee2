"""The command line: a working train/evaluate/plot cycle (bad input: tests/test_bad_inputs.py)."""

from __future__ import annotations

import os
import stat

import pytest

from conftest import run_cli


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "spring-hnn"
    result = run_cli("train", "--task", "spring", "--model", "hnn", "--out", str(out), "--steps", "40")
    assert result.returncode == 0, result.stderr
    return out


def test_train_evaluate_plot(trained_run) -> None:
    assert (trained_run / "model.safetensors").exists() and (trained_run / "config.json").exists()
    result = run_cli("evaluate", str(trained_run))
    assert result.returncode == 0, result.stderr
    assert "energy_mse" in result.stdout and (trained_run / "metrics.json").exists()
    result = run_cli("plot", str(trained_run))
    assert result.returncode == 0, result.stderr
    assert (trained_run / "vector_field.png").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_out_as_user(tmp_path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    result = run_cli("train", "--task", "spring", "--model", "hnn", "--out", str(locked / "run"))
    assert_one_line_error(result, "not writable")


def test_models_and_tasks_list_the_registries() -> None:
    """`hamnet models` and `hamnet tasks` print what the registries hold, nothing typed twice."""
    import hamnet

    models, tasks = run_cli("models"), run_cli("tasks")
    assert models.returncode == 0 and tasks.returncode == 0, models.stderr + tasks.stderr
    for kind in hamnet.models.names():
        assert kind in models.stdout and hamnet.models.title(kind) in models.stdout
    for task in hamnet.experiments.tasks():
        assert task in tasks.stdout
    assert "damped-spring" in tasks.stdout and "dhnn" in models.stdout

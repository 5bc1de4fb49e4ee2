"""The command line: a working train/evaluate/plot cycle, and one line + exit 2 on bad input."""

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


@pytest.mark.parametrize("args,fragments", [
    (["--task", "spam", "--model", "hnn"], ["unknown task 'spam'", "spring"]),
    (["--task", "spring", "--model", "gpt"], ["unknown model 'gpt'", "hnn"]),
    (["--task", "spring", "--model", "hnn", "--steps", "0"], ["steps must be between 1 and"]),
    (["--task", "spring", "--model", "hnn", "--steps", "-3"], ["steps must be between 1 and"]),
    (["--task", "spring", "--model", "baseline", "--steps", "30", "--lr", "1e20"], ["diverged", "step"]),
])
def test_train_bad_input(tmp_path, args, fragments) -> None:
    result = run_cli("train", *args, "--out", str(tmp_path / "run"))
    assert_one_line_error(result, *fragments)
    assert not (tmp_path / "run" / "model.safetensors").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_out_as_user(tmp_path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    result = run_cli("train", "--task", "spring", "--model", "hnn", "--out", str(locked / "run"))
    assert_one_line_error(result, "not writable")


def test_out_is_a_file(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("train", "--task", "spring", "--model", "hnn", "--out", str(blocker / "run"))
    assert_one_line_error(result, "not writable")
    result = run_cli("reproduce", "--quick", "--out", str(blocker))
    assert_one_line_error(result, "not writable")


def test_damaged_run_dirs(tmp_path, trained_run) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(trained_run, broken)
    (broken / "model.safetensors").write_bytes(b"junk")
    assert_one_line_error(run_cli("evaluate", str(broken)), "corrupt")
    (broken / "model.safetensors").unlink()
    assert_one_line_error(run_cli("plot", str(broken)), "missing")
    assert_one_line_error(run_cli("evaluate", str(tmp_path / "absent")), "does not exist")


def test_reproduce_bad_input(tmp_path) -> None:
    assert_one_line_error(run_cli("reproduce", "--tasks", "spring,moon", "--out", str(tmp_path)), "moon")
    assert_one_line_error(run_cli("reproduce", "--seeds", "0", "--out", str(tmp_path)), "seeds")

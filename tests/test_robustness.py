"""Runs a lab can leave overnight: a run directory belongs to one run, reproduce survives
`kill -9` and Ctrl-C, two processes never write one output, files follow the umask, and
a diverging model is reported instead of crashing the table."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import hamnet
from hamnet.errors import DirectoryInUseError, RunDirectoryError
from hamnet.experiments import RunConfig
from hamnet.pipeline import build_data, evaluate_run, plot_rollouts, train_run
from hamnet.runs import load_metrics
from hamnet.runs.files import CHECKPOINT, METRICS, ROLLOUTS, WEIGHTS
from hamnet.runs.locks import OWNER_FILE, exclusive

from conftest import run_cli

#: reproduce's quick spring, 450 steps with a checkpoint every 100 (the quick preset's interval).
QUICK_SPRING = ["reproduce", "--quick", "--tasks", "spring", "--steps", "450", "--jobs", "2"]


#: Runs `python -m hamnet` with Ctrl-C raising KeyboardInterrupt, as at a terminal, even where
#: the test run itself started with SIGINT ignored (a background job of a script), which
#: its children would otherwise inherit.
AS_AT_A_TERMINAL = ("import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
                    "runpy.run_module('hamnet', run_name='__main__', alter_sys=True)")


def cli_process(*args: str, **kwargs) -> subprocess.Popen:
    """`python -m hamnet ARGS` started in the background (stdout/stderr captured)."""
    return subprocess.Popen([sys.executable, "-c", AS_AT_A_TERMINAL, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, CI="true"), **kwargs)


def wait_for(condition, timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def numbers(results: Path) -> list[dict]:
    """results.json without the wall-clock fields."""
    return [{k: v for k, v in record.items() if k != "train_seconds"}
            for record in json.loads(results.read_text())]


def leftovers(folder: Path) -> list[Path]:
    """Temporary files or owner records that a finished command should not leave."""
    return [p for p in folder.rglob("*") if p.name.endswith(".hamnet-tmp") or p.name == OWNER_FILE]


# --- reproduce: crashes and company ---------------------------------------------------

def test_reproduce_in_company_and_after_kill_9_twice(tmp_path) -> None:
    """A reference reproduce runs while a second one and a train are refused (naming its
    pid); another reproduce is killed (-9, the main process only) at its first checkpoint
    and again when its first run is finished; the third call finishes the work, keeping the
    finished runs, and its numbers equal the uninterrupted reference's."""
    reference = cli_process(*QUICK_SPRING, "--out", str(tmp_path / "ref"))
    wait_for(lambda: (tmp_path / "ref" / OWNER_FILE).exists(), what="the reference to take its lock")
    second = run_cli(*QUICK_SPRING, "--out", str(tmp_path / "ref"))
    assert second.returncode == 2 and f"in use by pid {reference.pid}" in one_line(second.stderr)
    intruder = run_cli("train", "--task", "spring", "--model", "hnn", "--out", str(tmp_path / "ref"))
    assert intruder.returncode == 2 and f"in use by pid {reference.pid}" in one_line(intruder.stderr)

    out = tmp_path / "crashed"
    runs = out / "runs"
    for moment in (lambda: any(runs.glob(f"*/{CHECKPOINT}")), lambda: any(runs.glob(f"*/{METRICS}"))):
        victim = cli_process(*QUICK_SPRING, "--out", str(out))
        wait_for(moment, what="the moment to kill")
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    finished_before = {p.parent.name for p in runs.glob(f"*/{METRICS}")}
    assert finished_before, "the second kill came after a run had finished"
    result = run_cli(*QUICK_SPRING, "--out", str(out))
    assert result.returncode == 0, result.stderr
    for name in finished_before:
        task, model, seed = name.rsplit("-", 2)
        assert any(f"{model} {seed.replace('seed', 'seed ')}" in line and "kept from an earlier run" in line
                   for line in result.stderr.splitlines()), result.stderr

    assert reference.wait(timeout=300) == 0, reference.stderr.read()
    assert numbers(out / "results.json") == numbers(tmp_path / "ref" / "results.json")
    assert leftovers(tmp_path) == []


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path) -> None:
    holder = subprocess.run([sys.executable, "-c", (
        "import os, signal, sys; from hamnet.runs.locks import exclusive\n"
        "with exclusive(sys.argv[1]):\n    os.kill(os.getpid(), signal.SIGKILL)"), str(tmp_path / "out")])
    assert holder.returncode == -signal.SIGKILL
    assert (tmp_path / "out" / OWNER_FILE).exists()  # what the dead holder left
    with exclusive(tmp_path / "out"):
        owner = json.loads((tmp_path / "out" / OWNER_FILE).read_text())
        assert owner["pid"] == os.getpid()
        with pytest.raises(DirectoryInUseError, match=f"pid {os.getpid()}"):
            with exclusive(tmp_path / "out"):
                pass
    assert not (tmp_path / "out" / OWNER_FILE).exists()


def test_ctrl_c_says_how_to_resume_and_resume_finishes(tmp_path) -> None:
    # 2000 steps: after the first checkpoint (step 200) ~5 s of training remain for the signal
    # to land in, also on a loaded machine (with 600, a starved test process once missed them).
    args = ["train", "--task", "spring", "--model", "hnn", "--preset", "quick", "--steps", "2000",
            "--out", str(tmp_path / "run")]
    process = cli_process(*args)
    wait_for(lambda: (tmp_path / "run" / CHECKPOINT).exists(), what="the first checkpoint")
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "--resume" in one_line(stderr)
    assert not (tmp_path / "run" / WEIGHTS).exists() and leftovers(tmp_path) == []
    resumed = run_cli(*args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert len(json.loads((tmp_path / "run" / "history.json").read_text())["train_loss"]) == 2000


# --- a run directory belongs to one run ---------------------------------------------

@pytest.fixture(scope="module")
def evaluated_run(tmp_path_factory) -> Path:
    """A tiny spring HNN run, trained, evaluated and plotted through the CLI."""
    out = tmp_path_factory.mktemp("owned") / "run"
    for args in (["train", "--task", "spring", "--model", "hnn", "--steps", "20", "--out", str(out)],
                 ["evaluate", str(out)], ["plot", str(out)]):
        result = run_cli(*args)
        assert result.returncode == 0, result.stderr
    return out


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_train_into_another_run_is_refused_and_overwrite_replaces_every_file(tmp_path, evaluated_run) -> None:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(evaluated_run, run)
    before = snapshot(run)
    other = ["train", "--task", "spring", "--model", "baseline", "--steps", "20", "--out", str(run)]
    refused = run_cli(*other)
    assert refused.returncode == 2 and "--overwrite" in one_line(refused.stderr)
    same = run_cli("train", "--task", "spring", "--model", "hnn", "--steps", "20", "--out", str(run))
    assert same.returncode == 2 and "--resume" in one_line(same.stderr)
    assert snapshot(run) == before
    replaced = run_cli(*other, "--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    left = {p.name for p in run.iterdir()} - {".hamnet.lock"}
    assert left == {"config.json", "model.safetensors", "history.json"}, left
    assert hamnet.runs.load_config(run).model == "baseline"
    plotted = run_cli("plot", str(run))  # draws the baseline's own rollouts, not the HNN's
    assert plotted.returncode == 0 and (run / "rollouts.png").exists()


def test_metrics_and_rollouts_of_other_weights_are_refused(tmp_path, evaluated_run) -> None:
    import shutil

    config = hamnet.runs.load_config(evaluated_run)
    other = tmp_path / "other"
    train_run(RunConfig.for_task("spring", "hnn", seed=1, steps=20), other, show_progress=False)
    for name in (METRICS, ROLLOUTS):
        shutil.copy(evaluated_run / name, other / name)
    with pytest.raises(RunDirectoryError, match="does not belong to the weights"):
        load_metrics(other)
    model = hamnet.load(other)
    foreign = plot_rollouts(evaluated_run, config, hamnet.load(evaluated_run), build_data(config))
    own = plot_rollouts(other, config, model, build_data(config))
    assert not torch.equal(own.model, foreign.model)  # recomputed for these weights


def test_written_files_follow_the_umask(tmp_path) -> None:
    umask = 0o027  # not the usual 0o022, so that a mode taken from anywhere else shows
    run = tmp_path / "run"
    for args in (["train", "--task", "spring", "--model", "hnn", "--steps", "5", "--out", str(run)],
                 ["evaluate", str(run)]):
        result = subprocess.run([sys.executable, "-m", "hamnet", *args], capture_output=True, text=True,
                                env=dict(os.environ, CI="true"), preexec_fn=lambda: os.umask(umask))
        assert result.returncode == 0, result.stderr
    modes = {p.name: p.stat().st_mode & 0o777 for p in run.iterdir()}
    assert set(modes) >= {"config.json", "model.safetensors", "history.json", "metrics.json", "rollouts.safetensors"}
    assert all(mode == 0o666 & ~umask for mode in modes.values()), {k: oct(v) for k, v in modes.items()}


# --- divergence --------------------------------------------------------------------

def test_reproduce_reports_a_diverging_training_and_goes_on(tmp_path) -> None:
    from hamnet.reproduce import reproduce

    records = reproduce(["spring"], "quick", seeds=1, out_dir=tmp_path, steps=30, lr=1e20, show_progress=False,
                        jobs=1)
    baseline, hnn = records  # at lr 1e20 the baseline's loss overflows; the HNN's tanh saturates
    assert "training diverged" in baseline["diverged"] and "diverged" not in hnn
    markdown = (tmp_path / "results.md").read_text()
    assert "### Notes" in markdown and "spring · Baseline · seed 0: not scored, training diverged" in markdown
    assert not (tmp_path / "runs" / "spring-baseline-seed0").exists()  # a diverged run leaves nothing
    assert (tmp_path / "figures" / "spring-rollouts.png").exists()  # the HNN's figure still drawn


def test_a_rollout_that_blows_up_scores_inf_and_is_noted(tmp_path) -> None:
    from hamnet.report import render_markdown
    from safetensors.torch import load_file, save_file

    run = tmp_path / "run"
    train_run(RunConfig.for_task("spring", "baseline", steps=5), run, show_progress=False)
    weights = load_file(str(run / WEIGHTS))
    last_bias = [k for k in weights if k.endswith("bias")][-1]
    weights[last_bias][0] = float("nan")  # dq/dt is NaN: every rollout fails at its first step
    save_file(weights, str(run / WEIGHTS))
    metrics = evaluate_run(run)
    assert metrics["energy_mse"] == math.inf and metrics["diverged_rollouts"] == 1.0
    from hamnet.metrics import Rollouts, reversibility_error

    rollouts = Rollouts.from_tensors(load_file(str(run / ROLLOUTS)))
    assert reversibility_error(hamnet.load(run), rollouts.states[0], span=2).mean == math.inf  # no exception
    record = {"task": "spring", "model": "baseline", "seed": 0, **metrics}
    assert "energy_mse" in render_markdown([record]).split("### Notes")[1]


def test_energy_mse_of_non_finite_states_is_inf() -> None:
    from hamnet.metrics import Rollouts, diverged_fraction, energy_mse

    true = torch.randn(10, 6, 2, dtype=torch.float64)
    model = true.clone()
    model[4:, 2] = float("nan")
    rollouts = Rollouts(torch.linspace(0, 1, 10, dtype=torch.float64), true, model, model)
    assert energy_mse(hamnet.systems.get("spring"), rollouts).mean == math.inf
    assert diverged_fraction(rollouts) == pytest.approx(1 / 6)

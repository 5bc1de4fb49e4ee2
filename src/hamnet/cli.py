"""The `hamnet` command line (Typer). Every `HamnetError` becomes one line and exit code 2."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.table import Table

from .checks import DEFAULT_HORIZON, MAX_SEEDS, check_count, check_lr, check_seed, check_step_size, check_steps, parse_horizon
from .errors import HamnetError, InvalidValueError, RunDirectoryError
from .progress import log

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Hamiltonian Neural Networks: train, evaluate, plot and reproduce the paper.")
console = Console()

DataDir = typer.Option(None, "--data-dir", help="Folder with data files (default: $HAMNET_DATA_DIR, "
                                                 "then ../shared/data beside the repository).")


Objective = typer.Option(None, help="Training objective (default: the preset's, derivative): derivative "
                                    "(dx/dt MSE) or rollout (unroll the model and match the observed trajectory).")
Unroll = typer.Option(None, help="Rollout objective: steps unrolled per window (default 8).")
Integrator = typer.Option(None, help="Rollout objective: rk4 (default), implicit-midpoint, euler, or leapfrog / "
                                     "yoshida4 for a separable model (hnn-separable).")


def _objective_options(objective: str | None, unroll: int | None, integrator: str | None) -> dict | None:
    """The rollout objective's settings from the command line (None: none given)."""
    if unroll is None and integrator is None:
        return None
    if objective != "rollout":
        raise InvalidValueError("--unroll and --integrator are settings of --objective rollout")
    check_count(unroll, "--unroll")
    return {k: v for k, v in (("unroll", unroll), ("integrator", integrator)) if v is not None}


class Interrupted(Exception):
    """Ctrl-C during a command; the message says how to continue."""


@contextlib.contextmanager
def _on_interrupt(hint: str) -> Iterator[None]:
    """Turn Ctrl-C in the block into `Interrupted(hint)` (one line, exit code 130)."""
    try:
        yield
    except KeyboardInterrupt:
        raise Interrupted(hint) from None


def _start_torch() -> None:
    """Import PyTorch and flush subnormal floats to zero for the whole command, before
    PyTorch starts its worker threads so that they inherit it (`hamnet.training.flush_denormals`).
    Commands import PyTorch only when they run, so a mistyped argument fails in a blink."""
    import torch

    torch.set_flush_denormal(True)


def _check_device_name(device: str) -> None:
    """`InvalidValueError` for a device that is neither cpu nor cuda (no PyTorch needed)."""
    if device != "cpu" and not device.startswith("cuda"):
        raise InvalidValueError(f"unknown device {device!r}; use cpu or cuda")


def _check_run_dir(run: Path) -> None:
    """The run directory and its config.json (a JSON object), checked before PyTorch loads."""
    from .runs.files import CONFIG, read_json

    if not run.is_dir():
        problem = "is not a directory" if run.exists() else "does not exist"
        raise RunDirectoryError(f"run directory {run} {problem}")
    if not isinstance(read_json(run / CONFIG), dict):
        raise RunDirectoryError(f"{run / CONFIG} is corrupt: not a JSON object")


def _check_device(device: str) -> str:
    import torch

    _check_device_name(device)
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidValueError("--device cuda requested but no CUDA GPU is available")
    return device


def _print_metrics(metrics: dict[str, float], title: str) -> None:
    console.print(title, soft_wrap=True)  # a long run path on its own line, not squeezed into the table's width
    table = Table()
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name in ("train_loss", "test_loss", "energy_mse"):
        if name in metrics:
            table.add_row(name, f"{metrics[name]:.4e} ± {metrics.get(name + '_se', float('nan')):.1e}")
    for name, value in metrics.items():
        if name not in ("train_loss", "test_loss", "energy_mse") and not name.endswith("_se"):
            table.add_row(name, f"{value:.4g}")
    console.print(table)


@app.command()
def train(
    task: str = typer.Option(..., help="Task name (see `hamnet tasks`)."),
    model: str = typer.Option(..., help="Model name (see `hamnet models`)."),
    out: Path = typer.Option(..., help="Run directory to write."),
    seed: int = typer.Option(0, help="Seed for data, initialisation and batches."),
    steps: Optional[int] = typer.Option(None, help="Training steps (default: the preset's)."),
    lr: Optional[float] = typer.Option(None, help="Adam learning rate (default: the preset's, 1e-3)."),
    preset: str = typer.Option("full", help="Settings preset: full (paper), quick, dissipative or dhnn-paper."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run in OUT from its last checkpoint "
                                "(same settings); a finished run is left as it is."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace the run in OUT (all its files) "
                                   "if it holds one."),
    objective: Optional[str] = Objective,
    unroll: Optional[int] = Unroll,
    integrator: Optional[str] = Integrator,
    data_dir: Optional[Path] = DataDir,
) -> None:
    """Train one model on one task into a run directory."""
    if resume and overwrite:
        raise InvalidValueError("pass --resume or --overwrite, not both")
    options = _objective_options(objective, unroll, integrator)
    check_seed(seed)
    check_steps(steps)
    check_lr(lr)
    _check_device_name(device)
    _start_torch()
    from .experiments import RunConfig
    from .pipeline import train_run
    from .runs.files import CHECKPOINT, RunState, run_state

    config = RunConfig.for_task(task, model, seed, preset, steps, _check_device(device), data_dir, lr=lr,
                                objective=objective, objective_options=options)
    before = run_state(out) if out.is_dir() else RunState.NEW
    if resume and before is RunState.UNFINISHED and not (out / CHECKPOINT).exists():
        log(f"no checkpoint in {out}: training from the start")
    with _on_interrupt(f"continue with the same command and --resume (from the last checkpoint in {out})"):
        _, history = train_run(config, out, resume=resume, overwrite=overwrite)
    done = "already trained" if resume and before is RunState.FINISHED else "trained"
    log(f"{done} {model} on {task}: final train loss {history.train_loss[-1]:.4e}, "
        f"test loss {history.test_loss[-1]:.4e} ({history.seconds:.1f} s) -> {out}")


@app.command()
def evaluate(
    run: Path = typer.Argument(..., help="A run directory written by `hamnet train`."),
    horizon: Optional[str] = typer.Option(None, help="Long-horizon rollouts over this multiple of the training "
                                                     "horizon (default 10x), or none to skip them."),
    integrator: str = typer.Option("dopri5", help="Integrator of the long-horizon rollouts: dopri5, rk4, "
                                                  "implicit-midpoint, euler, or leapfrog / yoshida4 (separable "
                                                  "models)."),
    step: Optional[float] = typer.Option(None, help="Time step of a fixed-step integrator (default: the "
                                                    "training data's)."),
) -> None:
    """Compute a run's metrics (losses, energy MSE, long-horizon metrics) and write
    metrics.json; with another --integrator or --horizon, only the long-horizon metrics,
    into horizon-<integrator>-<N>x.json beside it."""
    factor = parse_horizon(horizon) if horizon is not None else DEFAULT_HORIZON
    check_step_size(step)
    if step is not None and integrator == "dopri5":
        raise InvalidValueError("--step is the time step of a fixed-step --integrator; dopri5 chooses its own steps")
    _check_run_dir(run)
    _start_torch()
    from .pipeline import evaluate_run, horizon_evaluation, horizon_file

    with _on_interrupt("nothing was written; run it again"):
        if integrator == "dopri5" and factor in (None, DEFAULT_HORIZON):
            metrics = evaluate_run(run, horizon=factor)
            title = f"{run}"
        else:
            if factor is None:
                raise InvalidValueError("--horizon none leaves nothing to roll out with --integrator or --step")
            metrics = horizon_evaluation(run, factor, integrator, step)
            title = f"{run} · {integrator} · {factor:g}× the training horizon"
            console.print(f"wrote {run / horizon_file(factor, integrator)}.json", soft_wrap=True)
    _print_metrics(metrics, title)


@app.command()
def plot(run: Path = typer.Argument(..., help="A run directory written by `hamnet train`.")) -> None:
    """Write a run's figures (PNG) into its directory."""
    _check_run_dir(run)
    _start_torch()
    from .pipeline import plot_run

    with _on_interrupt("figures written so far are complete; run it again for the rest"):
        paths = plot_run(run)
    for path in paths:
        console.print(f"wrote {path}")


@app.command()
def reproduce(
    tasks: Optional[str] = typer.Option(None, help="Comma-separated tasks (default: the preset's)."),
    models: Optional[str] = typer.Option(None, help="Comma-separated models (see `hamnet models`; default: "
                                         "each task's own, the paper's baseline,hnn)."),
    quick: bool = typer.Option(False, "--quick", help="Quick preset: fewer steps, same code path "
                               "(the same as --preset quick)."),
    preset: Optional[str] = typer.Option(None, help="Settings preset: full (the HNN paper's, default), quick, "
                                         "dissipative (baseline, HNN, D-HNN on damped data) or dhnn-paper "
                                         "(the D-HNN paper's real-pendulum protocol)."),
    seeds: Optional[int] = typer.Option(None, help="Seeds per task and model (default: the preset's; full 3, "
                                       "quick 1, dhnn-paper 5)."),
    steps: Optional[int] = typer.Option(None, help="Override every task's training steps."),
    lr: Optional[float] = typer.Option(None, help="Override every task's Adam learning rate."),
    out: Path = typer.Option(Path("results"), help="Output directory."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    data_dir: Optional[Path] = DataDir,
    run_plots: bool = typer.Option(False, "--run-plots", help="Also draw every run's own figures "
                                   "(default: one baseline-vs-HNN figure per task)."),
    jobs: Optional[int] = typer.Option(None, help="Single-threaded jobs side by side (default: one per "
                                       "core on the CPU, 1 on a GPU); results do not depend on it."),
    objective: Optional[str] = Objective,
    unroll: Optional[int] = Unroll,
    integrator: Optional[str] = Integrator,
) -> None:
    """Train and evaluate the models (baseline and HNN; D-HNN too on damped tasks) on every task of a
    preset; write results.{json,md,csv} and figures.

    Runs already finished in OUT with the same settings are reused, unfinished ones resume
    from their last checkpoint: after a crash or Ctrl-C, run the same command again."""
    if quick and preset not in (None, "quick"):
        raise InvalidValueError(f"pass --quick or --preset {preset}, not both")
    check_count(seeds, "--seeds", MAX_SEEDS)
    check_count(jobs, "--jobs")
    options = _objective_options(objective, unroll, integrator)
    task_list = _names(tasks, "--tasks", "task", "; see `hamnet tasks`")
    model_list = _names(models, "--models", "model")
    check_steps(steps)
    check_lr(lr)
    _check_device_name(device)
    _start_torch()
    from .reproduce import reproduce as run_reproduce

    command = "hamnet " + " ".join(sys.argv[1:])
    with _on_interrupt("run the same command again to continue: finished runs are kept, "
                       "unfinished ones resume from their last checkpoint"):
        run_reproduce(task_list, "quick" if quick else preset or "full", seeds, out, data_dir, _check_device(device),
                      steps=steps, lr=lr, command=command, run_plots=run_plots, jobs=jobs,
                      models=model_list, objective=objective, objective_options=options)
    typer.echo((out / "results.md").read_text(encoding="utf-8"))


def _names(listed: str | None, option: str, what: str, hint: str = "") -> list[str] | None:
    """A comma-separated option as a list (None: not given); an empty one is an error."""
    if listed is None:
        return None
    names = [name.strip() for name in listed.split(",") if name.strip()]
    if not names:
        raise InvalidValueError(f"{option} names no {what} ({listed!r}){hint}")
    return names


@app.command()
def tasks() -> None:
    """List the tasks and their systems."""
    from . import experiments, systems

    for name in experiments.tasks():
        console.print(f"{name:>15}  {systems.get(name).description}")


@app.command("models")
def list_models() -> None:
    """List the models (the registry: name, title, what it learns)."""
    from . import models

    for kind in models.names():
        console.print(f"{kind:>10}  {models.title(kind):<9} {models.description(kind)}")


def main() -> None:
    """Entry point: run the app. A user error (a bad argument, a `HamnetError`) prints one
    line and exits with code 2; Ctrl-C prints one line saying how to continue, code 130."""
    try:
        code = app(standalone_mode=False)
    except HamnetError as exc:
        _fail(f"error: {exc}", 2)
    except Interrupted as exc:
        _fail(f"interrupted; {exc}", 130)
    except Exception as exc:
        # The argument parser's usage errors (typer's click): they carry their exit code.
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        command = getattr(getattr(exc, "ctx", None), "command_path", "hamnet")
        if not exc.format_message():  # `hamnet` alone: the help is already shown
            sys.exit(exc.exit_code)
        _fail(f"error: {command}: {exc.format_message()}", exc.exit_code or 2)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    """Print `message` as one line on stderr and exit with `code`."""
    print(f"hamnet: {' '.join(message.split())}", file=sys.stderr)
    sys.exit(code)


if __name__ == "__main__":
    main()

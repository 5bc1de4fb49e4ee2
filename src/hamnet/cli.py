"""The `hamnet` command line (Typer). Every `HamnetError` becomes one line and exit code 2."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import torch
import typer
from rich.console import Console
from rich.table import Table

from . import experiments
from .errors import HamnetError, InvalidValueError
from .progress import log

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Hamiltonian Neural Networks: train, evaluate, plot and reproduce the paper.")
console = Console()

DataDir = typer.Option(None, "--data-dir", help="Folder with data files (default: $HAMNET_DATA_DIR, "
                                                 "then ../shared/data beside the repository).")


def _check_device(device: str) -> str:
    if device != "cpu" and not device.startswith("cuda"):
        raise InvalidValueError(f"unknown device {device!r}; use cpu or cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidValueError("--device cuda requested but no CUDA GPU is available")
    return device


def _print_metrics(metrics: dict[str, float], title: str) -> None:
    table = Table(title=title)
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
    model: str = typer.Option(..., help="Model: baseline or hnn."),
    out: Path = typer.Option(..., help="Run directory to write."),
    seed: int = typer.Option(0, help="Seed for data, initialisation and batches."),
    steps: Optional[int] = typer.Option(None, help="Training steps (default: the preset's)."),
    lr: Optional[float] = typer.Option(None, help="Adam learning rate (default: the preset's, 1e-3)."),
    preset: str = typer.Option("full", help="Settings preset: full (paper) or quick."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    resume: bool = typer.Option(False, help="Continue from OUT/checkpoint.pt if present."),
    data_dir: Optional[Path] = DataDir,
) -> None:
    """Train one model on one task into a run directory."""
    from .runs import CHECKPOINT, RunConfig, train_run

    config = RunConfig.for_task(task, model, seed, preset, steps, _check_device(device), data_dir, lr=lr)
    if resume and not (out / CHECKPOINT).exists():
        log(f"no checkpoint in {out}: training from the start")
    _, history = train_run(config, out, resume=resume)
    log(f"trained {model} on {task}: final train loss {history.train_loss[-1]:.4e}, "
        f"test loss {history.test_loss[-1]:.4e} ({history.seconds:.1f} s) -> {out}")


@app.command()
def evaluate(run: Path = typer.Argument(..., help="A run directory written by `hamnet train`.")) -> None:
    """Compute a run's metrics (train/test loss, energy MSE) and write metrics.json."""
    from .runs import evaluate_run

    _print_metrics(evaluate_run(run), f"{run}")


@app.command()
def plot(run: Path = typer.Argument(..., help="A run directory written by `hamnet train`.")) -> None:
    """Write a run's figures (PNG) into its directory."""
    from .runs import plot_run

    for path in plot_run(run):
        console.print(f"wrote {path}")


@app.command()
def reproduce(
    tasks: Optional[str] = typer.Option(None, help="Comma-separated tasks (default: all available)."),
    quick: bool = typer.Option(False, "--quick", help="Quick preset: fewer steps, same code path."),
    seeds: Optional[int] = typer.Option(None, help="Seeds per task and model (default: full 3, quick 1)."),
    steps: Optional[int] = typer.Option(None, help="Override every task's training steps."),
    out: Path = typer.Option(Path("results"), help="Output directory."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    data_dir: Optional[Path] = DataDir,
    run_plots: bool = typer.Option(False, "--run-plots", help="Also draw every run's own figures "
                                   "(default: one baseline-vs-HNN figure per task)."),
    jobs: Optional[int] = typer.Option(None, help="Single-threaded jobs side by side (default: one per "
                                       "core on the CPU, 1 on a GPU); results do not depend on it."),
) -> None:
    """Train and evaluate baseline and HNN on every task; write results.{json,md,csv} and figures."""
    from .reproduce import reproduce as run_reproduce

    if seeds is not None and seeds <= 0:
        raise InvalidValueError(f"--seeds must be positive, got {seeds}")
    if jobs is not None and jobs <= 0:
        raise InvalidValueError(f"--jobs must be positive, got {jobs}")
    task_list = [t.strip() for t in tasks.split(",") if t.strip()] if tasks else None
    command = "hamnet " + " ".join(sys.argv[1:])
    run_reproduce(task_list, "quick" if quick else "full", seeds, out, data_dir,
                  _check_device(device), steps=steps, command=command, run_plots=run_plots, jobs=jobs)
    typer.echo((out / "results.md").read_text(encoding="utf-8"))


@app.command()
def tasks() -> None:
    """List the tasks and their systems."""
    from . import systems

    for name in experiments.tasks():
        console.print(f"{name:>15}  {systems.get(name).description}")


def main() -> None:
    """Entry point: run the app; user errors print one line and exit with code 2.

    Subnormal floats are flushed to zero for the whole run, set before PyTorch starts its
    worker threads so that they inherit it (see `hamnet.train.flush_denormals`).
    """
    torch.set_flush_denormal(True)
    try:
        app(standalone_mode=True)
    except HamnetError as exc:
        print(f"hamnet: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        print("hamnet: interrupted", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":
    main()

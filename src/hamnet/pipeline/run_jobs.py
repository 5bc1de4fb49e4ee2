"""The jobs `reproduce` and `sweep` run side by side (`hamnet.jobs.JobPool`): a run's data
set, a run's training and evaluation, and the cost that orders them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import RunDirectoryError, TrainingDivergedError
from ..experiments import RunConfig
from ..runs import load_metrics
from .build import build_data, build_model, build_objective
from .evaluate import evaluate_run
from .plot import plot_run
from .train import train_runs


def prepare_data(config: RunConfig) -> int:
    """Job: generate and cache a run's data set (or find it cached).  -> training samples."""
    return len(build_data(config).train_tensors()[0])


def train_and_evaluate(configs: list[RunConfig], dirs: list[Path], show_progress: bool | None,
                        run_plots: bool) -> list[tuple[int, dict[str, Any], bool]]:
    """Job: train runs that differ only in their seed together, then evaluate each.

    A run already finished in its directory with the same settings is kept, and its
    metrics too if they belong to its weights; an unfinished one resumes from its last
    checkpoint; one with other settings is replaced. A run whose training diverges gets
    `{"diverged": message}` instead of metrics. Returns (seed, metrics, kept) per run.
    """
    try:
        trained = train_runs(configs, dirs, resume=True, overwrite=True, show_progress=show_progress)
    except TrainingDivergedError as exc:
        return [(config.seed, {"diverged": str(exc)}, False) for config in configs]
    results = []
    for config, directory, _ in zip(configs, dirs, trained):
        try:
            metrics, kept = load_metrics(directory), True
        except RunDirectoryError:
            metrics, kept = evaluate_run(directory), False
        if run_plots:
            plot_run(directory)
        results.append((config.seed, metrics, kept))
    return results


def summary(metrics: dict[str, Any]) -> str:
    """One run's result in a few words, for the log."""
    if "diverged" in metrics:
        return str(metrics["diverged"])
    energy = f"  energy {metrics['energy_mse']:.3e}" if "energy_mse" in metrics else ""
    return f"test {metrics['test_loss']:.3e}{energy}  ({metrics['train_seconds']:.1f} s)"


def training_cost(config: RunConfig, n_train: int) -> float:
    """Rough training work of a run (steps × batch rows × field evaluations per row ×
    parameters), to start long runs first."""
    n_parameters = sum(p.numel() for p in build_model(config, seeded=False).parameters())
    rows = min(config.train.batch_size or n_train, n_train)
    return float(config.train.steps * rows * build_objective(config).evaluations_per_sample() * n_parameters)

"""`hamnet reproduce`: train and evaluate both models on every task, write the tables."""

from __future__ import annotations

import datetime as dt
import os
import platform
import time
from pathlib import Path

import torch

from . import experiments
from .atomic import ensure_writable_dir
from .errors import DataFileError
from .paper import paper_fields
from .progress import log
from .report import Record, write_results
from .runs import RunConfig, evaluate_run, plot_run, plot_runs, train_runs

MODELS = ("baseline", "hnn")


def machine_description() -> str:
    """CPU model, core count, torch version: printed beside every timing."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            cpu = next(line.split(":", 1)[1].strip() for line in handle if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads"


def run_dir(out_dir: Path, task: str, model: str, seed: int) -> Path:
    """Where `reproduce` writes one run."""
    return out_dir / "runs" / f"{task}-{model}-seed{seed}"


def reproduce(
    tasks: list[str] | None,
    preset: str,
    seeds: int | None,
    out_dir: Path,
    data_dir: Path | None = None,
    device: str = "cpu",
    show_progress: bool | None = None,
    steps: int | None = None,
    command: str = "hamnet reproduce",
    run_plots: bool = False,
) -> list[Record]:
    """Run `preset` for each task × model × seed into `out_dir/runs/` and write the results
    (the seeds of a task and model train together, `train_runs`),
    with one baseline-vs-HNN figure per task (seed 0) in `out_dir/figures/` and, with
    `run_plots`, every run's own figures in its directory.

    Tasks whose data file is missing are skipped with one line naming the file.
    `steps` overrides every task's step count.
    """
    out_dir = ensure_writable_dir(out_dir)
    tasks = tasks or experiments.tasks()
    for task in tasks:
        experiments.get(task, preset)  # fail fast on unknown names
    n_seeds = seeds if seeds is not None else experiments.DEFAULT_SEEDS[preset]
    start = time.perf_counter()
    records: list[Record] = []
    for task in tasks:
        try:
            RunConfig.for_task(task, MODELS[0], 0, preset, steps, data_dir=data_dir).dataset()
        except DataFileError as exc:
            log(f"skipping {task}: {exc}")
            continue
        for model in MODELS:
            configs = [RunConfig.for_task(task, model, seed, preset, steps, device, data_dir) for seed in range(n_seeds)]
            dirs = [run_dir(out_dir, task, model, seed) for seed in range(n_seeds)]
            for config, directory, (_, history) in zip(configs, dirs, train_runs(configs, dirs, show_progress)):
                metrics = evaluate_run(directory)
                if run_plots:
                    plot_run(directory)
                log(f"{task:>14} {model:>8} seed {config.seed}: test {metrics['test_loss']:.3e}  "
                    f"energy {metrics['energy_mse']:.3e}  ({history.seconds:.1f} s)")
                records.append({"task": task, "model": model, "seed": config.seed, **metrics,
                                **paper_fields(task, model)})
        plot_runs([run_dir(out_dir, task, model, 0) for model in MODELS], out_dir / "figures", prefix=f"{task}-")
    wall = time.perf_counter() - start
    header = (f"## Results\n\nCommand: `{command}` · preset `{preset}` · "
              f"{dt.date.today().isoformat()} · {machine_description()} · wall time {wall:.0f} s")
    write_results(records, out_dir, header)
    log(f"wrote {out_dir / 'results.md'} ({wall:.0f} s)")
    return records

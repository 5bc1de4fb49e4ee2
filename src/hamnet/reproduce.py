"""`hamnet reproduce`: a preset's tasks × models × seeds as a sweep's points, and the tables."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any, Callable

import torch

from . import experiments
from .atomic import remove_stale_temporaries
from .checks import MAX_SEEDS, check_count
from .errors import InvalidValueError
from .experiments import RunConfig, variants
from .horizon import horizon_protocol
from .jobs import cpu_model, default_jobs
from .paper import REFERENCES, paper_fields
from .pipeline import plot_runs
from .progress import log
from .report import DEFAULT_HORIZON_NOTE, Record, write_results
from .runs import exclusive
from .systems import EnergyProtocol
from .sweeps.run import point_dir, run_points
from .sweeps.spec import Point

def machine_description(jobs: int | None, backend: str = "local") -> str:
    """CPU model, core count, torch version and the jobs (on Ray: the driver's machine, and
    the CPUs asked for): printed beside every timing."""
    where = (f"{jobs} single-threaded jobs" if backend == "local"
             else "Ray, all the cluster's CPUs" if jobs is None else f"Ray, {jobs} single-threaded jobs")
    return f"{cpu_model()}, {os.cpu_count()} cores, torch {torch.__version__}, {where}"


def reproduce(
    tasks: list[str] | None,
    preset: str,
    seeds: int | None,
    out_dir: Path,
    data_dir: Path | None = None,
    device: str = "cpu",
    show_progress: bool | None = None,
    steps: int | None = None,
    lr: float | None = None,
    command: str = "hamnet reproduce",
    run_plots: bool = False,
    jobs: int | None = None,
    models: list[str] | None = None,
    objective: str | None = None,
    objective_options: dict[str, Any] | None = None,
    system_options: dict[str, Any] | None = None,
    recipe: dict[str, Any] | None = None,
    protocol: dict[str, Any] | None = None,
    backend: str = "local",
    address: str | None = None,
    precision: str | None = None,
) -> list[Record]:
    """Run `preset` for each task × model × seed into `out_dir/runs/` and write the results,
    with one figure per task comparing its models (seed 0) in `out_dir/figures/` and, with
    `run_plots`, every run's own figures in its directory.

    The runs are a sweep's points (`hamnet.sweeps.run.run_points`): jobs run side by side
    on `jobs` single-threaded workers of the `backend` (local, default one per core; or
    Ray, see `hamnet.backends`), longest training first: each data set, each run (on a
    GPU: each task × model, its seeds trained together by `train_runs`) and each task's
    figures. Every run is single-threaded, so the numbers do not depend on `jobs`.
    Tasks whose data file is missing are skipped with one line naming the file. `tasks`
    and `seeds` default to the preset's; `steps`, `lr` and `precision` (of the training steps,
    `hamnet.training.precision`) override every task's settings;
    `models` replaces each task's default models (its experiment's `models`: the paper's
    baseline and HNN, D-HNN on damped tasks, a suite's list): registry names, or
    MODEL+OBJECTIVE such as `hnn+rollout` (`hamnet.experiments.variants`), the names
    records and run directories carry. `objective` (with `objective_options`) replaces the
    objective of the runs that name none, whose losses are then not the published ones: no
    published numbers are set beside them; `objective_options` alone go to the objectives
    models name. `system_options`, `recipe` and `protocol` build every task's system and
    change its data recipe and evaluation protocol (a trajectory file: `tasks=["file"]`,
    `hamnet.systems.measured`); results name a task by its system's `label` (a file: its
    name).

    `out_dir` is held for the whole call (`hamnet.runs.locks`): a second process is refused.
    Runs finished there by an earlier, interrupted call with the same settings are kept
    and unfinished ones resume (`train_and_evaluate`), so rerunning a killed reproduce
    gives the results of an uninterrupted one.
    """
    tasks = tasks or experiments.tasks(preset)
    n_seeds = seeds if seeds is not None else experiments.preset(preset).seeds
    if jobs is None and not (backend == "ray" and address is not None):
        jobs = default_jobs(device)
    check_count(jobs, "jobs")
    check_count(n_seeds, "seeds", MAX_SEEDS)

    if models is not None:
        variants.check(models)
    chosen = {task: list(models or experiments.get(task, preset).models) for task in tasks}
    own_objectives = any(variants.parse(name)[1] for names in chosen.values() for name in names)

    def configs(task: str, name: str) -> list[RunConfig]:
        """The runs of `name` (a model, or MODEL+OBJECTIVE) on `task`, one per seed. The
        objective settings go with `objective`, else with the objectives models name."""
        model, own = variants.parse(name)
        if own is not None:
            options = objective_options if objective in (None, own) else None
        else:
            options = None if objective is None and own_objectives else objective_options
        return [RunConfig.for_task(task, model, seed, preset, steps, device, data_dir, lr, own or objective,
                                   options, system_options, recipe, protocol, precision)
                for seed in range(n_seeds)]

    for task in tasks:  # fail fast on unknown names and bad settings; name runs by their labels
        named = [configs(task, name)[0].label for name in chosen[task]]
        twice = next((label for label in named if named.count(label) > 1), None)
        if twice is not None:
            raise InvalidValueError(f"models {', '.join(chosen[task])} name the runs {twice!r} twice")
        chosen[task] = named
    labels = {task: configs(task, chosen[task][0])[0].system().label for task in tasks}
    with exclusive(out_dir):
        return _reproduce(tasks, chosen, preset, n_seeds, out_dir, device, show_progress, command, run_plots,
                          jobs, configs, labels, backend, address)


def _published(task: str, preset: str, config: RunConfig) -> dict[str, float]:
    """The preset's reference numbers for a task and model, if the run trains the objective they are of."""
    reference = experiments.preset(preset).reference
    if not reference or config.objective != experiments.get(task, preset).objective:
        return {}
    return paper_fields(task, config.model, reference)


def _reproduce(tasks: list[str], chosen: dict[str, list[str]], preset: str, n_seeds: int, out_dir: Path, device: str,
               show_progress: bool | None, command: str, run_plots: bool, jobs: int,
               configs: Callable[[str, str], list[RunConfig]], labels: dict[str, str], backend: str,
               address: str | None) -> list[Record]:
    """`reproduce` once its arguments are checked and `out_dir` is held (`labels`: task ->
    its name in directories and tables): the preset's points through the sweep machinery
    (`hamnet.sweeps.run.run_points`), a figure per task, the results tables."""
    remove_stale_temporaries(out_dir / "figures")
    points = [Point(task, labels[task], name, config.seed, {}, config)
              for task in tasks for name in chosen[task] for config in configs(task, name)]

    def figures(label: str, done: list[Record]) -> list[tuple[Callable[..., Any], tuple]]:
        """A task's figure comparing its models (seed 0), once its runs are done."""
        trained = {r["model"] for r in done if r["seed"] == 0 and "diverged" not in r}
        dirs = [point_dir(out_dir, p) for p in points if p.label == label and p.seed == 0 and p.model in trained]
        return [(plot_runs, (dirs, out_dir / "figures", f"{label}-"))] if dirs else []

    start = time.perf_counter()
    # Runs trained together in one job: a GPU takes a task × model's seeds at once
    # (one stack); on the CPU each run is its own job, so the jobs balance across cores.
    together = n_seeds if device.startswith("cuda") else 1
    outcome = run_points(points, out_dir, jobs, backend, address, show_progress, run_plots, together, figures)
    published = {(task, name): _published(task, preset, configs(task, name)[0])
                 for task in tasks for name in chosen[task]}
    records: list[Record] = [record | published[(point.task, point.model)]
                             for point, record in zip(points, outcome.records) if record is not None]
    wall = time.perf_counter() - start
    header = (f"## Results\n\nCommand: `{command}` · preset `{preset}` · "
              f"{dt.date.today().isoformat()} · {machine_description(jobs, backend)} · wall time {wall:.0f} s")
    reference = experiments.preset(preset).reference
    compared = reference and any(key.startswith("paper_") for record in records for key in record)
    source = REFERENCES[reference] if compared else None
    protocols = dict.fromkeys(horizon_protocol(EnergyProtocol(**configs(task, chosen[task][0])[0].protocol)).describe()
                              for task in tasks if chosen[task])
    write_results(records, out_dir, header, source.label if source else None,
                  source.source if source else "", smoke_test=experiments.preset(preset).smoke_test,
                  horizon=" / ".join(protocols) or DEFAULT_HORIZON_NOTE)
    log(f"wrote {out_dir / 'results.md'} ({wall:.0f} s)")
    return records

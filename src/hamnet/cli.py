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
from .atomic import check_writable_target
from .errors import HamnetError, InvalidValueError, RunDirectoryError, exit_with
from .progress import log

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Hamiltonian Neural Networks: train, evaluate, plot and reproduce the paper.")
console = Console()

DataDir = typer.Option(None, "--data-dir", help="Folder with data files (default: $HAMNET_DATA_DIR, "
                                                 "then ../shared/data beside the repository).")


Objective = typer.Option(None, help="Training objective (default: the preset's, derivative): derivative "
                                    "(dx/dt MSE) or rollout (unroll the model and match the observed trajectory).")
Unroll = typer.Option(None, help="Rollout objective: steps unrolled per window (default 8); the pixel tasks' "
                                 "autoencoder objective: frames the latent dynamics are unrolled over (default 1, "
                                 "the paper's pairs).")
Integrator = typer.Option(None, help="Rollout objective: rk4 (default), implicit-midpoint, euler, or leapfrog / "
                                     "yoshida4 for a separable model (hnn-separable).")


def _objective_options(objective: str | None, unroll: int | None, integrator: str | None,
                       models: list[str] | None = None, tasks: list[str] | None = None,
                       preset: str | None = None) -> dict | None:
    """The objective's settings from the command line (None: none given): --unroll and
    --integrator of the rollout objective, --unroll of the pixel tasks' autoencoder
    objective. `models`: the runs' names, which may name the objective instead of
    --objective (MODEL+rollout); `tasks` under `preset` (default: the preset's tasks):
    their own objective, when neither names one."""
    if unroll is None and integrator is None:
        return None
    chosen = objective
    if models is not None and objective is None:
        from .experiments import variants

        if any(variants.parse(name)[1] == "rollout" for name in models):
            chosen = "rollout"
    if chosen is None and preset is not None and _task_objectives(tasks, preset) == {"autoencoder"}:
        chosen = "autoencoder"
    if chosen == "autoencoder" and integrator is not None:
        raise InvalidValueError("--integrator is a setting of --objective rollout; the autoencoder objective "
                                "takes --unroll only")
    if chosen not in ("rollout", "autoencoder"):
        raise InvalidValueError("--unroll and --integrator are settings of --objective rollout"
                                + (" (or of models named MODEL+rollout)" if models is not None else "")
                                + "; --unroll also of the pixel tasks' autoencoder objective")
    check_count(unroll, "--unroll")
    return {k: v for k, v in (("unroll", unroll), ("integrator", integrator)) if v is not None}


def _task_objectives(tasks: list[str] | None, preset: str) -> set[str]:
    """The objectives the `tasks`' experiments (default: the preset's tasks) train with."""
    from . import experiments
    from .experiments.presets import default_objective

    return {default_objective(task, preset) for task in tasks or experiments.tasks(preset)}


DataFile = typer.Option(None, "--data", help="Your trajectory file (.npz or .csv; docs/your-data.md) instead "
                                               "of a built-in --task.")
Coords = typer.Option(None, help="--data: the position names, comma-separated (default: the file's, or the "
                                 "columns starting with q).")
Momenta = typer.Option(None, help="--data: the momentum names, comma-separated (default: the file's, or the "
                                  "columns starting with p).")
HamiltonianText = typer.Option(None, "--hamiltonian", help="--data: the true energy as an expression of the "
                                                           "coordinates, e.g. 'p**2/2 + q**4/4' (turns on the energy "
                                                           "metrics).")
TestFraction = typer.Option(None, help="--data: share of whole trajectories held out for testing (default 0.2; "
                                       "a single trajectory: its last samples).")
Derivative = typer.Option(None, help="--data without dx/dt: how to estimate it: spline (default), gradient, "
                                     "central or forward.")
Reference = typer.Option(None, help="--data: score rollouts against the held-out samples (samples, default) or "
                                    "against the --hamiltonian's true flow from their first states (flow: data "
                                    "simulated from a known H, without the observation noise).")
REFERENCES = ("samples", "flow")
Precision = typer.Option(None, help="Arithmetic of the training steps: fp32 (default) or bf16 (the products "
                                    "between hidden layers in bfloat16, the rest in float32; CPUs with "
                                    "AVX512-BF16 or AMX, and GPUs; docs/precision.md).")


def _name_list(listed: str | None, option: str) -> list[str] | None:
    """Comma-separated names (None: not given)."""
    if listed is None:
        return None
    names = [name.strip() for name in listed.split(",")]
    if not all(names):
        raise InvalidValueError(f"{option} must be comma-separated names, got {listed!r}")
    return names


def _refuse_data_options(coords: str | None, momenta: str | None, hamiltonian: str | None,
                         test_fraction: float | None, derivative: str | None, reference: str | None) -> None:
    """`InvalidValueError` naming the first option given that only describes a --data file."""
    given = {"--coords": coords, "--momenta": momenta, "--hamiltonian": hamiltonian, "--test-fraction": test_fraction,
             "--derivative": derivative, "--reference": reference}
    for name, value in given.items():
        if value is not None:
            raise InvalidValueError(f"{name} describes a --data file; it does not apply to --task")


def _task_spec(task: str | None, data: Path | None, coords: str | None = None, momenta: str | None = None,
               hamiltonian: str | None = None, test_fraction: float | None = None, derivative: str | None = None,
               reference: str | None = None) -> tuple[str, dict | None, dict | None, dict | None]:
    """(task, its system options, recipe overrides, protocol overrides) from `--task` or
    `--data` and the data options."""
    if task is not None and data is not None:
        raise InvalidValueError("pass --task or --data, not both")
    if data is None:
        _refuse_data_options(coords, momenta, hamiltonian, test_fraction, derivative, reference)
        if task is None:
            raise InvalidValueError("pass --task NAME (see `hamnet tasks`) or --data FILE (your trajectories)")
        return task, None, None, None
    if not data.is_file():
        raise InvalidValueError(f"trajectory file {data} {'is not a file' if data.exists() else 'does not exist'}")
    if test_fraction is not None and not 0 < test_fraction < 1:
        raise InvalidValueError(f"--test-fraction must be between 0 and 1, got {test_fraction}")
    options = {"path": str(data.resolve()), "coords": _name_list(coords, "--coords"),
               "momenta": _name_list(momenta, "--momenta"), "hamiltonian": hamiltonian}
    recipe = {k: v for k, v in (("test_fraction", test_fraction), ("derivative", derivative)) if v is not None}
    if reference is not None and reference not in REFERENCES:
        raise InvalidValueError(f"--reference must be one of {', '.join(REFERENCES)}, got {reference!r}")
    protocol = {"reference_flow": True} if reference == "flow" else None
    return "file", options, recipe, protocol


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


def _check_precision(precision: str | None, device: str) -> None:
    """--precision names a known precision that `device` runs natively."""
    if precision is not None:
        from .training import check_precision

        check_precision(precision, device)


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
    task: Optional[str] = typer.Option(None, "--task", "--system", help="Task name (see `hamnet tasks`), or your "
                                       "own system as module:Class."),
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
    data: Optional[Path] = DataFile,
    coords: Optional[str] = Coords,
    momenta: Optional[str] = Momenta,
    hamiltonian: Optional[str] = HamiltonianText,
    test_fraction: Optional[float] = TestFraction,
    derivative: Optional[str] = Derivative,
    reference: Optional[str] = Reference,
    precision: Optional[str] = Precision,
) -> None:
    """Train one model on one task, or on your trajectory file (--data), into a run directory."""
    if resume and overwrite:
        raise InvalidValueError("pass --resume or --overwrite, not both")
    task, system_options, recipe, protocol = _task_spec(task, data, coords, momenta, hamiltonian, test_fraction,
                                                        derivative, reference)
    options = _objective_options(objective, unroll, integrator, tasks=[task], preset=preset)
    check_seed(seed)
    check_steps(steps)
    check_lr(lr)
    _check_device_name(device)
    _start_torch()
    from .experiments import RunConfig
    from .pipeline import train_run
    from .runs.files import CHECKPOINT, RunState, run_state

    device = _check_device(device)
    _check_precision(precision, device)
    config = RunConfig.for_task(task, model, seed, preset, steps, device, data_dir, lr=lr,
                                objective=objective, objective_options=options, system_options=system_options,
                                recipe=recipe, protocol=protocol, precision=precision)
    before = run_state(out) if out.is_dir() else RunState.NEW
    if resume and before is RunState.UNFINISHED and not (out / CHECKPOINT).exists():
        log(f"no checkpoint in {out}: training from the start")
    with _on_interrupt(f"continue with the same command and --resume (from the last checkpoint in {out})"):
        _, history = train_run(config, out, resume=resume, overwrite=overwrite)
    done = "already trained" if resume and before is RunState.FINISHED else "trained"
    log(f"{done} {model} on {config.system().label}: final train loss {history.train_loss[-1]:.4e}, "
        f"test loss {history.test_loss[-1]:.4e} ({history.seconds:.1f} s) -> {out}")


@app.command()
def evaluate(
    run: Path = typer.Argument(..., help="A run directory written by `hamnet train`."),
    horizon: Optional[str] = typer.Option(None, help="Long-horizon rollouts over this multiple of the training "
                                                     "horizon (default: the run's protocol's, 10x unless its preset says otherwise), or none to skip them."),
    integrator: str = typer.Option("dopri5", help="Integrator of the long-horizon rollouts: dopri5, rk4, "
                                                  "implicit-midpoint, euler, or leapfrog / yoshida4 (separable "
                                                  "models)."),
    step: Optional[float] = typer.Option(None, help="Time step of a fixed-step integrator (default: the "
                                                    "training data's)."),
    hamiltonian: Optional[str] = typer.Option(None, "--hamiltonian", help="A run on your --data: the true energy "
                                              "as an expression, saved into its config.json (energy metrics)."),
) -> None:
    """Compute a run's metrics (losses, energy MSE, long-horizon metrics) and write
    metrics.json; with another --integrator or --horizon, only the long-horizon metrics,
    into horizon-<integrator>-<N>x.json beside it."""
    factor = parse_horizon(horizon) if horizon is not None else None  # None: the run's protocol's
    check_step_size(step)
    if step is not None and integrator == "dopri5":
        raise InvalidValueError("--step is the time step of a fixed-step --integrator; dopri5 chooses its own steps")
    _check_run_dir(run)
    _start_torch()
    from .pipeline import evaluate_run, horizon_evaluation, horizon_file, protocol_factor, set_hamiltonian

    if hamiltonian is not None:
        set_hamiltonian(run, hamiltonian)

    with _on_interrupt("nothing was written; run it again"):
        skip = horizon is not None and factor is None  # --horizon none
        if integrator == "dopri5" and (horizon is None or skip or factor == DEFAULT_HORIZON):
            metrics = evaluate_run(run, horizon=factor, long_horizon=not skip)
            title = f"{run}"
        else:
            if skip:
                raise InvalidValueError("--horizon none leaves nothing to roll out with --integrator or --step")
            factor = factor if factor is not None else protocol_factor(run)
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


Backend = typer.Option("local", help="Where the jobs run: local (a job pool on this machine) or ray "
                      "(pip install 'hamnet\\[ray]'; a new local Ray instance, or --address).")
Address = typer.Option(None, help="--backend ray: a running Ray cluster to join (auto, or HOST:PORT); --out must "
                       "then be on storage every node sees.")


def _check_backend(backend: str, address: str | None) -> None:
    """--backend names a known backend, and --address goes with ray."""
    if backend not in ("local", "ray"):
        raise InvalidValueError(f"unknown backend {backend!r}; known backends: local, ray")
    if address is not None and backend != "ray":
        raise InvalidValueError("--address is for --backend ray")


@app.command()
def reproduce(
    tasks: Optional[str] = typer.Option(None, help="Comma-separated tasks (default: the preset's)."),
    models: Optional[str] = typer.Option(None, help="Comma-separated models (see `hamnet models`; default: "
                                         "each task's own, the paper's baseline,hnn)."),
    quick: bool = typer.Option(False, "--quick", help="The preset's or suite's smoke test: fewer steps, same "
                               "code path (--quick alone: --preset quick)."),
    preset: Optional[str] = typer.Option(None, help="Settings preset: full (the HNN paper's, default), quick, "
                                         "dissipative (baseline, HNN, D-HNN on damped data), dhnn-paper "
                                         "(the D-HNN paper's real-pendulum protocol), tuned (settings found by "
                                         "hamnet tune; docs/tuning.md) or a tuned-preset file PATH.json."),
    suite: Optional[str] = typer.Option(None, help="A comparison suite instead of a preset: successors (baseline, "
                                        "HNN, D-HNN, second-order, LNN, HNN trained on rollouts; spring, pendulum, "
                                        "double pendulum, 3-link chain; docs/successors.md)."),
    seeds: Optional[int] = typer.Option(None, help="Seeds per task and model (default: the preset's; full 3, "
                                       "quick 1, dhnn-paper 5, successors 3)."),
    steps: Optional[int] = typer.Option(None, help="Override every task's training steps."),
    lr: Optional[float] = typer.Option(None, help="Override every task's Adam learning rate."),
    out: Path = typer.Option(Path("results"), help="Output directory."),
    device: str = typer.Option("cpu", help="cpu or cuda."),
    data_dir: Optional[Path] = DataDir,
    run_plots: bool = typer.Option(False, "--run-plots", help="Also draw every run's own figures "
                                   "(default: one baseline-vs-HNN figure per task)."),
    jobs: Optional[int] = typer.Option(None, help="Single-threaded jobs side by side (default: one per "
                                       "core on the CPU, 1 on a GPU); results do not depend on it."),
    backend: str = Backend,
    address: Optional[str] = Address,
    objective: Optional[str] = Objective,
    unroll: Optional[int] = Unroll,
    integrator: Optional[str] = Integrator,
    data: Optional[Path] = DataFile,
    coords: Optional[str] = Coords,
    momenta: Optional[str] = Momenta,
    hamiltonian: Optional[str] = HamiltonianText,
    test_fraction: Optional[float] = TestFraction,
    derivative: Optional[str] = Derivative,
    reference: Optional[str] = Reference,
    precision: Optional[str] = Precision,
) -> None:
    """Train and evaluate the models (baseline and HNN; D-HNN too on damped tasks) on every task of a
    preset, or on your trajectory file (--data); write results.{json,md,csv} and figures.

    Runs already finished in OUT with the same settings are reused, unfinished ones resume
    from their last checkpoint: after a crash or Ctrl-C, run the same command again."""
    if preset is not None and suite is not None:
        raise InvalidValueError(f"pass --preset {preset} or --suite {suite}, not both")
    check_count(seeds, "--seeds", MAX_SEEDS)
    check_count(jobs, "--jobs")
    _check_backend(backend, address)
    task_list = _names(tasks, "--tasks", "task", "; see `hamnet tasks`")
    system_options = recipe = protocol = None
    if data is not None:
        if task_list is not None:
            raise InvalidValueError("pass --tasks or --data, not both")
        task, system_options, recipe, protocol = _task_spec(None, data, coords, momenta, hamiltonian, test_fraction,
                                                            derivative, reference)
        task_list = [task]
    else:
        _refuse_data_options(coords, momenta, hamiltonian, test_fraction, derivative, reference)
    model_list = _names(models, "--models", "model")
    check_steps(steps)
    check_lr(lr)
    _check_device_name(device)
    _start_torch()
    from .reproduce import reproduce as run_reproduce

    chosen_preset = _chosen_preset(preset, suite, quick)
    options = _objective_options(objective, unroll, integrator, _run_names(model_list, task_list, chosen_preset),
                                 task_list, chosen_preset)

    device = _check_device(device)
    _check_precision(precision, device)
    command = "hamnet " + " ".join(sys.argv[1:])
    with _on_interrupt("run the same command again to continue: finished runs are kept, "
                       "unfinished ones resume from their last checkpoint"):
        run_reproduce(task_list, chosen_preset, seeds, out, data_dir, device,
                      steps=steps, lr=lr, command=command, run_plots=run_plots, jobs=jobs,
                      models=model_list, objective=objective, objective_options=options,
                      system_options=system_options, recipe=recipe, protocol=protocol, backend=backend,
                      address=address, precision=precision)
    typer.echo((out / "results.md").read_text(encoding="utf-8"))


@app.command()
def sweep(
    spec: Path = typer.Argument(..., help="A sweep file (TOML: tasks, models, seeds, preset and the tables "
                                          "set, grid, points; docs/sweeps.md), or a built-in one: data-efficiency, "
                                          "noise."),
    quick: bool = typer.Option(False, "--quick", help="Run the sweep with its preset's quick form (a smoke test)."),
    out: Path = typer.Option(..., help="Output directory: one run directory per point under runs/, "
                                       "sweep.{json,csv,md} and a figure per swept numeric field."),
    jobs: Optional[int] = typer.Option(None, help="Single-threaded jobs side by side (default: one per core; "
                                       "on a Ray cluster all its CPUs); results do not depend on it."),
    backend: str = Backend,
    address: Optional[str] = Address,
    data_dir: Optional[Path] = DataDir,
) -> None:
    """Train and evaluate every point of a sweep (tasks × models × seeds × overrides of any
    run field), resumably: finished points are kept, so rerun the same command after a crash."""
    check_count(jobs, "--jobs")
    _check_backend(backend, address)
    from .sweeps.files import read_spec_file

    raw, where = read_spec_file(spec)  # a missing or malformed file fails before PyTorch loads
    _start_torch()
    from .sweeps import parse_spec, run_sweep

    parsed = parse_spec(raw, where, quick)
    command = "hamnet " + " ".join(sys.argv[1:])
    with _on_interrupt("run the same command again to continue: finished points are kept, "
                       "unfinished ones resume from their last checkpoint"):
        run_sweep(parsed, out, jobs=jobs, data_dir=data_dir, command=command, backend=backend, address=address)
    typer.echo((out / "sweep.md").read_text(encoding="utf-8"))


@app.command()
def tune(
    tasks: str = typer.Option(..., help="Comma-separated tasks to tune (see `hamnet tasks`)."),
    models: Optional[str] = typer.Option(None, help="Comma-separated models, or MODEL+OBJECTIVE (default: each "
                                         "task's own under the preset)."),
    trials: int = typer.Option(30, help="Trials per task and model: every model gets the same budget."),
    out: Path = typer.Option(..., help="Output directory: the Optuna journal, one run directory per trial under "
                                       "trials/, tuned.json (a preset for reproduce), tune.md and tune.png."),
    preset: str = typer.Option("full", help="The built-in preset the trials start from: its steps, batches and "
                               "data (full, quick, dissipative, successors ...)."),
    quick: bool = typer.Option(False, "--quick", help="Start from the preset's quick form (a smoke test)."),
    validation: float = typer.Option(0.2, help="Share of the training split held out to score the trials (whole "
                                     "trajectories; the test split is never used)."),
    seed: int = typer.Option(0, help="Seed of the trials' data and initial weights, and of the sampler."),
    jobs: Optional[int] = typer.Option(None, help="Trials side by side (default: one per core; on a Ray cluster "
                                       "all its CPUs); each study keeps this many in flight."),
    backend: str = Backend,
    address: Optional[str] = Address,
    data_dir: Optional[Path] = DataDir,
) -> None:
    """Tune learning rate, weight decay, width and depth per task and model with Optuna (TPE),
    the same trials for each, scored on a validation split; write a tuned preset that
    `hamnet reproduce --preset OUT/tuned.json` runs. Rerun after a crash to continue."""
    task_list = _names(tasks, "--tasks", "task", "; see `hamnet tasks`")
    model_list = _names(models, "--models", "model")
    check_count(trials, "--trials", 10_000)
    check_count(jobs, "--jobs")
    check_seed(seed, "--seed")
    if not 0 < validation < 1:
        raise InvalidValueError(f"--validation must be a fraction between 0 and 1, got {validation}")
    _check_backend(backend, address)
    _start_torch()
    from .experiments.presets import PRESETS, quick_form
    from .tuning.study import run_tune

    if preset not in PRESETS:
        raise InvalidValueError(f"--preset must be a built-in preset ({', '.join(PRESETS)}), got {preset!r}")
    chosen = quick_form(preset) if quick else preset
    command = "hamnet " + " ".join(sys.argv[1:])
    with _on_interrupt("run the same command again to continue: finished trials are kept, "
                       "running ones resume from their last checkpoint"):
        run_tune(task_list, model_list, trials, out, chosen, seed, validation, jobs, backend, address, data_dir,
                 command=command)
    typer.echo((out / "tune.md").read_text(encoding="utf-8"))
    typer.echo(f"Run the tuned settings on the test split: hamnet reproduce --preset {out / 'tuned.json'}")


def _run_names(models: list[str] | None, tasks: list[str] | None, preset: str) -> list[str]:
    """The models `reproduce` runs: those given, else every task's own under the preset."""
    from . import experiments

    if models is not None:
        return models
    return [name for task in tasks or experiments.tasks(preset) for name in experiments.get(task, preset).models]


def _chosen_preset(preset: str | None, suite: str | None, quick: bool) -> str:
    """The preset `reproduce` runs: --preset or --suite (not both; default full), its quick
    form with --quick."""
    from .experiments.presets import SUITES, preset as known_preset, quick_form

    if suite is not None and suite not in SUITES:
        raise InvalidValueError(f"unknown suite {suite!r}; known suites: {', '.join(SUITES)}")
    name = suite or preset or "full"
    known_preset(name)  # raises naming the known presets
    return quick_form(name) if quick else name


def _names(listed: str | None, option: str, what: str, hint: str = "") -> list[str] | None:
    """A comma-separated option as a list (None: not given); an empty one is an error."""
    if listed is None:
        return None
    names = [name.strip() for name in listed.split(",") if name.strip()]
    if not names:
        raise InvalidValueError(f"{option} names no {what} ({listed!r}){hint}")
    return names


@app.command()
def simulate(
    hamiltonian: str = typer.Option(..., "--hamiltonian", help="H as an expression of the coordinates, e.g. "
                                    "'p**2/2 + q**4/4 - q**2/2' (+ - * / **, sin cos exp log sqrt ..., pi, e)."),
    out: Path = typer.Option(..., help="File to write: .npz or .csv (docs/your-data.md)."),
    coords: str = typer.Option("q", help="Position names, comma-separated."),
    momenta: str = typer.Option("p", help="Momentum names, comma-separated (as many as positions)."),
    trajectories: int = typer.Option(100, help="Number of trajectories."),
    t_end: float = typer.Option(10.0, help="Each trajectory's duration (time units)."),
    points: int = typer.Option(50, help="Samples per trajectory, evenly spaced over [0, t-end]."),
    noise: float = typer.Option(0.0, help="Std of the Gaussian noise added to the sampled states."),
    box: str = typer.Option("-1,1", help="Initial states: every coordinate uniform in LOW,HIGH."),
    energy: Optional[str] = typer.Option(None, help="Initial states only with E1 <= H <= E2 (E1,E2; drawn in "
                                         "the box)."),
    seed: int = typer.Option(0, help="Seed of the initial states and the noise."),
    derivatives: bool = typer.Option(True, "--derivatives/--no-derivatives", help="Write the true dx/dt "
                                     "(at the noiseless states) beside the states, or only the states."),
) -> None:
    """Integrate a Hamiltonian you write (float64, its field by autograd) from sampled
    initial states and write the trajectories as a file `hamnet train --data` reads."""
    names = _name_list(coords, "--coords"), _name_list(momenta, "--momenta")
    check_count(trajectories, "--trajectories")
    check_count(points, "--points")
    if points < 2:
        raise InvalidValueError(f"--points must be at least 2, got {points}")
    if not (t_end > 0 and t_end < float("inf")):
        raise InvalidValueError(f"--t-end must be a positive number, got {t_end}")
    if not (noise >= 0 and noise < float("inf")):
        raise InvalidValueError(f"--noise must be a non-negative number, got {noise}")
    if out.suffix.lower() not in (".npz", ".csv"):
        raise InvalidValueError(f"--out {out}: write a .npz or .csv file")
    check_seed(seed)
    low, high = _pair(box, "--box")
    shell = _pair(energy, "--energy") if energy is not None else None
    _start_torch()
    from .data.files import write_trajectories
    from .expression import HamiltonianExpression
    from .simulate import Sampler, simulate as run_simulation

    expression = HamiltonianExpression.parse(hamiltonian, *names)
    t, x, dxdt = run_simulation(expression, Sampler(low, high, shell), trajectories, t_end, points, noise, seed)
    write_trajectories(out, t, x, dxdt if derivatives else None, expression.coords, expression.momenta,
                       expression.text)
    log(f"wrote {trajectories} trajectories × {points} samples of H = {expression.text} "
        f"({'separable' if expression.separable else 'not separable'}) -> {out}")


def _pair(text: str, option: str) -> tuple[float, float]:
    """Two comma-separated finite numbers."""
    try:
        a, b = (float(part) for part in text.split(","))
    except ValueError:
        raise InvalidValueError(f"{option} must be two numbers A,B, got {text!r}") from None
    if not all(abs(v) < float("inf") for v in (a, b)):
        raise InvalidValueError(f"{option} must be two finite numbers, got {text!r}")
    return a, b


@app.command()
def distill(
    run: Optional[Path] = typer.Argument(None, help="A run directory of a model with a learned H (hnn, dhnn, "
                                         "hnn-separable, lnn); or pass --data."),
    data: Optional[Path] = typer.Option(None, "--data", help="Distill H from your trajectory file directly "
                                        "(dx/dt = J grad H imposed), beside plain SINDy, instead of a RUN."),
    coords: Optional[str] = Coords,
    momenta: Optional[str] = Momenta,
    hamiltonian: Optional[str] = typer.Option(None, "--hamiltonian", help="--data: the true energy as an "
                                              "expression (scores the formula against it)."),
    derivative: Optional[str] = Derivative,
    test_fraction: Optional[float] = TestFraction,
    reference: Optional[str] = Reference,
    degree: int = typer.Option(4, help="Monomials of the coordinates and momenta up to this total degree "
                               "(0: none)."),
    trig: bool = typer.Option(True, "--trig/--no-trig", help="sin and cos of every position."),
    pairwise: Optional[int] = typer.Option(None, help="1/r of every pair of bodies with this many coordinates "
                                           "each (default: the task's bodies, e.g. 2 for two-body)."),
    terms: Optional[str] = typer.Option(None, help="Your own terms, comma-separated, e.g. \"cos(q1-q2), q1*p2\"."),
    tolerance: float = typer.Option(0.01, help="Selection rule: the sparsest support whose relative residual is "
                                    "within this of the best one's."),
    states: int = typer.Option(2000, help="Training states the regression uses at most."),
    bootstrap: int = typer.Option(200, help="Bootstrap resamples of the states for the coefficients' intervals."),
    horizon: Optional[str] = typer.Option(None, help="Long-horizon rollouts of formula and network over this "
                                          "multiple of the training horizon (default 10x; none to skip)."),
    noise: float = typer.Option(0.0, help="Std of the noise on the observed states: the coefficients are "
                                "corrected for it by simulation-extrapolation (0: no correction)."),
    truth: Optional[str] = typer.Option(None, help="Score the formula's terms against this H (an expression) "
                                        "instead of the task's own."),
    seed: int = typer.Option(0, help="Seed of the state subsample, the bootstrap and the noise correction."),
    out: Optional[Path] = typer.Option(None, help="Folder for formula.json/.txt/.md and selection.png (default: "
                                       "RUN/distill, or distill-<file name> for --data)."),
) -> None:
    """The learned H as a formula: sparse regression (PySINDy's STLSQ) of grad H over a library
    of terms, with bootstrap intervals, scored against the network and the truth."""
    if (run is None) == (data is None):
        raise InvalidValueError("pass a RUN directory or --data FILE (one of them)")
    if run is not None:
        _refuse_data_options(coords, momenta, hamiltonian, test_fraction, derivative, reference)
        _check_run_dir(run)
    check_count(states, "--states")
    check_count(bootstrap, "--bootstrap")
    check_seed(seed)
    factor = parse_horizon(horizon) if horizon is not None else DEFAULT_HORIZON
    target = out or (run / "distill" if run is not None else Path(f"distill-{data.stem}"))
    check_writable_target(target)
    _start_torch()
    from .distill import LibrarySpec, Settings, distill_data, distill_run, parse_terms
    from .distill.report import write_distillation

    settings = Settings(LibrarySpec(degree, trig, pairwise, parse_terms(terms)), tolerance, states, bootstrap,
                        factor, seed, truth, noise)
    with _on_interrupt("nothing was written; run it again"):
        if run is not None:
            result = distill_run(run, settings)
        else:
            from .experiments import RunConfig

            task, options, recipe, protocol = _task_spec(None, data, coords, momenta, hamiltonian, test_fraction,
                                                         derivative, reference)
            config = RunConfig.for_task(task, "hnn", seed, "full", system_options=options, recipe=recipe,
                                        protocol=protocol)
            result = distill_data(config, settings)
    paths = write_distillation(result, target)
    _print_distillation(result)
    console.print(f"wrote {', '.join(str(p) for p in paths)}", soft_wrap=True)


def _print_distillation(result) -> None:  # noqa: ANN001 (a hamnet.distill.Distillation)
    """The formula, its terms with intervals, and the scores, as a person reads them."""
    for name, formula in (("H", result.hamiltonian), ("D", result.dissipation)):
        if formula is None:
            continue
        console.print(f"{name} = {formula.to_dict()['pretty']}", soft_wrap=True)
        table = Table("term", "coefficient", "95 % interval")
        for term, c, (lo, hi) in zip(formula.terms, formula.coefficients, formula.intervals):
            table.add_row(term, f"{c:.6g}", f"[{lo:.6g}, {hi:.6g}]")
        console.print(table)
    if result.truth is not None:
        error = result.truth["max_coefficient_error"]
        console.print(f"against the true H: exact support {'yes' if result.truth['exact_support'] else 'no'}, "
                      f"largest coefficient error {'—' if error is None else f'{100 * error:.3g} %'}")
    table = Table("metric", *result.scores)
    for metric in sorted({k for scores in result.scores.values() for k in scores}):
        table.add_row(metric, *(f"{scores[metric]:.4g}" if metric in scores else "—" for scores in result.scores.values()))
    console.print(table)
    if result.sindy is not None:
        console.print(f"plain SINDy: {result.sindy['terms']} terms" + "".join(f"\n  {eq}" for eq in result.sindy["equations"]),
                      soft_wrap=True)


@app.command()
def export(
    run: Path = typer.Argument(..., help="A run directory written by `hamnet train` (a state-space task)."),
    fmt: str = typer.Option("onnx", "--format", help="onnx (any ONNX runtime), pt2 (torch.export program) or "
                            "aoti (AOTInductor package, compiled C++; needs a compiler)."),
    out: Optional[Path] = typer.Option(None, help="The file to write (default: RUN/export/field.onnx, "
                                       "field.pt2 or field-aoti.pt2); its metadata go to FILE.json beside it."),
    dtype: str = typer.Option("float32", help="float32 (the weights as trained) or float64."),
    states: int = typer.Option(10_000, help="Random states (in the box of the training states, besides the test "
                               "states) on which the written file must match hamnet's field."),
    seed: int = typer.Option(0, help="Seed of the random check states."),
) -> None:
    """Write the learned field x -> dx/dt as a standalone file (ONNX, torch.export, AOTInductor),
    with the MLP's gradient in closed form (no autograd op), checked against hamnet's field."""
    check_count(states, "--states")
    check_seed(seed)
    _check_run_dir(run)
    _start_torch()
    from .export import default_name, export_run

    target = out or run / "export" / default_name(fmt)
    check_writable_target(target.parent)
    with _on_interrupt("nothing was written; run it again"):
        result = export_run(run, fmt, target, dtype, states, seed)
    check = result.check
    console.print(f"wrote {result.path} and {result.metadata_path.name}: the {fmt} field matches hamnet's "
                  f"to {check.max_abs_error:.2g} on {check.states} states (tolerance {check.tolerance:.2g}, "
                  f"largest |dx/dt| {check.scale:.3g})", soft_wrap=True)


@app.command()
def tasks() -> None:
    """List the tasks and their systems."""
    from . import experiments, systems

    for name in experiments.tasks():
        console.print(f"{name:>15}  {systems.get(name).description}")
    for name in systems.names():
        if not systems.is_builtin(name):
            console.print(f"{name:>15}  (installed plugin) {systems.get(name).description}")
    console.print(f"{'--data FILE':>15}  {systems.MeasuredSystem.description}")
    console.print(f"{'module:Class':>15}  your own System subclass (docs/your-system.md)")


@app.command("models")
def list_models() -> None:
    """List the models (the registry: name, title, what it learns)."""
    from . import models, objectives

    for kind in models.names():
        console.print(f"{kind:>10}  {models.title(kind):<9} {models.description(kind)}")
    console.print(f"{'MODEL+OBJ':>10}  {'':<9} in `reproduce --models`: MODEL trained with objective OBJ, e.g. "
                  f"hnn+rollout (objectives: {', '.join(objectives.names())})", soft_wrap=True)


def main() -> None:
    """Entry point: run the app. A user error (a bad argument, a `HamnetError`) prints one
    line and exits with code 2; Ctrl-C prints one line saying how to continue, code 130."""
    try:
        code = app(standalone_mode=False)
    except HamnetError as exc:
        exit_with(f"error: {exc}", 2)
    except Interrupted as exc:
        exit_with(f"interrupted; {exc}", 130)
    except Exception as exc:
        # The argument parser's usage errors (typer's click): they carry their exit code.
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        command = getattr(getattr(exc, "ctx", None), "command_path", "hamnet")
        if not exc.format_message():  # `hamnet` alone: the help is already shown
            sys.exit(exc.exit_code)
        exit_with(f"error: {command}: {exc.format_message()}", exc.exit_code or 2)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()

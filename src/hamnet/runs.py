"""Run directories: `config.json` + `model.safetensors` + `metrics.json` (+ plots).

A run is rebuilt from its directory alone: `load(dir)` returns the trained model.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from . import experiments, models, systems
from .atomic import atomic_path, write_text
from .checks import check_lr, check_seed, check_steps
from .data import Dataset, PixelData, load_task_data
from .errors import HamnetError, InvalidValueError, RunDirectoryError, TrainingDivergedError
from .locks import exclusive
from .metrics import (Rollouts, diverged_fraction, energy_mse, evaluation_rollouts, loss_estimates,
                      reversibility_error, state_mse)
from .models import DynamicsModel
from .run_files import (CHECKPOINT, CONFIG, HISTORY, METRICS, ROLLOUTS, WEIGHTS, RunState, clear_run,
                        fingerprint, read_json, run_state, what_differs)
from .seeding import derive_seed, generator
from .systems import EnergyProtocol
from .train import TrainHistory, TrainSettings, train
from .train_many import train_many

#: Key of the run fingerprint in metrics.json and in the rollouts file's metadata.
FINGERPRINT_KEY = "fingerprint"



@dataclass
class RunConfig:
    """Everything that determines a run: task, model, seed, settings, data recipe."""

    task: str
    model: str
    seed: int = 0
    preset: str = "full"
    train: TrainSettings = field(default_factory=TrainSettings)
    recipe: dict[str, Any] = field(default_factory=dict)
    protocol: dict[str, Any] = field(default_factory=dict)
    hidden: tuple[int, ...] = (200, 200)
    residual: bool = False  # residual hidden layers (`hamnet.models.mlp.MLP`)
    device: str = "cpu"
    data_dir: str | None = None  # where data files are read from (None: the default lookup)

    @classmethod
    def for_task(cls, task: str, model: str, seed: int = 0, preset: str = "full",
                 steps: int | None = None, device: str = "cpu",
                 data_dir: str | Path | None = None, lr: float | None = None) -> "RunConfig":
        """The config of `preset` for `task` (raises on unknown task, model or preset).

        `steps` and `lr` override the preset's training settings.
        """
        check_seed(seed, "seed")
        check_steps(steps)
        check_lr(lr)
        experiment = experiments.get(task, preset)
        train_settings = dataclasses.replace(experiment.train, **{k: v for k, v in
                                             (("steps", steps), ("lr", lr)) if v is not None})
        system = systems.get(task)
        recipe = dataclasses.replace(system.recipe, **experiment.recipe) if system.recipe else None
        protocol = dataclasses.replace(system.energy_protocol, **experiment.protocol)
        config = cls(task=task, model=model, seed=seed, preset=preset, train=train_settings,
                     recipe=dataclasses.asdict(recipe) if recipe else {},
                     protocol=dataclasses.asdict(protocol), hidden=experiment.hidden,
                     residual=experiment.residual, device=device,
                     data_dir=str(data_dir) if data_dir else None)
        config.validate()
        return config

    def validate(self) -> None:
        """Raise a `HamnetError` naming the first field that is unknown, of the wrong kind or
        out of range (a config read from disk may hold anything)."""
        system = systems.get(self.task)
        if self.model not in models.names():
            models.build(self.model, 2)  # raises UnknownNameError with the known names
        check_seed(self.seed, "seed")
        if not (self.hidden and all(type(h) is int and h > 0 for h in self.hidden)):
            raise InvalidValueError(f"hidden sizes must be positive integers, got {list(self.hidden)}")
        _check_fields("train", dataclasses.asdict(self.train), TrainSettings())
        self.train.validate()
        if system.recipe is not None:
            _check_fields("recipe", self.recipe, system.recipe)
        _check_fields("protocol", self.protocol, system.energy_protocol)
        if not isinstance(self.residual, bool):
            raise InvalidValueError(f"residual must be true or false, got {self.residual!r}")
        for name in ("preset", "device"):
            if not isinstance(getattr(self, name), str):
                raise InvalidValueError(f"{name} must be a string, got {getattr(self, name)!r}")
        if self.data_dir is not None and not isinstance(self.data_dir, str):
            raise InvalidValueError(f"data_dir must be a path or null, got {self.data_dir!r}")

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["hidden"] = list(self.hidden)
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "RunConfig":
        """The config saved by `to_dict` (not validated: see `validate`)."""
        raw = dict(raw)
        raw["train"] = TrainSettings(**raw["train"])
        raw["hidden"] = tuple(raw["hidden"])
        return cls(**raw)

    def dataset(self, use_cache: bool = True) -> Dataset | PixelData:
        """This run's data set (deterministic for the seed; files looked up in `data_dir`)."""
        return load_task_data(systems.get(self.task), self.recipe, derive_seed(self.seed, "data"),
                              data_dir=self.data_dir, use_cache=use_cache)

    def build_model(self, seeded: bool = True) -> DynamicsModel:
        """A freshly initialised model (seeded from the run seed unless `seeded=False`)."""
        system = systems.get(self.task)
        return models.build(self.model, system.dim, self.hidden, obs_dim=system.observation_dim,
                            generator=generator(self.seed, "init") if seeded else None,
                            residual=self.residual)

    def with_defaults(self) -> "RunConfig":
        """This config with every recipe and protocol field spelled out (the system's defaults
        for those not given): a config.json of an earlier version, which lacks fields added
        since, compares equal to today's config of the same run."""
        system = systems.get(self.task)
        recipe = dataclasses.asdict(dataclasses.replace(system.recipe, **self.recipe)) if system.recipe else {}
        protocol = dataclasses.asdict(dataclasses.replace(system.energy_protocol, **self.protocol))
        return dataclasses.replace(self, recipe=recipe, protocol=protocol)


def _same_kind(value: Any, default: Any) -> bool:
    """Whether a config value is of the kind its field's default is (ints do for floats)."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, float) or default is None:
        return value is None or isinstance(value, (int, float))
    return isinstance(value, type(default))


def _check_fields(name: str, given: Any, defaults: Any) -> None:
    """`given` (a dict) names only fields of the dataclass instance `defaults`, each of the
    same kind as its default, and rebuilds it."""
    if not isinstance(given, dict):
        raise InvalidValueError(f"{name} must be a mapping, got {given!r}")
    fields = dataclasses.asdict(defaults)
    for key, value in given.items():
        if key not in fields:
            raise InvalidValueError(f"{name} has no field {key!r} (fields: {', '.join(fields)})")
        if not _same_kind(value, fields[key]):
            raise InvalidValueError(f"{name}.{key} must be like {fields[key]!r}, got {value!r}")
    dataclasses.replace(defaults, **given)


def load_config(run_dir: str | Path) -> RunConfig:
    """The `RunConfig` stored in `run_dir/config.json`, checked field by field."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        problem = "is not a directory" if run_dir.exists() else "does not exist"
        raise RunDirectoryError(f"run directory {run_dir} {problem}")
    raw = read_json(run_dir / CONFIG)
    if not isinstance(raw, dict):
        raise RunDirectoryError(f"{run_dir / CONFIG} is corrupt: not a JSON object")
    try:
        config = RunConfig.from_dict(raw)
    except (TypeError, KeyError, ValueError) as exc:
        raise RunDirectoryError(f"{run_dir / CONFIG} is corrupt: {exc}") from None
    try:
        config.validate()
    except (HamnetError, TypeError, ValueError) as exc:
        raise RunDirectoryError(f"{run_dir / CONFIG} is not usable: {exc}") from None
    return config.with_defaults()


def load(run_dir: str | Path) -> DynamicsModel:
    """The trained model of a run directory, rebuilt from the directory alone (eval mode, CPU)."""
    return _load_model(load_config(run_dir), run_dir)


def _load_model(config: RunConfig, run_dir: str | Path) -> DynamicsModel:
    """`config`'s model with the weights in `run_dir` (`RunDirectoryError` if they do not fit)."""
    weights = Path(run_dir) / WEIGHTS
    if not weights.exists():
        raise RunDirectoryError(f"{run_dir} is not a complete run: {WEIGHTS} is missing (not trained yet?)")
    try:
        model = config.build_model(seeded=False)
    except (HamnetError, TypeError, ValueError) as exc:
        raise RunDirectoryError(f"{Path(run_dir) / CONFIG} describes no model hamnet can build: {exc}") from None
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError) as exc:
        raise RunDirectoryError(f"{weights} is corrupt: {str(exc).splitlines()[0]}") from None
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        detail = str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
        raise RunDirectoryError(f"{weights} does not fit the {config.model} model that {CONFIG} "
                                f"describes: {detail}") from None
    return model.eval()


def save_model(model: DynamicsModel, run_dir: Path) -> None:
    with atomic_path(run_dir / WEIGHTS) as tmp:
        save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(tmp))


def check_claim(config: RunConfig, run_dir: Path, resume: bool = False, overwrite: bool = False) -> RunState | None:
    """Whether `config` may use `run_dir`, without writing: the state of this same run to
    continue (`resume`), or None to start anew (no run there, or one to overwrite).

    A directory holding a run is continued with `resume` if it is the same run (same
    config, place fields aside); with `overwrite`, any other run is replaced, the same one
    too unless `resume`. Otherwise `RunDirectoryError` says what is there and what to pass.
    """
    state = run_state(run_dir) if run_dir.is_dir() else RunState.NEW
    if state is RunState.NEW:
        return None
    try:
        differs = what_differs(load_config(run_dir).to_dict(), config.to_dict())
    except RunDirectoryError:
        differs = ["config.json (missing or corrupt)"]
    if resume and not differs:
        return state
    if overwrite:
        return None
    holds = "another run" if differs else f"this run ({state.value})"
    detail = f"; differs in {', '.join(differs[:3])}" if differs else ""
    hint = "--overwrite to replace it" if differs else "--resume to continue it or --overwrite to replace it"
    raise RunDirectoryError(f"{run_dir} already holds {holds}{detail}; pass {hint}")


def open_run(config: RunConfig, run_dir: Path, resume: bool = False, overwrite: bool = False) -> RunState:
    """Claim `run_dir` (held by `exclusive`) for `config` as `check_claim` allows: a run to
    start anew gets the old run's files removed and `config.json` written."""
    state = check_claim(config, run_dir, resume, overwrite)
    if state is not None:
        return state
    clear_run(run_dir)
    write_text(run_dir / CONFIG, json.dumps(config.to_dict(), indent=2))
    return RunState.NEW


def _load_history(run_dir: Path) -> TrainHistory:
    try:
        return TrainHistory(**read_json(run_dir / HISTORY))
    except TypeError as exc:
        raise RunDirectoryError(f"{run_dir / HISTORY} is corrupt: {exc}") from None


def _finish_run(model: DynamicsModel, data: Dataset | PixelData, history: TrainHistory,
                run_dir: Path) -> DynamicsModel:
    """Fit the model's readout, write weights and history, drop the checkpoint."""
    model = model.cpu().eval()
    model.fit_readout(*data.readout_tensors())
    save_model(model, run_dir)
    write_text(run_dir / HISTORY, json.dumps(history.to_dict()))
    (run_dir / CHECKPOINT).unlink(missing_ok=True)
    return model


def train_run(config: RunConfig, run_dir: str | Path, resume: bool = False,
              show_progress: bool | None = None, on_step=None,
              overwrite: bool = False) -> tuple[DynamicsModel, TrainHistory]:
    """Train the run described by `config` into `run_dir` (config, weights, history).

    The data set is built (and checked) before `run_dir` is touched. `resume=True`
    continues this run from `run_dir/checkpoint.pt` if present, or returns it as it is if
    it finished; `overwrite=True` replaces another run's files (`open_run`). A run that
    diverges before its first checkpoint leaves nothing behind.
    """
    check_claim(config, Path(run_dir), resume, overwrite)  # refuse before the data are built
    data = config.dataset()
    with exclusive(run_dir) as run_dir:
        state = open_run(config, run_dir, resume, overwrite)
        if state is RunState.FINISHED:
            return load(run_dir), _load_history(run_dir)
        model = config.build_model().to(config.device)
        try:
            history = train(model, data.train_tensors(), data.test_tensors(),
                            config.train, seed=derive_seed(config.seed, "batches"),
                            checkpoint=run_dir / CHECKPOINT, resume=state is RunState.UNFINISHED,
                            show_progress=show_progress, on_step=on_step)
        except TrainingDivergedError:
            if not (run_dir / CHECKPOINT).exists():
                clear_run(run_dir)
            raise
        return _finish_run(model, data, history, run_dir), history


def train_runs(configs: list[RunConfig], run_dirs: list[str | Path], show_progress: bool | None = None,
               resume: bool = False, overwrite: bool = False) -> list[tuple[DynamicsModel, TrainHistory]]:
    """Train runs that differ only in their seed at once (`train_many`); one run: `train_run`.

    With `resume`, finished runs are returned as they are; the others start over (the
    stacked path keeps no checkpoints).
    """
    if len(configs) == 1:
        return [train_run(configs[0], run_dirs[0], resume, show_progress, overwrite=overwrite)]
    if len({json.dumps(dataclasses.replace(c, seed=0).to_dict()) for c in configs}) != 1:
        raise InvalidValueError("runs trained together must differ only in their seed")
    datasets = [c.dataset() for c in configs]
    with contextlib.ExitStack() as stack:
        dirs = [stack.enter_context(exclusive(d)) for d in run_dirs]
        states = [open_run(c, d, resume, overwrite) for c, d in zip(configs, dirs)]
        todo = [i for i, state in enumerate(states) if state is not RunState.FINISHED]
        for i in todo:
            if states[i] is RunState.UNFINISHED:
                open_run(configs[i], dirs[i], overwrite=True)  # start over
        fresh = [configs[i].build_model().to(configs[i].device) for i in todo]
        histories = train_many(fresh, [datasets[i].train_tensors() for i in todo],
                               [datasets[i].test_tensors() for i in todo], configs[0].train,
                               [derive_seed(configs[i].seed, "batches") for i in todo],
                               show_progress=show_progress) if todo else []
        trained = {i: (_finish_run(model, datasets[i], history, dirs[i]), history)
                   for i, model, history in zip(todo, fresh, histories)}
        return [trained[i] if i in trained else (load(dirs[i]), _load_history(dirs[i]))
                for i in range(len(configs))]


def _rollouts_for(config: RunConfig, model: DynamicsModel, data: Any,
                  t_end: float | None = None) -> Rollouts:
    return evaluation_rollouts(systems.get(config.task), model, EnergyProtocol(**config.protocol),
                               data, t_end=t_end)


def evaluate_run(run_dir: str | Path) -> dict[str, float]:
    """Compute a run's metrics (float64); write `metrics.json` and the rollouts they score,
    both marked with the run's fingerprint (`load_metrics` trusts them only while it holds).

    Metrics: `train_loss`, `test_loss` (the model's training objective; for latent models
    also its parts, e.g. `test_loss_autoencoder`), `energy_mse` (`inf` where a rollout left
    the finite numbers), `state_mse` (the rollout's distance from the reference), each with `_se`; `reversibility_error` where the protocol asks
    for it; `train_seconds`.
    """
    run_dir = Path(run_dir)
    config = load_config(run_dir)
    model = _load_model(config, run_dir).double()  # checks the directory before anything is written
    protocol = EnergyProtocol(**config.protocol)
    data = config.dataset()
    with exclusive(run_dir):
        stamp = fingerprint(run_dir)
        metrics: dict[str, float] = {}
        for split, tensors in (("train", data.train_tensors()), ("test", data.test_tensors())):
            for term, estimate in loss_estimates(model, tensors).items():
                name = f"{split}_loss" if term == "loss" else f"{split}_loss_{term}"
                metrics |= {name: estimate.mean, f"{name}_se": estimate.se}
        rollouts = _rollouts_for(config, model, data)
        energy = energy_mse(systems.get(config.task), rollouts)
        metrics |= {"energy_mse": energy.mean, "energy_mse_se": energy.se}
        strayed = state_mse(rollouts)
        metrics |= {"state_mse": strayed.mean, "state_mse_se": strayed.se}
        if diverged_fraction(rollouts) > 0:
            metrics["diverged_rollouts"] = diverged_fraction(rollouts)
        if protocol.reversibility_steps:
            reversibility = reversibility_error(model, rollouts, protocol.reversibility_steps)
            metrics |= {"reversibility_error": reversibility.mean, "reversibility_error_se": reversibility.se}
        history = read_json(run_dir / HISTORY) if (run_dir / HISTORY).exists() else {}
        metrics["train_seconds"] = float(history.get("seconds", float("nan")))
        with atomic_path(run_dir / ROLLOUTS) as tmp:
            save_file({k: v.contiguous() for k, v in rollouts.tensors().items()}, str(tmp),
                      metadata={FINGERPRINT_KEY: stamp})
        write_text(run_dir / METRICS, json.dumps({FINGERPRINT_KEY: stamp, **metrics}, indent=2))
    return metrics


def load_metrics(run_dir: str | Path) -> dict[str, float]:
    """The metrics `evaluate_run` wrote, if they belong to the weights beside them."""
    run_dir = Path(run_dir)
    stored = read_json(run_dir / METRICS)
    if not isinstance(stored, dict) or stored.pop(FINGERPRINT_KEY, None) != fingerprint(run_dir):
        raise RunDirectoryError(f"{run_dir / METRICS} does not belong to the weights beside it; "
                                f"run `hamnet evaluate {run_dir}` again")
    return stored


def plot_rollouts(run_dir: Path, config: RunConfig, model: DynamicsModel, data: Any) -> Rollouts:
    """The rollouts a run's figures show: those saved by `evaluate_run` when they belong to
    these weights and cover the protocol's plot horizon, else computed now."""
    protocol = EnergyProtocol(**config.protocol)
    if protocol.plot_t_end is None and (run_dir / ROLLOUTS).exists():
        try:
            with safe_open(str(run_dir / ROLLOUTS), framework="pt") as handle:
                stamp = (handle.metadata() or {}).get(FINGERPRINT_KEY)
            if stamp == fingerprint(run_dir):
                return Rollouts.from_tensors(load_file(str(run_dir / ROLLOUTS)))
        except (SafetensorError, KeyError, OSError):
            pass  # a damaged, outdated or foreign file is recomputed
    return _rollouts_for(config, model, data, t_end=protocol.plot_t_end)


def plot_runs(run_dirs: list[str | Path], out_dir: str | Path, prefix: str = "") -> list[Path]:
    """Figures of one or several runs of the same task and seed, each labelled by its model."""
    from .plots import plot_figures  # matplotlib only when plotting

    configs = [load_config(d) for d in run_dirs]
    if len({(c.task, c.seed) for c in configs}) != 1:
        raise InvalidValueError("runs plotted together must be of the same task and seed")
    data = configs[0].dataset()
    models = {c.model: load(d) for c, d in zip(configs, run_dirs)}
    rollouts = {c.model: plot_rollouts(Path(d), c, models[c.model], data) for c, d in zip(configs, run_dirs)}
    title = f"{configs[0].task} · {' vs '.join(models)} · seed {configs[0].seed}"
    return plot_figures(systems.get(configs[0].task), models, rollouts, data, Path(out_dir), title, prefix)


def plot_run(run_dir: str | Path) -> list[Path]:
    """Write a run's figures (PNG) into its directory; returns their paths."""
    load(run_dir)  # checks the directory before anything is written
    with exclusive(run_dir):
        return plot_runs([run_dir], run_dir)

"""Figures of runs: the saved rollouts (or fresh ones) drawn against the truth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InvalidValueError
from ..experiments import RunConfig
from ..horizon import horizon_curves, horizon_protocol
from ..metrics import Rollouts
from ..models import DynamicsModel
from ..runs import ROLLOUTS, exclusive, load_config, load_stamped
from ..systems import EnergyProtocol
from .build import build_data
from .evaluate import load_horizon_curves, rollouts_for
from .load import load


def plot_rollouts(run_dir: Path, config: RunConfig, model: DynamicsModel, data: Any) -> Rollouts:
    """The rollouts a run's figures show: those saved by `evaluate_run` when they belong to
    these weights and cover the protocol's plot horizon, else computed now."""
    protocol = EnergyProtocol(**config.protocol)
    saved = load_stamped(run_dir / ROLLOUTS, run_dir) if protocol.plot_t_end is None else None
    if saved is not None:
        try:
            return Rollouts.from_tensors(saved)
        except KeyError:
            pass  # a file of another kind under that name: recomputed
    return rollouts_for(config, model, data, t_end=protocol.plot_t_end)


def plot_runs(run_dirs: list[str | Path], out_dir: str | Path, prefix: str = "") -> list[Path]:
    """Figures of one or several runs of the same task and seed, each labelled by its model
    (`RunConfig.label`: with the objective, where it is not the task's)."""
    from ..plots import plot_figures  # matplotlib only when plotting

    configs = [load_config(d) for d in run_dirs]
    if len({(c.task, c.seed) for c in configs}) != 1:
        raise InvalidValueError("runs plotted together must be of the same task and seed")
    data = build_data(configs[0])
    models = {c.label: load(d) for c, d in zip(configs, run_dirs)}
    rollouts = {c.label: plot_rollouts(Path(d), c, models[c.label], data) for c, d in zip(configs, run_dirs)}
    system = configs[0].system()
    span = system.training_span(configs[0].recipe, configs[0].protocol)
    horizons = {c.label: load_horizon_curves(d) or horizon_curves(system, models[c.label], span[0],
                                                                  horizon_protocol(EnergyProtocol(**c.protocol)))
                for c, d in zip(configs, run_dirs)} if span is not None else None
    title = f"{system.label} · {' vs '.join(models)} · seed {configs[0].seed}"
    return plot_figures(system, models, rollouts, data, Path(out_dir), title, prefix, horizons)


def plot_run(run_dir: str | Path) -> list[Path]:
    """Write a run's figures (PNG) into its directory; returns their paths."""
    load(run_dir)  # checks the directory before anything is written
    with exclusive(run_dir):
        return plot_runs([run_dir], run_dir)

"""Score a trained run: losses, energy and state error along rollouts, reversibility."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from safetensors.torch import save_file

from .. import systems
from ..atomic import atomic_path, write_text
from ..experiments import RunConfig
from ..horizon import applies, long_horizon_metrics
from ..metrics import (Rollouts, diverged_fraction, energy_mse, evaluation_rollouts, loss_estimates,
                       reversibility_error, state_mse)
from ..models import DynamicsModel
from ..runs import FINGERPRINT_KEY, HISTORY, METRICS, ROLLOUTS, exclusive, fingerprint, load_config, read_json
from ..systems import EnergyProtocol
from .build import build_data, build_objective
from .load import load_model


def rollouts_for(config: RunConfig, model: DynamicsModel, data: Any,
                 t_end: float | None = None) -> Rollouts:
    """The run's evaluation rollouts (`hamnet.metrics.evaluation_rollouts`), to `t_end` if given."""
    return evaluation_rollouts(systems.get(config.task), model, EnergyProtocol(**config.protocol),
                               data, t_end=t_end)


def evaluate_run(run_dir: str | Path) -> dict[str, float]:
    """Compute a run's metrics (float64); write `metrics.json` and the rollouts they score,
    both marked with the run's fingerprint (`load_metrics` trusts them only while it holds).

    Metrics: `train_loss`, `test_loss` (the run's training objective, and its parts where
    it has several, e.g. `test_loss_autoencoder`), `energy_mse` (`inf` where a rollout left
    the finite numbers), `state_mse` (the rollout's distance from the reference), each with
    `_se`; for generated trajectory data the long-horizon metrics (`hamnet.horizon`:
    `horizon_error`, `horizon_floor`, `valid_time`, `energy_drift`); `reversibility_error`
    where the protocol asks for it; `train_seconds`.
    """
    run_dir = Path(run_dir)
    config = load_config(run_dir)
    model = load_model(config, run_dir).double()  # checks the directory before anything is written
    protocol = EnergyProtocol(**config.protocol)
    data, objective = build_data(config), build_objective(config)
    with exclusive(run_dir):
        stamp = fingerprint(run_dir)
        metrics: dict[str, float] = {}
        for split in ("train", "test"):
            for term, estimate in loss_estimates(model, objective, objective.tensors(data, split)).items():
                name = f"{split}_loss" if term == "loss" else f"{split}_loss_{term}"
                metrics |= {name: estimate.mean, f"{name}_se": estimate.se}
        rollouts = rollouts_for(config, model, data)
        system = systems.get(config.task)
        energy = energy_mse(system, rollouts)
        metrics |= {"energy_mse": energy.mean, "energy_mse_se": energy.se}
        strayed = state_mse(rollouts)
        metrics |= {"state_mse": strayed.mean, "state_mse_se": strayed.se}
        if diverged_fraction(rollouts) > 0:
            metrics["diverged_rollouts"] = diverged_fraction(rollouts)
        if applies(system, system.recipe):
            metrics |= long_horizon_metrics(system, model, config.recipe["t_end"])
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

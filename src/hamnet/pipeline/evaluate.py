"""Score a trained run: losses, energy and state error along rollouts, long-horizon
metrics, reversibility."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any


from ..atomic import write_text
from ..errors import InvalidValueError
from ..experiments import RunConfig
from ..horizon import HorizonCurves, horizon_protocol, long_horizon_metrics
from ..integrators import check_method
from ..metrics import (Rollouts, decoded_energy_mse, diverged_fraction, energy_mse, evaluation_rollouts, learned_energy_variation,
                       loss_estimates, reversibility_error, state_mse)
from ..models import DynamicsModel
from ..objectives import DerivativeMSE
from ..runs import (CONFIG, FINGERPRINT_KEY, HISTORY, HORIZON, METRICS, ROLLOUTS, exclusive, fingerprint, load_config,
                    load_stamped, read_json, save_stamped)
from ..systems import EnergyProtocol, MeasuredSystem
from .build import build_data, build_objective
from .load import load_model


def rollouts_for(config: RunConfig, model: DynamicsModel, data: Any,
                 t_end: float | None = None) -> Rollouts:
    """The run's evaluation rollouts (`hamnet.metrics.evaluation_rollouts`), to `t_end` if given."""
    return evaluation_rollouts(config.system(), model, EnergyProtocol(**config.protocol),
                               data, t_end=t_end)


def evaluate_run(run_dir: str | Path, horizon: float | None = None, long_horizon: bool = True) -> dict[str, float]:
    """Compute a run's metrics (float64); write `metrics.json` and the rollouts they score,
    all marked with the run's fingerprint (`load_metrics` trusts them only while it holds).

    Metrics: `train_loss`, `test_loss` (the run's training objective, and its parts where
    it has several, e.g. `test_loss_autoencoder`), for a state-space run trained with another
    objective also `test_dxdt_mse` (the derivative MSE on the test split, what `test_loss`
    is for the others), `energy_mse` where the true energy is
    known (`inf` where a rollout left the finite numbers), on measured data
    `learned_energy_variation` for models with a learned H, `state_mse` (the rollout's distance from the reference), each with
    `_se`; for generated trajectory data with `long_horizon` the long-horizon metrics
    over `horizon` × the training horizon (None: the run's protocol's factor, by default
    10; `hamnet.horizon`: `horizon_error`, `horizon_floor`, `valid_time`,
    `energy_drift`, `learned_energy_drift`, `reversibility_error`; their curves in
    `horizon.safetensors`), elsewhere `reversibility_error` over the protocol's
    `reversibility_steps` or the reference's span; `train_seconds`.
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
        system = config.system()
        if objective.name != DerivativeMSE.name and system.observation_dim is None:  # comparable with dx/dt runs
            estimate = loss_estimates(model, DerivativeMSE(), data.test_tensors())["loss"]
            metrics |= {"test_dxdt_mse": estimate.mean, "test_dxdt_mse_se": estimate.se}
        rollouts = rollouts_for(config, model, data)
        if system.has_energy:
            energy = energy_mse(system, rollouts)
            metrics |= {"energy_mse": energy.mean, "energy_mse_se": energy.se}
        paper_episode = getattr(data, "paper_episode", None)
        if paper_episode is not None and hasattr(system, "paper_energy"):  # the paper's own definition
            energy = decoded_energy_mse(model, system.paper_energy, *paper_episode)
            metrics |= {"energy_mse_paper": energy.mean, "energy_mse_paper_se": energy.se}
        if protocol.on_test_segment and system.observation_dim is None and model.has_hamiltonian:
            variation = learned_energy_variation(model, rollouts.true, data.x_train)
            metrics |= {"learned_energy_variation": variation.mean, "learned_energy_variation_se": variation.se}
        strayed = state_mse(rollouts)
        metrics |= {"state_mse": strayed.mean, "state_mse_se": strayed.se}
        if diverged_fraction(rollouts) > 0:
            metrics["diverged_rollouts"] = diverged_fraction(rollouts)
        curves = None
        span = system.training_span(config.recipe, config.protocol)
        if span is not None:
            if long_horizon:
                horizon_metrics, curves = long_horizon_metrics(system, model, span[0],
                                                               horizon_protocol(protocol, horizon))
                metrics |= horizon_metrics
        else:
            span = protocol.reversibility_steps or float(rollouts.t[-1] - rollouts.t[0])
            reversibility = reversibility_error(model, rollouts.states[0], span)
            metrics |= {"reversibility_error": reversibility.mean, "reversibility_error_se": reversibility.se}
        history = read_json(run_dir / HISTORY) if (run_dir / HISTORY).exists() else {}
        metrics["train_seconds"] = float(history.get("seconds", float("nan")))
        save_stamped(rollouts.tensors(), run_dir / ROLLOUTS, stamp)
        if curves is None:
            (run_dir / HORIZON).unlink(missing_ok=True)
        else:
            save_stamped(curves.tensors(), run_dir / HORIZON, stamp)
        write_text(run_dir / METRICS, json.dumps({FINGERPRINT_KEY: stamp, **metrics}, indent=2))
    return metrics


def set_hamiltonian(run_dir: str | Path, hamiltonian: str) -> None:
    """Give a run on a trajectory file (task `file`) the true energy `hamiltonian` (an
    expression of its coordinates, `hamnet.expression`), saved in its config.json: its
    evaluation then scores energy and its figures show the true field. Training is not
    affected, so the weights stay; the metrics of the old config no longer count."""
    run_dir = Path(run_dir)
    config = load_config(run_dir)
    if config.task != MeasuredSystem.name:
        raise InvalidValueError(f"{run_dir} is a run of task {config.task!r}, whose energy is known already; "
                                "--hamiltonian is for runs on your own --data file")
    config = dataclasses.replace(config, system_options=config.system_options | {"hamiltonian": hamiltonian})
    config.validate()  # parses the expression against the file's coordinates
    with exclusive(run_dir):
        write_text(run_dir / CONFIG, json.dumps(config.to_dict(), indent=2))


def horizon_file(factor: float, integrator: str) -> str:
    """Stem of the files `horizon_evaluation` writes, e.g. `horizon-leapfrog-10x`."""
    return f"horizon-{integrator}-{factor:g}x"


def protocol_factor(run_dir: str | Path) -> float:
    """The multiple of the training horizon a run's protocol scores its long horizons over."""
    return horizon_protocol(EnergyProtocol(**load_config(Path(run_dir)).protocol)).factor


def horizon_evaluation(run_dir: str | Path, factor: float | None = None, integrator: str = "dopri5",
                       step_size: float | None = None) -> dict[str, float]:
    """An existing run's long-horizon metrics (`hamnet.horizon`) over `factor` × its
    training horizon (None: its protocol's), rolled out by `integrator` (fixed-step ones in steps of `step_size`,
    default the training data's time step), without retraining. Writes
    `<horizon_file>.json` (the metrics and settings) and `.safetensors` (the curves) into
    the run directory, marked with its fingerprint; metrics.json is left as it is.
    """
    run_dir = Path(run_dir)
    config = load_config(run_dir)
    check_method(integrator)
    system = config.system()
    span = system.training_span(config.recipe, config.protocol)
    if span is None:
        raise InvalidValueError(f"{system.label}: long-horizon metrics need a true flow to roll out (generated "
                                "trajectory data, or a trajectory file with --hamiltonian and --reference flow)")
    model = load_model(config, run_dir).double()
    if step_size is None and integrator != "dopri5":
        step_size = span[1]
    with exclusive(run_dir):
        stamp = fingerprint(run_dir)
        protocol = horizon_protocol(EnergyProtocol(**config.protocol), factor)
        factor = protocol.factor
        metrics, curves = long_horizon_metrics(system, model, span[0], protocol,
                                               method=integrator, step_size=step_size)
        stem = horizon_file(factor, integrator)
        save_stamped(curves.tensors(), run_dir / f"{stem}.safetensors", stamp)
        settings = {"factor": factor, "integrator": integrator, "step_size": step_size}
        write_text(run_dir / f"{stem}.json", json.dumps({FINGERPRINT_KEY: stamp, "settings": settings, **metrics},
                                                        indent=2))
    return metrics


def load_horizon_curves(run_dir: str | Path, name: str = HORIZON) -> HorizonCurves | None:
    """The curves saved by `evaluate_run` (or `horizon_evaluation`: `name`) for these weights, else None."""
    tensors = load_stamped(Path(run_dir) / name, run_dir)
    try:
        return None if tensors is None else HorizonCurves.from_tensors(tensors)
    except KeyError:
        return None  # a file of another kind under that name

"""Metrics: derivative MSE ± standard error, energy MSE along rollouts ± the paper's bootstrap."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .data import Dataset
from .data.cache import cached
from .errors import InvalidValueError
from .integrate import rollout
from .models import DynamicsModel
from .systems import EnergyProtocol, System

#: Evaluation states are the same for every run and model (the paper's fixed seeds).
EVALUATION_SEED = 0


@dataclass(frozen=True)
class Estimate:
    """A mean with its standard error."""

    mean: float
    se: float


def as_float64(model: DynamicsModel) -> DynamicsModel:
    """A float64 copy of `model` in eval mode (metrics are computed in float64)."""
    return copy.deepcopy(model).double().eval()


def derivative_mse(model: DynamicsModel, x: Tensor, dxdt: Tensor) -> Estimate:
    """MSE of dx/dt over samples and dimensions; SE = std of per-sample MSE / sqrt(N).

    x, dxdt: [N, dim].
    """
    with torch.no_grad():
        per_sample = (model.time_derivative(x) - dxdt).pow(2).mean(dim=-1).to(torch.float64)
    n = per_sample.numel()
    se = float(per_sample.std(unbiased=False)) / np.sqrt(n) if n > 1 else float("nan")
    return Estimate(float(per_sample.mean()), se)


def bootstrap_se(values: np.ndarray, groups: int = 5) -> float:
    """The paper's "bootstrap": split values into `groups` blocks, SE = std(block means)/sqrt(groups)."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < groups:
        return float("nan")
    means = np.array([block.mean() for block in np.array_split(values, groups)])
    return float(means.std() / np.sqrt(groups))


@dataclass
class Rollouts:
    """Reference and model trajectories on one time grid.

    t: [T];  true: [T, b, dim] (reference states);  model: [T, b, dim] (model rollout from true[0]).
    """

    t: Tensor
    true: Tensor
    model: Tensor

    def tensors(self) -> dict[str, Tensor]:
        return {"t": self.t, "true": self.true, "model": self.model}


def reference_rollouts(system: System, protocol: EnergyProtocol, data: Dataset | None = None,
                       t_end: float | None = None) -> tuple[Tensor, Tensor]:
    """The truth the models are scored against.  -> (t[T], x[T, b, dim]), float64.

    `protocol.on_test_segment`: the measured test segment of `data` (b = 1, t from 0).
    Otherwise `protocol.n_states` initial states from `system.sample_evaluation_initial`
    with the fixed evaluation seed, integrated on `protocol.n_points` times in
    [0, t_end or protocol.t_end] at rtol = atol = 1e-10 (cached on disk: it is the same
    for every run of the task).
    """
    if protocol.on_test_segment:
        if data is None or "t_test" not in data.extras:
            raise InvalidValueError(f"{system.name}: this protocol needs the data set's test segment")
        t = data.extras["t_test"].to(torch.float64)
        return t - t[0], data.x_test.to(torch.float64).unsqueeze(1)
    t_end = protocol.t_end if t_end is None else t_end

    def build() -> tuple[dict[str, Tensor], dict[str, float]]:
        generator = torch.Generator().manual_seed(EVALUATION_SEED)
        x0 = system.sample_evaluation_initial(protocol.n_states, generator).to(torch.float64)
        t = torch.linspace(0.0, t_end, protocol.n_points, dtype=torch.float64)
        with torch.no_grad():
            return {"t": t, "x": rollout(system.vector_field, x0, t, rtol=1e-10, atol=1e-10)}, {}

    spec = {"name": f"{system.name}-reference", "n_states": protocol.n_states, "t_end": t_end,
            "n_points": protocol.n_points, "seed": EVALUATION_SEED}
    tensors, _ = cached(spec, build)
    return tensors["t"], tensors["x"]


def evaluation_rollouts(system: System, model: DynamicsModel, protocol: EnergyProtocol,
                        data: Dataset | None = None, t_end: float | None = None,
                        rtol: float = 1e-9) -> Rollouts:
    """The reference (`reference_rollouts`) and the model's rollout from its first state.

    The model is integrated in float64 with dopri5 at rtol = atol = `rtol`.
    """
    t, true = reference_rollouts(system, protocol, data, t_end)
    model64 = as_float64(model)
    with torch.no_grad():
        predicted = rollout(model64.time_derivative, true[0], t, rtol=rtol, atol=rtol)
    return Rollouts(t, true, predicted)


def energy_mse(system: System, rollouts: Rollouts) -> Estimate:
    """Mean over trajectories of mean_t (E(true_t) - E(model_t))², E = the system's true energy.

    SE is the paper's 5-group bootstrap over trajectories (plain SE over time points when
    there is a single trajectory).
    """
    per_point = (system.hamiltonian(rollouts.true) - system.hamiltonian(rollouts.model)).pow(2)  # [T, b]
    per_trajectory = per_point.mean(dim=0).numpy()
    if per_trajectory.size >= 5:
        se = bootstrap_se(per_trajectory)
    else:
        flat = per_point.flatten().numpy()
        se = float(flat.std() / np.sqrt(flat.size))
    return Estimate(float(per_trajectory.mean()), se)

"""Long-horizon metrics: how long a learned simulator stays right, measured against the
system's own sensitivity (the chaos floor).

From `n_states` held-out initial states (the energy protocol's sampler with another seed),
the true flow and the model are rolled out over `factor` × the training horizon; also the
true flow from each state perturbed by `perturbation` (relative; for a constrained system
projected back onto its constraints, `System.onto_manifold`, as CHNN does). With the relative state
error e(t) = ‖x̂ − x‖ / (‖x̂‖ + ‖x‖) (Finzi et al. 2020):
- `horizon_error`: per state the geometric mean of e over the rollout's times t > 0, then
  the mean over states (± SE);
- `horizon_floor`: the same between the true and the perturbed true flow: the error any
  model must make from a 1e-4 uncertainty in its initial state;
- `valid_time`: per state the first time e(t) exceeds `threshold` (the horizon if never),
  median over states;
- `energy_drift`: |H(x̂_T) − H(x_T)| / |H(x_0)| at the horizon with the system's true H,
  mean over states (for a conservative system H(x_T) = H(x_0));
- `learned_energy_drift` (models with a learned H_θ): |H_θ(x̂_T) − H_θ(x̂_0)| / |H(x_0)|,
  the model's own energy drift: what the integrator adds, where `energy_drift` also holds
  what the model got wrong (H_θ's offset is arbitrary, its scale is H's);
- `reversibility_error`: `hamnet.metrics.reversibility_error` over the training horizon
  from the same states, by the same integrator (an adaptive one's forward run is the
  horizon rollout itself, sampled at the training horizon).
Only where a system has a true flow to compare with and its models see states
(`System.training_span`: a `TrajectoryRecipe`'s `t_end`, or a trajectory file's span with
an H given as the truth).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .checks import DEFAULT_HORIZON
from .data.cache import cached
from .integrators import INTERPOLATING, rollout
from .metrics import as_float64, reversibility_error, standard_error
from .models import DynamicsModel
from .systems import System

#: Held-out initial states: another seed than the energy protocol's (0) and the data's.
HORIZON_SEED = 1
#: Tolerance of the model's rollout: its error stays far below the chaos floor the metric
#: resolves (≥ 5e-5 for a 1e-4 nudge), at a third of the steps of rtol 1e-9.
MODEL_RTOL = 1e-7


@dataclass(frozen=True)
class HorizonProtocol:
    """`factor` × the training horizon, `n_points` times, `n_states` initial states;
    `threshold` of e(t) for the valid time; `perturbation` of the chaos floor."""

    factor: float = DEFAULT_HORIZON
    n_states: int = 15
    n_points: int = 200
    threshold: float = 0.1
    perturbation: float = 1e-4


def relative_error(a: Tensor, b: Tensor) -> Tensor:
    """‖a − b‖ / (‖a‖ + ‖b‖) over the last axis (NaN or inf states: 1, the largest value)."""
    error = (a - b).norm(dim=-1) / (a.norm(dim=-1) + b.norm(dim=-1))
    return error.nan_to_num(nan=1.0, posinf=1.0).clamp(max=1.0)


def _truth(system: System, t_end: float, protocol: HorizonProtocol) -> dict[str, Tensor]:
    """Held-out x0 [b, dim], times t [T], the true flow and the perturbed true flow [T, b, dim] (cached)."""

    def build() -> tuple[dict[str, Tensor], dict[str, float]]:
        generator = torch.Generator().manual_seed(HORIZON_SEED)
        x0 = system.sample_evaluation_initial(protocol.n_states, generator).to(torch.float64)
        direction = torch.randn(x0.shape, generator=generator, dtype=torch.float64)
        direction = direction / direction.norm(dim=-1, keepdim=True)
        nudged = system.onto_manifold(x0 + protocol.perturbation * x0.norm(dim=-1, keepdim=True) * direction)
        t = torch.linspace(0.0, protocol.factor * t_end, protocol.n_points, dtype=torch.float64)
        with torch.no_grad():
            both = rollout(system.vector_field, torch.cat([x0, nudged]), t, rtol=1e-10, atol=1e-10)
        return {"x0": x0, "t": t, "true": both[:, :len(x0)], "nudged": both[:, len(x0):]}, {}

    spec = {"name": f"{system.cache_name}-horizon", "t_end": t_end, "seed": HORIZON_SEED,
            **{k: v for k, v in protocol.__dict__.items()}}
    return cached(spec, build)[0]


@dataclass
class HorizonCurves:
    """Per time and state, what the long-horizon metrics summarise (float64).

    t: [T];  error, floor: [T, b] e(t) of the model and of the perturbed true flow;
    energy_error: [T, b] |H(x̂_t) − H(x_t)| / |H(x_0)|;  learned_drift: [T, b]
    |H_θ(x̂_t) − H_θ(x̂_0)| / |H(x_0)|, or None for a model without a learned H.
    """

    t: Tensor
    error: Tensor
    floor: Tensor
    energy_error: Tensor
    learned_drift: Tensor | None = None

    def tensors(self) -> dict[str, Tensor]:
        """By name, for saving (`from_tensors` reads them back)."""
        named = {"t": self.t, "error": self.error, "floor": self.floor, "energy_error": self.energy_error}
        return named | ({} if self.learned_drift is None else {"learned_drift": self.learned_drift})

    @classmethod
    def from_tensors(cls, tensors: dict[str, Tensor]) -> "HorizonCurves":
        return cls(tensors["t"], tensors["error"], tensors["floor"], tensors["energy_error"],
                   tensors.get("learned_drift"))


def horizon_curves(system: System, model: DynamicsModel, t_end: float,
                   protocol: HorizonProtocol = HorizonProtocol(), method: str = "dopri5",
                   step_size: float | None = None) -> HorizonCurves:
    """`model` rolled out in float64 by `method` (`hamnet.rollout`; dopri5 at rtol
    `MODEL_RTOL`) from the held-out states, against the truth. `t_end`: the training horizon."""
    truth = _truth(system, t_end, protocol)
    model64 = as_float64(model)
    return _curves(system, model64, truth, _predict(model64, truth["x0"], truth["t"], method, step_size)[0])


def _predict(model64: DynamicsModel, x0: Tensor, t: Tensor, method: str, step_size: float | None,
             also_at: float | None = None) -> tuple[Tensor, Tensor | None]:
    """The model's states at `t` [T, b, dim] from x0 [b, dim] and, where `method` samples by
    interpolation (`INTERPOLATING`: an added time changes no other sample), its states at
    `also_at` [b, dim] from the same rollout; else None."""
    if also_at is None or method not in INTERPOLATING:
        return _rollout(model64, x0, t, method, step_size), None
    on_grid = bool((t == also_at).any())
    grid = t if on_grid else torch.cat([t, t.new_tensor([also_at])]).sort().values
    states = _rollout(model64, x0, grid, method, step_size)
    at = int((grid == also_at).nonzero())
    return (states if on_grid else torch.cat([states[:at], states[at + 1:]])), states[at]


def _rollout(model64: DynamicsModel, x0: Tensor, t: Tensor, method: str, step_size: float | None) -> Tensor:
    """`hamnet.rollout` of the model's field at the horizon tolerance.  -> [T, b, dim]."""
    with torch.no_grad():
        return rollout(model64.time_derivative, x0, t, method=method, rtol=MODEL_RTOL, atol=MODEL_RTOL,
                       step_size=step_size)


def _curves(system: System, model64: DynamicsModel, truth: dict[str, Tensor], predicted: Tensor) -> HorizonCurves:
    """The curves of the float64 model's rollout `predicted` [T, b, dim] against `truth` (`_truth`)."""
    t, true, x0 = truth["t"], truth["true"], truth["x0"]
    with torch.no_grad():
        scale = system.hamiltonian(x0).abs()
        energy_error = ((system.hamiltonian(predicted) - system.hamiltonian(true)).abs() / scale)
        learned = None
        if model64.has_hamiltonian:
            learned_energy = model64.hamiltonian(predicted.flatten(0, 1)).reshape(predicted.shape[:2])
            learned = (learned_energy - learned_energy[0]).abs() / scale
    return HorizonCurves(t, relative_error(predicted, true), relative_error(truth["nudged"], true),
                         energy_error.nan_to_num(nan=np.inf),
                         None if learned is None else learned.nan_to_num(nan=np.inf))


def summarise(curves: HorizonCurves, threshold: float = HorizonProtocol.threshold) -> dict[str, float]:
    """The long-horizon metrics of `curves` (module docstring), with `_se` where they are means."""
    per_state, per_floor = _geometric_means(curves.error), _geometric_means(curves.floor)
    beyond = curves.error > threshold  # [T, b]
    first = torch.where(beyond.any(dim=0), beyond.float().argmax(dim=0), torch.tensor(len(curves.t) - 1))
    drift = curves.energy_error[-1].numpy()
    out = {"horizon_error": float(per_state.mean()), "horizon_error_se": standard_error(per_state),
           "horizon_floor": float(per_floor.mean()), "horizon_floor_se": standard_error(per_floor),
           "valid_time": float(curves.t[first].median()),
           "energy_drift": float(drift.mean()), "energy_drift_se": standard_error(drift)}
    if curves.learned_drift is not None:
        learned = curves.learned_drift[-1].numpy()
        out |= {"learned_energy_drift": float(learned.mean()), "learned_energy_drift_se": standard_error(learned)}
    return out


def long_horizon_metrics(system: System, model: DynamicsModel, t_end: float,
                         protocol: HorizonProtocol = HorizonProtocol(), method: str = "dopri5",
                         step_size: float | None = None) -> tuple[dict[str, float], HorizonCurves]:
    """The metrics above for `model` rolled out by `method`, and the curves they summarise.
    `t_end`: the training data's horizon."""
    truth = _truth(system, t_end, protocol)
    model64 = as_float64(model)
    predicted, at_t_end = _predict(model64, truth["x0"], truth["t"], method, step_size, also_at=t_end)
    curves = _curves(system, model64, truth, predicted)
    reversibility = reversibility_error(model64, truth["x0"], t_end, rtol=MODEL_RTOL, method=method,
                                        step_size=step_size, forward=at_t_end)
    metrics = summarise(curves, protocol.threshold) | {"reversibility_error": reversibility.mean,
                                                       "reversibility_error_se": reversibility.se}
    return metrics, curves


def _geometric_means(error: Tensor) -> np.ndarray:
    """Per state the geometric mean over times t > 0 of error [T, b].  -> [b]."""
    return error[1:].clamp_min(1e-300).log().mean(dim=0).exp().numpy()

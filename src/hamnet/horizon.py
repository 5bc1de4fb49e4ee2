"""Long-horizon metrics: how long a learned simulator stays right, measured against the
system's own sensitivity (the chaos floor).

From `n_states` held-out initial states (the energy protocol's sampler with another seed;
with `advance_steps` > 1 each first carried along the true flow for k · `advance_step`, k
uniform in 0 … advance_steps − 1: CHNN's starts at random chunks of test trajectories),
the true flow and the model are rolled out over `factor` × the training horizon; also the
true flow from each state perturbed by `perturbation` (relative to the state's norm, or
with `componentwise` σ·N(0, 1) on every component, CHNN's; for a constrained system
projected back onto its constraints, `System.onto_manifold`, as CHNN does). With the relative state
error e(t) = ‖x̂ − x‖ / (‖x̂‖ + ‖x‖) (Finzi et al. 2020) of the states, or with `velocities`
of their positions and velocities (`System.velocity_state`, CHNN's):
- `horizon_error`: per state the geometric mean of e over the rollout's times t > 0, then
  the mean over states (± SE), or with `state_mean` "geometric" their geometric mean (±
  the SE of the log-mean turned into a relative SE: CHNN's statistic);
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

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .checks import DEFAULT_HORIZON
from .data.cache import cached
from .errors import InvalidValueError
from .integrators import INTERPOLATING, rollout
from .metrics import as_float64, reversibility_error, standard_error
from .models import DynamicsModel
from .systems import EnergyProtocol, System

#: Held-out initial states: another seed than the energy protocol's (0) and the data's.
HORIZON_SEED = 1
#: Tolerance of the model's rollout: its error stays far below the chaos floor the metric
#: resolves (≥ 5e-5 for a 1e-4 nudge), at a third of the steps of rtol 1e-9.
MODEL_RTOL = 1e-7


#: How `horizon_error` averages the states' geometric means over time.
STATE_MEANS = ("arithmetic", "geometric")


@dataclass(frozen=True)
class HorizonProtocol:
    """`factor` × the training horizon, `n_points` times, `n_states` initial states;
    `threshold` of e(t) for the valid time; `perturbation` of the chaos floor; the other
    fields as the module docstring says."""

    factor: float = DEFAULT_HORIZON
    n_states: int = 15
    n_points: int = 200
    threshold: float = 0.1
    perturbation: float = 1e-4
    componentwise: bool = False
    advance_step: float = 0.0
    advance_steps: int = 1
    velocities: bool = False
    state_mean: str = "arithmetic"

    def __post_init__(self) -> None:
        positive = {"factor": self.factor, "threshold": self.threshold, "perturbation": self.perturbation}
        for name, value in positive.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise InvalidValueError(f"protocol horizon.{name} must be a positive number, got {value!r}")
        for name, value, least in (("n_states", self.n_states, 1), ("n_points", self.n_points, 2),
                                   ("advance_steps", self.advance_steps, 1)):
            if type(value) is not int or value < least:
                raise InvalidValueError(f"protocol horizon.{name} must be an integer of at least {least}, got {value!r}")
        if isinstance(self.advance_step, bool) or not isinstance(self.advance_step, (int, float)) \
                or not 0 <= self.advance_step < math.inf:
            raise InvalidValueError(f"protocol horizon.advance_step must be a non-negative number, "
                                    f"got {self.advance_step!r}")
        for name in ("componentwise", "velocities"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidValueError(f"protocol horizon.{name} must be true or false, got {getattr(self, name)!r}")
        if self.state_mean not in STATE_MEANS:
            raise InvalidValueError(f"protocol horizon.state_mean must be one of {', '.join(STATE_MEANS)}, "
                                    f"got {self.state_mean!r}")

    def describe(self) -> str:
        """The protocol in words, for results tables."""
        nudge = f"{self.perturbation:.0e}".replace("e-0", "e-")
        starts = f"{self.n_states} held-out states" + (" at random points of true trajectories"
                                                       if self.advance_steps > 1 else "")
        scored = ", e(t) of positions and velocities" if self.velocities else ""
        mean = ", the geometric mean over states" if self.state_mean == "geometric" else ""
        floor = (f"every component nudged by {nudge}·N(0, 1)" if self.componentwise
                 else f"the states nudged by {nudge}")
        return (f"rollouts over {self.factor:g}× the training horizon from {starts}{scored}{mean}; the floor is the "
                f"same error between the true flow and the true flow from {floor}")


def horizon_protocol(protocol: EnergyProtocol, factor: float | None = None) -> HorizonProtocol:
    """The long-horizon protocol of a run's energy protocol (`horizon_states` and its
    `horizon` settings), over `factor` × the training horizon if given; raises
    `InvalidValueError` naming a setting that is not one."""
    settings = {"n_states": protocol.horizon_states, **protocol.horizon}
    if factor is not None:
        settings["factor"] = factor
    known = {f.name for f in dataclasses.fields(HorizonProtocol)} - {"n_states"}
    unknown = sorted(set(protocol.horizon) - known)
    if unknown:
        raise InvalidValueError(f"unknown protocol horizon setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
    return HorizonProtocol(**settings)


def relative_error(a: Tensor, b: Tensor) -> Tensor:
    """‖a − b‖ / (‖a‖ + ‖b‖) over the last axis (NaN or inf states: 1, the largest value)."""
    error = (a - b).norm(dim=-1) / (a.norm(dim=-1) + b.norm(dim=-1))
    return error.nan_to_num(nan=1.0, posinf=1.0).clamp(max=1.0)


def _truth(system: System, t_end: float, protocol: HorizonProtocol) -> dict[str, Tensor]:
    """Held-out x0 [b, dim], times t [T], the true flow and the perturbed true flow [T, b, dim] (cached)."""

    def build() -> tuple[dict[str, Tensor], dict[str, float]]:
        generator = torch.Generator().manual_seed(HORIZON_SEED)
        x0 = system.sample_evaluation_initial(protocol.n_states, generator).to(torch.float64)
        if protocol.advance_steps > 1:
            x0 = _advanced(system, x0, protocol, generator)
        direction = torch.randn(x0.shape, generator=generator, dtype=torch.float64)
        if protocol.componentwise:
            nudge = protocol.perturbation * direction
        else:
            direction = direction / direction.norm(dim=-1, keepdim=True)
            nudge = protocol.perturbation * x0.norm(dim=-1, keepdim=True) * direction
        nudged = system.onto_manifold(x0 + nudge)
        t = torch.linspace(0.0, protocol.factor * t_end, protocol.n_points, dtype=torch.float64)
        with torch.no_grad():
            both = rollout(system.vector_field, torch.cat([x0, nudged]), t, rtol=1e-10, atol=1e-10)
        return {"x0": x0, "t": t, "true": both[:, :len(x0)], "nudged": both[:, len(x0):]}, {}

    spec = {"name": f"{system.cache_name}-horizon", "t_end": t_end, "seed": HORIZON_SEED,
            **{k: v for k, v in protocol.__dict__.items() if v != getattr(HorizonProtocol, k, None)
               or k in ("factor", "n_states", "n_points", "threshold", "perturbation")}}
    return cached(spec, build)[0]


def _advanced(system: System, x0: Tensor, protocol: HorizonProtocol, generator: torch.Generator) -> Tensor:
    """Each state of x0 [b, dim] carried along the true flow for k · advance_step, k drawn
    uniformly from 0 … advance_steps − 1.  -> [b, dim]."""
    k = torch.randint(protocol.advance_steps, (len(x0),), generator=generator)
    grid = protocol.advance_step * torch.arange(protocol.advance_steps, dtype=torch.float64)
    with torch.no_grad():
        flow = rollout(system.vector_field, x0, grid, rtol=1e-10, atol=1e-10)  # [steps, b, dim]
    return flow[k, torch.arange(len(x0))]


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
    return _curves(system, model64, truth, _predict(model64, truth["x0"], truth["t"], method, step_size)[0],
                   protocol.velocities)


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


def _curves(system: System, model64: DynamicsModel, truth: dict[str, Tensor], predicted: Tensor,
            velocities: bool = False) -> HorizonCurves:
    """The curves of the float64 model's rollout `predicted` [T, b, dim] against `truth`
    (`_truth`); with `velocities`, e(t) of positions and velocities (`System.velocity_state`)."""
    t, true, x0 = truth["t"], truth["true"], truth["x0"]
    with torch.no_grad():
        scale = system.hamiltonian(x0).abs()
        energy_error = ((system.hamiltonian(predicted) - system.hamiltonian(true)).abs() / scale)
        learned = None
        if model64.has_hamiltonian:
            learned_energy = model64.hamiltonian(predicted.flatten(0, 1)).reshape(predicted.shape[:2])
            learned = (learned_energy - learned_energy[0]).abs() / scale
    scored = system.velocity_state if velocities else (lambda x: x)
    with torch.no_grad():
        error = relative_error(scored(predicted), scored(true))
        floor = relative_error(scored(truth["nudged"]), scored(true))
    return HorizonCurves(t, error, floor,
                         energy_error.nan_to_num(nan=np.inf),
                         None if learned is None else learned.nan_to_num(nan=np.inf))


def summarise(curves: HorizonCurves, threshold: float = HorizonProtocol.threshold,
              state_mean: str = HorizonProtocol.state_mean) -> dict[str, float]:
    """The long-horizon metrics of `curves` (module docstring), with `_se` where they are means."""
    per_state, per_floor = _geometric_means(curves.error), _geometric_means(curves.floor)
    beyond = curves.error > threshold  # [T, b]
    first = torch.where(beyond.any(dim=0), beyond.float().argmax(dim=0), torch.tensor(len(curves.t) - 1))
    drift = curves.energy_error[-1].numpy()
    error, error_se = _mean(per_state, state_mean)
    floor, floor_se = _mean(per_floor, state_mean)
    out = {"horizon_error": error, "horizon_error_se": error_se, "horizon_floor": floor, "horizon_floor_se": floor_se,
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
    curves = _curves(system, model64, truth, predicted, protocol.velocities)
    reversibility = reversibility_error(model64, truth["x0"], t_end, rtol=MODEL_RTOL, method=method,
                                        step_size=step_size, forward=at_t_end)
    metrics = summarise(curves, protocol.threshold, protocol.state_mean) | {"reversibility_error": reversibility.mean,
                                                       "reversibility_error_se": reversibility.se}
    return metrics, curves


def _mean(values: np.ndarray, kind: str) -> tuple[float, float]:
    """(mean, SE) over states of per-state values [b]: arithmetic, or geometric (its SE
    from the log-values' SE: exp(m) · SE(log))."""
    if kind == "geometric":
        logs = np.log(values)
        mean = float(np.exp(logs.mean()))
        return mean, mean * standard_error(logs)
    return float(values.mean()), standard_error(values)


def _geometric_means(error: Tensor) -> np.ndarray:
    """Per state the geometric mean over times t > 0 of error [T, b].  -> [b]."""
    return error[1:].clamp_min(1e-300).log().mean(dim=0).exp().numpy()

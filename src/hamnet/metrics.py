"""Metrics: losses ± standard error, energy MSE along rollouts ± the paper's bootstrap, reversibility."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor

from .data.cache import cached
from .errors import InvalidValueError
from .integrators import rollout
from .models import DynamicsModel
from .objectives import Objective
from .systems import EnergyProtocol, System

#: Evaluation states are the same for every run and model (the paper's fixed seeds).
EVALUATION_SEED = 0


@dataclass(frozen=True)
class Estimate:
    """A mean with its standard error."""

    mean: float
    se: float


def standard_error(values: np.ndarray | Tensor) -> float:
    """Standard error of a mean, std / sqrt(n) (nan for one value, or where a value is infinite)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    with np.errstate(invalid="ignore"):  # inf - inf in the spread of diverged rollouts
        return float(values.std() / np.sqrt(values.size)) if values.size > 1 else float("nan")


def as_float64(model: DynamicsModel) -> DynamicsModel:
    """A float64 copy of `model` in eval mode (metrics are computed in float64)."""
    return copy.deepcopy(model).double().eval()


def loss_estimates(model: DynamicsModel, objective: Objective, tensors: tuple[Tensor, ...],
                   chunk: int = 4096) -> dict[str, Estimate]:
    """Each of `objective.terms(model, *tensors)` as mean ± SE over samples (SE = std / sqrt(N)).

    `loss` is the training objective (derivative: the dx/dt MSE over samples and
    dimensions); objectives with parts add them (autoencoder: autoencoder, canonical,
    dynamics). tensors: e.g. (x[N, dim], dxdt[N, dim]). Evaluated `chunk` samples at a
    time (the terms are per sample), so memory stays bounded on large observation sets.
    """
    with torch.no_grad():
        parts = [objective.terms(model, *(t[i:i + chunk].to(model.dtype) for t in tensors))
                 for i in range(0, tensors[0].shape[0], chunk)]
    terms = {name: torch.cat([part[name] for part in parts]) for name in parts[0]}
    out = {}
    for name, per_sample in terms.items():
        per_sample = per_sample.to(torch.float64)
        out[name] = Estimate(float(per_sample.mean()), standard_error(per_sample))
    return out


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

    t: [T];  true: [T, b, dim] reference coordinates;  model: [T, b, dim] the model's
    rollout in the same coordinates;  states: [T, b, d] the model's own states along it
    (its latents for a latent model; equal to `model` for state-space models).
    """

    t: Tensor
    true: Tensor
    model: Tensor
    states: Tensor

    def tensors(self) -> dict[str, Tensor]:
        """By name, for saving; `states` only where it differs from `model`."""
        same = self.states.data_ptr() == self.model.data_ptr()
        return {"t": self.t, "true": self.true, "model": self.model} | ({} if same else {"states": self.states})

    @classmethod
    def from_tensors(cls, tensors: dict[str, Tensor]) -> "Rollouts":
        return cls(tensors["t"], tensors["true"], tensors["model"], tensors.get("states", tensors["model"]))


def reference_rollouts(system: System, protocol: EnergyProtocol, data: Any = None,
                       t_end: float | None = None) -> tuple[Tensor, Tensor, Tensor]:
    """The truth the models are scored against.  -> (t[T], x[T, b, dim] float64, x0[b, obs]).

    x0 is what a model observes at t = 0. `protocol.on_test_segment`: the data set's own
    measured reference (`data.reference()`: the real pendulum's test segment, the pixel
    pendulum's test episodes). Otherwise `protocol.n_states` initial states from
    `system.sample_evaluation_initial` with the fixed evaluation seed, integrated on
    `protocol.n_points` times in [0, t_end or protocol.t_end] at rtol = atol = 1e-10 (cached
    on disk: it is the same for every run of the task); then x0 = x[0].
    """
    if protocol.on_test_segment:
        if data is None:
            raise InvalidValueError(f"{system.name}: this protocol needs the data set's test segment")
        t, measured, x0 = data.reference()
        if not protocol.reference_flow:
            return t, measured, x0
        with torch.no_grad():
            return t, rollout(system.vector_field, x0.to(torch.float64), t, rtol=1e-10, atol=1e-10), x0
    t_end = protocol.t_end if t_end is None else t_end

    def build() -> tuple[dict[str, Tensor], dict[str, float]]:
        generator = torch.Generator().manual_seed(EVALUATION_SEED)
        x0 = system.sample_evaluation_initial(protocol.n_states, generator).to(torch.float64)
        t = torch.linspace(0.0, t_end, protocol.n_points, dtype=torch.float64)
        with torch.no_grad():
            return {"t": t, "x": rollout(system.vector_field, x0, t, rtol=1e-10, atol=1e-10)}, {}

    spec = {"name": f"{system.cache_name}-reference", "n_states": protocol.n_states, "t_end": t_end,
            "n_points": protocol.n_points, "seed": EVALUATION_SEED}
    tensors, _ = cached(spec, build)
    return tensors["t"], tensors["x"], tensors["x"][0]


def evaluation_rollouts(system: System, model: DynamicsModel, protocol: EnergyProtocol,
                        data: Any = None, t_end: float | None = None, rtol: float = 1e-9) -> Rollouts:
    """The reference (`reference_rollouts`) and the model's rollout from the same start.

    The model encodes x0, integrates its own states in float64 with dopri5 at
    rtol = atol = `rtol`, and maps them to the system's coordinates.
    """
    t, true, x0 = reference_rollouts(system, protocol, data, t_end)
    model64 = as_float64(model)
    with torch.no_grad():
        states = rollout(model64.time_derivative, model64.encode(x0.to(torch.float64)), t, rtol=rtol, atol=rtol)
        predicted = model64.coordinates(states)
    return Rollouts(t, true, predicted, states)


def reversibility_error(model: DynamicsModel, start: Tensor, span: float, rtol: float = 1e-9,
                        method: str = "dopri5", step_size: float | None = None,
                        forward: Tensor | None = None) -> Estimate:
    """Time reversal: from each of the model's own states `start` [b, d], run `span` time
    units forward, reverse the momenta, run `span` more, reverse again; the squared
    distance to the start in the system's coordinates, mean over trajectories ± SE.
    `forward` [b, d]: the model's states `span` after `start` where a rollout already
    reached them by the same method (the first run is then skipped).

    This is how a physical system is run backwards (time itself cannot be negated): a
    conservative flow whose energy is even in p retraces its path and returns; a flow
    that loses or gains energy cannot. (Integrating the negated field back instead would
    return any model to its start up to the integrator's error, which tests nothing.)
    Rolled out by `method` (`hamnet.rollout`) in float64 at rtol = atol = `rtol`.
    """
    model64 = as_float64(model)
    t = torch.linspace(0.0, float(span), max(round(span), 1) + 1, dtype=torch.float64)

    def run(states: Tensor) -> Tensor:
        return rollout(model64.time_derivative, states, t, method=method, rtol=rtol, atol=rtol,
                       step_size=step_size)[-1]

    with torch.no_grad():
        start = model64.coordinates(start.to(torch.float64))
        half = start.shape[-1] // 2

        def reverse(coordinates: Tensor) -> Tensor:
            return torch.cat([coordinates[..., :half], -coordinates[..., half:]], dim=-1)

        ahead = run(model64.from_coordinates(start)) if forward is None else forward.to(torch.float64)
        turned = model64.from_coordinates(reverse(model64.coordinates(ahead)))
        back = torch.full_like(start, float("nan"))  # stays NaN where the forward run diverged
        finite = torch.isfinite(turned).all(dim=-1)
        if bool(finite.any()):
            back[finite] = reverse(model64.coordinates(run(turned[finite])))
        error = (back - start).pow(2).sum(-1).nan_to_num(nan=float("inf"))
    return Estimate(float(error.mean()), standard_error(error))


def decoded_coordinates(model64: DynamicsModel, states: Tensor) -> Tensor:
    """What the decoded frames of a float64 latent model's (`as_float64`) states [..., d]
    show: decoded, encoded again and read out to the system's coordinates (as
    `decoded_energy_mse` scores the pixel pendulum; a decoder that draws the bodies
    elsewhere than its latents say, or smears them, shows). States that left the finite
    numbers stay NaN.  -> [..., dim] float64."""
    flat = states.reshape(-1, states.shape[-1]).to(torch.float64)
    finite = flat.isfinite().all(dim=-1)
    with torch.no_grad():
        seen = model64.coordinates(model64.encode(model64.decode(flat.nan_to_num(nan=0.0, posinf=0.0, neginf=0.0))))
    seen[~finite] = float("nan")
    return seen.reshape(*states.shape[:-1], -1)


def decoded_energy_mse(model: DynamicsModel, energy: Callable[[Tensor], Tensor], observations: Tensor,
                       coords: Tensor, rtol: float = 1e-9) -> Estimate:
    """The pixel pendulum's energy MSE as the paper's notebook computed it, on one episode:
    encode its first observation, integrate the latent flow (dopri5, float64) to each of its
    T frames, decode the latents, encode the decoded observations again, map them to
    coordinates (the model's readout), and take mean_t (energy(coords_t) − energy(ŷ_t))²
    with ŷ_0 = coords_0 (the notebook put the true start first).  observations [T, obs],
    coords [T, dim]; SE: the 5-group bootstrap over the T points.
    """
    model64 = as_float64(model)
    t = torch.arange(observations.shape[0], dtype=torch.float64)
    with torch.no_grad():
        latents = rollout(model64.time_derivative, model64.encode(observations[:1].to(torch.float64)), t,
                          rtol=rtol, atol=rtol)[:, 0]
        predicted = decoded_coordinates(model64, latents)
        predicted[0] = coords[0]
        error = (energy(coords.to(torch.float64)) - energy(predicted)).pow(2)
    error = error.nan_to_num(nan=float("inf"))
    return Estimate(float(error.mean()), bootstrap_se(error.numpy()))


def off_orbit(predicted: Tensor, true: Tensor) -> Tensor:
    """Distance of each predicted position [T, b, 2] from the true orbit (the set of the
    true positions [T, b, 2] of the same rollout, over all its times), over that orbit's
    mean radius: 0 for a body on its orbit however far ahead or behind.  -> [T, b] (inf
    where the prediction is NaN: it left the finite numbers, as far off as can be)."""
    nearest = (predicted[:, None] - true[None]).norm(dim=-1).amin(dim=1)  # [T, b]
    return (nearest / true.norm(dim=-1).mean(dim=0)).nan_to_num(nan=float("inf"))


def energy_mse(system: System, rollouts: Rollouts) -> Estimate:
    """Mean over trajectories of mean_t (E(true_t) - E(model_t))², E = the system's true energy.

    SE is the paper's 5-group bootstrap over trajectories (plain SE over time points when
    there is a single trajectory). A trajectory whose rollout left the finite numbers
    counts as infinitely wrong, so the mean is `inf` (see `diverged_fraction`). Times at
    which a reference trajectory has no sample (NaN: measured trajectories on their own
    grids) are left out of its mean.
    """
    return _mean_over_rollouts((system.hamiltonian(rollouts.true) - system.hamiltonian(rollouts.model)).pow(2),
                               rollouts)


def state_mse(rollouts: Rollouts) -> Estimate:
    """Mean over trajectories of mean_t |true_t − model_t|² / dim: how far the rollout
    strays from the reference in the system's coordinates (SE, divergence and unsampled
    times as `energy_mse`)."""
    return _mean_over_rollouts((rollouts.true - rollouts.model).pow(2).mean(dim=-1), rollouts)


def _mean_over_rollouts(per_point: Tensor, rollouts: Rollouts) -> Estimate:
    """per_point [T, b] -> mean over trajectories of its mean over the times the reference
    is sampled at, ± SE (`energy_mse`)."""
    sampled = torch.isfinite(rollouts.true).all(dim=-1)  # [T, b]
    per_point = per_point.nan_to_num(nan=float("inf"))
    if bool(sampled.all()):
        per_trajectory, points = per_point.mean(dim=0).numpy(), per_point
    else:
        points = per_point[sampled]
        per_trajectory = (per_point.where(sampled, 0.0).sum(dim=0) / sampled.sum(dim=0)).numpy()
    with np.errstate(invalid="ignore"):  # inf - inf in the spread of diverged trajectories
        se = bootstrap_se(per_trajectory) if per_trajectory.size >= 5 else standard_error(points)
    return Estimate(float(per_trajectory.mean()), se)


def learned_energy_variation(model: DynamicsModel, reference: Tensor, states: Tensor) -> Estimate:
    """How well the data conserve the model's learned energy H_θ: per reference trajectory
    the RMS over its sampled times of H_θ(x_t) − its mean, divided by the std of H_θ over
    `states` (e.g. the training states); mean over trajectories ± SE.

    0: H_θ is constant along every observed trajectory (what an exactly conservative
    system with H_θ ∝ H shows, up to noise); 1: it varies along one trajectory as much
    as across the whole data set. Needs no true energy. reference: [T, b, dim] with NaN
    where a trajectory is not sampled; states: [N, dim].
    """
    model64 = as_float64(model)
    with torch.no_grad():
        sampled = torch.isfinite(reference).all(dim=-1)  # [T, b]
        energy = model64.hamiltonian(reference.nan_to_num().to(torch.float64))
        count = sampled.sum(dim=0)
        mean = energy.where(sampled, 0.0).sum(dim=0) / count
        spread = ((energy - mean).where(sampled, 0.0).pow(2).sum(dim=0) / count).sqrt()
        scale = model64.hamiltonian(states.to(torch.float64)).std()
    values = (spread / scale).numpy()
    return Estimate(float(values.mean()), standard_error(values))


def diverged_fraction(rollouts: Rollouts) -> float:
    """Fraction of the model's trajectories that reach a non-finite state."""
    finite = torch.isfinite(rollouts.model).flatten(2).all(dim=-1).all(dim=0)  # [b]
    return float(1.0 - finite.double().mean())

"""What a formula is fitted to: ∇H (and ∇D) at states, from a trained network or from data.

A network with a learned energy gives ∇H_θ = −J f_θ of its conservative field f_θ (for an
HNN exactly the MLP's input gradient); a D-HNN also ∇D_φ, its dissipative field. Data give
−J dx/dt: the Hamiltonian structure imposed on the measured derivatives.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .. import models
from ..errors import InvalidValueError
from ..models import DynamicsModel
from ..systems import System


@dataclass(frozen=True)
class Targets:
    """states x[N, 2n] float64, ∇H there [N, 2n], ∇D there [N, 2n] or None."""

    states: Tensor
    grad_h: Tensor
    grad_d: Tensor | None = None


def gradient_from_field(field: Tensor) -> Tensor:
    """∇H = −J f = (−dp/dt, dq/dt) of a Hamiltonian field f[..., 2n]."""
    dq, dp = field.chunk(2, dim=-1)
    return torch.cat([-dp, dq], dim=-1)


def check_distillable(kind: str, system: System) -> None:
    """`InvalidValueError` (one line) for a model kind with no learned H in the system's state."""
    if system.observation_dim is not None:
        raise InvalidValueError(f"task {system.name!r} is learned from observations: its model's H acts on "
                                "autoencoder latents, not on the system's (q, p); distill takes state-space runs")
    if not models.has_hamiltonian(kind):
        with_h = [k for k in models.names() if models.has_hamiltonian(k)]
        raise InvalidValueError(f"the {kind!r} model has no learned H to distill; runs of {', '.join(with_h)} have "
                                "one (or distill the data directly with --data)")


def network_targets(model: DynamicsModel, states: Tensor) -> Targets:
    """The network's ∇H (and ∇D where it has a dissipative part) at `states` [N, 2n], float64."""
    model = model.double()
    with torch.no_grad():
        conservative = getattr(model, "conservative_field", model.time_derivative)(states)
        dissipative = getattr(model, "dissipative_field", None)
        return Targets(states, gradient_from_field(conservative), dissipative(states) if dissipative else None)


def data_targets(states: Tensor, dxdt: Tensor) -> Targets:
    """∇H = −J dx/dt of measured derivatives [N, 2n] at `states` [N, 2n]."""
    return Targets(states.to(torch.float64), gradient_from_field(dxdt.to(torch.float64)))


def subsample(n: int, limit: int, seed: int) -> Tensor:
    """At most `limit` of n indices, drawn without replacement (all of them, in order, if n <= limit)."""
    if n <= limit:
        return torch.arange(n)
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:limit].sort().values

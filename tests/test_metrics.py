"""Metrics: standard errors and the energy MSE definition."""

from __future__ import annotations

import math

import numpy as np
import torch

import hamnet
from hamnet.metrics import Rollouts, bootstrap_se, energy_mse, off_orbit


def test_bootstrap_se_is_std_of_five_group_means() -> None:
    values = np.arange(15, dtype=float)
    means = np.array([1.0, 4.0, 7.0, 10.0, 13.0])
    assert bootstrap_se(values) == means.std() / np.sqrt(5)


def test_energy_mse_uses_the_true_energy() -> None:
    system = hamnet.systems.get("pendulum")
    t = torch.linspace(0, 1, 3, dtype=torch.float64)
    true = torch.zeros(3, 5, 2, dtype=torch.float64)
    model = true.clone()
    model[..., 0] = torch.pi  # the top of the swing: E = 6, whereas q² + p² would give π²
    estimate = energy_mse(system, Rollouts(t, true, model, model))
    assert abs(estimate.mean - 36.0) < 1e-12 and estimate.se == 0.0


class _Field(hamnet.models.DynamicsModel):
    """A fixed vector field posing as a model (for testing metrics)."""

    kind = "field"

    def __init__(self, field):
        super().__init__(2, ())
        self.field = field
        self.anchor = torch.nn.Parameter(torch.zeros(1))  # gives the model a dtype

    def _time_derivative(self, x: torch.Tensor) -> torch.Tensor:
        return self.field(x)


def test_reversibility_separates_conservative_from_damped_flows() -> None:
    from hamnet.metrics import reversibility_error

    pendulum = hamnet.systems.get("pendulum")
    start = torch.tensor([[0.5, 0.3], [1.0, -0.2], [-0.7, 0.6]], dtype=torch.float64)
    conservative = reversibility_error(_Field(pendulum.vector_field), start, span=10)
    damped = reversibility_error(_Field(lambda x: pendulum.vector_field(x) - 0.05 * x * torch.tensor([0.0, 1.0],
                                        dtype=x.dtype)), start, span=10)
    assert conservative.mean < 1e-12 and damped.mean > 1e-2


def test_off_orbit_counts_the_distance_from_the_orbit_not_the_phase() -> None:
    angle = torch.linspace(0, 2 * math.pi, 101, dtype=torch.float64)[:, None]  # [T, 1]
    true = torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1)  # the unit circle, [T, 1, 2]
    behind = true.roll(30, dims=0)  # the right orbit, 30 steps late
    wider = 1.5 * true
    assert float(off_orbit(behind, true).abs().max()) < 1e-12
    assert torch.allclose(off_orbit(wider, true), torch.full((101, 1), 0.5, dtype=torch.float64))
    assert bool(off_orbit(torch.full_like(true, float("nan")), true).isposinf().all())  # diverged: as far off as can be

"""Metrics: standard errors and the energy MSE definition."""

from __future__ import annotations

import numpy as np
import torch

import hamnet
from hamnet.metrics import Rollouts, bootstrap_se, energy_mse


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

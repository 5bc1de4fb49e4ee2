"""The autoencoder objective's latent step (euler | rk4) and its per-latent scaling."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor, nn

from hamnet.errors import InvalidValueError
from hamnet.experiments import RunConfig
from hamnet.objectives import AutoencoderObjective, get

THETA = 0.17  # rad a frame: the inner two-body orbits' turn


class _Identity(nn.Module):
    def encode(self, x: Tensor) -> Tensor:
        return x

    def decode(self, z: Tensor) -> Tensor:
        return z


class _LinearLatent(nn.Module):
    """A stand-in latent model: observations are latents; dz/dt = z Aᵀ."""

    def __init__(self, a: Tensor):
        super().__init__()
        self.autoencoder, self.a = _Identity(), a

    def time_derivative(self, z: Tensor) -> Tensor:
        return z @ self.a.T


def _rotation_pairs(n: int = 64) -> tuple[Tensor, Tensor, Tensor]:
    """The generator A of a rotation by THETA a frame in (w, dw), and pairs (z, z_next) of its exact flow."""
    a = torch.tensor([[0.0, THETA], [-THETA, 0.0]], dtype=torch.float64)
    z = torch.randn(n, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    return a, z, z @ torch.linalg.matrix_exp(a).T


def test_euler_step_is_the_papers_one_frame_euler_step() -> None:
    a, z, z_next = _rotation_pairs()
    model = _LinearLatent(a)
    dynamics = AutoencoderObjective().terms(model, z, z_next)["dynamics"]
    expected = (z_next - (z + model.time_derivative(z))).pow(2).mean(-1)
    assert torch.equal(dynamics, expected)


def test_rk4_step_follows_the_flow_over_one_frame_where_euler_does_not() -> None:
    a, z, z_next = _rotation_pairs()
    model = _LinearLatent(a)
    euler = AutoencoderObjective("euler").terms(model, z, z_next)["dynamics"].mean()
    rk4 = AutoencoderObjective("rk4").terms(model, z, z_next)["dynamics"].mean()
    # Local errors: Euler θ²/2 (its growth √(1+θ²) and the missing turn), rk4 θ⁵/120.
    assert euler > 0.5 * (THETA**2 / 2) ** 2
    assert rk4 < 4 * (THETA**5 / 120) ** 2


def test_scaled_dynamics_do_not_depend_on_each_latents_units() -> None:
    a, z, z_next = _rotation_pairs()
    units = torch.diag(torch.tensor([1.0, 0.01], dtype=torch.float64))  # dw measured in other units
    stretched = _LinearLatent(units @ a @ torch.linalg.inv(units))
    for step in ("euler", "rk4"):
        scaled, plain = AutoencoderObjective(step, scaled=True), AutoencoderObjective(step)
        before = scaled.terms(_LinearLatent(a), z, z_next)["dynamics"]
        after = scaled.terms(stretched, z @ units, z_next @ units)["dynamics"]
        # rk4's residuals are ~1e-6 of |z|: float64 cancellation leaves ~1e-10 of them.
        torch.testing.assert_close(after, before, rtol=1e-8, atol=0.0)
        unscaled_ratio = (plain.terms(stretched, z @ units, z_next @ units)["dynamics"].mean()
                          / plain.terms(_LinearLatent(a), z, z_next)["dynamics"].mean())
        assert not math.isclose(float(unscaled_ratio), 1.0, rel_tol=0.1)


def test_settings_are_saved_and_checked() -> None:
    assert get("autoencoder").settings() == {"step": "euler", "scaled": False}
    assert RunConfig.for_task("pixel-pendulum", "hnn").objective_options == {"step": "euler", "scaled": False}
    assert RunConfig.for_task("pixel-two-body", "hnn").objective_options == {"step": "rk4", "scaled": True}
    with pytest.raises(InvalidValueError, match="step must be one of euler, rk4"):
        get("autoencoder", {"step": "leapfrog"})
    with pytest.raises(InvalidValueError, match="scaled must be true or false"):
        get("autoencoder", {"scaled": 1})


def test_a_run_saved_before_the_settings_keeps_the_papers_step() -> None:
    config = RunConfig.for_task("pixel-two-body", "hnn", preset="quick")
    old = RunConfig.from_dict(config.to_dict() | {"objective_options": {}}).with_defaults()
    assert old.objective_options == {"step": "euler", "scaled": False}
    assert old != config.with_defaults()  # so such a run is not taken for today's


def test_scaled_dynamics_of_a_single_pair_are_finite() -> None:
    a, z, z_next = _rotation_pairs(1)
    terms = AutoencoderObjective("rk4", scaled=True).terms(_LinearLatent(a), z, z_next)
    assert torch.isfinite(terms["loss"]).all()

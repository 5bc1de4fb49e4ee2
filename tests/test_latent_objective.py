"""The autoencoder objective's latent step (euler | rk4), its per-latent scaling and its
unroll along windows of several frames."""

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
    assert get("autoencoder").settings() == {"step": "euler", "scaled": False, "unroll": 1}
    assert RunConfig.for_task("pixel-pendulum", "hnn").objective_options == {"step": "euler", "scaled": False,
                                                                              "unroll": 1}
    assert RunConfig.for_task("pixel-two-body", "hnn").objective_options == {"step": "rk4", "scaled": True,
                                                                              "unroll": 2}
    with pytest.raises(InvalidValueError, match="step must be one of euler, rk4"):
        get("autoencoder", {"step": "leapfrog"})
    with pytest.raises(InvalidValueError, match="scaled must be true or false"):
        get("autoencoder", {"scaled": 1})
    for unroll in (0, 2.0, True, 101):
        with pytest.raises(InvalidValueError, match="unroll must be an integer between 1 and 100"):
            get("autoencoder", {"unroll": unroll})


def test_a_run_saved_before_the_settings_keeps_the_papers_step() -> None:
    config = RunConfig.for_task("pixel-two-body", "hnn", preset="quick")
    old = RunConfig.from_dict(config.to_dict() | {"objective_options": {}}).with_defaults()
    assert old.objective_options == {"step": "euler", "scaled": False, "unroll": 1}
    assert old != config.with_defaults()  # so such a run is not taken for today's


def test_scaled_dynamics_of_a_single_pair_are_finite() -> None:
    a, z, z_next = _rotation_pairs(1)
    terms = AutoencoderObjective("rk4", scaled=True).terms(_LinearLatent(a), z, z_next)
    assert torch.isfinite(terms["loss"]).all()


def _rotation_windows(k: int, n: int = 64) -> tuple[Tensor, Tensor]:
    """The rotation's generator A and windows [n, k+1, 2] of its exact flow, one frame apart."""
    a, z, _ = _rotation_pairs(n)
    powers = [torch.linalg.matrix_exp(a * i) for i in range(k + 1)]
    return a, torch.stack([z @ p.T for p in powers], dim=1)


@pytest.mark.parametrize("scaled", [False, True])
def test_a_window_of_one_step_is_a_pair(scaled: bool) -> None:
    a, window = _rotation_windows(1)
    objective = AutoencoderObjective("rk4", scaled=scaled)
    from_pairs = objective.terms(_LinearLatent(a), window[:, 0], window[:, 1])
    from_windows = objective.terms(_LinearLatent(a), window)
    for name, value in from_pairs.items():
        assert torch.equal(from_windows[name], value), name


def test_unrolled_dynamics_compare_every_frame_of_the_window_with_the_unrolled_field() -> None:
    k = 6
    a, window = _rotation_windows(k)
    model = _LinearLatent(0.9 * a)  # a field that turns too slowly: its error grows along the window
    terms = AutoencoderObjective("euler", unroll=k).terms(model, window)
    euler = torch.eye(2, dtype=torch.float64) + 0.9 * a  # one Euler step of that field is this matrix
    expected = torch.stack([(window[:, i] - window[:, 0] @ torch.linalg.matrix_power(euler, i).T).pow(2).mean(-1)
                            for i in range(1, k + 1)], dim=1).mean(-1)
    # the unroll multiplies by `euler` i times, the closed form raises it to the power i:
    # a few roundings of float64 per step apart
    torch.testing.assert_close(terms["dynamics"], expected, rtol=1e-12, atol=1e-15)
    one_step = AutoencoderObjective("euler").terms(model, window[:, 0], window[:, 1])["dynamics"]
    assert (terms["dynamics"] > 3 * one_step).all()  # the later frames' errors count


def test_unrolled_canonical_term_is_zero_where_dw_is_the_next_frames_change() -> None:
    w = torch.randn(8, 5, 1, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    dw = torch.cat([w[:, 1:] - w[:, :-1], torch.zeros_like(w[:, :1])], dim=1)
    window = torch.cat([w, dw], dim=-1)  # the last frame's dw is never compared
    terms = AutoencoderObjective(unroll=4).terms(_LinearLatent(torch.zeros(2, 2, dtype=torch.float64)), window)
    assert torch.equal(terms["canonical"], torch.zeros(8, dtype=torch.float64))
    shifted = window.clone()
    shifted[:, 2, 1] += 1.0
    moved = AutoencoderObjective(unroll=4).terms(_LinearLatent(torch.zeros(2, 2, dtype=torch.float64)), shifted)
    torch.testing.assert_close(moved["canonical"], torch.full((8,), 1.0 / 4, dtype=torch.float64))  # one of 4 comparisons

"""Rollouts: shapes, accuracy against the closed-form spring, fixed-step methods, errors."""

from __future__ import annotations

import pytest
import torch

import hamnet
from hamnet.errors import InvalidValueError, UnknownNameError


def spring_exact(x0: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """H = q² + p²: rotation with angular frequency 2.  -> [T, b, 2]."""
    c, s = torch.cos(2 * t)[:, None], torch.sin(2 * t)[:, None]
    q0, p0 = x0[:, 0], x0[:, 1]
    return torch.stack([c * q0 + s * p0, -s * q0 + c * p0], dim=-1)


@pytest.mark.parametrize("method,tol", [("dopri5", 1e-7), ("rk4", 1e-4)])
def test_rollout_matches_closed_form(method: str, tol: float) -> None:
    system = hamnet.systems.get("spring")
    x0 = system.sample_initial(7, torch.Generator().manual_seed(0))
    t = torch.linspace(0, 5, 201, dtype=torch.float64)
    xs = hamnet.rollout(system.vector_field, x0, t, method=method)
    assert xs.shape == (201, 7, 2)
    assert (xs - spring_exact(x0, t)).abs().max() < tol


def test_rk4_step_size_refines() -> None:
    system = hamnet.systems.get("spring")
    x0 = system.sample_initial(3, torch.Generator().manual_seed(0))
    t = torch.linspace(0, 5, 6, dtype=torch.float64)
    coarse = (hamnet.rollout(system.vector_field, x0, t, "rk4") - spring_exact(x0, t)).abs().max()
    fine = (hamnet.rollout(system.vector_field, x0, t, "rk4", step_size=0.01) - spring_exact(x0, t)).abs().max()
    assert fine < coarse / 100


def test_rollout_rejects_bad_input() -> None:
    f = hamnet.systems.get("spring").vector_field
    t = torch.linspace(0, 1, 5, dtype=torch.float64)
    with pytest.raises(UnknownNameError):
        hamnet.rollout(f, torch.zeros(2, 2, dtype=torch.float64), t, method="magic")
    with pytest.raises(InvalidValueError, match="batch, dim"):
        hamnet.rollout(f, torch.zeros(2, dtype=torch.float64), t)
    with pytest.raises(InvalidValueError, match="increasing"):
        hamnet.rollout(f, torch.zeros(2, 2, dtype=torch.float64), t.flip(0))


def test_dopri5_controls_each_trajectory_and_marks_blow_up() -> None:
    """x' = x² from x0 blows up at t = 1/x0: the trajectory from 2 fails at t = 0.5 and comes
    back NaN from there, the one from 0.5 (exact x0 / (1 − x0 t)) is unaffected."""
    x0 = torch.tensor([[0.5], [2.0]], dtype=torch.float64)
    t = torch.linspace(0, 1, 5, dtype=torch.float64)
    xs = hamnet.rollout(lambda x: x**2, x0, t).squeeze(-1)
    torch.testing.assert_close(xs[:, 0], 0.5 / (1 - 0.5 * t), rtol=1e-8, atol=0)
    assert xs[1, 1] == pytest.approx(4.0, rel=1e-8) and bool(xs[2:, 1].isnan().all())


def test_dopri5_stops_a_trajectory_that_grows_past_the_limit() -> None:
    """x' = x: e^t is followed to 1e29 (to 1e-6 relative: the steps' tolerance of 1e-9,
    which e^t carries along unshrunk, summed over the steps) and counted as diverged, NaN,
    once it has grown 1e30-fold (t > 69.08). The limit counts from a start of at least 1:
    from 1e-6 the trajectory is followed to 5.5e28 at t = 80 and stopped before t = 90."""
    t = torch.tensor([0.0, 40.0, 68.0, 70.0, 80.0, 90.0], dtype=torch.float64)
    x0 = torch.tensor([[1.0], [1e-6]], dtype=torch.float64)
    xs = hamnet.rollout(lambda x: x, x0, t, atol=1e-16).squeeze(-1)  # all relative: the start is 1e-6
    torch.testing.assert_close(xs[:3, 0], torch.exp(t[:3]), rtol=1e-6, atol=0)
    assert bool(xs[3:, 0].isnan().all())
    torch.testing.assert_close(xs[:5, 1], 1e-6 * torch.exp(t[:5]), rtol=1e-6, atol=0)
    assert bool(xs[5, 1].isnan())


def test_a_diverging_trajectory_leaves_the_others_of_its_batch_alone() -> None:
    """(a, b)' = (a b, 0): from (1, 1) a grows as e^t (1e30-fold at t = 69: diverged, NaN
    from there), from (1, −1) it decays as e^(−t), followed to t = 1000 whatever the other
    did (torchode alone stops the whole batch when e^t overflows at t = 710), and the
    diverged one ends at once (~1400 steps of 6 calls to 1e30; to overflow ~10× more)."""
    t = torch.linspace(0, 1000, 11, dtype=torch.float64)
    calls = []

    def f(x: torch.Tensor) -> torch.Tensor:
        calls.append(len(x))
        return torch.stack([x[:, 0] * x[:, 1], torch.zeros_like(x[:, 1])], dim=-1)

    xs = hamnet.rollout(f, torch.tensor([[1.0, 1.0], [1.0, -1.0]], dtype=torch.float64), t)
    assert bool(xs[1:, 0].isnan().all())
    torch.testing.assert_close(xs[:, 1, 0], torch.exp(-t), rtol=1e-7, atol=1e-8)  # a few steps' atol of 1e-9
    assert len(calls) < 20_000, len(calls)

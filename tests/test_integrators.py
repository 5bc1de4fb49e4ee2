"""Integrators: measured orders of convergence, symplectic energy behaviour over long
horizons, reversibility, separability and non-convergence."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

import hamnet
from hamnet.errors import InvalidValueError
from hamnet.integrators import NonConvergenceWarning, rollout

#: Global order of each method, from theory (not from the classes' own `order`).
THEORY = {"euler": 1, "rk4": 4, "leapfrog": 2, "yoshida4": 4, "implicit-midpoint": 2}
#: The pendulum H = 3(1 − cos q) + p²: small-swing period 2π/√6.
PERIOD = 2 * math.pi / math.sqrt(6)


def measured_order(system_name: str, method: str) -> float:
    """log2 of the error ratio when the step halves (200 → 400 steps over t ∈ [0, 3]),
    against dopri5 at rtol 1e-13."""
    system = hamnet.systems.get(system_name)
    x0 = torch.tensor([[1.0, 0.3]], dtype=torch.float64)
    reference = rollout(system.vector_field, x0, torch.tensor([0.0, 3.0], dtype=torch.float64),
                        rtol=1e-13, atol=1e-13)[-1]
    errors = [float((rollout(system.vector_field, x0, torch.linspace(0, 3, n + 1, dtype=torch.float64),
                             method=method)[-1] - reference).abs().max()) for n in (100, 200)]
    return math.log2(errors[0] / errors[1])


@pytest.mark.parametrize("method", list(THEORY))
@pytest.mark.parametrize("system_name", ["spring", "pendulum"])
def test_measured_order_of_convergence_matches_theory(system_name: str, method: str) -> None:
    order = measured_order(system_name, method)
    assert abs(order - THEORY[method]) < 0.15, order
    assert hamnet.integrators.FIXED_STEP[method].order == THEORY[method]


def energy_errors(method: str, periods: int) -> torch.Tensor:
    """Relative energy error |H(x_t) − H(x_0)| / H(x_0) of the pendulum from (1, 0) at 200
    points over `periods` small-swing periods, steps of 0.2 (≈ 13 per period)."""
    system = hamnet.systems.get("pendulum")
    x0 = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    t = torch.linspace(0, periods * PERIOD, 201, dtype=torch.float64)
    energy = system.hamiltonian(rollout(system.vector_field, x0, t, method=method, step_size=0.2))[:, 0]
    return ((energy - energy[0]) / energy[0]).abs()


def check_bounded_vs_drift(periods: int) -> None:
    """Symplectic: the error of the last tenth is no larger than that of the first (it
    oscillates, bounded); RK4: it grows steadily, to over 3× its value after 1 % of the
    horizon, and the pendulum loses over half its energy (measured: 0.016 after 10
    periods, 0.85 after 10³; 0.16 after 100, 1.00 after 10⁴: it comes to rest)."""
    for method, bound in (("leapfrog", 0.06), ("implicit-midpoint", 5e-3)):
        errors = energy_errors(method, periods)
        assert errors.max() < bound, (method, float(errors.max()))
        assert errors[-20:].max() <= 1.1 * errors[:21].max(), method
    drift = energy_errors("rk4", periods)
    assert drift[-1] > 3 * drift[2] and drift[-1] > 0.5, drift[[2, -1]].tolist()


def test_symplectic_energy_error_stays_bounded_rk4_drifts_over_1000_periods() -> None:
    check_bounded_vs_drift(1000)


@pytest.mark.slow
def test_symplectic_energy_error_stays_bounded_rk4_drifts_over_10000_periods() -> None:
    check_bounded_vs_drift(10_000)


@pytest.mark.parametrize("method", ["leapfrog", "yoshida4", "implicit-midpoint"])
def test_symplectic_methods_are_time_reversible(method: str) -> None:
    """Forward n steps, reverse the momenta, forward n steps: back at the start (to the
    rounding of 400 steps and the implicit solve's tolerance)."""
    system = hamnet.systems.get("pendulum")
    x0 = system.sample_initial(5, torch.Generator().manual_seed(0))
    t = torch.linspace(0, 20, 401, dtype=torch.float64)
    ahead = rollout(system.vector_field, x0, t, method=method)[-1]
    turned = torch.cat([ahead[:, :1], -ahead[:, 1:]], dim=-1)
    back = rollout(system.vector_field, turned, t, method=method)[-1]
    torch.testing.assert_close(torch.cat([back[:, :1], -back[:, 1:]], dim=-1), x0, rtol=0, atol=1e-10)


def test_separable_methods_refuse_a_field_that_does_not_say_so() -> None:
    damped = hamnet.systems.get("damped-spring")
    t = torch.linspace(0, 1, 3, dtype=torch.float64)
    x0 = torch.ones(1, 2, dtype=torch.float64)
    with pytest.raises(InvalidValueError, match="leapfrog needs a separable field"):
        rollout(damped.vector_field, x0, t, method="leapfrog")
    rollout(damped.vector_field, x0, t, method="implicit-midpoint")  # any field


@pytest.mark.parametrize("method", ["leapfrog", "yoshida4"])
def test_a_separable_model_steps_with_half_its_field_each_time(method: str) -> None:
    """hnn-separable offers dq/dt from p and dp/dt from q alone: the steps that use them
    agree with the steps that evaluate its whole field and keep half (float64: a few
    ulps of the states' size per step, 16 steps here)."""
    model = hamnet.models.build("hnn-separable", 2, generator=torch.Generator().manual_seed(0)).double()

    def whole(x: torch.Tensor) -> torch.Tensor:  # the same field, without the halves
        return model.time_derivative(x)

    whole.separable = True
    x0 = torch.randn(32, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    t = torch.linspace(0, 1.6, 17, dtype=torch.float64)
    with torch.no_grad():
        halves, full = rollout(model.time_derivative, x0, t, method=method), rollout(whole, x0, t, method=method)
    assert torch.allclose(halves, full, rtol=0, atol=1e-12 * float(full.abs().max()))


def test_implicit_midpoint_reports_steps_that_do_not_converge() -> None:
    """dx/dt = x² from x = 1 blows up at t = 1; a step of 2 has no fixed point the
    iteration can reach: that trajectory becomes NaN and a warning says how many."""
    x0 = torch.tensor([[1.0, 1.0], [0.01, 0.01]], dtype=torch.float64)
    t = torch.tensor([0.0, 2.0], dtype=torch.float64)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        xs = rollout(lambda x: x**2, x0, t, method="implicit-midpoint")
    assert bool(torch.isnan(xs[-1, 0]).all()) and bool(torch.isfinite(xs[-1, 1]).all())
    assert any(issubclass(w.category, NonConvergenceWarning) and "1 trajectory steps" in str(w.message)
               for w in caught)

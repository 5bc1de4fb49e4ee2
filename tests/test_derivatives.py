"""Derivative estimators: exact formulas, orders of convergence, noise, rows, bad inputs."""

from __future__ import annotations

import math

import pytest
import torch
from torch import Tensor

from hamnet.data.derivatives import METHODS, MIN_POINTS, estimate_derivatives
from hamnet.errors import InvalidValueError, UnknownNameError

F64 = torch.float64


def uneven_circle(h: float, t_end: float, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """x(t) = (sin t, cos t) on t = cumsum of U(0.5 h, 1.5 h) steps up to t_end; (t, x, dx/dt)."""
    gen = torch.Generator().manual_seed(seed)
    steps = h * (0.5 + torch.rand(math.ceil(2 * t_end / h), generator=gen, dtype=F64))
    t = torch.cat([torch.zeros(1, dtype=F64), torch.cumsum(steps, 0)])
    t = t[t <= t_end]
    return t, torch.stack([t.sin(), t.cos()], -1), torch.stack([t.cos(), -t.sin()], -1)


def max_error(method: str, h: float) -> float:
    t, x, dxdt = uneven_circle(h, 2 * math.pi, seed=0)
    rows, estimate = estimate_derivatives(t, x, method)
    return float((estimate - dxdt[rows]).abs().max())


def test_forward_and_central_are_the_literal_formulas_bitwise() -> None:
    gen = torch.Generator().manual_seed(1)
    t = torch.cumsum(torch.rand(40, generator=gen, dtype=F64) + 1e-3, 0)
    x = torch.randn(40, 3, generator=gen, dtype=F64)
    forward = (x[1:] - x[:-1]) / (t[1:] - t[:-1]).unsqueeze(-1)
    central = torch.cat([(forward[:-1] + forward[1:]) / 2, forward[-1:]])
    rows, got = estimate_derivatives(t, x, "forward")
    assert torch.equal(rows, torch.arange(39)) and torch.equal(got, forward)
    rows, got = estimate_derivatives(t, x, "central")
    assert torch.equal(rows, torch.arange(1, 40)) and torch.equal(got, central)


@pytest.mark.parametrize("method", METHODS)
def test_rows_shapes_and_dtypes(method: str) -> None:
    t, x, _ = uneven_circle(0.2, 3.0, seed=2)
    n = t.shape[0]
    rows, dxdt = estimate_derivatives(t, x, method)
    expected = {"forward": torch.arange(n - 1), "central": torch.arange(1, n)}.get(method, torch.arange(n))
    assert rows.dtype == torch.int64 and torch.equal(rows, expected)
    assert dxdt.dtype == F64 and dxdt.shape == (rows.shape[0], 2)


@pytest.mark.parametrize(("method", "low", "high"), [("forward", 0.8, 1.2), ("gradient", 1.8, 2.2)])
def test_order_of_convergence_on_uneven_steps(method: str, low: float, high: float) -> None:
    # measured: forward 1.00, gradient 2.00 (max error, h = 0.05 -> 0.025)
    order = math.log2(max_error(method, 0.05) / max_error(method, 0.025))
    assert low < order < high


def test_spline_is_accurate_on_noise_free_data() -> None:
    t, x, dxdt = uneven_circle(0.05, 2 * math.pi, seed=0)
    rows, estimate = estimate_derivatives(t, x, "spline")
    error = (estimate - dxdt[rows]).abs().max(-1).values
    interior = error[len(error) // 10: -len(error) // 10]
    # measured: interior max 7.2e-6; all rows 2.5e-2, at row 0 (the natural spline's zero
    # second derivative at the ends, where cos'' = -1)
    assert float(interior.max()) < 5e-5
    assert float(error.max()) < 0.05


def test_spline_copes_with_noise_better_than_gradient() -> None:
    # 100 points over two periods with uneven steps, noise std 0.05 on x
    gen = torch.Generator().manual_seed(0)
    t = torch.cat([torch.zeros(1, dtype=F64), torch.cumsum(0.5 + torch.rand(99, generator=gen, dtype=F64), 0)])
    t = t * (4 * math.pi / t[-1])
    x, dxdt = torch.stack([t.sin(), t.cos()], -1), torch.stack([t.cos(), -t.sin()], -1)
    noisy = x + 0.05 * torch.randn(x.shape, generator=gen, dtype=F64)
    rms = {}
    for method in ("gradient", "spline"):
        rows, estimate = estimate_derivatives(t, noisy, method)
        rms[method] = float((estimate - dxdt[rows]).pow(2).mean().sqrt())
    # measured: gradient 0.353, spline 0.064, ratio 5.5 (4.0 to 8.3 over seeds 0-7)
    assert rms["spline"] < 0.13
    assert rms["gradient"] / rms["spline"] > 2.5


@pytest.mark.parametrize("method", METHODS)
def test_too_few_points(method: str) -> None:
    n = MIN_POINTS[method]
    t, x = torch.arange(n, dtype=F64), torch.zeros(n, 2, dtype=F64)
    estimate_derivatives(t, x, method)
    with pytest.raises(InvalidValueError, match=rf"'{method}' got {n - 1} points; it needs at least {n}"):
        estimate_derivatives(t[:-1], x[:-1], method)


@pytest.mark.parametrize("method", METHODS)
def test_non_increasing_times_and_non_finite_values(method: str) -> None:
    t, x = torch.arange(6, dtype=F64), torch.zeros(6, 2, dtype=F64)
    for bad in (torch.tensor([0, 1, 2, 2, 3, 4], dtype=F64), torch.tensor([0, 1, 3, 2, 4, 5], dtype=F64)):
        with pytest.raises(InvalidValueError, match="strictly increasing"):
            estimate_derivatives(bad, x, method)
    bad_x = x.clone()
    bad_x[2, 1] = float("nan")
    for args in ((t, bad_x), (torch.tensor([0, 1, 2, 3, 4, float("inf")], dtype=F64), x)):
        with pytest.raises(InvalidValueError, match="finite"):
            estimate_derivatives(*args, method)


def test_unknown_method_and_wrong_shapes() -> None:
    t, x = torch.arange(6, dtype=F64), torch.zeros(6, 2, dtype=F64)
    with pytest.raises(UnknownNameError, match="forward, central, gradient, spline"):
        estimate_derivatives(t, x, "backward")
    with pytest.raises(InvalidValueError, match="t\\[T\\] and x\\[T, d\\]"):
        estimate_derivatives(t, x[:5], "gradient")

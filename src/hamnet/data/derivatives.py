"""Time derivatives dx/dt estimated from one sampled trajectory (t[T], x[T, d]).

The times may be uneven (gaps); every method uses the actual steps h_i = t[i+1] − t[i].

- ``forward``: (x[i+1] − x[i]) / h_i, kept at rows 0..T−2. First order (error ≈ h x''/2).
- ``central``: the D-HNN paper's definition: at rows 1..T−2 the mean of the forward
  differences on either side of the row, at row T−1 the last forward difference; kept at
  rows 1..T−1. The interior rows are second order on an even grid but first order with
  uneven steps (error ≈ (h_i − h_{i−1}) x''/4); the last row is first order on any grid.
- ``gradient``: second-order finite differences on the non-uniform grid, one-sided
  second-order formulas at both ends (``numpy.gradient(x, t, edge_order=2)``); kept at
  rows 0..T−1. Second order, even with uneven steps.
- ``spline``: per coordinate a cubic smoothing spline
  (``scipy.interpolate.make_smoothing_spline``, smoothing chosen by generalized
  cross-validation), differentiated at every sample; kept at rows 0..T−1. It copes with
  noise in x: the finite differences divide the noise by h and amplify it, the spline
  averages it out. Its natural end conditions (zero second derivative) bias the first
  and last few rows where x'' ≠ 0: on noise-free sin/cos the interior error is ~1e-6 but
  the end rows' ~1e-2, and that does not shrink with the step as GCV chooses it.

All take and return float64; `forward` and `central` are bitwise the formulas above.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ..errors import InvalidValueError, UnknownNameError

#: Names of the estimators, in the order docs list them.
METHODS = ("forward", "central", "gradient", "spline")

#: The fewest samples each method accepts (make_smoothing_spline needs 5).
MIN_POINTS = {"forward": 2, "central": 3, "gradient": 3, "spline": 5}


def _forward(t: Tensor, x: Tensor) -> Tensor:
    return (x[1:] - x[:-1]) / (t[1:] - t[:-1]).unsqueeze(-1)


def _check(t: Tensor, x: Tensor, method: str) -> None:
    if method not in METHODS:
        raise UnknownNameError(f"unknown derivative method {method!r}; choose one of {', '.join(METHODS)}")
    if t.dim() != 1 or x.dim() != 2 or x.shape[0] != t.shape[0] or x.shape[1] == 0:
        raise InvalidValueError(f"derivatives need t[T] and x[T, d] with d ≥ 1; got t{list(t.shape)} and x{list(x.shape)}")
    if t.shape[0] < MIN_POINTS[method]:
        raise InvalidValueError(f"derivative method {method!r} got {t.shape[0]} points; "
                                f"it needs at least {MIN_POINTS[method]}")
    if not (bool(torch.isfinite(t).all()) and bool(torch.isfinite(x).all())):
        raise InvalidValueError("derivatives need finite t and x; found NaN or infinity")
    steps = t[1:] - t[:-1]
    if not bool((steps > 0).all()):
        i = int((steps <= 0).nonzero()[0])
        raise InvalidValueError(f"derivatives need strictly increasing t; t[{i}] = {float(t[i]):.6g} "
                                f"and t[{i + 1}] = {float(t[i + 1]):.6g}")


def estimate_derivatives(t: Tensor, x: Tensor, method: str) -> tuple[Tensor, Tensor]:
    """One trajectory: t[T] strictly increasing, x[T, d] (both float64) ->
    (rows: int64 index tensor [M] of the samples the estimate belongs to, dxdt[M, d] float64).

    `method` is one of `METHODS` (see the module docstring for rows and accuracy). Raises
    `UnknownNameError` for another name, `InvalidValueError` for fewer points than the
    method needs (`MIN_POINTS`), wrong shapes, non-finite values or non-increasing t.
    """
    t, x = torch.as_tensor(t, dtype=torch.float64), torch.as_tensor(x, dtype=torch.float64)
    _check(t, x, method)
    n = t.shape[0]
    if method == "forward":
        return torch.arange(n - 1), _forward(t, x)
    if method == "central":
        forward = _forward(t, x)
        return torch.arange(1, n), torch.cat([(forward[:-1] + forward[1:]) / 2, forward[-1:]])
    t_np, x_np = t.detach().cpu().numpy(), x.detach().cpu().numpy()
    if method == "gradient":
        dxdt = np.gradient(x_np, t_np, axis=0, edge_order=2)
    else:
        from scipy.interpolate import make_smoothing_spline  # SciPy only when asked for

        dxdt = np.stack([make_smoothing_spline(t_np, x_np[:, j]).derivative()(t_np)
                         for j in range(x_np.shape[1])], axis=-1)
    return torch.arange(n), torch.as_tensor(np.ascontiguousarray(dxdt), dtype=torch.float64)

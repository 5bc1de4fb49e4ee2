"""Plain SINDy (PySINDy) on the same data, for comparison: every component of dx/dt
regressed on its own over polynomials of the state to the same degree (and sin, cos of
every variable with trig), no Hamiltonian structure; thresholds chosen by the same rule
as the structured fit (`hamnet.distill.regression`)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from torch import Tensor

from .regression import THRESHOLDS, least_squares, pysindy
from .scores import EXACT


def _model(threshold: float, degree: int, trig: bool) -> Any:
    ps = pysindy()
    library = ps.PolynomialLibrary(degree=max(degree, 1))
    if trig:
        library = library + ps.FourierLibrary()
    return ps.SINDy(optimizer=ps.STLSQ(threshold=threshold, alpha=1e-8, max_iter=50, normalize_columns=True),
                    feature_library=library)


def plain_sindy(x: Tensor, dxdt: Tensor, names: list[str], degree: int, trig: bool, tolerance: float,
                x_test: Tensor, true_test: Tensor | None, true_train: Tensor | None) -> dict[str, Any]:
    """SINDy's equations for dx/dt from x[N, 2n], dxdt[N, 2n]: the chosen model's number
    of terms, its equations, its relative field error on `x_test` against the truth
    (`true_test`, where known), and whether its support is the truth's in its library."""
    x_np, dxdt_np = x.numpy(), dxdt.numpy()
    scale = float(np.linalg.norm(dxdt_np) / np.sqrt(dxdt_np.shape[1]))  # each equation's target of norm ~1
    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for threshold in THRESHOLDS:
            model = _model(float(threshold), degree, trig)
            model.fit(x_np, t=1.0, x_dot=dxdt_np / scale, feature_names=names)  # t: unused beside x_dot
            coefficients = model.coefficients() * scale
            residual = np.linalg.norm(model.predict(x_np) * scale - dxdt_np) / np.linalg.norm(dxdt_np)
            fits.append((int(np.count_nonzero(coefficients)), float(residual), model, coefficients))
    best = min(f[1] for f in fits)
    terms, residual, model, coefficients = min((f for f in fits if f[1] <= best + tolerance), key=lambda f: f[:2])
    features = model.get_feature_names()
    equations = [f"d{name}/dt = " + (" + ".join(f"{c:.4g} {feature}" for c, feature in zip(row, features) if c)
                                     or "0") for name, row in zip(names, coefficients)]
    out: dict[str, Any] = {"terms": terms, "residual": residual, "equations": equations}
    if true_test is not None:
        predicted = model.predict(x_test.numpy()) * scale
        truth = true_test.numpy()
        out["field_error_vs_truth"] = float(((predicted - truth) ** 2).sum(-1).mean() / (truth**2).sum(-1).mean())
    if true_train is not None:
        theta = np.asarray(model.feature_library.transform(x_np))
        out["exact_support"] = _same_support(theta, coefficients, true_train.numpy())
    return out


def _same_support(theta: np.ndarray, coefficients: np.ndarray, truth: np.ndarray) -> bool | None:
    """Whether SINDy's nonzero coefficients are exactly those of the truth written in the
    same library (None: the library cannot write the truth)."""
    for row, target in zip(coefficients, truth.T):
        norm = np.linalg.norm(target)
        if norm == 0:
            if np.any(row):
                return False
            continue
        c, e = least_squares(theta, target, tuple(range(theta.shape[1])))
        if e > EXACT:
            return None
        keep = np.abs(c) * np.linalg.norm(theta, axis=0) > EXACT * norm
        if not np.array_equal(keep, row != 0):
            return False
    return True

"""Sparse regression of a target on library columns: PySINDy's sequentially thresholded
least squares (STLSQ) over a path of thresholds, one support chosen by a stated rule, and
bootstrap intervals of its coefficients.

The selection rule: every support STLSQ finds on the path is refitted by ordinary least
squares; its relative residual is e = ‖A c − b‖ / ‖b‖. The chosen support is the sparsest
whose e is within `tolerance` of the smallest e on the path (ties: the smaller e); then its
terms are dropped one at a time, the one whose loss raises e least first, while e stays
within that bound. The tolerance is the share of the target a term must explain to be kept
(default 1 %). The last step matters where the data leave terms interchangeable (two bodies
whose momenta are always opposite: p1·p3 = −p1² on every state), which thresholding alone
does not untangle.

With noise of a known std on the states, the coefficients are biased toward zero (errors in
the variables: a term's value at a noisy state is not its value at the true one); `simex`
corrects them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor

from ..errors import InvalidValueError

#: The default tolerance of the selection rule (module docstring).
TOLERANCE = 0.01
#: The thresholds tried, on the normalised problem (unit columns, unit target).
THRESHOLDS = np.geomspace(1e-4, 1.0, 41)


@dataclass(frozen=True)
class SparseFit:
    """The chosen support (column indices), its least-squares coefficients, its relative
    residual, and the path: (support size, relative residual) of every support found."""

    support: tuple[int, ...]
    coefficients: np.ndarray
    residual: float
    path: tuple[tuple[int, float], ...]


def pysindy() -> Any:
    """The PySINDy module, or `InvalidValueError` saying how to install it."""
    try:
        import pysindy as ps
    except ImportError:
        raise InvalidValueError("hamnet distill needs PySINDy: pip install 'hamnet[distill]'") from None
    return ps


def _stlsq(threshold: float) -> Any:
    return pysindy().STLSQ(threshold=threshold, alpha=1e-8, max_iter=50, unbias=True)


def least_squares(a: np.ndarray, b: np.ndarray, support: tuple[int, ...]) -> tuple[np.ndarray, float]:
    """OLS on the columns `support`.  a[R, K], b[R] -> (c[len(support)], relative residual)."""
    if not support:
        return np.zeros(0), 1.0
    c, *_ = np.linalg.lstsq(a[:, support], b, rcond=None)
    return c, float(np.linalg.norm(a[:, support] @ c - b) / np.linalg.norm(b))


def sparse_fit(a: np.ndarray, b: np.ndarray, tolerance: float = TOLERANCE) -> SparseFit:
    """The sparse representation of b in the columns of a (module docstring).
    a[R, K] (rows: every component of every state), b[R]."""
    if not np.isfinite(a).all() or not np.isfinite(b).all():
        raise InvalidValueError("the library or the target is not finite at some states (a term such as 1/r "
                                "at r = 0, or a diverged model); change the library or the data")
    norms = np.linalg.norm(a, axis=0)
    norms[norms == 0] = 1.0
    scale = np.linalg.norm(b)
    if scale == 0:
        raise InvalidValueError("the target gradient is zero at every state: there is no H to distill")
    a_unit, b_unit = a / norms, b / scale
    supports = {tuple(range(a.shape[1]))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # STLSQ warns when a threshold removes every term
        for threshold in THRESHOLDS:
            optimizer = _stlsq(threshold)
            optimizer.fit(a_unit, b_unit)
            supports.add(tuple(int(k) for k in np.flatnonzero(optimizer.coef_[0])))
    fits = {support: least_squares(a, b, support) for support in supports if support}
    best = min(residual for _, residual in fits.values())
    chosen = min((s for s, (_, e) in fits.items() if e <= best + tolerance), key=lambda s: (len(s), fits[s][1]))
    chosen = _pruned(a, b, chosen, best + tolerance)
    coefficients, residual = least_squares(a, b, chosen)
    path = tuple(sorted((len(s), e) for s, (_, e) in fits.items()))
    return SparseFit(chosen, coefficients, residual, path)


def _pruned(a: np.ndarray, b: np.ndarray, support: tuple[int, ...], bound: float) -> tuple[int, ...]:
    """`support` less the terms that can go one by one with e <= `bound` (module docstring);
    least squares on the normal equations of the support, so each try costs k×k."""
    gram, moment, energy = a[:, support].T @ a[:, support], a[:, support].T @ b, float(b @ b)

    def residual(keep: list[int]) -> float:
        g, m = gram[np.ix_(keep, keep)], moment[keep]
        c, *_ = np.linalg.lstsq(g, m, rcond=None)
        return float(np.sqrt(max(energy - 2 * c @ m + c @ g @ c, 0.0) / energy))

    keep = list(range(len(support)))
    while len(keep) > 1:
        tries = [(residual([k for k in keep if k != drop]), drop) for drop in keep]
        e, drop = min(tries)
        if e > bound:
            break
        keep.remove(drop)
    return tuple(support[k] for k in keep)


def bootstrap_intervals(a: np.ndarray, b: np.ndarray, support: tuple[int, ...], rows_per_state: int,
                        resamples: int = 200, seed: int = 0, level: float = 0.95) -> np.ndarray:
    """Percentile intervals of the support's OLS coefficients over `resamples` resamples of
    the states (each state's `rows_per_state` rows together).  -> [len(support), 2]."""
    states = a.shape[0] // rows_per_state
    rng = np.random.default_rng(seed)
    a3, b2 = a[:, support].reshape(states, rows_per_state, -1), b.reshape(states, rows_per_state)
    draws = []
    for _ in range(resamples):
        pick = rng.integers(0, states, states)
        c, *_ = np.linalg.lstsq(a3[pick].reshape(-1, len(support)), b2[pick].reshape(-1), rcond=None)
        draws.append(c)
    tail = 100 * (1 - level) / 2
    return np.percentile(np.array(draws), [tail, 100 - tail], axis=0).T


#: SIMEX (simulation-extrapolation, Cook & Stefanski 1994): the extra noise levels λ, each
#: adding noise of variance λσ² to the states (so (1 + λ)σ² in all), and the draws per level.
SIMEX_LEVELS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
SIMEX_DRAWS = 50


def simex(features: Callable[[Tensor], np.ndarray], states: Tensor, b: np.ndarray, sigma: float,
          generator: torch.Generator) -> np.ndarray:
    """Least-squares coefficients of b on `features(states)` [R, k], corrected for noise of
    std `sigma` on the states: refitted with more noise added at each level of
    `SIMEX_LEVELS` (mean over `SIMEX_DRAWS` draws), then extrapolated by a quadratic in λ
    to λ = −1, no noise. A target that is a function of the noisy states (a network trained
    on them) needs the same correction as the clean derivatives do: the network is the
    conditional mean of those derivatives given the noisy states, so both have the same
    projection on the features (docs/distill.md).  -> [k]."""
    levels = [0.0, *SIMEX_LEVELS]
    means = [np.linalg.lstsq(features(states), b, rcond=None)[0]]
    for level in SIMEX_LEVELS:
        draws = [np.linalg.lstsq(features(states + (level**0.5 * sigma) * torch.randn(
            states.shape, generator=generator, dtype=states.dtype)), b, rcond=None)[0] for _ in range(SIMEX_DRAWS)]
        means.append(np.mean(draws, axis=0))
    fit = np.polyfit(levels, np.array(means), 2)  # [3, k]
    return fit[0] - fit[1] + fit[2]  # the quadratic at λ = −1

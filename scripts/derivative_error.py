"""Error of each derivative estimator (hamnet.data.derivatives) on two known systems.

    python scripts/derivative_error.py [--out FILE.md] [--seed 0]

The spring H = (q² + p²)/2 (closed form) and the pendulum H = 3(1 − cos q) + p²/2
(solve_ivp, DOP853, rtol = atol = 1e-10): 25 trajectories from random initial states
(spring: uniform direction, radius ~ U(0.2, 1); pendulum: q, p ~ U(−1, 1)), 50 samples
over t ∈ [0, 10], evenly spaced or uneven (each step U(0.5, 1.5) × the even step, then
all scaled by one factor so the last sample is at t = 10; new times per trajectory).
Gaussian noise of std σ is added to the observed states; the estimates are compared with
the true dx/dt at the true states of their rows. Reported: the RMS error over all
trajectories, rows and coordinates, divided by the RMS of the true dx/dt there.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from scipy.integrate import solve_ivp

from hamnet.data.derivatives import METHODS, estimate_derivatives

N_TRAJECTORIES, N_POINTS, T_END = 25, 50, 10.0
NOISES = (0.0, 0.01, 0.05)
GRIDS = ("even", "uneven")


def spring_field(x: np.ndarray) -> np.ndarray:
    return np.stack([x[..., 1], -x[..., 0]], -1)


def pendulum_field(x: np.ndarray) -> np.ndarray:
    return np.stack([x[..., 1], -3 * np.sin(x[..., 0])], -1)


def spring_states(x0: np.ndarray, t: np.ndarray) -> np.ndarray:
    c, s = np.cos(t), np.sin(t)
    return np.stack([x0[0] * c + x0[1] * s, x0[1] * c - x0[0] * s], -1)


def pendulum_states(x0: np.ndarray, t: np.ndarray) -> np.ndarray:
    solution = solve_ivp(lambda _, x: pendulum_field(x), (0.0, T_END), x0, method="DOP853",
                         t_eval=t, rtol=1e-10, atol=1e-10)
    return solution.y.T


def spring_initial(rng: np.random.Generator) -> np.ndarray:
    angle, radius = rng.uniform(0, 2 * np.pi), rng.uniform(0.2, 1.0)
    return radius * np.array([np.cos(angle), np.sin(angle)])


def pendulum_initial(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(-1.0, 1.0, size=2)


#: name -> (initial state sampler, exact states at times, true vector field)
SYSTEMS: dict[str, tuple[Callable, Callable, Callable]] = {
    "spring": (spring_initial, spring_states, spring_field),
    "pendulum": (pendulum_initial, pendulum_states, pendulum_field),
}


def sample_times(grid: str, rng: np.random.Generator) -> np.ndarray:
    if grid == "even":
        return np.linspace(0.0, T_END, N_POINTS)
    t = np.concatenate([[0.0], np.cumsum(rng.uniform(0.5, 1.5, N_POINTS - 1))])
    return t * (T_END / t[-1])


def relative_errors(system: str, grid: str, seed: int) -> dict[float, dict[str, float]]:
    """noise std -> method -> RMS error / RMS true dx/dt, for one system and time grid."""
    initial, states, field = SYSTEMS[system]
    rng = np.random.default_rng([seed, list(SYSTEMS).index(system), GRIDS.index(grid)])
    runs = []
    for _ in range(N_TRAJECTORIES):
        t = sample_times(grid, rng)
        runs.append((t, states(initial(rng), t)))
    table = {}
    for k, noise in enumerate(NOISES):
        noise_rng = np.random.default_rng([seed, list(SYSTEMS).index(system), GRIDS.index(grid), k])
        squared = {method: [0.0, 0.0] for method in METHODS}  # sum error², sum true²
        for t, x in runs:
            observed = x + noise * noise_rng.standard_normal(x.shape)
            for method in METHODS:
                rows, dxdt = estimate_derivatives(torch.from_numpy(t), torch.from_numpy(observed), method)
                true = field(x[rows.numpy()])
                squared[method][0] += float(((dxdt.numpy() - true) ** 2).sum())
                squared[method][1] += float((true**2).sum())
        table[noise] = {method: float(np.sqrt(e / s)) for method, (e, s) in squared.items()}
    return table


def markdown(seed: int) -> str:
    """The table, then one sentence: how often each method has the lowest error, per σ."""
    lines = ["| system | times | noise σ | " + " | ".join(METHODS) + " |",
             "|---|---|---|" + "---|" * len(METHODS)]
    best: dict[float, list[str]] = {noise: [] for noise in NOISES}
    for system in SYSTEMS:
        for grid in GRIDS:
            for noise, errors in relative_errors(system, grid, seed).items():
                lines.append(f"| {system} | {grid} | {noise:g} | "
                             + " | ".join(f"{errors[method]:.2e}" for method in METHODS) + " |")
                best[noise].append(min(errors, key=errors.__getitem__))
    counts = "; ".join(f"σ = {noise:g}: " + ", ".join(f"{m} {winners.count(m)}/{len(winners)}"
                                                      for m in METHODS if m in winners)
                       for noise, winners in best.items())
    return "\n".join(lines) + f"\n\nLowest error (rows won, per noise level): {counts}.\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the Markdown table here (default: print it)")
    parser.add_argument("--seed", type=int, default=0, help="seed of initial states, times and noise")
    args = parser.parse_args()
    start = time.perf_counter()
    text = markdown(args.seed)
    if args.out:
        args.out.write_text(text)
    else:
        print(text, end="")
    print(f"({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()

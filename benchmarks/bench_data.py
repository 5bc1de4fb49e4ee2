"""Data generation: `hamnet.data.generate_trajectories` (all orbits in one batch) vs SciPy per orbit.

Reference: the original orbits code's way, `solve_ivp(RK45)` orbit by orbit with a NumPy
right-hand side that loops over bodies for the pairwise forces (the original `update`),
then the derivative at every observed state. Same initial states, time grid and
tolerances (the recipe's rtol = atol = 1e-9; the original left atol at SciPy's 1e-6).
The reference is timed on a subset of the orbits and extrapolated linearly.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

import hamnet
from common import counted, measure, parse_args, print_footer, print_header, print_table
from original import scipy_rollout
from hamnet.systems.nbody import NBody

SEED = 0


@dataclass(frozen=True)
class Sizes:
    n_orbits: dict[str, int]  # per system (the full run: the recipe's counts)
    n_reference: dict[str, int]  # orbits the reference integrates (the rest is extrapolated)


FULL = Sizes(n_orbits={"three-body": 5000, "two-body": 1000},
             n_reference={"three-body": 200, "two-body": 100})
QUICK = Sizes(n_orbits={"three-body": 300, "two-body": 200},
              n_reference={"three-body": 10, "two-body": 10})


def nbody_update(system: NBody, state: np.ndarray) -> np.ndarray:
    """The original `update` / `get_accelerations`: a [bodies, (mass, qx, qy)] table, then per
    body the other bodies' rows and the sum of their pairwise accelerations.

    state: [dim] in hamnet's layout (positions, then momenta).  Returns d state/dt [dim].
    """
    n = system.n_bodies
    masses = np.asarray(system.masses)[:, None]
    q, p = state[: 2 * n].reshape(n, 2), state[2 * n:].reshape(n, 2)
    bodies = np.concatenate([masses, q], axis=1)
    net_accs = []
    for i in range(n):
        other_bodies = np.concatenate([bodies[:i], bodies[i + 1:]], axis=0)
        displacements = other_bodies[:, 1:3] - bodies[i, 1:3]
        distances = (displacements**2).sum(1, keepdims=True) ** 0.5
        pointwise_accs = system.gravity * other_bodies[:, 0:1] * displacements / distances**3
        net_accs.append(pointwise_accs.sum(0, keepdims=True))
    forces = masses * np.concatenate(net_accs, axis=0)
    return np.concatenate([(p / masses).reshape(-1), forces.reshape(-1)])


def reference_orbits(system: NBody, x0: np.ndarray, t: np.ndarray, rtol: float,
                     atol: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Orbits one at a time and their derivatives.

    Returns (x[k, T, dim], dxdt[k, T, dim], mean right-hand-side evaluations per orbit).
    """
    states, evaluations = scipy_rollout(lambda y: nbody_update(system, y), x0, t, rtol, atol)
    states = states.transpose(1, 0, 2)
    return states, np.stack([[nbody_update(system, s) for s in orbit] for orbit in states]), evaluations


def bench_system(name: str, sizes: Sizes) -> dict[str, float]:
    """Both ways on the same initial states; seconds (reference extrapolated) and agreement."""
    system = hamnet.systems.get(name)
    recipe = dataclasses.replace(system.recipe, n_trajectories=sizes.n_orbits[name])
    system.vector_field, calls = counted(system.vector_field)  # on this instance only
    (t, ours, _), ours_time = measure(
        lambda: hamnet.data.generate_trajectories(system, recipe, torch.Generator().manual_seed(SEED)))
    k = sizes.n_reference[name]
    (theirs, _, ref_evaluations), ref_time = measure(
        lambda: reference_orbits(system, ours[:k, 0].numpy(), t.numpy(), recipe.rtol, recipe.atol))
    per_orbit = np.abs(ours[:k].numpy() - theirs).max(axis=(1, 2))
    ref_total = ref_time.best / k * recipe.n_trajectories
    return {"orbits": recipe.n_trajectories, "ref_k": k, "ref_s": ref_time.best, "ref_total_s": ref_total,
            "hamnet_s": ours_time.best, "speedup": ref_total / ours_time.best,
            "ref_evaluations": ref_evaluations, "hamnet_evaluations": calls[0],
            "diff_median": float(np.median(per_orbit)), "diff_max": float(per_orbit.max())}


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    sizes = QUICK if args.quick else FULL
    print_header("bench_data: generate_trajectories (batched dopri5) vs solve_ivp per orbit (RK45), "
                 "float64, rtol = atol = 1e-9", args.quick)
    results = {name: bench_system(name, sizes) for name in ("three-body", "two-body")}
    print("reference timed on a subset of the orbits (column 'subset'), extrapolated linearly to all")
    print_table(["system", "orbits", "subset", "ref s (subset)", "ref s (all, extrap.)", "hamnet s",
                 "speedup", "ref evals/orbit", "hamnet evals", "max|diff| median orbit", "worst orbit"],
                [[name, r["orbits"], r["ref_k"], r["ref_s"], r["ref_total_s"], r["hamnet_s"],
                  f"{r['speedup']:.1f}x", r["ref_evaluations"], r["hamnet_evaluations"], r["diff_median"],
                  r["diff_max"]] for name, r in results.items()])
    print(f"data_speedup[two-body] {results['two-body']['speedup']:.1f}x")
    print_footer(f"data_speedup {results['three-body']['speedup']:.1f}x")


if __name__ == "__main__":
    main()

"""Scaling: how hamnet's time grows with the work, as exponents of least-squares log-log fits.

(a) training samples: `hamnet.training.train_one`, HNN, fixed steps, full batch, spring samples;
(b) rollout trajectories: `hamnet.rollout` (dopri5) of the true spring field, float64;
(c) bodies: `NBody.vector_field` on a large batch for N = 2, 3, 5 bodies.
Exponent 1 in (a) and (b) means time proportional to the work; (c) has N² pairs, so 2.
Smaller exponents mean fixed costs (Python, dispatch, solver steps) still dominate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

import hamnet
from common import measure, parse_args, print_footer, print_header, print_table
from hamnet.systems.nbody import NBody
from hamnet.training import TrainSettings, train_one

SEED = 0


@dataclass(frozen=True)
class Sizes:
    samples: tuple[int, ...]
    train_steps: int
    trajectories: tuple[int, ...]
    bodies: tuple[int, ...]
    nbody_batch: int
    repeats: int


FULL = Sizes(samples=(500, 2000, 8000), train_steps=200, trajectories=(1000, 10_000, 100_000), bodies=(2, 3, 5),
             nbody_batch=100_000, repeats=5)
QUICK = Sizes(samples=(250, 1000, 4000), train_steps=20, trajectories=(100, 1000, 10_000), bodies=(2, 3, 5),
              nbody_batch=20_000, repeats=3)


def spring_states(n: int) -> torch.Tensor:
    """n spring states (the training annulus), seeded.  -> [n, 2] float64."""
    return hamnet.systems.get("spring").sample_initial(n, torch.Generator().manual_seed(SEED))


def time_training(n: int, sizes: Sizes) -> float:
    """Seconds for `train_steps` full-batch HNN steps on n spring samples (fp32)."""
    spring = hamnet.systems.get("spring")
    x = spring_states(n)
    data = (x, spring.vector_field(x))
    model = hamnet.models.build("hnn", spring.dim, generator=torch.Generator().manual_seed(SEED))
    settings = TrainSettings(steps=sizes.train_steps, batch_size=None, eval_every=sizes.train_steps)
    _, timing = measure(lambda: train_one(model, data, data, settings, seed=SEED, show_progress=False))
    return timing.best


def time_rollout(n: int, sizes: Sizes) -> float:
    """Seconds for dopri5 rollouts of n spring trajectories on the energy protocol's grid."""
    spring = hamnet.systems.get("spring")
    protocol = spring.energy_protocol
    t = torch.linspace(0.0, protocol.t_end, protocol.n_points, dtype=torch.float64)
    x0 = spring_states(n)
    _, timing = measure(lambda: hamnet.rollout(spring.vector_field, x0, t, rtol=1e-7, atol=1e-7),
                        repeats=sizes.repeats)
    return timing.best


def n_body_system(n: int) -> NBody:
    """A generic system of n unit masses (hamnet registers only two and three bodies)."""
    attributes = {"name": f"{n}-body", "dim": 4 * n, "n_bodies": n, "masses": (1.0,) * n}
    return type(f"Bodies{n}", (NBody,), attributes)()


def time_vector_field(n: int, sizes: Sizes) -> float:
    """Seconds for one `vector_field` call on `nbody_batch` random n-body states."""
    system = n_body_system(n)
    x = torch.randn(sizes.nbody_batch, system.dim, generator=torch.Generator().manual_seed(SEED),
                    dtype=torch.float64)
    _, timing = measure(lambda: system.vector_field(x), repeats=sizes.repeats, warmup=1)
    return timing.best


def fit_exponent(sizes: tuple[int, ...], seconds: list[float]) -> float:
    """Slope of log(seconds) against log(size), least squares."""
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    sizes = QUICK if args.quick else FULL
    print_header("bench_scaling: time vs work, exponents of log-log least-squares fits", args.quick)
    series: dict[str, tuple[str, tuple[int, ...], Callable[[int, Sizes], float]]] = {
        "samples": (f"train {sizes.train_steps} full-batch HNN steps", sizes.samples, time_training),
        "trajectories": ("dopri5 spring rollouts, t in [0, 20], rtol 1e-7", sizes.trajectories, time_rollout),
        "bodies": (f"N-body vector_field on {sizes.nbody_batch} states", sizes.bodies, time_vector_field),
    }
    exponents = {}
    rows = []
    for name, (what, points, timer) in series.items():
        timer(points[0], sizes)  # warm-up, untimed: first calls pay one-off costs
        seconds = [timer(n, sizes) for n in points]
        exponents[name] = fit_exponent(points, seconds)
        rows += [[name, what, n, s] for n, s in zip(points, seconds)]
    print_table(["series", "work", "size", "seconds"], rows)
    print_table(["series", "exponent"], [[name, f"{e:.2f}"] for name, e in exponents.items()])
    print_footer("scaling_exponents " + " ".join(f"{name}={e:.2f}" for name, e in exponents.items()))


if __name__ == "__main__":
    main()

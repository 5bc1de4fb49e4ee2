"""Rollout speed: `hamnet.rollout` on all states at once vs SciPy one trajectory at a time.

Model: an HNN briefly trained with `hamnet.training.train_one` on the task's quick-preset data
(a few hundred steps), run in float32 (the original's precision: its model was float32,
SciPy's states float64) and in float64 (hamnet's metrics). A fresh model's field is nearly constant and both
solvers would cross [0, t_end] in a handful of steps; a trained one needs the step counts
of the real dynamics. Reference: the original `integrate_model`, i.e.
`solve_ivp(RK45)` per trajectory with the model called on one [1, dim] state that requires
grad, J ∇H by double backprop with create_graph=True as the original HNN did. Both sides
use the same model in the same dtype with float64 states, at rtol = atol = 1e-7, on the energy protocol's time grid. The reference is timed on a subset
of the trajectories and extrapolated linearly to all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

import hamnet
from common import counted, measure, parse_args, print_footer, print_header, print_table
from original import scipy_rollout
from hamnet.experiments import RunConfig
from hamnet.hamiltonian import hamiltonian_vector_field
from hamnet.models import DynamicsModel
from hamnet.pipeline import build_data, build_model
from hamnet.systems import System
from hamnet.training import train_one

SEED = 0
TOL = 1e-7
SYSTEMS = ("spring", "two-body")


@dataclass(frozen=True)
class Sizes:
    n_states: int
    n_reference: int  # trajectories the reference integrates (the rest is extrapolated)
    n_points: int | None  # None: the energy protocol's
    train_steps: dict[str, int]  # training steps of the model rolled out, per system


FULL = Sizes(n_states=1000, n_reference=20, n_points=None, train_steps={"spring": 300, "two-body": 1000})
QUICK = Sizes(n_states=200, n_reference=3, n_points=50, train_steps={"spring": 100, "two-body": 200})


def trained_hnn(task: str, steps: int) -> DynamicsModel:
    """An HNN trained `steps` steps on the task's quick-preset data (float32), eval mode."""
    config = RunConfig.for_task(task, "hnn", seed=SEED, preset="quick", steps=steps)
    data, model = build_data(config), build_model(config)
    train_one(model, data.train_tensors(), data.test_tensors(), config.train, seed=SEED, show_progress=False)
    return model.eval()


def model_field(model: DynamicsModel) -> Callable[[np.ndarray], np.ndarray]:
    """The original `integrate_model`'s right-hand side: one state in, one derivative out,
    J ∇H by generic double backprop (`autograd.grad(..., create_graph=True)`) as the original
    HNN's `time_derivative` did, in the model's dtype (the original: float32)."""

    def field(y: np.ndarray) -> np.ndarray:
        x = torch.tensor(y, dtype=model.dtype, requires_grad=True).view(1, -1)
        return hamiltonian_vector_field(model.hamiltonian, x, create_graph=True).detach().numpy().reshape(-1)

    return field


def bench_system(system: System, sizes: Sizes, model: DynamicsModel) -> dict[str, float]:
    """Both rollouts of the same states (float64 states, the model in its own dtype);
    seconds (reference extrapolated) and max abs difference."""
    protocol = system.energy_protocol
    x0 = system.sample_evaluation_initial(sizes.n_states, torch.Generator().manual_seed(SEED))
    t = torch.linspace(0.0, protocol.t_end, sizes.n_points or protocol.n_points, dtype=torch.float64)
    field, calls = counted(model.time_derivative)

    def batched() -> torch.Tensor:
        with torch.no_grad():
            return hamnet.rollout(field, x0.to(torch.float64), t, method="dopri5", rtol=TOL, atol=TOL)

    ours, ours_time = measure(batched)
    k = sizes.n_reference
    (theirs, ref_evaluations), ref_time = measure(
        lambda: scipy_rollout(model_field(model), x0[:k].numpy(), t.numpy(), TOL, TOL))
    ref_total = ref_time.best / k * sizes.n_states
    return {"model dtype": str(model.dtype).removeprefix("torch."), "states": sizes.n_states, "points": t.numel(), "ref_s": ref_time.best, "ref_total_s": ref_total,
            "hamnet_s": ours_time.best, "speedup": ref_total / ours_time.best,
            "ref_evaluations": ref_evaluations, "hamnet_evaluations": calls[0],
            "max_abs_diff": float(np.abs(ours[:, :k].numpy() - theirs).max())}


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    sizes = QUICK if args.quick else FULL
    print_header("bench_rollout: hamnet.rollout (dopri5, batched) vs solve_ivp per trajectory "
                 f"(RK45), briefly trained HNN, rtol = atol = {TOL:g}", args.quick)
    results = {}
    for name in SYSTEMS:
        model = trained_hnn(name, sizes.train_steps[name])
        for dtype in (torch.float32, torch.float64):  # the original's precision, then hamnet's metrics'
            results[name, dtype] = bench_system(hamnet.systems.get(name), sizes, model.to(dtype))
    print(f"reference timed on the first {sizes.n_reference} trajectories, extrapolated linearly "
          f"to {sizes.n_states}; states float64 on both sides, the model in the dtype shown")
    print_table(["system", "model dtype", "states", "points", "ref s (subset)", "ref s (all, extrap.)", "hamnet s",
                 "speedup", "ref evals/traj", "hamnet evals", "max |diff|"],
                [[name, r["model dtype"], r["states"], r["points"], r["ref_s"], r["ref_total_s"], r["hamnet_s"],
                  f"{r['speedup']:.1f}x", r["ref_evaluations"], r["hamnet_evaluations"], r["max_abs_diff"]]
                 for (name, _), r in results.items()])
    for (name, dtype), r in results.items():
        print(f"rollout_speedup[{name}, {str(dtype).removeprefix('torch.')} model] {r['speedup']:.1f}x")
    print_footer(f"rollout_speedup {min(r['speedup'] for (_, d), r in results.items() if d == torch.float32):.1f}x "
                 "(float32 model, the original's precision; float64 above)")


if __name__ == "__main__":
    main()

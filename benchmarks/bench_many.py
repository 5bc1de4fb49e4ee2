"""Many runs at once: `reproduce`'s seeds trained together (`train_runs` -> `train_many`) vs
the same runs one by one (`train_run`), same configs, data and seeds.

Prints the throughput ratio, each run's final test loss both ways (they must agree within
1 %), and whether two batched runs gave bit-identical weights (determinism).
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import torch

from common import measure, parse_args, print_footer, print_header, print_table
from hamnet.metrics import loss_estimates
from hamnet.runs import RunConfig, train_run, train_runs

SEEDS = (0, 1, 2)
TASKS = ("spring", "two-body")
QUICK_STEPS = {"spring": 200, "two-body": 500}


def configs(task: str, quick: bool) -> list[RunConfig]:
    """The paper's settings for `task`, HNN, one config per seed (fewer steps with --quick)."""
    runs = [RunConfig.for_task(task, "hnn", seed) for seed in SEEDS]
    if quick:
        runs = [dataclasses.replace(c, train=dataclasses.replace(c.train, steps=QUICK_STEPS[task])) for c in runs]
    return runs


def test_loss(model: torch.nn.Module, config: RunConfig) -> float:
    return loss_estimates(model.double(), config.dataset().test_tensors())["loss"].mean


def bench_task(task: str, quick: bool, folder: Path) -> list:
    runs = configs(task, quick)
    for config in runs:
        config.dataset()  # generate and cache the data outside the timings
    alone, one_by_one = measure(lambda: [train_run(c, folder / f"{task}-alone-{c.seed}", show_progress=False)[0]
                                         for c in runs])
    together, batched = measure(lambda: [m for m, _ in train_runs(runs, [folder / f"{task}-together-{c.seed}"
                                                                          for c in runs], show_progress=False)])
    again = [m for m, _ in train_runs(runs, [folder / f"{task}-again-{c.seed}" for c in runs], show_progress=False)]
    deterministic = all(torch.equal(p, q) for a, b in zip(together, again)
                        for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    losses = [(test_loss(a, c), test_loss(b, c)) for a, b, c in zip(alone, together, runs)]
    worst = max(abs(b / a - 1) for a, b in losses)
    print(f"{task}: final test losses one-by-one vs together: "
          + ", ".join(f"{a:.4e} / {b:.4e}" for a, b in losses) + f"  (worst relative difference {worst:.1e})")
    return [task, len(runs), runs[0].train.steps, one_by_one.best, batched.best,
            f"{one_by_one.best / batched.best:.2f}x", f"{worst:.1e}", "yes" if deterministic else "NO"]


def main() -> None:
    args = parse_args(__doc__)
    print_header("bench_many: seeds trained together (torch.func.vmap over stacked parameters) vs one by one",
                 args.quick)
    with tempfile.TemporaryDirectory() as folder:
        rows = [bench_task(task, args.quick, Path(folder)) for task in TASKS]
    print_table(["task", "runs", "steps", "one-by-one s", "together s", "throughput", "max rel. diff",
                 "deterministic"], rows)
    print_footer(f"many_runs_speedup {min(float(r[5].rstrip('x')) for r in rows):.2f}x")


if __name__ == "__main__":
    main()

"""Many runs at once: `reproduce`'s way (every run a single-threaded job, the jobs side by
side on one worker process per core, longest first: `hamnet.jobs.JobPool`) vs the same runs
one by one with `train_run` on all cores.

Workload per task: its 6 runs at the paper's settings (baseline and HNN × seeds 0, 1, 2).
Prints the throughput ratio, each run's final test loss both ways (within 1 %: the paths
differ only in thread count, i.e. in float rounding) and whether two pooled passes gave
bit-identical weights (determinism).
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import torch

from common import measure, parse_args, print_footer, print_header, print_table
from hamnet.experiments import RunConfig
from hamnet.jobs import JobPool, usable_cores
from hamnet.metrics import loss_estimates
from hamnet.objectives import DerivativeMSE
from hamnet.pipeline import build_data, build_model, train_run
from hamnet.pipeline.run_jobs import training_cost
from hamnet.training import train_one

SEEDS = (0, 1, 2)
MODELS = ("baseline", "hnn")
TASKS = ("spring", "two-body")
QUICK_STEPS = {"spring": 200, "two-body": 500}


def configs(task: str, quick: bool) -> list[RunConfig]:
    """The paper's settings for `task`, both models × seeds (fewer steps with --quick)."""
    runs = [RunConfig.for_task(task, model, seed) for model in MODELS for seed in SEEDS]
    if quick:
        runs = [dataclasses.replace(c, train=dataclasses.replace(c.train, steps=QUICK_STEPS[task])) for c in runs]
    return runs


def pooled(runs: list[RunConfig], folder: Path) -> list[torch.nn.Module]:
    """The runs as `reproduce` schedules them: single-threaded jobs, longest first."""
    models: dict[int, torch.nn.Module] = {}
    with JobPool(usable_cores()) as pool:
        for i, config in enumerate(runs):
            n_train = len(build_data(config).train_tensors()[0])
            pool.add(i, training_cost(config, n_train), train_run, config, folder / f"{i}", False, False)
        for i, future in pool.finished():
            models[i] = future.result()[0]
    return [models[i] for i in range(len(runs))]


def test_loss(model: torch.nn.Module, config: RunConfig) -> float:
    return loss_estimates(model.double(), DerivativeMSE(), build_data(config).test_tensors())["loss"].mean


def bench_task(task: str, quick: bool, folder: Path) -> list:
    runs = configs(task, quick)
    for config in runs:
        build_data(config)  # generate and cache the data outside the timings
    alone, one_by_one = measure(lambda: [train_run(c, folder / f"{task}-alone-{i}", show_progress=False)[0]
                                         for i, c in enumerate(runs)])
    together, side_by_side = measure(lambda: pooled(runs, folder / f"{task}-pooled"))
    again = pooled(runs, folder / f"{task}-again")
    deterministic = all(torch.equal(p, q) for a, b in zip(together, again)
                        for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    losses = [(test_loss(a, c), test_loss(b, c)) for a, b, c in zip(alone, together, runs)]
    worst = max(abs(b / a - 1) for a, b in losses)
    print(f"{task}: final test losses one-by-one vs side by side: "
          + ", ".join(f"{c.model} {c.seed} {a:.4e} / {b:.4e}" for (a, b), c in zip(losses, runs))
          + f"  (worst relative difference {worst:.1e})")
    return [task, len(runs), runs[0].train.steps, one_by_one.best, side_by_side.best,
            f"{one_by_one.best / side_by_side.best:.2f}x", f"{worst:.1e}", "yes" if deterministic else "NO"]


def step_ms(task: str, model: str, threads: int, steps: int = 200) -> float:
    """Milliseconds per training step of one run of `task` with `threads` PyTorch threads."""
    config = RunConfig.for_task(task, model, SEEDS[0])
    settings = dataclasses.replace(config.train, steps=steps, eval_every=steps)
    data, net = build_data(config), build_model(config)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        _, timing = measure(lambda: train_one(net, data.train_tensors(), data.test_tensors(), settings,
                                              seed=SEEDS[0], show_progress=False), repeats=2, warmup=1)
    finally:
        torch.set_num_threads(before)
    return timing.best / steps * 1e3


def main() -> None:
    args = parse_args(__doc__)
    print_header(f"bench_many: {usable_cores()} single-threaded jobs side by side vs one run at a time "
                 f"on {torch.get_num_threads()} threads", args.quick)
    with tempfile.TemporaryDirectory() as folder:
        rows = [bench_task(task, args.quick, Path(folder)) for task in TASKS]
    print_table(["task", "runs", "steps", "one-by-one s", "side by side s", "throughput", "max rel. diff",
                 "deterministic"], rows)
    threads = torch.get_num_threads()
    print(f"why: ms per training step on 1 thread vs {threads} (two single-threaded runs side by side "
          f"beat one run on {threads} threads when the ratio is below 2)")
    print_table(["task", "model", "1 thread ms", f"{threads} threads ms", "ratio"],
                [[task, model, one, many, f"{one / many:.2f}"] for task in TASKS for model in MODELS
                 for one, many in [(step_ms(task, model, 1), step_ms(task, model, threads))]])
    print_footer(f"many_runs_speedup {min(float(r[5].rstrip('x')) for r in rows):.2f}x")


if __name__ == "__main__":
    main()

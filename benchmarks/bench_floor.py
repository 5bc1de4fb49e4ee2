"""The whole table's floor: the matrix products its training must run, at this machine's
best measured product rate, on all its usable cores.

For every task of the paper table (full preset, its default models and seeds) the FLOPs
of one training step are counted by `torch.utils.flop_counter.FlopCounterMode`: the
difference between `train_one` of 2 steps and of 1 (so the test-set evaluation both do
cancels). Times the preset's steps and seeds, that is the products a `hamnet reproduce`
must compute. The rate is the best one core reaches on the products those steps run
(fp32; bf16 where the CPU multiplies it natively), so the floor is a lower bound: no
elementwise work, Adam, data, rendering or evaluation, and every product at peak. The
reference is the issue's target: the whole table in 8 minutes on 2 cores.
"""

from __future__ import annotations

import dataclasses

import torch
from torch.utils.flop_counter import FlopCounterMode

from common import measure, parse_args, print_footer, print_header, print_table
from hamnet import experiments
from hamnet.experiments import RunConfig
from hamnet.jobs import single_threaded, usable_cores
from hamnet.pipeline import build_data, build_model, build_objective
from hamnet.training import train_one
from hamnet.training.precision import bf16_supported

TARGET_SECONDS = 8 * 60.0
#: (m, k, n) of the products the table's steps run most: the pixel autoencoder's
#: 200×1568×200 (forward, back and weight gradient) and the state MLPs' hidden layer.
SHAPES = ((200, 1568, 200), (200, 200, 1568), (1568, 200, 200), (750, 200, 200), (600, 200, 200),
          (200, 200, 200))


def step_flops(task: str) -> dict[str, tuple[int, int]]:
    """Per default model of `task`: (FLOPs of one full-preset training step, its training
    steps). The task's data set is built once: its models share it."""
    data, out = None, {}
    for model in experiments.get(task, "full").models:
        config = RunConfig.for_task(task, model, preset="full")
        data = build_data(config) if data is None else data
        objective = build_objective(config)
        train, test = objective.tensors(data, "train"), objective.tensors(data, "test")

        def counted(steps: int) -> int:
            settings = dataclasses.replace(config.train, steps=steps)
            with FlopCounterMode(display=False) as counter:
                train_one(build_model(config), train, test, settings, seed=0, objective=objective,
                          show_progress=False)
            return counter.get_total_flops()

        out[model] = (counted(2) - counted(1), config.train.steps)
    return out


def best_rate(dtype: torch.dtype, repeats: int) -> float:
    """The best FLOP/s one core reaches over `SHAPES` in `dtype` (best of `repeats` samples of 20 calls)."""
    generator = torch.Generator().manual_seed(0)
    rates = []
    for m, k, n in SHAPES:
        a = torch.randn(m, k, generator=generator).to(dtype)
        b = torch.randn(k, n, generator=generator).to(dtype)
        _, timing = measure(lambda: [torch.mm(a, b) for _ in range(20)], repeats=repeats, warmup=1)
        rates.append(20 * 2 * m * k * n / timing.best)
    return max(rates)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    print_header("bench_floor: the paper table's training products at this machine's peak product rate", args.quick)
    preset = experiments.PRESETS["full"]
    cores = usable_cores()
    with single_threaded():  # one job per core, as reproduce runs them
        rates = {"fp32": best_rate(torch.float32, 3 if args.quick else 9)}
        if bf16_supported("cpu"):
            rates["bf16"] = best_rate(torch.bfloat16, 3 if args.quick else 9)
        tasks = ("spring", "two-body") if args.quick else preset.tasks
        rows, total = [], 0.0
        for task in tasks:
            for model, (flops, steps) in step_flops(task).items():
                work = flops * steps * preset.seeds
                total += work
                rows.append([task, model, flops / 1e9, steps, preset.seeds, work / 1e12,
                             *(work / (rate * cores) for rate in rates.values())])
    print("best product rate on one core: "
          + ", ".join(f"{name} {rate / 1e9:.0f} GFLOP/s" for name, rate in rates.items()) + f"; {cores} cores")
    print_table(["task", "model", "GFLOP per step", "steps", "seeds", "TFLOP", *(f"floor s ({n})" for n in rates)],
                rows)
    floors = {name: total / (rate * cores) for name, rate in rates.items()}
    print("whole table: " + ", ".join(f"{name} floor {s:.0f} s" for name, s in floors.items())
          + f" ({total / 1e12:.1f} TFLOP)")
    print_footer(f"table_floor {floors['fp32']:.0f} s = {floors['fp32'] / TARGET_SECONDS:.2f} of the 8-minute target "
                 f"(fp32 products alone, {cores} cores at peak)")


if __name__ == "__main__":
    main()

"""Training speed: hamnet's `train` vs the original HNN code's loop, and hamnet's FLOP efficiency.

Reference: the original loops (spring: full batch and the full test set evaluated with
create_graph every step; two-body: random batch of 200, a flattened copy of the gradient,
a random test batch of 200 every step; `.item()` of both losses every step), in float32,
on the same data and for the same number of steps as hamnet's paper settings. Where the
CPU multiplies bfloat16 natively (AVX512-BF16 or AMX), hamnet's loop also runs with
`precision="bf16"` (bfloat16 matrix products, float32 weights and elementwise maths).
"""

from __future__ import annotations

import copy
import dataclasses

import torch
from torch import Tensor

from common import HIDDEN, gemm_rate, measure, parse_args, print_footer, print_header, print_table, step_profile
from original import OriginalHNN, full_batch_loop, l2_loss
from hamnet import experiments
from hamnet.data import Dataset
from hamnet.experiments import RunConfig
from hamnet.metrics import as_float64, loss_estimates
from hamnet.models import DynamicsModel
from hamnet.objectives import DerivativeMSE
from hamnet.pipeline import build_data, build_model
from hamnet.training import bf16_supported, train_one

SEED = 0
TASKS = ("spring", "two-body")
#: Steps of the --quick smoke run (the full run uses the paper's: 2000 and 10000).
QUICK_STEPS = {"spring": 200, "two-body": 500}
#: GEMM passes through a 200x200 layer per HNN training step (forward, input gradient, and
#: the backward of both): 6 passes of 2·N·200² FLOP.
HNN_PASSES = 6


def reference_setup(data: Dataset, weight_decay: float) -> tuple[OriginalHNN, torch.optim.Optimizer,
                                                                  Tensor, Tensor, Tensor, Tensor]:
    """The original scripts' preamble: seeded model, Adam, float32 tensors (inputs require grad)."""
    torch.manual_seed(SEED)
    model = OriginalHNN(data.dim)
    optim = torch.optim.Adam(model.parameters(), 1e-3, weight_decay=weight_decay)
    x = data.x_train.to(torch.float32).requires_grad_(True)
    test_x = data.x_test.to(torch.float32).requires_grad_(True)
    return model, optim, x, test_x, data.dxdt_train.to(torch.float32), data.dxdt_test.to(torch.float32)


def reference_spring(data: Dataset, steps: int) -> OriginalHNN:
    """The original spring/pendulum loop: full batch, full test set every step."""
    model, optim, x, test_x, dxdt, test_dxdt = reference_setup(data, weight_decay=1e-4)
    full_batch_loop(model, optim, x, dxdt, test_x, test_dxdt, steps)
    return model


def reference_two_body(data: Dataset, steps: int, batch_size: int = 200) -> OriginalHNN:
    """The original two-body loop: random batches, gradient copy, random test batch every step."""
    model, optim, x, test_x, dxdt, test_dxdt = reference_setup(data, weight_decay=0.0)
    stats: dict[str, list[float]] = {"train_loss": [], "test_loss": []}
    for _ in range(steps):
        ixs = torch.randperm(x.shape[0])[:batch_size]
        dxdt_hat = model.time_derivative(x[ixs])
        loss = l2_loss(dxdt[ixs], dxdt_hat)
        loss.backward()
        torch.cat([p.grad.flatten() for p in model.parameters()]).clone()  # `grad`, for its log line
        optim.step()
        optim.zero_grad()
        test_ixs = torch.randperm(test_x.shape[0])[:batch_size]
        test_dxdt_hat = model.time_derivative(test_x[test_ixs])
        test_loss = l2_loss(test_dxdt[test_ixs], test_dxdt_hat)
        stats["train_loss"].append(loss.item())
        stats["test_loss"].append(test_loss.item())
    return model


REFERENCES = {"spring": reference_spring, "two-body": reference_two_body}


def reference_test_loss(model: OriginalHNN, data: Dataset) -> float:
    """The dx/dt MSE of the reference model on the full test set, in float64."""
    model64 = copy.deepcopy(model).double()
    x = data.x_test.to(torch.float64).requires_grad_(True)
    return float(l2_loss(data.dxdt_test.to(torch.float64), model64.time_derivative(x).detach()))


def hamnet_test_loss(model: DynamicsModel, data: Dataset) -> float:
    return loss_estimates(as_float64(model), DerivativeMSE(), data.test_tensors())["loss"].mean


def bench_task(task: str, quick: bool) -> dict[str, float]:
    """Train both ways on the same data; seconds, test losses and hamnet's GEMM efficiency."""
    config = RunConfig.for_task(task, "hnn", seed=SEED, preset="quick" if quick else "full")
    settings = experiments.get(task, "full").train
    if quick:
        settings = dataclasses.replace(settings, steps=QUICK_STEPS[task])
    data = build_data(config)
    batch = settings.batch_size or data.x_train.shape[0]

    reference, ref_time = measure(lambda: REFERENCES[task](data, settings.steps))
    model = build_model(config)
    rate_before = gemm_rate(batch)
    _, ham_time = measure(lambda: train_one(model, data.train_tensors(), data.test_tensors(), settings,
                                            seed=SEED, show_progress=False))
    rate = max(rate_before, gemm_rate(batch))
    achieved = HNN_PASSES * 2 * batch * HIDDEN**2 * settings.steps / ham_time.best
    ref_loss, ham_loss = reference_test_loss(reference, data), hamnet_test_loss(model, data)
    result = {"steps": settings.steps, "batch": batch, "ref_s": ref_time.best, "hamnet_s": ham_time.best,
              "speedup": ref_time.best / ham_time.best, "ref_loss": ref_loss, "hamnet_loss": ham_loss,
              "loss_rel_diff": abs(ham_loss - ref_loss) / ref_loss, "gemm_gflops": rate / 1e9,
              "achieved_gflops": achieved / 1e9, "efficiency": achieved / rate}
    if bf16_supported("cpu"):
        bf16 = dataclasses.replace(settings, precision="bf16")
        model = build_model(config)
        _, bf16_time = measure(lambda: train_one(model, data.train_tensors(), data.test_tensors(), bf16,
                                                 seed=SEED, show_progress=False))
        result |= {"bf16_s": bf16_time.best, "bf16_speedup": ref_time.best / bf16_time.best,
                   "bf16_loss": hamnet_test_loss(model, data)}
    return result


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    print_header("bench_train: hamnet.training.train_one vs the original HNN training loop (HNN, fp32)", args.quick)
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])  # the first Adam imports torch._dynamo (~2 s)
    results = {task: bench_task(task, args.quick) for task in TASKS}
    print_table(["task", "steps", "batch", "reference s", "hamnet s", "speedup",
                 "ref test loss", "hamnet test loss", "rel diff"],
                [[task, r["steps"], r["batch"], r["ref_s"], r["hamnet_s"], f"{r['speedup']:.2f}x",
                  r["ref_loss"], r["hamnet_loss"], r["loss_rel_diff"]] for task, r in results.items()])
    if all("bf16_s" in r for r in results.values()):
        print("hamnet's loop with precision bf16 (bfloat16 matrix products), against the same reference")
        print_table(["task", "hamnet bf16 s", "speedup", "vs hamnet fp32", "bf16 test loss", "fp32 test loss"],
                    [[task, r["bf16_s"], f"{r['bf16_speedup']:.2f}x", f"{r['hamnet_s'] / r['bf16_s']:.2f}x",
                      r["bf16_loss"], r["hamnet_loss"]] for task, r in results.items()])
    else:
        print("precision bf16: not measured (this CPU has neither AVX512-BF16 nor AMX)")
    print("FLOP efficiency of hamnet's loop: 12·N·200² FLOP per step on the 200x200 layer "
          "÷ measured torch.mm rate at the same N")
    print_table(["task", "N", "achieved GFLOP/s", "GEMM GFLOP/s", "efficiency"],
                [[task, r["batch"], r["achieved_gflops"], r["gemm_gflops"], f"{r['efficiency']:.0%}"]
                 for task, r in results.items()])
    print("hamnet's step, top ops by self CPU time (torch.profiler, 100 steps)")
    print_table(["task", "op", "share", "calls/step"], [row for task in TASKS for row in step_profile(task)])
    for task, r in results.items():
        bf16 = f"  bf16 {r['bf16_speedup']:.2f}x" if "bf16_s" in r else ""
        print(f"train_speedup[{task}] {r['speedup']:.2f}x{bf16}")
    print_footer(f"train_speedup {min(r['speedup'] for r in results.values()):.2f}x")


if __name__ == "__main__":
    main()

"""The GPU path: ms per training step per task (alone and 6 runs stacked, eager and replayed
as a CUDA graph), and the whole paper table on the GPU from a cold and a warm data cache.

Step times: each task's full-preset data, batch and model (HNN and baseline; the pixel
pendulum's autoencoder objective), `hamnet.training.train` for S and for 2S steps, the
difference divided by S (so the set-up, the warm-up and the capture do not count), divided
again by the number of runs in the stack. The table: `hamnet reproduce --device cuda`
(full preset, 3 seeds) as a process, with an empty data cache (cold: generation and
rendering count), then again into a new folder with that cache (warm).
References: the targets, ≤ 0.1 ms per spring HNN step with 6 runs stacked, the table ≤ 60 s
cold and ≤ 20 s warm on one H100. Without a CUDA device it says the figures are pending;
`--device cpu` runs the same measurements on the CPU (no graphs there).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from common import print_footer, print_header, print_table
from hamnet.experiments import RunConfig
from hamnet.pipeline import build_data, build_model, build_objective
from hamnet.training import train

TASKS = ("spring", "pendulum", "real-pendulum", "two-body", "three-body", "pixel-pendulum")
MODELS = ("hnn", "baseline")
STACKED = 6  # a task's runs: 2 models x 3 seeds; here 6 seeds of one model
TARGET_STEP_MS, TARGET_COLD_S, TARGET_WARM_S = 0.1, 60.0, 20.0


def step_ms(task: str, model: str, runs: int, device: str, graphs: bool, steps: int) -> float:
    """Wall ms per step per run of `runs` stacked runs of `task`'s `model` (see the docstring)."""
    configs = [RunConfig.for_task(task, model, seed, device=device) for seed in range(runs)]
    data = build_data(configs[0])
    objective = build_objective(configs[0])

    def timed(n: int) -> float:
        models = [build_model(c).to(device) for c in configs]
        settings = dataclasses.replace(configs[0].train, steps=n, eval_every=n, checkpoint_every=n)
        start = time.perf_counter()
        train(models, [data.train_tensors()] * runs, [data.test_tensors()] * runs, settings, list(range(runs)),
              objective, show_progress=False, graphs=graphs)
        return time.perf_counter() - start

    timed(steps)  # warm-up: kernels loaded, caches filled
    return (timed(2 * steps) - timed(steps)) / steps / runs * 1e3


def table_seconds(out: Path, cache: Path, device: str, quick: bool) -> float:
    """Wall seconds of `hamnet reproduce` (full preset, 3 seeds; --quick: the quick preset)."""
    command = [sys.executable, "-m", "hamnet", "reproduce", "--device", device, "--out", str(out)]
    command += ["--quick"] if quick else ["--preset", "full", "--seeds", "3"]
    start = time.perf_counter()
    done = subprocess.run(command, env={**os.environ, "HAMNET_CACHE_DIR": str(cache)}, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="reduced sizes: a smoke run, not the figures")
    parser.add_argument("--device", default="cuda", help="cuda (default) or cpu (the same measurements, no graphs)")
    args = parser.parse_args()
    print_header(f"bench_gpu: training steps and the whole table on {args.device}", args.quick)
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print_footer("gpu_table pending: no CUDA device on this machine")
        return
    if args.device.startswith("cuda"):
        print(f"device: {torch.cuda.get_device_name(args.device)}")
    steps = 20 if args.quick else 200
    tasks = TASKS[:1] if args.quick else TASKS
    rows, spring_stacked = [], float("nan")
    for task in tasks:
        for model in MODELS:
            times = {(runs, graphs): step_ms(task, model, runs, args.device, graphs, steps)
                     for runs in (1, STACKED) for graphs in (False, True)}
            rows.append([task, model] + [times[key] for key in [(1, False), (1, True), (STACKED, False), (STACKED, True)]])
            if (task, model) == ("spring", "hnn"):
                spring_stacked = times[(STACKED, True)]
    print(f"ms per step per run ({steps} steps; graphs: replayed as a CUDA graph where the device has them)")
    print_table(["task", "model", "alone eager", "alone graph", f"{STACKED} stacked eager", f"{STACKED} stacked graph"],
                rows)
    print(f"spring HNN, {STACKED} stacked: {spring_stacked:.3f} ms per step per run "
          f"(target ≤ {TARGET_STEP_MS} ms)")
    with tempfile.TemporaryDirectory() as folder:
        cold = table_seconds(Path(folder) / "cold", Path(folder) / "cache", args.device, args.quick)
        warm = table_seconds(Path(folder) / "warm", Path(folder) / "cache", args.device, args.quick)
    preset = "quick preset" if args.quick else "full preset, 3 seeds"
    print_table(["table", "cold cache s", "warm cache s"], [[preset, cold, warm]])
    print_footer(f"gpu_table {cold:.0f} s cold = {cold / TARGET_COLD_S:.2f} of the 60 s target, "
                 f"{warm:.0f} s warm = {warm / TARGET_WARM_S:.2f} of 20 s")


if __name__ == "__main__":
    main()

"""Whole processes on one core: `hamnet train` + `hamnet evaluate` against the plain script.

The plain script is `original.py`: the original HNN code's way with PyTorch, NumPy and
SciPy only (double-backprop training with the full test set scored every step, then
`solve_ivp` rollouts one trajectory at a time). Both sides get the same spring data set
(hamnet's, seed 0: the script reads it from an .npz, hamnet from its cache) and the paper's
2000 full-batch steps, and score the same things: the test loss, and the energy MSE along
rollouts from the energy protocol's 15 states (`hamnet evaluate --horizon none`: without
the long-horizon metrics, which the script does not compute). Every process is started
with OMP_NUM_THREADS=1; pairs alternate, medians reported. hamnet's reference rollouts
(the true flow) are cached on disk after its first evaluation; the script integrates them
every time. Where the CPU multiplies bfloat16 natively, hamnet also runs `--precision bf16`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from common import parse_args, print_footer, print_header, print_table
from hamnet.experiments import RunConfig
from hamnet.metrics import reference_rollouts
from hamnet.pipeline import build_data
from hamnet.training import bf16_supported

HERE = Path(__file__).resolve().parent
PAIRS, QUICK_PAIRS = 3, 1
STEPS, QUICK_STEPS = 2000, 200


def write_data(path: Path) -> None:
    """The spring data set and the energy protocol's start states and times, as float64 arrays."""
    config = RunConfig.for_task("spring", "hnn")
    data = build_data(config)
    t, _, x0 = reference_rollouts(config.system(), config.system().energy_protocol)
    np.savez(path, x_train=data.x_train.numpy(), dxdt_train=data.dxdt_train.numpy(), x_test=data.x_test.numpy(),
             dxdt_test=data.dxdt_test.numpy(), x0=x0.numpy(), t=t.numpy())


def timed(command: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one process (raises with its stderr if it fails)."""
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    return seconds


def hamnet_pair(run: Path, steps: int, env: dict[str, str], precision: str) -> tuple[float, float]:
    """Seconds of `hamnet train` and of `hamnet evaluate --horizon none` on a fresh run directory."""
    hamnet = [sys.executable, "-m", "hamnet"]
    train = timed([*hamnet, "train", "--task", "spring", "--model", "hnn", "--steps", str(steps), "--out", str(run),
                   "--overwrite", "--precision", precision], env)
    return train, timed([*hamnet, "evaluate", str(run), "--horizon", "none"], env)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    print_header("bench_pipeline: hamnet train + evaluate vs the plain script (spring HNN, whole processes, "
                 "1 thread)", args.quick)
    pairs, steps = (QUICK_PAIRS, QUICK_STEPS) if args.quick else (PAIRS, STEPS)
    precisions = ["fp32", "bf16"] if bf16_supported("cpu") else ["fp32"]
    env = dict(os.environ, OMP_NUM_THREADS="1", CI="true")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_data(work / "spring.npz")
        seconds: dict[str, list[float]] = {"plain": []} | {f"{p} {part}": [] for p in precisions
                                                             for part in ("train", "evaluate")}
        for _ in range(pairs):
            seconds["plain"].append(timed([sys.executable, str(HERE / "original.py"), str(work / "spring.npz"),
                                           str(work / "plain.json"), str(steps)], env))
            for precision in precisions:
                train, evaluate = hamnet_pair(work / precision, steps, env, precision)
                seconds[f"{precision} train"].append(train)
                seconds[f"{precision} evaluate"].append(evaluate)
        plain = json.loads((work / "plain.json").read_text())
        scores = {p: json.loads((work / p / "metrics.json").read_text()) for p in precisions}
    median = {name: statistics.median(values) for name, values in seconds.items()}
    rows = [["plain script", median["plain"], "", median["plain"], "1.00x", plain["test_loss"], plain["energy_mse"]]]
    for p in precisions:
        total = median[f"{p} train"] + median[f"{p} evaluate"]
        rows.append([f"hamnet {p}", median[f"{p} train"], median[f"{p} evaluate"], total,
                     f"{median['plain'] / total:.2f}x", scores[p]["test_loss"], scores[p]["energy_mse"]])
    print(f"{steps} steps; medians of {pairs} alternated pairs")
    print_table(["side", "train s", "evaluate s", "total s", "speedup", "test loss", "energy MSE"], rows)
    for row in rows[2:]:
        print(f"pipeline_speedup[{row[0].split()[-1]}] {row[4]}")
    print_footer(f"pipeline_speedup {rows[1][4]}")


if __name__ == "__main__":
    main()

"""Exported field vs eager PyTorch, one core: the same trained-size HNN field x -> dx/dt
(the paper's 2x200 MLP, its gradient in closed form) evaluated by hamnet in eager torch
(the reference), by onnxruntime from the `hamnet export --format onnx` file, by the
torch.export program (`--format pt2`) and by the AOTInductor package (`--format aoti`,
compiled here: about 20 s). Batches of 1 (a controller's step), 64 and 10 000 states, and
a 1000-step RK4 rollout of one state driven from NumPy (what docs/export.md runs).

Every path is checked against eager torch before it is timed (largest difference printed).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import torch

from common import measure, parse_args, print_footer, print_header, print_table
from hamnet.experiments import RunConfig
from hamnet.export import export_run
from hamnet.export.formats import get
from hamnet.pipeline import train_run


def rk4(field, x: np.ndarray, h: float, steps: int) -> np.ndarray:
    """A fixed-step RK4 rollout driven from NumPy: x[1, dim] -> the final state."""
    for _ in range(steps):
        k1 = field(x)
        k2 = field(x + h / 2 * k1)
        k3 = field(x + h / 2 * k2)
        k4 = field(x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    torch.set_num_threads(1)
    print_header("bench_export: the exported field (onnxruntime, torch.export, AOTInductor) vs eager torch, "
                 "one core", args.quick)
    repeats, steps = (5, 100) if args.quick else (30, 1000)
    folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
    run = folder / "two-body-hnn"
    train_run(RunConfig.for_task("two-body", "hnn", 0, "quick", 20), run)
    formats = ["onnx", "pt2"] if args.quick else ["onnx", "pt2", "aoti"]
    runners = {}
    for name in formats:
        path = export_run(run, name, folder / f"field-{name}{get(name).suffix}", states=1000).path
        runners[name] = get(name).load(path)
    import hamnet

    model = hamnet.load(run)

    def eager(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return model.time_derivative(torch.from_numpy(x)).numpy()

    paths = {"eager torch": eager} | runners
    rows, rollout_ratio = [], {}
    generator = np.random.default_rng(0)
    for batch in (1, 64, 10_000):
        x = generator.normal(size=(batch, 8)).astype(np.float32)
        reference = eager(x)
        times = {}
        for name, run_field in paths.items():
            difference = float(np.abs(run_field(x) - reference).max())
            _, timing = measure(lambda: run_field(x), repeats=repeats, warmup=3)
            times[name] = timing.median
            rows.append([batch, name, f"{1e6 * timing.median:.1f}", f"{times['eager torch'] / timing.median:.2f}",
                         f"{difference:.1e}"])
    x0 = generator.normal(size=(1, 8)).astype(np.float32) * 0.5
    rollout = {}
    for name, run_field in paths.items():
        _, timing = measure(lambda: rk4(run_field, x0, 0.01, steps), repeats=3, warmup=1)
        rollout[name] = timing.median
        rows.append([f"rk4 x{steps}", name, f"{1e6 * timing.median:.1f}",
                     f"{rollout['eager torch'] / timing.median:.2f}", "—"])
        rollout_ratio[name] = rollout["eager torch"] / timing.median
    print_table(["states", "path", "median µs", "speed vs eager", "max |Δ| vs eager"], rows)
    print_footer(f"export_speedup onnx {rollout_ratio['onnx']:.2f}x pt2 {rollout_ratio['pt2']:.2f}x"
                 + (f" aoti {rollout_ratio['aoti']:.2f}x" if "aoti" in rollout_ratio else "")
                 + " (one-state RK4 rollout vs eager torch, one core)")


if __name__ == "__main__":
    main()

"""How well decoded rollouts of a pixel task with bodies stay on their orbits.

    python scripts/orbit_radius.py results/pixels/runs/pixel-two-body-*

For each run directory (evaluated: its `rollouts.safetensors`), over its test rollouts:
how many stay within `--bound` of the origin (the frames show ±2.5), and the median over
rollouts of |r̂ − r| / r, the first body's distance from the centre read out from the
model's rollout against the true one, at 1×, 2× and 5× the training span.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hamnet.metrics import Rollouts
from hamnet.runs import ROLLOUTS, load_config, load_stamped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--bound", type=float, default=3.0, help="distance from the origin that counts as escaped")
    args = parser.parse_args()
    print("| run | rollouts within the bound | radius error at 1× | 2× | 5× the training span |")
    print("|---|---|---|---|---|")
    for run in args.runs:
        tensors = load_stamped(run / ROLLOUTS, run)
        if tensors is None:
            raise SystemExit(f"{run}: no rollouts of these weights; run `hamnet evaluate {run}` first")
        rollouts, config = Rollouts.from_tensors(tensors), load_config(run)
        system = config.system()
        true, model = system.body_positions(rollouts.true)[..., 0, :], system.body_positions(rollouts.model)[..., 0, :]
        radius, predicted = true.norm(dim=-1), model.norm(dim=-1)  # [T, b]
        error = (predicted - radius).abs() / radius
        span = config.recipe["n_frames"] - 1
        at = [f"{float(error[min(k * span, error.shape[0] - 1)].median()):.3f}" for k in (1, 2, 5)]
        within = int((predicted.nan_to_num(nan=float("inf")).amax(0) < args.bound).sum())
        print(f"| {run.name} | {within} / {radius.shape[1]} | " + " | ".join(at) + " |")


if __name__ == "__main__":
    main()

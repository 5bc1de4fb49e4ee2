"""How well decoded rollouts of a pixel task with bodies stay on their orbits.

    python scripts/orbit_radius.py results/pixels/runs/pixel-two-body-*

For each run directory (evaluated: its `rollouts.safetensors`), over its test rollouts:
how many stay within `--bound` of the origin (the frames show ±2.5), and at 1×, 2× and 5×
the training span the median over rollouts of two errors of the first body's position read
out from the model's rollout: the radius error |r̂ − r| / r against the true position at
that time, and the off-orbit distance, how far the predicted position lies from the true
orbit (the nearest of the true trajectory's positions over the whole rollout) over the
orbit's mean radius. The first counts a model that runs ahead or behind on the right orbit
as wrong; the second does not.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch

from hamnet.errors import HamnetError, exit_with
from hamnet.metrics import Rollouts
from hamnet.runs import ROLLOUTS, load_config, load_stamped


def off_orbit(predicted: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """Distance of each predicted position [T, b, 2] from the true orbit (the set of true
    positions [T, b, 2] of the same rollout), over its mean radius.  -> [T, b]."""
    nearest = (predicted[:, None] - true[None]).norm(dim=-1).amin(dim=1)  # [T, b]
    return nearest / true.norm(dim=-1).mean(dim=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--bound", type=float, default=3.0, help="distance from the origin that counts as escaped")
    args = parser.parse_args()
    if not (math.isfinite(args.bound) and args.bound > 0):
        exit_with(f"error: --bound must be a positive number, got {args.bound}")
    rows = [row(run, args.bound) for run in args.runs]  # every run read before anything prints
    print("| run | rollouts within the bound | radius error at 1× | 2× | 5× | off-orbit distance at 1× | 2× | 5× |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


def row(run: Path, bound: float) -> str:
    """The table row of one run directory (exits in one line if it has no bodies' rollouts)."""
    try:
        config = load_config(run)
        system = config.system()
        tensors = load_stamped(run / ROLLOUTS, run)
    except HamnetError as exc:
        exit_with(f"error: {exc}")
    if "n_frames" not in config.recipe or system.body_positions(torch.zeros(1, system.dim)) is None:
        exit_with(f"error: {run}: task {config.task!r} is no pixel task of bodies with orbits")
    if tensors is None:
        exit_with(f"error: {run}: no rollouts of these weights; run `hamnet evaluate {run}` first")
    rollouts = Rollouts.from_tensors(tensors)
    true, model = system.body_positions(rollouts.true)[..., 0, :], system.body_positions(rollouts.model)[..., 0, :]
    radius, predicted = true.norm(dim=-1), model.norm(dim=-1)  # [T, b]
    radius_error = (predicted - radius).abs() / radius
    distance = off_orbit(model, true).nan_to_num(nan=float("inf"))
    span = config.recipe["n_frames"] - 1
    times = [min(k * span, radius.shape[0] - 1) for k in (1, 2, 5)]
    cells = [f"{float(error[i].median()):.3f}" for error in (radius_error, distance) for i in times]
    within = int((predicted.nan_to_num(nan=float("inf")).amax(0) < bound).sum())
    return f"| {run.name} | {within} / {radius.shape[1]} | " + " | ".join(cells) + " |"


if __name__ == "__main__":
    main()

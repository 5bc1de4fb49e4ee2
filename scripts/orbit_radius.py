"""How well decoded rollouts of a pixel task with bodies stay on their orbits.

    python scripts/orbit_radius.py results/pixels/runs/pixel-two-body-*

For each run directory (evaluated: its `rollouts.safetensors`), over its test rollouts:
how many stay within `--bound` of the origin (the frames show ±2.5), and at 1×, 2× and 5×
the training span the median over rollouts of the off-orbit distance of the first body's
position read out from the model's rollout latents: how far it lies from the true orbit
(the nearest of the true trajectory's positions over the whole rollout) over the orbit's
mean radius, which does not count running ahead or behind on the right orbit. Then the same
of what the decoded frames show (`hamnet.metrics.decoded_coordinates`: the latents decoded
to frames, encoded again and read out, so a decoder that draws the bodies elsewhere than
its latents say, or smears them, counts), and the largest of its medians over the whole
rollout.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch

from hamnet.errors import HamnetError, exit_with
from hamnet.metrics import Rollouts, as_float64, decoded_coordinates, off_orbit
from hamnet.pipeline.load import load
from hamnet.runs import ROLLOUTS, load_config, load_stamped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--bound", type=float, default=3.0, help="distance from the origin that counts as escaped")
    args = parser.parse_args()
    if not (math.isfinite(args.bound) and args.bound > 0):
        exit_with(f"error: --bound must be a positive number, got {args.bound}")
    rows = [row(run, args.bound) for run in args.runs]  # every run read before anything prints
    print("| run | rollouts within the bound | off-orbit distance at 1× | 2× | 5× "
          "| decoded frames' off-orbit at 1× | 2× | 5× | largest, up to 5× |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


def row(run: Path, bound: float) -> str:
    """The table row of one run directory (exits in one line if it has no bodies' rollouts)."""
    try:
        config = load_config(run)
        system = config.system()
        tensors = load_stamped(run / ROLLOUTS, run)
        trained = load(run)
    except HamnetError as exc:
        exit_with(f"error: {exc}")
    if "n_frames" not in config.recipe or system.body_positions(torch.zeros(1, system.dim)) is None:
        exit_with(f"error: {run}: task {config.task!r} is no pixel task of bodies with orbits")
    if tensors is None:
        exit_with(f"error: {run}: no rollouts of these weights; run `hamnet evaluate {run}` first")
    rollouts = Rollouts.from_tensors(tensors)
    true, model = system.body_positions(rollouts.true)[..., 0, :], system.body_positions(rollouts.model)[..., 0, :]
    read_out = off_orbit(model, true).median(dim=1).values  # [T]
    seen = system.body_positions(decoded_coordinates(as_float64(trained), rollouts.states))[..., 0, :]
    decoded = off_orbit(seen, true).median(dim=1).values
    span = config.recipe["n_frames"] - 1
    times = [min(k * span, len(read_out) - 1) for k in (1, 2, 5)]
    cells = [f"{float(median[i]):.3f}" for median in (read_out, decoded) for i in times]
    cells.append(f"{float(decoded[: times[-1] + 1].max()):.3f}")
    within = int((model.norm(dim=-1).nan_to_num(nan=float("inf")).amax(0) < bound).sum())
    return f"| {run.name} | {within} / {true.shape[1]} | " + " | ".join(cells) + " |"


if __name__ == "__main__":
    main()

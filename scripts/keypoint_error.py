"""How precisely a keypoint encoder reads the first body's position, motion and acceleration.

    python scripts/keypoint_error.py results/pixels/runs/pixel-two-body-hnn-seed0
    python scripts/keypoint_error.py RUN --gain 90     # the same heat maps, gain 90, no bias

For a run of a pixel task with bodies and `encoder = "keypoints"`: its encoder's keypoint of
the first frame of every observation of the test episodes, mapped to the first body's
position by the least-squares affine map; then, in pixels (RMS per axis), the error of that
position, of its one-frame change (what a latent momentum reads) and of its second
difference (what the forces are learned from), each beside the true one's RMS. With
`--gain G` the run's keypoint maps are replaced by a fixed soft-argmax of gain G and no
per-pixel bias, to tell the learned maps' error from the soft-argmax's own.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch

from hamnet.errors import HamnetError, exit_with
from hamnet.models.keypoints import KeypointEncoder
from hamnet.pipeline.build import build_data
from hamnet.pipeline.load import load
from hamnet.runs import load_config
from hamnet.systems.pixel_frames import SIDE


def errors(keypoints: torch.Tensor, positions: torch.Tensor, pixel: float) -> list[tuple[str, float, float | None]]:
    """keypoints [E, T, 2], true positions [E, T, 2] (world units), `pixel` world units a
    pixel -> rows (name, error RMS, true RMS or None) in pixels: the position read out by the
    least-squares affine map, its one-frame change and its second difference along time."""
    design = torch.cat([keypoints, torch.ones_like(keypoints[..., :1])], dim=-1).flatten(0, 1)
    fit = torch.linalg.lstsq(design, positions.flatten(0, 1)).solution
    mapped = (design @ fit).unflatten(0, keypoints.shape[:2])
    rms = lambda x: float(x.pow(2).mean().sqrt()) / pixel  # noqa: E731
    rows: list[tuple[str, float, float | None]] = [("position", rms(mapped - positions), None)]
    for n, name in ((1, "one-frame change"), (2, "second difference")):
        truth = positions.diff(dim=1, n=n)
        rows.append((name, rms(mapped.diff(dim=1, n=n) - truth), rms(truth)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--gain", type=float, default=None, help="a fixed soft-argmax gain instead of the run's maps")
    args = parser.parse_args()
    if args.gain is not None and not (math.isfinite(args.gain) and args.gain > 0):
        exit_with(f"error: --gain must be a positive number, got {args.gain}")
    try:
        config, model = load_config(args.run), load(args.run)
    except HamnetError as exc:
        exit_with(f"error: {exc}")
    encoder = getattr(getattr(model, "autoencoder", None), "encoder", None)
    if not isinstance(encoder, KeypointEncoder):
        exit_with(f"error: {args.run}: its model has no keypoint encoder (a pixel task with encoder = \"keypoints\")")
    if args.gain is not None:
        encoder.gain.fill_(args.gain)
        encoder.bias.zero_()
    data, system = build_data(config), config.system()
    with torch.no_grad():
        keypoints = encoder.keypoints(data.episodes_test[..., :SIDE * SIDE].to(encoder.bias.dtype)).double()
    positions = system.body_positions(data.episode_coords_test)[..., 0, :]
    pixel = 2 * system.drawing(data.episode_coords_test[0, :1]).half_width / SIDE
    gain = f"{float(encoder.gain.flatten()[0]):.1f}"
    print(f"| {args.run.name} (gain {gain}{', no bias' if args.gain is not None else ''}) | error, px RMS | true, px RMS |")
    print("|---|---|---|")
    for name, error, true in errors(keypoints, positions, pixel):
        print(f"| {name} | {error:.3f} | " + ("—" if true is None else f"{true:.3f}") + " |")


if __name__ == "__main__":
    main()

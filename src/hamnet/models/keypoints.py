"""A keypoint encoder: frames -> soft-argmax positions in the image and their motion.

For frames of bodies in the plane (`hamnet.systems.pixel_frames`), the latent the HNN needs
is canonical: positions and something proportional to their velocities. The keypoint is
the expected pixel position under a heat map, softmax over the pixels of `GAIN · blurred
frame` (the frame blurred by a fixed Gaussian of `BLUR` pixels: the spatial soft-argmax of
deep spatial autoencoders, Finn et al. 2016, without the convolutions), which follows the
brightest body. Of two stacked frames it returns the keypoint of the first and its motion
to the second: z = (k(frame t), k(frame t+1) − k(frame t)), so the autoencoder objective's
canonical term, dw = w(t+1) − w(t), holds by construction.

Nothing here is learned. An earlier version learned the gain and a bias per pixel; on
two-body frames the learned bias made the keypoint's one-frame motion 2× noisier and its
second difference (what the forces are learned from) 5× the true one's size, and the gain
it settled at (150) lets the heat map lock to the pixel grid: with gain 90 and no bias the
motion's error is 0.016 pixel RMS against 0.090, the second difference's 0.018 against a
true 0.023 (`scripts/keypoint_error.py`, docs/tasks.md). GAIN suits discs of ~2 pixels'
radius at grey level 0.5, the drawing of `pixel-two-body`. Gain and bias stay buffers of
those names, so that runs of the earlier version load and evaluate as they trained.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..errors import InvalidValueError

#: Width (pixels) of the Gaussian that blurs frames before the heat maps.
BLUR = 2.0
#: Gain of the heat map: the least motion error on two-body frames (0.019, 0.016, 0.017 pixel
#: RMS at 80, 90, 100; 0.049 at 160).
GAIN = 90.0


class KeypointEncoder(nn.Module):
    """obs [..., 2·side²] (two stacked frames, row-major) -> z [..., 4K]: K keypoints (x, y)
    of the first frame, then their displacement to the second; x and y in [−1, 1] across
    the frame, y up."""

    def __init__(self, side: int, n_keypoints: int):
        super().__init__()
        self.side, self.n_keypoints = side, n_keypoints
        self.register_buffer("gain", torch.full((n_keypoints, 1), GAIN))
        self.register_buffer("bias", torch.zeros(n_keypoints, side * side))
        centres = (torch.arange(side) + 0.5) / side * 2 - 1
        y, x = torch.meshgrid(-centres, centres, indexing="ij")
        self.register_buffer("grid", torch.stack([x.flatten(), y.flatten()], dim=-1), persistent=False)
        offsets = torch.arange(side, dtype=torch.float64)
        gauss = torch.exp(-(offsets[:, None] - offsets[None, :]) ** 2 / (2 * BLUR**2))
        self.register_buffer("blur", (gauss / gauss.sum(0, keepdim=True)).to(torch.float32), persistent=False)

    def keypoints(self, frames: Tensor) -> Tensor:
        """frames [..., side²] -> keypoints [..., K·2]."""
        image = frames.unflatten(-1, (self.side, self.side))
        blur = self.blur.to(frames.dtype)
        blurred = (blur.T @ image @ blur).flatten(-2)  # separable: rows, then columns
        logits = blurred.unsqueeze(-2) * self.gain + self.bias  # [..., K, side²]
        heat = torch.softmax(logits, dim=-1)
        return (heat @ self.grid.to(heat.dtype)).flatten(-2)

    def forward(self, obs: Tensor) -> Tensor:
        first, second = obs.split(self.side * self.side, dim=-1)
        now = self.keypoints(first)
        return torch.cat([now, self.keypoints(second) - now], dim=-1)


def check_keypoint_latent(obs_dim: int, latent_dim: int) -> int:
    """The frame side of observations of `obs_dim` values (two square frames), given a latent
    of 4 values (one keypoint: unlearned heat maps would give every further one the same
    place); raises InvalidValueError otherwise."""
    side = math.isqrt(obs_dim // 2)
    if 2 * side * side != obs_dim or latent_dim != 4:
        raise InvalidValueError(f"a keypoint encoder needs two square frames and 4 latents (one keypoint), "
                                f"got {obs_dim} values and {latent_dim} latents")
    return side

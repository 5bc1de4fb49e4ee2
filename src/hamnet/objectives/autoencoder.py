"""The pixel tasks' objective (the paper's, for its pixel pendulum): an autoencoder and
latent dynamics learnt together from pairs of consecutive observations, or from windows
of several, along which the latent dynamics are unrolled."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from ..errors import InvalidValueError
from ..integrators import FIXED_STEP
from ..models import DynamicsModel
from .base import Objective, check_steps_setting

#: Weight of the latent-dynamics term in the loss (the paper's 0.1).
DYNAMICS_WEIGHT = 0.1
#: How the latent field predicts the next frame's latent: the paper's one Euler step, or
#: the flow over one frame by one step of an integrator (what rollouts integrate).
STEPS = ("euler", "rk4")
MAX_UNROLL = 100


class AutoencoderObjective(Objective):
    """Batch of a `LatentModel`: pairs (x_t[N, obs], x_{t+1}[N, obs]) (`unroll` = 1, the
    paper's), or windows (x[N, k+1, obs],) of k = `unroll` consecutive steps -> per-sample
    terms, each [N]: the autoencoder MSE of x_t (each observation is the first of one
    window, as of one pair), the canonical-coordinate term (dw_{t+i} − (w_{t+i+1} − w_{t+i}))²
    over i = 0 … k−1 and `DYNAMICS_WEIGHT` · MSE(z_{t+i}, ẑ_{t+i}) over i = 1 … k, each
    averaged over the window, and `loss`, their sum.

    ẑ is the latent field unrolled from z_t = encode(x_t), one `step` over each frame:
    `euler` (the paper's z + dz/dt) or `rk4`; the targets z_{t+i} are the encoded
    observations. With `scaled`, the dynamics MSE weighs each latent by the inverse
    variance of its one-frame change over the batch (a constant of the gradient;
    evaluation takes it per chunk of samples, `hamnet.metrics.loss_estimates`), so that a
    latent that moves little (dw, whose change is the acceleration) counts as much as one
    that moves a lot (w); unscaled (the paper's), it is the plain MSE. A window of one step
    is exactly a pair.
    """

    name = "autoencoder"
    observations = True

    def __init__(self, step: str = "euler", scaled: bool = False, unroll: int = 1):
        if step not in STEPS:
            raise InvalidValueError(f"the autoencoder objective's step must be one of {', '.join(STEPS)}, "
                                    f"got {step!r}")
        if not isinstance(scaled, bool):
            raise InvalidValueError(f"the autoencoder objective's scaled must be true or false, got {scaled!r}")
        check_steps_setting(unroll, "the autoencoder objective's unroll", MAX_UNROLL)
        self.step, self.scaled, self.unroll = step, scaled, unroll
        self.method = FIXED_STEP[step]()

    def settings(self) -> dict[str, Any]:
        return {"step": self.step, "scaled": self.scaled, "unroll": self.unroll}

    def evaluations_per_sample(self) -> float:
        return self.method.evaluations * self.unroll

    def tensors(self, data: Any, split: str) -> tuple[Tensor, ...]:
        return super().tensors(data, split) if self.unroll == 1 else data.windows(split, self.unroll)

    def terms(self, model: DynamicsModel, *batch: Tensor) -> dict[str, Tensor]:
        autoencoder = getattr(model, "autoencoder", None)
        if autoencoder is None:
            raise InvalidValueError(f"the {self.name} objective needs a model of observations "
                                    f"(a LatentModel), not {type(model).__name__}")
        frames = batch if len(batch) == 2 else batch[0].unbind(1)  # k + 1 of [N, obs]
        n, steps = frames[0].shape[0], len(frames) - 1
        # frame by frame, not as one batch of (k + 1)·N: the paper pendulum's runs keep their bits
        z = torch.stack([autoencoder.encode(frame) for frame in frames], dim=1)
        reconstruction = F.mse_loss(autoencoder.decode(z[:, 0]), frames[0], reduction="none").mean(dim=-1)
        half = z.shape[-1] // 2  # z = (w, dw): dw is how far w moves in one frame
        w, dw = z[..., :half], z[..., half:]
        canonical = (dw[:, :-1] - (w[:, 1:] - w[:, :-1])).pow(2).mean(dim=(1, 2))
        predicted, latent = [], z[:, 0]
        for _ in range(steps):
            latent = self.method.step(model.time_derivative, latent, 1.0)
            predicted.append(latent)
        squared = (z[:, 1:] - torch.stack(predicted, dim=1)).pow(2)  # [N, k, latents]
        if self.scaled:
            change = (z[:, 1:] - z[:, :-1]).detach().reshape(n * steps, -1)
            # a single one-frame change has no variance: its own square
            spread = change.var(dim=0) if change.shape[0] > 1 else change.pow(2).mean(dim=0)
            squared = squared / spread.clamp_min(1e-12)
        dynamics = squared.mean(dim=(1, 2))
        return {"loss": reconstruction + canonical + DYNAMICS_WEIGHT * dynamics,
                "autoencoder": reconstruction, "canonical": canonical, "dynamics": dynamics}

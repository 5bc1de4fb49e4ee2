"""The pixel tasks' objective (the paper's, for its pixel pendulum): an autoencoder and
latent dynamics learnt together from pairs of consecutive observations."""

from __future__ import annotations

from typing import Any

from torch import Tensor

from ..errors import InvalidValueError
from ..integrators import FIXED_STEP
from ..models import DynamicsModel
from .base import Objective

#: Weight of the latent-dynamics term in the loss (the paper's 0.1).
DYNAMICS_WEIGHT = 0.1
#: How the latent field predicts the next frame's latent: the paper's one Euler step, or
#: the flow over one frame by one step of an integrator (what rollouts integrate).
STEPS = ("euler", "rk4")


class AutoencoderObjective(Objective):
    """Batch (x_t[N, obs], x_{t+1}[N, obs]) of a `LatentModel` -> per-pair terms, each [N]:
    autoencoder MSE, the canonical-coordinate term (dw − (w_{t+1} − w_t))² and
    `DYNAMICS_WEIGHT` · MSE(z_{t+1}, ẑ_{t+1}), and `loss`, their sum.

    ẑ_{t+1} is one `step` of the latent field over one frame from z_t: `euler` (the
    paper's z_t + dz/dt) or `rk4`. With `scaled`, the dynamics MSE weighs each latent by
    the inverse variance of its one-frame change in the batch (a constant of the gradient;
    evaluation takes it per chunk of samples, `hamnet.metrics.loss_estimates`),
    so that a latent that moves little (dw, whose change is the acceleration) counts as
    much as one that moves a lot (w); unscaled (the paper's), it is the plain MSE.
    """

    name = "autoencoder"
    observations = True

    def __init__(self, step: str = "euler", scaled: bool = False):
        if step not in STEPS:
            raise InvalidValueError(f"the autoencoder objective's step must be one of {', '.join(STEPS)}, "
                                    f"got {step!r}")
        if not isinstance(scaled, bool):
            raise InvalidValueError(f"the autoencoder objective's scaled must be true or false, got {scaled!r}")
        self.step, self.scaled = step, scaled
        self.method = FIXED_STEP[step]()

    def settings(self) -> dict[str, Any]:
        return {"step": self.step, "scaled": self.scaled}

    def evaluations_per_sample(self) -> float:
        return self.method.evaluations

    def terms(self, model: DynamicsModel, x: Tensor, x_next: Tensor) -> dict[str, Tensor]:
        autoencoder = getattr(model, "autoencoder", None)
        if autoencoder is None:
            raise InvalidValueError(f"the {self.name} objective needs a model of observations "
                                    f"(a LatentModel), not {type(model).__name__}")
        z, z_next = autoencoder.encode(x), autoencoder.encode(x_next)
        reconstruction = (x - autoencoder.decode(z)).pow(2).mean(-1)
        half = z.shape[-1] // 2  # z = (w, dw): dw is how far w moves in one frame
        w, dw = z[:, :half], z[:, half:]
        canonical = (dw - (z_next[:, :half] - w)).pow(2).mean(-1)
        squared = (z_next - self.method.step(model.time_derivative, z, 1.0)).pow(2)
        if self.scaled:
            change = (z_next - z).detach()  # a single pair has no variance: its own square
            spread = change.var(dim=0) if change.shape[0] > 1 else change.pow(2).mean(dim=0)
            squared = squared / spread.clamp_min(1e-12)
        dynamics = squared.mean(-1)
        return {"loss": reconstruction + canonical + DYNAMICS_WEIGHT * dynamics,
                "autoencoder": reconstruction, "canonical": canonical, "dynamics": dynamics}

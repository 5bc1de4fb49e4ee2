"""The pixel tasks' objective (the paper's, for its pixel pendulum): an autoencoder and
latent dynamics learnt together from pairs of consecutive observations."""

from __future__ import annotations

from torch import Tensor

from ..errors import InvalidValueError
from ..models import DynamicsModel
from .base import Objective

#: Weight of the latent-dynamics term in the loss (the paper's 0.1).
DYNAMICS_WEIGHT = 0.1


class AutoencoderObjective(Objective):
    """Batch (x_t[N, obs], x_{t+1}[N, obs]) of a `LatentModel` -> per-pair terms, each [N]:
    autoencoder MSE, the canonical-coordinate term (dw − (w_{t+1} − w_t))² and
    `DYNAMICS_WEIGHT` · MSE(z_{t+1}, z_t + dz/dt) (one Euler step of one frame), and
    `loss`, their sum."""

    name = "autoencoder"
    observations = True

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
        dynamics = (z_next - (z + model.time_derivative(z))).pow(2).mean(-1)
        return {"loss": reconstruction + canonical + DYNAMICS_WEIGHT * dynamics,
                "autoencoder": reconstruction, "canonical": canonical, "dynamics": dynamics}

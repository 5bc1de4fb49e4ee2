"""Dynamics in the latent space of an autoencoder (the paper's pixel pendulum, and the
frames of any system: `hamnet.systems.pixel_frames`).

An MLP autoencoder maps observations (two stacked 28×28 frames, 1568 values in [0, 0.5]) to a
latent z = (w, dw) of the system's size and back; a state-space model (HNN or baseline, from the registry)
learns the latent dynamics. Time is measured in frames: one Euler step of Δt = 1 frame
predicts the next latent, as the paper trains it.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..errors import InvalidValueError
from .base import DynamicsModel
from .keypoints import KeypointEncoder, check_keypoint_latent
from .mlp import affine


#: Encoders an autoencoder may have (`RunConfig.encoder`).
ENCODERS = ("mlp", "linear", "keypoints")


class Autoencoder(nn.Module):
    """The paper's MLP autoencoder: obs → 200 → 200 → 200 → latent and back.

    ReLU; the 2nd and 3rd hidden layers of each half are residual (h = h + relu(W h + b));
    orthogonal weights. obs [..., obs_dim] <-> z [..., latent_dim]. `encoder="linear"`: the
    encoder is one affine map instead, for frames whose state is a linear function of the
    pixels (bodies of fixed size and brightness: their intensity-weighted centroids are
    linear functionals of the frame); `encoder="keypoints"`: soft-argmax keypoints and their
    motion (`KeypointEncoder`, 4 latents per keypoint). The decoder stays the MLP.
    """

    def __init__(self, obs_dim: int, latent_dim: int, width: int = 200,
                 generator: torch.Generator | None = None, encoder: str = "mlp"):
        super().__init__()
        if encoder not in ENCODERS:
            raise InvalidValueError(f"encoder must be one of {', '.join(ENCODERS)}, got {encoder!r}")
        if encoder == "keypoints":
            self.encoder: nn.Module = KeypointEncoder(check_keypoint_latent(obs_dim, latent_dim), latent_dim // 4)
        else:
            self.encoder = nn.ModuleList([nn.Linear(obs_dim, width), nn.Linear(width, width),
                                          nn.Linear(width, width), nn.Linear(width, latent_dim)]
                                         if encoder == "mlp" else [nn.Linear(obs_dim, latent_dim)])
        self.decoder = nn.ModuleList([nn.Linear(latent_dim, width), nn.Linear(width, width),
                                      nn.Linear(width, width), nn.Linear(width, obs_dim)])
        layers = [*(self.encoder if isinstance(self.encoder, nn.ModuleList) else []), *self.decoder]
        with torch.no_grad():
            for layer in layers:  # the encoder's first: the paper pendulum's runs keep their initial weights
                nn.init.orthogonal_(layer.weight, generator=generator)
                bound = layer.in_features ** -0.5
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)

    @staticmethod
    def _run(layers: nn.ModuleList, x: Tensor, from_latent: bool) -> Tensor:
        """The MLP half from observations to latents, or back (`from_latent`). Under bf16
        autocast every product runs in bfloat16 except those of the layer touching the latent
        (its states stay float32, as a state model's: `hamnet.models.mlp`); the pixels'
        layers may round, as frames hold 8-bit intensities anyway."""
        if len(layers) == 1:  # a linear encoder
            return affine(x, layers[0], inner=False)
        first, *residual, last = layers
        h = torch.relu(affine(x, first, inner=not from_latent))
        for layer in residual:
            h = h + torch.relu(affine(h, layer, inner=True))
        return affine(h, last, inner=from_latent)

    def encode(self, obs: Tensor) -> Tensor:
        if isinstance(self.encoder, KeypointEncoder):
            return self.encoder(obs)
        return self._run(self.encoder, obs, from_latent=False)

    def decode(self, z: Tensor) -> Tensor:
        return self._run(self.decoder, z, from_latent=True)


class LatentModel(DynamicsModel):
    """Autoencoder + latent dynamics model.  Observations [N, obs_dim], latents [N, dim],
    the system's coordinates [N, coord_dim] (default dim; fewer latents than coordinates
    where the coordinates are bound, as two bodies about a resting centre of mass).

    `time_derivative(z)` is the latent model's (per frame); `hamiltonian(z)` exists when
    the latent model has one. It trains with the `autoencoder` objective
    (`hamnet.objectives`) on pairs of consecutive observations. A fitted affine `readout` maps latents to the system's coordinates (q, p) for
    evaluation (`fit_readout`, done after training and saved with the weights).

    The dynamics model sees the latents divided by `latent_scale` (s_w on the half w, s_dw
    on dw; ones unless `fit_latent_scale` set them) and its field is scaled back by
    κ·s with κ = s_dw / s_w, so that an O(1) output of the model is a typical one-frame change:
    dz/dt = κ s ⊙ f(z / s). For an HNN this is the Hamiltonian field of s_dw² · H(z / s).
    """

    def __init__(self, dynamics: DynamicsModel, obs_dim: int, generator: torch.Generator | None = None,
                 encoder: str = "mlp", coord_dim: int | None = None):
        super().__init__(dynamics.dim, dynamics.hidden, dynamics.residual)
        self.kind, self.title, self.color = dynamics.kind, dynamics.title, dynamics.color
        self.obs_dim, self.encoder_kind = obs_dim, encoder
        self.coord_dim = coord_dim or dynamics.dim
        self.autoencoder = Autoencoder(obs_dim, dynamics.dim, generator=generator, encoder=encoder)
        self.dynamics = dynamics
        self.register_buffer("readout", torch.zeros(dynamics.dim + 1, self.coord_dim))
        self.register_buffer("latent_scale", torch.ones(dynamics.dim))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # weights from before the latent scale: unscaled latents, as they trained
        state_dict.setdefault(prefix + "latent_scale", torch.ones_like(self.latent_scale))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def spec(self) -> dict:
        return super().spec() | {"obs_dim": self.obs_dim, "encoder": self.encoder_kind, "coord_dim": self.coord_dim}

    def encode(self, obs: Tensor) -> Tensor:
        """obs [N, obs_dim] -> z [N, dim], in obs's dtype."""
        return self.autoencoder.encode(obs.to(self.dtype)).to(obs.dtype)

    def decode(self, z: Tensor) -> Tensor:
        """z [N, dim] -> obs [N, obs_dim], in z's dtype."""
        return self.autoencoder.decode(z.to(self.dtype)).to(z.dtype)

    def _time_derivative(self, z: Tensor) -> Tensor:
        scale = self.latent_scale
        return (scale[-1] / scale[0]) * scale * self.dynamics._time_derivative(z / scale)

    @property
    def has_hamiltonian(self) -> bool:
        return hasattr(self.dynamics, "hamiltonian")

    @property
    def separable(self) -> bool:  # type: ignore[override]
        return self.dynamics.separable

    def hamiltonian(self, z: Tensor) -> Tensor:
        """Learned energy of latents (HNN only), the one whose field `time_derivative` is.  z [N, dim] -> [N]."""
        scale = self.latent_scale
        return scale[-1] ** 2 * self.dynamics.hamiltonian(z / scale)

    def coordinates(self, z: Tensor) -> Tensor:
        """Latents -> the system's coordinates by the fitted affine readout.  [..., dim] -> [..., coord_dim]."""
        readout = self.readout.to(z.dtype)
        return z @ readout[:-1] + readout[-1]

    def from_coordinates(self, coords: Tensor) -> Tensor:
        """The inverse of `coordinates`: the latents of least norm that map to `coords` (the
        exact inverse where the readout is invertible; coordinates with a fixed relation, such
        as two bodies about their resting centre of mass, leave it singular).  [..., coord_dim] -> [..., dim]."""
        readout = self.readout.to(coords.dtype)
        return (coords - readout[-1]) @ torch.linalg.pinv(readout[:-1], rtol=1e-10)

    @torch.no_grad()
    def fit_latent_scale(self, x: Tensor) -> None:
        """With an encoder that learns nothing (`keypoints`), whose latents of the training
        observations `x` [N, obs_dim] are fixed: set `latent_scale` to the std of their w
        half and of their dw half (pooled over each half's latents, so that every conjugate
        pair has the same s_w · s_dw and an HNN stays Hamiltonian). Otherwise the scale stays 1."""
        if next(self.autoencoder.encoder.parameters(), None) is not None:
            return
        z = self.encode(x.to(self.latent_scale.device, self.dtype))
        half = z.shape[-1] // 2
        spread = torch.stack([z[:, :half].std(), z[:, half:].std()])
        self.latent_scale.copy_(spread.repeat_interleave(half))

    @torch.no_grad()
    def fit_readout(self, x: Tensor, coords: Tensor) -> None:
        """Least-squares affine map from encoded `x` [N, obs_dim] to `coords` [N, coord_dim] (float64)."""
        z = self.encode(x.to(self.dtype)).to(torch.float64)
        design = torch.cat([z, torch.ones_like(z[:, :1])], dim=-1)
        solution = torch.linalg.lstsq(design, coords.to(torch.float64)).solution
        self.readout.copy_(solution.to(self.readout.dtype))

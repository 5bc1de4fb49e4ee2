"""The latent scale of a `LatentModel`: the dynamics model sees the latents of an encoder
that learns nothing (`keypoints`) standardised, and an HNN's field stays Hamiltonian."""

from __future__ import annotations

import torch

from hamnet import models
from hamnet.systems.pixel_frames import SIDE

OBS = 2 * SIDE * SIDE


def _model(encoder: str) -> models.LatentModel:
    return models.build("hnn", 4, (32, 32), generator=torch.Generator().manual_seed(0), obs_dim=OBS,
                        encoder=encoder, coord_dim=8).double()


def _frames(n: int = 64) -> torch.Tensor:
    """Two stacked frames of one bright blob each, moving a little: [n, OBS] in [0, 0.5]."""
    g = torch.Generator().manual_seed(1)
    centre = torch.rand(n, 1, 2, generator=g, dtype=torch.float64) * 16 + 6
    centre = torch.cat([centre, centre + torch.randn(n, 1, 2, generator=g, dtype=torch.float64) * 0.5], dim=1)
    pixel = torch.stack(torch.meshgrid(torch.arange(SIDE), torch.arange(SIDE), indexing="ij"), -1).double() + 0.5
    distance = (pixel.reshape(1, 1, -1, 2) - centre[:, :, None, :].flip(-1)).norm(dim=-1)  # [n, 2, SIDE²]
    return (0.5 * (2.0 - distance).clamp(0, 1)).reshape(n, OBS)


def test_an_unlearned_encoders_latents_are_standardised_and_the_hnn_stays_hamiltonian() -> None:
    """The scale is each half's std; the field is J∇ of the model's `hamiltonian` (both in
    float64, from different products: 1e-9 relative is far above their rounding)."""
    model, x = _model("keypoints"), _frames()
    assert not list(model.autoencoder.encoder.parameters())
    model.fit_latent_scale(x)
    z = model.encode(x)
    scale = model.latent_scale
    assert torch.allclose(scale, torch.stack([z[:, :2].std()] * 2 + [z[:, 2:].std()] * 2), rtol=1e-12)
    assert scale[2] < 0.5 * scale[0]  # the motion is smaller than the positions: not the identity
    field = model.time_derivative(z)
    zz = z.clone().requires_grad_(True)
    grad = torch.autograd.grad(model.hamiltonian(zz).sum(), zz)[0]
    assert torch.allclose(field, torch.cat([grad[:, 2:], -grad[:, :2]], dim=-1), rtol=1e-9, atol=1e-12)
    assert not torch.allclose(field, model.dynamics.time_derivative(z), rtol=0.1)


def test_a_learned_encoders_latents_stay_unscaled() -> None:
    """An MLP encoder's latents move as it learns: no scale (dividing and multiplying by 1 is
    exact, so the field is the dynamics model's own, bit for bit)."""
    model, x = _model("mlp"), _frames()
    model.fit_latent_scale(x)
    z = model.encode(x)
    assert torch.equal(model.latent_scale, torch.ones(4, dtype=torch.float64))
    assert torch.equal(model.time_derivative(z), model.dynamics.time_derivative(z))
    assert torch.equal(model.hamiltonian(z), model.dynamics.hamiltonian(z))


def test_weights_saved_before_the_latent_scale_load_unscaled() -> None:
    """A run of the learned keypoints (gain and bias were parameters, no latent scale) loads
    with its own gain and bias and no scale: it evaluates as it trained."""
    model, x = _model("keypoints"), _frames()
    state = model.state_dict()
    del state["latent_scale"]
    state["autoencoder.encoder.gain"] = torch.full((1, 1), 150.0, dtype=torch.float64)
    state["autoencoder.encoder.bias"] = torch.rand(1, SIDE * SIDE, generator=torch.Generator().manual_seed(2))
    model.fit_latent_scale(x)
    assert not torch.equal(model.latent_scale, torch.ones(4, dtype=torch.float64))
    model.load_state_dict(state)
    assert torch.equal(model.latent_scale, torch.ones(4, dtype=torch.float64))
    assert float(model.autoencoder.encoder.gain) == 150.0
    assert torch.equal(model.autoencoder.encoder.bias, state["autoencoder.encoder.bias"].double())

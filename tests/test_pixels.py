"""Pixel pendulum: frame preprocessing, stacked-frame pairing, a tiny end-to-end run."""

from __future__ import annotations

import dataclasses
import math
import os

import numpy as np
import pytest
import torch
from PIL import Image

import hamnet
from hamnet.data.pixels import (FRAME_SIZE, OBS_SIZE, SIDE, pixel_pendulum_dataset, preprocess_frame, render_episodes,
                               render_from)
from hamnet.experiments import RunConfig
from hamnet.pipeline import build_data, evaluate_run, plot_run, train_run
from hamnet.systems.pixel_pendulum import PixelRecipe

TINY = PixelRecipe(n_episodes=5, n_frames=12, test_fraction=0.2)


@pytest.fixture(scope="module")
def tiny() -> hamnet.data.PixelData:
    return pixel_pendulum_dataset(TINY, seed=3)


def test_rendering_is_headless_and_preprocessing_shapes() -> None:
    frames, coords = render_episodes(2, 4, seed=0, show_progress=False)
    assert os.environ.get("SDL_VIDEODRIVER") == "dummy"
    assert frames.shape == (2, 4, SIDE, SIDE) and frames.dtype == np.uint8
    assert coords.shape == (2, 4, 2)
    assert frames.max() <= 127 and frames.min() == 0  # red − green: rod 127, background 0
    assert (frames > 60).sum(axis=(-2, -1)).min() > 20  # the rod is visible in every frame
    assert np.abs(coords[:, 0, 0]).max() < np.pi / 6 and np.abs(coords[:, 0, 1]).max() <= 0.25


def test_episodes_rendered_by_several_processes_equal_one_process_frames() -> None:
    """Each episode is rendered from its own initial state, so splitting them among worker
    processes changes nothing: frames and coordinates bit-identical."""
    initial = np.array([[0.1, -0.5], [-0.3, 0.2], [0.45, 0.9]])
    alone = render_from(initial, 4, seed=0, show_progress=False, workers=1)
    split = render_from(initial, 4, seed=0, show_progress=False, workers=2)
    assert np.array_equal(alone[0], split[0]) and np.array_equal(alone[1], split[1])
    assert not np.array_equal(alone[0][0], alone[0][1])  # the episodes differ: the order is checked


def test_preprocess_rejects_non_square_frames() -> None:
    with pytest.raises(hamnet.errors.InvalidValueError):
        preprocess_frame(np.zeros((10, 12, 3), dtype=np.uint8))


def test_stacked_frames_pair_up(tiny) -> None:
    n_train_episodes, pairs = 4, TINY.n_frames - 2
    assert tiny.x_train.shape == (n_train_episodes * pairs, OBS_SIZE)
    assert tiny.x_test.shape == (pairs, OBS_SIZE)
    assert 0.0 <= float(tiny.x_train.min()) and float(tiny.x_train.max()) <= 0.5
    # x_t = (frame t, frame t+1), x_{t+1} = (frame t+1, frame t+2): they share frame t+1
    assert torch.equal(tiny.x_train[:, FRAME_SIZE:], tiny.x_next_train[:, :FRAME_SIZE])
    # consecutive pairs within an episode chain up; episodes do not leak into each other
    assert torch.equal(tiny.x_next_train[0], tiny.x_train[1])
    assert not torch.equal(tiny.x_next_train[pairs - 1], tiny.x_train[pairs])
    assert tiny.episodes_test.shape == (1, TINY.n_frames - 1, OBS_SIZE)


def test_coordinates_follow_the_pendulum_hamiltonian(tiny) -> None:
    """Gym steps with semi-implicit Euler (Δt = 0.05 s), which exactly conserves the shadow
    Hamiltonian H − (Δt/2)·∂H/∂p·∂H/∂θ of H = 2p² + 3.75(1 − cos θ) up to O(Δt²): a sharp check
    of the conventions (θ from hanging, p = 0.25·θ̇, signs). H itself oscillates within a swing."""
    system = hamnet.systems.get("pixel-pendulum")
    theta, p = tiny.episode_coords_test[0].unbind(-1)
    energy = system.hamiltonian(tiny.episode_coords_test[0])
    shadow = energy - 0.025 * (4 * p) * (3.75 * torch.sin(theta))
    assert float((shadow - shadow[0]).abs().max()) < 2e-3 * float(shadow[0])
    assert float((energy - energy[0]).abs().max()) > 10 * float((shadow - shadow[0]).abs().max())


def test_tiny_pixel_run_end_to_end(tmp_path) -> None:
    config = RunConfig.for_task("pixel-pendulum", "hnn", preset="quick", steps=30)
    config = dataclasses.replace(config, recipe=dataclasses.asdict(TINY))
    model, _ = train_run(config, tmp_path / "run", show_progress=False)
    metrics = evaluate_run(tmp_path / "run")
    for key in ("train_loss", "test_loss_autoencoder", "test_loss_canonical", "test_loss_dynamics",
                "energy_mse", "reversibility_error"):
        assert np.isfinite(metrics[key]), key
    loaded = hamnet.load(tmp_path / "run")
    assert torch.equal(loaded.readout, model.readout) and bool(model.readout.abs().sum() > 0)
    x = build_data(config).x_test[:4]
    assert torch.equal(loaded.encode(x), model.encode(x))
    names = {p.name for p in plot_run(tmp_path / "run")}
    assert {"pixel_rollout.gif", "pixel_rollout_strip.png", "latent_portrait.png", "energy_bump.gif"} <= names
    with Image.open(tmp_path / "run" / "pixel_rollout.gif") as gif:
        assert gif.n_frames == TINY.n_frames - 1  # the whole test episode


def test_frame_recipe_crops_and_filters_as_asked() -> None:
    """The crop's top edge and the resize filter are recipe data: a lower crop moves the
    pivot's end of the rod down the frame; bilinear spreads the rod wider than the box filter."""
    original, earlier = PixelRecipe(), PixelRecipe(crop_width=1.4, crop_top=0.2, resize="box")
    frames = {name: render_episodes(1, 1, seed=0, show_progress=False, recipe=recipe)[0][0, 0]
              for name, recipe in (("original", original), ("earlier", earlier),
                                   ("original-box", dataclasses.replace(original, resize="box")))}
    top_row = {name: int(np.nonzero((frame > 20).any(axis=1))[0][0]) for name, frame in frames.items()}
    assert top_row["original"] > top_row["earlier"]  # 0.264 above the pivot leaves more room than 0.2
    assert (frames["original"] > 0).sum() > (frames["original-box"] > 0).sum()
    with pytest.raises(hamnet.errors.InvalidValueError, match="recipe.resize"):
        PixelRecipe(resize="lanczos")
    with pytest.raises(hamnet.errors.InvalidValueError, match="crop_width"):
        PixelRecipe(crop_width=9.0)


def test_configs_saved_before_the_frame_fields_keep_their_frames() -> None:
    """A config.json of an earlier version lacks the frame fields: it means the frames it was
    trained on (the recipe's EARLIER), not today's defaults."""
    config = RunConfig.for_task("pixel-pendulum", "hnn", preset="quick")
    assert config.recipe["resize"] == "bilinear" and config.recipe["crop_width"] == 1.496
    saved = config.to_dict()
    saved["recipe"] = {k: v for k, v in saved["recipe"].items() if k not in ("resize", "crop_width", "crop_top")}
    loaded = RunConfig.from_dict(saved).with_defaults()
    assert loaded.recipe == config.recipe | {"resize": "box", "crop_width": 1.4, "crop_top": 0.2}
    assert RunConfig.from_dict(config.to_dict()) == config


def test_paper_energy_episode_is_the_notebooks() -> None:
    observations, coords = hamnet.data.pixels.paper_energy_episode(PixelRecipe(), use_cache=False)
    assert observations.shape == (200, OBS_SIZE) and coords.shape == (200, 2)
    assert np.pi / 11 < abs(float(coords[0, 0])) < np.pi / 10 and float(coords[0, 1]) == 0.25 * 0.7326483270122512
    assert torch.equal(observations[1:, :FRAME_SIZE], observations[:-1, FRAME_SIZE:])


class _Exact(torch.nn.Module):
    """A 'latent model' of observations that are the coordinates themselves, with the
    pendulum's true field in frames (and friction `damping` per frame on p)."""

    def __init__(self, damping: float = 0.0) -> None:
        super().__init__()
        self.damping = torch.nn.Parameter(torch.tensor(damping))

    def encode(self, x):
        return x

    decode = coordinates = encode

    def time_derivative(self, z):
        friction = torch.stack([torch.zeros_like(z[..., 1]), -self.damping * z[..., 1]], dim=-1)
        return 0.05 * hamnet.systems.get("pixel-pendulum").vector_field(z) + friction


def test_decoded_energy_mse_is_small_for_the_true_flow_and_not_for_a_wrong_one() -> None:
    from hamnet.metrics import decoded_energy_mse

    system = hamnet.systems.get("pixel-pendulum")
    t = torch.arange(200, dtype=torch.float64) * 0.05
    coords = hamnet.rollout(system.vector_field, torch.tensor([[0.3, 0.1]], dtype=torch.float64), t,
                            rtol=1e-10, atol=1e-10)[:, 0]
    exact = decoded_energy_mse(_Exact(), system.paper_energy, coords, coords)
    wrong = decoded_energy_mse(_Exact(damping=0.02), system.paper_energy, coords, coords)
    assert exact.mean < 1e-14 and wrong.mean > 1e-6 and math.isfinite(wrong.se)

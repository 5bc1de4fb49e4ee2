"""Frames of any system (`hamnet.render`) and the pixel tasks made of them (`pixel-spring`,
`pixel-two-body`): shapes, batching, the data set, a tiny run end to end."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import torch
from PIL import Image

import hamnet
from hamnet.data.pixels import FRAME_SIZE, OBS_SIZE
from hamnet.experiments import RunConfig
from hamnet.pipeline import build_data, evaluate_run, load, plot_run, train_run
from hamnet.render import Block, Disc, Drawing, Rod, render_drawing, render_states
from hamnet.runs import load_config
from hamnet.systems.pixel_frames import FramesRecipe

SIDE = 28
PIXEL = 4.0 / SIDE  # world units per pixel in a window of half width 2


def _area(frame: torch.Tensor) -> float:
    """Covered area in world units²."""
    return float(frame.sum()) * PIXEL**2


def test_shapes_cover_their_area() -> None:
    """Antialiased coverage sums to the shape's area, up to half a pixel's band along its edge."""
    centre = torch.tensor([[0.13, -0.21]], dtype=torch.float64)
    disc = render_drawing(Drawing([Disc(centre, 0.5)], half_width=2.0), SIDE)[0]
    rod = render_drawing(Drawing([Rod(centre, centre + torch.tensor([1.0, 0.5], dtype=torch.float64), 0.1)],
                                 half_width=2.0), SIDE)[0]
    block = render_drawing(Drawing([Block(centre, (0.4, 0.3))], half_width=2.0), SIDE)[0]
    band = 0.5 * PIXEL  # the error of a one-pixel ramp is at most a half-pixel band along the edge
    assert abs(_area(disc) - math.pi * 0.25) < band * 2 * math.pi * 0.5
    assert abs(_area(rod) - (0.2 * math.sqrt(1.25) + math.pi * 0.01)) < band * 2 * (math.sqrt(1.25) + 0.2)
    assert abs(_area(block) - 0.8 * 0.6) < band * 2 * (0.8 + 0.6)
    assert float(disc.max()) == 1.0 and float(disc.min()) == 0.0


def test_rendering_a_batch_is_rendering_each_state() -> None:
    """Every pixel is computed from its own state alone: batch and single frames agree to
    float64 rounding (the reductions run over one state's shapes only)."""
    system = hamnet.systems.get("two-body")
    states = system.sample_initial(5, torch.Generator().manual_seed(0))
    batch = render_states(system.drawing, states, SIDE)
    single = torch.cat([render_states(system.drawing, states[i:i + 1], SIDE) for i in range(5)])
    assert batch.shape == (5, SIDE, SIDE) and batch.dtype == torch.float32
    assert torch.allclose(batch, single, atol=1e-6, rtol=0)
    assert not torch.equal(batch[0], batch[1])


def test_frames_tell_the_bodies_apart_and_follow_the_state() -> None:
    system = hamnet.systems.get("two-body")
    state = system.sample_initial(1, torch.Generator().manual_seed(1))
    swapped = torch.cat([state[:, 2:4], state[:, 0:2], state[:, 6:8], state[:, 4:6]], dim=-1)
    frame, frame_swapped = render_states(system.drawing, torch.cat([state, swapped]), SIDE)
    assert not torch.allclose(frame, frame_swapped)  # two grey levels: a swap is another picture
    spring = hamnet.systems.get("spring")
    left, right = render_states(spring.drawing, torch.tensor([[-0.5, 0.0], [0.5, 0.0]], dtype=torch.float64), SIDE)
    assert torch.allclose(left, right.flip(-1), atol=1e-6)  # the block mirrors with q


def test_a_system_without_a_drawing_is_refused() -> None:
    with pytest.raises(hamnet.errors.InvalidValueError, match="draws no frames"):
        render_states(hamnet.systems.get("real-pendulum").drawing, torch.zeros(2, 2), SIDE)


TINY = {"n_trajectories": 10, "n_frames": 12, "horizon": 3.0, "n_reference": 2}


@pytest.fixture(scope="module")
def two_body() -> hamnet.data.PixelData:
    config = RunConfig.for_task("pixel-two-body", "hnn", preset="quick").overridden(
        {f"recipe.{k}": v for k, v in TINY.items()}, where="test")
    return build_data(config, use_cache=False)


def test_frames_data_pair_up_and_reach_the_horizon(two_body) -> None:
    pairs = TINY["n_frames"] - 2
    assert two_body.x_train.shape == (8 * pairs, OBS_SIZE) and two_body.x_test.shape == (2 * pairs, OBS_SIZE)
    assert torch.equal(two_body.x_train[:, FRAME_SIZE:], two_body.x_next_train[:, :FRAME_SIZE])
    assert 0.0 <= float(two_body.x_train.min()) and float(two_body.x_train.max()) <= 0.5
    reference_frames = round(3.0 * (TINY["n_frames"] - 1)) + 1
    assert two_body.episodes_test.shape == (2, reference_frames - 1, OBS_SIZE)
    assert two_body.episode_coords_test.shape == (2, reference_frames - 1, 8)
    # the reference trajectories are the test trajectories, drawn for longer
    assert torch.allclose(two_body.episode_coords_test[0, :pairs], two_body.coords_test[:pairs], atol=1e-7)
    energy = hamnet.systems.get("two-body").hamiltonian(two_body.episode_coords_test)
    assert float((energy - energy[:, :1]).abs().max()) < 1e-6  # the true flow, conserved


def test_windows_run_along_each_trajectory_and_one_step_windows_are_the_pairs(two_body) -> None:
    (pairs,) = two_body.windows("train", 1)
    assert torch.equal(pairs, torch.stack([two_body.x_train, two_body.x_next_train], dim=1))
    k, observations = 4, TINY["n_frames"] - 1
    (windows,) = two_body.windows("test", k)
    assert windows.shape == (2 * (observations - k), k + 1, OBS_SIZE)
    second = windows[observations - k]  # the second test trajectory's first window
    assert torch.equal(second[:, :FRAME_SIZE], two_body.sequences["test"][1, :k + 1, :FRAME_SIZE])
    with pytest.raises(hamnet.errors.InvalidValueError, match="more than 11 observations"):
        two_body.windows("train", observations)


def test_frames_recipe_rejects_what_cannot_work() -> None:
    with pytest.raises(hamnet.errors.InvalidValueError, match="n_frames"):
        FramesRecipe(n_trajectories=10, t_end=1.0, n_frames=2)
    with pytest.raises(hamnet.errors.InvalidValueError, match="empty train or test"):
        FramesRecipe(n_trajectories=2, t_end=1.0, n_frames=10)
    config = RunConfig.for_task("pixel-spring", "hnn", preset="quick")
    with pytest.raises(hamnet.errors.InvalidValueError, match="horizon"):
        config.overridden({"recipe.horizon": 0.5}, where="test")


def test_tiny_pixel_spring_run_end_to_end(tmp_path) -> None:
    config = RunConfig.for_task("pixel-spring", "hnn", preset="quick", steps=30).overridden(
        {f"recipe.{k}": v for k, v in TINY.items()}, where="test")
    train_run(config, tmp_path / "run", show_progress=False)
    metrics = evaluate_run(tmp_path / "run")
    for key in ("test_loss_autoencoder", "test_loss_canonical", "energy_mse", "state_mse", "reversibility_error"):
        assert np.isfinite(metrics[key]), key
    names = {p.name for p in plot_run(tmp_path / "run")}
    assert {"rollouts.png", "pixel_rollout.gif", "pixel_rollout_strip.png", "latent_portrait.png"} <= names
    assert "decoded_orbits.png" not in names  # a block has no orbit
    with Image.open(tmp_path / "run" / "pixel_rollout.gif") as gif:
        assert gif.n_frames == round(3.0 * (TINY["n_frames"] - 1))  # the whole reference horizon
    assert dataclasses.asdict(hamnet.systems.get("pixel-spring").recipe)["horizon"] == 5.0


def test_tiny_pixel_two_body_run_trains_along_windows(tmp_path) -> None:
    config = RunConfig.for_task("pixel-two-body", "hnn", preset="quick", steps=10).overridden(
        {**{f"recipe.{k}": v for k, v in TINY.items()}, "objective_options.unroll": 3}, where="test")
    model, history = train_run(config, tmp_path / "run", show_progress=False)
    assert load_config(tmp_path / "run").objective_options["unroll"] == 3
    # the keypoint encoder learns nothing: training fitted the latent scale, and it was saved
    assert not torch.equal(model.latent_scale, torch.ones(4))
    assert torch.equal(load(tmp_path / "run").latent_scale, model.latent_scale)
    assert len(history.train_loss) == 10 and all(np.isfinite(history.train_loss))
    assert np.isfinite(evaluate_run(tmp_path / "run")["test_loss_dynamics"])
    assert "decoded_orbits.png" in {p.name for p in plot_run(tmp_path / "run")}  # bodies: where the frames put them


def test_a_linear_encoder_is_affine_and_configs_without_one_keep_the_mlp() -> None:
    from hamnet.models.latent import Autoencoder

    auto = Autoencoder(2 * FRAME_SIZE, 8, encoder="linear", generator=torch.Generator().manual_seed(0)).double()
    x, y = torch.rand(2, 3, 2 * FRAME_SIZE, dtype=torch.float64)
    mixed = auto.encode(0.3 * x + 0.7 * y)
    assert torch.allclose(mixed, 0.3 * auto.encode(x) + 0.7 * auto.encode(y), atol=1e-12)
    with pytest.raises(hamnet.errors.InvalidValueError, match="encoder must be one of"):
        Autoencoder(10, 2, encoder="conv")
    config = RunConfig.for_task("pixel-two-body", "hnn", preset="quick")
    assert config.encoder == "keypoints" and RunConfig.for_task("pixel-spring", "hnn").encoder == "mlp"
    saved = {k: v for k, v in config.to_dict().items() if k != "encoder"}  # a config.json from before the field
    assert RunConfig.from_dict(saved).encoder == "mlp"
    with pytest.raises(hamnet.errors.InvalidValueError, match="pixel tasks only"):
        RunConfig.for_task("spring", "hnn").overridden({"encoder": "linear"}, where="test")


def test_fewer_latents_than_coordinates_read_out_and_back() -> None:
    """Two bodies about a resting centre of mass: 4 latents read out to 8 coordinates; the
    way back (least norm) returns the latents of coordinates in the readout's range."""
    from hamnet.pipeline import build_model

    config = RunConfig.for_task("pixel-two-body", "hnn", preset="quick")
    assert config.latent == 4
    model = build_model(config).double()
    assert model.dim == 4 and model.coord_dim == 8 and tuple(model.readout.shape) == (5, 8)
    with torch.no_grad():
        model.readout.copy_(torch.randn(5, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64))
    z = torch.randn(6, 4, dtype=torch.float64)
    coords = model.coordinates(z)
    assert coords.shape == (6, 8)
    assert torch.allclose(model.from_coordinates(coords), z, atol=1e-9)
    for bad, message in ((3, "positive even size"), (0, "positive even size")):
        with pytest.raises(hamnet.errors.InvalidValueError, match=message):
            config.overridden({"latent": bad}, where="test")
    with pytest.raises(hamnet.errors.InvalidValueError, match="pixel tasks only"):
        RunConfig.for_task("spring", "hnn").overridden({"latent": 2}, where="test")


def test_keypoints_find_the_brightest_body_and_its_motion() -> None:
    """A keypoint's heat map sits on the brightest disc: the keypoint is
    that disc's centre in frame units, and the latent's second half is its motion between
    the two frames. Tolerance: on the pixel grid the soft-argmax of a blurred 2-pixel disc is
    off its centre by up to 0.09 pixel (measured over 300 states), 0.1 pixel here; twice that
    for a difference of two keypoints."""
    from hamnet.models.keypoints import KeypointEncoder
    from hamnet.models.latent import Autoencoder

    system = hamnet.systems.get("two-body")
    states = system.sample_initial(2, torch.Generator().manual_seed(3))
    frames = render_states(system.drawing, states, SIDE).reshape(2, -1) * (127 / 255)  # data scale, [0, 0.5]
    encoder = KeypointEncoder(SIDE, 1).double()
    with torch.no_grad():
        z = encoder(torch.cat([frames[0], frames[1]]).double()[None])[0]
    half_width = system.drawing(states).half_width
    body_1 = states[:, :2] / half_width
    assert torch.allclose(z[:2], body_1[0], atol=0.1 * 2 / SIDE)
    assert torch.allclose(z[2:], body_1[1] - body_1[0], atol=0.2 * 2 / SIDE)
    for latents in (6, 8):  # one keypoint: unlearned heat maps would put a second on the first
        with pytest.raises(hamnet.errors.InvalidValueError, match=r"4 latents \(one keypoint\)"):
            RunConfig.for_task("pixel-two-body", "hnn").overridden({"latent": latents}, where="test")
        with pytest.raises(hamnet.errors.InvalidValueError, match=r"4 latents \(one keypoint\)"):
            Autoencoder(2 * FRAME_SIZE, latents, encoder="keypoints")


def test_frames_cached_before_a_change_to_the_drawing_are_not_reused(monkeypatch) -> None:
    from hamnet.data.frames import drawing_digest
    from hamnet.render import Drawing as Picture
    from hamnet.systems.nbody import TwoBody

    system = hamnet.systems.get("pixel-two-body")
    before = drawing_digest(system)
    assert drawing_digest(hamnet.systems.get("pixel-two-body")) == before  # the same drawing, the same key
    drawn = TwoBody.drawing

    def wider(self, x):
        picture = drawn(self, x)
        return Picture(picture.shapes, half_width=picture.half_width * 1.1)

    monkeypatch.setattr(TwoBody, "drawing", wider)
    assert drawing_digest(hamnet.systems.get("pixel-two-body")) != before


def test_turned_orbits_are_orbits_and_cover_every_direction(two_body) -> None:
    """`recipe.turn` (pixel-two-body's): each orbit turned by a random angle, which the flow
    commutes with (gravity has no direction), so the data cover the whole circle, not only
    the first quadrant's starts of the original sampler."""
    system = hamnet.systems.get("two-body")
    x0 = system.sample_initial(64, torch.Generator().manual_seed(1))
    angle = torch.linspace(0.0, 2 * math.pi, 64, dtype=torch.float64)
    turned = system.turned(x0, angle)
    assert torch.allclose(system.hamiltonian(turned), system.hamiltonian(x0), rtol=1e-12)
    # the field of a turned state is the turned field (velocities and forces turn alike)
    assert torch.allclose(system.vector_field(turned), system.turned(system.vector_field(x0), angle), atol=1e-12)
    first = torch.cat([two_body.coords_train[:: TINY["n_frames"] - 2], two_body.coords_test[:: TINY["n_frames"] - 2]])
    directions = torch.atan2(first[:, 1], first[:, 0])  # body 1 at each trajectory's start
    assert bool((directions < 0).any()) and bool((directions > math.pi / 2).any())  # beyond the first quadrant


def test_turning_needs_a_system_that_turns_and_old_configs_did_not() -> None:
    with pytest.raises(hamnet.errors.InvalidValueError, match="no rotations of the plane"):
        RunConfig.for_task("pixel-spring", "hnn", preset="quick").overridden({"recipe.turn": True}, where="test")
    config = RunConfig.for_task("pixel-two-body", "hnn", preset="quick")
    assert config.recipe["turn"] is True
    saved = config.to_dict()
    del saved["recipe"]["turn"]  # a config.json from before the field: orbits as the original sampler drew them
    assert RunConfig.from_dict(saved).with_defaults().recipe == config.recipe | {"turn": False}

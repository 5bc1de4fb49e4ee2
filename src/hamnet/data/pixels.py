"""Pixel pendulum: frames of Gymnasium's `Pendulum-v1` under zero torque (paper §2).

Angle convention: θ is measured from the *hanging* position (Gym's angle minus π), as the
paper's `get_theta` did; so the paper's "initial |θ| < π/6" means small swings about the
bottom. Each episode starts from θ ~ U(-π/6, π/6) and θ̇ ~ U(-1, 1) rad/s (Gym's reset
range), drawn from a `numpy.random.Generator` seeded with the given seed and written into
`env.unwrapped.state`, then stepped with zero torque. Gym's step is semi-implicit Euler
with dt = 0.05 s, so one frame is 0.05 s. The swing never exceeds 0.59 rad.

Frames. Gym renders 500×500 RGB (headless: `SDL_VIDEODRIVER=dummy` is set here). We crop
the square of side `recipe.crop_width` world units whose top edge is `recipe.crop_top`
above the pivot (default, the original code's crop: x ∈ [-0.748, 0.748],
y ∈ [-1.232, 0.264]; the rod is 1.0 long plus a 0.1 end cap, hanging down), keep red minus
green (the rod is (204, 77, 77), the background white, so only the rod survives, at 127),
resize to 28×28 with Pillow's `recipe.resize` filter (default bilinear, as the original's
`scipy.misc.imresize`) and divide by 255 as the paper did: values lie in [0, 0.5].
Episodes are rendered side by side by worker processes when there are enough frames
(`render_from`), identically to one process.

Observations. A still frame has no velocity, so an observation stacks two consecutive
frames: x_t = (frame_t, frame_{t+1}), 2·784 = 1568 values. A training pair is
(x_t, x_{t+1}), i.e. frames t, t+1, t+2; an episode of F frames gives F - 1 observations
and F - 2 pairs. Episodes are split in order: the last `test_fraction` of them are test.

Coordinates. Kept for evaluation only: (θ, p) = (θ, 0.25·θ̇) at the first frame of each
observation. Gym's rod is uniform (m = 1, l = 1, I = 1/3) with g = 10, so θ̈ = -15 sin θ
and H(θ, p) = 2p² + 3.75(1 − cos θ) generates the flow in these coordinates, in seconds
(`hamnet.systems.get("pixel-pendulum")`).

Pendulum-v1 against the paper's Pendulum-v0: same constants and drawing (g = 10, m = 1,
l = 1, dt = 0.05, max_speed 8). v1 clips θ̇ to ±8 before the position update, v0 after
it; from these initial states |θ̇| stays below 2.3 rad/s, so clipping never bites. The
paper also recorded each frame's coordinates after the step that followed it (one frame
late); here frame and coordinates are of the same state.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from PIL import Image
from torch import Tensor

from ..errors import InvalidValueError
from ..jobs import JobPool, usable_cores
from ..systems.pixel_pendulum import PixelRecipe
from ..progress import progress_bar
from .cache import cached
from .dataset import split_blocks

ENV_ID = "Pendulum-v1"
FRAME_DT = 0.05  # seconds between frames (Gym's dt)
SIDE = 28  # frames are SIDE×SIDE
FRAME_SIZE = SIDE * SIDE  # 784
OBS_SIZE = 2 * FRAME_SIZE  # 1568: two stacked frames
MAX_INITIAL_ANGLE = math.pi / 6
MAX_INITIAL_SPEED = 1.0  # rad/s, Gym's reset range
MOMENTUM_SCALE = 0.25  # p = 0.25·θ̇ (the paper's choice)
#: Frames worth one more render process (a frame ~2.5 ms; a process ~3 s to start).
FRAMES_PER_WORKER = 2000
#: The paper's energy episode (`paper_energy_episode`): 200 observations from (θ from hanging,
#: θ̇ in rad/s) = the state that `sample_gym(seed=1, min_angle=π/11, max_angle=π/10)` started
#: from under the Gym of 2019, whose `seeding.np_random(1)` seeded a NumPy `RandomState` with
#: the first 8 bytes of SHA-512("1"); the 239th `reset` drew the first angle within the range.
PAPER_ENERGY_START = (0.29337527866790936, 0.7326483270122512)
PAPER_ENERGY_FRAMES = 200

_WORLD_HALF_WIDTH = 2.2  # Gym draws world [-2.2, 2.2]² onto the screen
_FILTERS = {"bilinear": Image.Resampling.BILINEAR, "box": Image.Resampling.BOX}


@dataclass
class PixelData:
    """The pixel-pendulum data set.  Frames float32 in [0, 0.5]; coordinates float64.

    x_*, x_next_*: [N, 1568] observations x_t = (frame_t, frame_{t+1}) and x_{t+1}, each
    frame flattened row-major from 28×28.  coords_*: [N, 2] (θ rad, 0.25·θ̇ rad/s) at
    frame t.  episodes_test: [E_test, F-1, 1568] every observation of each test episode
    in time order (for rollouts and GIFs), with episode_coords_test [E_test, F-1, 2].
    info: plain numbers (generation_seconds, seconds_per_frame). paper_episode: the episode
    the paper scored energy on (`paper_energy_episode`), (observations [T, 1568], coords [T, 2]).
    sequences: per split ("train", "test"), every observation of each of its episodes in
    time order, [E, T, 1568], what `windows` cuts.
    """

    x_train: Tensor
    x_next_train: Tensor
    x_test: Tensor
    x_next_test: Tensor
    coords_train: Tensor
    coords_test: Tensor
    episodes_test: Tensor
    episode_coords_test: Tensor
    info: dict[str, float] = field(default_factory=dict)
    paper_episode: tuple[Tensor, Tensor] | None = None
    sequences: dict[str, Tensor] = field(default_factory=dict)

    def train_tensors(self) -> tuple[Tensor, Tensor]:
        """What a model's loss takes: (x_t, x_{t+1})."""
        return self.x_train, self.x_next_train

    def test_tensors(self) -> tuple[Tensor, Tensor]:
        return self.x_test, self.x_next_test

    def windows(self, split: str, k: int) -> tuple[Tensor]:
        """Every run of k + 1 consecutive observations of an episode of `split` ("train",
        "test"), episode after episode: (window [E·(T − k), k + 1, 1568],). k = 1 gives the
        pairs (x_t, x_{t+1}) of `train_tensors`, stacked, in their order."""
        sequences = self.sequences[split]
        if sequences.shape[1] <= k:
            raise InvalidValueError(f"an unroll of {k} frames needs episodes of more than {k} observations; "
                                    f"the {split} split's have {sequences.shape[1]}")
        cut = sequences.unfold(1, k + 1, 1).movedim(-1, 2)  # [E, T - k, k + 1, obs], a view
        return (cut.reshape(-1, k + 1, sequences.shape[-1]),)

    def readout_tensors(self) -> tuple[Tensor, Tensor]:
        """(observations, their coordinates) to fit a latent -> coordinate map on."""
        return self.x_train, self.coords_train

    def reference(self) -> tuple[Tensor, Tensor, Tensor]:
        """Test episodes as measured references: (t[T] in frames, coords [T, E, 2], x0 [E, 1568])."""
        steps = self.episodes_test.shape[1]
        return (torch.arange(steps, dtype=torch.float64), self.episode_coords_test.transpose(0, 1),
                self.episodes_test[:, 0])


def preprocess_frame(rgb: np.ndarray, recipe: PixelRecipe = PixelRecipe()) -> np.ndarray:
    """Gym frame [S, S, 3] uint8 -> [28, 28] uint8 grey levels (rod 127, background 0).

    Crops the `recipe.crop_width` world square whose top edge is `recipe.crop_top` above
    the pivot, keeps red minus green, resizes to 28×28 with the `recipe.resize` filter.
    """
    size = rgb.shape[0]
    if rgb.shape != (size, size, 3):
        raise InvalidValueError(f"expected a square RGB frame, got shape {rgb.shape}")
    scale = size / (2 * _WORLD_HALF_WIDTH)  # pixels per world unit
    # Gym draws the pivot at (size//2, size//2) and then flips the image upside down.
    pivot_row, pivot_col = size - 1 - size // 2, size // 2
    side = round(recipe.crop_width * scale)
    top, left = pivot_row - round(recipe.crop_top * scale), pivot_col - side // 2
    crop = rgb[top: top + side, left: left + side].astype(np.int16)
    red_minus_green = np.clip(crop[..., 0] - crop[..., 1], 0, 255).astype(np.uint8)
    image = Image.fromarray(red_minus_green, mode="L").resize((SIDE, SIDE), _FILTERS[recipe.resize])
    return np.asarray(image)


def render_episodes(n_episodes: int, n_frames: int, seed: int, show_progress: bool | None = None,
                    recipe: PixelRecipe = PixelRecipe()) -> tuple[np.ndarray, np.ndarray]:
    """Roll out zero-torque `Pendulum-v1` episodes from θ ~ U(−π/6, π/6), θ̇ ~ U(−1, 1) and
    render every state (frames made as `recipe` says).

    Returns (frames [E, F, 28, 28] uint8, coords [E, F, 2] float64 = (θ from hanging,
    unwrapped; 0.25·θ̇)). Deterministic for `seed`.
    """
    rng = np.random.default_rng(seed)
    initial = np.stack([rng.uniform(-MAX_INITIAL_ANGLE, MAX_INITIAL_ANGLE, n_episodes),
                        rng.uniform(-MAX_INITIAL_SPEED, MAX_INITIAL_SPEED, n_episodes)], axis=-1)
    return render_from(initial, n_frames, seed, show_progress, recipe)


def render_from(initial: np.ndarray, n_frames: int, seed: int, show_progress: bool | None = None,
                recipe: PixelRecipe = PixelRecipe(), workers: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Episodes of `n_frames` frames from the states `initial` [E, 2] (θ from hanging in rad,
    θ̇ in rad/s); returns what `render_episodes` does. `seed` seeds Gym's reset.

    Episodes are independent, so they are rendered by `workers` processes side by side
    (default: one per `FRAMES_PER_WORKER` frames, at most one per usable core), with
    frames identical to one process's.
    """
    n_episodes = initial.shape[0]
    if workers is None:
        workers = max(1, min(usable_cores(), n_episodes * n_frames // FRAMES_PER_WORKER))
    frames = np.empty((n_episodes, n_frames, SIDE, SIDE), dtype=np.uint8)
    states = np.empty((n_episodes, n_frames, 2), dtype=np.float64)
    with progress_bar(n_episodes, f"render {ENV_ID}", show_progress) as advance:
        if workers == 1:
            frames[:], states[:] = _render_episodes(initial, n_frames, seed, recipe, advance)
        else:
            chunks = np.array_split(np.arange(n_episodes), min(n_episodes, 4 * workers))
            with JobPool(workers) as pool:
                for k, rows in enumerate(chunks):
                    pool.add(k, -k, _render_episodes, initial[rows], n_frames, seed, recipe)
                for k, future in pool.finished():
                    frames[chunks[k]], states[chunks[k]] = future.result()
                    advance(len(chunks[k]))
    coords = (states - np.array([math.pi, 0.0])) * np.array([1.0, MOMENTUM_SCALE])
    return frames, coords


def _render_episodes(initial: np.ndarray, n_frames: int, seed: int, recipe: PixelRecipe,
                     advance: Callable[[int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One process's share of `render_from`: (frames [E, F, 28, 28] uint8, Gym's states
    [E, F, 2]); `advance(1)` after each episode."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: before pygame starts
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import gymnasium

    frames = np.empty((initial.shape[0], n_frames, SIDE, SIDE), dtype=np.uint8)
    states = np.empty((initial.shape[0], n_frames, 2), dtype=np.float64)
    zero_torque = np.zeros(1, dtype=np.float32)
    env = gymnasium.make(ENV_ID, render_mode="rgb_array")
    pendulum = env.unwrapped
    try:
        for episode in range(initial.shape[0]):
            env.reset(seed=seed)
            pendulum.state = initial[episode] + np.array([math.pi, 0.0])
            for t in range(n_frames):
                states[episode, t] = pendulum.state
                pendulum.last_u = None  # no torque arrow (it is empty at zero torque)
                frames[episode, t] = preprocess_frame(env.render(), recipe)
                if t + 1 < n_frames:
                    env.step(zero_torque)
            if advance is not None:
                advance(1)
    finally:
        env.close()
    return frames, states


def paper_energy_episode(recipe: PixelRecipe, use_cache: bool = True) -> tuple[Tensor, Tensor]:
    """The one fresh episode the paper's notebook scored energy on (`analyze-pixels.ipynb`):
    `sample_gym(seed=1, trials=1, min_angle=π/11, max_angle=π/10)`, from `PAPER_ENERGY_START`,
    `PAPER_ENERGY_FRAMES` observations.  -> (observations [T, 1568] float32, coords [T, 2] float64).
    """
    def build() -> tuple[dict[str, Tensor], dict[str, float]]:
        frames, coords = render_from(np.array([PAPER_ENERGY_START]), PAPER_ENERGY_FRAMES + 1, 0, False, recipe)
        return {"frames": torch.from_numpy(frames), "coords": torch.from_numpy(coords)}, {}

    spec = {"name": "pixel-pendulum-paper-episode", "env": ENV_ID, "start": list(PAPER_ENERGY_START),
            "n_frames": PAPER_ENERGY_FRAMES + 1, "side": SIDE, "crop_width": recipe.crop_width,
            "crop_top": recipe.crop_top, "filter": recipe.resize}
    tensors, _ = cached(spec, build, use_cache=use_cache)
    frames = tensors["frames"].reshape(1, PAPER_ENERGY_FRAMES + 1, FRAME_SIZE).to(torch.float32) / 255.0
    return stacked_observations(frames)[0], tensors["coords"][0, :-1].contiguous()


def stacked_observations(frames: Tensor) -> Tensor:
    """frames [E, F, P] -> observations [E, F-1, 2P] = (frame_t, frame_{t+1})."""
    return torch.cat([frames[:, :-1], frames[:, 1:]], dim=-1)


def consecutive_pairs(observations: Tensor, coords: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Per-episode observations [E, T, obs], coords [E, T+1, dim] -> flat (x, x_next, coords).

    Pairs (x_t, x_{t+1}) for t < T - 1, episode after episode: [E·(T-1), ...].
    """
    x = observations[:, :-1].reshape(-1, observations.shape[-1])
    x_next = observations[:, 1:].reshape(-1, observations.shape[-1])
    return x, x_next, coords[:, :-2].reshape(-1, coords.shape[-1])


def pixel_pendulum_dataset(recipe: PixelRecipe, seed: int, use_cache: bool = True,
                           show_progress: bool | None = None) -> PixelData:
    """The paper's pixel-pendulum data for `recipe`, deterministic for `seed`.

    The rendered frames are cached on disk under (recipe, seed); the split is taken after
    loading. See the module docstring for shapes, units and conventions.
    """
    n_episodes, n_frames, test_fraction = recipe.n_episodes, recipe.n_frames, recipe.test_fraction
    if n_frames < 3:
        raise InvalidValueError(f"n_frames must be at least 3 (one pair of stacked frames), got {n_frames}")
    n_train = int(n_episodes * (1 - test_fraction))
    if not 0.0 < test_fraction < 1.0 or n_train < 1 or n_train == n_episodes:
        raise InvalidValueError(
            f"{n_episodes} episodes with test_fraction {test_fraction} leave an empty train or test set")

    def build() -> tuple[dict[str, Tensor], dict[str, float]]:
        start = time.perf_counter()
        frames, coords = render_episodes(n_episodes, n_frames, seed, show_progress, recipe)
        seconds = time.perf_counter() - start
        info = {"generation_seconds": seconds, "seconds_per_frame": seconds / (n_episodes * n_frames)}
        return {"frames": torch.from_numpy(frames), "coords": torch.from_numpy(coords)}, info

    spec = {"name": "pixel-pendulum", "env": ENV_ID, "n_episodes": n_episodes, "n_frames": n_frames,
            "seed": seed, "side": SIDE, "crop_width": recipe.crop_width, "crop_top": recipe.crop_top,
            "filter": recipe.resize}
    tensors, info = cached(spec, build, use_cache=use_cache)
    frames = tensors["frames"].reshape(n_episodes, n_frames, FRAME_SIZE).to(torch.float32) / 255.0
    observations = stacked_observations(frames)
    obs_train, obs_test = split_blocks(observations, test_fraction, test_first=False)
    coords_train, coords_test = split_blocks(tensors["coords"], test_fraction, test_first=False)
    x_train, x_next_train, c_train = consecutive_pairs(obs_train, coords_train)
    x_test, x_next_test, c_test = consecutive_pairs(obs_test, coords_test)
    return PixelData(x_train, x_next_train, x_test, x_next_test, c_train, c_test,
                     obs_test, coords_test[:, :-1].contiguous(), info, paper_energy_episode(recipe, use_cache),
                     {"train": obs_train, "test": obs_test})

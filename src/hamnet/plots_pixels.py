"""Figures of latent (pixel) models: decoded rollouts as GIF and PNG strip, the orbits the
decoded frames show (bodies), latent portraits, and the "add energy halfway" demo. Frames
are 28×28 grey in [0, 0.5] (rod at 0.5)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402
from torch import Tensor  # noqa: E402

from .atomic import atomic_path  # noqa: E402
from .integrators import rollout  # noqa: E402
from .metrics import Rollouts, as_float64, decoded_coordinates, off_orbit  # noqa: E402
from .models import DynamicsModel  # noqa: E402
from .figure_files import color_of, save_figure  # noqa: E402
from .systems import System  # noqa: E402

SIDE = 28
ZOOM = 4  # GIF pixels per frame pixel
GIF_STEPS = 250  # frames shown at most (the pixel pendulum's test episodes have 102)
FRAME_MS = 50  # one frame is 0.05 s of pendulum time: real time
BUMP_FACTOR = 1.5  # the energy demo multiplies the momentum p by this at the midpoint ...
BUMP_STEPS = 50  # ... after this many frames, and runs as many more
ORBITS_SHOWN = 3  # test rollouts drawn in the decoded-orbit figure


def first_frames(observations: Tensor) -> np.ndarray:
    """Stacked observations [T, 2·784] -> their first frames [T, 28, 28] as uint8 (rod white)."""
    frames = observations[..., : SIDE * SIDE].reshape(-1, SIDE, SIDE).to(torch.float64)
    return (frames * 2).clamp(0, 1).mul(255).round().to(torch.uint8).numpy()


def decoded_frames(model: DynamicsModel, states: Tensor) -> np.ndarray:
    """Decode latents [T, dim] to first frames [T, 28, 28] uint8."""
    with torch.no_grad():
        return first_frames(as_float64(model).decode(states.to(torch.float64)))


def save_gif(panels: dict[str, np.ndarray], path: Path) -> Path:
    """Side-by-side panels, each [T, 28, 28] uint8, labelled, as an animated GIF (atomic)."""
    steps = min(len(frames) for frames in panels.values())
    width, label_height = SIDE * ZOOM, 14
    images = []
    for t in range(steps):
        canvas = Image.new("L", (width * len(panels), width + label_height), color=0)
        draw = ImageDraw.Draw(canvas)
        for k, (label, frames) in enumerate(panels.items()):
            tile = Image.fromarray(frames[t]).resize((width, width), Image.Resampling.NEAREST)
            canvas.paste(tile, (k * width, label_height))
            draw.text((k * width + 4, 1), label, fill=255)
        images.append(canvas)
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=FRAME_MS, loop=0)
    return path


def strip_figure(panels: dict[str, np.ndarray], title: str, columns: int = 12, every: int = 5) -> plt.Figure:
    """A PNG-able grid: one row per panel, every `every`-th frame (to read a GIF without a player)."""
    fig, axes = plt.subplots(len(panels), columns, figsize=(columns * 0.9, len(panels) * 1.05), squeeze=False)
    for row, (label, frames) in enumerate(panels.items()):
        for col in range(columns):
            ax = axes[row, col]
            ax.imshow(frames[min(col * every, len(frames) - 1)], cmap="gray", vmin=0, vmax=255)
            ax.set(xticks=[], yticks=[])
            if row == 0:
                ax.set_title(f"t={col * every}", fontsize=7)
        axes[row, 0].set_ylabel(label, fontsize=8)
    fig.suptitle(title, fontsize=9)
    return fig


def latent_portrait(models: dict[str, DynamicsModel], observations: Tensor, energy: Tensor,
                    title: str) -> plt.Figure:
    """Per model: encoded observations coloured by true energy, with the learned H's contours
    (HNN) or the learned latent field's streamlines (baseline)."""
    fig, axes = plt.subplots(1, len(models), figsize=(5.2 * len(models), 4.4), squeeze=False,
                             layout="constrained")  # colour bars keep clear of the next panel's label
    for ax, (label, model) in zip(axes[0], models.items()):
        model64 = as_float64(model)
        with torch.no_grad():
            z = model64.encode(observations.to(torch.float64))
        lo, hi = z.min(0).values, z.max(0).values
        pad = 0.15 * (hi - lo)
        w = torch.linspace(float(lo[0] - pad[0]), float(hi[0] + pad[0]), 60, dtype=torch.float64)
        dw = torch.linspace(float(lo[1] - pad[1]), float(hi[1] + pad[1]), 60, dtype=torch.float64)
        gw, gdw = torch.meshgrid(w, dw, indexing="xy")
        grid = torch.stack([gw.flatten(), gdw.flatten()], dim=-1)
        if model64.has_hamiltonian:
            with torch.no_grad():
                h = model64.hamiltonian(grid).reshape(gw.shape)
            ax.contour(gw.numpy(), gdw.numpy(), h.numpy(), levels=20, cmap="Greys", linewidths=0.7)
            kind = "learned H contours"
        else:
            with torch.no_grad():
                field = model64.time_derivative(grid)
            ax.streamplot(gw.numpy(), gdw.numpy(), field[:, 0].reshape(gw.shape).numpy(),
                          field[:, 1].reshape(gw.shape).numpy(), color="0.5", density=0.9, linewidth=0.6)
            kind = "learned latent field"
        points = ax.scatter(z[:, 0], z[:, 1], c=energy.numpy(), s=2, cmap="viridis")
        fig.colorbar(points, ax=ax, label="true energy H")
        ax.set(title=f"{label}: latents of test frames, {kind}", xlabel="w", ylabel="dw")
    fig.suptitle(title)
    return fig


def energy_bump_frames(model: DynamicsModel, start: Tensor, steps: int) -> tuple[np.ndarray, Tensor]:
    """Integrate the latent flow `steps` frames from `start` [dim], multiply the momentum p by
    BUMP_FACTOR (through the coordinate readout), integrate `steps` more; decode.

    Returns (frames [2·steps + 1, 28, 28] uint8, latent path [2·steps + 1, dim]).
    """
    model64 = as_float64(model)
    t = torch.arange(steps + 1, dtype=torch.float64)
    with torch.no_grad():
        before = rollout(model64.time_derivative, start.to(torch.float64)[None], t, method="rk4")[:, 0]
        coords = model64.coordinates(before[-1])
        half = coords.shape[-1] // 2
        coords = torch.cat([coords[:half], BUMP_FACTOR * coords[half:]])
        bumped = model64.from_coordinates(coords)
        after = rollout(model64.time_derivative, bumped[None], t, method="rk4")[:, 0]
    path = torch.cat([before, after[1:]])
    return decoded_frames(model, path), path


def decoded_orbit_figure(system: System, models: dict[str, DynamicsModel], rollouts: dict[str, Rollouts],
                         span: int, title: str) -> plt.Figure:
    """Where the decoded frames put the first body (`decoded_coordinates`) over the whole
    rollout, against its true orbit: one panel per model with the first `ORBITS_SHOWN` test
    rollouts, and the median off-orbit distance over the test rollouts against time in frames
    (`off_orbit`), marked at 1×, 2× and 5× the training `span` (frames)."""
    fig, axes = plt.subplots(1, len(models) + 1, figsize=(4.2 * (len(models) + 1), 4.2))
    *orbit_axes, ax_distance = axes
    first = next(iter(rollouts.values())).true[0, :1]
    half_width = system.drawing(first).half_width  # the frames' window
    for ax, (label, model) in zip(orbit_axes, models.items()):
        r = rollouts[label]
        true = system.body_positions(r.true)[..., 0, :]
        seen = system.body_positions(decoded_coordinates(as_float64(model), r.states))[..., 0, :]
        for b in range(min(ORBITS_SHOWN, true.shape[1])):
            ax.plot(true[:, b, 0], true[:, b, 1], color="black", lw=1.0, label="true orbit" if b == 0 else None)
            ax.plot(seen[:, b, 0], seen[:, b, 1], color=color_of(label), lw=0.8, alpha=0.8,
                    label="seen in decoded frames" if b == 0 else None)
        ax.set(title=f"{label}: body 1 in its decoded frames", xlabel="x", ylabel="y", aspect="equal",
               xlim=(-half_width, half_width), ylim=(-half_width, half_width))
        ax.legend(loc="upper right", fontsize=7)
        distance = off_orbit(seen, true).median(dim=1).values
        ax_distance.plot(r.t, distance, color=color_of(label), lw=1.5, label=label)
    for k in (1, 2, 5):
        ax_distance.axvline(k * span, color="0.5", lw=0.8, ls=":")
    ax_distance.set(title="distance from the true orbit / its radius (median)", xlabel="frame",
                    ylabel="off-orbit distance (axis ends at 1)", ylim=(0, 1))
    ax_distance.legend(loc="upper left", fontsize=7)
    fig.suptitle(f"{title} · dotted: 1×, 2×, 5× the training span", fontsize=10)
    fig.tight_layout()
    return fig


def pixel_figures(system: System, models: dict[str, DynamicsModel], rollouts: dict[str, Rollouts],
                  data, out_dir: Path, title: str, prefix: str = "") -> list[Path]:
    """The pixel task's pictures: decoded-rollout GIF + strip PNG (true | each model) of the
    test episode of highest energy (the pendulum's widest swing), the latent portrait (2-D
    latents), and (for models with a learned H) the add-energy-halfway GIF from that
    episode's start (momenta × BUMP_FACTOR)."""
    shown = int(system.hamiltonian(data.episode_coords_test[:, 0]).argmax())  # the widest swing
    panels = {"true": first_frames(data.episodes_test[shown, :GIF_STEPS])}
    panels |= {label: decoded_frames(models[label], r.states[:GIF_STEPS, shown]) for label, r in rollouts.items()}
    every = max(5, len(panels["true"]) // 12)
    paths = [save_gif(panels, out_dir / f"{prefix}pixel_rollout.gif"),
             save_figure(strip_figure(panels, f"{title} · test episode {shown} (highest energy), every "
                                              f"{every}th frame", every=every),
                         out_dir / f"{prefix}pixel_rollout_strip.png")]
    if system.body_positions(data.episode_coords_test[:1, 0]) is not None and "test" in data.sequences:
        span = data.sequences["test"].shape[1]  # observations of a training trajectory: its frame intervals
        paths.append(save_figure(decoded_orbit_figure(system, models, rollouts, span, title),
                                 out_dir / f"{prefix}decoded_orbits.png"))
    if system.dim == 2:  # a portrait of the latent plane
        coords = data.episode_coords_test.reshape(-1, system.dim)
        observations = data.episodes_test.reshape(-1, data.episodes_test.shape[-1])
        paths.append(save_figure(latent_portrait(models, observations, system.hamiltonian(coords), title),
                                 out_dir / f"{prefix}latent_portrait.png"))
    for label, model in models.items():
        if model.has_hamiltonian:
            frames, _ = energy_bump_frames(model, rollouts[label].states[0, shown], BUMP_STEPS)
            name = f"{prefix}energy_bump{'' if len(models) == 1 else '_' + label}.gif"
            paths.append(save_gif({f"{label}: p x{BUMP_FACTOR} at t={BUMP_STEPS}": frames}, out_dir / name))
    return paths

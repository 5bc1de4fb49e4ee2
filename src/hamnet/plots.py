"""Figures of a trained run: phase portraits, trajectories, energy and error over time."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from .atomic import atomic_path  # noqa: E402
from .metrics import Rollouts, as_float64  # noqa: E402
from .models import DynamicsModel  # noqa: E402
from .systems import System  # noqa: E402

TRUE_STYLE = {"color": "black", "lw": 1.5, "label": "true"}
MODEL_COLORS = {"baseline": "tab:red", "hnn": "tab:blue"}


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Write `fig` as PNG atomically and close it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


def _grid(extent: float, n: int = 21) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    axis = torch.linspace(-extent, extent, n, dtype=torch.float64)
    q, p = torch.meshgrid(axis, axis, indexing="xy")
    return q, p, torch.stack([q.flatten(), p.flatten()], dim=-1)


def phase_portrait(system: System, model: DynamicsModel, rollouts: Rollouts, title: str) -> plt.Figure:
    """2-D systems: vector fields (true | learned), a long trajectory, energy over time."""
    extent = float(rollouts.true[..., :2].abs().max()) * 1.15
    q, p, states = _grid(extent)
    model64 = as_float64(model)
    with torch.no_grad():
        true_field = system.vector_field(states)
        learned = model64.time_derivative(states)
    color = MODEL_COLORS.get(model.kind, "tab:green")
    fig, axes = plt.subplots(1, 4, figsize=(19, 4.4))
    for ax, field, name in ((axes[0], true_field, "true field"), (axes[1], learned, f"learned field ({model.kind})")):
        u, v = field[:, 0].reshape(q.shape), field[:, 1].reshape(q.shape)
        ax.streamplot(q.numpy(), p.numpy(), u.numpy(), v.numpy(), color=torch.hypot(u, v).numpy(),
                      cmap="viridis", density=1.1, linewidth=0.8)
        ax.set(title=name, xlabel="q", ylabel="p", aspect="equal")
    ax = axes[2]
    ax.plot(rollouts.true[:, 0, 0], rollouts.true[:, 0, 1], **TRUE_STYLE)
    ax.plot(rollouts.model[:, 0, 0], rollouts.model[:, 0, 1], color=color, lw=1.2, label=model.kind)
    ax.scatter(rollouts.true[0, 0, 0], rollouts.true[0, 0, 1], color="black", zorder=3, s=15)
    ax.set(title=f"trajectory, t ∈ [0, {float(rollouts.t[-1]):g}]", xlabel="q", ylabel="p", aspect="equal")
    ax.legend(loc="upper right", fontsize=8)
    _energy_axis(axes[3], system, rollouts, color, model.kind)
    fig.suptitle(title)
    return fig


def _energy_axis(ax: plt.Axes, system: System, rollouts: Rollouts, color: str, label: str) -> None:
    t = rollouts.t.numpy()
    true_e = system.hamiltonian(rollouts.true).numpy()
    model_e = system.hamiltonian(rollouts.model).numpy()
    ax.plot(t, true_e[:, 0], **TRUE_STYLE)
    ax.plot(t, model_e[:, 0], color=color, lw=1.2, label=label)
    for j in range(1, min(true_e.shape[1], 5)):
        ax.plot(t, true_e[:, j], color="black", lw=0.6, alpha=0.5)
        ax.plot(t, model_e[:, j], color=color, lw=0.6, alpha=0.5)
    ax.set(title="true energy along rollouts (5 shown)", xlabel="t", ylabel="E")
    ax.legend(loc="best", fontsize=8)


def rollout_summary(system: System, model: DynamicsModel, rollouts: Rollouts, title: str) -> plt.Figure:
    """Any system: energy over time and per-step state error of the model's rollouts."""
    color = MODEL_COLORS.get(model.kind, "tab:green")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    _energy_axis(axes[0], system, rollouts, color, model.kind)
    error = (rollouts.true - rollouts.model).pow(2).mean(dim=-1)  # [T, b]
    axes[1].semilogy(rollouts.t.numpy(), error.numpy(), color=color, lw=0.7, alpha=0.6)
    axes[1].set(title="state MSE vs true, per rollout", xlabel="t", ylabel="MSE")
    fig.suptitle(title)
    return fig


def plot_run_figures(system: System, model: DynamicsModel, rollouts: Rollouts, run_dir: Path,
                     title: str) -> list[Path]:
    """Write a run's PNGs; returns their paths."""
    paths = []
    if system.dim == 2:
        paths.append(save_figure(phase_portrait(system, model, rollouts, title), run_dir / "phase_portrait.png"))
    paths.append(save_figure(rollout_summary(system, model, rollouts, title), run_dir / "rollouts.png"))
    return paths

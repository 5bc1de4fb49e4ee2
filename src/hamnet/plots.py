"""Figures of trained runs: learned vector fields, rollouts against the truth, energy, error.

Every figure takes one or several models (by label) rolled out from the same reference,
so a run's own figure and the baseline-vs-HNN comparison of a task are drawn by the same code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from torch import Tensor  # noqa: E402

from .figure_files import color_of, save_figure  # noqa: E402
from .horizon import HorizonCurves, HorizonProtocol  # noqa: E402
from .metrics import Rollouts, as_float64  # noqa: E402
from .models import DynamicsModel  # noqa: E402
from .plots_pixels import pixel_figures  # noqa: E402
from .systems import System  # noqa: E402

TRUE_STYLE = {"color": "black", "lw": 1.6}
#: Rollouts drawn per panel (the first ones of the reference set).
SHOWN = 5


def _plane(extent: float, n: int) -> tuple[Tensor, Tensor, Tensor]:
    """An n × n grid over [−extent, extent]² of the (q, p) plane: (q [n, n], p [n, n], states [n², 2])."""
    axis = torch.linspace(-extent, extent, n, dtype=torch.float64)
    q, p = torch.meshgrid(axis, axis, indexing="xy")
    return q, p, torch.stack([q.flatten(), p.flatten()], dim=-1)


def vector_fields(system: System, models: dict[str, DynamicsModel], extent: float, title: str) -> plt.Figure:
    """2-D systems: the true field and each model's learned field over the (q, p) plane."""
    q, p, states = _plane(extent, 25)
    with torch.no_grad():
        fields = {"true": system.vector_field(states)} if system.has_energy else {}
        fields |= {label: as_float64(model).time_derivative(states) for label, model in models.items()}
    fig, axes = plt.subplots(1, len(fields), figsize=(4.4 * len(fields), 4.2), squeeze=False)
    for ax, (label, field) in zip(axes[0], fields.items()):
        u, v = field[:, 0].reshape(q.shape).numpy(), field[:, 1].reshape(q.shape).numpy()
        ax.streamplot(q.numpy(), p.numpy(), u, v, color=(u**2 + v**2) ** 0.5, cmap="viridis",
                      density=1.0, linewidth=0.8)
        ax.set(title=f"{label} field" if label == "true" else f"learned field ({label})",
               xlabel="q", ylabel="p", aspect="equal")
    fig.suptitle(title)
    return fig


def energy_fields(system: System, models: dict[str, DynamicsModel], extent: float, title: str) -> plt.Figure:
    """2-D systems: contours of the true energy, of each model's learned H and, for models
    that learn one (D-HNN), of its dissipation potential D, over the (q, p) plane.

    Learned scalars are drawn with their best-fitting plane a + b·x removed: only their
    gradients act, and a constant field is both J∇ of a plane and ∇ of one, so H and D
    are determined only up to such a shared part (the Helmholtz split's harmonic part).
    (Any harmonic part is as ambiguous; `divergence_fields` shows the part that is not.)
    """
    q, p, states = _plane(extent, 81)
    design = torch.cat([torch.ones_like(states[:, :1]), states], dim=-1)
    panels = {"true energy": system.hamiltonian(states)} if system.has_energy else {}
    with torch.no_grad():
        for label, model in models.items():
            model64 = as_float64(model)
            for name, scalar in (("H", "hamiltonian"), ("D", "dissipation")):
                if hasattr(model64, scalar):
                    values = getattr(model64, scalar)(states)
                    plane = design @ torch.linalg.lstsq(design, values.unsqueeze(-1)).solution
                    panels[f"learned {name} ({label})"] = values - plane.squeeze(-1)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 4.0), squeeze=False, layout="constrained")
    for ax, (label, values) in zip(axes[0], panels.items()):
        contour = ax.contourf(q.numpy(), p.numpy(), values.reshape(q.shape).numpy(), levels=20, cmap="magma")
        fig.colorbar(contour, ax=ax, shrink=0.8)
        ax.set(title=label, xlabel="q", ylabel="p", aspect="equal")
    fig.suptitle(f"{title} · learned scalars less their best-fitting plane (only gradients act)")
    return fig


def divergence_fields(system: System, models: dict[str, DynamicsModel], extent: float, title: str) -> plt.Figure:
    """2-D systems: div f = ∂f_q/∂q + ∂f_p/∂p of the true field and of each learned one over
    the (q, p) plane: the rate at which the flow shrinks (< 0, friction) or swells (> 0)
    phase-space areas. Zero for any J∇H (an HNN's exactly); for a D-HNN it is ΔD, the part
    of D that no choice of H can take over."""
    q, p, states = _plane(extent, 41)
    fields = ({"true": system.vector_field} if system.has_energy else {}) | {
        label: as_float64(model).time_derivative for label, model in models.items()}
    panels = {label: _divergence(field, states) for label, field in fields.items()}
    bound = max(float(v.abs().max()) for v in panels.values()) or 1.0
    fig, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 4.4), squeeze=False, layout="constrained")
    for ax, (label, values) in zip(axes[0], panels.items()):
        image = ax.pcolormesh(q.numpy(), p.numpy(), values.reshape(q.shape).numpy(), cmap="RdBu_r",
                              vmin=-bound, vmax=bound, shading="auto")
        ax.set(title=f"div f ({label})", xlabel="q", ylabel="p", aspect="equal")
    fig.colorbar(image, ax=list(axes[0]), shrink=0.8, label="div f (< 0: friction)")
    fig.suptitle(f"{title} · phase-space contraction")
    return fig


def _divergence(field, states: Tensor) -> Tensor:
    """Σ_i ∂f_i/∂x_i by autograd.  states [N, dim] -> [N]."""
    with torch.enable_grad():
        x = states.clone().requires_grad_(True)
        out = field(x)
        parts = [torch.autograd.grad(out[:, i].sum(), x, retain_graph=i + 1 < out.shape[1])[0][:, i]
                 for i in range(out.shape[1])]
    return torch.stack(parts).sum(0).detach()


def _trajectory_axis(ax: plt.Axes, system: System, rollouts: dict[str, Rollouts]) -> None:
    """Orbits in the plane for bodies, else the (q, p) phase plane; first rollout only."""
    reference = next(iter(rollouts.values())).true[:, 0]
    bodies = system.body_positions(reference)
    if bodies is not None:  # [T, N, 2]
        paths = {"true": bodies} | {k: system.body_positions(r.model[:, 0]) for k, r in rollouts.items()}
        for label, path in paths.items():
            style = TRUE_STYLE if label == "true" else {"color": color_of(label), "lw": 1.0}
            for body in range(path.shape[1]):
                ax.plot(path[:, body, 0], path[:, body, 1], label=label if body == 0 else None, **style)
        ax.scatter(bodies[0, :, 0], bodies[0, :, 1], color="black", zorder=3, s=18)
        ax.set(title="orbits (first configuration)", xlabel="x", ylabel="y", aspect="equal")
    else:
        p = reference.shape[-1] // 2  # the first momentum
        sampled = reference[torch.isfinite(reference).all(-1)]
        ax.plot(sampled[:, 0], sampled[:, p], label="true", **TRUE_STYLE)
        for label, r in rollouts.items():
            ax.plot(r.model[:, 0, 0], r.model[:, 0, p], color=color_of(label), lw=1.0, label=label)
        ax.scatter(sampled[0, 0], sampled[0, p], color="black", zorder=3, s=18)
        names = ("q", "p") if p == 1 else ("q₁", "p₁")
        ax.set(title="phase plane (first rollout)", xlabel=names[0], ylabel=names[1], aspect="equal")
    ax.legend(loc="upper right", fontsize=8)


def _coordinate_axis(ax: plt.Axes, rollouts: dict[str, Rollouts]) -> None:
    """The first state coordinate over time, first rollout."""
    first = next(iter(rollouts.values()))
    sampled = torch.isfinite(first.true[:, 0, 0])
    ax.plot(first.t[sampled], first.true[sampled, 0, 0], label="true", **TRUE_STYLE)
    for label, r in rollouts.items():
        ax.plot(r.t, r.model[:, 0, 0], color=color_of(label), lw=1.0, label=label)
    ax.set(title="first coordinate over time", xlabel="t", ylabel="x₀")
    ax.legend(loc="best", fontsize=8)


def _energy_axis(ax: plt.Axes, system: System, rollouts: dict[str, Rollouts]) -> None:
    """The system's true energy along the reference and along each model's rollouts."""
    first = next(iter(rollouts.values()))
    true_energy = system.hamiltonian(first.true)[:, :SHOWN]
    for column in true_energy.T:  # each measured trajectory at its own sampled times
        sampled = torch.isfinite(column)
        ax.plot(first.t[sampled], column[sampled], **TRUE_STYLE)
    for label, r in rollouts.items():
        ax.plot(r.t, system.hamiltonian(r.model)[:, :SHOWN], color=color_of(label), lw=0.9, alpha=0.8)
    handles = [plt.Line2D([], [], label="true", **TRUE_STYLE)]
    handles += [plt.Line2D([], [], color=color_of(label), label=label) for label in rollouts]
    ax.legend(handles=handles, loc="best", fontsize=8)
    ax.set(title=f"true energy along rollouts ({min(SHOWN, true_energy.shape[1])} shown)",
           xlabel="t", ylabel="E")


#: Up to this many models, the error panel draws every rollout; beyond, medians and bands.
EVERY_ROLLOUT_UP_TO = 2


def _error_axis(ax: plt.Axes, rollouts: dict[str, Rollouts]) -> None:
    """Per-step state MSE against the reference (log scale): every rollout and their mean
    for one or two models, the median and inter-quartile band of each for more."""
    for label, r in rollouts.items():
        error = (r.true - r.model).pow(2).mean(dim=-1)  # [T, b], NaN where a measured trajectory has no sample
        if bool(torch.isfinite(error).all()) and len(rollouts) > EVERY_ROLLOUT_UP_TO:
            _band(ax, r.t, error, color_of(label), f"{label} (median)", lw=1.8)
        elif bool(torch.isfinite(error).all()):
            ax.semilogy(r.t[1:], error[1:], color=color_of(label), lw=0.7, alpha=0.5)
            ax.semilogy(r.t[1:], error[1:].mean(dim=-1), color=color_of(label), lw=2.0, label=f"{label} (mean)")
        else:
            sampled = torch.isfinite(error)
            times = r.t.unsqueeze(-1).expand_as(error)
            ax.semilogy(times[sampled], error[sampled], ".", color=color_of(label), ms=2, alpha=0.6, label=label)
    ax.set(title="state MSE vs true, per step", xlabel="t", ylabel="MSE")
    ax.legend(loc="best", fontsize=8)


def rollout_figure(system: System, rollouts: dict[str, Rollouts], title: str) -> plt.Figure:
    """Trajectory (orbits or phase plane), first coordinate, energy (where the true one is
    known) and error over time."""
    fig, axes = plt.subplots(1, 4 if system.has_energy else 3, figsize=(20 if system.has_energy else 15, 4.4))
    _trajectory_axis(axes[0], system, rollouts)
    _coordinate_axis(axes[1], rollouts)
    if system.has_energy:
        _energy_axis(axes[2], system, rollouts)
    _error_axis(axes[-1], rollouts)
    fig.suptitle(title)
    return fig


def _band(ax: plt.Axes, t: Tensor, values: Tensor, color: str, label: str, **line: Any) -> None:
    """The median over states of values [T, b] (t > 0) as a line, their inter-quartile range as a band."""
    low, mid, high = torch.quantile(values[1:].clamp_min(1e-300), torch.tensor([0.25, 0.5, 0.75], dtype=values.dtype),
                                    dim=-1)
    ax.fill_between(t[1:], low, high, color=color, alpha=0.15, lw=0)
    ax.semilogy(t[1:], mid, color=color, label=label, **line)


def horizon_figure(curves: dict[str, HorizonCurves], title: str,
                   threshold: float | None = HorizonProtocol.threshold, color: Any = color_of) -> plt.Figure:
    """Long horizons, per model (label -> curves): the relative state error e(t) with the
    chaos floor as a grey band, and the energy error over time (the learned H's own drift
    dashed); medians over the held-out states, bands their inter-quartile range, log axes."""
    fig, (ax_error, ax_energy) = plt.subplots(1, 2, figsize=(13, 4.6))
    first = next(iter(curves.values()))
    floor = first.floor[1:].clamp_min(1e-300)
    ax_error.fill_between(first.t[1:], floor.min(dim=-1).values, floor.max(dim=-1).values, color="0.6", alpha=0.5,
                          lw=0)
    ax_error.semilogy(first.t[1:], floor.median(dim=-1).values, color="0.45", lw=1.2,
                      label="chaos floor (true flow from x₀ nudged by 1e-4; band: all states)")
    for label, c in curves.items():
        _band(ax_error, c.t, c.error, color(label), label, lw=1.8)
        _band(ax_energy, c.t, c.energy_error, color(label), f"{label}: true H", lw=1.8)
        if c.learned_drift is not None:
            _band(ax_energy, c.t, c.learned_drift, color(label), f"{label}: its learned H", lw=1.2, ls="--")
    if threshold is not None:
        ax_error.axhline(threshold, color="black", lw=0.8, ls=":", label=f"valid-time threshold {threshold:g}")
    ax_error.set(title="relative state error e(t) = ‖x̂ − x‖ / (‖x̂‖ + ‖x‖)", xlabel="t", ylabel="e(t)")
    ax_energy.set(title="energy error |H(x̂ₜ) − H(xₜ)| / |H(x₀)|", xlabel="t", ylabel="relative energy error")
    for ax in (ax_error, ax_energy):
        ax.legend(loc="best", fontsize=7)
        ax.grid(alpha=0.3, which="major")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_figures(system: System, models: dict[str, DynamicsModel], rollouts: dict[str, Rollouts],
                 data: Any, out_dir: Path, title: str, prefix: str = "",
                 horizons: dict[str, HorizonCurves] | None = None) -> list[Path]:
    """Write the PNGs (and GIFs) of `models` (label -> model, rolled out as `rollouts`) into
    `out_dir`: rollouts against the truth; for 2-D state-space models their learned vector
    fields, learned energies H (and dissipation potentials D) and the fields' divergence;
    the pixel pictures of
    models that see observations (`system.observation_dim`); with `horizons` (label ->
    curves) the long-horizon figure."""
    paths = [save_figure(rollout_figure(system, rollouts, title), out_dir / f"{prefix}rollouts.png")]
    if horizons:
        paths.append(save_figure(horizon_figure(horizons, title), out_dir / f"{prefix}horizon.png"))
    if system.observation_dim is not None:
        paths += pixel_figures(system, models, rollouts, data, out_dir, title, prefix)
    elif system.dim == 2:
        extent = 1.15 * float(max(r.true[..., :2].nan_to_num().abs().max() for r in rollouts.values()))  # NaN: unsampled
        paths.append(save_figure(vector_fields(system, models, extent, title), out_dir / f"{prefix}vector_field.png"))
        if any(model.has_hamiltonian for model in models.values()):
            paths.append(save_figure(energy_fields(system, models, extent, title), out_dir / f"{prefix}energy_fields.png"))
        paths.append(save_figure(divergence_fields(system, models, extent, title), out_dir / f"{prefix}divergence.png"))
    return paths

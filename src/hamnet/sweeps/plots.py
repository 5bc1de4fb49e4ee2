"""A sweep's figure per swept numeric field: each metric against it, per task, one line per
model (and per value of the other varied fields), ± a standard error band over seeds."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..figure_files import color_of, save_figure  # noqa: E402
from .spec import SweepSpec  # noqa: E402
from .summary import METRICS, numeric_axes  # noqa: E402

#: Metrics drawn (those the rows have), at most this many panels per task.
DRAWN = ("test_loss", "test_dxdt_mse", "energy_mse", "horizon_error")
STYLES = ("-", "--", ":", "-.")


def axis_figure(rows: list[dict[str, Any]], axis: str, axes: list[str], out_dir: Path) -> Path:
    """`sweep-<axis>.png`: rows of tasks, columns of metrics; log scales where the values span
    a factor of 10 or more (always for the metrics, which are positive)."""
    metrics = [m for m in DRAWN if m in METRICS and any(m in r for r in rows)]
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    others = [a for a in axes if a != axis]
    fig, grid = plt.subplots(len(tasks), len(metrics), figsize=(4.2 * len(metrics), 3.4 * len(tasks)), squeeze=False)
    xs = [r[axis] for r in rows if isinstance(r.get(axis), (int, float))]
    log_x = bool(xs) and min(xs) > 0 and max(xs) / min(xs) >= 10
    for row_axes, task in zip(grid, tasks):
        lines: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            if r["task"] == task and isinstance(r.get(axis), (int, float)):
                rest = ", ".join(f"{o}={json.dumps(r.get(o))}" for o in others if r.get(o) is not None)
                lines.setdefault(f"{r['model']}{' · ' + rest if rest else ''}", []).append(r)
        styles, per_model = {}, {}  # the other fields' values by line style, per model
        for label, members in lines.items():
            model = members[0]["model"]
            styles[label] = STYLES[per_model.get(model, 0) % len(STYLES)]
            per_model[model] = per_model.get(model, 0) + 1
        for ax, metric in zip(row_axes, metrics):
            for label, members in lines.items():
                members = sorted((m for m in members if metric in m), key=lambda m: m[axis])
                if not members:
                    continue
                x = [m[axis] for m in members]
                y = [m[metric] for m in members]
                se = [0.0 if math.isnan(m.get(f"{metric}_se", math.nan)) else m[f"{metric}_se"] for m in members]
                color = color_of(members[0]["model"])
                ax.plot(x, y, marker="o", ls=styles[label], color=color, label=label, lw=1.5, ms=4)
                ax.fill_between(x, [max(v - s, v * 1e-3) for v, s in zip(y, se)], [v + s for v, s in zip(y, se)],
                                color=color, alpha=0.2, lw=0)
            ax.set(title=f"{task}: {metric}", xlabel=axis, yscale="log", xscale="log" if log_x else "linear")
            ax.grid(alpha=0.3, which="both")
        row_axes[0].legend(fontsize=7, loc="best")
    fig.suptitle(f"sweep over {axis} (mean ± standard error over seeds)")
    fig.tight_layout()
    return save_figure(fig, out_dir / f"sweep-{axis}.png")


def sweep_figures(rows: list[dict[str, Any]], spec: SweepSpec, out_dir: Path) -> list[Path]:
    """Per numeric axis of `spec`, `sweep-<axis>.png` of the summary `rows` (atomically)."""
    return [axis_figure(rows, axis, spec.axes, out_dir) for axis in numeric_axes(spec)]

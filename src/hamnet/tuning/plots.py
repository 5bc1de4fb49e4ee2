"""tune.png: every trial's validation loss and the best so far, per task, one colour per model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ..experiments import variants  # noqa: E402
from ..figure_files import color_of, save_figure  # noqa: E402


def history_figure(rows: list[dict[str, Any]], path: Path) -> Path:
    """One panel per task: dots for trials (the first, the preset's settings, ringed),
    the best so far as a line; log loss axis."""
    tasks = list(dict.fromkeys(r["label"] for r in rows))
    fig, axes = plt.subplots(1, len(tasks), figsize=(5.2 * len(tasks), 3.8), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for row in (r for r in rows if r["label"] == task):
            scored = [(n, v) for n, v in row["history"] if v is not None]
            if not scored:
                continue
            color = color_of(row["model"])
            numbers, values = zip(*scored)
            best = [min(values[:i + 1]) for i in range(len(values))]
            ax.scatter(numbers, values, s=12, color=color, alpha=0.5)
            ax.step(numbers, best, where="post", color=color, lw=1.8, label=variants.title(row["model"]))
            if numbers[0] == 0:
                ax.scatter([0], [values[0]], s=60, facecolors="none", edgecolors=color, lw=1.5)
        ax.set(title=f"{task}: validation dx/dt MSE", xlabel="trial", yscale="log")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    fig.suptitle("hamnet tune: each trial (dots; ringed: the preset's settings) and the best so far")
    fig.tight_layout()
    return save_figure(fig, path)

"""What every figure shares: the colour of a run, and writing a figure to disk (PNG,
atomically, with the user's umask: `hamnet.atomic`)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_hex, to_rgb  # noqa: E402

from .atomic import atomic_path  # noqa: E402
from .experiments import variants  # noqa: E402
from .models import color as model_color  # noqa: E402

#: How much darker a model is drawn when it trains with another objective (0: the same, 1: black).
OTHER_OBJECTIVE_SHADE = 0.45


def color_of(label: str) -> str:
    """The colour of the run labelled `label` (`hamnet.experiments.variants`): its model's
    registry colour; with another objective than its task's, a darker shade of it."""
    model, objective = variants.parse(label)
    if objective is None:
        return model_color(model)
    return to_hex(tuple((1 - OTHER_OBJECTIVE_SHADE) * c for c in to_rgb(model_color(model))))


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Write `fig` as PNG atomically and close it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path

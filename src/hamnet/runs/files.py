"""What a run directory holds, whose it is, and how far the run got.

A run directory belongs to one run: its `config.json` says which. Every file a run
writes has a name listed here (`RUN_FILES`, `FIGURE_PATTERNS`), so replacing a run
removes all of them. Artifacts computed from the weights (metrics, rollouts) carry the
run's fingerprint, a digest of its config and weights, and are trusted only while it
matches the weights beside them.
"""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from pathlib import Path
from typing import Any

from ..errors import RunDirectoryError

CONFIG, WEIGHTS, METRICS, HISTORY, CHECKPOINT, ROLLOUTS, HORIZON = (
    "config.json", "model.safetensors", "metrics.json", "history.json", "checkpoint.pt",
    "rollouts.safetensors", "horizon.safetensors")
RUN_FILES = (CONFIG, WEIGHTS, METRICS, HISTORY, CHECKPOINT, ROLLOUTS, HORIZON)
#: A run's own figures (`hamnet plot`): the state-space and the pixel figures; and the
#: long-horizon evaluations with another integrator or horizon (`hamnet evaluate --integrator`).
FIGURE_PATTERNS = ("rollouts.png", "vector_field.png", "energy_fields.png", "divergence.png", "horizon.png",
                   "pixel_rollout.gif", "pixel_rollout_strip.png", "latent_portrait.png", "energy_bump*.gif",
                   "horizon-*.json", "horizon-*.safetensors")
#: Config fields that may change between the sessions of one run (where it runs, where
#: its data file is found) without changing what it computes.
PLACE_FIELDS = ("device", "data_dir")


class RunState(Enum):
    """What a run directory holds of a run (`run_state`)."""

    NEW = "new"                # nothing of a run in the directory
    UNFINISHED = "unfinished"  # config written, weights not yet (maybe a checkpoint)
    FINISHED = "finished"      # weights and history written


def read_json(path: Path) -> Any:
    """A JSON file of a run directory; `RunDirectoryError` if missing or corrupt."""
    if not path.exists():
        raise RunDirectoryError(f"{path.parent} is not a complete run: {path.name} is missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunDirectoryError(f"{path} is corrupt: {exc}") from None


def run_files(run_dir: Path) -> list[Path]:
    """The files of a run present in `run_dir` (config, weights, metrics, figures, ...)."""
    names = [run_dir / name for name in RUN_FILES if (run_dir / name).exists()]
    return names + sorted(p for pattern in FIGURE_PATTERNS for p in run_dir.glob(pattern))


def clear_run(run_dir: Path) -> None:
    """Remove every file of the run in `run_dir` (other files are left alone)."""
    for path in run_files(run_dir):
        path.unlink(missing_ok=True)


def run_state(run_dir: Path) -> RunState:
    """How far the run in `run_dir` got."""
    if not run_files(run_dir):
        return RunState.NEW
    finished = (run_dir / WEIGHTS).exists() and (run_dir / HISTORY).exists() and not (run_dir / CHECKPOINT).exists()
    return RunState.FINISHED if finished else RunState.UNFINISHED


def what_differs(stored: dict[str, Any], wanted: dict[str, Any], prefix: str = "") -> list[str]:
    """Names of the config fields (dotted for nested ones) that differ, place fields excepted."""
    out = []
    for key in sorted(set(stored) | set(wanted)):
        if not prefix and key in PLACE_FIELDS:
            continue
        a, b = stored.get(key), wanted.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += what_differs(a, b, f"{prefix}{key}.")
        elif a != b:
            out.append(f"{prefix}{key} ({a!r} here, {b!r} asked)")
    return out


def fingerprint(run_dir: str | Path) -> str:
    """A digest of the run's config (place fields excepted) and its weights file."""
    run_dir = Path(run_dir)
    config = read_json(run_dir / CONFIG)
    if isinstance(config, dict):
        config = {k: v for k, v in config.items() if k not in PLACE_FIELDS}
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode())
    try:
        digest.update((run_dir / WEIGHTS).read_bytes())
    except OSError:
        raise RunDirectoryError(f"{run_dir} is not a complete run: {WEIGHTS} is missing (not trained yet?)") from None
    return digest.hexdigest()[:32]

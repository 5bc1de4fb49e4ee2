"""What a tune found: the tuned preset (`tuned.json`, `hamnet.experiments.tuned`), a table
of validation losses with the preset's settings and the tuned ones (`tune.md`), and the
loss of every trial (`tune.png`)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from optuna.trial import TrialState

from ..atomic import write_text
from ..experiments import variants
from ..experiments.tuned import FORMAT
from ..jobs import cpu_model
from . import space
from .record import Study


def summaries(studies: list[Study]) -> list[dict[str, Any]]:
    """Per study: task (its name and `label`), model, `trials` run, `failed`, the losses of
    the first trial (`preset_loss`: the preset's settings) and the best (`tuned_loss`, at
    `best_trial`, with its `overrides`), and `history`: (trial, loss or None) in order."""
    out = []
    for study in studies:
        done = [t for t in study.study.get_trials(deepcopy=False) if t.state in (TrialState.COMPLETE, TrialState.FAIL)]
        done.sort(key=lambda t: t.number)
        complete = [t for t in done if t.state == TrialState.COMPLETE]
        row: dict[str, Any] = {"task": study.task, "label": study.label, "model": study.model, "trials": len(done),
                               "failed": len(done) - len(complete),
                               "history": [(t.number, t.value if t.state == TrialState.COMPLETE else None) for t in done]}
        first = next((t for t in complete if t.number == 0), None)
        row["preset_loss"] = first.value if first else None
        if complete:
            best = min(complete, key=lambda t: (t.value, t.number))
            row |= {"tuned_loss": best.value, "best_trial": best.number, "overrides": space.overrides(best.params)}
        out.append(row)
    return out


def _number(value: float | None) -> str:
    return "—" if value is None else f"{value:.3e}"


def markdown(rows: list[dict[str, Any]], header: str) -> str:
    """tune.md: per task × model the validation loss with the preset's settings and the
    tuned ones, and the tuned settings."""
    lines = [header, "", "Validation dx/dt MSE (the training split's held-out part; the test split is not used).", "",
             "| task | model | trials (failed) | preset settings | tuned | tuned / preset | lr | weight decay | hidden |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        overrides = row.get("overrides", {})
        ratio = (f"{row['tuned_loss'] / row['preset_loss']:.2f}" if row.get("preset_loss") and "tuned_loss" in row
                 else "—")
        lines.append(f"| {row['label']} | {variants.title(row['model'])} | {row['trials']} ({row['failed']}) | "
                     f"{_number(row['preset_loss'])} | {_number(row.get('tuned_loss'))} | {ratio} | "
                     f"{overrides.get('train.lr', float('nan')):.2e} | "
                     f"{overrides.get('train.weight_decay', float('nan')):.1e} | "
                     f"{'x'.join(map(str, overrides.get('hidden', []))) or '—'} |")
    return "\n".join(lines) + "\n"


def write_tuned(studies: list[Study], out_dir: Path, preset: str, trials: int, validation: float, seed: int,
                header: str) -> list[dict[str, Any]]:
    """Write tuned.json, tune.md and tune.png (atomically); returns `summaries(studies)`."""
    rows = summaries(studies)
    experiments: dict[str, dict[str, Any]] = {}
    losses: dict[str, dict[str, Any]] = {}
    for row in rows:
        if "overrides" in row:  # a study whose every trial failed tunes nothing
            experiments.setdefault(row["task"], {})[row["model"]] = row["overrides"]
        losses.setdefault(row["task"], {})[row["model"]] = {
            k: row.get(k) for k in ("preset_loss", "tuned_loss", "best_trial", "trials", "failed")}
    document = {"format": FORMAT, "base": preset, "experiments": experiments, "validation_loss": losses,
                "trials": trials, "validation": validation, "seed": seed, "space": space.describe(),
                "made_by": header, "date": dt.date.today().isoformat(), "cpu": cpu_model()}
    write_text(out_dir / "tuned.json", json.dumps(document, indent=2) + "\n")
    write_text(out_dir / "tune.md", markdown(rows, header))
    from .plots import history_figure  # matplotlib only when drawing

    history_figure(rows, out_dir / "tune.png")
    return rows

"""A sweep's results: every point (`sweep.json`), mean ± standard error over seeds per
task × model × varied fields (`sweep.csv`, `sweep.md`), and a figure per swept numeric field."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_text
from ..experiments import variants
from ..report import seed_standard_error
from .spec import SweepSpec

#: Metrics summarised (those a point has), in this order.
METRICS = ("test_loss", "test_dxdt_mse", "energy_mse", "state_mse", "horizon_error", "valid_time", "energy_drift")


def summarise(records: list[dict[str, Any]], axes: list[str]) -> list[dict[str, Any]]:
    """One row per task × model × varied values: each metric's mean over seeds, `<metric>_se`
    (std over seeds / √n; nan for one seed) and `seeds` (how many points were scored)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        key = json.dumps([record["task"], record["model"], *(record.get(a) for a in axes)])
        groups.setdefault(key, []).append(record)
    rows = []
    for members in groups.values():
        first = members[0]
        row = {"task": first["task"], "model": first["model"], **{a: first.get(a) for a in axes}}
        scored = [m for m in members if "diverged" not in m]
        row["seeds"] = len(scored)
        for metric in METRICS:
            values = np.array([m[metric] for m in scored if metric in m], dtype=np.float64)
            if values.size:
                row[metric] = float(values.mean())
                row[f"{metric}_se"] = seed_standard_error(values)
        rows.append(row)
    return rows


def _cell(row: dict[str, Any], metric: str) -> str:
    if metric not in row:
        return "—"
    se = row.get(f"{metric}_se", float("nan"))
    return f"{row[metric]:.3e}" + ("" if math.isnan(se) else f" ± {se:.1e}")


def markdown(rows: list[dict[str, Any]], axes: list[str], header: str) -> str:
    """sweep.md: one table, a row per task × model × varied values."""
    metrics = [m for m in METRICS if any(m in r for r in rows)]
    columns = ["task", "model", *axes, "seeds", *metrics]
    lines = [header, "", "Mean ± standard error over seeds.", "",
             "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [row["task"], variants.title(row["model"]), *(json.dumps(row[a]) for a in axes), str(row["seeds"]),
                 *(_cell(row, m) for m in metrics)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def numeric_axes(spec: SweepSpec) -> list[str]:
    """Varied fields whose values are all numbers (not booleans), at least two of them."""
    values = {axis: [c[axis] for c in spec.combinations() if axis in c] for axis in spec.axes}
    return [axis for axis, vs in values.items()
            if len(set(vs)) > 1 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vs)]


def write_sweep(records: list[dict[str, Any]], spec: SweepSpec, out_dir: Path, header: str) -> list[dict[str, Any]]:
    """Write sweep.json (every point and the summary), sweep.csv and sweep.md (atomically);
    returns the summary's rows (`summarise`), which `plots.sweep_figures` draws."""
    rows = summarise(records, spec.axes)
    write_text(out_dir / "sweep.json", json.dumps({"axes": spec.axes, "points": records, "summary": rows}, indent=2))
    buffer = io.StringIO()
    fields = list(dict.fromkeys(k for r in rows for k in r))
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(out_dir / "sweep.csv", buffer.getvalue())
    write_text(out_dir / "sweep.md", markdown(rows, spec.axes, header))
    return rows

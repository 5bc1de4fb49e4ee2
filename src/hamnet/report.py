"""Results tables: records (one per task/model/seed) -> results.json, results.csv, results.md."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from .atomic import write_text
from .paper import METRICS

Record = dict[str, Any]

METRIC_TITLES = {"train_loss": "Train loss (dx/dt MSE; pixel pendulum: the paper's whole objective)",
                 "test_loss": "Test loss (dx/dt MSE; pixel pendulum: the paper's whole objective)",
                 "energy_mse": "Energy MSE along rollouts"}
MODEL_TITLES = {"baseline": "Baseline", "hnn": "HNN"}


def summarise(records: Iterable[Record], metric: str) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(task, model) -> (mean over seeds, SE, n seeds).

    SE is std over seeds / sqrt(n) for n > 1, else the run's own `<metric>_se`.
    """
    groups: dict[tuple[str, str], list[Record]] = {}
    for record in records:
        groups.setdefault((record["task"], record["model"]), []).append(record)
    out = {}
    for key, group in groups.items():
        values = np.array([r[metric] for r in group if metric in r], dtype=np.float64)
        if values.size == 0:
            continue
        if values.size > 1:
            se = float(values.std(ddof=1) / math.sqrt(values.size))
        else:
            se = float(group[0].get(f"{metric}_se", float("nan")))
        out[key] = (float(values.mean()), se, int(values.size))
    return out


def _fmt(mean: float, se: float | None = None) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "—"
    return f"{mean:.3e}" if se is None or math.isnan(se) else f"{mean:.3e} ± {se:.1e}"


def markdown_table(records: list[Record], metric: str) -> str:
    """One Markdown table: ours (mean ± SE over seeds) beside the paper's, with ratios."""
    ours = summarise(records, metric)
    paper = {(r["task"], r["model"]): (r.get(f"paper_{metric}"), r.get(f"paper_{metric}_se")) for r in records}
    tasks = list(dict.fromkeys(r["task"] for r in records))
    models = [m for m in MODEL_TITLES if any(r["model"] == m for r in records)]
    header = ["task"]
    for model in models:
        header += [f"{MODEL_TITLES[model]} (ours)", f"{MODEL_TITLES[model]} (paper)", "ours/paper"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for task in tasks:
        row = [task]
        for model in models:
            mean, se, n = ours.get((task, model), (float("nan"), float("nan"), 0))
            p_mean, p_se = paper.get((task, model), (None, None))
            ratio = f"{mean / p_mean:.2f}" if p_mean and not math.isnan(mean) else "—"
            row += [_fmt(mean, se), _fmt(p_mean, p_se) if p_mean else "—", ratio]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def render_markdown(records: list[Record], header: str = "") -> str:
    """The full results page: one table per metric."""
    seeds = sorted({r["seed"] for r in records})
    parts = [header.strip(), f"Seeds: {', '.join(map(str, seeds))} (ours: mean ± standard error over seeds; "
             "with one seed, ± is the run's own standard error). Paper: mean ± its reported error."]
    for metric in METRICS:
        parts += [f"### {METRIC_TITLES[metric]}", markdown_table(records, metric)]
    extra = [k for k in dict.fromkeys(k for r in records for k in r)
             if k not in (*METRICS, "train_seconds") and not k.endswith("_se")
             and not k.startswith("paper_") and isinstance(next(r[k] for r in records if k in r), float)]
    if extra:
        rows = []
        for metric in extra:
            for (task, model), (mean, se, _) in summarise(records, metric).items():
                rows.append(f"| {task} | {MODEL_TITLES.get(model, model)} | {metric} | {_fmt(mean, se)} |")
        parts += ["### Other metrics (ours)", "\n".join(["| task | model | metric | value |", "|---|---|---|---|", *rows])]
    seconds = summarise(records, "train_seconds")
    if seconds:
        rows = [f"| {t} | {m} | {v[0]:.1f} |" for (t, m), v in seconds.items()]
        parts += ["### Training time per run (s, mean over seeds)",
                  "\n".join(["| task | model | seconds |", "|---|---|---|", *rows])]
    return "\n\n".join(p for p in parts if p) + "\n"


def render_csv(records: list[Record]) -> str:
    fields = list(dict.fromkeys(k for r in records for k in r))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def write_results(records: list[Record], out_dir: Path, header: str = "") -> None:
    """Write results.json, results.csv and results.md into `out_dir` (atomically)."""
    write_text(out_dir / "results.json", json.dumps(records, indent=2))
    write_text(out_dir / "results.csv", render_csv(records))
    write_text(out_dir / "results.md", render_markdown(records, header))

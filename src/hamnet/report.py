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
from .experiments import variants
from .horizon import HorizonProtocol
from .paper import METRICS

Record = dict[str, Any]

METRIC_TITLES = {"train_loss": "Train loss (the training objective: dx/dt MSE; pixel pendulum: the paper's whole "
                               "objective; rollout: the unrolled states' error)",
                 "test_loss": "Test loss (the training objective: dx/dt MSE; pixel pendulum: the paper's whole "
                              "objective; rollout: the unrolled states' error)",
                 "energy_mse": "Energy MSE along rollouts",
                 "energy_mse_paper": "Energy MSE as the paper's notebook defined it (pixel pendulum: one fresh "
                                     "episode; rollout decoded, encoded again, read out; H = 1.9(1 − cos q) + p²)",
                 "state_mse": "State MSE along rollouts (ours only: the distance from the reference, mean over time)",
                 "learned_energy_variation": "Learned energy's variation along the measured test trajectories "
                                             "(ours: RMS of H_θ about its mean per trajectory / std of H_θ over the "
                                             "training states; 0 = the data conserve H_θ)"}
#: The derivative MSE on the test split of runs trained with another objective (`test_dxdt_mse`),
#: shown beside the other runs' test loss (which is that MSE).
DXDT_TITLE = ("Test dx/dt MSE of every model, whatever it trained with (the test loss of the runs trained "
              "on dx/dt; runs trained with another objective: their field's dx/dt MSE on the same test split)")
#: Metrics shown as tables of their own besides the published ones (no published numbers).
ROLLOUT_METRICS = ("state_mse", "learned_energy_variation")
#: The long-horizon metrics (`hamnet.horizon`), shown together in one table.
HORIZON_METRICS = {"horizon_error": "geo-mean relative error", "horizon_floor": "chaos floor",
                   "valid_time": "valid time: median over states of the first time e(t) exceeds 0.1 (time units)",
                   "energy_drift": "energy drift at the horizon, |H(x̂_T) − H(x_T)| / |H(x_0)|",
                   "learned_energy_drift": "learned-H drift at the horizon, |H_θ(x̂_T) − H_θ(x̂_0)| / |H(x_0)| "
                                           "(the integrator's share)",
                   "reversibility_error": "reversibility error (docs/tasks.md)"}


#: The default long-horizon protocol in words.
DEFAULT_HORIZON_NOTE = HorizonProtocol().describe()


def seed_standard_error(values: np.ndarray) -> float:
    """Standard error of a mean over seeds, std (ddof 1) / sqrt(n); nan for one seed, or
    where a value is infinite (a diverged rollout)."""
    if values.size < 2:
        return float("nan")
    with np.errstate(invalid="ignore"):
        return float(values.std(ddof=1) / math.sqrt(values.size))


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
        se = seed_standard_error(values) if values.size > 1 else float(group[0].get(f"{metric}_se", float("nan")))
        out[key] = (float(values.mean()), se, int(values.size))
    return out


def models_in(records: list[Record]) -> list[str]:
    """The models of `records` (labels, `hamnet.experiments.variants`) in registry order, then any others."""
    return variants.ordered([r["model"] for r in records])


def _fmt(mean: float, se: float | None = None) -> str:
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "—"
    return f"{mean:.3e}" if se is None or math.isnan(se) else f"{mean:.3e} ± {se:.1e}"


def markdown_table(records: list[Record], metric: str, reference: str | None = "paper") -> str:
    """One Markdown table: ours (mean ± SE over seeds); with a `reference` label, beside the
    published numbers of the records' `paper_<metric>` fields (columns headed so) and the
    ratios. Only the tasks that have the metric, in ours or in the published numbers."""
    ours = summarise(records, metric)
    paper = {(r["task"], r["model"]): (r.get(f"paper_{metric}"), r.get(f"paper_{metric}_se")) for r in records}
    tasks = list(dict.fromkeys(r["task"] for r in records))
    shown = models_in(records)
    header = ["task"]
    for model in shown:
        title = variants.title(model)
        header += [f"{title} (ours)", f"{title} ({reference})", f"ours/{reference}"] if reference else [title]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for task in tasks:
        if not any((task, model) in ours or (reference and paper.get((task, model), (None,))[0])
                   for model in shown):
            continue  # a metric that this task has neither in ours nor in the published numbers
        row = [task]
        for model in shown:
            mean, se, n = ours.get((task, model), (float("nan"), float("nan"), 0))
            if not reference:
                row.append(_fmt(mean, se))
                continue
            p_mean, p_se = paper.get((task, model), (None, None))
            ratio = f"{mean / p_mean:.2f}" if p_mean and math.isfinite(mean) else "—"
            row += [_fmt(mean, se), _fmt(p_mean, p_se) if p_mean else "—", ratio]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def horizon_error_table(records: list[Record], reference: str | None = None) -> str:
    """Tasks × models: the geometric-mean relative error (mean over seeds ± SE) and its
    multiple of the chaos floor, beside the floor (a property of the task: the same for every
    model). With `reference` (the label of published numbers the records carry), their
    floor and errors beside ours."""
    errors, floors = summarise(records, "horizon_error"), summarise(records, "horizon_floor")
    published, published_floor = _published(records, "horizon_error"), _published(records, "horizon_floor")
    reference = reference if published else None
    shown = [model for model in models_in(records) if any(key[1] == model for key in errors)]
    columns = [variants.title(m) for m in shown]
    if reference:
        columns = [f"{title} | {reference} | ratio" for title in columns]
    floor_columns = "chaos floor" + (f" | {reference} floor" if reference else "")
    lines = [f"| task | {floor_columns} | " + " | ".join(columns) + " |",
             "|---|---|" + ("---|" if reference else "") + "---|" * (len(shown) * (3 if reference else 1))]
    for task in dict.fromkeys(r["task"] for r in records):
        floor = next((floors[(task, m)][0] for m in shown if (task, m) in floors), None)
        if floor is None:
            continue
        cells = [_fmt(floor)]
        if reference:
            theirs = next((published_floor[(task, m)] for m in shown if (task, m) in published_floor), None)
            cells.append(_fmt(*theirs) if theirs else "—")
        for model in shown:
            mean, se, _ = errors.get((task, model), (float("nan"), float("nan"), 0))
            cells.append(_fmt(mean, se) + (f" ({mean / floor:.3g}× floor)" if math.isfinite(mean) and floor else ""))
            if reference:
                p_mean, p_se = published.get((task, model), (None, None))
                cells += [_fmt(p_mean, p_se) if p_mean else "—",
                          f"{mean / p_mean:.2f}" if p_mean and math.isfinite(mean) else "—"]
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _published(records: list[Record], metric: str) -> dict[tuple[str, str], tuple[float, float]]:
    """(task, model) -> the published (mean, SE) of `metric` the records carry (`paper_<metric>`)."""
    return {(r["task"], r["model"]): (r[f"paper_{metric}"], r.get(f"paper_{metric}_se", float("nan")))
            for r in records if f"paper_{metric}" in r}


def notes(records: list[Record]) -> list[str]:
    """One line per run that diverged in training or whose metric is not finite."""
    out = []
    for r in records:
        run = f"{r['task']} · {variants.title(r['model'])} · seed {r['seed']}"
        if "diverged" in r:
            out.append(f"- {run}: not scored, {r['diverged']}")
        bad = [k for k in (*METRICS, "reversibility_error") if isinstance(r.get(k), float) and not math.isfinite(r[k])]
        if bad:
            share = (f" ({r['diverged_rollouts']:.0%} of its rollouts reach non-finite states)"
                     if r.get("diverged_rollouts") else "")
            out.append(f"- {run}: {', '.join(bad)} not finite: the model diverges{share}; "
                       "means over its seeds are not finite either")
    return out


def render_markdown(records: list[Record], header: str = "", reference: str | None = "paper",
                    source: str = "", smoke_test: bool = False, horizon: str = DEFAULT_HORIZON_NOTE) -> str:
    """The full results page: one table per metric, then notes on diverged runs.

    `reference`: the label of the published numbers shown beside ours (`source` says
    whence; None: none shown). A `smoke_test` (the quick preset) says at its top that its
    numbers are not expected to match the paper's, and shows none beside them. `horizon`
    describes the long-horizon protocol (`HorizonProtocol.describe`).
    """
    seeds = sorted({r["seed"] for r in records})
    reference = None if smoke_test else reference
    legend = ("Seeds: {} (mean ± standard error over seeds; with one seed, ± is the run's own "
              "standard error).")
    if reference:
        legend += (f" {reference[0].upper() + reference[1:]}{f' ({source})' if source else ''}: "
                   "mean ± its reported error (— where none).")
    caveat = ("**Quick preset: a smoke test of the whole pipeline with fewer steps and samples. Its numbers "
              "are not expected to match the paper's or the full preset's, so no published ones are shown beside "
              "them; the same command without --quick runs the full preset.**") if smoke_test else ""
    parts = [header.strip(), caveat, legend.format(", ".join(map(str, seeds)))]
    for metric in METRICS:
        if any(metric in r for r in records):  # no energy MSE where no true energy is known
            parts += [f"### {METRIC_TITLES[metric]}", markdown_table(records, metric, reference)]
    if any("test_dxdt_mse" in r for r in records):
        scored = {r["task"] for r in records if "test_dxdt_mse" in r}  # state-space tasks: test loss is dx/dt MSE
        # runs trained on dx/dt have no test_dxdt_mse of their own: their test loss is it
        comparable = [r | {"test_dxdt_mse": r["test_loss"], "test_dxdt_mse_se": r.get("test_loss_se")}
                      if r["task"] in scored and "test_loss" in r and "test_dxdt_mse" not in r else r
                      for r in records]
        parts += [f"### {DXDT_TITLE}", markdown_table(comparable, "test_dxdt_mse", None)]
    for metric in ROLLOUT_METRICS:
        if any(metric in r for r in records):
            parts += [f"### {METRIC_TITLES[metric]}", markdown_table(records, metric, None)]
    if any("horizon_error" in r for r in records):
        parts += [f"### Long horizons: geometric-mean relative state error beside the chaos floor (ours: {horizon}; "
                  "docs/tasks.md)", horizon_error_table(records, reference)]
    for metric, title in HORIZON_METRICS.items():
        if metric not in ("horizon_error", "horizon_floor") and any(metric in r for r in records):
            kind = "Time reversal" if metric == "reversibility_error" else "Long horizons"
            parts += [f"### {kind}: {title}", markdown_table(records, metric, None)]
    extra = [k for k in dict.fromkeys(k for r in records for k in r)
             if k not in (*METRICS, *ROLLOUT_METRICS, *HORIZON_METRICS, "test_dxdt_mse", "train_seconds",
                          "diverged_rollouts")
             and not k.endswith("_se")
             and not k.startswith("paper_") and isinstance(next(r[k] for r in records if k in r), float)]
    if extra:
        rows = []
        for metric in extra:
            for (task, model), (mean, se, _) in summarise(records, metric).items():
                rows.append(f"| {task} | {variants.title(model)} | {metric} | {_fmt(mean, se)} |")
        parts += ["### Other metrics (ours)", "\n".join(["| task | model | metric | value |", "|---|---|---|---|", *rows])]
    seconds = summarise(records, "train_seconds")
    if seconds:
        rows = [f"| {t} | {m} | {v[0]:.1f} |" for (t, m), v in seconds.items()]
        parts += ["### Training time per run (s, mean over seeds)",
                  "\n".join(["| task | model | seconds |", "|---|---|---|", *rows])]
    if notes(records):
        parts += ["### Notes", "\n".join(notes(records))]
    return "\n\n".join(p for p in parts if p) + "\n"


def render_csv(records: list[Record]) -> str:
    fields = list(dict.fromkeys(k for r in records for k in r))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def write_results(records: list[Record], out_dir: Path, header: str = "", reference: str | None = "paper",
                  source: str = "", smoke_test: bool = False, horizon: str = DEFAULT_HORIZON_NOTE) -> None:
    """Write results.json, results.csv and results.md (`render_markdown`) into `out_dir` (atomically)."""
    write_text(out_dir / "results.json", json.dumps(records, indent=2))
    write_text(out_dir / "results.csv", render_csv(records))
    write_text(out_dir / "results.md", render_markdown(records, header, reference, source, smoke_test, horizon))

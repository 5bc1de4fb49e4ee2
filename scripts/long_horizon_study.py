"""Long horizons: which model, objective and integrator stay right longest (docs/long-horizon.md).

    python scripts/long_horizon_study.py [--out results/long-horizon] [--seeds 3] [--tasks spring,pendulum] [--steps N]

On the spring and the pendulum (the paper's full training settings), `--seeds` seeds each of
- baseline and HNN trained on dx/dt (the paper's objective),
- hnn-separable trained with the rollout objective through leapfrog, k = 8,
- HNN trained with the rollout objective through implicit midpoint, k = 8;
then every run's long-horizon metrics (`hamnet.horizon`, 10× the training horizon) rolled
out by dopri5 and by a symplectic integrator (leapfrog for the separable model, implicit
midpoint for the others) at the training data's time step. Runs are resumable: a
finished run is not trained again. Writes `<out>/long-horizon.{json,md}` (and prints the
table) and, per task, `<out>/long-horizon-<task>.png`: e(t) and the energy error of seed 0
of every combination, rolled out by dopri5.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path

import numpy as np
import torch

from hamnet import models
from hamnet.atomic import write_text
from hamnet.experiments import RunConfig
from hamnet.figure_files import save_figure
from hamnet.jobs import cpu_model
from hamnet.pipeline import horizon_evaluation, horizon_file, load_horizon_curves, train_runs
from hamnet.plots import horizon_figure

#: (label, model, objective, objective options)
#: Colour of each combination in the figures.
COLORS = {"baseline": models.color("baseline"), "hnn": models.color("hnn"),
          "hnn-separable, rollout leapfrog k=8": models.color("hnn-separable"),
          "hnn, rollout implicit-midpoint k=8": "tab:purple"}
COMBINATIONS = (
    ("baseline", "baseline", "derivative", {}),
    ("hnn", "hnn", "derivative", {}),
    ("hnn-separable, rollout leapfrog k=8", "hnn-separable", "rollout", {"unroll": 8, "integrator": "leapfrog"}),
    ("hnn, rollout implicit-midpoint k=8", "hnn", "rollout", {"unroll": 8, "integrator": "implicit-midpoint"}),
)
METRICS = ("horizon_error", "valid_time", "energy_drift", "learned_energy_drift")


def symplectic_for(model: str) -> str:
    return "leapfrog" if model == "hnn-separable" else "implicit-midpoint"


def folder(label: str) -> str:
    return label.replace(", ", "_").replace(" ", "-").replace("=", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/long-horizon"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tasks", default="spring,pendulum")
    parser.add_argument("--steps", type=int, help="training steps (default: the paper's); fewer for a smoke run")
    args = parser.parse_args()
    rows = []
    for task in args.tasks.split(","):
        curves = {}
        for label, model, objective, options in COMBINATIONS:
            configs = [RunConfig.for_task(task, model, seed=seed, steps=args.steps, objective=objective,
                                          objective_options=options)
                       for seed in range(args.seeds)]
            dirs = [args.out / task / folder(label) / f"seed{seed}" for seed in range(args.seeds)]
            train_runs(configs, dirs, resume=True)
            for method in ("dopri5", symplectic_for(model)):
                per_seed = [horizon_evaluation(d, integrator=method) for d in dirs]
                row = {"task": task, "run": label, "integrator": method}
                for name in METRICS + ("horizon_floor",):
                    if name not in per_seed[0]:  # no learned H
                        continue
                    values = np.array([m[name] for m in per_seed])
                    row[name] = float(np.median(values))
                    row[f"{name}_seeds"] = values.tolist()
                rows.append(row)
                print(json.dumps(row), flush=True)
            curves[label] = load_horizon_curves(dirs[0], f"{horizon_file(10.0, 'dopri5')}.safetensors")
        title = f"{task}: seed 0 of each, rolled out by dopri5 over 10× the training horizon"
        save_figure(horizon_figure(curves, title, color=COLORS.get), args.out / f"long-horizon-{task}.png")
    write_text(args.out / "long-horizon.json", json.dumps(rows, indent=2))
    header = (f"Command: `python scripts/long_horizon_study.py --seeds {args.seeds} --tasks {args.tasks}"
              f"{f' --steps {args.steps}' if args.steps else ''}` · "
              f"{datetime.date.today()} · {cpu_model()}, torch {torch.__version__}\n\n")
    table = header + markdown(rows)
    write_text(args.out / "long-horizon.md", table)
    print(table)


def markdown(rows: list[dict]) -> str:
    lines = ["| task | run | integrator | geo-mean e(t) | chaos floor | valid time | energy drift | learned-H drift |",
             "|---|---|---|---|---|---|---|---|"]

    def spread(row: dict, name: str) -> str:
        if name not in row:
            return "—"
        return f"{row[name]:.3g} ({min(row[name + '_seeds']):.3g}–{max(row[name + '_seeds']):.3g})"

    for r in rows:
        lines.append(f"| {r['task']} | {r['run']} | {r['integrator']} | {spread(r, 'horizon_error')} | "
                     f"{r['horizon_floor']:.2g} | {spread(r, 'valid_time')} | {spread(r, 'energy_drift')} | "
                     f"{spread(r, 'learned_energy_drift')} |")
    return "\n".join(lines) + ("\n\nMedian over seeds (min–max in brackets), 10× the training horizon (30 time units) "
                               "from 15 held-out states; fixed-step integrators at the training data's time step.\n")


if __name__ == "__main__":
    main()

"""Score a `reproduce` output's runs at another long-horizon setting, as results.md's tables.

    python scripts/horizon_at.py RESULTS [--factor 1] [--integrator dopri5] [--tasks double-pendulum,...]

For every run under RESULTS/runs/ (of the given task labels, default all): its long-horizon
metrics over `--factor` × the training horizon (`hamnet evaluate RUN --horizon F`, kept in
the run's `horizon-<integrator>-<F>x.json`: a second call reads them back), then the
geometric-mean error beside the chaos floor and the valid time, tasks × models, mean ± SE
over seeds. Writes RESULTS/horizon-<integrator>-<F>x.md and prints it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hamnet.atomic import write_text
from hamnet.pipeline import horizon_evaluation, horizon_file
from hamnet.report import horizon_error_table, markdown_table
from hamnet.runs import FINGERPRINT_KEY, fingerprint, load_config


def scored(run: Path, factor: float, integrator: str) -> dict:
    """The run's metrics at this setting: saved ones if they belong to its weights, else computed."""
    saved = run / f"{horizon_file(factor, integrator)}.json"
    if saved.exists():
        content = json.loads(saved.read_text())
        if content.get(FINGERPRINT_KEY) == fingerprint(run):
            return {k: v for k, v in content.items() if k not in (FINGERPRINT_KEY, "settings")}
    return horizon_evaluation(run, factor=factor, integrator=integrator)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--factor", type=float, default=1.0)
    parser.add_argument("--integrator", default="dopri5")
    parser.add_argument("--tasks", help="comma-separated task labels (default: every task in results.json)")
    args = parser.parse_args()
    wanted = set(args.tasks.split(",")) if args.tasks else None
    records = []
    for record in json.loads((args.results / "results.json").read_text()):
        if (wanted and record["task"] not in wanted) or "horizon_error" not in record:
            continue
        run = args.results / "runs" / f"{record['task']}-{record['model']}-seed{record['seed']}"
        assert load_config(run).seed == record["seed"]
        metrics = scored(run, args.factor, args.integrator)
        records.append({"task": record["task"], "model": record["model"], "seed": record["seed"], **metrics})
        print(f"{run.name}: {metrics['horizon_error']:.3e} (floor {metrics['horizon_floor']:.3e})", flush=True)
    title = f"{args.factor:g}× the training horizon, {args.integrator}"
    page = (f"### Geometric-mean relative error beside the chaos floor, {title}\n\n{horizon_error_table(records)}\n\n"
            f"### Valid time (median over states, time units), {title}\n\n"
            f"{markdown_table(records, 'valid_time', None)}\n")
    write_text(args.results / f"{horizon_file(args.factor, args.integrator)}.md", page)
    print(page)


if __name__ == "__main__":
    main()

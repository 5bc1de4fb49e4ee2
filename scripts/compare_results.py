"""Two `reproduce` outputs side by side: test loss and energy MSE per task and model.

    python scripts/compare_results.py results/paper-settings results/tuned --names "paper settings,tuned" \
        --out results/tuned-vs-paper.md

Reads each directory's results.json (mean ± standard error over seeds, `hamnet.report.summarise`)
and writes one table per metric with the ratio B / A and the difference in units of A's
seed standard deviation (|B − A| / (SE·√n) of A; ≤ 1: B lies inside A's seed spread), for
the (task, model) pairs both hold, then prints it. Each output's own command line is quoted from its results.md.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from hamnet.atomic import write_text
from hamnet.errors import HamnetError, exit_with
from hamnet.experiments import variants
from hamnet.report import summarise

METRICS = {"test_loss": "Test loss (dx/dt MSE)", "energy_mse": "Energy MSE along rollouts"}


def command_of(results: Path) -> str:
    """The first line of a results.md (its command, preset, date and machine)."""
    lines = read(results / "results.md").splitlines()
    return next((line for line in lines if line.startswith("Command:")), "(no command line)")


def read(path: Path) -> str:
    """The text of a `reproduce` output's file (exits in one line if it cannot be read)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        exit_with(f"error: {path}: cannot be read ({exc.strerror if isinstance(exc, OSError) else exc})")


def records(results: Path) -> list[dict]:
    """The run records of a `reproduce` output's results.json."""
    try:
        raw = json.loads(read(results / "results.json"))
    except json.JSONDecodeError as exc:
        exit_with(f"error: {results / 'results.json'}: not JSON ({exc})")
    if not (isinstance(raw, list) and all(isinstance(r, dict) and {"task", "model"} <= r.keys() for r in raw)):
        exit_with(f"error: {results / 'results.json'}: not a list of run records")
    return raw


def table(first: list[dict], second: list[dict], metric: str, names: tuple[str, str]) -> str:
    a, b = summarise(first, metric), summarise(second, metric)
    lines = [f"| task | model | {names[0]} | {names[1]} | {names[1]} / {names[0]} | "
             f"\\|{names[1]} − {names[0]}\\| / seed std of {names[0]} |", "|---|---|---|---|---|---|"]
    for key in (k for k in a if k in b):
        (ma, sa, na), (mb, sb, _) = a[key], b[key]
        spread = f"{abs(mb - ma) / (sa * math.sqrt(na)):.2f}" if na > 1 and sa > 0 else "—"
        lines.append(f"| {key[0]} | {variants.title(key[1])} | {ma:.3e} ± {sa:.1e} | {mb:.3e} ± {sb:.1e} | "
                     f"{mb / ma:.2f} | {spread} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("first", type=Path)
    parser.add_argument("second", type=Path)
    parser.add_argument("--names", default="A,B", help="the two columns' names, comma-separated")
    parser.add_argument("--out", type=Path, help="also write the page here")
    args = parser.parse_args()
    names = tuple(args.names.split(","))
    if len(names) != 2:
        exit_with(f"error: --names needs two names, got {args.names!r}")
    both = [records(d) for d in (args.first, args.second)]
    page = [f"- {name}: {command_of(d)}" for name, d in zip(names, (args.first, args.second))]
    for metric, title in METRICS.items():
        page += ["", f"### {title}", "", table(*both, metric, names)]
    text = "\n".join(page) + "\n"
    if args.out:
        try:
            write_text(args.out, text)
        except HamnetError as exc:
            exit_with(f"error: {exc}")
    print(text)


if __name__ == "__main__":
    main()

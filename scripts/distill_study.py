"""The distillation study (docs/distill.md): HNNs trained on noisy data, their learned H
distilled into formulas, beside the same regression on the data directly and plain SINDy.

    python scripts/distill_study.py --out results/distill            # 3 seeds, the paper's settings
    python scripts/distill_study.py --out results/distill-smoke --quick

Per system and seed: data with observation noise 0.05 (a `hamnet simulate` file of the
written H, or the built-in two-body task with its noise set to 0.05), an HNN trained with
the full preset (`--reference flow`: rollouts scored against the true flow), `hamnet distill`
of the run and of the data (`--data`), and the real pendulum's measured series (no truth).
Writes results.json (every record) and results.md (the tables docs/distill.md shows).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from hamnet.atomic import write_text
from hamnet.data.files import write_trajectories
from hamnet.distill import LibrarySpec, Settings, distill_data, distill_run
from hamnet.distill.report import write_distillation
from hamnet.errors import HamnetError, exit_with
from hamnet.expression import HamiltonianExpression
from hamnet.experiments import RunConfig
from hamnet.pipeline import train_run
from hamnet.simulate import Sampler, simulate

#: The std of the observation noise on the states (the issue's setting; `--noise` for a control).
NOISE = 0.05


@dataclass(frozen=True)
class Case:
    """A system of the study: its H as text (None: a built-in task), how its data are drawn,
    and the library its formula is sought in."""

    name: str
    hamiltonian: str | None
    coords: tuple[str, ...] = ("q",)
    momenta: tuple[str, ...] = ("p",)
    sampler: Sampler = Sampler()
    library: LibrarySpec = LibrarySpec(degree=4, trig=True)
    task: str = "file"
    truth: str | None = None  # the H the data determine, where it is not the task's own (two-body)


#: Polynomial systems are sought without sin and cos: on |q| <~ 1.5, cos q and its Taylor
#: polynomial differ by less than the noise, so a library with both cannot tell them apart
#: (docs/distill.md shows the double well distilled with them).
POLYNOMIAL = LibrarySpec(degree=4, trig=False)
CASES = (
    Case("spring", "q**2 + p**2", library=POLYNOMIAL),
    Case("pendulum", "3*(1 - cos(q)) + p**2", sampler=Sampler(-2.0, 2.0)),
    Case("double-well", "p**2/2 + q**4/4 - q**2/2", sampler=Sampler(-1.5, 1.5), library=POLYNOMIAL),
    Case("henon-heiles", "(px**2 + py**2)/2 + (x**2 + y**2)/2 + x**2*y - y**3/3", ("x", "y"), ("px", "py"),
         Sampler(-0.6, 0.6, (0.02, 0.16)), library=POLYNOMIAL),
    # The two-body data keep the centre of mass at rest (p3 = -p1, p4 = -p2 on every state), so
    # they fix H only as a function of the relative momentum: (p1 - p3)^2/4 + (p2 - p4)^2/4 - 1/r
    # equals sum(p^2)/2 - 1/r on every one of them, and the noisy states pick this form out.
    Case("two-body", None, library=LibrarySpec(degree=2, trig=False), task="two-body",
         truth="(p1 - p3)**2/4 + (p2 - p4)**2/4 - 1/sqrt((q1 - q3)**2 + (q2 - q4)**2)"),
    Case("real-pendulum", None, task="real-pendulum"),
)


def config_for(case: Case, seed: int, folder: Path, quick: bool, noise: float = NOISE) -> RunConfig:
    """The HNN run of `case` (its data file written first, for a written H)."""
    preset, steps = "full", (300 if quick else None)
    if case.task != "file":
        recipe = {"noise_std": noise} if case.task == "two-body" else None
        return RunConfig.for_task(case.task, "hnn", seed, preset, steps, recipe=recipe)
    expression = HamiltonianExpression.parse(case.hamiltonian, case.coords, case.momenta)
    t, x, dxdt = simulate(expression, case.sampler, 50, 3.0, 30, noise, seed)
    path = folder / f"{case.name}-seed{seed}.npz"
    write_trajectories(path, t, x, dxdt, expression.coords, expression.momenta, expression.text)
    options = {"path": str(path.resolve()), "coords": None, "momenta": None, "hamiltonian": case.hamiltonian}
    return RunConfig.for_task("file", "hnn", seed, preset, steps, system_options=options,
                              protocol={"reference_flow": True})


def study(cases: list[Case], seeds: int, out: Path, quick: bool, noise: float = NOISE) -> list[dict]:
    records = []
    for case in cases:
        for seed in range(seeds):
            started = time.perf_counter()
            config = config_for(case, seed, out / "data", quick, noise)
            run = out / "runs" / f"{case.name}-hnn-seed{seed}"
            train_run(config, run, resume=True)  # a finished run of the same settings is kept
            settings = Settings(library=case.library, seed=seed, truth=case.truth)
            from_network = distill_run(run, settings)
            write_distillation(from_network, run / "distill")
            record = {"system": case.name, "seed": seed, "network": from_network.to_dict()}
            if case.task != "real-pendulum":  # the noise is known: correct for it too
                corrected = dataclasses.replace(settings, noise=noise)
                record["network_corrected"] = distill_run(run, corrected).to_dict()
                from_data = distill_data(config, settings)
                write_distillation(from_data, out / "from-data" / f"{case.name}-seed{seed}")
                record["data"] = from_data.to_dict()
                record["data_corrected"] = distill_data(config, dataclasses.replace(corrected, horizon=None),
                                                        with_sindy=False).to_dict()
            record["seconds"] = time.perf_counter() - started
            records.append(record)
            print(f"{case.name} seed {seed}: H = {from_network.hamiltonian.to_dict()['pretty']} "
                  f"({record['seconds']:.0f} s)", flush=True)
    return records


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f} %"


def _support(truth: dict | None) -> str:
    if truth is None:
        return "—"
    if truth["exact_support"]:
        return "exact"
    return ", ".join([f"−{t}" for t in truth["missing"]] + [f"+{t}" for t in truth["extra"]])


def _cells(distilled: dict | None) -> str:
    """A distillation's support and largest coefficient error, as two table cells."""
    if distilled is None:
        return "— | —"
    truth = distilled["truth"]
    return f"{_support(truth)} | {_percent(truth['max_coefficient_error'] if truth else None)}"


def _horizon(distilled: dict, model: str) -> str:
    scores = distilled["scores"].get(model, {})
    key = next((k for k in scores if k.startswith("horizon_error")), None)
    return f"{scores[key]:.3g}" if key else "—"


def tables(records: list[dict], seeds: int, quick: bool, noise: float = NOISE) -> str:
    """results.md: one row per system and seed."""
    lines = [f"Distillation study ({'smoke run, ' if quick else ''}{seeds} seeds, noise {noise}; "
             f"{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
             f"torch {torch.__version__}): `python scripts/distill_study.py`.", "",
             "| system | seed | HNN: support | error | HNN, noise corrected: support | error "
             "| data: support | error | data, noise corrected: support | error | plain SINDy: terms | support "
             "| 10x horizon error: formula | corrected formula | network |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in records:
        sindy = (r.get("data") or {}).get("sindy")
        sindy_support = "—" if not sindy or sindy.get("exact_support") is None else \
            ("exact" if sindy["exact_support"] else "no")
        lines.append(f"| {r['system']} | {r['seed']} | {_cells(r['network'])} | {_cells(r.get('network_corrected'))} "
                     f"| {_cells(r.get('data'))} | {_cells(r.get('data_corrected'))} "
                     f"| {sindy['terms'] if sindy else '—'} | {sindy_support} | {_horizon(r['network'], 'formula')} "
                     f"| {_horizon(r['network_corrected'], 'formula') if 'network_corrected' in r else '—'} "
                     f"| {_horizon(r['network'], 'network')} |")
    lines += ["", "Formulas distilled from the HNNs, corrected for the noise where it is known (seed 0):", ""]
    lines += [f"- {r['system']}: `H = {r.get('network_corrected', r['network'])['hamiltonian']['pretty']}`"
              for r in records if r["seed"] == 0]
    real = [r for r in records if r["system"] == "real-pendulum"]
    if real:
        lines += ["", "Real pendulum (measured; test segment):", "",
                  "| seed | formula | energy MSE, formula | network | state MSE, formula | network |",
                  "|---|---|---|---|---|---|"]
        for r in real:
            f, n = r["network"]["scores"]["formula"], r["network"]["scores"]["network"]
            lines.append(f"| {r['seed']} | `{r['network']['hamiltonian']['pretty']}` | {f['energy_mse']:.4g} "
                         f"| {n['energy_mse']:.4g} | {f['state_mse']:.4g} | {n['state_mse']:.4g} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/distill"))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--systems", default=",".join(c.name for c in CASES))
    parser.add_argument("--quick", action="store_true", help="300 training steps: a smoke run")
    parser.add_argument("--noise", type=float, default=NOISE, help="std of the noise on the states (0: the "
                        "noise-free control)")
    args = parser.parse_args()
    chosen = args.systems.split(",")
    unknown = [name for name in chosen if name not in {c.name for c in CASES}]
    if unknown:
        exit_with(f"unknown system {unknown[0]!r}; known: {', '.join(c.name for c in CASES)}")
    if not 0 <= args.noise < float("inf"):
        exit_with(f"--noise must be a non-negative number, got {args.noise}")
    try:
        records = study([c for c in CASES if c.name in chosen], args.seeds, args.out, args.quick, args.noise)
    except HamnetError as exc:
        exit_with(str(exc))
    write_text(args.out / "results.json", json.dumps(records, indent=2, default=float))
    write_text(args.out / "results.md", tables(records, args.seeds, args.quick, args.noise))
    print(f"wrote {args.out / 'results.md'}")


if __name__ == "__main__":
    main()

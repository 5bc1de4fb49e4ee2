"""What a run goes through, config → data → model → objective → training loop → run
directory, and its evaluation and figures: the jobs `hamnet train/evaluate/plot` and
`reproduce` run."""

from .build import build_data, build_model, build_objective
from .evaluate import (evaluate_run, horizon_evaluation, horizon_file, load_horizon_curves, protocol_factor, rollouts_for,
                       set_hamiltonian)
from .load import load, load_model
from .plot import plot_rollouts, plot_run, plot_runs
from .train import train_run, train_runs

__all__ = ["build_data", "build_model", "build_objective", "evaluate_run", "horizon_evaluation", "horizon_file", "load_horizon_curves", "load", "protocol_factor", "load_model", "plot_rollouts", "plot_run", "plot_runs",
           "rollouts_for", "set_hamiltonian", "train_run", "train_runs"]

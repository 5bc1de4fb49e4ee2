"""Published numbers that results.md sets beside ours, per task and model: the HNN paper's
tables (Greydanus et al. 2019, §4), the D-HNN paper's real-pendulum notebook and CHNN's
per-trajectory rollout errors (Finzi, Wang & Wilson 2020).

Values: (mean, standard error) as published (SE nan where none was); see
reference/paper-results.md and reference/successors.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Metric = tuple[float, float]

#: task -> model -> metric -> (mean, se)
PAPER: dict[str, dict[str, dict[str, Metric]]] = {
    "spring": {
        "baseline": {"train_loss": (3.7134e-02, 1.9143e-03), "test_loss": (3.6656e-02, 1.8652e-03),
                     "energy_mse": (1.7077e-01, 2.06e-02)},
        "hnn": {"train_loss": (3.6933e-02, 1.9128e-03), "test_loss": (3.5928e-02, 1.8328e-03),
                "energy_mse": (3.8416e-04, 6.53e-05)},
    },
    "pendulum": {
        "baseline": {"train_loss": (3.2606e-02, 1.7434e-03), "test_loss": (3.5273e-02, 1.7970e-03),
                     "energy_mse": (4.1519e-02, 9.62e-03)},
        "hnn": {"train_loss": (3.2787e-02, 1.7567e-03), "test_loss": (3.5586e-02, 1.8178e-03),
                "energy_mse": (2.4852e-02, 5.42e-03)},
    },
    "real-pendulum": {
        "baseline": {"train_loss": (2.7455e-03, 2.0735e-04), "test_loss": (2.1864e-03, 3.3296e-04),
                     "energy_mse": (3.8564e-01, 6.92e-02)},
        "hnn": {"train_loss": (9.2376e-03, 5.0263e-04), "test_loss": (5.9584e-03, 6.1798e-04),
                "energy_mse": (1.4477e-02, 4.65e-03)},
    },
    "two-body": {
        "baseline": {"train_loss": (3.2682e-05, 1.2022e-06), "test_loss": (2.9575e-05, 8.8900e-07),
                     "energy_mse": (6.3276e-02, 3.36e-02)},
        "hnn": {"train_loss": (2.9959e-06, 6.5500e-08), "test_loss": (2.8218e-06, 4.2020e-08),
                "energy_mse": (3.8751e-05, 5.04e-06)},
    },
    "three-body": {
        "baseline": {"train_loss": (9.5573e-02, 6.5610e-02), "test_loss": (3.8000e-01, 4.1612e-01),
                     "energy_mse": (1.0906e02, 7.74e01)},
        "hnn": {"train_loss": (8.0346e-02, 2.1470e-02), "test_loss": (4.8809e-01, 4.7745e-01),
                "energy_mse": (4.1926e-02, 3.39e-02)},
    },
    "pixel-pendulum": {
        "baseline": {"train_loss": (1.7731e-04, 2.4202e-06), "test_loss": (1.7306e-04, 3.2413e-06),
                     "energy_mse_paper": (9.2748e-03, 1.14e-03)},
        "hnn": {"train_loss": (1.8683e-04, 2.4238e-06), "test_loss": (1.8451e-04, 3.3422e-06),
                "energy_mse_paper": (1.5315e-04, 8.42e-06)},
    },
}

#: Sosanya & Greydanus 2022, `analyze_realpend.ipynb`'s stored output (one seed, their
#: protocol: the `dhnn-paper` preset). Their MLP is our baseline.
DHNN_PAPER: dict[str, dict[str, dict[str, Metric]]] = {
    "real-pendulum": {
        "baseline": {"test_loss": (1.11e-3, math.nan), "energy_mse": (1.17e-3, math.nan)},
        "hnn": {"test_loss": (1.40e-3, math.nan), "energy_mse": (1.02e-2, math.nan)},
        "dhnn": {"test_loss": (9.46e-4, math.nan), "energy_mse": (1.07e-3, math.nan)},
    },
}



def _chnn(model: tuple[float, float], floor: tuple[float, float]) -> dict[str, Metric]:
    return {"horizon_error": model, "horizon_floor": floor}


#: Finzi, Wang & Wilson 2020: the geometric mean over 100 test trajectories of each one's
#: geometric-mean relative error over 100 time steps (their repository's
#: notebooks/pendulum-geom-mean.csv and non-pendulum-geom-mean.csv, rows avg_rel_err_pred;
#: the floor from avg_rel_err_pert), ± exp(m)·SE of the logs. Their
#: NeuralODE is our baseline; their HNN and NODE ran in angle coordinates (for the chains:
#: `chain-angles:N`; hamnet has no angle form of the spherical pendulums yet).
CHNN_PAPER: dict[str, dict[str, dict[str, Metric]]] = {
    "chain-pendulum:2": {"chnn": _chnn((1.173e-4, 1.20e-5), (5.88e-5, 4.4e-6)),
                         "clnn": _chnn((1.141e-4, 9.29e-6), (5.88e-5, 4.4e-6))},
    "chain-pendulum:3": {"chnn": _chnn((3.434e-4, 4.06e-5), (1.079e-4, 1.10e-5)),
                         "clnn": _chnn((3.261e-4, 3.88e-5), (1.079e-4, 1.10e-5))},
    "chain-pendulum:5": {"chnn": _chnn((1.067e-3, 1.29e-4), (1.445e-4, 1.34e-5)),
                         "clnn": _chnn((9.327e-4, 1.19e-4), (1.445e-4, 1.34e-5))},
    "chain-angles:2": {"hnn": _chnn((1.910e-3, 3.18e-4), (5.90e-5, 4.4e-6)),
                       "baseline": _chnn((6.453e-2, 6.92e-3), (5.90e-5, 4.4e-6))},
    "chain-angles:3": {"hnn": _chnn((4.658e-2, 6.30e-3), (1.076e-4, 1.10e-5)),
                       "baseline": _chnn((2.681e-1, 1.24e-2), (1.076e-4, 1.10e-5))},
    "chain-angles:5": {"hnn": _chnn((3.396e-1, 1.08e-2), (1.445e-4, 1.36e-5)),
                       "baseline": _chnn((4.395e-1, 8.75e-3), (1.445e-4, 1.36e-5))},
    "coupled-pendulum:3": {"chnn": _chnn((7.648e-3, 9.30e-4), (1.241e-4, 5.9e-6)),
                           "clnn": _chnn((7.427e-3, 9.42e-4), (1.241e-4, 5.9e-6)),
                           "hnn": _chnn((6.496e-2, 4.42e-3), (1.240e-4, 5.9e-6)),
                           "baseline": _chnn((5.537e-2, 4.28e-3), (1.240e-4, 5.9e-6))},
    "magnet-pendulum": {"chnn": _chnn((1.270e-2, 1.88e-3), (4.449e-4, 4.58e-5)),
                        "clnn": _chnn((1.033e-2, 1.72e-3), (4.449e-4, 4.58e-5)),
                        "hnn": _chnn((1.047e-1, 9.00e-3), (4.449e-4, 4.58e-5)),
                        "baseline": _chnn((1.115e-1, 1.22e-02), (4.449e-4, 4.58e-5))},
}


@dataclass(frozen=True)
class Reference:
    """Published numbers: `label` heads their columns in results.md, `source` says whence."""

    label: str
    source: str
    numbers: dict[str, dict[str, dict[str, Metric]]]


#: Key (a preset's `reference`) -> the numbers results.md shows beside ours.
REFERENCES: dict[str, Reference] = {
    "hnn-paper": Reference("paper", "Greydanus, Dzamba & Yosinski 2019, tables of §4", PAPER),
    "dhnn-paper": Reference("D-HNN paper", "Sosanya & Greydanus 2022, analyze_realpend.ipynb (one seed)",
                            DHNN_PAPER),
    "chnn-paper": Reference("CHNN paper", "Finzi, Wang & Wilson 2020, notebooks/*geom-mean.csv", CHNN_PAPER),
}

#: The metrics with published numbers. The pixel pendulum's energy MSE was published on the
#: paper notebook's own definition, `energy_mse_paper` (`hamnet.metrics.decoded_energy_mse`).
METRICS = ("train_loss", "test_loss", "energy_mse", "energy_mse_paper")


def paper_fields(task: str, model: str, reference: str = "hnn-paper") -> dict[str, float]:
    """`paper_<metric>` and `paper_<metric>_se` for a task/model from `REFERENCES[reference]`
    ({} where it has none)."""
    out: dict[str, float] = {}
    for metric, (mean, se) in REFERENCES[reference].numbers.get(task, {}).get(model, {}).items():
        out[f"paper_{metric}"] = mean
        out[f"paper_{metric}_se"] = se
    return out

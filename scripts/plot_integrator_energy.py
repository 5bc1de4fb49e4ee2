"""Energy error of the integrators on the pendulum over 10⁴ periods (the figure in docs/integrators.md).

    python scripts/plot_integrator_energy.py [OUT.png] [--periods N]

The pendulum H = 3(1 − cos q) + p² from (q, p) = (1, 0), steps of 0.2 (≈ 13 per period);
relative energy error |H(x_t) − H(x_0)| / H(x_0) at 2000 points. Prints each method's
error over the first and the last tenth and its time.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import hamnet  # noqa: E402

METHODS = {"rk4": "tab:red", "leapfrog": "tab:blue", "yoshida4": "tab:purple", "implicit-midpoint": "tab:green"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", default="docs/img/pendulum-energy-10k-periods.png")
    parser.add_argument("--periods", type=int, default=10_000)
    args = parser.parse_args()
    system = hamnet.systems.get("pendulum")
    period = 2 * math.pi / math.sqrt(6)
    x0 = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    t = torch.linspace(0, args.periods * period, 2001, dtype=torch.float64)
    fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
    for method, colour in METHODS.items():
        start = time.perf_counter()
        energy = system.hamiltonian(hamnet.rollout(system.vector_field, x0, t, method=method, step_size=0.2))[:, 0]
        error = ((energy - energy[0]) / energy[0]).abs()
        print(f"{method:>17}: first tenth max {float(error[1:201].max()):.2e}, last tenth max "
              f"{float(error[-200:].max()):.2e} ({time.perf_counter() - start:.1f} s)")
        ax.loglog((t[1:] / period).numpy(), error[1:].clamp_min(1e-16).numpy(), color=colour, lw=0.9, label=method)
    ax.set(xlabel="time (small-swing periods)", ylabel="|H(x_t) − H(x_0)| / H(x_0)",
           title=f"pendulum from (1, 0), step 0.2: energy error over {args.periods} periods")
    ax.legend(loc="lower right")
    fig.savefig(Path(args.out), dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""Measured orders of convergence of the fixed-step integrators (the table in docs/integrators.md).

    python scripts/integrator_orders.py

For the spring and the pendulum from (q, p) = (1, 0.3) over t ∈ [0, 3]: the error at the
end against dopri5 at rtol 1e-13, with 50, 100, 200 and 400 steps; the order is log2 of the
error ratio per halving (the last two). Prints a Markdown table.
"""

from __future__ import annotations

import math

import torch

import hamnet
from hamnet.integrators import FIXED_STEP, rollout

STEPS = (50, 100, 200, 400)


def errors(system_name: str, method: str) -> list[float]:
    system = hamnet.systems.get(system_name)
    x0 = torch.tensor([[1.0, 0.3]], dtype=torch.float64)
    reference = rollout(system.vector_field, x0, torch.tensor([0.0, 3.0], dtype=torch.float64),
                        rtol=1e-13, atol=1e-13)[-1]
    return [float((rollout(system.vector_field, x0, torch.linspace(0, 3, n + 1, dtype=torch.float64),
                           method=method)[-1] - reference).abs().max()) for n in STEPS]


def main() -> None:
    print("| system | method | theory | " + " | ".join(f"error, {n} steps" for n in STEPS) + " | measured order |")
    print("|---|---|---|" + "---|" * len(STEPS) + "---|")
    for system_name in ("spring", "pendulum"):
        for method, integrator in FIXED_STEP.items():
            e = errors(system_name, method)
            order = math.log2(e[-2] / e[-1])
            print(f"| {system_name} | {method} | {integrator.order} | " + " | ".join(f"{v:.2e}" for v in e)
                  + f" | {order:.2f} |")


if __name__ == "__main__":
    main()

"""CHNN training step on the 5-link Cartesian chain, one core: hamnet's `chnn` (the projected
field in closed form, batched: two C x C solves per state at once, the potential's gradient
in closed form) against the same model written plainly, the way CHNN's own code runs it:
∇H by `autograd.grad(create_graph=True)`, then per state in a Python loop the constraint
Jacobian DΨ [4N, 2C] and one dense solve of DΨᵀ J DΨ (2C x 2C).

Same weights, same batch of states and targets; both compute the same field (checked) and
one MSE step of Adam on it.
"""

from __future__ import annotations

import torch

from common import measure, parse_args, print_footer, print_header, print_table
from hamnet import systems
from hamnet.models import build


def plain_field(model, system, z: torch.Tensor) -> torch.Tensor:
    """The CHNN field, state by state: z [b, 4N] -> [b, 4N]."""
    constraints = system.constraints
    n = z.shape[-1] // 2
    z = z.detach().requires_grad_(True)
    energy = model.hamiltonian(z).sum()
    grad = torch.autograd.grad(energy, z, create_graph=True)[0]
    free = torch.cat([grad[:, n:], -grad[:, :n]], dim=-1)  # J ∇H
    inverse_mass = model.inverse_mass()
    rows = []
    for k in range(len(z)):
        positions, p = z[k, :n].detach(), z[k, n:].detach()

        def psi(w: torch.Tensor) -> torch.Tensor:
            x, q = w[:n].unsqueeze(0), w[n:].unsqueeze(0)
            return torch.cat(constraints.residual(x, q * inverse_mass), dim=-1)[0]

        d_psi = torch.autograd.functional.jacobian(psi, torch.cat([positions, p]), create_graph=True).T
        j_d_psi = torch.cat([d_psi[n:], -d_psi[:n]])
        multipliers = torch.linalg.solve(d_psi.T @ j_d_psi, d_psi.T @ free[k])
        rows.append(free[k] - j_d_psi @ multipliers)
    return torch.stack(rows)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    torch.set_num_threads(1)
    batch = 32 if args.quick else 200
    print_header(f"bench_chnn: one chnn training step, chain-pendulum:5, batch {batch}, one core", args.quick)
    system = systems.get("chain-pendulum:5")
    generator = torch.Generator().manual_seed(0)
    z = system.sample_initial(batch, generator).float()
    target = system.vector_field(z.double()).float()
    model = build("chnn", system.dim, (200, 200), generator=generator, constraints=system.constraints)
    difference = float((model.time_derivative(z) - plain_field(model, system, z)).detach().abs().max())
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(field) -> None:
        optimiser.zero_grad()
        loss = (field(z) - target).pow(2).mean()
        loss.backward()
        optimiser.step()

    _, ours = measure(lambda: step(model.time_derivative), repeats=10, warmup=2)
    _, plain = measure(lambda: step(lambda x: plain_field(model, system, x)), repeats=3, warmup=1)
    ratio = plain.median / ours.median
    print_table(["batch", "hamnet ms", "plain loop ms", "speed-up", "max |Δ field|"],
                [[batch, f"{1e3 * ours.median:.1f}", f"{1e3 * plain.median:.1f}", f"{ratio:.1f}", f"{difference:.1e}"]])
    print_footer(f"chnn_step_speedup {ratio:.1f}x (5-chain, batch {batch}, one core)")


if __name__ == "__main__":
    main()

"""LNN field: hamnet's batched acceleration (the MLP's Hessian in closed form over the
whole batch) vs a per-sample loop, the way torchdyn's LNN and the original JAX code's
Python-level alternatives evaluate it (`torch.autograd.functional.jacobian`/`hessian` per
state); also against a batched `torch.func` version (one `vmap(jacfwd(grad))`, what hamnet
used before the closed form).

Same model (the double pendulum's `lnn`, fresh, float64), same 1000 states; all compute
q̈ = (∂²L/∂q̇²)⁻¹ (∂L/∂q − ∂²L/∂q̇∂q q̇) and agree to float rounding (checked).
"""

from __future__ import annotations

import torch
from torch.autograd.functional import hessian, jacobian

from common import measure, parse_args, print_footer, print_header, print_table
from hamnet.experiments import RunConfig
from hamnet.pipeline import build_model


def per_sample(model, q: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
    """q̈ one state at a time: [b, n] -> [b, n]."""
    out = []
    for qi, vi in zip(q, velocity):
        grad_q = jacobian(lambda a: model.lagrangian(a, vi), qi)
        hess_vv = hessian(lambda b: model.lagrangian(qi, b), vi)
        mixed = jacobian(lambda a: jacobian(lambda b: model.lagrangian(a, b), vi, create_graph=True), qi)
        out.append(torch.linalg.solve(hess_vv, grad_q - mixed @ vi))
    return torch.stack(out)


def functorch_batched(model, q: torch.Tensor, velocity: torch.Tensor) -> torch.Tensor:
    """q̈ with one `vmap(jacfwd(grad))` of L over the batch: [b, n] -> [b, n]."""
    n = q.shape[-1]

    def gradient(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.func.grad(lambda w: model.lagrangian(w[:n], w[n:]))(z)
        return g, g

    hess, grad_l = torch.func.vmap(torch.func.jacfwd(gradient, has_aux=True))(torch.cat([q, velocity], dim=-1))
    force = grad_l[:, :n] - (hess[:, n:, :n] @ velocity.unsqueeze(-1)).squeeze(-1)
    return torch.linalg.solve(hess[:, n:, n:], force)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    n_states = 100 if args.quick else 1000
    print_header("bench_lnn: batched LNN acceleration (closed-form Hessian) vs a per-sample loop", args.quick)
    config = RunConfig.for_task("double-pendulum", "lnn")
    model = build_model(config).double()
    system = config.system()
    x = system.sample_initial(n_states, torch.Generator().manual_seed(0))
    q, p = x.chunk(2, dim=-1)
    velocity = model.kinematics.velocity(q, p)
    batched, fast = measure(lambda: model.acceleration(q, velocity), repeats=5, warmup=1)
    vmapped, middle = measure(lambda: functorch_batched(model, q, velocity), repeats=5, warmup=1)
    looped, slow = measure(lambda: per_sample(model, q, velocity), repeats=1)
    error = float(max((batched - looped).abs().max(), (vmapped - looped).abs().max()).detach()
                  / looped.abs().max().detach())
    ratio = slow.best / fast.best
    print_table(["states", "per-sample loop s", "torch.func vmap s", "hamnet (closed form) s", "vs loop",
                 "vs torch.func", "max rel. difference"],
                [[n_states, f"{slow.best:.3f}", f"{middle.best:.4f}", f"{fast.best:.4f}", f"{ratio:.1f}",
                  f"{middle.best / fast.best:.1f}", f"{error:.1e}"]])
    print_footer(f"lnn_speedup {ratio:.1f}x (batched vs per-sample, {n_states} states)")


if __name__ == "__main__":
    main()

"""A x = b for the small systems the models solve per state (a mass matrix, an LNN's
∂²L/∂q̇²), in a form every export target runs.

Eagerly this is `torch.linalg.solve` (LU with partial pivoting). While `torch.export`
traces a model (`hamnet export`), it is Gaussian elimination written out for the matrix's
static size n in plain products and divisions: ONNX has no linear-solve operator, and the
matrices solved here are symmetric positive definite (a mass matrix) or close to the
identity (an LNN's, `LNN.lagrangian`), where elimination without pivoting is stable.
"""

from __future__ import annotations

import torch
from torch import Tensor


def solve(a: Tensor, b: Tensor) -> Tensor:
    """x with a x = b.  a[..., n, n], b[..., n] -> [..., n]."""
    if torch.compiler.is_exporting():
        return eliminate(a, b)
    return torch.linalg.solve(a, b.unsqueeze(-1)).squeeze(-1)


def eliminate(a: Tensor, b: Tensor) -> Tensor:
    """Gaussian elimination without pivoting, unrolled over the static size n: 2n³/3 products
    in plain tensor ops.  a[..., n, n], b[..., n] -> [..., n] (inf or NaN where a pivot is 0)."""
    n = a.shape[-1]
    rows, rhs = [a[..., i, :] for i in range(n)], [b[..., i] for i in range(n)]
    for k in range(n):
        for i in range(k + 1, n):
            factor = rows[i][..., k] / rows[k][..., k]
            rows[i] = rows[i] - factor.unsqueeze(-1) * rows[k]
            rhs[i] = rhs[i] - factor * rhs[k]
    x: list[Tensor] = [b[..., 0]] * n
    for i in range(n - 1, -1, -1):
        total = rhs[i]
        for j in range(i + 1, n):
            total = total - rows[i][..., j] * x[j]
        x[i] = total / rows[i][..., i]
    return torch.stack(x, dim=-1)

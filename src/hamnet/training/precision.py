"""The arithmetic of a training step: fp32 throughout, or bf16 hidden-layer products.

`bf16` is mixed precision: only the products between an MLP's hidden layers, forward and
backward, run in bfloat16 under `torch.autocast`; the weights, Adam's moments, every
elementwise operation and the first and last layers stay float32 (`hamnet.models.mlp`
casts each product's result back and keeps autocast off at the network's ends). That pays
where the hardware multiplies bfloat16 natively: CPUs with AVX512-BF16 or AMX, and CUDA
GPUs that support it. Elsewhere bfloat16 is emulated and slower, so it is refused.
Evaluation is unaffected: metrics are computed in float64 from the float32 weights.
"""

from __future__ import annotations

import contextlib

import torch

from ..errors import InvalidValueError

PRECISIONS = ("fp32", "bf16")


def bf16_supported(device: str) -> bool:
    """Whether `device` multiplies bfloat16 matrices natively (a CPU with AVX512-BF16 or
    AMX, or a CUDA GPU with bf16)."""
    if device.startswith("cuda"):
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()


def check_precision(precision: str, device: str | None = None) -> None:
    """Raise `InvalidValueError` if `precision` is unknown or, with a `device`, if that
    device cannot run it fast."""
    if precision not in PRECISIONS:
        raise InvalidValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision == "bf16" and device is not None and not bf16_supported(device):
        where = "this GPU" if device.startswith("cuda") else "this CPU (it has neither AVX512-BF16 nor AMX)"
        raise InvalidValueError(f"precision bf16 needs native bfloat16 matrix products, which {where} lacks; "
                                "use fp32")


def autocast(precision: str, device: str) -> contextlib.AbstractContextManager:
    """The context a training step's loss is computed in: bf16 matrix products under
    `torch.autocast` for `bf16`, nothing for `fp32`."""
    if precision == "fp32":
        return contextlib.nullcontext()
    # without autocast's cache of cast weights, a weight used twice (forward and input
    # gradient) gets its two gradients cast to float32 and summed there, not in bfloat16
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16, cache_enabled=False)

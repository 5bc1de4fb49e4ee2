"""Measured trajectories (`Trajectories`, from `hamnet.data.files`) as a training set:
time derivatives measured or estimated, a train/test split by whole trajectories."""

from __future__ import annotations

import torch
from torch import Tensor

from ..errors import DataFileError, InvalidValueError
from .dataset import Dataset
from .derivatives import estimate_derivatives
from .files import MAX_MAGNITUDE, Trajectories


def measured_dataset(data: Trajectories, derivative: str, train_fraction: float, seed: int) -> Dataset:
    """States and time derivatives of every sample: the file's `dxdt` if it has them, else
    estimated per trajectory by `derivative` (`hamnet.data.derivatives`; some methods drop
    end samples). Split by whole trajectories: round((1 − train_fraction) · n) of them (at
    least one, and one left to train) chosen with `seed` test, the rest train, in file
    order; a single trajectory is split in time instead, its first `train_fraction` of
    samples training. extras: `t_train`, `t_test` (the samples' times, trajectory after
    trajectory) and `lengths_train`, `lengths_test` (samples per trajectory, int64).
    """
    pieces = [_with_derivatives(data, i, derivative) for i in range(len(data.x))]
    if len(pieces) == 1:
        t, x, dxdt = pieces[0]
        cut = int(x.shape[0] * train_fraction)
        if not 0 < cut < x.shape[0]:
            raise InvalidValueError(f"{data.source}: a train fraction of {train_fraction} of its "
                                    f"{x.shape[0]} samples leaves no train or no test samples")
        train, test = [(t[:cut], x[:cut], dxdt[:cut])], [(t[cut:], x[cut:], dxdt[cut:])]
    else:
        n = len(pieces)
        n_test = min(max(round((1 - train_fraction) * n), 1), n - 1)
        order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
        chosen = set(order[:n_test].tolist())
        train = [piece for i, piece in enumerate(pieces) if i not in chosen]
        test = [piece for i, piece in enumerate(pieces) if i in chosen]
    extras = {}
    for name, part in (("train", train), ("test", test)):
        extras[f"t_{name}"] = torch.cat([t for t, _, _ in part])
        extras[f"lengths_{name}"] = torch.tensor([t.numel() for t, _, _ in part], dtype=torch.int64)
    return Dataset(x_train=torch.cat([x for _, x, _ in train]), dxdt_train=torch.cat([d for _, _, d in train]),
                   x_test=torch.cat([x for _, x, _ in test]), dxdt_test=torch.cat([d for _, _, d in test]),
                   extras=extras)


def _with_derivatives(data: Trajectories, i: int, derivative: str) -> tuple[Tensor, Tensor, Tensor]:
    """Trajectory i as (t[M], x[M, dim], dxdt[M, dim]): measured derivatives, or estimated."""
    t, x = data.t[i], data.x[i]
    if data.dxdt is not None:
        return t, x, data.dxdt[i]
    try:
        rows, dxdt = estimate_derivatives(t, x, derivative)
    except InvalidValueError as err:
        raise DataFileError(f"{data.source}, trajectory {i}: {err}") from None
    steep = (~(dxdt.abs() <= MAX_MAGNITUDE).all(-1)).nonzero()
    if steep.numel():
        row = int(rows[int(steep[0])])
        raise DataFileError(f"{data.where(i, row)}: the estimated time derivative {dxdt[int(steep[0])].tolist()} is "
                            f"beyond float32's range (±{MAX_MAGNITUDE:.3g}): the values change too much between samples")
    return t[rows], x[rows], dxdt

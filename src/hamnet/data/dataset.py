"""The state-space data set every derivative-regression task trains on."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from ..errors import InvalidValueError


@dataclass
class Dataset:
    """Samples of states and their time derivatives, float64.

    x_*: [N, dim] states;  dxdt_*: [N, dim] time derivatives (system time units).
    `extras` holds task-specific tensors (e.g. time stamps); `info` plain numbers
    such as the generation time in seconds.
    """

    x_train: Tensor
    dxdt_train: Tensor
    x_test: Tensor
    dxdt_test: Tensor
    extras: dict[str, Tensor] = field(default_factory=dict)
    info: dict[str, float] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return self.x_train.shape[-1]

    def train_tensors(self) -> tuple[Tensor, Tensor]:
        """What a model's loss takes: (x, dx/dt)."""
        return self.x_train, self.dxdt_train

    def test_tensors(self) -> tuple[Tensor, Tensor]:
        return self.x_test, self.dxdt_test

    def readout_tensors(self) -> tuple[Tensor, Tensor]:
        """(observations, their coordinates): the states themselves."""
        return self.x_train, self.x_train

    def reference(self) -> tuple[Tensor, Tensor, Tensor]:
        """The measured test trajectories as a reference: (t[T] from 0, x[T, b, dim], x0[b, dim]).

        Needs `extras["t_test"]` (measured data; `extras["lengths_test"]` cuts it into b
        trajectories, else one). t is the union of the trajectories' own times after their
        first sample; x is NaN where a trajectory has no sample at a time of that grid.
        """
        if "t_test" not in self.extras:
            raise InvalidValueError("this data set has no measured test segment (extras['t_test'])")
        pieces = self.segments("test")
        if len(pieces) == 1:
            t, x = pieces[0]
            return t - t[0], x.to(torch.float64).unsqueeze(1), x[:1]
        relative = [t - t[0] for t, _ in pieces]
        grid = torch.unique(torch.cat(relative))  # sorted
        true = torch.full((grid.numel(), len(pieces), self.dim), float("nan"), dtype=torch.float64)
        for j, (times, (_, x)) in enumerate(zip(relative, pieces)):
            true[torch.searchsorted(grid, times), j] = x.to(torch.float64)
        return grid, true, torch.stack([x[0] for _, x in pieces])

    def segments(self, split: str) -> list[tuple[Tensor, Tensor]]:
        """The measured trajectories of `split` ("train", "test"): [(t[T_i], x[T_i, dim])]."""
        x = self.x_train if split == "train" else self.x_test
        t = self.extras[f"t_{split}"]
        lengths = self.extras.get(f"lengths_{split}", torch.tensor([x.shape[0]]))
        return list(zip(t.split(lengths.tolist()), x.split(lengths.tolist())))

    def windows(self, split: str, k: int) -> tuple[Tensor, Tensor]:
        """Every run of k + 1 consecutive observed states of the `split` ("train", "test")
        and its k time steps: (window[M, k+1, dim], dt[M, k]), for objectives that unroll
        a model (`hamnet.objectives.rollout`).

        Trajectories sampled on one grid (`extras["t"]`, [T]; the split holds whole
        trajectories of T points) give T − k windows each; measured trajectories
        (`extras["t_<split>"]`, `segments`) give windows along each, uneven steps included.
        """
        x = self.x_train if split == "train" else self.x_test
        if "t" in self.extras:
            t = self.extras["t"].to(x.dtype)
            if x.shape[0] % t.numel():
                raise InvalidValueError(f"the {split} split ({x.shape[0]} states) does not hold whole trajectories "
                                        f"of {t.numel()} points")
            x, steps = x.reshape(-1, t.numel(), x.shape[-1]), t[1:] - t[:-1]
        elif f"t_{split}" in self.extras:
            pieces = [(t.to(x.dtype), s.unsqueeze(0)) for t, s in self.segments(split)]
            shortest = min(s.shape[1] for _, s in pieces)
            if shortest <= k:
                raise InvalidValueError(f"an unroll of {k} steps needs trajectories of more than {k} points; "
                                        f"the {split} split's shortest has {shortest}")
            cut = [_windows(s, t[1:] - t[:-1], k) for t, s in pieces]
            return torch.cat([w for w, _ in cut]), torch.cat([d for _, d in cut])
        else:
            raise InvalidValueError("this data set has no time stamps to cut windows from (extras['t'])")
        if x.shape[1] <= k:
            raise InvalidValueError(f"an unroll of {k} steps needs trajectories of more than {k} points; "
                                    f"the {split} split's have {x.shape[1]}")
        return _windows(x, steps, k)

    def holdout(self, fraction: float) -> "Dataset":
        """The training split cut in two, the test split dropped: its last `fraction` becomes
        the test split (a validation split, for tuning: `RunConfig.validation`), the rest trains.

        Cut at whole trajectories where the split holds several (on one grid, `extras["t"]`;
        measured, `extras["lengths_train"]`): round(fraction · n) of them, at least one, one
        left to train; a single measured trajectory, or samples not in whole trajectories, in
        time (the last `fraction` of the samples). Raises `InvalidValueError` when either
        part would be empty."""
        x, dxdt = self.x_train, self.dxdt_train
        extras = {k: v for k, v in self.extras.items() if not k.endswith("_test")}
        lengths = None
        if "t_train" in self.extras:
            lengths = self.extras.get("lengths_train", torch.tensor([x.shape[0]])).tolist()
        elif "t" in self.extras and x.shape[0] % self.extras["t"].numel() == 0:
            lengths = [self.extras["t"].numel()] * (x.shape[0] // self.extras["t"].numel())
        if lengths is not None and len(lengths) > 1:
            n_held = min(max(round(fraction * len(lengths)), 1), len(lengths) - 1)
            cut = sum(lengths[:len(lengths) - n_held])
            kept, held = lengths[:len(lengths) - n_held], lengths[len(lengths) - n_held:]
        else:
            cut = int(x.shape[0] * (1 - fraction))
            kept, held = [cut], [x.shape[0] - cut]
        if not 0 < cut < x.shape[0]:
            raise InvalidValueError(f"holding out {fraction} of the {x.shape[0]} training samples for validation "
                                    "leaves no training or no validation samples")
        if "t_train" in self.extras:
            t = self.extras["t_train"]
            extras |= {"t_train": t[:cut], "t_test": t[cut:],
                       "lengths_train": torch.tensor(kept, dtype=torch.int64),
                       "lengths_test": torch.tensor(held, dtype=torch.int64)}
        return Dataset(x[:cut], dxdt[:cut], x[cut:], dxdt[cut:], extras, dict(self.info))

    def tensors(self) -> dict[str, Tensor]:
        """All tensors by name (for caching)."""
        base = {"x_train": self.x_train, "dxdt_train": self.dxdt_train,
                "x_test": self.x_test, "dxdt_test": self.dxdt_test}
        return base | {f"extra.{k}": v for k, v in self.extras.items()}

    @classmethod
    def from_tensors(cls, tensors: dict[str, Tensor], info: dict[str, float] | None = None) -> "Dataset":
        extras = {k.removeprefix("extra."): v for k, v in tensors.items() if k.startswith("extra.")}
        return cls(tensors["x_train"], tensors["dxdt_train"], tensors["x_test"], tensors["dxdt_test"],
                   extras, dict(info or {}))


def _windows(x: Tensor, steps: Tensor, k: int) -> tuple[Tensor, Tensor]:
    """Runs of k + 1 consecutive states of trajectories x[n, T, dim] on one grid with steps[T − 1].
    -> (window[n (T − k), k + 1, dim], dt[n (T − k), k])."""
    window = x.unfold(1, k + 1, 1).transpose(-1, -2).reshape(-1, k + 1, x.shape[-1])
    dt = steps.unfold(0, k, 1).expand(x.shape[0], -1, -1).reshape(-1, k)
    return window.contiguous(), dt.contiguous()


def split_blocks(samples: Tensor, test_fraction: float, test_first: bool) -> tuple[Tensor, Tensor]:
    """Split [N, ...] at int(N * fraction): (train, test), test being the first or last block."""
    n = samples.shape[0]
    if test_first:
        cut = int(n * test_fraction)
        return samples[cut:], samples[:cut]
    cut = int(n * (1 - test_fraction))
    return samples[:cut], samples[cut:]

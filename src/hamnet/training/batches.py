"""Which training rows each step sees."""

from __future__ import annotations

import torch
from torch import Tensor


#: How minibatches walk through the training rows (`TrainSettings.batch_order`).
BATCH_ORDERS = ("random", "sequential")


class BatchSampler:
    """Minibatches of the N training rows. Full batch (None) when `batch_size` is None or ≥ N.

    `order="random"`: without replacement, epoch by epoch: one random permutation of the
    rows per pass, cut into consecutive batches (an incomplete last batch is skipped).
    `order="sequential"` (the D-HNN paper's slices): the k-th batch is rows
    [s, min(s + batch_size, N)) with s = k · batch_size mod N, so a slice that reaches the
    end is shorter and the next ones start elsewhere; no randomness.

    The indices live on the generator's device (a CUDA generator: drawn on the GPU, so a
    step never waits for the host); `state_dict` holds them on the CPU.
    """

    def __init__(self, n: int, batch_size: int | None, generator: torch.Generator, order: str = "random"):
        self.n, self.batch_size, self.generator, self.shuffle = n, batch_size, generator, order == "random"
        self.device = generator.device
        self.order, self.position = torch.empty(0, dtype=torch.long, device=self.device), 0

    @property
    def fixed_size(self) -> bool:
        """Whether every batch has the same size (a random order, the full batch, or
        sequential slices that divide N)."""
        full = self.batch_size is None or self.batch_size >= self.n
        return full or self.shuffle or self.n % self.batch_size == 0

    def next(self) -> Tensor | None:
        """Row indices of the next batch [≤ batch_size] (None: the full batch)."""
        if self.batch_size is None or self.batch_size >= self.n:
            return None
        if not self.shuffle:
            start = self.position * self.batch_size % self.n
            self.position += 1
            return torch.arange(start, min(start + self.batch_size, self.n), device=self.device)
        if self.position + self.batch_size > self.order.numel():
            self.order, self.position = torch.randperm(self.n, generator=self.generator, device=self.device), 0
        self.position += self.batch_size
        return self.order[self.position - self.batch_size: self.position]

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "order": self.order.cpu(), "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.order, self.position = state["order"].to(self.device), int(state["position"])

"""Independent seeds for each random purpose of a run, derived from one run seed."""

from __future__ import annotations

import zlib

import numpy as np
import torch


def derive_seed(seed: int, purpose: str) -> int:
    """A 63-bit seed for `purpose` ("data", "init", "batches", ...) derived from `seed`."""
    state = np.random.SeedSequence([seed, zlib.crc32(purpose.encode())]).generate_state(2)
    return int((int(state[0]) << 31) ^ int(state[1])) & ((1 << 63) - 1)


def generator(seed: int, purpose: str) -> torch.Generator:
    """A CPU `torch.Generator` seeded for `purpose`."""
    return torch.Generator().manual_seed(derive_seed(seed, purpose))

"""Shared fixtures: a private data cache per test session, tiny trained models; the
suite's workers (pytest-xdist, `-n auto` in pyproject.toml) share the cores between them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hamnet.jobs import usable_cores

#: At most this many workers for `-n auto`: the longest module (the tutorials, ~1 min) bounds
#: the suite's time anyway; more workers would only add start-ups and memory.
MAX_WORKERS = 4


def _threads_asked() -> int | None:
    """OMP_NUM_THREADS where it is set to a positive whole number, else None."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else None


if "PYTEST_XDIST_WORKER" in os.environ and _threads_asked() is None:
    # Each worker, and every command it starts, takes its share of the cores instead of all
    # of them (two workers of two threads each on two cores: the suite took 388 s, not 241 s).
    # PyTorch is imported before this file (by the torchtyping plugin torchode brings): told directly.
    import torch

    _threads = max(1, usable_cores() // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    os.environ["OMP_NUM_THREADS"] = str(_threads)
    torch.set_num_threads(_threads)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: as many workers as the cores hold at OMP_NUM_THREADS threads each (one per
    core where it is unset), at most MAX_WORKERS: OMP_NUM_THREADS=2 on two cores is one
    worker of two threads (two such workers took 446 s, one process 401 s)."""
    return max(1, min(MAX_WORKERS, usable_cores() // (_threads_asked() or 1)))


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["HAMNET_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m hamnet ARGS` in a subprocess; returns the completed process."""
    env = dict(os.environ, CI="true")
    return subprocess.run([sys.executable, "-m", "hamnet", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)

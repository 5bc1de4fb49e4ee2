"""Shared fixtures: a private data cache per test session, tiny trained models."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["HAMNET_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run `python -m hamnet ARGS` in a subprocess; returns the completed process."""
    env = dict(os.environ, CI="true")
    return subprocess.run([sys.executable, "-m", "hamnet", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)

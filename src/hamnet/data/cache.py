"""On-disk cache of generated data sets, keyed by everything that determines them."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable

from safetensors.torch import load_file, save_file
from torch import Tensor

from ..atomic import atomic_path

#: Bumped whenever generation changes the numbers (2: dopri5 evaluates the field on running
#: trajectories only, which changes the last bits of the N-body and pendulum data).
CACHE_VERSION = 2


def cache_dir() -> Path:
    """`$HAMNET_CACHE_DIR`, else `~/.cache/hamnet`."""
    return Path(os.environ.get("HAMNET_CACHE_DIR") or Path.home() / ".cache" / "hamnet")


def cache_key(spec: dict[str, Any]) -> str:
    """A stable hex digest of a JSON-able spec."""
    blob = json.dumps({"version": CACHE_VERSION, **spec}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def cached(
    spec: dict[str, Any],
    build: Callable[[], tuple[dict[str, Tensor], dict[str, float]]],
    use_cache: bool = True,
) -> tuple[dict[str, Tensor], dict[str, float]]:
    """Return the tensors for `spec`, building and storing them (atomically) on a miss.

    `build()` returns (tensors, info); info (plain numbers) is stored as file metadata.
    A corrupt cache file is rebuilt, never trusted.
    """
    path = cache_dir() / f"{spec.get('name', 'data')}-{cache_key(spec)}.safetensors"
    if use_cache and path.exists():
        try:
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as handle:
                meta = handle.metadata() or {}
            return load_file(str(path)), json.loads(meta.get("info", "{}"))
        except Exception:  # noqa: BLE001 - a damaged cache entry is simply rebuilt
            path.unlink(missing_ok=True)
    tensors, info = build()
    if use_cache:
        try:
            with atomic_path(path) as tmp:
                save_file({k: v.contiguous() for k, v in tensors.items()}, str(tmp),
                          metadata={"info": json.dumps(info), "spec": json.dumps(spec, default=str)})
        except Exception:  # noqa: BLE001 - an unwritable cache only costs time
            pass
    return tensors, info

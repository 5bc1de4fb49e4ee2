"""Sweeps: a file of tasks × models × seeds × overrides (`files`, `spec`), run as ordinary
run directories on a backend (`backends`, `run`), summarised over seeds with figures
(`summary`, `plots`). Names are imported on first use, so reading a sweep file
(`hamnet.sweeps.files`) needs no PyTorch."""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {"Point": "spec", "SweepSpec": "spec", "load_spec": "spec", "parse_spec": "spec",
          "point_dir": "run", "run_sweep": "run"}
__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)

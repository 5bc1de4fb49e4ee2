"""hamnet: Hamiltonian Neural Networks and baselines, from data to the paper's tables.

    import hamnet
    system = hamnet.systems.get("spring")
    model = hamnet.load("runs/spring-hnn")
    xs = hamnet.rollout(model.time_derivative, x0, t, method="dopri5")

Submodules and the names below are imported on first use, so `import hamnet` (and the
command line's argument checks) do not wait for PyTorch.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public names and the submodule that defines each.
_EXPORTS = {"HamnetError": "errors", "RunConfig": "experiments", "load": "pipeline", "rollout": "integrators"}

__all__ = ["HamnetError", "RunConfig", "data", "errors", "experiments", "integrators", "load", "metrics", "models",
           "objectives", "pipeline", "rollout", "runs", "systems", "training"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    try:
        return importlib.import_module(f".{name}", __name__)
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None

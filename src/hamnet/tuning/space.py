"""The search space `hamnet tune` gives every model alike, as data: Optuna distributions
over the learning rate, the weight decay and the network's width and depth. The number of
training steps and the batches stay the preset's: every model gets the same training
budget as well as the same number of trials.

| parameter | range | run field |
|---|---|---|
| `lr` | 1e-4 … 1e-2, log-uniform | `train.lr` |
| `weight_decay` | 1e-7 … 1e-2, log-uniform | `train.weight_decay` |
| `width` | 64, 128, 200, 300 | `hidden` (each layer) |
| `depth` | 1, 2, 3 hidden layers | `hidden` (how many) |
"""

from __future__ import annotations

from typing import Any

from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from ..experiments import RunConfig

SPACE: dict[str, BaseDistribution] = {
    "lr": FloatDistribution(1e-4, 1e-2, log=True),
    "weight_decay": FloatDistribution(1e-7, 1e-2, log=True),
    "width": CategoricalDistribution((64, 128, 200, 300)),
    "depth": IntDistribution(1, 3),
}


def overrides(params: dict[str, Any]) -> dict[str, Any]:
    """A trial's parameters as run-config overrides (`RunConfig.overridden`)."""
    return {"train.lr": float(params["lr"]), "train.weight_decay": float(params["weight_decay"]),
            "hidden": [int(params["width"])] * int(params["depth"])}


def preset_params(config: RunConfig) -> dict[str, Any]:
    """The preset's own settings as parameters (the first trial of every study), each
    clipped into its range (a weight decay of 0: the lowest); a width the space does not
    list is left to the sampler."""
    weight_decay, lr = SPACE["weight_decay"], SPACE["lr"]
    params: dict[str, Any] = {
        "lr": min(max(config.train.lr, lr.low), lr.high),
        "weight_decay": min(max(config.train.weight_decay, weight_decay.low), weight_decay.high),
        "depth": len(config.hidden)}
    widths = set(config.hidden)
    if len(widths) == 1 and next(iter(widths)) in SPACE["width"].choices:
        params["width"] = next(iter(widths))
    if not SPACE["depth"].low <= params["depth"] <= SPACE["depth"].high:
        del params["depth"]
    return params


def describe() -> dict[str, str]:
    """The space in words, for the tuned preset's file and report."""
    return {name: repr(distribution) for name, distribution in SPACE.items()}

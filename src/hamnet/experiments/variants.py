"""What `reproduce` compares: a registered model trained with its task's objective
(`hnn`), or written `MODEL+OBJECTIVE` with another registered objective (`hnn+rollout`:
the HNN trained through unrolled rollouts). Such a name labels runs in directories,
tables and figures; its model's registry entry gives its title and colour (`hamnet.figure_files.color_of`).
"""

from __future__ import annotations

from .. import models, objectives
from ..errors import UnknownNameError

SEPARATOR = "+"


def parse(name: str) -> tuple[str, str | None]:
    """`MODEL` -> (model, None); `MODEL+OBJECTIVE` -> (model, objective). Not checked (see `check`)."""
    model, _, objective = name.partition(SEPARATOR)
    return model, objective or None


def check(names: list[str]) -> None:
    """Raise `UnknownNameError` for the first name whose model or objective is not registered."""
    for name in names:
        model, _, objective = name.partition(SEPARATOR)
        models.check_names([model])
        if SEPARATOR in name and objective not in objectives.names():
            raise UnknownNameError(f"unknown objective {objective!r} in {name!r}; known objectives: "
                                   f"{', '.join(objectives.names())}")


def name(model: str, objective: str, default_objective: str) -> str:
    """A run's label: `model`, or `model+objective` when it trains with another objective
    than `default_objective` (its task's)."""
    return model if objective == default_objective else f"{model}{SEPARATOR}{objective}"


def title(name: str) -> str:
    """Display name: the model's (`HNN`), with the objective if it names one (`HNN, rollout objective`)."""
    model, objective = parse(name)
    return models.title(model) if objective is None else f"{models.title(model)}, {objective} objective"


def ordered(names: list[str]) -> list[str]:
    """`names` in registry order of their models, each model before its other-objective variants;
    unregistered models last, in the given order."""
    known = models.names()

    def key(item: tuple[int, str]) -> tuple[int, int, int]:
        position, label = item
        model, objective = parse(label)
        return (known.index(model) if model in known else len(known), objective is not None, position)

    return [label for _, label in sorted(enumerate(dict.fromkeys(names)), key=key)]

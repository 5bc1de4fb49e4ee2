"""Tuned presets: the settings `hamnet tune` found per task and model, as a JSON file that
`reproduce --preset PATH.json` runs (`tuned`: the one shipped with hamnet, made by the
commands in docs/tuning.md).

```json
{"format": 1, "base": "full",
 "experiments": {"spring": {"hnn": {"train.lr": 0.002, "train.weight_decay": 1e-05, "hidden": [200, 200]}}},
 ...}
```

`base` names the built-in preset whose experiments the runs start from (steps, batches,
data recipe, seeds, published numbers); each task's runs are the models listed under it,
each with its overrides (`RunConfig.overridden` names). Other keys (how the settings were
found, their validation losses) are kept for the reader.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path
from typing import Any

from ..errors import HamnetError, InvalidValueError
from . import variants

FORMAT = 1
#: The tuned preset shipped with hamnet (`reproduce --preset tuned`).
SHIPPED = Path(__file__).parent / "tuned.json"


def read_tuned(name: str, presets: dict[str, Any]) -> Any:
    """The `Preset` of a tuned-preset file (`tuned`: the shipped one), made from its base,
    one of the built-in `presets` (name -> `Preset`); raises `InvalidValueError` naming the
    file and its first problem."""
    path = SHIPPED if name == "tuned" else Path(name)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        raise InvalidValueError(f"tuned preset {path} does not exist (hamnet tune writes one)") from None
    return _preset(str(path), _read(str(path), stamp), presets)


@functools.lru_cache(maxsize=8)
def _read(path: str, stamp: int) -> Any:
    """The file's JSON, read once while it is unchanged."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidValueError(f"tuned preset {path} is not readable JSON: {exc}") from None


def _preset(path: str, raw: Any, presets: dict[str, Any]) -> Any:
    """The `Preset` that the tuned-preset document `raw` describes over its base."""
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise InvalidValueError(f"tuned preset {path}: not a tuned-preset file of format {FORMAT} (hamnet tune)")
    base = raw.get("base")
    if base not in presets:
        raise InvalidValueError(f"tuned preset {path}: base must name a built-in preset "
                                f"({', '.join(presets)}), got {base!r}")
    tasks = raw.get("experiments")
    if not isinstance(tasks, dict) or not tasks:
        raise InvalidValueError(f"tuned preset {path}: experiments must map tasks to their models' settings")
    experiments = {}
    for task, per_model in tasks.items():
        if not isinstance(per_model, dict) or not per_model or not all(isinstance(o, dict) for o in per_model.values()):
            raise InvalidValueError(f"tuned preset {path}: experiments.{task} must map models to their overrides")
        try:
            variants.check(list(per_model))
        except HamnetError as exc:
            raise InvalidValueError(f"tuned preset {path}: experiments.{task}: {exc}") from None
        key = task.partition(":")[0]
        if key not in presets[base].experiments:
            raise InvalidValueError(f"tuned preset {path}: task {task!r} has no experiment in its base preset {base!r}")
        experiments[key] = dataclasses.replace(presets[base].experiments[key], models=tuple(per_model),
                                               per_model={m: dict(o) for m, o in per_model.items()})
    return dataclasses.replace(presets[base], experiments=experiments, tasks=tuple(tasks), user=None, quick=None)

"""Systems from outside hamnet: a `System` subclass in the user's own module, named
`module:Class` (a dotted module found from the working directory, or a `path/to/file.py`),
or registered by an installed package under the entry-point group `hamnet.systems`."""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
from pathlib import Path

from ..errors import UnknownNameError
from .base import SOURCE_DIGEST, System, source_digest

#: Entry-point group under which packages register their systems (name = task name).
ENTRY_POINT_GROUP = "hamnet.systems"


def entry_point_names() -> list[str]:
    """Task names that installed packages register."""
    return sorted({point.name for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)})


def find_plugin(name: str) -> type[System] | None:
    """The system class `name` refers to (`module:Class` or an entry point), or None if it
    is neither; raises `UnknownNameError` (one line) if it cannot be loaded or is no `System`."""
    points = [p for p in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP) if p.name == name]
    if points:
        found = _guarded(name, points[0].load)
    elif ":" in name:
        module_name, _, class_name = name.rpartition(":")
        module = _guarded(name, lambda: _import(module_name))
        if not hasattr(module, class_name):
            raise UnknownNameError(f"system {name!r}: module {module_name!r} has no {class_name!r}")
        found = getattr(module, class_name)
    else:
        return None
    if not (isinstance(found, type) and issubclass(found, System)):
        raise UnknownNameError(f"system {name!r} is {found!r}, not a subclass of hamnet.systems.System")
    for attribute in ("name", "dim"):
        if not hasattr(found, attribute):
            raise UnknownNameError(f"system {name!r} ({found.__name__}) does not set {attribute!r}")
    if not (type(found.dim) is int and found.dim > 0 and found.dim % 2 == 0):
        raise UnknownNameError(f"system {name!r}: dim must be a positive even integer (positions then momenta), "
                               f"got {found.dim!r}")
    setattr(found, SOURCE_DIGEST, source_digest(found))  # the code as loaded (`System.cache_name`)
    return found


def canonical(name: str) -> str:
    """`name` with a plugin file's path made absolute (`path/to/file.py:Class`), so that a
    run found elsewhere still finds its system; other names unchanged."""
    module_name, colon, class_name = name.rpartition(":")
    if colon and module_name.endswith(".py"):
        return f"{Path(module_name).resolve()}:{class_name}"
    return name


def _import(module_name: str):
    """A module by dotted name (the working directory searched too) or by file path."""
    if module_name.endswith(".py"):
        path = Path(module_name).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"no file {module_name}")
        spec = importlib.util.spec_from_file_location(f"hamnet_plugin_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # worker processes and pickling find it again
        spec.loader.exec_module(module)
        return module
    if str(Path.cwd()) not in sys.path and "" not in sys.path:
        sys.path.append(str(Path.cwd()))
    return importlib.import_module(module_name)


def _guarded(name: str, load):
    """`load()`, any failure of the user's code reported as one line."""
    try:
        return load()
    except Exception as exc:  # noqa: BLE001 - whatever the user's module raises, said in one line
        raise UnknownNameError(f"system {name!r} cannot be loaded: {type(exc).__name__}: "
                               f"{' '.join(str(exc).split())}") from None

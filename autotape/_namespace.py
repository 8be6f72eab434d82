"""NumPy-shaped namespaces generated from the op registry: ``autotape.numpy`` and its submodules.

A namespace module calls :func:`install` with NumPy's module name; attribute access
then finds, in order: the registered op of that name (its public function, with
NumPy's signature), then NumPy's own attribute (``pi``, ``float32``, ``newaxis``, and
functions autotape has no rule for, which raise a clear TypeError on traced values
through NumPy's dispatch). Nothing here lists an op.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from .ops.registry import REGISTRY

__all__ = ["install", "ops_of"]


def ops_of(module: str) -> dict[str, Callable]:
    """The public functions of the ops registered for NumPy's ``module``, by name and alias."""
    found: dict[str, Callable] = {}
    for info in REGISTRY.values():
        if info.module == module:
            found[info.name] = info.function
            for alias in info.aliases:
                found[alias] = info.function
    return found


def install(namespace: dict, module: str, extras: tuple[str, ...] = (), submodules: tuple[str, ...] = ()) -> None:
    """Give the module whose globals are ``namespace`` the ops of ``module`` and NumPy's other names.

    ``extras`` are names the module defines itself (``r_``); they go into ``__all__``
    beside the ops. ``submodules`` are autotape's own submodules of the namespace
    (``linalg``), imported on first access instead of NumPy's. Ops named with a dot
    (``norm.logpdf``) are methods of an object the module defines (an extra, ``norm``),
    so only that object is listed.
    """
    numpy_module = importlib.import_module(module)

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f"{namespace['__name__']}.{name}")
        op = ops_of(module).get(name)
        if op is not None:
            return op
        try:
            return getattr(numpy_module, name)
        except AttributeError:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}") from None

    def listed() -> set[str]:
        return {name for name in ops_of(module) if "." not in name} | set(extras) | set(submodules)

    def __dir__() -> list[str]:
        return sorted(set(dir(numpy_module)) | listed())

    namespace["__getattr__"] = __getattr__
    namespace["__dir__"] = __dir__
    namespace["__all__"] = sorted(listed() | set(submodules))

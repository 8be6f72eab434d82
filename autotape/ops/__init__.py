"""The op library: every op registered in :mod:`.registry`, and NumPy's dispatch into them.

Importing this package imports the modules that define ops (each registers its ops
as it is imported); the package then exports every op by name. Traced values route
operators to the primitives, and NumPy calls (``np.tanh(x)``, ``np.sum(x)``,
``X @ w`` with an ndarray ``X``) through the registry's dispatch tables. A NumPy
function with no entry raises TypeError naming it, rather than silently converting
the traced value and losing its gradient.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import tracer
from . import arrays, calculus, elementwise, fft, linalg, more, nn, numpy_linalg, reductions, shape  # noqa: F401  (each registers its ops)
from .registry import CONSTANTS, FUNCTIONS, REGISTRY, UFUNCS, constant, on_values, only_recorded


def _exported() -> dict[str, Callable]:
    """The public function of every NumPy-namespace and autotape op, by name and alias."""
    names: dict[str, Callable] = {}
    for info in REGISTRY.values():
        if info.module in ("numpy", "autotape"):
            names[info.name] = info.function
            for alias in info.aliases:
                names[alias] = info.function
    return names


OPS: dict[str, Callable] = _exported()
globals().update(OPS)
__all__ = sorted(OPS) + ["REGISTRY", "dispatch_ufunc", "dispatch_function"]


def __getattr__(name: str) -> Any:  # for static checkers: the ops are set from the registry above
    raise AttributeError(f"module 'autotape.ops' has no attribute {name!r}")


def function(name: str) -> Callable:
    """The public function of the NumPy-namespace op ``name`` (for the ndarray methods of traced values)."""
    info = REGISTRY.get(name)
    if info is None:
        found = OPS.get(name)
        if found is None:
            raise TypeError(
                f"numpy.{name} (ndarray.{name}) has no autotape rule, so it cannot be applied to a traced "
                "value without losing the gradient; `python -m autotape.coverage` lists what autotape differentiates"
            )
        return found
    return info.function


def _unsupported(kind: str, name: str) -> TypeError:
    return TypeError(
        f"{name} has no autotape rule, so it cannot be applied to a traced value without losing "
        f"the gradient. `python -m autotape.coverage` lists the {kind} autotape differentiates. "
        "Rewrite the call with those, or define a primitive with at.primitive."
    )


def _outer(op: Callable) -> Callable:
    """``ufunc.outer(a, b)``: ``op`` of ``a`` with new trailing axes and ``b``."""

    def outer(a, b, **kwargs):
        if kwargs:
            raise TypeError(f"outer: arguments {sorted(kwargs)} are not supported on traced values")
        return op(np.reshape(a, np.shape(a) + (1,) * np.ndim(b)), b)

    return outer


def _ufunc_name(ufunc: Any) -> str:
    """``numpy.sin``, ``scipy.special.gammaln``: the ufunc's name where users import it from."""
    name = str(ufunc.__name__)
    for module_name in ("numpy", "scipy.special"):
        module = sys.modules.get(module_name)
        if module is not None and getattr(module, name, None) is ufunc:
            return f"{module_name}.{name}"
    return name


def _register_scipy_special() -> None:
    """Import autotape's scipy.special ops (they register themselves), on the first scipy.special ufunc."""
    try:
        importlib.import_module(".scipy.special", __name__)
    except ImportError:  # not built or SciPy missing: the ufunc stays unsupported
        pass


def dispatch_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict):
    """Route a NumPy ufunc call on traced values to the matching op."""
    op = UFUNCS.get(ufunc)
    if op is None and _ufunc_name(ufunc).startswith("scipy.special."):
        _register_scipy_special()
        op = UFUNCS.get(ufunc)
    if method == "__call__":
        if op is None:
            if only_recorded(inputs, kwargs):  # at.jit records a call with no derivative needed
                return on_values(ufunc, *inputs, **kwargs)
            raise _unsupported("ufuncs", _ufunc_name(ufunc))
        return op(*inputs, **kwargs)
    reduction = _UFUNC_METHODS.get((ufunc, method))
    if reduction is not None:
        if method in ("reduce", "accumulate"):
            kwargs.setdefault("axis", 0)
        return reduction(*inputs, **kwargs)
    if method == "outer" and op is not None and ufunc.nin == 2 and ufunc not in CONSTANTS:
        return _outer(op)(*inputs, **kwargs)
    if (op is not None and ufunc in CONSTANTS) or only_recorded(inputs, kwargs):
        return on_values(getattr(ufunc, method), *inputs, **kwargs)
    raise TypeError(
        f"{_ufunc_name(ufunc)}.{method} on a traced value is not supported (autotape has no rule "
        "for it); call the ufunc itself, or an autotape op"
    )


def dispatch_function(func, args: tuple, kwargs: dict):
    """Route a NumPy function call on traced values (``__array_function__``) to autotape."""
    op = FUNCTIONS.get(func)
    if op is None:
        if only_recorded(args, kwargs):  # at.jit records a call with no derivative needed
            return on_values(func, *args, **kwargs)
        raise _unsupported("functions", f"{getattr(func, '__module__', None) or 'numpy'}.{func.__name__}")
    return op(*args, **kwargs)


# ufunc methods that are ops of their own: np.add.reduce is a sum, np.maximum.reduce a max.
_UFUNC_METHODS: dict[tuple, Callable] = {
    (np.add, "reduce"): OPS["sum"],
    (np.add, "accumulate"): OPS["cumsum"],
    (np.multiply, "reduce"): OPS["prod"],
    (np.multiply, "accumulate"): OPS["cumprod"],
    (np.logaddexp, "reduce"): OPS["logsumexp"],
    (np.maximum, "reduce"): OPS["max"],
    (np.minimum, "reduce"): OPS["min"],
}

constant(np.shape, np.ndim, np.size, np.result_type, np.zeros_like, np.ones_like, np.empty_like)

_bind = {name: REGISTRY[name].primitives[0].bind for name in ("add", "subtract", "multiply", "divide", "negative")}
# Operators on traced values call the primitives' bind directly (one call less than the
# public functions); methods that normalize their arguments use the public functions.
tracer.bind_op_library(
    SimpleNamespace(
        **_bind,
        power=REGISTRY["power"].primitives[0].bind,
        abs=OPS["abs"],
        matmul=REGISTRY["matmul"].primitives[0].bind,
        getitem=OPS["getitem"],
        transpose=OPS["transpose"],
        astype=OPS["astype"],
        function=function,
        array=OPS["array"],
        dispatch_ufunc=dispatch_ufunc,
        dispatch_function=dispatch_function,
    )
)

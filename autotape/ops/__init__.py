"""The op library: each NumPy op as an autotape primitive, and NumPy's dispatch into them.

Traced values route operators to the primitives, and NumPy calls (``np.tanh(x)``,
``np.sum(x)``, ``X @ w`` with an ndarray ``X``) through the tables below. A NumPy
function with no entry raises TypeError naming it, rather than silently converting
the traced value and losing its gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from .. import tracer
from . import elementwise, linalg
from .elementwise import (
    abs,
    add,
    clip,
    divide,
    exp,
    log,
    log1p,
    maximum,
    minimum,
    multiply,
    negative,
    power,
    relu,
    sigmoid,
    sqrt,
    subtract,
    tanh,
    where,
)
from .linalg import matmul
from .nn import log_softmax, softmax
from .reductions import logsumexp, max, mean, min, sum
from .shape import astype, broadcast_to, concatenate, getitem, reshape, stack, transpose

__all__ = [
    "abs",
    "add",
    "astype",
    "broadcast_to",
    "clip",
    "concatenate",
    "divide",
    "exp",
    "getitem",
    "log",
    "log1p",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "multiply",
    "negative",
    "power",
    "relu",
    "reshape",
    "sigmoid",
    "softmax",
    "sqrt",
    "stack",
    "subtract",
    "sum",
    "tanh",
    "transpose",
    "where",
    "PRIMITIVE_OPS",
]

#: Every public op that is a single primitive, by name (the test suite is generated from it).
PRIMITIVE_OPS = {
    f.__name__: f
    for f in (
        add,
        subtract,
        multiply,
        divide,
        negative,
        power,
        exp,
        log,
        log1p,
        sqrt,
        abs,
        tanh,
        sigmoid,
        relu,
        maximum,
        minimum,
        where,
        clip,
        matmul,
        sum,
        mean,
        max,
        logsumexp,
        softmax,
        log_softmax,
        reshape,
        transpose,
        broadcast_to,
        getitem,
        concatenate,
        stack,
        astype,
    )
}

UFUNCS: dict[Any, Callable[..., Any]] = {
    np.add: add,
    np.subtract: subtract,
    np.multiply: multiply,
    np.divide: divide,
    np.negative: negative,
    np.power: power,
    np.exp: exp,
    np.log: log,
    np.log1p: log1p,
    np.sqrt: sqrt,
    np.absolute: abs,
    np.tanh: tanh,
    np.maximum: maximum,
    np.minimum: minimum,
    np.matmul: matmul,
    np.positive: lambda x: x,
    np.square: lambda x: multiply(x, x),
}


def _no_extras(name: str, **given) -> None:
    for key, value in given.items():
        if value is not None and value is not np._NoValue:
            raise TypeError(f"numpy.{name}: argument {key}= is not supported on traced values; drop it")


def _np_sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _no_extras("sum", dtype=dtype, out=out, initial=initial, where=where)
    return sum(a, axis=axis, keepdims=bool(keepdims))


def _np_mean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    _no_extras("mean", dtype=dtype, out=out, where=where)
    return mean(a, axis=axis, keepdims=bool(keepdims))


def _np_max(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    _no_extras("max", out=out, initial=initial, where=where)
    return max(a, axis=axis, keepdims=bool(keepdims))


def _np_min(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    _no_extras("min", out=out, initial=initial, where=where)
    return min(a, axis=axis, keepdims=bool(keepdims))


def _np_ravel(a, order="C"):
    if order not in ("C", "K", "A"):
        raise TypeError(f"numpy.ravel: order={order!r} is not supported on traced values; use the default 'C'")
    return reshape(a, (-1,))


def _constant_like(numpy_function: Callable) -> Callable:
    """``numpy.zeros_like`` and friends: their values do not depend on the input's, so the
    result is a plain (constant) array of the traced value's shape and dtype."""
    return lambda a, *args, **kwargs: numpy_function(tracer.primal(a), *args, **kwargs)


def _np_where(condition, x=None, y=None):
    if x is None or y is None:
        raise TypeError(
            "numpy.where with one argument (nonzero indices) is not differentiable; use np.nonzero on a plain array"
        )
    return where(condition, x, y)


def _np_clip(a, a_min=None, a_max=None, out=None, **kwargs):
    _no_extras("clip", out=out)
    lo, hi = kwargs.pop("min", a_min), kwargs.pop("max", a_max)
    if kwargs:
        raise TypeError(f"numpy.clip: arguments {sorted(kwargs)} are not supported on traced values")
    return clip(a, lo, hi)


def _np_concatenate(arrays, axis=0, out=None, dtype=None, casting=None):
    _no_extras("concatenate", out=out, dtype=dtype)
    return concatenate(arrays, axis=axis)


def _np_stack(arrays, axis=0, out=None, dtype=None, casting=None):
    _no_extras("stack", out=out, dtype=dtype)
    return stack(arrays, axis=axis)


def _np_reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    if order != "C":
        raise TypeError("numpy.reshape: only order='C' is supported on traced values")
    return reshape(a, newshape if shape is None else shape)


def _np_transpose(a, axes=None):
    return transpose(a, axes)


def _np_swapaxes(a, axis1, axis2):
    perm = list(range(np.ndim(a)))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return transpose(a, perm)


def _np_expand_dims(a, axis):
    shape = list(np.shape(a))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    ndim = len(shape) + len(axes)
    for ax in sorted(a % ndim for a in axes):
        shape.insert(ax, 1)
    return reshape(a, shape)


def _np_squeeze(a, axis=None):
    shape = np.shape(a)
    axes = range(len(shape)) if axis is None else [axis] if isinstance(axis, int) else axis
    drop = {ax % len(shape) for ax in axes if axis is not None or shape[ax] == 1}
    for ax in drop:
        if shape[ax] != 1:
            raise ValueError(f"squeeze: axis {ax} of shape {shape} has length {shape[ax]}, not 1")
    return reshape(a, tuple(n for i, n in enumerate(shape) if i not in drop))


def _np_dot(a, b, out=None):
    _no_extras("dot", out=out)
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        return multiply(a, b)
    if np.ndim(b) > 2:
        raise TypeError("numpy.dot with a >2-D second operand is not supported on traced values; use matmul")
    return matmul(a, b)


def _np_astype(x, dtype, copy=True):
    return astype(x, dtype)


FUNCTIONS: dict[Any, Callable[..., Any]] = {
    np.sum: _np_sum,
    np.mean: _np_mean,
    np.max: _np_max,
    np.amax: _np_max,
    np.min: _np_min,
    np.amin: _np_min,
    np.ravel: _np_ravel,
    np.copy: lambda a, order="K", subok=False: a,  # a traced value is never modified: no copy needed
    np.zeros_like: _constant_like(np.zeros_like),
    np.ones_like: _constant_like(np.ones_like),
    np.full_like: _constant_like(np.full_like),
    np.empty_like: _constant_like(np.empty_like),
    np.where: _np_where,
    np.clip: _np_clip,
    np.concatenate: _np_concatenate,
    np.stack: _np_stack,
    np.reshape: _np_reshape,
    np.transpose: _np_transpose,
    np.swapaxes: _np_swapaxes,
    np.expand_dims: _np_expand_dims,
    np.squeeze: _np_squeeze,
    np.broadcast_to: broadcast_to,
    np.dot: _np_dot,
    np.shape: lambda a: a.shape,
    np.ndim: lambda a: a.ndim,
    np.size: lambda a: a.size,
    np.result_type: lambda *a: np.result_type(*map(tracer.primal, a)),
}


def _unsupported(kind: str, name: str, supported) -> TypeError:
    names = sorted(getattr(f, "__name__", str(f)) for f in supported)
    return TypeError(
        f"{name} has no autotape primitive, so it cannot be applied to a traced value "
        f"without losing the gradient. Supported {kind}: {', '.join(names)}. Rewrite the call "
        "with those, or define a primitive with at.primitive."
    )


def dispatch_ufunc(ufunc, method: str, inputs: tuple, kwargs: dict):
    """Route a NumPy ufunc call on traced values to the matching primitive."""
    if method == "__call__":
        op = UFUNCS.get(ufunc)
        if op is None:
            raise _unsupported("ufuncs", f"numpy.{ufunc.__name__}", UFUNCS)
        if kwargs:
            raise TypeError(f"numpy.{ufunc.__name__}: arguments {sorted(kwargs)} are not supported on traced values")
        return op(*inputs)
    if method == "reduce" and ufunc in (np.add, np.maximum):
        axis = kwargs.pop("axis", 0)
        keepdims = kwargs.pop("keepdims", False)
        if kwargs:
            raise TypeError(
                f"numpy.{ufunc.__name__}.reduce: arguments {sorted(kwargs)} are not supported on traced values"
            )
        return (sum if ufunc is np.add else max)(inputs[0], axis=axis, keepdims=keepdims)
    raise TypeError(
        f"numpy.{ufunc.__name__}.{method} on a traced value is not supported (it is not "
        "differentiable by autotape); call the ufunc itself, or an autotape op"
    )


def dispatch_function(func, args: tuple, kwargs: dict):
    """Route a NumPy function call on traced values (``__array_function__``) to autotape."""
    op = FUNCTIONS.get(func)
    if op is None:
        raise _unsupported("functions", f"{getattr(func, '__module__', None) or 'numpy'}.{func.__name__}", FUNCTIONS)
    return op(*args, **kwargs)


if hasattr(np, "astype"):  # NumPy >= 2.1
    FUNCTIONS[np.astype] = _np_astype

# Operators on traced values call the primitives' bind directly (one call less than
# the documented wrappers); methods that normalize their arguments use the wrappers.
tracer.bind_op_library(
    SimpleNamespace(
        add=elementwise._add.bind,
        subtract=elementwise._subtract.bind,
        multiply=elementwise._multiply.bind,
        divide=elementwise._divide.bind,
        power=elementwise._power.bind,
        negative=elementwise._negative.bind,
        abs=elementwise._abs.bind,
        matmul=linalg._matmul.bind,
        getitem=getitem,
        transpose=transpose,
        reshape=reshape,
        sum=sum,
        mean=mean,
        max=max,
        min=min,
        astype=astype,
        dispatch_ufunc=dispatch_ufunc,
        dispatch_function=dispatch_function,
    )
)

"""Differences, integrals, interpolation and grids: ``diff``, ``ediff1d``, ``gradient`` and ``trapezoid``.

They are composites: NumPy's own arithmetic (slices, differences, products,
concatenations) written on values that may be traced, in the order NumPy does it, so
that the values equal NumPy's bit for bit and the derivatives (any order, forward and
reverse, complex where NumPy accepts complex) come from the ops they are made of.
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from .._types import Array, Nested, Scalar, Shaped
from ..tracer import Traced, primal
from .reductions import normalize_axes
from .registry import Spec, op
from .shape import astype

__all__ = [
    "diff",
    "ediff1d",
    "gradient",
    "trapezoid",
]

ArrayIn = Union[Shaped[Array, "..."], Scalar, complex, Nested]


def _array(a: Any) -> Any:
    """``a`` itself if traced, else as a NumPy array (lists and scalars, as NumPy reads them)."""
    return a if type(a) is Traced else np.asanyarray(a)


def _cast(a: Any, dtype: Any) -> Any:
    """``a`` in ``dtype`` (a recorded cast for a traced value); unchanged when it already is."""
    return a if np.result_type(primal(a)) == dtype else astype(a, dtype)


def _along(ndim: int, axis: int, index: Any) -> tuple:
    """The index selecting ``index`` (a slice or an int) along ``axis`` and everything elsewhere."""
    return (slice(None),) * axis + (index,) + (slice(None),) * (ndim - axis - 1)


def _one_axis(name: str, axis: Any, ndim: int) -> int:
    if not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: axis must be an int, got {axis!r}")
    return normalize_axes(name, axis, ndim)[0]


# --------------------------------------------------------------------------------------
# Differences
# --------------------------------------------------------------------------------------


@op(np.diff, spec=Spec(lambda k: k.diff(), "any values; n 0-3, prepend/append arrays or scalars", complex=True))
def diff(a: ArrayIn, n: int = 1, axis: int = -1, prepend: Any = np._NoValue, append: Any = np._NoValue) -> Any:
    """The ``n``-th forward difference along ``axis`` (``numpy.diff``): ``out[i] = a[i+1] - a[i]``, ``n`` times.

    Args:
        a: array of at least one dimension (float, complex; a boolean array gives
            ``not_equal``, a constant, as in NumPy).
        n: how many times to difference; 0 returns ``a``.
        axis: the axis to difference along.
        prepend, append: values joined to ``a`` along ``axis`` first; a scalar is
            broadcast to a slice of length 1. Differentiated like ``a``.
    Returns:
        ``a``'s shape with ``axis`` shortened by ``n`` (after the joins), NumPy's dtype.
    Raises:
        ValueError: ``n < 0``, or a 0-d ``a``, or an axis out of range.

    Linear in ``a``, ``prepend`` and ``append``: written with slicing, subtraction and
    :func:`~autotape.concatenate`, whose rules give the derivatives.
    """
    if n == 0:
        return a
    if n < 0:
        raise ValueError(f"diff: the order n must be non-negative, got {n!r}")
    values: Any = _array(a)
    nd = np.ndim(values)
    if nd == 0:
        raise ValueError("diff: the input is 0-d; it needs at least one dimension (use np.atleast_1d)")
    axis = _one_axis("diff", axis, nd)
    parts = []
    for extra in (prepend, values, append):
        if extra is values:
            parts.append(values)
        elif extra is not np._NoValue:
            extra = _array(extra)
            if np.ndim(extra) == 0:
                shape = list(np.shape(values))
                shape[axis] = 1
                extra = np.broadcast_to(extra, tuple(shape))
            parts.append(extra)
    if len(parts) > 1:
        values = np.concatenate(parts, axis)
    later, earlier = _along(nd, axis, slice(1, None)), _along(nd, axis, slice(None, -1))
    if np.result_type(primal(values)) == np.bool_:
        return np.diff(primal(values), n=n, axis=axis)
    for _ in range(n):
        values = values[later] - values[earlier]
    return values


@op(np.ediff1d, spec=Spec(lambda k: k.ediff1d(), "any values; to_begin/to_end None, scalars or arrays", complex=True))
def ediff1d(ary: ArrayIn, to_end: Any = None, to_begin: Any = None) -> Any:
    """Differences of consecutive elements of the flattened array (``numpy.ediff1d``),
    with ``to_begin`` and ``to_end`` (flattened) joined before and after.

    The result has ``ary``'s dtype, as in NumPy: ``to_begin``/``to_end`` are cast to it.

    Raises:
        TypeError: ``to_begin``/``to_end`` whose dtype cannot be cast to ``ary``'s under
            the ``same_kind`` rule (a complex ``to_end`` for a real ``ary``).

    Linear in all three: slicing, subtraction, a cast and :func:`~autotape.concatenate`.
    """
    ary = np.ravel(_array(ary))
    dtype = np.result_type(primal(ary))
    differences = ary[1:] - ary[:-1]
    if to_begin is None and to_end is None:
        return differences
    parts = []
    for name, extra in (("to_begin", to_begin), (None, differences), ("to_end", to_end)):
        if name is None:
            parts.append(differences)
        elif extra is not None:
            extra = _array(extra)
            if not np.can_cast(np.result_type(primal(extra)), dtype, casting="same_kind"):
                raise TypeError(
                    f"ediff1d: {name} has dtype {np.result_type(primal(extra))}, which cannot be cast to the "
                    f"input's dtype {dtype} (same_kind rule); cast the input to a wider dtype first"
                )
            parts.append(_cast(np.ravel(extra), dtype))
    return np.concatenate(parts)


def _check_spacing(spacing: Any, length: int, axis: int) -> Any:
    if np.ndim(spacing) == 0:
        return spacing  # as given: a Python float stays weakly typed (float32 stays float32)
    distances = _array(spacing)
    if np.ndim(distances) != 1:
        raise ValueError(
            f"gradient: the spacing of axis {axis} has shape {np.shape(distances)}; give a scalar or 1-D coordinates"
        )
    if np.shape(distances)[0] != length:
        raise ValueError(
            f"gradient: the coordinates of axis {axis} have length {np.shape(distances)[0]}, but the array has "
            f"length {length} along it; give one coordinate per element"
        )
    if np.result_type(primal(distances)).kind in "iub":
        distances = _cast(distances, np.float64)
    steps = np.diff(distances)
    # Evenly spaced constant coordinates are NumPy's scalar case (its formula, bit for bit).
    # Traced coordinates keep the general formula, whose derivative in each coordinate is right.
    if type(steps) is not Traced and np.all(steps == steps[0]):
        return steps[0]
    return steps


def _gradient_along(f: Any, axis: int, h: Any, edge_order: int, otype: Any) -> Any:
    """One axis of :func:`gradient`: NumPy's formulas, in NumPy's order of operations."""
    nd = np.ndim(f)

    def at(index):
        return f[_along(nd, axis, index)]

    if np.ndim(h) == 0:
        interior = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * h)
        first_h = last_h = h
    else:
        h1, h2 = h[0:-1], h[1:]
        shape = tuple(-1 if i == axis else 1 for i in range(nd))
        a = np.reshape(-h2 / (h1 * (h1 + h2)), shape)
        b = np.reshape((h2 - h1) / (h1 * h2), shape)
        c = np.reshape(h1 / (h2 * (h1 + h2)), shape)
        interior = a * at(slice(None, -2)) + b * at(slice(1, -1)) + c * at(slice(2, None))
        first_h, last_h = h[0], h[-1]
    if edge_order == 1:
        first = (at(slice(1, 2)) - at(slice(0, 1))) / first_h
        last = (at(slice(-1, None)) - at(slice(-2, -1))) / last_h
    else:
        if np.ndim(h) == 0:
            a0, b0, c0 = -1.5 / h, 2.0 / h, -0.5 / h
            a1, b1, c1 = 0.5 / h, -2.0 / h, 1.5 / h
        else:
            h1, h2 = h[0], h[1]
            a0 = -(2.0 * h1 + h2) / (h1 * (h1 + h2))
            b0 = (h1 + h2) / (h1 * h2)
            c0 = -h1 / (h2 * (h1 + h2))
            h1, h2 = h[-2], h[-1]
            a1 = h2 / (h1 * (h1 + h2))
            b1 = -(h2 + h1) / (h1 * h2)
            c1 = (2.0 * h2 + h1) / (h2 * (h1 + h2))
        first = a0 * at(slice(0, 1)) + b0 * at(slice(1, 2)) + c0 * at(slice(2, 3))
        last = a1 * at(slice(-3, -2)) + b1 * at(slice(-2, -1)) + c1 * at(slice(-1, None))
    # NumPy writes each piece into an array of the output dtype: the same casts.
    return np.concatenate([_cast(first, otype), _cast(interior, otype), _cast(last, otype)], axis)


@op(
    np.gradient,
    spec=Spec(
        lambda k: k.gradient(),
        "any values; spacing none, scalars or unevenly spaced increasing coordinates; edge_order 1 and 2",
        complex=True,
        complex_cases=lambda k: k.gradient(coordinates=False),
    ),
)
def gradient(f: ArrayIn, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """Second-order central differences inside, one-sided differences of order
    ``edge_order`` at the edges (``numpy.gradient``), along each axis in ``axis``.

    Args:
        f: array of any shape (an integer one is converted to float64).
        varargs: the spacing: none (1 everywhere), one scalar for every axis, or one
            per axis, each a scalar or 1-D coordinates as long as that axis.
        axis: None (every axis), an int or a tuple of ints.
        edge_order: 1 or 2.
    Returns:
        One array of ``f``'s shape and dtype per axis: a tuple, or the array itself for
        one axis.
    Raises:
        ValueError: an axis shorter than ``edge_order + 1``, ``edge_order > 2``, or
            coordinates that are not 1-D or not as long as their axis.
        TypeError: a number of spacing arguments other than 0, 1 or one per axis.

    Linear in ``f``; a rational function of the spacings and coordinates. Both are
    differentiated through the ops of NumPy's formulas (Fornberg 1988, "Generation of
    finite difference formulas on arbitrarily spaced grids", for the uneven case). The
    values equal NumPy's bit for bit, except one case: for traced coordinates that
    happen to be evenly spaced NumPy switches to its scalar formula, while the general
    formula is kept here (its derivative in each coordinate is the right one), so the
    values agree to rounding.
    """
    f = _array(f)
    nd = np.ndim(f)
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = tuple(_one_axis("gradient", a, nd) for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis))
        if len(set(axes)) != len(axes):
            raise ValueError(f"gradient: repeated axis in {axis!r}")
    count = len(varargs)
    if count == 0:
        spacings = [1.0] * len(axes)
    elif count == 1 and np.ndim(varargs[0]) == 0:
        spacings = [varargs[0]] * len(axes)
    elif count == len(axes):
        spacings = [_check_spacing(d, np.shape(f)[ax], ax) for d, ax in zip(varargs, axes)]
    else:
        raise TypeError(
            f"gradient: {count} spacing arguments for {len(axes)} axes; give none, one scalar, or one per axis"
        )
    if edge_order > 2:
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    otype = np.result_type(primal(f))
    if otype.kind not in "fc":
        f, otype = _cast(f, np.float64), np.dtype(np.float64)
    outs = []
    for ax, h in zip(axes, spacings):
        if np.shape(f)[ax] < edge_order + 1:
            raise ValueError(
                f"gradient: axis {ax} has length {np.shape(f)[ax]}; edge_order={edge_order} needs at least "
                f"{edge_order + 1} elements"
            )
        outs.append(_gradient_along(f, ax, h, edge_order, otype))
    return outs[0] if len(outs) == 1 else tuple(outs)


# --------------------------------------------------------------------------------------
# Integrals
# --------------------------------------------------------------------------------------


@op(
    np.trapezoid,
    *((np.trapz,) if hasattr(np, "trapz") else ()),
    spec=Spec(lambda k: k.trapezoid(), "any values; x 1-D or full coordinates, or a spacing dx"),
)
def trapezoid(y: ArrayIn, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """The trapezoidal rule along ``axis`` (``numpy.trapezoid``, and ``numpy.trapz`` where
    NumPy still has it): ``sum((x[i+1] - x[i]) * (y[i+1] + y[i]) / 2)``.

    Args:
        y: values, at least 1-D.
        x: sample points, 1-D (as long as ``axis``) or ``y``'s shape; None for spacing ``dx``.
        dx: the spacing when ``x`` is None (a scalar or an array that broadcasts).
        axis: the axis to integrate along.
    Returns:
        ``y``'s shape without ``axis``.
    Raises:
        ValueError: a 0-d ``y``.

    Linear in ``y``; bilinear in ``y`` and the spacings ``diff(x)`` or ``dx``, all
    differentiated (through :func:`diff`, products and :func:`~autotape.sum`).
    """
    values: Any = _array(y)
    nd = np.ndim(values)
    if nd == 0:
        raise ValueError("trapezoid: y is 0-d; it needs at least one dimension")
    axis = _one_axis("trapezoid", axis, nd)
    if x is None:
        d = dx
    else:
        x = _array(x)
        if np.ndim(x) == 1:
            d = np.diff(x)
            d = np.reshape(d, tuple(-1 if i == axis else 1 for i in range(nd)))
        else:
            d = np.diff(x, axis=axis)
    later, earlier = values[_along(nd, axis, slice(1, None))], values[_along(nd, axis, slice(None, -1))]
    return np.sum(d * (later + earlier) / 2.0, axis=axis)

"""Differences, integrals, interpolation and grids: ``diff``, ``ediff1d``, ``gradient``,
``trapezoid``, ``interp``, ``linspace``, ``logspace``, ``geomspace``, ``meshgrid``,
``polyval``, ``vander``, ``unwrap`` and ``i0``.

All but two are composites: NumPy's own arithmetic (slices, differences, products,
concatenations) written on values that may be traced, in the order NumPy does it, so
that the values equal NumPy's bit for bit and the derivatives (any order, forward and
reverse, complex where NumPy accepts complex) come from the ops they are made of.
``interp`` is a primitive: the segment whose slope is taken at a knot, NumPy's value at
repeated knots and the derivatives in all five operands are set once, in its rules
(see :func:`interp`). ``i0`` is a table row whose derivative ``i1`` is computed here
from its power series and its asymptotic expansion.
"""

from __future__ import annotations

import math
import operator
from typing import Any, NamedTuple, Optional, Union

import numpy as np

from .._types import Array, Nested, Scalar, Shaped
from ..tracer import Traced, primal, primal_array
from .reductions import normalize_axes
from .registry import RULE_NAMESPACE, Spec, defprim, elementwise, no_extras, op
from .shape import _index_add, astype

__all__ = [
    "diff",
    "ediff1d",
    "gradient",
    "trapezoid",
    "interp",
    "linspace",
    "logspace",
    "geomspace",
    "meshgrid",
    "polyval",
    "vander",
    "unwrap",
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
    spec=Spec(lambda k: k.trapezoid(), "any values; x 1-D or full coordinates, or a spacing dx", complex=True),
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


# --------------------------------------------------------------------------------------
# interp: a primitive, so that the side taken at a knot is chosen once and stated
# --------------------------------------------------------------------------------------


def _scatter(values: Any, index: Any, n: int) -> Any:
    """Zeros of length ``n`` with ``values`` added at ``index`` (repeats accumulate)."""
    return _index_add.bind(values, index=index, shape=(n,))


class _Segments(NamedTuple):
    """What interp's rules need, per query point: the segment ``[xp[j], xp[j1]]`` (``j1 = j + 1``
    but for a single knot), the weights ``w0``, ``w1`` of ``fp[j]``, ``fp[j1]``, the slope (0
    outside), the derivatives ``c0``, ``c1`` in ``xp[j]``, ``xp[j1]``, and the masks of the
    points below ``xp[0]`` and above ``xp[-1]``."""

    j: Any
    j1: Any
    n: int
    w0: Any
    w1: Any
    slope: Any
    c0: Any
    c1: Any
    below: Any
    above: Any


def _interp_fwd(x, xp, fp, left, right):
    # The value is NumPy's (bound again: values traced on an outer tape record there).
    out = _interp.bind(x, xp, fp, left, right)
    raw_x = np.asarray(primal(x), dtype=np.float64)
    raw_xp = np.asarray(primal(xp), dtype=np.float64)
    n = raw_xp.shape[0]
    below, above = raw_x < raw_xp[0], raw_x > raw_xp[-1]
    inside = ~(below | above)
    # The segment [xp[j], xp[j + 1]] with xp[j] <= x < xp[j + 1]: at a knot, the one to its
    # right; at xp[-1], the last one (JAX's jnp.interp chooses the same).
    j = np.clip(np.searchsorted(raw_xp, raw_x, side="right") - 1, 0, max(n - 2, 0))
    j1 = np.minimum(j + 1, n - 1)
    if n == 1:
        t = s = np.zeros(raw_x.shape)
    else:
        x0 = xp[j]
        # A segment of length zero is chosen only at x == xp[-1] == xp[-2]; NumPy's value is
        # then fp[-1], which t = 1 and slope 0 give.
        flat = raw_xp[j1] == raw_xp[j]
        width = np.where(flat, 1.0, xp[j1] - x0)
        t = np.where(flat, 1.0, (x - x0) / width)
        s = np.where(flat, 0.0, (fp[j1] - fp[j]) / width)
    # Outside, fp[0] or fp[-1] stands in when left or right is None.
    w0 = np.where(inside, 1 - t, below & (left is None))
    w1 = np.where(inside, t, above & (right is None))
    slope = np.where(inside, s, 0.0)
    return out, (_Segments(j, j1, n, w0, w1, slope, slope * (t - 1), -(slope * t), below, above),)


def _numpy_interp(x, xp, fp, left=None, right=None, period=None):
    """``numpy.interp`` with 0-d array bounds made scalars (NumPy reads a 0-d complex array
    ``left`` as a float and raises)."""
    left, right = (v[()] if isinstance(v, np.ndarray) and v.ndim == 0 else v for v in (left, right))
    return np.interp(x, xp, fp, left, right, period)


# Operands x, xp, fp, left, right. For xp and fp the VJP scatters onto the knots what the
# JVP gathers from them (each is the other's transpose).
_interp = defprim(
    "interp",
    _interp_fwd,
    (
        lambda g, r: g * r.slope,
        lambda g, r: _scatter(g * r.c0, r.j, r.n) + _scatter(g * r.c1, r.j1, r.n),
        lambda g, r: _scatter(g * r.w0, r.j, r.n) + _scatter(g * r.w1, r.j1, r.n),
        lambda g, r: g * r.below,
        lambda g, r: g * r.above,
    ),
    (
        lambda t, r: t * r.slope,
        lambda t, r: r.c0 * t[r.j] + r.c1 * t[r.j1],
        lambda t, r: r.w0 * t[r.j] + r.w1 * t[r.j1],
        lambda t, r: t * r.below,
        lambda t, r: t * r.above,
    ),
    impl=_numpy_interp,
)


@op(
    np.interp,
    spec=Spec(
        lambda k: k.interp(),
        "increasing knots >= 0.25 apart, queries >= 0.05 from every knot (inside and outside); "
        "left/right None, floats or differentiated; period too",
        reference=_numpy_interp,
        float32=False,
        complex=True,
        complex_cases=lambda k: k.interp(real_arguments=False),
    ),
    primitives=(_interp,),
)
def interp(
    x: ArrayIn, xp: ArrayIn, fp: ArrayIn, left: Any = None, right: Any = None, period: Any = None
) -> Shaped[Array, "*shape"]:
    """Piecewise-linear interpolation of the points ``(xp, fp)`` at ``x`` (``numpy.interp``).

    For ``xp[j] <= x < xp[j+1]``, with ``t = (x - xp[j]) / (xp[j+1] - xp[j])``::

        f = fp[j] + t (fp[j+1] - fp[j])

    ``left`` (default ``fp[0]``) below ``xp[0]`` and ``right`` (default ``fp[-1]``) above
    ``xp[-1]``. With ``period``, ``x`` and ``xp`` are taken modulo ``period``, ``xp``
    sorted and padded by one point on each side (NumPy's construction), and
    ``left``/``right`` are ignored.

    Args:
        x: query points, any shape (real).
        xp: increasing knots, 1-D, not checked (as NumPy).
        fp: values at the knots, 1-D as long as ``xp``; float or complex.
        left, right: scalars (float or complex) or None.
        period: a non-zero scalar, or None.
    Returns:
        ``x``'s shape, float64 (complex128 for complex ``fp``): NumPy computes in double
        precision whatever the input dtypes.
    Raises:
        ValueError: ``xp``/``fp`` not 1-D, of different lengths or empty; ``period == 0``.

    Derivatives (every argument; the VJP and JVP rules are the same maps), with
    ``s = (fp[j+1] - fp[j]) / (xp[j+1] - xp[j])``, the slope of the segment:

    * ``df/dx = s`` inside ``[xp[0], xp[-1]]``, 0 outside;
    * ``df/dfp[j] = 1 - t``, ``df/dfp[j+1] = t`` (and 1 for ``fp[0]``/``fp[-1]`` outside,
      when ``left``/``right`` is None); ``df/dleft = 1`` below, ``df/dright = 1`` above;
    * ``df/dxp[j] = s (t - 1)``, ``df/dxp[j+1] = -s t``.

    At a knot ``x == xp[j]`` the function has a kink; NumPy's value there is ``fp[j]``,
    and the segment taken is the one to the right of the knot, ``[xp[j], xp[j+1]]``
    (``t = 0``); at ``xp[-1]`` it is the last segment (``t = 1``); this is the choice of
    JAX's ``jnp.interp`` (``searchsorted(xp, x, side='right')`` clipped to the
    segments). So ``d/dx`` at an interior knot is the slope on its right, at ``xp[0]``
    the first slope and at ``xp[-1]`` the last; beyond the ends it is 0. The
    derivatives of linear interpolation are textbook; differentiating ``numpy.interp``
    is HIPS autograd's issue #193. Through NumPy's dispatch a traced ``left``, ``right``
    or ``period`` is seen only when one of ``x``, ``xp``, ``fp`` is traced (NumPy's
    dispatcher looks at those three): call ``at.interp`` otherwise.
    """
    xp_shape, fp_shape = np.shape(primal(xp)), np.shape(primal(fp))
    if len(xp_shape) != 1 or len(fp_shape) != 1 or xp_shape != fp_shape:
        raise ValueError(f"interp: xp and fp must be 1-D of the same length; got shapes {xp_shape} and {fp_shape}")
    if xp_shape[0] == 0:
        raise ValueError("interp: xp and fp are empty; give at least one point")
    if np.iscomplexobj(primal(x)):
        raise TypeError("interp: x is complex; the query points must be real")
    if period is not None:
        if np.ndim(period) != 0 or primal(period) == 0:
            raise ValueError(f"interp: period must be a non-zero scalar, got {primal(period)!r}")
        period = np.abs(period) if type(period) is Traced else abs(period)
        values = np.complex128 if primal_array(fp).dtype.kind == "c" else np.float64
        knots: Any = np.remainder(_cast(_array(xp), np.float64), period)
        order = np.argsort(primal(knots))
        knots, at_knots = knots[order], _cast(_array(fp), values)[order]
        x = np.remainder(_cast(_array(x), np.float64), period)
        xp = np.concatenate((knots[-1:] - period, knots, knots[0:1] + period))
        fp = np.concatenate((at_knots[-1:], at_knots, at_knots[0:1]))
        left = right = None
    return _interp.bind(x, xp, fp, left, right)


# --------------------------------------------------------------------------------------
# Grids
# --------------------------------------------------------------------------------------


@op(
    np.linspace,
    spec=Spec(
        lambda k: k.linspace(),
        "start/stop broadcasting arrays or floats; num 0-5, endpoint, axis, retstep",
        complex=True,
    ),
)
def linspace(
    start: ArrayIn,
    stop: ArrayIn,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
    *,
    device: Any = None,
) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop`` (``numpy.linspace``):
    ``start + i * step`` with ``step = (stop - start) / (num - 1)`` (``/ num`` without the
    endpoint), the last value ``stop`` itself when ``endpoint``.

    Args:
        start, stop: scalars or arrays that broadcast (traced too); the new axis is ``axis``.
        num: the number of values (>= 0).
        endpoint: include ``stop``.
        retstep: also return ``step`` (NaN when ``num - 1 <= 0`` with the endpoint).
        dtype: the result's dtype; an integer dtype gives NumPy's floored values, a constant.
        axis: where the new axis goes in the result.
    Returns:
        The values, dtype by NumPy's promotion of ``start`` and ``stop`` (at least
        float); with ``retstep`` the pair ``(values, step)``.
    Raises:
        ValueError: ``num < 0``. TypeError: ``device`` other than None or ``"cpu"``.

    Affine in ``start`` and ``stop``, differentiated through the ops of NumPy's formula
    (the values equal NumPy's bit for bit, its tiny-step branch included).
    """
    no_extras("linspace", device=None if device == "cpu" else device)
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"linspace: the number of samples must be non-negative, got {num}")
    if dtype is not None and np.issubdtype(dtype, np.integer):
        return np.linspace(primal(start), primal(stop), num, endpoint, retstep, dtype, axis)  # type: ignore[call-overload]
    div = num - 1 if endpoint else num
    # NumPy's promotion, Python scalars weakly typed: float32 and 0.5 give float32.
    dt = np.result_type(*(s if isinstance(s, (int, float, complex)) else primal_array(s) for s in (start, stop)))
    if dt.kind not in "fc":
        dt = np.dtype(np.float64)
    first: Any = _cast(_array(start), dt)
    last: Any = _cast(_array(stop), dt)
    delta = last - first
    y = np.reshape(np.arange(0, num, dtype=dt), (-1,) + (1,) * np.ndim(delta))
    step: Any = math.nan
    if div > 0:
        step = delta / div
        if np.any(primal(step) == 0):  # steps that underflow (NumPy's gh-5437 branch)
            y = y / div * delta
        else:
            y = y * step
    else:
        y = y * delta
    y = y + first
    if endpoint and num > 1:
        tail = np.shape(y)[1:]
        y = np.concatenate([y[:-1], np.reshape(np.broadcast_to(last, tail), (1,) + tail)])
    if axis != 0:
        y = np.moveaxis(y, 0, axis)
    if dtype is not None:
        y = _cast(y, np.dtype(dtype))
    return (y, step) if retstep else y


@op(
    np.logspace,
    spec=Spec(lambda k: k.logspace(), "exponents in [-2, 2]; base 10, 2 or a positive differentiated array"),
)
def logspace(
    start: ArrayIn,
    stop: ArrayIn,
    num: int = 50,
    endpoint: bool = True,
    base: Any = 10.0,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """``base ** linspace(start, stop, num, endpoint, axis=axis)`` (``numpy.logspace``).

    An array ``base`` broadcasts with ``start`` and ``stop`` and gets the new axis too,
    as in NumPy. Differentiated in ``start``, ``stop`` and ``base`` through
    :func:`linspace` and :func:`~autotape.power`.
    """
    if not isinstance(base, (float, int)) and np.ndim(base):
        ndmax = len(np.broadcast_shapes(np.shape(start), np.shape(stop), np.shape(base)))
        start, stop, base = (np.reshape(a, (1,) * (ndmax - np.ndim(a)) + np.shape(a)) for a in (start, stop, base))
        base = np.expand_dims(base, axis=axis)
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    out = np.power(base, y)
    return out if dtype is None else _cast(out, np.dtype(dtype))


@op(
    np.geomspace,
    spec=Spec(
        lambda k: k.geomspace(),
        "start/stop of one sign per element, magnitudes in [0.5, 4]; num 0-5, endpoint, axis",
        float32=False,
    ),
)
def geomspace(
    start: ArrayIn, stop: ArrayIn, num: int = 50, endpoint: bool = True, dtype: Any = None, axis: int = 0
) -> Any:
    """``num`` values in geometric progression from ``start`` to ``stop`` (``numpy.geomspace``):
    ``sign * 10 ** linspace(log10(start / sign), log10(stop / sign))`` with
    ``sign = sign(start)``, the end values set to ``start`` and ``stop`` exactly.

    The dtype is at least float64 (NumPy promotes with a float64 zero). Raises
    ValueError when ``start`` or ``stop`` has a zero. Differentiated in ``start`` and
    ``stop`` through :func:`logspace` and the ops of NumPy's formula; the sign of a real
    ``start`` is a constant, that of a traced complex one ``start / |start|`` (its value
    then agrees with NumPy's to rounding).
    """
    start, stop = _array(start), _array(stop)
    if np.any(primal(start) == 0) or np.any(primal(stop) == 0):
        raise ValueError("geomspace: a geometric sequence cannot include zero; start and stop must be non-zero")
    dt = np.result_type(primal(start), primal(stop), float(num), np.zeros((), dtype))
    out_dtype = dt if dtype is None else np.dtype(dtype)
    start, stop = _cast(start, dt), _cast(stop, dt)
    if dt.kind == "c" and type(start) is Traced:
        sign = start / np.abs(start)
    else:
        sign = np.sign(primal(start))
    start = start / sign
    stop = stop / sign
    result = logspace(np.log10(start), np.log10(stop), num=num, endpoint=endpoint, base=10.0, dtype=dt)
    if num > 0:
        tail = np.shape(result)[1:]
        ends = [np.reshape(np.broadcast_to(start, tail), (1,) + tail), result[1:]]
        if num > 1 and endpoint:
            ends[1:] = [result[1:-1], np.reshape(np.broadcast_to(stop, tail), (1,) + tail)]
        result = np.concatenate(ends)
    result = result * sign
    if axis != 0:
        result = np.moveaxis(result, 0, axis)
    return _cast(result, out_dtype)


@op(
    np.meshgrid,
    spec=Spec(lambda k: k.meshgrid(), "1-3 arrays of any shape; indexing xy/ij, sparse, copy", complex=True),
)
def meshgrid(*xi: ArrayIn, copy: bool = True, sparse: bool = False, indexing: str = "xy") -> tuple:
    """Coordinate arrays from coordinate vectors (``numpy.meshgrid``): the ``i``-th input,
    flattened, laid along axis ``i`` of the grid (axes 0 and 1 exchanged for
    ``indexing='xy'``), broadcast to the full grid unless ``sparse``.

    Returns a tuple of arrays, one per input. ``copy`` has no effect on traced values
    (never modified). Raises ValueError for an ``indexing`` other than ``'xy'`` or
    ``'ij'``. Linear: reshapes and :func:`~autotape.broadcast_to`, whose VJPs sum the
    cotangent of the grid back onto each vector.
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    ndim = len(xi)
    ones = (1,) * ndim
    shapes = [ones[:i] + (-1,) + ones[i + 1 :] for i in range(ndim)]
    if indexing == "xy" and ndim > 1:
        shapes[0], shapes[1] = (1, -1) + ones[2:], (-1, 1) + ones[2:]
    output = [np.reshape(_array(x), shape) for x, shape in zip(xi, shapes)]
    if not sparse:
        grid = np.broadcast_shapes(*(np.shape(o) for o in output))
        output = [np.broadcast_to(o, grid) for o in output]
    if copy:
        output = [np.copy(o) for o in output]
    return tuple(output)


# --------------------------------------------------------------------------------------
# Polynomials
# --------------------------------------------------------------------------------------


@op(np.polyval, spec=Spec(lambda k: k.polyval(), "1-4 coefficients, x of any shape, values in [-2, 2]", complex=True))
def polyval(p: ArrayIn, x: ArrayIn) -> Any:
    """The polynomial ``p[0] x^(n-1) + ... + p[n-1]`` at ``x`` (``numpy.polyval``), by
    Horner's rule from ``zeros_like(x)`` as NumPy does (so the values match bit for bit).

    Args:
        p: 1-D coefficients, highest power first.
        x: points, any shape.
    Returns:
        ``x``'s shape; dtype by NumPy's promotion.

    Differentiated in ``p`` and ``x`` through Horner's products and sums:
    ``d/dx = sum_k (n-1-k) p[k] x^(n-2-k)``, ``d/dp[k] = x^(n-1-k)``.
    """
    coefficients: Any = _array(p)
    points: Any = _array(x)
    y: Any = np.zeros_like(primal(points))
    for k in range(len(coefficients)):
        y = y * points + coefficients[k]
    return y


@op(
    np.vander,
    spec=Spec(lambda k: k.vander(), "1-D x in [-2, 2], N None or 0-5, increasing", complex=True, float32=False),
)
def vander(x: ArrayIn, N: Optional[int] = None, increasing: bool = False) -> Any:
    """The Vandermonde matrix of ``x`` (``numpy.vander``): column ``i`` is ``x**(N-1-i)``
    (``x**i`` when ``increasing``).

    Args:
        x: 1-D points.
        N: the number of columns (default ``len(x)``).
        increasing: powers increase from left to right.
    Returns:
        ``(len(x), N)``, dtype ``promote_types(x.dtype, int)`` as NumPy (float64 for
        float32 ``x``).
    Raises:
        ValueError: ``x`` not 1-D.

    The powers are running products ``x, x*x, (x*x)*x, ...``, NumPy's
    ``multiply.accumulate`` order, and are differentiated through them.
    """
    x = _array(x)
    if np.ndim(x) != 1:
        raise ValueError(f"vander: x must be one-dimensional, got shape {np.shape(x)}")
    n = np.shape(x)[0]
    columns = n if N is None else operator.index(N)
    dtype = np.promote_types(np.result_type(primal(x)), int)
    x = _cast(x, dtype)
    powers: list = []
    if columns > 0:
        powers.append(np.ones(n, dtype))
    if columns > 1:
        powers.append(x)
        for _ in range(columns - 2):
            powers.append(powers[-1] * x)
    if not increasing:
        powers.reverse()
    return np.stack(powers, axis=1) if powers else np.empty((n, 0), dtype)


# --------------------------------------------------------------------------------------
# Phase unwrapping
# --------------------------------------------------------------------------------------


@op(
    np.unwrap,
    spec=Spec(lambda k: k.unwrap(), "steps within 0.4 period of a multiple of the period; discont None or 0.55 period"),
)
def unwrap(p: ArrayIn, discont: Any = None, axis: int = -1, *, period: Any = 2 * math.pi) -> Any:
    """Remove jumps larger than ``discont`` (default ``period / 2``) between consecutive
    elements along ``axis`` by adding multiples of ``period`` (``numpy.unwrap``).

    The corrections are whole multiples of ``period``, piecewise constant in ``p``: they
    are computed from the values (NumPy's arithmetic, so the result equals NumPy's) and
    added as constants. The derivative in ``p`` is therefore the identity; in a traced
    ``period`` it is the accumulated number of periods added; ``discont`` is not
    differentiated (the result does not depend on it away from the thresholds). A traced
    ``period`` reaches this function only through ``at.unwrap`` or along with a traced
    ``p`` (NumPy's dispatcher looks at ``p`` alone).
    """
    phases: Any = _array(p)
    raw, raw_period = primal_array(phases), primal(period)
    nd = raw.ndim
    axis = _one_axis("unwrap", axis, nd)
    steps = np.diff(raw, axis=axis)
    limit = raw_period / 2 if discont is None else primal(discont)
    dtype = np.result_type(steps, raw_period)
    if np.issubdtype(dtype, np.integer):
        high, rest = divmod(raw_period, 2)
        ambiguous = rest == 0
    else:
        high, ambiguous = raw_period / 2, True
    wrapped = np.mod(steps - -high, raw_period) + -high
    if ambiguous:  # a step of exactly +period/2 stays +period/2
        wrapped = np.where((wrapped == -high) & (steps > 0), high, wrapped)
    correction = np.where(np.abs(steps) < limit, 0, wrapped - steps).astype(wrapped.dtype)
    total = np.cumsum(correction, axis=axis)
    rest_of_p = phases[_along(nd, axis, slice(1, None))] + total
    if type(period) is Traced:  # adds zero, with the derivative count * d(period)
        rest_of_p = rest_of_p + np.cumsum(np.round(correction / raw_period), axis=axis) * (period - raw_period)
    return np.concatenate([_cast(phases[_along(nd, axis, slice(0, 1))], dtype), _cast(rest_of_p, dtype)], axis)


# --------------------------------------------------------------------------------------
# i0, the modified Bessel function of the first kind of order 0
# --------------------------------------------------------------------------------------

_SERIES_TERMS = 40  # enough for |x| <= 20 (the last term is below 1e-17 of the sum)
_ASYMPTOTIC_TERMS = 30  # enough for |x| > 20 (the terms reach e^(-2|x|) at 2|x| terms)


def _bessel_i1(x: Any) -> Any:
    """``I1(x) = i0'(x)``, written with ops so that its own derivatives follow.

    For ``|x| <= 20`` the power series ``sum_k (x/2)^(2k+1) / (k! (k+1)!)`` (Abramowitz &
    Stegun 9.6.10; positive terms, odd in ``x``); beyond, the asymptotic expansion
    ``e^|x| / sqrt(2 pi |x|) sum_k (-1)^k prod_{m<=k} (4 - (2m-1)^2) / (k! (8|x|)^k)``
    (A&S 9.7.1) with the sign of ``x``. Each branch is evaluated at a safe point where it
    is not used, so neither overflows into the other's derivative.
    """
    raw = primal(x)
    small = np.abs(raw) <= 20
    near = np.where(small, x, 0.0)
    half = near / 2
    square = half * half
    term = half
    series = half
    for k in range(1, _SERIES_TERMS):
        term = term * square / (k * (k + 1))
        series = series + term
    far = np.where(small, 21.0, np.abs(x))
    coefficient = 1.0 + 0 * far
    expansion = coefficient
    for k in range(1, _ASYMPTOTIC_TERMS):
        coefficient = coefficient * (-(4.0 - (2 * k - 1) ** 2) / (8.0 * k)) / far
        expansion = expansion + coefficient
    asymptotic = np.sign(raw) * (np.exp(far) / np.sqrt((2 * math.pi) * far) * expansion)
    return np.where(small, series, asymptotic)


RULE_NAMESPACE["bessel_i1"] = _bessel_i1
elementwise(
    "i0",
    np.i0,
    ("g * bessel_i1(x)",),
    lambda k: k.unary(k.floats(-6, 6)),
    "[-6, 6] (finite differences of larger values are too coarse; tests_ops_calculus checks i1 to 40)",
    source="i0' = I1 (A&S 9.6.27), from its power series for |x| <= 20 and its asymptotic expansion beyond",
)

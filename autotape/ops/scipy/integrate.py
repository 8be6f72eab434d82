"""``scipy.integrate``: the trapezoidal rule, ``trapezoid`` and ``cumulative_trapezoid``.

Both are composites written as SciPy writes them (differences of the sample points,
averages of neighbouring values, a sum or a cumulative sum), so they are differentiable
in the values ``y``, the sample points ``x`` and the spacing ``dx``, at every order, and
their values are SciPy's exactly. SciPy's functions convert their arguments with
``np.asarray``, which NumPy's dispatch cannot see: call them from
``autotape.scipy.integrate``.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ...tracer import Traced, primal
from ..registry import Spec, defprim, op
from ..shape import concatenate
from . import require_scipy

integrate = require_scipy("scipy.integrate")

__all__ = ["trapezoid", "cumulative_trapezoid"]

MODULE = "scipy.integrate"


def _along(ndim: int, axis: int, part: slice) -> tuple:
    index = [slice(None)] * ndim
    index[axis] = part
    return tuple(index)


@op(
    integrate.trapezoid,
    module=MODULE,
    spec=Spec(
        lambda k: k.scipy_trapezoid(),
        "y of 1-3 axes (sides 1-4), any axis; x absent, 1-D, or broadcasting to y; or dx in [0.1, 2]",
    ),
)
def trapezoid(y: Any, x: Optional[Any] = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """The integral of ``y`` along ``axis`` by the trapezoidal rule (``scipy.integrate.trapezoid``).

    ``sum((x[i+1] - x[i]) * (y[i+1] + y[i]) / 2)``, or with the spacing ``dx`` when ``x`` is
    None; computed as SciPy computes it, so the values are SciPy's exactly.

    Args:
        y: array of at least one dimension.
        x: sample points: 1-D of ``y.shape[axis]`` points, or an array broadcasting to ``y``'s
            shape; or None.
        dx: the spacing when ``x`` is None (may be traced).
        axis: the axis integrated over.
    Returns:
        ``y``'s shape without ``axis``, in ``y``'s floating dtype (SciPy's; float64 for
        integer ``y``).
    Raises:
        ValueError/IndexError: SciPy's, for an axis out of range or sample points that do not fit.

    Linear in ``y`` and differentiable in ``x`` and ``dx``, through the ops it is written
    with (indexing, subtraction, multiplication, ``sum``).
    """
    ndim = np.ndim(primal(y))
    upper, lower = _along(ndim, axis, slice(1, None)), _along(ndim, axis, slice(None, -1))
    dtype = np.result_type(primal(y))
    dtype = dtype if dtype.kind in "fc" else np.dtype(np.float64)  # SciPy's: y's floating type
    if x is None:
        d = dx
    elif np.ndim(primal(x)) == 1:
        d = x[1:] - x[:-1]
        expand: list[Any] = [None] * ndim
        expand[axis] = slice(None)
        d = d[tuple(expand)]
    else:
        x = np.broadcast_to(x, np.shape(primal(y)))
        d = x[upper] - x[lower]
    return np.sum(d * (y[upper] + y[lower]) / 2.0, axis=axis, dtype=dtype)


# A private cumulative sum (NumPy's cumsum is not an op of this module's): linear, its
# transpose the reversed cumulative sum of the cotangent.


def _cumsum_fwd(x, *, axis):
    if type(x) is Traced:  # traced on an outer tape: record the cumulative sum there
        return _cumsum.bind(x, axis=axis), (axis,)
    return np.cumsum(x, axis=axis), (axis,)


def _cumsum_transpose(g, axis):
    reverse = _along(np.ndim(g), axis, slice(None, None, -1))
    return _cumsum.bind(g[reverse], axis=axis)[reverse]


_cumsum: Any = defprim("cumulative_sum", _cumsum_fwd, linear=_cumsum_transpose)


@op(
    integrate.cumulative_trapezoid,
    module=MODULE,
    spec=Spec(
        lambda k: k.scipy_trapezoid(cumulative=True),
        "y of 1-3 axes (sides 1-4), any axis; x absent, 1-D or of y's shape; or dx in [0.1, 2]; initial None or 0",
    ),
)
def cumulative_trapezoid(y: Any, x: Optional[Any] = None, dx: Any = 1.0, axis: int = -1, initial: Any = None) -> Any:
    """The running integral of ``y`` along ``axis`` by the trapezoidal rule
    (``scipy.integrate.cumulative_trapezoid``).

    The cumulative sum of the trapezoids :func:`trapezoid` adds up, computed as SciPy
    computes it (the values are SciPy's exactly).

    Args:
        y: array of at least one dimension. x: sample points, 1-D of ``y.shape[axis]``
        points or of ``y``'s shape; or None. dx: the spacing when ``x`` is None.
        axis: the axis integrated along. initial: None, or 0 to start the result with a 0.
    Returns:
        ``y``'s shape with ``axis`` one shorter (the same length with ``initial=0``).
    Raises:
        ValueError: SciPy's errors: no point along ``axis``, ``x`` of the wrong shape,
        ``initial`` not None or 0.

    Differentiable in ``y``, ``x`` and ``dx`` through its ops; the cumulative sum's VJP is
    the reversed cumulative sum of the cotangent.
    """
    shape = np.shape(primal(y))
    if shape[axis] == 0:
        raise ValueError("cumulative_trapezoid: at least one point is required along `axis`.")
    ndim = len(shape)
    upper, lower = _along(ndim, axis, slice(1, None)), _along(ndim, axis, slice(None, -1))
    if x is None:
        d = dx
    else:
        x_shape = np.shape(primal(x))
        if len(x_shape) == 1:
            d = np.reshape(x[1:] - x[:-1], tuple(-1 if i == axis % ndim else 1 for i in range(ndim)))
        elif len(x_shape) != ndim:
            raise ValueError("cumulative_trapezoid: if given, shape of x must be 1-D or the same as y.")
        else:
            d = x[upper] - x[lower]
        if np.shape(primal(d))[axis] != shape[axis] - 1:
            raise ValueError("cumulative_trapezoid: if given, length of x along axis must be the same as y.")
    result = _cumsum.bind(d * (y[upper] + y[lower]) / 2.0, axis=axis)
    if initial is None:
        return result
    if not np.isscalar(initial):
        raise ValueError("cumulative_trapezoid: `initial` parameter should be a scalar.")
    if initial != 0:
        raise ValueError("cumulative_trapezoid: `initial` must be `None` or `0`.")
    start = list(np.shape(primal(result)))
    start[axis] = 1
    return concatenate([np.full(tuple(start), initial, dtype=np.result_type(primal(result))), result], axis=axis)

"""Reductions over axes (``sum``, ``mean``, ``max``, ``logsumexp``, ...) with NumPy's ``axis``/``keepdims``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

from .._types import Array, Float, Nested, Scalar, Shaped
from ..tracer import Traced, primal
from .registry import Spec, defprim, no_extras, op

__all__ = ["sum", "mean", "max", "min", "logsumexp", "normalize_axes", "expand_reduced", "Axis"]

Axis = Optional[Union[int, Sequence[int]]]
ArrayIn = Union[Shaped[Array, "*shape"], Scalar, Nested]
Reduced = Shaped[Array, "*reduced"]


def normalize_axes(op: str, axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative ints; raises ValueError naming ``op`` if out of range."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    normalized = []
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(
                f"{op}: axis {a} is out of range for an array of {ndim} dimension(s); "
                f"use an axis in [{-ndim}, {ndim - 1}]"
            )
        normalized.append(int(a) % ndim if ndim else 0)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(normalized))


def _kept_shape(shape: tuple, axes: tuple) -> tuple:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def expand_reduced(g, shape: tuple, axes: tuple, keepdims: bool):
    """Broadcast the cotangent of a reduction over ``axes`` back to the input ``shape``."""
    if not keepdims:
        g = np.reshape(g, _kept_shape(shape, axes))
    if type(g) is Traced:
        return np.broadcast_to(g, shape)
    # A fresh array rather than numpy.broadcast_to's read-only view: cheaper to make, and the
    # engine may then accumulate into it.
    full = np.empty(shape, dtype=g.dtype)
    full[...] = g
    return full


def cast(a: Any, dtype: Any) -> Any:
    """``a`` cast to ``dtype`` (NumPy's ``dtype=`` argument of reductions); unchanged for None."""
    if dtype is None:
        return a
    from .shape import astype

    return astype(a, dtype)


def _sum_fwd(x, *, axis=None, keepdims=False):
    shape = np.shape(x)
    axes = normalize_axes("sum", axis, len(shape))
    return np.add.reduce(x, axis=axes, keepdims=keepdims), (shape, axes, keepdims)


_sum = defprim("sum", _sum_fwd, linear=expand_reduced, impl=np.sum, check=_sum_fwd)

_REDUCTION = Spec(lambda k: k.reduction(), "axis None/int/tuple (empty too), keepdims", complex=True)


@op(np.sum, spec=_REDUCTION, primitives=(_sum,))
def sum(
    a: ArrayIn,
    axis: Axis = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: bool = False,
    initial: Any = np._NoValue,
    where: Any = np._NoValue,
) -> Reduced:
    """Sum over ``axis`` (``numpy.sum``): all axes when ``None``, an int, or a tuple.

    Args:
        a: array of any shape; its dtype is kept (float32 stays float32) unless ``dtype``.
        axis: axes to reduce; negative values count from the end.
        dtype: cast ``a`` to this dtype first.
        keepdims: keep reduced axes with length 1.
    Returns:
        ``a``'s shape without (or with length 1 at) the reduced axes.
    Raises:
        ValueError: an axis out of range or repeated.
        TypeError: ``out``, ``initial`` or ``where`` given on traced values.

    Linear: the JVP is the sum of the tangent; the VJP broadcasts the cotangent back along
    the reduced axes.
    """
    no_extras("sum", out=out, initial=initial, where=where)
    return _sum.bind(cast(a, dtype), axis=axis, keepdims=bool(keepdims))


def _mean_fwd(x, *, axis=None, keepdims=False):
    shape = np.shape(x)
    axes = normalize_axes("mean", axis, len(shape))
    count = 1
    for a in axes:
        count *= shape[a]
    # numpy.mean's own arithmetic (a sum, then a true division), without its Python wrapper.
    return np.add.reduce(x, axis=axes, keepdims=keepdims) / count, (shape, axes, keepdims, count)


_mean = defprim(
    "mean",
    _mean_fwd,
    linear=lambda g, shape, axes, keepdims, count: expand_reduced(g / count, shape, axes, keepdims),
    impl=np.mean,
    check=_mean_fwd,
)


@op(np.mean, spec=_REDUCTION, primitives=(_mean,))
def mean(
    a: ArrayIn,
    axis: Axis = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: bool = False,
    *,
    where: Any = np._NoValue,
) -> Reduced:
    """Arithmetic mean over ``axis`` (``numpy.mean``); arguments and errors as :func:`sum`.

    Linear: the VJP broadcasts the cotangent back and divides it by the number of reduced
    elements.
    """
    no_extras("mean", out=out, where=where)
    return _mean.bind(cast(a, dtype), axis=axis, keepdims=bool(keepdims))


def _max_fwd(x, *, axis=None, keepdims=False):
    raw = primal(x)
    axes = normalize_axes("max", axis, np.ndim(raw))
    top = np.max(raw, axis=axes, keepdims=True)
    winners = (raw == top).astype(raw.dtype if raw.dtype.kind == "f" else np.float64)
    # Ties share the cotangent equally, as in PyTorch's amax.
    weights = winners / np.sum(winners, axis=axes, keepdims=True)
    return np.max(x, axis=axes, keepdims=keepdims), (np.shape(raw), axes, keepdims, weights)


_max = defprim(
    "max",
    _max_fwd,
    (lambda g, shape, axes, keepdims, weights: expand_reduced(g, shape, axes, keepdims) * weights,),
    (lambda t, shape, axes, keepdims, weights: np.sum(t * weights, axis=axes, keepdims=keepdims),),
    impl=np.max,
    check=_max_fwd,
)
_EXTREMUM = Spec(lambda k: k.reduction(distinct_elements=True), "elements pairwise >= 1/8 apart (no ties)")


@op(np.max, np.amax, spec=_EXTREMUM, primitives=(_max,))
def max(
    a: ArrayIn,
    axis: Axis = None,
    out: Any = None,
    keepdims: bool = False,
    initial: Any = np._NoValue,
    where: Any = np._NoValue,
) -> Reduced:
    """Maximum over ``axis`` (``numpy.max``, ``numpy.amax``); arguments and errors as :func:`sum`.

    VJP: the cotangent goes to the maximal elements, split equally between ties
    (PyTorch's ``amax`` convention), so it always sums to ``g``; the JVP is the matching
    average of the tangents of the maximal elements.
    """
    no_extras("max", out=out, initial=initial, where=where)
    return _max.bind(a, axis=axis, keepdims=bool(keepdims))


@op(np.min, np.amin, spec=_EXTREMUM)
def min(
    a: ArrayIn,
    axis: Axis = None,
    out: Any = None,
    keepdims: bool = False,
    initial: Any = np._NoValue,
    where: Any = np._NoValue,
) -> Reduced:
    """Minimum over ``axis`` (``numpy.min``, ``numpy.amin``), computed as ``-max(-a)``;
    arguments and errors as :func:`sum`.

    The cotangent goes to the minimal elements, split equally between ties, as :func:`max`.
    """
    no_extras("min", out=out, initial=initial, where=where)
    return np.negative(_max.bind(np.negative(a), axis=axis, keepdims=bool(keepdims)))


def shifted_log_normalizer(x, axes: tuple):
    """``(m, x - m, log(sum(exp(x - m))))`` over ``axes`` (keepdims), ``m`` the maximum as a constant.

    The maximum is taken from the primal values (it cancels in the math, so no
    gradient needs to flow through it) and replaced by 0 where it is infinite, so
    rows of -inf stay -inf rather than NaN. Callers form ``(x - m) - log_sum``, never
    ``x - (log_sum + m)``, which would lose the low digits when ``m`` is large.
    """
    shift = np.max(primal(x), axis=axes, keepdims=True)
    shift = np.where(np.isfinite(shift), shift, 0)
    shifted = x - shift
    return shift, shifted, np.log(np.sum(np.exp(shifted), axis=axes, keepdims=True))


def _logsumexp_fwd(x, *, axis=None, keepdims=False):
    shape = np.shape(x)
    axes = normalize_axes("logsumexp", axis, len(shape))
    shift, shifted, log_sum = shifted_log_normalizer(x, axes)
    kept = log_sum + shift
    probabilities = np.exp(shifted - log_sum)
    out = kept if keepdims else np.reshape(kept, tuple(n for i, n in enumerate(shape) if i not in axes))
    return out, (shape, axes, keepdims, probabilities)


_logsumexp = defprim(
    "logsumexp",
    _logsumexp_fwd,
    (lambda g, shape, axes, keepdims, p: expand_reduced(g, shape, axes, keepdims) * p,),
    (lambda t, shape, axes, keepdims, p: np.sum(t * p, axis=axes, keepdims=keepdims),),
    check=_logsumexp_fwd,
)


def _lse_reference(x, axis=None, keepdims=False):
    # Naive (unshifted) on purpose: an algorithm independent of the op's, exact enough
    # for the bounded inputs drawn in the tests.
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


@op(
    module="autotape",
    spec=Spec(lambda k: k.reduction(), "axis None/int/tuple (empty too), keepdims", reference=_lse_reference),
    primitives=(_logsumexp,),
)
def logsumexp(
    x: Union[Float[Array, "*shape"], Nested], axis: Axis = None, keepdims: bool = False
) -> Float[Array, "*reduced"]:
    """:math:`\\log \\sum_i e^{x_i}` over ``axis``, computed stably (``scipy.special.logsumexp``).

    The maximum is subtracted before exponentiating, so large inputs never
    overflow. Arguments and errors as :func:`sum`.
    VJP: ``g * softmax(x)`` along the reduced axes; JVP: ``sum(t * softmax(x))`` over them.
    """
    return _logsumexp.bind(x, axis=axis, keepdims=keepdims)

"""Reductions over axes: sum, mean, max, logsumexp, with NumPy's ``axis``/``keepdims``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

import numpy as np

from .._types import Array, Float, Nested, Scalar, Shaped
from ..primitive import Primitive
from ..tracer import Traced, primal

__all__ = ["sum", "mean", "max", "min", "logsumexp", "normalize_axes", "expand_reduced"]

Axis = Optional[Union[int, Sequence[int]]]


def normalize_axes(op: str, axis: Axis, ndim: int) -> tuple[int, ...]:
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


def _sum_fwd(x, *, axis=None, keepdims=False):
    shape = np.shape(x)
    axes = normalize_axes("sum", axis, len(shape))
    return np.add.reduce(x, axis=axes, keepdims=keepdims), (shape, axes, keepdims)


def _sum_impl(x, *, axis=None, keepdims=False):
    return np.sum(x, axis=axis, keepdims=keepdims)


_sum = Primitive(_sum_fwd, name="sum", impl=_sum_impl, check=_sum_fwd).defvjp(
    lambda g, shape, axes, keepdims: expand_reduced(g, shape, axes, keepdims)
)


def _mean_fwd(x, *, axis=None, keepdims=False):
    shape = np.shape(x)
    axes = normalize_axes("mean", axis, len(shape))
    count = 1
    for a in axes:
        count *= shape[a]
    # numpy.mean's own arithmetic (a sum, then a true division), without its Python wrapper.
    return np.add.reduce(x, axis=axes, keepdims=keepdims) / count, (shape, axes, keepdims, count)


def _mean_impl(x, *, axis=None, keepdims=False):
    return np.mean(x, axis=axis, keepdims=keepdims)


_mean = Primitive(_mean_fwd, name="mean", impl=_mean_impl, check=_mean_fwd).defvjp(
    lambda g, shape, axes, keepdims, count: expand_reduced(g / count, shape, axes, keepdims)
)


def _max_fwd(x, *, axis=None, keepdims=False):
    raw = primal(x)
    axes = normalize_axes("max", axis, np.ndim(raw))
    top = np.max(raw, axis=axes, keepdims=True)
    winners = np.asarray(raw == top, dtype=raw.dtype if raw.dtype.kind == "f" else np.float64)
    # Ties share the cotangent equally, as in PyTorch's amax.
    weights = winners / np.sum(winners, axis=axes, keepdims=True)
    return np.max(x, axis=axes, keepdims=keepdims), (np.shape(raw), axes, keepdims, weights)


def _max_impl(x, *, axis=None, keepdims=False):
    return np.max(x, axis=axis, keepdims=keepdims)


_max = Primitive(_max_fwd, name="max", impl=_max_impl, check=_max_fwd).defvjp(
    lambda g, shape, axes, keepdims, weights: expand_reduced(g, shape, axes, keepdims) * weights
)


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


_logsumexp = Primitive(_logsumexp_fwd, name="logsumexp", check=_logsumexp_fwd).defvjp(
    lambda g, shape, axes, keepdims, p: expand_reduced(g, shape, axes, keepdims) * p
)

ArrayIn = Union[Shaped[Array, "*shape"], Scalar, Nested]


def sum(x: ArrayIn, axis: Axis = None, keepdims: bool = False) -> Shaped[Array, "*reduced"]:
    """Sum over ``axis`` (``numpy.sum``): all axes when ``None``, an int, or a tuple.

    Args:
        x: array of any shape; dtype is kept (float32 stays float32).
        axis: axes to reduce; negative values count from the end.
        keepdims: keep reduced axes with length 1.
    Returns:
        ``x``'s shape without (or with length 1 at) the reduced axes.
    Raises:
        ValueError: an axis out of range or repeated.

    VJP: the cotangent broadcast back along the reduced axes.
    """
    return _sum.bind(x, axis=axis, keepdims=keepdims)


def mean(x: ArrayIn, axis: Axis = None, keepdims: bool = False) -> Shaped[Array, "*reduced"]:
    """Arithmetic mean over ``axis`` (``numpy.mean``); arguments and errors as :func:`sum`.

    VJP: the cotangent broadcast back and divided by the number of reduced elements.
    """
    return _mean.bind(x, axis=axis, keepdims=keepdims)


def max(x: ArrayIn, axis: Axis = None, keepdims: bool = False) -> Shaped[Array, "*reduced"]:
    """Maximum over ``axis`` (``numpy.max``); arguments and errors as :func:`sum`.

    VJP: the cotangent goes to the maximal elements, split equally between ties
    (PyTorch's ``amax`` convention), so it always sums to ``g``.
    """
    return _max.bind(x, axis=axis, keepdims=keepdims)


def min(x: ArrayIn, axis: Axis = None, keepdims: bool = False) -> Shaped[Array, "*reduced"]:
    """Minimum over ``axis`` (``numpy.min``), computed as ``-max(-x)``; arguments and errors as :func:`sum`.

    VJP: the cotangent goes to the minimal elements, split equally between ties, as :func:`max`.
    """
    return np.negative(_max.bind(np.negative(x), axis=axis, keepdims=keepdims))


def logsumexp(
    x: Union[Float[Array, "*shape"], Nested], axis: Axis = None, keepdims: bool = False
) -> Float[Array, "*reduced"]:
    """:math:`\\log \\sum_i e^{x_i}` over ``axis``, computed stably (``scipy.special.logsumexp``).

    The maximum is subtracted before exponentiating, so large inputs never
    overflow. Arguments and errors as :func:`sum`.
    VJP: ``g * softmax(x)`` along the reduced axes.
    """
    return _logsumexp.bind(x, axis=axis, keepdims=keepdims)

"""Reductions over axes and along an axis, with NumPy's ``axis``/``keepdims``/``dtype``.

Sums and means (``sum``, ``mean``, ``average``, ``nansum``, ``nanmean``), products
(``prod``, ``nanprod``, exact where elements are 0), extrema (``max``, ``min``, ``ptp``,
``nanmax``, ``nanmin``, ties sharing the cotangent), moments (``var``, ``std`` and their
NaN-ignoring forms), order statistics (``median``, ``quantile``, ``percentile`` and
their NaN-ignoring forms), cumulative sums and products, ``logsumexp``; and the
reductions with no useful derivative (``all``, ``argmax``, ``count_nonzero``, ...) as
constants. The ``nan*`` forms give NaN elements a zero gradient.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Optional, Union

import numpy as np

from .._types import Array, Float, Nested, Scalar, Shaped
from ..tracer import Traced, primal, primal_array
from .registry import Spec, constant, defprim, no_extras, only_recorded, op

__all__ = [
    "sum",
    "mean",
    "max",
    "min",
    "logsumexp",
    "prod",
    "cumsum",
    "cumprod",
    "var",
    "std",
    "average",
    "ptp",
    "median",
    "quantile",
    "percentile",
    "nanmedian",
    "nanquantile",
    "nanpercentile",
    "nansum",
    "nanmean",
    "nanmax",
    "nanmin",
    "nanprod",
    "nanvar",
    "nanstd",
    "nancumsum",
    "nancumprod",
    "normalize_axes",
    "expand_reduced",
    "Axis",
]

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


# --------------------------------------------------------------------------------------
# Helpers: axes moved last, slices along an axis, an associative scan
# --------------------------------------------------------------------------------------


def _count(shape: tuple, axes: tuple) -> int:
    return math.prod(shape[a] for a in axes)


def _to_last(x, axes: tuple):
    """``x`` with its other axes first (in order) and ``axes`` flattened into one last axis."""
    shape = np.shape(x)
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    return np.reshape(np.transpose(x, kept + axes), tuple(shape[i] for i in kept) + (_count(shape, axes),))


def _from_last(y, shape: tuple, axes: tuple, lead: tuple = ()):
    """The inverse of :func:`_to_last`: ``y`` of shape ``lead + kept + (n,)`` back to ``lead + shape``."""
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    order = kept + axes
    y = np.reshape(y, lead + tuple(shape[i] for i in order))
    inverse = tuple(len(lead) + order.index(i) for i in range(len(shape)))
    return np.transpose(y, tuple(range(len(lead))) + inverse)


def _at(axis: int, index: Any) -> tuple:
    """The index selecting ``index`` along ``axis`` (a non-negative axis) and everything elsewhere."""
    return (slice(None),) * axis + (index,)


def _reverse(x, axis: int):
    return x[_at(axis, slice(None, None, -1))]


def _scan(combine, elems: tuple, axis: int) -> tuple:
    """Inclusive scan of the arrays ``elems`` along ``axis`` under an associative ``combine``.

    ``combine(earlier, later)`` joins two tuples of equally shaped slices. The odd-even
    recursion of Blelloch, "Prefix sums and their applications" (1990), which
    ``jax.lax.associative_scan`` also uses: O(n) work in about 2 log2(n) rounds of
    whole-array operations. Written with indexing, products,
    sums, concatenation and stacking, so that it nests: its derivatives are exact at
    every order, with no division.
    """
    n = np.shape(elems[0])[axis]
    if n < 2:
        return elems
    left = tuple(e[_at(axis, slice(0, -1, 2))] for e in elems)
    right = tuple(e[_at(axis, slice(1, None, 2))] for e in elems)
    odd = _scan(combine, combine(left, right), axis)  # the scan at positions 1, 3, 5, ...
    later = tuple(e[_at(axis, slice(2, None, 2))] for e in elems)
    earlier = odd if n % 2 else tuple(o[_at(axis, slice(0, -1))] for o in odd)
    even = combine(earlier, later)  # positions 2, 4, ...
    return tuple(_interleave(e[_at(axis, slice(0, 1))], ev, od, axis) for e, ev, od in zip(elems, even, odd))


def _interleave(first, even, odd, axis: int):
    """``[first, odd[0], even[0], odd[1], even[1], ...]`` along ``axis``."""
    even = np.concatenate([first, even], axis=axis)
    m = np.shape(odd)[axis]
    pairs = np.stack([even[_at(axis, slice(0, m))], odd], axis=axis + 1)
    shape = list(np.shape(odd))
    shape[axis] = 2 * m
    out = np.reshape(pairs, tuple(shape))
    if np.shape(even)[axis] > m:
        out = np.concatenate([out, even[_at(axis, slice(m, None))]], axis=axis)
    return out


def _affine(earlier: tuple, later: tuple) -> tuple:
    """Composition of the maps ``h -> a h + b`` (earlier first): the first-order linear
    recurrence ``h_i = a_i h_(i-1) + b_i`` is the scan of the pairs ``(a_i, b_i)`` under it
    (Blelloch 1990, section 1.4)."""
    (a1, b1), (a2, b2) = earlier, later
    return a1 * a2, a2 * b1 + b2


def _divisible(x, out) -> bool:
    """Whether the derivative of a product may be taken as the product divided by the factor.

    Only at first order (``x`` and ``out`` plain arrays, or values only an at.jit recording
    traces, where the test below is recorded as a guard: the rule itself is not being
    differentiated, where the division would cancel catastrophically for small
    factors), with no factor 0 and the products normal numbers (no underflow, no
    overflow), so the division recovers the product of the other factors to rounding.
    """
    if (type(x) is Traced or type(out) is Traced) and not only_recorded((x, out), {}):
        return False
    magnitude = np.abs(out)
    tiny = np.finfo(magnitude.dtype).tiny if magnitude.dtype.kind == "f" else 0
    return bool(
        np.all(x != 0) and np.all(np.isfinite(magnitude)) and np.all(magnitude >= tiny) and np.all(magnitude > 0)
    )


def _exclusive_cumprod(x, axis: int):
    """``[1, x0, x0 x1, ...]`` along ``axis``: the product of the elements before each."""
    head = np.ones_like(x[_at(axis, slice(0, 1))])
    return np.concatenate([head, np.cumprod(x[_at(axis, slice(0, -1))], axis=axis)], axis=axis)


# --------------------------------------------------------------------------------------
# prod: the product of the other elements, exact with zeros at every order
# --------------------------------------------------------------------------------------


def _others_product(x, out, shape: tuple, axes: tuple, keepdims: bool):
    """``prod_{k != i} x_k`` over the reduced axes, in ``x``'s shape: the derivative of ``prod``.

    At first order with no zero (see :func:`_divisible`) it is the product divided by
    ``x_i``. Otherwise it is the exclusive product from the left times the one from the
    right (PyTorch's ``prod_safe_zeros_backward`` in ``FunctionsManual.cpp``, TensorFlow's
    ``Prod`` gradient in ``math_grad.py``), written with :func:`cumprod`, whose
    rules are exact with zeros, so the second and higher derivatives are right too:
    with one zero the other elements get 0 and the zero gets the product of the others;
    with two, the mixed derivative of the two zeros is the product of the rest.
    """
    if _divisible(x, out):
        return (out if keepdims else np.reshape(out, _kept_shape(shape, axes))) / x
    flat = _to_last(x, axes)
    last = np.ndim(flat) - 1
    left = _exclusive_cumprod(flat, last)
    right = _reverse(_exclusive_cumprod(_reverse(flat, last), last), last)
    return _from_last(left * right, shape, axes)


def _prod_fwd(x, *, axis=None, keepdims=False):
    shape = np.shape(x)
    axes = normalize_axes("prod", axis, len(shape))
    out = np.prod(x, axis=axes, keepdims=keepdims)
    return out, (x, out, shape, axes, keepdims)


_prod = defprim(
    "prod",
    _prod_fwd,
    (
        lambda g, x, out, shape, axes, keepdims: (
            expand_reduced(g, shape, axes, keepdims) * _others_product(x, out, shape, axes, keepdims)
        ),
    ),
    (
        lambda t, x, out, shape, axes, keepdims: np.sum(
            t * _others_product(x, out, shape, axes, keepdims), axis=axes, keepdims=keepdims
        ),
    ),
    impl=np.prod,
    check=_prod_fwd,
)


@op(
    np.prod,
    spec=Spec(
        lambda k: k.reduction(k.with_zeros()),
        "[-2, 2], a third of the elements exactly 0 (slices with one, two or more zeros)",
        complex=True,
    ),
    primitives=(_prod,),
)
def prod(
    a: ArrayIn,
    axis: Axis = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: bool = False,
    initial: Any = np._NoValue,
    where: Any = np._NoValue,
) -> Reduced:
    """Product over ``axis`` (``numpy.prod``); arguments and errors as :func:`sum`.

    VJP: ``g`` times the product of the other elements of the slice; JVP: the sum of the
    tangent times that product. At first order with no zero (and no under- or overflow)
    this is ``prod / x``; otherwise it is computed without division (exclusive products
    from both sides, as PyTorch's ``prod_safe_zeros_backward``): one zero gets the
    product of the others and every other element 0; two or more zeros give 0
    everywhere, while the second derivative in a pair of zeros is still the product of
    the rest. A rule that is itself differentiated never divides (differentiating
    ``prod / x`` cancels catastrophically for tiny factors), so higher orders stay
    accurate. Holomorphic (complex too).
    """
    no_extras("prod", out=out, initial=initial, where=where)
    return _prod.bind(cast(a, dtype), axis=axis, keepdims=bool(keepdims))


# --------------------------------------------------------------------------------------
# cumsum and cumprod
# --------------------------------------------------------------------------------------


def _along(name: str, a: Any, axis: Any, dtype: Any) -> tuple:
    """``(a, axis)`` for a cumulative op: ``a`` cast, flattened for ``axis=None`` (and 0-d
    arrays made 1-d, as NumPy does), the axis non-negative."""
    a = cast(a, dtype)
    if axis is None or np.ndim(a) == 0:
        a = np.reshape(a, (-1,))
        axis = 0 if axis is None else axis
    (ax,) = normalize_axes(name, axis, np.ndim(a))
    return a, ax


def _cumsum_fwd(x, *, axis):
    return np.cumsum(x, axis=axis), (axis,)


def _cumsum_transpose(g, axis):
    return _reverse(_cumsum.bind(_reverse(g, axis), axis=axis), axis)


_cumsum: Any = defprim("cumsum", _cumsum_fwd, linear=_cumsum_transpose, impl=lambda x, *, axis: np.cumsum(x, axis=axis))


@op(
    np.cumsum,
    spec=Spec(lambda k: k.along_axis(none=True), "axis default (None), None or any int", complex=True),
    primitives=(_cumsum,),
)
def cumsum(a: ArrayIn, axis: Optional[int] = None, dtype: Any = None, out: Any = None) -> Shaped[Array, ...]:
    """Cumulative sum along ``axis`` (``numpy.cumsum``); ``axis=None`` flattens first.

    Args:
        a: array of any shape; its dtype is kept unless ``dtype``.
        axis: the axis to accumulate along (negative counts from the end).
        dtype: cast ``a`` to this dtype first.
    Returns:
        ``a``'s shape (1-d of ``a.size`` elements for ``axis=None``).
    Raises:
        ValueError: an axis out of range. TypeError: ``out=`` on traced values.

    Linear: the JVP is the cumulative sum of the tangent, the VJP the reversed cumulative
    sum of the cotangent (its transpose: ``dy_i/dx_j = 1`` for ``j <= i``).
    """
    no_extras("cumsum", out=out)
    a, ax = _along("cumsum", a, axis, dtype)
    return _cumsum.bind(a, axis=ax)


def _cumprod_fwd(x, *, axis):
    out = np.cumprod(x, axis=axis)
    return out, (x, out, axis)


def _cumprod_vjp(g, x, out, axis):
    # x_j's cotangent is sum_{i >= j} g_i prod_{k <= i, k != j} x_k.
    if _divisible(x, out):
        return _reverse(np.cumsum(_reverse(g * out, axis), axis=axis), axis) / x
    # E_j h_j, E the exclusive cumprod and h_j = g_j + x_(j+1) h_(j+1): a reversed linear
    # recurrence, scanned without division, so zeros are exact at every order.
    ones = np.ones_like(x[_at(axis, slice(0, 1))])
    coefficients = np.concatenate([x[_at(axis, slice(1, None))], ones], axis=axis)
    _, h = _scan(_affine, (_reverse(coefficients, axis), _reverse(g, axis)), axis)
    return _exclusive_cumprod(x, axis) * _reverse(h, axis)


def _cumprod_jvp(t, x, out, axis):
    # s_i = sum_{j <= i} t_j prod_{k <= i, k != j} x_k, i.e. s_i = x_i s_(i-1) + t_i E_i.
    if _divisible(x, out):
        return out * np.cumsum(t / x, axis=axis)
    _, s = _scan(_affine, (x, t * _exclusive_cumprod(x, axis)), axis)
    return s


_cumprod: Any = defprim(
    "cumprod", _cumprod_fwd, (_cumprod_vjp,), (_cumprod_jvp,), impl=lambda x, *, axis: np.cumprod(x, axis=axis)
)


@op(
    np.cumprod,
    spec=Spec(
        lambda k: k.along_axis(k.with_zeros(), none=True),
        "[-2, 2], a third of the elements exactly 0; axis default (None), None or any int",
        complex=True,
    ),
    primitives=(_cumprod,),
)
def cumprod(a: ArrayIn, axis: Optional[int] = None, dtype: Any = None, out: Any = None) -> Shaped[Array, ...]:
    """Cumulative product along ``axis`` (``numpy.cumprod``); arguments and errors as :func:`cumsum`.

    VJP: ``x_j`` gets ``sum_{i >= j} g_i prod_{k <= i, k != j} x_k``. At first order with
    no zero and no under- or overflow this is the reversed cumulative sum of ``g * out``
    divided by ``x`` (PyTorch's ``cumprod_backward`` without zeros); otherwise (and at
    higher orders, where the division would cancel badly for small factors) it is
    computed without division, as the exclusive product before ``j`` times the solution
    of the reversed recurrence ``h_j = g_j + x_(j+1) h_(j+1)``, by an associative scan
    (JAX likewise differentiates ``cumprod`` through an associative scan,
    ``_cumulative_jvp_rule`` in ``jax/_src/lax/control_flow/loops.py``), exact with
    zeros at every order. The JVP likewise:
    ``out * cumsum(t / x)``, or the scan of ``s_i = x_i s_(i-1) + t_i prod_{k < i} x_k``.
    Holomorphic (complex too).
    """
    no_extras("cumprod", out=out)
    a, ax = _along("cumprod", a, axis, dtype)
    return _cumprod.bind(a, axis=ax)


def _with_initial(y, axis: int, value: float):
    shape = list(np.shape(y))
    shape[axis] = 1
    head = np.full(tuple(shape), value, dtype=np.result_type(primal(y)))
    return np.concatenate([head, y], axis=axis)


def _cumulative(name: str, accumulate: Callable, initial: float, x: Any, axis: Any, dtype: Any, include_initial: bool):
    """The Array API's ``cumulative_sum``/``cumulative_prod``: ``accumulate`` along ``axis``
    (required beyond 1-d), with ``initial`` prepended when ``include_initial``."""
    if axis is None:
        if np.ndim(x) > 1:
            raise ValueError(
                f"{name}: an array of {np.ndim(x)} dimensions needs an axis argument (NumPy's rule); give axis=..."
            )
        axis = 0
    y = accumulate(x, axis=axis, dtype=dtype)
    if include_initial:
        (ax,) = normalize_axes(name, axis, np.ndim(y))
        y = _with_initial(y, ax, initial)
    return y


if hasattr(np, "cumulative_sum"):  # NumPy >= 2.1

    @op(
        np.cumulative_sum,
        spec=Spec(lambda k: k.cumulative(), "ndim 1-3, an axis (optional in 1-d), include_initial", complex=True),
    )
    def cumulative_sum(
        x: ArrayIn, /, *, axis: Optional[int] = None, dtype: Any = None, out: Any = None, include_initial: bool = False
    ) -> Shaped[Array, ...]:
        """Cumulative sum along ``axis`` (``numpy.cumulative_sum``, the Array API's):
        :func:`cumsum`, with ``include_initial`` prepending a 0. ``axis`` may be omitted
        only for 1-d input (ValueError otherwise). Its derivative is :func:`cumsum`'s (the
        prepended 0 is a constant).
        """
        no_extras("cumulative_sum", out=out)
        return _cumulative("cumulative_sum", cumsum, 0.0, x, axis, dtype, include_initial)

    @op(
        np.cumulative_prod,
        spec=Spec(
            lambda k: k.cumulative(k.with_zeros()),
            "[-2, 2], a third exactly 0; ndim 1-3, an axis (optional in 1-d), include_initial",
            complex=True,
        ),
    )
    def cumulative_prod(
        x: ArrayIn, /, *, axis: Optional[int] = None, dtype: Any = None, out: Any = None, include_initial: bool = False
    ) -> Shaped[Array, ...]:
        """Cumulative product along ``axis`` (``numpy.cumulative_prod``): :func:`cumprod`,
        with ``include_initial`` prepending a 1. ``axis`` may be omitted only for 1-d input
        (ValueError otherwise). Its derivative is :func:`cumprod`'s, exact with zeros.
        """
        no_extras("cumulative_prod", out=out)
        return _cumulative("cumulative_prod", cumprod, 1.0, x, axis, dtype, include_initial)


# --------------------------------------------------------------------------------------
# Moments, weighted means and ranges: compositions of the ops above
# --------------------------------------------------------------------------------------


def _ddof(name: str, ddof: Any, correction: Any) -> Any:
    """``ddof``, or the Array API's ``correction`` (its other name); both given is an error, as in NumPy."""
    if correction is np._NoValue:
        return ddof
    if ddof != 0:
        raise ValueError(f"{name}: ddof and correction are the same parameter; give only one")
    return correction


def _squares(d):
    """``|d|^2`` elementwise, as NumPy's ``var`` forms it (the real and imaginary parts squared
    and added, for complex ``d``)."""
    if np.iscomplexobj(primal(d)):
        re, im = np.real(d), np.imag(d)
        return re * re + im * im
    return d * d


@op(np.var, spec=Spec(lambda k: k.moments(), "axis None/int/tuple, keepdims, ddof 0 or 1 (< slice size)", complex=True))
def var(
    a: ArrayIn,
    axis: Axis = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Union[int, float] = 0,
    keepdims: bool = False,
    *,
    where: Any = np._NoValue,
    mean: Any = np._NoValue,
    correction: Any = np._NoValue,
) -> Reduced:
    """Variance over ``axis`` (``numpy.var``): the sum of squared deviations from the mean,
    divided by ``N - ddof``.

    Args:
        a: array of any shape (complex too: ``|a - mean|^2``, a real result).
        axis, dtype, keepdims: as :func:`sum`.
        ddof: "delta degrees of freedom" (1 for the unbiased estimate); ``correction``
            is its Array API name.
        mean: the mean, if already computed (with the reduced axes kept).
    Returns:
        The reduced shape; NaN or inf with NumPy's warning where ``N - ddof <= 0``.
    Raises:
        ValueError: an axis out of range; both ``ddof`` and ``correction``.
        TypeError: ``out`` or ``where`` on traced values.

    Written as NumPy computes it (a sum, a division by ``N``, the deviations squared,
    summed and divided by ``N - ddof``), so its derivative comes from those ops:
    ``2 (a - mean) / (N - ddof)`` times the cotangent (the mean's own derivative
    cancels, since the deviations sum to 0).
    """
    no_extras("var", out=out, where=where)
    ddof = _ddof("var", ddof, correction)
    a = cast(a, dtype)
    axes = normalize_axes("var", axis, np.ndim(a))
    n = _count(np.shape(a), axes)
    center = np.sum(a, axis=axes, keepdims=True) / n if mean is np._NoValue else mean
    total = np.sum(_squares(a - center), axis=axes, keepdims=bool(keepdims))
    return total / (n - ddof if n > ddof else 0)


def _root(variance):
    """``sqrt(variance)``, with derivative 0 where the variance is 0 (see :func:`std`)."""
    zero = primal(variance) == 0
    if not np.any(zero):
        return np.sqrt(variance)
    return np.where(zero, 0.0, np.sqrt(np.where(zero, 1.0, variance)))


@op(
    np.std,
    spec=Spec(
        lambda k: k.moments(distinct_elements=True),
        "distinct elements (no constant slice but single elements); axis, keepdims, ddof 0 or 1",
        complex=True,
    ),
)
def std(
    a: ArrayIn,
    axis: Axis = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Union[int, float] = 0,
    keepdims: bool = False,
    *,
    where: Any = np._NoValue,
    mean: Any = np._NoValue,
    correction: Any = np._NoValue,
) -> Reduced:
    """Standard deviation over ``axis`` (``numpy.std``): the square root of :func:`var`;
    arguments, results and errors as :func:`var`.

    Its derivative is ``(a - mean) / ((N - ddof) std)`` times the cotangent. Where a
    slice is constant (its variance exactly 0) the standard deviation is a norm at its
    kink, and autotape returns the subgradient 0 there, at every order, as ``abs'(0) = 0``:
    a standardized loss (``(x - mean) / std``) then trains on rather than turning
    every gradient into NaN, which is what JAX and PyTorch return (0 * inf). A slice of
    one element (``ddof=0``) is the common case, and there the standard deviation is
    identically 0, so 0 is its exact derivative.
    """
    no_extras("std", out=out, where=where)
    return _root(var(a, axis, dtype, None, ddof, keepdims, mean=mean, correction=correction))


@op(
    np.average,
    spec=Spec(
        lambda k: k.average(),
        "no weights, weights of a's shape, or of the averaged axes' shape (in [0.5, 2]); keepdims",
        complex=True,
    ),
)
def average(
    a: ArrayIn,
    axis: Axis = None,
    weights: Optional[Union[Shaped[Array, "*weights"], Scalar, Nested]] = None,
    returned: bool = False,
    *,
    keepdims: bool = False,
) -> Any:
    """Weighted mean over ``axis`` (``numpy.average``): ``sum(a * w) / sum(w)``.

    Args:
        a: array of any shape.
        axis: None (all), an int or a tuple.
        weights: None (the plain mean), an array of ``a``'s shape, or, with ``axis``
            given, of the shape of the averaged axes in the order given.
        returned: also return the sum of the weights, broadcast to the result's shape.
        keepdims: keep reduced axes with length 1.
    Returns:
        The weighted mean, or ``(mean, sum of weights)`` with ``returned``.
    Raises:
        TypeError: weights of another shape than ``a`` with ``axis=None``.
        ValueError: weights whose shape matches neither ``a`` nor the averaged axes.
        ZeroDivisionError: weights summing to 0.

    Differentiable in ``a`` and in ``weights`` (composed of a product, sums and a
    division): ``d/da = w / sum(w)`` and ``d/dw = (a - average) / sum(w)``.
    """
    keep = bool(keepdims) if keepdims is not np._NoValue else False
    shape = np.shape(a)
    axes = None if axis is None else _ordered_axes("average", axis, len(shape))
    if weights is None:
        avg = mean(a, axis=axes, keepdims=keep)
        scale = np.result_type(primal(avg)).type(math.prod(shape) / math.prod(np.shape(avg)))
    else:
        floats = [np.float64] if np.result_type(primal(a)).kind in "biu" else []
        dtype = np.result_type(primal(a), primal(weights), *floats)  # numpy.average's result dtype
        a = a if np.result_type(primal(a)) == dtype else cast(a, dtype)
        weights = weights if np.result_type(primal(weights)) == dtype else cast(weights, dtype)
        if np.shape(weights) != shape:
            if axes is None:
                raise TypeError(
                    f"average: weights of shape {np.shape(weights)} differ from a's shape {shape}; "
                    "give the axis they run along (axis=...)"
                )
            if np.shape(weights) != tuple(shape[ax] for ax in axes):
                raise ValueError(
                    f"average: weights of shape {np.shape(weights)} fit neither a's shape {shape} nor the "
                    f"shape {tuple(shape[ax] for ax in axes)} of axis {axis!r}"
                )
            weights = np.transpose(weights, tuple(int(i) for i in np.argsort(axes)))
            weights = np.reshape(weights, tuple(s if ax in axes else 1 for ax, s in enumerate(shape)))
        scale = np.sum(weights, axis=axes, keepdims=keep)
        if np.any(primal(scale) == 0.0):
            raise ZeroDivisionError("average: the weights sum to zero, so they cannot be normalized")
        avg = np.sum(np.multiply(a, weights), axis=axes, keepdims=keep) / scale
    if returned:
        if np.shape(scale) != np.shape(avg):
            scale = np.broadcast_to(scale, np.shape(avg))
            scale = scale.copy() if type(scale) is np.ndarray else scale
        return avg, scale
    return avg


def _ordered_axes(name: str, axis: Any, ndim: int) -> tuple:
    """``axis`` as a tuple of non-negative ints in the order given (``numpy.average`` matches
    weights to the axes in that order)."""
    normalize_axes(name, axis, ndim)  # the checks
    return tuple(int(a) % ndim for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis))


@op(np.ptp, spec=Spec(lambda k: k.reduction(distinct_elements=True), "elements pairwise >= 1/8 apart (no ties)"))
def ptp(a: ArrayIn, axis: Axis = None, out: Any = None, keepdims: bool = False) -> Reduced:
    """Range over ``axis`` (``numpy.ptp``, "peak to peak"): ``max - min``; arguments and
    errors as :func:`sum`.

    Its derivative is :func:`max`'s minus :func:`min`'s: ``+g`` to the maximal and ``-g``
    to the minimal elements, ties sharing equally (a constant slice gets
    ``g/n - g/n = 0`` everywhere).
    """
    no_extras("ptp", out=out)
    return np.max(a, axis=axis, keepdims=keepdims) - np.min(a, axis=axis, keepdims=keepdims)


# --------------------------------------------------------------------------------------
# Order statistics: median, quantile, percentile (linear interpolation) and nan* forms
# --------------------------------------------------------------------------------------


def _order_weights(raw: Any, axes: tuple, levels: Any, ignore_nan: bool, dtype: Any) -> tuple:
    """Which elements the quantiles of ``raw`` over ``axes`` at ``levels`` are taken from.

    With ``s`` the sorted (non-NaN) elements of a slice and ``n`` their number, the
    linear-interpolation quantile at level ``q`` is ``(1 - γ) s[lo] + γ s[lo + 1]`` with
    ``lo = clip(floor(q (n - 1)), 0, n - 2)`` and ``γ = q (n - 1) - lo`` (NumPy's default
    method, Hyndman & Fan's type 7). Returns ``(w_lo, w_hi, lo, n - 1)``: ``w_lo`` (and
    ``w_hi``) of shape ``levels.shape + raw.shape`` give each element equal to ``s[lo]``
    (``s[lo + 1]``) the weight 1 / (their number), so tied elements share the position
    equally, as :func:`max` shares ties; ``lo`` has shape ``levels.shape`` + the kept
    shape (1 on ``axes``) and ``n - 1`` the kept shape. A slice of NaNs only (with
    ``ignore_nan``) has zero weights; without it, a slice holding a NaN has NaN weights.
    """
    shape = raw.shape
    flat = _to_last(raw, axes)
    lead = levels.shape
    nan = np.isnan(flat)
    n = flat.shape[-1]
    count = n - np.sum(nan, axis=-1, keepdims=True) if ignore_nan else np.full(flat.shape[:-1] + (1,), n)
    q = np.reshape(levels, lead + (1,) * flat.ndim)
    lo = np.clip(np.floor(q * (count - 1)), 0, np.maximum(count - 2, 0)).astype(np.intp)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
    ordered = np.broadcast_to(np.sort(flat, axis=-1), lead + flat.shape)

    def shared(position):
        if n == 0:  # no element to weight (NumPy's result is NaN)
            return np.zeros(lead + shape, dtype)
        equal = flat == np.take_along_axis(ordered, position, axis=-1)
        weights = np.divide(equal, np.maximum(np.count_nonzero(equal, axis=-1, keepdims=True), 1), dtype=dtype)
        if not ignore_nan and nan.any():
            weights = np.where(np.any(nan, axis=-1, keepdims=True), np.nan, weights).astype(dtype)
        return _from_last(weights, shape, axes, lead)

    kept = _kept_shape(shape, axes)
    return shared(lo), shared(hi), np.reshape(lo, lead + kept).astype(dtype), np.reshape(count - 1, kept).astype(dtype)


def _order_statistic(name: str, numpy_function: Callable, ignore_nan: bool, takes_level: bool) -> Any:
    """The primitive of ``median``/``quantile`` and their ``nan`` forms: operands ``(a, q)``.

    The forward rule is NumPy's own function. The derivative in ``a`` is the weighting
    ``w = w_lo + γ (w_hi - w_lo)`` of :func:`_order_weights` (piecewise constant: the
    order statistic is locally linear in ``a``); in ``q`` it is the slope
    ``(n - 1) (s[lo + 1] - s[lo])`` of the interpolation (the right derivative where
    ``q (n - 1)`` is an integer, the left one at ``q = 1``). ``γ`` is formed from ``q``
    and the slope from ``a`` inside the rules, so the mixed second derivative is right.
    """

    def fwd(x, q, *, axis=None, keepdims=False):
        raw = primal_array(x)
        axes = normalize_axes(name, axis, raw.ndim)
        out = (
            numpy_function(x, q, axis=axes, keepdims=keepdims)
            if takes_level
            else numpy_function(x, axis=axes, keepdims=keepdims)
        )
        dtype = np.result_type(primal(out))
        levels = q if type(q) is Traced else np.asarray(q, dtype=dtype)
        w_lo, w_hi, lo, span = _order_weights(raw, axes, primal_array(levels), ignore_nan, dtype)
        values = np.where(np.isnan(raw), 0.0, x) if ignore_nan and np.isnan(raw).any() else x
        return out, (values, levels, w_lo, w_hi, lo, span, axes, np.shape(out))

    def impl(x, q, *, axis=None, keepdims=False):
        if takes_level:
            return numpy_function(x, q, axis=axis, keepdims=keepdims)
        return numpy_function(x, axis=axis, keepdims=keepdims)

    return defprim(name, fwd, (_order_vjp_a, _order_vjp_q), (_order_jvp_a, _order_jvp_q), impl=impl, check=fwd)


def _mixed(levels, w_lo, w_hi, lo, span):
    q = np.reshape(levels, np.shape(levels) + (1,) * (np.ndim(w_lo) - np.ndim(levels)))
    return w_lo + (q * span - lo) * (w_hi - w_lo)


def _slope(values, levels, w_lo, w_hi, span, axes):
    lead = np.ndim(levels)
    return span * np.sum(values * (w_hi - w_lo), axis=tuple(lead + a for a in axes), keepdims=True)


def _order_vjp_a(g, values, levels, w_lo, w_hi, lo, span, axes, out_shape):
    lead = np.shape(levels)
    g = np.reshape(g, lead + _kept_shape(np.shape(values), axes))
    return np.sum(g * _mixed(levels, w_lo, w_hi, lo, span), axis=tuple(range(len(lead))))


def _order_jvp_a(t, values, levels, w_lo, w_hi, lo, span, axes, out_shape):
    lead = np.ndim(levels)
    tangent = np.sum(t * _mixed(levels, w_lo, w_hi, lo, span), axis=tuple(lead + a for a in axes), keepdims=True)
    return np.reshape(tangent, out_shape)


def _order_vjp_q(g, values, levels, w_lo, w_hi, lo, span, axes, out_shape):
    lead = np.shape(levels)
    ndim = np.ndim(values)
    g = np.reshape(g, lead + _kept_shape(np.shape(values), axes))
    slope = _slope(values, levels, w_lo, w_hi, span, axes)
    return np.sum(g * slope, axis=tuple(range(len(lead), len(lead) + ndim)))


def _order_jvp_q(t, values, levels, w_lo, w_hi, lo, span, axes, out_shape):
    slope = _slope(values, levels, w_lo, w_hi, span, axes)
    return np.reshape(np.reshape(t, np.shape(t) + (1,) * np.ndim(values)) * slope, out_shape)


def _order_arguments(name: str, out: Any, method: str, weights: Any, interpolation: Any) -> None:
    no_extras(name, out=out, weights=weights, interpolation=interpolation)
    if method != "linear":
        raise TypeError(
            f"numpy.{name}: method={method!r} is not supported on traced values; autotape differentiates "
            "the default method='linear'"
        )


def _levels(q: Any) -> Any:
    """``q`` as an operand: traced values and Python numbers as they are, sequences as arrays."""
    return np.asarray(q) if isinstance(q, (list, tuple)) else q


_median = _order_statistic("median", np.median, ignore_nan=False, takes_level=False)
_nanmedian = _order_statistic("nanmedian", np.nanmedian, ignore_nan=True, takes_level=False)
_quantile = _order_statistic("quantile", np.quantile, ignore_nan=False, takes_level=True)
_nanquantile = _order_statistic("nanquantile", np.nanquantile, ignore_nan=True, takes_level=True)


@op(
    np.median,
    spec=Spec(lambda k: k.reduction(distinct_elements=True), "distinct elements (no ties); axis, keepdims"),
    primitives=(_median,),
)
def median(
    a: ArrayIn, axis: Axis = None, out: Any = None, overwrite_input: bool = False, keepdims: bool = False
) -> Reduced:
    """Median over ``axis`` (``numpy.median``): the middle element of each sorted slice, or
    the mean of the two middle ones for an even count; arguments and errors as :func:`sum`
    (``overwrite_input`` has no effect: traced values are never modified).

    VJP: the cotangent goes to the middle element, or half of it to each of the two
    middle ones; tied elements share a position equally (as :func:`max`'s ties), so with
    ``[1, 2, 2, 2, 5]`` each 2 gets a third. A slice holding a NaN has a NaN median and
    NaN gradient. The JVP is the same weighting of the tangent.
    """
    no_extras("median", out=out)
    return _median.bind(a, 0.5, axis=axis, keepdims=bool(keepdims))


@op(
    np.nanmedian,
    spec=Spec(
        lambda k: k.nan_reduction(distinct_elements=True),
        "NaN elements (no slice all NaN), the rest distinct; axis, keepdims",
    ),
    primitives=(_nanmedian,),
)
def nanmedian(
    a: ArrayIn, axis: Axis = None, out: Any = None, overwrite_input: bool = False, keepdims: bool = False
) -> Reduced:
    """Median over ``axis`` ignoring NaNs (``numpy.nanmedian``); as :func:`median` over the
    numbers of each slice. NaN elements get a zero gradient; a slice of NaNs only has a NaN
    median (NumPy's warning) and a zero gradient.
    """
    no_extras("nanmedian", out=out)
    return _nanmedian.bind(a, 0.5, axis=axis, keepdims=bool(keepdims))


_LevelIn = Union[Shaped[Array, "*levels"], Scalar, Nested]


@op(
    np.quantile,
    spec=Spec(
        lambda k: k.quantile(),
        "distinct elements; q a float, an array, or (differentiated) levels off the interpolation nodes",
    ),
    primitives=(_quantile,),
)
def quantile(
    a: ArrayIn,
    q: _LevelIn,
    axis: Axis = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
    interpolation: Any = None,
) -> Shaped[Array, ...]:
    """Quantiles at levels ``q`` over ``axis`` (``numpy.quantile``, linear interpolation).

    Args:
        a: array of any shape.
        q: a level in [0, 1] or an array of them; its axes lead the result's.
        axis, keepdims: as :func:`sum`. ``overwrite_input`` has no effect.
        method: only ``"linear"`` (NumPy's default) on traced values.
    Returns:
        ``q.shape`` + the reduced shape.
    Raises:
        ValueError: ``q`` outside [0, 1] (NumPy's error), an axis out of range.
        TypeError: another ``method``, ``weights``, ``interpolation`` or ``out`` on traced values.

    With ``s`` the sorted slice of ``n`` elements, the quantile is
    ``(1 - γ) s[lo] + γ s[lo + 1]``, ``lo + γ = q (n - 1)``. VJP in ``a``: ``1 - γ`` of
    the cotangent to the element ``s[lo]``, ``γ`` to ``s[lo + 1]``, tied elements sharing
    a position equally (as :func:`max`'s ties); in ``q``: the slope
    ``(n - 1) (s[lo + 1] - s[lo])`` (the right derivative at the nodes where ``q (n - 1)``
    is an integer, the left one at ``q = 1``). The JVP rules are the same maps; mixed
    second derivatives in ``a`` and ``q`` are exact. A slice holding a NaN has NaN results
    and gradients.
    """
    _order_arguments("quantile", out, method, weights, interpolation)
    return _quantile.bind(a, _levels(q), axis=axis, keepdims=bool(keepdims))


@op(
    np.nanquantile,
    spec=Spec(
        lambda k: k.quantile(nan=True), "NaN elements (no slice all NaN), the rest distinct; q as quantile's, constant"
    ),
    primitives=(_nanquantile,),
)
def nanquantile(
    a: ArrayIn,
    q: _LevelIn,
    axis: Axis = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
    interpolation: Any = None,
) -> Shaped[Array, ...]:
    """Quantiles ignoring NaNs (``numpy.nanquantile``): :func:`quantile` over the numbers of
    each slice, ``n`` being their count; arguments and errors as :func:`quantile`. NaN
    elements get a zero gradient; a slice of NaNs only has NaN results (NumPy's warning) and
    zero gradients.
    """
    _order_arguments("nanquantile", out, method, weights, interpolation)
    return _nanquantile.bind(a, _levels(q), axis=axis, keepdims=bool(keepdims))


def _fraction(a: Any, q: Any) -> Any:
    """``q / 100`` as ``numpy.percentile`` forms it (in ``a``'s float dtype for a Python ``q``)."""
    dtype = np.result_type(primal(a))
    return np.true_divide(_levels(q), dtype.type(100) if dtype.kind == "f" else 100)


@op(
    np.percentile,
    spec=Spec(lambda k: k.quantile(percent=True), "as quantile, with q in [0, 100]"),
)
def percentile(
    a: ArrayIn,
    q: _LevelIn,
    axis: Axis = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
    interpolation: Any = None,
) -> Shaped[Array, ...]:
    """Percentiles (``numpy.percentile``): :func:`quantile` at ``q / 100``, with its rules
    (differentiable in ``a`` and ``q``) and errors."""
    _order_arguments("percentile", out, method, weights, interpolation)
    return quantile(a, _fraction(a, q), axis=axis, keepdims=keepdims)


@op(
    np.nanpercentile,
    spec=Spec(lambda k: k.quantile(percent=True, nan=True), "as nanquantile, with q in [0, 100]"),
)
def nanpercentile(
    a: ArrayIn,
    q: _LevelIn,
    axis: Axis = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
    interpolation: Any = None,
) -> Shaped[Array, ...]:
    """Percentiles ignoring NaNs (``numpy.nanpercentile``): :func:`nanquantile` at ``q / 100``."""
    _order_arguments("nanpercentile", out, method, weights, interpolation)
    return nanquantile(a, _fraction(a, q), axis=axis, keepdims=keepdims)


# --------------------------------------------------------------------------------------
# NaN-ignoring reductions: NaN elements replaced by a constant, so their gradient is 0
# --------------------------------------------------------------------------------------


def _nan_mask(a: Any) -> Any:
    """The NaN elements of ``a``'s value, or None when it has none (or cannot hold NaN)."""
    raw = primal(a)
    if np.result_type(raw).kind not in "fc":
        return None
    mask = np.isnan(raw)
    return mask if mask.any() else None


def _replace_nan(a: Any, value: float) -> Any:
    """``a`` with NaN elements replaced by the constant ``value`` (``numpy``'s ``_replace_nan``)."""
    mask = _nan_mask(a)
    return a if mask is None else np.where(mask, value, a)


_NAN_REDUCTION = Spec(
    lambda k: k.nan_reduction(), "NaN elements (no slice all NaN); axis None/int/tuple, keepdims", complex=True
)


@op(np.nansum, spec=_NAN_REDUCTION)
def nansum(
    a: ArrayIn,
    axis: Axis = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: bool = False,
    initial: Any = np._NoValue,
    where: Any = np._NoValue,
) -> Reduced:
    """Sum over ``axis`` treating NaNs as 0 (``numpy.nansum``); arguments and errors as
    :func:`sum`. NaN elements are replaced by a constant 0, so their gradient is 0."""
    no_extras("nansum", out=out, initial=initial, where=where)
    return sum(_replace_nan(a, 0.0), axis=axis, dtype=dtype, keepdims=keepdims)


@op(np.nanprod, spec=Spec(lambda k: k.nan_reduction(), "NaN elements (no slice all NaN); axis, keepdims", complex=True))
def nanprod(
    a: ArrayIn,
    axis: Axis = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: bool = False,
    initial: Any = np._NoValue,
    where: Any = np._NoValue,
) -> Reduced:
    """Product over ``axis`` treating NaNs as 1 (``numpy.nanprod``); arguments and errors as
    :func:`sum`. Its derivative is :func:`prod`'s (exact with zeros); NaN elements get 0."""
    no_extras("nanprod", out=out, initial=initial, where=where)
    return prod(_replace_nan(a, 1.0), axis=axis, dtype=dtype, keepdims=keepdims)


def _nan_count(mask: Any, axes: tuple, keepdims: bool, dtype: Any) -> Any:
    """The number of non-NaN elements of each slice, in ``dtype`` (exact below 2**24 in
    float32, so dividing by it rounds as NumPy's division by the integer count does)."""
    return np.sum(~mask, axis=axes, keepdims=keepdims).astype(dtype)


@op(np.nanmean, spec=_NAN_REDUCTION)
def nanmean(
    a: ArrayIn,
    axis: Axis = None,
    dtype: Any = None,
    out: Any = None,
    keepdims: bool = False,
    *,
    where: Any = np._NoValue,
) -> Reduced:
    """Mean over ``axis`` of the non-NaN elements (``numpy.nanmean``); arguments and errors
    as :func:`sum`. A slice of NaNs only gives NaN (NumPy's warning). The derivative is
    ``1/count`` for each number and 0 for the NaNs."""
    no_extras("nanmean", out=out, where=where)
    mask = _nan_mask(a)
    if mask is None:
        return mean(a, axis=axis, dtype=dtype, keepdims=keepdims)
    axes = normalize_axes("nanmean", axis, np.ndim(mask))
    total = sum(np.where(mask, 0.0, a), axis=axes, dtype=dtype, keepdims=keepdims)
    count = _nan_count(mask, axes, keepdims, np.result_type(primal(total)))
    if np.any(count == 0):
        warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=3)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def _nan_extremum(name: str, extremum: Callable, fill: float, a: Any, axis: Any, keepdims: bool) -> Any:
    """``extremum`` over the numbers of each slice (NaNs replaced by the constant ``fill``,
    which never wins); NaN, with NumPy's warning, for a slice of NaNs only."""
    mask = _nan_mask(a)
    if mask is None:
        return extremum(a, axis=axis, keepdims=keepdims)
    axes = normalize_axes(name, axis, np.ndim(mask))
    top = extremum(np.where(mask, fill, a), axis=axes, keepdims=keepdims)
    empty = np.all(mask, axis=axes, keepdims=keepdims)
    if not empty.any():
        return top
    warnings.warn("All-NaN slice encountered", RuntimeWarning, stacklevel=4)
    return np.where(empty, np.nan, top)


_NAN_EXTREMUM = Spec(
    lambda k: k.nan_reduction(distinct_elements=True),
    "NaN elements (no slice all NaN), the rest pairwise >= 1/8 apart (no ties); axis, keepdims",
)


@op(np.nanmax, spec=_NAN_EXTREMUM)
def nanmax(
    a: ArrayIn,
    axis: Axis = None,
    out: Any = None,
    keepdims: bool = False,
    initial: Any = np._NoValue,
    where: Any = np._NoValue,
) -> Reduced:
    """Maximum over ``axis`` of the non-NaN elements (``numpy.nanmax``); arguments and errors
    as :func:`sum`. The derivative is :func:`max`'s over the numbers (ties share); NaN
    elements get 0. A slice of NaNs only gives NaN (NumPy's warning) and zero gradients."""
    no_extras("nanmax", out=out, initial=initial, where=where)
    return _nan_extremum("nanmax", max, -np.inf, a, axis, bool(keepdims))


@op(np.nanmin, spec=_NAN_EXTREMUM)
def nanmin(
    a: ArrayIn,
    axis: Axis = None,
    out: Any = None,
    keepdims: bool = False,
    initial: Any = np._NoValue,
    where: Any = np._NoValue,
) -> Reduced:
    """Minimum over ``axis`` of the non-NaN elements (``numpy.nanmin``); as :func:`nanmax`."""
    no_extras("nanmin", out=out, initial=initial, where=where)
    return _nan_extremum("nanmin", min, np.inf, a, axis, bool(keepdims))


@op(
    np.nanvar,
    spec=Spec(
        lambda k: k.nan_reduction(ddof=True),
        "NaN elements (each slice keeps more numbers than ddof); axis, keepdims, ddof 0 or 1",
        complex=True,
    ),
)
def nanvar(
    a: ArrayIn,
    axis: Axis = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Union[int, float] = 0,
    keepdims: bool = False,
    *,
    where: Any = np._NoValue,
    mean: Any = np._NoValue,
    correction: Any = np._NoValue,
) -> Reduced:
    """Variance over ``axis`` of the non-NaN elements (``numpy.nanvar``); arguments and errors
    as :func:`var`, ``N`` being the count of numbers in each slice. Where ``N - ddof <= 0``
    the result is NaN (NumPy's warning). Written as NumPy computes it; NaN elements are
    constants (gradient 0), the numbers get ``2 (a - mean) / (N - ddof)``.
    """
    no_extras("nanvar", out=out, where=where)
    mask = _nan_mask(a)
    if mask is None:
        return var(a, axis, dtype, None, ddof, keepdims, mean=mean, correction=correction)
    ddof = _ddof("nanvar", ddof, correction)
    axes = normalize_axes("nanvar", axis, np.ndim(mask))
    # As numpy.nanvar: the sums in ``dtype``, the deviations in ``a``'s own dtype.
    filled = np.where(mask, 0.0, a)
    if mean is np._NoValue:
        total = sum(filled, axis=axes, dtype=dtype, keepdims=True)
        mean = total / _nan_count(mask, axes, True, np.result_type(primal(total)))
    deviations = np.where(mask, 0.0, filled - mean)
    if np.result_type(primal(deviations)) != np.result_type(primal(filled)):
        deviations = cast(deviations, np.result_type(primal(filled)))
    squares = sum(_squares(deviations), axis=axes, dtype=dtype, keepdims=bool(keepdims))
    freedom = np.sum(~mask, axis=axes, keepdims=bool(keepdims)) - ddof
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = squares / freedom.astype(np.result_type(primal(squares)))
    bad = freedom <= 0
    if not np.any(bad):
        return variance
    warnings.warn("Degrees of freedom <= 0 for slice.", RuntimeWarning, stacklevel=3)
    return np.where(bad, np.nan, variance)


@op(
    np.nanstd,
    spec=Spec(
        lambda k: k.nan_reduction(distinct_elements=True, ddof=True),
        "NaN elements (each slice keeps more numbers than ddof), the rest distinct; axis, keepdims, ddof 0 or 1",
        complex=True,
    ),
)
def nanstd(
    a: ArrayIn,
    axis: Axis = None,
    dtype: Any = None,
    out: Any = None,
    ddof: Union[int, float] = 0,
    keepdims: bool = False,
    *,
    where: Any = np._NoValue,
    mean: Any = np._NoValue,
    correction: Any = np._NoValue,
) -> Reduced:
    """Standard deviation over ``axis`` of the non-NaN elements (``numpy.nanstd``): the square
    root of :func:`nanvar`, with :func:`std`'s subgradient 0 where a slice's numbers are all
    equal (a single number, for instance); NaN elements get 0."""
    no_extras("nanstd", out=out, where=where)
    return _root(nanvar(a, axis, dtype, None, ddof, keepdims, mean=mean, correction=correction))


@op(
    np.nancumsum,
    spec=Spec(lambda k: k.nan_along_axis(), "NaN elements; axis default (None), None or any int", complex=True),
)
def nancumsum(a: ArrayIn, axis: Optional[int] = None, dtype: Any = None, out: Any = None) -> Shaped[Array, ...]:
    """Cumulative sum treating NaNs as 0 (``numpy.nancumsum``); arguments and errors as
    :func:`cumsum`, whose rules it has; NaN elements get a zero gradient."""
    no_extras("nancumsum", out=out)
    return cumsum(_replace_nan(a, 0.0), axis=axis, dtype=dtype)


@op(
    np.nancumprod,
    spec=Spec(
        lambda k: k.nan_along_axis(k.with_zeros()),
        "NaN elements, a third of the rest exactly 0; axis default (None), None or any int",
        complex=True,
    ),
)
def nancumprod(a: ArrayIn, axis: Optional[int] = None, dtype: Any = None, out: Any = None) -> Shaped[Array, ...]:
    """Cumulative product treating NaNs as 1 (``numpy.nancumprod``); arguments and errors as
    :func:`cumsum`. Its derivative is :func:`cumprod`'s (exact with zeros); NaN elements get 0."""
    no_extras("nancumprod", out=out)
    return cumprod(_replace_nan(a, 1.0), axis=axis, dtype=dtype)


# --------------------------------------------------------------------------------------
# Reductions with no useful derivative: constants
# --------------------------------------------------------------------------------------

constant(np.all, np.any, np.argmax, np.argmin, np.nanargmax, np.nanargmin, np.count_nonzero)

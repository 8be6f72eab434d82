"""The rest of NumPy's namespace: blocks, polynomials, covariance, sets, histograms, helpers
that call a function of the user's, and the functions with no derivative.

Every differentiable op here is a composite: written with NumPy calls that dispatch to
autotape (``np.concatenate``, ``np.convolve``, ``np.dot``, ``np.linspace``...) or with
autotape's own ops, so its VJP, JVP and higher derivatives come from those. Three patterns
recur:

* **NumPy's algorithm, step for step** (``cov``, ``polydiv``, ``polyint``): the same
  arithmetic in the same order, so the values equal NumPy's bit for bit; NumPy's in-place
  updates (``X -= avg``) become new values.
* **NumPy on positions** (``block``): NumPy's own function applied to the flat positions of
  the elements says where each output element comes from; the op is a gather (see
  :mod:`.arrays`).
* **NumPy's values, a formula's derivatives** (``modf``, the set functions, ``histogram``):
  when the value is NumPy's result on the primal values and the derivative is that of a
  simpler expression equal to it (``modf``'s fraction is ``x`` minus a constant), the op
  returns ``value - (f - F)`` where ``F`` is the expression and ``f`` its primal value, so the
  value is NumPy's exactly and the derivatives are ``F``'s (:func:`_exactly`).

The set functions (``union1d``, ``unique_values``...) are differentiable in their values as
:func:`~.arrays.unique` is: each value is the mean of the elements equal to it, which splits
the cotangent equally between repeats. Their indices and counts, the bitwise functions,
``isin`` and the other functions of integer or boolean results are constants. The functions
that write into an array (``put``, ``copyto``...) raise on traced values, saying what to
write instead (:func:`~.registry.refuse`).
"""

from __future__ import annotations

import builtins
import math
import operator
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Optional, Union

import numpy as np

from .._types import Array, Nested, Scalar, Shaped
from ..tracer import Traced, primal, primal_array
from .arrays import _array, _cast, _dtype, _gather, _plain, _positions
from .elementwise import where
from .reductions import normalize_axes
from .registry import Spec, constant, no_extras, only_recorded, op, refuse
from .shape import _index_add, array, astype, broadcast_to, concatenate, ravel, reshape, stack

__all__ = [
    "block",
    "broadcast_arrays",
    "diagflat",
    "matrix_transpose",
    "modf",
    "frexp",
    "polyadd",
    "polysub",
    "polymul",
    "polyder",
    "polyint",
    "polydiv",
    "poly",
    "cov",
    "corrcoef",
    "unique_values",
    "unique_counts",
    "unique_inverse",
    "unique_all",
    "intersect1d",
    "union1d",
    "setdiff1d",
    "setxor1d",
    "real_if_close",
    "apply_along_axis",
    "apply_over_axes",
    "piecewise",
    "histogram_bin_edges",
    "histogram",
    "histogramdd",
    "histogram2d",
]

ArrayIn = Union[Shaped[Array, "..."], Scalar, complex, Nested]
Out = Shaped[Array, "..."]
Index = Union[int, np.integer]  # NumPy's integers too (np.int64(2) from an array)


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _exactly(value: Any, formula: Any) -> Any:
    """``value`` (NumPy's result on the primal values) with the derivatives of ``formula``, an
    expression of the traced operands equal to ``value`` up to rounding.

    ``value - (f - formula)``, ``f`` the primal value of ``formula``: ``f - formula`` is exactly
    zero wherever ``f`` is finite, so the result is ``value`` bit for bit (the sign of a zero
    too); where ``f`` is not finite the result is ``value`` with zero derivative.
    """
    if type(formula) is not Traced:
        return value
    value = value if type(value) is Traced else np.asarray(value)  # traced: an at.jit recording's
    formula = _cast(formula, value.dtype)
    raw = primal_array(formula)
    finite = np.isfinite(raw)
    if finite.all():
        return value - (raw - formula)
    return value - (np.where(finite, raw, 0) - where(finite, formula, 0))


def _joined_floats(parts: Any) -> Any:
    """Several arrays as one 1-D array, in the dtype of the floating ones (the integer ones, indices
    and counts, are cast to it), for the tests of ops returning several arrays: float32 stays float32."""
    if not isinstance(parts, (tuple, list)):
        return parts
    kinds = [_dtype(p) for p in parts if _dtype(p).kind in "fc"]
    dtype = np.result_type(*kinds) if kinds else np.dtype(np.float64)
    return concatenate([ravel(_cast(_array(p), dtype)) for p in parts])


def _floats_call(function: Callable, args: tuple, params: dict) -> Any:
    return _joined_floats(function(*args, **params))


def _holds_traced(value: Any) -> bool:
    """A traced value, or a (nested) list or tuple holding one."""
    if type(value) is Traced:
        return True
    return type(value) in (list, tuple) and any(_holds_traced(v) for v in value)


def _shape(a: Any) -> tuple:
    return np.shape(primal(a))


def _ndim(a: Any) -> int:
    return np.ndim(primal(a))


# --------------------------------------------------------------------------------------
# Arrays from blocks, broadcasting, diagonals, transposes
# --------------------------------------------------------------------------------------


def _block_positions(arrays: Any, leaves: list, offset: list) -> Any:
    """``arrays`` (nested lists) with each leaf replaced by the flat positions of its elements in
    the concatenation of all leaves; the leaves are collected in ``leaves``. Tuples are kept as
    tuples, so NumPy raises its own error for them."""
    if type(arrays) in (list, tuple):
        return type(arrays)(_block_positions(a, leaves, offset) for a in arrays)
    leaf = _array(arrays)
    leaves.append(leaf)
    positions = offset[0] + _positions(_shape(leaf))
    offset[0] += math.prod(_shape(leaf))
    return positions


def _nested(layout: Any, operands: tuple) -> Any:
    """``layout`` (nested lists of operand numbers) with each number replaced by that operand."""
    if isinstance(layout, list):
        return [_nested(item, operands) for item in layout]
    return operands[layout]


def _block_call(function: Callable, args: tuple, params: dict) -> Any:
    """``block`` of the operands arranged as ``params["layout"]`` says (nested lists of indices)."""
    return function(_nested(params["layout"], args))


@op(
    np.block,
    spec=Spec(
        lambda k: k.block(),
        "1-3 levels of nested lists of blocks that fit (0-d and lower-dimensional blocks promoted)",
        complex=True,
        sequence=True,  # nested lists of arrays, not one array_like
        call=_block_call,
    ),
)
def block(arrays: Any) -> Out:
    """An array assembled from nested lists of blocks (``numpy.block``): the innermost lists are
    joined along the last axis, the lists of those along the second-to-last, and so on; blocks
    with fewer dimensions than the result get leading axes of length 1 first.

    Raises as ``numpy.block`` (lists of mismatched depths, shapes that do not fit, tuples,
    empty lists). Linear: ``numpy.block`` applied to the positions of the elements gives where
    each output element comes from, and the op gathers the blocks' elements (joined and cast to
    the common dtype) from there, so each block gets the cotangent of its place.
    """
    leaves: list = []
    positions = _block_positions(arrays, leaves, [0])
    where_from = np.block(positions)
    dtype = np.result_type(*[_dtype(leaf) for leaf in leaves])
    joined = concatenate([ravel(_cast(leaf, dtype)) for leaf in leaves])
    return _gather(joined, where_from)


@op(
    np.broadcast_arrays,
    spec=Spec(lambda k: k.broadcast_arrays(), "1-3 mutually broadcastable arrays", complex=True),
)
def broadcast_arrays(*args: ArrayIn, subok: bool = False) -> tuple:
    """The arrays broadcast against each other (``numpy.broadcast_arrays``): a tuple of arrays of
    the broadcast shape.

    Raises ValueError (NumPy's) when the shapes do not broadcast. Each is a
    :func:`~.shape.broadcast_to`, whose VJP sums the cotangent over the broadcast axes.
    """
    shape = np.broadcast_shapes(*[_shape(a) for a in args])
    return tuple(broadcast_to(a, shape) for a in args)


@op(np.diagflat, spec=Spec(lambda k: k.diagflat(), "any shape (flattened), offsets k from -2 to 2", complex=True))
def diagflat(v: ArrayIn, k: Index = 0) -> Out:
    """The square matrix with the flattened ``v`` on its ``k``-th diagonal and zeros elsewhere
    (``numpy.diagflat``): of side ``v.size + |k|``.

    Linear: :func:`~.linalg.diag` of the flattened ``v``; the VJP reads the diagonal back.
    """
    return np.diag(np.ravel(v), operator.index(k))


@op(np.matrix_transpose, spec=Spec(lambda k: k.matrices(), "stacks of matrices (2-4 dimensions)", complex=True))
def matrix_transpose(x: ArrayIn, /) -> Out:
    """The last two axes swapped (``numpy.matrix_transpose``; the array API's ``mT``).

    Raises ValueError for fewer than 2 dimensions. Linear: a :func:`~.shape.swapaxes`.
    """
    x = _array(x)
    if _ndim(x) < 2:
        raise ValueError(
            f"matrix_transpose: the input must have at least 2 dimensions (a stack of matrices), got shape {_shape(x)}"
        )
    return np.swapaxes(x, -1, -2)


# --------------------------------------------------------------------------------------
# Fraction and exponent
# --------------------------------------------------------------------------------------


@op(np.modf, spec=Spec(lambda k: k.modf(), "values at least 0.05 from the integers"))
def modf(x: ArrayIn, out: Any = None) -> tuple:
    """The fractional and integral parts of ``x`` (``numpy.modf``), both with ``x``'s sign.

    The integral part is a constant (piecewise constant: derivative 0); the fractional part
    is ``x`` minus it, derivative 1 (NumPy's values exactly, see :func:`_exactly`; derivative 0
    at infinities and NaN).
    """
    no_extras("modf", out=out)
    fraction, integral = np.modf(primal(x))
    return _exactly(fraction, _array(x)), integral


@op(
    np.frexp,
    spec=Spec(lambda k: k.frexp(), "log2 of the values at least 0.1 from the integers", call=_floats_call),
)
def frexp(x: ArrayIn, out: Any = None) -> tuple:
    """The mantissa ``m`` (``0.5 <= |m| < 1``, or 0) and the integer exponent ``e`` with
    ``x = m * 2**e`` (``numpy.frexp``).

    The exponent is a constant (piecewise constant); the mantissa is ``ldexp(x, -e)``
    (exact), derivative ``2**-e``.
    """
    no_extras("frexp", out=out)
    _, exponent = np.frexp(primal(x))
    return np.ldexp(x, -exponent), exponent


# --------------------------------------------------------------------------------------
# Polynomials (coefficient arrays, highest power first)
# --------------------------------------------------------------------------------------


def _aligned(a1: Any, a2: Any) -> tuple:
    """The two coefficient arrays, the shorter padded with leading zeros of its dtype (as NumPy)."""
    a1, a2 = np.atleast_1d(a1), np.atleast_1d(a2)
    diff = len(a2) - len(a1)
    if diff > 0:
        a1 = np.concatenate((np.zeros(diff, _dtype(a1)), a1))
    elif diff < 0:
        a2 = np.concatenate((np.zeros(-diff, _dtype(a2)), a2))
    return a1, a2


_POLY_PAIR = Spec(lambda k: k.polynomials(), "two 1-D coefficient arrays of 1-4 values", complex=True)


@op(np.polyadd, spec=_POLY_PAIR)
def polyadd(a1: ArrayIn, a2: ArrayIn) -> Out:
    """The sum of two polynomials (``numpy.polyadd``): coefficients added, the shorter array
    aligned at the constant term. A ``poly1d`` operand is read as its coefficients.

    Linear in both (a padding and an addition).
    """
    b1, b2 = _aligned(a1, a2)
    return b1 + b2


@op(np.polysub, spec=_POLY_PAIR)
def polysub(a1: ArrayIn, a2: ArrayIn) -> Out:
    """The difference of two polynomials (``numpy.polysub``), as :func:`polyadd`.

    Linear in both (a padding and a subtraction).
    """
    b1, b2 = _aligned(a1, a2)
    return b1 - b2


def _poly1d_coefficients(a: Any) -> Any:
    """What ``numpy.poly1d(a)`` keeps: a 1-D array without leading zeros (``[0]`` if all are)."""
    a = np.atleast_1d(a)
    if _ndim(a) != 1:
        raise ValueError(f"polymul: a polynomial must be 1-D, got shape {_shape(a)}")
    nonzero = np.flatnonzero(primal(a))
    if not len(nonzero):
        return np.zeros(1, _dtype(a))
    return a[int(nonzero[0]) :]


@op(np.polymul, spec=_POLY_PAIR)
def polymul(a1: ArrayIn, a2: ArrayIn) -> Out:
    """The product of two polynomials (``numpy.polymul``): the convolution of their coefficients,
    after dropping leading zero coefficients as ``numpy.poly1d`` does.

    Bilinear: its derivatives are those of :func:`~.linalg.convolve`.
    """
    return np.convolve(_poly1d_coefficients(a1), _poly1d_coefficients(a2))


def _order(name: str, m: Any, inverse: str) -> int:
    m = int(m)
    if m < 0:
        raise ValueError(f"{name}: the order m must be non-negative, got {m} (for the other direction use {inverse})")
    return m


@op(
    np.polyder,
    spec=Spec(lambda k: k.polyder(), "1-5 coefficients, order m 0-3", float32=False, complex=True),
)
def polyder(p: ArrayIn, m: Index = 1) -> Out:
    """The ``m``-th derivative of the polynomial ``p`` (``numpy.polyder``): each step multiplies
    the coefficients by their powers and drops the constant term.

    Returns float64 for float32 coefficients (NumPy multiplies by an int64 ``arange``). Raises
    ValueError for ``m < 0``. Linear in ``p``.
    """
    m = _order("polyder", m, "polyint")
    out: Any = _array(p)
    for _ in range(m):
        out = out[:-1] * np.arange(len(out) - 1, 0, -1)
    return out


def _polyint_call(function: Callable, args: tuple, params: dict) -> Any:
    """``polyint(p, m, k)``, with the integration constants ``k`` a second operand when there is one."""
    if len(args) == 2:
        return function(args[0], k=args[1], **params)
    return function(*args, **params)


@op(
    np.polyint,
    spec=Spec(
        lambda k: k.polyint(),
        "1-4 coefficients, order m 0-3, constants k None, a scalar or m values",
        float32=False,
        complex=True,
        call=_polyint_call,
    ),
)
def polyint(p: ArrayIn, m: Index = 1, k: Any = None) -> Out:
    """The ``m``-th antiderivative of the polynomial ``p`` (``numpy.polyint``): each step divides
    the coefficients by their new powers and appends an integration constant, ``k[i]`` at step
    ``i`` (``k`` None: zeros; a scalar: used at every step).

    Returns float64 for float32 coefficients (as NumPy). Raises ValueError for ``m < 0`` or fewer
    than ``m`` constants. Linear in ``p`` and in ``k``: both are differentiable.
    """
    m = _order("polyint", m, "polyder")
    if k is None:
        k = np.zeros(m, float)
    k = np.atleast_1d(k)
    if len(k) == 1 and m > 1:
        k = k[0] * np.ones(m, float)
    if len(k) < m:
        raise ValueError(f"polyint: k must be a scalar or hold at least m = {m} constants, got {len(k)}")
    out: Any = _array(p)
    for i in range(m):
        out = np.concatenate((out / np.arange(len(out), 0, -1), k[i : i + 1]))
    return out


@op(
    np.polydiv,
    spec=Spec(
        lambda k: k.polydiv(),
        "1-4 coefficients each, leading divisor coefficient in [1, 2]",
        complex=True,
        float32=False,  # NumPy drops remainder coefficients below 1e-8, under float32's rounding
    ),
)
def polydiv(u: ArrayIn, v: ArrayIn) -> tuple:
    """The quotient and remainder of the polynomial division ``u / v`` (``numpy.polydiv``).

    NumPy's long division step for step (the values are NumPy's bit for bit): the quotient's
    coefficients are built one by one and the remainder updated; leading remainder
    coefficients within ``1e-8`` of zero (``allclose``'s tolerance, read on the primal values)
    are dropped. Rational in
    ``u`` and ``v``: both are differentiable.

    With float32 coefficients the rounding leftovers (about 1e-7) exceed NumPy's threshold, so
    the remainder keeps leading near-zeros that float64 drops (NumPy's behaviour).
    """
    u = np.atleast_1d(u) + 0.0
    v = np.atleast_1d(v) + 0.0
    w = u[0] + v[0]
    dtype = _dtype(w)
    m, n = len(u) - 1, len(v) - 1
    scale = 1.0 / v[0]
    r = _cast(u, dtype)
    quotient = []
    for k in range(m - n + 1):
        d = scale * r[k]
        quotient.append(_cast(d, dtype))
        r = concatenate([r[:k], r[k : k + n + 1] - d * v, r[k + n + 1 :]])
    q = stack(quotient) if quotient else np.zeros(1, dtype)
    while np.allclose(primal(r)[0], 0, rtol=1e-14) and _shape(r)[-1] > 1:
        r = r[1:]
    return q, r


def _poly_roots_complex(k: Any) -> Any:
    """Roots with positive imaginary parts: never closed under conjugation (which would make
    ``poly`` take the real part, a different function)."""
    return k.poly_roots(positive=True)


@op(
    np.poly,
    spec=Spec(
        lambda k: k.poly_roots(),
        "1-4 roots in [-2, 2] (complex: with positive imaginary parts)",
        complex=True,
        complex_cases=_poly_roots_complex,
    ),
)
def poly(seq_of_zeros: ArrayIn) -> Any:
    """The coefficients of the monic polynomial with the given roots (``numpy.poly``): the product
    of ``(x - r)`` over the roots, by repeated convolution; for a square matrix, of its
    eigenvalues (``numpy.linalg.eigvals``, which must then have a rule).

    Complex roots closed under conjugation give the real coefficients (the real part, as NumPy).
    Returns ``1.0`` for no roots. Raises ValueError for other shapes. Differentiable in the roots
    through :func:`~.linalg.convolve`.
    """
    roots = np.atleast_1d(seq_of_zeros)
    shape = _shape(roots)
    if len(shape) == 2 and shape[0] == shape[1] and shape[0] != 0:
        roots = np.linalg.eigvals(roots)
    elif len(shape) == 1:
        roots = _cast(roots, np.dtype(np.mintypecode(_dtype(roots).char)))
    else:
        raise ValueError(f"poly: the input must be 1-D (roots) or a non-empty square matrix, got shape {shape}")
    if len(roots) == 0:
        return 1.0
    dtype = _dtype(roots)
    a: Any = np.ones((1,), dtype=dtype)
    for zero in roots:
        a = np.convolve(a, concatenate([np.ones(1, dtype), reshape(-zero, (1,))]), mode="full")
    if dtype.kind == "c":
        values = np.asarray(primal(roots), complex)
        if np.all(np.sort(values) == np.sort(values.conjugate())):
            a = np.real(a)
    return a


# --------------------------------------------------------------------------------------
# Covariance and correlation
# --------------------------------------------------------------------------------------


def _rows(a: Any, dtype: np.dtype) -> Any:
    """``numpy.array(a, ndmin=2, dtype=dtype)`` for a traced or plain ``a``."""
    a = _cast(_array(a), dtype)
    shape = _shape(a)
    return a if len(shape) >= 2 else reshape(a, (1,) * (2 - len(shape)) + shape)


def _sample_weights(name: str, weights: Any, samples: int, integer: bool) -> Any:
    """``fweights`` or ``aweights`` as float64, checked as NumPy checks them: traced
    ``aweights`` stay traced (differentiated); ``fweights`` count samples, so a traced one
    that a transform differentiates raises TypeError rather than getting a zero gradient."""
    if integer and _holds_traced(weights) and not only_recorded((weights,), {}):
        raise TypeError(
            "cov: fweights are integer frequencies and are not differentiated; pass them as constants "
            "(at.stop_gradient(fweights)), or use aweights, which are"
        )
    w = np.asarray(_plain(weights), dtype=float)
    if integer and not np.all(w == np.around(w)):
        raise TypeError(f"cov: {name} must be integers")
    if w.ndim > 1:
        raise RuntimeError(f"cov: cannot handle multidimensional {name} (shape {w.shape}); give one per sample")
    if w.shape[0] != samples:
        raise RuntimeError(f"cov: {len(w)} {name} for {samples} samples; give one per sample")
    if np.any(w < 0):
        raise ValueError(f"cov: {name} cannot be negative")
    if not integer and _holds_traced(weights):
        return _cast(_array(weights), np.dtype(np.float64))
    return w


@op(
    np.cov,
    spec=Spec(
        lambda k: k.cov(), "1-3 variables of 2-4 samples; y, rowvar, bias, ddof, weights", complex=True, float32=False
    ),
)
def cov(
    m: ArrayIn,
    y: Optional[ArrayIn] = None,
    rowvar: bool = True,
    bias: bool = False,
    ddof: Optional[int] = None,
    fweights: Any = None,
    aweights: Any = None,
    *,
    dtype: Any = None,
) -> Out:
    """The covariance matrix of the variables in the rows of ``m`` (columns if not ``rowvar``),
    and of ``y``'s too (``numpy.cov``): ``X_c X_c^H / (N - ddof)`` for the centred data ``X_c``,
    weighted by ``fweights * aweights`` when given.

    Args:
        m, y: 1-D or 2-D arrays (variables by samples), real or complex.
        rowvar, bias, ddof: as NumPy (``ddof`` None: 1, or 0 with ``bias``).
        fweights, aweights: integer frequencies (constants: TypeError if differentiated) and
            real weights per sample (differentiated, through NumPy's formula).
        dtype: the computation's dtype (default float64 at least: float32 data gives float64).
    Returns:
        The matrix, squeezed (a 0-d array for one variable).
    Raises:
        ValueError: more than 2 dimensions, a non-integer ``ddof``, negative weights.
        RuntimeError, TypeError: weights of the wrong shape or kind (as NumPy).

    NumPy's computation step for step (the values are NumPy's bit for bit): a weighted mean,
    the centred data and a :func:`~.linalg.dot`; differentiable in ``m``, ``y`` and ``aweights``.
    """
    if ddof is not None and ddof != int(ddof):
        raise ValueError(f"cov: ddof must be an integer, got {ddof!r}")
    m = _array(m)
    if _ndim(m) > 2:
        raise ValueError(f"cov: m has more than 2 dimensions (shape {_shape(m)})")
    if y is not None:
        y = _array(y)
        if _ndim(y) > 2:
            raise ValueError(f"cov: y has more than 2 dimensions (shape {_shape(y)})")
    if dtype is None:
        dtype = np.result_type(*[_dtype(a) for a in (m, y) if a is not None], np.float64)
    dtype = np.dtype(dtype)
    X = _rows(m, dtype)
    if not rowvar and _ndim(m) != 1:
        X = np.transpose(X)
    if _shape(X)[0] == 0:
        return np.array([]).reshape(0, 0)
    if y is not None:
        Y = _rows(y, dtype)
        if not rowvar and _shape(Y)[0] != 1:
            Y = np.transpose(Y)
        X = np.concatenate((X, Y), axis=0)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    samples = _shape(X)[1]
    w = None
    if fweights is not None:
        w = _sample_weights("fweights", fweights, samples, integer=True)
    a_w = None
    if aweights is not None:
        a_w = _sample_weights("aweights", aweights, samples, integer=False)
        w = a_w if w is None else w * a_w
    avg, w_sum = np.average(X, axis=1, weights=w, returned=True)
    w_sum = w_sum[0] if type(a_w) is Traced else primal(w_sum)[0]  # a function of the weights only
    if w is None:
        fact = samples - ddof
    elif ddof == 0:
        fact = w_sum
    elif a_w is None:
        fact = w_sum - ddof
    else:
        fact = w_sum - ddof * np.sum(w * a_w) / w_sum
    if fact <= 0:
        warnings.warn("cov: degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=3)
        fact = 0.0
    X = X - avg[:, None]
    X_T = np.transpose(X) if w is None else np.transpose(X * w)
    c = np.dot(X, np.conj(X_T))
    c = _cast(c * np.true_divide(1, fact), _dtype(c))  # NumPy's c *= 1 / fact, in c's dtype
    return np.squeeze(c)


@op(
    np.corrcoef,
    spec=Spec(
        lambda k: k.corrcoef(),
        "1-3 variables of 3-5 samples, correlations within 0.95 of ±1 excluded; y, rowvar",
        complex=True,
        float32=False,
    ),
)
def corrcoef(x: ArrayIn, y: Optional[ArrayIn] = None, rowvar: bool = True, *, dtype: Any = None) -> Out:
    """The Pearson correlation coefficients of the variables in the rows of ``x`` (and ``y``)
    (``numpy.corrcoef``): :func:`cov` divided by the standard deviations of both variables,
    clipped to ``[-1, 1]`` (real and imaginary parts apart) against rounding.

    Returns 1.0 (``c / c``) for a single variable. Differentiable in ``x`` and ``y`` through
    :func:`cov`, a square root and divisions (NumPy's computation step for step). The clip acts
    only on rounding past ±1 (a diagonal entry, or two perfectly correlated variables), where the
    true derivative is 0: the real case then gives clip's 0, the complex case the unclipped
    derivative (zero up to rounding).
    """
    c = cov(x, y, rowvar, dtype=dtype)
    if _ndim(c) == 0:  # one variable (NumPy: diag raises, and it returns c / c)
        return c / c
    stddev = np.sqrt(np.real(np.diag(c)))
    c = c / stddev[:, None]
    c = c / stddev[None, :]
    if _dtype(c).kind != "c":
        return np.clip(c, -1, 1)
    clipped = np.array(primal(c))
    np.clip(clipped.real, -1, 1, out=clipped.real)
    np.clip(clipped.imag, -1, 1, out=clipped.imag)
    return _exactly(clipped, c)


# --------------------------------------------------------------------------------------
# Unique values and sets: differentiable in the values, like unique
# --------------------------------------------------------------------------------------


def _as_array(a: Any) -> Any:
    """A traced value as it is; a (nested) list, with traced values or not, as one array."""
    return array(a) if type(a) in (list, tuple) else _array(a)


def _values_of(flat: Any, picked: Any) -> Any:
    """``picked`` (NumPy's result: values of elements of the 1-D ``flat``, in NumPy's order) with
    the derivative of the mean of the elements equal to each value.

    The elements equal to a value are equal, so their mean is the value; its derivative splits
    the cotangent equally between repeats, as :func:`~.arrays.unique` does (a subgradient: the
    values are not differentiable where two elements meet).
    """
    if type(flat) is not Traced:
        return picked
    flat = _cast(flat, picked.dtype)
    raw = primal(flat)
    groups, inverse, counts = np.unique(raw, return_inverse=True, return_counts=True)
    sums = _index_add.bind(flat, index=np.ravel(inverse), shape=(len(groups),))
    means = sums / counts.astype(raw.dtype)  # in the elements' dtype: float32 stays float32
    return _exactly(picked, means[np.searchsorted(groups, picked)])


def _unique_result(numpy_function: Callable, x: Any) -> Any:
    """NumPy's result on the primal values, its ``values`` differentiable (see :func:`_values_of`)."""
    x = _as_array(x)
    result = numpy_function(primal(x))
    flat = ravel(x)
    if isinstance(result, tuple):
        return result._replace(values=_values_of(flat, result.values))  # type: ignore[attr-defined]
    return _values_of(flat, result)


def _repeats_call(function: Callable, args: tuple, params: dict) -> Any:
    """The op of the operand's elements followed by copies of some of them (``params["repeat"]``,
    flat indices), reshaped to ``params["shape"]``: repeats that finite differences keep equal.
    ``unique_values``' result is sorted (NumPy leaves complex values in hash order)."""
    flat = np.ravel(args[0])
    joined = np.concatenate([flat, flat[np.asarray(params["repeat"], dtype=np.intp)]])
    out = function(np.reshape(joined, params["shape"]))
    # unique_values gives complex (and integer) values in hash order, which a perturbation may change
    return _joined_floats(out) if isinstance(out, tuple) else np.sort(out)


_UNIQUE = Spec(
    lambda k: k.repeats(),
    "distinct values and copies of some of them (repeats), any shape",
    complex=True,
    call=_repeats_call,
)


@op(np.unique_values, spec=_UNIQUE)
def unique_values(x: ArrayIn) -> Out:
    """The unique elements of ``x`` (``numpy.unique_values``, the array API's form of ``unique``),
    differentiable as :func:`~.arrays.unique`'s: each value is the mean of the elements equal to
    it, so repeats share its cotangent equally."""
    return _unique_result(np.unique_values, x)


@op(np.unique_counts, spec=_UNIQUE)
def unique_counts(x: ArrayIn) -> Any:
    """``(values, counts)`` of the unique elements of ``x`` (``numpy.unique_counts``, a named
    tuple): the values differentiable as :func:`unique_values`, the counts constants."""
    return _unique_result(np.unique_counts, x)


@op(np.unique_inverse, spec=_UNIQUE)
def unique_inverse(x: ArrayIn) -> Any:
    """``(values, inverse_indices)`` (``numpy.unique_inverse``, a named tuple): the values
    differentiable as :func:`unique_values`; the indices (of ``x``'s shape, ``values[inverse]``
    rebuilds ``x``) constants."""
    return _unique_result(np.unique_inverse, x)


@op(np.unique_all, spec=_UNIQUE)
def unique_all(x: ArrayIn) -> Any:
    """``(values, indices, inverse_indices, counts)`` (``numpy.unique_all``, a named tuple): the
    values differentiable as :func:`unique_values`, the rest constants."""
    return _unique_result(np.unique_all, x)


def _sets_call(function: Callable, args: tuple, params: dict) -> Any:
    """The set op of ``a`` and of ``b`` followed by copies of some elements of ``a`` (``params["shared"]``):
    values common to both that finite differences keep equal."""
    a, b = args
    rest = {key: value for key, value in params.items() if key != "shared"}
    shared = np.ravel(a)[np.asarray(params["shared"], dtype=np.intp)]
    return _joined_floats(function(a, np.concatenate([np.ravel(b), shared]), **rest))


def _set_spec(*flags: str) -> Spec:
    return Spec(
        lambda k: k.sets(flags),
        "two arrays of distinct values sharing 0-3 of them" + "".join(f"; {flag}" for flag in flags),
        complex=True,
        call=_sets_call,
    )


def _set_operands(ar1: Any, ar2: Any) -> tuple:
    return _as_array(ar1), _as_array(ar2)


@op(np.intersect1d, spec=_set_spec("assume_unique", "return_indices"))
def intersect1d(ar1: ArrayIn, ar2: ArrayIn, assume_unique: bool = False, return_indices: bool = False) -> Any:
    """The sorted values found in both arrays (``numpy.intersect1d``), with ``return_indices``
    also the indices of their first occurrences in each (constants).

    Each value is differentiable as the mean of the elements of both arrays equal to it (see
    :func:`unique_values`).
    """
    a1, a2 = _set_operands(ar1, ar2)
    result: Any = np.intersect1d(primal(a1), primal(a2), assume_unique, return_indices)  # type: ignore[call-overload]
    values = result[0] if return_indices else result
    out = _values_of(concatenate([ravel(_cast(a1, values.dtype)), ravel(_cast(a2, values.dtype))]), values)
    return (out, *result[1:]) if return_indices else out


@op(np.union1d, spec=_set_spec())
def union1d(ar1: ArrayIn, ar2: ArrayIn) -> Out:
    """The sorted values found in either array (``numpy.union1d``), each differentiable as the mean
    of the elements equal to it (see :func:`unique_values`)."""
    a1, a2 = _set_operands(ar1, ar2)
    values = np.union1d(primal(a1), primal(a2))
    return _values_of(concatenate([ravel(_cast(a1, values.dtype)), ravel(_cast(a2, values.dtype))]), values)


@op(np.setxor1d, spec=_set_spec("assume_unique"))
def setxor1d(ar1: ArrayIn, ar2: ArrayIn, assume_unique: bool = False) -> Out:
    """The sorted values found in exactly one of the arrays (``numpy.setxor1d``), each
    differentiable as the mean of the elements equal to it (see :func:`unique_values`)."""
    a1, a2 = _set_operands(ar1, ar2)
    values = np.setxor1d(primal(a1), primal(a2), assume_unique)
    return _values_of(concatenate([ravel(_cast(a1, values.dtype)), ravel(_cast(a2, values.dtype))]), values)


@op(np.setdiff1d, spec=_set_spec("assume_unique"))
def setdiff1d(ar1: ArrayIn, ar2: ArrayIn, assume_unique: bool = False) -> Out:
    """The values of ``ar1`` not in ``ar2`` (``numpy.setdiff1d``; sorted unless ``assume_unique``),
    each differentiable as the mean of the elements of ``ar1`` equal to it; ``ar2`` only
    decides which values are kept (a constant)."""
    a1, a2 = _set_operands(ar1, ar2)
    values = np.setdiff1d(primal(a1), primal(a2), assume_unique)
    return _values_of(ravel(_cast(a1, values.dtype)), values)


# --------------------------------------------------------------------------------------
# real_if_close
# --------------------------------------------------------------------------------------


@op(
    np.real_if_close,
    spec=Spec(lambda k: k.unary(k.away_from_zero(0.25)), "real, or complex with parts away from 0", complex=True),
)
def real_if_close(a: ArrayIn, tol: Scalar = 100) -> Out:
    """``a``'s real part if ``a`` is complex with every imaginary part below ``tol`` (in machine
    epsilons of ``a``'s dtype when ``tol > 1``), else ``a`` (``numpy.real_if_close``).

    The choice is made on the primal values. Differentiable as :func:`~.elementwise.real`
    when it returns the real part, as the identity otherwise.
    """
    values: Any = _as_array(a)
    dtype = _dtype(values)
    if dtype.kind != "c":
        return values
    if tol > 1:
        tol = np.finfo(dtype).eps * tol
    if np.all(np.abs(np.imag(primal(values))) < tol):
        return np.real(values)
    return values


# --------------------------------------------------------------------------------------
# Functions of the user's, applied along axes or on pieces
# --------------------------------------------------------------------------------------


def _callable_call(function: Callable, args: tuple, params: dict) -> Any:
    """``function(params["func"], <params["axis"] where the op takes it>, *operands)``: apply_along_axis
    and apply_over_axes take the user's function first."""
    func = params["func"]
    if "axes" in params:
        return function(func, args[0], params["axes"])
    return function(func, params["axis"], *args)


@op(
    np.apply_along_axis,
    spec=Spec(
        lambda k: k.apply_along_axis(),
        "functions returning a scalar, a vector or a matrix per slice; an extra differentiated argument",
        complex=True,
        sequence=True,  # *args go to func1d as they are
        call=_callable_call,
    ),
)
def apply_along_axis(func1d: Callable, axis: Index, arr: ArrayIn, *args: Any, **kwargs: Any) -> Out:
    """``func1d`` applied to each 1-D slice of ``arr`` along ``axis`` (``numpy.apply_along_axis``):
    the results (all of one shape, or broadcasting to the first's, and cast to its dtype) replace
    that axis, their own axes where it was.

    ``func1d`` gets traced slices (and ``args``, ``kwargs`` as given), so the derivatives are those
    of ``func1d`` itself, collected by the :func:`~.shape.stack` of its results.

    Raises:
        ValueError: another axis of length 0, or results that do not broadcast to the first's shape.
    """
    array_in: Any = _as_array(arr)
    ndim = _ndim(array_in)
    (ax,) = normalize_axes("apply_along_axis", axis, ndim)
    moved: Any = np.moveaxis(array_in, ax, -1)
    outer = _shape(moved)[:-1]
    indices = list(np.ndindex(outer))
    if not indices:
        raise ValueError(
            f"apply_along_axis: cannot apply the function along axis {axis} of an array of shape {_shape(array_in)}: "
            "another axis has length 0"
        )
    results = [_as_array(func1d(moved[index + (Ellipsis,)], *args, **kwargs)) for index in indices]
    shape, dtype = _shape(results[0]), _dtype(results[0])
    buffer = reshape(stack([_cast(broadcast_to(r, shape), dtype) for r in results]), outer + shape)
    dims = list(range(len(outer) + len(shape)))
    inner = len(dims) - len(shape)
    return np.transpose(buffer, dims[:ax] + dims[inner:] + dims[ax:inner])


@op(
    np.apply_over_axes,
    spec=Spec(
        lambda k: k.apply_over_axes(),
        "sum, mean, cumsum or a product over 1-3 axes (negative too)",
        complex=True,
        sequence=True,
        call=_callable_call,
    ),
)
def apply_over_axes(func: Callable, a: ArrayIn, axes: Union[Index, Sequence[Index], np.ndarray]) -> Out:
    """``func(a, axis)`` for each axis in turn, each result fed to the next (``numpy.apply_over_axes``);
    a result with one dimension fewer gets the axis back as length 1.

    ``func`` gets traced values, so the derivatives are those of ``func`` itself.

    Raises:
        ValueError: ``func`` returned neither ``a``'s number of dimensions nor one fewer.
    """
    val = _as_array(a)
    ndim = _ndim(val)
    given_axes: Any = axes
    listed: Any = (given_axes,) if np.ndim(given_axes) == 0 else given_axes
    for given in listed:
        axis = operator.index(given)
        if axis < 0:
            axis = ndim + axis
        res = _as_array(func(val, axis))
        if _ndim(res) != _ndim(val):
            res = np.expand_dims(res, axis)
            if _ndim(res) != _ndim(val):
                raise ValueError(
                    f"apply_over_axes: the function returned {_ndim(res) - 1} dimensions for an array of "
                    f"{_ndim(val)}; it must keep them, or remove the axis it was given"
                )
        val = res
    return val


def _assigned(y: Any, selected: np.ndarray, values: Any, dtype: np.dtype) -> Any:
    """``y`` with ``y.flat[selected] = values`` (broadcast to ``len(selected)`` and cast to ``dtype``),
    as a new array: a gather from ``y``'s and the values' elements."""
    count = len(selected)
    values = _cast(broadcast_to(_as_array(values), (count,)), dtype)
    shape = _shape(y)
    size = math.prod(shape)
    source = np.arange(size)
    source[selected] = size + np.arange(count)
    return _gather(concatenate([ravel(y), values]), source.reshape(shape))


def _piecewise_call(function: Callable, args: tuple, params: dict) -> Any:
    """``piecewise(x, conditions, functions)`` with a second operand, if any, first among the
    functions (a value, differentiated)."""
    functions = list(params["functions"])
    if len(args) == 2:
        functions[0] = args[1]
    return function(args[0], params["conditions"], functions)


@op(
    np.piecewise,
    spec=Spec(
        lambda k: k.piecewise(),
        "1-3 constant conditions (with or without an 'otherwise' function); functions and values",
        complex=True,
        sequence=True,  # funclist holds functions and values, not one array_like
        call=_piecewise_call,
    ),
)
def piecewise(x: ArrayIn, condlist: Any, funclist: Sequence[Any], *args: Any, **kw: Any) -> Out:
    """``x``'s elements where ``condlist[i]`` holds replaced by ``funclist[i]``: a value, or a
    function of those elements (``f(x[cond], *args, **kw)``) (``numpy.piecewise``). One more
    function than conditions is the "otherwise" case; where no condition holds the result is 0;
    a later condition overrides an earlier one. The dtype is ``x``'s.

    The conditions are constants. Differentiable in ``x`` through the functions (which get traced
    elements) and in the values: each piece is gathered into the result, where later pieces
    replace earlier ones, so each element gets the cotangent of the piece it shows.

    Raises:
        ValueError: other numbers of conditions and functions.
        IndexError: conditions of another shape than ``x`` (NumPy's boolean indexing).
    """
    x = _as_array(x)
    shape, dtype = _shape(x), _dtype(x)
    conditions = _plain(condlist)
    if np.isscalar(conditions) or (not isinstance(conditions[0], (list, np.ndarray)) and len(shape) != 0):
        conditions = [conditions]
    conditions = np.asarray(conditions, dtype=bool)
    n = len(conditions)
    if n == len(funclist) - 1:
        conditions = np.concatenate([conditions, ~np.any(conditions, axis=0, keepdims=True)], axis=0)
    elif n != len(funclist):
        raise ValueError(
            f"piecewise: with {n} condition(s), either {n} or {n + 1} functions are expected, got {len(funclist)}"
        )
    y: Any = np.zeros(shape, dtype)
    positions = _positions(shape)
    for condition, function in zip(conditions, funclist):
        selected = positions[condition]
        if callable(function):
            if selected.size == 0:
                continue
            function = function(_gather(x, selected), *args, **kw)
        y = _assigned(y, selected, function, dtype)
    return y


# --------------------------------------------------------------------------------------
# Histograms: counts are constants; edges follow the data's extremes; weights are summed
# --------------------------------------------------------------------------------------


def _outer_edges(flat: Any, range: Any) -> tuple:
    """The first and last edges: ``range``, or the data's minimum and maximum (traced values when
    they are), spread by 0.5 each way when equal (as NumPy)."""
    if range is not None:
        lo, hi = range
    elif _shape(flat)[0] == 0:
        lo, hi = 0, 1
    else:
        lo, hi = np.min(flat), np.max(flat)
    if primal(lo) == primal(hi):
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def _bin_edges(flat: Any, bins: Any, range: Any, weights: Any) -> Any:
    """NumPy's bin edges, differentiable in the outer edges (:func:`_outer_edges`) when NumPy computes
    them (``bins`` an int or an estimator's name), the identity of ``bins`` when they are given."""
    edges = np.histogram_bin_edges(primal(flat), _plain(bins), _plain(range), _plain(weights))
    if np.ndim(_plain(bins)) == 1:
        return _as_array(bins) if _holds_traced(bins) else edges
    lo, hi = _outer_edges(flat, range)
    return _exactly(edges, np.linspace(lo, hi, len(edges), dtype=edges.dtype))


def _histogram_call(function: Callable, args: tuple, params: dict) -> Any:
    """``histogram``/``histogram_bin_edges`` of the data, with the operands after it as the weights
    and/or the bin edges, as ``params["operands"]`` names them."""
    named = dict(zip(params["operands"], args[1:]))
    rest = {key: value for key, value in params.items() if key != "operands"}
    return _joined_floats(function(args[0], **rest, **named))


_HISTOGRAM = "data with its extremes and the other values inside the bins (>= 0.2 bin from the edges); bins"


@op(
    np.histogram_bin_edges,
    spec=Spec(lambda k: k.histogram(edges_only=True), f"{_HISTOGRAM} an int or edges; range", call=_histogram_call),
)
def histogram_bin_edges(a: ArrayIn, bins: Any = 10, range: Any = None, weights: Any = None) -> Out:
    """The bin edges ``numpy.histogram`` uses (``numpy.histogram_bin_edges``): ``bins + 1`` equally
    spaced edges from the data's minimum to its maximum (or over ``range``), as many as an
    estimator such as ``"auto"`` chooses, or ``bins`` itself when it is an array.

    NumPy's values exactly. Differentiable in the data through its minimum and maximum (ties split
    equally; the number of bins an estimator chooses is a constant), in ``range`` and in given
    ``bins``; ``weights`` are only checked.
    """
    flat = ravel(_as_array(a))
    if weights is not None and _shape(weights) != _shape(a):
        raise ValueError(f"histogram_bin_edges: weights of shape {_shape(weights)} for data of shape {_shape(a)}")
    return _bin_edges(flat, bins, range, None if weights is None else np.ravel(_plain(weights)))


@op(
    np.histogram,
    spec=Spec(
        lambda k: k.histogram(edges_only=False),
        f"{_HISTOGRAM} an int or edges; range, weights, density",
        float32=False,
        call=_histogram_call,
    ),
)
def histogram(
    a: ArrayIn, bins: Any = 10, range: Any = None, density: Optional[bool] = None, weights: Any = None
) -> tuple:
    """``(hist, bin_edges)`` (``numpy.histogram``): the number of values (or the sum of their
    ``weights``) in each bin ``[edges[i], edges[i+1])``, the last bin closed; with ``density``,
    divided by the total and the bins' widths.

    NumPy's values exactly. The counts are constants (piecewise constant in the data); a weighted
    histogram is linear in the weights (each weight goes to its bin, a scatter-add); a density
    also depends on the bins' widths, so on the edges, which are differentiable as in
    :func:`histogram_bin_edges`.
    """
    data: Any = _as_array(a)
    raw_weights: Any = None if weights is None else _plain(weights)
    hist, _ = np.histogram(primal(data), _plain(bins), _plain(range), density, raw_weights)
    flat = ravel(data)
    edges = _bin_edges(flat, bins, range, None if raw_weights is None else np.ravel(raw_weights))
    weighted = type(weights) is Traced or _holds_traced(weights)
    if not weighted and (not density or type(edges) is not Traced):
        return hist, edges
    e, x = primal_array(edges), np.ravel(primal(data))
    index = np.searchsorted(e, x, side="right") - 1
    index[x == e[-1]] = len(e) - 2  # the last bin is closed
    inside = (x >= e[0]) & (x <= e[-1])
    if weighted:
        kept = ravel(_as_array(weights))[inside]
        counts: Any = _index_add.bind(kept, index=index[inside], shape=(len(e) - 1,))
    else:
        counts = np.histogram(x, e, weights=None if raw_weights is None else np.ravel(raw_weights))[0]
    if not density:
        return _exactly(hist, counts), edges
    widths = astype(np.diff(edges), float)
    return _exactly(hist, counts / widths / np.sum(counts)), edges


def _sample_matrix(sample: Any) -> Any:
    """``histogramdd``'s sample as an ``(N, D)`` array: a 2-D array as it is; a sequence of ``D``
    arrays (``[x, y]``) or a 1-D array as columns (NumPy's ``atleast_2d(sample).T``)."""
    if type(sample) in (list, tuple):
        return np.transpose(np.atleast_2d(array(sample)))
    sample = _array(sample)
    return sample if _ndim(sample) == 2 else np.transpose(np.atleast_2d(sample))


def _histogramdd_call(function: Callable, args: tuple, params: dict) -> Any:
    """``histogramdd``/``histogram2d`` of the data operands, passed as ``params["sample"]`` says (one
    ``(N, D)`` array, a list of coordinate arrays, or ``x, y``), with the operand after them, if
    any, as the weights; the histogram and every edge array joined."""
    form, count = params["sample"], params["data"]
    rest = {key: value for key, value in params.items() if key not in ("sample", "data")}
    if len(args) > count:
        rest["weights"] = args[count]
    data = {"matrix": args[:1], "list": (list(args[:count]),), "xy": args[:2]}[form]
    out = function(*data, **rest)
    hist, *edges = out if len(out) == 3 else (out[0], *out[1])
    return _joined_floats([hist, *edges])


_HISTOGRAMDD = "data whose extremes make the outer edges and whose other values lie >= 0.2 bin from the edges"


@op(
    np.histogramdd,
    spec=Spec(
        lambda k: k.histogramdd(columns=False),
        f"1-3 dimensions: {_HISTOGRAMDD}; 1-3 bins per dimension, weights, density",
        sequence=True,  # a list of arrays is D coordinate arrays, not an (N, D) array
        float32=False,
        call=_histogramdd_call,
    ),
)
def histogramdd(
    sample: Any, bins: Any = 10, range: Any = None, density: Optional[bool] = None, weights: Any = None
) -> tuple:
    """``(hist, edges)`` of ``N`` points in ``D`` dimensions (``numpy.histogramdd``): ``sample`` an
    ``(N, D)`` array or a sequence of ``D`` coordinate arrays; per dimension, ``bins`` equal bins
    between the extremes (or over ``range[i]``), or the given edges. ``hist`` (float64) counts the
    points (or sums their ``weights``) in each cell, the last bin of each dimension closed; with
    ``density``, divided by the total and the cells' volumes.

    NumPy's values exactly. As :func:`histogram`: counts are constants, a weighted histogram is
    linear in the weights, the edges follow the data's extremes (or ``range``, or given edges),
    and a density depends on the edges through the volumes.
    """
    data = _sample_matrix(sample)
    raw = np.asarray(primal(data))  # concrete: the cells below are found in place
    raw_weights = None if weights is None else np.asarray(_plain(weights))
    hist, edges_np = np.histogramdd(raw, _plain(bins), _plain(range), density, raw_weights)
    dims = raw.shape[1]
    try:  # as NumPy: one entry per dimension, or the same for all
        per_dim = list(bins)
    except TypeError:
        per_dim = dims * [bins]
    ranges = (None,) * dims if range is None else range
    edges: list = []
    for i in builtins.range(dims):
        if np.ndim(_plain(per_dim[i])) == 0:
            lo, hi = _outer_edges(data[:, i], ranges[i])
            edges.append(_exactly(edges_np[i], np.linspace(lo, hi, len(edges_np[i]))))
        else:
            edges.append(_as_array(per_dim[i]) if _holds_traced(per_dim[i]) else edges_np[i])
    weighted = _holds_traced(weights)
    if not weighted and (not density or not any(type(e) is Traced for e in edges)):
        return hist, edges
    # Each point's cell, as NumPy finds it: the last edge of each dimension inclusive, outliers dropped.
    cells, inside = [], np.ones(len(raw), bool)
    for i, e in enumerate(edges):
        e = np.asarray(primal(e))
        c = np.searchsorted(e, raw[:, i], side="right")
        c[raw[:, i] == e[-1]] -= 1
        inside &= (c >= 1) & (c < len(e))
        cells.append(c - 1)
    shape = tuple(len(primal(e)) - 1 for e in edges)
    flat = np.ravel_multi_index([c[inside] for c in cells], shape)
    if weighted:
        kept = astype(ravel(_as_array(weights))[inside], float)
        counts: Any = reshape(_index_add.bind(kept, index=flat, shape=(math.prod(shape),)), shape)
    else:
        kept_weights = None if raw_weights is None else np.ravel(raw_weights)[inside]
        counts = np.bincount(flat, kept_weights, minlength=math.prod(shape)).reshape(shape).astype(float)
    if not density:
        return _exactly(hist, counts), edges
    formula = counts
    for i, e in enumerate(edges):
        formula = formula / reshape(np.diff(e), tuple(-1 if j == i else 1 for j in builtins.range(dims)))
    return _exactly(hist, formula / np.sum(counts)), edges


@op(
    np.histogram2d,
    spec=Spec(
        lambda k: k.histogramdd(columns=True),
        f"x and y: {_HISTOGRAMDD}; bins an int or one per axis, weights, density",
        float32=False,
        call=_histogramdd_call,
    ),
)
def histogram2d(
    x: ArrayIn, y: ArrayIn, bins: Any = 10, range: Any = None, density: Optional[bool] = None, weights: Any = None
) -> tuple:
    """``(hist, xedges, yedges)`` of the points ``(x[i], y[i])`` (``numpy.histogram2d``): a
    :func:`histogramdd` of ``[x, y]``, differentiable as it is. ``bins`` an int or an array (both
    axes), or a pair of them (one per axis).

    Raises:
        ValueError: ``x`` and ``y`` of different lengths, or NumPy's errors for the bins.
    """
    xs, ys = _as_array(x), _as_array(y)
    if len(xs) != len(ys):
        raise ValueError(f"histogram2d: x and y must have the same length, got {len(xs)} and {len(ys)}")
    try:
        count = len(bins)
    except TypeError:
        count = 1
    if count not in (1, 2):
        bins = [bins, bins]
    hist, edges = histogramdd([xs, ys], bins, range, density, weights)
    return hist, edges[0], edges[1]


# --------------------------------------------------------------------------------------
# No useful derivative: integer, boolean, string and file results
# --------------------------------------------------------------------------------------

constant(
    np.bitwise_and,
    np.bitwise_or,
    np.bitwise_xor,
    np.invert,  # also bitwise_not and bitwise_invert
    np.bitwise_count,
    np.left_shift,  # also bitwise_left_shift
    np.right_shift,  # also bitwise_right_shift
    np.gcd,
    np.lcm,
    np.isnat,
    np.isin,
    np.can_cast,
    np.common_type,
    np.min_scalar_type,
    np.may_share_memory,
    np.shares_memory,
    np.diag_indices_from,
    np.tril_indices_from,
    np.triu_indices_from,
    np.ix_,
    np.ravel_multi_index,
    np.unravel_index,
    np.packbits,
    np.unpackbits,
    np.busday_count,
    np.busday_offset,
    np.is_busday,
    np.datetime_as_string,
    np.array2string,
    np.array_repr,
    np.array_str,
    np.save,
    np.savetxt,
    np.savez,
    np.savez_compressed,
)

# --------------------------------------------------------------------------------------
# Writing into an array: refused on traced values, with the functional alternative
# --------------------------------------------------------------------------------------

refuse(
    np.put,
    "for a.flat[ind] = v, build a boolean mask m of a's shape (m.flat[ind] = True on a plain array) and "
    "write a = np.where(m, new_values, a), or assemble the result with autotape.numpy.stack/concatenate",
)
refuse(
    np.put_along_axis,
    "mark the places on a plain boolean array (np.put_along_axis(m, indices, True, axis)) and write "
    "a = np.where(m, values_of_a_shape, a), or assemble the slices with autotape.numpy.stack",
)
refuse(
    np.place,
    "arr = autotape.numpy.piecewise(arr, [mask], [np.resize(vals, int(np.count_nonzero(mask))), lambda x: x])",
)
refuse(np.putmask, "a = np.where(mask, np.resize(values, a.shape), a)")
refuse(
    np.fill_diagonal,
    "a = np.where(np.eye(*a.shape, dtype=bool), val, a) for a matrix (or a + np.diag(val - np.diagonal(a)))",
)
refuse(np.copyto, "dst = np.where(where, src, dst), or dst = np.broadcast_to(src, dst.shape)")

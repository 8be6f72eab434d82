"""Joining, splitting, tiling, padding, reordering, selecting and sorting arrays.

Every differentiable op here moves, copies or drops the elements of its operands, so
each is linear in them, and each is a composite of the primitives of :mod:`.shape`; its
VJP, JVP, second order and complex support come from theirs. Two patterns recur:

* **Views**: ``atleast_2d`` is a :func:`~.shape.reshape`, ``vstack`` a
  :func:`~.shape.concatenate`, ``split`` and ``flip`` are basic indexing
  (:func:`~.shape.getitem` with slices), ``rot90`` is flips and a transpose.
* **Gathers**: for ops that copy elements to new places (``tile``, ``repeat``, ``roll``,
  ``take``, ``sort``, ``pad``, ``delete``, ...), NumPy's own function is applied to the
  array of flat positions ``arange(a.size).reshape(a.shape)``: its result says which
  element of ``a`` each output element is, and the op is ``ravel(a)[positions]``. So the
  result, its shape and its errors are NumPy's exactly, and the VJP of the indexing
  scatter-adds the cotangent (``numpy.add.at``): an element copied ``k`` times collects
  ``k`` cotangents. Sorts order the positions by the primal values (a stable sort: tied
  elements keep their order, so the cotangent follows NumPy's stable permutation).

``bincount`` with ``weights`` is the one primitive (a scatter-add, linear in the
weights). The ops returning indices (``argsort``, ``nonzero``, ``searchsorted``,
``unique``, ...) are constants, as in HIPS autograd and JAX.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Optional, Union, cast

import numpy as np

from .._types import Array, Integral, Nested, Scalar, Shaped
from ..tracer import Traced, primal, primal_array
from .elementwise import where
from .reductions import normalize_axes
from .registry import Spec, constant, defprim, no_extras, on_values, op
from .shape import _index_add, astype, broadcast_to, concatenate, getitem, ravel, reshape, stack, transpose

__all__ = [
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "vstack",
    "hstack",
    "dstack",
    "column_stack",
    "split",
    "array_split",
    "hsplit",
    "vsplit",
    "dsplit",
    "unstack",
    "tile",
    "repeat",
    "pad",
    "roll",
    "rot90",
    "flip",
    "fliplr",
    "flipud",
    "take",
    "take_along_axis",
    "sort",
    "sort_complex",
    "partition",
    "append",
    "insert",
    "delete",
    "resize",
    "select",
    "choose",
    "compress",
    "extract",
    "trim_zeros",
    "bincount",
]

ArrayIn = Union[Shaped[Array, "..."], Scalar, Nested]
Out = Shaped[Array, "..."]
IntOrInts = Union[int, np.integer, Sequence[Union[int, np.integer]]]


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _array(a: Any) -> Any:
    """A traced value as it is, anything else as a NumPy array."""
    return a if type(a) is Traced else np.asarray(a)


def _dtype(a: Any) -> np.dtype:
    """The dtype of an operand (a traced value, an array, a Python number or list)."""
    return np.result_type(primal(a)) if type(a) is Traced else np.asarray(a).dtype


def _cast(a: Any, dtype: np.dtype) -> Any:
    """``a`` in ``dtype`` (a cast only if it differs), as NumPy casts what it writes into an array."""
    return a if _dtype(a) == dtype else astype(a, dtype)


def _positions(shape: tuple) -> np.ndarray:
    """The flat position of each element of an array of ``shape`` (C order)."""
    return np.arange(math.prod(shape)).reshape(shape)


def _gather(a: Any, positions: Any) -> Any:
    """``ravel(a)[positions]``: the elements of ``a`` at those flat positions, in their shape."""
    if type(positions) is Traced:  # computed from values at.jit records: the cast is recorded too
        return getitem(ravel(a), positions if positions.dtype == np.intp else on_values(np.asarray, positions, np.intp))
    return getitem(ravel(a), np.asarray(positions, dtype=np.intp))


def _numpy(numpy_function: Callable, *args: Any, **kwargs: Any) -> Any:
    """``numpy_function(*args, **kwargs)`` on plain values (positions, primal values); its
    error, if any, re-raised with the op's name in front (same exception type)."""
    if any(type(a) is Traced for a in (*args, *kwargs.values())):  # values at.jit records: a recorded call
        return on_values(numpy_function, *args, **kwargs)
    try:
        return numpy_function(*args, **kwargs)
    except (ValueError, IndexError, TypeError) as error:
        try:
            renamed = type(error)(f"{numpy_function.__name__}: {error}")
        except Exception:  # an exception type with another constructor: keep NumPy's
            raise error from None
        raise renamed from None


def _moved(a: Any, numpy_function: Callable, *args: Any, **kwargs: Any) -> Any:
    """``numpy_function(a, *args, **kwargs)`` for a NumPy function that only moves, copies or
    drops elements: applied to ``a``'s positions, it gives where each output element comes from."""
    return _gather(a, _numpy(numpy_function, _positions(np.shape(primal(a))), *args, **kwargs))


def _plain(value: Any) -> Any:
    """A static argument (indices, counts, conditions) as plain values: traced ones by their value."""
    if type(value) is Traced:
        return primal(value)
    if type(value) in (list, tuple):
        return type(value)(_plain(v) for v in value)
    return value


def _joined(out: Any) -> Any:
    """Several arrays (a list or tuple) as one 1-D array, for the tests of ops returning several."""
    if isinstance(out, (list, tuple)):
        return np.concatenate([np.ravel(piece) for piece in out]) if out else np.zeros(0)
    return out


def _joined_call(function: Callable, args: tuple, params: dict) -> Any:
    return _joined(function(*args, **params))


def _pad_call(function: Callable, args: tuple, params: dict) -> Any:
    """``pad(array, ...)`` with a second operand, if any, as ``constant_values`` (differentiated)."""
    if len(args) == 2:
        return function(args[0], constant_values=args[1], **params)
    return function(*args, **params)


def _parts_call(function: Callable, args: tuple, params: dict) -> Any:
    """A complex result as its real and imaginary parts, for the tests of an op whose result
    is complex for real operands (``sort_complex``): the tests differentiate real losses."""
    out = function(*args, **params)
    return np.concatenate([np.ravel(np.real(out)), np.ravel(np.imag(out))])


def _trim_zeros_call(function: Callable, args: tuple, params: dict) -> Any:
    """``trim_zeros`` of the operand framed by zeros (``params["margins"]``, a pad width): the
    frame is constant, so finite differences of the operand do not move the trimmed edges."""
    rest = {k: v for k, v in params.items() if k != "margins"}
    return function(np.pad(args[0], params["margins"]), **rest)


def _axis(name: str, axis: Any, ndim: int) -> int:
    (ax,) = normalize_axes(name, axis, ndim)
    return ax


# --------------------------------------------------------------------------------------
# At least n dimensions, and joining
# --------------------------------------------------------------------------------------


def _at_least(arys: tuple, shape_of: Callable[[tuple], tuple]) -> Any:
    out = tuple(reshape(a, shape_of(np.shape(primal(a)))) for a in arys)
    return out[0] if len(out) == 1 else out


_ATLEAST = Spec(lambda k: k.several_arrays(), "1-3 arrays of 0-3 dimensions", complex=True, call=_joined_call)


@op(np.atleast_1d, spec=_ATLEAST)
def atleast_1d(*arys: ArrayIn) -> Any:
    """Each array with at least one dimension (``numpy.atleast_1d``): a 0-d array becomes
    shape ``(1,)``, others are unchanged.

    Returns one array for one argument, a tuple of arrays for several. Linear (a
    :func:`~.shape.reshape` of each).
    """
    return _at_least(arys, lambda s: s if len(s) >= 1 else (1,))


@op(np.atleast_2d, spec=_ATLEAST)
def atleast_2d(*arys: ArrayIn) -> Any:
    """Each array with at least two dimensions (``numpy.atleast_2d``): ``()`` becomes
    ``(1, 1)`` and ``(n,)`` becomes ``(1, n)``.

    Returns one array for one argument, a tuple of arrays for several. Linear (a
    :func:`~.shape.reshape` of each).
    """
    return _at_least(arys, lambda s: s if len(s) >= 2 else (1,) * (2 - len(s)) + s)


def _shape_3d(s: tuple) -> tuple:
    return {0: (1, 1, 1), 1: (1, *s, 1), 2: (*s, 1)}.get(len(s), s)


@op(np.atleast_3d, spec=_ATLEAST)
def atleast_3d(*arys: ArrayIn) -> Any:
    """Each array with at least three dimensions (``numpy.atleast_3d``): ``()`` becomes
    ``(1, 1, 1)``, ``(n,)`` becomes ``(1, n, 1)`` and ``(m, n)`` becomes ``(m, n, 1)``.

    Returns one array for one argument, a tuple of arrays for several. Linear (a
    :func:`~.shape.reshape` of each).
    """
    return _at_least(arys, _shape_3d)


def _stack_spec(kind: str) -> Spec:
    return Spec(lambda k: k.stackable(kind), f"1-3 arrays of shapes {kind} accepts", sequence=True, complex=True)


@op(np.vstack, spec=_stack_spec("vstack"))
def vstack(tup: Sequence[ArrayIn], *, dtype: Any = None, casting: str = "same_kind") -> Out:
    """Stack arrays along the first axis after :func:`atleast_2d` (``numpy.vstack``): 1-D
    arrays of length ``n`` become rows ``(1, n)``.

    Raises ValueError naming the shapes when they differ off the first axis. Linear (a
    :func:`~.shape.concatenate`).
    """
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype, casting=casting)


if hasattr(np, "row_stack"):  # deprecated in NumPy 2.0

    @op(
        np.row_stack,
        spec=Spec(lambda k: k.stackable("vstack"), "as vstack", reference=np.vstack, complex=True, sequence=True),
        fast=False,
    )
    def row_stack(tup: Sequence[ArrayIn], *, dtype: Any = None, casting: str = "same_kind") -> Out:
        """:func:`vstack` under its old name (``numpy.row_stack``, which NumPy 2.0 deprecated:
        prefer ``vstack``)."""
        return vstack(tup, dtype=dtype, casting=casting)


@op(np.hstack, spec=_stack_spec("hstack"))
def hstack(tup: Sequence[ArrayIn], *, dtype: Any = None, casting: str = "same_kind") -> Out:
    """Join arrays along the second axis, or along the first for 1-D arrays, after
    :func:`atleast_1d` (``numpy.hstack``).

    Raises ValueError naming the shapes when they do not fit. Linear (a
    :func:`~.shape.concatenate`).
    """
    arrays = [atleast_1d(a) for a in tup]
    axis = 0 if arrays and np.ndim(primal(arrays[0])) == 1 else 1
    return concatenate(arrays, axis=axis, dtype=dtype, casting=casting)


@op(np.dstack, spec=_stack_spec("dstack"))
def dstack(tup: Sequence[ArrayIn]) -> Out:
    """Join arrays along the third axis after :func:`atleast_3d` (``numpy.dstack``).

    Raises ValueError naming the shapes when they differ off the third axis. Linear (a
    :func:`~.shape.concatenate`).
    """
    return concatenate([atleast_3d(a) for a in tup], axis=2)


@op(np.column_stack, spec=_stack_spec("column_stack"))
def column_stack(tup: Sequence[ArrayIn]) -> Out:
    """Join arrays as the columns of a 2-D array (``numpy.column_stack``): a 1-D array of
    length ``n`` becomes a column ``(n, 1)``, a 0-d one ``(1, 1)``; 2-D arrays are joined as
    they are.

    Raises ValueError naming the shapes when the numbers of rows differ. Linear (a
    :func:`~.shape.concatenate`).
    """
    return concatenate([reshape(a, (-1, 1)) if np.ndim(primal(a)) < 2 else a for a in tup], axis=1)


@op(np.append, spec=Spec(lambda k: k.append(), "axis None (any shapes) or an int", complex=True))
def append(arr: ArrayIn, values: ArrayIn, axis: Optional[int] = None) -> Out:
    """``arr`` followed by ``values`` along ``axis`` (``numpy.append``); with ``axis=None``
    both are flattened first. The dtype is the promotion of both.

    Differentiable in both. Linear (a :func:`~.shape.concatenate`).
    """
    if axis is None:
        arr = arr if np.ndim(primal(arr)) == 1 else ravel(arr)
        return concatenate([arr, ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


# --------------------------------------------------------------------------------------
# Splitting
# --------------------------------------------------------------------------------------


def _split(name: str, ary: Any, indices_or_sections: Any, axis: Any, equal: bool) -> list:
    ary = _array(ary)
    shape = np.shape(primal(ary))
    ax = _axis(name, axis, len(shape))
    n = shape[ax]
    sections = _plain(indices_or_sections)
    if np.ndim(sections) == 0:
        count = int(sections)
        if count <= 0:
            raise ValueError(f"{name}: the number of sections must be positive, got {count}")
        if equal and n % count:
            raise ValueError(
                f"{name}: an axis of length {n} does not split into {count} equal sections; "
                "use numpy.array_split for unequal ones"
            )
        each, extra = divmod(n, count)
        bounds = np.cumsum([0] + [each + 1] * extra + [each] * (count - extra)).tolist()
    else:
        bounds = [0, *(int(i) for i in np.ravel(sections)), n]
    before = (slice(None),) * ax
    return [getitem(ary, (*before, slice(start, stop))) for start, stop in zip(bounds[:-1], bounds[1:])]


@op(
    np.split,
    spec=Spec(lambda k: k.split(equal=True), "equal sections or split points", complex=True, call=_joined_call),
)
def split(ary: ArrayIn, indices_or_sections: Union[int, Sequence[int], Any], axis: int = 0) -> list:
    """Split ``ary`` along ``axis`` into ``n`` equal pieces (an int), or at the given
    positions (a sequence, pieces between consecutive points as slices: ``[2, 3]`` gives
    ``ary[:2]``, ``ary[2:3]``, ``ary[3:]``) (``numpy.split``).

    Returns a list of arrays. Raises ValueError when an int does not divide the axis
    length. Each piece is a slice (basic indexing), differentiable on its own.
    """
    return _split("split", ary, indices_or_sections, axis, equal=True)


@op(
    np.array_split,
    spec=Spec(
        lambda k: k.split(equal=False), "any number of sections, or split points", complex=True, call=_joined_call
    ),
)
def array_split(ary: ArrayIn, indices_or_sections: Union[int, Sequence[int], Any], axis: int = 0) -> list:
    """:func:`split` allowing ``n`` sections that do not divide the length (``numpy.array_split``):
    the first ``length % n`` pieces are one element longer.

    Returns a list of arrays. Each piece is a slice (basic indexing), differentiable on its own.
    """
    return _split("array_split", ary, indices_or_sections, axis, equal=False)


def _directional_split(name: str, ary: Any, indices_or_sections: Any, min_ndim: int, axis: int) -> list:
    ndim = np.ndim(primal(ary))
    if ndim < min_ndim:
        raise ValueError(
            f"{name}: needs an array of at least {min_ndim} dimension(s), got shape {np.shape(primal(ary))}"
        )
    return _split(name, ary, indices_or_sections, axis, equal=True)


@op(
    np.hsplit,
    spec=Spec(lambda k: k.split(equal=True, fixed="h"), "columns (axis 1; 0 for 1-D)", complex=True, call=_joined_call),
)
def hsplit(ary: ArrayIn, indices_or_sections: Union[int, Sequence[int], Any]) -> list:
    """:func:`split` along axis 1 (axis 0 for a 1-D array) (``numpy.hsplit``).

    Raises ValueError for a 0-d array. Each piece is a slice, differentiable on its own.
    """
    return _directional_split("hsplit", ary, indices_or_sections, 1, 1 if np.ndim(primal(ary)) > 1 else 0)


@op(
    np.vsplit,
    spec=Spec(lambda k: k.split(equal=True, fixed="v"), "rows (axis 0), 2-D or more", complex=True, call=_joined_call),
)
def vsplit(ary: ArrayIn, indices_or_sections: Union[int, Sequence[int], Any]) -> list:
    """:func:`split` along axis 0 of an array of at least 2 dimensions (``numpy.vsplit``).

    Raises ValueError for fewer dimensions. Each piece is a slice, differentiable on its own.
    """
    return _directional_split("vsplit", ary, indices_or_sections, 2, 0)


@op(
    np.dsplit,
    spec=Spec(lambda k: k.split(equal=True, fixed="d"), "depth (axis 2), 3-D", complex=True, call=_joined_call),
)
def dsplit(ary: ArrayIn, indices_or_sections: Union[int, Sequence[int], Any]) -> list:
    """:func:`split` along axis 2 of an array of at least 3 dimensions (``numpy.dsplit``).

    Raises ValueError for fewer dimensions. Each piece is a slice, differentiable on its own.
    """
    return _directional_split("dsplit", ary, indices_or_sections, 3, 2)


if hasattr(np, "unstack"):  # NumPy 2.1

    @op(np.unstack, spec=Spec(lambda k: k.along_axis(default=True), "any axis", complex=True, call=_joined_call))
    def unstack(x: ArrayIn, /, *, axis: int = 0) -> tuple:
        """The slices of ``x`` along ``axis``, as a tuple (``numpy.unstack``, the inverse of
        ``stack``).

        Raises ValueError for a 0-d array or an axis out of range. Each slice is basic
        indexing, differentiable on its own.
        """
        x = _array(x)
        shape = np.shape(primal(x))
        if not shape:
            raise ValueError("unstack: a 0-d array has no axis to unstack")
        ax = _axis("unstack", axis, len(shape))
        return tuple(getitem(x, (slice(None),) * ax + (i,)) for i in range(shape[ax]))


# --------------------------------------------------------------------------------------
# Tiling, repeating, padding
# --------------------------------------------------------------------------------------


@op(np.tile, spec=Spec(lambda k: k.tile(), "reps an int or a tuple (0 too), longer or shorter than ndim", complex=True))
def tile(A: ArrayIn, reps: IntOrInts) -> Out:
    """``A`` repeated ``reps`` times along each axis (``numpy.tile``); ``reps`` longer than
    ``A.ndim`` adds leading axes, shorter repeats the trailing axes.

    A gather (``numpy.tile`` of the positions): the VJP sums the cotangent over the copies.
    """
    return _moved(A, np.tile, _plain(reps))


@op(np.repeat, spec=Spec(lambda k: k.repeat(), "an int or per-element counts (0 too), axis None or int", complex=True))
def repeat(a: ArrayIn, repeats: Union[int, Sequence[int], Any], axis: Optional[int] = None) -> Out:
    """Each element repeated ``repeats`` times (``numpy.repeat``): ``repeats`` an int, or one
    count per element along ``axis`` (``axis=None``: of the flattened array).

    Raises ValueError for negative counts or counts that do not match the axis. A gather
    (``numpy.repeat`` of the positions): each element's gradient is the sum of the
    cotangents of its copies.
    """
    repeats = _plain(repeats)
    length = np.size(primal(a)) if axis is None else None
    if length is None:
        shape = np.shape(primal(a))
        length = shape[_axis("repeat", axis, len(shape))]
    if np.ndim(repeats) == 1 and len(repeats) not in (1, length):
        raise ValueError(
            f"repeat: {len(repeats)} counts for {length} elements "
            f"{'of the flattened array' if axis is None else f'along axis {axis}'}; give one count per "
            "element, or one for all"
        )
    return _moved(a, np.repeat, repeats, axis=axis)


_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


@op(
    np.pad,
    spec=Spec(
        lambda k: k.pad(),
        "modes constant/edge/reflect/symmetric/wrap, every pad_width form, constant_values traced too",
        complex=True,
        call=_pad_call,
    ),
)
def pad(array: ArrayIn, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> Out:
    """``array`` padded by ``pad_width`` (``numpy.pad``), in every form NumPy accepts: an int,
    ``(before, after)``, ``((before, after),)`` or one pair per axis.

    Modes: ``"constant"`` (``constant_values`` in the same forms; they are cast to the
    array's dtype and may be traced values, then differentiated too), ``"edge"``,
    ``"reflect"`` and ``"symmetric"`` (``reflect_type="even"`` or ``"odd"``) and ``"wrap"``,
    including pads longer than the axis (NumPy's repeated reflection). The result, its
    dtype and its errors are NumPy's: the padded array is a gather of the elements of
    ``array`` (and of the constants), so each element's gradient sums the cotangents of its
    copies. ``reflect_type="odd"`` pads with ``2 * edge - reflection``, linear in the
    array: each padded element combines at most three elements, and the result matches
    NumPy's to rounding (NumPy computes a pad longer than the axis in steps).

    Raises:
        TypeError: a mode other than those five (``"mean"``, ``"linear_ramp"``, a callable)
            on traced values.
        ValueError: as ``numpy.pad`` (negative widths, an empty axis to reflect).
    """
    if not (isinstance(mode, str) and mode in _PAD_MODES):
        raise TypeError(
            f"numpy.pad: mode={mode!r} is not supported on traced values; use one of {', '.join(_PAD_MODES)}"
        )
    pad_width = _plain(pad_width)
    if mode == "constant":
        unknown = set(kwargs) - {"constant_values"}
        if unknown:
            raise ValueError(f"pad: unsupported keyword arguments for mode 'constant': {sorted(unknown)}")
        return _pad_constant(array, pad_width, kwargs.get("constant_values", 0))
    if mode in ("reflect", "symmetric") and kwargs.get("reflect_type", "even") == "odd":
        unknown = set(kwargs) - {"reflect_type"}
        if unknown:
            raise ValueError(f"pad: unsupported keyword arguments for mode {mode!r}: {sorted(unknown)}")
        return _pad_odd(_array(array), pad_width, mode)
    return _moved(array, np.pad, pad_width, mode=mode, **kwargs)


def _pad_constant(array: Any, pad_width: Any, constant_values: Any) -> Any:
    """The array's elements followed by the constants, gathered by ``numpy.pad`` of their
    positions, the constants' positions standing in for ``constant_values``."""
    shape = np.shape(primal(array))
    dtype = _dtype(array)
    size = math.prod(shape)
    value_shape = np.shape(primal(constant_values))
    stand_ins = size + _positions(value_shape)
    positions = _numpy(np.pad, _positions(shape), pad_width, mode="constant", constant_values=stand_ins)
    values = ravel(constant_values)
    return _gather(concatenate([ravel(array), _cast(values, dtype)]), positions)


def _pad_odd(array: Any, pad_width: Any, mode: Any) -> Any:
    """``reflect_type="odd"``, one axis after the other (as NumPy pads). Along an axis of
    length n, padded element k is ``c_k x[m_k] + a_k x[0] + b_k x[n-1]`` with integer
    coefficients: ``m`` is the even reflection of the positions, and the coefficients are
    NumPy's odd padding of the indicators of the interior, of the first and of the last
    element (the padding is linear). Terms with a zero coefficient are left out (so an
    infinite element does not make NaN where it is not copied)."""
    shape = np.shape(primal(array))
    ndim = len(shape)
    positions = _numpy(np.pad, _positions(shape), pad_width, mode=mode)  # NumPy's checks of the widths
    if positions.size == 0:
        return _gather(array, positions)
    widths = _pad_pairs(pad_width, ndim)
    out = array
    for ax, (before, after) in enumerate(widths):
        if before == 0 and after == 0:
            continue
        n = np.shape(primal(out))[ax]
        index = np.arange(n)
        reflected = np.pad(index, (before, after), mode=mode, reflect_type="even")
        here = (slice(None),) * ax
        moved = getitem(out, (*here, reflected))
        if n == 1:
            out = moved
            continue
        dtype = np.result_type(primal(out))
        shape_along = (1,) * ax + (-1,) + (1,) * (ndim - ax - 1)

        def coefficient(indicator):
            return np.reshape(np.pad(indicator, (before, after), mode=mode, reflect_type="odd"), shape_along)

        interior = coefficient(((index > 0) & (index < n - 1)).astype(np.int64))
        first = coefficient((index == 0).astype(np.int64))
        last = coefficient((index == n - 1).astype(np.int64))
        edge_first = getitem(out, (*here, slice(0, 1)))
        edge_last = getitem(out, (*here, slice(n - 1, n)))
        total = where(interior != 0, moved * interior.astype(dtype), 0)
        total = total + where(first != 0, edge_first * first.astype(dtype), 0)
        out = total + where(last != 0, edge_last * last.astype(dtype), 0)
    return out


def _pad_pairs(pad_width: Any, ndim: int) -> list:
    """``pad_width`` (which ``numpy.pad`` accepted) as one ``(before, after)`` pair per axis:
    rounded to integers, one number for every side, one pair for every axis, or a pair per axis."""
    widths = np.round(np.asarray(pad_width)).astype(np.intp)
    if widths.size == 1:
        widths = widths.reshape(1, 1)
    elif widths.size == 2 and widths.shape != (2, 1):
        widths = widths.reshape(1, 2)
    return [(int(b), int(a)) for b, a in np.broadcast_to(widths, (ndim, 2))]


# --------------------------------------------------------------------------------------
# Reordering
# --------------------------------------------------------------------------------------


@op(np.roll, spec=Spec(lambda k: k.roll(), "shift and axis ints or tuples (repeated axes), axis None", complex=True))
def roll(a: ArrayIn, shift: IntOrInts, axis: Optional[IntOrInts] = None) -> Out:
    """Elements shifted cyclically by ``shift`` along ``axis`` (``numpy.roll``); ``shift``
    and ``axis`` broadcast together (an axis named twice is shifted by the sum); with
    ``axis=None`` the flattened array is shifted and the shape restored.

    A gather (``numpy.roll`` of the positions): the VJP rolls the cotangent back.
    """
    return _moved(a, np.roll, _plain(shift), axis=axis)


@op(np.flip, spec=Spec(lambda k: k.reduction(keepdims=False), "axis None, an int or a tuple", complex=True))
def flip(m: ArrayIn, axis: Optional[IntOrInts] = None) -> Out:
    """The order of elements reversed along ``axis`` (all axes for None) (``numpy.flip``).

    Raises ValueError for an axis out of range or repeated. Linear: basic indexing with
    step -1, whose VJP flips the cotangent back.
    """
    m = _array(m)
    ndim = np.ndim(primal(m))
    axes = normalize_axes("flip", axis, ndim)
    return getitem(m, tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(ndim)))


@op(np.fliplr, spec=Spec(lambda k: k.shaped(2), "2-D or more", complex=True))
def fliplr(m: ArrayIn) -> Out:
    """Columns in reverse order: :func:`flip` along axis 1 (``numpy.fliplr``).

    Raises ValueError for an array of fewer than 2 dimensions. Linear (basic indexing).
    """
    m = _array(m)
    if np.ndim(primal(m)) < 2:
        raise ValueError(f"fliplr: needs an array of at least 2 dimensions, got shape {np.shape(primal(m))}")
    return getitem(m, (slice(None), slice(None, None, -1)))


@op(np.flipud, spec=Spec(lambda k: k.shaped(1), "1-D or more", complex=True))
def flipud(m: ArrayIn) -> Out:
    """Rows in reverse order: :func:`flip` along axis 0 (``numpy.flipud``).

    Raises ValueError for a 0-d array. Linear (basic indexing).
    """
    m = _array(m)
    if np.ndim(primal(m)) < 1:
        raise ValueError("flipud: needs an array of at least 1 dimension, got a 0-d array")
    return getitem(m, (slice(None, None, -1),))


@op(np.rot90, spec=Spec(lambda k: k.rot90(), "k in [-5, 5], any two distinct axes", complex=True))
def rot90(m: ArrayIn, k: Integral = 1, axes: Sequence[int] = (0, 1)) -> Out:
    """``m`` rotated by 90 degrees ``k`` times in the plane of ``axes``, from the first axis
    towards the second (``numpy.rot90``).

    Raises ValueError unless ``axes`` names two different axes of an array of at least 2
    dimensions. Linear: flips (basic indexing) and a :func:`~.shape.transpose`.
    """
    m = _array(m)
    ndim = np.ndim(primal(m))
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must name 2 axes, got {axes!r}")
    if ndim < 2:
        raise ValueError(f"rot90: needs an array of at least 2 dimensions, got shape {np.shape(primal(m))}")
    first, second = normalize_axes("rot90", axes[0], ndim)[0], normalize_axes("rot90", axes[1], ndim)[0]
    if first == second:
        raise ValueError(f"rot90: axes {axes!r} name the same axis twice; give two different axes")
    k = int(k) % 4
    if k == 0:
        return getitem(m, ())
    if k == 2:
        return flip(flip(m, first), second)
    swapped = list(range(ndim))
    swapped[first], swapped[second] = second, first
    if k == 1:
        return transpose(flip(m, second), swapped)
    return flip(transpose(m, swapped), second)


@op(np.take, spec=Spec(lambda k: k.take(), "axis None or int, modes raise/wrap/clip, repeated indices", complex=True))
def take(a: ArrayIn, indices: Any, axis: Optional[int] = None, out: Any = None, mode: str = "raise") -> Out:
    """Elements at ``indices`` along ``axis`` (of the flattened array for None) (``numpy.take``):
    the result has shape ``a.shape[:axis] + indices.shape + a.shape[axis + 1:]``.

    ``mode``: ``"raise"`` (negative indices count from the end; out of range raises
    IndexError), ``"wrap"`` (indices modulo the length) or ``"clip"`` (indices clipped to
    ``[0, length - 1]``, negative ones to 0). A gather: repeated indices accumulate their
    cotangents in the VJP.
    """
    no_extras("take", out=out)
    return _moved(a, np.take, _plain(indices), axis=axis, mode=mode)


@op(
    np.take_along_axis,
    spec=Spec(lambda k: k.take_along_axis(), "indices broadcasting off the axis, axis int or None", complex=True),
)
def take_along_axis(arr: ArrayIn, indices: Any, axis: Optional[int] = -1) -> Out:
    """``arr`` indexed along ``axis`` by ``indices`` of the same number of dimensions, the
    other axes matched by broadcasting (``numpy.take_along_axis``); ``axis=None`` indexes
    the flattened array with 1-D ``indices``.

    Raises as NumPy (indices not integer, wrong ndim, out of range). A gather: repeated
    indices accumulate their cotangents.
    """
    return _moved(arr, np.take_along_axis, _plain(indices), axis=axis)


def _sorted_positions(a: Any, axis: Any, order: Callable) -> Any:
    """The flat positions of ``a``'s elements permuted along ``axis`` (of the flattened array
    for None) by ``order(values, axis)``, an argsort or argpartition of the primal values."""
    values = primal(a)
    if type(values) is Traced:  # values at.jit records: the permutation is a recorded step
        return on_values(_sorted_positions_of, values, axis, order)
    return _sorted_positions_of(values, axis, order)


def _sorted_positions_of(values: Any, axis: Any, order: Callable) -> np.ndarray:
    values = np.asarray(values)
    positions = _positions(values.shape)
    if axis is None:
        values, positions, axis = values.ravel(), positions.ravel(), -1
    return np.take_along_axis(positions, _numpy(order, values, axis), axis=axis)


def _stable_argsort(values: np.ndarray, axis: int) -> np.ndarray:
    """NumPy's stable argsort along ``axis``. Without ties (and NaNs) every sort gives that
    permutation, and NumPy's default sort finds it about twice as fast, so ties are checked first."""
    order = np.argsort(values, axis=axis)
    ranked = np.moveaxis(np.take_along_axis(values, order, axis=axis), axis, -1)
    if np.any(ranked[..., 1:] == ranked[..., :-1]) or np.any(np.isnan(ranked[..., -1:])):
        return np.argsort(values, axis=axis, kind="stable")
    return order


_stable_argsort.__name__ = "sort"  # named in its errors


@op(np.sort, spec=Spec(lambda k: k.sort(), "distinct values, axis None/int/default, every kind", complex=True))
def sort(
    a: ArrayIn,
    axis: Optional[int] = -1,
    kind: Optional[str] = None,
    order: Any = None,
    *,
    stable: Optional[bool] = None,
) -> Out:
    """The elements sorted along ``axis`` (of the flattened array for None) (``numpy.sort``;
    complex numbers by real part, then imaginary part; NaN last).

    The values are NumPy's for every ``kind``. The derivative follows the permutation:
    each element's gradient is the cotangent of the place it moved to. Tied elements are
    ordered as by NumPy's stable sort (first come first), whatever ``kind``, so their
    cotangents are assigned consistently (a subgradient: the function is not
    differentiable at ties). This is the rule of HIPS autograd's and JAX's sort: a sort is
    a permutation, linear in the values once the order is fixed. ``order`` (structured
    arrays) must be None on traced values.
    """
    no_extras("sort", order=order)
    _numpy(np.sort, np.zeros(0), kind=kind, stable=stable)  # NumPy's check of kind and stable
    return _gather(a, _sorted_positions(a, axis, _stable_argsort))


@op(
    np.sort_complex,
    spec=Spec(
        lambda k: k.distinct_unary(),
        "distinct values, 1-3 dimensions",
        complex=True,
        float32=False,
        call=_parts_call,
    ),
)
def sort_complex(a: ArrayIn) -> Out:
    """Sorted along the last axis as complex numbers (``numpy.sort_complex``): real input is
    cast to complex128 (complex64 for 8- and 16-bit integers), as NumPy does.

    A :func:`sort` then a cast (:func:`~.shape.astype`): a real operand's gradient is the
    real part of the permuted cotangent.
    """
    out = sort(a)
    dtype = np.result_type(primal(out))
    if dtype.kind == "c":
        return out
    return astype(out, "F" if dtype.char in "bhBH" else "G" if dtype.char == "g" else "D")


@op(
    np.partition,
    spec=Spec(lambda k: k.partition(), "distinct values, kth an int or a sequence, axis None/int", complex=True),
)
def partition(
    a: ArrayIn, kth: Union[int, Sequence[int]], axis: Optional[int] = -1, kind: str = "introselect", order: Any = None
) -> Out:
    """The elements rearranged so that the ``kth`` element along ``axis`` is where a sort
    would put it, smaller ones before and larger after (``numpy.partition``).

    The permutation is ``numpy.argpartition``'s (whose values equal ``numpy.partition``'s),
    and the derivative follows it: each element's gradient is the cotangent of the place
    it moved to. ``order`` must be None on traced values.
    """
    no_extras("partition", order=order)
    kth = _plain(kth)

    def by_partition(values: np.ndarray, ax: int) -> np.ndarray:
        return np.argpartition(values, kth, axis=ax, kind=cast(Any, kind))

    by_partition.__name__ = "partition"  # named in its errors
    return _gather(a, _sorted_positions(a, axis, by_partition))


# --------------------------------------------------------------------------------------
# Inserting, deleting, resizing
# --------------------------------------------------------------------------------------


@op(
    np.insert,
    spec=Spec(
        lambda k: k.insert(), "obj an int, a slice or a sequence; values broadcast; axis None or int", complex=True
    ),
)
def insert(arr: ArrayIn, obj: Any, values: ArrayIn, axis: Optional[int] = None) -> Out:
    """``arr`` with ``values`` inserted before the indices ``obj`` along ``axis`` (of the
    flattened array for None) (``numpy.insert``); ``values`` are cast to ``arr``'s dtype
    and broadcast as NumPy does.

    Differentiable in ``arr`` and ``values``: a gather from both (``numpy.insert`` of
    their positions), so a value inserted several times collects the cotangents of its
    copies.
    """
    dtype = _dtype(arr)
    arr_shape, value_shape = np.shape(primal(arr)), np.shape(primal(values))
    size = math.prod(arr_shape)
    positions = _numpy(np.insert, _positions(arr_shape), _plain(obj), size + _positions(value_shape), axis=axis)
    return _gather(concatenate([ravel(arr), _cast(ravel(values), dtype)]), positions)


@op(
    np.delete,
    spec=Spec(lambda k: k.delete(), "obj an int, a slice, a sequence or a mask; axis None or int", complex=True),
)
def delete(arr: ArrayIn, obj: Any, axis: Optional[int] = None) -> Out:
    """``arr`` without the entries ``obj`` along ``axis`` (of the flattened array for None)
    (``numpy.delete``).

    A gather (``numpy.delete`` of the positions): deleted elements get zero gradient.
    """
    return _moved(arr, np.delete, _plain(obj), axis=axis)


@op(
    np.resize,
    spec=Spec(lambda k: k.resize(), "new shapes smaller and larger (elements repeat cyclically)", complex=True),
)
def resize(a: ArrayIn, new_shape: IntOrInts) -> Out:
    """The flattened elements of ``a`` repeated cyclically to fill ``new_shape``
    (``numpy.resize``); an empty ``a`` gives zeros.

    A gather (``numpy.resize`` of the positions): an element copied several times collects
    the cotangents of its copies.
    """
    if np.size(primal(a)) == 0:
        return np.zeros(new_shape, dtype=_dtype(a))
    return _moved(a, np.resize, _plain(new_shape))


# --------------------------------------------------------------------------------------
# Selecting
# --------------------------------------------------------------------------------------


def _select_call(function: Callable, args: tuple, params: dict) -> Any:
    count = params["count"]
    return function(params["conditions"], list(args[:count]), *args[count:])


@op(
    np.select,
    spec=Spec(
        lambda k: k.select(),
        "1-3 broadcasting choices, default a float or an array",
        complex=True,
        sequence=True,  # choicelist is a list of arrays, not one array_like
        call=_select_call,
    ),
)
def select(condlist: Sequence[Any], choicelist: Sequence[ArrayIn], default: Any = 0) -> Out:
    """Where ``condlist[i]`` is the first true condition, ``choicelist[i]``; where none is,
    ``default`` (``numpy.select``). Conditions, choices and default broadcast together;
    the dtype is their common type (a Python number in ``default`` does not widen it).

    The conditions are constants (traced ones are read for their values). Differentiable in
    the choices and the default: :func:`~.elementwise.where` from the last choice to the
    first, so each element's cotangent goes to the one operand it came from.

    Raises:
        ValueError: lists of different lengths, or empty.
        TypeError: a condition that is not boolean.
    """
    if len(condlist) != len(choicelist):
        raise ValueError(
            f"select: {len(condlist)} condition(s) but {len(choicelist)} choice(s); give one choice per condition"
        )
    if not condlist:
        raise ValueError("select: the lists of conditions and choices are empty")
    conditions = [_array(_plain(c)) for c in condlist]  # traced by an at.jit recording: kept
    for i, c in enumerate(conditions):
        if c.dtype != np.bool_:
            raise TypeError(f"select: condition {i} has dtype {c.dtype}; conditions must be boolean arrays")
    weak = (int, float, complex)
    operands = [*choicelist, default]
    dtype = np.result_type(*[o if type(o) in weak else _dtype(o) for o in operands])
    result = default if type(default) in weak else _cast(default, dtype)
    for condition, choice in zip(conditions[::-1], list(choicelist)[::-1]):
        result = where(condition, choice if type(choice) in weak else _cast(choice, dtype), result)
    return result


def _choose_call(function: Callable, args: tuple, params: dict) -> Any:
    return function(params["index"], list(args), **{k: v for k, v in params.items() if k != "index"})


@op(
    np.choose,
    spec=Spec(
        lambda k: k.choose(),
        "1-3 broadcasting choices, modes raise/wrap/clip",
        complex=True,
        sequence=True,  # choices is a list of arrays, not one array_like
        call=_choose_call,
    ),
)
def choose(a: Any, choices: Sequence[ArrayIn], out: Any = None, mode: str = "raise") -> Out:
    """``choices[a[i]][i]`` for each position ``i`` of the broadcast shape of ``a`` and the
    choices (``numpy.choose``). ``mode``: ``"raise"`` (an entry of ``a`` outside
    ``[0, len(choices))`` raises ValueError), ``"wrap"`` (modulo) or ``"clip"``.

    ``a`` is a constant; differentiable in the choices (a gather from them).
    """
    no_extras("choose", out=out)
    index = _array(_plain(a))  # traced by an at.jit recording: kept, its arithmetic recorded
    if index.dtype.kind not in "iub":
        raise TypeError(f"choose: the index array a has dtype {index.dtype}; it must be integer")
    choices = (
        list(choices)
        if not isinstance(choices, np.ndarray) and type(choices) is not Traced
        else [getitem(choices, i) for i in range(len(choices))]
    )
    count = len(choices)
    if mode == "raise":
        if index.size and (index.min() < 0 or index.max() >= count):
            raise ValueError(
                f"choose: entries of a must lie in [0, {count}) for {count} choices (or use mode='wrap' or 'clip')"
            )
    elif mode == "wrap":
        index = index % count
    elif mode == "clip":
        index = np.clip(index, 0, count - 1)
    else:
        raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    shape = np.broadcast_shapes(index.shape, *[np.shape(primal(c)) for c in choices])
    dtype = np.result_type(*[_dtype(c) for c in choices])
    stacked = stack([broadcast_to(_cast(c, dtype), shape) for c in choices])
    size = math.prod(shape)
    return _gather(stacked, np.broadcast_to(index, shape) * size + _positions(shape))


@op(
    np.compress,
    spec=Spec(lambda k: k.compress(), "1-D masks (shorter than the axis too), axis None or int", complex=True),
)
def compress(condition: Any, a: ArrayIn, axis: Optional[int] = None, out: Any = None) -> Out:
    """The slices of ``a`` along ``axis`` (of the flattened array for None) where the 1-D
    ``condition`` is true (``numpy.compress``).

    ``condition`` is a constant. A gather: unselected elements get zero gradient.
    """
    no_extras("compress", out=out)
    return _gather(a, _numpy(np.compress, _plain(condition), _positions(np.shape(primal(a))), axis=axis))


@op(np.extract, spec=Spec(lambda k: k.extract(), "conditions of the array's shape", complex=True))
def extract(condition: Any, arr: ArrayIn) -> Out:
    """The elements of ``arr`` where ``condition`` is nonzero, flattened (``numpy.extract``).

    ``condition`` is a constant. A gather: unselected elements get zero gradient.
    """
    return _gather(arr, _numpy(np.extract, _plain(condition), _positions(np.shape(primal(arr)))))


@op(
    np.trim_zeros,
    spec=Spec(
        lambda k: k.trim_zeros(),
        "nonzero values framed by zeros, trim f/b/fb, axis None/int/tuple",
        complex=True,
        call=_trim_zeros_call,
    ),
)
def trim_zeros(filt: ArrayIn, trim: str = "fb", axis: Optional[IntOrInts] = None) -> Any:
    """``filt`` without its leading (``"f"`` in ``trim``) and trailing (``"b"``) zeros along
    ``axis`` (all axes for None: the smallest box holding every nonzero element)
    (``numpy.trim_zeros``). An all-zero array is trimmed to length 0 along ``axis``.

    Where the zeros end is read from the primal values. Linear: basic indexing (slices),
    whose VJP puts the cotangent back in the box and zeros outside it.

    Raises ValueError for ``trim`` other than ``"f"``, ``"b"``, ``"fb"`` (any case), or an
    axis out of range.
    """
    values = primal_array(filt)
    trim = str(trim).lower()
    if trim not in ("fb", "bf", "f", "b"):
        raise ValueError(f"trim_zeros: trim must be 'f', 'b' or 'fb', got {trim!r}")
    axes = normalize_axes("trim_zeros", axis, values.ndim)
    if not axes:
        return filt
    nonzero = np.argwhere(values)
    start: Any = [0] * values.ndim  # all zeros: trimmed to length 0, whatever trim says (as NumPy)
    stop: Any = start
    if len(nonzero):
        start = nonzero.min(axis=0) if "f" in trim else [None] * values.ndim
        stop = nonzero.max(axis=0) + 1 if "b" in trim else [None] * values.ndim
    return getitem(
        _array(filt),
        tuple(slice(start[i], stop[i]) if i in axes else slice(None) for i in range(values.ndim)),
    )


# --------------------------------------------------------------------------------------
# bincount: counts are constants; a weighted count is a scatter-add, linear in the weights
# --------------------------------------------------------------------------------------


def _bincount_fwd(weights, *, x, minlength):
    return np.bincount(x, weights, minlength), (x, np.result_type(weights))


def _bincount_vjp(g, x, dtype):
    """Each weight gets the cotangent of its bin: ``g[x]``, in the weights' dtype."""
    return astype(getitem(g, x), dtype)  # an op, not g[x]: a constant g indexed by values at.jit records is recorded


_bincount = defprim("bincount", _bincount_fwd, linear=_bincount_vjp)


@op(
    np.bincount,
    spec=Spec(lambda k: k.bincount(), "non-negative ints, float weights, minlength", float32=False),
    primitives=(_bincount,),
)
def bincount(x: Any, /, weights: Any = None, minlength: int = 0) -> Any:
    """The number of occurrences of each value of the non-negative integers ``x``, or with
    ``weights`` the sum of the weights of each value (``numpy.bincount``; float64, as
    NumPy gives).

    ``x`` is a constant; counts without weights are constants. With weights it is linear
    in them (a scatter-add): the VJP gathers the cotangent, ``g[x]``, and the JVP is the
    weighted count of the tangent.
    """
    plain = _plain(x)
    if weights is None:
        return on_values(np.bincount, plain, minlength=minlength)  # recorded on values at.jit records
    x = plain if type(plain) is Traced else np.asarray(plain)  # traced by an at.jit recording: kept
    return _bincount.bind(weights, x=x, minlength=minlength)


# --------------------------------------------------------------------------------------
# Indices and sets: no useful derivative
# --------------------------------------------------------------------------------------

constant(
    np.argsort,
    np.argpartition,
    np.argwhere,
    np.nonzero,
    np.flatnonzero,
    np.lexsort,
    np.searchsorted,
    np.digitize,
)


def _values_of_groups(rows: Any, first: Any, inverse: Any, counts: Any) -> Any:
    """Each group's value (``rows[first]``, exactly) with the derivative of the group's mean.

    The elements of a group are equal, so their mean is the value; its derivative splits
    the cotangent equally between the repeats, as ties do in ``max`` (a subgradient:
    unique is not differentiable where two elements are equal).
    """
    sums = _index_add.bind(rows, index=inverse, shape=(len(counts),) + np.shape(primal(rows))[1:])
    sizes = np.reshape(counts, (-1,) + (1,) * (np.ndim(primal(rows)) - 1)).astype(np.result_type(primal(rows)))
    mean = sums / sizes  # in the elements' dtype: float32 stays float32
    fixed = primal(mean)
    return primal(rows)[first] + (mean - fixed)


@op(np.unique, spec=Spec(lambda k: k.unique(), "pairwise distinct values (repeats: exact tests); axis None or int"))
def unique(
    ar: Any,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: Optional[int] = None,
    *,
    equal_nan: bool = True,
    **kwargs: Any,
) -> Any:
    """``numpy.unique``: the sorted unique elements (or slices along ``axis``), differentiable in them.

    The indices, inverse and counts it can also return are constants. The derivative of
    each unique value is split equally among the elements equal to it (NumPy picks one of
    them; any split is a subgradient, and the equal one matches ties in ``max``).

    Raises:
        ValueError: as ``numpy.unique`` (e.g. an axis out of range).
    """
    raw = primal(ar)
    _, first, inverse, counts = np.unique(
        raw, return_index=True, return_inverse=True, return_counts=True, axis=axis, equal_nan=equal_nan, **kwargs
    )
    if axis is None:
        rows = ravel(ar)
        values = _values_of_groups(rows, first, np.ravel(inverse), counts)
    else:
        (ax,) = normalize_axes("unique", axis, np.ndim(raw))
        moved = np.moveaxis(ar, ax, 0)
        rows = reshape(moved, (np.shape(raw)[ax], -1))
        grouped = _values_of_groups(rows, first, np.ravel(inverse), counts)
        values = np.moveaxis(reshape(grouped, (len(counts),) + np.shape(primal(moved))[1:]), 0, ax)
    extras = [e for e, wanted in ((first, return_index), (inverse, return_inverse), (counts, return_counts)) if wanted]
    return (values, *extras) if extras else values

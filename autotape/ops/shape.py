"""Primitives that move elements without arithmetic: reshape, transpose, broadcast,
indexing, concatenation, stacking, and dtype casts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

from .. import _config
from .._types import Array, Integral, Nested, Scalar, Shaped
from ..tracer import Traced, concrete, primal
from .reductions import normalize_axes
from .registry import Spec, defprim, no_extras, on_values, op

__all__ = ["reshape", "transpose", "broadcast_to", "getitem", "concatenate", "stack", "astype"]

ArrayIn = Union[Shaped[Array, "..."], Scalar, Nested]


def _reshape_fwd(x, *, shape):
    in_shape = np.shape(x)
    try:
        out = np.reshape(x, shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape an array of shape {in_shape} ({int(np.prod(in_shape))} elements) "
            f"into shape {tuple(shape) if not isinstance(shape, int) else (shape,)}; the number of "
            "elements must stay the same (one dimension may be -1)"
        ) from None
    return out, (in_shape,)


def _reshape_impl(x, *, shape):
    return np.reshape(x, shape)


_reshape = defprim(
    "reshape", _reshape_fwd, linear=lambda g, in_shape: np.reshape(g, in_shape), impl=_reshape_impl, check=_reshape_fwd
)


def _transpose_fwd(x, *, axes=None):
    ndim = np.ndim(x)
    if axes is None:
        perm = tuple(range(ndim))[::-1]
    else:
        perm = tuple(int(a) % ndim if -ndim <= int(a) < ndim else -1 for a in axes)
    if sorted(perm) != list(range(ndim)):
        raise ValueError(
            f"transpose: axes {axes!r} are not a permutation of the {ndim} axes of an array of shape {np.shape(x)}"
        )
    return np.transpose(x, perm), (tuple(int(i) for i in np.argsort(perm)),)


def _transpose_impl(x, *, axes=None):
    return np.transpose(x, axes)


_transpose = defprim(
    "transpose",
    _transpose_fwd,
    linear=lambda g, inverse: np.transpose(g, inverse),
    impl=_transpose_impl,
    check=_transpose_fwd,
)


def _broadcast_to_fwd(x, *, shape):
    try:
        return np.broadcast_to(x, shape), ()
    except ValueError:
        raise ValueError(
            f"broadcast_to: an array of shape {np.shape(x)} cannot be broadcast to shape {shape}"
        ) from None


def _broadcast_to_impl(x, *, shape):
    return np.broadcast_to(x, shape)


# The engine sums the cotangent back to the operand's shape, which is this VJP exactly.
_broadcast_to = defprim(
    "broadcast_to", _broadcast_to_fwd, linear=lambda g: g, impl=_broadcast_to_impl, check=_broadcast_to_fwd
)


def _plain_index(index):
    """The index with traced parts replaced by their values, and lists by integer arrays."""
    if isinstance(index, tuple):
        return tuple(_plain_index(part) for part in index)
    if type(index) is Traced:
        index = primal(index)  # traced by an at.jit recording: kept (see _getitem_fwd)
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind not in "iub":
        raise IndexError(f"getitem: index arrays must be integer or boolean, got dtype {index.dtype}")
    return index


def _getitem_fwd(x, *, index):
    if _config.jit_recording and type(x) is not Traced:
        # On at.jit's recording tape: index with the plain values of recorded index arrays,
        # which the recording recognises by identity (the rules keep the traced index).
        return x[_plain_parts(index)], (np.shape(x), index)
    return x[index], (np.shape(x), index)


def _plain_parts(index: Any) -> Any:
    if type(index) is tuple:
        return tuple(concrete(part) for part in index)
    return concrete(index)


def _getitem_impl(x, *, index):
    return x[index]


def _index_add_fwd(g, *, index, shape):
    if type(g) is Traced:
        return _index_add.bind(g, index=index, shape=shape), (index,)
    if _config.jit_recording:
        index = _plain_parts(index)
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)  # repeated integer indices accumulate
    return out, (index,)


def _is_basic(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


_getitem = defprim(
    "getitem",
    _getitem_fwd,
    linear=lambda g, shape, index: _index_add.bind(g, index=index, shape=shape),
    impl=_getitem_impl,
)
# The adjoint of indexing: scatter-add into zeros. Its own VJP is indexing again.
_index_add: Any = defprim("index_add", _index_add_fwd, linear=lambda g, index: g[index])


def _concatenate_fwd(*arrays, axis=0):
    shapes = [np.shape(a) for a in arrays]
    if not arrays:
        raise ValueError("concatenate: need at least one array")
    ndim = len(shapes[0])
    if ndim == 0:
        raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated; use stack")
    (ax,) = normalize_axes("concatenate", axis, ndim)
    for i, s in enumerate(shapes):
        if len(s) != ndim or s[:ax] + s[ax + 1 :] != shapes[0][:ax] + shapes[0][ax + 1 :]:
            raise ValueError(
                f"concatenate: array 0 has shape {shapes[0]} but array {i} has shape {s}; all "
                f"dimensions except axis {ax} must match"
            )
    bounds = np.cumsum([0] + [s[ax] for s in shapes])
    out = np.concatenate(arrays, axis=ax)
    return out, (ax, tuple(bounds), out.shape)


def _concatenate_impl(*arrays, axis=0):
    return np.concatenate(arrays, axis=axis)


def _piece(i, ax, bounds):
    return (slice(None),) * ax + (slice(int(bounds[i]), int(bounds[i + 1])),)


# Linear in the operands jointly: operand i's cotangent is its slice of g, and its
# tangent fills its slice of a zero output.
_concatenate = defprim(
    "concatenate",
    _concatenate_fwd,
    (lambda i, g, ax, bounds, out_shape: g[_piece(i, ax, bounds)],),
    (lambda i, t, ax, bounds, out_shape: _index_add.bind(t, index=_piece(i, ax, bounds), shape=out_shape),),
    variadic=True,
    impl=_concatenate_impl,
    check=_concatenate_fwd,
)


def _stack_fwd(*arrays, axis=0):
    if not arrays:
        raise ValueError("stack: need at least one array")
    shapes = [np.shape(a) for a in arrays]
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise ValueError(f"stack: array 0 has shape {shapes[0]} but array {i} has shape {s}; all must match")
    (ax,) = normalize_axes("stack", axis, len(shapes[0]) + 1)
    out = np.stack(arrays, axis=ax)
    return out, (ax, out.shape)


def _stack_impl(*arrays, axis=0):
    return np.stack(arrays, axis=axis)


_stack = defprim(
    "stack",
    _stack_fwd,
    (lambda i, g, ax, out_shape: g[(slice(None),) * ax + (i,)],),
    (lambda i, t, ax, out_shape: _index_add.bind(t, index=(slice(None),) * ax + (i,), shape=out_shape),),
    variadic=True,
    impl=_stack_impl,
    check=_stack_fwd,
)


def _astype_fwd(x, *, dtype):
    return x.astype(dtype), (np.result_type(x),)


def _astype_impl(x, *, dtype):
    return np.asarray(x).astype(dtype)


def _cast_back(g, dtype):
    """The cotangent of a cast, in the operand's dtype: a real operand takes the real part
    of a complex cotangent (the transpose of the embedding of R in C)."""
    if np.dtype(dtype).kind != "c" and g.dtype.kind == "c":
        g = np.real(g)
    return g.astype(dtype)


_astype = defprim("astype", _astype_fwd, linear=_cast_back, impl=_astype_impl)


@op(
    np.reshape,
    spec=Spec(lambda k: k.reshape(), "any factorization, one -1", complex=True),
    primitives=(_reshape,),
)
def reshape(
    a: ArrayIn,
    shape: Union[int, Sequence[int], None] = None,
    order: str = "C",
    *,
    newshape: Union[int, Sequence[int], None] = None,
    copy: Optional[bool] = None,
) -> Shaped[Array, ...]:
    """Same elements in a new shape (``numpy.reshape``, C order); one dimension may be -1.

    Raises ValueError naming both shapes when the element counts differ, TypeError for an
    order other than ``"C"``. Linear: the VJP reshapes the cotangent back to ``a``'s shape.
    """
    if order != "C":
        raise TypeError(f"numpy.reshape: order={order!r} is not supported on traced values; use the default 'C'")
    shape = newshape if shape is None else shape
    if shape is None:
        raise TypeError("reshape: give the new shape")
    return _reshape.bind(a, shape=tuple(shape) if not isinstance(shape, (int, np.integer)) else (int(shape),))


@op(
    np.transpose,
    spec=Spec(lambda k: k.transpose(), "default, None, or a permutation (negative axes too)", complex=True),
    primitives=(_transpose,),
)
def transpose(a: ArrayIn, axes: Optional[Sequence[int]] = None) -> Shaped[Array, ...]:
    """Permute axes (``numpy.transpose``); reverses them when ``axes`` is None.

    Raises ValueError if ``axes`` is not a permutation. Linear: the VJP applies the
    inverse permutation.
    """
    return _transpose.bind(a, axes=None if axes is None else tuple(axes))


@op(
    np.broadcast_to,
    spec=Spec(lambda k: k.broadcast_to(), "new leading axes, length-1 axes stretched", complex=True),
    primitives=(_broadcast_to,),
)
def broadcast_to(array: ArrayIn, shape: Union[int, Sequence[int]], subok: bool = False) -> Shaped[Array, ...]:
    """Broadcast ``array`` to ``shape`` (``numpy.broadcast_to``, a read-only view).

    Raises ValueError if the shapes are incompatible. Linear: the VJP sums the cotangent
    back to ``array``'s shape.
    """
    return _broadcast_to.bind(array, shape=(shape,) if isinstance(shape, (int, np.integer)) else tuple(shape))


@op(
    module="autotape",
    spec=Spec(
        lambda k: k.getitem(),
        "basic, integer-array (repeats), boolean-mask, mixed",
        reference=lambda x, index: x[index],
        complex=True,
    ),
    primitives=(_getitem, _index_add),
    pack=False,  # an index tuple is not an array: x[(rows, labels)] with traced labels stays a tuple
)
def getitem(x: Shaped[Array, ...], index: Any) -> Shaped[Array, ...]:
    """``x[index]`` with NumPy's basic (ints, slices, None, ...) and advanced (integer or
    boolean arrays) indexing.

    Raises IndexError as NumPy does. Linear: the VJP scatters the cotangent into zeros of
    ``x``'s shape, repeated integer indices accumulating (``numpy.add.at``).
    """
    return _getitem.bind(x, index=_plain_index(index))


@op(
    np.concatenate,
    spec=Spec(lambda k: k.concatenate(), "1-3 arrays, any axis", sequence=True, complex=True),
    primitives=(_concatenate,),
)
def concatenate(
    arrays: Sequence[Any], axis: Optional[int] = 0, out: Any = None, *, dtype: Any = None, casting: str = "same_kind"
) -> Shaped[Array, ...]:
    """Join arrays along an existing axis (``numpy.concatenate``); ``axis=None``
    flattens them first, as NumPy does.

    Raises ValueError naming the first shape that differs off ``axis``.
    Linear: the VJP slices the cotangent back into one piece per input.
    """
    no_extras("concatenate", out=out)
    arrays = [astype(a, dtype) for a in arrays] if dtype is not None else arrays
    if axis is None:
        return _concatenate.bind(*[reshape(a, (-1,)) for a in arrays], axis=0)
    return _concatenate.bind(*arrays, axis=axis)


@op(
    np.stack,
    spec=Spec(lambda k: k.stack(), "1-3 arrays (0-d too), any axis", sequence=True, complex=True),
    primitives=(_stack,),
)
def stack(
    arrays: Sequence[Any], axis: int = 0, out: Any = None, *, dtype: Any = None, casting: str = "same_kind"
) -> Shaped[Array, ...]:
    """Join same-shaped arrays along a new axis (``numpy.stack``).

    Raises ValueError naming the first shape that differs. Linear: the VJP takes one
    slice per input.
    """
    no_extras("stack", out=out)
    arrays = [astype(a, dtype) for a in arrays] if dtype is not None else arrays
    return _stack.bind(*arrays, axis=axis)


def _astype_reference(x, dtype, copy=True):
    return np.asarray(x).astype(dtype)


@op(
    *((np.astype,) if hasattr(np, "astype") else ()),
    spec=Spec(lambda k: k.astype(), "float64 targets, various spellings", reference=_astype_reference, float32=False),
    primitives=(_astype,),
)
def astype(x: ArrayIn, dtype: Any, *, copy: bool = True, device: Any = None) -> Shaped[Array, "*shape"]:
    """Cast to ``dtype`` (``numpy.astype``, ``ndarray.astype``).

    Between floating (or complex) dtypes the VJP casts the cotangent back to ``x``'s
    dtype, taking its real part for a real ``x``. A cast to an integer or boolean dtype is
    piecewise constant, so its result is a constant (derivative 0 almost everywhere, as
    in JAX) and no gradient flows through it.
    """
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":
        return on_values(_plain_cast, x, dtype)
    return _astype.bind(x, dtype=dtype)


def _plain_cast(x: Any, dtype: np.dtype) -> Any:
    return np.asarray(x).astype(dtype)


# --------------------------------------------------------------------------------------
# Composites: moves of elements written with reshape and transpose
# --------------------------------------------------------------------------------------


@op(np.ravel, spec=Spec(lambda k: k.unary(), "any shape", complex=True))
def ravel(a: ArrayIn, order: str = "C") -> Shaped[Array, " n"]:
    """The elements as a 1-D array, C order (``numpy.ravel``, ``ndarray.flatten``).

    Raises TypeError for an order other than "C" (or "K"/"A", which are C order for
    the arrays autotape makes). Linear (a :func:`reshape`).
    """
    if order not in ("C", "K", "A"):
        raise TypeError(f"numpy.ravel: order={order!r} is not supported on traced values; use the default 'C'")
    return reshape(a, (-1,))


@op(np.squeeze, spec=Spec(lambda k: k.squeeze(), "unit axes, axis None, an int or a tuple", complex=True))
def squeeze(a: ArrayIn, axis: Union[int, Sequence[int], None] = None) -> Shaped[Array, ...]:
    """Drop axes of length 1 (``numpy.squeeze``): all of them, or those in ``axis``.

    Raises ValueError naming the axis when one in ``axis`` does not have length 1.
    Linear (a :func:`reshape`).
    """
    shape = np.shape(primal(a))
    axes = (
        normalize_axes("squeeze", axis, len(shape)) if axis is not None else [i for i, n in enumerate(shape) if n == 1]
    )
    for ax in axes:
        if shape[ax] != 1:
            raise ValueError(f"squeeze: axis {ax} of shape {shape} has length {shape[ax]}, not 1")
    return reshape(a, tuple(n for i, n in enumerate(shape) if i not in axes))


@op(np.expand_dims, spec=Spec(lambda k: k.expand_dims(), "an int or a tuple of new axes", complex=True))
def expand_dims(a: ArrayIn, axis: Union[int, Sequence[int]]) -> Shaped[Array, ...]:
    """Insert axes of length 1 at the positions ``axis`` of the result (``numpy.expand_dims``).

    Raises ValueError for an axis out of range or repeated. Linear (a :func:`reshape`).
    """
    shape = list(np.shape(primal(a)))
    axes = normalize_axes("expand_dims", axis, len(shape) + (1 if isinstance(axis, (int, np.integer)) else len(axis)))
    for ax in axes:
        shape.insert(ax, 1)
    return reshape(a, shape)


@op(np.swapaxes, spec=Spec(lambda k: k.two_axes(), "any two axes (negative too)", complex=True))
def swapaxes(a: ArrayIn, axis1: Integral, axis2: Integral) -> Shaped[Array, ...]:
    """Exchange two axes (``numpy.swapaxes``). Linear (a :func:`transpose`)."""
    ndim = np.ndim(primal(a))
    (i,), (j,) = normalize_axes("swapaxes", axis1, ndim), normalize_axes("swapaxes", axis2, ndim)
    perm = list(range(ndim))
    perm[i], perm[j] = perm[j], perm[i]
    return transpose(a, perm)


@op(np.moveaxis, spec=Spec(lambda k: k.moveaxis(), "sources and destinations, ints or tuples", complex=True))
def moveaxis(
    a: ArrayIn, source: Union[int, Sequence[int]], destination: Union[int, Sequence[int]]
) -> Shaped[Array, ...]:
    """Move axes to new positions, the others keeping their order (``numpy.moveaxis``).

    Raises ValueError when ``source`` and ``destination`` differ in length, or for an
    axis out of range or repeated. Linear (a :func:`transpose`).
    """
    ndim = np.ndim(primal(a))
    sources = [normalize_axes("moveaxis", s, ndim)[0] for s in np.atleast_1d(source)]
    destinations = [normalize_axes("moveaxis", d, ndim)[0] for d in np.atleast_1d(destination)]
    if len(sources) != len(destinations) or len(set(sources)) != len(sources):
        raise ValueError(
            f"moveaxis: source {source!r} and destination {destination!r} must name the same number of distinct axes"
        )
    order = [i for i in range(ndim) if i not in sources]
    for dest, src in sorted(zip(destinations, sources)):
        order.insert(dest, src)
    return transpose(a, order)


@op(np.rollaxis, spec=Spec(lambda k: k.rollaxis(), "an axis and a start position", complex=True))
def rollaxis(a: ArrayIn, axis: int, start: int = 0) -> Shaped[Array, ...]:
    """Move ``axis`` to before position ``start`` (``numpy.rollaxis``). Linear (a :func:`transpose`)."""
    ndim = np.ndim(primal(a))
    (axis,) = normalize_axes("rollaxis", axis, ndim)
    if not -ndim <= start <= ndim:
        raise ValueError(f"rollaxis: start {start} is out of range for {ndim} dimensions; use [{-ndim}, {ndim}]")
    start = start + ndim if start < 0 else start
    order = list(range(ndim))
    order.remove(axis)
    order.insert(start - 1 if axis < start else start, axis)
    return transpose(a, order)


@op(np.copy, spec=Spec(lambda k: k.unary(), "any shape", complex=True))
def copy(a: ArrayIn, order: str = "K", subok: bool = False) -> Shaped[Array, ...]:
    """``numpy.copy``: the same values, as a new array (a new traced value, through
    ``positive``, whose derivative is the identity), so that in-place operators on the
    copy never alias the original."""
    if type(a) is Traced:
        return np.positive(a)
    return np.copy(np.asarray(a), order=order)  # type: ignore[call-overload]


# --------------------------------------------------------------------------------------
# Arrays built from nested lists of traced values (NumPy's own constructors cannot see them)
# --------------------------------------------------------------------------------------


def _holds_traced(value: Any) -> bool:
    if type(value) is Traced:
        return True
    return isinstance(value, (list, tuple)) and any(_holds_traced(v) for v in value)


def _built(value: Any) -> Any:
    """A nested list or tuple of traced values, arrays and numbers as one array (stacked)."""
    if type(value) is Traced:
        return value
    if isinstance(value, (list, tuple)):
        parts = [_built(v) for v in value]
        if any(type(p) is Traced for p in parts):
            shapes = {np.shape(primal(p)) for p in parts}
            if len(shapes) > 1:
                raise ValueError(
                    f"array: the nested sequence is ragged (elements of shapes {sorted(shapes)}); "
                    "every element along an axis must have the same shape"
                )
            return stack(parts)
        return np.array(parts)
    return value


@op(
    module="numpy",
    spec=Spec(
        lambda k: k.rows(), "1-3 arrays (0-d too), as stacked rows", reference=np.array, sequence=True, complex=True
    ),
)
def array(
    object: Any,
    dtype: Any = None,
    *,
    copy: Any = True,
    order: str = "K",
    subok: bool = False,
    ndmin: int = 0,
    like: Any = None,
) -> Any:
    """``numpy.array`` that also builds an array from nested lists of traced values.

    ``array([x, 2 * x])`` stacks its elements (as ``numpy.array`` would), so the result is
    traced and differentiable in each element. Without traced values it is
    ``numpy.array`` itself. NumPy's own ``np.array`` cannot see traced values inside a
    list (it raises autotape's "cannot be converted" error pointing here).

    Raises:
        ValueError: a ragged nested sequence.
    """
    if not _holds_traced(object):
        return np.array(object, dtype=dtype, copy=copy, order=order, subok=subok, ndmin=ndmin)  # type: ignore[call-overload]
    out = _built(object)
    if dtype is not None:
        out = astype(out, dtype)
    ndim = np.ndim(primal(out))
    if ndmin > ndim:
        out = reshape(out, (1,) * (ndmin - ndim) + np.shape(primal(out)))
    return out


@op(
    module="numpy",
    spec=Spec(
        lambda k: k.rows(), "1-3 arrays (0-d too), as stacked rows", reference=np.asarray, sequence=True, complex=True
    ),
)
def asarray(
    a: Any, dtype: Any = None, order: Any = None, *, device: Any = None, copy: Any = None, like: Any = None
) -> Any:
    """``numpy.asarray`` that also accepts traced values and nested lists of them (see :func:`array`)."""
    if not _holds_traced(a):
        return np.asarray(a, dtype=dtype, order=order, copy=copy)
    out = _built(a)
    return out if dtype is None else astype(out, dtype)


@op(
    np.full_like,
    spec=Spec(lambda k: k.full_like(), "a constant array's shape; a traced fill value (0-d or broadcasting)"),
)
def full_like(
    a: Any, fill_value: Any, dtype: Any = None, order: str = "K", subok: bool = True, shape: Any = None, **kwargs: Any
) -> Any:
    """``numpy.full_like``: an array of ``a``'s shape (or ``shape``) and dtype filled with
    ``fill_value``, differentiable in ``fill_value`` (its derivative sums the cotangent, as
    a broadcast's does); ``a`` only gives the shape, so it is never differentiated.

    ``np.full_like`` with a plain ``a`` and a traced ``fill_value`` does not reach autotape
    (NumPy dispatches on ``a`` only): call ``autotape.numpy.full_like`` there.
    """
    raw = primal(a)
    target = np.shape(raw) if shape is None else ((shape,) if isinstance(shape, (int, np.integer)) else tuple(shape))
    kind = np.dtype(dtype) if dtype is not None else np.result_type(raw)
    if not _holds_traced(fill_value):
        return np.full_like(raw, primal(fill_value), dtype=dtype, order=order, subok=subok, shape=shape, **kwargs)  # type: ignore[call-overload]
    return broadcast_to(astype(fill_value, kind), target)


@op(
    module="numpy",
    spec=Spec(lambda k: k.full(), "a traced fill value (0-d or broadcasting)", reference=np.full),
)
def full(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C", **kwargs: Any) -> Any:
    """``numpy.full``: an array of ``shape`` filled with ``fill_value``, differentiable in
    ``fill_value`` (see :func:`full_like`). NumPy's own ``np.full`` cannot see a traced
    fill value (it does not dispatch on it): use ``autotape.numpy.full``."""
    if not _holds_traced(fill_value):
        return np.full(shape, fill_value, dtype=dtype, order=order, **kwargs)  # type: ignore[call-overload]
    target = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    kind = np.dtype(dtype) if dtype is not None else np.result_type(primal(fill_value))
    return broadcast_to(astype(fill_value, kind), target)

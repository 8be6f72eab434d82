"""Primitives that move elements without arithmetic: reshape, transpose, broadcast,
indexing, concatenation, stacking, and dtype casts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional, Union

import numpy as np

from .._types import Array, Nested, Scalar, Shaped
from ..primitive import Primitive
from ..tracer import Traced, primal
from .reductions import normalize_axes

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


_reshape = Primitive(_reshape_fwd, name="reshape", impl=_reshape_impl, check=_reshape_fwd).defvjp(
    lambda g, in_shape: np.reshape(g, in_shape)
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


_transpose = Primitive(_transpose_fwd, name="transpose", impl=_transpose_impl, check=_transpose_fwd).defvjp(
    lambda g, inverse: np.transpose(g, inverse)
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
_broadcast_to = Primitive(
    _broadcast_to_fwd, name="broadcast_to", impl=_broadcast_to_impl, check=_broadcast_to_fwd
).defvjp(lambda g: g)


def _plain_index(index):
    """The index with traced parts replaced by their values, and lists by integer arrays."""
    if isinstance(index, tuple):
        return tuple(_plain_index(part) for part in index)
    if type(index) is Traced:
        index = primal(index)
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind not in "iub":
        raise IndexError(f"getitem: index arrays must be integer or boolean, got dtype {index.dtype}")
    return index


def _getitem_fwd(x, *, index):
    return x[index], (np.shape(x), index)


def _getitem_impl(x, *, index):
    return x[index]


def _index_add_fwd(g, *, index, shape):
    if type(g) is Traced:
        return _index_add.bind(g, index=index, shape=shape), (index,)
    out = np.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        out[index] = g
    else:
        np.add.at(out, index, g)  # repeated integer indices accumulate
    return out, (index,)


def _is_basic(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (int, np.integer, slice)) for p in parts)


_getitem = Primitive(_getitem_fwd, name="getitem", impl=_getitem_impl).defvjp(
    lambda g, shape, index: _index_add.bind(g, index=index, shape=shape)
)
# The adjoint of indexing: scatter-add into zeros. Its own VJP is indexing again.
_index_add: Primitive = Primitive(_index_add_fwd, name="index_add").defvjp(lambda g, index: g[index])


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
    return np.concatenate(arrays, axis=ax), (ax, tuple(bounds))


def _concatenate_impl(*arrays, axis=0):
    return np.concatenate(arrays, axis=axis)


def _concatenate_vjp(i, g, ax, bounds):
    return g[(slice(None),) * ax + (slice(int(bounds[i]), int(bounds[i + 1])),)]


_concatenate = Primitive(
    _concatenate_fwd, name="concatenate", impl=_concatenate_impl, check=_concatenate_fwd
).defvjp_variadic(_concatenate_vjp)


def _stack_fwd(*arrays, axis=0):
    if not arrays:
        raise ValueError("stack: need at least one array")
    shapes = [np.shape(a) for a in arrays]
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise ValueError(f"stack: array 0 has shape {shapes[0]} but array {i} has shape {s}; all must match")
    (ax,) = normalize_axes("stack", axis, len(shapes[0]) + 1)
    return np.stack(arrays, axis=ax), (ax,)


def _stack_impl(*arrays, axis=0):
    return np.stack(arrays, axis=axis)


_stack = Primitive(_stack_fwd, name="stack", impl=_stack_impl, check=_stack_fwd).defvjp_variadic(
    lambda i, g, ax: g[(slice(None),) * ax + (i,)]
)


def _astype_fwd(x, *, dtype):
    return x.astype(dtype), (np.result_type(x),)


def _astype_impl(x, *, dtype):
    return np.asarray(x).astype(dtype)


_astype = Primitive(_astype_fwd, name="astype", impl=_astype_impl).defvjp(lambda g, dtype: g.astype(dtype))


def reshape(x: ArrayIn, shape: Union[int, Sequence[int]]) -> Shaped[Array, ...]:
    """Same elements in a new shape (``numpy.reshape``, C order); one dimension may be -1.

    Raises ValueError naming both shapes when the element counts differ.
    VJP: the cotangent reshaped back to ``x``'s shape.
    """
    return _reshape.bind(x, shape=tuple(shape) if not isinstance(shape, (int, np.integer)) else (int(shape),))


def transpose(x: ArrayIn, axes: Optional[Sequence[int]] = None) -> Shaped[Array, ...]:
    """Permute axes (``numpy.transpose``); reverses them when ``axes`` is None.

    Raises ValueError if ``axes`` is not a permutation. VJP: the inverse permutation.
    """
    return _transpose.bind(x, axes=None if axes is None else tuple(axes))


def broadcast_to(x: ArrayIn, shape: Sequence[int]) -> Shaped[Array, ...]:
    """Broadcast ``x`` to ``shape`` (``numpy.broadcast_to``, a read-only view).

    Raises ValueError if the shapes are incompatible. VJP: summed back to ``x``'s shape.
    """
    return _broadcast_to.bind(x, shape=tuple(shape))


def getitem(x: Shaped[Array, ...], index) -> Shaped[Array, ...]:
    """``x[index]`` with NumPy's basic (ints, slices, None, ...) and advanced (integer or
    boolean arrays) indexing.

    Raises IndexError as NumPy does. VJP: the cotangent scattered into zeros of
    ``x``'s shape, with repeated integer indices accumulating (``numpy.add.at``).
    """
    return _getitem.bind(x, index=_plain_index(index))


def concatenate(arrays: Sequence[Shaped[Array, ...]], axis: Optional[int] = 0) -> Shaped[Array, ...]:
    """Join arrays along an existing axis (``numpy.concatenate``); ``axis=None``
    flattens them first, as NumPy does.

    Raises ValueError naming the first shape that differs off ``axis``.
    VJP: the cotangent sliced back into one piece per input.
    """
    if axis is None:
        return _concatenate.bind(*[reshape(a, (-1,)) for a in arrays], axis=0)
    return _concatenate.bind(*arrays, axis=axis)


def stack(arrays: Sequence[Shaped[Array, ...]], axis: int = 0) -> Shaped[Array, ...]:
    """Join same-shaped arrays along a new axis (``numpy.stack``).

    Raises ValueError naming the first shape that differs. VJP: one slice per input.
    """
    return _stack.bind(*arrays, axis=axis)


def astype(x: Shaped[Array, "*shape"], dtype) -> Shaped[Array, "*shape"]:
    """Cast to ``dtype`` (``ndarray.astype``).

    Between floating dtypes the VJP casts the cotangent back to ``x``'s dtype. A cast
    to an integer or boolean dtype is piecewise constant, so its result is a constant
    (derivative 0 almost everywhere, as in JAX) and no gradient flows through it.
    """
    dtype = np.dtype(dtype)
    if dtype.kind not in "fc":
        return np.asarray(primal(x)).astype(dtype)
    return _astype.bind(x, dtype=dtype)

"""Hypothesis strategies for property-based tests of differentiable code.

This module needs `hypothesis <https://hypothesis.readthedocs.io>`_ installed
(``pip install "autotape[testing]"``, or just ``pip install hypothesis``); importing
:mod:`autotape.testing` alone does not. It builds on ``hypothesis.extra.numpy``
and adds what a gradient test needs on top of it:

- :func:`float_arrays`: float arrays of given or drawn shapes and dtypes, with
  bounded elements, optionally kept away from an op's kinks (``away_from=0.0`` for
  ``abs``/``relu``, ``min_value=0.0, away_from=0.0`` for ``sqrt``/``log``);
- :func:`untied_arrays`: operands that never tie, for ``maximum``/``minimum``/``clip``;
  :func:`distinct_arrays`: arrays whose elements are pairwise apart, for ``max``;
- :func:`broadcastable_shapes`, :func:`broadcastable_arrays`: operands of
  broadcast-compatible shapes (from ``hypothesis.extra.numpy.mutually_broadcastable_shapes``);
- :func:`mlp_params`: parameter pytrees for a multi-layer perceptron;
- :func:`programs`: random differentiable programs (a :class:`Program` is a sequence
  of autotape primitives over drawn inputs) that can be run with autotape, with
  NumPy, or with any NumPy-like module such as ``autograd.numpy``, for differential
  testing.

Example, a property of ``tanh``'s gradient::

    from hypothesis import given
    import autotape as at
    from autotape.testing import check_grads
    from autotape.testing import strategies as ats

    @given(ats.float_arrays(), ats.seeds())
    def test_tanh_gradient(x, seed):
        check_grads(lambda x: at.sum(at.tanh(x)), (x,), order=2, seed=seed)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, Union

import numpy as np
from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from jaxtyping import Float

from .._public import public_dir

__all__ = [
    "float_arrays",
    "untied_arrays",
    "distinct_arrays",
    "broadcastable_shapes",
    "broadcastable_arrays",
    "mlp_params",
    "mlp_layer_sizes",
    "seeds",
    "programs",
    "Program",
    "Step",
    "Ref",
    "PROGRAM_OPS",
    "numpy_backend",
]
__dir__ = public_dir(globals(), __all__)

FloatArray = Float[np.ndarray, "*shape"]
Shape = tuple[int, ...]
ShapeArg = Union[int, Sequence[int], st.SearchStrategy, None]
DTypeArg = Union[type, str, np.dtype, st.SearchStrategy]


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def seeds() -> st.SearchStrategy[int]:
    """Seeds for :func:`~autotape.testing.check_grads` or ``np.random.default_rng``: integers in [0, 2**32).

    Drawing the seed with hypothesis keeps a property deterministic and replayable.

    Example::

        @given(ats.float_arrays(), ats.seeds())
        def test_exp(x, seed):
            check_grads(at.exp, (x,), seed=seed)
    """
    return st.integers(0, 2**32 - 1)


def _float_dtype(dtype: Any) -> np.dtype:
    dt = np.dtype(dtype)
    if dt.kind != "f" or dt.itemsize not in (4, 8):
        raise ValueError(f"a float32 or float64 dtype is needed, got {dt}")
    return dt


def _dtypes(dtype: DTypeArg) -> st.SearchStrategy:
    if isinstance(dtype, st.SearchStrategy):
        return dtype.map(_float_dtype)
    return st.just(_float_dtype(dtype))


def _shapes(shape: ShapeArg, min_dims: int, max_dims: int, min_side: int, max_side: int) -> st.SearchStrategy:
    if shape is None:
        return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)
    if isinstance(shape, st.SearchStrategy):
        return shape
    if isinstance(shape, (int, np.integer)):
        return st.just((int(shape),))
    return st.just(tuple(int(n) for n in shape))


def _inward(value: float, dtype: np.dtype, up: bool) -> float:
    """``value`` rounded into ``dtype`` towards the inside of an interval (up for a lower bound)."""
    rounded = np.asarray(value, dtype=dtype)
    if up and rounded < value:
        rounded = np.nextafter(rounded, np.asarray(np.inf, dtype))
    if not up and rounded > value:
        rounded = np.nextafter(rounded, np.asarray(-np.inf, dtype))
    return float(rounded)


def _intervals(min_value: float, max_value: float, away_from: Sequence[float], margin: float) -> list:
    """``[min_value, max_value]`` minus the open ``margin``-neighbourhoods of the points ``away_from``."""
    if not (math.isfinite(min_value) and math.isfinite(max_value)) or min_value > max_value:
        raise ValueError(f"need finite bounds with min_value <= max_value, got [{min_value}, {max_value}]")
    if margin < 0:
        raise ValueError(f"margin must be >= 0, got {margin}")
    pieces = [(float(min_value), float(max_value))]
    for point in sorted(float(p) for p in away_from):
        cut = []
        for lo, hi in pieces:
            if point + margin <= lo or point - margin >= hi:
                cut.append((lo, hi))
                continue
            if lo <= point - margin:
                cut.append((lo, point - margin))
            if point + margin <= hi:
                cut.append((point + margin, hi))
        pieces = cut
    pieces = [(lo, hi) for lo, hi in pieces if lo <= hi]
    if not pieces:
        raise ValueError(
            f"no values are left in [{min_value}, {max_value}] at least {margin} away from {list(away_from)}"
        )
    return pieces


def _elements(dtype: np.dtype, intervals: list) -> st.SearchStrategy:
    width: Literal[32, 64] = 32 if dtype.itemsize == 4 else 64
    parts = []
    for lo, hi in intervals:
        lo_d, hi_d = _inward(lo, dtype, up=True), _inward(hi, dtype, up=False)
        if lo_d > hi_d:
            continue
        parts.append(st.floats(lo_d, hi_d, width=width, allow_nan=False, allow_infinity=False, allow_subnormal=False))
    if not parts:
        raise ValueError(f"the intervals {intervals} hold no {dtype} values")
    return st.one_of(parts)


# --------------------------------------------------------------------------------------
# Arrays and shapes
# --------------------------------------------------------------------------------------


def float_arrays(
    shape: ShapeArg = None,
    dtype: DTypeArg = np.float64,
    *,
    min_value: float = -3.0,
    max_value: float = 3.0,
    away_from: Union[float, Sequence[float]] = (),
    margin: float = 0.01,
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 3,
) -> st.SearchStrategy[FloatArray]:
    """Float arrays with bounded elements, optionally kept away from kinks.

    Args:
        shape: a shape (tuple or int), a strategy of shapes, or ``None`` to draw one
            with ``hypothesis.extra.numpy.array_shapes(min_dims, max_dims, min_side, max_side)``.
        dtype: ``float32`` or ``float64``, or a strategy of them (e.g.
            ``st.sampled_from([np.float32, np.float64])``).
        min_value, max_value: the elements' closed range (finite).
        away_from: a point or points the elements keep at least ``margin`` from: ``0.0``
            for ``abs``, ``relu`` (or ``sqrt``/``log`` with ``min_value=0.0``).
        margin: the distance kept from each point of ``away_from``.
        min_dims, max_dims, min_side, max_side: bounds of drawn shapes (``shape=None``).

    Returns:
        A strategy of ``ndarray`` of the given (or drawn) shape and dtype, with finite,
        non-subnormal elements in ``[min_value, max_value]`` and
        ``|element - p| >= margin`` for every ``p`` in ``away_from``.

    Raises:
        ValueError (when called): a non-float dtype, bounds that are not finite or out
            of order, or no values left once the neighbourhoods are removed.

    Example::

        @given(ats.float_arrays(away_from=0.0), ats.seeds())
        def test_abs(x, seed):
            check_grads(lambda x: at.sum(at.abs(x)), (x,), seed=seed)
    """
    points = (away_from,) if isinstance(away_from, (int, float, np.floating)) else tuple(away_from)
    intervals = _intervals(min_value, max_value, points, margin)
    shapes = _shapes(shape, min_dims, max_dims, min_side, max_side)
    return st.tuples(_dtypes(dtype), shapes).flatmap(
        lambda ds: hnp.arrays(ds[0], ds[1], elements=_elements(ds[0], intervals))
    )


def _lattice_elements(k: int, n: int, spacing: float, min_value: float, max_value: float, dtype: np.dtype):
    """Values ``(j + (2k + 1) / (2n)) * spacing`` in the range: lattice ``k`` of ``n`` interleaved lattices."""
    offset = (2 * k + 1) / (2 * n)
    lo = math.ceil(min_value / spacing - offset)
    hi = math.floor(max_value / spacing - offset)
    if lo > hi:
        raise ValueError(f"[{min_value}, {max_value}] is too narrow for a lattice of spacing {spacing}")
    return st.integers(lo, hi).map(lambda j: dtype.type((j + offset) * spacing)), hi - lo + 1


def untied_arrays(
    shapes: Union[int, Sequence[Sequence[int]], st.SearchStrategy] = 2,
    dtype: DTypeArg = np.float64,
    *,
    min_value: float = -3.0,
    max_value: float = 3.0,
    margin: float = 0.01,
) -> st.SearchStrategy[tuple]:
    """Operands that never tie: a tuple of arrays whose elements, at every broadcast
    position, differ pairwise by at least ``2 * margin``, and keep ``margin`` from 0.

    For ``maximum``, ``minimum``, ``clip`` (sort two of them into bounds with
    ``np.minimum``/``np.maximum``) and ``where``: their gradients are smooth only away
    from ties. Array ``k`` of ``n`` takes values on the lattice
    ``(j + (2k + 1) / (2n)) * 2n * margin``; the lattices interleave, so values of
    different arrays never come closer than ``2 * margin``.

    Args:
        shapes: the number of arrays (shapes drawn with :func:`broadcastable_shapes`),
            a sequence of shapes, or a strategy of sequences of shapes.
        dtype: float32 or float64, or a strategy of them.
        min_value, max_value, margin: the elements' range, and the gap.

    Returns:
        A strategy of tuples of ndarrays, one per shape.

    Example::

        @given(ats.untied_arrays(2), ats.seeds())
        def test_maximum(xy, seed):
            check_grads(lambda x, y: at.sum(at.maximum(x, y)), xy, seed=seed)
    """
    if isinstance(shapes, (int, np.integer)):
        shape_strategy = broadcastable_shapes(int(shapes))
    elif isinstance(shapes, st.SearchStrategy):
        shape_strategy = shapes
    else:
        shape_strategy = st.just(tuple(tuple(s) for s in shapes))

    @st.composite
    def draw_arrays(draw):
        shape_list = draw(shape_strategy)
        dt = draw(_dtypes(dtype))
        n = len(shape_list)
        spacing = 2 * n * margin
        out = []
        for k, shape in enumerate(shape_list):
            elements, _ = _lattice_elements(k, n, spacing, min_value, max_value, dt)
            out.append(draw(hnp.arrays(dt, tuple(shape), elements=elements)))
        return tuple(out)

    return draw_arrays()


def distinct_arrays(
    shape: ShapeArg = None,
    dtype: DTypeArg = np.float64,
    *,
    min_value: float = -3.0,
    max_value: float = 3.0,
    margin: float = 0.01,
    min_dims: int = 0,
    max_dims: int = 3,
    min_side: int = 1,
    max_side: int = 3,
) -> st.SearchStrategy[FloatArray]:
    """Arrays whose elements are pairwise at least ``margin`` apart and ``margin / 2`` from 0.

    For ``max`` (no ties within a reduced slice), ``abs`` and ``relu``. Elements lie on
    the lattice ``(j + 1/2) * margin`` and are drawn with
    ``hypothesis.extra.numpy.arrays(..., unique=True)``.

    Args and returns as :func:`float_arrays`.

    Raises:
        ValueError (when drawn): more elements than the range holds lattice points.

    Example::

        @given(ats.distinct_arrays(), ats.seeds())
        def test_max(x, seed):
            check_grads(lambda x: at.max(x), (x,), seed=seed)
    """
    shapes = _shapes(shape, min_dims, max_dims, min_side, max_side)

    @st.composite
    def draw_array(draw):
        dt = draw(_dtypes(dtype))
        shp = draw(shapes)
        elements, count = _lattice_elements(0, 1, margin, min_value - margin / 2, max_value - margin / 2, dt)
        if math.prod(shp) > count:
            raise ValueError(f"shape {shp} has more elements than [{min_value}, {max_value}] holds at margin {margin}")
        return draw(hnp.arrays(dt, shp, elements=elements, unique=True))

    return draw_array()


def broadcastable_shapes(
    num_shapes: int = 2, *, min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 3
) -> st.SearchStrategy[tuple]:
    """Tuples of ``num_shapes`` shapes that broadcast together.

    A thin layer over ``hypothesis.extra.numpy.mutually_broadcastable_shapes``
    returning only the input shapes.

    Example::

        @given(ats.broadcastable_shapes(2))
        def test_shapes(shapes):
            np.broadcast_shapes(*shapes)   # never raises
    """
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda b: b.input_shapes)


def broadcastable_arrays(
    num_arrays: int = 2,
    dtype: DTypeArg = np.float64,
    *,
    untied: bool = False,
    min_value: float = -3.0,
    max_value: float = 3.0,
    away_from: Union[float, Sequence[float]] = (),
    margin: float = 0.01,
    min_dims: int = 0,
    max_dims: int = 3,
    max_side: int = 3,
) -> st.SearchStrategy[tuple]:
    """Tuples of ``num_arrays`` float arrays of broadcast-compatible shapes (all one dtype).

    Args:
        num_arrays: how many operands.
        dtype: float32 or float64, or a strategy of them.
        untied: draw with :func:`untied_arrays` (operands never tie; ``away_from`` is
            then ignored, and 0 is kept ``margin`` away automatically).
        min_value, max_value, away_from, margin: as :func:`float_arrays`.
        min_dims, max_dims, max_side: bounds of the drawn shapes.

    Example::

        @given(ats.broadcastable_arrays(2), ats.seeds())
        def test_multiply(xy, seed):
            check_grads(lambda x, y: at.sum(x * y), xy, seed=seed)
    """
    shapes = broadcastable_shapes(num_arrays, min_dims=min_dims, max_dims=max_dims, max_side=max_side)
    if untied:
        return untied_arrays(shapes, dtype, min_value=min_value, max_value=max_value, margin=margin)

    @st.composite
    def draw_arrays(draw):
        dt = draw(_dtypes(dtype))
        return tuple(
            draw(float_arrays(s, dt, min_value=min_value, max_value=max_value, away_from=away_from, margin=margin))
            for s in draw(shapes)
        )

    return draw_arrays()


# --------------------------------------------------------------------------------------
# MLP parameters
# --------------------------------------------------------------------------------------


def mlp_layer_sizes(
    min_layers: int = 1, max_layers: int = 3, min_size: int = 1, max_size: int = 5
) -> st.SearchStrategy[list]:
    """Layer sizes ``[n_in, n_hidden..., n_out]`` for ``min_layers`` to ``max_layers`` weight layers.

    Example: ``ats.mlp_layer_sizes(1, 2)`` draws e.g. ``[3, 1]`` or ``[2, 4, 1]``.
    """
    return st.lists(st.integers(min_size, max_size), min_size=min_layers + 1, max_size=max_layers + 1)


def mlp_params(
    layer_sizes: Union[Sequence[int], st.SearchStrategy],
    dtype: DTypeArg = np.float64,
    *,
    scale: float = 1.0,
) -> st.SearchStrategy[list]:
    """Parameter pytrees for a multi-layer perceptron.

    Args:
        layer_sizes: ``[n_in, n_1, ..., n_out]`` (at least two sizes), or a strategy of
            such lists (e.g. :func:`mlp_layer_sizes`).
        dtype: float32 or float64, or a strategy of them.
        scale: weights of layer ``i`` lie in ``[-scale / sqrt(n_i), scale / sqrt(n_i)]``
            (``n_i`` its fan-in), biases in ``[-scale, scale] / 2``.

    Returns:
        A strategy of lists with one dict per layer, ``{"w": float[n_i, n_{i+1}],
        "b": float[n_{i+1}]}``: ``params[i]["w"].shape == (sizes[i], sizes[i + 1])``.

    Raises:
        ValueError (when drawn): fewer than two sizes, or a size below 1.

    Example::

        def mlp(params, x):
            for layer in params[:-1]:
                x = at.tanh(x @ layer["w"] + layer["b"])
            return x @ params[-1]["w"] + params[-1]["b"]

        @given(ats.mlp_params([3, 8, 1]), ats.seeds())
        def test_mlp_gradient(params, seed):
            x = np.ones((4, 3))
            check_grads(lambda p: at.sum(mlp(p, x) ** 2), (params,), seed=seed)
    """
    sizes_strategy = layer_sizes if isinstance(layer_sizes, st.SearchStrategy) else st.just(list(layer_sizes))

    @st.composite
    def draw_params(draw):
        sizes = [int(n) for n in draw(sizes_strategy)]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"mlp_params: need at least two layer sizes, each >= 1; got {sizes}")
        dt = draw(_dtypes(dtype))
        params = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            bound = scale / math.sqrt(n_in)
            params.append(
                {
                    "w": draw(float_arrays((n_in, n_out), dt, min_value=-bound, max_value=bound)),
                    "b": draw(float_arrays((n_out,), dt, min_value=-scale / 2, max_value=scale / 2)),
                }
            )
        return params

    return draw_params()


# --------------------------------------------------------------------------------------
# Random differentiable programs
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """An operand of a :class:`Step` that refers to value ``index`` of the program
    (inputs first, then each step's output)."""

    index: int


@dataclass(frozen=True, eq=False)
class Step:
    """One primitive call: ``op(*operands, **params)``.

    ``operands`` holds :class:`Ref` values and constants (arrays, floats, boolean
    conditions); for ``concatenate`` and ``stack`` it holds one tuple, the sequence.
    """

    op: str
    operands: tuple
    params: dict = field(default_factory=dict)


def _numpy_like(xp: Any) -> dict:
    """Every program op written with a NumPy-like module ``xp`` (numpy, autograd.numpy):
    NumPy's own functions where they exist, textbook formulas otherwise."""

    def lse(x, axis=None, keepdims=False):
        return xp.log(xp.sum(xp.exp(x), axis=axis, keepdims=keepdims))

    def softmax(x, axis=-1):
        e = xp.exp(x)
        return e / xp.sum(e, axis=axis, keepdims=True)

    def clip(x, lo, hi):
        if lo is not None:
            x = xp.maximum(x, lo)
        if hi is not None:
            x = xp.minimum(x, hi)
        return x

    def broadcast_to(x, shape):
        return x * xp.ones(shape, dtype=np.result_type(getattr(x, "dtype", np.float64)))

    def where(condition, x, y):
        # Both branches are broadcast to the output's shape first, by products with ones:
        # autograd's where does not sum cotangents back to a broadcast operand's shape.
        shape = np.broadcast_shapes(np.shape(condition), *(tuple(getattr(v, "shape", ())) for v in (x, y)))
        dtypes = [v.dtype for v in (x, y) if hasattr(v, "dtype")]
        ones = xp.ones(shape, dtype=np.result_type(*dtypes) if dtypes else np.float64)
        return xp.where(condition, x * ones, y * ones)

    return {
        "add": xp.add,
        "subtract": xp.subtract,
        "multiply": xp.multiply,
        "divide": xp.divide,
        "negative": xp.negative,
        "power": xp.power,
        "exp": xp.exp,
        "log": xp.log,
        "log1p": xp.log1p,
        "sqrt": xp.sqrt,
        "abs": xp.abs,
        "tanh": xp.tanh,
        "sigmoid": lambda x: 1 / (1 + xp.exp(-x)),
        "relu": lambda x: x * (x > 0),
        "maximum": xp.maximum,
        "minimum": xp.minimum,
        "where": where,
        "clip": clip,
        "matmul": xp.matmul,
        "sum": lambda x, axis=None, keepdims=False: xp.sum(x, axis=axis, keepdims=keepdims),
        "mean": lambda x, axis=None, keepdims=False: xp.mean(x, axis=axis, keepdims=keepdims),
        "max": lambda x, axis=None, keepdims=False: xp.max(x, axis=axis, keepdims=keepdims),
        "logsumexp": lse,
        "softmax": softmax,
        "log_softmax": lambda x, axis=-1: x - lse(x, axis=axis, keepdims=True),
        "reshape": lambda x, shape: xp.reshape(x, shape),
        "transpose": lambda x, axes=None: xp.transpose(x, axes),
        "broadcast_to": broadcast_to,
        "getitem": lambda x, index: x[index],
        "concatenate": lambda arrays, axis=0: xp.concatenate(list(arrays), axis=axis),
        "stack": lambda arrays, axis=0: xp.stack(list(arrays), axis=axis),
        "astype": lambda x, dtype: x.astype(dtype),
    }


#: The ops random programs draw from (a subset of the op library that covers every kind of rule).
PROGRAM_OPS: tuple[str, ...] = tuple(sorted(_numpy_like(np)))


def numpy_backend(xp: Any = np) -> dict:
    """The program ops written with NumPy-like module ``xp``: a mapping from op name to function.

    ``numpy_backend(np)`` is the reference forward computation; ``numpy_backend(autograd.numpy)``
    is differentiable by HIPS autograd. Ops that NumPy lacks are written out:
    ``sigmoid(x) = 1 / (1 + exp(-x))``, ``relu(x) = x * (x > 0)``, ``logsumexp`` unshifted,
    ``clip`` as ``minimum(maximum(x, lo), hi)``, ``broadcast_to`` as a product with ones.
    """
    return _numpy_like(xp)


def _autotape_backend() -> dict:
    import autotape

    return {name: getattr(autotape, name) for name in PROGRAM_OPS}


def _backend(backend: Any) -> dict:
    if isinstance(backend, dict):
        return backend
    if backend == "autotape":
        return _autotape_backend()
    if backend == "numpy":
        return _numpy_like(np)
    if isinstance(backend, str):
        raise ValueError(f"unknown backend {backend!r}; use 'autotape', 'numpy', a NumPy-like module or a dict")
    if getattr(backend, "__name__", "") == "autotape":
        return _autotape_backend()
    return _numpy_like(backend)


def _short(value: Any) -> str:
    if isinstance(value, Ref):
        return f"v{value.index}"
    if isinstance(value, tuple):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    if isinstance(value, np.ndarray):
        body = " ".join(np.array2string(value, precision=4, separator=", ", threshold=12).split())
        return f"array({body}, {value.dtype})" if value.dtype.kind != "b" else f"array({body})"
    return repr(value)


@dataclass(frozen=True, eq=False)
class Program:
    """A random differentiable program: steps over inputs, as drawn by :func:`programs`.

    Attributes:
        inputs: the drawn input arrays ``x0, x1, ...`` (values ``0 .. len(inputs) - 1``).
        steps: one :class:`Step` per primitive call; step ``i`` defines value
            ``len(inputs) + i``.
        folds: ``(index, weight)`` pairs: values no step uses, added to the output as
            ``weight * sum(value)``, so that every value influences the result.
        cotangent: a drawn array of the output's shape (elements 0.25 to 1 in
            magnitude), used by :meth:`loss`.

    A program is smooth near its inputs: every kink (``abs``, ``relu`` at 0, ties of
    ``maximum``, ``minimum``, ``clip`` and ``max``) is at least a margin away, and
    every value is finite and bounded.

    Example::

        @given(ats.programs())
        def test_against_numpy(program):
            out = program.function("autotape")(*program.inputs)
            np.testing.assert_allclose(out, program.function("numpy")(*program.inputs), rtol=1e-12)
    """

    inputs: tuple[FloatArray, ...]
    steps: tuple[Step, ...]
    folds: tuple[tuple[int, float], ...]
    cotangent: FloatArray
    output_shape: tuple[int, ...]

    @property
    def ops(self) -> tuple[str, ...]:
        """The op names of the steps, in order (the folds add ``sum``, ``multiply``, ``add``)."""
        return tuple(step.op for step in self.steps)

    @property
    def num_inputs(self) -> int:
        return len(self.inputs)

    def function(self, backend: Any = "autotape") -> Callable:
        """The program as a function ``f(*inputs) -> array`` of shape ``output_shape``.

        Args:
            backend: ``"autotape"`` (autotape's primitives), ``"numpy"`` (the reference
                formulas of :func:`numpy_backend`), a NumPy-like module such as
                ``autograd.numpy``, or a dict from op name to function.
        """
        impl = _backend(backend)

        def run(*xs):
            if len(xs) != len(self.inputs):
                raise TypeError(f"this program takes {len(self.inputs)} inputs, got {len(xs)}")
            values = list(xs)

            def resolve(operand):
                if isinstance(operand, Ref):
                    return values[operand.index]
                if isinstance(operand, tuple):
                    return [resolve(o) for o in operand]
                return operand

            for step in self.steps:
                values.append(impl[step.op](*[resolve(o) for o in step.operands], **step.params))
            out = values[-1]
            for index, weight in self.folds:
                out = impl["add"](out, impl["multiply"](weight, impl["sum"](values[index])))
            return out

        return run

    def loss(self, backend: Any = "autotape") -> Callable:
        """The scalar ``sum(f(*inputs) * cotangent)``, with ``f = self.function(backend)``."""
        f = self.function(backend)
        impl = _backend(backend)
        return lambda *xs: impl["sum"](impl["multiply"](f(*xs), self.cotangent))

    def _repr_pretty_(self, printer, cycle) -> None:  # how hypothesis prints a falsifying example
        printer.text(repr(self))

    def __repr__(self) -> str:
        lines = [f"Program({len(self.inputs)} inputs, {len(self.steps)} steps) -> {list(self.output_shape)}:"]
        for i, x in enumerate(self.inputs):
            lines.append(f"    v{i} = input {_short(np.asarray(x))}")
        n = len(self.inputs)
        for i, step in enumerate(self.steps):
            args = [_short(o) for o in step.operands] + [f"{k}={v!r}" for k, v in step.params.items()]
            lines.append(f"    v{n + i} = {step.op}({', '.join(args)})")
        fold = " + ".join([f"v{n + len(self.steps) - 1}"] + [f"{w!r} * sum(v{i})" for i, w in self.folds])
        lines.append(f"    out = {fold}")
        lines.append(f"    cotangent = {_short(np.asarray(self.cotangent))}")
        return "\n".join(lines)


# Op families and domains (on the values the program computes, checked when drawing).
_UNARY_DOMAINS: dict[str, Callable[[np.ndarray, float], bool]] = {
    "negative": lambda x, m: True,
    "tanh": lambda x, m: True,
    "sigmoid": lambda x, m: True,
    "exp": lambda x, m: bool(np.max(x) <= 3.0),
    "log": lambda x, m: bool(np.min(x) >= 0.1),
    "log1p": lambda x, m: bool(np.min(x) >= -0.8),
    "sqrt": lambda x, m: bool(np.min(x) >= 0.05),
    "abs": lambda x, m: bool(np.min(np.abs(x)) >= m),
    "relu": lambda x, m: bool(np.min(np.abs(x)) >= m),
    "astype": lambda x, m: True,
}
_BINARY = ("add", "subtract", "multiply", "divide", "maximum", "minimum", "power")
_POSITIVE_ONLY = {"log", "sqrt", "log1p"}
_BOUND = 1e3  # values stay within [-_BOUND, _BOUND]
_INPUT_MARGIN = 0.01  # inputs' lattice gap
_KINK_MARGIN = 1e-3  # intermediate values' distance from kinks and ties


def _broadcasts(*shapes) -> bool:
    try:
        np.broadcast_shapes(*shapes)
        return True
    except ValueError:
        return False


def _top_two_gap_ok(x: FloatArray, axis, margin: float) -> bool:
    """Does ``max(x, axis)`` have a unique maximizer, ``margin`` above the runner-up, in every slice?"""
    ndim = x.ndim
    if axis is None:
        axes = tuple(range(ndim))
    elif isinstance(axis, tuple):
        axes = tuple(a % ndim for a in axis)
    else:
        axes = (axis % ndim,)
    if not axes:
        return True
    size = math.prod(x.shape[a] for a in axes)
    if size < 2:
        return True
    moved = np.moveaxis(x, axes, tuple(range(ndim - len(axes), ndim)))
    flat = moved.reshape(moved.shape[: ndim - len(axes)] + (size,))
    top = np.sort(flat, axis=-1)
    return bool(np.all(top[..., -1] - top[..., -2] >= margin))


class _Draft:
    """The state of a program being drawn: values so far (computed with NumPy)."""

    def __init__(self, draw, values: list, dtype: np.dtype):
        self.draw = draw
        self.values = values
        self.dtype = dtype
        self.used: set[int] = set()

    def pick(self, predicate: Callable[[np.ndarray], bool] = lambda x: True) -> Optional[Ref]:
        candidates = [i for i, v in enumerate(self.values) if predicate(v)]
        if not candidates:
            return None
        # Later values first (shrinks towards using the most recent value), so chains get deep.
        return Ref(self.draw(st.sampled_from(candidates[::-1])))

    def pick_any(self) -> Ref:
        """Any value (there is always one: the inputs)."""
        ref = self.pick()
        assert ref is not None
        return ref

    def constant(self, shape, lo: float = -2.0, hi: float = 2.0) -> np.ndarray:
        return self.draw(float_arrays(tuple(shape), self.dtype, min_value=lo, max_value=hi))

    def scalar(self, lo: float = -2.0, hi: float = 2.0) -> float:
        return round(float(self.draw(st.floats(lo, hi, allow_nan=False, allow_subnormal=False))), 4)

    def value(self, ref: Ref) -> np.ndarray:
        return self.values[ref.index]


def _axis(draft: _Draft, ndim: int):
    choices: list[st.SearchStrategy[Any]] = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
    choices.append(hnp.valid_tuple_axes(ndim))
    return draft.draw(st.one_of(choices))


def _second_operand(draft: _Draft, shape: tuple, predicate=lambda y: True, lo=-2.0, hi=2.0):
    """A pool value broadcastable with ``shape`` (meeting ``predicate``), a constant array, or a float."""
    form = draft.draw(st.sampled_from(["value", "array", "float"]))
    if form == "value":
        ref = draft.pick(lambda y: _broadcasts(shape, y.shape) and predicate(y))
        if ref is not None:
            return ref
        form = "array"
    if form == "array":
        other = draft.draw(hnp.broadcastable_shapes(shape, min_dims=0, max_dims=max(len(shape), 1), max_side=3))
        return draft.constant(other, lo, hi)
    return draft.scalar(lo, hi)


def _build_unary(name: str):
    def build(draft: _Draft) -> Optional[Step]:
        ref = draft.pick(lambda x: _UNARY_DOMAINS[name](x, _KINK_MARGIN))
        if ref is None:
            return None
        if name == "astype":
            # To float64: a float32 program continues in float64 from here (mixed precision);
            # a cast down to float32 would make finite differences at float64 inputs meaningless.
            return Step(name, (ref,), {"dtype": np.dtype(np.float64)})
        return Step(name, (ref,))

    return build


def _build_binary(name: str):
    def build(draft: _Draft) -> Optional[Step]:
        if name == "power":
            return _build_power(draft)
        if name == "divide" and draft.draw(st.booleans()):  # a value in the denominator
            ref = draft.pick(lambda y: np.min(np.abs(y)) >= 0.25)
            if ref is None:
                return None
            numerator = _second_operand(draft, draft.value(ref).shape)
            return Step(name, (numerator, ref))
        ref = draft.pick_any()
        x = draft.value(ref)
        if name == "divide":
            y = _second_operand(draft, x.shape, lambda y: np.min(np.abs(y)) >= 0.25, lo=0.5, hi=2.0)
            if not isinstance(y, Ref) and draft.draw(st.booleans()):
                y = -y if isinstance(y, float) else np.negative(y)
            return Step(name, (ref, y))
        y = _second_operand(draft, x.shape)
        return Step(name, (ref, y) if draft.draw(st.booleans()) else (y, ref))

    return build


def _build_power(draft: _Draft) -> Optional[Step]:
    form = draft.draw(st.sampled_from(["positive base", "integer exponent", "constant base"]))
    if form == "positive base":
        ref = draft.pick(lambda x: np.min(x) >= 0.1 and np.max(x) <= 5)
        if ref is None:
            return None
        exponent = _second_operand(draft, draft.value(ref).shape, lambda p: np.max(np.abs(p)) <= 3, lo=-2.0, hi=3.0)
        return Step("power", (ref, exponent))
    if form == "integer exponent":
        ref = draft.pick(lambda x: np.max(np.abs(x)) <= 5)
        if ref is None:
            return None
        return Step("power", (ref, draft.draw(st.integers(0, 3))))
    ref = draft.pick(lambda p: np.max(np.abs(p)) <= 3)
    if ref is None:
        return None
    return Step("power", (draft.scalar(0.25, 3.0), ref))


def _build_where(draft: _Draft) -> Optional[Step]:
    ref = draft.pick_any()
    x = draft.value(ref)
    y = _second_operand(draft, x.shape)
    c_shape = draft.draw(hnp.broadcastable_shapes(x.shape, min_dims=0, max_dims=max(x.ndim, 1), max_side=3))
    condition = draft.draw(hnp.arrays(np.bool_, c_shape))
    return Step("where", (condition, ref, y) if draft.draw(st.booleans()) else (condition, y, ref))


def _gap_bound(draft: _Draft, x: np.ndarray, above: Optional[float] = None) -> Optional[float]:
    """A float between two of ``x``'s values (or beyond them) at least ``2 * _KINK_MARGIN`` from each."""
    points = np.unique(x)
    if above is not None:
        points = points[points > above]
    candidates = [float(points[0]) - 0.5] if above is None and points.size else []
    candidates += [(a + b) / 2 for a, b in zip(points[:-1], points[1:]) if b - a >= 4 * _KINK_MARGIN]
    if points.size:
        candidates.append(float(points[-1]) + 0.5)
    if above is not None:
        candidates = [c for c in candidates if c > above + 2 * _KINK_MARGIN]
    if not candidates:
        return None
    return float(draft.draw(st.sampled_from(candidates)))


def _build_clip(draft: _Draft) -> Optional[Step]:
    ref = draft.pick_any()
    x = draft.value(ref)
    form = draft.draw(st.sampled_from(["floats", "lower only", "upper only", "values"]))
    if form == "values":  # differentiable bounds: two other values, ordered elementwise
        lo_ref, hi_ref = draft.pick_any(), draft.pick_any()
        return Step("clip", (ref, lo_ref, hi_ref))
    lo = _gap_bound(draft, x) if form != "upper only" else None
    hi = _gap_bound(draft, x, above=lo) if form != "lower only" else None
    if lo is None and hi is None:
        return None
    return Step("clip", (ref, lo, hi))


def _clip_ok(x, lo, hi, m) -> bool:
    x = np.asarray(x)
    for bound in (lo, hi):
        if bound is not None and np.min(np.abs(x - np.asarray(bound))) < m:
            return False
    if lo is not None and hi is not None and np.min(np.asarray(hi) - np.asarray(lo)) < m:
        return False
    return True


def _build_matmul(draft: _Draft) -> Optional[Step]:
    ref = draft.pick(lambda x: x.ndim >= 1)
    if ref is None:
        return None
    x = draft.value(ref)
    left = draft.draw(st.booleans())  # is the value the left operand?

    def fits(y):
        try:
            np.matmul(np.empty(x.shape), np.empty(y.shape)) if left else np.matmul(np.empty(y.shape), np.empty(x.shape))
            return True
        except ValueError:
            return False

    other: Any = draft.pick(lambda y: y.ndim >= 1 and fits(y)) if draft.draw(st.booleans()) else None
    if other is None:
        k = x.shape[-1] if left else (x.shape[0] if x.ndim == 1 else x.shape[-2])
        m = draft.draw(st.integers(1, 3))
        form = draft.draw(st.sampled_from(["vector", "matrix", "batch"]))
        shape: tuple[int, ...]
        if form == "vector":
            shape = (k,)
        elif form == "matrix":
            shape = (k, m) if left else (m, k)
        else:
            shape = (draft.draw(st.integers(1, 2)),) + ((k, m) if left else (m, k))
        other = draft.constant(shape)
    return Step("matmul", (ref, other) if left else (other, ref))


def _build_reduction(name: str):
    def build(draft: _Draft) -> Optional[Step]:
        ref = draft.pick_any()
        x = draft.value(ref)
        if draft.draw(st.integers(0, 4)) == 0:
            return Step(name, (ref,))
        return Step(name, (ref,), {"axis": _axis(draft, x.ndim), "keepdims": draft.draw(st.booleans())})

    return build


def _build_along_axis(name: str):
    def build(draft: _Draft) -> Optional[Step]:
        ref = draft.pick(lambda x: x.ndim >= 1)
        if ref is None:
            return None
        ndim = draft.value(ref).ndim
        if draft.draw(st.booleans()):
            return Step(name, (ref,))
        return Step(name, (ref,), {"axis": draft.draw(st.integers(-ndim, ndim - 1))})

    return build


def _build_reshape(draft: _Draft) -> Optional[Step]:
    ref = draft.pick_any()
    remaining, shape = draft.value(ref).size, []
    for _ in range(draft.draw(st.integers(0, 3))):
        d = draft.draw(st.sampled_from([d for d in range(1, remaining + 1) if remaining % d == 0]))
        shape.append(d)
        remaining //= d
    if remaining != 1 or draft.draw(st.booleans()):
        shape.append(remaining)
    if shape and draft.draw(st.booleans()):
        shape[draft.draw(st.integers(0, len(shape) - 1))] = -1
    return Step("reshape", (ref,), {"shape": tuple(shape)})


def _build_transpose(draft: _Draft) -> Optional[Step]:
    ref = draft.pick_any()
    ndim = draft.value(ref).ndim
    if draft.draw(st.booleans()):
        return Step("transpose", (ref,))
    return Step("transpose", (ref,), {"axes": tuple(draft.draw(st.permutations(range(ndim))))})


def _build_broadcast_to(draft: _Draft) -> Optional[Step]:
    ref = draft.pick_any()
    shape = draft.value(ref).shape
    lead = draft.draw(st.lists(st.integers(1, 3), max_size=2))
    tail = [draft.draw(st.integers(1, 3)) if n == 1 else n for n in shape]
    return Step("broadcast_to", (ref,), {"shape": tuple(lead + tail)})


def _build_getitem(draft: _Draft) -> Optional[Step]:
    ref = draft.pick(lambda x: x.ndim >= 1)
    if ref is None:
        return None
    shape = draft.value(ref).shape
    form = draft.draw(st.sampled_from(["basic", "integer arrays", "mask"]))
    if form == "basic":
        index = draft.draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    elif form == "integer arrays":
        index = draft.draw(
            hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=3))
        )
    else:
        k = draft.draw(st.integers(1, len(shape)))
        index = draft.draw(hnp.arrays(np.bool_, shape[:k]))
    return Step("getitem", (ref,), {"index": index})


def _build_concatenate(draft: _Draft) -> Optional[Step]:
    ref = draft.pick(lambda x: x.ndim >= 1)
    if ref is None:
        return None
    shape = draft.value(ref).shape
    axis = draft.draw(st.integers(-len(shape), len(shape) - 1))
    rest = [s for i, s in enumerate(shape) if i != axis % len(shape)]

    def fits(y):
        return y.ndim == len(shape) and [s for i, s in enumerate(y.shape) if i != axis % len(shape)] == rest

    parts: list = [ref]
    for _ in range(draft.draw(st.integers(0, 2))):
        if draft.draw(st.booleans()):
            other = draft.pick(fits)
            if other is not None:
                parts.append(other)
                continue
        new_shape = list(shape)
        new_shape[axis] = draft.draw(st.integers(1, 2))
        parts.append(draft.constant(new_shape))
    order = draft.draw(st.permutations(range(len(parts))))
    return Step("concatenate", (tuple(parts[i] for i in order),), {"axis": axis})


def _build_stack(draft: _Draft) -> Optional[Step]:
    ref = draft.pick_any()
    shape = draft.value(ref).shape
    parts: list = [ref]
    for _ in range(draft.draw(st.integers(0, 2))):
        other = draft.pick(lambda y: y.shape == shape) if draft.draw(st.booleans()) else None
        parts.append(other if other is not None else draft.constant(shape))
    order = draft.draw(st.permutations(range(len(parts))))
    params = {"axis": draft.draw(st.integers(-len(shape) - 1, len(shape)))} if draft.draw(st.booleans()) else {}
    return Step("stack", (tuple(parts[i] for i in order),), params)


_BUILDERS: dict[str, Callable[[_Draft], Optional[Step]]] = {
    **{name: _build_unary(name) for name in _UNARY_DOMAINS},
    **{name: _build_binary(name) for name in _BINARY},
    "where": _build_where,
    "clip": _build_clip,
    "matmul": _build_matmul,
    **{name: _build_reduction(name) for name in ("sum", "mean", "max", "logsumexp")},
    "softmax": _build_along_axis("softmax"),
    "log_softmax": _build_along_axis("log_softmax"),
    "reshape": _build_reshape,
    "transpose": _build_transpose,
    "broadcast_to": _build_broadcast_to,
    "getitem": _build_getitem,
    "concatenate": _build_concatenate,
    "stack": _build_stack,
}
assert set(_BUILDERS) == set(PROGRAM_OPS)


def _smooth_here(step: Step, operands: list, out: np.ndarray) -> bool:
    """Is the step's op smooth at these operand values (kinks and ties a margin away)?"""
    m = _KINK_MARGIN
    op = step.op
    if op in ("maximum", "minimum"):
        x, y = (np.asarray(v, dtype=np.float64) for v in operands)
        return bool(np.min(np.abs(x - y)) >= m)
    if op == "clip":
        return _clip_ok(operands[0], operands[1], operands[2], m)
    if op == "max":
        return _top_two_gap_ok(np.asarray(operands[0]), step.params.get("axis"), m)
    if op == "divide":
        return bool(np.min(np.abs(np.asarray(operands[1]))) >= 0.25)
    if op == "power":
        base, exponent = (np.asarray(v, dtype=np.float64) for v in operands)
        if np.all(exponent == np.round(exponent)) and np.all(exponent >= 0):
            # x**p for a constant integer p: its derivatives p x**(p-1), p (p-1) x**(p-2) are
            # finite at 0 only for p >= 2, so smaller exponents keep their base away from 0.
            return bool(np.min(exponent) >= 2 or np.min(np.abs(base)) >= m)
        return bool(np.min(base) >= 0.1)
    return True


def programs(
    inputs: Optional[Sequence[FloatArray]] = None,
    *,
    min_inputs: int = 1,
    max_inputs: int = 3,
    min_steps: int = 1,
    max_steps: int = 6,
    ops: Optional[Sequence[str]] = None,
    dtype: DTypeArg = np.float64,
    max_dims: int = 3,
    max_side: int = 3,
) -> st.SearchStrategy[Program]:
    """Random differentiable programs: sequences of autotape primitives over drawn inputs.

    Each step applies one op (drawn from ``ops``) to earlier values (inputs or step
    outputs, so values are reused and gradients accumulate) and to constants (arrays
    of broadcasting shapes, Python floats, boolean conditions, indices). Steps are
    drawn only where the op is smooth at the values the program computes: kinks and
    ties a margin away, ``log``/``sqrt`` on positive values, divisors at least 0.25
    in magnitude, every value finite and within ±1000. Values no later step uses are
    folded into the output (``out = last + sum_k w_k * sum(v_k)``), so every input and
    step affects it.

    Args:
        inputs: fixed input arrays; ``None`` draws 1 to 3 (``min_inputs``,
            ``max_inputs``) of broadcast-compatible shapes, with distinct elements on
            interleaved lattices (no ties between or within inputs, none at 0),
            either in [-2.5, 2.5] or in [0.1, 2.5].
        min_steps, max_steps: how many steps (a step that cannot be drawn after a few
            attempts is left out, so a program can be shorter, but has at least one).
        ops: op names to draw from (default :data:`PROGRAM_OPS`, every primitive).
        dtype: float32 or float64 (inputs and constants), or a strategy of them.
        max_dims, max_side: bounds of the drawn input shapes.

    Returns:
        A strategy of :class:`Program`. Run one with ``program.function(backend)`` or
        ``program.loss(backend)``, at ``program.inputs``.

    Raises:
        ValueError: unknown op names, or bounds out of order.

    Example (differential testing against HIPS autograd)::

        import autograd, autograd.numpy as anp

        @given(ats.programs())
        def test_same_gradient_as_autograd(program):
            ours = at.grad(program.loss("autotape"), argnums=tuple(range(program.num_inputs)))(*program.inputs)
            theirs = autograd.grad(lambda xs: program.loss(anp)(*xs))(program.inputs)
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(a, b, rtol=1e-10)
    """
    allowed = tuple(sorted(PROGRAM_OPS if ops is None else set(ops)))
    if "multiply" in allowed:
        # hypothesis draws the first element of sampled_from far more often than the
        # others; let that be multiply, which fans values in and scales cotangents.
        allowed = ("multiply",) + tuple(name for name in allowed if name != "multiply")
    unknown = set(allowed) - set(PROGRAM_OPS)
    if unknown or not allowed:
        raise ValueError(f"programs: unknown ops {sorted(unknown)}; choose from {list(PROGRAM_OPS)}")
    if not 1 <= min_steps <= max_steps:
        raise ValueError(f"programs: need 1 <= min_steps <= max_steps, got {min_steps}, {max_steps}")
    if inputs is None and not 1 <= min_inputs <= max_inputs:
        raise ValueError(f"programs: need 1 <= min_inputs <= max_inputs, got {min_inputs}, {max_inputs}")
    fixed = None if inputs is None else tuple(np.asarray(x) for x in inputs)
    positive_only = set(allowed) <= _POSITIVE_ONLY

    @st.composite
    def draw_program(draw) -> Program:
        dt = draw(_dtypes(dtype))
        if fixed is not None:
            xs = fixed
        else:
            n = draw(st.integers(min_inputs, max_inputs))
            shapes = draw(broadcastable_shapes(n, min_dims=0, max_dims=max_dims, max_side=max_side))
            positive = positive_only or draw(st.integers(0, 2)) == 0
            lo, hi = (0.1, 2.5) if positive else (-2.5, 2.5)
            spacing = 2 * n * _INPUT_MARGIN
            drawn = []
            for k, shape in enumerate(shapes):
                elements, _ = _lattice_elements(k, n, spacing, lo, hi, dt)
                drawn.append(draw(hnp.arrays(dt, shape, elements=elements, unique=True)))
            xs = tuple(drawn)
        reference = _numpy_like(np)
        draft = _Draft(draw, [np.asarray(x) for x in xs], dt)
        steps: list[Step] = []
        for _ in range(draw(st.integers(min_steps, max_steps))):
            for _attempt in range(6):
                step = _BUILDERS[draw(st.sampled_from(allowed))](draft)
                if step is None:
                    continue
                operands = [
                    [draft.values[o.index] if isinstance(o, Ref) else o for o in op]
                    if isinstance(op, tuple)
                    else (draft.values[op.index] if isinstance(op, Ref) else op)
                    for op in step.operands
                ]
                try:
                    with np.errstate(all="raise"):
                        out = np.asarray(reference[step.op](*operands, **step.params))
                except (ValueError, IndexError, TypeError, FloatingPointError):
                    continue
                if out.size == 0 or out.dtype.kind != "f" or not np.all(np.isfinite(out)):
                    continue
                if np.max(np.abs(out)) > _BOUND or not _smooth_here(step, operands, out):
                    continue
                steps.append(step)
                draft.values.append(out)
                break
        if not steps:
            reject()
        used = {
            o.index
            for s in steps
            for op in s.operands
            for o in (op if isinstance(op, tuple) else (op,))
            if isinstance(o, Ref)
        }
        last = len(draft.values) - 1
        folds = tuple((i, draw(st.sampled_from([-1.0, -0.5, 0.5, 1.0, 2.0]))) for i in range(last) if i not in used)
        out_shape = draft.values[-1].shape
        cotangent = draw(float_arrays(out_shape, dt, min_value=-1.0, max_value=1.0, away_from=0.0, margin=0.25))
        return Program(tuple(xs), tuple(steps), folds, cotangent, tuple(out_shape))

    return draw_program()

"""Strategies that draw calls of an op: the building blocks of the op library's test specs.

Each op in :data:`autotape.ops.registry.REGISTRY` carries a
:class:`~autotape.ops.registry.Spec` whose ``cases`` is a function of this module,
e.g. ``lambda k: k.unary(k.floats(-1, 1))``; the generated tests call it with this
module and draw :class:`Case` values from the strategy it returns. Drawn operands lie
inside the op's smooth domain: away from kinks, ties and branch cuts, so that finite
differences are accurate.

Needs hypothesis (``pip install "autotape[testing]"``). Users can draw calls of
their own primitives with the same builders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "Case",
    "floats",
    "away_from_zero",
    "lattice",
    "arrays",
    "SHAPES",
    "ANY",
    "broadcast_shapes",
    "unary",
    "binary",
    "axis",
    "distinct",
    "reduction",
    "along_axis",
]


@dataclass
class Case:
    """One call of an op: positional operands, keyword parameters, and the positions of
    the operands to differentiate (float or complex arrays)."""

    args: tuple
    params: dict = field(default_factory=dict)
    diff: tuple = (0,)

    @property
    def diff_args(self) -> list:
        return [self.args[i] for i in self.diff]

    def substitute(self, values) -> tuple:
        """The operands with the differentiated ones replaced by ``values``."""
        args = list(self.args)
        for i, value in zip(self.diff, values):
            args[i] = value
        return tuple(args)

    def cast(self, dtype) -> Case:
        """Float arrays cast to ``dtype``; Python floats, bools and None unchanged."""
        cast = tuple(a.astype(dtype) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in self.args)
        return Case(cast, dict(self.params), self.diff)

    def complexify(self) -> Case:
        """The differentiated operands made complex, ``a + i a'`` with ``a'`` the elements of
        ``a`` reversed, so both parts stay in the drawn domain."""
        args = list(self.args)
        for i in self.diff:
            a = args[i]
            if isinstance(a, np.ndarray):
                args[i] = a + 1j * np.reshape(a.ravel()[::-1], a.shape)
            elif isinstance(a, float):
                args[i] = complex(a, a)
        return Case(tuple(args), dict(self.params), self.diff)


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Finite floats in ``[lo, hi]``, no subnormals."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


ANY = floats(-3, 3)


def away_from_zero(gap: float, bound: float = 3) -> st.SearchStrategy[float]:
    """Floats with ``gap <= |x| <= bound``: away from a kink at 0."""
    return st.one_of(floats(-bound, -gap), floats(gap, bound))


def lattice(phase: float, lo: int = -12, hi: int = 12) -> st.SearchStrategy[float]:
    """Multiples of 1/4 shifted by ``phase``: values on lattices of different phases
    differ by at least 1/8, which keeps maximum/minimum/clip away from ties."""
    return st.integers(lo, hi).map(lambda k: k / 4 + phase)


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def arrays(shape, elements=ANY, dtype=np.float64) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(dtype, shape, elements=elements)


def broadcast_shapes(n: int, min_dims: int = 0) -> st.SearchStrategy[tuple]:
    """``n`` mutually broadcastable shapes."""
    return hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=min_dims, max_dims=3, max_side=3).map(
        lambda b: b.input_shapes
    )


@st.composite
def unary(draw, elements=ANY, shapes=SHAPES) -> Case:
    """One array operand with elements from ``elements``."""
    return Case((draw(arrays(shapes, elements)),))


@st.composite
def binary(draw, x_elements=ANY, y_elements=ANY, differentiate=(0, 1)) -> Case:
    """Two broadcastable arrays, or one array and a constant Python float; the operands in
    ``differentiate`` are differentiated where they are arrays."""
    x_shape, y_shape = draw(broadcast_shapes(2))
    x, y = draw(arrays(x_shape, x_elements)), draw(arrays(y_shape, y_elements))
    forms = ["arrays", "arrays"]
    forms += ["x is a float"] if 1 in differentiate else []
    forms += ["y is a float"] if 0 in differentiate else []
    form = draw(st.sampled_from(forms))
    if form == "x is a float":
        return Case((draw(x_elements), y), diff=(1,))
    if form == "y is a float":
        return Case((x, draw(y_elements)), diff=(0,))
    return Case((x, y), diff=tuple(differentiate))


@st.composite
def axis(draw, ndim: int, allow_tuple: bool = True, allow_none: bool = True):
    """An ``axis`` argument valid for ``ndim`` dimensions: None, an int (negative too) or a tuple."""
    choices: list[st.SearchStrategy[Any]] = [st.none()] if allow_none else []
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
    if allow_tuple:
        choices.append(hnp.valid_tuple_axes(ndim))
    return draw(st.one_of(choices))


@st.composite
def distinct(draw, shape) -> np.ndarray:
    """An array of ``shape`` whose elements differ pairwise by at least 1/8 (no ties)."""
    size = math.prod(shape)
    order = np.asarray(draw(st.permutations(range(size))), dtype=np.float64)
    scale, offset = draw(floats(0.5, 2)), draw(floats(-1, 1))
    return np.reshape((order - size / 2) / 4 * scale + offset, shape)


@st.composite
def reduction(draw, elements=ANY, distinct_elements=False, tuples=True, keepdims=True, shapes=SHAPES) -> Case:
    """An array and ``axis`` (None, int or tuple) and ``keepdims``, or the defaults."""
    shape = draw(shapes)
    x = draw(distinct(shape)) if distinct_elements else draw(arrays(shape, elements))
    params: dict[str, Any] = {"axis": draw(axis(len(shape), allow_tuple=tuples))}
    if keepdims:
        params["keepdims"] = draw(st.booleans())
    if draw(st.integers(0, 4)) == 0:  # the defaults
        params = {}
    return Case((x,), params)


@st.composite
def along_axis(draw, elements=ANY, default: bool = True, none: bool = False, min_dims: int = 1) -> Case:
    """An array of at least ``min_dims`` dimensions and an int ``axis`` (or the default, or None)."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=4))
    x = draw(arrays(shape, elements))
    forms = ["int"] + (["default"] if default else []) + (["None"] if none else [])
    form = draw(st.sampled_from(forms))
    if form == "default":
        return Case((x,))
    if form == "None":
        return Case((x,), {"axis": None})
    return Case((x,), {"axis": draw(st.integers(-len(shape), len(shape) - 1))})


# --------------------------------------------------------------------------------------
# Builders for particular ops
# --------------------------------------------------------------------------------------


@st.composite
def power(draw) -> Case:
    form = draw(st.sampled_from(["positive base", "positive base", "integer exponent"]))
    if form == "integer exponent":
        # any base (negative too), a constant exponent 0..3: only the base is differentiated
        x_shape, p_shape = draw(broadcast_shapes(2))
        x = draw(arrays(x_shape, ANY))
        p = draw(st.one_of(st.integers(0, 3), arrays(p_shape, st.integers(0, 3).map(float))))
        return Case((x, p), diff=(0,))
    return draw(binary(floats(0.25, 2.5), floats(-2, 3)))


@st.composite
def ldexp(draw) -> Case:
    x_shape, i_shape = draw(broadcast_shapes(2))
    return Case((draw(arrays(x_shape)), draw(arrays(i_shape, st.integers(-3, 3), np.int64))), diff=(0,))


@st.composite
def where(draw) -> Case:
    c_shape, x_shape, y_shape = draw(broadcast_shapes(3))
    condition = draw(hnp.arrays(np.bool_, c_shape))
    x, y = draw(arrays(x_shape)), draw(arrays(y_shape))
    if draw(st.booleans()):
        return Case((condition, x, y), diff=(1, 2))
    return Case((condition, x, draw(ANY)), diff=(1,))


@st.composite
def clip(draw) -> Case:
    """x on one lattice, lo < 0 < hi on another: never at a bound, lo < hi."""
    x_shape, lo_shape, hi_shape = draw(broadcast_shapes(3))
    x = draw(arrays(x_shape, lattice(1 / 16, -16, 16)))
    bounds, diff = [], [0]
    for position, shape, (lo, hi) in ((1, lo_shape, (-8, -2)), (2, hi_shape, (2, 8))):
        form = draw(st.sampled_from(["array", "array", "float", "None"]))
        if form == "array":
            bounds.append(draw(arrays(shape, lattice(3 / 16, lo, hi))))
            diff.append(position)
        elif form == "float":
            bounds.append(draw(lattice(3 / 16, lo, hi)))
        else:
            bounds.append(None)
    if bounds[0] is None and bounds[1] is None:
        bounds[1] = 1.0 + 3 / 16
    return Case((x, *bounds), diff=tuple(diff))


@st.composite
def matmul(draw) -> Case:
    a_shape, b_shape = draw(
        hnp.mutually_broadcastable_shapes(signature=np.matmul.signature, max_dims=2, max_side=3).map(
            lambda b: b.input_shapes
        )
    )
    return Case((draw(arrays(a_shape)), draw(arrays(b_shape))), diff=(0, 1))


@st.composite
def dot(draw) -> Case:
    a_dims, b_dims = draw(st.sampled_from([(0, 2), (1, 0), (1, 1), (1, 2), (2, 1), (2, 2)]))
    n, k, m = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    a_shape = {0: (), 1: (k,), 2: (n, k)}[a_dims]
    b_shape = {0: (), 1: (k,), 2: (k, m)}[b_dims]
    return Case((draw(arrays(a_shape)), draw(arrays(b_shape))), diff=(0, 1))


@st.composite
def reshape(draw) -> Case:
    x = draw(arrays(SHAPES))
    remaining, new_shape = x.size, []
    for _ in range(draw(st.integers(0, 3))):
        divisors = [d for d in range(1, remaining + 1) if remaining % d == 0]
        d = draw(st.sampled_from(divisors))
        new_shape.append(d)
        remaining //= d
    if remaining != 1 or draw(st.booleans()):
        new_shape.append(remaining)
    if new_shape and draw(st.booleans()):
        new_shape[draw(st.integers(0, len(new_shape) - 1))] = -1
    return Case((x,), {"shape": tuple(new_shape)})


@st.composite
def transpose(draw) -> Case:
    x = draw(arrays(SHAPES))
    ndim = x.ndim
    form = draw(st.sampled_from(["default", "None", "permutation"]))
    if form == "default":
        return Case((x,))
    if form == "None":
        return Case((x,), {"axes": None})
    perm = draw(st.permutations(range(ndim)))
    signs = draw(st.lists(st.booleans(), min_size=ndim, max_size=ndim))
    return Case((x,), {"axes": tuple(a - ndim if neg else a for a, neg in zip(perm, signs))})


@st.composite
def broadcast_to(draw) -> Case:
    x = draw(arrays(SHAPES))
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    tail = [draw(st.integers(1, 3)) if n == 1 else n for n in x.shape]
    return Case((x,), {"shape": tuple(lead + tail)})


@st.composite
def index(draw, shape):
    """An index into an array of ``shape``: basic, integer arrays (repeats likely), a boolean
    mask, or an integer array with a slice."""
    form = draw(st.sampled_from(["basic", "basic", "integer arrays", "boolean mask", "integer array and slice"]))
    if form == "basic":  # ints, slices (negative steps), None, Ellipsis
        return draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    if form == "integer arrays":  # repeated indices are likely: the gradient accumulates
        return draw(hnp.integer_array_indices(shape, result_shape=hnp.array_shapes(min_dims=1, max_dims=2, max_side=4)))
    if form == "boolean mask":
        k = draw(st.integers(1, len(shape)))
        return draw(hnp.arrays(np.bool_, shape[:k]))
    rows = draw(hnp.arrays(np.intp, draw(st.integers(1, 5)), elements=st.integers(-shape[0], shape[0] - 1)))
    step = draw(st.sampled_from([1, -1, 2, -2]))
    return (rows, slice(None, None, step)) if len(shape) > 1 else rows


@st.composite
def getitem(draw) -> Case:
    x = draw(arrays(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)))
    return Case((x,), {"index": draw(index(x.shape))})


@st.composite
def concatenate(draw) -> Case:
    shape = list(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)))
    ax = draw(st.integers(-len(shape), len(shape) - 1))
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        shape[ax] = draw(st.integers(1, 3))
        parts.append(draw(arrays(tuple(shape))))
    return Case(tuple(parts), {"axis": ax}, tuple(range(len(parts))))


@st.composite
def stack(draw) -> Case:
    shape = draw(SHAPES)
    parts = draw(st.lists(arrays(shape), min_size=1, max_size=3))
    params = {"axis": draw(st.integers(-len(shape) - 1, len(shape)))}
    if draw(st.integers(0, 3)) == 0:
        params = {}
    return Case(tuple(parts), params, tuple(range(len(parts))))


@st.composite
def astype(draw) -> Case:
    # float64 -> float64 in the generic properties (finite differences through a cast to
    # float32 would measure rounding); the cross casts have exact tests.
    dtype = draw(st.sampled_from([np.float64, "float64", np.dtype("f8"), float]))
    return Case((draw(arrays(SHAPES)),), {"dtype": dtype})


@st.composite
def squeeze(draw) -> Case:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=2))
    x = draw(arrays(shape))
    units = [i for i, n in enumerate(shape) if n == 1]
    form = draw(st.sampled_from(["default", "int", "tuple"] if units else ["default"]))
    if form == "default":
        return Case((x,))
    if form == "int":
        return Case((x,), {"axis": draw(st.sampled_from(units)) - draw(st.sampled_from([0, len(shape)]))})
    return Case((x,), {"axis": tuple(draw(st.lists(st.sampled_from(units), unique=True)))})


@st.composite
def expand_dims(draw) -> Case:
    x = draw(arrays(SHAPES))
    count = draw(st.integers(1, 2))
    ndim = x.ndim + count
    axes = draw(st.lists(st.integers(-ndim, ndim - 1), min_size=count, max_size=count, unique_by=lambda a: a % ndim))
    return Case((x,), {"axis": axes[0] if count == 1 and draw(st.booleans()) else tuple(axes)})


@st.composite
def two_axes(draw) -> Case:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    ndim = len(shape)
    return Case(
        (draw(arrays(shape)),),
        {"axis1": draw(st.integers(-ndim, ndim - 1)), "axis2": draw(st.integers(-ndim, ndim - 1))},
    )


@st.composite
def moveaxis(draw) -> Case:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    ndim = len(shape)
    count = draw(st.integers(1, ndim))
    source = draw(st.permutations(range(ndim)))[:count]
    destination = draw(st.permutations(range(ndim)))[:count]
    if count == 1 and draw(st.booleans()):
        return Case((draw(arrays(shape)),), {"source": source[0], "destination": destination[0] - ndim})
    return Case((draw(arrays(shape)),), {"source": tuple(source), "destination": tuple(destination)})


@st.composite
def rollaxis(draw) -> Case:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    ndim = len(shape)
    return Case(
        (draw(arrays(shape)),), {"axis": draw(st.integers(-ndim, ndim - 1)), "start": draw(st.integers(-ndim, ndim))}
    )


@st.composite
def rows(draw) -> Case:
    """1-3 arrays of one shape (0-d too), passed as one list: the rows of a new array."""
    shape = draw(SHAPES)
    parts = draw(st.lists(arrays(shape), min_size=1, max_size=3))
    return Case(tuple(parts), {}, tuple(range(len(parts))))


# ---- scipy.stats / scipy.linalg ----


def _batches(count: int) -> st.SearchStrategy[tuple]:
    """``count`` mutually broadcastable batch shapes of at most 2 axes of length 1 or 2."""
    return hnp.mutually_broadcastable_shapes(num_shapes=count, min_dims=0, max_dims=2, max_side=2).map(
        lambda b: b.input_shapes
    )


def _dominant(draw, batch: tuple, n: int, diagonal: float, spread: float) -> np.ndarray:
    """``diagonal * I + spread * B`` with ``B`` in [-1, 1]: well conditioned for ``n <= 3``
    when ``diagonal > spread * n``."""
    return diagonal * np.eye(n) + spread * draw(arrays(batch + (n, n), floats(-1, 1)))


def _spd(draw, batch: tuple, n: int) -> np.ndarray:
    """``B B^T + n I`` with ``B`` in [-1, 1]: symmetric positive definite, eigenvalues in [n, 2n + n^2]."""
    b = draw(arrays(batch + (n, n), floats(-1, 1)))
    return b @ np.swapaxes(b, -1, -2) + n * np.eye(n)


@st.composite
def square_matrices(draw, elements=ANY) -> Case:
    """A stack of 0 to 2 batch axes of ``n x n`` matrices (``n`` 1 to 3)."""
    (batch,) = draw(_batches(1))
    n = draw(st.integers(1, 3))
    return Case((draw(arrays(batch + (n, n), elements)),))


@st.composite
def solve_triangular(draw) -> Case:
    """A triangular system: diagonal entries 1.5 to 3 in size, off-diagonal ones in [-1, 1],
    the triangle the solve does not read filled with other values (its gradient must be
    zero); ``b`` a vector or a stack of matrices; every ``trans``, ``lower`` and
    ``unit_diagonal``."""
    batch_a, batch_b = draw(_batches(2))
    n = draw(st.integers(1, 3))
    a = draw(arrays(batch_a + (n, n), floats(-1, 1)))
    sizes = draw(arrays(batch_a + (n,), floats(1.5, 3)))
    signs = draw(arrays(batch_a + (n,), st.sampled_from([-1.0, 1.0])))
    a = a * (1 - np.eye(n)) + (sizes * signs)[..., None] * np.eye(n)
    if draw(st.booleans()):
        b = draw(arrays((n,), ANY))
    else:
        b = draw(arrays(batch_b + (n, draw(st.integers(1, 2))), ANY))
    params = {
        "trans": draw(st.sampled_from([0, 1, 2, "N", "T", "C"])),
        "lower": draw(st.booleans()),
        "unit_diagonal": draw(st.booleans()),
    }
    if draw(st.integers(0, 4)) == 0:
        params = {}
    return Case((a, b), params, (0, 1))


@st.composite
def cholesky(draw) -> Case:
    """A symmetric positive definite stack (:func:`_spd`) whose triangle the factorization
    does not read holds other values; ``lower`` True, False or the default."""
    (batch,) = draw(_batches(1))
    n = draw(st.integers(1, 3))
    lower = draw(st.sampled_from([True, False, None]))
    unread = np.tri(n, k=-1, dtype=bool)
    unread = unread.T if lower else unread
    a = np.where(unread, draw(arrays(batch + (n, n), ANY)), _spd(draw, batch, n))
    return Case((a,), {} if lower is None else {"lower": lower})


@st.composite
def sqrtm(draw) -> Case:
    """Matrices with a real principal square root: ``B B^T + I`` or ``2 I + 0.3 B`` (``B`` in [-1, 1])."""
    (batch,) = draw(_batches(1))
    n = draw(st.integers(1, 3))
    if draw(st.booleans()):
        b = draw(arrays(batch + (n, n), floats(-1, 1)))
        return Case((b @ np.swapaxes(b, -1, -2) + np.eye(n),))
    return Case((_dominant(draw, batch, n, 2.0, 0.3),))


@st.composite
def sylvester(draw) -> Case:
    """``a = 2 I + 0.5 B`` (m x m), ``b = I + 0.5 B'`` (n x n), ``q`` (m x n): the eigenvalues of
    ``a`` have real parts above 0.5 and those of ``b`` above -0.5... well apart from ``-b``'s."""
    batch_a, batch_b, batch_q = draw(_batches(3))
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    a = _dominant(draw, batch_a, m, 2.5, 0.5)
    b = _dominant(draw, batch_b, n, 1.0, 0.3)
    return Case((a, b, draw(arrays(batch_q + (m, n), ANY))), diff=(0, 1, 2))


@st.composite
def block_diag(draw) -> Case:
    """1 to 3 blocks of 0 to 2 dimensions, sides 1 to 3; or stacks of blocks with broadcast batch axes."""
    count = draw(st.integers(1, 3))
    if draw(st.integers(0, 3)) == 0:
        batches = draw(_batches(count))
        shapes = [batch + (draw(st.integers(1, 3)), draw(st.integers(1, 3))) for batch in batches]
    else:
        shapes = [draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)) for _ in range(count)]
    blocks = tuple(draw(arrays(shape)) for shape in shapes)
    return Case(blocks, diff=tuple(range(len(blocks))))


@st.composite
def invertible(draw) -> Case:
    """A well-conditioned stack ``2 I + 0.5 B`` (``B`` in [-1, 1], ``n`` 1 to 3)."""
    (batch,) = draw(_batches(1))
    return Case((_dominant(draw, batch, draw(st.integers(1, 3)), 2.0, 0.5),))


@st.composite
def linear_system(draw, real: bool = True) -> Case:
    """``a x = b`` with a well-conditioned ``a`` (symmetric positive definite for
    ``assume_a='pos'``), ``b`` a vector or a stack of matrices, and SciPy's ``assume_a``,
    ``lower`` and ``transposed``; without ``real`` (cases to be made complex), neither
    ``'pos'`` nor ``transposed``, which SciPy does not take for complex matrices."""
    batch_a, batch_b = draw(_batches(2))
    n = draw(st.integers(1, 3))
    if n == 1:  # SciPy's solve fails on a 1 x 1 matrix with batch axes (it takes a for a scalar)
        batch_a = batch_b = ()
    choices = [None, "general", "sym", "upper triangular", "lower triangular", "diagonal", "tridiagonal"]
    assume_a = draw(st.sampled_from(choices + (["pos"] if real else [])))
    a = _spd(draw, batch_a, n) if assume_a == "pos" else _dominant(draw, batch_a, n, 2.0, 0.5)
    if draw(st.booleans()):
        b = draw(arrays((n,), ANY))
    else:
        b = draw(arrays(batch_b + (n, draw(st.integers(1, 2))), ANY))
    params: dict[str, Any] = {"assume_a": assume_a, "lower": draw(st.booleans())}
    if real:
        params["transposed"] = draw(st.booleans())
    if draw(st.integers(0, 4)) == 0:
        params = {}
    return Case((a, b), params, (0, 1))


@st.composite
def distribution(draw, z=ANY, shapes: tuple = (), differentiate_shapes: bool = True) -> Case:
    """A call of a ``scipy.stats`` method ``(x, *shape parameters, loc, scale)``: standardized
    points ``z`` drawn from ``z`` (then ``x = loc + scale z``), each shape parameter from its
    strategy in ``shapes`` (an array, or sometimes a Python float), ``loc`` in [-1, 1] and
    ``scale`` in [0.5, 2] given as arrays, as keyword Python floats, or left to their
    defaults. Every array is differentiated, but the shape parameters unless
    ``differentiate_shapes``."""
    z_shape, *shape_shapes, loc_shape, scale_shape = draw(broadcast_shapes(len(shapes) + 3))
    parameters = [
        draw(st.one_of(arrays(shape, elements), elements))
        if draw(st.integers(0, 3)) == 0
        else draw(arrays(shape, elements))
        for shape, elements in zip(shape_shapes, shapes)
    ]
    points = draw(arrays(z_shape, z))
    form = draw(st.sampled_from(["defaults", "arrays", "arrays", "keywords"]))
    params: dict[str, Any] = {}
    if form == "arrays":
        loc, scale = draw(arrays(loc_shape, floats(-1, 1))), draw(arrays(scale_shape, floats(0.5, 2)))
        args = (np.asarray(loc + scale * points), *parameters, loc, scale)
    elif form == "keywords":
        params = {"loc": draw(floats(-1, 1)), "scale": draw(floats(0.5, 2))}
        args = (np.asarray(params["loc"] + params["scale"] * points), *parameters)
    else:
        args = (points, *parameters)
    constant = range(1, 1 + len(shapes)) if not differentiate_shapes else ()
    return Case(args, params, tuple(i for i, a in enumerate(args) if isinstance(a, np.ndarray) and i not in constant))


@st.composite
def quantiles(draw) -> Case:
    """``(q, loc, scale)`` for a quantile function: ``q`` in [0.02, 0.98], ``loc`` in [-1, 1]
    and ``scale`` in [0.5, 2] as arrays, keyword Python floats, or the defaults."""
    q_shape, loc_shape, scale_shape = draw(broadcast_shapes(3))
    q = draw(arrays(q_shape, floats(0.02, 0.98)))
    form = draw(st.sampled_from(["defaults", "arrays", "arrays", "keywords"]))
    if form == "arrays":
        return Case(
            (q, draw(arrays(loc_shape, floats(-1, 1))), draw(arrays(scale_shape, floats(0.5, 2)))), diff=(0, 1, 2)
        )
    if form == "keywords":
        return Case((q,), {"loc": draw(floats(-1, 1)), "scale": draw(floats(0.5, 2))})
    return Case((q,))


@st.composite
def counts(draw, family: str) -> Case:
    """A call of a discrete ``scipy.stats`` method: ``(k, mu)`` for ``"poisson"`` (``k`` in
    0..10, ``mu`` in [0.5, 8]), ``(k, n, p)`` for ``"binom"`` (``n`` in 1..10, ``k`` in
    0..n) and ``(k, p)`` for ``"bernoulli"``, ``p`` in [0.05, 0.95]; counts are float arrays
    of integer values, sometimes shifted by an integer ``loc``. Only ``mu``/``p`` is
    differentiated."""
    k_shape, n_shape, p_shape = draw(broadcast_shapes(3))
    if family == "poisson":
        k = draw(arrays(k_shape, st.integers(0, 10).map(float)))
        args: tuple = (k, draw(arrays(p_shape, floats(0.5, 8))))
    elif family == "binom":
        n = draw(arrays(n_shape, st.integers(1, 10).map(float)))
        k = np.asarray(np.floor(draw(arrays(k_shape, floats(0, 0.999))) * (n + 1)))
        args = (k, n, draw(arrays(p_shape, floats(0.05, 0.95))))
    else:
        k = draw(arrays(k_shape, st.sampled_from([0.0, 1.0])))
        args = (k, draw(arrays(p_shape, floats(0.05, 0.95))))
    params = {}
    if draw(st.booleans()):
        params["loc"] = draw(st.integers(-3, 3))
        args = (np.asarray(args[0] + params["loc"]), *args[1:])
    return Case(args, params, (len(args) - 1,))


@st.composite
def multivariate_normal(draw, entropy: bool = False) -> Case:
    """``(x, mean, cov)`` for ``scipy.stats.multivariate_normal`` (``(mean, cov)`` for its
    entropy): dimension 1 to 3, points ``(..., dim)`` (a 1-D array of scalar points or a
    scalar for dimension 1), ``mean`` an array or None, ``cov`` symmetric positive definite
    (its unread upper triangle filled with other values), a positive vector or a scalar;
    ``allow_singular`` given or not."""
    dim = draw(st.integers(1, 3))
    form = draw(st.sampled_from(["matrix", "matrix", "vector", "scalar"]))
    if form == "matrix":
        cov = np.where(np.tri(dim, k=-1, dtype=bool).T, draw(arrays((dim, dim))), _spd(draw, (), dim))
    elif form == "vector":
        cov = draw(arrays((dim,), floats(0.5, 2)))
    else:
        cov = draw(arrays((), floats(0.5, 2)))
    # Without a mean SciPy takes the dimension from a matrix cov, else 1.
    needs_mean = dim > 1 and form != "matrix"
    mean = draw(arrays((dim,), floats(-1, 1))) if needs_mean or draw(st.integers(0, 3)) else None
    params = {} if draw(st.booleans()) else {"allow_singular": draw(st.booleans())}
    if entropy:
        return Case((mean, cov), {}, (0, 1) if mean is not None else (1,))
    if dim == 1 and draw(st.booleans()):
        x = draw(arrays(hnp.array_shapes(min_dims=0, max_dims=1, max_side=3)))
    else:
        x = draw(arrays(hnp.array_shapes(min_dims=0, max_dims=2, max_side=3).map(lambda s: s + (dim,))))
    return Case((x, mean, cov), params, (0, 1, 2) if mean is not None else (0, 2))


@st.composite
def dirichlet(draw) -> Case:
    """``(x, alpha)`` for ``scipy.stats.dirichlet``: 2 to 4 concentrations in [0.5, 4], and one
    or several points on the simplex (each entry at least 0.05) given without their last
    entry, which SciPy takes as 1 minus the others."""
    k = draw(st.integers(2, 4))
    alpha = draw(arrays((k,), floats(0.5, 4)))
    columns = draw(st.sampled_from([(), (1,), (2,), (3,)]))
    weights = draw(arrays((k,) + columns, floats(1, 3)))
    x = 0.05 + (1 - 0.05 * k) * weights / np.sum(weights, axis=0)
    return Case((x[:-1], alpha), {}, (0, 1))

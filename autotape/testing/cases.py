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


# ---- numpy.linalg ----

LINALG_BATCH = hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=2)


def _generic_rotation(n: int, salt: int = 0) -> np.ndarray:
    """A fixed ``n x n`` rotation with no zero entries (so that rotated draws are never
    axis-aligned, where LAPACK's choice of eigenvector signs can jump); another one for
    each ``salt``."""
    return np.linalg.qr(np.sqrt(np.arange(1.0 + salt, n * n + 1 + salt).reshape(n, n)) + n * np.eye(n))[0]


def _generic_offset(m: int, n: int) -> np.ndarray:
    """A fixed ``m x n`` matrix of norm at most 0.75 with no structure (no zeros, no symmetry),
    added to "near identity" draws so that, made complex, they have distinct singular
    values and no exactly real pivots (where LAPACK's Householder signs jump)."""
    return 0.25 * np.cos(1.7 * np.arange(m * n).reshape(m, n) + 0.3)


def _orthonormal(m: np.ndarray, salt: int = 0) -> np.ndarray:
    """The Q factor of each (well-conditioned) square matrix of the stack ``m``, rotated by
    :func:`_generic_rotation`."""
    return np.linalg.qr(m)[0] @ _generic_rotation(m.shape[-1], salt)


@st.composite
def _distinct_values(draw, shape: tuple, spacing: float = 0.5, lo: float = -1.7) -> np.ndarray:
    """Arrays of ``shape`` whose values along the last axis are pairwise at least ``spacing`` apart
    (by default never 0, and no sum of them 0: at a singular matrix, or at a zero trace, LAPACK's
    choice of eigenvector signs can jump)."""
    n = shape[-1]
    rows = [
        np.asarray(draw(st.lists(st.integers(0, 2 * n), min_size=n, max_size=n, unique=True)), dtype=np.float64)
        for _ in range(math.prod(shape[:-1]))
    ]
    return np.reshape(np.array(rows) * spacing + lo, shape)


@st.composite
def linalg_matrix(draw, kind: str, batch: tuple, n: int) -> np.ndarray:
    """A stack ``batch + (n, n)`` of square matrices of one ``kind``:

    - ``"general"``: ``1.5 P + 0.3 M`` with ``P`` a signed permutation and ``|M_ij| <= 1``:
      singular values in ``[1.5 - 0.3 n, 1.5 + 0.3 n]``, determinants of both signs;
    - ``"near identity"``: ``c I + G + 0.2 M``, ``c`` in ``[1.75, 2]``, ``G`` a fixed generic
      matrix; made complex as ``a + i a'`` (``a'`` the elements reversed) it stays well
      conditioned, with distinct singular values;
    - ``"spd"``: ``M M^T + n I``, symmetric positive definite;
    - ``"symmetric"``: ``Q diag(w) Q^T`` with eigenvalues ``w`` at least 1/2 apart;
    - ``"diagonalizable"``: ``P diag(w) P^{-1}`` with ``P`` general and real eigenvalues
      at least 1/2 apart.
    """
    shape = batch + (n, n)
    m = draw(arrays(shape, floats(-1, 1)))
    if kind == "general":
        size = math.prod(batch)
        perms = [np.eye(n)[list(draw(st.permutations(range(n))))] for _ in range(size)]
        signs = draw(arrays((size, n), st.sampled_from([-1.0, 1.0])))
        signed = np.reshape(np.array(perms) * signs[:, :, None], shape)
        return 1.5 * signed + 0.3 * m
    if kind == "near identity":
        return draw(floats(1.75, 2)) * np.eye(n) + _generic_offset(n, n) + 0.2 * m
    if kind == "spd":
        return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)
    if kind in ("symmetric", "diagonalizable"):
        w = draw(_distinct_values(batch + (n,)))
        p = draw(linalg_matrix("general", batch, n))
        if kind == "symmetric":
            q = _orthonormal(p)
            a = (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)
            return (a + np.swapaxes(a, -1, -2)) / 2
        p = p @ _generic_rotation(n)
        return (p * w[..., None, :]) @ np.linalg.inv(p)
    raise ValueError(f"linalg_matrix: unknown kind {kind!r}")


@st.composite
def linalg_square(
    draw, kind: str = "general", params: dict | None = None, required: tuple = (), min_n: int = 1, max_n: int = 3
) -> Case:
    """One stack of square matrices (:func:`linalg_matrix`), and for each name in ``params``
    a value drawn from its choices (or, unless the name is ``required``, NumPy's default)."""
    batch = draw(LINALG_BATCH)
    a = draw(linalg_matrix(kind, batch, draw(st.integers(min_n, max_n))))
    drawn = {}
    for name, choices in (params or {}).items():
        if name in required or draw(st.booleans()):
            drawn[name] = draw(st.sampled_from(choices))
    return Case((a,), drawn)


@st.composite
def linalg_solve(draw, kind: str = "general") -> Case:
    """``a`` a stack of square matrices, ``b`` a vector ``(n,)`` or a stack ``(..., n, k)``
    whose batch axes broadcast with ``a``'s."""
    n = draw(st.integers(1, 3))
    a_batch, b_batch = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2).map(lambda s: s.input_shapes)
    )
    a = draw(linalg_matrix(kind, a_batch, n))
    if draw(st.booleans()):
        b = draw(arrays((n,)))
    else:
        b = draw(arrays(b_batch + (n, draw(st.integers(1, 2)))))
    return Case((a, b), diff=(0, 1))


@st.composite
def linalg_rectangle(draw, kind: str, batch: tuple, m: int, n: int) -> np.ndarray:
    """A stack ``batch + (m, n)`` of matrices of rank ``min(m, n)``:

    - ``"full rank"``: ``1.5 R E S + 0.3 M`` with ``E`` the ``m x n`` identity, ``R`` a
      rotation, ``S`` diagonal signs and ``|M_ij| <= 1``: singular values at least 0.6, and
      the leading ``min(m, n)`` columns independent (as QR's derivative needs);
    - ``"near identity"``: ``c E + G + 0.2 M`` (see :func:`linalg_matrix`);
    - ``"distinct singular values"``: ``U diag(s) V^T`` with orthonormal ``U``, ``V`` and
      singular values at least 1/2 and at least 1/2 apart.
    """
    shape = batch + (m, n)
    k = min(m, n)
    noise = draw(arrays(shape, floats(-1, 1)))
    if kind == "near identity":
        return draw(floats(1.75, 2)) * np.eye(m, n) + _generic_offset(m, n) + 0.2 * noise
    if kind == "full rank":
        rotation = np.round(draw(linalg_matrix("general", batch, m)) / 1.5) @ _generic_rotation(m)
        signs = draw(arrays(batch + (1, n), st.sampled_from([-1.0, 1.0])))
        return 1.5 * (rotation @ np.eye(m, n)) * signs + 0.3 * noise
    if kind == "distinct singular values":
        s = draw(_distinct_values(batch + (k,), lo=0.5))
        u = _orthonormal(draw(linalg_matrix("general", batch, m)))[..., :, :k]
        v = _orthonormal(draw(linalg_matrix("general", batch, n)), salt=7)[..., :, :k]
        return (u * s[..., None, :]) @ np.swapaxes(v, -1, -2)
    raise ValueError(f"linalg_rectangle: unknown kind {kind!r}")


@st.composite
def linalg_rectangular(draw, kind: str = "full rank", params: dict | None = None) -> Case:
    """One stack of ``m x n`` matrices (:func:`linalg_rectangle`), sides 1 to 3, and for
    each name in ``params`` a value drawn from its choices, or NumPy's default."""
    batch = draw(LINALG_BATCH)
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    a = draw(linalg_rectangle(kind, batch, m, n))
    drawn = {name: draw(st.sampled_from(values)) for name, values in (params or {}).items() if draw(st.booleans())}
    return Case((a,), drawn)


@st.composite
def linalg_svd(draw) -> Case:
    """A stack of ``m x n`` matrices with distinct singular values; ``full_matrices=False``
    unless the matrices are square (the extra vectors of a full SVD are not unique, see
    ``svd``'s docstring), ``compute_uv`` sometimes False."""
    case = draw(linalg_rectangular("distinct singular values"))
    m, n = case.args[0].shape[-2:]
    if m != n or draw(st.booleans()):
        case.params["full_matrices"] = False if m != n else draw(st.booleans())
    if draw(st.integers(0, 3)) == 0:
        case.params["compute_uv"] = False
    return case


@st.composite
def linalg_qr(draw, kind: str = "full rank") -> Case:
    """A stack of full-rank ``m x n`` matrices and a ``mode``: ``"reduced"``, ``"r"``, the
    default, or ``"complete"`` when ``m <= n`` (the extra columns of a tall matrix's
    complete Q are not unique, see ``qr``'s docstring)."""
    case = draw(linalg_rectangular(kind))
    m, n = case.args[0].shape[-2:]
    modes = ["reduced", "r", "default"] + (["complete"] if m <= n else [])
    mode = draw(st.sampled_from(modes))
    if mode != "default":
        case.params["mode"] = mode
    return case


@st.composite
def linalg_lstsq(draw, kind: str = "distinct singular values") -> Case:
    """A full-rank ``a`` (``m x n``, ``m`` up to 4, ``n`` up to 3; distinct singular values, which
    lstsq returns), ``b`` of shape ``(m,)``
    or ``(m, k)``, and ``rcond`` None, 1e-10 or the default."""
    m, n = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    a = draw(linalg_rectangle(kind, (), m, n))
    b = draw(arrays((m,) if draw(st.booleans()) else (m, draw(st.integers(1, 2)))))
    params = {"rcond": draw(st.sampled_from([None, 1e-10]))} if draw(st.booleans()) else {}
    return Case((a, b), params, diff=(0, 1))


@st.composite
def linalg_cond(draw) -> Case:
    """Matrices with distinct singular values and ``p``: None, 2, -2, or ``"fro"``/``"nuc"``
    for square ones."""
    case = draw(linalg_rectangular("distinct singular values"))
    m, n = case.args[0].shape[-2:]
    choices = [None, 2, -2, "default"] + (["fro", "nuc"] if m == n else [])
    p = draw(st.sampled_from(choices))
    if p != "default":
        case.params["p"] = p
    return case


_VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1.5]
_MATRIX_ORDS = [None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf]


@st.composite
def _vector_norm_values(draw, shape: tuple, ord) -> np.ndarray:
    """Values away from the kinks of the vector ``ord``-norm: no zeros, and for ``inf``/``-inf``
    magnitudes pairwise 1/8 apart (no ties)."""
    if ord in (np.inf, -np.inf):
        values = draw(distinct(shape))
        magnitudes = values - np.min(values) + 0.25
        return magnitudes * draw(arrays(shape, st.sampled_from([-1.0, 1.0])))
    return draw(arrays(shape, away_from_zero(0.25, 2)))


@st.composite
def _matrix_norm_values(draw, batch: tuple, m: int, n: int, ord) -> np.ndarray:
    """A stack ``batch + (m, n)`` away from the kinks of the matrix ``ord``-norm: distinct
    nonzero singular values (``2``, ``-2``, ``"nuc"``), column (row) sums of ``|x|`` at least
    1/2 apart (``1``, ``-1``; ``inf``, ``-inf``), no zeros."""
    if ord in (2, -2, "nuc"):
        return draw(linalg_rectangle("distinct singular values", batch, m, n))
    magnitudes = draw(arrays(batch + (m, n), floats(0.25, 0.75)))
    signs = draw(arrays(batch + (m, n), st.sampled_from([-1.0, 1.0])))
    if ord in (1, -1):
        magnitudes = magnitudes + np.asarray(draw(st.permutations(range(n))), dtype=float)
    elif ord in (np.inf, -np.inf):
        magnitudes = magnitudes + np.asarray(draw(st.permutations(range(m))), dtype=float)[:, None]
    return magnitudes * signs


@st.composite
def linalg_norm(draw, function: str = "norm", complex_safe: bool = False) -> Case:
    """A call of ``numpy.linalg.norm`` (``function="norm"``), ``vector_norm`` or ``matrix_norm``:
    an array, an order, an axis (or axes) and keepdims, in each of the forms the function
    takes, with values away from the order's kinks. With ``complex_safe``, only the orders
    that stay away from ties once the array is made complex by ``Case.complexify`` (whose
    ``|x_j + i x_{N-1-j}|`` are equal in pairs): no max or min of moduli."""
    params: dict[str, Any] = {}
    matrix = function == "matrix_norm" or (function == "norm" and draw(st.booleans()))
    if matrix:
        ord = draw(st.sampled_from(_MATRIX_ORDS[:5] if complex_safe else _MATRIX_ORDS))
        batch = draw(hnp.array_shapes(min_dims=0, max_dims=1, min_side=1, max_side=2))
        m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        x = draw(_matrix_norm_values(batch, m, n, ord))
        if function == "norm":
            ndim = x.ndim
            if ndim == 2 and draw(st.booleans()):
                if ord is not None:
                    params["ord"] = ord
            else:  # an explicit pair of axes, in either order, negative or not
                row, column = draw(st.permutations(range(ndim)))[:2]
                x = np.moveaxis(x, (-2, -1), (row, column))
                signs = draw(st.tuples(st.booleans(), st.booleans()))
                params["axis"] = (row - ndim if signs[0] else row, column - ndim if signs[1] else column)
                params["ord"] = ord
        elif ord is not None:
            params["ord"] = ord
    else:
        ords = [o for o in _VECTOR_ORDS if not (complex_safe and o in (np.inf, -np.inf))]
        ord = draw(st.sampled_from(ords if function == "norm" else ords[1:]))
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
        x = draw(_vector_norm_values(shape, ord))
        if function == "norm":
            if len(shape) == 1 and draw(st.booleans()):
                params = {} if ord is None else {"ord": ord}
            elif ord is None and draw(st.booleans()):
                params = {}  # all of x, of any shape, as one vector
            else:
                params = {"ord": ord, "axis": draw(st.integers(-len(shape), len(shape) - 1))}
        else:
            params = {"ord": ord}
            form = draw(st.sampled_from(["None", "int", "tuple"]))
            if form == "int":
                params["axis"] = draw(st.integers(-len(shape), len(shape) - 1))
            elif form == "tuple":
                params["axis"] = draw(hnp.valid_tuple_axes(len(shape), min_size=1))
    if draw(st.booleans()):
        params["keepdims"] = True
    return Case((x,), params)


LINALG_STACKS = hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=3)


@st.composite
def linalg_multi_dot(draw) -> Case:
    """2 to 5 chained matrices (sides 1 to 4), the first and the last sometimes 1-D."""
    count = draw(st.integers(2, 5))
    dims = draw(st.lists(st.integers(1, 4), min_size=count + 1, max_size=count + 1))
    shapes: list[tuple[int, ...]] = [(dims[i], dims[i + 1]) for i in range(count)]
    if draw(st.booleans()):
        shapes[0] = (dims[1],)
    if draw(st.booleans()):
        shapes[-1] = (dims[-2],)
    return Case(tuple(draw(arrays(shape)) for shape in shapes), diff=tuple(range(count)))


def _split_shape(draw, size: int, max_dims: int = 2) -> tuple:
    """A shape of at most ``max_dims`` axes with ``size`` elements."""
    shape = []
    for _ in range(draw(st.integers(0, max_dims - 1))):
        divisors = [d for d in range(1, size + 1) if size % d == 0]
        d = draw(st.sampled_from(divisors))
        shape.append(d)
        size //= d
    return tuple(shape) + (size,)


@st.composite
def linalg_tensorinv(draw) -> Case:
    """A well-conditioned ``n x n`` matrix (``n`` up to 6) reshaped to ``I + J``
    (``prod(I) == prod(J) == n``), and ``ind = len(I)`` (or the default 2)."""
    n = draw(st.sampled_from([1, 2, 3, 4, 6]))
    rows, columns = _split_shape(draw, n), _split_shape(draw, n)
    a = draw(linalg_matrix("general", (), n)).reshape(rows + columns)
    if len(rows) == 2 and draw(st.booleans()):
        return Case((a,))
    return Case((a,), {"ind": len(rows)})


@st.composite
def linalg_tensorsolve(draw) -> Case:
    """``a`` a well-conditioned ``n x n`` matrix reshaped to ``b.shape + x.shape``, its axes
    permuted with ``axes`` naming the permutation back (or None), and ``b``."""
    n = draw(st.sampled_from([1, 2, 3, 4, 6]))
    b_shape, x_shape = _split_shape(draw, n), _split_shape(draw, n)
    a = draw(linalg_matrix("general", (), n)).reshape(b_shape + x_shape)
    b = draw(arrays(b_shape))
    if draw(st.booleans()):
        # move some of x's axes to the front; axes= moves them back to the end, in order
        moved = sorted(draw(st.sets(st.sampled_from(range(len(b_shape), a.ndim)), min_size=1)))
        rest = [i for i in range(a.ndim) if i not in moved]
        order = rest[: len(b_shape)] + moved + rest[len(b_shape) :]
        a = np.transpose(a, np.argsort(order))
        return Case((a, b), {"axes": tuple(int(i) for i in np.argsort(np.argsort(order))[moved])}, diff=(0, 1))
    return Case((a, b), diff=(0, 1))


@st.composite
def linalg_outer(draw) -> Case:
    return Case((draw(arrays((draw(st.integers(1, 4)),))), draw(arrays((draw(st.integers(1, 4)),)))), diff=(0, 1))


@st.composite
def linalg_vecdot(draw, length: int | None = None) -> Case:
    """Two arrays whose shapes broadcast except along ``axis``, where both have the same
    length (``length`` if given), and ``axis`` (or the default -1)."""
    n = length or draw(st.integers(1, 3))
    s1, s2 = draw(broadcast_shapes(2))
    ndim = max(len(s1), len(s2)) + 1
    axis = draw(st.integers(-ndim, -1)) if draw(st.booleans()) else -1
    position = ndim + axis  # in the broadcast shape; each operand gets the axis at the same distance from the end

    def with_axis(shape):
        at = len(shape) - (ndim - position) + 1
        if at < 0:
            shape = (1,) * -at + tuple(shape)
            at = 0
        return tuple(shape[:at]) + (n,) + tuple(shape[at:])

    params = {} if axis == -1 and draw(st.booleans()) else {"axis": axis}
    return Case((draw(arrays(with_axis(s1))), draw(arrays(with_axis(s2)))), params, diff=(0, 1))


@st.composite
def linalg_cross(draw) -> Case:
    return draw(linalg_vecdot(length=3))


@st.composite
def linalg_offset(draw) -> Case:
    """An array of 2 or 3 dimensions and a diagonal ``offset`` within its last two axes (or the default)."""
    x = draw(arrays(LINALG_STACKS))
    m, n = x.shape[-2:]
    if draw(st.booleans()):
        return Case((x,))
    return Case((x,), {"offset": draw(st.integers(-(m - 1), n - 1))})


@st.composite
def linalg_tensordot(draw) -> Case:
    """Two arrays and ``axes``: an int (the last axes of ``x1`` with the first of ``x2``), or a
    pair of axis lists of matching lengths."""
    shared = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    left = draw(hnp.array_shapes(min_dims=0, max_dims=2 - len(shared) + 1, min_side=1, max_side=3))
    right = draw(hnp.array_shapes(min_dims=0, max_dims=2 - len(shared) + 1, min_side=1, max_side=3))
    if draw(st.booleans()):
        x1, x2 = draw(arrays(left + shared)), draw(arrays(shared + right))
        params = {} if len(shared) == 2 and draw(st.booleans()) else {"axes": len(shared)}
        return Case((x1, x2), params, diff=(0, 1))
    # explicit axes: the shared axes at shuffled places in each operand
    k = len(shared)
    order1 = draw(st.permutations(range(len(left) + k)))
    order2 = draw(st.permutations(range(k + len(right))))
    x1 = np.transpose(draw(arrays(left + shared)), np.argsort(order1))
    x2 = np.transpose(draw(arrays(shared + right)), np.argsort(order2))
    axes1 = [int(order1[len(left) + i]) for i in range(k)]
    axes2 = [int(order2[i]) for i in range(k)]
    return Case((x1, x2), {"axes": (axes1, axes2)}, diff=(0, 1))

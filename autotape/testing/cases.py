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


# --------------------------------------------------------------------------------------
# ---- contractions (linear algebra on arrays: einsum, dot, tensordot, ...) ----
# --------------------------------------------------------------------------------------

EINSUM_FORMS = [
    "ij,jk->ik",
    "ij,jk",
    "i,i",
    "i,i->",
    "i,j->ij",
    "ij->ji",
    "ij->",
    "ij",
    "ii->i",
    "ii",
    "iij->j",
    "ii,i->i",
    "ij,ij->j",
    "ba,ab",
    "bij,bjk->bik",
    "...ij,...jk->...ik",
    "...i,...i->...",
    "...ii->...i",
    "i...->...",
    "...,...",
    "ij,jk,kl->il",
    "i,ij,j",
]
_SUBLIST_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@st.composite
def einsum(draw) -> Case:
    """A call of einsum: one of :data:`EINSUM_FORMS`, label lengths 1-3, ellipsis axes
    broadcast (length 1 too), sometimes a shared label of length 1 in one operand (NumPy
    broadcasts it), the string or the sublist form, and an ``optimize`` setting."""
    form = draw(st.sampled_from(EINSUM_FORMS))
    lhs = form.split("->")[0]
    terms = lhs.split(",")
    sizes = {c: draw(st.integers(1, 3)) for c in sorted(set(lhs) - {"."})}
    with_ellipsis = [i for i, t in enumerate(terms) if "..." in t]
    ellipsis_shapes = iter(draw(broadcast_shapes(len(with_ellipsis))) if with_ellipsis else [])
    shapes = []
    for term in terms:
        named = term.replace("...", "")
        shape = [sizes[c] for c in named]
        shapes.append((list(next(ellipsis_shapes)) if "..." in term else []) + shape)
    shared = [(i, c) for i, t in enumerate(terms) for c in set(t) - {"."} if t.count(c) == 1 and lhs.count(c) > 1]
    if shared and sizes[shared[0][1]] > 1 and draw(st.integers(0, 3)) == 0:
        i, c = draw(st.sampled_from(shared))
        term = terms[i]
        offset = len(shapes[i]) - len(term.replace("...", ""))
        shapes[i][offset + term.replace("...", "").index(c)] = 1
    operands = [draw(arrays(tuple(s))) for s in shapes]
    params: dict[str, Any] = {}
    optimize = draw(st.sampled_from([None, None, False, True, "greedy"]))
    if optimize is not None:
        params["optimize"] = optimize
    if draw(st.integers(0, 4)) == 0:  # the sublist form

        def sublist(term: str) -> list:
            out: list = [Ellipsis] if term.startswith("...") else []
            rest = term.replace("...", "")
            out += [_SUBLIST_LABELS.index(c) for c in rest]
            return out + ([Ellipsis] if term.endswith("...") and not term.startswith("...") else [])

        args: list = []
        for a, term in zip(operands, terms):
            args += [a, sublist(term)]
        if "->" in form:
            args.append(sublist(form.split("->")[1]))
        return Case(tuple(args), params, tuple(range(0, 2 * len(operands), 2)))
    return Case((form, *operands), params, tuple(range(1, len(operands) + 1)))


def _sides(draw, n: int, lo: int = 1, hi: int = 3) -> list:
    return [draw(st.integers(lo, hi)) for _ in range(n)]


@st.composite
def dot_any_rank(draw) -> Case:
    """Operands of 0 to 3 dimensions in every combination ``numpy.dot`` accepts."""
    a_dims, b_dims = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    k = draw(st.integers(1, 3))
    if a_dims == 0 or b_dims == 0:
        a_shape, b_shape = _sides(draw, a_dims), _sides(draw, b_dims)
    elif b_dims == 1:
        a_shape, b_shape = _sides(draw, a_dims - 1) + [k], [k]
    else:
        a_shape, b_shape = _sides(draw, a_dims - 1) + [k], _sides(draw, b_dims - 2) + [k, draw(st.integers(1, 3))]
    return Case((draw(arrays(tuple(a_shape))), draw(arrays(tuple(b_shape)))), diff=(0, 1))


@st.composite
def tensordot(draw) -> Case:
    """``axes`` an int N (the last N axes of a, the first N of b), a pair of sequences
    naming the summed axes in any order (negative too), or a pair of ints."""
    summed = _sides(draw, draw(st.integers(0, 2)))
    free_a, free_b = _sides(draw, draw(st.integers(0, 2))), _sides(draw, draw(st.integers(0, 2)))
    n = len(summed)
    form = draw(st.sampled_from(["int", "pair", "pair"] + (["ints"] if n == 1 else [])))
    if form == "int":
        a_shape, b_shape = free_a + summed, summed + free_b
        axes: Any = n if n != 2 or draw(st.booleans()) else 2
        params = {"axes": axes} if axes != 2 or draw(st.booleans()) else {}
        return Case((draw(arrays(tuple(a_shape))), draw(arrays(tuple(b_shape)))), params, (0, 1))
    placed = []
    for free in (free_a, free_b):
        ndim = n + len(free)
        perm = draw(st.permutations(range(ndim)))
        shape = [0] * ndim
        for j, size in enumerate(summed):
            shape[perm[j]] = size
        for t, size in enumerate(free):
            shape[perm[n + t]] = size
        signs = [draw(st.booleans()) for _ in range(n)]
        placed.append((shape, [p - ndim if neg else p for p, neg in zip(perm[:n], signs)]))
    (a_shape, axes_a), (b_shape, axes_b) = placed
    axes = (axes_a[0], axes_b[0]) if form == "ints" else (axes_a, axes_b)
    return Case((draw(arrays(tuple(a_shape))), draw(arrays(tuple(b_shape)))), {"axes": axes}, (0, 1))


@st.composite
def inner(draw) -> Case:
    a_dims, b_dims = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    k = draw(st.integers(1, 3))
    a_shape = _sides(draw, a_dims - 1) + [k] if a_dims else []
    b_shape = _sides(draw, b_dims - 1) + [k] if b_dims else []
    if not a_dims or not b_dims:
        a_shape, b_shape = _sides(draw, a_dims), _sides(draw, b_dims)
    return Case((draw(arrays(tuple(a_shape))), draw(arrays(tuple(b_shape)))), diff=(0, 1))


@st.composite
def outer(draw) -> Case:
    return Case((draw(arrays(SHAPES)), draw(arrays(SHAPES))), diff=(0, 1))


@st.composite
def vdot(draw) -> Case:
    """Two arrays with the same number of elements, in possibly different shapes."""
    a = draw(arrays(SHAPES))
    b_shape = draw(st.sampled_from([a.shape, (a.size,), a.shape[::-1]]))
    return Case((a, draw(arrays(b_shape))), diff=(0, 1))


@st.composite
def kron(draw) -> Case:
    shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=2)
    return Case((draw(arrays(shapes)), draw(arrays(shapes))), diff=(0, 1))


@st.composite
def diagonal(draw) -> Case:
    """2-D or 3-D arrays, an offset inside or past the matrix, two distinct axes (negative too)."""
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4))
    ndim = len(shape)
    x = draw(arrays(shape))
    if draw(st.integers(0, 3)) == 0:
        return Case((x,))
    axis1, axis2 = draw(st.permutations(range(ndim)))[:2]
    params = {
        "offset": draw(st.integers(-4, 4)),
        "axis1": axis1 - draw(st.sampled_from([0, ndim])),
        "axis2": axis2 - draw(st.sampled_from([0, ndim])),
    }
    return Case((x,), params)


@st.composite
def diag(draw) -> Case:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
    x = draw(arrays(shape))
    return Case((x,), {"k": draw(st.integers(-3, 3))}) if draw(st.booleans()) else Case((x,))


@st.composite
def triangle(draw) -> Case:
    """For tril and triu: 1-D to 3-D arrays (the last two axes are the matrices), k from -3 to 3."""
    x = draw(arrays(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)))
    return Case((x,), {"k": draw(st.integers(-3, 3))}) if draw(st.booleans()) else Case((x,))


@st.composite
def cross(draw) -> Case:
    """3-vectors along any axis of broadcastable batches, with axisa/axisb/axisc, or axis."""
    a_batch, b_batch = draw(broadcast_shapes(2))
    form = draw(st.sampled_from(["default", "axes", "axis"] if len(a_batch) == len(b_batch) else ["default", "axes"]))
    if form == "default":
        return Case((draw(arrays(a_batch + (3,))), draw(arrays(b_batch + (3,)))), diff=(0, 1))
    if form == "axis":
        ax = draw(st.integers(-len(a_batch) - 1, len(a_batch)))
        a = np.moveaxis(draw(arrays(a_batch + (3,))), -1, ax)
        b = np.moveaxis(draw(arrays(b_batch + (3,))), -1, ax)
        return Case((np.ascontiguousarray(a), np.ascontiguousarray(b)), {"axis": ax}, (0, 1))
    ax_a = draw(st.integers(-len(a_batch) - 1, len(a_batch)))
    ax_b = draw(st.integers(-len(b_batch) - 1, len(b_batch)))
    out_ndim = len(np.broadcast_shapes(a_batch, b_batch)) + 1
    ax_c = draw(st.integers(-out_ndim, out_ndim - 1))
    a = np.ascontiguousarray(np.moveaxis(draw(arrays(a_batch + (3,))), -1, ax_a))
    b = np.ascontiguousarray(np.moveaxis(draw(arrays(b_batch + (3,))), -1, ax_b))
    return Case((a, b), {"axisa": ax_a, "axisb": ax_b, "axisc": ax_c}, (0, 1))


@st.composite
def convolve(draw) -> Case:
    """For convolve and correlate: 1-D operands of lengths 1-5 (either longer), any mode or the default."""
    a = draw(arrays((draw(st.integers(1, 5)),)))
    v = draw(arrays((draw(st.integers(1, 5)),)))
    mode = draw(st.sampled_from([None, "full", "same", "valid"]))
    return Case((a, v), {} if mode is None else {"mode": mode}, (0, 1))


@st.composite
def gufunc_product(draw, name: str = "matvec") -> Case:
    """Broadcast stacks for ``numpy.matvec``/``vecmat``/``vecdot``; sometimes core axes
    placed elsewhere with ``axes=`` (and for vecdot ``axis=`` and ``keepdims=``)."""
    function = getattr(np, name)
    x1_shape, x2_shape = draw(
        hnp.mutually_broadcastable_shapes(signature=function.signature, max_dims=2, max_side=3).map(
            lambda b: b.input_shapes
        )
    )
    x1, x2 = draw(arrays(x1_shape)), draw(arrays(x2_shape))
    form = draw(st.sampled_from(["default", "default", "axes"] + (["axis"] if name == "vecdot" else [])))
    if form == "default":
        return Case((x1, x2), diff=(0, 1))
    if name == "matvec":  # the matrix stored transposed, the output core axis first
        out_ndim = len(np.broadcast_shapes(x1_shape[:-2], x2_shape[:-1])) + 1
        x1 = np.ascontiguousarray(np.swapaxes(x1, -1, -2))
        return Case((x1, x2), {"axes": [(-1, -2), (-1,), (-out_ndim,)]}, (0, 1))
    if name == "vecmat":
        x2 = np.ascontiguousarray(np.swapaxes(x2, -1, -2))
        return Case((x1, x2), {"axes": [(-1,), (-1, -2), (-1,)]}, (0, 1))
    depth = min(len(x1_shape), len(x2_shape))
    ax = -draw(st.integers(1, depth))
    x1, x2 = np.ascontiguousarray(np.moveaxis(x1, -1, ax)), np.ascontiguousarray(np.moveaxis(x2, -1, ax))
    params: dict[str, Any] = {"axis": ax} if form == "axis" else {"axes": [(ax,), (ax,)]}
    if draw(st.booleans()):
        params["keepdims"] = True
    return Case((x1, x2), params, (0, 1))

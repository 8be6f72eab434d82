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


# ---- numpy.fft ----

FFT_NORMS = st.sampled_from([None, "backward", "ortho", "forward"])


@st.composite
def fft_axis(draw, half_spectrum: bool = False) -> Case:
    """An array (1-3 dimensions, sides 1-5) and the arguments of a 1-D ``numpy.fft``
    transform: ``axis`` (negative too), ``n`` (1-7: cropping, zero-padding or neither)
    and ``norm``, each drawn or left at its default.

    ``half_spectrum``: the input of ``irfft``/``hfft``, whose default ``n = 2 (m - 1)``
    needs ``m >= 2`` points along the axis; they are given when ``n`` is not.
    """
    shape = list(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)))
    params: dict[str, Any] = {}
    axis = -1
    if draw(st.booleans()):
        axis = params["axis"] = draw(st.integers(-len(shape), len(shape) - 1))
    if draw(st.booleans()):
        params["n"] = draw(st.integers(1, 7))
    elif half_spectrum:
        shape[axis] = max(shape[axis], 2)
    if draw(st.booleans()):
        params["norm"] = draw(FFT_NORMS)
    return Case((draw(arrays(tuple(shape))),), params)


@st.composite
def fft_axes(draw, two: bool = False, half_spectrum: bool = False) -> Case:
    """An array (1-3 dimensions, sides 1-4) and the arguments of an n-D ``numpy.fft``
    transform: ``axes``, ``s`` and ``norm``, each drawn or left at its default.

    ``axes`` are distinct or, now and then, one is repeated (NumPy then transforms that
    axis twice). ``s`` gives lengths 1-6, or -1 (the input's length), and is drawn only
    with ``axes`` given (``s`` alone is deprecated in NumPy 2). ``two``: the 2-D
    functions, whose default ``axes`` is (-2, -1), so the array has at least 2
    dimensions. ``half_spectrum``: the input of ``irfftn``/``irfft2``: with ``s`` at its
    default, the last transformed axis has at least 2 points.
    """
    shape = list(draw(hnp.array_shapes(min_dims=2 if two else 1, max_dims=3, min_side=1, max_side=4)))
    ndim = len(shape)
    params: dict[str, Any] = {}
    transformed = [-2, -1] if two else list(range(ndim))
    if draw(st.booleans()):
        transformed = draw(
            st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim, unique_by=lambda a: a % ndim)
        )
        if draw(st.integers(0, 5)) == 0:
            transformed.append(transformed[0])
        params["axes"] = tuple(transformed)
    if (two or "axes" in params) and draw(st.booleans()):
        params["s"] = tuple(draw(st.one_of(st.integers(1, 6), st.just(-1))) for _ in transformed)
    elif half_spectrum:
        shape[transformed[-1]] = max(shape[transformed[-1]], 2)
    if draw(st.booleans()):
        params["norm"] = draw(FFT_NORMS)
    return Case((draw(arrays(tuple(shape))),), params)


@st.composite
def fft_shift(draw) -> Case:
    """An array (1-3 dimensions, sides 1-5; NumPy 2.4's shifts fail on 0-d arrays) and
    ``axes`` for ``fftshift``/``ifftshift``: the default, None, an int or a tuple (negative
    axes too)."""
    x = draw(arrays(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)))
    form = draw(st.sampled_from(["default", "None", "int", "tuple"]))
    if form == "default":
        return Case((x,))
    if form == "None":
        return Case((x,), {"axes": None})
    if form == "int":
        return Case((x,), {"axes": draw(st.integers(-x.ndim, x.ndim - 1))})
    axes = draw(st.lists(st.integers(-x.ndim, x.ndim - 1), max_size=x.ndim, unique_by=lambda a: a % x.ndim))
    return Case((x,), {"axes": tuple(axes)})


# ---- arrays: joining, splitting, tiling, padding, reordering, selecting, sorting ----

SIDE = st.integers(1, 3)


def _shapes(min_dims: int = 0, max_dims: int = 3, max_side: int = 3) -> st.SearchStrategy[tuple]:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


@st.composite
def shaped(draw, min_dims: int = 0) -> Case:
    """One array of at least ``min_dims`` dimensions."""
    return Case((draw(arrays(_shapes(min_dims))),))


@st.composite
def several_arrays(draw) -> Case:
    """1-3 arrays of any shapes, all differentiated (``atleast_1d(*arys)``)."""
    parts = draw(st.lists(arrays(SHAPES), min_size=1, max_size=3))
    return Case(tuple(parts), diff=tuple(range(len(parts))))


@st.composite
def stackable(draw, kind: str) -> Case:
    """1-3 arrays that ``vstack``, ``hstack``, ``dstack`` or ``column_stack`` accept, in all the
    forms those promote (0-d, 1-D and higher-dimensional pieces mixed)."""
    count = draw(st.integers(1, 3))
    shapes: list[tuple] = []
    if kind == "vstack":
        tail = tuple(draw(st.lists(SIDE, min_size=1, max_size=2)))
        for _ in range(count):
            options = [(draw(SIDE), *tail)] + ([tail] if len(tail) == 1 else []) + ([()] if tail == (1,) else [])
            shapes.append(draw(st.sampled_from(options)))
    elif kind == "hstack":
        if draw(st.booleans()):  # 0-d and 1-D pieces, joined along axis 0
            shapes = [draw(st.sampled_from([(draw(SIDE),), ()])) for _ in range(count)]
        else:
            lead, rest = draw(SIDE), tuple(draw(st.lists(SIDE, max_size=1)))
            shapes = [(lead, draw(SIDE), *rest) for _ in range(count)]
    elif kind == "dstack":
        m, n = draw(SIDE), draw(SIDE)
        for _ in range(count):
            options = [(m, n, draw(SIDE)), (m, n)] + ([(n,)] if m == 1 else []) + ([()] if m == n == 1 else [])
            shapes.append(draw(st.sampled_from(options)))
    else:  # column_stack
        n = draw(SIDE)
        for _ in range(count):
            shapes.append(draw(st.sampled_from([(n,), (n, draw(SIDE))] + ([()] if n == 1 else []))))
    return Case(tuple(draw(arrays(s)) for s in shapes), diff=tuple(range(count)))


@st.composite
def append(draw) -> Case:
    shape = list(draw(_shapes(1)))
    if draw(st.booleans()):  # axis None: any shapes
        return Case((draw(arrays(tuple(shape))), draw(arrays(SHAPES))), diff=(0, 1))
    ax = draw(st.integers(-len(shape), len(shape) - 1))
    first = draw(arrays(tuple(shape)))
    shape[ax] = draw(SIDE)
    return Case((first, draw(arrays(tuple(shape)))), {"axis": ax}, diff=(0, 1))


@st.composite
def split(draw, equal: bool, fixed: str | None = None) -> Case:
    """An array and sections (dividing the axis when ``equal``) or split points (unsorted,
    negative and past the end too); the axis drawn, or fixed by ``hsplit``/``vsplit``/``dsplit``."""
    shape = draw(_shapes({None: 1, "h": 1, "v": 2, "d": 3}[fixed], max_side=4))
    ndim = len(shape)
    params: dict[str, Any] = {}
    if fixed is None:
        ax = draw(st.integers(-ndim, ndim - 1))
        if ax or draw(st.booleans()):
            params["axis"] = ax
    else:
        ax = {"h": 1 if ndim > 1 else 0, "v": 0, "d": 2}[fixed]
    n = shape[ax]
    if draw(st.booleans()):
        sections: Any = draw(st.sampled_from([d for d in range(1, n + 1) if n % d == 0] if equal else range(1, n + 3)))
    else:
        sections = draw(st.lists(st.integers(-n - 1, n + 1), max_size=3))
        sections = np.array(sections, dtype=np.intp) if sections and draw(st.booleans()) else sections
    return Case((draw(arrays(shape)), sections), params)


@st.composite
def tile(draw) -> Case:
    reps = draw(st.one_of(st.integers(0, 3), st.lists(st.integers(0, 2), max_size=4).map(tuple)))
    return Case((draw(arrays(SHAPES)),), {"reps": reps})


@st.composite
def repeat(draw) -> Case:
    x = draw(arrays(SHAPES))
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1))) if x.ndim else None
    n = x.size if axis is None else x.shape[axis]
    form = draw(st.sampled_from(["int", "per element", "per element", "one count"]))
    if form == "int":
        repeats: Any = draw(st.integers(0, 3))
    elif form == "one count":
        repeats = [draw(st.integers(0, 3))]
    else:
        repeats = draw(hnp.arrays(np.intp, (n,), elements=st.integers(0, 3)))
        repeats = repeats.tolist() if draw(st.booleans()) else repeats
    params: dict[str, Any] = {"repeats": repeats}
    if axis is not None or draw(st.booleans()):
        params["axis"] = axis
    return Case((x,), params)


def _pairs_form(draw, pairs: list, scalar_ok: bool, pair_ok: bool) -> Any:
    """Per-axis pairs in one of the forms NumPy accepts for pad_width and constant_values."""
    forms = ["per axis", "per axis as array"] + (["number", "(number,)"] if scalar_ok else [])
    forms += ["pair", "(pair,)"] if pair_ok else []
    form = draw(st.sampled_from(forms))
    if form == "number":
        return pairs[0][0]
    if form == "(number,)":
        return (pairs[0][0],)
    if form == "pair":
        return tuple(pairs[0])
    if form == "(pair,)":
        return (tuple(pairs[0]),)
    if form == "per axis as array":
        return np.array(pairs)
    return [tuple(p) for p in pairs]


@st.composite
def pad(draw) -> Case:
    """An array, pad widths in every form (wider than the axis too, so reflections repeat),
    a mode, and its keywords; constant_values as numbers or as a differentiated array."""
    shape = draw(_shapes(0 if draw(st.integers(0, 9)) == 0 else 1))
    x = draw(arrays(shape))
    ndim = len(shape)
    mode = draw(st.sampled_from(["constant", "constant", "edge", "reflect", "symmetric", "wrap"]))
    widths = [(draw(st.integers(0, 4)), draw(st.integers(0, 4))) for _ in range(max(ndim, 1))]
    uniform = draw(st.booleans())
    if uniform:
        widths = [widths[0]] * len(widths)
    pad_width = _pairs_form(draw, widths, uniform and widths[0][0] == widths[0][1], uniform)
    params: dict[str, Any] = {"pad_width": pad_width}
    if mode != "constant" or draw(st.booleans()):
        params["mode"] = mode
    if mode in ("reflect", "symmetric") and draw(st.booleans()):
        # Odd reflection: NumPy computes a pad wider than the axis in steps, whose rounding
        # the composite does not repeat, so the drawn widths stay within one step (the
        # explicit tests check wider ones to rounding).
        n_min = min(shape) if shape else 1
        limit = n_min - 1 if mode == "reflect" else n_min
        fitted = [(min(b, limit), min(a, limit)) for b, a in widths]
        params["pad_width"] = [tuple(p) for p in fitted] if ndim else 0
        params["reflect_type"] = draw(st.sampled_from(["even", "odd"]))
    if mode == "constant":
        values = [(draw(floats(-3, 3)), draw(floats(-3, 3))) for _ in range(max(ndim, 1))]
        same = draw(st.booleans())
        if same:
            values = [values[0]] * len(values)
        form = draw(st.sampled_from(["default", "numbers", "array"]))
        if form == "numbers":
            params["constant_values"] = _pairs_form(draw, values, same and values[0][0] == values[0][1], same)
        elif form == "array":
            cv = np.array(values if not same else [values[0]]) if draw(st.booleans()) else np.array(values[0][0])
            return Case((x, cv), params, diff=(0, 1))
    return Case((x,), params)


@st.composite
def roll(draw) -> Case:
    x = draw(arrays(SHAPES))
    shifts = st.integers(-5, 5)
    if not x.ndim or draw(st.integers(0, 3)) == 0:
        return Case((x,), {"shift": draw(shifts)})
    axes = st.integers(-x.ndim, x.ndim - 1)
    form = draw(st.sampled_from(["int", "tuples", "int shift, tuple axis", "tuple shift, int axis"]))
    if form == "int":
        return Case((x,), {"shift": draw(shifts), "axis": draw(axes)})
    if form == "tuples":  # an axis may repeat: its shifts add up
        count = draw(st.integers(1, 3))
        return Case(
            (x,),
            {
                "shift": tuple(draw(st.lists(shifts, min_size=count, max_size=count))),
                "axis": tuple(draw(st.lists(axes, min_size=count, max_size=count))),
            },
        )
    if form == "int shift, tuple axis":
        return Case((x,), {"shift": draw(shifts), "axis": tuple(draw(st.lists(axes, min_size=1, max_size=3)))})
    return Case((x,), {"shift": tuple(draw(st.lists(shifts, min_size=1, max_size=3))), "axis": draw(axes)})


@st.composite
def rot90(draw) -> Case:
    x = draw(arrays(_shapes(2)))
    params: dict[str, Any] = {}
    if draw(st.integers(0, 3)):
        params["k"] = draw(st.integers(-5, 5))
    if draw(st.booleans()):
        first, second = draw(st.permutations(range(x.ndim)))[:2]
        params["axes"] = (first - draw(st.sampled_from([0, x.ndim])), second - draw(st.sampled_from([0, x.ndim])))
    return Case((x,), params)


@st.composite
def take(draw) -> Case:
    """An array, integer indices (a number or an array, repeats likely) and an axis; in range
    for ``mode="raise"``, past both ends for ``"wrap"`` and ``"clip"``."""
    x = draw(arrays(SHAPES))
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1))) if x.ndim else None
    n = x.size if axis is None else x.shape[axis]
    mode = draw(st.sampled_from(["raise", "wrap", "clip"]))
    lo, hi = (-n, n - 1) if mode == "raise" else (-2 * n - 1, 2 * n + 1)
    elements = st.integers(lo, hi)
    indices = draw(st.one_of(elements, hnp.arrays(np.intp, _shapes(0, 2), elements=elements)))
    params: dict[str, Any] = {"axis": axis}
    if mode != "raise" or draw(st.booleans()):
        params["mode"] = mode
    return Case((x, indices), params)


@st.composite
def take_along_axis(draw) -> Case:
    x = draw(arrays(_shapes(1)))
    if draw(st.integers(0, 4)) == 0:
        indices = draw(hnp.arrays(np.intp, (draw(st.integers(1, 5)),), elements=st.integers(-x.size, x.size - 1)))
        return Case((x, indices), {"axis": None})
    ax = draw(st.integers(-x.ndim, x.ndim - 1))
    shape = [draw(st.sampled_from([n, 1])) for n in x.shape]
    shape[ax] = draw(st.integers(1, 4))
    n = x.shape[ax]
    indices = draw(hnp.arrays(np.intp, tuple(shape), elements=st.integers(-n, n - 1)))
    return Case((x, indices), {"axis": ax})  # NumPy before 2.3 has no default axis


@st.composite
def distinct_unary(draw, min_dims: int = 1) -> Case:
    """One array with pairwise distinct elements (no ties)."""
    return Case((draw(distinct(draw(_shapes(min_dims, max_side=4)))),))


@st.composite
def sort(draw) -> Case:
    x = draw(distinct(draw(_shapes(1, max_side=4))))
    params: dict[str, Any] = {}
    form = draw(st.sampled_from(["default", "None", "int"]))
    if form != "default":
        params["axis"] = None if form == "None" else draw(st.integers(-x.ndim, x.ndim - 1))
    kind = draw(st.sampled_from([None, "quicksort", "mergesort", "heapsort", "stable", "stable=True"]))
    if kind == "stable=True":
        params["stable"] = True
    elif kind is not None:
        params["kind"] = kind
    return Case((x,), params)


@st.composite
def partition(draw) -> Case:
    x = draw(distinct(draw(_shapes(1, max_side=4))))
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    n = x.size if axis is None else x.shape[axis]
    kth = draw(st.one_of(st.integers(-n, n - 1), st.lists(st.integers(-n, n - 1), min_size=1, max_size=2)))
    params: dict[str, Any] = {"kth": kth}
    if axis != -1 or draw(st.booleans()):
        params["axis"] = axis
    return Case((x,), params)


def _index_forms(draw, n: int, allow_empty: bool = True):
    """``obj`` of insert and delete: an int, a slice, a list of ints (repeats too) or a mask."""
    form = draw(st.sampled_from(["int", "slice", "list", "mask"]))
    if form == "int":
        return draw(st.integers(-n, n - 1))
    if form == "slice":
        return slice(
            draw(st.none() | st.integers(-n, n)),
            draw(st.none() | st.integers(-n, n)),
            draw(st.sampled_from([None, 1, 2, -1])),
        )
    if form == "list":
        return draw(st.lists(st.integers(-n, n - 1), min_size=0 if allow_empty else 1, max_size=3))
    return draw(hnp.arrays(np.bool_, (n,)))


@st.composite
def insert(draw) -> Case:
    """An array, where to insert (an int, a slice, a list: past the end too) and values of a
    shape NumPy broadcasts there (a 0-d array otherwise), both differentiated."""
    x = draw(arrays(_shapes(1)))
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    n = x.size if axis is None else x.shape[axis]
    form = draw(st.sampled_from(["int", "list", "slice"]))
    if form == "int":
        obj: Any = draw(st.integers(-n, n))
    elif form == "list":
        obj = draw(st.lists(st.integers(-n, n), min_size=1, max_size=3))
    else:
        obj = slice(draw(st.none() | st.integers(0, n)), None, draw(st.sampled_from([None, 2])))
    value_shape = draw(_shapes(0, 2))
    try:
        np.insert(np.zeros(x.shape), obj, np.zeros(value_shape), axis=axis)
    except ValueError:
        value_shape = ()
    params: dict[str, Any] = {"axis": axis} if axis is not None or draw(st.booleans()) else {}
    return Case((x, obj, draw(arrays(value_shape))), params, diff=(0, 2))


@st.composite
def delete(draw) -> Case:
    x = draw(arrays(_shapes(1)))
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    n = x.size if axis is None else x.shape[axis]
    params: dict[str, Any] = {"axis": axis} if axis is not None or draw(st.booleans()) else {}
    return Case((x, _index_forms(draw, n)), params)


@st.composite
def resize(draw) -> Case:
    new_shape = draw(st.one_of(st.integers(0, 6), st.lists(st.integers(0, 4), max_size=3).map(tuple)))
    return Case((draw(arrays(SHAPES)),), {"new_shape": new_shape})


@st.composite
def select(draw) -> Case:
    """1-3 boolean conditions and choices that broadcast together, and a default (a number or
    a differentiated array); the operands are the choices (and default), the conditions a parameter."""
    count = draw(st.integers(1, 3))
    shapes = draw(broadcast_shapes(2 * count + 1))
    conditions = [draw(hnp.arrays(np.bool_, s)) for s in shapes[:count]]
    choices = [draw(arrays(s)) for s in shapes[count : 2 * count]]
    params = {"conditions": conditions, "count": count}
    if draw(st.booleans()):
        return Case((*choices, draw(arrays(shapes[-1]))), params, diff=tuple(range(count + 1)))
    default = draw(st.sampled_from([(), (draw(ANY),)]))
    return Case((*choices, *default), params, diff=tuple(range(count)))


@st.composite
def choose(draw) -> Case:
    count = draw(st.integers(1, 3))
    shapes = draw(broadcast_shapes(count + 1))
    mode = draw(st.sampled_from(["raise", "wrap", "clip"]))
    lo, hi = (0, count - 1) if mode == "raise" else (-count - 2, count + 2)
    index = draw(hnp.arrays(np.intp, shapes[0], elements=st.integers(lo, hi)))
    params: dict[str, Any] = {"index": index}
    if mode != "raise" or draw(st.booleans()):
        params["mode"] = mode
    return Case(tuple(draw(arrays(s)) for s in shapes[1:]), params, diff=tuple(range(count)))


@st.composite
def compress(draw) -> Case:
    x = draw(arrays(_shapes(1)))
    axis = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))
    n = x.size if axis is None else x.shape[axis]
    condition = draw(hnp.arrays(np.bool_, (draw(st.integers(0, n)),)))
    condition = condition.tolist() if draw(st.booleans()) else condition
    params: dict[str, Any] = {"axis": axis} if axis is not None or draw(st.booleans()) else {}
    return Case((condition, x), params, diff=(1,))


@st.composite
def extract(draw) -> Case:
    x = draw(arrays(_shapes(0)))
    condition = draw(st.one_of(hnp.arrays(np.bool_, x.shape), hnp.arrays(np.intp, x.shape, elements=st.integers(0, 2))))
    return Case((condition, x), diff=(1,))


@st.composite
def bincount(draw) -> Case:
    n = draw(st.integers(1, 6))
    x = draw(hnp.arrays(np.intp, (n,), elements=st.integers(0, 4)))
    params = {"minlength": draw(st.integers(0, 7))} if draw(st.booleans()) else {}
    return Case((x, draw(arrays((n,)))), params, diff=(1,))


@st.composite
def trim_zeros(draw) -> Case:
    """A nonzero array and a frame of zeros around it (``margins``, a pad width per axis), with
    ``trim`` and ``axis``; the op is called on the framed array (see the spec's ``call``)."""
    x = draw(arrays(_shapes(1), away_from_zero(0.25)))
    margins = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(x.ndim)]
    params: dict[str, Any] = {"margins": margins}
    if draw(st.booleans()):
        params["trim"] = draw(st.sampled_from(["f", "b", "fb", "bf", "FB"]))
    if draw(st.booleans()):
        params["axis"] = draw(axis(x.ndim))
    return Case((x,), params)


# ---- reductions ----


def with_zeros(elements=None) -> st.SearchStrategy[float]:
    """Floats from ``elements`` (default [-2, 2]), exactly 0 about a third of the time:
    slices with one, two or more zeros (``prod``, ``cumprod``)."""
    elements = floats(-2, 2) if elements is None else elements
    return st.one_of(st.just(0.0), elements, elements)


def _reduced_axes(axis, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in ((axis,) if isinstance(axis, int) else axis))


def with_nans(x: np.ndarray, mask: np.ndarray, axes: tuple, keep: int = 1) -> np.ndarray:
    """``x`` with NaN where ``mask`` holds, except in slices over ``axes`` that would keep
    fewer than ``keep`` numbers (those keep all theirs). The NaNs are placed symmetrically
    in the flat order, so the complex operands of the tests (``x + i x`` reversed, see
    :meth:`Case.complexify`) have NaNs at the same places."""
    numbers = np.sum(~mask, axis=axes, keepdims=True)
    nan = mask & (numbers >= keep)
    return np.where(nan & np.reshape(nan.ravel()[::-1], nan.shape), np.nan, x)


@st.composite
def nan_reduction(draw, distinct_elements: bool = False, ddof: bool = False) -> Case:
    """:func:`reduction` with NaN elements (every slice keeps a number), for the ``nan*``
    reductions; with ``ddof``, also a ``ddof`` of 0 or 1 that every slice leaves a degree
    of freedom for."""
    case = draw(reduction(distinct_elements=distinct_elements))
    x, params = case.args[0], dict(case.params)
    axes = _reduced_axes(params.get("axis"), x.ndim)
    keep = 1
    if ddof and math.prod(x.shape[a] for a in axes) > 1 and draw(st.booleans()):
        params["ddof"] = 1
        keep = 2
    x = with_nans(x, draw(hnp.arrays(np.bool_, x.shape)), axes, keep)
    return Case((x,), params)


@st.composite
def moments(draw, distinct_elements: bool = False) -> Case:
    """:func:`reduction` and a ``ddof`` of 0 or 1 (1 only when the slices have 2 or more
    elements), for ``var`` and ``std``."""
    case = draw(reduction(distinct_elements=distinct_elements))
    x, params = case.args[0], dict(case.params)
    if math.prod(x.shape[a] for a in _reduced_axes(params.get("axis"), x.ndim)) > 1 and draw(st.booleans()):
        params["ddof"] = 1
    return Case((x,), params)


@st.composite
def nan_along_axis(draw, elements=ANY) -> Case:
    """:func:`along_axis` (None too) with NaN elements (``nancumsum``, ``nancumprod``)."""
    case = draw(along_axis(elements, none=True))
    x = case.args[0]
    return Case((with_nans(x, draw(hnp.arrays(np.bool_, x.shape)), (), 0),), case.params)


@st.composite
def cumulative(draw, elements=ANY) -> Case:
    """An array of 1-3 dimensions, an ``axis`` (optional for 1-d) and ``include_initial``
    (``cumulative_sum``, ``cumulative_prod``)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    params: dict[str, Any] = {}
    if len(shape) > 1 or draw(st.booleans()):
        params["axis"] = draw(st.integers(-len(shape), len(shape) - 1))
    if draw(st.booleans()):
        params["include_initial"] = draw(st.booleans())
    return Case((draw(arrays(shape, elements)),), params)


@st.composite
def average(draw) -> Case:
    """``(a, axis, weights)`` for ``numpy.average``: no weights, weights of ``a``'s shape, or
    weights of the averaged axes' shape (in the order given); sometimes ``keepdims``.
    Weights in [0.5, 2], differentiated with ``a``."""
    shape = draw(SHAPES)
    x = draw(arrays(shape))
    forms = ["none", "same shape"] + (["along axes"] if shape else [])
    form = draw(st.sampled_from(forms))
    params = {"keepdims": True} if draw(st.integers(0, 3)) == 0 else {}
    if form == "none":
        return Case((x, draw(axis(len(shape)))), params, diff=(0,))
    if form == "same shape":
        return Case((x, draw(axis(len(shape))), draw(arrays(shape, floats(0.5, 2)))), params, diff=(0, 2))
    ndim = len(shape)
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    given = [a - ndim if draw(st.booleans()) else a for a in axes]
    ax: Any = given[0] if len(given) == 1 and draw(st.booleans()) else tuple(given)
    w = draw(arrays(tuple(shape[a] for a in axes), floats(0.5, 2)))
    return Case((x, ax, w), params, diff=(0, 2))


@st.composite
def quantile(draw, percent: bool = False, nan: bool = False) -> Case:
    """``(a, q)`` and ``axis``/``keepdims`` for ``quantile`` (``percentile`` with ``percent``):
    distinct elements (with NaNs, every slice keeping a number, for ``nan``); ``q`` a Python
    float, an array of levels, or (without ``nan``, slices of 2 or more) an array of
    differentiated levels at least 1/10 of a step away from the interpolation nodes."""
    case = draw(reduction(distinct_elements=True))
    x, params = case.args[0], dict(case.params)
    axes = _reduced_axes(params.get("axis"), x.ndim)
    n = math.prod(x.shape[a] for a in axes)
    scale = 100.0 if percent else 1.0
    if nan:
        x = with_nans(x, draw(hnp.arrays(np.bool_, x.shape)), axes)
    forms = ["float", "array"] + (["differentiated"] if n >= 2 and not nan else [])
    form = draw(st.sampled_from(forms))
    if form == "float":
        return Case((x, draw(floats(0, 1)) * scale), params)
    # (numpy.nanquantile misplaces a 2-d q's axes when axis=(): NumPy 2.4)
    shape = draw(st.sampled_from([(), (1,), (3,)] + ([] if nan and params.get("axis") == () else [(2, 1)])))
    if form == "array":
        return Case((x, np.asarray(draw(arrays(shape, floats(0, 1))) * scale)), params)
    steps = draw(arrays(shape, st.integers(0, n - 2).map(float)))
    fractions = draw(arrays(shape, floats(0.1, 0.9)))
    return Case((x, np.asarray((steps + fractions) / (n - 1) * scale)), params, diff=(0, 1))


# ---- calculus ----


def _spaced(draw, count: int, lo: float = -2.0, gap: float = 0.25) -> np.ndarray:
    """``count`` increasing points starting in ``[lo, lo + 1]``, consecutive gaps in
    ``[gap, gap + 1.5]`` and pairwise different (so never evenly spaced)."""
    order = np.asarray(draw(st.permutations(range(max(count - 1, 0)))), dtype=np.float64)
    jitter = draw(arrays(max(count - 1, 0), floats(0.0, 0.4 / max(count, 1))))
    gaps = gap + order * (1.5 / max(count - 1, 1)) + jitter
    return draw(floats(lo, lo + 1)) + np.concatenate([[0.0], np.cumsum(gaps)])


def _extra(draw, shape: tuple, axis: int, floats_too: bool):
    """A ``prepend``/``append``/``to_begin`` value: absent (None), a constant (a Python float,
    or a 0-d array where a float would promote float32 to float64), or a differentiated
    0-d array or array with ``shape`` except 1-2 elements along ``axis``."""
    form = draw(st.sampled_from(["absent", "absent", "constant", "array", "0-d"]))
    if form == "constant":
        return (draw(ANY) if floats_too else draw(arrays(()))), False
    if form == "0-d":
        return draw(arrays(())), True
    if form == "array":
        extra_shape = list(shape)
        if extra_shape:
            extra_shape[axis] = draw(st.integers(1, 2))
        return draw(arrays(tuple(extra_shape))), True
    return None, False


@st.composite
def diff(draw) -> Case:
    """An array (1-3 dims), ``n`` 0-3, an axis, and ``prepend``/``append`` (positional, so
    that they can be differentiated; absent ones are NumPy's ``np._NoValue`` default)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    args: list = [draw(arrays(shape)), draw(st.integers(0, 3)), axis]
    differentiated = [0]
    for position in (3, 4):
        value, is_differentiated = _extra(draw, shape, axis, floats_too=False)
        args.append(np._NoValue if value is None else value)
        if is_differentiated:
            differentiated.append(position)
    return Case(tuple(args), {}, tuple(differentiated))


@st.composite
def ediff1d(draw) -> Case:
    """An array of any shape and ``to_end``/``to_begin``: absent, floats or arrays."""
    ary = draw(arrays(SHAPES))
    args: list = [ary, None, None]
    diff_ = [0]
    for position in (1, 2):
        value, differentiated = _extra(draw, (draw(st.integers(1, 3)),), 0, floats_too=True)
        args[position] = value
        if differentiated:
            diff_.append(position)
    return Case(tuple(args), {}, tuple(diff_))


@st.composite
def gradient(draw, coordinates: bool = True) -> Case:
    """An array (1-3 dims, axes of 3-4 elements), ``axis`` None/int/tuple, spacing none, one
    scalar, or per axis a scalar or unevenly spaced coordinates; ``edge_order`` 1 or 2."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=3, max_side=4))
    ndim = len(shape)
    params: dict[str, Any] = {"edge_order": draw(st.sampled_from([1, 2]))}
    form = draw(st.sampled_from(["None", "int", "tuple"]))
    if form == "int":
        params["axis"] = draw(st.integers(-ndim, ndim - 1))
        axes = [params["axis"] % ndim]
    elif form == "tuple":
        axes = list(draw(st.permutations(range(ndim))))[: draw(st.integers(1, ndim))]
        params["axis"] = tuple(axes)
    else:
        axes = list(range(ndim))
    args: list = [draw(arrays(shape))]
    diff_ = [0]
    spacing = draw(st.sampled_from(["none", "scalar", "per axis"]))
    if spacing == "scalar":
        if coordinates and draw(st.booleans()):
            diff_.append(1)
            args.append(draw(arrays((), floats(0.5, 2))))
        else:
            args.append(draw(floats(0.5, 2)))
    elif spacing == "per axis":
        for ax in axes:
            kind = draw(st.sampled_from(["float", "coordinates", "coordinates"]))
            if kind == "float":
                args.append(draw(floats(0.5, 2)))
                continue
            if coordinates:
                diff_.append(len(args))
            args.append(_spaced(draw, shape[ax], gap=0.5))
    return Case(tuple(args), params, tuple(diff_))


@st.composite
def trapezoid(draw) -> Case:
    """``y`` (1-3 dims), an axis, and ``x`` as 1-D or full coordinates, or a spacing ``dx``."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    y = draw(arrays(shape))
    form = draw(st.sampled_from(["default", "dx float", "dx array", "x 1-D", "x full"]))
    if form == "default":
        return Case((y,), {"axis": axis})
    if form == "dx float":
        return Case((y,), {"axis": axis, "dx": draw(floats(0.25, 2))})
    if form == "dx array":
        return Case((y, None, draw(arrays((), floats(0.25, 2)))), {"axis": axis}, (0, 2))
    if form == "x 1-D":
        return Case((y, _spaced(draw, shape[axis])), {"axis": axis}, (0, 1))
    return Case((y, draw(arrays(shape))), {"axis": axis}, (0, 1))


@st.composite
def interp(draw, real_arguments: bool = True) -> Case:
    """Increasing knots >= 0.25 apart (1-5 of them), queries >= 0.05 from every knot, inside
    and outside the range; ``left``/``right`` None, floats or differentiated 0-d arrays; or a
    ``period`` with unsorted knots inside one period. With ``real_arguments=False`` only
    ``fp``, ``left`` and ``right`` are differentiated (the complex cases)."""
    count = draw(st.integers(1, 5))
    knots = _spaced(draw, count)
    values = draw(arrays(count))
    periodic = count > 1 and draw(st.integers(0, 3)) == 0
    if periodic:
        period = float(np.ceil(knots[-1] - knots[0] + 1.0))
        knots = np.mod(knots - knots[0] + 0.5, period)  # in [0.5, period - 0.5]
        order = draw(st.permutations(range(count)))
        knots, values = knots[order], values[order]
        # the padded knots of NumPy's construction; queries stay between the outer two
        edges = np.sort(np.concatenate([knots, [knots.min() + period, knots.max() - period]]))
        segment = st.integers(0, len(edges) - 2)
    else:
        edges = knots
        segment = st.integers(-1, len(edges) - 1)
    x_shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))

    def query(k: int, u: float) -> float:
        if k == -1:
            return float(edges[0] - 0.05 - u)
        if k == len(edges) - 1:
            return float(edges[-1] + 0.05 + u)
        return float(edges[k] + 0.05 + u * (edges[k + 1] - edges[k] - 0.1))

    picks = draw(
        st.lists(st.tuples(segment, floats(0, 1)), min_size=int(np.prod(x_shape)), max_size=int(np.prod(x_shape)))
    )
    x = np.reshape(np.array([query(k, u) for k, u in picks]), x_shape)
    if periodic:
        x = x + period * draw(st.integers(-1, 1))
        return Case((x, knots, values), {"period": period}, (2,) if not real_arguments else (0, 1, 2))
    args: list = [x, knots, values]
    diff_ = [2] if not real_arguments else [0, 1, 2]
    for _ in ("left", "right"):
        form = draw(st.sampled_from(["None", "float", "array"]))
        if form == "array":
            diff_.append(len(args))
            args.append(draw(arrays((), ANY)))
        else:
            args.append(None if form == "None" else draw(ANY))
    if draw(st.booleans()) and real_arguments:
        diff_ = sorted(set(diff_) - {draw(st.sampled_from([0, 1]))})
    return Case(tuple(args), {}, tuple(diff_))


@st.composite
def linspace(draw) -> Case:
    """``start``/``stop`` broadcasting arrays (or one a float), ``num`` 0-5, ``endpoint``,
    an axis, and ``retstep`` where the step is defined."""
    start_shape, stop_shape = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3)).input_shapes
    start, stop = draw(arrays(start_shape)), draw(arrays(stop_shape))
    form = draw(st.sampled_from(["arrays", "arrays", "start float", "stop float"]))
    differentiated = {"arrays": (0, 1), "start float": (1,), "stop float": (0,)}[form]
    if form == "start float":
        start, start_shape = draw(ANY), ()
    if form == "stop float":
        stop, stop_shape = draw(ANY), ()
    num, endpoint = draw(st.integers(0, 5)), draw(st.booleans())
    ndim = max(len(start_shape), len(stop_shape)) + 1
    params: dict[str, Any] = {"num": num, "endpoint": endpoint, "axis": draw(st.integers(-ndim, ndim - 1))}
    if (num - 1 if endpoint else num) > 0 and draw(st.booleans()):
        params["retstep"] = True
    return Case((start, stop), params, differentiated)


@st.composite
def logspace(draw) -> Case:
    """Exponents in [-2, 2] broadcasting, ``num`` 0-5, ``endpoint``, an axis; ``base`` 10, 2 or
    a positive array (differentiated)."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=2, max_side=3)).input_shapes
    start, stop = draw(arrays(shapes[0], floats(-2, 2))), draw(arrays(shapes[1], floats(-2, 2)))
    num, endpoint = draw(st.integers(0, 5)), draw(st.booleans())
    form = draw(st.sampled_from(["default", "float", "array"]))
    ndim = max(map(len, shapes if form == "array" else shapes[:2])) + 1
    axis = draw(st.integers(-ndim, ndim - 1))
    if form == "array":
        base = draw(arrays(shapes[2] if shapes[2] else (1,), floats(0.5, 3)))
        return Case((start, stop, num, endpoint, base), {"axis": axis}, (0, 1, 4))
    params: dict[str, Any] = {"num": num, "endpoint": endpoint, "axis": axis}
    if form == "float":
        params["base"] = draw(st.sampled_from([2.0, 10.0, 0.5]))
    return Case((start, stop), params, (0, 1))


@st.composite
def geomspace(draw) -> Case:
    """``start``/``stop`` with one sign per element and magnitudes in [0.5, 4], ``num`` 0-5,
    ``endpoint``, an axis."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    sign = np.where(draw(hnp.arrays(np.bool_, shape)), -1.0, 1.0)
    start = sign * draw(arrays(shape, floats(0.5, 4)))
    stop = sign * draw(arrays(shape, floats(0.5, 4)))
    num, endpoint = draw(st.integers(0, 5)), draw(st.booleans())
    params = {"num": num, "endpoint": endpoint, "axis": draw(st.integers(-len(shape) - 1, len(shape)))}
    return Case((start, stop), params, (0, 1))


@st.composite
def meshgrid(draw) -> Case:
    """1-3 arrays of any shape (flattened by meshgrid), ``indexing``, ``sparse``, ``copy``."""
    count = draw(st.integers(1, 3))
    vectors = tuple(
        draw(arrays(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))) for _ in range(count)
    )
    params = {"indexing": draw(st.sampled_from(["xy", "ij"])), "sparse": draw(st.booleans())}
    if draw(st.booleans()):
        params["copy"] = draw(st.booleans())
    return Case(vectors, params, tuple(range(count)))


@st.composite
def polyval(draw) -> Case:
    """1-4 coefficients and ``x`` of any shape, values in [-2, 2]."""
    p = draw(arrays(draw(st.integers(1, 4)), floats(-2, 2)))
    x = draw(arrays(SHAPES, floats(-2, 2)))
    return Case((p, x), {}, draw(st.sampled_from([(0, 1), (0, 1), (0,), (1,)])))


@st.composite
def vander(draw) -> Case:
    """1-D ``x`` in [-2, 2], ``N`` None or 0-5, ``increasing``."""
    x = draw(arrays(draw(st.integers(1, 4)), floats(-2, 2)))
    params: dict[str, Any] = {"increasing": draw(st.booleans())}
    if draw(st.booleans()):
        params["N"] = draw(st.integers(0, 5))
    return Case((x,), params)


@st.composite
def unwrap(draw) -> Case:
    """Phases whose steps are within 0.4 period of a multiple of the period (so every step
    is far from the thresholds), an axis, ``discont`` None or 0.55 period, a period."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    period = draw(st.sampled_from([None, 4.0, 360.0]))
    size = 2 * math.pi if period is None else period
    steps = draw(arrays(shape, floats(-0.4, 0.4))) + draw(arrays(shape, st.integers(-2, 2).map(float)))
    p = np.cumsum(steps * size, axis=axis)
    params: dict[str, Any] = {"axis": axis}
    if period is not None:
        params["period"] = period
    if draw(st.booleans()):
        params["discont"] = 0.55 * size
    return Case((p,), params)


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


# ---- scipy ----


@st.composite
def array_pair(draw, x_elements=ANY, y_elements=ANY, differentiate=(0, 1)) -> Case:
    """Two broadcastable arrays (0-d ones too, never Python floats): SciPy's two-operand ufuncs
    whose float64 loop comes first make a float32 array's result float64 with a Python float."""
    x_shape, y_shape = draw(broadcast_shapes(2))
    return Case((draw(arrays(x_shape, x_elements)), draw(arrays(y_shape, y_elements))), diff=tuple(differentiate))


def integer_valued(lo: int, hi: int) -> st.SearchStrategy[float]:
    """Integers in ``[lo, hi]`` as floats (orders of Bessel and polygamma functions)."""
    return st.integers(lo, hi).map(float)


@st.composite
def order_and_argument(draw, orders, x_elements, python_orders: bool = True) -> Case:
    """An order (or shape parameter) and an argument array, broadcasting; only the argument
    is differentiated. The order is an array of ``orders`` or, with ``python_orders``, one
    Python value of them."""
    n_shape, x_shape = draw(broadcast_shapes(2))
    x = draw(arrays(x_shape, x_elements))
    if python_orders and draw(st.booleans()):
        return Case((draw(orders), x), diff=(1,))
    return Case((draw(arrays(n_shape, orders)), x), diff=(1,))


@st.composite
def multigammaln(draw) -> Case:
    """``multigammaln(a, d)``: d in 1..4 (a Python int), every element of a above (d - 1) / 2."""
    d = draw(st.integers(1, 4))
    a = draw(arrays(SHAPES, floats(0.5 * (d - 1) + 0.2, 0.5 * (d - 1) + 4)))
    return Case((a, d), diff=(0,))


@st.composite
def betainc(draw) -> Case:
    """``betainc(a, b, x)``: three broadcastable arrays, x in (0, 1) differentiated."""
    a_shape, b_shape, x_shape = draw(broadcast_shapes(3))
    a, b = draw(arrays(a_shape, floats(0.5, 4))), draw(arrays(b_shape, floats(0.5, 4)))
    return Case((a, b, draw(arrays(x_shape, floats(0.05, 0.95)))), diff=(2,))


@st.composite
def logsumexp(draw, elements=ANY, weights=None) -> Case:
    """``scipy.special.logsumexp(a, axis, b, keepdims=...)``: weights ``b`` (``weights``, by
    default in [0.1, 2]; or None) broadcasting with ``a``, ``axis`` of the broadcast shape
    (made at least 1-D); ``a`` and ``b`` differentiated."""
    a_shape, b_shape = draw(broadcast_shapes(2))
    a = draw(arrays(a_shape, elements))
    if draw(st.integers(0, 4)) == 0:  # the defaults
        return Case((a,))
    b = draw(arrays(b_shape, floats(0.1, 2) if weights is None else weights)) if draw(st.booleans()) else None
    ndim = max(len(a_shape), len(b_shape) if b is not None else 0, 1)
    return Case((a, draw(axis(ndim)), b), {"keepdims": draw(st.booleans())}, diff=(0,) if b is None else (0, 2))


@st.composite
def normalized_axes(draw, elements=ANY) -> Case:
    """An array (0-d too) and ``axis``: None, an int, a tuple, or the default."""
    x = draw(arrays(SHAPES, elements))
    if draw(st.integers(0, 3)) == 0:
        return Case((x,))
    return Case((x,), {"axis": draw(axis(x.ndim))})


def _valid_shapes(draw, ndim: int, max_side: int = 4) -> tuple[tuple, tuple]:
    """Two shapes of ``ndim`` axes, one at least as large as the other along every axis."""
    big = draw(st.tuples(*[st.integers(1, max_side)] * ndim))
    small = tuple(draw(st.integers(1, n)) for n in big)
    return (big, small) if draw(st.booleans()) else (small, big)


@st.composite
def convolution(draw, min_dims: int = 1, max_dims: int = 3, methods: bool = True) -> Case:
    """``scipy.signal.convolve``/``correlate(in1, in2, mode, method)``: arrays of the same ndim
    (sides 1-4), mode full, same or valid (one operand then at least as large as the other
    along every axis), method auto, direct or fft; both operands differentiated."""
    ndim = draw(st.integers(min_dims, max_dims))
    mode = draw(st.sampled_from(["full", "same", "valid"]))
    if mode == "valid":
        s1, s2 = _valid_shapes(draw, ndim)
    else:
        s1 = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
        s2 = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    params: dict[str, Any] = {"mode": mode}
    if methods:
        params["method"] = draw(st.sampled_from(["auto", "direct", "fft"]))
    if draw(st.integers(0, 5)) == 0:
        params = {}
    return Case((draw(arrays(s1)), draw(arrays(s2))), params, diff=(0, 1))


@st.composite
def convolve2d(draw) -> Case:
    """``scipy.signal.convolve2d(in1, in2, mode, boundary, fillvalue)``: 2-D arrays (sides 1-4),
    boundary fill (fill value 0 or another), wrap or symm; both operands differentiated."""
    case = draw(convolution(2, 2, methods=False))
    params = dict(case.params)
    boundary = draw(st.sampled_from(["fill", "fill", "wrap", "symm"]))
    if boundary != "fill" or draw(st.booleans()):
        params["boundary"] = boundary
    if boundary == "fill" and draw(st.booleans()):
        params["fillvalue"] = draw(floats(-2, 2))
    return Case(case.args, params, diff=(0, 1))


@st.composite
def scipy_trapezoid(draw, cumulative: bool = False) -> Case:
    """``scipy.integrate.trapezoid``/``cumulative_trapezoid(y, x, dx, axis)``: y of 1-3 axes,
    sample points x absent, 1-D along ``axis`` or of y's shape (or broadcasting to it, for
    ``trapezoid``), or a spacing dx; y and x differentiated."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    ax = draw(st.integers(-len(shape), len(shape) - 1))
    y = draw(arrays(shape))
    params: dict[str, Any] = {} if ax == -1 and draw(st.booleans()) else {"axis": ax}
    if cumulative and draw(st.booleans()):
        params["initial"] = 0
    form = draw(st.sampled_from(["none", "dx", "1-D x", "n-D x"]))
    if form == "dx":
        params["dx"] = draw(floats(0.1, 2))
    if form in ("none", "dx"):
        return Case((y,), params, diff=(0,))
    if form == "1-D x":
        x = draw(arrays((shape[ax],)))
    elif cumulative:
        x = draw(arrays(shape))
    else:  # a shape broadcasting to y's
        x = draw(
            arrays(tuple(draw(st.sampled_from([1, n])) if i != ax % len(shape) else n for i, n in enumerate(shape)))
        )
    return Case((y, x), params, diff=(0, 1))


# ---- sets and steps ----


@st.composite
def unique(draw) -> Case:
    """An array of pairwise distinct values (finite differences cannot see through ties,
    where unique's output changes shape; repeats have exact tests), axis None or an int."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
    x = draw(distinct(shape))
    if draw(st.booleans()):
        return Case((x,))
    return Case((x,), {"axis": draw(st.integers(-len(shape), len(shape) - 1))})


@st.composite
def heaviside(draw) -> Case:
    """x in {-1, 0, 1} (the step's argument, not differentiated) and y differentiated."""
    x_shape, y_shape = draw(broadcast_shapes(2))
    x = draw(arrays(x_shape, st.sampled_from([-1.0, 0.0, 1.0])))
    return Case((x, draw(arrays(y_shape))), diff=(1,))


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


@st.composite
def full_like(draw) -> Case:
    """A plain array (its shape only) and a fill value broadcasting to it, differentiated."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    like = np.zeros(shape)
    k = draw(st.integers(0, len(shape)))
    return Case((like, draw(arrays(shape[len(shape) - k :]))), diff=(1,))


@st.composite
def full(draw) -> Case:
    """A shape and a fill value broadcasting to it, differentiated."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    k = draw(st.integers(0, len(shape)))
    return Case((shape, draw(arrays(shape[len(shape) - k :]))), diff=(1,))


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


# ---- more ----


@st.composite
def block(draw) -> Case:
    """Blocks in nested lists of 1-3 levels (``params["layout"]`` holds operand numbers), each
    level with 1-3 (1-2 below the top) pieces of lengths 1-2, sometimes over a batch axis; a
    block whose leading lengths are 1 may drop those axes (``block`` promotes it back)."""
    depth = draw(st.integers(1, 3))
    counts = [draw(st.integers(1, 3 if depth == 1 else 2)) for _ in range(depth)]
    lengths = [[draw(st.integers(1, 2)) for _ in range(count)] for count in counts]
    batch = draw(st.sampled_from([(), (), (2,)]))
    blocks: list = []

    def layout(level: int, index: tuple) -> Any:
        if level == depth:
            shape = batch + tuple(lengths[i][index[i]] for i in range(depth))
            drop = 0 if batch else draw(st.integers(0, depth))
            if all(side == 1 for side in shape[:drop]):
                shape = shape[drop:]
            blocks.append(draw(arrays(shape)))
            return len(blocks) - 1
        return [layout(level + 1, index + (i,)) for i in range(counts[level])]

    nested = layout(0, ())
    return Case(tuple(blocks), {"layout": nested}, tuple(range(len(blocks))))


@st.composite
def broadcast_arrays(draw) -> Case:
    """1-3 mutually broadcastable arrays, all differentiated."""
    shapes = draw(broadcast_shapes(draw(st.integers(1, 3))))
    parts = tuple(draw(arrays(shape)) for shape in shapes)
    return Case(parts, diff=tuple(range(len(parts))))


@st.composite
def diagflat(draw) -> Case:
    """An array of 0-2 dimensions (flattened onto the diagonal) and ``k`` from -2 to 2, or the default."""
    x = draw(arrays(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3)))
    return Case((x,), {"k": draw(st.integers(-2, 2))}) if draw(st.booleans()) else Case((x,))


@st.composite
def matrices(draw) -> Case:
    """A stack of matrices: 2-4 dimensions, sides 1-3."""
    return Case((draw(arrays(hnp.array_shapes(min_dims=2, max_dims=4, min_side=1, max_side=3))),))


@st.composite
def modf(draw) -> Case:
    """Values in [-3, 4] at least 0.05 from the integers (where the parts jump)."""
    values = st.tuples(st.integers(-3, 3), floats(0.05, 0.95)).map(lambda t: t[0] + t[1])
    return Case((draw(arrays(SHAPES, values)),))


@st.composite
def frexp(draw) -> Case:
    """Values of either sign whose log2 lies at least 0.1 from the integers (the exponent jumps at
    the powers of two), magnitudes from 1/8 to 16."""
    values = st.tuples(st.sampled_from([-1.0, 1.0]), st.integers(-3, 3), floats(0.1, 0.9)).map(
        lambda t: t[0] * 2.0 ** (t[1] + t[2])
    )
    return Case((draw(arrays(SHAPES, values)),))


def _coefficients(draw, lo: int = 1, hi: int = 4, scalar: bool = True) -> np.ndarray:
    """1-D coefficients away from 0 (a leading zero would be dropped: another shape), or a 0-d array."""
    shape = () if scalar and draw(st.integers(0, 5)) == 0 else (draw(st.integers(lo, hi)),)
    return draw(arrays(shape, away_from_zero(0.25, 2)))


@st.composite
def polynomials(draw) -> Case:
    """Two coefficient arrays of 1-4 values (or 0-d), both differentiated."""
    return Case((_coefficients(draw), _coefficients(draw)), diff=(0, 1))


@st.composite
def polyder(draw) -> Case:
    """1-5 coefficients and the order ``m`` 0-3, or the default."""
    p = _coefficients(draw, 1, 5, scalar=False)
    return Case((p,), {"m": draw(st.integers(0, 3))}) if draw(st.booleans()) else Case((p,))


@st.composite
def polyint(draw) -> Case:
    """1-4 coefficients, ``m`` 0-3, and the constants ``k``: None, one value (used at every step)
    or ``m`` values, differentiated."""
    p = _coefficients(draw, scalar=False)
    m = draw(st.integers(0, 3))
    form = draw(st.sampled_from(["none", "one", "m values"] if m else ["none", "one"]))
    if form == "none":
        return Case((p,), {"m": m})
    k = draw(arrays((), ANY)) if form == "one" else draw(arrays((m,), ANY))
    return Case((p, k), {"m": m}, diff=(0, 1))


@st.composite
def _dividend_and_divisor(draw) -> Case:
    u = draw(arrays((draw(st.integers(1, 4)),), away_from_zero(0.25, 2)))
    v = draw(arrays((draw(st.integers(1, 4)),), ANY))
    v[0] = draw(away_from_zero(1, 2))
    return Case((u, v), diff=(0, 1))


def _remainder_keeps_its_length(case: Case) -> bool:
    u, v = case.args
    m, n = len(u) - 1, len(v) - 1
    r = np.polydiv(u, v)[1]
    return not m >= n >= 1 or (len(r) == n and abs(r[0]) > 1e-3)


def polydiv() -> st.SearchStrategy[Case]:
    """A dividend of 1-4 coefficients and a divisor of 1-4 whose leading one lies in [1, 2]
    (magnitude), both differentiated; the remainder's leading coefficient is not near 0 (NumPy
    drops leading remainder coefficients below 1e-8: another shape)."""
    return _dividend_and_divisor().filter(_remainder_keeps_its_length)


@st.composite
def poly_roots(draw, positive: bool = False) -> Case:
    """1-4 roots in [-2, 2] (in [0.25, 2] with ``positive``, for complex roots with positive
    imaginary parts)."""
    return Case((draw(arrays((draw(st.integers(1, 4)),), floats(0.25, 2) if positive else floats(-2, 2))),))


def _variables(draw, count: int, samples: int, rowvar: bool) -> np.ndarray:
    """``count`` variables of ``samples`` samples, in rows (``rowvar``) or columns; 1-D for one variable sometimes."""
    if count == 1 and draw(st.booleans()):
        return draw(arrays((samples,)))
    return draw(arrays((count, samples) if rowvar else (samples, count)))


def _degrees_of_freedom(case: Case) -> float:
    """NumPy's normalization of ``cov`` (``N - ddof`` weighted): must be positive."""
    params = case.params
    fweights, aweights = params.get("fweights"), params.get("aweights")
    ddof = params.get("ddof", 0 if params.get("bias") else 1)
    if fweights is None and aweights is None:
        return 1.0
    w = np.ones(1) if fweights is None else np.asarray(fweights, dtype=float)
    w = w * (1.0 if aweights is None else aweights)
    total = float(np.sum(w))
    return total - ddof * (float(np.sum(w * aweights)) / total if aweights is not None else 1.0)


def cov() -> st.SearchStrategy[Case]:
    """``m`` (1-3 variables of 2-4 samples) and sometimes ``y``, both differentiated; ``rowvar``,
    ``bias``, ``ddof`` and constant ``fweights``/``aweights`` sometimes, with positive degrees of freedom."""
    return _cov_case().filter(lambda case: _degrees_of_freedom(case) > 0.25)


@st.composite
def _cov_case(draw) -> Case:
    samples, rowvar = draw(st.integers(2, 4)), draw(st.booleans())
    operands = [_variables(draw, draw(st.integers(1, 3)), samples, rowvar)]
    if draw(st.booleans()):
        operands.append(_variables(draw, draw(st.integers(1, 2)), samples, rowvar))
    params: dict[str, Any] = {"rowvar": rowvar}
    if draw(st.booleans()):
        params["bias"] = draw(st.booleans())
    if draw(st.booleans()):
        params["ddof"] = draw(st.integers(0, 1))
    if draw(st.booleans()):
        params["fweights"] = np.asarray(draw(st.lists(st.integers(1, 3), min_size=samples, max_size=samples)))
    if draw(st.booleans()):
        params["aweights"] = draw(arrays((samples,), floats(0.5, 2)))
    return Case(tuple(operands), params, tuple(range(len(operands))))


def _well_correlated(case: Case) -> bool:
    y = case.args[1] if len(case.args) == 2 else None
    c = np.atleast_2d(np.cov(case.args[0], y, rowvar=case.params["rowvar"]))
    if not np.all(np.diag(c) > 0.1):
        return False
    r = c / np.sqrt(np.outer(np.diag(c), np.diag(c)))
    return bool(np.all(np.abs(r[~np.eye(len(r), dtype=bool)]) < 0.95))


def corrcoef() -> st.SearchStrategy[Case]:
    """``x`` (1-3 variables of 3-5 samples) and sometimes ``y``, both differentiated, ``rowvar``;
    variances above 0.1 and correlations within 0.95 of ±1 excluded (where the clip to [-1, 1] may act)."""
    return _corrcoef_case().filter(_well_correlated)


@st.composite
def _corrcoef_case(draw) -> Case:
    samples, rowvar = draw(st.integers(3, 5)), draw(st.booleans())
    operands = [_variables(draw, draw(st.integers(1, 3)), samples, rowvar)]
    if draw(st.booleans()):
        operands.append(_variables(draw, draw(st.integers(1, 2)), samples, rowvar))
    return Case(tuple(operands), {"rowvar": rowvar}, tuple(range(len(operands))))


@st.composite
def repeats(draw) -> Case:
    """Distinct values (1-2 dimensions) and 0-3 of their flat indices to repeat; the call joins the
    values and the copies and reshapes them to ``params["shape"]`` (1-D, or 2-D when even)."""
    x = draw(distinct(draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3))))
    repeat = draw(st.lists(st.integers(0, x.size - 1), max_size=3))
    length = x.size + len(repeat)
    shape = (2, length // 2) if length % 2 == 0 and draw(st.booleans()) else (length,)
    return Case((x,), {"repeat": repeat, "shape": shape})


@st.composite
def sets(draw, flags: tuple = ()) -> Case:
    """Two arrays of values distinct across both (the first 1-2 dimensions), 0-3 flat indices of the
    first whose values the call appends to the second (values in both), and the boolean ``flags``."""
    a_shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3))
    size = math.prod(a_shape)
    b_size = draw(st.integers(1, 4))
    values = draw(distinct((size + b_size,)))
    a, b = values[:size].reshape(a_shape), values[size:]
    shared = draw(st.lists(st.integers(0, size - 1), max_size=3, unique=True))
    params: dict[str, Any] = {"shared": shared}
    for flag in flags:
        if draw(st.booleans()):
            params[flag] = draw(st.booleans())
    return Case((a, b), params, diff=(0, 1))


def sum_of_squares(v: Any) -> Any:
    """``sum(v * v)``: a scalar per slice (an ``apply_along_axis`` function of the tests)."""
    return np.sum(v * v)


def outer_self(v: Any) -> Any:
    """``outer(v, v)``: a matrix per slice."""
    return np.outer(v, v)


def head_and_squares(v: Any) -> Any:
    """``v[0]`` followed by ``v * v``: a longer vector per slice."""
    return np.concatenate([v[:1], v * v])


def scaled_sine(v: Any, w: Any) -> Any:
    """``sin(v) * w``, with ``w`` an extra argument (differentiated in the tests)."""
    return np.sin(v) * w


@st.composite
def apply_along_axis(draw) -> Case:
    """An array (1-3 dimensions, sides 1-3), an axis, and a function returning a scalar, a vector of the
    slice's length or longer, or a matrix; or ``scaled_sine`` with a differentiated extra argument."""
    x = draw(arrays(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    func = draw(st.sampled_from([sum_of_squares, np.cumsum, outer_self, head_and_squares, scaled_sine]))
    if func is scaled_sine:
        w = draw(arrays(draw(st.sampled_from([(), (x.shape[axis],)]))))
        return Case((x, w), {"func": func, "axis": axis}, diff=(0, 1))
    return Case((x,), {"func": func, "axis": axis})


@st.composite
def apply_over_axes(draw) -> Case:
    """An array (1-3 dimensions), ``sum``/``mean``/``cumsum``/``prod``, and an axis or 1-3 axes (negative too)."""
    x = draw(arrays(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), floats(-2, 2)))
    axis = st.integers(-x.ndim, x.ndim - 1)
    axes = draw(st.one_of(axis, st.lists(axis, min_size=1, max_size=3)))
    return Case((x,), {"func": draw(st.sampled_from([np.sum, np.mean, np.cumsum, np.prod])), "axes": axes})


def affine(v: Any) -> Any:
    """``2 v + 1`` (a ``piecewise`` function of the tests)."""
    return 2 * v + 1


def _shows_an_operand(case: Case) -> bool:
    """Some element of ``piecewise``'s result comes from a function of ``x`` or from the value operand."""
    x = case.args[0]
    conditions, functions = list(case.params["conditions"]), list(case.params["functions"])
    if len(functions) == len(conditions) + 1:
        conditions.append(~np.any(np.asarray(conditions, dtype=bool).reshape((-1,) + x.shape), axis=0))
    owner = np.full(x.shape, -1)
    for i, condition in enumerate(conditions):
        owner = np.where(condition, i, owner)
    shown = {int(i) for i in np.unique(owner) if i >= 0}
    return any(callable(functions[i]) or (i == 0 and len(case.args) == 2) for i in shown)


def piecewise() -> st.SearchStrategy[Case]:
    """``x`` (any shape), 1-3 constant conditions (``x`` against thresholds, or random masks) and as
    many functions or one more ("otherwise"), from square, sin, an affine map and a constant;
    sometimes the first is a differentiated value (a second operand). Some element of the result
    depends on an operand."""
    return _piecewise_case().filter(_shows_an_operand)


@st.composite
def _piecewise_case(draw) -> Case:
    x = draw(arrays(SHAPES, lattice(0.125)))
    count = draw(st.integers(1, 3))
    conditions = []
    for _ in range(count):
        form = draw(st.sampled_from(["below", "above", "mask"]))
        threshold = draw(st.sampled_from([-1.0, 0.0, 1.0]))
        if form == "mask":
            conditions.append(draw(hnp.arrays(np.bool_, x.shape)))
        else:
            conditions.append(x < threshold if form == "below" else x > threshold)
    menu = st.sampled_from([np.square, np.sin, affine, 1.5])
    functions = [draw(menu) for _ in range(count + draw(st.integers(0, 1)))]
    params = {"conditions": conditions, "functions": functions}
    if draw(st.booleans()):
        return Case((x, draw(arrays((), ANY))), params, diff=(0, 1))
    return Case((x,), params)


@st.composite
def histogram(draw, edges_only: bool) -> Case:
    """Data for 1-4 bins of widths 0.5-1.5 whose values lie 0.2-0.8 of a bin from the edges, except
    the minimum and maximum that make the outer edges. Forms: ``bins`` an int and the edges from the
    data's extremes; ``range`` given (values outside it too); the edges given. ``range`` and the
    edges are operands, differentiated. Without ``edges_only``: sometimes ``weights`` in [0.5, 2]
    (differentiated), and ``density``."""
    n = draw(st.integers(1, 4))
    lo = draw(floats(-2, 0))
    form = draw(st.sampled_from(["extremes", "extremes", "range", "edges"]))
    widths = [draw(floats(0.5, 1.5)) for _ in range(n)] if form == "edges" else [draw(floats(0.5, 1.5))] * n
    edges = lo + np.concatenate([[0.0], np.cumsum(widths)])
    inner = [edges[j] + draw(floats(0.2, 0.8)) * widths[j] for j in draw(st.lists(st.integers(0, n - 1), max_size=4))]
    params: dict[str, Any] = {}
    operands: list = []
    names: list = []
    diff = [0]
    if form == "extremes":
        values = [edges[0], edges[-1], *inner]
        params["bins"] = n
    else:
        outside = [edges[0] - draw(floats(0.3, 1)), edges[-1] + draw(floats(0.3, 1))]
        values = [edges[0] + 0.5 * widths[0], *inner, *draw(st.lists(st.sampled_from(outside), max_size=2))]
        if form == "range":
            operands.append(edges[[0, -1]])
            names.append("range")
            diff.append(len(operands))
            params["bins"] = n
    order = draw(st.permutations(range(len(values))))
    data = np.asarray(values)[list(order)]
    if len(data) % 2 == 0 and draw(st.booleans()):
        data = data.reshape(2, -1)
    if not edges_only:
        if draw(st.booleans()):
            operands.append(draw(arrays(data.shape, floats(0.5, 2))))
            names.append("weights")
            diff.append(len(operands))
        params["density"] = draw(st.booleans())
    if form == "edges":
        operands.append(edges)
        names.append("bins")
        diff.append(len(operands))
    params["operands"] = tuple(names)
    return Case((data, *operands), params, tuple(diff))


@st.composite
def histogramdd(draw, columns: bool) -> Case:
    """Points in 1-3 dimensions (2 with ``columns``: ``histogram2d``'s ``x, y``), 1-3 bins per
    dimension (one int, or one per dimension) between the coordinates' extremes, the other
    coordinates 0.2-0.8 of a bin from the edges; the sample an ``(N, D)`` array or a list of
    coordinate arrays; sometimes ``weights`` in [0.5, 2] (differentiated), and ``density``."""
    dims = 2 if columns else draw(st.integers(1, 3))
    extra = draw(st.integers(0, 3))
    same = draw(st.booleans())
    counts = [draw(st.integers(1, 3))] * dims if same else [draw(st.integers(1, 3)) for _ in range(dims)]
    coordinates = []
    for n in counts:
        lo, width = draw(floats(-2, 0)), draw(floats(0.5, 1.5))
        inner = [lo + (draw(st.integers(0, n - 1)) + draw(floats(0.2, 0.8))) * width for _ in range(extra)]
        values = np.asarray([lo, lo + n * width, *inner])
        coordinates.append(values[list(draw(st.permutations(range(len(values)))))])
    params: dict[str, Any] = {"bins": counts[0] if same else counts, "density": draw(st.booleans())}
    if columns:
        operands, params["sample"] = coordinates, "xy"
    elif draw(st.booleans()):
        operands, params["sample"] = [np.stack(coordinates, axis=1)], "matrix"
    else:
        operands, params["sample"] = coordinates, "list"
    params["data"] = len(operands)
    if draw(st.booleans()):
        operands.append(draw(arrays((2 + extra,), floats(0.5, 2))))
    return Case(tuple(operands), params, tuple(range(len(operands))))

"""``scipy.signal``: ``convolve``, ``correlate`` and ``convolve2d``, bilinear in their two inputs.

SciPy's functions convert their arguments with ``np.asarray``, which NumPy's dispatch
cannot see: call them from ``autotape.scipy.signal``. The values are SciPy's own (the
forward rules call SciPy, with the method and boundary asked for).

Every mode is a centred crop of the ``full`` convolution (SciPy's ``_centered``), so the
transpose of a mode pads the cotangent ``g`` back into zeros of the full shape, and the
transpose of convolving with a fixed kernel ``k`` is correlating with it: the VJP of
``convolve(a, k, "full")`` in ``a`` is ``convolve(g_full, flip(k), "valid")`` (the
"transposed convolution" of Dumoulin and Visin, "A guide to convolution arithmetic for
deep learning", 2016, section 4; HIPS autograd's ``scipy.signal.convolve`` rule is the
same correlation). By symmetry the VJP in ``k`` correlates ``g_full`` with ``a``. The JVP
of a bilinear map is the sum of the map applied to each tangent with the other input
fixed. For complex inputs the rules are plain transposes (JAX's convention,
docs/complex.md): ``convolve`` is holomorphic in both inputs; ``correlate`` conjugates its
second input, so its rules there conjugate too.
"""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from ..._types import Array, Nested, Scalar, Shaped
from ...tracer import primal
from ..registry import Spec, defprim, op
from ..shape import _index_add
from . import require_scipy
from ._common import on_values

signal = require_scipy("scipy.signal")

__all__ = ["convolve", "correlate", "convolve2d"]

MODULE = "scipy.signal"
Operand = Union[Shaped[Array, "..."], Scalar, Nested]


def _flip(x):
    """``x`` reversed along every axis (an indexing op, so it is traced)."""
    return x[(slice(None, None, -1),) * np.ndim(x)]


def _conj(x):
    return np.conj(x) if np.iscomplexobj(primal(x)) else x


def _full_shape(in1, in2) -> tuple:
    return tuple(a + b - 1 for a, b in zip(np.shape(in1), np.shape(in2)))


def _uncrop(g, full_shape: tuple):
    """The transpose of cropping the full result to ``g``'s shape, centred as SciPy's modes
    are: ``g`` placed in zeros of ``full_shape``."""
    shape = np.shape(g)
    if shape == full_shape:
        return g
    index = tuple(slice((f - n) // 2, (f - n) // 2 + n) for f, n in zip(full_shape, shape))
    return _index_add.bind(g, index=index, shape=full_shape)


# --------------------------------------------------------------------------------------
# convolve
# --------------------------------------------------------------------------------------


def _convolve_values(in1, in2, *, mode, method):
    return signal.convolve(in1, in2, mode=mode, method=method)


def _convolve_fwd(in1, in2, *, mode, method):
    out = on_values(_convolve, _convolve_values, in1, in2, mode=mode, method=method)
    return out, (in1, in2, mode, method)


def _convolve_vjp(g, in1, in2, other, method):
    """The cotangent of one input, ``other`` being the other input: ``g`` (padded to the full
    shape) correlated with ``other``."""
    return convolve(_uncrop(g, _full_shape(in1, in2)), _flip(other), mode="valid", method=method)


_convolve = defprim(
    "convolve",
    _convolve_fwd,
    (
        lambda g, in1, in2, mode, method: _convolve_vjp(g, in1, in2, in2, method),
        lambda g, in1, in2, mode, method: _convolve_vjp(g, in1, in2, in1, method),
    ),
    (
        lambda t, in1, in2, mode, method: convolve(t, in2, mode=mode, method=method),
        lambda t, in1, in2, mode, method: convolve(in1, t, mode=mode, method=method),
    ),
    impl=_convolve_values,
)

_CONVOLUTION = (
    "arrays of one ndim (1-3, sides 1-4), modes full/same/valid, methods auto/direct/fft; "
    "complex: both parts in [-3, 3]"
)


@op(
    signal.convolve,
    module=MODULE,
    spec=Spec(lambda k: k.convolution(), _CONVOLUTION, complex=True),
    primitives=(_convolve,),
)
def convolve(in1: Operand, in2: Operand, mode: str = "full", method: str = "auto") -> Shaped[Array, ...]:
    """N-dimensional convolution of ``in1`` and ``in2`` (``scipy.signal.convolve``).

    ``out[n] = sum_k in1[k] in2[n - k]``, computed by SciPy with ``method`` (``"auto"``,
    ``"direct"`` or ``"fft"``).

    Args:
        in1, in2: arrays with the same number of dimensions (real or complex).
        mode: ``"full"`` (shape ``s1 + s2 - 1``), ``"same"`` (``in1``'s shape, centred) or
            ``"valid"`` (``|s1 - s2| + 1``: one input must be at least as large as the other
            along every axis).
    Returns:
        SciPy's result, dtype by its promotion (float32 inputs stay float32).
    Raises:
        ValueError: SciPy's, for different numbers of dimensions, a bad ``mode`` or
        ``method``, or shapes ``"valid"`` cannot take.

    Bilinear. VJP: ``g`` padded to the full shape, then ``convolve(g_full, flip(in2),
    "valid")`` for ``in1`` and ``convolve(g_full, flip(in1), "valid")`` for ``in2`` (a
    correlation of ``g`` with the other input; Dumoulin and Visin 2016). JVP:
    ``convolve(t1, in2) + convolve(in1, t2)`` in the same mode.
    """
    return _convolve.bind(in1, in2, mode=mode, method=method)


# --------------------------------------------------------------------------------------
# correlate: convolve(in1, conj(flip(in2))), SciPy's definition
# --------------------------------------------------------------------------------------


def _correlate_values(in1, in2, *, mode, method):
    return signal.correlate(in1, in2, mode=mode, method=method)


def _correlate_fwd(in1, in2, *, mode, method):
    out = on_values(_correlate, _correlate_values, in1, in2, mode=mode, method=method)
    return out, (in1, in2, mode, method)


def _correlate_vjp_1(g, in1, in2, mode, method):
    return convolve(_uncrop(g, _full_shape(in1, in2)), _conj(in2), mode="valid", method=method)


def _correlate_vjp_2(g, in1, in2, mode, method):
    return _conj(_flip(_convolve_vjp(g, in1, in2, in1, method)))


_correlate = defprim(
    "correlate",
    _correlate_fwd,
    (_correlate_vjp_1, _correlate_vjp_2),
    (
        lambda t, in1, in2, mode, method: correlate(t, in2, mode=mode, method=method),
        lambda t, in1, in2, mode, method: correlate(in1, t, mode=mode, method=method),
    ),
    impl=_correlate_values,
)


@op(
    signal.correlate,
    module=MODULE,
    spec=Spec(lambda k: k.convolution(), _CONVOLUTION, complex=True),
    primitives=(_correlate,),
)
def correlate(in1: Operand, in2: Operand, mode: str = "full", method: str = "auto") -> Shaped[Array, ...]:
    """N-dimensional cross-correlation of ``in1`` and ``in2`` (``scipy.signal.correlate``).

    ``out[k] = sum_n in1[n + k] conj(in2[n])``: SciPy's definition, equal to
    ``convolve(in1, conj(flip(in2)))`` in every mode (``"same"`` takes ``in1``'s shape).
    Arguments, result and errors as :func:`convolve`.

    VJP: ``convolve(g_full, conj(in2), "valid")`` for ``in1`` and
    ``conj(flip(convolve(g_full, flip(in1), "valid")))`` for ``in2``, with ``g_full`` the
    cotangent padded to the full shape; JVP: ``correlate(t1, in2) + correlate(in1, t2)``.
    Linear in ``in1`` and conjugate-linear in ``in2``: the rules are the transposes of
    those real-linear maps (JAX's convention).
    """
    return _correlate.bind(in1, in2, mode=mode, method=method)


# --------------------------------------------------------------------------------------
# convolve2d: boundaries fill (any fill value), wrap and symm
# --------------------------------------------------------------------------------------

_BOUNDARIES = {"fill": "fill", "pad": "fill", "wrap": "wrap", "circular": "wrap", "symm": "symm", "symmetric": "symm"}


def _convolve2d_values(in1, in2, *, mode, boundary, fillvalue):
    return signal.convolve2d(in1, in2, mode=mode, boundary=boundary, fillvalue=fillvalue)


def _convolve2d_fwd(in1, in2, *, mode, boundary, fillvalue):
    out = on_values(_convolve2d, _convolve2d_values, in1, in2, mode=mode, boundary=boundary, fillvalue=fillvalue)
    # "valid" never reaches the boundary; a zero fill is plain convolution.
    kind = _BOUNDARIES.get(boundary, boundary)
    if mode == "valid" or (kind == "fill" and fillvalue == 0):
        kind = "zeros"
    return out, (in1, in2, mode, boundary, fillvalue, kind)


def _extension_index(in1_shape: tuple, in2_shape: tuple, kind: str) -> tuple:
    """Indices into ``in1`` of its wrapped or mirrored extension by ``in2``'s sides - 1 on each
    side: SciPy's ``wrap`` and ``symm`` boundaries are NumPy's ``wrap`` and ``symmetric`` pads."""
    rows, cols = (
        np.pad(np.arange(n), m - 1, mode="wrap") if kind == "wrap" else np.pad(np.arange(n), m - 1, mode="symmetric")
        for n, m in zip(in1_shape, in2_shape)
    )
    return np.ix_(rows, cols)


def _extended(in1, in2_shape: tuple, kind: str, fillvalue):
    """``in1`` extended beyond its edges by ``in2``'s sides - 1 as the boundary says: the full
    result is ``convolve(extended, in2, "valid")``."""
    shape = np.shape(in1)
    if kind == "fill":
        padded = tuple(n + 2 * (m - 1) for n, m in zip(shape, in2_shape))
        inside = tuple(slice(m - 1, m - 1 + n) for n, m in zip(shape, in2_shape))
        outside = np.ones(padded, dtype=bool)
        outside[inside] = False
        return np.where(outside, fillvalue, _index_add.bind(in1, index=inside, shape=padded))
    return in1[_extension_index(shape, in2_shape, kind)]


def _convolve2d_vjp_1(g, in1, in2, mode, boundary, fillvalue, kind):
    if kind == "zeros":
        return _convolve_vjp(g, in1, in2, in2, "auto")
    # The cotangent of the extension, then the transpose of extending.
    shape1, shape2 = np.shape(in1), np.shape(in2)
    d_extended = convolve(_uncrop(g, _full_shape(in1, in2)), _flip(in2), mode="full")
    if kind == "fill":
        return d_extended[tuple(slice(m - 1, m - 1 + n) for n, m in zip(shape1, shape2))]
    return _index_add.bind(d_extended, index=_extension_index(shape1, shape2, kind), shape=shape1)


def _convolve2d_vjp_2(g, in1, in2, mode, boundary, fillvalue, kind):
    if kind == "zeros":
        return _convolve_vjp(g, in1, in2, in1, "auto")
    extended = _extended(in1, np.shape(in2), kind, fillvalue)
    return _flip(convolve(extended, _flip(_uncrop(g, _full_shape(in1, in2))), mode="valid"))


_convolve2d = defprim(
    "convolve2d",
    _convolve2d_fwd,
    (_convolve2d_vjp_1, _convolve2d_vjp_2),
    (
        # Affine in in1 through the fill value: its tangent sees a zero fill.
        lambda t, in1, in2, mode, boundary, fillvalue, kind: convolve2d(t, in2, mode, boundary, 0),
        lambda t, in1, in2, mode, boundary, fillvalue, kind: convolve2d(in1, t, mode, boundary, fillvalue),
    ),
    impl=_convolve2d_values,
)


@op(
    signal.convolve2d,
    module=MODULE,
    spec=Spec(
        lambda k: k.convolve2d(),
        "2-D arrays (sides 1-4), modes full/same/valid, boundaries fill (fill value 0 or in [-2, 2]), wrap, symm; "
        "complex: both parts in [-3, 3]",
        complex=True,
    ),
    primitives=(_convolve2d,),
)
def convolve2d(
    in1: Operand, in2: Operand, mode: str = "full", boundary: str = "fill", fillvalue: Any = 0
) -> Shaped[Array, ...]:
    """2-D convolution with a boundary condition (``scipy.signal.convolve2d``), computed by SciPy.

    Args:
        in1, in2: 2-D arrays (real or complex).
        mode: ``"full"``, ``"same"`` (``in1``'s shape) or ``"valid"``, as :func:`convolve`.
        boundary: how ``in1`` extends beyond its edges: ``"fill"`` (with ``fillvalue``; also
            ``"pad"``), ``"wrap"`` (periodic; also ``"circular"``) or ``"symm"`` (mirrored with
            the edge repeated; also ``"symmetric"``). ``"valid"`` never reaches the boundary.
        fillvalue: the value ``"fill"`` extends with (not differentiated).
    Returns:
        SciPy's result, dtype by its promotion.
    Raises:
        ValueError: a boundary other than those above; SciPy's, for inputs that are not 2-D, a
        bad mode, or shapes ``"valid"`` cannot take.

    With the extension ``E(in1)`` (by ``in2``'s sides - 1 on each side) the full result is
    ``convolve(E(in1), in2, "valid")``, bilinear in ``in1`` and ``in2`` for a zero fill
    (affine in ``in1`` otherwise). VJP: for ``in1``, ``convolve(g_full, flip(in2), "full")``
    mapped back through the transpose of ``E`` (the inner crop for ``fill``, a scatter-add
    of the wrapped or mirrored indices otherwise); for ``in2``,
    ``flip(convolve(E(in1), flip(g_full), "valid"))``. JVP: ``convolve2d(t1, in2, fillvalue=0)
    + convolve2d(in1, t2)``. See :func:`convolve` for the source of these identities.
    """
    if boundary not in _BOUNDARIES:
        raise ValueError(
            f"scipy.signal.convolve2d: boundary={boundary!r} is not one of 'fill' (or 'pad'), 'wrap' "
            "(or 'circular') and 'symm' (or 'symmetric')"
        )
    return _convolve2d.bind(in1, in2, mode=mode, boundary=boundary, fillvalue=fillvalue)

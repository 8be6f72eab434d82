"""The discrete Fourier transforms of ``numpy.fft``: linear maps, differentiated by their transposes.

Every transform is linear in its input. Three primitives, each a 1-D transform along
one axis as NumPy's pocketfft computes them, are declared with ``linear=transpose``
(the JVP is the transform of the tangent); the other functions are written with them,
as NumPy writes its own (``fftn`` is ``fft`` axis after axis, ``hfft`` is ``irfft`` of
the conjugate), so they inherit their rules and take the same arguments, defaults,
deprecations and repeated axes.

The transposes, under JAX's convention for complex numbers (docs/complex.md): the
VJP is the transpose of the real-linear map, and a cotangent ``g`` pairs with a
tangent ``t`` as ``Re(sum(g * t))``, with no conjugation. A 1-D transform of ``m``
input points into ``n`` is ``c F P``: ``P`` crops the input to ``n`` points or pads it
with zeros, ``F`` is the ``n``-point DFT matrix ``exp(-+2 pi i jk / n)`` and ``c`` the
factor ``norm`` gives (1, ``1/sqrt(n)`` or ``1/n``). The transpose of cropping is
padding with zeros and the transpose of padding is cropping, so every VJP ends by
fitting the cotangent back to ``m`` points along the axis.

* ``fft``, ``ifft``: ``F`` is symmetric (``F[j, k] = F[k, j]``), so the transpose of
  ``fft(., n, norm)`` is ``fft(., n, norm)`` itself, then the fit to ``m`` points (the
  same for ``ifft``). For a real input, the real part: the transpose of embedding the
  reals in the complex numbers.
* ``rfft`` is ``fft`` of the real input, keeping the first ``n//2 + 1`` bins. Its
  transpose pads the cotangent with zeros to ``n`` bins, takes the same ``fft`` and
  keeps the real part. JAX's ``_rfft_transpose`` (``jax/_src/lax/fft.py``) gets this
  map by transposing exactly that naive ``rfft``.
* ``irfft`` reads ``K = n//2 + 1`` bins ``X`` (after fitting its input to ``K``) and
  returns the real signal ``x[j] = c sum_k w_k Re(X[k] exp(2 pi i jk / n))``, where
  ``w_k = 2`` stands for bin ``k`` and its mirror ``n - k``, except ``w_0 = 1`` and, for
  even ``n``, ``w_{n/2} = 1`` (the imaginary parts of those two bins are ignored). For a
  real cotangent ``g`` the derivatives in ``Re X[k]`` and ``Im X[k]`` are
  ``c w_k sum_j g[j] cos(2 pi jk / n)`` and ``-c w_k sum_j g[j] sin(2 pi jk / n)``, so the
  cotangent ``d/dRe - i d/dIm`` is ``c w_k sum_j g[j] exp(2 pi i jk / n)``, that is
  ``w_k conj(rfft(g, n))[k]`` with the norm's direction swapped (its factor is ``c``).
  This mirrors JAX's ``_irfft_transpose`` (an ``rfft`` of the cotangent, the weights 1,
  2, ..., 2, 1 and a conjugation).
* ``hfft`` and ``ihfft`` are ``irfft(conj(a))`` and ``conj(rfft(a))`` with the norm's
  direction swapped, as NumPy defines them; ``conjugate``'s transpose is itself.
* ``fftshift``, ``ifftshift``: permutations (rolls by half of each length); the
  transpose of a permutation is its inverse, the other shift.

Dtypes as NumPy 2: float32 and complex64 inputs give complex64 (and ``irfft``,
``hfft`` float32); everything else float64 or complex128. The VJP rules keep the
input's precision (they call the same transforms on the cotangent).
"""

from __future__ import annotations

import operator
import warnings
from collections.abc import Sequence
from typing import Any, Optional, SupportsIndex, Union

import numpy as np

from .._types import Array, Nested, Scalar, Shaped
from ..tracer import Traced, primal
from .registry import Spec, constant, defprim, no_extras, op

__all__ = [
    "fft",
    "ifft",
    "rfft",
    "irfft",
    "hfft",
    "ihfft",
    "fftn",
    "ifftn",
    "fft2",
    "ifft2",
    "rfftn",
    "irfftn",
    "rfft2",
    "irfft2",
    "fftshift",
    "ifftshift",
]

ArrayIn = Union[Shaped[Array, "..."], Scalar, Nested]
Result = Shaped[Array, "..."]
Index = Optional[SupportsIndex]
Lengths = Union[Sequence[Optional[SupportsIndex]], Array, None]
Axes = Union[Sequence[SupportsIndex], Array, None]

# "backward" scales the inverse transform by 1/n, "forward" the forward one, "ortho" both by 1/sqrt(n).
_SWAPPED = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _check_norm(name: str, norm: Any) -> None:
    if not (norm is None or (isinstance(norm, str) and norm in _SWAPPED)):
        raise ValueError(
            f'numpy.fft.{name}: norm={norm!r} is not a normalization; use "backward" (the default, '
            'also None), "ortho" or "forward"'
        )


def _check_real(name: str, a: Any) -> None:
    """TypeError naming ``name`` for complex input to a transform of real input (NumPy refuses it too)."""
    value = primal(a)
    if np.iscomplexobj(value):
        complex_name = {"rfft": "fft", "ihfft": "ifft"}.get(name, name[1:])
        raise TypeError(
            f"numpy.fft.{name}: the input is complex ({np.asarray(value).dtype}); use {complex_name} for complex "
            f"input, or take np.real(a) first"
        )


def _fit(a, axis: int, length: int):
    """``a`` cropped, or padded with zeros at the end, to ``length`` points along ``axis``.

    Cropping and zero-padding are each other's transpose; written with ``getitem`` and
    ``concatenate`` so the VJP rules that use it differentiate again.
    """
    shape = a.shape
    have = shape[axis]
    if have > length:
        return a[(slice(None),) * axis + (slice(0, length),)]
    if have < length:
        zeros = np.zeros(shape[:axis] + (length - have,) + shape[axis + 1 :], dtype=a.dtype)
        return np.concatenate([a, zeros], axis=axis)
    return a


# --------------------------------------------------------------------------------------
# The three 1-D primitives: complex to complex, real to half spectrum, half spectrum to real
# --------------------------------------------------------------------------------------


def _c2c_fwd(x, *, n, axis, norm, inverse):
    transform = np.fft.ifft if inverse else np.fft.fft
    return transform(x, n, axis, norm), (x.shape[axis], n, axis, norm, inverse, x.dtype.kind != "c")


def _c2c_transpose(g, m, n, axis, norm, inverse, real_input):
    transform = np.fft.ifft if inverse else np.fft.fft
    ct = transform(g, n, axis, norm)  # the DFT matrix is symmetric
    return _fit(np.real(ct) if real_input else ct, axis, m)


_c2c = defprim("fft", _c2c_fwd, linear=_c2c_transpose)


def _r2c_fwd(x, *, n, axis, norm):
    return np.fft.rfft(x, n, axis, norm), (x.shape[axis], n, axis, norm)


def _r2c_transpose(g, m, n, axis, norm):
    # fft of the cotangent padded from n//2 + 1 bins to n (fft's n does the padding), real part.
    return _fit(np.real(np.fft.fft(g, n, axis, norm)), axis, m)


_r2c = defprim("rfft", _r2c_fwd, linear=_r2c_transpose)


def _c2r_fwd(x, *, n, axis, norm):
    return np.fft.irfft(x, n, axis, norm), (x.shape[axis], n, axis, norm, x.dtype.kind != "c")


def _c2r_transpose(g, m, n, axis, norm, real_input):
    if g.dtype.kind == "c":
        g = np.real(g)  # the output is real: only the real part of its cotangent pairs with it
    half = np.conjugate(np.fft.rfft(g, n, axis, _SWAPPED[norm]))
    bins = n // 2 + 1
    weights = np.full(bins, 2.0, dtype=np.finfo(half.dtype).dtype)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0  # the Nyquist bin n/2 has no mirror
    ct = half * np.reshape(weights, (bins,) + (1,) * (g.ndim - axis - 1))
    return _fit(np.real(ct) if real_input else ct, axis, m)


_c2r = defprim("irfft", _c2r_fwd, linear=_c2r_transpose)


def _one_axis(name: str, a: Any, n: Any, axis: Any, norm: Any, out: Any, half_spectrum: bool = False) -> tuple:
    """``(n, axis)`` of a 1-D transform, checked and made non-negative ints (NumPy's rules).

    The default ``n`` is the input's length along ``axis``, or ``2 (m - 1)`` for the
    half-spectrum input of ``irfft`` and ``hfft``.
    """
    no_extras(f"fft.{name}", out=out)
    _check_norm(name, norm)
    shape = np.shape(primal(a))
    ndim = len(shape)
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"numpy.fft.{name}: axis {axis} is out of range for an array of shape {shape}"
            + (f"; use an axis in [{-ndim}, {ndim - 1}]" if ndim else "; the input needs at least one dimension")
        )
    axis %= ndim
    if n is None:
        n = 2 * (shape[axis] - 1) if half_spectrum else shape[axis]
    n = operator.index(n)
    if n < 1:
        why = (
            f"; by default it is 2 (m - 1) for the m = {shape[axis]} points along axis {axis}: give n, "
            "or an input with at least 2 points there"
            if half_spectrum
            else ""
        )
        raise ValueError(f"numpy.fft.{name}: the number of points n={n} must be at least 1{why}")
    return n, axis


_AXIS = "1-3 dimensions, sides 1-5; axis, n (1-7: cropping, padding or neither) and norm (all three) drawn or default"
_AXES = "1-3 dimensions, sides 1-4; axes (distinct, or one repeated) and s (1-6 or -1) drawn or default; every norm"
# float32=False: NumPy 2 returns complex64 for float32 input, where the generated check
# asserts float32; tests/test_ops_fft.py checks the complex64 output and float32 gradients.


@op(
    np.fft.fft,
    module="numpy.fft",
    spec=Spec(lambda k: k.fft_axis(), _AXIS, complex=True, float32=False),
    primitives=(_c2c,),
)
def fft(a: ArrayIn, n: Index = None, axis: SupportsIndex = -1, norm: Optional[str] = None, out: Any = None) -> Result:
    """One-dimensional discrete Fourier transform along ``axis`` (``numpy.fft.fft``).

    ``A[k] = c sum_j a[j] exp(-2 pi i jk / n)`` with ``c`` 1, ``1/sqrt(n)`` or ``1/n`` for
    ``norm`` "backward" (the default, None), "ortho" or "forward".

    Args:
        a: real or complex array, at least 1-D.
        n: points of the transform: ``a`` is cropped, or padded with zeros, to ``n``
            along ``axis`` (default: its length there).
        axis: the axis transformed (negative counts from the end).
        norm: "backward", "ortho" or "forward".
        out: must be None on traced values.
    Returns:
        Complex array of ``a``'s shape with ``n`` along ``axis``: complex64 for float32 or
        complex64 input, else complex128 (as NumPy 2).
    Raises:
        ValueError: ``n < 1``, an axis out of range or an unknown ``norm``.
        TypeError: ``out=`` on traced values.

    Linear. VJP: ``fft`` of the cotangent with the same ``n`` and ``norm`` (the DFT matrix
    is symmetric), cropped or zero-padded back to the input's length (the transpose of
    padding or cropping), its real part for a real input.
    """
    n, axis = _one_axis("fft", a, n, axis, norm, out)
    return _c2c.bind(a, n=n, axis=axis, norm=norm, inverse=False)


@op(
    np.fft.ifft,
    module="numpy.fft",
    spec=Spec(lambda k: k.fft_axis(), _AXIS, complex=True, float32=False),
    primitives=(_c2c,),
)
def ifft(a: ArrayIn, n: Index = None, axis: SupportsIndex = -1, norm: Optional[str] = None, out: Any = None) -> Result:
    """One-dimensional inverse discrete Fourier transform (``numpy.fft.ifft``).

    ``a[j] = c sum_k A[k] exp(2 pi i jk / n)`` with ``c`` ``1/n``, ``1/sqrt(n)`` or 1 for
    ``norm`` "backward" (the default), "ortho" or "forward"; ``ifft(fft(a)) == a``.
    Arguments, result and errors as :func:`fft`.

    Linear. VJP: ``ifft`` of the cotangent (same ``n`` and ``norm``), fitted back to the
    input's length, its real part for a real input.
    """
    n, axis = _one_axis("ifft", a, n, axis, norm, out)
    return _c2c.bind(a, n=n, axis=axis, norm=norm, inverse=True)


@op(np.fft.rfft, module="numpy.fft", spec=Spec(lambda k: k.fft_axis(), _AXIS, float32=False), primitives=(_r2c,))
def rfft(a: ArrayIn, n: Index = None, axis: SupportsIndex = -1, norm: Optional[str] = None, out: Any = None) -> Result:
    """Discrete Fourier transform of real input, the ``n//2 + 1`` non-negative frequencies (``numpy.fft.rfft``).

    The first ``n//2 + 1`` bins of ``fft(a, n, axis, norm)``; the others are their
    complex conjugates.

    Args:
        a: real array, at least 1-D (complex input raises TypeError, as NumPy).
        n, axis, norm, out: as :func:`fft`.
    Returns:
        Complex array of ``a``'s shape with ``n//2 + 1`` along ``axis`` (complex64 for
        float32 input).
    Raises:
        As :func:`fft`; TypeError for complex input.

    Linear. VJP: the cotangent padded with zeros to ``n`` bins, its ``fft`` (same ``norm``),
    the real part, fitted back to the input's length (JAX's ``_rfft_transpose``).
    """
    n, axis = _one_axis("rfft", a, n, axis, norm, out)
    _check_real("rfft", a)
    return _r2c.bind(a, n=n, axis=axis, norm=norm)


@op(np.fft.irfft, module="numpy.fft", spec=Spec(lambda k: k.fft_axis(True), _AXIS, complex=True), primitives=(_c2r,))
def irfft(a: ArrayIn, n: Index = None, axis: SupportsIndex = -1, norm: Optional[str] = None, out: Any = None) -> Result:
    """Inverse of :func:`rfft`: a real signal of ``n`` points from its half spectrum (``numpy.fft.irfft``).

    The input's first ``n//2 + 1`` bins along ``axis`` (padded with zeros if it has
    fewer) are completed by Hermitian symmetry and inverse-transformed; the imaginary
    parts of bin 0 and (even ``n``) bin ``n/2`` are ignored. ``irfft(rfft(x), len(x)) == x``.

    Args:
        a: complex (or real) array, at least 1-D.
        n: points of the output; default ``2 (m - 1)`` for ``m`` input points.
        axis, norm, out: as :func:`fft`.
    Returns:
        Real array of ``a``'s shape with ``n`` along ``axis``: float32 for complex64 or
        float32 input, else float64.
    Raises:
        As :func:`fft` (also when the default ``n`` is 0, for one input point).

    Linear (over the reals). VJP: ``w_k conj(rfft(g, n))`` with the norm's direction
    swapped and weights ``w`` 1, 2, ..., 2 (1 at bin ``n/2`` for even ``n``), fitted back
    to the input's length; derived in the module docstring (JAX's ``_irfft_transpose``).
    """
    n, axis = _one_axis("irfft", a, n, axis, norm, out, half_spectrum=True)
    return _c2r.bind(a, n=n, axis=axis, norm=norm)


@op(np.fft.hfft, module="numpy.fft", spec=Spec(lambda k: k.fft_axis(True), _AXIS, complex=True))
def hfft(a: ArrayIn, n: Index = None, axis: SupportsIndex = -1, norm: Optional[str] = None, out: Any = None) -> Result:
    """Transform of a signal with Hermitian symmetry, given by its first half (``numpy.fft.hfft``).

    ``irfft(conj(a), n, axis)`` with the norm's direction swapped (no ``1/n`` for the
    default "backward"), as NumPy computes it. Arguments, result and errors as
    :func:`irfft`.

    Its derivative comes from :func:`irfft` and ``conjugate``.
    """
    no_extras("fft.hfft", out=out)
    _check_norm("hfft", norm)
    return irfft(np.conjugate(a), n, axis, _SWAPPED[norm])


@op(np.fft.ihfft, module="numpy.fft", spec=Spec(lambda k: k.fft_axis(), _AXIS, float32=False))
def ihfft(a: ArrayIn, n: Index = None, axis: SupportsIndex = -1, norm: Optional[str] = None, out: Any = None) -> Result:
    """Inverse of :func:`hfft`: the half spectrum of a real signal (``numpy.fft.ihfft``).

    ``conj(rfft(a, n, axis))`` with the norm's direction swapped (``1/n`` for the default
    "backward"), as NumPy computes it. Arguments, result and errors as :func:`rfft`.

    Its derivative comes from :func:`rfft` and ``conjugate``.
    """
    no_extras("fft.ihfft", out=out)
    _check_norm("ihfft", norm)
    _check_real("ihfft", a)
    return np.conjugate(rfft(a, n, axis, _SWAPPED[norm]))


# --------------------------------------------------------------------------------------
# n-D transforms: 1-D transforms axis after axis, in NumPy's order
# --------------------------------------------------------------------------------------


def _nd_args(name: str, a: Any, s: Any, axes: Any, out: Any, norm: Any, half_spectrum: bool = False) -> tuple:
    """``(s, axes)`` as lists, with NumPy's defaults, deprecations and ``-1`` entries.

    ``s`` defaults to the input's lengths along ``axes`` (for the half-spectrum input
    of ``irfftn``, ``2 (m - 1)`` on the last axis); ``axes`` to the last ``len(s)`` axes
    (with a DeprecationWarning when ``s`` is given, as NumPy 2). An entry ``-1`` in ``s``
    is the input's length; ``None`` (deprecated) the 1-D transform's default.
    """
    no_extras(f"fft.{name}", out=out)
    _check_norm(name, norm)
    shape = np.shape(primal(a))
    ndim = len(shape)
    if axes is not None:
        axes = [operator.index(ax) for ax in axes]
        for ax in axes:
            if not -ndim <= ax < ndim:
                raise ValueError(
                    f"numpy.fft.{name}: axis {ax} in axes={axes} is out of range for an array of shape {shape}"
                )
    given = s is not None
    if not given:
        s = list(shape) if axes is None else [shape[ax] for ax in axes]
    s = list(s)
    if axes is None:
        if given:
            warnings.warn(
                f"numpy.fft.{name}: s without axes is deprecated in NumPy 2.0 (s will then name the lengths "
                f"along the given axes); pass axes too, e.g. axes={list(range(max(0, ndim - len(s)), ndim))}",
                DeprecationWarning,
                stacklevel=4,
            )
        axes = list(range(-len(s), 0))
    if len(s) != len(axes):
        raise ValueError(f"numpy.fft.{name}: s={s} and axes={axes} differ in length; give one length per axis")
    if half_spectrum and not given and axes:
        s[-1] = 2 * (shape[axes[-1]] - 1)
    if None in s:
        warnings.warn(
            f"numpy.fft.{name}: None in s is deprecated in NumPy 2.0; give the length (-1 for the input's)",
            DeprecationWarning,
            stacklevel=4,
        )
    s = [shape[ax] if length is not None and length == -1 else length for length, ax in zip(s, axes)]
    return s, axes


def _c2c_nd(name: str, a: Any, s: Any, axes: Any, norm: Any, out: Any, inverse: bool) -> Any:
    s, axes = _nd_args(name, a, s, axes, out, norm)
    one_axis = ifft if inverse else fft
    for length, ax in reversed(list(zip(s, axes))):
        a = one_axis(a, length, ax, norm)
    if not axes:  # nothing to transform: the input, as NumPy
        return a if type(a) is Traced else np.asarray(a)
    return a


def _r2c_nd(name: str, a: Any, s: Any, axes: Any, norm: Any, out: Any) -> Any:
    s, axes = _nd_args(name, a, s, axes, out, norm)
    if not axes:
        raise ValueError(f"numpy.fft.{name}: axes is empty; give at least one axis to transform")
    _check_real(name, a)
    a = rfft(a, s[-1], axes[-1], norm)
    for length, ax in reversed(list(zip(s[:-1], axes[:-1]))):
        a = fft(a, length, ax, norm)
    return a


def _c2r_nd(name: str, a: Any, s: Any, axes: Any, norm: Any, out: Any) -> Any:
    s, axes = _nd_args(name, a, s, axes, out, norm, half_spectrum=True)
    if not axes:
        raise ValueError(f"numpy.fft.{name}: axes is empty; give at least one axis to transform")
    for length, ax in zip(s[:-1], axes[:-1]):
        a = ifft(a, length, ax, norm)
    return irfft(a, s[-1], axes[-1], norm)


@op(np.fft.fftn, module="numpy.fft", spec=Spec(lambda k: k.fft_axes(), _AXES, complex=True, float32=False))
def fftn(a: ArrayIn, s: Lengths = None, axes: Axes = None, norm: Optional[str] = None, out: Any = None) -> Result:
    """N-dimensional discrete Fourier transform (``numpy.fft.fftn``): :func:`fft` along each of ``axes``.

    Args:
        a: real or complex array.
        s: points along each of ``axes`` (cropping or zero-padding; ``-1``: the input's
            length); default the input's lengths.
        axes: the axes transformed (default: all, or the last ``len(s)``); an axis given
            twice is transformed twice, as NumPy.
        norm, out: as :func:`fft`.
    Returns:
        Complex array (complex64 for float32 input) of ``a``'s shape with ``s`` along ``axes``.
    Raises:
        ValueError: ``s`` and ``axes`` of different lengths, an axis out of range, an
            entry of ``s`` below 1, an unknown ``norm``. TypeError: ``out=`` on traced values.
    Warns:
        DeprecationWarning: ``s`` without ``axes``, or None in ``s`` (as NumPy 2).

    Its derivative comes from :func:`fft`'s, one axis after another (last axis first, as NumPy).
    """
    return _c2c_nd("fftn", a, s, axes, norm, out, inverse=False)


@op(np.fft.ifftn, module="numpy.fft", spec=Spec(lambda k: k.fft_axes(), _AXES, complex=True, float32=False))
def ifftn(a: ArrayIn, s: Lengths = None, axes: Axes = None, norm: Optional[str] = None, out: Any = None) -> Result:
    """N-dimensional inverse discrete Fourier transform (``numpy.fft.ifftn``): :func:`ifft` along each of ``axes``.

    Arguments, result, errors and derivative as :func:`fftn`.
    """
    return _c2c_nd("ifftn", a, s, axes, norm, out, inverse=True)


@op(np.fft.fft2, module="numpy.fft", spec=Spec(lambda k: k.fft_axes(two=True), _AXES, complex=True, float32=False))
def fft2(a: ArrayIn, s: Lengths = None, axes: Axes = (-2, -1), norm: Optional[str] = None, out: Any = None) -> Result:
    """Two-dimensional discrete Fourier transform (``numpy.fft.fft2``): :func:`fftn` over the last two axes by default.

    Arguments, result, errors and derivative as :func:`fftn`.
    """
    return _c2c_nd("fft2", a, s, axes, norm, out, inverse=False)


@op(np.fft.ifft2, module="numpy.fft", spec=Spec(lambda k: k.fft_axes(two=True), _AXES, complex=True, float32=False))
def ifft2(a: ArrayIn, s: Lengths = None, axes: Axes = (-2, -1), norm: Optional[str] = None, out: Any = None) -> Result:
    """Two-dimensional inverse discrete Fourier transform (``numpy.fft.ifft2``): :func:`ifftn` over the last two axes.

    Arguments, result, errors and derivative as :func:`fftn`.
    """
    return _c2c_nd("ifft2", a, s, axes, norm, out, inverse=True)


@op(np.fft.rfftn, module="numpy.fft", spec=Spec(lambda k: k.fft_axes(), _AXES, float32=False))
def rfftn(a: ArrayIn, s: Lengths = None, axes: Axes = None, norm: Optional[str] = None, out: Any = None) -> Result:
    """N-dimensional transform of real input (``numpy.fft.rfftn``).

    :func:`rfft` along the last of ``axes`` (``s[-1]//2 + 1`` bins), then :func:`fft` along
    the others. Arguments and errors as :func:`fftn`; real input only (TypeError for
    complex, as NumPy); ValueError for empty ``axes``.

    Its derivative comes from :func:`rfft`'s and :func:`fft`'s.
    """
    return _r2c_nd("rfftn", a, s, axes, norm, out)


@op(np.fft.irfftn, module="numpy.fft", spec=Spec(lambda k: k.fft_axes(half_spectrum=True), _AXES, complex=True))
def irfftn(a: ArrayIn, s: Lengths = None, axes: Axes = None, norm: Optional[str] = None, out: Any = None) -> Result:
    """Inverse of :func:`rfftn` (``numpy.fft.irfftn``): a real array from its half spectrum.

    :func:`ifft` along all but the last of ``axes``, then :func:`irfft` along the last
    (default length ``2 (m - 1)`` there). Returns a real array (float32 for complex64 or
    float32 input). Arguments and errors as :func:`fftn`; ValueError for empty ``axes``.

    Its derivative comes from :func:`ifft`'s and :func:`irfft`'s.
    """
    return _c2r_nd("irfftn", a, s, axes, norm, out)


@op(np.fft.rfft2, module="numpy.fft", spec=Spec(lambda k: k.fft_axes(two=True), _AXES, float32=False))
def rfft2(a: ArrayIn, s: Lengths = None, axes: Axes = (-2, -1), norm: Optional[str] = None, out: Any = None) -> Result:
    """Two-dimensional transform of real input (``numpy.fft.rfft2``): :func:`rfftn` over the last two axes.

    Arguments, result, errors and derivative as :func:`rfftn`.
    """
    return _r2c_nd("rfft2", a, s, axes, norm, out)


@op(
    np.fft.irfft2,
    module="numpy.fft",
    spec=Spec(lambda k: k.fft_axes(two=True, half_spectrum=True), _AXES, complex=True),
)
def irfft2(a: ArrayIn, s: Lengths = None, axes: Axes = (-2, -1), norm: Optional[str] = None, out: Any = None) -> Result:
    """Inverse of :func:`rfft2` (``numpy.fft.irfft2``): :func:`irfftn` over the last two axes.

    Arguments, result, errors and derivative as :func:`irfftn`.
    """
    return _c2r_nd("irfft2", a, s, axes, norm, out)


# --------------------------------------------------------------------------------------
# Shifts: permutations, each the other's transpose
# --------------------------------------------------------------------------------------

_fftshift = defprim(
    "fftshift", lambda x, *, axes: (np.fft.fftshift(x, axes), (axes,)), linear=lambda g, axes: np.fft.ifftshift(g, axes)
)
_ifftshift = defprim(
    "ifftshift",
    lambda x, *, axes: (np.fft.ifftshift(x, axes), (axes,)),
    linear=lambda g, axes: np.fft.fftshift(g, axes),
)
_SHIFT = "1-3 dimensions, sides 1-5; axes None, an int or a tuple (negative too)"


def _shift_axes(axes: Any) -> Any:
    return tuple(axes) if isinstance(axes, list) else axes


@op(
    np.fft.fftshift,
    module="numpy.fft",
    spec=Spec(lambda k: k.fft_shift(), _SHIFT, complex=True),
    primitives=(_fftshift,),
)
def fftshift(x: ArrayIn, axes: Union[SupportsIndex, Axes] = None) -> Result:
    """Move the zero-frequency bin to the middle (``numpy.fft.fftshift``).

    Rolls each of ``axes`` (default all) forward by half its length, ``n // 2``; the
    shape and dtype are kept. Raises NumPy's error for an axis out of range.

    Linear, a permutation: the VJP is the inverse permutation, :func:`ifftshift` of the
    cotangent.
    """
    return _fftshift.bind(x, axes=_shift_axes(axes))


@op(
    np.fft.ifftshift,
    module="numpy.fft",
    spec=Spec(lambda k: k.fft_shift(), _SHIFT, complex=True),
    primitives=(_ifftshift,),
)
def ifftshift(x: ArrayIn, axes: Union[SupportsIndex, Axes] = None) -> Result:
    """Inverse of :func:`fftshift` (``numpy.fft.ifftshift``): rolls each of ``axes`` back by ``n // 2``.

    Linear, a permutation: the VJP is :func:`fftshift` of the cotangent.
    """
    return _ifftshift.bind(x, axes=_shift_axes(axes))


# The sample frequencies depend on the length and the spacing only: no useful derivative.
constant(np.fft.fftfreq, np.fft.rfftfreq, module="numpy.fft")

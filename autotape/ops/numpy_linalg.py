"""``numpy.linalg``: inverses, solves, determinants, decompositions and norms, with VJP and JVP rules.

Every op takes stacks of matrices ``(..., m, n)`` as NumPy's function does, and its
forward rule calls that NumPy function, so a traced call gives the very numbers a plain
call gives. The rules are the standard results of matrix calculus: Giles, "An extended
collection of matrix derivative results for forward and reverse mode algorithmic
differentiation" (2008), for inverses, solves and determinants; Murray, "Differentiation
of the Cholesky decomposition" (2016); Seeger, Hetzel, Dai, Meissner and Lawrence,
"Auto-differentiating linear algebra" (2017), and Townsend, "Differentiating the
singular value decomposition" (2016), for the eigen- and singular value decompositions;
Walter and Lehmann, "Algorithmic differentiation of linear algebra functions with
application in optimum experimental design" (2013), for QR; Golub and Pereyra, "The
differentiation of pseudo-inverses and nonlinear least squares problems" (1973), for
``pinv`` and ``lstsq``. The rules are written with NumPy calls that autotape
dispatches, so they nest: second order and forward-over-reverse work.

Complex matrices follow JAX's convention (``docs/complex.md``): each VJP rule is the
transpose of its JVP rule under the pairing ``Re(sum(g * t))``, never a conjugate
transpose. A real matrix whose result is complex (``eig`` with complex eigenvalues)
gets the real part of that transpose.

Conventions where the derivative is not unique:

* ``cholesky``, ``eigh`` and ``eigvalsh`` read one triangle of a matrix they take to be
  Hermitian. Their rules are those of the function of ``(a + a^H) / 2``: the gradient
  is Hermitian (symmetric), and a tangent is symmetrized first (JAX's and PyTorch's
  convention). Perturb such inputs symmetrically.
* Eigen- and singular vectors are unique only up to sign (phase). ``eigh`` and ``svd``
  give the derivative that keeps each vector's phase fixed (``Im(v^H dv) = 0``); for
  real matrices that is the sign NumPy returns, for complex ones only losses that do
  not depend on the phase (``|v|``, ``u v^H``) have a meaningful gradient. ``eig``
  differentiates NumPy's own normalization: unit norm, largest component real.
* Repeated eigenvalues or singular values: the vectors are then not differentiable
  (their derivative has ``1 / (w_j - w_i)`` factors). The rules drop the terms of
  exactly equal values, so a function of the eigenvalues (singular values) alone, whose
  cotangent for the vectors is zero, keeps a finite gradient; a loss that uses the
  vectors gets large or meaningless values near ties, as in every framework.
* ``svd(full_matrices=True)`` of a non-square matrix and ``qr(mode="complete")`` of a
  tall one: the extra vectors are not unique. The loss may use only the first
  ``min(m, n)`` of them (PyTorch's rule); otherwise the VJP raises ValueError.
* ``det`` at a singular matrix: the gradient is the exact adjugate (from the SVD),
  not 0.
* ``norm`` and its kinks: at 0 every norm has the zero subgradient (PyTorch's choice;
  JAX gives NaN); ties of ``max``/``min`` (orders ``inf``, ``-inf``, matrix orders
  ``1``, ``-1``, ``2``, ``-2``) share the cotangent equally; ``|x|`` has slope 0 at
  ``x == 0``. Each vector (matrix) of a stack is handled on its own, so a zero row
  does not poison the others.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from .._types import Array, Nested, Shaped
from ..tracer import Traced, primal, primal_array
from .registry import Spec, constant, defprim, no_extras, op

__all__ = [
    "inv",
    "pinv",
    "det",
    "slogdet",
    "solve",
    "cholesky",
    "eigh",
    "eigvalsh",
    "eig",
    "eigvals",
    "svd",
    "svdvals",
    "qr",
    "lstsq",
    "norm",
    "vector_norm",
    "matrix_norm",
    "cond",
    "matrix_power",
    "multi_dot",
    "tensorinv",
    "tensorsolve",
    "matmul",
    "matrix_transpose",
    "outer",
    "vecdot",
    "cross",
    "diagonal",
    "trace",
    "tensordot",
]

ArrayIn = Union[Shaped[Array, "..."], Nested]
ArrayOut = Shaped[Array, "..."]
LINALG = "numpy.linalg"


def _result_type(function, *args, **kwargs) -> type:
    """The (named tuple) type NumPy's ``function`` returns, from a call on a 1x1 matrix."""
    return type(function(*args, **kwargs))


_ONE = np.ones((1, 1))
SlogdetResult = _result_type(np.linalg.slogdet, _ONE)
EighResult = _result_type(np.linalg.eigh, _ONE)
EigResult = _result_type(np.linalg.eig, _ONE)
SVDResult = _result_type(np.linalg.svd, _ONE)
QRResult = _result_type(np.linalg.qr, _ONE)


# --------------------------------------------------------------------------------------
# Helpers of the rules: written with dispatching NumPy calls, so they nest
# --------------------------------------------------------------------------------------


def _mT(x):
    """The transpose of each matrix of a stack."""
    return np.swapaxes(x, -1, -2)


def _conj(x):
    return np.conj(x) if np.iscomplexobj(x) else x


def _mH(x):
    """The conjugate transpose of each matrix of a stack."""
    return _conj(_mT(x))


def _hermitian_part(x):
    """``(x + x^H) / 2``."""
    return (x + _mH(x)) / 2


def _diagonal(x):
    """The diagonal of each square matrix of a stack, shape ``(..., n)``."""
    i = np.arange(x.shape[-1])
    return x[..., i, i]


def _diag_matrix(d):
    """A stack of diagonal matrices with diagonals ``d`` of shape ``(..., n)``."""
    return d[..., None, :] * np.eye(d.shape[-1], dtype=bool)


def _matvec(a, v):
    """``a @ v`` for stacks of matrices ``(..., m, n)`` and of vectors ``(..., n)``."""
    return (a @ v[..., None])[..., 0]


def _safe_reciprocal(x):
    """``1 / x``, with 0 where ``x == 0`` (a zero singular value drops its term)."""
    zero = primal(x) == 0
    return np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, x))


def _inverse_gaps(w):
    """``F[..., i, j] = 1 / (w_j - w_i)``, and 0 on the diagonal and where ``w_i == w_j`` exactly."""
    return _safe_reciprocal(w[..., None, :] - w[..., :, None])


def _pack(parts: Sequence, batch: tuple):
    """Several outputs of one decomposition as one array: each raveled after the batch axes, side by side."""
    # The trailing size spelled out: -1 cannot be inferred when the batch is empty.
    return np.concatenate([np.reshape(p, batch + (math.prod(np.shape(p)[len(batch) :]),)) for p in parts], axis=-1)


def _unpack(packed, shapes: Sequence[tuple], real: Sequence[bool] = ()) -> list:
    """The outputs :func:`_pack` packed, of trailing ``shapes``; real parts where ``real[i]``."""
    batch = packed.shape[:-1]
    parts, start = [], 0
    for i, shape in enumerate(shapes):
        size = math.prod(shape)
        part = np.reshape(packed[..., start : start + size], batch + tuple(shape))
        if i < len(real) and real[i] and np.iscomplexobj(part):
            part = np.real(part)
        parts.append(part)
        start += size
    return parts


def _inverse_or_nan(x):
    """``inv(x)`` for the rules; NaN for the singular matrices of the stack, whose
    derivative is undefined (the forward value is still NumPy's, and the other matrices
    keep theirs)."""
    try:
        return np.linalg.inv(x)
    except np.linalg.LinAlgError:
        raw = primal_array(x)
        out = np.full(raw.shape, np.nan, dtype=raw.dtype)
        for index in np.ndindex(raw.shape[:-2]):
            try:
                out[index] = np.linalg.inv(raw[index])
            except np.linalg.LinAlgError:
                pass
        return out


def _is_traced(*values) -> bool:
    return any(type(v) is Traced for v in values)


def _square_shape_check(name: str, a) -> None:
    shape = np.shape(primal(a))
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError(
            f"numpy.linalg.{name}: expected a square matrix or a stack of them, shape (..., n, n), got shape {shape}"
        )


# --------------------------------------------------------------------------------------
# inv, solve, det, slogdet
# --------------------------------------------------------------------------------------


def _inv_fwd(a):
    y = np.linalg.inv(a)
    return y, (y,)


_inv = defprim(
    "inv",
    _inv_fwd,
    (lambda g, y: -(_mT(y) @ g @ _mT(y)),),
    (lambda t, y: -(y @ t @ y),),
    impl=np.linalg.inv,
)

_GENERAL = "well-conditioned square matrices (singular values in [0.6, 2.4]), stacks of them"


def _general(k):
    return k.linalg_square("general")


def _near_identity(k):
    return k.linalg_square("near identity")


@op(
    np.linalg.inv,
    module=LINALG,
    spec=Spec(_general, _GENERAL, complex=True, complex_cases=_near_identity),
    primitives=(_inv,),
)
def inv(a: ArrayIn) -> ArrayOut:
    """The inverse of a square matrix, or of each matrix of a stack (``numpy.linalg.inv``).

    Args:
        a: shape ``(..., n, n)``, float or complex.
    Returns:
        ``a^{-1}``, same shape and dtype.
    Raises:
        numpy.linalg.LinAlgError: ``a`` is singular or not square.

    JVP ``-a^{-1} t a^{-1}``; VJP ``-a^{-T} g a^{-T}`` (Giles 2008, section 2.2.1;
    transposes, not conjugate transposes, for complex ``a``).
    """
    return _inv.bind(a)


def _solve_fwd(a, b):
    x = np.linalg.solve(a, b)
    return x, (np.linalg.inv(a), x, np.ndim(b) == 1)


def _solve_vjp_b(g, a_inv, x, vector):
    return _matvec(_mT(a_inv), g) if vector else _mT(a_inv) @ g


def _solve_vjp_a(g, a_inv, x, vector):
    b_bar = _solve_vjp_b(g, a_inv, x, vector)
    if vector:
        return -(b_bar[..., :, None] * x[..., None, :])
    return -(b_bar @ _mT(x))


def _solve_jvp_a(t, a_inv, x, vector):
    return -_matvec(a_inv, _matvec(t, x)) if vector else -(a_inv @ (t @ x))


def _solve_jvp_b(t, a_inv, x, vector):
    return _matvec(a_inv, t) if vector else a_inv @ t


def _solve_check(a, b):
    sa, sb = np.shape(a), np.shape(b)
    if len(sa) < 2 or sa[-1] != sa[-2]:
        raise ValueError(f"numpy.linalg.solve: a must be square, shape (..., n, n); got a of shape {sa}")
    if len(sb) == 0 or (sb[0] if len(sb) == 1 else sb[-2]) != sa[-1]:
        raise ValueError(
            f"numpy.linalg.solve: a of shape {sa} and b of shape {sb} do not match: b must be a vector of "
            f"shape ({sa[-1]},) or a stack of matrices (..., {sa[-1]}, k) (NumPy 2 treats b as a vector "
            "only when it is 1-D; write b[..., None] for a stack of vectors)"
        )


_solve = defprim(
    "solve",
    _solve_fwd,
    (_solve_vjp_a, _solve_vjp_b),
    (_solve_jvp_a, _solve_jvp_b),
    impl=np.linalg.solve,
    check=_solve_check,
)


@op(
    np.linalg.solve,
    module=LINALG,
    spec=Spec(
        lambda k: k.linalg_solve(),
        "well-conditioned a; b a vector or a stack of matrices; batch axes broadcast",
        complex=True,
        complex_cases=lambda k: k.linalg_solve("near identity"),
    ),
    primitives=(_solve,),
)
def solve(a: ArrayIn, b: ArrayIn) -> ArrayOut:
    """The solution ``x`` of ``a x = b`` (``numpy.linalg.solve``).

    Args:
        a: shape ``(..., n, n)``.
        b: shape ``(n,)`` (one vector, for every matrix of ``a``) or ``(..., n, k)``
            (a stack of matrices whose batch axes broadcast with ``a``'s). As in NumPy 2,
            ``b`` is a vector only when it is 1-D.
    Returns:
        ``x`` of shape ``a.shape[:-1]`` for a vector ``b``, else the broadcast ``(..., n, k)``.
    Raises:
        numpy.linalg.LinAlgError: ``a`` singular. ValueError: shapes that do not match.

    JVP ``a^{-1} (t_b - t_a x)``; VJP ``b_bar = a^{-T} g`` and ``a_bar = -b_bar x^T``
    (Giles 2008, section 2.3.1). The rules use ``a^{-1}``, computed once in the forward
    rule, so both operands' cotangents cost matrix products only.
    """
    return _solve.bind(a, b)


def _well_conditioned_inverse(raw):
    """``inv(raw)`` when every matrix of the stack has 1-norm condition number below
    ``eps^{-1/2}`` (so ``det * inv`` keeps half the digits at worst), else None."""
    try:
        with np.errstate(all="ignore"):
            inverse = np.linalg.inv(raw)
            condition = np.linalg.norm(raw, 1, axis=(-2, -1)) * np.linalg.norm(inverse, 1, axis=(-2, -1))
    except np.linalg.LinAlgError:
        return None
    limit = np.finfo(raw.dtype).eps ** -0.5
    return inverse if np.all(np.isfinite(inverse)) and np.all(condition < limit) else None


def _products_of_the_others(s):
    """``p[..., i] = prod_{j != i} s[..., j]``, with no division (exact where some ``s_j == 0``)."""
    n = s.shape[-1]
    rows = np.where(np.eye(n, dtype=bool), 1.0, s[..., None, :])
    if not _is_traced(rows):
        return np.prod(rows, axis=-1)
    product = rows[..., 0]
    for j in range(1, n):
        product = product * rows[..., j]
    return product


def _cofactor(a, d):
    """The cofactor matrix ``adj(a)^T`` of each matrix, the derivative of ``det``.

    ``det(a) a^{-T}`` where ``a`` is well conditioned. Otherwise, from the SVD
    ``a = U diag(s) Vh``: ``adj(a)^T = det(U) det(Vh) conj(U) diag(p) conj(Vh)`` with
    ``p_i = prod_{j != i} s_j``, exact at singular matrices too (``adj(XY) = adj(Y) adj(X)``
    and ``adj(Q) = det(Q) Q^{-1}`` for the unitary factors; Horn and Johnson, "Matrix
    Analysis", section 0.8.2). Both are written with
    dispatching calls, so ``det``'s second derivative follows (through ``inv``, or
    through ``svd`` where the singular values are distinct).
    """
    raw = primal_array(a)
    inverse = _well_conditioned_inverse(raw)
    if inverse is not None:
        if _is_traced(a):
            inverse = np.linalg.inv(a)
        return d[..., None, None] * _mT(inverse)
    u, s, vh = np.linalg.svd(a)
    phase = np.linalg.det(u) * np.linalg.det(vh)
    return phase[..., None, None] * _conj((u * _products_of_the_others(s)[..., None, :]) @ vh)


def _det_fwd(a):
    d = np.linalg.det(a)
    return d, (_cofactor(a, d),)


_det = defprim(
    "det",
    _det_fwd,
    (lambda g, cofactor: g[..., None, None] * cofactor,),
    (lambda t, cofactor: np.sum(cofactor * t, axis=(-2, -1)),),
    impl=np.linalg.det,
    check=lambda a: _square_shape_check("det", a),
)


@op(
    np.linalg.det,
    module=LINALG,
    spec=Spec(_general, _GENERAL, complex=True, complex_cases=_near_identity),
    primitives=(_det,),
)
def det(a: ArrayIn) -> ArrayOut:
    """The determinant of a square matrix, or of each matrix of a stack (``numpy.linalg.det``).

    Args:
        a: shape ``(..., n, n)``, float or complex.
    Returns:
        shape ``a.shape[:-2]``, ``a``'s dtype.
    Raises:
        numpy.linalg.LinAlgError: ``a`` not square.

    The derivative is the cofactor matrix ``adj(a)^T`` (Giles 2008, section 2.1.4:
    ``d det(a) = tr(adj(a) da)``): JVP ``sum(adj(a)^T * t)``, VJP ``g adj(a)^T``. It is
    ``det(a) a^{-T}`` for well-conditioned ``a``; for singular or ill-conditioned ``a`` it
    is computed from the SVD (``adj(U S Vh) = adj(Vh) adj(S) adj(U)``, Horn and Johnson,
    "Matrix Analysis", section 0.8.2), so at a singular matrix the gradient is the exact
    adjugate (not 0 and not NaN): for a matrix of rank ``n - 1`` it is nonzero, for
    lower rank 0.
    """
    return _det.bind(a)


def _slogdet_fwd(a):
    sign, logabsdet = np.linalg.slogdet(a)
    # At a singular matrix log|det| is -inf and its derivative undefined (NaN).
    inverse = _inverse_or_nan(a)
    return _pack([sign, logabsdet], np.shape(primal(sign))), (sign, inverse, bool(np.isnan(primal(inverse)).any()))


def _slogdet_vjp(g, sign, inverse, singular):
    g_sign, g_log = g[..., 0], g[..., 1]
    if np.iscomplexobj(inverse):
        # d log|det| = Re(tau), d sign = i Im(tau) sign, tau = tr(a^{-1} da) = sum(a^{-T} * da).
        weight = np.real(g_log) + 1j * np.imag(g_sign * sign)
    else:
        weight = g_log
    a_bar = weight[..., None, None] * _mT(inverse)
    if singular:  # a singular matrix whose slogdet the loss does not use: a zero cotangent, not NaN
        a_bar = np.where((primal_array(weight) == 0)[..., None, None], 0.0, a_bar)
    return a_bar


def _slogdet_jvp(t, sign, inverse, singular):
    tau = np.sum(_mT(inverse) * t, axis=(-2, -1))
    if np.iscomplexobj(tau):
        return _pack([1j * np.imag(tau) * sign, np.real(tau) + 0j], np.shape(tau))
    return _pack([np.zeros_like(tau), tau], np.shape(tau))


_slogdet = defprim(
    "slogdet",
    _slogdet_fwd,
    (_slogdet_vjp,),
    (_slogdet_jvp,),
    check=lambda a: _square_shape_check("slogdet", a),
)


@op(
    np.linalg.slogdet,
    module=LINALG,
    spec=Spec(_general, _GENERAL + "; negative determinants too", complex=True, complex_cases=_near_identity),
    primitives=(_slogdet,),
)
def slogdet(a: ArrayIn) -> Any:
    """Sign and log of the absolute value of the determinant (``numpy.linalg.slogdet``).

    Args:
        a: shape ``(..., n, n)``, float or complex.
    Returns:
        ``SlogdetResult(sign, logabsdet)``, each of shape ``a.shape[:-2]``: ``sign`` is
        ``+-1`` (or ``det/|det|`` for complex ``a``; 0 when singular), ``logabsdet`` is
        real.
    Raises:
        numpy.linalg.LinAlgError: ``a`` not square.

    With ``tau = tr(a^{-1} da)`` (Giles 2008, section 2.1.4): ``d logabsdet = Re(tau)``,
    ``d sign = i Im(tau) sign`` for complex ``a``, and ``sign`` is a constant for real
    ``a``. The VJP is ``(Re(g_log) + i Im(g_sign sign)) a^{-T}``. The rules use
    ``a^{-1}`` from :func:`inv`, so second derivatives (a Gaussian process's
    hyperparameter Hessian) follow. At a singular matrix the gradient is NaN.
    """
    sign, logabsdet = _unpack(_slogdet.bind(a), [(), ()], real=(False, True))
    return SlogdetResult(sign, logabsdet)


# --------------------------------------------------------------------------------------
# cholesky
# --------------------------------------------------------------------------------------


def _phi(x):
    """The lower triangle of each matrix with its diagonal halved (Murray 2016, eq. 8)."""
    n = x.shape[-1]
    return x * np.tri(n, dtype=bool) - (x * np.eye(n, dtype=bool)) / 2


def _cholesky_fwd(a, *, upper=False):
    out = np.linalg.cholesky(a, upper=upper)
    lower = _mH(out) if upper else out
    return out, (lower, np.linalg.inv(lower), upper)


def _cholesky_jvp(t, lower, lower_inv, upper):
    dl = lower @ _phi(lower_inv @ _hermitian_part(t) @ _mH(lower_inv))
    return _mH(dl) if upper else dl


def _cholesky_vjp(g, lower, lower_inv, upper):
    if upper:
        g = _mH(g)
    return _hermitian_part(_mT(lower_inv) @ _phi(_mT(lower) @ g) @ _conj(lower_inv))


_cholesky = defprim(
    "cholesky",
    _cholesky_fwd,
    (_cholesky_vjp,),
    (_cholesky_jvp,),
    impl=lambda a, upper=False: np.linalg.cholesky(a, upper=upper),
)


def _hermitian_reference(function):
    """NumPy's ``function`` of ``(a + a^H) / 2``: the function whose derivative the rules give
    (equal to ``function(a)`` on the Hermitian matrices the tests draw)."""

    def reference(a, *args, **kwargs):
        a = np.asarray(a)
        return function((a + np.conj(np.swapaxes(a, -1, -2))) / 2, *args, **kwargs)

    return reference


@op(
    np.linalg.cholesky,
    module=LINALG,
    spec=Spec(
        lambda k: k.linalg_square("spd", params={"upper": [False, True]}),
        "symmetric positive definite matrices m m^T + n I, stacks of them, upper= both ways",
        reference=_hermitian_reference(np.linalg.cholesky),
        second_order=False,  # symmetric convention: see tests/test_ops_numpy_linalg.py
    ),
    primitives=(_cholesky,),
)
def cholesky(a: ArrayIn, /, *, upper: bool = False) -> ArrayOut:
    """The Cholesky factor of a Hermitian positive-definite matrix (``numpy.linalg.cholesky``).

    Args:
        a: shape ``(..., n, n)``, Hermitian (symmetric) positive definite; NumPy reads
            its lower triangle (its upper one with ``upper=True``).
        upper: return the upper factor ``U`` (``a = U^H U``) instead of the lower ``L``
            (``a = L L^H``).
    Returns:
        ``L`` (or ``U``), same shape and dtype.
    Raises:
        numpy.linalg.LinAlgError: ``a`` is not positive definite.

    Murray, "Differentiation of the Cholesky decomposition" (2016): with
    ``Phi(x)`` the lower triangle of ``x`` with its diagonal halved, the JVP is
    ``L Phi(L^{-1} sym(t) L^{-H})`` and the VJP
    ``sym(L^{-T} Phi(L^T g) conj(L^{-1}))``, ``sym(x) = (x + x^H) / 2``: the derivative
    of the Cholesky factor of ``(a + a^H) / 2``, so the gradient is Hermitian (see the
    module's conventions). ``L^{-1}`` comes from :func:`inv`, so second derivatives
    follow.
    """
    return _cholesky.bind(a, upper=bool(upper))


# --------------------------------------------------------------------------------------
# eigh, eigvalsh, eig, eigvals
# --------------------------------------------------------------------------------------


def _eigh_fwd(a, *, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return _pack([w, v], np.shape(w)[:-1]), (w, v)


def _eigh_parts(packed, n: int) -> list:
    return _unpack(packed, [(n,), (n, n)], real=(True, False))


def _eigh_vjp(g, w, v):
    g_w, g_v = _eigh_parts(g, w.shape[-1])
    inner = _diag_matrix(g_w) + _inverse_gaps(w) * (_mT(v) @ g_v)
    return _hermitian_part(_conj(v) @ inner @ _mT(v))


def _eigh_jvp(t, w, v):
    x = _mH(v) @ _hermitian_part(t) @ v
    dw = _diagonal(x)
    return _pack([np.real(dw) if np.iscomplexobj(dw) else dw, v @ (_inverse_gaps(w) * x)], w.shape[:-1])


_eigh = defprim(
    "eigh",
    _eigh_fwd,
    (_eigh_vjp,),
    (_eigh_jvp,),
    check=lambda a, UPLO="L": _square_shape_check("eigh", a),
)

_SYMMETRIC = "symmetric matrices Q diag(w) Q^T with eigenvalues >= 1/2 apart, stacks of them, UPLO both ways"


def _symmetric(k):
    return k.linalg_square("symmetric", params={"UPLO": ["L", "U"]})


@op(
    np.linalg.eigh,
    module=LINALG,
    spec=Spec(_symmetric, _SYMMETRIC, reference=_hermitian_reference(np.linalg.eigh), second_order=False),
    primitives=(_eigh,),
)
def eigh(a: ArrayIn, UPLO: str = "L") -> Any:
    """Eigenvalues and eigenvectors of a Hermitian (symmetric) matrix (``numpy.linalg.eigh``).

    Args:
        a: shape ``(..., n, n)``, Hermitian; NumPy reads its lower triangle (``UPLO="L"``)
            or its upper one (``"U"``).
    Returns:
        ``EighResult(eigenvalues, eigenvectors)``: ``w`` of shape ``(..., n)``, real and
        ascending; ``v`` of shape ``(..., n, n)`` whose column ``v[..., :, i]`` belongs to
        ``w[..., i]``.
    Raises:
        numpy.linalg.LinAlgError: ``a`` not square, or no convergence.

    Seeger et al., "Auto-differentiating linear algebra" (2017), and Giles 2008,
    section 3.1: with ``x = v^H sym(t) v`` and ``F[i, j] = 1 / (w_j - w_i)`` (0 on the
    diagonal), the JVP is ``dw = Re(diag(x))``, ``dv = v (F * x)``; the VJP is
    ``sym(conj(v) (diag(g_w) + F * (v^T g_v)) v^T)``. The derivative is that of the
    function of ``(a + a^H) / 2`` (a Hermitian gradient; see the module's conventions),
    keeping each eigenvector's phase (``Im(v^H dv) = 0``). Degenerate eigenvalues:
    the eigenvectors are not differentiable there, and the terms of exactly equal
    eigenvalues are dropped, so a function of the eigenvalues alone stays finite.
    """
    n = np.shape(primal(a))[-1] if np.ndim(primal(a)) >= 2 else 0
    w, v = _eigh_parts(_eigh.bind(a, UPLO=UPLO), n)
    return EighResult(w, v)


def _eigvalsh_fwd(a, *, UPLO="L"):
    return np.linalg.eigvalsh(a, UPLO=UPLO), (np.linalg.eigh(a, UPLO=UPLO)[1],)


def _real_cotangent(g):
    """The cotangent of a real output: the real part of ``g`` (the pairing with a real
    tangent is ``Re(g) t``), so a complex ``g`` from a later complex op is read right."""
    return np.real(g) if np.iscomplexobj(g) else g


def _eigvalsh_vjp(g, v):
    return _conj(v) @ (_real_cotangent(g)[..., :, None] * _mT(v))


def _eigvalsh_jvp(t, v):
    dw = np.sum(_conj(v) * (_hermitian_part(t) @ v), axis=-2)
    return np.real(dw) if np.iscomplexobj(dw) else dw


_eigvalsh = defprim(
    "eigvalsh",
    _eigvalsh_fwd,
    (_eigvalsh_vjp,),
    (_eigvalsh_jvp,),
    impl=lambda a, UPLO="L": np.linalg.eigvalsh(a, UPLO=UPLO),
)


@op(
    np.linalg.eigvalsh,
    module=LINALG,
    spec=Spec(_symmetric, _SYMMETRIC, reference=_hermitian_reference(np.linalg.eigvalsh), second_order=False),
    primitives=(_eigvalsh,),
)
def eigvalsh(a: ArrayIn, UPLO: str = "L") -> ArrayOut:
    """The eigenvalues of a Hermitian (symmetric) matrix, ascending (``numpy.linalg.eigvalsh``).

    Args and errors as :func:`eigh`; returns ``w`` of shape ``(..., n)``, real.

    JVP ``dw_i = Re(v_i^H sym(t) v_i)``; VJP ``conj(v) diag(g) v^T`` (Hermitian), with the
    eigenvectors ``v`` of :func:`eigh` (Giles 2008, section 3.1). This stays finite
    when eigenvalues repeat (a function of the eigenvalues is differentiable there when
    it is symmetric in them, as the sum or a spectral function).
    """
    return _eigvalsh.bind(a, UPLO=UPLO)


def _column_phase_index(v):
    """One-hot ``(..., n, n)`` of the component of each eigenvector NumPy (LAPACK's geev)
    makes real: the one of largest modulus."""
    raw = primal_array(v)
    largest = np.argmax(np.abs(raw), axis=-2)
    return np.arange(raw.shape[-2])[:, None] == largest[..., None, :]


def _eig_fwd(a):
    w, v = np.linalg.eig(a)
    residuals = (w, v, _inverse_or_nan(v), _column_phase_index(v), np.iscomplexobj(a))
    return _pack([w, v], np.shape(w)[:-1]), residuals


def _eig_jvp(t, w, v, v_inv, phase_index, complex_input):
    x = v_inv @ t @ v
    du = v @ (_inverse_gaps(w) * x)
    if np.iscomplexobj(du) or np.iscomplexobj(v):
        # Keep |v_k| = 1 and the component of largest modulus real (NumPy's normalization).
        pivot = np.real(np.sum(v * phase_index, axis=-2))
        along = np.real(np.sum(_conj(v) * du, axis=-2)) + 1j * np.imag(np.sum(du * phase_index, axis=-2)) / pivot
    else:
        along = np.sum(v * du, axis=-2)
    return _pack([_diagonal(x), du - v * along[..., None, :]], w.shape[:-1])


def _eig_vjp(g, w, v, v_inv, phase_index, complex_input):
    n = w.shape[-1]
    g_w, g_v = _unpack(g, [(n,), (n, n)])
    beta = np.sum(g_v * v, axis=-2)
    if np.iscomplexobj(beta) or np.iscomplexobj(v):
        pivot = np.real(np.sum(v * phase_index, axis=-2))
        g_u = g_v - _conj(v) * np.real(beta)[..., None, :] - 1j * phase_index * (np.imag(beta) / pivot)[..., None, :]
    else:
        g_u = g_v - v * beta[..., None, :]
    a_bar = _mT(v_inv) @ (_diag_matrix(g_w) + _inverse_gaps(w) * (_mT(v) @ g_u)) @ _mT(v)
    return a_bar if complex_input or not np.iscomplexobj(a_bar) else np.real(a_bar)


_eig = defprim("eig", _eig_fwd, (_eig_vjp,), (_eig_jvp,), check=lambda a: _square_shape_check("eig", a))


def _diagonalizable(k):
    return k.linalg_square("diagonalizable")


_DIAGONALIZABLE = "P diag(w) P^{-1}, P well conditioned, real eigenvalues >= 1/2 apart; stacks"


@op(np.linalg.eig, module=LINALG, spec=Spec(_diagonalizable, _DIAGONALIZABLE), primitives=(_eig,))
def eig(a: ArrayIn) -> Any:
    """Eigenvalues and right eigenvectors of a square matrix (``numpy.linalg.eig``).

    Args:
        a: shape ``(..., n, n)``, diagonalizable, float or complex.
    Returns:
        ``EigResult(eigenvalues, eigenvectors)``: ``w`` of shape ``(..., n)`` and ``v`` of
        shape ``(..., n, n)``, ``a v[..., :, i] = w[..., i] v[..., :, i]``. As in NumPy they
        are complex, except for a real ``a`` whose eigenvalues are all real.
    Raises:
        numpy.linalg.LinAlgError: ``a`` not square, or no convergence.

    Seeger et al. (2017) and Giles 2008, section 3.1: with ``x = v^{-1} t v`` and
    ``F[i, j] = 1 / (w_j - w_i)``, ``dw = diag(x)`` and ``du = v (F * x)``; each
    eigenvector's tangent then gets the multiple of itself that keeps NumPy's
    normalization (unit norm, its largest component real), so the derivative is that of
    the vectors NumPy returns. The VJP is the transpose of this JVP (JAX's convention
    for complex values; a real ``a`` gets the real part). Needs distinct eigenvalues
    for the eigenvectors (their terms at exact ties are dropped).
    """
    n = np.shape(primal(a))[-1] if np.ndim(primal(a)) >= 2 else 0
    w, v = _unpack(_eig.bind(a), [(n,), (n, n)])
    return EigResult(w, v)


def _matched(w, reference):
    """``w`` reordered along the last axis to match ``reference`` (the same eigenvalues,
    perhaps in another order); the permutation, or None when already equal."""
    raw, ref = primal_array(w), primal_array(reference)
    if np.array_equal(raw, ref):
        return None
    return np.argmin(np.abs(ref[..., :, None] - raw[..., None, :]), axis=-1)


def _eigvals_fwd(a):
    out = np.linalg.eigvals(a)
    w, v = np.linalg.eig(a)
    order = _matched(w, out)
    if order is not None:
        one_hot = np.arange(order.shape[-1]) == order[..., None]  # [..., i, j]: eig's j is eigvals's i
        v = v @ _mT(one_hot)
    return out, (v, _inverse_or_nan(v))


_eigvals = defprim(
    "eigvals",
    _eigvals_fwd,
    (lambda g, v, v_inv: (_mT(v_inv) * g[..., None, :]) @ _mT(v),),
    (lambda t, v, v_inv: np.sum(_mT(v_inv @ t) * v, axis=-2),),
    impl=np.linalg.eigvals,
    check=lambda a: _square_shape_check("eigvals", a),
)


@op(np.linalg.eigvals, module=LINALG, spec=Spec(_diagonalizable, _DIAGONALIZABLE), primitives=(_eigvals,))
def eigvals(a: ArrayIn) -> ArrayOut:
    """The eigenvalues of a square matrix (``numpy.linalg.eigvals``); args and errors as :func:`eig`.

    ``dw_i = (v^{-1} t v)_{ii}``; VJP ``v^{-T} diag(g) v^T`` (Giles 2008, section 3.1),
    with the eigenvectors of :func:`eig`. Needs a diagonalizable ``a``; the eigenvectors
    are not needed to be distinct-eigenvalue ones for this rule to hold.
    """
    return _eigvals.bind(a)


# --------------------------------------------------------------------------------------
# svd, svdvals
# --------------------------------------------------------------------------------------


def _svd_fwd(a, *, full_matrices=True, hermitian=False):
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices, hermitian=hermitian)
    return _pack([u, s, vh], np.shape(s)[:-1]), (u, s, vh, bool(full_matrices))


def _svd_shapes(m: int, n: int, full: bool) -> list:
    k = min(m, n)
    return [(m, m if full else k), (k,), (n if full else k, n)]


def _reduced(u, vh, k: int):
    return u[..., :, :k], vh[..., :k, :]


def _svd_jvp(t, u, s, vh, full):
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    if full and m != n:
        raise ValueError(
            "numpy.linalg.svd(full_matrices=True) of a non-square matrix: the last "
            f"{max(m, n) - k} singular vectors are not unique, so forward mode has no tangent for them; "
            "call svd(..., full_matrices=False)"
        )
    u, vh = _reduced(u, vh, k)
    v = _mH(vh)
    s_inv = _safe_reciprocal(s)
    f = _inverse_gaps(s * s)
    dp = _mH(u) @ t @ v
    ds = _diagonal(dp)
    dp_s = dp * s[..., None, :]  # dp diag(s)
    s_dp = s[..., :, None] * dp  # diag(s) dp
    du = u @ (f * (dp_s + _mH(dp_s)))
    dv = v @ (f * (s_dp + _mH(s_dp)))
    if np.iscomplexobj(dp):
        ds = np.real(ds)
        du = du + u * (1j * np.imag(_diagonal(dp)) * s_inv)[..., None, :]
    if m > k:
        du = du + (t @ v - u @ dp) * s_inv[..., None, :]
    if n > k:
        dv = dv + (_mH(t) @ u - v @ _mH(dp)) * s_inv[..., None, :]
    return _pack([du, ds, _mH(dv)], s.shape[:-1])


def _svd_vjp(g, u, s, vh, full):
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    g_u, g_s, g_vh = _unpack(g, _svd_shapes(m, n, full))
    if full and (np.any(primal(g_u)[..., :, k:]) or np.any(primal(g_vh)[..., k:, :])):
        raise ValueError(
            f"numpy.linalg.svd(full_matrices=True) of {m}x{n} matrices: the loss uses singular vectors beyond "
            f"the first min(m, n) = {k} (U[..., :, {k}:] or Vh[..., {k}:, :]), which are not unique, so their "
            f"gradient is undefined. Use only U[..., :, :{k}] and Vh[..., :{k}, :], or call "
            "svd(..., full_matrices=False)"
        )
    u, vh = _reduced(u, vh, k)
    g_u, g_vh = _reduced(g_u, g_vh, k)
    if np.iscomplexobj(g_s):
        g_s = np.real(g_s)
    v_t = _conj(vh)  # V^T, as V = Vh^H
    s_inv = _safe_reciprocal(s)
    f = _inverse_gaps(s * s)
    gamma = _mT(u) @ g_u  # U^T g_U
    delta = v_t @ _mH(g_vh)  # V^T g_V, where g_V = g_Vh^H (the transpose of Vh = V^H)
    p_bar = (
        _diag_matrix(g_s) + (f * (gamma - _mH(gamma))) * s[..., None, :] + s[..., :, None] * (f * (delta - _mH(delta)))
    )
    if np.iscomplexobj(gamma):
        p_bar = p_bar + _diag_matrix(1j * np.imag(_diagonal(gamma)) * s_inv)
    inner = p_bar @ v_t
    if n > k:
        inner = inner + s_inv[..., :, None] * (g_vh - _mH(delta) @ v_t)  # g_V^H = g_Vh
    a_bar = _conj(u) @ inner
    if m > k:
        a_bar = a_bar + ((g_u - _conj(u) @ gamma) * s_inv[..., None, :]) @ v_t
    return a_bar


_svd = defprim(
    "svd",
    _svd_fwd,
    (_svd_vjp,),
    (_svd_jvp,),
    check=lambda a, **params: _at_least_2d("svd", a),
)


def _at_least_2d(name: str, a) -> None:
    shape = np.shape(primal(a))
    if len(shape) < 2:
        raise np.linalg.LinAlgError(
            f"numpy.linalg.{name}: expected a matrix or a stack of them, shape (..., m, n), got shape {shape}"
        )


@op(
    np.linalg.svd,
    module=LINALG,
    spec=Spec(
        lambda k: k.linalg_svd(),
        "U diag(s) V^T with singular values >= 1/2 apart and >= 1/2, m x n up to 3, stacks; "
        "full_matrices=True on square matrices; compute_uv=False",
    ),
    primitives=(_svd,),
)
def svd(a: ArrayIn, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False) -> Any:
    """The singular value decomposition ``a = U diag(S) Vh`` (``numpy.linalg.svd``).

    Args:
        a: shape ``(..., m, n)``, float or complex.
        full_matrices: ``U`` of shape ``(..., m, m)`` and ``Vh`` of shape ``(..., n, n)``;
            otherwise ``(..., m, k)`` and ``(..., k, n)``, ``k = min(m, n)``.
        compute_uv: return only ``S`` (as :func:`svdvals`).
        hermitian: ``a`` is Hermitian (NumPy then uses its eigendecomposition). The
            gradient is the general pseudo-inverse's, not symmetrized: NumPy reads one
            triangle, so the two triangles' entries of the gradient sum to the derivative
            along a symmetric perturbation (:func:`eigh` and :func:`cholesky` symmetrize).
    Returns:
        ``SVDResult(U, S, Vh)``; ``S`` of shape ``(..., k)``, real, descending.
    Raises:
        numpy.linalg.LinAlgError: no convergence. ValueError (from the VJP): see below.

    Townsend, "Differentiating the singular value decomposition" (2016), and Seeger et
    al. (2017), in JAX's form: with ``dP = U^H t V`` and ``F[i, j] = 1 / (s_j^2 - s_i^2)``,
    ``ds = Re(diag(dP))``, ``dU = U (F * (dP S + S dP^H)) + (t V - U dP) S^{-1}`` and
    ``dV = V (F * (S dP + dP^H S)) + (t^H U - V dP^H) S^{-1}``, plus
    ``U i Im(diag(dP)) S^{-1}`` for complex ``a``, which keeps each right vector's phase
    (``Im(v^H dv) = 0``); the VJP is its transpose. Singular vectors need distinct,
    nonzero singular values: terms of exactly equal (or zero) ones are dropped, so a
    function of ``S`` alone keeps a finite gradient when singular values repeat. The
    vectors' sign (phase) is NumPy's; for complex ``a`` only phase-invariant losses have
    a meaningful gradient. ``full_matrices=True`` of a non-square ``a``: the loss may use
    only the first ``k`` columns of ``U`` and rows of ``Vh`` (the others are not unique;
    PyTorch's rule), else the VJP raises ValueError; forward mode raises ValueError.
    """
    if not compute_uv:
        return _svdvals.bind(a, hermitian=bool(hermitian))
    shape = np.shape(primal(a))
    packed = _svd.bind(a, full_matrices=bool(full_matrices), hermitian=bool(hermitian))
    u, s, vh = _unpack(packed, _svd_shapes(shape[-2], shape[-1], bool(full_matrices)), real=(False, True, False))
    return SVDResult(u, s, vh)


def _svdvals_fwd(a, *, hermitian=False):
    u, _, vh = np.linalg.svd(a, full_matrices=False, hermitian=hermitian)
    return np.linalg.svd(a, compute_uv=False, hermitian=hermitian), (u, vh)


def _svdvals_jvp(t, u, vh):
    ds = np.sum(_conj(u) * (t @ _mH(vh)), axis=-2)
    return np.real(ds) if np.iscomplexobj(ds) else ds


_svdvals = defprim(
    "svdvals",
    _svdvals_fwd,
    (lambda g, u, vh: _conj((u * _real_cotangent(g)[..., None, :]) @ vh),),
    (_svdvals_jvp,),
    impl=lambda a, hermitian=False: np.linalg.svd(a, compute_uv=False, hermitian=hermitian),
    check=lambda a, **params: _at_least_2d("svdvals", a),
)


@op(
    np.linalg.svdvals,
    module=LINALG,
    spec=Spec(
        lambda k: k.linalg_rectangular("distinct singular values"),
        "U diag(s) V^T with singular values >= 1/2 apart and >= 1/2, m x n up to 3, stacks",
        complex=True,
        complex_cases=lambda k: k.linalg_rectangular("near identity"),
    ),
    primitives=(_svdvals,),
)
def svdvals(x: ArrayIn, /) -> ArrayOut:
    """The singular values of a matrix, descending (``numpy.linalg.svdvals``, NumPy 2).

    Args:
        x: shape ``(..., m, n)``, float or complex.
    Returns:
        shape ``(..., min(m, n))``, real.

    JVP ``ds_i = Re(u_i^H t v_i)``; VJP ``conj(U diag(g) Vh)`` (Townsend 2016), from the
    reduced SVD. No ``1 / (s_j - s_i)`` factor appears, so the gradient stays finite
    where singular values repeat (where it is a valid choice among the subgradients).
    """
    return _svdvals.bind(x)


# --------------------------------------------------------------------------------------
# qr
# --------------------------------------------------------------------------------------


def _qr_fwd(a, *, mode="reduced"):
    q, r = np.linalg.qr(a, mode=mode)
    m, n = q.shape[-2], r.shape[-1]
    k = min(m, n)
    q1, r1 = q[..., :, :k], r[..., :k, :k]
    residuals = (q1, r1, _inverse_or_nan(r1), a[..., :, k:], mode, r.shape[-2])
    return _pack([q, r], np.shape(q)[:-2]), residuals


def _skew(c):
    """``Omega(c)``: the skew-Hermitian matrix whose strictly lower triangle is ``c``'s, with
    ``i Im(diag(c))`` on its diagonal (so ``c - Omega(c)`` is upper triangular with a real
    diagonal, as LAPACK's R)."""
    lower = c * np.tri(c.shape[-1], k=-1, dtype=bool)
    omega = lower - _mH(lower)
    if np.iscomplexobj(c):
        omega = omega + _diag_matrix(1j * np.imag(_diagonal(c)))
    return omega


def _skew_transpose(b):
    """The transpose of :func:`_skew` (under the pairing ``Re(sum(g * t))``)."""
    out = (b - _mH(b)) * np.tri(b.shape[-1], k=-1, dtype=bool)
    if np.iscomplexobj(b):
        out = out + _diag_matrix(1j * np.imag(_diagonal(b)))
    return out


def _qr_square_jvp(t, q, r, r_inv):
    """``(dQ, dR)`` of ``A = Q R`` with ``R`` square (Walter and Lehmann 2013)."""
    c = _mH(q) @ t @ r_inv
    dr_rinv = c - _skew(c)  # dR R^{-1}: upper triangular, real diagonal
    return t @ r_inv - q @ dr_rinv, dr_rinv @ r


def _qr_jvp(t, q, r, r_inv, rest, mode, r_rows):
    m, k = q.shape[-2], q.shape[-1]
    if mode == "complete" and m > k:
        raise ValueError(
            "numpy.linalg.qr(mode='complete') of a tall matrix: the last "
            f"{m - k} columns of Q are not unique, so forward mode has no tangent for them; use mode='reduced'"
        )
    dq, dr = _qr_square_jvp(t[..., :, :k], q, r, r_inv)
    if rest.shape[-1]:
        dr = np.concatenate([dr, _mH(dq) @ rest + _mH(q) @ t[..., :, k:]], axis=-1)
    return _pack([dq, dr], q.shape[:-2])


def _qr_vjp(g, q, r, r_inv, rest, mode, r_rows):
    m, k = q.shape[-2], q.shape[-1]
    n = k + rest.shape[-1]
    q_cols = m if mode == "complete" else k
    g_q, g_r = _unpack(g, [(m, q_cols), (r_rows, n)])
    if q_cols > k:
        if np.any(primal(g_q)[..., :, k:]):
            raise ValueError(
                f"numpy.linalg.qr(mode='complete') of {m}x{n} matrices: the loss uses columns of Q beyond the "
                f"first {k} (Q[..., :, {k}:]), which are not unique, so their gradient is undefined. Use only "
                f"Q[..., :, :{k}], or mode='reduced'"
            )
        g_q = g_q[..., :, :k]
    g_r = g_r[..., :k, :]  # the rows of R below the k-th are zero whatever a is
    g_r1 = g_r[..., :, :k]
    parts = []
    if n > k:  # wide: R = [R1, Q^H Y] with Y = a[..., :, k:]
        g_r2 = g_r[..., :, k:]
        g_q = g_q + _conj(rest) @ _mH(g_r2)
        parts = [_conj(q) @ g_r2]
    m_r = g_r1 @ _mT(r)  # g_R R^T
    m_q = _mT(q) @ g_q  # Q^T g_Q
    c_bar = m_r + _skew_transpose(m_q - m_r)
    first = (g_q + _conj(q) @ (c_bar - m_q)) @ _mT(r_inv)
    return np.concatenate([first, *parts], axis=-1) if parts else first


_qr = defprim("qr", _qr_fwd, (_qr_vjp,), (_qr_jvp,), check=lambda a, **params: _at_least_2d("qr", a))


@op(
    np.linalg.qr,
    module=LINALG,
    spec=Spec(
        lambda k: k.linalg_qr(),
        "full-rank m x n matrices up to 3 (tall and wide, the leading columns independent), stacks; "
        "modes reduced, r, and complete for m <= n",
        complex=True,
        complex_cases=lambda k: k.linalg_qr("near identity"),
    ),
    primitives=(_qr,),
)
def qr(a: ArrayIn, mode: str = "reduced") -> Any:
    """The QR decomposition ``a = Q R`` (``numpy.linalg.qr``).

    Args:
        a: shape ``(..., m, n)``, float or complex, of full rank.
        mode: ``"reduced"`` (``Q (..., m, k)``, ``R (..., k, n)``, ``k = min(m, n)``),
            ``"complete"`` (``Q (..., m, m)``, ``R (..., m, n)``), or ``"r"`` (``R`` alone).
            ``"raw"`` (Householder reflectors) has no derivative and is refused on traced
            values.
    Returns:
        ``QRResult(Q, R)``, or ``R`` for ``mode="r"``.
    Raises:
        numpy.linalg.LinAlgError: ``a`` has fewer than 2 dimensions. TypeError: ``mode="raw"``.

    Walter and Lehmann (2013), Seeger et al. (2017): for ``m >= n``, with
    ``C = Q^H t R^{-1}`` and ``Omega`` the skew-Hermitian matrix with ``C``'s strictly
    lower triangle (and ``i Im(diag(C))``, keeping ``diag(R)`` real as LAPACK does),
    ``dR = (C - Omega) R`` and ``dQ = t R^{-1} - Q (C - Omega)``. For ``m < n`` the first
    ``m`` columns give ``dQ`` and the square part of ``dR``, and ``dR_2 = dQ^H Y + Q^H t_Y``
    for the other columns ``Y``. The VJP is the transpose. Needs full rank (``R``'s
    square part invertible). ``mode="complete"`` of a tall ``a``: the loss may use only
    the first ``n`` columns of ``Q`` (else the VJP raises ValueError).
    """
    if mode == "raw":
        raise TypeError(
            "numpy.linalg.qr(mode='raw') on a traced value: the Householder reflectors it returns have no "
            "derivative in autotape; use mode='reduced' (or 'complete', 'r')"
        )
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"numpy.linalg.qr: unrecognized mode {mode!r}; use 'reduced', 'complete' or 'r'")
    shape = np.shape(primal(a))
    _at_least_2d("qr", a)
    m, n = shape[-2], shape[-1]
    k = min(m, n)
    full = mode == "complete"
    q, r = _unpack(_qr.bind(a, mode="complete" if full else "reduced"), [(m, m if full else k), (m if full else k, n)])
    return r if mode == "r" else QRResult(q, r)


# --------------------------------------------------------------------------------------
# pinv, lstsq
# --------------------------------------------------------------------------------------


def _pinv_fwd(a, *, rcond=None, hermitian=False, rtol=np._NoValue):
    p = np.linalg.pinv(a, rcond=rcond, hermitian=hermitian, rtol=rtol)
    return p, (a, p)


def _pinv_jvp(t, a, p):
    t_h = _mH(t)
    p_h = _mH(p)
    return -(p @ t @ p) + (p @ p_h) @ (t_h - (t_h @ a) @ p) + (t_h - p @ (a @ t_h)) @ (p_h @ p)


def _pinv_vjp(g, a, p):
    g_h, a_c, p_c, p_t = _mH(g), _conj(a), _conj(p), _mT(p)
    return -(p_t @ g @ p_t) + (g_h - a_c @ (p_c @ g_h)) @ (p_c @ p_t) + (p_t @ p_c) @ (g_h - (g_h @ p_c) @ a_c)


_pinv = defprim(
    "pinv",
    _pinv_fwd,
    (_pinv_vjp,),
    (_pinv_jvp,),
    impl=lambda a, **params: np.linalg.pinv(a, **params),
    check=lambda a, **params: _at_least_2d("pinv", a),
)


@op(
    np.linalg.pinv,
    module=LINALG,
    spec=Spec(
        lambda k: k.linalg_rectangular("full rank"),
        "full-rank m x n matrices up to 3 (tall and wide), stacks",
        complex=True,
        complex_cases=lambda k: k.linalg_rectangular("near identity"),
    ),
    primitives=(_pinv,),
)
def pinv(a: ArrayIn, rcond: Any = None, hermitian: bool = False, *, rtol: Any = np._NoValue) -> ArrayOut:
    """The Moore-Penrose pseudo-inverse ``a^+`` (``numpy.linalg.pinv``).

    Args:
        a: shape ``(..., m, n)``, float or complex.
        rcond, rtol: singular values below ``rtol * max(s)`` count as 0 (NumPy's meaning).
        hermitian: ``a`` is Hermitian (NumPy then uses its eigendecomposition). The
            gradient is the general pseudo-inverse's, not symmetrized: NumPy reads one
            triangle, so the two triangles' entries of the gradient sum to the derivative
            along a symmetric perturbation (:func:`eigh` and :func:`cholesky` symmetrize).
    Returns:
        shape ``(..., n, m)``.

    Golub and Pereyra (1973): ``d(a^+) = -a^+ t a^+ + a^+ a^{+H} t^H (I - a a^+)
    + (I - a^+ a) t^H a^{+H} a^+``, and the VJP is its transpose. It holds where the
    rank is locally constant (full rank, or a rank that small perturbations keep after
    the cutoff); at a change of rank ``a^+`` is not continuous.
    """
    return _pinv.bind(a, rcond=rcond, hermitian=bool(hermitian), rtol=rtol)


def _lstsq_fwd(a, b, *, rcond=None):
    x, residuals, rank, sv = np.linalg.lstsq(a, b, rcond=rcond)
    raw_a = primal_array(a)
    if rcond is None:
        rcond = np.finfo(np.result_type(raw_a, primal(b))).eps * max(raw_a.shape)
    x_shape = np.shape(primal(x))
    columns = x if len(x_shape) == 2 else x[:, None]
    r = (b if np.ndim(primal(b)) == 2 else b[:, None]) - a @ columns
    zero = np.zeros(1, dtype=primal_array(sv).dtype)  # the rank's slot: a constant
    packed = np.concatenate([np.reshape(x, (-1,)), residuals, sv, zero + float(rank)])
    layout = (x_shape, np.size(primal(residuals)) > 0, np.size(primal(sv)), zero)
    return packed, (a, np.linalg.pinv(a, rtol=rcond), columns, r, layout)


def _lstsq_parts(packed, layout) -> list:
    """``(x as columns (n, k), residuals, s)`` of a packed output (or cotangent) of lstsq."""
    x_shape, has_residuals, k, _ = layout
    columns = 1 if len(x_shape) == 1 else x_shape[1]
    x, residuals, sv = _unpack(packed[:-1], [(x_shape[0], columns), (columns if has_residuals else 0,), (k,)])
    return [x, residuals, sv]


def _lstsq_tangent(dx, d_res, d_sv, layout):
    x_shape, has_residuals, _, zero = layout
    if not has_residuals:
        d_res = zero[:0]
    return np.concatenate([np.reshape(dx, (-1,)), d_res, d_sv, zero])


def _lstsq_jvp_a(t, a, p, x, r, layout):
    t_h, p_h = _mH(t), _mH(p)
    t_x = t @ x
    y = t_h @ (p_h @ x)
    dx = -(p @ t_x) + p @ (p_h @ (t_h @ r)) + (y - p @ (a @ y))
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    d_sv = np.sum(_conj(u) * (t @ _mH(vh)), axis=-2)
    return _lstsq_tangent(dx, -2 * np.real(np.sum(_conj(r) * t_x, axis=0)), np.real(d_sv), layout)


def _lstsq_jvp_b(t, a, p, x, r, layout):
    t = t if np.ndim(t) == 2 else t[:, None]
    d_sv = np.zeros(layout[2], dtype=layout[3].dtype)
    return _lstsq_tangent(p @ t, 2 * np.real(np.sum(_conj(r) * t, axis=0)), d_sv, layout)


def _lstsq_vjp_b(g, a, p, x, r, layout):
    g_x, g_res, _ = _lstsq_parts(g, layout)
    b_bar = _mT(p) @ g_x
    if layout[1]:
        b_bar = b_bar + 2 * _conj(r) * np.real(g_res)
    return b_bar if len(layout[0]) == 2 else b_bar[:, 0]


def _lstsq_vjp_a(g, a, p, x, r, layout):
    g_x, g_res, g_sv = _lstsq_parts(g, layout)
    p_t, p_c, a_c, x_t, g_x_h = _mT(p), _conj(p), _conj(a), _mT(x), _mH(g_x)
    a_bar = -(p_t @ g_x) @ x_t + (_conj(r) @ g_x_h) @ (p_c @ p_t) + (p_t @ _conj(x)) @ (g_x_h - (g_x_h @ p_c) @ a_c)
    if layout[1]:
        a_bar = a_bar - (2 * _conj(r) * np.real(g_res)) @ x_t
    if np.any(primal(g_sv)):
        u, _, vh = np.linalg.svd(a, full_matrices=False)
        a_bar = a_bar + _conj((u * np.real(g_sv)) @ vh)
    return a_bar


def _lstsq_call(function, operands: tuple, params: dict):
    """How the generated tests call ``lstsq`` (and NumPy's): its float outputs joined into
    one array, the rank (an integer, a constant) left out."""
    x, residuals, _, sv = function(*operands, **params)
    return np.concatenate([np.reshape(x, (-1,)), residuals, sv])


_lstsq = defprim(
    "lstsq",
    _lstsq_fwd,
    (_lstsq_vjp_a, _lstsq_vjp_b),
    (_lstsq_jvp_a, _lstsq_jvp_b),
)


@op(
    np.linalg.lstsq,
    module=LINALG,
    spec=Spec(
        lambda k: k.linalg_lstsq(),
        "full-rank a, m x n up to 4 x 3 (over- and underdetermined), b a vector or a matrix; rcond None or 1e-10",
        complex=True,
        complex_cases=lambda k: k.linalg_lstsq("near identity"),
        call=_lstsq_call,
    ),
    primitives=(_lstsq,),
)
def lstsq(a: ArrayIn, b: ArrayIn, rcond: Any = None) -> tuple:
    """The least-squares solution of ``a x = b`` (``numpy.linalg.lstsq``).

    Args:
        a: shape ``(m, n)``.
        b: shape ``(m,)`` or ``(m, k)``.
        rcond: singular values of ``a`` at most ``rcond * max(s)`` count as zero (default
            ``eps * max(m, n)``).
    Returns:
        ``(x, residuals, rank, s)`` as NumPy: ``x`` of shape ``(n,)`` or ``(n, k)``, the
        squared residual norms of shape ``(k,)`` (``(1,)`` for a vector ``b``; empty unless
        ``rank == n < m``), the rank (a NumPy int, a constant), and ``a``'s singular values.
    Raises:
        numpy.linalg.LinAlgError: shapes that do not match, or no convergence.

    ``x = a^+ b`` with ``a^+`` of :func:`pinv` at the same cutoff, and Golub and Pereyra
    (1973): ``dx = a^+ (t_b - t_a x) + a^+ a^{+H} t_a^H r + (I - a^+ a) t_a^H a^{+H} x``
    with ``r = b - a x``; ``d residuals = 2 Re(r^H (t_b - t_a x))`` per column (as
    ``a^H r = 0``); ``s`` as :func:`svdvals`. Differentiable in ``a`` and ``b`` where the
    rank is constant (full-rank ``a``).
    """
    packed = _lstsq.bind(a, b, rcond=rcond)
    raw_a, raw_b = primal_array(a), primal_array(b)
    m, n = raw_a.shape
    rank = np.intc(np.real(primal(packed)[-1]))  # NumPy's type for it
    x_shape = (n,) + raw_b.shape[1:]
    layout = (x_shape, rank == n and m > n, min(m, n), None)
    x, residuals, sv = _lstsq_parts(packed, layout)
    if np.iscomplexobj(residuals):
        residuals, sv = np.real(residuals), np.real(sv)
    return np.reshape(x, x_shape), residuals, rank, sv


# --------------------------------------------------------------------------------------
# norm, vector_norm, matrix_norm, cond
# --------------------------------------------------------------------------------------


def _sign_of_conj(x):
    """``conj(x) / |x|``, 0 at 0: the derivative of ``|x|`` (``sign(x)`` for real ``x``)."""
    if not np.iscomplexobj(x):
        return np.sign(x)
    return _conj(x) * _safe_reciprocal(np.abs(x))


def _share(mask, axes: tuple, dtype):
    """``mask`` (the maximal or minimal elements) divided by their count over ``axes``, in
    ``dtype``: ties share the cotangent equally (an empty mask gives 0)."""
    mask = np.asarray(mask)
    return (mask / np.maximum(np.sum(mask, axis=axes, keepdims=True), 1)).astype(dtype)


def _vector_weights(x, n, ord, axes: tuple):
    """``W`` with ``d norm = Re(sum(W * dx))`` for the vector ``ord``-norm ``n`` (kept axes) over ``axes``."""
    raw, raw_n = primal_array(x), primal_array(n)
    if ord is None or ord == 2:
        return _conj(x) * _safe_reciprocal(n)
    if ord == 0:
        return np.zeros_like(raw)
    sign = _sign_of_conj(x)
    if ord == 1:
        return sign
    if ord in (np.inf, -np.inf):
        return sign * _share(np.abs(raw) == raw_n, axes, np.real(raw).dtype)
    ratio = np.abs(x) * _safe_reciprocal(n)
    zero = (raw == 0) | (raw_n == 0)
    return np.where(zero, 0.0, sign * np.where(zero, 1.0, ratio) ** (ord - 1))


def _singular_weights(x, ord, axes: tuple):
    """``W`` for the matrix norms of the singular values (``2``, ``-2``, ``"nuc"``) over ``axes``."""
    y = np.moveaxis(x, axes, (-2, -1))
    u, s, vh = np.linalg.svd(y, full_matrices=False)
    raw_s = primal_array(s)
    if ord == "nuc":
        chosen = (raw_s > 0).astype(raw_s.dtype)
    else:  # the largest (smallest) singular values; none where it is 0 (the zero subgradient)
        extreme = raw_s[..., :1] if ord == 2 else raw_s[..., -1:]
        chosen = _share((raw_s == extreme) & (extreme > 0), (-1,), raw_s.dtype)
    return np.moveaxis(_conj((u * chosen[..., None, :]) @ vh), (-2, -1), axes)


def _matrix_weights(x, ord, axes: tuple):
    """``W`` for the matrix ``ord``-norm over ``axes = (row axis, column axis)``, other than ``"fro"``."""
    if ord in ("nuc", 2, -2):
        return _singular_weights(x, ord, axes)
    row, column = axes
    # ord 1 / -1: the max / min over columns of the column sums; inf / -inf: over rows of the row sums.
    summed, over = (row, column) if ord in (1, -1) else (column, row)
    raw = primal_array(x)
    sums = np.sum(np.abs(raw), axis=summed, keepdims=True)
    extreme = np.max(sums, axis=over, keepdims=True) if ord in (1, np.inf) else np.min(sums, axis=over, keepdims=True)
    return _sign_of_conj(x) * _share(sums == extreme, (over,), np.real(raw).dtype)


def _norm_fwd(x, *, function, arguments, kind, ord, axes):
    out = function(x, **dict(arguments))
    shape = np.shape(primal(x))
    kept = tuple(1 if i in axes else d for i, d in enumerate(shape))
    if kind == "vector" or ord in (None, "fro", "f"):  # the Frobenius norm is the vector 2-norm
        weights = _vector_weights(x, np.reshape(out, kept), 2 if ord in (None, "fro", "f") else ord, axes)
    else:
        weights = _matrix_weights(x, ord, axes)
    return out, (weights, kept, axes, np.shape(primal(out)))


def _norm_jvp(t, weights, kept, axes, out_shape):
    change = np.sum(weights * t, axis=axes)
    return np.reshape(np.real(change) if np.iscomplexobj(change) else change, out_shape)


_norm = defprim(
    "norm",
    _norm_fwd,
    (lambda g, weights, kept, axes, out_shape: np.reshape(_real_cotangent(g), kept) * weights,),
    (_norm_jvp,),
    impl=lambda x, *, function, arguments, **params: function(x, **dict(arguments)),
)


def _axes_tuple(axis: Any, ndim: int) -> tuple:
    axes = tuple(range(ndim)) if axis is None else (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim if ndim else 0 for a in axes)


def _norm_form(ndim: int, ord: Any, axis: Any) -> tuple:
    """``(kind, axes)`` of ``numpy.linalg.norm(x, ord, axis)`` for an ``ndim``-dimensional ``x``."""
    if axis is None and (ord is None or (ord in ("f", "fro") and ndim == 2) or (ord == 2 and ndim == 1)):
        return "vector", tuple(range(ndim))
    axes = _axes_tuple(axis, ndim)
    return ("vector" if len(axes) == 1 else "matrix"), axes


def _norm_spec(function: str, orders: str) -> Spec:
    return Spec(
        lambda k: k.linalg_norm(function),
        f"orders {orders}; axis and keepdims forms; away from kinks (no zeros, no ties, distinct singular "
        "values); complex without the max/min orders",
        complex=True,
        complex_cases=lambda k: k.linalg_norm(function, complex_safe=True),
    )


@op(
    np.linalg.norm,
    module=LINALG,
    spec=_norm_spec("norm", "None, 1, 2, inf, -inf, 0, p; fro, nuc, 2, -2, 1, -1, inf, -inf"),
    primitives=(_norm,),
)
def norm(x: ArrayIn, ord: Any = None, axis: Any = None, keepdims: bool = False) -> ArrayOut:
    """A vector or matrix norm (``numpy.linalg.norm``), with NumPy's arguments and errors.

    Args:
        x: float or complex array.
        ord: vector orders ``None`` (2), ``1``, ``2``, ``inf``, ``-inf``, ``0`` (the count of
            nonzeros) and any other ``p``; matrix orders ``None``/``"fro"``, ``"nuc"``, ``2``,
            ``-2``, ``1``, ``-1``, ``inf``, ``-inf``.
        axis: ``None`` (the whole of a 1-D or 2-D ``x``; with ``ord=None``, all of ``x``
            as one vector), an int (vector norms) or a pair of ints (matrix norms).
        keepdims: keep the reduced axes with length 1.
    Returns:
        real, ``x`` without the reduced axes.
    Raises:
        ValueError: an order invalid for the axes given, or improper dimensions.

    Where the norm is smooth its derivative is ``Re(sum(W * t))`` for a weight ``W`` of
    ``x``'s shape, and the VJP ``Re(g) W``: ``conj(x) / norm`` for the 2-norm and ``"fro"``;
    ``sign(conj x)`` for ``ord=1``; ``sign(conj x) |x|^(p-1) / norm^(p-1)`` for other ``p``;
    the sign of the extremal elements for ``inf``/``-inf``, and of the elements of the
    extremal column (row) sums for the matrix orders ``1``/``-1`` (``inf``/``-inf``);
    ``conj(U diag(c) Vh)`` from the SVD for ``2``/``-2`` (``c`` picks the extremal singular
    value) and ``"nuc"`` (``c = 1``; Townsend 2016). Kinks (see the module's conventions):
    at 0 the gradient is the zero subgradient (PyTorch's choice; JAX gives NaN); ties
    share the cotangent equally (the 2-norm of the identity gets ``I / n``); ``|x_i|`` has
    slope 0 at ``x_i = 0``; ``ord=0`` (a count) has derivative 0. Each vector (matrix) of a
    stack is handled on its own, so a zero row leaves the others' gradients finite and
    exact. The rules are written with dispatching calls, so second derivatives follow.
    """
    ndim = np.ndim(primal(x))
    kind, axes = _norm_form(ndim, ord, axis)
    arguments = (("ord", ord), ("axis", axis), ("keepdims", keepdims))
    return _norm.bind(x, function=np.linalg.norm, arguments=arguments, kind=kind, ord=ord, axes=axes)


@op(
    np.linalg.vector_norm,
    module=LINALG,
    spec=_norm_spec("vector_norm", "2, 1, inf, -inf, 0, p"),
    primitives=(_norm,),
)
def vector_norm(x: ArrayIn, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> ArrayOut:
    """The ``ord``-norm of ``x`` as vectors along ``axis`` (``numpy.linalg.vector_norm``, NumPy 2).

    Args:
        x: float or complex array.
        axis: ``None`` (all of ``x`` as one vector), an int, or a tuple of ints (those axes
            together as one vector).
        keepdims: keep the reduced axes with length 1.
        ord: ``2``, ``1``, ``inf``, ``-inf``, ``0`` or any other ``p``.
    Returns:
        real, ``x`` without the reduced axes.

    Derivatives as :func:`norm`'s vector orders.
    """
    axes = _axes_tuple(axis, np.ndim(primal(x)))
    arguments = (("axis", axis), ("keepdims", keepdims), ("ord", ord))
    return _norm.bind(x, function=np.linalg.vector_norm, arguments=arguments, kind="vector", ord=ord, axes=axes)


@op(
    np.linalg.matrix_norm,
    module=LINALG,
    spec=_norm_spec("matrix_norm", "fro, nuc, 2, -2, 1, -1, inf, -inf"),
    primitives=(_norm,),
)
def matrix_norm(x: ArrayIn, /, *, keepdims: bool = False, ord: Any = "fro") -> ArrayOut:
    """The ``ord``-norm of each matrix of a stack ``(..., m, n)`` (``numpy.linalg.matrix_norm``, NumPy 2).

    Args:
        x: float or complex, at least 2-D.
        keepdims: keep the last two axes with length 1.
        ord: ``"fro"``, ``"nuc"``, ``2``, ``-2``, ``1``, ``-1``, ``inf``, ``-inf``.
    Returns:
        real, shape ``x.shape[:-2]``.

    Derivatives as :func:`norm`'s matrix orders.
    """
    axes = _axes_tuple((-2, -1), np.ndim(primal(x))) if np.ndim(primal(x)) >= 2 else (-2, -1)
    arguments = (("keepdims", keepdims), ("ord", ord))
    return _norm.bind(x, function=np.linalg.matrix_norm, arguments=arguments, kind="matrix", ord=ord, axes=axes)


@op(
    np.linalg.cond,
    module=LINALG,
    spec=Spec(
        lambda k: k.linalg_cond(),
        "matrices with distinct singular values >= 1/2, stacks; p None, 2, -2, and fro, nuc for square ones",
    ),
)
def cond(x: ArrayIn, p: Any = None) -> ArrayOut:
    """The condition number of a matrix, or of each of a stack (``numpy.linalg.cond``).

    Args:
        x: shape ``(..., m, n)``; square unless ``p`` is None, 2 or -2.
        p: ``None``/``2`` (``s_max / s_min``), ``-2`` (``s_min / s_max``), or a matrix
            norm order (``"fro"``, ``"nuc"``, ``1``, ``-1``, ``inf``, ``-inf``):
            ``norm(x, p) * norm(inv(x), p)``.
    Returns:
        real, shape ``x.shape[:-2]``.

    Computed as NumPy computes it, with :func:`svdvals` (through ``svd(compute_uv=False)``),
    :func:`norm` and :func:`inv`, whose rules give the derivative (a constant where
    NumPy's result is infinite).
    """
    if p is None or p in (2, -2):
        s = np.linalg.svd(x, compute_uv=False)
        return s[..., -1] / s[..., 0] if p == -2 else s[..., 0] / s[..., -1]
    _square_shape_check("cond", x)
    return np.linalg.norm(x, p, axis=(-2, -1)) * np.linalg.norm(np.linalg.inv(x), p, axis=(-2, -1))


# --------------------------------------------------------------------------------------
# Composites: matrix_power, multi_dot, tensorinv, tensorsolve
# --------------------------------------------------------------------------------------


@op(
    np.linalg.matrix_power,
    module=LINALG,
    spec=Spec(
        lambda k: k.linalg_square("general", params={"n": [-3, -2, -1, 1, 2, 3, 4, 5, 7]}, required=("n",)),
        "well-conditioned square matrices, stacks; n from -3 to 7 (n = 0, a constant, in the explicit tests)",
        complex=True,
        complex_cases=lambda k: k.linalg_square("near identity", params={"n": [-2, 1, 3, 5]}, required=("n",)),
    ),
)
def matrix_power(a: ArrayIn, n: Any) -> Any:
    """A square matrix (each of a stack) to the integer power ``n`` (``numpy.linalg.matrix_power``).

    Args:
        a: shape ``(..., m, m)``.
        n: an integer; negative powers invert ``a`` first, ``0`` gives identity matrices
            (a constant).
    Returns:
        same shape and dtype as ``a``.
    Raises:
        TypeError: ``n`` not an integer. numpy.linalg.LinAlgError: ``a`` not square, or
        singular with ``n < 0``.

    Computed as NumPy does (the same products in the same order, by binary powering),
    with :func:`matmul` and :func:`inv`, whose rules give the derivative.
    """
    _square_shape_check("matrix_power", a)
    try:
        n = operator.index(n)
    except TypeError as error:
        raise TypeError(f"numpy.linalg.matrix_power: the exponent must be an integer, got {n!r}") from error
    if n == 0:
        raw = primal_array(a)
        identity = np.empty_like(raw)
        identity[...] = np.eye(raw.shape[-2], dtype=raw.dtype)
        return identity
    if n < 0:
        a, n = np.linalg.inv(a), -n
    if n == 1:
        return a
    if n == 2:
        return np.matmul(a, a)
    if n == 3:
        return np.matmul(np.matmul(a, a), a)
    square = result = None
    while n > 0:  # the bits of n from the lowest: a, a^2, a^4, ... multiplied in where a bit is set
        square = a if square is None else np.matmul(square, square)
        n, bit = divmod(n, 2)
        if bit:
            result = square if result is None else np.matmul(result, square)
    return result


def _chain_splits(dims: list) -> list:
    """``split[i][j]``: where the cheapest product of matrices ``i..j`` (sizes ``dims[i] x
    dims[i+1]``, ...) splits, by dynamic programming over chain lengths (Cormen et al.,
    "Introduction to Algorithms", section 15.2); the first cheapest split wins, as in NumPy."""
    count = len(dims) - 1
    cost: list[list[float]] = [[0.0] * count for _ in range(count)]
    split = [[0] * count for _ in range(count)]
    for length in range(1, count):
        for i in range(count - length):
            j = i + length
            best = math.inf
            for k in range(i, j):
                candidate = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if candidate < best:
                    best, split[i][j] = candidate, k
            cost[i][j] = best
    return split


def _chain_product(arrays: list, split: list, i: int, j: int):
    if i == j:
        return arrays[i]
    k = split[i][j]
    return np.dot(_chain_product(arrays, split, i, k), _chain_product(arrays, split, k + 1, j))


@op(
    np.linalg.multi_dot,
    module=LINALG,
    spec=Spec(
        lambda k: k.linalg_multi_dot(),
        "2 to 5 matrices of sides 1 to 4, the first and last 1-D or 2-D",
        complex=True,
        sequence=True,
    ),
)
def multi_dot(arrays: Sequence, *, out: Any = None) -> ArrayOut:
    """The product of two or more matrices in the cheapest order (``numpy.linalg.multi_dot``).

    Args:
        arrays: 2-D arrays, the first (last) may be 1-D, a row (column) vector.
    Returns:
        the product, 2-D, 1-D or 0-d by the ends' dimensions, as NumPy.
    Raises:
        ValueError: fewer than two arrays. numpy.linalg.LinAlgError: a middle array not 2-D.
        TypeError: ``out=`` given on traced values.

    The order of the products is NumPy's (the same matrix-chain split), so the values are
    NumPy's; the derivative comes from :func:`dot`.
    """
    no_extras("linalg.multi_dot", out=out)
    arrays = list(arrays)
    if len(arrays) < 2:
        raise ValueError("numpy.linalg.multi_dot: expecting at least two arrays")
    if len(arrays) == 2:
        return np.dot(arrays[0], arrays[1])
    first, last = np.ndim(primal(arrays[0])), np.ndim(primal(arrays[-1]))
    if first == 1:
        arrays[0] = np.reshape(arrays[0], (1, -1))
    if last == 1:
        arrays[-1] = np.reshape(arrays[-1], (-1, 1))
    shapes = [np.shape(primal(a)) for a in arrays]
    if any(len(shape) != 2 for shape in shapes):
        raise np.linalg.LinAlgError(
            f"numpy.linalg.multi_dot: the arrays must be 2-D (the first and last may be 1-D); got shapes {shapes}"
        )
    dims = [shape[0] for shape in shapes] + [shapes[-1][1]]
    result = _chain_product(arrays, _chain_splits(dims), 0, len(arrays) - 1)
    if first == 1 and last == 1:
        return result[0, 0]
    if first == 1 or last == 1:
        return np.reshape(result, (-1,))
    return result


@op(
    np.linalg.tensorinv,
    module=LINALG,
    spec=Spec(lambda k: k.linalg_tensorinv(), "well-conditioned matrices of 1 to 6 rows reshaped; ind 1 to 3"),
)
def tensorinv(a: ArrayIn, ind: int = 2) -> ArrayOut:
    """The inverse of ``a`` as a linear map from its last axes to its first ``ind`` (``numpy.linalg.tensorinv``).

    Args:
        a: shape ``I + J`` with ``len(I) == ind`` and ``prod(I) == prod(J)``.
        ind: how many leading axes index the output.
    Returns:
        shape ``J + I``.
    Raises:
        ValueError: ``ind <= 0``. numpy.linalg.LinAlgError: the shapes do not make a
        square matrix, or it is singular.

    ``inv`` of ``a`` reshaped to a square matrix, reshaped back, as NumPy: the derivative
    comes from :func:`inv`.
    """
    shape = np.shape(primal(a))
    if ind <= 0:
        raise ValueError(f"numpy.linalg.tensorinv: ind must be positive, got {ind!r}")
    rows = math.prod(shape[ind:])
    return np.reshape(np.linalg.inv(np.reshape(a, (rows, -1))), shape[ind:] + shape[:ind])


@op(
    np.linalg.tensorsolve,
    module=LINALG,
    spec=Spec(
        lambda k: k.linalg_tensorsolve(),
        "a well-conditioned matrix reshaped to b.shape + x.shape (sizes up to 6), axes None or a permutation",
    ),
)
def tensorsolve(a: ArrayIn, b: ArrayIn, axes: Any = None) -> ArrayOut:
    """The ``x`` with ``tensordot(a, x, x.ndim) == b`` (``numpy.linalg.tensorsolve``).

    Args:
        a: shape ``b.shape + x.shape`` (after moving ``axes`` to the end), with
            ``prod(b.shape) == prod(x.shape)``.
        b: any shape.
        axes: axes of ``a`` to move to the end first (None: none).
    Returns:
        ``x``, of the last ``a.ndim - b.ndim`` axes of ``a``.
    Raises:
        numpy.linalg.LinAlgError: the shapes do not make a square matrix, or it is singular.

    ``solve`` of ``a`` reshaped to a square matrix and ``b`` raveled, as NumPy: the
    derivative comes from :func:`solve` (and :func:`transpose`).
    """
    ndim = np.ndim(primal(a))
    if axes is not None:
        order = list(range(ndim))
        for k in axes:
            order.remove(k)
            order.insert(ndim, k)
        a = np.transpose(a, order)
    a_shape = np.shape(primal(a))
    x_shape = a_shape[-(ndim - np.ndim(primal(b))) :]
    size = math.prod(x_shape)
    if math.prod(a_shape) != size**2:
        raise np.linalg.LinAlgError(
            f"numpy.linalg.tensorsolve: a of shape {a_shape} and b of shape {np.shape(primal(b))}: "
            "prod(a.shape[b.ndim:]) must equal prod(a.shape[:b.ndim])"
        )
    return np.reshape(np.linalg.solve(np.reshape(a, (size, size)), np.reshape(b, (-1,))), x_shape)


constant(np.linalg.matrix_rank, module=LINALG)


# --------------------------------------------------------------------------------------
# NumPy 2's array-API aliases in numpy.linalg: composites of the numpy functions
# --------------------------------------------------------------------------------------


@op(
    np.linalg.matmul,
    module=LINALG,
    spec=Spec(lambda k: k.matmul(), "any shapes matmul accepts: 1-D, 2-D, broadcast batches", complex=True),
)
def matmul(x1: ArrayIn, x2: ArrayIn, /) -> ArrayOut:
    """``numpy.linalg.matmul``: :func:`numpy.matmul` (its rules)."""
    return np.matmul(x1, x2)


@op(
    np.linalg.matrix_transpose,
    module=LINALG,
    spec=Spec(
        lambda k: k.unary(shapes=k.LINALG_STACKS),
        "arrays of 2 or 3 dimensions",
        complex=True,
    ),
)
def matrix_transpose(x: ArrayIn, /) -> ArrayOut:
    """``numpy.linalg.matrix_transpose``: the last two axes swapped (:func:`numpy.swapaxes`,
    linear). Raises ValueError for fewer than 2 dimensions."""
    if np.ndim(primal(x)) < 2:
        raise ValueError(
            f"numpy.linalg.matrix_transpose: the input must have at least 2 dimensions, got shape {np.shape(primal(x))}"
        )
    return np.swapaxes(x, -1, -2)


@op(
    np.linalg.outer,
    module=LINALG,
    spec=Spec(lambda k: k.linalg_outer(), "two 1-D arrays of lengths 1 to 4", complex=True),
)
def outer(x1: ArrayIn, x2: ArrayIn, /) -> ArrayOut:
    """``numpy.linalg.outer``: ``out[i, j] = x1[i] * x2[j]`` for 1-D ``x1`` and ``x2``
    (:func:`numpy.multiply`'s ``outer``). Raises ValueError for other dimensions."""
    if np.ndim(primal(x1)) != 1 or np.ndim(primal(x2)) != 1:
        raise ValueError(
            f"numpy.linalg.outer: the inputs must be 1-D, got shapes {np.shape(primal(x1))} and {np.shape(primal(x2))}"
        )
    return np.multiply.outer(x1, x2)


@op(
    np.linalg.vecdot,
    module=LINALG,
    spec=Spec(lambda k: k.linalg_vecdot(), "broadcast shapes with the same length along axis", complex=True),
)
def vecdot(x1: ArrayIn, x2: ArrayIn, /, *, axis: int = -1) -> ArrayOut:
    """``numpy.linalg.vecdot``: ``sum(conj(x1) * x2, axis)``, through :func:`numpy.vecdot`
    (its rules)."""
    return np.vecdot(x1, x2, axis=axis)  # type: ignore[call-overload]


@op(
    np.linalg.cross,
    module=LINALG,
    spec=Spec(lambda k: k.linalg_cross(), "broadcast stacks of 3-vectors along axis", complex=True),
)
def cross(x1: ArrayIn, x2: ArrayIn, /, *, axis: int = -1) -> ArrayOut:
    """``numpy.linalg.cross``: the cross product of 3-vectors along ``axis``, through
    :func:`numpy.cross` (its rules). Raises ValueError unless both have length 3 there."""
    for x in (x1, x2):
        shape = np.shape(primal(x))
        if not shape or not -len(shape) <= axis < len(shape) or shape[axis] != 3:
            raise ValueError(
                f"numpy.linalg.cross: both inputs must have length 3 along axis {axis}; got shapes "
                f"{np.shape(primal(x1))} and {np.shape(primal(x2))}"
            )
    return np.cross(x1, x2, axis=axis)


@op(
    np.linalg.diagonal,
    module=LINALG,
    spec=Spec(lambda k: k.linalg_offset(), "arrays of 2 or 3 dimensions, offsets in range", complex=True),
)
def diagonal(x: ArrayIn, /, *, offset: int = 0) -> ArrayOut:
    """``numpy.linalg.diagonal``: the ``offset`` diagonal of each matrix of a stack, through
    :func:`numpy.diagonal` over the last two axes (its rules)."""
    return np.diagonal(x, offset, axis1=-2, axis2=-1)


@op(
    np.linalg.trace,
    module=LINALG,
    spec=Spec(lambda k: k.linalg_offset(), "arrays of 2 or 3 dimensions, offsets in range", complex=True),
)
def trace(x: ArrayIn, /, *, offset: int = 0, dtype: Any = None) -> ArrayOut:
    """``numpy.linalg.trace``: the sum of the ``offset`` diagonal of each matrix of a stack,
    through :func:`numpy.trace` over the last two axes (its rules)."""
    return np.trace(x, offset, axis1=-2, axis2=-1, dtype=dtype)


@op(
    np.linalg.tensordot,
    module=LINALG,
    spec=Spec(lambda k: k.linalg_tensordot(), "axes an int or a pair of axis lists", complex=True),
)
def tensordot(x1: ArrayIn, x2: ArrayIn, /, *, axes: Any = 2) -> ArrayOut:
    """``numpy.linalg.tensordot``: :func:`numpy.tensordot` (its rules)."""
    return np.tensordot(x1, x2, axes=axes)

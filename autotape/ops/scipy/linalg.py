"""``scipy.linalg``: triangular and Cholesky solves, the Cholesky factor, the matrix exponential
and square root, Sylvester equations, block-diagonal matrices, and ``det``/``inv``/``solve``.

SciPy's functions convert their arguments with ``np.asarray``, which NumPy's dispatch
cannot see, so these ops are reached through :mod:`autotape.scipy.linalg` (SciPy's
names and signatures). Outside any transform they call SciPy itself. Every function
takes stacks of matrices ``(..., n, n)`` as SciPy 1.15 and later does (batch axes
broadcast); the forward rules loop over the stack themselves, so older SciPy works too.

The primitives' forward rules call SciPy, which cannot record on a tape: under nested
transforms (values traced on an outer tape reach a forward rule) they bind the primitive
again, on the outer tape, so derivatives of every order follow from the rules, which are
written with dispatching NumPy calls and these primitives.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Union

import numpy as np

from ..._types import Array, Nested, Scalar, Shaped
from ...tracer import Traced, primal
from ..registry import Spec, defprim, op
from . import require_scipy
from ._reference import keeping_float32

_linalg = require_scipy("scipy.linalg")

__all__ = [
    "solve_triangular",
    "cholesky",
    "cho_factor",
    "cho_solve",
    "expm",
    "sqrtm",
    "solve_sylvester",
    "block_diag",
    "det",
    "inv",
    "solve",
]

ArrayIn = Union[Shaped[Array, "..."], Scalar, Nested]
Result = Shaped[Array, "..."]


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _mT(x: Any) -> Any:
    """``x`` with its last two axes swapped (the matrix transpose of every matrix in a stack)."""
    return np.swapaxes(x, -1, -2)


@functools.lru_cache(maxsize=128)
def _triangle(n: int, lower: bool, strict: bool) -> np.ndarray:
    """Boolean ``(n, n)`` mask of the lower (or upper) triangle, without the diagonal if ``strict``."""
    mask = np.tri(n, k=-1 if strict else 0, dtype=bool)
    mask = mask if lower else mask.T.copy()
    mask.flags.writeable = False
    return mask


def _eye(n: int) -> np.ndarray:
    return _triangle(n, True, False) & _triangle(n, False, False)


def _over_batch(function: Callable, arrays: tuple, core_ndims: tuple) -> np.ndarray:
    """``function`` of each matrix of a stack: the batch axes (those before each array's
    ``core_ndims`` last ones) broadcast, as SciPy's batched linear algebra does."""
    batches = [np.shape(a)[: np.ndim(a) - c] for a, c in zip(arrays, core_ndims)]
    if not any(batches):
        return function(*arrays)
    batch = np.broadcast_shapes(*batches)
    if 0 in batch:
        raise ValueError(f"scipy.linalg: stacks of zero matrices (batch shape {batch}) are not supported")
    arrays = tuple(np.broadcast_to(a, batch + np.shape(a)[len(b) :]) for a, b in zip(arrays, batches))
    outs = [function(*(a[index] for a in arrays)) for index in np.ndindex(*batch)]
    return np.reshape(np.stack(outs), batch + np.shape(outs[0]))


def _scipy_primitive(name: str, impl: Callable, residuals: Callable, vjp: tuple, jvp: tuple) -> Any:
    """A primitive whose forward rule calls SciPy (``impl``) and keeps ``residuals(out, *operands, **params)``.

    Operands traced on an outer tape (nested transforms) cannot go to SciPy: the
    primitive is then bound on that tape, so the output is traced there too.
    """

    def fwd(*operands, **params):
        if any(type(o) is Traced for o in operands):
            out = prim.bind(*operands, **params)
        else:
            out = impl(*operands, **params)
        return out, residuals(out, *operands, **params)

    fwd.__name__ = f"{name}_fwd"
    prim = defprim(name, fwd, vjp, jvp, impl=impl)
    return prim


def _square(name: str, a: Any, what: str = "a") -> int:
    """``n`` for a stack of square matrices ``(..., n, n)``; ValueError naming ``name`` otherwise."""
    shape = np.shape(primal(a))
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(
            f"scipy.linalg.{name}: {what} must be a square matrix or a stack of them (shape (..., n, n)), "
            f"got shape {shape}"
        )
    return shape[-1]


def _as_operand(x: Any) -> Any:
    """Traced values as they are, anything else as an array (SciPy's array_like arguments)."""
    return x if type(x) is Traced else np.asarray(x)


def _right_hand_side(name: str, a: Any, b: Any) -> tuple[Any, bool]:
    """``b`` as a stack of columns ``(..., n, k)``, and whether it was one vector ``(n,)``
    (SciPy's rule: a 1-D ``b`` is a vector, anything else a stack of matrices)."""
    n = _square(name, a)
    b = _as_operand(b)
    shape = np.shape(primal(b))
    if len(shape) == 0 or (shape[-1] if len(shape) == 1 else shape[-2]) != n:
        raise ValueError(
            f"scipy.linalg.{name}: a of shape {np.shape(primal(a))} needs b of shape ({n},) or (..., {n}, k), "
            f"got {shape}"
        )
    return (b[:, None], True) if len(shape) == 1 else (b, False)


def _is_traced(*values: Any) -> bool:
    return any(type(v) is Traced for v in values)


def _is_complex(x: Any) -> bool:
    return np.iscomplexobj(primal(x))


# --------------------------------------------------------------------------------------
# solve_triangular
# --------------------------------------------------------------------------------------


def _solve_triangular_impl(a, b, *, lower, trans, unit_diagonal, check_finite=True):
    def solve_one(a, b):
        return _linalg.solve_triangular(
            a, b, trans=trans, lower=lower, unit_diagonal=unit_diagonal, check_finite=check_finite
        )

    return _over_batch(solve_one, (a, b), (2, 2))


def _tri_residuals(x, a, b, *, lower, trans, unit_diagonal, check_finite=True):
    return (a, x, lower, trans, unit_diagonal)


def _tri_mask(a, lower, unit_diagonal):
    return _triangle(np.shape(a)[-1], lower, unit_diagonal)


def _tri_vjp_a(g, a, x, lower, trans, unit_diagonal):
    # x = A^-1 b: A's cotangent is -(A^-T g) x^T; x = A^-T b: it is -x (A^-1 g)^T. Only the
    # triangle the solve reads (without the diagonal for a unit diagonal) has a cotangent.
    gb = _tri.bind(a, g, lower=lower, trans=1 - trans, unit_diagonal=unit_diagonal)
    outer = np.matmul(gb, _mT(x)) if trans == 0 else np.matmul(x, _mT(gb))
    return -(outer * _tri_mask(a, lower, unit_diagonal))


def _tri_vjp_b(g, a, x, lower, trans, unit_diagonal):
    return _tri.bind(a, g, lower=lower, trans=1 - trans, unit_diagonal=unit_diagonal)


def _tri_jvp_a(t, a, x, lower, trans, unit_diagonal):
    ta = t * _tri_mask(a, lower, unit_diagonal)
    rhs = np.matmul(ta, x) if trans == 0 else np.matmul(_mT(ta), x)
    return -_tri.bind(a, rhs, lower=lower, trans=trans, unit_diagonal=unit_diagonal)


def _tri_jvp_b(t, a, x, lower, trans, unit_diagonal):
    return _tri.bind(a, t, lower=lower, trans=trans, unit_diagonal=unit_diagonal)


_tri = _scipy_primitive(
    "solve_triangular",
    _solve_triangular_impl,
    _tri_residuals,
    (_tri_vjp_a, _tri_vjp_b),
    (_tri_jvp_a, _tri_jvp_b),
)

_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}


@op(
    _linalg.solve_triangular,
    module="scipy.linalg",
    spec=Spec(
        lambda k: k.solve_triangular(),
        "triangular a (diagonal entries 1.5 to 3 in size, the unread triangle filled with other values), "
        "vector and matrix b, stacks; lower/upper, trans 0/1/2/'N'/'T'/'C', unit_diagonal",
        complex=True,
    ),
    primitives=(_tri,),
    fast=False,  # the untraced call takes the traced path's steps (conj for trans=2), so both agree exactly
)
def solve_triangular(
    a: ArrayIn,
    b: ArrayIn,
    trans: Union[int, str] = 0,
    lower: bool = False,
    unit_diagonal: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
) -> Result:
    """Solve ``a x = b`` for a triangular ``a`` (``scipy.linalg.solve_triangular``).

    Args:
        a: ``(..., n, n)``, float or complex. Only its lower (``lower=True``) or upper
            triangle is read, without the diagonal if ``unit_diagonal`` (taken as ones).
        b: ``(n,)`` or ``(..., n, k)``; batch axes broadcast with ``a``'s.
        trans: ``0``/``'N'`` solves ``a x = b``, ``1``/``'T'`` solves ``a^T x = b``,
            ``2``/``'C'`` solves ``a^H x = b``.
        overwrite_b: ignored (autotape never writes into its operands).
        check_finite: passed to SciPy.

    Returns:
        ``x`` of ``b``'s shape (batch axes broadcast), dtype by SciPy's promotion.

    Raises:
        ValueError: ``a`` not square, ``b``'s rows not ``n``, or a ``trans`` not listed.
        numpy.linalg.LinAlgError: a zero on the diagonal (SciPy's error).

    Derivative (Giles 2008, "An extended collection of matrix derivative results for
    forward and reverse mode AD", section 2.3.1): with ``x = A^-1 b``, the VJP of ``b`` is
    ``A^-T g`` (a triangular solve with the transpose) and that of ``a`` is
    ``-(A^-T g) x^T``, kept on the triangle the solve reads; for ``trans=1`` the roles of
    ``A`` and ``A^T`` swap. ``trans=2`` is ``trans=1`` applied to ``conj(a)``. Complex
    operands follow JAX's convention (the transpose, not the conjugate transpose).
    """
    if trans not in _TRANS:
        raise ValueError(f"scipy.linalg.solve_triangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got {trans!r}")
    mode = _TRANS[trans]
    matrix = _as_operand(a)
    columns, vector = _right_hand_side("solve_triangular", matrix, b)
    if mode == 2:
        matrix, mode = (np.conj(matrix) if _is_complex(matrix) else matrix), 1
    x = _tri.bind(
        matrix,
        columns,
        lower=bool(lower),
        trans=mode,
        unit_diagonal=bool(unit_diagonal),
        check_finite=check_finite,
    )
    return x[..., 0] if vector else x


# --------------------------------------------------------------------------------------
# cholesky, cho_factor, cho_solve
# --------------------------------------------------------------------------------------


def _cholesky_impl(a, *, check_finite=True):
    return _over_batch(lambda a: _linalg.cholesky(a, lower=True, check_finite=check_finite), (a,), (2,))


def _phi(x):
    """The lower triangle of ``x`` with its diagonal halved (Murray 2016's Phi)."""
    n = np.shape(x)[-1]
    return x * _triangle(n, True, True) + 0.5 * (x * _eye(n))


def _cholesky_vjp(g, L):
    # Murray 2016, "Differentiation of the Cholesky decomposition", eq. (10):
    # S = L^-T Phi(L^T g) L^-1 is the cotangent of the symmetric matrix; the lower triangle
    # that LAPACK reads collects S_ij + S_ji off the diagonal and S_ii on it.
    p = _phi(np.matmul(_mT(L), g))
    w = _tri.bind(L, p, lower=True, trans=1, unit_diagonal=False)  # L^-T P
    s = _mT(_tri.bind(L, _mT(w), lower=True, trans=1, unit_diagonal=False))  # L^-T P L^-1
    return _phi(s + _mT(s))


def _cholesky_jvp(t, L):
    # dA is the symmetric matrix whose lower triangle is t's; dL = L Phi(L^-1 dA L^-T).
    n = np.shape(L)[-1]
    sym = t * _triangle(n, True, False) + _mT(t * _triangle(n, True, True))
    m = _tri.bind(L, sym, lower=True, trans=0, unit_diagonal=False)  # L^-1 dA
    m = _mT(_tri.bind(L, _mT(m), lower=True, trans=0, unit_diagonal=False))  # L^-1 dA L^-T
    return np.matmul(L, _phi(m))


_cholesky = _scipy_primitive(
    "cholesky", _cholesky_impl, lambda L, a, check_finite=True: (L,), (_cholesky_vjp,), (_cholesky_jvp,)
)


def _spd_cases(k: Any) -> Any:
    return k.cholesky()


@op(
    _linalg.cholesky,
    module="scipy.linalg",
    spec=Spec(
        _spd_cases,
        "symmetric positive definite (B B^T + n I, B in [-1, 1]) with the unread triangle filled with "
        "other values, stacks; lower and upper",
    ),
    primitives=(_cholesky,),
    fast=False,  # the upper factor is the transposed lower one on both paths, so they agree exactly
)
def cholesky(a: ArrayIn, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True) -> Result:
    """The Cholesky factor of a symmetric positive definite matrix (``scipy.linalg.cholesky``).

    ``lower=True`` gives ``L`` with ``a = L L^T``, read from ``a``'s lower triangle; the
    default gives ``U = L^T`` with ``a = U^T U``, read from the upper triangle (SciPy's
    default). The other triangle of ``a`` is never read, so its gradient is zero, and
    the gradient of the triangle read counts each off-diagonal entry once for both of
    its places in the symmetric matrix.

    Args:
        a: ``(..., n, n)`` real, symmetric positive definite.
        overwrite_a: ignored. check_finite: passed to SciPy.

    Returns:
        The triangular factor, shape of ``a``, dtype of ``a`` (float32 stays float32).

    Raises:
        ValueError: ``a`` not square. numpy.linalg.LinAlgError: not positive definite
        (SciPy's error). TypeError: a complex ``a`` on a traced value (the rules are
        those of real matrices).

    Derivative: Murray 2016, "Differentiation of the Cholesky decomposition" (the VJP
    ``L^-T Phi(L^T g) L^-1``, symmetrized; the JVP ``L Phi(L^-1 dA L^-T)``), with two
    triangular solves each (:func:`solve_triangular`), so it nests to any order.
    """
    a = _as_operand(a)
    _square("cholesky", a)
    if _is_traced(a) and _is_complex(a):
        raise TypeError(
            "scipy.linalg.cholesky: complex (Hermitian) matrices are not differentiated; autotape's rule is "
            "for real symmetric matrices"
        )
    if lower:
        return _cholesky.bind(a, check_finite=check_finite)
    return _mT(_cholesky.bind(_mT(a), check_finite=check_finite))


def cho_factor(
    a: ArrayIn, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True
) -> tuple[Result, bool]:
    """The Cholesky factorization as SciPy packs it for :func:`cho_solve` (``scipy.linalg.cho_factor``).

    Returns ``(c, lower)``: ``c`` holds the factor (:func:`cholesky` with the same
    ``lower``) in its lower (or upper) triangle, and ``a``'s own entries in the other
    triangle, exactly as SciPy returns it (SciPy calls them arbitrary: only the
    factor's triangle is meant to be used). Derivatives come from :func:`cholesky`
    (and the identity for the copied triangle).

    Raises:
        ValueError: ``a`` not square. numpy.linalg.LinAlgError: not positive definite.
    """
    a = _as_operand(a)
    n = _square("cho_factor", a)
    factor = cholesky(a, lower=lower, check_finite=check_finite)
    return factor + a * _triangle(n, not lower, True), bool(lower)


def cho_solve(c_and_lower: Any, b: ArrayIn, overwrite_b: bool = False, check_finite: bool = True) -> Result:
    """Solve ``a x = b`` given :func:`cho_factor`'s ``(c, lower)`` (``scipy.linalg.cho_solve``).

    Two triangular solves with the factor in ``c``'s lower (or upper) triangle; the other
    triangle is not read. ``b`` is ``(n,)`` or ``(..., n, k)``. Derivatives (in ``c``
    and ``b``) come from :func:`solve_triangular`.

    Raises:
        TypeError: ``c_and_lower`` not a pair. ValueError: shapes that do not match.
    """
    if not isinstance(c_and_lower, (tuple, list)) or len(c_and_lower) != 2:
        raise TypeError(
            "scipy.linalg.cho_solve: the first argument must be the pair (c, lower) that cho_factor returns, "
            f"got a {type(c_and_lower).__name__}"
        )
    c, lower = c_and_lower
    c, b = _as_operand(c), _as_operand(b)
    _square("cho_solve", c, "c")
    if lower:
        y = solve_triangular(c, b, lower=True, check_finite=check_finite)
        return solve_triangular(c, y, trans=1, lower=True, check_finite=check_finite)
    y = solve_triangular(c, b, trans=1, lower=False, check_finite=check_finite)
    return solve_triangular(c, y, lower=False, check_finite=check_finite)


# --------------------------------------------------------------------------------------
# expm, sqrtm, solve_sylvester
# --------------------------------------------------------------------------------------


def _expm_impl(a):
    return _linalg.expm(a)


def _frechet(a, e):
    """The Fréchet derivative of expm at ``a`` in the direction ``e``: the upper-right
    block of ``expm([[a, e], [0, a]])`` (Higham 2008, "Functions of Matrices", eq. (3.16);
    Al-Mohy and Higham 2009)."""
    n = np.shape(a)[-1]
    shape = np.broadcast_shapes(np.shape(a), np.shape(e))
    a, e = np.broadcast_to(a, shape), np.broadcast_to(e, shape)
    zero = np.zeros(shape, dtype=np.result_type(primal(a), primal(e)))
    block = np.concatenate([np.concatenate([a, e], axis=-1), np.concatenate([zero, a], axis=-1)], axis=-2)
    return _expm.bind(block)[..., :n, n:]


_expm = _scipy_primitive(
    "expm",
    _expm_impl,
    lambda out, a: (a,),
    (lambda g, a: _frechet(_mT(a), g),),
    (lambda t, a: _frechet(a, t),),
)


@op(
    _linalg.expm,
    module="scipy.linalg",
    spec=Spec(lambda k: k.square_matrices(k.floats(-1, 1)), "matrices with entries in [-1, 1], stacks", complex=True),
    primitives=(_expm,),
)
def expm(A: ArrayIn) -> Result:
    """The matrix exponential ``exp(A) = sum_k A^k / k!`` (``scipy.linalg.expm``).

    Args:
        A: ``(..., n, n)``, float or complex.

    Returns:
        ``exp(A)``, shape and dtype of ``A`` (float32 stays float32).

    Raises:
        ValueError: ``A`` not square.

    Derivative: the Fréchet derivative ``L(A, E)``, the upper-right block of
    ``expm([[A, E], [0, A]])`` (Higham 2008, "Functions of Matrices", eq. (3.16); Al-Mohy
    and Higham 2009, "Computing the Fréchet derivative of the matrix exponential"), is the
    JVP; the VJP is its adjoint ``L(A^T, G)``. Both are ``expm`` of a ``2n x 2n`` matrix,
    so they nest to any order. Complex operands follow JAX's convention.
    """
    A = _as_operand(A)
    _square("expm", A, "A")
    return _expm.bind(A)


def _sqrtm_impl(a):
    return _over_batch(_linalg.sqrtm, (a,), (2,))


_sqrtm = _scipy_primitive(
    "sqrtm",
    _sqrtm_impl,
    lambda x, a: (x,),
    (lambda g, x: _sylvester.bind(_mT(x), _mT(x), g),),
    (lambda t, x: _sylvester.bind(x, x, t),),
)


@op(
    _linalg.sqrtm,
    module="scipy.linalg",
    spec=Spec(
        lambda k: k.sqrtm(),
        "symmetric positive definite (B B^T + I) and non-symmetric 2 I + 0.3 B matrices, B in [-1, 1], stacks",
        complex=True,
    ),
    primitives=(_sqrtm,),
)
def sqrtm(A: ArrayIn, disp: Any = None, blocksize: Any = None) -> Result:
    """The principal matrix square root ``X`` with ``X @ X = A`` (``scipy.linalg.sqrtm``).

    Args:
        A: ``(..., n, n)``, float or complex, with no eigenvalue on the closed negative
            real axis for a real result (SciPy returns a complex one otherwise).
        disp, blocksize: accepted for SciPy's signature and ignored.

    Returns:
        ``X``, shape of ``A``, SciPy's dtype.

    Raises:
        ValueError: ``A`` not square.

    Derivative: differentiating ``X X = A`` gives the Sylvester equation
    ``X dX + dX X = dA`` (Higham 2008, "Functions of Matrices", section 6.1), solved with
    :func:`solve_sylvester` for the JVP; the VJP solves the adjoint equation
    ``X^T G' + G' X^T = G``. Complex operands follow JAX's convention.
    """
    A = _as_operand(A)
    _square("sqrtm", A, "A")
    return _sqrtm.bind(A)


def _sylvester_impl(a, b, q):
    return _over_batch(_linalg.solve_sylvester, (a, b, q), (2, 2, 2))


def _sylvester_adjoint(g, a, b):
    return _sylvester.bind(_mT(a), _mT(b), g)


# A X + X B = Q: dX solves A dX + dX B = dQ - dA X - X dB (Higham 2008, "Functions of
# Matrices", section B.14); the adjoint equation A^T Y + Y B^T = G gives Q's cotangent Y,
# and those of A and B are -Y X^T and -X^T Y.
_sylvester: Any = _scipy_primitive(
    "solve_sylvester",
    _sylvester_impl,
    lambda x, a, b, q: (a, b, x),
    (
        lambda g, a, b, x: -np.matmul(_sylvester_adjoint(g, a, b), _mT(x)),
        lambda g, a, b, x: -np.matmul(_mT(x), _sylvester_adjoint(g, a, b)),
        lambda g, a, b, x: _sylvester_adjoint(g, a, b),
    ),
    (
        lambda t, a, b, x: _sylvester.bind(a, b, -np.matmul(t, x)),
        lambda t, a, b, x: _sylvester.bind(a, b, -np.matmul(x, t)),
        lambda t, a, b, x: _sylvester.bind(a, b, t),
    ),
)


@op(
    _linalg.solve_sylvester,
    module="scipy.linalg",
    spec=Spec(
        lambda k: k.sylvester(),
        "a = 2 I + 0.5 B, b = I + 0.5 B' (B, B' in [-1, 1]: no eigenvalue of a is minus one of b), stacks",
        complex=True,
    ),
    primitives=(_sylvester,),
)
def solve_sylvester(a: ArrayIn, b: ArrayIn, q: ArrayIn) -> Result:
    """Solve the Sylvester equation ``a x + x b = q`` (``scipy.linalg.solve_sylvester``).

    Args:
        a: ``(..., m, m)``. b: ``(..., n, n)``. q: ``(..., m, n)``. Float or complex; batch
            axes broadcast. The solution is unique when no eigenvalue of ``a`` is minus an
            eigenvalue of ``b``.

    Returns:
        ``x`` of shape ``(..., m, n)``, SciPy's dtype.

    Raises:
        ValueError: shapes that do not fit.

    Derivative: ``a dx + dx b = dq - da x - x db``, another Sylvester equation, for the
    JVP; the adjoint equation ``a^T y + y b^T = g`` gives the VJP: ``y`` for ``q``,
    ``-y x^T`` for ``a`` and ``-x^T y`` for ``b`` (Higham 2008, "Functions of Matrices";
    the same pattern as Giles 2008 for ``solve``). Complex operands follow JAX's convention.
    """
    a, b, q = _as_operand(a), _as_operand(b), _as_operand(q)
    m, n = _square("solve_sylvester", a), _square("solve_sylvester", b, "b")
    q_shape = np.shape(primal(q))
    if len(q_shape) < 2 or q_shape[-2:] != (m, n):
        raise ValueError(
            f"scipy.linalg.solve_sylvester: a of shape {np.shape(primal(a))} and b of shape "
            f"{np.shape(primal(b))} need q of shape (..., {m}, {n}), got {q_shape}"
        )
    return _sylvester.bind(a, b, q)


# --------------------------------------------------------------------------------------
# block_diag (a composite of concatenate)
# --------------------------------------------------------------------------------------


@op(
    _linalg.block_diag,
    module="scipy.linalg",
    spec=Spec(lambda k: k.block_diag(), "1 to 3 blocks of 0 to 2 dimensions, sides 1 to 3, and stacks", complex=True),
)
def block_diag(*arrs: ArrayIn) -> Result:
    """The block-diagonal matrix with ``arrs`` on its diagonal (``scipy.linalg.block_diag``).

    A 0-d block is ``(1, 1)`` and a 1-D one of length ``n`` a row ``(1, n)``; blocks of
    more dimensions are stacks ``(..., r, c)`` whose batch axes broadcast (SciPy 1.15 and
    later); no block gives an array of shape ``(1, 0)``. The result's dtype is the
    blocks' common dtype (NumPy's ``result_type`` of their dtypes). Linear: derivatives
    come from :func:`autotape.concatenate` (each block's cotangent is its block of ``g``).
    """
    blocks = [_as_operand(a) for a in (arrs or ([],))]
    blocks = [np.reshape(b, (1, -1)) if np.ndim(primal(b)) < 2 else b for b in blocks]
    shapes = [np.shape(primal(b)) for b in blocks]
    batch = np.broadcast_shapes(*(shape[:-2] for shape in shapes))
    dtype = np.result_type(*(primal(b).dtype for b in blocks))
    total = sum(shape[-1] for shape in shapes)
    rows, left = [], 0
    for block, (*_, height, width) in zip(blocks, shapes):
        if primal(block).dtype != dtype:
            block = block.astype(dtype)
        if np.shape(primal(block))[:-2] != batch:
            block = np.broadcast_to(block, batch + (height, width))
        pieces = [
            np.zeros(batch + (height, left), dtype),
            block,
            np.zeros(batch + (height, total - left - width), dtype),
        ]
        rows.append(np.concatenate(pieces, axis=-1))
        left += width
    return np.concatenate(rows, axis=-2)


# --------------------------------------------------------------------------------------
# det, inv, solve: composites of numpy.linalg's ops
# --------------------------------------------------------------------------------------


@op(
    _linalg.det,
    module="scipy.linalg",
    fast=False,  # numpy.linalg computes it on both paths, so traced and untraced calls agree exactly
    spec=Spec(
        lambda k: k.invertible(), "2 I + 0.5 B, B in [-1, 1], stacks", keeping_float32(_linalg.det), complex=True
    ),
)
def det(a: ArrayIn, overwrite_a: bool = False, check_finite: bool = True) -> Result:
    """The determinant of ``a`` (``scipy.linalg.det``), ``(..., n, n) -> (...)``.

    :func:`numpy.linalg.det` through NumPy's dispatch: its derivative (the adjugate,
    exact at singular matrices too) is autotape's ``numpy.linalg.det`` rule. float32
    stays float32 (SciPy's ``det`` returns float64).

    Raises:
        ValueError: ``a`` not square.
    """
    a = _as_operand(a)
    _square("det", a)
    return np.linalg.det(a)


_SYMMETRIC = ("sym", "symmetric", "pos", "positive definite")
_HERMITIAN = ("her", "hermitian")
_GENERAL = (None, "gen", "general", "banded")
_TRIANGULAR = {"upper triangular": False, "lower triangular": True}
_BANDS = {"diagonal": 0, "tridiagonal": 1}


def _structured(name: str, a: Any, assume_a: Any, lower: bool) -> Any:
    """``a`` as the matrix SciPy's ``assume_a`` makes of it: the symmetric (Hermitian)
    matrix of one triangle, or only the diagonal (three diagonals) of ``a``."""
    n = _square(name, a)
    if assume_a in _GENERAL:
        return a
    if assume_a in _SYMMETRIC or assume_a in _HERMITIAN:
        # A complex positive definite matrix is Hermitian (SciPy's Cholesky solve), whose
        # diagonal is real (LAPACK ignores its imaginary part).
        hermitian = _is_complex(a) and (assume_a in _HERMITIAN or assume_a in _SYMMETRIC[2:])
        strict = a * _triangle(n, lower, True)
        diagonal = a * _eye(n)
        if hermitian:
            return strict + _mT(np.conj(strict)) + np.real(diagonal).astype(primal(a).dtype)
        return strict + _mT(strict) + diagonal
    if assume_a in _BANDS:
        return a * _band(n, _BANDS[assume_a])
    raise ValueError(
        f"scipy.linalg.{name}: assume_a={assume_a!r} is not supported; use None, 'general', 'symmetric', "
        "'hermitian', 'positive definite', 'diagonal', 'tridiagonal', 'banded', 'upper triangular' or "
        "'lower triangular'"
    )


def _band(n: int, k: int) -> np.ndarray:
    i = np.arange(n)
    return np.abs(i[:, None] - i[None, :]) <= k


@op(
    _linalg.inv,
    module="scipy.linalg",
    fast=False,  # numpy.linalg computes it on both paths, so traced and untraced calls agree exactly
    spec=Spec(lambda k: k.invertible(), "2 I + 0.5 B, B in [-1, 1] (well conditioned), stacks", complex=True),
)
def inv(
    a: ArrayIn, overwrite_a: bool = False, check_finite: bool = True, *, assume_a: Any = None, lower: bool = False
) -> Result:
    """The inverse of ``a`` (``scipy.linalg.inv``), ``(..., n, n)``.

    ``assume_a`` as in SciPy: ``'upper triangular'``/``'lower triangular'`` invert that
    triangle (:func:`solve_triangular` with the identity), ``'symmetric'``/``'positive
    definite'``/``'hermitian'`` the matrix made of the triangle ``lower`` selects, and the
    default (or ``'general'``) the whole matrix with :func:`numpy.linalg.inv` through
    NumPy's dispatch, whose rule gives the derivative ``-A^-T G A^-T`` (Giles 2008).

    Raises:
        ValueError: ``a`` not square, an unknown ``assume_a``.
        numpy.linalg.LinAlgError: a singular matrix.
    """
    a = _as_operand(a)
    n = _square("inv", a)
    if assume_a in _TRIANGULAR:
        identity = np.eye(n, dtype=np.result_type(primal(a), np.float32))
        return solve_triangular(a, identity, lower=_TRIANGULAR[assume_a])
    return np.linalg.inv(_structured("inv", a, assume_a, lower))


@op(
    _linalg.solve,
    module="scipy.linalg",
    fast=False,  # numpy.linalg computes it on both paths, so traced and untraced calls agree exactly
    spec=Spec(
        lambda k: k.linear_system(),
        "a = 2 I + 0.5 B, B in [-1, 1] (well conditioned; B B^T + n I for 'pos'); vector and matrix b; "
        "stacks; assume_a general, symmetric, positive definite, diagonal, tridiagonal, triangular; "
        "lower; transposed (real a)",
        complex=True,
        complex_cases=lambda k: k.linear_system(real=False),
    ),
)
def solve(
    a: ArrayIn,
    b: ArrayIn,
    lower: bool = False,
    overwrite_a: bool = False,
    overwrite_b: bool = False,
    check_finite: bool = True,
    assume_a: Any = None,
    transposed: bool = False,
) -> Result:
    """Solve ``a x = b`` (``scipy.linalg.solve``); ``a^T x = b`` with ``transposed=True``.

    Args:
        a: ``(..., n, n)``. b: ``(n,)`` or ``(..., n, k)`` (SciPy's rule: a 1-D ``b`` is
            one vector, anything else a stack of matrices).
        assume_a, lower: the structure SciPy assumes, as for :func:`inv`: the triangle
            read for ``'symmetric'``/``'positive definite'``/``'hermitian'``, only the
            diagonal(s) for ``'diagonal'``/``'tridiagonal'``, a triangular solve for
            ``'upper triangular'``/``'lower triangular'``.

    Returns:
        ``x`` of ``b``'s shape (batch axes broadcast).

    Raises:
        ValueError: shapes that do not fit, an unknown ``assume_a``.
        numpy.linalg.LinAlgError: a singular matrix.

    Derivatives come from :func:`numpy.linalg.solve`'s rule through NumPy's dispatch
    (Giles 2008: ``b``'s cotangent is ``A^-T g``, ``a``'s is ``-(A^-T g) x^T``), or from
    :func:`solve_triangular` for the triangular structures.
    """
    a = _as_operand(a)
    _right_hand_side("solve", a, b)
    if transposed and _is_complex(a):
        raise NotImplementedError(
            "scipy.linalg.solve: transposed=True is not supported for complex matrices (as in SciPy); "
            "pass the transpose of a instead"
        )
    if assume_a in _TRIANGULAR:
        return solve_triangular(a, b, trans=1 if transposed else 0, lower=_TRIANGULAR[assume_a])
    matrix = _structured("solve", a, assume_a, lower)
    return np.linalg.solve(_mT(matrix) if transposed else matrix, b)

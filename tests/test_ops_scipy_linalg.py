"""autotape.scipy.linalg: exact values, the documented derivatives and their special cases.

The generated properties of tests/test_ops.py (forward, VJP/JVP against finite
differences at first and second order, float32, complex) cover every registered op on
drawn cases; the tests here pin what those cannot: closed-form gradients, the unread
triangles, SciPy's own Fréchet derivative, batches, errors and the namespace.
``det``, ``inv`` and ``solve`` are composites of ``numpy.linalg``'s ops, so their
derivative tests need those ops' rules.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.linalg as sl

import autotape as at
import autotape.scipy.linalg as asl
from autotape.testing import check_grads

RNG = np.random.default_rng(20261203)


def _spd(n: int, rng=RNG) -> np.ndarray:
    b = rng.standard_normal((n, n))
    return b @ b.T + n * np.eye(n)


def _triangular(n: int, rng=RNG) -> np.ndarray:
    """Diagonal entries 1.5 to 3 in size, the others in [-1, 1]: well conditioned in either
    triangle, whose other triangle holds values a solve must ignore."""
    return rng.uniform(-1, 1, (n, n)) + np.diag(rng.choice([-1.0, 1.0], n) * rng.uniform(1.5, 3, n))


# --------------------------------------------------------------------------------------
# solve_triangular
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("unit_diagonal", [False, True])
@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("trans", [0, 1, 2, "N", "T", "C"])
def test_solve_triangular_values_and_gradient(trans, lower, unit_diagonal):
    n = 4
    a, b = _triangular(n), RNG.standard_normal((n, 2))
    params = {"trans": trans, "lower": lower, "unit_diagonal": unit_diagonal}
    x = asl.solve_triangular(a, b, **params)
    np.testing.assert_allclose(x, sl.solve_triangular(a, b, **params), rtol=1e-14, atol=1e-15)
    g = RNG.standard_normal((n, 2))
    ga, gb = at.grad(lambda a, b: np.sum(asl.solve_triangular(a, b, **params) * g), argnums=(0, 1))(a, b)
    # Giles 2008: with T the triangle the solve reads (as a full matrix) and op(T) = T or T^T,
    # x = op(T)^-1 b, b's cotangent is op(T)^-T g, op(T)'s is -(op(T)^-T g) x^T.
    read = np.tril(a, -1 if unit_diagonal else 0) if lower else np.triu(a, 1 if unit_diagonal else 0)
    read = read + np.eye(n) if unit_diagonal else read
    op_t = read if trans in (0, "N") else read.T
    gb_expected = np.linalg.solve(op_t.T, g)
    np.testing.assert_allclose(gb, gb_expected, rtol=1e-12)
    cotangent_of_op = -gb_expected @ x.T
    cotangent = cotangent_of_op if trans in (0, "N") else cotangent_of_op.T
    mask = np.tri(n, k=-1 if unit_diagonal else 0, dtype=bool)
    mask = mask if lower else mask.T
    np.testing.assert_allclose(ga, np.where(mask, cotangent, 0.0), rtol=1e-12, atol=1e-14)
    assert np.all(ga[~mask] == 0.0), "the triangle the solve does not read has a nonzero gradient"


def test_solve_triangular_vector_and_stacks_broadcast():
    a = np.stack([_triangular(3) for _ in range(2)])[:, None]  # (2, 1, 3, 3)
    b = RNG.standard_normal((4, 3, 2))
    x = asl.solve_triangular(a, b, lower=True)
    assert x.shape == (2, 4, 3, 2)
    for i in range(2):
        for j in range(4):
            np.testing.assert_allclose(x[i, j], sl.solve_triangular(a[i, 0], b[j], lower=True), rtol=1e-14)
    v = RNG.standard_normal(3)
    np.testing.assert_allclose(
        asl.solve_triangular(a, v, lower=True)[1, 0], sl.solve_triangular(a[1, 0], v, lower=True)
    )
    check_grads(lambda a, b: asl.solve_triangular(a, b, trans=1, lower=True), (a, b), order=2, seed=1)
    check_grads(lambda a, v: asl.solve_triangular(a, v, lower=True), (a, v), order=2, seed=2)


def test_solve_triangular_complex_conjugate_transpose():
    n = 3
    a = np.triu(_triangular(n) + 1j * RNG.uniform(-1, 1, (n, n)))
    b = RNG.standard_normal(n) + 1j * RNG.standard_normal(n)
    x = asl.solve_triangular(a, b, trans="C")
    np.testing.assert_allclose(x, sl.solve_triangular(a, b, trans="C"), rtol=1e-14)
    np.testing.assert_allclose(np.conj(a).T @ x, b, rtol=1e-13)
    # Non-holomorphic in a: the gradient of a real loss is dL/dRe - i dL/dIm (JAX's convention).
    loss = lambda a: at.sum(at.real(asl.solve_triangular(a, b, trans="C")) ** 2)  # noqa: E731
    g = at.grad(loss)(a)
    plain = lambda a: float(np.sum(np.real(sl.solve_triangular(a, b, trans="C")) ** 2))  # noqa: E731
    h = 1e-6
    for i, j in [(0, 0), (0, 2), (1, 2)]:
        e = np.zeros((n, n))
        e[i, j] = 1
        d_re = (plain(a + h * e) - plain(a - h * e)) / (2 * h)
        d_im = (plain(a + 1j * h * e) - plain(a - 1j * h * e)) / (2 * h)
        np.testing.assert_allclose(g[i, j], d_re - 1j * d_im, rtol=1e-6, atol=1e-8)


def test_solve_triangular_errors():
    a, b = np.triu(np.ones((3, 3))), np.ones(3)
    with pytest.raises(ValueError, match="trans must be 0, 1, 2, 'N', 'T' or 'C', got 3"):
        asl.solve_triangular(a, b, trans=3)
    with pytest.raises(ValueError, match=r"solve_triangular: a must be a square matrix.*got shape \(3, 2\)"):
        at.grad(lambda a: at.sum(asl.solve_triangular(a, b)))(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"needs b of shape \(3,\) or \(\.\.\., 3, k\), got \(2,\)"):
        at.grad(lambda a: at.sum(asl.solve_triangular(a, np.ones(2))))(a)
    with pytest.raises(np.linalg.LinAlgError):
        asl.solve_triangular(np.triu(np.ones((3, 3))) - np.eye(3), b)


# --------------------------------------------------------------------------------------
# cholesky, cho_factor, cho_solve
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("lower", [False, True])
def test_cholesky_logdet_gradient_is_the_inverse_on_the_read_triangle(lower):
    n = 4
    a = _spd(n)
    unread = np.triu(np.ones((n, n)), 1) if lower else np.tril(np.ones((n, n)), -1)
    a_garbage = np.where(unread, 7.0, a)  # the unread triangle must not matter
    np.testing.assert_allclose(asl.cholesky(a_garbage, lower=lower), sl.cholesky(a, lower=lower), rtol=1e-14)
    g = at.grad(lambda a: _logdet(a, lower))(a_garbage)
    inverse = np.linalg.inv(a)
    # d log det / d a_ij over the read triangle: A^-1_ij + A^-1_ji = 2 A^-1_ij off the
    # diagonal, A^-1_ii on it; zero on the unread triangle.
    expected = np.where(unread, 0.0, 2 * inverse - np.diag(np.diag(inverse)))
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-15)
    # A symmetric perturbation moves log det by <A^-1, E>.
    e = RNG.standard_normal((n, n))
    e = e + e.T
    _, tangent = at.jvp(lambda a: _logdet(a, lower), (a,), (e,))
    np.testing.assert_allclose(tangent, np.sum(inverse * e), rtol=1e-12)


def _logdet(a, lower):
    factor = asl.cholesky(a, lower=lower)
    n = np.shape(factor)[-1]
    return 2 * at.sum(at.log(factor[..., np.arange(n), np.arange(n)]))


def test_cholesky_second_order_and_stacks():
    a = np.stack([_spd(3), _spd(3)])
    check_grads(lambda a: asl.cholesky(a, lower=True), (a,), order=2, seed=3)
    check_grads(lambda a: asl.cholesky(a), (a,), order=2, seed=4)
    # Hessian of log det: d2/dA2 log det A [E, E] = -tr(A^-1 E A^-1 E), along symmetric E.
    a = _spd(3)
    e = RNG.standard_normal((3, 3))
    e = e + e.T
    curvature = at.grad(lambda t: at.jvp(lambda a: _logdet(a, True), (a + t * e,), (e,))[1])(0.0)
    inverse = np.linalg.inv(a)
    np.testing.assert_allclose(curvature, -np.trace(inverse @ e @ inverse @ e), rtol=1e-10)


def test_cholesky_float32_and_errors():
    a = _spd(3).astype(np.float32)
    assert asl.cholesky(a).dtype == np.float32
    g = at.grad(lambda a: _logdet(a, False))(a)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, at.grad(lambda a: _logdet(a, False))(a.astype(np.float64)), rtol=1e-4)
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        asl.cholesky(-np.eye(2))
    with pytest.raises(ValueError, match=r"scipy\.linalg\.cholesky: a must be a square matrix"):
        asl.cholesky(np.ones(3))
    with pytest.raises(TypeError, match="complex"):
        at.grad(lambda a: at.sum(at.real(asl.cholesky(a * (1 + 0j)))))(_spd(2))


@pytest.mark.parametrize("lower", [False, True])
def test_cho_factor_and_cho_solve_equal_scipy_and_differentiate(lower):
    n = 4
    a, b = _spd(n), RNG.standard_normal((n, 2))
    c, flag = asl.cho_factor(a, lower=lower)
    c_scipy, flag_scipy = sl.cho_factor(a, lower=lower)
    assert flag is flag_scipy is lower
    np.testing.assert_allclose(c, c_scipy, rtol=1e-14)  # the factor, and a's own other triangle
    np.testing.assert_allclose(asl.cho_solve((c, lower), b), sl.cho_solve((c_scipy, lower), b), rtol=1e-13)
    np.testing.assert_allclose(asl.cho_solve((c, lower), b[:, 0]), np.linalg.solve(a, b[:, 0]), rtol=1e-12)
    # x = A^-1 b: b's cotangent is A^-1 g and the symmetric A's is -A^-1 g x^T, symmetrized.
    g = RNG.standard_normal((n, 2))
    ga, gb = at.grad(lambda a, b: at.sum(asl.cho_solve(asl.cho_factor(a, lower=lower), b) * g), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(gb, np.linalg.solve(a, g), rtol=1e-12)
    x = np.linalg.solve(a, b)
    sym = -np.linalg.solve(a, g) @ x.T
    sym = sym + sym.T
    read = np.tril(np.ones((n, n))) if lower else np.triu(np.ones((n, n)))
    np.testing.assert_allclose(ga, read * (sym - np.diag(np.diag(sym)) / 2), rtol=1e-11, atol=1e-14)
    # cho_solve reads only the factor's triangle of c.
    gc = at.grad(lambda c: at.sum(asl.cho_solve((c, lower), b) * g))(c)
    assert np.all(gc[read == 0] == 0.0)
    check_grads(lambda a, b: asl.cho_solve(asl.cho_factor(a, lower=lower), b), (a, b), order=2, seed=5)


def test_cho_solve_needs_the_pair():
    with pytest.raises(TypeError, match=r"the pair \(c, lower\) that cho_factor returns"):
        asl.cho_solve(np.eye(2), np.ones(2))


# --------------------------------------------------------------------------------------
# expm, sqrtm, solve_sylvester
# --------------------------------------------------------------------------------------


def test_expm_derivatives_equal_scipys_frechet_derivative():
    a, e, g = (RNG.standard_normal((4, 4)) for _ in range(3))
    np.testing.assert_allclose(asl.expm(a), sl.expm(a), rtol=1e-14)
    _, frechet = sl.expm_frechet(a, e)  # Al-Mohy and Higham's algorithm, an independent implementation
    _, tangent = at.jvp(asl.expm, (a,), (e,))
    np.testing.assert_allclose(tangent, frechet, rtol=1e-11, atol=1e-12)
    # The VJP is the adjoint L(A^T, G): <G, L(A, E)> = <L(A^T, G), E>.
    cotangent = at.grad(lambda a: at.sum(asl.expm(a) * g))(a)
    np.testing.assert_allclose(cotangent, sl.expm_frechet(a.T, g)[1], rtol=1e-11, atol=1e-12)


def test_expm_of_a_diagonal_matrix_has_divided_differences():
    d = np.array([0.5, -1.0, 2.0])
    w = RNG.standard_normal((3, 3))
    g = at.grad(lambda a: at.sum(asl.expm(a) * w))(np.diag(d))
    # L(D, E)_ij = E_ij (e^d_i - e^d_j) / (d_i - d_j), and e^d_i on the diagonal.
    di, dj = d[:, None], d[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        divided = np.where(di == dj, np.exp(di), (np.exp(di) - np.exp(dj)) / (di - dj))
    np.testing.assert_allclose(g, w * divided, rtol=1e-12)


def test_expm_second_order_stacks_and_complex():
    a = 0.5 * RNG.standard_normal((2, 3, 3))
    check_grads(asl.expm, (a,), order=2, seed=6)
    z = a[0] + 0.5j * RNG.standard_normal((3, 3))
    np.testing.assert_allclose(asl.expm(z), sl.expm(z), rtol=1e-13)
    e = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))
    np.testing.assert_allclose(at.jvp(asl.expm, (z,), (e,))[1], sl.expm_frechet(z, e)[1], rtol=1e-11)


def test_sqrtm_values_and_derivatives():
    a = _spd(3)
    x = asl.sqrtm(a)
    np.testing.assert_allclose(x, sl.sqrtm(a), rtol=1e-13)
    np.testing.assert_allclose(x @ x, a, rtol=1e-12)
    # Diagonal matrix: the Sylvester equation gives dX_ij = E_ij / (sqrt(d_i) + sqrt(d_j)).
    d = np.array([1.0, 4.0, 9.0])
    w = RNG.standard_normal((3, 3))
    g = at.grad(lambda a: at.sum(asl.sqrtm(a) * w))(np.diag(d))
    np.testing.assert_allclose(g, w / (np.sqrt(d)[:, None] + np.sqrt(d)[None, :]), rtol=1e-12)
    check_grads(asl.sqrtm, (np.stack([a, 2 * np.eye(3) + 0.3 * RNG.uniform(-1, 1, (3, 3))]),), order=2, seed=7)


def test_solve_sylvester_values_and_derivatives():
    a = 2 * np.eye(3) + 0.5 * RNG.uniform(-1, 1, (3, 3))
    b = np.eye(2) + 0.3 * RNG.uniform(-1, 1, (2, 2))
    q = RNG.standard_normal((3, 2))
    x = asl.solve_sylvester(a, b, q)
    np.testing.assert_allclose(x, sl.solve_sylvester(a, b, q), rtol=1e-13)
    np.testing.assert_allclose(a @ x + x @ b, q, rtol=1e-12, atol=1e-13)
    # a = alpha I, b = beta I: x = q / (alpha + beta), so d sum(x w) / dq = w / (alpha + beta)
    # and d / d alpha = -sum(x w) / (alpha + beta).
    w = RNG.standard_normal((3, 2))
    ga, gq = at.grad(lambda a, q: at.sum(asl.solve_sylvester(a, 3 * np.eye(2), q) * w), argnums=(0, 1))(
        2 * np.eye(3), q
    )
    np.testing.assert_allclose(gq, w / 5, rtol=1e-13)
    np.testing.assert_allclose(np.trace(ga), -np.sum(q / 5 * w) / 5, rtol=1e-12)
    check_grads(asl.solve_sylvester, (a, b, q), order=2, seed=8)
    with pytest.raises(ValueError, match=r"need q of shape \(\.\.\., 3, 2\), got \(2, 3\)"):
        asl.solve_sylvester(a, b, q.T)


# --------------------------------------------------------------------------------------
# block_diag
# --------------------------------------------------------------------------------------


def test_block_diag_values_dtypes_and_gradient():
    a, b, c = np.arange(4.0).reshape(2, 2), np.array([5.0, 6.0, 7.0]), np.float32(8.0)
    out = asl.block_diag(a, b, c)
    np.testing.assert_array_equal(out, sl.block_diag(a, b, c))
    assert out.dtype == sl.block_diag(a, b, c).dtype == np.float64
    assert asl.block_diag(np.ones((1, 2), np.float32), np.float32(1)).dtype == np.float32
    assert asl.block_diag().shape == sl.block_diag().shape == (1, 0)
    w = RNG.standard_normal(out.shape)
    ga, gb, gc = at.grad(lambda a, b, c: at.sum(asl.block_diag(a, b, c) * w), argnums=(0, 1, 2))(a, b, c)
    np.testing.assert_array_equal(ga, w[:2, :2])
    np.testing.assert_array_equal(gb, w[2, 2:5])
    assert gc == np.float32(w[3, 5]) and gc.dtype == np.float32
    # Stacks of blocks: batch axes broadcast (SciPy 1.15 and later).
    stack = RNG.standard_normal((3, 2, 2))
    out = asl.block_diag(stack, b, RNG.standard_normal((1, 1, 1)))
    assert out.shape == (3, 4, 6)
    np.testing.assert_array_equal(out[1, :2, :2], stack[1])
    np.testing.assert_array_equal(out[2, 2, 2:5], b)
    gb = at.grad(lambda b: at.sum(asl.block_diag(stack, b)))(b)
    np.testing.assert_array_equal(gb, [3.0, 3.0, 3.0])  # the row is in each of the 3 matrices


# --------------------------------------------------------------------------------------
# det, inv, solve: composites of numpy.linalg (their derivatives need its rules)
# --------------------------------------------------------------------------------------


def test_det_inv_solve_values_equal_scipy():
    a = 2 * np.eye(3) + 0.5 * RNG.uniform(-1, 1, (2, 3, 3))
    b = RNG.standard_normal((3, 2))
    np.testing.assert_allclose(asl.det(a), sl.det(a), rtol=1e-13)
    np.testing.assert_allclose(asl.inv(a), sl.inv(a), rtol=1e-13)
    np.testing.assert_allclose(asl.solve(a, b), sl.solve(a, b), rtol=1e-13)
    assert asl.det(a.astype(np.float32)).dtype == np.float32  # SciPy's det returns float64
    for assume_a in ["sym", "pos", "diagonal", "tridiagonal", "upper triangular", "lower triangular"]:
        for lower in (False, True):
            m = a[0] @ a[0].T if assume_a == "pos" else a[0]
            expected = sl.solve(m, b, assume_a=assume_a, lower=lower)
            np.testing.assert_allclose(asl.solve(m, b, assume_a=assume_a, lower=lower), expected, rtol=1e-12)
            expected = sl.solve(m, b, assume_a=assume_a, lower=lower, transposed=True)
            got = asl.solve(m, b, assume_a=assume_a, lower=lower, transposed=True)
            np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(asl.inv(a[0], assume_a="upper triangular"), sl.inv(np.triu(a[0])), rtol=1e-13)
    with pytest.raises(NotImplementedError, match="complex"):
        asl.solve(a[0] * 1j, b, transposed=True)
    with pytest.raises(ValueError, match="assume_a='cube' is not supported"):
        asl.solve(a[0], b, assume_a="cube")


def test_det_inv_solve_gradients():
    # Needs autotape's numpy.linalg rules (det, inv, solve) through NumPy's dispatch.
    a = 2 * np.eye(3) + 0.5 * RNG.uniform(-1, 1, (3, 3))
    b = RNG.standard_normal(3)
    np.testing.assert_allclose(at.grad(asl.det)(a), np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-12)
    g = RNG.standard_normal((3, 3))
    inverse = np.linalg.inv(a)
    np.testing.assert_allclose(at.grad(lambda a: at.sum(asl.inv(a) * g))(a), -inverse.T @ g @ inverse.T, rtol=1e-12)
    ga = at.grad(lambda a: at.sum(asl.solve(a, b, assume_a="sym", lower=True)))(a)
    assert np.all(np.triu(ga, 1) == 0.0), "solve(assume_a='sym', lower=True) reads only the lower triangle"
    check_grads(lambda a, b: asl.solve(a, b, assume_a="pos"), (a @ a.T, b), order=2, seed=9)


# --------------------------------------------------------------------------------------
# The namespace
# --------------------------------------------------------------------------------------


def test_namespace_lists_the_ops_and_falls_back_to_scipy():
    for name in [
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
    ]:
        assert name in asl.__all__ and callable(getattr(asl, name))
    assert asl.lu is sl.lu  # SciPy's other names, as they are
    with pytest.raises(AttributeError, match="autotape.scipy.linalg"):
        asl.no_such_function  # noqa: B018


def test_import_autotape_does_not_import_scipy():
    code = "import sys, autotape, autotape.numpy; assert 'scipy' not in sys.modules, 'scipy was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)

"""numpy.linalg: exact values at the special points of each op, and what the generated tests
cannot draw (see ``autotape/ops/numpy_linalg.py`` for the rules and their conventions).

- ``det`` at singular matrices: the gradient is the adjugate (cofactors), not 0;
- ``norm`` at 0 and with zero rows: the zero subgradient, other rows unaffected; ties;
- ``eigvalsh``/``eigh``/``svd`` at repeated eigenvalues or singular values: functions of
  the values alone keep finite, exact gradients;
- ``svd(full_matrices=True)`` and ``qr(mode="complete")``: which losses are allowed;
- second order: a Gaussian process's log marginal likelihood, through ``cholesky``,
  ``solve``, ``slogdet`` and ``inv``, has the Hessian finite differences give;
- Hermitian inputs (``cholesky``, ``eigh``, ``eigvalsh``), complex ones included, with
  Hermitian perturbations; ``eig`` on complex eigenvalues; complex ``svd`` with
  phase-invariant losses;
- the values, result types and shapes NumPy gives, on stacks, traced and not.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import autotape as at
from autotape.testing import check_grads

RNG = np.random.default_rng(20260311)


def _grad(f, *args, argnums=0):
    return at.grad(f, argnums=argnums)(*args)


def _fd_gradient(f, x, step=1e-6):
    """Central differences of the real scalar ``f`` at ``x``, as autotape's gradient is laid
    out: ``df/dRe - i df/dIm`` for complex ``x`` (JAX's convention)."""
    x = np.asarray(x)
    g = np.zeros(x.shape, dtype=x.dtype)
    for index in np.ndindex(x.shape):
        e = np.zeros(x.shape, dtype=x.dtype)
        e[index] = step
        g[index] = (f(x + e) - f(x - e)) / (2 * step)
        if np.iscomplexobj(x):
            g[index] -= 1j * (f(x + 1j * e) - f(x - 1j * e)) / (2 * step)
    return g


def _hermitian(x):
    return (x + np.conj(np.swapaxes(x, -1, -2))) / 2


def _random_spd(n, batch=(), complex_=False):
    m = RNG.standard_normal(batch + (n, n))
    if complex_:
        m = m + 1j * RNG.standard_normal(batch + (n, n))
    return m @ np.conj(np.swapaxes(m, -1, -2)) + n * np.eye(n)


def _cofactors(a):
    """The cofactor matrix ``(-1)^(i+j) det(minor_ij)``, straight from the definition."""
    n = a.shape[-1]
    out = np.empty_like(a)
    for i, j in itertools.product(range(n), range(n)):
        minor = np.delete(np.delete(a, i, axis=-2), j, axis=-1)
        out[..., i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return out


# --------------------------------------------------------------------------------------
# det and slogdet
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a",
    [
        np.array([[1.0, 2.0], [2.0, 4.0]]),
        np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),
        np.array([[2.0, -1.0, 0.5], [4.0, -2.0, 1.0], [0.0, 3.0, 1.5]]),
        np.array([[0.0, 0.0], [0.0, 0.0]]),
        np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]),
    ],
    ids=["2x2 rank 1", "3x3 rank 2", "3x3 rank 2 (b)", "zero", "3x3 rank 1"],
)
def test_det_gradient_at_a_singular_matrix_is_the_adjugate(a):
    expected = _cofactors(a)  # d det / d a_ij is the (i, j) cofactor: nonzero at rank n-1, 0 below
    assert np.linalg.det(a) == pytest.approx(0.0, abs=1e-12)
    g = _grad(np.linalg.det, a)
    np.testing.assert_allclose(g, expected, rtol=1e-12, atol=1e-13)
    assert np.all(np.isfinite(g))
    # det is a polynomial: central differences are exact to rounding
    np.testing.assert_allclose(_fd_gradient(np.linalg.det, a), expected, atol=1e-8)


def test_det_gradient_of_a_stack_with_singular_and_regular_matrices():
    a = np.stack([[[1.0, 2.0], [2.0, 4.0]], [[3.0, 1.0], [1.0, 2.0]], [[0.0, 1.0], [0.0, 0.0]]])
    g = _grad(lambda a: at.sum(np.linalg.det(a) * np.array([1.0, 2.0, 3.0])), a)
    np.testing.assert_allclose(g, _cofactors(a) * np.array([1.0, 2.0, 3.0])[:, None, None], rtol=1e-12, atol=1e-14)
    # the regular one: det(a) a^{-T}
    np.testing.assert_allclose(g[1], 2 * np.linalg.det(a[1]) * np.linalg.inv(a[1]).T, rtol=1e-12)


def test_det_gradient_at_a_nearly_singular_and_a_complex_singular_matrix():
    u = np.array([1.0, 2.0, -1.0])
    a = np.outer(u, [1.0, 0.5, 2.0]) + np.diag([1e-9, 1.0, 2.0])  # condition number ~ 1e10
    np.testing.assert_allclose(_grad(np.linalg.det, a), _cofactors(a), rtol=1e-7, atol=1e-9)
    z = np.array([[1 + 1j, 2.0], [1.0, 1 - 1j]])  # det = (1+1j)(1-1j) - 2 = 0
    cofactors = _cofactors(z)
    # holomorphic: under JAX's convention the gradient of Re(det(z)) is det'(z) itself, the cofactors
    np.testing.assert_allclose(_grad(lambda z: at.real(np.linalg.det(z)), z), cofactors, atol=1e-12)
    np.testing.assert_allclose(_fd_gradient(lambda z: np.real(np.linalg.det(z)), z), cofactors, atol=1e-8)


def test_det_second_order_at_a_regular_matrix():
    a = np.array([[2.0, 1.0, 0.5], [0.3, 1.5, -0.4], [0.2, -0.7, 1.2]])
    check_grads(np.linalg.det, (a,), order=2, seed=1)
    # d2 det / da_ij da_kl: the second derivative of det of a 2x2 is the constant pattern of a_00 a_11 - a_01 a_10
    h = at.hessian(np.linalg.det)(a[:2, :2])
    expected = np.zeros((2, 2, 2, 2))
    expected[0, 0, 1, 1] = expected[1, 1, 0, 0] = 1.0
    expected[0, 1, 1, 0] = expected[1, 0, 0, 1] = -1.0
    np.testing.assert_allclose(h, expected, atol=1e-12)


def test_slogdet_values_sign_and_gradient():
    a = np.array([[[0.0, 2.0], [1.0, 0.5]], [[3.0, 1.0], [1.0, 2.0]]])  # det -2 and 5
    sign, logabsdet = np.linalg.slogdet(a)

    def f(a):
        s, l = np.linalg.slogdet(a)
        return s, l

    traced_sign, traced_log = at.vjp(f, a)[0]
    np.testing.assert_array_equal(traced_sign, sign)
    np.testing.assert_array_equal(traced_log, logabsdet)
    np.testing.assert_array_equal(sign, [-1.0, 1.0])
    # the sign is a constant; log|det|' = a^{-T}
    assert np.all(_grad(lambda a: at.sum(np.linalg.slogdet(a)[0]), a) == 0)
    np.testing.assert_allclose(
        _grad(lambda a: at.sum(np.linalg.slogdet(a).logabsdet), a), np.linalg.inv(a).transpose(0, 2, 1), rtol=1e-13
    )


def test_slogdet_of_a_stack_with_a_singular_matrix_keeps_the_other_gradients():
    a = np.stack([np.array([[1.0, 2.0], [2.0, 4.0]]), np.array([[2.0, 1.0], [1.0, 3.0]])])
    sign, logabsdet = np.linalg.slogdet(a)
    assert sign[0] == 0 and logabsdet[0] == -np.inf
    with np.errstate(invalid="ignore"):
        g = _grad(lambda a: np.linalg.slogdet(a)[1][1], a)
    np.testing.assert_allclose(g[1], np.linalg.inv(a[1]).T, rtol=1e-13)
    assert np.all(g[0] == 0)


def test_slogdet_of_complex_matrices():
    z = RNG.standard_normal((2, 3, 3)) + 1j * RNG.standard_normal((2, 3, 3))
    w = np.array([0.3 - 0.2j, -1.1 + 0.4j])
    loss = lambda z: np.sum(np.real(np.linalg.slogdet(z)[0] * w)) + np.sum(np.linalg.slogdet(z)[1])  # noqa: E731
    traced = lambda z: at.sum(at.real(np.linalg.slogdet(z)[0] * w)) + at.sum(np.linalg.slogdet(z)[1])  # noqa: E731
    np.testing.assert_allclose(_grad(traced, z), _fd_gradient(loss, z), rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------------------
# inv and solve: NumPy 2's shapes
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a_shape,b_shape",
    [
        ((3, 3), (3,)),
        ((2, 3, 3), (3,)),
        ((3, 3), (3, 2)),
        ((2, 3, 3), (2, 3, 1)),
        ((2, 1, 3, 3), (4, 3, 2)),
        ((3, 3), (2, 3, 4)),
        ((2, 3, 3), (1, 3, 2)),
    ],
)
def test_solve_values_and_gradients_for_every_form_of_b(a_shape, b_shape):
    a = RNG.standard_normal(a_shape) + 3 * np.eye(3)
    b = RNG.standard_normal(b_shape)
    x = np.linalg.solve(a, b)
    traced, _ = at.vjp(lambda a, b: np.linalg.solve(a, b), a, b)
    np.testing.assert_array_equal(traced, x)
    check_grads(lambda a, b: np.linalg.solve(a, b), (a, b), order=2, seed=2)
    v = RNG.standard_normal(x.shape)
    ga, gb = _grad(lambda a, b: at.sum(np.linalg.solve(a, b) * v), a, b, argnums=(0, 1))
    assert ga.shape == a.shape and gb.shape == b.shape


def test_solve_refuses_b_of_the_wrong_shape_with_numpy2s_rule_in_the_message():
    a = np.eye(3) * 2.0
    with pytest.raises(ValueError, match=r"only when it is 1-D"):
        at.grad(lambda a: at.sum(np.linalg.solve(a, np.ones((2, 3)))))(a)


def test_inv_values_and_second_order():
    a = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    np.testing.assert_array_equal(at.vjp(np.linalg.inv, a)[0], np.linalg.inv(a))
    check_grads(np.linalg.inv, (a,), order=2, seed=3)
    # d(a^{-1}) = -a^{-1} da a^{-1}: the gradient of sum(inv(a) * v) is -a^{-T} v a^{-T}
    v = RNG.standard_normal((2, 3, 3))
    a_inv_t = np.linalg.inv(a).transpose(0, 2, 1)
    np.testing.assert_allclose(_grad(lambda a: at.sum(np.linalg.inv(a) * v), a), -a_inv_t @ v @ a_inv_t, rtol=1e-12)


# --------------------------------------------------------------------------------------
# Second order: a Gaussian process's log marginal likelihood in its hyperparameters
# --------------------------------------------------------------------------------------

X_GP = np.linspace(0.0, 3.0, 7)
Y_GP = np.sin(2.0 * X_GP) + 0.1 * np.cos(7.0 * X_GP)


def _kernel(theta):
    log_length, log_scale, log_noise = theta[0], theta[1], theta[2]
    d2 = (X_GP[:, None] - X_GP[None, :]) ** 2
    return np.exp(2 * log_scale) * np.exp(-0.5 * d2 / np.exp(2 * log_length)) + np.exp(2 * log_noise) * np.eye(
        X_GP.size
    )


def _diag(m):
    i = np.arange(m.shape[-1])
    return m[..., i, i]


def _lml_cholesky(theta):
    lower = np.linalg.cholesky(_kernel(theta))
    alpha = np.linalg.solve(lower, Y_GP)  # a triangular system
    return -0.5 * np.sum(alpha**2) - np.sum(np.log(_diag(lower)))


def _lml_slogdet(theta):
    k = _kernel(theta)
    return -0.5 * np.sum(Y_GP * np.linalg.solve(k, Y_GP)) - 0.5 * np.linalg.slogdet(k)[1]


def _lml_inv(theta):
    k = _kernel(theta)
    return -0.5 * Y_GP @ np.linalg.inv(k) @ Y_GP - 0.5 * np.log(np.linalg.det(k))


@pytest.mark.parametrize("lml", [_lml_cholesky, _lml_slogdet, _lml_inv], ids=["cholesky", "slogdet+solve", "inv+det"])
def test_gaussian_process_log_marginal_likelihood_hessian_matches_finite_differences(lml):
    theta = np.array([np.log(0.7), np.log(1.3), np.log(0.2)])
    gradient = at.grad(lml)(theta)
    hessian = at.hessian(lml)(theta)
    step = 1e-5
    fd_gradient = np.array([(lml(theta + step * e) - lml(theta - step * e)) / (2 * step) for e in np.eye(3)])
    fd_hessian = np.array(
        [(at.grad(lml)(theta + step * e) - at.grad(lml)(theta - step * e)) / (2 * step) for e in np.eye(3)]
    )
    np.testing.assert_allclose(gradient, fd_gradient, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(hessian, fd_hessian, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-10, atol=1e-12)
    # the three forms are the same function
    np.testing.assert_allclose(hessian, at.hessian(_lml_slogdet)(theta), rtol=1e-8)


# --------------------------------------------------------------------------------------
# Hermitian inputs: cholesky, eigh, eigvalsh (the function of (a + a^H) / 2)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("upper", [False, True], ids=["lower", "upper"])
def test_cholesky_gradient_with_hermitian_perturbations(complex_, upper):
    a = _random_spd(3, (2,), complex_)
    w = RNG.standard_normal(a.shape) + (1j * RNG.standard_normal(a.shape) if complex_ else 0)
    loss = lambda a: np.sum(np.real(np.linalg.cholesky(_hermitian(a), upper=upper) * w))  # noqa: E731
    traced = lambda a: at.sum(at.real(np.linalg.cholesky(a, upper=upper) * w))  # noqa: E731
    g = _grad(traced, a)
    np.testing.assert_allclose(g, _fd_gradient(loss, a), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g, np.conj(np.swapaxes(g, -1, -2)), atol=1e-14)  # Hermitian


@pytest.mark.parametrize("name", ["cholesky", "eigh", "eigvalsh"])
def test_hermitian_ops_second_order_through_a_symmetric_parametrization(name):
    a = _random_spd(3, (2,)) if name == "cholesky" else _random_spd(3) + np.diag([0.0, 1.0, 3.0])
    fn = getattr(np.linalg, name)
    check_grads(lambda a: fn((a + np.swapaxes(a, -1, -2)) / 2), (a,), order=2, seed=4)


def test_cholesky_values_and_upper_factor():
    a = _random_spd(4, (3,))
    for upper in (False, True):
        out = at.vjp(lambda a: np.linalg.cholesky(a, upper=upper), a)[0]
        np.testing.assert_array_equal(out, np.linalg.cholesky(a, upper=upper))
    lower = np.linalg.cholesky(a)
    np.testing.assert_allclose(lower @ np.swapaxes(lower, -1, -2), a, rtol=1e-12)


@pytest.mark.parametrize("complex_", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_gradient_with_hermitian_perturbations_and_phase_invariant_losses(complex_, uplo):
    a = _random_spd(3, (2,), complex_) + np.diag([0.0, 2.0, 5.0])
    w_weights = RNG.standard_normal((2, 3))
    v_weights = RNG.standard_normal((2, 3, 3))

    def loss(a):
        w, v = np.linalg.eigh(_hermitian(a), UPLO=uplo)
        return np.sum(w * w_weights) + np.sum(np.abs(v) ** 2 * v_weights)

    def traced(a):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        return at.sum(w * w_weights) + at.sum(at.real(v * np.conj(v)) * v_weights)

    np.testing.assert_allclose(_grad(traced, a), _fd_gradient(loss, a), rtol=1e-6, atol=1e-7)
    # eigvalsh is eigh's eigenvalues
    g_w = _grad(lambda a: at.sum(np.linalg.eigvalsh(a, UPLO=uplo) * w_weights), a)
    np.testing.assert_allclose(g_w, _grad(lambda a: at.sum(np.linalg.eigh(a, UPLO=uplo)[0] * w_weights), a), rtol=1e-12)


def test_functions_of_repeated_eigenvalues_have_finite_exact_gradients():
    q = np.linalg.qr(RNG.standard_normal((4, 4)))[0]
    a = (q * np.array([1.0, 1.0, 1.0, 3.0])) @ q.T  # eigenvalue 1 three times
    a = (a + a.T) / 2
    # sum(w^2) = |a|_F^2, whose gradient is 2a; sum(w) = trace(a): the identity
    for f in (np.linalg.eigvalsh, lambda a: np.linalg.eigh(a)[0]):
        g = _grad(lambda a: at.sum(f(a) ** 2), a)
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, 2 * a, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(_grad(lambda a: at.sum(f(a)), a), np.eye(4), atol=1e-12)
    identity = np.eye(3)
    np.testing.assert_allclose(_grad(lambda a: at.sum(np.linalg.eigh(a).eigenvalues ** 3), identity), 3 * identity)
    # forward mode too: the directional derivative of sum(w^2) is 2 <a, t>
    t = RNG.standard_normal((4, 4))
    t = t + t.T
    _, tangent = at.jvp(lambda a: at.sum(np.linalg.eigvalsh(a) ** 2), (a,), (t,))
    assert tangent == pytest.approx(2 * np.sum(a * t), rel=1e-12)


# --------------------------------------------------------------------------------------
# eig and eigvals: NumPy's normalization of the eigenvectors
# --------------------------------------------------------------------------------------


def test_eig_of_a_real_matrix_with_complex_eigenvalues():
    a = np.array([[0.5, -2.0, 0.3], [1.5, 0.2, -0.4], [0.1, 0.6, 1.1]])
    w, v = np.linalg.eig(a)
    assert np.iscomplexobj(w) and np.any(np.imag(w) != 0)
    w_weights = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
    v_weights = RNG.standard_normal((3, 3)) + 1j * RNG.standard_normal((3, 3))

    def loss(a):
        w, v = np.linalg.eig(a)
        return np.real(np.sum(w * w_weights) + np.sum(v * v_weights))

    def traced(a):
        w, v = np.linalg.eig(a)
        return at.real(at.sum(w * w_weights) + at.sum(v * v_weights))

    g = _grad(traced, a)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, _fd_gradient(loss, a), rtol=1e-6, atol=1e-7)
    traced_w, traced_v = at.vjp(np.linalg.eig, a)[0]
    np.testing.assert_array_equal(traced_w, w)
    np.testing.assert_array_equal(traced_v, v)


def test_eig_and_eigvals_of_complex_matrices():
    z = RNG.standard_normal((2, 3, 3)) + 1j * RNG.standard_normal((2, 3, 3))
    w_weights = RNG.standard_normal((2, 3)) + 1j * RNG.standard_normal((2, 3))
    v_weights = RNG.standard_normal((2, 3, 3)) + 1j * RNG.standard_normal((2, 3, 3))

    def loss(z):
        w, v = np.linalg.eig(z)
        return np.real(np.sum(w * w_weights) + np.sum(v * v_weights))

    def traced(z):
        w, v = np.linalg.eig(z)
        return at.real(at.sum(w * w_weights) + at.sum(v * v_weights))

    np.testing.assert_allclose(_grad(traced, z), _fd_gradient(loss, z), rtol=1e-6, atol=1e-7)
    loss_w = lambda z: np.real(np.sum(np.linalg.eigvals(z) * w_weights))  # noqa: E731
    traced_w = lambda z: at.real(at.sum(np.linalg.eigvals(z) * w_weights))  # noqa: E731
    np.testing.assert_allclose(_grad(traced_w, z), _fd_gradient(loss_w, z), rtol=1e-6, atol=1e-7)
    # forward mode: the JVP of the eigenvalues against differences
    t = RNG.standard_normal(z.shape) + 1j * RNG.standard_normal(z.shape)
    _, tangent = at.jvp(np.linalg.eigvals, (z,), (t,))
    fd = (np.linalg.eigvals(z + 1e-6 * t) - np.linalg.eigvals(z - 1e-6 * t)) / 2e-6
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------------------
# svd: full_matrices, repeated singular values, complex
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 2), (2, 4), (2, 3, 2)])
def test_svd_full_matrices_with_a_loss_of_the_first_min_m_n_vectors(shape):
    a = RNG.standard_normal(shape)
    k = min(shape[-2:])
    u_weights = RNG.standard_normal(shape[:-1] + (k,))
    vh_weights = RNG.standard_normal(shape[:-2] + (k, shape[-1]))

    def loss(a, full_matrices):
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
        return at.sum(s) + at.sum(u[..., :, :k] * u_weights) + at.sum(vh[..., :k, :] * vh_weights)

    full = _grad(lambda a: loss(a, True), a)
    reduced = _grad(lambda a: loss(a, False), a)
    np.testing.assert_allclose(full, reduced, rtol=1e-12, atol=1e-14)
    plain = lambda a: loss(a, False)  # noqa: E731
    np.testing.assert_allclose(reduced, _fd_gradient(lambda a: float(plain(a)), a), rtol=1e-6, atol=1e-7)
    # values: NumPy's, traced or not
    traced = at.vjp(lambda a: np.linalg.svd(a), a)[0]
    for mine, numpys in zip(traced, np.linalg.svd(a)):
        np.testing.assert_array_equal(mine, numpys)


def test_svd_full_matrices_refuses_a_loss_of_the_extra_vectors():
    a = RNG.standard_normal((4, 2))
    with pytest.raises(ValueError, match=r"beyond the first min\(m, n\) = 2.*full_matrices=False"):
        at.grad(lambda a: at.sum(np.linalg.svd(a)[0]))(a)
    with pytest.raises(ValueError, match=r"beyond the first"):
        at.grad(lambda a: at.sum(np.linalg.svd(a.T)[2][-1]))(a)
    with pytest.raises(ValueError, match=r"forward mode"):
        at.jvp(lambda a: np.linalg.svd(a)[1], (a,), (np.ones_like(a),))
    # square: full and reduced are the same, and every vector may be used
    b = RNG.standard_normal((3, 3))
    g = _grad(lambda b: at.sum(np.linalg.svd(b)[0] * b), b)
    np.testing.assert_allclose(g, _grad(lambda b: at.sum(np.linalg.svd(b, full_matrices=False)[0] * b), b))


def test_functions_of_repeated_singular_values_have_finite_exact_gradients():
    q1 = np.linalg.qr(RNG.standard_normal((4, 4)))[0]
    q2 = np.linalg.qr(RNG.standard_normal((3, 3)))[0]
    a = (q1[:, :3] * np.array([2.0, 2.0, 0.0])) @ q2.T  # singular values 2, 2, 0
    # sum(s^2) = |a|_F^2: gradient 2a, through svd, svdvals and compute_uv=False
    for f in (lambda a: np.linalg.svd(a)[1], np.linalg.svdvals, lambda a: np.linalg.svd(a, compute_uv=False)):
        g = _grad(lambda a: at.sum(f(a) ** 2), a)
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, 2 * a, atol=1e-12)
    # the nuclear norm at the identity: a subgradient, I
    np.testing.assert_allclose(_grad(lambda a: at.sum(np.linalg.svdvals(a)), np.eye(3)), np.eye(3), atol=1e-14)


def test_svd_of_complex_matrices_with_phase_invariant_losses():
    z = RNG.standard_normal((2, 4, 3)) + 1j * RNG.standard_normal((2, 4, 3))
    w = RNG.standard_normal(z.shape) + 1j * RNG.standard_normal(z.shape)

    def rebuilt(z):
        u, s, vh = np.linalg.svd(z, full_matrices=False)
        return (u * s[..., None, :]) @ vh

    # u diag(s) vh is z itself: the gradient of Re(sum(w * z)) is w
    np.testing.assert_allclose(_grad(lambda z: at.sum(at.real(w * rebuilt(z))), z), w, rtol=1e-10, atol=1e-12)
    weights = RNG.standard_normal((2, 4, 3))

    def loss(z):
        u, s, vh = np.linalg.svd(z, full_matrices=False)
        return np.sum(np.abs(u) ** 2 * weights) + np.sum(s**2 * weights[:, 0])

    def traced(z):
        u, s, vh = np.linalg.svd(z, full_matrices=False)
        return at.sum(at.real(u * np.conj(u)) * weights) + at.sum(s**2 * weights[:, 0])

    np.testing.assert_allclose(_grad(traced, z), _fd_gradient(loss, z), rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------------------
# qr, pinv, lstsq
# --------------------------------------------------------------------------------------


def test_qr_modes_values_and_errors():
    a = RNG.standard_normal((2, 4, 3))
    for mode in ("reduced", "complete", "r"):
        traced = at.vjp(lambda a: np.linalg.qr(a, mode=mode), a)[0]
        expected = np.linalg.qr(a, mode=mode)
        for mine, numpys in zip(traced if mode != "r" else [traced], expected if mode != "r" else [expected]):
            np.testing.assert_array_equal(mine, numpys)
    # complete mode of a tall matrix: only the first n columns of Q may be used
    g_complete = _grad(lambda a: at.sum(np.linalg.qr(a, mode="complete")[0][..., :, :3] * a), a)
    g_reduced = _grad(lambda a: at.sum(np.linalg.qr(a)[0] * a), a)
    np.testing.assert_allclose(g_complete, g_reduced, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match=r"columns of Q beyond the first 3"):
        at.grad(lambda a: at.sum(np.linalg.qr(a, mode="complete")[0]))(a)
    with pytest.raises(TypeError, match=r"mode='raw'"):
        at.grad(lambda a: at.sum(np.linalg.qr(a, mode="raw")[0]))(a)
    check_grads(lambda a: np.linalg.qr(a, mode="r"), (a,), order=2, seed=5)


def test_pinv_of_full_rank_matrices_equals_the_least_squares_inverse():
    a = RNG.standard_normal((5, 3))
    p = at.vjp(np.linalg.pinv, a)[0]
    np.testing.assert_array_equal(p, np.linalg.pinv(a))
    v = RNG.standard_normal((3, 5))
    # for full column rank, pinv(a) = inv(a^T a) a^T
    normal = lambda a: np.linalg.inv(a.T @ a) @ a.T  # noqa: E731
    np.testing.assert_allclose(
        _grad(lambda a: at.sum(np.linalg.pinv(a) * v), a), _grad(lambda a: at.sum(normal(a) * v), a), rtol=1e-10
    )
    check_grads(np.linalg.pinv, (a.T,), order=2, seed=6)


@pytest.mark.parametrize("shape,b_shape", [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 5), (3,)), ((3, 3), (3, 2))])
def test_lstsq_returns_numpys_tuple_and_differentiates_x_and_the_residuals(shape, b_shape):
    a, b = RNG.standard_normal(shape), RNG.standard_normal(b_shape)
    x, residuals, rank, sv = np.linalg.lstsq(a, b)
    assert residuals.shape == (((b_shape + (1,))[1],) if shape[0] > shape[1] else (0,))

    a_, b_ = a, b

    def parts(a, b):
        x, residuals, rank, sv = np.linalg.lstsq(a, b)
        assert type(rank) is type(np.linalg.lstsq(a_, b_)[2]) and rank == min(shape)
        return x, residuals, sv

    for mine, numpys in zip(at.vjp(parts, a, b)[0], (x, residuals, sv)):
        assert mine.shape == numpys.shape and mine.dtype == numpys.dtype
        np.testing.assert_array_equal(mine, numpys)

    check_grads(parts, (a, b), order=2, seed=7)
    # the residuals are |b - a x|^2 per column; x is the normal equations' solution when tall
    if shape[0] > shape[1]:
        via_normal = lambda a, b: np.linalg.solve(a.T @ a, a.T @ b)  # noqa: E731
        v = RNG.standard_normal(x.shape)
        for argnum in (0, 1):
            np.testing.assert_allclose(
                _grad(lambda a, b: at.sum(np.linalg.lstsq(a, b)[0] * v), a, b, argnums=argnum),
                _grad(lambda a, b: at.sum(via_normal(a, b) * v), a, b, argnums=argnum),
                rtol=1e-9,
                atol=1e-12,
            )


# --------------------------------------------------------------------------------------
# norms: kinks
# --------------------------------------------------------------------------------------

VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5]
MATRIX_ORDS = ["fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf]


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
def test_vector_norms_at_zero_have_the_zero_subgradient(ord):
    x = np.zeros(3)
    g = _grad(lambda x: np.linalg.norm(x, ord), x)
    np.testing.assert_array_equal(g, np.zeros(3))
    np.testing.assert_array_equal(_grad(lambda x: np.linalg.vector_norm(x, ord=2 if ord is None else ord), x), 0.0)


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_matrix_norms_at_zero_have_the_zero_subgradient(ord):
    x = np.zeros((2, 3))
    np.testing.assert_array_equal(_grad(lambda x: np.linalg.norm(x, ord), x), np.zeros((2, 3)))
    np.testing.assert_array_equal(_grad(lambda x: np.linalg.matrix_norm(x, ord=ord), x), np.zeros((2, 3)))


def test_a_zero_row_does_not_poison_the_other_rows():
    x = np.array([[0.0, 0.0], [3.0, 4.0], [-1.0, 0.0]])
    expected = np.array([[0.0, 0.0], [0.6, 0.8], [-1.0, 0.0]])
    np.testing.assert_allclose(_grad(lambda x: at.sum(np.linalg.norm(x, axis=1)), x), expected, rtol=1e-15)
    np.testing.assert_allclose(
        _grad(lambda x: at.sum(np.linalg.vector_norm(x, axis=-1, keepdims=True)), x), expected, rtol=1e-15
    )
    # a stack of matrices, one of them zero
    m = np.stack([np.zeros((2, 2)), np.array([[3.0, 0.0], [0.0, 4.0]])])
    g = _grad(lambda m: at.sum(np.linalg.matrix_norm(m, ord=2)), m)
    np.testing.assert_array_equal(g, [np.zeros((2, 2)), [[0.0, 0.0], [0.0, 1.0]]])
    g = _grad(lambda m: at.sum(np.linalg.norm(m, "fro", axis=(1, 2))), m)
    np.testing.assert_allclose(g, [np.zeros((2, 2)), [[0.6, 0.0], [0.0, 0.8]]], rtol=1e-15)
    # second order stays finite too
    h = at.hessian(lambda x: at.sum(np.linalg.norm(x, axis=1)))(x)
    assert np.all(np.isfinite(h))


def test_norm_ties_share_the_cotangent_equally():
    x = np.array([3.0, -3.0, 1.0])
    np.testing.assert_array_equal(_grad(lambda x: np.linalg.norm(x, np.inf), x), [0.5, -0.5, 0.0])
    np.testing.assert_array_equal(
        _grad(lambda x: np.linalg.norm(x, -np.inf), np.array([2.0, -1.0, 1.0])), [0, -0.5, 0.5]
    )
    # column sums tie for ord=1: |a| = [[1, 2], [3, 2]] -> both columns sum to 4
    a = np.array([[1.0, -2.0], [3.0, 2.0]])
    np.testing.assert_array_equal(_grad(lambda a: np.linalg.norm(a, 1), a), [[0.5, -0.5], [0.5, 0.5]])
    np.testing.assert_array_equal(_grad(lambda a: np.linalg.norm(a, np.inf), a), [[0.0, 0.0], [1.0, 1.0]])
    # the 2-norm of the identity: every singular value ties, the subgradient I / n
    np.testing.assert_allclose(_grad(lambda a: np.linalg.norm(a, 2), np.eye(3)), np.eye(3) / 3, atol=1e-15)
    # |x_i| has slope 0 at 0
    np.testing.assert_array_equal(_grad(lambda x: np.linalg.norm(x, 1), np.array([0.0, -2.0])), [0.0, -1.0])


def test_norm_values_and_gradients_of_complex_vectors():
    z = np.array([3 + 4j, 1 - 1j, -2j])
    for ord in (None, 1, np.inf, 3):
        np.testing.assert_array_equal(at.vjp(lambda z: np.linalg.norm(z, ord), z)[0], np.linalg.norm(z, ord))
        np.testing.assert_allclose(
            _grad(lambda z: np.linalg.norm(z, ord), z), _fd_gradient(lambda z: np.linalg.norm(z, ord), z), atol=1e-7
        )
    # the 2-norm: conj(z) / |z|
    np.testing.assert_allclose(_grad(np.linalg.norm, z), np.conj(z) / np.linalg.norm(z), rtol=1e-14)


@pytest.mark.parametrize("p", [1, -1, np.inf, -np.inf, "fro", "nuc", 2, -2, None])
def test_cond_gradients(p):
    a = np.array([[2.0, 0.5, -0.3], [0.4, 1.5, 0.2], [-0.1, 0.7, 1.1]])
    expected = _fd_gradient(lambda a: np.linalg.cond(a, p), a)
    np.testing.assert_allclose(_grad(lambda a: np.linalg.cond(a, p), a), expected, rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------------------
# Composites: matrix_power, multi_dot, tensorinv, tensorsolve
# --------------------------------------------------------------------------------------


def test_matrix_power_values_and_gradients():
    a = np.array([[1.1, 0.4], [-0.3, 0.9]])
    for n in (-3, -1, 0, 1, 2, 3, 6):
        np.testing.assert_array_equal(
            at.vjp(lambda a: np.linalg.matrix_power(a, n), a)[0], np.linalg.matrix_power(a, n)
        )
    np.testing.assert_array_equal(_grad(lambda a: at.sum(np.linalg.matrix_power(a, 0)), a), np.zeros((2, 2)))
    # d(a^2) = da a + a da: the gradient of sum(a^2 * v) is v a^T + a^T v
    v = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(_grad(lambda a: at.sum(np.linalg.matrix_power(a, 2) * v), a), v @ a.T + a.T @ v)
    check_grads(lambda a: np.linalg.matrix_power(a, -2), (a,), order=2, seed=8)
    with pytest.raises(TypeError, match="integer"):
        at.grad(lambda a: at.sum(np.linalg.matrix_power(a, 1.5)))(a)


def test_multi_dot_values_order_and_gradients():
    shapes = [(10,), (10, 100), (100, 5), (5, 50), (50,)]
    arrays = [RNG.standard_normal(s) for s in shapes]
    out = at.vjp(lambda *xs: np.linalg.multi_dot(list(xs)), *arrays)[0]
    np.testing.assert_array_equal(out, np.linalg.multi_dot(arrays))
    grads = at.grad(lambda *xs: np.linalg.multi_dot(list(xs)), argnums=tuple(range(5)))(*arrays)
    chained = at.grad(lambda a, b, c, d, e: a @ b @ c @ d @ e, argnums=tuple(range(5)))(*arrays)
    for g, h in zip(grads, chained):
        np.testing.assert_allclose(g, h, rtol=1e-10)


def test_tensorinv_and_tensorsolve():
    a = (RNG.standard_normal((6, 6)) + 4 * np.eye(6)).reshape(2, 3, 3, 2)
    check_grads(lambda a: np.linalg.tensorinv(a, ind=2), (a,), order=2, seed=9)
    np.testing.assert_array_equal(at.vjp(lambda a: np.linalg.tensorinv(a, 2), a)[0], np.linalg.tensorinv(a, 2))
    b = RNG.standard_normal((2, 3))
    check_grads(lambda a, b: np.linalg.tensorsolve(a, b), (a, b), order=2, seed=10)
    moved = np.moveaxis(a, 2, 0)  # axes=(0,) moves it back to the end
    np.testing.assert_array_equal(
        at.vjp(lambda a, b: np.linalg.tensorsolve(a, b, axes=(0,)), moved, b)[0], np.linalg.tensorsolve(moved, b, (0,))
    )


def test_matrix_rank_is_a_constant():
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert at.grad(lambda a: at.sum(a) * np.linalg.matrix_rank(a))(a).tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_every_numpy_linalg_function_is_registered():
    from autotape.ops.registry import REGISTRY

    public = {n for n in dir(np.linalg) if not n.startswith("_") and callable(getattr(np.linalg, n))}
    public -= {"LinAlgError", "test"}
    missing = sorted(n for n in public if f"numpy.linalg.{n}" not in REGISTRY)
    assert missing == []


def test_svd_and_pinv_with_hermitian_true_agree_with_the_general_rules_on_symmetric_perturbations():
    a = _random_spd(3) - 2.5 * np.eye(3)  # symmetric, eigenvalues of both signs
    a = (a + a.T) / 2
    for f in (
        lambda a: np.linalg.svd(a, hermitian=True, compute_uv=False),
        lambda a: np.linalg.svd(a, hermitian=True)[1],
        lambda a: np.linalg.pinv(a, hermitian=True),
    ):
        general = _grad(lambda a: at.sum(f(_hermitian(a)) * np.arange(1.0, 1.0 + f(a).size).reshape(f(a).shape)), a)
        expected = _fd_gradient(
            lambda a: np.sum(f(_hermitian(a)) * np.arange(1.0, 1.0 + f(a).size).reshape(f(a).shape)), a
        )
        np.testing.assert_allclose(general, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "name, part",
    [("eigh", 0), ("eigh", 1), ("slogdet", 1), ("svd", 1), ("qr", 1)],
)
def test_decompositions_of_an_empty_batch_differentiate(name, part):
    # The outputs' packing reshaped with -1, which NumPy cannot infer for an empty batch.
    a = np.zeros((0, 2, 2))

    def f(a):
        return getattr(np.linalg, name)(a)[part]

    assert at.grad(lambda a: np.sum(f(a)))(a).shape == (0, 2, 2)
    out, tangent = at.jvp(f, (a,), (a,))
    assert tangent.shape == np.shape(out) == np.shape(getattr(np.linalg, name)(a)[part])

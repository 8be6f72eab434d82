"""Exact tests of the ops of ``autotape/ops/more.py`` beyond the generated properties of
``tests/test_ops.py``: blocks, polynomials, covariance, unique values and sets, histograms,
functions applied along axes or on pieces, the constants, and the refused in-place functions.

Values are checked against NumPy exactly; derivatives against hand-derived formulas (most of
these ops are linear or nearly so) or central finite differences.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import autotape as at
import autotape.numpy as anp
from autotape.testing import check_grads


def weighted_grad(f, x, w, argnums=0, *rest):
    """``grad(sum(f(x, *rest) * w))``."""
    return at.grad(lambda *a: np.sum(f(*a) * w), argnums=argnums)(x, *rest)


def central_difference(f, x, step=1e-6):
    """The gradient of the scalar ``f`` at ``x`` by central differences, element by element."""
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = step
        g[i] = (f(x + e) - f(x - e)) / (2 * step)
    return g


def assert_complex_grad(loss, z, step=1e-6):
    """``grad`` of the real ``loss`` at complex ``z`` is ``dL/dx - i dL/dy`` (JAX's convention),
    both parts by central differences."""
    g = at.grad(loss)(z)
    d_real = central_difference(lambda x: loss(x + 1j * z.imag), z.real, step)
    d_imag = central_difference(lambda y: loss(z.real + 1j * y), z.imag, step)
    np.testing.assert_allclose(g, d_real - 1j * d_imag, rtol=1e-7, atol=1e-9)


# --------------------------------------------------------------------------------------
# block, broadcast_arrays, diagflat, matrix_transpose
# --------------------------------------------------------------------------------------


def test_block_sends_each_block_the_cotangent_of_its_place():
    a, b = np.arange(4.0).reshape(2, 2), np.arange(2.0).reshape(2, 1) + 10
    c, d = np.array([[20.0, 21.0]]), np.array(30.0)  # d is 0-d: promoted to (1, 1)
    w = np.arange(9.0).reshape(3, 3)
    layout = lambda a, b, c, d: [[a, b], [c, d]]  # noqa: E731
    out = at.vjp(lambda *blocks: np.block(layout(*blocks)), a, b, c, d)[0]
    np.testing.assert_array_equal(out, np.block(layout(a, b, c, d)))
    grads = at.grad(lambda *blocks: np.sum(np.block(layout(*blocks)) * w), argnums=(0, 1, 2, 3))(a, b, c, d)
    np.testing.assert_array_equal(grads[0], w[:2, :2])
    np.testing.assert_array_equal(grads[1], w[:2, 2:])
    np.testing.assert_array_equal(grads[2], w[2:, :2])
    assert grads[3] == w[2, 2] and np.shape(grads[3]) == ()


def test_block_three_levels_mixed_with_plain_arrays_and_promotion():
    x = np.arange(8.0, dtype=np.float32).reshape(2, 2, 2)
    plain = np.ones((2, 2, 1))  # float64: the result is float64, as NumPy's
    f = lambda x: np.block([[[x, plain]]])  # noqa: E731
    out = at.vjp(f, x)[0]
    np.testing.assert_array_equal(out, np.block([[[x, plain]]]))
    assert out.dtype == np.float64
    w = np.arange(12.0).reshape(2, 2, 3)
    g = weighted_grad(f, x, w)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, w[..., :2])


def test_block_errors_are_numpys():
    x = np.ones((2, 2))
    with pytest.raises(ValueError, match="depths are mismatched"):
        at.grad(lambda x: np.sum(np.block([x, [x]])))(x)
    with pytest.raises(TypeError, match="tuple"):
        at.grad(lambda x: np.sum(np.block((x, x))))(x)
    with pytest.raises(ValueError):
        at.grad(lambda x: np.sum(np.block([[x], [np.ones((2, 3))]])))(x)


def test_broadcast_arrays_sum_the_cotangent_over_broadcast_axes():
    x, y = np.array([[1.0], [2.0], [3.0]]), np.array([[10.0, 20.0]])
    u, v = np.arange(6.0).reshape(3, 2), np.arange(6.0, 12.0).reshape(3, 2)
    gx, gy = at.grad(lambda x, y: np.sum(np.broadcast_arrays(x, y)[0] * u + np.broadcast_arrays(x, y)[1] * v), (0, 1))(
        x, y
    )
    np.testing.assert_array_equal(gx, u.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(gy, v.sum(axis=0, keepdims=True))
    out = at.vjp(lambda x: np.broadcast_arrays(x, y), x)[0]
    assert isinstance(out, tuple) and len(out) == 2
    for ours, numpys in zip(out, np.broadcast_arrays(x, y)):
        np.testing.assert_array_equal(ours, numpys)
    with pytest.raises(ValueError):
        at.grad(lambda x: np.sum(np.broadcast_arrays(x, np.ones((4, 2)))[0]))(x)


@pytest.mark.parametrize("k", [-2, 0, 1])
def test_diagflat_reads_the_diagonal_back(k):
    v = np.array([[1.0, 2.0], [3.0, 4.0]])
    n = v.size + abs(k)
    w = np.arange(float(n * n)).reshape(n, n)
    np.testing.assert_array_equal(at.vjp(lambda v: np.diagflat(v, k), v)[0], np.diagflat(v, k))
    np.testing.assert_array_equal(weighted_grad(lambda v: np.diagflat(v, k), v, w), np.diagonal(w, k).reshape(2, 2))


def test_matrix_transpose_swaps_the_last_two_axes_and_refuses_vectors():
    x = np.arange(24.0).reshape(2, 3, 4)
    w = np.arange(24.0).reshape(2, 4, 3)
    np.testing.assert_array_equal(at.vjp(np.matrix_transpose, x)[0], np.matrix_transpose(x))
    np.testing.assert_array_equal(weighted_grad(np.matrix_transpose, x, w), np.swapaxes(w, -1, -2))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        at.grad(lambda x: np.sum(np.matrix_transpose(x)))(np.ones(3))


# --------------------------------------------------------------------------------------
# modf and frexp
# --------------------------------------------------------------------------------------


def test_modf_fraction_has_derivative_one_and_the_integral_part_zero():
    x = np.array([1.5, -2.25, 3.0, -3.0, np.inf, 0.75])
    frac, whole = at.vjp(np.modf, x)[0]
    expected_frac, expected_whole = np.modf(x)
    np.testing.assert_array_equal(frac, expected_frac)
    np.testing.assert_array_equal(np.signbit(frac), np.signbit(expected_frac))  # -0.0 for -3.0, as NumPy
    np.testing.assert_array_equal(whole, expected_whole)
    w = np.arange(1.0, 7.0)
    np.testing.assert_array_equal(weighted_grad(lambda x: np.modf(x)[0], x, w), [1, 2, 3, 4, 0, 6])  # 0 at inf
    np.testing.assert_array_equal(weighted_grad(lambda x: np.modf(x)[1], x, w), np.zeros(6))
    np.testing.assert_array_equal(at.grad(at.grad(lambda x: np.modf(x)[0] ** 2))(0.25), 2.0)


def test_frexp_mantissa_has_derivative_two_to_the_minus_exponent():
    x = np.array([3.0, -0.3, 10.0, 0.5], dtype=np.float32)
    mantissa, exponent = np.frexp(x)
    m, e = at.vjp(np.frexp, x)[0]
    np.testing.assert_array_equal(m, mantissa)
    assert m.dtype == np.float32
    np.testing.assert_array_equal(e, exponent)
    g = at.grad(lambda x: np.sum(np.frexp(x)[0]))(x)
    np.testing.assert_array_equal(g, 2.0 ** -exponent.astype(np.float32))
    assert g.dtype == np.float32


# --------------------------------------------------------------------------------------
# Polynomials
# --------------------------------------------------------------------------------------


def test_polyadd_and_polysub_align_at_the_constant_term():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0])
    w = np.array([1.0, 2.0, 3.0])
    for name, sign in (("polyadd", 1.0), ("polysub", -1.0)):
        f = getattr(np, name)
        np.testing.assert_array_equal(at.vjp(lambda a, b: f(a, b), a, b)[0], f(a, b))
        ga, gb = at.grad(lambda a, b: np.sum(f(a, b) * w), (0, 1))(a, b)
        np.testing.assert_array_equal(ga, w)
        np.testing.assert_array_equal(gb, sign * w[1:])
        ga, gb = at.grad(lambda a, b: np.sum(f(b, a) * w), (0, 1))(a, b)  # the shorter first
        np.testing.assert_array_equal(ga, sign * w)
        np.testing.assert_array_equal(gb, w[1:])


def test_polymul_is_a_convolution_and_drops_leading_zeros_as_numpy():
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0, 4.0])
    w = np.array([1.0, 10.0, 100.0, 1000.0])
    np.testing.assert_array_equal(at.vjp(np.polymul, a, b)[0], np.polymul(a, b))
    ga, gb = at.grad(lambda a, b: np.sum(np.polymul(a, b) * w), (0, 1))(a, b)
    # d/da_i sum_k w_k sum_{i+j=k} a_i b_j = sum_j w_{i+j} b_j
    np.testing.assert_array_equal(ga, [w[0] * 3 + w[1] * -1 + w[2] * 4, w[1] * 3 + w[2] * -1 + w[3] * 4])
    np.testing.assert_array_equal(gb, [w[0] + 2 * w[1], w[1] + 2 * w[2], w[2] + 2 * w[3]])
    padded = np.array([0.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(at.vjp(lambda p: np.polymul(p, b), padded)[0], np.polymul(padded, b))
    np.testing.assert_array_equal(at.vjp(lambda p: np.polymul(p, b), np.zeros(2))[0], np.polymul(np.zeros(2), b))


def test_polyder_and_polyint_are_the_calculus_of_coefficients():
    p = np.array([4.0, 3.0, 2.0, 1.0])  # 4x^3 + 3x^2 + 2x + 1
    for m in range(4):
        np.testing.assert_array_equal(at.vjp(lambda p: np.polyder(p, m), p)[0], np.polyder(p, m))
    # second derivative [24, 6] = [6 p0, 2 p1]
    np.testing.assert_array_equal(weighted_grad(lambda p: np.polyder(p, 2), p, np.array([1.0, 10.0])), [6, 20, 0, 0])
    with pytest.raises(ValueError, match="non-negative"):
        at.grad(lambda p: np.sum(np.polyder(p, -1)))(p)
    # polyint: [4, 3, 2, 1] -> [1, 1, 1, 1, k]; twice with k = [k0, k1]: [.2, .25, 1/3, .5, k0, k1]
    k = np.array([5.0, 7.0])
    out = at.vjp(lambda p, k: np.polyint(p, 2, k), p, k)[0]
    np.testing.assert_array_equal(out, np.polyint(p, 2, k))
    w = np.arange(1.0, 7.0)
    gp, gk = at.grad(lambda p, k: np.sum(np.polyint(p, 2, k) * w), (0, 1))(p, k)
    np.testing.assert_allclose(gp, w[:4] / [20.0, 12.0, 6.0, 2.0], rtol=1e-15)
    np.testing.assert_allclose(gk, [w[4], w[5]], rtol=1e-15)  # k0 is divided by 1 once
    # One constant for every step, differentiated at each (NumPy dispatches on p only: autotape.numpy).
    g = at.grad(lambda c: np.sum(anp.polyint(p, 3, c) * np.arange(1.0, 8.0)))(2.0)
    assert g == 5.0 / 2 + 6.0 + 7.0  # the first constant integrated twice more: c x^2 / 2
    with pytest.raises(ValueError, match="at least m = 3"):
        at.grad(lambda p: np.sum(np.polyint(p, 3, k)))(p)


def test_polydiv_quotient_and_remainder_and_their_derivatives():
    u, v = np.array([2.0, 3.0, -1.0, 5.0]), np.array([1.5, -0.5, 2.0])
    (q, r), (q_np, r_np) = at.vjp(np.polydiv, u, v)[0], np.polydiv(u, v)
    np.testing.assert_array_equal(q, q_np)
    np.testing.assert_array_equal(r, r_np)
    w_q, w_r = np.array([1.0, -2.0]), np.array([0.5, 3.0])

    def loss(u, v):
        q, r = np.polydiv(u, v)
        return np.sum(q * w_q) + np.sum(r * w_r)

    gu, gv = at.grad(loss, (0, 1))(u, v)
    np.testing.assert_allclose(gu, central_difference(lambda u: loss(u, v), u), rtol=1e-8)
    np.testing.assert_allclose(gv, central_difference(lambda v: loss(u, v), v), rtol=1e-8)
    # An exact division: the remainder's leading zeros are dropped, as NumPy drops them.
    q, r = at.vjp(np.polydiv, np.polymul([1.0, 2.0], [1.0, -3.0, 2.0]), np.array([1.0, 2.0]))[0]
    np.testing.assert_allclose(q, [1.0, -3.0, 2.0])
    assert r.shape == (1,)


def test_poly_of_roots_and_of_complex_conjugate_roots():
    r = np.array([1.0, 2.0, -3.0])
    np.testing.assert_array_equal(at.vjp(np.poly, r)[0], np.poly(r))
    # (x - r0)(x - r1)(x - r2): d coeffs / d r0 = -(x - r1)(x - r2) = -[1, -(r1 + r2), r1 r2]
    jac = at.jacobian(np.poly)(r)
    np.testing.assert_allclose(jac[:, 0], [0.0, -1.0, -1.0, 6.0], rtol=1e-15)
    np.testing.assert_allclose(jac[:, 1], [0.0, -1.0, -2.0, 3.0], rtol=1e-15)
    # Roots closed under conjugation give the real coefficients [1, -2a, a^2 + b^2].
    a, b = 1.5, 0.5
    out = at.vjp(lambda z: np.poly(z), np.array([a + b * 1j, a - b * 1j]))[0]
    np.testing.assert_array_equal(out, np.poly([a + b * 1j, a - b * 1j]))
    assert out.dtype == np.float64
    g = at.grad(lambda t: np.sum(np.poly(anp.array([t[0] + t[1] * 1j, t[0] - t[1] * 1j])) * [0.0, 1.0, 1.0]))(
        np.array([a, b])
    )
    np.testing.assert_allclose(g, [-2.0 + 2 * a, 2 * b], rtol=1e-14)  # d(-2a + a^2 + b^2)
    assert at.grad(lambda x: np.poly(x[:0]) * np.sum(x))(np.ones(2)).tolist() == [1.0, 1.0]  # no roots: 1.0


# --------------------------------------------------------------------------------------
# cov and corrcoef
# --------------------------------------------------------------------------------------


def test_cov_gradient_is_the_symmetrized_cotangent_times_the_centred_data():
    rng = np.random.default_rng(0)
    X, W = rng.standard_normal((3, 5)), rng.standard_normal((3, 3))
    np.testing.assert_array_equal(at.vjp(np.cov, X)[0], np.cov(X))
    centred = X - X.mean(axis=1, keepdims=True)
    for ddof in (None, 0, 2):
        n = 5 - (1 if ddof is None else ddof)
        g = weighted_grad(lambda X: np.cov(X, ddof=ddof), X, W)
        np.testing.assert_allclose(g, (W + W.T) @ centred / n, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rowvar": False},
        {"bias": True},
        {"fweights": np.array([1, 2, 1, 3])},
        {"aweights": np.array([0.5, 1.0, 2.0, 1.5])},
        {"fweights": np.array([2, 1, 1, 3]), "aweights": np.array([0.5, 1.0, 2.0, 1.5]), "ddof": 1},
        {"dtype": np.float32},
    ],
    ids=repr,
)
def test_cov_with_y_and_every_option_matches_numpy_and_finite_differences(kwargs):
    rng = np.random.default_rng(1)
    rows = kwargs.get("rowvar") is not False
    m = rng.standard_normal((2, 4) if rows else (4, 2))
    y = rng.standard_normal((4,))
    expected = np.cov(m, y, **kwargs)
    out = at.vjp(lambda m, y: np.cov(m, y, **kwargs), m, y)[0]
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == expected.dtype
    if kwargs.get("dtype") is None:
        check_grads(lambda m, y: np.cov(m, y, **kwargs), (m, y), order=2)


def test_cov_of_one_variable_and_of_complex_data():
    x = np.array([1.0, 2.0, 4.0])
    assert at.vjp(np.cov, x)[0].shape == ()
    # var with ddof=1: d/dx_i = 2 (x_i - mean) / (n - 1)
    np.testing.assert_allclose(at.grad(np.cov)(x), x - x.mean(), rtol=1e-15)
    z = np.array([[1 + 2j, 2 - 1j, 0.5j], [1.0, -1j, 2 + 0j]])
    np.testing.assert_array_equal(at.vjp(np.cov, z)[0], np.cov(z))
    assert_complex_grad(lambda z: np.sum(np.real(np.cov(z) * (1 + 2j))), z)


def test_cov_checks_its_weights():
    X = np.ones((2, 3))
    with pytest.raises(TypeError, match="fweights must be integers"):
        at.grad(lambda X: np.sum(np.cov(X, fweights=[1.5, 1, 1])))(X)
    with pytest.raises(RuntimeError, match="3 samples"):
        at.grad(lambda X: np.sum(np.cov(X, aweights=[1.0, 1.0])))(X)
    with pytest.raises(ValueError, match="negative"):
        at.grad(lambda X: np.sum(np.cov(X, aweights=[1.0, -1.0, 1.0])))(X)
    with pytest.raises(ValueError, match="more than 2 dimensions"):
        at.grad(lambda X: np.sum(np.cov(X)))(np.ones((2, 2, 2)))


def test_corrcoef_matches_numpy_its_diagonal_has_zero_gradient():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 6))
    np.testing.assert_array_equal(at.vjp(np.corrcoef, X)[0], np.corrcoef(X))
    np.testing.assert_allclose(weighted_grad(np.corrcoef, X, np.eye(3)), np.zeros((3, 6)), atol=1e-15)
    check_grads(np.corrcoef, (X,), order=2)
    y = rng.standard_normal(6)
    np.testing.assert_array_equal(at.vjp(lambda X, y: np.corrcoef(X, y), X, y)[0], np.corrcoef(X, y))
    check_grads(lambda X, y: np.corrcoef(X.T, y, rowvar=False), (X, y), order=1)
    # One variable: c / c, 1.0 with zero gradient.
    assert at.vjp(np.corrcoef, y)[0] == 1.0
    assert np.all(at.grad(np.corrcoef)(y) == 0.0)


def test_corrcoef_of_complex_data():
    z = np.array([[1 + 2j, 2 - 1j, 0.5j, 1.0], [1.0, -1j, 2 + 0j, 0.5 - 0.5j]])
    np.testing.assert_array_equal(at.vjp(np.corrcoef, z)[0], np.corrcoef(z))
    assert_complex_grad(lambda z: np.real(np.corrcoef(z)[0, 1] * (2 - 1j)), z)


# --------------------------------------------------------------------------------------
# Unique values and sets: repeats share the cotangent equally
# --------------------------------------------------------------------------------------


def test_unique_forms_split_repeats_equally_and_return_numpys_named_tuples():
    x = np.array([[3.0, 1.0], [3.0, 2.0]])
    w = np.array([1.0, 2.0, 3.0])
    expected_grad = [[1.5, 1.0], [1.5, 2.0]]
    for name in ("unique_values", "unique_counts", "unique_inverse", "unique_all"):
        f = getattr(np, name)
        out, expected = at.vjp(f, x)[0], f(x)
        assert type(out) is type(expected)
        for ours, numpys in zip(
            out if isinstance(out, tuple) else [out], expected if isinstance(out, tuple) else [expected]
        ):
            np.testing.assert_array_equal(ours, numpys)
        values = (lambda x: f(x).values) if isinstance(expected, tuple) else f
        np.testing.assert_array_equal(weighted_grad(values, x, w), expected_grad)


def test_set_functions_values_and_gradients():
    a, b = np.array([1.0, 2.0, 3.0, 2.0]), np.array([2.0, 5.0, 3.0])
    cases = {
        # value -> elements equal to it (in a, then b), each getting 1/count of its cotangent
        "intersect1d": ([2.0, 3.0], {2.0: ([1, 3], [0]), 3.0: ([2], [2])}),
        "union1d": ([1.0, 2.0, 3.0, 5.0], {1.0: ([0], []), 2.0: ([1, 3], [0]), 3.0: ([2], [2]), 5.0: ([], [1])}),
        "setxor1d": ([1.0, 5.0], {1.0: ([0], []), 5.0: ([], [1])}),
        "setdiff1d": ([1.0], {1.0: ([0], [])}),
    }
    for name, (values, owners) in cases.items():
        f = getattr(np, name)
        out = at.vjp(f, a, b)[0]
        np.testing.assert_array_equal(out, f(a, b))
        np.testing.assert_array_equal(out, values)
        w = np.arange(1.0, len(values) + 1)
        ga, gb = at.grad(lambda a, b: np.sum(f(a, b) * w), (0, 1))(a, b)
        expected_a, expected_b = np.zeros(4), np.zeros(3)
        for weight, value in zip(w, values):
            in_a, in_b = owners[value]
            count = len(in_a) + (len(in_b) if name != "setdiff1d" else 0)
            expected_a[in_a] += weight / count
            if name != "setdiff1d":
                expected_b[in_b] += weight / count
        np.testing.assert_array_equal(ga, expected_a, err_msg=name)
        np.testing.assert_array_equal(gb, expected_b, err_msg=name)


def test_intersect1d_indices_are_numpys_constants():
    a, b = np.array([4.0, 1.0, 3.0]), np.array([3.0, 4.0, 7.0])
    values, i, j = at.vjp(lambda a: np.intersect1d(a, b, return_indices=True), a)[0]
    expected = np.intersect1d(a, b, return_indices=True)
    for ours, numpys in zip((values, i, j), expected):
        np.testing.assert_array_equal(ours, numpys)
    g = at.grad(lambda a: np.sum(np.intersect1d(a, b, return_indices=True)[0] * [10.0, 20.0]))(a)
    np.testing.assert_array_equal(g, [10.0, 0.0, 5.0])  # 3 (also in b: half) and 4 (also in b: half)


# --------------------------------------------------------------------------------------
# real_if_close
# --------------------------------------------------------------------------------------


def test_real_if_close_is_real_for_tiny_imaginary_parts_and_the_identity_otherwise():
    tiny = np.array([1.0 + 1e-15j, -2.0 + 0j])
    out = at.vjp(np.real_if_close, tiny)[0]
    np.testing.assert_array_equal(out, np.real_if_close(tiny))
    assert out.dtype == np.float64
    w = np.array([3.0, 5.0])
    np.testing.assert_array_equal(at.grad(lambda z: np.sum(np.real_if_close(z) * w))(tiny), w.astype(complex))
    large = np.array([1.0 + 1e-3j, 2.0 + 0j])
    assert at.vjp(np.real_if_close, large)[0].dtype == np.complex128
    g = at.grad(lambda z: np.sum(np.real(np.real_if_close(z) * (w * 1j))))(large)
    np.testing.assert_array_equal(g, w * 1j)  # L = sum(Re(i w z)) = -sum(w y): dL/dx - i dL/dy = i w
    assert at.vjp(lambda z: np.real_if_close(z, tol=1e-2), large)[0].dtype == np.float64
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(weighted_grad(np.real_if_close, x, w), w)


# --------------------------------------------------------------------------------------
# apply_along_axis, apply_over_axes, piecewise
# --------------------------------------------------------------------------------------


def test_apply_along_axis_follows_the_users_function():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 4))
    w = rng.standard_normal((2, 3, 3, 4))
    f = lambda x: np.apply_along_axis(lambda v: np.outer(v, v[:3]), 1, x)  # noqa: E731
    np.testing.assert_array_equal(at.vjp(f, x)[0], np.apply_along_axis(lambda v: np.outer(v, v[:3]), 1, x))
    expected = central_difference(lambda x: np.sum(np.apply_along_axis(lambda v: np.outer(v, v[:3]), 1, x) * w), x)
    np.testing.assert_allclose(weighted_grad(f, x, w), expected, rtol=1e-7, atol=1e-9)
    # An extra traced argument, and a scalar result per slice.
    scale = np.array(1.5)
    g_x, g_s = at.grad(lambda x, s: np.sum(np.apply_along_axis(lambda v, s: s * np.sum(v**2), -1, x, s)), (0, 1))(
        x, scale
    )
    np.testing.assert_allclose(g_x, 2 * scale * x, rtol=1e-15)
    np.testing.assert_allclose(g_s, np.sum(x**2), rtol=1e-14)


def test_apply_along_axis_broadcasts_later_results_and_refuses_empty_axes():
    x = np.arange(6.0).reshape(2, 3)
    func = lambda v: v * 2 if v[0] == 0 else np.sum(v)  # noqa: E731  (a vector, then a scalar)
    np.testing.assert_array_equal(
        at.vjp(lambda x: np.apply_along_axis(func, 1, x), x)[0], np.apply_along_axis(func, 1, x)
    )
    np.testing.assert_array_equal(
        weighted_grad(lambda x: np.apply_along_axis(func, 1, x), x, np.ones((2, 3))), [[2, 2, 2], [3, 3, 3]]
    )
    with pytest.raises(ValueError, match="length 0"):
        at.grad(lambda x: np.sum(np.apply_along_axis(np.sum, 1, x)))(np.ones((0, 3)))


def test_apply_over_axes_keeps_the_dimensions():
    x = np.arange(24.0).reshape(2, 3, 4)
    out = at.vjp(lambda x: np.apply_over_axes(np.sum, x, [0, -1]), x)[0]
    np.testing.assert_array_equal(out, np.apply_over_axes(np.sum, x, [0, -1]))
    assert out.shape == (1, 3, 1)
    w = np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1)
    np.testing.assert_array_equal(
        weighted_grad(lambda x: np.apply_over_axes(np.sum, x, [0, 2]), x, w), np.broadcast_to(w, x.shape)
    )
    with pytest.raises(ValueError, match="dimensions"):
        at.grad(lambda x: np.sum(np.apply_over_axes(lambda a, axis: np.sum(a), x, 0)))(x)


def test_piecewise_functions_values_and_overrides():
    x = np.array([-2.0, -0.5, 0.5, 2.0, 3.0])
    conditions = [x < 0, x > 1, x > 2.5]  # the last overrides the second at 3.0
    functions = [lambda v: v**2, lambda v: 3 * v, 7.0, lambda v: np.sin(v)]  # "otherwise" for 0.5: sin
    out = at.vjp(lambda x: np.piecewise(x, conditions, functions), x)[0]
    np.testing.assert_array_equal(out, np.piecewise(x, conditions, functions))
    g = at.grad(lambda x: np.sum(np.piecewise(x, conditions, functions)))(x)
    np.testing.assert_array_equal(g, [-4.0, -1.0, np.cos(0.5), 3.0, 0.0])
    # A traced value among the functions (through autotape.numpy: NumPy does not dispatch on it).
    gc = at.grad(lambda c: np.sum(anp.piecewise(x, [x < 0], [c, lambda v: v])))(2.0)
    assert gc == 2.0
    with pytest.raises(ValueError, match="either 3 or 4 functions"):
        at.grad(lambda x: np.sum(np.piecewise(x, conditions, [1.0, 2.0])))(x)


def test_piecewise_on_a_0d_value_and_int_casting():
    np.testing.assert_array_equal(at.grad(lambda x: np.piecewise(x, [x > 0], [lambda v: v**3, 0.0]))(2.0), 12.0)
    x32 = np.array([1.0, -1.0], dtype=np.float32)
    out = at.vjp(lambda x: np.piecewise(x, [x > 0], [lambda v: v * 2.0, 1.0]), x32)[0]
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.piecewise(x32, [x32 > 0], [lambda v: v * 2.0, 1.0]))


# --------------------------------------------------------------------------------------
# Histograms
# --------------------------------------------------------------------------------------


def test_histogram_bin_edges_follow_the_extremes_of_the_data():
    x = np.array([0.5, 4.0, 1.0, 3.0, 2.5])
    bins = 4
    out = at.vjp(lambda x: np.histogram_bin_edges(x, bins), x)[0]
    np.testing.assert_array_equal(out, np.histogram_bin_edges(x, bins))
    w = np.arange(1.0, 6.0)
    i = np.arange(5.0)
    # edges_i = min + i (max - min) / bins
    expected = np.zeros(5)
    expected[0], expected[1] = np.sum(w * (1 - i / bins)), np.sum(w * i / bins)
    np.testing.assert_allclose(weighted_grad(lambda x: np.histogram_bin_edges(x, bins), x, w), expected, rtol=1e-15)
    for estimator in ("auto", "fd", "sturges", "sqrt"):
        out = at.vjp(lambda x: np.histogram_bin_edges(x, estimator), x)[0]
        np.testing.assert_array_equal(out, np.histogram_bin_edges(x, estimator))
        n = len(out) - 1
        g = at.grad(lambda x: np.histogram_bin_edges(x, estimator)[-1] + np.histogram_bin_edges(x, estimator)[1])(x)
        np.testing.assert_allclose(g, [1 - 1 / n, 1 + 1 / n, 0, 0, 0], rtol=1e-14, err_msg=estimator)


def test_histogram_bin_edges_of_equal_values_a_range_or_given_edges():
    same = np.array([2.0, 2.0])
    np.testing.assert_array_equal(at.vjp(lambda x: np.histogram_bin_edges(x, 2), same)[0], [1.5, 2.0, 2.5])
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(np.histogram_bin_edges(x, 2)))(same), [1.5, 1.5])  # ties
    lo_hi = np.array([-1.0, 3.0])
    # NumPy does not dispatch on range: autotape.numpy's function takes a traced one.
    g = at.grad(lambda r: anp.histogram_bin_edges(np.array([0.0, 1.0]), 4, range=(r[0], r[1]))[1])(lo_hi)
    np.testing.assert_array_equal(g, [0.75, 0.25])
    edges = np.array([0.0, 1.0, 5.0])
    np.testing.assert_array_equal(
        at.grad(lambda e: np.sum(np.histogram_bin_edges(np.ones(3), e) * [1, 2, 3]))(edges), [1, 2, 3]
    )


def test_histogram_counts_are_constants_and_weights_are_summed_per_bin():
    x = np.array([0.0, 0.2, 0.9, 1.0, 0.5, 7.0])
    weights = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    for kwargs in ({}, {"bins": 3, "range": (0.0, 1.0)}, {"bins": [0.0, 0.3, 1.0]}):
        hist, edges = at.vjp(lambda x: np.histogram(x, **kwargs), x)[0]
        expected = np.histogram(x, **kwargs)
        np.testing.assert_array_equal(hist, expected[0])
        np.testing.assert_array_equal(edges, expected[1])
        hist, _ = at.vjp(lambda w: np.histogram(x, weights=w, **kwargs), weights)[0]
        np.testing.assert_array_equal(hist, np.histogram(x, weights=weights, **kwargs)[0])
    # bins [0, 1/3), [1/3, 2/3), [2/3, 1]; 7.0 is outside the range: no gradient
    v = np.array([10.0, 20.0, 30.0])
    g = at.grad(lambda w: np.sum(np.histogram(x, bins=3, range=(0.0, 1.0), weights=w)[0] * v))(weights)
    np.testing.assert_array_equal(g, [10.0, 10.0, 30.0, 30.0, 20.0, 0.0])


def test_histogram_density_differentiates_through_the_bin_widths():
    x = np.array([1.0, 1.5, 2.2, 3.0, 5.0])
    bins = 4
    hist, edges = at.vjp(lambda x: np.histogram(x, bins, density=True), x)[0]
    expected = np.histogram(x, bins, density=True)
    np.testing.assert_array_equal(hist, expected[0])
    np.testing.assert_array_equal(edges, expected[1])
    counts = np.histogram(x, bins)[0]
    v = np.array([1.0, -2.0, 0.5, 3.0])
    # density_i = c_i bins / (N (max - min)): d/dmax = -d/dmin = -c_i bins / (N (max - min)^2)
    slope = -np.sum(v * counts) * bins / (len(x) * (x.max() - x.min()) ** 2)
    g = at.grad(lambda x: np.sum(np.histogram(x, bins, density=True)[0] * v))(x)
    np.testing.assert_allclose(g, [-slope, 0, 0, 0, slope], rtol=1e-14)
    weights = np.array([1.0, 2.0, 0.5, 1.0, 3.0])
    check_grads(lambda w: np.histogram(x, bins, density=True, weights=w)[0], (weights,), order=2)


def test_histogram_errors_are_numpys():
    x = np.array([0.0, 1.0])
    with pytest.raises(ValueError, match="max must be larger than min"):
        at.grad(lambda x: np.sum(np.histogram(x, 2, range=(1.0, 0.0))[1]))(x)
    with pytest.raises(TypeError, match="weighted data"):
        at.grad(lambda w: np.sum(np.histogram(x, "auto", weights=w)[0]))(np.ones(2))
    with pytest.raises(ValueError, match="increase monotonically"):
        at.grad(lambda x: np.sum(np.histogram(x, [1.0, 0.0])[1]))(x)


def test_histogramdd_and_histogram2d_match_numpy_in_every_form():
    rng = np.random.default_rng(4)
    x, y = rng.uniform(0, 1, 7), rng.uniform(-1, 1, 7)
    weights = rng.uniform(0.5, 2, 7)
    forms = [
        {},
        {"bins": [2, 3], "range": [(0.0, 1.0), None]},
        {"bins": [np.array([0.0, 0.5, 1.0]), 2], "density": True},
        {"bins": 3, "weights": weights, "density": True},
    ]
    for kwargs in forms:
        hist, edges = at.vjp(lambda x, y: np.histogramdd([x, y], **kwargs), x, y)[0]
        expected_hist, expected_edges = np.histogramdd([x, y], **kwargs)
        np.testing.assert_array_equal(hist, expected_hist)
        for ours, numpys in zip(edges, expected_edges):
            np.testing.assert_array_equal(ours, numpys)
        hist2, xedges, yedges = at.vjp(lambda x, y: np.histogram2d(x, y, **kwargs), x, y)[0]
        np.testing.assert_array_equal(hist2, np.histogram2d(x, y, **kwargs)[0])
        np.testing.assert_array_equal(yedges, np.histogram2d(x, y, **kwargs)[2])
    sample = np.stack([x, y], axis=1)
    np.testing.assert_array_equal(at.vjp(lambda s: np.histogramdd(s, 2)[0], sample)[0], np.histogramdd(sample, 2)[0])


def test_histogramdd_weights_go_to_their_cells_and_the_edges_follow_the_extremes():
    x, y = np.array([0.0, 0.4, 1.0, 0.9]), np.array([0.0, 2.0, 1.1, 0.5])
    weights = np.array([1.0, 2.0, 3.0, 4.0])
    v = np.array([[1.0, 2.0], [3.0, 4.0]])  # cells: x in [0, .5) / [.5, 1]; y in [0, 1) / [1, 2]
    g = at.grad(lambda w: np.sum(np.histogram2d(x, y, 2, weights=w)[0] * v))(weights)
    np.testing.assert_array_equal(g, [v[0, 0], v[0, 1], v[1, 1], v[1, 0]])
    # yedges = min + i (max - min) / 2: d sum(yedges * u) / d y = u-weighted at the extremes
    u = np.array([1.0, 10.0, 100.0])
    gy = at.grad(lambda y: np.sum(np.histogram2d(x, y, 2)[2] * u))(y)
    np.testing.assert_allclose(gy, [1.0 + 10.0 / 2, 10.0 / 2 + 100.0, 0.0, 0.0], rtol=1e-15)
    # density: cell counts / (N * cell area), the area from the extremes
    density = lambda x, y: np.sum(np.histogram2d(x, y, 2, density=True)[0] * v)  # noqa: E731
    gx, gy = at.grad(density, (0, 1))(x, y)
    np.testing.assert_allclose(gx, central_difference(lambda x: density(x, y), x), rtol=1e-7)
    np.testing.assert_allclose(gy, central_difference(lambda y: density(x, y), y), rtol=1e-7)
    assert gx[1] == 0.0 and gy[3] == 0.0  # neither an extreme


def test_histogram2d_errors():
    with pytest.raises(ValueError, match="same length"):
        at.grad(lambda x: np.sum(np.histogram2d(x, np.ones(2))[1]))(np.ones(3))
    with pytest.raises(ValueError):
        at.grad(lambda x: np.sum(np.histogramdd(x, bins=[2, 2, 2])[0]))(np.ones((3, 2)))


# --------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------


def test_constants_run_on_the_primal_values(tmp_path):
    x = np.array([1.0, 2.0, 3.0])

    def f(x):
        assert np.isin(x, [2.0]).tolist() == [False, True, False]
        assert np.array2string(x) == np.array2string(np.array([1.0, 2.0, 3.0]))
        assert "array" in np.array_repr(x) and np.array_str(x) == "[1. 2. 3.]"
        assert np.can_cast(x, np.float32, "same_kind") and np.min_scalar_type(x) == np.float64
        assert np.common_type(x) is np.float64 and not np.shares_memory(x, np.zeros(3))
        np.testing.assert_array_equal(np.diag_indices_from(np.outer(x, x))[0], [0, 1, 2])
        np.testing.assert_array_equal(np.tril_indices_from(np.outer(x, x))[1], np.tril_indices(3)[1])
        assert np.unravel_index(np.ravel_multi_index(([1], [2]), (3, 3)), (3, 3))[1].tolist() == [2]
        np.save(tmp_path / "x.npy", x)
        np.savez(tmp_path / "x.npz", x=x)
        np.savetxt(tmp_path / "x.txt", x)
        return np.sum(x**2)

    np.testing.assert_array_equal(at.grad(f)(x), 2 * x)
    np.testing.assert_array_equal(np.load(tmp_path / "x.npy"), x)
    np.testing.assert_array_equal(np.load(tmp_path / "x.npz")["x"], x)
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "x.txt"), x)

    # Ufunc constants (on a traced integer array), their methods too.
    def g(x):
        k = np.astype(x * 6.0, np.int64)  # [6, 12, 18]
        assert np.gcd(k, 4).tolist() == [2, 4, 2] and np.bitwise_and(k, 3).tolist() == [2, 0, 2]
        assert np.bitwise_or.reduce(k) == 6 | 12 | 18 and np.invert(k).tolist() == [-7, -13, -19]
        return np.sum(x * np.lcm(k, 4))

    np.testing.assert_array_equal(at.grad(g)(x), [12.0, 12.0, 36.0])


# --------------------------------------------------------------------------------------
# Refused: functions that write into an array
# --------------------------------------------------------------------------------------

IN_PLACE = {
    "put": lambda a: np.put(a, [0], 5.0),
    "put_along_axis": lambda a: np.put_along_axis(a, np.array([0]), 5.0, axis=0),
    "place": lambda a: np.place(a, a > 1, [5.0]),
    "putmask": lambda a: np.putmask(a, a > 1, 5.0),
    "fill_diagonal": lambda a: np.fill_diagonal(a.reshape(1, 3), 5.0),
    "copyto": lambda a: np.copyto(a, 5.0),
}


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_functions_say_what_to_write_instead(name):
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=rf"numpy\.{name} writes into an array in place.*instead: "):
        at.grad(lambda x: IN_PLACE[name](x) or np.sum(x))(x)


def test_copyto_of_a_traced_value_into_a_plain_array_is_refused():
    with pytest.raises(TypeError, match="numpy.copyto"):
        at.grad(lambda x: np.copyto(np.zeros(3), x) or np.sum(x))(np.ones(3))


def test_the_suggested_alternatives_compute_what_numpy_writes():
    a, mask, values = np.arange(6.0), np.array([0, 1, 1, 0, 1, 1], bool), np.array([10.0, 20.0])
    expected = a.copy()
    np.putmask(expected, mask, values)
    f = lambda v: np.where(mask, np.resize(v, a.shape), a)  # noqa: E731
    np.testing.assert_array_equal(at.vjp(f, values)[0], expected)
    np.testing.assert_array_equal(at.grad(lambda v: np.sum(f(v)))(values), [2.0, 2.0])
    expected = a.copy()
    np.place(expected, mask, values)
    g = lambda v: anp.piecewise(a, [mask], [np.resize(v, int(np.count_nonzero(mask))), lambda x: x])  # noqa: E731
    np.testing.assert_array_equal(at.vjp(g, values)[0], expected)


def test_coverage_lists_only_linalg_and_the_functions_left_without_a_rule():
    missing = subprocess.run(
        [sys.executable, "-m", "autotape.coverage", "--missing"], capture_output=True, text=True, check=True
    ).stdout.split()
    others = [name for name in missing if not name.startswith("numpy.linalg.")]
    assert set(others) <= {"numpy.polyfit", "numpy.roots"}, others


def test_numpy_integers_and_python_ints_are_accepted_where_numpy_takes_them():
    x = np.arange(6.0).reshape(2, 3)
    two = np.int64(2)
    np.testing.assert_array_equal(at.vjp(lambda x: np.diagflat(x, np.int64(1)), x)[0], np.diagflat(x, 1))
    np.testing.assert_array_equal(at.vjp(lambda x: np.polyder(x[0], two), x)[0], np.polyder(x[0], 2))
    np.testing.assert_array_equal(at.vjp(lambda x: np.polyint(x[0], two), x)[0], np.polyint(x[0], 2))
    np.testing.assert_array_equal(at.vjp(lambda x: np.apply_along_axis(np.sum, np.int64(1), x), x)[0], x.sum(1))
    np.testing.assert_array_equal(at.vjp(lambda x: np.apply_over_axes(np.sum, x, np.array([0, 1])), x)[0], [[15.0]])
    z = x + 1e-20j
    np.testing.assert_array_equal(at.vjp(lambda z: np.real_if_close(z, tol=1000), z)[0], x)


def test_cov_is_differentiated_in_its_aweights_and_refuses_differentiated_fweights():
    # The aweights' gradient was silently 0 (they were taken as constants).
    rng = np.random.default_rng(3)
    m, w = rng.normal(size=(3, 5)), rng.uniform(0.5, 2.0, size=5)
    freq = np.array([1, 2, 1, 3, 1])

    def f(w):
        return np.sum(np.cov(m, aweights=w, fweights=freq, ddof=2) * np.arange(9.0).reshape(3, 3))

    value, grad = at.value_and_grad(f)(w)
    assert value == f(w)  # NumPy's computation, bit for bit
    h = 1e-6
    fd = np.array([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(5)])
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)
    assert np.all(np.abs(grad) > 1e-3)
    with pytest.raises(TypeError, match="cov: fweights are integer frequencies and are not differentiated"):
        at.grad(lambda fw: np.sum(np.cov(m, fweights=fw)))(np.ones(5))

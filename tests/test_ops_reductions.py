"""Exact values for the special cases of the reductions: zeros in products, ties in order
statistics, interpolation of quantiles, degrees of freedom, weights, and NaN elements.

The generated properties of every op (``tests/test_ops.py``) check the same ops on
random inputs against finite differences; here each documented convention is checked
against numbers worked out by hand or by an independent formula.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import autotape as at


def _grad_sum(f, *args, argnums=0, weights=None):
    """The gradient of ``sum(f(*args) * weights)`` (weights default 1)."""

    def loss(*a):
        out = f(*a)
        return np.sum(out if weights is None else out * weights)

    return at.grad(loss, argnums=argnums)(*args)


# --------------------------------------------------------------------------------------
# prod: zeros at first, second and third order
# --------------------------------------------------------------------------------------


def _others(x, skip):
    """The product of the elements of 1-d ``x`` outside the positions ``skip``."""
    return math.prod(v for k, v in enumerate(x) if k not in skip)


def test_prod_gradient_without_zeros():
    x = np.array([2.0, 3.0, 4.0])
    np.testing.assert_array_equal(at.grad(np.prod)(x), [12.0, 8.0, 6.0])
    np.testing.assert_array_equal(at.grad(lambda x: x.prod())(x), [12.0, 8.0, 6.0])


def test_prod_with_one_zero_gives_the_zero_the_product_of_the_others():
    x = np.array([2.0, 0.0, 3.0, 0.5])
    np.testing.assert_array_equal(at.grad(np.prod)(x), [0.0, 3.0, 0.0, 0.0])
    expected = [[0.0 if j == m else _others(x, {j, m}) for m in range(4)] for j in range(4)]
    np.testing.assert_array_equal(at.hessian(np.prod)(x), expected)
    assert expected[0][1] == 1.5 and expected[1][3] == 6.0 and expected[0][2] == 0.0


def test_prod_with_two_zeros_has_zero_gradient_and_the_mixed_second_derivative_of_the_zeros():
    x = np.array([2.0, 0.0, 3.0, 0.0])
    np.testing.assert_array_equal(at.grad(np.prod)(x), [0.0, 0.0, 0.0, 0.0])
    hessian = at.hessian(np.prod)(x)
    expected = np.zeros((4, 4))
    expected[1, 3] = expected[3, 1] = 6.0  # d2/dx1 dx3 = x0 x2
    np.testing.assert_array_equal(hessian, expected)


def test_prod_with_three_zeros_has_the_right_third_derivative():
    x = np.array([0.0, 0.0, 0.0, 5.0])
    third = at.jacobian(at.hessian(np.prod))(x)
    expected = np.zeros((4, 4, 4))
    for j, m, p in itertools.permutations(range(4), 3):
        expected[j, m, p] = _others(x, {j, m, p})
    np.testing.assert_array_equal(third, expected)
    assert third[0, 1, 2] == 5.0 and third[2, 0, 1] == 5.0
    np.testing.assert_array_equal(at.hessian(np.prod)(x), np.zeros((4, 4)))


def test_prod_along_an_axis_with_zeros_in_some_rows():
    X = np.array([[1.0, 2.0, 3.0], [0.0, 4.0, 5.0], [0.0, 0.0, 7.0]])
    np.testing.assert_array_equal(
        _grad_sum(lambda X: np.prod(X, axis=1), X), [[6.0, 3.0, 2.0], [20.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    )
    np.testing.assert_array_equal(
        _grad_sum(lambda X: np.prod(X, axis=0, keepdims=True), X),
        [[0.0, 0.0, 35.0], [0.0, 0.0, 21.0], [0.0, 8.0, 15.0]],  # columns (1, 0, 0), (2, 4, 0), (3, 5, 7)
    )
    # Over both axes: one product of nine factors, three of them zero.
    np.testing.assert_array_equal(_grad_sum(lambda X: np.prod(X, axis=(0, 1)), X), np.zeros((3, 3)))


def test_prod_second_order_stays_exact_for_tiny_factors():
    # Differentiating prod / x would make the Hessian two huge terms that cancel (an
    # error of 1e133 here); the rules differentiate exclusive products instead. (A
    # forward-over-reverse Hessian goes through cumprod's first-order JVP, within an ulp.)
    x = np.array([1e-200, 3e-180])
    np.testing.assert_allclose(at.hessian(np.prod)(x), [[0.0, 1.0], [1.0, 0.0]], rtol=1e-15, atol=0)
    mixed = at.grad(lambda x: at.grad(np.prod)(x)[0])(x)
    np.testing.assert_array_equal(mixed, [0.0, 1.0])
    np.testing.assert_array_equal(at.grad(np.prod)(x), [3e-180, 1e-200])


def test_prod_keeps_float32_with_zeros():
    x = np.array([2.0, 0.0, 3.0], dtype=np.float32)
    g = at.grad(np.prod)(x)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, [0.0, 6.0, 0.0])


def test_prod_jvp_with_zeros():
    x, t = np.array([2.0, 0.0, 3.0]), np.array([1.0, 10.0, 100.0])
    out, tangent = at.jvp(np.prod, (x,), (t,))
    assert out == 0.0 and tangent == 60.0  # only x1's tangent counts: 10 * 2 * 3


def test_multiply_reduce_is_prod():
    x = np.array([[2.0, 0.0], [3.0, 4.0]])
    np.testing.assert_array_equal(_grad_sum(lambda x: np.multiply.reduce(x), x), [[3.0, 4.0], [2.0, 0.0]])
    np.testing.assert_array_equal(_grad_sum(lambda x: np.multiply.reduce(x, axis=1), x), [[0.0, 2.0], [4.0, 3.0]])


# --------------------------------------------------------------------------------------
# cumsum, cumprod and the cumulative_* forms
# --------------------------------------------------------------------------------------


def test_cumsum_vjp_is_the_reversed_cumsum():
    x, w = np.array([1.0, 2.0, 3.0]), np.array([1.0, 10.0, 100.0])
    np.testing.assert_array_equal(_grad_sum(np.cumsum, x, weights=w), [111.0, 110.0, 100.0])
    X, W = np.arange(6.0).reshape(2, 3), np.array([[1.0, 10.0, 100.0], [1e3, 1e4, 1e5]])
    np.testing.assert_array_equal(
        _grad_sum(lambda X: np.cumsum(X, axis=0), X, weights=W), [[1001, 10010, 100100], W[1]]
    )
    # axis=None flattens: the weights of the flat order
    flat = np.array([111111.0, 111110.0, 111100.0, 111000.0, 110000.0, 100000.0])
    np.testing.assert_array_equal(_grad_sum(np.cumsum, X, weights=W.ravel()), flat.reshape(2, 3))
    np.testing.assert_array_equal(
        _grad_sum(lambda X: np.add.accumulate(X, axis=1), X, weights=W), [[111, 110, 100], [111e3, 110e3, 100e3]]
    )
    np.testing.assert_array_equal(
        _grad_sum(lambda X: X.cumsum(axis=1), X, weights=W), [[111, 110, 100], [111e3, 110e3, 100e3]]
    )


def _cumprod_jacobian(x):
    """dy_i/dx_j = prod_{k <= i, k != j} x_k for j <= i, by brute force."""
    n = len(x)
    return np.array([[_others(x[: i + 1], {j}) if j <= i else 0.0 for j in range(n)] for i in range(n)])


def _cumprod_hessians(x):
    """d2 y_i / dx_j dx_m = prod_{k <= i, k != j, m} x_k for j != m, both <= i."""
    n = len(x)
    H = np.zeros((n, n, n))
    for i in range(n):
        for j in range(i + 1):
            for m in range(i + 1):
                if j != m:
                    H[i, j, m] = _others(x[: i + 1], {j, m})
    return H


CUMPROD_INPUTS = [
    [2.0, 3.0, 0.5, 4.0],
    [2.0, 0.0, 3.0, 0.5],
    [2.0, 0.0, 3.0, 0.0],
    [0.0, 0.0, 0.0, 5.0],
    [0.0, 1.5, -2.0, 0.0, 3.0],
    [1e-200, 3e-180, 2.0],
]


@pytest.mark.parametrize("x", CUMPROD_INPUTS, ids=str)
def test_cumprod_jacobian_jvp_and_hessian_with_zeros(x):
    x = np.array(x)
    n = len(x)
    J = _cumprod_jacobian(x)
    np.testing.assert_allclose(at.jacobian(np.cumprod)(x), J, rtol=1e-15, atol=0)
    for j in range(n):  # forward mode, one column at a time
        _, column = at.jvp(np.cumprod, (x,), (np.eye(n)[j],))
        np.testing.assert_allclose(column, J[:, j], rtol=1e-15, atol=0)
    w = np.arange(1.0, n + 1)
    hessian = at.hessian(lambda x: np.sum(np.cumprod(x) * w))(x)
    np.testing.assert_allclose(hessian, np.einsum("i,ijm->jm", w, _cumprod_hessians(x)), rtol=1e-15, atol=0)


def test_cumprod_with_zeros_worked_example():
    # f = x0 + 2 x0 x1 + 3 x0 x1 x2 + 4 x0 x1 x2 x3 at x = (2, 0, 3, 0)
    x, w = np.array([2.0, 0.0, 3.0, 0.0]), np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(_grad_sum(np.cumprod, x, weights=w), [1.0, 22.0, 0.0, 0.0])
    expected = [[0, 11, 0, 0], [11, 0, 6, 24], [0, 6, 0, 0], [0, 24, 0, 0]]
    np.testing.assert_array_equal(at.hessian(lambda x: np.sum(np.cumprod(x) * w))(x), expected)


def test_cumprod_along_an_axis_with_zeros():
    X = np.array([[2.0, 0.0], [0.0, 3.0], [5.0, 7.0]])
    W = np.array([[1.0, 1.0], [10.0, 10.0], [100.0, 100.0]])
    # column 0: y = (x0, x0 x1, x0 x1 x2) at (2, 0, 5); column 1 at (0, 3, 7)
    expected = [[1.0 + 0.0, 1.0 + 30.0 + 2100.0], [20.0 + 1000.0, 0.0], [0.0, 0.0]]
    np.testing.assert_array_equal(_grad_sum(lambda X: np.cumprod(X, axis=0), X, weights=W), expected)
    np.testing.assert_array_equal(_grad_sum(lambda X: np.multiply.accumulate(X), X, weights=W), expected)
    np.testing.assert_array_equal(_grad_sum(lambda X: X.cumprod(axis=0), X, weights=W), expected)


def test_cumprod_keeps_float32_with_zeros():
    x = np.array([2.0, 0.0, 3.0], dtype=np.float32)
    g = _grad_sum(np.cumprod, x)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, [1.0, 2.0 + 6.0, 0.0])


@pytest.mark.skipif(not hasattr(np, "cumulative_sum"), reason="NumPy < 2.1")
def test_cumulative_sum_and_prod_with_include_initial():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 0.0, 6.0]])
    np.testing.assert_array_equal(at.cumulative_sum(x, axis=1, include_initial=True), [[0, 1, 3, 6], [0, 4, 4, 10]])
    np.testing.assert_array_equal(at.cumulative_prod(x, axis=1, include_initial=True), [[1, 1, 2, 6], [1, 4, 0, 0]])
    w = np.array([[1.0, 10.0, 100.0, 1000.0]])
    np.testing.assert_array_equal(
        _grad_sum(lambda x: np.cumulative_sum(x, axis=1, include_initial=True), x, weights=w), [[1110, 1100, 1000]] * 2
    )
    # row 1: y = (1, x0, x0 x1, x0 x1 x2) at (4, 0, 6)
    g = _grad_sum(lambda x: np.cumulative_prod(x, axis=1, include_initial=True), x, weights=w)
    np.testing.assert_array_equal(g[1], [10.0, 100.0 * 4 + 1000.0 * 24, 0.0])
    with pytest.raises(ValueError, match="axis"):
        at.grad(lambda x: np.sum(np.cumulative_sum(x)))(x)


# --------------------------------------------------------------------------------------
# var, std: degrees of freedom and constant slices; average: weights; ptp
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("ddof", [0, 1, 2])
def test_var_and_std_with_ddof(ddof):
    x = np.array([1.0, 2.0, 3.0, 4.0])  # mean 2.5, squared deviations sum to 5
    assert at.var(x, ddof=ddof) == 5.0 / (4 - ddof) == np.var(x, ddof=ddof)
    deviations = np.array([-1.5, -0.5, 0.5, 1.5])
    np.testing.assert_allclose(at.grad(lambda x: np.var(x, ddof=ddof))(x), 2 * deviations / (4 - ddof), rtol=1e-15)
    np.testing.assert_allclose(at.grad(lambda x: x.var(ddof=ddof))(x), 2 * deviations / (4 - ddof), rtol=1e-15)
    np.testing.assert_allclose(
        at.grad(lambda x: np.var(x, correction=ddof))(x), 2 * deviations / (4 - ddof), rtol=1e-15
    )
    std = math.sqrt(5.0 / (4 - ddof))
    np.testing.assert_allclose(at.grad(lambda x: np.std(x, ddof=ddof))(x), deviations / ((4 - ddof) * std), rtol=1e-15)
    # The Hessian of var is 2 (I - 1/N) / (N - ddof).
    np.testing.assert_allclose(
        at.hessian(lambda x: np.var(x, ddof=ddof))(x), 2 * (np.eye(4) - 0.25) / (4 - ddof), rtol=1e-15
    )


def test_var_and_std_over_axes_match_numpy():
    X = np.arange(24.0).reshape(2, 3, 4) ** 1.5
    for axis, keepdims, ddof in [(None, False, 0), (1, True, 1), ((0, 2), False, 1), ((), False, 0), (-1, False, 0)]:
        np.testing.assert_array_equal(
            at.var(X, axis, ddof=ddof, keepdims=keepdims), np.var(X, axis, ddof=ddof, keepdims=keepdims)
        )
        traced, _ = at.vjp(lambda X: np.std(X, axis, ddof=ddof, keepdims=keepdims), X)
        np.testing.assert_array_equal(traced, np.std(X, axis, ddof=ddof, keepdims=keepdims))
    center = np.mean(X, axis=1, keepdims=True)
    np.testing.assert_array_equal(
        at.vjp(lambda X: np.var(X, axis=1, mean=center), X)[0], np.var(X, axis=1, mean=center)
    )
    with pytest.raises(ValueError, match="ddof and correction"):
        at.grad(lambda x: np.var(x, ddof=1, correction=1))(X)


def test_std_of_a_constant_slice_has_subgradient_zero():
    X = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]])
    g = _grad_sum(lambda X: np.std(X, axis=1), X)
    np.testing.assert_array_equal(g[0], [0.0, 0.0, 0.0])  # JAX and PyTorch give NaN here
    np.testing.assert_allclose(g[1], np.array([-1.0, 0.0, 1.0]) / (3 * math.sqrt(2 / 3)), rtol=1e-15)
    np.testing.assert_array_equal(at.hessian(lambda x: np.std(x))(X[0]), np.zeros((3, 3)))
    # A single element (ddof=0): std is identically 0, so 0 is its exact derivative.
    assert at.grad(lambda x: np.std(x))(np.array([5.0]))[0] == 0.0
    np.testing.assert_array_equal(_grad_sum(lambda X: np.std(X, axis=0), X[:1]), [[0.0, 0.0, 0.0]])


def test_var_of_complex_numbers_follows_the_convention():
    # var(z) = mean |z - m|^2 is real; its gradient under JAX's convention is
    # dvar/dx - i dvar/dy = 2 (Re(z - m) - i Im(z - m)) / N = 2 conj(z - m) / N.
    z = np.array([1 + 2j, 3 - 1j, -2 + 0.5j])
    g = at.grad(np.var)(z)
    np.testing.assert_allclose(g, 2 * np.conj(z - z.mean()) / 3, rtol=1e-15)
    assert at.var(z) == np.var(z)


def test_average_with_weights_is_differentiable_in_both():
    a, w = np.array([1.0, 2.0, 3.0]), np.array([3.0, 1.0, 0.0])
    assert at.average(a, weights=w) == 1.25
    ga, gw = at.grad(lambda a, w: np.average(a, weights=w), argnums=(0, 1))(a, w)
    np.testing.assert_array_equal(ga, [0.75, 0.25, 0.0])  # w / sum(w)
    np.testing.assert_array_equal(gw, [-0.0625, 0.1875, 0.4375])  # (a - average) / sum(w)
    avg, total = at.average(a, weights=w, returned=True)
    assert (avg, total) == (1.25, 4.0)
    gw = at.grad(lambda w: np.average(a, weights=w, returned=True)[1])(w)
    np.testing.assert_array_equal(gw, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(at.grad(np.average)(a), [1 / 3, 1 / 3, 1 / 3])


def test_average_with_weights_along_axes():
    A = np.arange(6.0).reshape(2, 3)
    w = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(at.average(A, axis=1, weights=w), np.average(A, axis=1, weights=w))
    ga, gw = at.grad(lambda A, w: np.sum(np.average(A, axis=1, weights=w)), argnums=(0, 1))(A, w)
    np.testing.assert_array_equal(ga, [w / 6, w / 6])
    # rows (0, 1, 2) and (3, 4, 5) average to 8/6 and 26/6
    np.testing.assert_allclose(gw, ((A[0] - 8 / 6) + (A[1] - 26 / 6)) / 6, rtol=1e-15)
    B = np.arange(24.0).reshape(2, 3, 4)
    W = np.arange(1.0, 9.0).reshape(4, 2)  # axes (2, 0), in that order
    expected = np.average(B, axis=(2, 0), weights=W, keepdims=True)
    np.testing.assert_array_equal(
        at.vjp(lambda B: np.average(B, axis=(2, 0), weights=W, keepdims=True), B)[0], expected
    )
    avg, scale = at.vjp(lambda B: np.average(B, axis=1, returned=True), B)[0]
    np.testing.assert_array_equal(avg, B.mean(axis=1))
    np.testing.assert_array_equal(scale, np.full((2, 4), 3.0))


def test_average_errors():
    a = np.ones((2, 3))
    with pytest.raises(ZeroDivisionError, match="sum to zero"):
        at.grad(lambda a: np.average(a, weights=np.zeros((2, 3))))(a)
    with pytest.raises(TypeError, match="axis"):
        at.grad(lambda a: np.average(a, weights=np.ones(3)))(a)
    with pytest.raises(ValueError, match="shape"):
        at.grad(lambda a: np.sum(np.average(a, axis=1, weights=np.ones(2))))(a)


def test_ptp_gradient_goes_to_the_extremes_and_ties_share():
    x = np.array([[3.0, -1.0, 2.0], [1.0, 5.0, 5.0], [4.0, 4.0, 4.0]])
    expected = [[1.0, -1.0, 0.0], [-1.0, 0.5, 0.5], [0.0, 0.0, 0.0]]
    np.testing.assert_array_equal(_grad_sum(lambda x: np.ptp(x, axis=1), x), expected)
    np.testing.assert_array_equal(at.ptp(x, axis=0), np.ptp(x, axis=0))


# --------------------------------------------------------------------------------------
# median, quantile, percentile: ties, interpolation, the levels' derivative, NaNs
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, expected",
    [
        ([5.0, 1.0, 3.0], [0.0, 0.0, 1.0]),
        ([3.0, 1.0, 2.0, 4.0], [0.5, 0.0, 0.5, 0.0]),  # even count: the mean of the middle two
        ([1.0, 2.0, 2.0, 3.0], [0.0, 0.5, 0.5, 0.0]),
        ([2.0, 1.0, 2.0, 5.0, 2.0], [1 / 3, 0.0, 1 / 3, 0.0, 1 / 3]),  # three tied at the middle share it
        ([2.0, 2.0, 1.0, 2.0], [1 / 3, 1 / 3, 0.0, 1 / 3]),  # both middle positions hold a 2
        ([4.0, 4.0, 4.0, 4.0], [0.25, 0.25, 0.25, 0.25]),
    ],
)
def test_median_gradient_with_ties(x, expected):
    x = np.array(x)
    assert at.median(x) == np.median(x)
    np.testing.assert_allclose(at.grad(np.median)(x), expected, rtol=1e-15)
    np.testing.assert_allclose(at.jvp(np.median, (x,), (np.ones_like(x),))[1], 1.0, rtol=1e-15)


def test_median_along_axes_matches_numpy():
    X = np.array([[[3.0, 1.0], [2.0, 7.0]], [[5.0, 5.0], [0.0, 4.0]]])
    for axis, keepdims in [(None, False), (0, True), ((0, 2), False), (-1, False), ((), False)]:
        traced = at.vjp(lambda X: np.median(X, axis=axis, keepdims=keepdims), X)[0]
        np.testing.assert_array_equal(traced, np.median(X, axis=axis, keepdims=keepdims))
    # axis 2: pairs (3, 1), (2, 7), (5, 5), (0, 4) each average their two elements
    np.testing.assert_array_equal(_grad_sum(lambda X: np.median(X, axis=2), X), np.full((2, 2, 2), 0.5))
    # axes (0, 2): the slices {3, 1, 5, 5} and {2, 7, 0, 4}: middle pairs (3, 5) and (2, 4)
    g = _grad_sum(lambda X: np.median(X, axis=(0, 2)), X)
    np.testing.assert_array_equal(g, [[[0.5, 0.0], [0.5, 0.0]], [[0.25, 0.25], [0.0, 0.5]]])


def test_quantile_interpolates_linearly_and_its_gradient_follows():
    x = np.array([1.0, 10.0, 4.0, 7.0])  # sorted 1, 4, 7, 10
    # q = 0.4: q (n - 1) = 1.2, between 4 and 7 with weight 0.2 on 7
    assert at.quantile(x, 0.4) == pytest.approx(4.6, rel=1e-15) and at.quantile(x, 0.4) == np.quantile(x, 0.4)
    np.testing.assert_allclose(at.grad(lambda x: np.quantile(x, 0.4))(x), [0.0, 0.0, 0.8, 0.2], rtol=1e-14)
    ga, gq = at.grad(lambda x, q: np.quantile(x, q), argnums=(0, 1))(x, 0.4)
    np.testing.assert_allclose(ga, [0.0, 0.0, 0.8, 0.2], rtol=1e-14)
    assert gq == pytest.approx(9.0, rel=1e-14)  # (n - 1) (7 - 4)
    # Several levels: their axis leads; the ends take the extreme elements.
    q = np.array([0.0, 0.5, 1.0, 0.9])
    np.testing.assert_array_equal(at.quantile(x, q), np.quantile(x, q))
    J = at.jacobian(lambda x: np.quantile(x, q))(x)
    np.testing.assert_allclose(
        J, [[1, 0, 0, 0], [0, 0, 0.5, 0.5], [0, 1, 0, 0], [0, 0.7, 0, 0.3]], rtol=1e-14, atol=1e-15
    )
    # The levels' derivative: right derivative at the nodes, left at q = 1.
    np.testing.assert_allclose(at.jacobian(lambda q: np.quantile(x, q))(q), np.diag([9.0, 9.0, 9.0, 9.0]), rtol=1e-14)
    x2 = np.array([0.0, 1.0, 3.0])  # steps 1 and 2, q (n - 1) = 2 q
    gq = at.jacobian(lambda q: np.quantile(x2, q))(np.array([0.0, 0.25, 0.5, 0.75, 1.0]))
    np.testing.assert_array_equal(np.diag(gq), [2.0, 2.0, 4.0, 4.0, 4.0])


def test_quantile_mixed_second_derivative():
    # f(x, q) = quantile(x, q) = x_lo + (q (n - 1) - lo)(x_hi - x_lo): d2f/dq dx = +-(n - 1)
    x, q = np.array([1.0, 10.0, 4.0, 7.0]), 0.4
    mixed = at.grad(lambda x: at.grad(lambda q: np.quantile(x, q))(q))(x)
    np.testing.assert_array_equal(mixed, [0.0, 0.0, -3.0, 3.0])
    mixed = at.grad(lambda q: np.sum(at.grad(lambda x: np.quantile(x, q))(x) * np.array([0.0, 0.0, 1.0, 2.0])))(q)
    assert mixed == pytest.approx(3.0, rel=1e-14)  # d/dq (0.8 + 2 * 0.2 ... ) = -3 + 2 * 3


def test_percentile_is_quantile_at_q_over_100():
    X = np.array([[1.0, 10.0, 4.0, 7.0], [0.0, -1.0, 2.0, 8.0]])
    for q in (40.0, np.array([10.0, 40.0, 100.0])):
        np.testing.assert_array_equal(at.percentile(X, q, axis=1), np.percentile(X, q, axis=1))
        traced = at.vjp(lambda X: np.percentile(X, q, axis=1, keepdims=True), X)[0]
        np.testing.assert_array_equal(traced, np.percentile(X, q, axis=1, keepdims=True))
    gq = at.grad(lambda q: np.percentile(X[0], q))(40.0)
    assert gq == pytest.approx(0.09, rel=1e-14)  # 9 per unit of q, 9/100 per percent
    assert at.percentile(X.astype(np.float32), 40.0).dtype == np.float32


def test_quantile_of_a_slice_with_nan_is_nan_and_nanquantile_skips_nans():
    x = np.array([np.nan, 1.0, 10.0, np.nan, 4.0, 7.0])
    assert np.isnan(at.quantile(x, 0.4))
    assert np.all(np.isnan(at.grad(lambda x: np.quantile(x, 0.4))(x)))
    assert at.nanquantile(x, 0.4) == np.nanquantile(x, 0.4)
    np.testing.assert_allclose(at.grad(lambda x: np.nanquantile(x, 0.4))(x), [0, 0, 0, 0, 0.8, 0.2], rtol=1e-14, atol=0)
    assert at.grad(lambda q: np.nanquantile(x, q))(0.4) == pytest.approx(9.0, rel=1e-14)
    np.testing.assert_allclose(at.grad(lambda x: np.nanpercentile(x, 40.0))(x), [0, 0, 0, 0, 0.8, 0.2], rtol=1e-14)
    np.testing.assert_array_equal(at.grad(np.nanmedian)(x), [0.0, 0.0, 0.0, 0.0, 0.5, 0.5])


def test_nanmedian_of_a_slice_of_nans_only():
    X = np.array([[np.nan, np.nan], [1.0, np.nan]])
    with pytest.warns(RuntimeWarning, match="All-NaN"):
        np.testing.assert_array_equal(at.vjp(lambda X: np.nanmedian(X, axis=1), X)[0], [np.nan, 1.0])
    with pytest.warns(RuntimeWarning, match="All-NaN"):
        g = _grad_sum(lambda X: np.nanmedian(X, axis=1), X)
    np.testing.assert_array_equal(g, [[0.0, 0.0], [1.0, 0.0]])


def test_order_statistic_errors():
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="method='nearest'"):
        at.grad(lambda x: np.quantile(x, 0.5, method="nearest"))(x)
    with pytest.raises(ValueError, match="Quantiles must be in the range"):
        at.grad(lambda x: np.quantile(x, 1.5))(x)
    with pytest.raises(TypeError, match="out="):
        at.grad(lambda x: np.median(x, out=np.zeros(())))(x)


# --------------------------------------------------------------------------------------
# nan* reductions: NaN elements get a zero gradient
# --------------------------------------------------------------------------------------

X_NAN = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [4.0, 2.0, np.nan]])


def test_nansum_nanmean_nanprod_values_and_gradients():
    x = X_NAN[[0, 2]]  # rows (1, nan, 3) and (4, 2, nan)
    numbers = (~np.isnan(x)).astype(float)
    np.testing.assert_array_equal(at.nansum(x, axis=1), [4.0, 6.0])
    np.testing.assert_array_equal(_grad_sum(lambda x: np.nansum(x, axis=1), x), numbers)
    np.testing.assert_array_equal(at.grad(np.nansum)(x), numbers)
    np.testing.assert_array_equal(_grad_sum(lambda x: np.nanmean(x, axis=1), x), numbers / 2)
    np.testing.assert_array_equal(at.grad(np.nanmean)(x), numbers / 4)
    np.testing.assert_array_equal(at.vjp(lambda x: np.nanmean(x, axis=0), x)[0], np.nanmean(x, axis=0))
    np.testing.assert_array_equal(_grad_sum(lambda x: np.nanprod(x, axis=1), x), [[3.0, 0.0, 1.0], [2.0, 4.0, 0.0]])
    # A slice of NaNs only: sum 0 and product 1 (constants), mean NaN; no gradient to NaNs
    np.testing.assert_array_equal(_grad_sum(lambda x: np.nansum(x, axis=1), X_NAN)[1], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(_grad_sum(lambda x: np.nanprod(x, axis=1), X_NAN)[1], [0.0, 0.0, 0.0])
    with pytest.warns(RuntimeWarning):
        np.testing.assert_array_equal(at.vjp(lambda x: np.nanmean(x, axis=1), X_NAN)[0], [2.0, np.nan, 3.0])


def test_nanprod_with_zeros_and_nans():
    x = np.array([2.0, np.nan, 0.0, 5.0])
    np.testing.assert_array_equal(at.grad(np.nanprod)(x), [0.0, 0.0, 10.0, 0.0])
    hessian = at.hessian(np.nanprod)(x)
    np.testing.assert_array_equal(hessian[2], [5.0, 0.0, 0.0, 2.0])


def test_nanmax_and_nanmin_skip_nans_and_split_ties():
    x = np.array([[1.0, np.nan, 3.0, 3.0], [np.nan, -2.0, 0.5, -2.0]])
    np.testing.assert_array_equal(at.nanmax(x, axis=1), [3.0, 0.5])
    np.testing.assert_array_equal(_grad_sum(lambda x: np.nanmax(x, axis=1), x), [[0, 0, 0.5, 0.5], [0, 0, 1, 0]])
    np.testing.assert_array_equal(_grad_sum(lambda x: np.nanmin(x, axis=1), x), [[1, 0, 0, 0], [0, 0.5, 0, 0.5]])
    np.testing.assert_array_equal(
        _grad_sum(lambda x: np.nanmin(x, axis=0, keepdims=True), x), [[1, 0, 0, 0], [0, 1, 1, 1]]
    )
    with pytest.warns(RuntimeWarning, match="All-NaN"):
        out = at.vjp(lambda x: np.nanmax(x, axis=1), X_NAN)[0]
    np.testing.assert_array_equal(out, np.array([3.0, np.nan, 4.0]))
    with pytest.warns(RuntimeWarning, match="All-NaN"):
        g = _grad_sum(lambda x: np.nanmin(x, axis=1), X_NAN)
    np.testing.assert_array_equal(g, [[1, 0, 0], [0, 0, 0], [0, 1, 0]])


def test_nanvar_and_nanstd():
    x = np.array([[1.0, np.nan, 3.0, 5.0], [np.nan, 2.0, np.nan, np.nan]])
    # row 0: numbers 1, 3, 5 (mean 3, squared deviations 8); row 1: the single number 2
    np.testing.assert_array_equal(at.nanvar(x, axis=1), [8 / 3, 0.0])
    np.testing.assert_array_equal(at.vjp(lambda x: np.nanvar(x, axis=1, ddof=1, keepdims=True), x[:1])[0], [[4.0]])
    np.testing.assert_allclose(
        _grad_sum(lambda x: np.nanvar(x, axis=1), x), [[-4 / 3, 0, 0, 4 / 3], [0, 0, 0, 0]], rtol=1e-15
    )
    g = _grad_sum(lambda x: np.nanstd(x, axis=1), x)
    np.testing.assert_allclose(g[0], np.array([-2.0, 0.0, 0.0, 2.0]) / (3 * math.sqrt(8 / 3)), rtol=1e-15)
    np.testing.assert_array_equal(g[1], [0.0, 0.0, 0.0, 0.0])  # one number: std is identically 0
    # ddof leaving no degree of freedom: NaN with NumPy's warning
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        np.testing.assert_array_equal(at.vjp(lambda x: np.nanvar(x, axis=1, ddof=1), x)[0], [4.0, np.nan])


def test_nancumsum_and_nancumprod():
    x = np.array([2.0, np.nan, 3.0, 0.0, 4.0])
    np.testing.assert_array_equal(at.nancumsum(x), [2, 2, 5, 5, 9])
    np.testing.assert_array_equal(_grad_sum(np.nancumsum, x), [5.0, 0.0, 3.0, 2.0, 1.0])
    np.testing.assert_array_equal(at.nancumprod(x), [2, 2, 6, 0, 0])
    # y = (x0, x0, x0 x2, x0 x2 x3, x0 x2 x3 x4) at x3 = 0
    np.testing.assert_array_equal(_grad_sum(np.nancumprod, x), [1 + 1 + 3, 0, 2, 6 + 24, 0])


# --------------------------------------------------------------------------------------
# Constants and ufunc methods
# --------------------------------------------------------------------------------------


def test_reductions_without_a_derivative_are_constants():
    x = np.array([[1.0, -2.0, 0.0], [np.nan, 4.0, 3.0]])
    seen = {}

    def f(x):
        seen["all"], seen["any"] = np.all(x > -3, axis=1), np.any(x > 3.5)
        seen["argmax"], seen["argmin"] = np.argmax(x[0]), np.argmin(x, axis=1)
        seen["nanargmax"], seen["nanargmin"] = np.nanargmax(x, axis=1), np.nanargmin(x)
        seen["count_nonzero"] = np.count_nonzero(x, axis=0)
        seen["methods"] = (x.all(), x.any(), x.argmax(), x.argmin(axis=0))
        return np.nansum(x)

    at.grad(f)(x)
    np.testing.assert_array_equal(seen["all"], [True, False])
    assert seen["any"] and seen["argmax"] == 0
    np.testing.assert_array_equal(seen["argmin"], [1, 0])
    np.testing.assert_array_equal(seen["nanargmax"], [0, 1])
    assert seen["nanargmin"] == 1
    np.testing.assert_array_equal(seen["count_nonzero"], [2, 2, 1])
    for value in seen.values():
        assert all(type(v) is not at.Traced for v in (value if isinstance(value, tuple) else (value,)))


def test_logaddexp_reduce_is_logsumexp():
    x = np.array([[0.5, -1.0, 2.0], [3.0, 3.0, -4.0]])
    out, vjp = at.vjp(lambda x: np.logaddexp.reduce(x, axis=1), x)
    np.testing.assert_allclose(out, np.logaddexp.reduce(x, axis=1), rtol=1e-15)
    softmax = np.exp(x - np.logaddexp.reduce(x, axis=1, keepdims=True))
    np.testing.assert_allclose(vjp(np.ones(2))[0], softmax, rtol=1e-14)
    np.testing.assert_allclose(
        at.grad(lambda x: np.sum(np.logaddexp.reduce(x)))(x), np.exp(x - np.logaddexp.reduce(x)), rtol=1e-14
    )


@pytest.mark.parametrize("name", ["var", "std", "nanvar", "nanstd", "nanmean", "nansum"])
@pytest.mark.parametrize("dtype", [None, np.float64])
def test_float32_moments_with_a_dtype_match_numpy_exactly(name, dtype):
    # numpy.nanvar sums in dtype but forms the deviations in the input's dtype; var in dtype.
    x = np.random.default_rng(0).standard_normal((5, 7)).astype(np.float32)
    x[1, 2] = np.nan if name.startswith("nan") else x[1, 2]
    f = getattr(np, name)
    traced = at.vjp(lambda x: f(x, axis=1, dtype=dtype), x)[0]
    assert traced.dtype == f(x, axis=1, dtype=dtype).dtype
    np.testing.assert_array_equal(traced, f(x, axis=1, dtype=dtype))


def test_median_and_quantile_of_an_empty_array():
    empty = np.zeros(0)
    with pytest.warns(RuntimeWarning):
        assert np.isnan(at.vjp(np.median, empty)[0])
    with pytest.warns(RuntimeWarning):
        assert at.grad(np.median)(empty).shape == (0,)

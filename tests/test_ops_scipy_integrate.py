"""scipy.integrate ops: the trapezoidal rule's values (SciPy's, exactly) and its derivatives in
the values, the sample points and the spacing, against the closed forms."""

from __future__ import annotations

import numpy as np
import pytest

integrate = pytest.importorskip("scipy.integrate")

import autotape as at  # noqa: E402
import autotape.scipy.integrate as aint  # noqa: E402
from autotape.testing import check_grads  # noqa: E402

Y = np.array([0.5, 2.0, -1.0, 3.0, 0.25])
X = np.array([0.0, 0.5, 1.25, 2.0, 3.5])


def test_trapezoid_values_are_scipy_s_exactly():
    y2 = np.stack([Y, Y**2, -Y])
    for args, params in [
        ((Y,), {}),
        ((Y, X), {}),
        ((Y,), {"dx": 0.3}),
        ((y2, X), {"axis": 1}),
        ((y2.T, X), {"axis": 0}),
        ((y2, np.stack([X, 2 * X, X + 1])), {}),
        ((y2, X[None, :]), {}),
        ((np.arange(5),), {}),  # integers give float64
    ]:
        expected = integrate.trapezoid(*args, **params)
        np.testing.assert_array_equal(aint.trapezoid(*args, **params), expected)
        traced, _ = at.vjp(lambda y: aint.trapezoid(y, *args[1:], **params), np.asarray(args[0], dtype=float))
        np.testing.assert_array_equal(traced, expected)


def test_trapezoid_gradients_in_y_x_and_dx():
    n = len(Y)
    # In y: the trapezoid weights (x[i+1] - x[i-1]) / 2, halved at the ends.
    weights = np.zeros(n)
    weights[1:] += np.diff(X) / 2
    weights[:-1] += np.diff(X) / 2
    np.testing.assert_allclose(at.grad(lambda y: aint.trapezoid(y, X))(Y), weights, rtol=1e-15)
    # In x: (y[i-1] - y[i+1]) / 2 inside, -(y0 + y1)/2 and (y[-2] + y[-1])/2 at the ends.
    gx = np.empty(n)
    gx[0], gx[-1] = -(Y[0] + Y[1]) / 2, (Y[-2] + Y[-1]) / 2
    gx[1:-1] = (Y[:-2] - Y[2:]) / 2
    np.testing.assert_allclose(at.grad(lambda x: aint.trapezoid(Y, x))(X), gx, rtol=1e-15)
    # In dx: the integral divided by dx.
    assert at.grad(lambda dx: aint.trapezoid(Y, dx=dx))(0.3) == pytest.approx(integrate.trapezoid(Y), rel=1e-15)
    check_grads(lambda y, x: aint.trapezoid(y**2, x + 0.1 * np.sin(x)), (Y, X), order=2)


def test_trapezoid_integrates_a_parameterized_function():
    # d/da of the integral of exp(a x) over [0, 1] -> integral of x exp(a x) = (e^a (a - 1) + 1) / a^2.
    x = np.linspace(0.0, 1.0, 2001)
    a = 0.7
    slope = at.grad(lambda a: aint.trapezoid(np.exp(a * x), x))(a)
    assert slope == pytest.approx((np.exp(a) * (a - 1) + 1) / a**2, rel=1e-6)


def test_cumulative_trapezoid_values_and_gradients():
    for params in [{}, {"initial": 0}, {"dx": 0.5}]:
        for x in (None, X):
            args = (Y,) if x is None else (Y, x)
            expected = integrate.cumulative_trapezoid(*args, **params)
            np.testing.assert_array_equal(aint.cumulative_trapezoid(*args, **params), expected)
            np.testing.assert_array_equal(
                at.vjp(lambda y: aint.cumulative_trapezoid(y, *args[1:], **params), Y)[0], expected
            )
            check_grads(lambda y: aint.cumulative_trapezoid(y, *args[1:], **params), (Y,), order=2)
    # Its last element is trapezoid's, and so is its gradient.
    np.testing.assert_allclose(
        at.grad(lambda y: aint.cumulative_trapezoid(y, X)[-1])(Y),
        at.grad(lambda y: aint.trapezoid(y, X))(Y),
        rtol=1e-15,
    )
    y2 = np.stack([Y, -(Y**2)])
    x2 = np.stack([X, X**2])
    for axis, xs in [(1, x2), (0, np.array([0.0, 2.0]))]:
        np.testing.assert_array_equal(
            aint.cumulative_trapezoid(y2, xs, axis=axis), integrate.cumulative_trapezoid(y2, xs, axis=axis)
        )
        check_grads(lambda y, x: aint.cumulative_trapezoid(y, x, axis=axis), (y2, xs), order=2)


def test_errors_are_scipy_s():
    with pytest.raises(ValueError, match="`initial` must be `None` or `0`"):
        at.grad(lambda y: np.sum(aint.cumulative_trapezoid(y, initial=1.0)))(Y)
    with pytest.raises(ValueError, match="length of x along axis must be the same as y"):
        at.grad(lambda y: np.sum(aint.cumulative_trapezoid(y, X[:3])))(Y)
    with pytest.raises(ValueError, match="shape of x must be 1-D or the same as y"):
        at.grad(lambda y: np.sum(aint.cumulative_trapezoid(y, np.ones((1, 1, 5)))))(np.stack([Y, Y]))
    with pytest.raises(ValueError, match="at least one point"):
        aint.cumulative_trapezoid(np.ones((2, 0)))


def test_float32_stays_float32():
    y32, x32 = Y.astype(np.float32), X.astype(np.float32)
    gy, gx = at.grad(lambda y, x: aint.trapezoid(y, x), argnums=(0, 1))(y32, x32)
    assert gy.dtype == gx.dtype == np.float32
    assert aint.trapezoid(y32, X).dtype == integrate.trapezoid(y32, X).dtype == np.float32

"""Exact tests of the calculus ops (differences, integrals, interpolation, grids, i0):
NumPy's values bit for bit, derivatives against their closed forms and against finite
differences, the side ``interp`` takes at a knot, and the errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autotape as at
from autotape.testing import check_grads


def _traced_value(f, *args):
    """``f(*args)`` computed inside a transform (the composite's own arithmetic)."""
    out, _ = at.vjp(f, *args)
    return out


def _jacobian(f, x):
    return at.jacobian(f)(np.asarray(x, dtype=np.float64))


def _fd_jacobian(f, x, step=1e-6):
    x = np.asarray(x, dtype=np.float64)
    columns = []
    for i in range(x.size):
        d = np.zeros(x.size)
        d[i] = step
        d = d.reshape(x.shape)
        columns.append(np.ravel((np.asarray(f(x + d)) - np.asarray(f(x - d))) / (2 * step)))
    return np.stack(columns, axis=-1).reshape(np.shape(f(x)) + x.shape)


# --------------------------------------------------------------------------------------
# diff and ediff1d
# --------------------------------------------------------------------------------------


def test_diff_values_and_its_transposed_difference_gradient():
    a = np.array([1.0, 4.0, 9.0, 16.0, 25.0])
    np.testing.assert_array_equal(at.diff(a, n=2), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(_traced_value(lambda a: np.diff(a, n=2), a), [2.0, 2.0, 2.0])
    w = np.array([1.0, 10.0, 100.0])
    # d/da_i of sum_k w_k (a_{k+2} - 2 a_{k+1} + a_k)
    g = at.grad(lambda a: np.sum(np.diff(a, n=2) * w))(a)
    np.testing.assert_array_equal(g, [1.0, 10.0 - 2.0, 100.0 - 20.0 + 1.0, -200.0 + 10.0, 100.0])
    assert at.diff(a, n=0) is a


def test_diff_prepend_and_append_are_differentiated():
    a = np.array([[1.0, 2.0, 4.0], [0.5, 0.25, 3.0]])
    pre, app = np.array([[10.0], [20.0]]), 7.0
    expected = np.diff(a, axis=1, prepend=pre, append=app)
    np.testing.assert_array_equal(at.diff(a, axis=1, prepend=pre, append=app), expected)
    np.testing.assert_array_equal(_traced_value(lambda a: np.diff(a, axis=1, prepend=pre, append=app), a), expected)
    ga, gpre, gapp = at.grad(lambda a, p, q: np.sum(np.diff(a, axis=-1, prepend=p, append=q) ** 2), argnums=(0, 1, 2))(
        a, pre, np.array(app)
    )
    d = expected  # d/dv of sum(d^2) with d_k = v_{k+1} - v_k over v = [pre, a, app]
    full = np.zeros((2, 5))
    full[:, 1:] += 2 * d
    full[:, :-1] -= 2 * d
    np.testing.assert_array_equal(gpre, full[:, :1])
    np.testing.assert_array_equal(ga, full[:, 1:4])
    assert gapp == np.sum(full[:, 4])  # the scalar was broadcast to both rows


def test_diff_of_booleans_is_a_constant_and_errors_name_diff():
    flags = np.array([True, True, False])
    x = np.array([1.0, 2.0, 3.0])
    out, _ = at.vjp(lambda x: (np.diff(flags), x)[1], x)
    np.testing.assert_array_equal(np.diff(flags), [False, True])
    with pytest.raises(ValueError, match="diff: the order n must be non-negative"):
        at.grad(lambda x: np.sum(np.diff(x, n=-1)))(x)
    with pytest.raises(ValueError, match="diff: the input is 0-d"):
        at.grad(lambda x: np.sum(np.diff(x[0])))(x)


def test_ediff1d_casts_its_ends_to_the_input_dtype_and_differentiates_them():
    ary = np.array([[1.0, 3.0], [6.0, 10.0]], dtype=np.float32)
    begin, end = np.array([0.5, -1.0]), np.array(2.25)
    expected = np.ediff1d(ary, to_end=end, to_begin=begin)
    assert expected.dtype == np.float32
    out = _traced_value(lambda a: np.ediff1d(a, to_end=end, to_begin=begin), ary)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    gb, ga, ge = at.grad(
        lambda b, a, e: np.sum(np.ediff1d(a, to_end=e, to_begin=b) * np.arange(1.0, 7.0)), argnums=(0, 1, 2)
    )(begin, ary.astype(np.float64), end)
    np.testing.assert_array_equal(gb, [1.0, 2.0])
    np.testing.assert_array_equal(ga, [[-3.0, 3.0 - 4.0], [4.0 - 5.0, 5.0]])
    assert ge == 6.0
    with pytest.raises(TypeError, match="ediff1d: to_end has dtype complex128"):
        at.grad(lambda a: np.sum(np.ediff1d(a, to_end=np.array([1j]))))(np.ones(3))


# --------------------------------------------------------------------------------------
# gradient
# --------------------------------------------------------------------------------------

_F = np.random.default_rng(0).standard_normal((4, 5))
_X0 = np.array([0.0, 0.5, 1.75, 2.0])
_X1 = np.array([-1.0, 0.25, 0.5, 2.0, 4.5])

GRADIENT_CALLS = [
    ((), {}),
    ((0.5,), {}),
    ((0.5,), {"edge_order": 2}),
    ((_X0, _X1), {}),
    ((_X0, 2.0), {"edge_order": 2}),
    ((_X1,), {"axis": 1, "edge_order": 2}),
    ((_X1, _X0), {"axis": (1, 0)}),
    ((_X1,), {"axis": -1}),
    ((np.arange(4), 3), {"edge_order": 2}),  # integer coordinates, even: NumPy's scalar branch
]


@pytest.mark.parametrize("spacing,params", GRADIENT_CALLS, ids=[str(i) for i in range(len(GRADIENT_CALLS))])
def test_gradient_equals_numpy_bit_for_bit(spacing, params):
    expected = np.gradient(_F, *spacing, **params)
    got = _traced_value(lambda f: np.gradient(f, *spacing, **params), _F)
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for e, g in zip(expected, got):
            np.testing.assert_array_equal(g, e)
    else:
        np.testing.assert_array_equal(got, expected)


def test_gradient_keeps_float32_and_converts_integers_as_numpy():
    f32 = _F.astype(np.float32)
    expected = np.gradient(f32, _X0, _X1)  # float64 coordinates, float32 result
    got = _traced_value(lambda f: np.gradient(f, _X0, _X1), f32)
    for e, g in zip(expected, got):
        assert g.dtype == e.dtype == np.float32
        np.testing.assert_array_equal(g, e)
    ints = np.array([1, 4, 9, 16, 30])
    np.testing.assert_array_equal(at.gradient(ints, _X1), np.gradient(ints, _X1))


def test_gradient_is_linear_in_f_with_numpys_matrix():
    x = np.array([0.0, 0.3, 1.0, 1.6, 3.0])
    for edge_order in (1, 2):
        jac = _jacobian(lambda f: np.gradient(f, x, edge_order=edge_order), np.zeros(5))
        matrix = np.stack([np.gradient(e, x, edge_order=edge_order) for e in np.eye(5)], axis=1)
        np.testing.assert_allclose(jac, matrix, rtol=1e-15, atol=1e-15)


def test_gradient_differentiates_the_coordinates():
    f = np.array([1.0, -2.0, 0.5, 3.0, 2.0])
    x = np.array([0.0, 0.3, 1.0, 1.6, 3.0])
    for edge_order in (1, 2):
        jac = _jacobian(lambda x: np.gradient(f, x, edge_order=edge_order), x)
        fd = _fd_jacobian(lambda x: np.gradient(f, x, edge_order=edge_order), x)
        np.testing.assert_allclose(jac, fd, rtol=1e-7, atol=1e-7)
    # A scalar spacing h: every value is proportional to 1/h.
    h = 0.5
    g = at.grad(lambda h: np.sum(np.gradient(f, h)))(h)
    assert g == pytest.approx(-np.sum(np.gradient(f, h)) / h, rel=1e-14)
    check_grads(lambda f, x: np.gradient(f, x, edge_order=2), (f, x), order=2, seed=0)


def test_gradient_of_evenly_spaced_traced_coordinates_uses_the_general_formula():
    # NumPy switches to its scalar formula for even spacing; traced coordinates keep the
    # general one, whose derivative in each coordinate is right (finite differences of
    # NumPy's function move off the even spacing, so they see the general formula too).
    f = np.array([1.0, -2.0, 0.5, 3.0])
    x = np.array([0.0, 0.5, 1.0, 1.5])
    np.testing.assert_allclose(_traced_value(lambda x: np.gradient(f, x), x), np.gradient(f, x), rtol=1e-15)
    jac = _jacobian(lambda x: np.gradient(f, x), x)
    np.testing.assert_allclose(jac, _fd_jacobian(lambda x: np.gradient(f, x), x), rtol=1e-6, atol=1e-6)
    assert jac[1, 2] != 0  # the scalar formula would give 0 here (it only sees x[1] - x[0])


def test_gradient_errors_name_gradient():
    f = np.ones((2, 3))
    with pytest.raises(ValueError, match="gradient: axis 0 has length 2; edge_order=2 needs at least 3"):
        at.grad(lambda f: np.sum(np.gradient(f, edge_order=2)[1]))(f)
    with pytest.raises(TypeError, match="gradient: 3 spacing arguments for 2 axes"):
        at.grad(lambda f: np.sum(np.gradient(f, 1.0, 1.0, 1.0)[0]))(f)
    with pytest.raises(ValueError, match="gradient: the coordinates of axis 1 have length 2"):
        at.grad(lambda f: np.sum(np.gradient(f, 1.0, [0.0, 1.0])[0]))(f)


# --------------------------------------------------------------------------------------
# trapezoid
# --------------------------------------------------------------------------------------


def test_trapezoid_equals_numpy_and_has_closed_form_derivatives():
    y = np.array([[1.0, 3.0, 2.0, 5.0], [0.5, -1.0, 4.0, 2.0]])
    x = np.array([0.0, 0.5, 2.0, 2.25])
    for args, params in (((), {}), ((x,), {}), ((None, 0.25), {}), ((y * 0.5 + 1,), {"axis": 1}), ((), {"axis": 0})):
        expected = np.trapezoid(y, *args, **params)
        np.testing.assert_array_equal(at.trapezoid(y, *args, **params), expected)
        np.testing.assert_array_equal(_traced_value(lambda y: np.trapezoid(y, *args, **params), y), expected)
    # d/dy: half the neighbouring spacings; d/dx: (y[i-1] - y[i+1]) / 2 inside, -(y0 + y1)/2 and
    # (y[-2] + y[-1])/2 at the ends.
    gy, gx = at.grad(lambda y, x: np.sum(np.trapezoid(y, x)), argnums=(0, 1))(y, x)
    h = np.diff(x)
    np.testing.assert_array_equal(gy, np.tile([h[0] / 2, (h[0] + h[1]) / 2, (h[1] + h[2]) / 2, h[2] / 2], (2, 1)))
    s = y.sum(axis=0)
    np.testing.assert_allclose(gx, [-(s[0] + s[1]) / 2, (s[0] - s[2]) / 2, (s[1] - s[3]) / 2, (s[2] + s[3]) / 2])
    gdx = at.grad(lambda dx: np.sum(np.trapezoid(y, dx=dx)))(0.25)
    assert gdx == pytest.approx(np.sum(np.trapezoid(y)), rel=1e-15)


@pytest.mark.skipif(not hasattr(np, "trapz"), reason="this NumPy has no numpy.trapz")
def test_trapz_dispatches_to_trapezoid_where_numpy_has_it():
    y = np.array([1.0, 2.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        g = at.grad(lambda y: np.trapz(y))(y)  # noqa: NPY201
    np.testing.assert_array_equal(g, [0.5, 1.0, 0.5])


# --------------------------------------------------------------------------------------
# interp
# --------------------------------------------------------------------------------------

XP = np.array([-1.0, 0.0, 0.5, 2.0])
FP = np.array([2.0, -1.0, 3.0, 0.0])


def _segment(x):
    j = int(np.clip(np.searchsorted(XP, x, side="right") - 1, 0, len(XP) - 2))
    h = XP[j + 1] - XP[j]
    return j, (x - XP[j]) / h, (FP[j + 1] - FP[j]) / h


def _all_grads(x, xp=XP, fp=FP, left=None, right=None):
    args = [np.asarray(x, dtype=np.float64), xp, fp]
    argnums = [0, 1, 2]
    for bound in (left, right):
        args.append(bound)
        if bound is not None:
            argnums.append(len(args) - 1)
    return at.grad(lambda *a: np.sum(at.interp(*a)), argnums=tuple(argnums))(*args)


@pytest.mark.parametrize("x", [-0.5, 0.2, 0.9, 1.999])
def test_interp_rules_inside_a_segment(x):
    gx, gxp, gfp = _all_grads(x)
    j, t, s = _segment(x)
    assert gx == pytest.approx(s, rel=1e-14)
    expected_fp, expected_xp = np.zeros(4), np.zeros(4)
    expected_fp[j], expected_fp[j + 1] = 1 - t, t
    expected_xp[j], expected_xp[j + 1] = s * (t - 1), -s * t
    np.testing.assert_allclose(gfp, expected_fp, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(gxp, expected_xp, rtol=1e-14, atol=1e-15)


def test_interp_every_argument_against_finite_differences_away_from_knots():
    rng = np.random.default_rng(1)
    x = np.array([[-1.7, -0.6, 0.1], [0.3, 1.2, 2.6]])  # below, inside, above
    for left, right in ((None, None), (-3.0, 4.0)):
        check_grads(
            lambda x, xp, fp, left, right: at.interp(x, xp, fp, left, right),
            (x, XP, FP, np.array(-3.0 if left is None else left), np.array(4.0 if right is None else right)),
            order=2,
            seed=int(rng.integers(1 << 30)),
        )
    check_grads(lambda x, xp, fp: at.interp(x, xp, fp), (x, XP, FP), order=2, seed=2)


def test_interp_left_and_right_take_the_cotangent_outside():
    x = np.array([-3.0, -2.0, 0.25, 5.0])
    gx, gxp, gfp, gl, gr = _all_grads(x, left=np.array(7.0), right=np.array(-7.0))
    assert (gl, gr) == (2.0, 1.0)
    assert gx[0] == gx[1] == gx[3] == 0.0
    # Without left/right, fp[0] and fp[-1] take them.
    gx, gxp, gfp = _all_grads(x)
    np.testing.assert_allclose(gfp, [2.0, 0.5, 0.5, 1.0], rtol=1e-15)


def test_interp_at_the_knots_takes_the_segment_to_the_right():
    # value fp[j]; d/dx the slope on the right of an interior knot, the first slope at
    # xp[0], the last at xp[-1] (JAX's jnp.interp chooses the same segments).
    slopes = np.diff(FP) / np.diff(XP)
    for j, x in enumerate(XP):
        gx, gxp, gfp = _all_grads(x)
        assert at.interp(x, XP, FP) == FP[j]
        segment = min(j, len(XP) - 2)
        assert gx == pytest.approx(slopes[segment], rel=1e-14)
        expected_fp = np.zeros(4)
        expected_fp[j] = 1.0
        np.testing.assert_array_equal(gfp, expected_fp)
        expected_xp = np.zeros(4)
        expected_xp[j] = -slopes[segment]
        np.testing.assert_allclose(gxp, expected_xp, rtol=1e-14)


def test_interp_repeated_knots_and_a_single_knot():
    xp, fp = np.array([0.0, 1.0, 1.0, 2.0, 2.0]), np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    x = np.array([1.0, 2.0, 1.5])
    np.testing.assert_array_equal(at.interp(x, xp, fp), [20.0, 40.0, 25.0])
    np.testing.assert_array_equal(_traced_value(lambda fp: at.interp(x, xp, fp), fp), [20.0, 40.0, 25.0])
    gx, gfp = at.grad(lambda x, fp: np.sum(at.interp(x, xp, fp)), argnums=(0, 1))(x, fp)
    np.testing.assert_array_equal(gfp, [0.0, 0.0, 1.5, 0.5, 1.0])
    np.testing.assert_array_equal(gx, [10.0, 0.0, 10.0])  # a zero-length last segment: slope 0
    one = np.array([3.0])
    gx, gxp, gfp = at.grad(lambda x, xp, fp: np.sum(at.interp(x, xp, fp)), argnums=(0, 1, 2))(
        np.array([2.0, 3.0, 4.0]), one, np.array([5.0])
    )
    np.testing.assert_array_equal(gfp, [3.0])
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(gxp, [0.0])


def test_interp_second_derivatives():
    # f is linear in x on a segment and linear in fp: d2f/dx2 = 0, d2f/dx dfp = (-1/h, 1/h).
    x = 0.9
    j, t, s = _segment(x)
    h = XP[j + 1] - XP[j]
    assert at.grad(at.grad(lambda x: at.interp(x, XP, FP)))(x) == 0.0
    mixed = at.grad(lambda fp: at.grad(lambda x: at.interp(x, XP, fp))(x))(FP)
    expected = np.zeros(4)
    expected[j], expected[j + 1] = -1 / h, 1 / h
    np.testing.assert_allclose(mixed, expected, rtol=1e-14)
    # forward over reverse equals reverse over reverse
    _, forward = at.jvp(lambda fp: at.grad(lambda x: at.interp(x, XP, fp))(x), (FP,), (np.ones(4),))
    assert forward == pytest.approx(np.sum(expected), abs=1e-14)


def test_interp_with_a_period():
    xp = np.array([350.0, 10.0, 40.0, 190.0])
    fp = np.array([1.0, 3.0, 0.0, -2.0])
    x = np.array([-725.0, 0.0, 25.0, 359.5, 410.0])
    expected = np.interp(x, xp, fp, period=360)
    np.testing.assert_array_equal(at.interp(x, xp, fp, period=360), expected)
    np.testing.assert_array_equal(_traced_value(lambda x: np.interp(x, xp, fp, period=360), x), expected)
    check_grads(lambda x, xp, fp: np.interp(x, xp, fp, period=360.0), (x, xp, fp), order=2, seed=3)
    # the period itself: x and the padded knots move with it
    g = at.grad(lambda p: np.sum(at.interp(x, xp, fp, period=p)))(360.0)
    step = 1e-6
    fd = (np.sum(np.interp(x, xp, fp, period=360 + step)) - np.sum(np.interp(x, xp, fp, period=360 - step))) / (
        2 * step
    )
    assert g == pytest.approx(fd, rel=1e-6)
    with pytest.raises(ValueError, match="interp: period must be a non-zero scalar"):
        at.grad(lambda x: np.sum(np.interp(x, xp, fp, period=0)))(x)


def test_interp_complex_values_float32_and_dispatch():
    fp = FP + 1j * np.array([0.5, 0.0, -1.0, 2.0])
    x = np.array([-0.5, 1.0])
    np.testing.assert_array_equal(_traced_value(lambda x: np.interp(x, XP, fp), x), np.interp(x, XP, fp))
    # A real loss of complex fp: dL/dRe - i dL/dIm (JAX's convention).
    g = at.grad(lambda fp: np.sum(np.real(np.interp(x, XP, fp) * (1 - 2j))))(fp)
    weights = at.grad(lambda fp: np.sum(np.interp(x, XP, fp)))(FP)
    np.testing.assert_allclose(g, weights * (1 - 2j), rtol=1e-15)
    # float32 in: NumPy's float64 out, gradients in the operands' dtype
    x32, xp32, fp32 = x.astype(np.float32), XP.astype(np.float32), FP.astype(np.float32)
    out, vjp = at.vjp(lambda x, xp, fp: np.interp(x, xp, fp), x32, xp32, fp32)
    assert out.dtype == np.float64
    assert all(g.dtype == np.float32 for g in vjp(np.ones(2)))
    # through NumPy's dispatch, and with traced bounds through at.interp
    assert at.grad(lambda left: at.interp(-2.0, XP, FP, left=left))(1.0) == 1.0
    assert at.grad(lambda x: np.interp(x, XP, FP))(0.25) == pytest.approx(8.0, rel=1e-15)


def test_interp_errors():
    with pytest.raises(
        ValueError, match=r"interp: xp and fp must be 1-D of the same length; got shapes \(4,\) and \(3,\)"
    ):
        at.grad(lambda x: at.interp(x, XP, FP[:3]))(0.5)
    with pytest.raises(ValueError, match="interp: xp and fp are empty"):
        at.grad(lambda x: at.interp(x, [], []))(0.5)
    with pytest.raises(TypeError, match="interp: x is complex"):
        at.grad(lambda fp: np.sum(np.real(at.interp(np.array([1j]), XP, fp))))(FP)


# --------------------------------------------------------------------------------------
# linspace, logspace, geomspace
# --------------------------------------------------------------------------------------

LINSPACE_CALLS = [
    (0.5, 2.25, {"num": 7}),
    (0.5, 2.25, {"num": 7, "endpoint": False, "retstep": True}),
    (np.array([0.0, 1.0]), np.array([[2.0], [-3.0]]), {"num": 4, "axis": -1}),
    (np.array([0.0, 1.0], dtype=np.float32), 3.5, {"num": 5, "axis": 1}),
    (1.0, 1.0 + 1e-300, {"num": 3}),  # NumPy's tiny-step branch
    (0.0, 1e-320, {"num": 3}),
    (1 + 2j, -1j, {"num": 4}),
    (2.0, 3.0, {"num": 1}),
    (2.0, 3.0, {"num": 0}),
    (0.0, 10.0, {"num": 4, "dtype": np.float32}),
]


@pytest.mark.parametrize("start,stop,params", LINSPACE_CALLS, ids=[str(i) for i in range(len(LINSPACE_CALLS))])
def test_linspace_equals_numpy_bit_for_bit(start, stop, params):
    expected = np.linspace(start, stop, **params)
    start_array = np.asarray(start)
    got = _traced_value(lambda s: at.linspace(s, stop, **params), start_array)
    if params.get("retstep"):
        (expected, expected_step), (got, got_step) = expected, got
        np.testing.assert_array_equal(got_step, expected_step)
    assert got.dtype == np.linspace(start_array, stop, **params)[0 if params.get("retstep") else ...].dtype
    np.testing.assert_array_equal(got, expected)


def test_linspace_derivatives_in_start_and_stop():
    num = 5
    gs, ge = at.grad(lambda a, b: np.sum(np.linspace(a, b, num) * np.arange(1.0, 6.0)), argnums=(0, 1))(0.5, 2.0)
    i = np.arange(5.0)
    assert gs == pytest.approx(np.sum((1 - i / 4) * (i + 1)), rel=1e-15)
    assert ge == pytest.approx(np.sum(i / 4 * (i + 1)), rel=1e-15)
    jac = _jacobian(lambda b: np.linspace(0.0, b, 4, endpoint=False), 2.0)
    np.testing.assert_allclose(jac, i[:4] / 4, rtol=1e-15)
    step_grad = at.grad(lambda b: np.linspace(0.0, b, 4, retstep=True)[1])(2.0)
    assert step_grad == pytest.approx(1 / 3, rel=1e-15)
    # array endpoints, the new axis last
    start, stop = np.array([0.0, 1.0]), np.array([[2.0], [-3.0]])
    check_grads(lambda a, b: np.linspace(a, b, 4, axis=-1), (start, stop), order=2, seed=4)
    assert np.linspace(np.array(1), 3, 5, dtype=int).dtype.kind == "i"  # integer dtypes: a constant
    np.testing.assert_array_equal(_traced_value(lambda b: np.linspace(0, b, 5, dtype=int), 3.0), [0, 0, 1, 2, 3])


def test_logspace_and_geomspace_values_and_derivatives():
    for args, params in (((0.5, 2.0), {"num": 4}), ((np.array([0.0, 1.0]), 2.0), {"num": 3, "base": 2.0, "axis": 1})):
        expected = np.logspace(*args, **params)
        np.testing.assert_array_equal(_traced_value(lambda a: np.logspace(a, *args[1:], **params), args[0]), expected)
    base = np.array([2.0, 3.0])
    np.testing.assert_array_equal(
        _traced_value(lambda b: np.logspace(0.0, 1.0, 3, base=b, axis=1), base),
        np.logspace(0.0, 1.0, 3, base=base, axis=1),
    )
    # logspace: y_i = base^(a + i (b - a) / (n - 1))
    i = np.arange(4.0)
    y = np.logspace(0.5, 2.0, 4)
    ga, gb = at.grad(lambda a, b: np.sum(np.logspace(a, b, 4)), argnums=(0, 1))(0.5, 2.0)
    assert ga == pytest.approx(np.sum(math.log(10) * y * (1 - i / 3)), rel=1e-13)
    assert gb == pytest.approx(np.sum(math.log(10) * y * i / 3), rel=1e-13)
    gbase = at.grad(lambda b: np.sum(np.logspace(0.5, 2.0, 4, base=b)))(10.0)
    assert gbase == pytest.approx(np.sum(y * (0.5 + i / 2) / 10.0), rel=1e-13)
    # geomspace: y_i = a^(1 - i/(n-1)) b^(i/(n-1)), the ends exactly a and b; negative too.
    for a, b in ((0.5, 8.0), (-2.0, -0.25)):
        expected = np.geomspace(a, b, 4)
        np.testing.assert_array_equal(_traced_value(lambda a: np.geomspace(a, b, 4), a), expected)
        assert (expected[0], expected[-1]) == (a, b)
        ga, gb = at.grad(lambda a, b: np.sum(np.geomspace(a, b, 4)), argnums=(0, 1))(a, b)
        assert ga == pytest.approx(np.sum(expected * (1 - i / 3)) / a, rel=1e-13)
        assert gb == pytest.approx(np.sum(expected * i / 3) / b, rel=1e-13)
    check_grads(lambda a, b: np.geomspace(a, b, 5, axis=1), (np.array([1.0, -3.0]), np.array([4.0, -0.5])), order=2)
    with pytest.raises(ValueError, match="geomspace: a geometric sequence cannot include zero"):
        at.grad(lambda a: np.sum(np.geomspace(a, 0.0, 3)))(1.0)


def test_geomspace_with_complex_endpoints():
    a, b = 1 + 1j, -2 + 0.5j
    np.testing.assert_allclose(_traced_value(lambda a: np.geomspace(a, b, 5), a), np.geomspace(a, b, 5), rtol=1e-14)
    # the sign of a traced complex start is differentiated: a real loss against finite differences
    w = np.array([1.0, -2.0, 0.5, 3.0, 1.5]) + 1j * np.array([0.5, 1.0, -1.0, 2.0, 0.0])
    g = at.grad(lambda a: np.sum(np.real(np.geomspace(a, b, 5) * w)))(a)

    def loss(a):
        return np.sum(np.real(np.geomspace(a, b, 5) * w))

    step = 1e-6
    d_re = (loss(a + step) - loss(a - step)) / (2 * step)
    d_im = (loss(a + 1j * step) - loss(a - 1j * step)) / (2 * step)
    assert g == pytest.approx(d_re - 1j * d_im, rel=1e-7)


# --------------------------------------------------------------------------------------
# meshgrid
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("indexing", ["xy", "ij"])
@pytest.mark.parametrize("sparse", [False, True])
def test_meshgrid_values_and_the_sums_of_its_gradients(indexing, sparse):
    x, y, z = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5]), np.array([4.0, 5.0, 6.0, 7.0])
    expected = np.meshgrid(x, y, z, indexing=indexing, sparse=sparse)
    got = _traced_value(lambda x: np.meshgrid(x, y, z, indexing=indexing, sparse=sparse), x)
    assert isinstance(got, tuple) and len(got) == 3
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e)
    shape = np.broadcast_shapes(*(e.shape for e in expected))
    weights = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)

    def loss(x, y, z):
        grids = np.meshgrid(x, y, z, indexing=indexing, sparse=sparse)
        return sum(np.sum(np.broadcast_to(grid, shape) * weights * (k + 1)) for k, grid in enumerate(grids))

    gx, gy, gz = at.grad(loss, argnums=(0, 1, 2))(x, y, z)
    axes = (1, 0, 2) if indexing == "xy" else (0, 1, 2)
    for k, (g, axis) in enumerate(zip((gx, gy, gz), axes)):
        others = tuple(a for a in range(3) if a != axis)
        np.testing.assert_array_equal(g, (k + 1) * weights.sum(axis=others))


# --------------------------------------------------------------------------------------
# polyval and vander
# --------------------------------------------------------------------------------------


def test_polyval_values_and_derivatives():
    p = np.array([2.0, -3.0, 0.5, 1.0])
    x = np.array([[-1.5, 0.0], [0.25, 2.0]])
    np.testing.assert_array_equal(_traced_value(lambda p: np.polyval(p, x), p), np.polyval(p, x))
    gx = at.grad(lambda x: np.sum(np.polyval(p, x)))(x)
    np.testing.assert_allclose(gx, np.polyval(np.polyder(p), x), rtol=1e-15)
    gp = at.grad(lambda p: np.sum(np.polyval(p, x)))(p)
    np.testing.assert_allclose(gp, [np.sum(x**3), np.sum(x**2), np.sum(x), x.size], rtol=1e-15)
    assert at.grad(at.grad(lambda x: np.polyval(p, x)))(0.5) == pytest.approx(12.0 * 0.5 - 6.0, rel=1e-15)


def test_vander_values_and_derivatives():
    x = np.array([0.5, -2.0, 3.0])
    for params in ({}, {"N": 5}, {"N": 4, "increasing": True}, {"N": 1}, {"N": 0}):
        np.testing.assert_array_equal(_traced_value(lambda x: np.vander(x, **params), x), np.vander(x, **params))
    w = np.arange(12.0).reshape(3, 4)
    g = at.grad(lambda x: np.sum(np.vander(x, 4) * w))(x)
    powers = np.arange(3.0, -1.0, -1.0)  # decreasing: x^3, x^2, x, 1
    np.testing.assert_allclose(g, np.sum(w * powers * x[:, None] ** np.maximum(powers - 1, 0), axis=1), rtol=1e-15)
    x32 = x.astype(np.float32)
    assert _traced_value(lambda x: np.vander(x), x32).dtype == np.float64  # NumPy promotes with int
    with pytest.raises(ValueError, match=r"vander: x must be one-dimensional, got shape \(3, 1\)"):
        at.grad(lambda x: np.sum(np.vander(x[:, None])))(x)


# --------------------------------------------------------------------------------------
# unwrap
# --------------------------------------------------------------------------------------


def test_unwrap_values_identity_derivative_and_the_period():
    p = np.array([[0.0, 3.0, 6.5, 0.5, -3.0], [1.0, -5.5, 1.2, 7.0, 13.0]])
    for params in ({}, {"axis": 0}, {"discont": 4.0}, {"period": 4.0}, {"period": 5}):
        expected = np.unwrap(p, **params)
        np.testing.assert_array_equal(_traced_value(lambda p: np.unwrap(p, **params), p), expected)
    np.testing.assert_array_equal(at.grad(lambda p: np.sum(np.unwrap(p) * 3.0))(p), np.full(p.shape, 3.0))
    # d/dperiod: the number of periods added, accumulated along the axis
    added = np.round((np.unwrap(p, period=4.0) - p) / 4.0)
    assert at.grad(lambda period: np.sum(at.unwrap(p, period=period)))(4.0) == np.sum(added)
    float32 = p.astype(np.float32)
    assert _traced_value(lambda p: np.unwrap(p), float32).dtype == np.float32


# --------------------------------------------------------------------------------------
# i0
# --------------------------------------------------------------------------------------


def _bessel_i1_by_quadrature(x):
    """I1(x) = (1/pi) int_0^pi exp(x cos t) cos t dt, by the trapezoidal rule, which converges
    geometrically for this smooth periodic integrand (an independent reference)."""
    t = np.linspace(0.0, np.pi, 4001)
    values = np.exp(np.multiply.outer(x, np.cos(t))) * np.cos(t)
    return np.trapezoid(values, t, axis=-1) / np.pi


def test_i0_derivative_is_i1_on_both_branches():
    x = np.array([-40.0, -20.5, -19.99, -8.5, -1.0, 0.0, 0.3, 7.9, 8.1, 19.99, 20.01, 35.0])
    g = at.grad(lambda x: np.sum(np.i0(x)))(x)
    np.testing.assert_allclose(g, _bessel_i1_by_quadrature(x), rtol=2e-14, atol=1e-15)
    assert g[5] == 0.0
    np.testing.assert_array_equal(_traced_value(np.i0, x), np.i0(x))


def test_i0_second_derivative():
    # i0'' = I1' = i0(x) - I1(x) / x, and 1/2 at 0.
    x = np.array([-23.0, -3.0, 0.5, 9.0, 21.0])
    second = at.grad(lambda x: np.sum(at.grad(lambda x: np.sum(np.i0(x)))(x)))(x)
    np.testing.assert_allclose(second, np.i0(x) - _bessel_i1_by_quadrature(x) / x, rtol=1e-13)
    assert at.grad(at.grad(at.i0))(0.0) == pytest.approx(0.5, rel=1e-15)
    g32 = at.grad(lambda x: np.sum(np.i0(x)))(x.astype(np.float32))
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, _bessel_i1_by_quadrature(x), rtol=1e-5)


# --------------------------------------------------------------------------------------
# clip through NumPy's dispatch
# --------------------------------------------------------------------------------------


def test_numpy_clip_on_traced_values_differentiates_all_three_operands():
    x = np.array([-2.0, -0.5, 0.25, 1.5, 3.0])
    lo, hi = np.array([-1.0, -1.0, -1.0, -1.0, -1.0]), np.array([2.0, 2.0, 0.0, 2.0, 2.0])
    gx, glo, ghi = at.grad(lambda x, lo, hi: np.sum(np.clip(x, lo, hi) * np.arange(1.0, 6.0)), argnums=(0, 1, 2))(
        x, lo, hi
    )
    np.testing.assert_array_equal(gx, [0.0, 2.0, 0.0, 4.0, 0.0])
    np.testing.assert_array_equal(glo, [1.0, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(ghi, [0.0, 0.0, 3.0, 0.0, 5.0])
    # NumPy 2's keyword spellings, and the method
    g = at.grad(lambda lo: np.sum(np.clip(x, min=lo, max=1.0)))(lo)
    np.testing.assert_array_equal(g, [1.0, 0.0, 0.0, 0.0, 0.0])


def test_interp_with_period_accepts_lists_as_numpy_does():
    x = np.array([0.3, 2.6])
    xp, fp = [0.0, 1.0, 2.0], [0.0, 1.0, 0.0]
    expected = np.interp(x, xp, fp, period=2.0)
    np.testing.assert_array_equal(at.interp(x, xp, fp, period=2.0), expected)
    g = at.grad(lambda x: np.sum(np.interp(x, xp, fp, period=2.0)))(x)
    np.testing.assert_array_equal(g, [1.0, 1.0])  # slopes of the segments x mod 2 falls on

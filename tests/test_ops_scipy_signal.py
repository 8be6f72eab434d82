"""scipy.signal ops: SciPy's values, and Jacobians equal to the linear maps they are.

convolve, correlate and convolve2d are linear in each input with the other fixed (affine
in in1 for convolve2d with a nonzero fill value), so their exact Jacobian in one input is
the matrix whose columns are the op applied to the unit arrays: the tests compare
``at.jacobian`` (reverse mode) and ``at.jvp`` (forward mode) with it, for every mode,
method and boundary.
"""

from __future__ import annotations

import numpy as np
import pytest

signal = pytest.importorskip("scipy.signal")

import autotape as at  # noqa: E402
import autotape.scipy.signal as asig  # noqa: E402
from autotape.testing import check_grads  # noqa: E402

RNG = np.random.default_rng(11)


def dense_jacobian(linear, shape):
    """The matrix of ``linear`` (a function of one array of ``shape``): the images of the unit arrays."""
    columns = []
    for i in range(int(np.prod(shape))):
        unit = np.zeros(int(np.prod(shape)))
        unit[i] = 1.0
        columns.append(np.ravel(linear(unit.reshape(shape))))
    return np.stack(columns, axis=1)


def check_jacobians(op, in1, in2, **params):
    """Reverse- and forward-mode Jacobians of ``op`` in each input against the dense linear maps."""
    out = op(in1, in2, **params)
    zero1 = op(np.zeros_like(in1), in2, **params)  # the fill value's constant part, if any
    expected1 = dense_jacobian(lambda u: op(u, in2, **params) - zero1, in1.shape)
    expected2 = dense_jacobian(lambda u: op(in1, u, **params), in2.shape)
    jac1, jac2 = at.jacobian(lambda a, b: op(a, b, **params), argnums=(0, 1))(in1, in2)
    np.testing.assert_allclose(jac1.reshape(out.size, in1.size), expected1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(jac2.reshape(out.size, in2.size), expected2, rtol=1e-12, atol=1e-12)
    t1, t2 = RNG.standard_normal(in1.shape), RNG.standard_normal(in2.shape)
    _, tangent = at.jvp(lambda a, b: op(a, b, **params), (in1, in2), (t1, t2))
    np.testing.assert_allclose(
        np.ravel(tangent), expected1 @ t1.ravel() + expected2 @ t2.ravel(), rtol=1e-11, atol=1e-12
    )


SHAPES_1D = [((5,), (3,)), ((3,), (5,)), ((4,), (4,)), ((1,), (3,))]


@pytest.mark.parametrize("op", [asig.convolve, asig.correlate], ids=["convolve", "correlate"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("method", ["auto", "direct", "fft"])
@pytest.mark.parametrize("shapes", SHAPES_1D + [((3, 4), (2, 3)), ((2, 2), (3, 4)), ((2, 3, 2), (2, 2, 2))], ids=str)
def test_convolve_and_correlate_values_and_jacobians(op, mode, method, shapes):
    s1, s2 = shapes
    in1, in2 = RNG.standard_normal(s1), RNG.standard_normal(s2)
    reference = getattr(signal, op.__name__)
    expected = reference(in1, in2, mode=mode, method=method)
    np.testing.assert_array_equal(op(in1, in2, mode=mode, method=method), expected)
    traced, _ = at.vjp(lambda a, b: op(a, b, mode=mode, method=method), in1, in2)
    np.testing.assert_array_equal(traced, expected)
    check_jacobians(op, in1, in2, mode=mode, method=method)


def test_the_vjp_is_a_correlation_with_the_other_input():
    # d/d in1 of <g, convolve(in1, k, "valid")> is correlate(g, k) padded: for "full" mode,
    # correlate(g, k, "valid") exactly.
    in1, k = RNG.standard_normal(7), RNG.standard_normal(3)
    g = RNG.standard_normal(9)
    g1, gk = at.vjp(lambda a, b: asig.convolve(a, b), in1, k)[1](g)
    np.testing.assert_allclose(g1, signal.correlate(g, k, mode="valid"), rtol=1e-14)
    np.testing.assert_allclose(gk, signal.correlate(g, in1, mode="valid"), rtol=1e-14)


def test_second_order_and_nested_transforms():
    in1, in2 = RNG.standard_normal((3, 4)), RNG.standard_normal((2, 2))
    for op in (asig.convolve, asig.correlate):
        check_grads(lambda a, b: np.tanh(op(a, b, mode="same")), (in1, in2), order=2)
    check_grads(lambda a, b: np.tanh(asig.convolve2d(a, b, "same", "wrap")), (in1, in2), order=2)
    check_grads(lambda a, b: np.tanh(asig.convolve2d(a, b, "full", "fill", 0.5)), (in1, in2), order=2)
    # A Hessian of a quadratic form: sum(convolve(x, x)) = sum(x)^2 has Hessian 2 * ones.
    x = RNG.standard_normal(4)
    np.testing.assert_allclose(at.hessian(lambda x: np.sum(asig.convolve(x, x)))(x), np.full((4, 4), 2.0), rtol=1e-13)


def _fits(s1, s2):
    """ "valid" mode needs one input at least as large as the other along every axis."""
    return all(a >= b for a, b in zip(s1, s2)) or all(a <= b for a, b in zip(s1, s2))


CONVOLVE2D_CASES = [
    (boundary, mode, shapes)
    for boundary in ["fill", "wrap", "symm", "circular", "symmetric"]
    for mode in ["full", "same", "valid"]
    for shapes in [((4, 5), (2, 3)), ((3, 3), (3, 3)), ((2, 2), (3, 4)), ((4, 1), (2, 2)), ((2, 3), (4, 6))]
    if mode != "valid" or _fits(*shapes)
]


@pytest.mark.parametrize("boundary,mode,shapes", CONVOLVE2D_CASES, ids=str)
def test_convolve2d_values_and_jacobians(boundary, mode, shapes):
    s1, s2 = shapes
    in1, in2 = RNG.standard_normal(s1), RNG.standard_normal(s2)
    for fillvalue in [0.0, 1.5] if boundary == "fill" else [0.0]:
        params = dict(mode=mode, boundary=boundary, fillvalue=fillvalue)
        expected = signal.convolve2d(in1, in2, **params)
        np.testing.assert_array_equal(asig.convolve2d(in1, in2, **params), expected)
        np.testing.assert_array_equal(at.vjp(lambda a: asig.convolve2d(a, in2, **params), in1)[0], expected)
        check_jacobians(asig.convolve2d, in1, in2, **params)


def test_convolve2d_fill_value_is_not_differentiated_but_shifts_the_in2_gradient():
    in1, in2 = np.ones((2, 2)), np.ones((2, 2))
    # full mode: every output sums 4 products with in2's ones; those outside in1 read the fill value.
    g_zero = at.grad(lambda b: np.sum(asig.convolve2d(in1, b)))(in2)
    g_fill = at.grad(lambda b: np.sum(asig.convolve2d(in1, b, fillvalue=2.0)))(in2)
    np.testing.assert_array_equal(g_zero, np.full((2, 2), 4.0))  # each in2 element meets each in1 element once
    np.testing.assert_array_equal(g_fill, np.full((2, 2), 4.0 + 2.0 * 5))  # and 5 fill values of the 3x3 outputs


def test_complex_inputs_follow_the_convention():
    in1 = RNG.standard_normal(4) + 1j * RNG.standard_normal(4)
    in2 = RNG.standard_normal(3) + 1j * RNG.standard_normal(3)
    # convolve is holomorphic in both inputs: grad(..., holomorphic=True) of one output.
    d1 = at.grad(lambda a: asig.convolve(a, in2)[2], holomorphic=True)(in1)
    np.testing.assert_allclose(d1, [in2[2], in2[1], in2[0], 0], rtol=1e-15)
    # Real losses: the gradient g is dL/dx - i dL/dy, so the derivative along a complex
    # direction w is Re(sum(g w)) (docs/complex.md). correlate conjugates in2:
    # out[k] = sum_n in1[n + k] conj(in2[n]).
    losses = [
        lambda a, b: np.sum(np.abs(signal.correlate(a, b, mode="same")) ** 2),
        lambda a, b: np.sum(np.abs(signal.convolve(a, b, mode="valid")) ** 2),
        lambda a, b: np.sum(np.abs(signal.convolve2d(a[None], b[None], boundary="symm")) ** 2),
    ]
    for loss, op in zip(losses, [asig.correlate, asig.convolve, asig.convolve2d]):
        if op is asig.convolve2d:
            traced = lambda a, b: np.sum(np.abs(op(a[None], b[None], boundary="symm")) ** 2)  # noqa: E731
        else:
            traced = lambda a, b: np.sum(np.abs(op(a, b, mode="same" if op is asig.correlate else "valid")) ** 2)  # noqa: E731
        grads = at.grad(traced, argnums=(0, 1))(in1, in2)
        for i, g in enumerate(grads):
            w = RNG.standard_normal(g.shape) + 1j * RNG.standard_normal(g.shape)
            args_plus, args_minus = [in1, in2], [in1, in2]
            args_plus[i], args_minus[i] = args_plus[i] + 1e-6 * w, args_minus[i] - 1e-6 * w
            fd = (loss(*args_plus) - loss(*args_minus)) / 2e-6
            assert np.real(np.sum(g * w)) == pytest.approx(fd, rel=1e-7, abs=1e-8)


def test_errors_are_scipy_s_and_scipy_s_own_functions_refuse_traced_values():
    with pytest.raises(ValueError, match="same dimensionality"):
        at.grad(lambda a: np.sum(asig.convolve(a, np.ones((2, 2)))))(np.ones(3))
    with pytest.raises(ValueError, match="at least as large as the other"):
        at.grad(lambda a: np.sum(asig.convolve(a, np.ones((1, 4)), mode="valid")))(np.ones((2, 2)))
    with pytest.raises(ValueError, match="2-D"):
        at.grad(lambda a: np.sum(asig.convolve2d(a, np.ones(2))))(np.ones(3))
    with pytest.raises(ValueError, match="convolve2d: boundary='reflect' is not one of 'fill'"):
        at.grad(lambda a: np.sum(asig.convolve2d(a, np.ones((2, 2)), boundary="reflect")))(np.ones((3, 3)))
    with pytest.raises(ValueError, match="convolve2d: boundary='reflect' is not one of 'fill'"):
        asig.convolve2d(np.ones((3, 3)), np.ones((2, 2)), boundary="reflect")  # SciPy's message is unclear
    with pytest.raises(TypeError, match="cannot be converted to a NumPy array"):
        at.grad(lambda a: np.sum(signal.convolve(a, np.ones(2))))(np.ones(3))


def test_float32_stays_float32():
    in1, in2 = RNG.standard_normal(5).astype(np.float32), RNG.standard_normal(2).astype(np.float32)
    for op in (asig.convolve, asig.correlate):
        g1, g2 = at.grad(lambda a, b: np.sum(op(a, b, mode="same")), argnums=(0, 1))(in1, in2)
        assert g1.dtype == g2.dtype == np.float32
    g = at.grad(lambda a: np.sum(asig.convolve2d(a, in2[None], boundary="wrap")))(in1[None])
    assert g.dtype == np.float32

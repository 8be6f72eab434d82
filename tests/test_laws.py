"""Algebraic laws of autotape's transforms, each a property over drawn inputs.

The functions are random differentiable programs (``autotape.testing.strategies.programs``:
chains of every primitive over drawn inputs, smooth where they are evaluated), and
the laws are those any reverse-mode implementation must satisfy:

- the gradient agrees with finite differences (first order, float64 and float32, and
  for MLP parameter pytrees), and so does the nested gradient (second order);
- linearity: ``grad(a f + b g) == a grad(f) + b grad(g)``;
- ``vjp`` with cotangent ``v`` equals ``grad(lambda x: sum(f(x) * v))``, and is linear in ``v``;
- the rows of ``jacobian`` are the VJPs of the basis vectors, and ``jacobian @ d``
  is the finite-difference directional derivative;
- Hessians are symmetric;
- ``value_and_grad``'s value is the function's value, its gradient ``grad``'s;
- the gradient of a function that ignores its argument is zeros of the argument's
  shape and dtype.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import autotape as at
from autotape.testing import check_grads
from autotape.testing import strategies as ats


def _examples(n: int) -> int:
    """``n`` examples under the default ("dev", 25 examples) profile, scaled for the others."""
    return max(1, round(n * settings.default.max_examples / 25))


def _all(program) -> tuple:
    return tuple(range(program.num_inputs))


def assert_close(actual, expected, rtol: float, scale=None, what: str = ""):
    """Elementwise ``|actual - expected| <= rtol * max(1, scale)``, ``scale`` defaulting
    to ``max |expected|``: relative to the magnitude of the whole array."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    if scale is None:
        scale = float(np.max(np.abs(expected), initial=0.0))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * max(1.0, scale), err_msg=what)


small_programs = ats.programs(min_inputs=1, max_inputs=1, max_dims=2, max_side=3, max_steps=5)


# --------------------------------------------------------------------------------------
# Against finite differences
# --------------------------------------------------------------------------------------


@settings(max_examples=_examples(50), deadline=None)
@given(program=ats.programs(), seed=ats.seeds())
def test_grad_agrees_with_finite_differences(program, seed):
    check_grads(program.loss(), program.inputs, seed=seed)


@settings(max_examples=_examples(30), deadline=None)
@given(program=ats.programs(dtype=np.float32), seed=ats.seeds())
def test_float32_grad_agrees_with_finite_differences_and_stays_float32(program, seed):
    grads = at.grad(program.loss(), argnums=_all(program))(*program.inputs)
    assert all(g.dtype == np.float32 and g.shape == x.shape for g, x in zip(grads, program.inputs))
    check_grads(program.loss(), program.inputs, seed=seed)


@settings(max_examples=_examples(40), deadline=None)
@given(program=ats.programs(), seed=ats.seeds(), data=st.data())
def test_nested_grad_agrees_with_finite_differences_of_grad(program, seed, data):
    # h(x) = <grad f(x), u>: its gradient (a Hessian-vector product, by grad of grad)
    # against central differences of h, which is computed by the first-order grad.
    u = [
        data.draw(ats.float_arrays(x.shape, min_value=-1, max_value=1), label=f"u{i}")
        for i, x in enumerate(program.inputs)
    ]
    loss = program.loss()

    def h(*xs):
        grads = at.grad(loss, argnums=_all(program))(*xs)
        return sum(at.sum(g * ui) for g, ui in zip(grads, u))

    check_grads(h, program.inputs, seed=seed)


@settings(max_examples=_examples(10), deadline=None)
@given(params=ats.mlp_params(ats.mlp_layer_sizes(1, 3, max_size=4)), seed=ats.seeds(), data=st.data())
def test_mlp_parameter_pytree_gradients_agree_with_finite_differences(params, seed, data):
    n_in = params[0]["w"].shape[0]
    x = data.draw(ats.float_arrays((5, n_in), min_value=-2, max_value=2), label="x")

    def loss(params):
        h = x
        for layer in params[:-1]:
            h = at.tanh(h @ layer["w"] + layer["b"])
        return at.mean((h @ params[-1]["w"] + params[-1]["b"]) ** 2)

    grads = at.grad(loss)(params)
    assert at.tree.structure(grads) == at.tree.structure(params)
    check_grads(loss, (params,), order=2, seed=seed)


# --------------------------------------------------------------------------------------
# Algebraic laws
# --------------------------------------------------------------------------------------


@settings(max_examples=_examples(25), deadline=None)
@given(data=st.data())
def test_grad_is_linear(data):
    f = data.draw(ats.programs(), label="f")
    g = data.draw(ats.programs(inputs=f.inputs), label="g")
    a, b = data.draw(st.floats(-3, 3), label="a"), data.draw(st.floats(-3, 3), label="b")
    nums = _all(f)
    lf, lg = f.loss(), g.loss()
    combined = at.grad(lambda *xs: a * lf(*xs) + b * lg(*xs), argnums=nums)(*f.inputs)
    grad_f = at.grad(lf, argnums=nums)(*f.inputs)
    grad_g = at.grad(lg, argnums=nums)(*f.inputs)
    for i, (c, gf, gg) in enumerate(zip(combined, grad_f, grad_g)):
        scale = float(np.max(np.abs(a * gf) + np.abs(b * gg)))
        assert_close(c, a * gf + b * gg, 1e-12, scale, what=f"input {i}")


@settings(max_examples=_examples(25), deadline=None)
@given(program=ats.programs())
def test_vjp_with_cotangent_v_is_grad_of_sum_f_times_v(program):
    f, v, nums = program.function(), program.cotangent, _all(program)
    out, vjp_fn = at.vjp(f, *program.inputs)
    assert_close(out, f(*program.inputs), 1e-14, what="vjp's output")
    via_vjp = vjp_fn(v)
    via_grad = at.grad(lambda *xs: at.sum(f(*xs) * v), argnums=nums)(*program.inputs)
    assert len(via_vjp) == program.num_inputs
    for i, (a, b) in enumerate(zip(via_vjp, via_grad)):
        assert a.shape == program.inputs[i].shape and a.dtype == program.inputs[i].dtype
        assert_close(a, b, 1e-13, what=f"input {i}")


@settings(max_examples=_examples(20), deadline=None)
@given(program=ats.programs(), data=st.data())
def test_vjp_is_linear_in_the_cotangent(program, data):
    w = data.draw(ats.float_arrays(program.output_shape, min_value=-1, max_value=1), label="w")
    c = data.draw(st.floats(-3, 3), label="c")
    _, vjp_fn = at.vjp(program.function(), *program.inputs)
    v_part, w_part = vjp_fn(program.cotangent), vjp_fn(w)
    combined = vjp_fn(c * program.cotangent + w)
    for i, (both, pv, pw) in enumerate(zip(combined, v_part, w_part)):
        scale = float(np.max(np.abs(c * pv) + np.abs(pw)))
        assert_close(both, c * pv + pw, 1e-12, scale, what=f"input {i}")
    # vjp_fn can be called again, with the same result.
    for i, (again, first) in enumerate(zip(vjp_fn(program.cotangent), v_part)):
        np.testing.assert_array_equal(again, first, err_msg=f"input {i}")


@settings(max_examples=_examples(20), deadline=None)
@given(program=small_programs)
def test_jacobian_rows_are_the_vjps_of_the_basis_vectors(program):
    (x,) = program.inputs
    f = program.function()
    jac = at.jacobian(f)(x)
    out_shape = program.output_shape
    assert jac.shape == out_shape + x.shape and jac.dtype == x.dtype
    _, vjp_fn = at.vjp(f, x)
    rows = jac.reshape((-1,) + x.shape)
    for i in range(rows.shape[0]):
        basis = np.zeros(rows.shape[0])
        basis[i] = 1.0
        (row,) = vjp_fn(basis.reshape(out_shape))
        assert_close(rows[i], row, 1e-14, what=f"row {i}")


@settings(max_examples=_examples(20), deadline=None)
@given(program=small_programs, data=st.data())
def test_jacobian_times_a_direction_is_the_directional_derivative(program, data):
    (x,) = program.inputs
    f = program.function()
    d = data.draw(ats.float_arrays(x.shape, min_value=-1, max_value=1), label="d")
    d = d / max(1.0, float(np.linalg.norm(d)))
    jac = at.jacobian(f)(x).reshape(program.output_shape + (-1,))
    eps = 1e-5
    finite_difference = (f(x + eps * d) - f(x - eps * d)) / (2 * eps)
    jvp = jac @ d.ravel()
    scale = float(np.max(np.abs(jac), initial=0.0)) * float(np.sum(np.abs(d)))
    assert_close(jvp, finite_difference, 1e-5, scale, what="J d")


@settings(max_examples=_examples(20), deadline=None)
@given(program=small_programs)
def test_hessian_is_symmetric(program):
    (x,) = program.inputs
    hess = at.hessian(program.loss())(x)
    assert hess.shape == x.shape + x.shape
    matrix = hess.reshape(x.size, x.size)
    assert_close(matrix, matrix.T, 1e-10, what="H vs H^T")


@settings(max_examples=_examples(25), deadline=None)
@given(program=ats.programs(dtype=st.sampled_from([np.float32, np.float64])))
def test_value_and_grad_value_is_the_function_value(program):
    loss, nums = program.loss(), _all(program)
    value, grads = at.value_and_grad(loss, argnums=nums)(*program.inputs)
    expected = loss(*program.inputs)
    assert np.shape(value) == np.shape(expected) == () and value.dtype == expected.dtype
    assert_close(value, expected, 1e-13 if value.dtype == np.float64 else 1e-6, what="value")
    for i, (a, b) in enumerate(zip(grads, at.grad(loss, argnums=nums)(*program.inputs))):
        np.testing.assert_array_equal(a, b, err_msg=f"value_and_grad's gradient of input {i} differs from grad's")


@settings(max_examples=_examples(25), deadline=None)
@given(
    program=ats.programs(),
    ignored=ats.float_arrays(dtype=st.sampled_from([np.float32, np.float64])),
    params=ats.mlp_params(ats.mlp_layer_sizes(1, 2), dtype=np.float32),
)
def test_grad_of_a_function_that_ignores_its_argument_is_zeros(program, ignored, params):
    loss = program.loss()

    def fun(ignored, params, *xs):
        return loss(*xs)

    g_ignored, g_params = at.grad(fun, argnums=(0, 1))(ignored, params, *program.inputs)
    assert type(g_ignored) is np.ndarray
    assert g_ignored.shape == ignored.shape and g_ignored.dtype == ignored.dtype
    np.testing.assert_array_equal(g_ignored, np.zeros_like(ignored))
    assert at.tree.structure(g_params) == at.tree.structure(params)
    for g, p in zip(at.tree.leaves(g_params), at.tree.leaves(params)):
        assert g.shape == p.shape and g.dtype == p.dtype and not np.any(g)
    # A constant function, and a function of a constant copy of its argument.
    np.testing.assert_array_equal(at.grad(lambda x: 2.5)(ignored), np.zeros_like(ignored))
    stopped = at.grad(lambda x: at.sum(at.stop_gradient(x) * 3.0))(ignored)
    assert stopped.dtype == ignored.dtype
    np.testing.assert_array_equal(stopped, np.zeros_like(ignored))

"""The engine and the transforms: accumulation, higher order, errors, levels, dtypes."""

import gc
import re
import threading
import weakref

import numpy as np
import pytest

import autotape as at
from autotape.testing import check_grads


def test_value_used_twice_sums_cotangents():
    # f(x) = x*x + x  ->  f'(x) = 2x + 1; an overwriting tape would give 1 or 2x.
    assert at.grad(lambda x: x * x + x)(3.0) == 7.0
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(at.grad(lambda x: at.sum(x * x + x))(x), 2 * x + 1, rtol=0, atol=0)


def test_seed_task2_arithmetic_values_and_gradients():
    a, b = 2.0, 3.0
    f = lambda a, b: (a + b, a - b, a * b, a / b, a**b, -a)  # noqa: E731
    assert f(at.add(a, 0.0), b) == (5.0, -1.0, 6.0, 2.0 / 3.0, 8.0, -2.0)
    grads = at.grad(lambda a, b: a * b + a / b + a**b, argnums=(0, 1))(a, b)
    assert grads[0] == pytest.approx(b + 1 / b + b * a ** (b - 1), rel=1e-15)
    assert grads[1] == pytest.approx(a - a / b**2 + a**b * np.log(a), rel=1e-15)


def test_seed_task3_tape_of_x_plus_w1_plus_w2():
    x, w1, w2 = np.array([1.0, 2.0]), np.array([0.5, 0.5]), np.array([-1.0, 3.0])
    tape = at.trace(lambda x, w1, w2: x + w1 + w2)(x, w1, w2)
    assert [entry.primitive.name for entry in tape] == ["add", "add"]
    first, second = tape
    x_node, w1_node, w2_node = tape.input_nodes
    assert first.inputs == (x_node, w1_node)
    assert second.inputs == (first.output, w2_node)
    assert second.output_shape == (2,)
    listing = str(tape).splitlines()
    assert len(listing) == 1 + 3 + 2
    assert "add(%3, %2)" in listing[-1] and "test_engine.py" in listing[-1]


def test_seed_task4_gradient():
    # L(w) = (x @ w - y)^2 with x = [[2, 3]], w = [[1], [2]], y = 6.6: residual 1.4,
    # so dL/dw = 2 * 1.4 * x^T = [[5.6], [8.4]].
    x, y = np.array([[2.0, 3.0]]), np.array([[6.6]])
    loss = lambda w: at.sum((x @ w - y) ** 2)  # noqa: E731
    np.testing.assert_allclose(at.grad(loss)(np.array([[1.0], [2.0]])), [[5.6], [8.4]], rtol=1e-14)


def test_second_derivative_of_tanh():
    x = np.linspace(-2, 2, 7)
    expected = -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)
    for xi, e in zip(x, expected):
        assert at.grad(at.grad(at.tanh))(xi) == pytest.approx(e, rel=1e-13, abs=1e-15)


def test_hessian_of_quadratic_form():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    np.testing.assert_allclose(at.hessian(lambda x: x @ A @ x)(x), A + A.T, rtol=1e-13)


def test_no_perturbation_confusion():
    assert at.grad(lambda x: x * at.grad(lambda y: x + y)(1.0))(1.0) == 1.0
    # d/dx [x * d/dy (x*y)] = d/dx x^2 = 2x
    assert at.grad(lambda x: x * at.grad(lambda y: x * y)(2.0))(3.0) == 6.0


def test_third_order():
    # d^3/dx^3 sin-free polynomial: x^4 -> 24x
    f = lambda x: x**4  # noqa: E731
    assert at.grad(at.grad(at.grad(f)))(2.0) == pytest.approx(48.0, rel=1e-14)


def test_long_chain_has_no_recursion_error():
    def chain(x):
        for _ in range(100_000):
            x = x * 1.0000001
        return at.sum(x)

    g = at.grad(chain)(np.ones(2))
    np.testing.assert_allclose(g, 1.0000001**100_000, rtol=1e-10)


def test_gradient_of_constant_function_is_zeros_of_argument():
    params = {"w": np.ones((2, 3), dtype=np.float32), "b": np.ones(3)}
    grads = at.grad(lambda p: 3.0)(params)
    assert grads["w"].shape == (2, 3) and grads["w"].dtype == np.float32
    assert not grads["w"].any() and not grads["b"].any()


def test_bias_gradients_keep_their_shapes():
    X = np.arange(6.0).reshape(2, 3)
    expected = {(3,): [3.0, 5.0, 7.0], (1, 3): [[3.0, 5.0, 7.0]], (2, 1): [[3.0], [12.0]]}
    for shape, want in expected.items():
        g = at.grad(lambda b: at.sum(X * b))(np.ones(shape))
        assert g.shape == shape
        np.testing.assert_array_equal(g, want)
    assert at.grad(lambda b: at.sum(X + b))(0.5) == 6.0


def test_float32_in_float32_out():
    x = np.array([0.5, -1.0], dtype=np.float32)
    g = at.grad(lambda x: at.sum(at.tanh(x) * 2.0 + at.exp(x) / 3))(x)
    assert g.dtype == np.float32
    w = np.ones((3, 2), dtype=np.float32)
    X = np.ones((4, 3), dtype=np.float32)
    assert at.grad(lambda w: at.mean((X @ w) ** 2))(w).dtype == np.float32


def test_ndarray_and_numpy_scalar_on_the_left():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([0.5, -0.5])
    np.testing.assert_allclose(at.grad(lambda w: at.sum(X @ w))(w), X.sum(axis=0))
    np.testing.assert_allclose(at.grad(lambda w: at.sum(1.0 - w))(w), [-1.0, -1.0])
    np.testing.assert_allclose(at.grad(lambda w: at.sum(np.float64(2) * w))(w), [2.0, 2.0])
    np.testing.assert_allclose(at.grad(lambda w: at.sum(X * w))(w), X.sum(axis=0))


def test_integer_argument_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match=r"args\[0\]\['n'\].*int"):
        at.grad(lambda p: at.sum(p["w"] * p["n"]))({"w": np.ones(2), "n": np.arange(2)})
    with pytest.raises(TypeError, match="bool"):
        at.grad(lambda x: 1.0)(True)
    with pytest.raises(TypeError, match="dtype int"):
        at.grad(lambda x: at.sum(x * 1.0))(np.arange(3))


def test_escaped_tracer_raises():
    leaked = []

    def f(x):
        leaked.append(x)
        return at.sum(x * 2)

    at.grad(f)(np.ones(2))
    with pytest.raises(RuntimeError, match="already returned"):
        at.tanh(leaked[0])
    with pytest.raises(RuntimeError, match="already returned"):
        leaked[0] + 1
    with pytest.raises(RuntimeError, match="already returned"):
        at.grad(lambda y: at.sum(y * leaked[0]))(np.ones(2))


def test_non_scalar_output_error_suggests_fix():
    with pytest.raises(TypeError, match=r"shape \(3,\).*vjp"):
        at.grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(TypeError, match="has_aux"):
        at.grad(lambda x: (at.sum(x), 1))(np.ones(3))


def test_argnums_and_has_aux():
    f = lambda a, b, c: at.sum(a * b * c)  # noqa: E731
    ga, gc_ = at.grad(f, argnums=(0, 2))(2.0, 3.0, 4.0)
    assert (ga, gc_) == (12.0, 6.0)
    (value, aux), g = at.value_and_grad(lambda x: (x * x, {"double": x * 2}), has_aux=True)(3.0)
    assert value == 9.0 and g == 6.0 and aux["double"] == 6.0
    assert not isinstance(aux["double"], at.Traced)
    with pytest.raises(ValueError, match="out of range"):
        at.grad(f, argnums=3)(1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match="repeats"):
        at.grad(f, argnums=(0, 0))(1.0, 2.0, 3.0)


def test_pytree_gradient_keeps_key_order():
    params = {"z": np.ones(2), "a": np.ones(2) * 2}
    grads = at.grad(lambda p: at.sum(p["z"] * p["a"]))(params)
    assert list(grads) == ["z", "a"]
    np.testing.assert_array_equal(grads["z"], [2.0, 2.0])


def test_vjp_and_jacobian():
    A = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out, vjp_fn = at.vjp(lambda x: A @ at.tanh(x), np.array([0.1, 0.2, 0.3]))
    (ct,) = vjp_fn(np.array([1.0, -1.0]))
    d = 1 - np.tanh([0.1, 0.2, 0.3]) ** 2
    np.testing.assert_allclose(ct, (np.array([1.0, -1.0]) @ A) * d, rtol=1e-14)
    J = at.jacobian(lambda x: A @ at.tanh(x))(np.array([0.1, 0.2, 0.3]))
    np.testing.assert_allclose(J, A * d, rtol=1e-14)
    assert at.jacobian(lambda x: x * 2)(np.ones((2, 2))).shape == (2, 2, 2, 2)


def test_vjp_accepts_a_python_float_cotangent_for_a_scalar_output():
    _, vjp_fn = at.vjp(lambda v: v @ v, np.array([1.0, 2.0]))
    np.testing.assert_array_equal(vjp_fn(3.0)[0], [6.0, 12.0])
    _, vjp_sum = at.vjp(lambda x: at.sum(x, keepdims=True), np.array(2.0))  # a 0-d input: output shape ()
    assert vjp_sum(3.0)[0] == 3.0
    # A nested list is a pytree, not a leaf: its structure must match the output's.
    with pytest.raises(TypeError, match="structure"):
        vjp_fn([3.0])


def test_vjp_never_returns_the_callers_cotangent_array():
    _, vjp_fn = at.vjp(lambda a, b: a + b, np.ones(2), np.ones(2))
    ct = np.array([1.0, 2.0])
    ga, gb = vjp_fn(ct)
    assert ga is not ct and gb is not ct and ga is not gb
    ga[0] = 7.0
    np.testing.assert_array_equal(ct, [1.0, 2.0])
    np.testing.assert_array_equal(gb, [1.0, 2.0])


def test_hessian_with_tuple_argnums_gives_blocks_as_jax():
    x, b = np.array([1.0, 2.0]), np.array(2.0)
    (h_xx, h_xb), (h_bx, h_bb) = at.hessian(lambda a, b: at.sum(a * a * b), argnums=(0, 1))(x, b)
    np.testing.assert_array_equal(h_xx, 2 * b * np.eye(2))  # d2/da2 sum(a^2 b) = 2b I
    np.testing.assert_array_equal(h_xb, 2 * x)  # d2/da db = 2a, shape (2,) + ()
    np.testing.assert_array_equal(h_bx, 2 * x)
    assert h_bb.shape == () and h_bb == 0.0


def test_jacobian_hessian_and_trace_pass_keyword_arguments_through():
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(at.jacobian(lambda a, s: a * s)(x, s=3.0), 3.0 * np.eye(2))
    np.testing.assert_array_equal(at.hessian(lambda a, s: at.sum(a * a * s))(x, s=3.0), 6.0 * np.eye(2))
    tape = at.trace(lambda a, s: a * s)(x, s=3.0)
    assert [entry.inputs for entry in tape] == [(0, None)]


def test_jacobian_of_an_empty_output_is_an_empty_block():
    J = at.jacobian(lambda a: a[:0])(np.ones(3))
    assert J.shape == (0, 3) and J.dtype == np.float64
    Js = at.jacobian(lambda p: p["w"][:0] * p["v"], argnums=0)({"w": np.ones(2), "v": np.ones(())})
    assert Js["w"].shape == (0, 2) and Js["v"].shape == (0,)


def test_a_forward_rule_without_residuals_is_named_at_every_call():
    @at.primitive
    def double(x):
        return x * 2  # forgot the residuals: should be (x * 2, ())

    double.defvjp(lambda g: 2 * g)
    x = np.array([0.5, -1.0, 2.0])
    named = r"primitive 'double': its forward rule double \(test_engine.py:\d+\) must return \(output, residuals\)"
    for call in (lambda: double(x), lambda: double(3.0), lambda: at.grad(lambda a: at.sum(double(a)))(x)):
        with pytest.raises(TypeError, match=named):
            call()


@pytest.mark.parametrize("shape", [(2,), (2, 3)])
def test_a_forward_rule_returning_only_an_output_of_length_two_is_named_at_its_first_call(shape):
    # A length-2 output would unpack as (output, residuals) = its two rows, and the error
    # used to come from the reverse walk, blaming the VJP rule.
    @at.primitive
    def cube(x):
        return x**3  # should be: return x**3, (x,)

    cube.defvjp(lambda g, x: 3 * x**2 * g)
    x = np.arange(1.0, 1.0 + np.prod(shape)).reshape(shape)
    message = (
        r"primitive 'cube': its forward rule cube \(test_engine.py:\d+\) must return \(output, residuals\).*"
        + re.escape(f"but it returned a value of type ndarray and shape {shape} (only the output?)")
    )
    with pytest.raises(TypeError, match=message):
        at.grad(lambda a: at.sum(cube(a)))(x)
    with pytest.raises(TypeError, match=message):  # outside a transform too
        cube(x)


def test_a_forward_rule_is_checked_once_then_called_directly():
    def cube_fwd(x):
        return x**3, (x,)

    cube = at.Primitive(cube_fwd, name="cube").defvjp(lambda g, x: 3 * x**2 * g)
    assert cube.fwd is not cube_fwd  # checked at the first call
    g = at.grad(lambda a: at.sum(cube(a)))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [3.0, 12.0])  # d(x^3)/dx = 3x^2
    assert cube.fwd is cube_fwd  # and no longer: recording calls the rule itself


def test_residuals_that_are_not_a_tuple_are_named():
    @at.primitive
    def double(x):
        return x * 2, x  # residuals must be a tuple: (x,)

    double.defvjp(lambda g, x: 2 * g)
    with pytest.raises(TypeError, match=r"primitive 'double': its forward rule double .*residuals of type ndarray"):
        at.grad(lambda a: at.sum(double(a)))(np.ones(3))
    assert at.grad(lambda a: at.sum(a * a))(np.ones(2)).tolist() == [2.0, 2.0]  # no state left behind


def test_residuals_that_turn_into_a_non_tuple_after_the_first_call_are_named_in_the_reverse_walk():
    calls = []

    @at.primitive
    def double(x):
        calls.append(1)
        return x * 2, ((x,) if len(calls) == 1 else x)  # well-formed only the first time

    double.defvjp(lambda g, x: 2 * g)
    np.testing.assert_array_equal(at.grad(lambda a: at.sum(double(a)))(np.ones(3)), [2.0, 2.0, 2.0])
    with pytest.raises(TypeError, match="VJP rule 0 of primitive 'double'.*residuals of type ndarray, not a tuple"):
        at.grad(lambda a: at.sum(double(a)))(np.ones(3))


def test_defvjp_with_the_wrong_number_of_rules_is_refused():
    @at.primitive
    def times(x, y):
        return x * y, (x, y)

    with pytest.raises(TypeError, match="defvjp got 1 rule.*takes 2 positional operand"):
        times.defvjp(lambda g, x, y: g * y)
    with pytest.raises(TypeError, match="defvjp got 3 rule"):
        times.defvjp(None, None, None)


def test_a_traced_static_parameter_is_a_clear_error():
    @at.primitive
    def scaled(x, *, scale):
        return x * scale, (scale,)

    scaled.defvjp(lambda g, scale: g * scale)
    x = np.array([1.0, 2.0])
    with pytest.raises(TypeError, match="scaled: the keyword argument scale= is a traced value"):
        at.grad(lambda x: at.sum(scaled(x, scale=x[0])))(x)
    # Its value as a constant works: d/dx sum(x * c) = c.
    g = at.grad(lambda x: at.sum(scaled(x, scale=at.stop_gradient(x[0]))))(x)
    np.testing.assert_array_equal(g, [1.0, 1.0])


def test_grad_of_a_function_called_without_arguments_says_so():
    with pytest.raises(ValueError, match="called with none, so there is nothing to differentiate"):
        at.grad(lambda: 1.0)()


def test_stop_gradient():
    assert at.grad(lambda x: x * at.stop_gradient(x))(3.0) == 3.0


def test_exception_inside_function_leaves_no_active_tape():
    def bad(x):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        at.grad(bad)(1.0)
    from autotape.tape import active_tapes

    assert active_tapes() == ()
    assert at.grad(lambda x: x * x)(2.0) == 4.0


def test_tape_is_freed_after_grad():
    refs = []

    def f(x):
        refs.append(weakref.ref(x.tape))
        return at.sum(at.tanh(x))

    at.grad(f)(np.ones(3))
    gc.collect()
    assert refs[0]() is None


def test_threads_do_not_share_tapes():
    results = {}

    def work(k):
        x = np.full(3, float(k))
        results[k] = [at.grad(lambda x: at.sum(x**3))(x) for _ in range(50)][-1]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(8):
        np.testing.assert_array_equal(results[k], 3.0 * k**2)


def test_custom_primitive_with_explicit_residuals():
    calls = []

    @at.primitive
    def cube(x):
        return x**3, (x,)

    def cube_vjp(g, x):
        calls.append(1)
        return 3 * x**2 * g

    cube.defvjp(cube_vjp)
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(cube(x), [1.0, 8.0])
    np.testing.assert_array_equal(at.grad(lambda x: at.sum(cube(x)))(x), [3.0, 12.0])
    np.testing.assert_allclose(at.grad(at.grad(lambda x: cube(x)))(2.0), 12.0)
    assert calls


def test_constants_cost_no_vjp_work():
    calls = []

    @at.primitive
    def scale(x, y):
        return x * y, (x, y)

    scale.defvjp(lambda g, x, y: calls.append("x") or g * y, lambda g, x, y: calls.append("y") or g * x)
    data = np.ones(3)
    at.grad(lambda w: at.sum(scale(w, data)))(np.ones(3))
    assert calls == ["x"]
    calls.clear()
    at.grad(lambda w: at.sum(w * 2) + at.sum(scale(data, data)))(np.ones(3))
    assert calls == []  # the entry does not lead from any input


def test_inplace_operators_rebind_and_float_conversion_is_an_error():
    def inplace(x):
        x += 1
        x *= x  # rebinds: x is now (x0 + 1)**2
        x -= 0.5
        x /= 2.0
        x **= 1.0
        return at.sum(x)

    # d/dx ((x + 1)^2 - 0.5) / 2 = x + 1
    np.testing.assert_array_equal(at.grad(inplace)(np.array([1.0, 2.0])), [2.0, 3.0])

    def rnn(x):
        total = 0.0
        h = np.zeros(2)
        for row in x:  # iteration over the first axis
            h = np.tanh(row + h)
            total += np.sum(h * h)
        return total

    x = np.array([[0.1, -0.2], [0.3, 0.4]])
    check_grads(rnn, (x,))
    with pytest.raises(TypeError, match="float"):
        at.grad(lambda x: float(x) * 2)(1.0)
    with pytest.raises(TypeError, match="out="):
        at.grad(lambda x: at.sum(np.add(x, 1, out=np.empty(2))))(np.ones(2))


def test_numpy_functions_dispatch_and_unknown_ones_raise():
    X = np.array([[1.0, 2.0], [3.0, 4.0]])
    g = at.grad(lambda w: np.sum(np.tanh(X @ w)))(np.array([0.1, 0.2]))
    d = 1 - np.tanh(X @ [0.1, 0.2]) ** 2
    np.testing.assert_allclose(g, X.T @ d, rtol=1e-14)
    np.testing.assert_allclose(at.grad(lambda x: np.sum(np.sin(x)))(np.ones(2)), np.cos(np.ones(2)), rtol=1e-15)
    with pytest.raises(TypeError, match="numpy.roots has no autotape rule"):
        at.grad(lambda x: np.sum(np.roots(x)))(np.ones(2))
    with pytest.raises(TypeError, match="cannot be converted"):
        at.grad(lambda x: np.asarray(x).sum())(np.ones(2))


def test_debug_nans_names_op_and_line():
    with at.debug_nans():
        with pytest.raises(FloatingPointError, match=r"log produced NaN.*test_engine.py"):
            at.grad(lambda x: at.sum(at.log(x)))(np.array([1.0, -1.0]))
    with np.errstate(invalid="ignore"):  # off again outside the block: NaN flows through
        g = at.grad(lambda x: at.sum(at.log(x)))(np.array([1.0, -1.0]))
    np.testing.assert_array_equal(g, [1.0, -1.0])


def test_shape_annotations_are_checked_in_the_test_suite():
    # pyproject's pytest options install jaxtyping's import hook: an int array where
    # the annotation says Float fails there, though NumPy itself would accept it.
    from jaxtyping import TypeCheckError

    with pytest.raises(TypeCheckError):
        at.logsumexp(np.array([1, 2]))
    with pytest.raises(TypeCheckError):
        at.softmax_cross_entropy(np.zeros((2, 3, 1)), np.array([0, 1]))


def test_vjp_rule_with_wrong_shape_is_named():
    @at.primitive
    def broken(x):
        return x * 2, ()

    broken.defvjp(lambda g: np.ones(7))
    with pytest.raises(ValueError, match=r"'broken'.*\(7,\).*\(3,\)"):
        at.grad(lambda x: at.sum(broken(x)))(np.ones(3))


def test_vjp_rule_may_return_a_python_float_for_a_scalar():
    @at.primitive
    def double(x):
        return x * 2, ()

    double.defvjp(lambda g: 2.0 * float(g))
    assert at.grad(double)(1.5) == 2.0


def test_debug_nans_in_the_reverse_walk():
    # sqrt(0) is fine forward, but its VJP divides by zero: 0 * inf = NaN appears backward.
    with at.debug_nans(), np.errstate(divide="ignore", invalid="ignore"):
        with pytest.raises(FloatingPointError, match="sqrt produced NaN in the reverse pass"):
            at.grad(lambda x: at.sum(at.sqrt(x) * 0.0))(np.zeros(2))


def test_minimum_gives_the_cotangent_to_the_smaller_operand():
    # Regression: an early version swapped minimum's shares, sending g to the larger operand.
    x, y = np.array([1.0, 3.0, 2.0]), np.array([2.0, 2.0, 2.0])
    gx, gy = at.grad(lambda x, y: at.sum(at.minimum(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [1.0, 0.0, 0.5])
    np.testing.assert_array_equal(gy, [0.0, 1.0, 0.5])
    gx, gy = at.grad(lambda x, y: at.sum(at.maximum(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 1.0, 0.5])
    np.testing.assert_array_equal(gy, [1.0, 0.0, 0.5])


def test_tape_to_dot_has_one_node_per_value_and_shaped_edges():
    tape = at.trace(lambda x, w: at.sum(at.tanh(x @ w)))(np.ones((2, 3)), np.ones((3, 1)))
    dot = tape.to_dot()
    assert dot.startswith("digraph tape {") and dot.rstrip().endswith("}")
    assert 'n2 [label="matmul", shape=box];' in dot
    assert 'n0 -> n2 [label="2x3"];' in dot and 'n1 -> n2 [label="3x1"];' in dot
    assert 'n3 -> n4 [label="2x1"];' in dot
    assert dot.count("->") == 4


def test_debug_nans_checks_constant_ops_inside_a_transform():
    # An op on constants only (no traced operand) inside grad is still a primitive call.
    data = np.array([-1.0])
    with at.debug_nans(), np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError, match="log produced NaN"):
            at.grad(lambda x: at.sum(x * at.log(data)))(np.ones(1))

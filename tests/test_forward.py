"""Forward mode and the transforms built on it: jvp, linearize, jacfwd/jacrev, hessian, hvp."""

from __future__ import annotations

import numpy as np
import pytest

import autotape as at


def test_jvp_of_a_pytree_function_matches_the_analytic_derivative():
    def f(p, x):
        return {"y": np.tanh(p["w"] @ x), "s": np.sum(p["b"] ** 3)}

    p = {"w": np.array([[0.5, -1.0], [0.25, 2.0]]), "b": np.array([1.0, 2.0])}
    x = np.array([0.3, -0.2])
    tp = {"w": np.array([[1.0, 0.0], [0.0, 1.0]]), "b": np.array([0.5, -1.0])}
    tx = np.array([1.0, 2.0])
    out, tangent = at.jvp(f, (p, x), (tp, tx))
    z = p["w"] @ x
    np.testing.assert_allclose(out["y"], np.tanh(z), rtol=1e-15)
    np.testing.assert_allclose(tangent["y"], (1 - np.tanh(z) ** 2) * (tp["w"] @ x + p["w"] @ tx), rtol=1e-14)
    assert tangent["s"] == pytest.approx(np.sum(3 * p["b"] ** 2 * tp["b"]), rel=1e-15)


def test_forward_and_reverse_nest_in_every_order():
    f = lambda x: np.sin(x) * x  # noqa: E731
    d1 = lambda x: np.cos(x) * x + np.sin(x)  # noqa: E731
    d2 = lambda x: -np.sin(x) * x + 2 * np.cos(x)  # noqa: E731
    d3 = lambda x: -np.cos(x) * x - 3 * np.sin(x)  # noqa: E731
    x = 0.7
    jvp_of = lambda g: lambda x: at.jvp(g, (x,), (1.0,))[1]  # noqa: E731
    assert jvp_of(at.grad(f))(x) == pytest.approx(d2(x), rel=1e-14)  # forward over reverse
    assert at.grad(jvp_of(f))(x) == pytest.approx(d2(x), rel=1e-14)  # reverse over forward
    assert jvp_of(jvp_of(f))(x) == pytest.approx(d2(x), rel=1e-14)  # forward over forward
    assert jvp_of(jvp_of(jvp_of(f)))(x) == pytest.approx(d3(x), rel=1e-13)
    assert at.grad(jvp_of(at.grad(f)))(x) == pytest.approx(d3(x), rel=1e-13)
    assert jvp_of(f)(x) == pytest.approx(d1(x), rel=1e-15)


def test_no_perturbation_confusion():
    # Siskind & Pearlmutter (2005): d/dx [x * (d/dy (x + y))(y=1)] at x = 1 is 1; a system
    # that confuses the two perturbations answers 2.
    def inner(x):
        return at.jvp(lambda y: x + y, (1.0,), (1.0,))[1]

    assert at.jvp(lambda x: x * inner(x), (1.0,), (1.0,))[1] == 1.0
    assert at.grad(lambda x: x * inner(x))(1.0) == 1.0
    # and with reverse mode inside forward mode
    assert at.jvp(lambda x: x * at.grad(lambda y: x * y)(1.0), (1.0,), (1.0,))[1] == 2.0


def test_jvp_checks_its_tangents():
    with pytest.raises(TypeError, match="tuples or lists"):
        at.jvp(np.sin, np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="shape"):
        at.jvp(np.sin, (np.ones(2),), (np.ones(3),))
    with pytest.raises(TypeError, match=r"dtype float32.*astype\(float64\)"):
        at.jvp(np.sin, (np.ones(2),), (np.ones(2, np.float32),))

    @at.primitive
    def cube(x):
        return x**3, (x,)

    cube.defvjp(lambda g, x: 3 * x**2 * g)
    with pytest.raises(NotImplementedError, match=r"'cube' has no JVP rules.*defjvp"):
        at.jvp(cube, (2.0,), (1.0,))
    cube.defjvp(lambda t, x: 3 * x**2 * t)
    assert at.jvp(cube, (2.0,), (1.0,)) == (8.0, 12.0)


def test_jacfwd_and_jacrev_agree_on_pytrees_and_argnums():
    def f(p, x):
        return {"a": np.tanh(p["w"] * x), "b": np.sum(p["v"] ** 2) * x[:2]}

    p = {"w": np.array([0.5, -1.0, 2.0]), "v": np.array([[1.0, 2.0]])}
    x = np.array([0.1, 0.2, 0.3])
    for argnums in (0, 1, (0, 1)):
        forward = at.jacfwd(f, argnums)(p, x)
        reverse = at.jacrev(f, argnums)(p, x)
        for a, b in zip(at.tree.leaves(forward), at.tree.leaves(reverse)):
            np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    blocks = at.jacrev(f, (0, 1))(p, x)
    assert blocks["a"][0]["v"].shape == (3, 1, 2) and blocks["b"][1].shape == (2, 3)
    np.testing.assert_allclose(blocks["a"][1], np.diag((1 - np.tanh(p["w"] * x) ** 2) * p["w"]), rtol=1e-15)
    assert at.jacobian is at.jacrev


def test_jacobians_with_has_aux_and_empty_arrays():
    f = lambda x: (np.sin(x), {"norm": np.sum(x * x)})  # noqa: E731
    x = np.array([0.1, 0.2])
    for jac in (at.jacfwd, at.jacrev):
        j, aux = jac(f, has_aux=True)(x)
        np.testing.assert_allclose(j, np.diag(np.cos(x)), rtol=1e-15)
        assert aux["norm"] == pytest.approx(0.05)
        assert jac(lambda x: x * 2)(np.zeros(0)).shape == (0, 0)
        assert jac(lambda x: np.sum(x))(np.zeros((0, 2))).shape == (0, 2)


def test_holomorphic_jacobians_and_their_dtype_checks():
    z = np.array([0.5 + 0.25j, -1.0 + 2.0j])
    expected = np.diag(np.cos(z))
    np.testing.assert_allclose(at.jacfwd(np.sin, holomorphic=True)(z), expected, rtol=1e-14)
    np.testing.assert_allclose(at.jacrev(np.sin, holomorphic=True)(z), expected, rtol=1e-14)
    with pytest.raises(TypeError, match="holomorphic=True"):
        at.jacrev(np.sin)(z)  # complex output
    with pytest.raises(TypeError, match="holomorphic=True"):
        at.jacfwd(np.sin)(z)  # complex input
    with pytest.raises(TypeError, match="complex"):
        at.jacrev(np.sin, holomorphic=True)(np.array([1.0]))


def test_hessian_of_a_dict_has_block_structure_and_matches_the_analytic_one():
    p = {"a": np.array([0.5, -1.0]), "b": np.array(2.0)}

    def loss(p):
        return np.sum(np.tanh(p["a"]) * p["b"] ** 2)

    h = at.hessian(loss)(p)
    t = np.tanh(p["a"])
    dt = 1 - t**2
    np.testing.assert_allclose(h["a"]["a"], np.diag(-2 * t * dt * p["b"] ** 2), rtol=1e-14)
    np.testing.assert_allclose(h["a"]["b"], dt * 2 * p["b"], rtol=1e-14)
    np.testing.assert_allclose(h["b"]["a"], dt * 2 * p["b"], rtol=1e-14)
    assert h["b"]["b"] == pytest.approx(2 * np.sum(t), rel=1e-14)
    # tuple argnums: H[i][j] blocks
    h2 = at.hessian(lambda x, y: np.sum(x**2 * y), (0, 1))(np.array([1.0, 2.0]), 3.0)
    np.testing.assert_allclose(h2[0][0], np.diag([6.0, 6.0]))
    np.testing.assert_allclose(h2[0][1], [2.0, 4.0])
    assert h2[1][1] == 0.0


def test_hvp_equals_the_hessian_times_the_vector():
    def f(x, y):
        return np.sum(np.sin(x) * y**2) + x[0] * x[1] * y[2]

    x, y = np.array([0.3, -0.5, 1.2]), np.array([1.0, 2.0, 0.5])
    u, v = np.array([1.0, 0.5, -1.0]), np.array([0.2, 0.0, 1.0])
    hx, hy = at.hvp(f, (x, y), (u, v))
    h = at.hessian(f, (0, 1))(x, y)
    np.testing.assert_allclose(hx, h[0][0] @ u + h[0][1] @ v, rtol=1e-13)
    np.testing.assert_allclose(hy, h[1][0] @ u + h[1][1] @ v, rtol=1e-13)


def test_linearize_reuses_the_forward_pass():
    calls = []

    def f(x):
        calls.append(1)
        return np.tanh(x) * x

    x = np.array([0.2, -0.4])
    out, f_jvp = at.linearize(f, x)
    assert len(calls) == 1
    for t in (np.array([1.0, 0.0]), np.array([0.5, 2.0])):
        np.testing.assert_allclose(f_jvp(t), at.jvp(f, (x,), (t,))[1], rtol=1e-14)
    assert len(calls) == 3  # the two jvp calls above; f_jvp did not run f
    np.testing.assert_allclose(out, np.tanh(x) * x)


def test_vjp_with_holomorphic_checks_complex_inputs_and_outputs():
    z = np.array([1.0 + 1.0j])
    out, pull = at.vjp(np.sin, z, holomorphic=True)
    np.testing.assert_allclose(pull(np.ones(1, complex))[0], np.cos(z), rtol=1e-15)
    with pytest.raises(TypeError, match="complex"):
        at.vjp(np.sin, np.array([1.0]), holomorphic=True)
    with pytest.raises(TypeError, match="complex"):
        at.vjp(np.abs, z, holomorphic=True)


def test_the_losses_work_in_forward_mode():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), rng.integers(0, 2, size=6).astype(float)
    labels = rng.integers(0, 3, size=6)
    w, t = rng.normal(size=3), rng.normal(size=3)
    W = rng.normal(size=(3, 3))
    losses = [
        lambda w: at.bce_with_logits(X @ w, y),
        lambda w: at.bce_with_logits(X @ w, y, reduction="sum"),
        lambda w: at.mse(X @ w, y),
        lambda w: at.mse(X @ w, y, reduction="sum"),
        lambda w: at.softmax_cross_entropy(X @ (W * w), labels),
    ]
    for loss in losses:
        tangent = at.jvp(loss, (w,), (t,))[1]
        assert tangent == pytest.approx(np.dot(at.grad(loss)(w), t), rel=1e-12)
        np.testing.assert_allclose(at.jacfwd(loss)(w), at.grad(loss)(w), rtol=1e-12)


def test_a_tangent_has_its_primals_dtype():
    # betaln has no float32 loop in SciPy (float64 result) while its rule's digamma has one:
    # the tangent came out float32 beside a float64 primal.
    asp = pytest.importorskip("autotape.scipy.special")
    a = np.array([1.5, 2.5], np.float32)
    out, tangent = at.jvp(lambda a: asp.betaln(a, 2.0), (a,), (np.ones(2, np.float32),))
    assert out.dtype == tangent.dtype == np.float64
    expected = scipy_special_digamma(a.astype(np.float64)) - scipy_special_digamma(a.astype(np.float64) + 2.0)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6)


def scipy_special_digamma(x):
    import scipy.special

    return scipy.special.digamma(x)

"""Pytrees, the pure optimizers, and the losses."""

from collections import namedtuple

import numpy as np
import pytest

import autotape as at

Pair = namedtuple("Pair", ["w", "b"])


def test_flatten_unflatten_roundtrip_and_none_is_empty():
    tree = {"b": [np.ones(2), (3.0, None)], "a": Pair(np.zeros(1), 2.0)}
    leaves, treedef = at.tree.flatten(tree)
    assert [np.ndim(leaf) for leaf in leaves] == [1, 0, 1, 0]  # sorted keys: "a" first; None has no leaf
    rebuilt = at.tree.unflatten(treedef, leaves)
    assert list(rebuilt) == ["b", "a"] and isinstance(rebuilt["a"], Pair)
    assert rebuilt["b"][1][1] is None


def test_dicts_with_same_keys_in_other_order_have_same_structure():
    a = {"x": 1.0, "y": 2.0}
    b = {"y": 20.0, "x": 10.0}
    assert at.tree.structure(a) == at.tree.structure(b)
    out = at.tree.map(lambda u, v: u + v, a, b)
    assert out == {"x": 11.0, "y": 22.0} and list(out) == ["x", "y"]


def test_map_structure_mismatch_names_path():
    with pytest.raises(ValueError, match=r"\['w'\]\[1\]"):
        at.tree.map(lambda u, v: u, {"w": [1.0, 2.0]}, {"w": [1.0, (2.0, 3.0)]})


def test_sgd_is_pure_and_correct():
    params = {"w": np.array([1.0, 2.0]), "b": np.float32(1.0) * np.ones(1, np.float32)}
    grads = {"w": np.array([0.5, -0.5]), "b": np.ones(1, np.float32)}
    before = {k: v.copy() for k, v in params.items()}
    new = at.sgd(params, grads, lr=0.1)
    np.testing.assert_array_equal(new["w"], [0.95, 2.05])
    assert new["b"].dtype == np.float32
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_sgd_errors():
    with pytest.raises(ValueError, match=r"params\['w'\].*shape"):
        at.sgd({"w": np.ones(2)}, {"w": np.ones(3)}, 0.1)
    with pytest.raises(ValueError, match="structure"):
        at.sgd({"w": np.ones(2)}, {"v": np.ones(2)}, 0.1)
    with pytest.raises(ValueError, match="finite"):
        at.sgd({"w": np.ones(2)}, {"w": np.ones(2)}, float("nan"))
    with pytest.raises(TypeError, match="real number"):
        at.sgd({"w": np.ones(2)}, {"w": np.ones(2)}, "0.1")


def test_momentum_matches_hand_computation():
    opt = at.optim.momentum(0.1, beta=0.9)
    p = np.array([1.0])
    state = opt.init(p)
    p1, state = opt.update(p, np.array([1.0]), state)  # v = 1, p = 0.9
    p2, state = opt.update(p1, np.array([1.0]), state)  # v = 1.9, p = 0.71
    np.testing.assert_allclose([p1[0], p2[0]], [0.9, 0.71], rtol=1e-15)
    nesterov = at.optim.momentum(0.1, beta=0.9, nesterov=True)
    q1, _ = nesterov.update(p, np.array([1.0]), nesterov.init(p))  # step = g + beta*v = 1.9
    np.testing.assert_allclose(q1, [0.81], rtol=1e-15)


def test_adam_first_step_is_lr_times_sign():
    opt = at.optim.adam(0.01)
    p = {"w": np.array([1.0, -1.0])}
    state = opt.init(p)
    new, state = opt.update(p, {"w": np.array([3.0, -0.2])}, state)
    np.testing.assert_allclose(new["w"], [0.99, -0.99], rtol=1e-6)
    assert state.step == 1


def test_adam_minimizes_a_quadratic():
    opt = at.optim.adam(0.1)
    p = np.array([3.0, -2.0])
    state = opt.init(p)
    loss = lambda p: at.sum((p - 1.0) ** 2)  # noqa: E731
    for _ in range(300):
        p, state = opt.update(p, at.grad(loss)(p), state)
    np.testing.assert_allclose(p, [1.0, 1.0], atol=1e-3)


def test_mse_value_and_gradient():
    p, t = np.array([1.0, 2.0, 4.0]), np.array([1.0, 0.0, 1.0])
    assert at.mse(p, t) == pytest.approx((0 + 4 + 9) / 3)
    np.testing.assert_allclose(at.grad(at.mse)(p, t), 2 * (p - t) / 3)
    with pytest.raises(ValueError, match=r"\(3,\).*\(3, 1\)"):
        at.mse(p, t.reshape(3, 1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_stable_at_1000(dtype):
    z = np.array([-1000.0, 1000.0, 0.0], dtype=dtype)
    y = np.array([1.0, 0.0, 1.0], dtype=dtype)
    loss = at.bce_with_logits(z, y, reduction="none")
    np.testing.assert_allclose(loss, [1000.0, 1000.0, np.log(2)], rtol=1e-6)
    g = at.grad(lambda z: at.bce_with_logits(z, y))(z)
    assert g.dtype == dtype and np.all(np.isfinite(g))
    np.testing.assert_allclose(g, np.array([-1.0, 1.0, -0.5]) / 3, rtol=1e-6)


def test_bce_with_logits_matches_definition():
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=10), rng.uniform(size=10)
    s = 1 / (1 + np.exp(-z))
    expected = np.mean(-y * np.log(s) - (1 - y) * np.log(1 - s))
    assert at.bce_with_logits(z, y) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(at.grad(at.bce_with_logits)(z, y), (s - y) / 10, rtol=1e-12)
    with pytest.raises(ValueError, match=r"\(4,\).*\(4, 1\)"):
        at.bce_with_logits(np.zeros(4), np.zeros((4, 1)))


def test_softmax_cross_entropy_labels_and_one_hot_agree():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(5, 3)) * 100
    labels = np.array([0, 2, 1, 1, 0])
    one_hot = np.eye(3)[labels]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    expected = -np.mean(log_p[np.arange(5), labels])
    assert at.softmax_cross_entropy(logits, labels) == pytest.approx(expected, rel=1e-12)
    assert at.softmax_cross_entropy(logits, one_hot) == pytest.approx(expected, rel=1e-12)
    g1 = at.grad(at.softmax_cross_entropy)(logits, labels)
    g2 = at.grad(at.softmax_cross_entropy)(logits, one_hot)
    np.testing.assert_allclose(g1, (np.exp(log_p) - one_hot) / 5, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match=r"class ids must be in \[0, 3\)"):
        at.softmax_cross_entropy(logits, np.array([0, 1, 2, 3, 0]))


@pytest.mark.parametrize(
    "make",
    [lambda: at.optim.sgd(0.1), lambda: at.optim.momentum(0.05, 0.9), lambda: at.optim.adam(0.05)],
    ids=["sgd", "momentum", "adam"],
)
def test_a_complex_parameter_steps_as_the_pair_of_its_real_and_imaginary_parts(make):
    # The same optimizer on z = x + iy and on the real pair (x, y) takes the same steps:
    # the complex gradient is df/dx - i df/dy, and the step follows its conjugate.
    c = np.array([1.0 - 2.0j, 0.5 + 0.25j])
    weights = np.array([1.0, 3.0])

    def complex_loss(z):
        return at.sum(weights * at.abs(z - c) ** 2) + at.sum(at.real(z) * at.imag(z))

    def pair_loss(p):
        return complex_loss(p["x"] + 1j * p["y"])

    opt = make()
    z = np.array([0.3 + 0.1j, -0.2 + 0.7j])
    pair = {"x": z.real.copy(), "y": z.imag.copy()}
    z_state, pair_state = opt.init(z), opt.init(pair)
    for _ in range(25):
        z, z_state = opt.update(z, at.grad(complex_loss)(z), z_state)
        pair, pair_state = opt.update(pair, at.grad(pair_loss)(pair), pair_state)
    np.testing.assert_allclose(z.real, pair["x"], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(z.imag, pair["y"], rtol=1e-13, atol=1e-15)
    assert complex_loss(z) < complex_loss(np.array([0.3 + 0.1j, -0.2 + 0.7j]))


def test_sgd_on_a_complex_parameter_converges_to_the_minimizer():
    c = np.array([2.0 + 1.0j])
    z = np.zeros(1, dtype=complex)
    for _ in range(100):
        z = at.sgd(z, at.grad(lambda z: at.sum(at.abs(z - c) ** 2))(z), 0.1)
    np.testing.assert_allclose(z, c, rtol=1e-9)

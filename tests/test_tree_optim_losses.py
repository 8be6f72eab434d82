"""Pytrees, the pure optimizers, and the losses."""

from collections import namedtuple

import numpy as np
import pytest

import autotape as at
from autotape.testing import check_grads

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


def _loss_after_steps(make, steps: int):
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(8, 3)), rng.normal(size=8)

    def loss(w):
        return at.mean((np.tanh(X @ w) - y) ** 2)

    def after(w0, lr):
        opt = make(lr)
        w, state = w0, opt.init(w0)
        for _ in range(steps):
            w, state = opt.update(w, at.grad(loss)(w), state)
        return loss(w)

    return after


@pytest.mark.parametrize(
    "make",
    [lambda lr: at.optim.sgd(lr), lambda lr: at.optim.momentum(lr, 0.8), lambda lr: at.optim.adam(lr, 0.9, 0.99)],
    ids=["sgd", "momentum", "adam"],
)
def test_the_loss_after_optimizer_steps_differentiates_in_lr_and_initial_params(make):
    after = _loss_after_steps(make, steps=3)
    w0, lr = np.array([0.1, -0.2, 0.3]), 0.05
    g_w0, g_lr = at.grad(after, argnums=(0, 1))(w0, lr)
    h = 1e-6
    fd_lr = (after(w0, lr + h) - after(w0, lr - h)) / (2 * h)
    assert g_lr == pytest.approx(fd_lr, rel=1e-6, abs=1e-9)
    for i in range(3):
        e = np.eye(3)[i] * h
        assert g_w0[i] == pytest.approx((after(w0 + e, lr) - after(w0 - e, lr)) / (2 * h), rel=1e-6, abs=1e-9)


def test_hyperparameters_as_numpy_scalars_and_0d_arrays_and_clear_errors():
    p, g = {"w": np.ones(2)}, {"w": np.full(2, 2.0)}
    for lr in (np.array(0.5), np.float32(0.5), 0.5, 1):
        np.testing.assert_array_equal(at.sgd(p, g, lr)["w"], 1 - float(lr) * 2.0)
    with pytest.raises(TypeError, match="real number"):
        at.sgd(p, g, "0.1")
    with pytest.raises(ValueError, match="finite"):
        at.sgd(p, g, np.array(np.nan))
    with pytest.raises(TypeError, match="real scalar"):
        at.grad(lambda lr: at.sum(at.sgd(p, g, lr)["w"]))(np.ones(2))


def test_maml_on_sine_regression_matches_finite_differences():
    # One MAML meta-gradient (Finn et al., 2017): adapt a small model to a sine task with
    # one inner SGD step, then differentiate the post-adaptation loss by the initial
    # parameters, through the inner gradient (second order).
    rng = np.random.default_rng(0)
    amplitude, phase = 1.7, 0.4
    x_train, x_test = rng.uniform(-3, 3, size=(10, 1)), rng.uniform(-3, 3, size=(10, 1))
    y_train, y_test = amplitude * np.sin(x_train + phase), amplitude * np.sin(x_test + phase)
    params = {
        "w1": rng.normal(size=(1, 16)) * 0.5,
        "b1": np.zeros(16),
        "w2": rng.normal(size=(16, 1)) * 0.5,
        "b2": np.zeros(1),
    }

    def predict(p, x):
        return np.tanh(x @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"]

    def task_loss(p, x, y):
        return at.mean((predict(p, x) - y) ** 2)

    def meta_loss(p):
        adapted = at.sgd(p, at.grad(task_loss)(p, x_train, y_train), 0.01)
        return task_loss(adapted, x_test, y_test)

    check_grads(meta_loss, (params,), order=1, seed=0)
    meta = at.grad(meta_loss)(params)
    first_order = at.grad(task_loss)(params, x_test, y_test)
    assert not np.allclose(meta["w1"], first_order["w1"])  # the second-order term matters

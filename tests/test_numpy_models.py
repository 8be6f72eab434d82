"""Plain NumPy models, written only with np.* calls and operators, differentiate unchanged."""

import numpy as np
import pytest

import autotape as at
from autotape.testing import check_grads

rng = np.random.default_rng(7)
X = rng.normal(size=(16, 4))
y = (rng.uniform(size=16) > 0.5).astype(float)


def logistic_regression_loss(w, b):
    z = X @ w + b
    # log(1 + exp(-|z|)) + max(z, 0) - z*y: the stable binary cross-entropy, in NumPy only
    return np.mean(np.log1p(np.exp(-np.abs(z))) + np.maximum(z, 0.0) - z * y)


def mlp_loss(params):
    hidden = np.tanh(X @ params["w1"] + params["b1"])
    logits = np.squeeze(hidden @ params["w2"] + params["b2"], axis=1)
    probabilities = 1.0 / (1.0 + np.exp(-logits))
    eps = 1e-12
    return -np.mean(y * np.log(probabilities + eps) + (1.0 - y) * np.log(1.0 - probabilities + eps))


def test_logistic_regression_matches_the_hand_gradient_and_finite_differences():
    w, b = rng.normal(size=4) * 0.3, np.array(0.1)
    gw, gb = at.grad(logistic_regression_loss, argnums=(0, 1))(w, b)
    z = X @ w + b
    residual = 1 / (1 + np.exp(-z)) - y  # d loss / d z, times 16
    np.testing.assert_allclose(gw, X.T @ residual / 16, rtol=1e-12)
    np.testing.assert_allclose(gb, residual.mean(), rtol=1e-12)
    check_grads(logistic_regression_loss, (w, b), order=2, seed=0)


def test_two_layer_mlp_in_plain_numpy_matches_finite_differences():
    params = {
        "w1": rng.normal(size=(4, 5)) * 0.5,
        "b1": np.zeros(5),
        "w2": rng.normal(size=(5, 1)) * 0.5,
        "b2": np.zeros(1),
    }
    value, grads = at.value_and_grad(mlp_loss)(params)
    assert value == pytest.approx(mlp_loss(params), rel=1e-15)
    assert {k: g.shape for k, g in grads.items()} == {k: p.shape for k, p in params.items()}
    check_grads(mlp_loss, (params,), order=1, seed=1)


def test_functions_without_a_rule_name_themselves_and_their_module():
    with pytest.raises(TypeError, match=r"^numpy\.roots has no autotape rule.*python -m autotape.coverage"):
        at.grad(lambda w: np.sum(np.roots(w)))(np.ones(3))
    with pytest.raises(TypeError, match=r"^numpy\.lib\.scimath\.logn has no autotape rule"):
        at.grad(lambda w: np.sum(np.emath.logn(2.0, w)))(np.ones(3))
    special = pytest.importorskip("scipy.special")
    with pytest.raises(TypeError, match=r"^scipy\.special\.wrightomega has no autotape rule"):
        at.grad(lambda w: np.sum(special.wrightomega(w)))(np.ones(3))


def test_min_square_ravel_copy_and_constant_likes_differentiate_as_numpy_defines_them():
    x = np.array([[3.0, 1.0, 2.0], [1.0, 5.0, -2.0]])
    np.testing.assert_array_equal(at.min(x, axis=0), np.min(x, axis=0))
    # d/dx sum(min over rows): 1 at each row's minimum.
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(np.min(x, axis=1)))(x), [[0, 1, 0], [0, 0, 1]])
    np.testing.assert_array_equal(at.grad(lambda v: np.amin(v))(np.array([1.0, 1.0, 2.0])), [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(at.grad(lambda x: x.min())(x), [[0, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(np.square(x)))(x), 2 * x)
    weights = np.arange(6.0)
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(np.ravel(x) * weights))(x), weights.reshape(2, 3))
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(x.flatten()[::2]))(x), [[1, 0, 1], [0, 1, 0]])
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(x.ravel() * weights))(x), weights.reshape(2, 3))
    # zeros_like and friends are constants: only the np.copy / x.copy() paths carry a gradient.
    g = at.grad(lambda x: np.sum(np.copy(x) * np.ones_like(x) + np.zeros_like(x) + x.copy() * np.full_like(x, 3.0)))(x)
    np.testing.assert_array_equal(g, np.full_like(x, 4.0))
    check_grads(lambda x: at.sum(at.min(x, axis=0) ** 2), (x,))

"""examples/gaussian_process.py: its log marginal likelihood, its gradient and Hessian, and its output."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autotape as at
from autotape.testing import check_grads

pytest.importorskip("sklearn")  # the example's data ships with scikit-learn (the examples extra)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def gp():
    import importlib.util

    name = "autotape_example_gaussian_process"
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / "gaussian_process.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def small(gp):
    """40 training patients: enough for the checks, cheap to differentiate many times."""
    return gp.load_diabetes(train=40, seed=1)


def test_log_marginal_likelihood_equals_scikit_learns(gp, small):
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    kernel = ConstantKernel() * RBF() + WhiteKernel()
    model = GaussianProcessRegressor(kernel, alpha=0.0, optimizer=None).fit(small.x_train, small.y_train)
    distances = gp.squared_distances(small.x_train, small.x_train)
    for theta in ([0.3, -0.2, -1.0], [-0.5, 0.4, -0.3], list(gp.THETA0)):
        log_l, log_s, log_n = theta
        expected = model.log_marginal_likelihood([2 * log_s, log_l, 2 * log_n])  # scikit-learn's theta
        value = gp.log_marginal_likelihood(np.array(theta), distances, small.y_train)
        assert value == pytest.approx(expected, rel=1e-12)


def test_gradient_matches_finite_differences_and_the_closed_form(gp, small):
    distances = gp.squared_distances(small.x_train, small.x_train)
    theta = np.array([0.2, -0.1, -0.8])
    check_grads(gp.log_marginal_likelihood, (theta, distances, small.y_train), argnums=0, seed=0)
    # Rasmussen and Williams eq. (5.9): d/dtheta_j = tr((a a^T - K^-1) dK/dtheta_j) / 2, a = K^-1 y.
    k = gp.kernel_matrix(theta, distances)
    inverse = np.linalg.inv(k)
    a = inverse @ small.y_train
    rbf = k - math.exp(2 * theta[2]) * np.eye(len(k))
    derivatives = [rbf * distances * math.exp(-2 * theta[0]), 2 * rbf, 2 * math.exp(2 * theta[2]) * np.eye(len(k))]
    expected = [0.5 * np.trace((np.outer(a, a) - inverse) @ dk) for dk in derivatives]
    grad = at.grad(gp.log_marginal_likelihood)(theta, distances, small.y_train)
    np.testing.assert_allclose(grad, expected, rtol=1e-10)


def test_hessian_matches_finite_differences_of_the_gradient(gp, small):
    distances = gp.squared_distances(small.x_train, small.x_train)
    theta = np.array([0.2, -0.1, -0.8])
    check_grads(gp.log_marginal_likelihood, (theta, distances, small.y_train), order=2, argnums=0, seed=1)
    hessian = at.hessian(gp.log_marginal_likelihood)(theta, distances, small.y_train)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-10, atol=1e-12)
    grad = at.grad(gp.log_marginal_likelihood)
    h = 1e-5
    for j in range(3):
        e = np.eye(3)[j] * h
        column = (grad(theta + e, distances, small.y_train) - grad(theta - e, distances, small.y_train)) / (2 * h)
        np.testing.assert_allclose(hessian[:, j], column, rtol=1e-6, atol=1e-7)


def test_fit_reaches_scikit_learns_optimum(gp, small):
    theta, value, _ = gp.fit(small)
    sk_theta, sk_value, _ = gp.fit_sklearn(small)
    assert value >= sk_value - 1e-6
    assert value == pytest.approx(sk_value, abs=1e-4)
    np.testing.assert_allclose(theta, sk_theta, atol=1e-2)
    distances = gp.squared_distances(small.x_train, small.x_train)
    assert np.max(np.abs(at.grad(gp.log_marginal_likelihood)(theta, distances, small.y_train))) < 1e-4


NUMBER = r"(-?[0-9.]+(?:e[-+][0-9]+)?)"


def test_script_prints_the_fit_and_draws_the_plot(tmp_path):
    plot = tmp_path / "gp.png"
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "gaussian_process.py"), "--plot", str(plot)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("diabetes data, features bmi, bp, s5: 300 training, 142 test\n")
    ours, theirs = (float(v) for v in re.findall(rf"log marginal likelihood {NUMBER}", out))
    assert ours >= theirs - 1e-6 and abs(ours - theirs) < 1e-4
    rmse, baseline = (
        float(v) for v in re.search(rf"test RMSE {NUMBER} \(the training mean alone: {NUMBER}\)", out).groups()
    )
    assert rmse < 0.85 * baseline  # the features explain a good part of the variance
    sk_rmse = float(re.search(rf"scikit-learn:.*\n.*\n +test RMSE {NUMBER}", out).group(1))
    assert abs(rmse - sk_rmse) < 0.01
    assert re.search(rf"difference in log marginal likelihood \(autotape - scikit-learn\): {NUMBER}", out)
    assert plot.is_file() and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_script_rejects_a_bad_split(tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "gaussian_process.py"), "--train", "1000"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--train must be between 2 and 441, got 1000" in result.stderr

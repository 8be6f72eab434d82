"""The examples that use autotape.scipy: examples/mixture_model.py (a Gaussian mixture on iris).

Its log-likelihood is checked against scikit-learn's own (a GaussianMixture given the same
parameters) and against scipy.stats, its gradient against finite differences, and the
script's output against scikit-learn's EM fit.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("scipy")
pytest.importorskip("sklearn")

import autotape as at  # noqa: E402
from autotape.testing import check_grads  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def mixture():
    spec = importlib.util.spec_from_file_location("autotape_example_mixture_model", EXAMPLES / "mixture_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def iris(mixture):
    return mixture.load_iris()


def moved(params: dict, seed: int) -> dict:
    """``params`` moved off the k-means start, so that no derivative is special there."""
    rng = np.random.default_rng(seed)
    return {name: value + 0.1 * rng.standard_normal(value.shape) for name, value in params.items()}


def sklearn_model(mixture, params: dict, covariance: str):
    """A scikit-learn GaussianMixture holding ``params`` (its attributes set, not fitted)."""
    from sklearn.mixture import GaussianMixture

    factors = np.asarray(mixture.precision_cholesky(params, covariance))
    components, d = params["means"].shape
    model = GaussianMixture(components, covariance_type="full")
    model.weights_ = np.exp(params["logits"]) / np.sum(np.exp(params["logits"]))
    model.means_ = params["means"]
    model.precisions_cholesky_ = factors
    model.precisions_ = factors @ np.swapaxes(factors, 1, 2)
    model.covariances_ = np.linalg.inv(model.precisions_)
    return model


@pytest.mark.parametrize("covariance", ["full", "diag"])
def test_log_likelihood_is_scikit_learn_s_and_scipy_stats(mixture, iris, covariance):
    from scipy.special import logsumexp
    from scipy.stats import multivariate_normal

    params = moved(mixture.init_params(iris, 3, 0, covariance), 1)
    ours = mixture.log_likelihoods(params, iris, covariance)
    model = sklearn_model(mixture, params, covariance)
    np.testing.assert_allclose(ours, model.score_samples(iris), rtol=1e-12)
    assert mixture.mean_log_likelihood(params, iris, covariance) == pytest.approx(model.score(iris), rel=1e-12)
    joint = [
        np.log(w) + multivariate_normal(mean, cov).logpdf(iris)
        for w, mean, cov in zip(model.weights_, model.means_, model.covariances_)
    ]
    np.testing.assert_allclose(ours, logsumexp(joint, axis=0), rtol=1e-10)


@pytest.mark.parametrize("covariance", ["full", "diag"])
def test_gradient_matches_finite_differences(mixture, iris, covariance):
    params = moved(mixture.init_params(iris, 3, 0, covariance), 2)
    check_grads(lambda p: mixture.mean_log_likelihood(p, iris, covariance), (params,), order=2, seed=0)
    # Every element of the means' gradient, by central differences.
    grad = at.grad(lambda p: mixture.mean_log_likelihood(p, iris, covariance))(params)
    for index in np.ndindex(params["means"].shape):
        step = np.zeros_like(params["means"])
        step[index] = 1e-6
        plus = mixture.mean_log_likelihood({**params, "means": params["means"] + step}, iris, covariance)
        minus = mixture.mean_log_likelihood({**params, "means": params["means"] - step}, iris, covariance)
        assert grad["means"][index] == pytest.approx((plus - minus) / 2e-6, rel=1e-6, abs=1e-9)
    if covariance == "diag":  # the strictly upper part is unused: no gradient flows to it
        np.testing.assert_array_equal(grad["upper"], 0.0)


def test_the_fit_climbs_and_matches_scikit_learn_s_em(mixture, iris):
    values = []
    params, final = mixture.fit(iris, epochs=150, callback=lambda epoch, value: values.append(value))
    assert len(values) == 150 and values[-1] > values[0] + 0.2
    assert final == pytest.approx(float(mixture.mean_log_likelihood(params, iris)), rel=1e-15)
    theirs = mixture.sklearn_score(iris, 3, "full", 0)
    assert final > theirs - 1e-3  # EM from the same k-means start: -1.93693


def test_script_output(tmp_path):
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "mixture_model.py"), "--epochs", "200", "--every", "50"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "iris: 150 points in 4 dimensions (standardized); 3 components, full covariance"
    epochs = [re.fullmatch(r"epoch +(\d+): mean log-likelihood (-?\d+\.\d{6})", line) for line in lines[1:6]]
    assert [int(m.group(1)) for m in epochs] == [1, 50, 100, 150, 200]
    trace = [float(m.group(2)) for m in epochs]
    assert trace[0] == pytest.approx(-2.140385, abs=2e-6) and trace[-1] > -1.937
    ours = float(re.fullmatch(r"autotape \(gradient ascent, Adam\): mean log-likelihood (\S+)", lines[6]).group(1))
    theirs = float(re.fullmatch(r"scikit-learn GaussianMixture \(EM\): mean log-likelihood (\S+)", lines[7]).group(1))
    difference = float(re.fullmatch(r"difference \(autotape - scikit-learn\): (\S+)", lines[8]).group(1))
    assert theirs == pytest.approx(-1.936926, abs=2e-6)
    assert ours == pytest.approx(-1.936874, abs=2e-6)
    assert difference == pytest.approx(ours - theirs, abs=2e-6)
    assert len(lines) == 9


def test_usage_errors(tmp_path):
    for flags, message in [
        (["--lr", "0"], "--lr must be finite and positive"),
        (["--epochs", "0"], "must be positive"),
    ]:
        done = subprocess.run(
            [sys.executable, str(EXAMPLES / "mixture_model.py"), *flags], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2 and message in done.stderr

"""Gaussian-process regression with its kernel hyperparameters fitted by maximizing the log
marginal likelihood, differentiated by autotape.

Data: scikit-learn's diabetes data (442 patients; it ships with scikit-learn, nothing is
downloaded): the progression of the disease one year after baseline, predicted from three
baseline measurements, body mass index (``bmi``), mean blood pressure (``bp``) and the
serum measurement ``s5``. The features and the target are standardized with the
training split's means and deviations; a fixed random split keeps 300 patients for
training and 142 for testing.

Model (Rasmussen and Williams, "Gaussian Processes for Machine Learning", 2006, chapters
2 and 5): ``f ~ GP(0, k)`` with the squared-exponential (RBF) kernel
``k(x, x') = s^2 exp(-|x - x'|^2 / (2 l^2))`` and Gaussian noise of variance ``n^2``, so
``y ~ N(0, K)`` with ``K = k(X, X) + n^2 I``. The hyperparameters are optimized as their
logarithms ``theta = (log l, log s, log n)``, free of constraints. The log marginal
likelihood (their eq. 2.30),

    log p(y | X, theta) = -y^T K^-1 y / 2 - log det K / 2 - N log(2 pi) / 2,

is computed from the Cholesky factor ``K = L L^T``: ``a = L^-1 y`` by a triangular solve
gives ``y^T K^-1 y = |a|^2``, and ``log det K = 2 sum(log diag L)``. autotape
differentiates it through ``autotape.scipy.linalg.cholesky`` and ``solve_triangular``,
and SciPy's L-BFGS-B maximizes it.

The script prints the learned hyperparameters, the final log marginal likelihood and the
test RMSE (in the target's units), next to those of scikit-learn's
``GaussianProcessRegressor`` fitted to the same data with the same kernel
(``ConstantKernel * RBF + WhiteKernel``) from the same starting point. ``--plot PATH``
draws the posterior mean and its two-standard-deviation band over the test patients.

Usage::

    python examples/gaussian_process.py [--plot PATH] [--train 300] [--seed 0]
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize

import autotape as at
from autotape.scipy import linalg

FEATURES = ("bmi", "bp", "s5")
#: The starting point: length scale 1, signal and noise standard deviations 1 and sqrt(0.1).
THETA0 = np.array([0.0, 0.0, 0.5 * math.log(0.1)])


@dataclass
class Split:
    """Standardized training and test data, and how to undo the target's standardization."""

    x_train: np.ndarray  # (n, d)
    y_train: np.ndarray  # (n,)
    x_test: np.ndarray  # (m, d)
    y_test: np.ndarray  # (m,), in the target's own units
    y_mean: float
    y_scale: float


def load_diabetes(train: int = 300, seed: int = 0) -> Split:
    """The diabetes data, three features, split at random into ``train`` and the rest.

    Raises:
        ValueError: ``train`` not between 2 and 441.
    """
    from sklearn.datasets import load_diabetes as sklearn_diabetes

    data = sklearn_diabetes()
    if not 2 <= train < len(data.target):
        raise ValueError(f"--train must be between 2 and {len(data.target) - 1}, got {train}")
    columns = [list(data.feature_names).index(name) for name in FEATURES]
    x, y = data.data[:, columns], data.target.astype(np.float64)
    order = np.random.default_rng(seed).permutation(len(y))
    fit, held_out = order[:train], order[train:]
    x_mean, x_scale = x[fit].mean(axis=0), x[fit].std(axis=0)
    y_mean, y_scale = float(y[fit].mean()), float(y[fit].std())
    return Split(
        (x[fit] - x_mean) / x_scale,
        (y[fit] - y_mean) / y_scale,
        (x[held_out] - x_mean) / x_scale,
        y[held_out],
        y_mean,
        y_scale,
    )


def squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``|a_i - b_j|^2`` for every pair of rows, ``(n, m)``."""
    return np.sum((a[:, None, :] - b[None, :, :]) ** 2, axis=-1)


def kernel_matrix(theta: Any, distances: np.ndarray) -> Any:
    """``K = s^2 exp(-d / (2 l^2)) + n^2 I`` for the squared distances ``d`` of the training points."""
    log_l, log_s, log_n = theta[0], theta[1], theta[2]
    k = np.exp(2 * log_s - 0.5 * distances * np.exp(-2 * log_l))
    return k + np.exp(2 * log_n) * np.eye(len(distances))


def log_marginal_likelihood(theta: Any, distances: np.ndarray, y: np.ndarray) -> Any:
    """``log p(y | X, theta)`` from the Cholesky factor of ``K`` (Rasmussen and Williams, algorithm 2.1)."""
    factor = linalg.cholesky(kernel_matrix(theta, distances), lower=True)
    a = linalg.solve_triangular(factor, y, lower=True)
    n = len(y)
    log_det = 2 * np.sum(np.log(factor[np.arange(n), np.arange(n)]))
    return -0.5 * np.sum(a**2) - 0.5 * log_det - 0.5 * n * math.log(2 * math.pi)


def fit(split: Split, theta0: np.ndarray = THETA0) -> tuple[np.ndarray, float, int]:
    """Maximize the log marginal likelihood with L-BFGS-B; returns ``(theta, log likelihood, iterations)``."""
    distances = squared_distances(split.x_train, split.x_train)
    value_and_grad = at.value_and_grad(log_marginal_likelihood)

    def negative(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = value_and_grad(theta, distances, split.y_train)
        return -float(value), -np.asarray(grad)

    result = scipy.optimize.minimize(negative, theta0, jac=True, method="L-BFGS-B", options={"gtol": 1e-8})
    return result.x, -float(result.fun), int(result.nit)


def predict(theta: np.ndarray, split: Split) -> tuple[np.ndarray, np.ndarray]:
    """The posterior predictive mean and standard deviation (noise included) at the test
    points, in the target's units (Rasmussen and Williams, algorithm 2.1)."""
    log_l, log_s, log_n = theta
    factor, lower = linalg.cho_factor(kernel_matrix(theta, squared_distances(split.x_train, split.x_train)), lower=True)
    cross = np.exp(2 * log_s - 0.5 * squared_distances(split.x_train, split.x_test) * np.exp(-2 * log_l))
    mean = cross.T @ linalg.cho_solve((factor, lower), split.y_train)
    v = linalg.solve_triangular(factor, cross, lower=True)
    variance = np.exp(2 * log_s) + np.exp(2 * log_n) - np.sum(v**2, axis=0)
    return split.y_mean + split.y_scale * mean, split.y_scale * np.sqrt(variance)


def rmse(prediction: np.ndarray, target: np.ndarray) -> float:
    return float(np.sqrt(np.mean((prediction - target) ** 2)))


def fit_sklearn(split: Split, theta0: np.ndarray = THETA0) -> tuple[np.ndarray, float, np.ndarray]:
    """scikit-learn's fit of the same model from the same start: ``(theta, log likelihood, test mean)``."""
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    log_l, log_s, log_n = theta0
    bounds = (1e-8, 1e8)
    kernel = ConstantKernel(math.exp(2 * log_s), bounds) * RBF(math.exp(log_l), bounds) + WhiteKernel(
        math.exp(2 * log_n), bounds
    )
    model = GaussianProcessRegressor(kernel, alpha=0.0, normalize_y=False).fit(split.x_train, split.y_train)
    # scikit-learn's theta: log s^2, log l, log n^2.
    sk_log_s2, sk_log_l, sk_log_n2 = model.kernel_.theta
    theta = np.array([sk_log_l, 0.5 * sk_log_s2, 0.5 * sk_log_n2])
    mean = split.y_mean + split.y_scale * model.predict(split.x_test)
    return theta, float(model.log_marginal_likelihood_value_), mean


def describe(theta: np.ndarray) -> str:
    log_l, log_s, log_n = theta
    return f"length scale {math.exp(log_l):.4f}, signal sd {math.exp(log_s):.4f}, noise sd {math.exp(log_n):.4f}"


def plot(path: str, split: Split, mean: np.ndarray, sd: np.ndarray) -> None:
    """The test patients sorted by posterior mean: the mean, its two-sd band, and the observations."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = np.argsort(mean)
    rank = np.arange(len(order))
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.fill_between(rank, (mean - 2 * sd)[order], (mean + 2 * sd)[order], alpha=0.25, label="mean ± 2 sd")
    ax.plot(rank, mean[order], label="posterior mean")
    ax.scatter(rank, split.y_test[order], s=10, color="black", label="observed")
    ax.set_xlabel("test patients, by posterior mean")
    ax.set_ylabel("disease progression after one year")
    ax.set_title("Gaussian process on the diabetes data (bmi, bp, s5)")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plot", metavar="PATH", help="draw the posterior mean and band to this image file")
    parser.add_argument("--train", type=int, default=300, help="training patients (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="the seed of the train/test split (default 0)")
    args = parser.parse_args(argv)
    try:
        split = load_diabetes(args.train, args.seed)
    except ValueError as error:
        parser.error(str(error))

    theta, value, iterations = fit(split)
    mean, sd = predict(theta, split)
    baseline = rmse(np.full_like(split.y_test, split.y_mean), split.y_test)
    print(f"diabetes data, features {', '.join(FEATURES)}: {len(split.y_train)} training, {len(split.y_test)} test")
    print(f"autotape:     {describe(theta)}")
    print(f"              log marginal likelihood {value:.6f} after {iterations} L-BFGS-B iterations")
    print(f"              test RMSE {rmse(mean, split.y_test):.4f} (the training mean alone: {baseline:.4f})")
    sk_theta, sk_value, sk_mean = fit_sklearn(split)
    print(f"scikit-learn: {describe(sk_theta)}")
    print(f"              log marginal likelihood {sk_value:.6f}")
    print(f"              test RMSE {rmse(sk_mean, split.y_test):.4f}")
    print(f"difference in log marginal likelihood (autotape - scikit-learn): {value - sk_value:.2e}")
    if args.plot:
        plot(args.plot, split, mean, sd)
        print(f"plot written to {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Linear regression by per-row stochastic gradient descent, the functional way.

Tasks 1 and 5 of the original course assignment, redone with autotape: fit
``y ~ x @ w + b`` by SGD, one row at a time, and report each epoch's mean squared
error exactly as the assignment (and its PyTorch loop) does, so that the numbers
can be compared with it line by line. The protocol:

* ``np.random.seed(seed)`` (default 1), then ``w = np.random.normal(size=(d, 1))``
  and ``b = np.random.normal(size=(1, 1))``, in that order (``d = 2`` for the
  synthetic data);
* for each epoch, ``sum_err = 0``; then for each row in file order: the row's
  squared error ``(x_row @ w + b - y_row)**2`` is computed, as
  ``at.mse(prediction, target)`` on ``(1, 1)`` arrays (the mean over one element is
  the squared error itself), together with its gradient (``at.value_and_grad``:
  ``2 r x^T`` for ``w`` and ``2 r`` for ``b``, with ``r`` the residual); the error
  is added to ``sum_err`` *before* the row's step ``at.sgd(params, grads, lr)``;
* after each epoch the script prints ``Epoch k: MSE = <value>`` with
  ``value = sum_err / n``, the ``repr`` of a Python float (full precision).

That per-epoch figure averages errors measured along the way, each under the
parameters of the moment its row was visited, so it lags behind the parameters at
the end of the epoch (in epoch 1 by a lot: the first rows are seen with the random
start). ``--dataset-mse`` adds a second line per epoch,
``Epoch k: dataset MSE after the epoch = <value>``: the MSE of all rows under the
parameters the epoch ends with.

With ``--jit`` each row's gradient and update run as one ``at.jit`` step: recorded on
the first row and replayed as straight-line NumPy afterwards, with the same numbers bit
for bit (the printed lines are identical). ``--time`` prints each epoch's seconds to
standard error.

Usage::

    python examples/linear_regression.py [--csv PATH] [--epochs 10] [--lr 0.01] [--dataset-mse] [--jit] [--time]

The CSV needs a header line; its column ``y`` is the target and every other
column is a numeric feature. The default is ``data/synthetic_regression.csv``
next to this script (see ``make_synthetic_regression.py``).
"""

from __future__ import annotations

import argparse
import csv
import pathlib
import sys
import time
from collections.abc import Callable
from typing import Optional

import numpy as np

import autotape as at

DEFAULT_CSV = pathlib.Path(__file__).resolve().parent / "data" / "synthetic_regression.csv"
TARGET = "y"


def load_csv(path: str | pathlib.Path, target: str = TARGET) -> tuple[np.ndarray, np.ndarray]:
    """Features ``X`` of shape ``(n, d)`` and targets ``y`` of shape ``(n, 1)``, as float64.

    Raises:
        ValueError: the header has no ``target`` column, or no feature columns.
    """
    with open(path, newline="", encoding="utf-8-sig") as f:
        header = next(csv.reader(f))
    names = [name.strip() for name in header]
    if target not in names:
        raise ValueError(f"{path}: no column {target!r} in the header {names}")
    if len(names) < 2:
        raise ValueError(f"{path}: needs at least one feature column besides {target!r}")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, encoding="utf-8-sig")
    j = names.index(target)
    X = np.delete(data, j, axis=1)
    y = data[:, j : j + 1]
    return X, y


def predict(params: dict, X: np.ndarray) -> np.ndarray:
    """``X @ w + b``: shape ``(n, 1)`` for ``X`` of shape ``(n, d)``."""
    return at.matmul(X, params["w"]) + params["b"]


def row_loss(params: dict, x_row: np.ndarray, y_row: np.ndarray):
    """Squared error of one row; ``x_row`` is ``(1, d)`` and ``y_row`` is ``(1, 1)``."""
    return at.mse(predict(params, x_row), y_row)


def dataset_mse(params: dict, X: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error over all rows, as a Python float."""
    return float(at.mse(predict(params, X), y))


def init_params(n_features: int, seed: int) -> dict:
    """``{'w': (d, 1), 'b': (1, 1)}`` drawn from NumPy's legacy global generator after ``np.random.seed(seed)``."""
    np.random.seed(seed)
    w = np.random.normal(size=(n_features, 1))
    b = np.random.normal(size=(1, 1))
    return {"w": w, "b": b}


def sgd_step(params: dict, x_row: np.ndarray, y_row: np.ndarray, lr: float) -> tuple:
    """One row's ``(squared error, parameters after the step)``: ``at.value_and_grad`` then ``at.sgd``."""
    err, grads = at.value_and_grad(row_loss)(params, x_row, y_row)
    return err, at.sgd(params, grads, lr)


def train(
    X: np.ndarray,
    y: np.ndarray,
    epochs: int = 10,
    lr: float = 1e-2,
    seed: int = 1,
    callback: Optional[Callable[[int, float, dict], None]] = None,
    jit: bool = False,
    timer: Optional[Callable[[int, float], None]] = None,
) -> list[float]:
    """Per-row SGD on ``X`` (``(n, d)``) and ``y`` (``(n, 1)``); each epoch's ``sum_err / n``.

    ``sum_err`` adds up every row's squared error, computed with the parameters of
    the moment before that row's step (the assignment's per-epoch figure; see the
    module docstring). ``callback(epoch, mse, params)``, if given, is called after
    every epoch (epochs are numbered from 1) with that figure and the parameters
    the epoch ends with. With ``jit`` the row step runs under ``at.jit`` (the same
    numbers, bit for bit); ``timer(epoch, seconds)``, if given, gets each epoch's time.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    n = X.shape[0]
    params = init_params(X.shape[1], seed)
    step = at.jit(sgd_step, static_argnums=3) if jit else sgd_step
    history = []
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        sum_err = 0.0
        for i in range(n):
            err, params = step(params, X[i : i + 1], y[i : i + 1], lr)
            sum_err += float(err)
        if timer is not None:
            timer(epoch, time.perf_counter() - started)
        mse = sum_err / n
        history.append(mse)
        if callback is not None:
            callback(epoch, mse, params)
    return history


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Fit a linear model by per-row SGD with autotape and print each epoch's MSE "
        "(the mean of the rows' squared errors, each taken just before that row's step).",
    )
    parser.add_argument(
        "--csv",
        type=pathlib.Path,
        default=DEFAULT_CSV,
        metavar="PATH",
        help="CSV with a header line, a target column 'y' and numeric feature columns "
        "(default: data/synthetic_regression.csv next to this script)",
    )
    parser.add_argument("--epochs", type=int, default=10, help="passes over the data (default: 10)")
    parser.add_argument("--lr", type=float, default=1e-2, help="SGD learning rate (default: 0.01)")
    parser.add_argument("--seed", type=int, default=1, help="seed of np.random before drawing w and b (default: 1)")
    parser.add_argument(
        "--jit",
        action="store_true",
        help="run each row's gradient and update as one at.jit step (recorded once, then replayed; same output)",
    )
    parser.add_argument("--time", action="store_true", help="print each epoch's time to standard error")
    parser.add_argument(
        "--dataset-mse",
        action="store_true",
        help="after each epoch also print 'Epoch k: dataset MSE after the epoch = ...', the MSE of all rows "
        "under the parameters the epoch ends with",
    )
    return parser


def main(argv: list[str] | None = None) -> list[float]:
    args = build_parser().parse_args(argv)
    X, y = load_csv(args.csv)

    def report(epoch: int, mse: float, params: dict) -> None:
        print(f"Epoch {epoch}: MSE = {mse!r}", flush=True)
        if args.dataset_mse:
            print(f"Epoch {epoch}: dataset MSE after the epoch = {dataset_mse(params, X, y)!r}", flush=True)

    def timer(epoch: int, seconds: float) -> None:
        print(f"Epoch {epoch}: {seconds:.3f} s ({1e6 * seconds / len(X):.1f} us per row)", file=sys.stderr, flush=True)

    return train(
        X,
        y,
        epochs=args.epochs,
        lr=args.lr,
        seed=args.seed,
        callback=report,
        jit=args.jit,
        timer=timer if args.time else None,
    )


if __name__ == "__main__":
    main()

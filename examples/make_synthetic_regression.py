"""Write the synthetic linear-regression dataset used by ``linear_regression.py``.

The file ``data/synthetic_regression.csv`` (next to this script) has a header line
``x1,x2,y`` and 1000 rows drawn as follows, from a fixed seed so that re-running
this script reproduces the committed file byte for byte:

* ``x1`` and ``x2`` are independent normal draws with mean 0 and standard
  deviation ``X_STD = 0.15``;
* ``y = TRUE_W[0] * x1 + TRUE_W[1] * x2 + TRUE_B + noise``, with
  ``TRUE_W = (2.0, -3.0)``, ``TRUE_B = 0.5`` and Gaussian noise of standard
  deviation ``NOISE_STD = 0.1``.

A least-squares fit on the file therefore recovers weights close to (2, -3), a bias
close to 0.5, and a residual mean squared error close to ``0.1**2 = 0.01``.

The small feature scale is deliberate: with per-row SGD at learning rate 0.01 from
a standard-normal start (the protocol of ``linear_regression.py``), the fit then
takes several epochs, so the per-epoch MSE visibly falls towards the noise floor
instead of reaching it within the first epoch.

Usage::

    python examples/make_synthetic_regression.py [--out PATH]
"""

from __future__ import annotations

import argparse
import pathlib

import numpy as np

TRUE_W = (2.0, -3.0)
TRUE_B = 0.5
NOISE_STD = 0.1
X_STD = 0.15
N_ROWS = 1000
SEED = 20240601

DEFAULT_OUT = pathlib.Path(__file__).resolve().parent / "data" / "synthetic_regression.csv"


def make_data(n_rows: int = N_ROWS, seed: int = SEED) -> np.ndarray:
    """The dataset as an ``(n_rows, 3)`` array with columns ``x1, x2, y``."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, X_STD, size=(n_rows, 2))
    noise = rng.normal(0.0, NOISE_STD, size=n_rows)
    y = x @ np.asarray(TRUE_W) + TRUE_B + noise
    return np.column_stack([x, y])


def main(argv: list[str] | None = None) -> pathlib.Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=DEFAULT_OUT,
        help="where to write the CSV (default: data/synthetic_regression.csv next to this script)",
    )
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    # %.10g keeps the file small; the values written are the dataset (the script that
    # reads it never sees the unrounded draws).
    np.savetxt(args.out, make_data(), fmt="%.10g", delimiter=",", header="x1,x2,y", comments="")
    print(f"wrote {N_ROWS} rows to {args.out}")
    return args.out


if __name__ == "__main__":
    main()

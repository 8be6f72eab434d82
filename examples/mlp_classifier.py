"""A one-hidden-layer tanh MLP for binary classification, trained with autotape.

The model is ``logits = tanh(X @ w1 + b1) @ w2 + b2`` with parameters in a dict
pytree ``{'w1', 'b1', 'w2', 'b2'}``, trained full batch on
``at.bce_with_logits`` with one of autotape's pure optimizers.

Data: any CSV with a header line (``--csv PATH --label COLUMN``): the label column
must hold exactly two distinct values, which are mapped to 0 and 1 in sorted
order; every other column must be numeric and is a feature. Without ``--csv`` the
Wisconsin breast-cancer dataset that ships inside scikit-learn is used (no
download). The rows are split, stratified and seeded, into 60% training, 20%
validation and 20% test; features are standardized with the mean and standard
deviation of the training split only.

Examples::

    python examples/mlp_classifier.py
    python examples/mlp_classifier.py --csv examples/data/raisin.csv --label Class
    python examples/mlp_classifier.py --optimizer momentum --epochs 500 --plot curves.png
    python examples/mlp_classifier.py --csv examples/data/raisin.csv --label Class --jit

With ``--jit`` each epoch's forward pass, gradient and validation loss run as one
``at.jit`` step, recorded in the first epoch and replayed as straight-line NumPy after
it; the optimizer's update runs eagerly between them (it could join the step: Adam's
state is arrays only). Every printed number is the same, bit for bit.

The script prints the training and validation loss and accuracy every few
epochs, then ``test accuracy: <value>``, on standard output; a progress bar over
the epochs (tqdm) goes to standard error. ``--quiet`` prints only the test
accuracy, with no progress bar.

Bad input is a usage error (exit status 2, a message naming the flag or the file,
no traceback), reported before any training: a missing file or label column,
missing or infinite feature values, fewer than ``MIN_ROWS_PER_CLASS`` (5) rows of
either class, an ``--lr`` that is not finite and positive, and a ``--plot`` path
without an image suffix or in a directory that does not exist.
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import sys
import time
from typing import NamedTuple, Optional

import numpy as np

import autotape as at

OPTIMIZERS = ("sgd", "momentum", "adam")
#: Learning rate used when --lr is not given, per optimizer.
DEFAULT_LR = {"sgd": 0.5, "momentum": 0.05, "adam": 0.01}
DEFAULT_EPOCHS = 100
DEFAULT_HIDDEN = 128
DEFAULT_SEED = 0
#: The fewest rows of each class that the stratified 60/20/20 split takes: with
#: fewer, scikit-learn's split fails or leaves a split without one of the classes.
MIN_ROWS_PER_CLASS = 5


class Splits(NamedTuple):
    """Standardized features and 0/1 labels of the three splits."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray
    std: np.ndarray


# -- data ---------------------------------------------------------------------------


def load_csv(path: str | pathlib.Path, label: str) -> tuple[np.ndarray, np.ndarray, list[str], tuple]:
    """Read a CSV with a header: features ``X`` ``(n, d)`` float64 and labels ``y`` ``(n,)`` in {0, 1}.

    Returns:
        ``(X, y, feature_names, classes)``; ``classes[k]`` is the label value mapped to ``k``.
    Raises:
        FileNotFoundError: no such file.
        ValueError: no column ``label``, a label column without exactly two distinct
            values, a non-numeric feature column, or missing (NaN) or infinite values.
    """
    import pandas as pd

    frame = pd.read_csv(path, encoding="utf-8-sig")
    frame.columns = [str(c).strip() for c in frame.columns]
    if label not in frame.columns:
        raise ValueError(f"{path}: no label column {label!r}; the columns are {list(frame.columns)}")
    labels = frame[label]
    if labels.isna().any():
        raise ValueError(f"{path}: the label column {label!r} has missing values")
    classes = tuple(sorted(labels.unique(), key=str))
    if len(classes) != 2:
        raise ValueError(
            f"{path}: the label column {label!r} must hold exactly two distinct values for binary "
            f"classification, found {len(classes)}: {list(classes)[:10]}"
        )
    features = frame.drop(columns=[label])
    if features.shape[1] == 0:
        raise ValueError(f"{path}: no feature columns besides {label!r}")
    non_numeric = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if non_numeric:
        raise ValueError(f"{path}: feature columns must be numeric; these are not: {non_numeric}")
    missing = [str(c) for c in features.columns if features[c].isna().any()]
    if missing:
        raise ValueError(f"{path}: these feature columns have missing values (empty or NaN): {missing}")
    X = features.to_numpy(dtype=np.float64)
    infinite = [str(c) for c, column in zip(features.columns, X.T) if np.isinf(column).any()]
    if infinite:
        raise ValueError(
            f"{path}: these feature columns hold infinite values (inf, -inf, or numbers too large for "
            f"float64): {infinite}; remove or replace those rows"
        )
    y = (labels == classes[1]).to_numpy(dtype=np.int64)
    return X, y, list(features.columns), classes


def load_default() -> tuple[np.ndarray, np.ndarray, list[str], tuple]:
    """scikit-learn's bundled breast-cancer data, as :func:`load_csv` returns it (0 = malignant, 1 = benign)."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    return (
        data.data.astype(np.float64),
        data.target.astype(np.int64),
        list(data.feature_names),
        tuple(data.target_names),
    )


def split_and_standardize(
    X: np.ndarray, y: np.ndarray, seed: int, val_fraction: float = 0.2, test_fraction: float = 0.2
) -> Splits:
    """Seeded stratified train/validation/test split; features scaled by training statistics only.

    A feature that is constant on the training split gets a scale of 1 (it is only centred).

    Raises:
        ValueError: a class has fewer than :data:`MIN_ROWS_PER_CLASS` rows (too few to
            split three ways with both classes in every split).
    """
    from sklearn.model_selection import train_test_split

    labels, counts = np.unique(y, return_counts=True)
    if len(labels) < 2 or counts.min() < MIN_ROWS_PER_CLASS:
        found = ", ".join(f"{count} of class {label}" for label, count in zip(labels, counts)) or "no rows"
        raise ValueError(
            f"too few rows to split into training, validation and test sets: each of the two classes needs "
            f"at least {MIN_ROWS_PER_CLASS} rows, found {found}"
        )

    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=test_fraction, stratify=y, random_state=seed)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=val_fraction / (1 - test_fraction), stratify=y_rest, random_state=seed
    )
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std > 0, std, 1.0)

    def scale(A):
        return (A - mean) / std

    return Splits(scale(X_train), y_train, scale(X_val), y_val, scale(X_test), y_test, mean, std)


# -- model --------------------------------------------------------------------------


def init_params(n_features: int, hidden: int, seed: int) -> dict:
    """Glorot-normal weights (std ``sqrt(2 / (fan_in + fan_out))``, suited to tanh) and zero biases."""
    rng = np.random.default_rng(seed)

    def glorot(fan_in, fan_out):
        return rng.normal(0.0, np.sqrt(2.0 / (fan_in + fan_out)), size=(fan_in, fan_out))

    return {
        "w1": glorot(n_features, hidden),
        "b1": np.zeros(hidden),
        "w2": glorot(hidden, 1),
        "b2": np.zeros(1),
    }


def logits(params: dict, X: np.ndarray):
    """The model's logits, shape ``(n,)``: ``tanh(X @ w1 + b1) @ w2 + b2``."""
    h = at.tanh(at.matmul(X, params["w1"]) + params["b1"])
    return at.reshape(at.matmul(h, params["w2"]) + params["b2"], (-1,))


def loss_fn(params: dict, X: np.ndarray, y: np.ndarray):
    """Mean binary cross-entropy of the logits against 0/1 labels; returns ``(loss, logits)``."""
    z = logits(params, X)
    return at.bce_with_logits(z, y.astype(np.float64)), z


def evaluate(params: dict, X_train: np.ndarray, y_train: np.ndarray, X_val: np.ndarray, y_val: np.ndarray) -> tuple:
    """``(((loss, logits), grads), (val_loss, val_logits))``: the training step's values and gradient,
    and the validation loss of the same parameters."""
    return at.value_and_grad(loss_fn, has_aux=True)(params, X_train, y_train), loss_fn(params, X_val, y_val)


def accuracy_of_logits(z: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((np.asarray(z) > 0) == (np.asarray(y) == 1)))


def accuracy(params: dict, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose predicted class (logit > 0 means class 1) equals ``y``."""
    return accuracy_of_logits(logits(params, X), y)


def make_optimizer(name: str, lr: float) -> at.optim.Optimizer:
    if name == "sgd":
        return at.optim.sgd(lr)
    if name == "momentum":
        return at.optim.momentum(lr, beta=0.9)
    if name == "adam":
        return at.optim.adam(lr)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {OPTIMIZERS}")


def single_threaded_blas():
    """A context limiting BLAS to one thread, where threadpoolctl (a scikit-learn dependency) is installed.

    The matrices here are small (hundreds of rows by ``--hidden`` columns): extra BLAS
    threads save little, and on a machine whose cores are busy they spin and wait,
    which can make training several times slower.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn always brings it
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def train(
    params: dict,
    splits: Splits,
    epochs: int = DEFAULT_EPOCHS,
    lr: Optional[float] = None,
    optimizer: str = "adam",
    log_every: int = 10,
    quiet: bool = False,
    jit: bool = False,
) -> tuple[dict, dict]:
    """Full-batch training on the training split.

    Each epoch takes one gradient step. The history records, per epoch, the
    training loss and accuracy of the parameters that step starts from (they come
    from the same forward pass as the gradient) and the validation loss and
    accuracy of the same parameters.

    Unless ``quiet``, a tqdm progress bar over the epochs, with the latest loss and
    validation accuracy, runs on standard error, and every ``log_every`` epochs a
    line of losses and accuracies goes to standard output.

    With ``jit`` the gradient and the validation loss of each epoch run as one
    ``at.jit`` step (identical numbers; the update runs eagerly).

    Returns:
        ``(params, history)`` with ``history`` a dict of lists ``epoch``, ``loss``,
        ``train_acc``, ``val_loss``, ``val_acc``.
    """
    from tqdm import tqdm

    lr = DEFAULT_LR[optimizer] if lr is None else lr
    opt = make_optimizer(optimizer, lr)
    state = opt.init(params)
    step = at.jit(evaluate) if jit else evaluate
    history: dict[str, list] = {"epoch": [], "loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
    with single_threaded_blas(), tqdm(total=epochs, desc="training", unit="epoch", disable=quiet) as bar:
        for epoch in range(1, epochs + 1):
            ((loss, z), grads), (val_loss, val_z) = step(
                params, splits.X_train, splits.y_train, splits.X_val, splits.y_val
            )
            train_acc = accuracy_of_logits(z, splits.y_train)
            val_acc = accuracy_of_logits(val_z, splits.y_val)
            params, state = opt.update(params, grads, state)
            history["epoch"].append(epoch)
            history["loss"].append(float(loss))
            history["train_acc"].append(train_acc)
            history["val_loss"].append(float(val_loss))
            history["val_acc"].append(val_acc)
            bar.set_postfix_str(f"loss {float(loss):.4f}, val acc {val_acc:.4f}", refresh=False)
            bar.update()
            if not quiet and (epoch == 1 or epoch % log_every == 0 or epoch == epochs):
                # Through the bar, which clears itself from the terminal before printing.
                bar.write(
                    f"epoch {epoch:4d}  loss {float(loss):.4f}  val loss {float(val_loss):.4f}  "
                    f"train acc {train_acc:.4f}  val acc {val_acc:.4f}"
                )
    return params, history


# -- plotting and command line ------------------------------------------------------


def plot_history(history: dict, path: str | pathlib.Path, title: str = "") -> None:
    """Save the loss and the accuracy curves side by side as an image (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(history["epoch"], history["loss"], label="train")
    ax_loss.plot(history["epoch"], history["val_loss"], label="validation")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss (binary cross-entropy)")
    ax_loss.set_yscale("log")

    # Plain decimals (0.3, 0.4, ...) on the log axis, rather than powers of ten, and the
    # minor ticks labelled too when the losses span less than about one decade.
    class Plain(ticker.LogFormatter):
        def __call__(self, value, pos=None):
            return f"{value:g}" if super().__call__(value, pos) else ""

    plain = Plain(labelOnlyBase=False, minor_thresholds=(1.5, 0.5))
    ax_loss.yaxis.set_major_formatter(plain)
    ax_loss.yaxis.set_minor_formatter(plain)
    ax_loss.legend()
    ax_acc.plot(history["epoch"], history["train_acc"], label="train")
    ax_acc.plot(history["epoch"], history["val_acc"], label="validation")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.legend()
    ax_loss.grid(True, which="both", alpha=0.3)
    ax_acc.grid(True, alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def image_formats() -> list[str]:
    """The file suffixes (without the dot) that matplotlib can save a figure as."""
    from matplotlib.figure import Figure

    return sorted(Figure().canvas.get_supported_filetypes())


def plot_path_problem(path: pathlib.Path) -> Optional[str]:
    """Why ``--plot path`` cannot be written (an image suffix, an existing directory), or None."""
    if path.is_dir():
        return f"--plot {path}: that is a directory; give a file name, e.g. {path / 'curves.png'}"
    formats = image_formats()
    if path.suffix.lower().lstrip(".") not in formats:
        return (
            f"--plot {path}: the file name must end in an image suffix matplotlib writes "
            f"({', '.join('.' + f for f in formats)}), e.g. {path.with_suffix('.png').name}"
        )
    parent = path.parent
    if not parent.is_dir():
        return f"--plot {path}: the directory {parent} does not exist; create it first (mkdir -p {parent})"
    if not os.access(parent, os.W_OK):
        return f"--plot {path}: the directory {parent} is not writable"
    return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Train a one-hidden-layer tanh MLP binary classifier with autotape "
        "(full batch, binary cross-entropy on logits) and report its test accuracy.",
        epilog="The data are split 60/20/20 (train/validation/test), stratified and seeded; "
        "features are standardized with training-split statistics.",
    )
    parser.add_argument(
        "--csv",
        type=pathlib.Path,
        metavar="PATH",
        help="CSV file with a header line; all columns but --label must be numeric features. "
        "Default: scikit-learn's bundled breast-cancer dataset.",
    )
    parser.add_argument(
        "--label",
        metavar="COLUMN",
        help="the label column of --csv (required with --csv); its two distinct values map to 0 and 1 in sorted order",
    )
    parser.add_argument("--hidden", type=int, default=DEFAULT_HIDDEN, help=f"hidden units (default: {DEFAULT_HIDDEN})")
    parser.add_argument(
        "--epochs",
        type=int,
        default=DEFAULT_EPOCHS,
        help=f"full-batch gradient steps (default: {DEFAULT_EPOCHS})",
    )
    parser.add_argument(
        "--lr",
        type=float,
        help="learning rate, finite and > 0 (default: "
        + ", ".join(f"{v} for {k}" for k, v in DEFAULT_LR.items())
        + ")",
    )
    parser.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        default="adam",
        help="sgd, momentum (beta 0.9) or adam (default: adam)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        help=f"seed of the data split and of the weight initialization (default: {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--plot",
        type=pathlib.Path,
        metavar="FILE.png",
        help="save loss and accuracy curves to this image (.png, .pdf, .svg, ...) in an existing directory; "
        "checked before training",
    )
    parser.add_argument(
        "--log-every",
        type=int,
        default=10,
        metavar="N",
        help="print the losses and accuracies every N epochs (default: 10)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="print only the final test accuracy (no log lines, no progress bar)"
    )
    parser.add_argument(
        "--jit",
        action="store_true",
        help="run each epoch's gradient and validation loss as one at.jit step (recorded once; same numbers)",
    )
    return parser


def main(argv: Optional[list[str]] = None) -> float:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the test accuracy."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.csv is not None and args.label is None:
        parser.error("--csv needs --label COLUMN")
    if args.label is not None and args.csv is None:
        parser.error("--label needs --csv PATH")
    for name in ("hidden", "epochs", "log_every"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        parser.error(f"--lr must be a finite number greater than 0, got {args.lr!r}")
    if not 0 <= args.seed < 2**32:
        parser.error(f"--seed must be in [0, 2**32 - 1], got {args.seed}")
    if args.plot is not None and (problem := plot_path_problem(args.plot)) is not None:
        parser.error(problem)  # before training, not after it

    if args.csv is None:
        X, y, _, classes = load_default()
        source = "breast cancer (scikit-learn)"
    else:
        try:
            X, y, _, classes = load_csv(args.csv, args.label)
        except (OSError, ValueError) as error:  # a missing file, a wrong --label: a usage error
            parser.error(str(error))
        source = args.csv.name
    try:
        splits = split_and_standardize(X, y, args.seed)
    except ValueError as error:  # too few rows
        parser.error(f"{args.csv if args.csv is not None else source}: {error}")
    if not args.quiet:
        print(
            f"{source}: {X.shape[0]} rows, {X.shape[1]} features, classes {classes[0]!s}=0 / {classes[1]!s}=1; "
            f"train/val/test {len(splits.y_train)}/{len(splits.y_val)}/{len(splits.y_test)}"
        )
    params = init_params(X.shape[1], args.hidden, args.seed)
    start = time.perf_counter()
    params, history = train(
        params,
        splits,
        epochs=args.epochs,
        lr=args.lr,
        optimizer=args.optimizer,
        log_every=args.log_every,
        quiet=args.quiet,
        jit=args.jit,
    )
    elapsed = time.perf_counter() - start
    test_acc = accuracy(params, splits.X_test, splits.y_test)
    if args.plot is not None:
        try:
            plot_history(
                history,
                args.plot,
                title=f"{source}, {args.optimizer}, hidden {args.hidden}: test accuracy {test_acc:.3f}",
            )
        except OSError as error:  # e.g. the directory went away during training
            print(f"{parser.prog}: error: could not write --plot {args.plot}: {error}", file=sys.stderr)
            raise SystemExit(1) from None
        if not args.quiet:
            print(f"saved curves to {args.plot.resolve()}")
    if not args.quiet:
        print(f"trained {args.epochs} epochs in {elapsed:.2f} s ({1e3 * elapsed / args.epochs:.2f} ms per epoch)")
    print(f"test accuracy: {test_acc:.4f}")
    return test_acc


if __name__ == "__main__":
    main(sys.argv[1:])

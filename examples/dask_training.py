"""examples/mlp_classifier.py's MLP, trained data-parallel on a Dask cluster with autotape.dask.

The training rows are held as Dask arrays split into ``--chunks`` row chunks. Each
epoch is one full-batch step: ``autotape.dask.value_and_grad`` scatters the
parameters to the workers once, computes each chunk's mean binary cross-entropy
and its gradient on the worker that holds the chunk, and sums the chunks' results
weighted by their row counts (``reduction="mean"``). The optimizer step runs here,
on the client. The validation and test splits are small and are evaluated here too.

Data: the Wisconsin breast-cancer dataset that ships inside scikit-learn (569 rows,
30 features; no download), split and standardized exactly as
``mlp_classifier.py`` does. It is small, so on it Dask's per-step overhead
outweighs the computation; ``--replicate K`` repeats the training rows K times to
make each step heavier for timing. Repeating every row K times leaves the mean loss
and its gradient unchanged in exact arithmetic, so the run trains as before;
nothing new is learned from the copies.

The cluster: by default a ``LocalCluster`` of ``--workers`` (2) worker processes
with one thread each, started and stopped by this script; with
``--scheduler ADDRESS`` (e.g. ``tcp://10.0.0.5:8786``) the script connects to a
running scheduler instead. Its workers need autotape and scikit-learn installed;
the script sends them ``mlp_classifier.py`` with ``client.upload_file``.

Install with ``pip install -e ".[examples,dask]"``. Examples::

    python examples/dask_training.py
    python examples/dask_training.py --chunks 8 --replicate 100 --epochs 20
    python examples/dask_training.py --scheduler tcp://127.0.0.1:8786

Every epoch prints the training loss and accuracy of the parameters that epoch's
step starts from, and the validation loss and accuracy of the same parameters;
they equal those of the single-process run of ``mlp_classifier.train`` on the same
data and seed (to about 1e-14; the tests check 1e-10). At the end it prints the
training time and ``test accuracy: <value>``, as ``mlp_classifier.py`` does.
"""

from __future__ import annotations

import argparse
import contextlib
import pathlib
import sys
import time
from typing import Optional

import numpy as np

import autotape as at

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import mlp_classifier as mlp  # noqa: E402  (beside this file)

DEFAULT_WORKERS = 2
DEFAULT_CHUNKS = 4


def chunk_loss(params: dict, X: np.ndarray, y: np.ndarray):
    """One chunk's mean binary cross-entropy, and how many of its rows are classified correctly (aux)."""
    loss, z = mlp.loss_fn(params, X, y)
    correct = int(np.sum((at.stop_gradient(z) > 0) == (y == 1)))
    return loss, correct


def start_client(scheduler: Optional[str], workers: int, stack: contextlib.ExitStack):
    """A Dask client of the scheduler at ``scheduler``, or of a new LocalCluster of ``workers`` processes.

    The client, and the cluster this starts, close when ``stack`` does.
    """
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        return stack.enter_context(Client(scheduler, timeout="30s"))
    # One thread per worker process; the dashboard (and metrics) server on a free port.
    cluster = stack.enter_context(
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    )
    return stack.enter_context(Client(cluster))


def train(
    client,
    params: dict,
    splits: mlp.Splits,
    chunks: int,
    epochs: int,
    lr: float,
    optimizer: str,
    replicate: int = 1,
) -> tuple[dict, dict]:
    """Full-batch training on the cluster, one step per epoch, printing one line per epoch.

    The training rows are the training split repeated ``replicate`` times (as
    ``np.tile`` would), in ``chunks`` row chunks of nearly equal size.

    Returns:
        ``(params, history)`` with ``history`` as ``mlp_classifier.train`` returns it.
    """
    import dask.array as da

    import autotape.dask

    rows = replicate * len(splits.y_train)
    rows_per_chunk = -(-rows // chunks)
    # The split goes to the cluster once; the copies and the chunks are made there.
    # persist(): the chunks are computed once and stay in the workers' memory, each on
    # one worker; each step runs a chunk's task where that chunk is.
    X_train = da.concatenate([da.from_array(splits.X_train)] * replicate)
    y_train = da.concatenate([da.from_array(splits.y_train)] * replicate)
    X_train = X_train.rechunk((rows_per_chunk, -1)).persist()
    y_train = y_train.rechunk(rows_per_chunk).persist()
    print(f"training rows in {X_train.numblocks[0]} Dask chunks of {list(X_train.chunks[0])} rows")

    step = autotape.dask.value_and_grad(chunk_loss, reduction="mean", has_aux=True, client=client)
    opt = mlp.make_optimizer(optimizer, lr)
    state = opt.init(params)
    history: dict[str, list] = {"epoch": [], "loss": [], "train_acc": [], "val_loss": [], "val_acc": []}
    for epoch in range(1, epochs + 1):
        (loss, correct), grads = step(params, X_train, y_train)
        train_acc = sum(correct) / rows
        val_loss, val_z = mlp.loss_fn(params, splits.X_val, splits.y_val)
        val_acc = mlp.accuracy_of_logits(val_z, splits.y_val)
        params, state = opt.update(params, grads, state)
        for key, value in zip(history, (epoch, float(loss), train_acc, float(val_loss), val_acc)):
            history[key].append(value)
        print(
            f"epoch {epoch:4d}  loss {float(loss):.12f}  train acc {train_acc:.12f}  "
            f"val loss {float(val_loss):.12f}  val acc {val_acc:.12f}",
            flush=True,
        )
    return params, history


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Train mlp_classifier.py's MLP on the breast-cancer data with full-batch gradients "
        "computed on a Dask cluster by autotape.dask, and report its test accuracy.",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
        "(default: start a LocalCluster of --workers processes)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"worker processes of the LocalCluster, without --scheduler (default: {DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--chunks",
        type=int,
        default=DEFAULT_CHUNKS,
        help=f"row chunks of the training data (default: {DEFAULT_CHUNKS})",
    )
    parser.add_argument(
        "--replicate",
        type=int,
        default=1,
        metavar="K",
        help="repeat the training rows K times, to make each step heavier (default: 1, the data as it is)",
    )
    parser.add_argument("--hidden", type=int, default=mlp.DEFAULT_HIDDEN, help="hidden units (default: %(default)s)")
    parser.add_argument(
        "--epochs", type=int, default=mlp.DEFAULT_EPOCHS, help="full-batch steps (default: %(default)s)"
    )
    parser.add_argument("--lr", type=float, help="learning rate (default: mlp_classifier.py's for the optimizer)")
    parser.add_argument("--optimizer", choices=mlp.OPTIMIZERS, default="adam", help="(default: %(default)s)")
    parser.add_argument(
        "--seed",
        type=int,
        default=mlp.DEFAULT_SEED,
        help="seed of the data split and of the weight initialization (default: %(default)s)",
    )
    return parser


def main(argv: Optional[list[str]] = None) -> float:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the test accuracy."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("workers", "chunks", "replicate", "hidden", "epochs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    lr = mlp.DEFAULT_LR[args.optimizer] if args.lr is None else args.lr
    if not (np.isfinite(lr) and lr > 0):
        parser.error(f"--lr must be a finite positive number, got {args.lr}")

    X, y, _, classes = mlp.load_default()
    splits = mlp.split_and_standardize(X, y, args.seed)
    print(
        f"breast cancer (scikit-learn): {X.shape[0]} rows, {X.shape[1]} features, classes "
        f"{classes[0]}=0 / {classes[1]}=1; train/val/test {args.replicate * len(splits.y_train)}/{len(splits.y_val)}/"
        f"{len(splits.y_test)}" + (f" (training rows repeated {args.replicate} times)" if args.replicate > 1 else "")
    )

    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        try:
            client = start_client(args.scheduler, args.workers, stack)
        except OSError as error:  # no scheduler at that address
            parser.error(f"cannot connect to the Dask scheduler at {args.scheduler}: {error}")
        # The workers import mlp_classifier (the model) when they unpickle chunk_loss.
        client.upload_file(str(HERE / "mlp_classifier.py"))
        workers = len(client.scheduler_info()["workers"])
        where = args.scheduler or "a LocalCluster"
        print(f"Dask: {workers} workers at {where}, ready in {time.perf_counter() - started:.2f} s")
        params = mlp.init_params(X.shape[1], args.hidden, args.seed)
        start = time.perf_counter()
        with mlp.single_threaded_blas():
            params, _ = train(client, params, splits, args.chunks, args.epochs, lr, args.optimizer, args.replicate)
        elapsed = time.perf_counter() - start
    test_acc = mlp.accuracy(params, splits.X_test, splits.y_test)
    print(f"trained {args.epochs} epochs in {elapsed:.2f} s ({1000 * elapsed / args.epochs:.1f} ms per epoch)")
    print(f"test accuracy: {test_acc:.4f}")
    return test_acc


if __name__ == "__main__":
    main(sys.argv[1:])

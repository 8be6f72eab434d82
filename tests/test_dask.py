"""autotape.dask on a real LocalCluster of worker processes, and examples/dask_training.py.

One module-scoped cluster of 2 worker processes with one thread each serves most
tests; the killed-worker test starts its own, since it kills one of its workers.
The loss functions here are pickled by value (cloudpickle), as the workers cannot
import this test module.
"""

from __future__ import annotations

import concurrent.futures
import inspect
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

import cloudpickle
import dask.array as da
import numpy as np
import pytest
from distributed import Client, LocalCluster, get_worker

import autotape as at
import autotape.dask as atd

cloudpickle.register_pickle_by_value(sys.modules[__name__])

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
        Client(cluster) as client,
    ):
        yield client


def local_cluster_of_2():
    return LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")


# -- models and data ----------------------------------------------------------------


def mlp_params(rng, n_features, hidden, dtype=np.float64):
    return {
        "w1": (rng.normal(size=(n_features, hidden)) / np.sqrt(n_features)).astype(dtype),
        "b1": (0.1 * rng.normal(size=hidden)).astype(dtype),
        "w2": (rng.normal(size=(hidden, 1)) / np.sqrt(hidden)).astype(dtype),
        "b2": np.zeros(1, dtype=dtype),
    }


def mlp_logits(params, X):
    hidden = at.tanh(X @ params["w1"] + params["b1"])
    return at.reshape(hidden @ params["w2"] + params["b2"], (-1,))


def mean_bce(params, X, y):
    return at.bce_with_logits(mlp_logits(params, X), y)


def classification_data(rng, rows, features=6, dtype=np.float64):
    X = rng.normal(size=(rows, features)).astype(dtype)
    y = (X[:, 0] - 0.5 * X[:, 1] + 0.3 * rng.normal(size=rows) > 0).astype(dtype)
    return X, y


def dask_rows(array, row_chunks):
    """``array`` as a persisted Dask array with these row chunks and one chunk along other axes."""
    chunks = (tuple(row_chunks), *[(n,) for n in array.shape[1:]])
    return da.from_array(array, chunks=chunks).persist()


def assert_trees_close(actual, expected, rtol):
    a_leaves, a_def = at.tree.flatten(actual)
    e_leaves, e_def = at.tree.flatten(expected)
    assert a_def == e_def
    for a, e in zip(a_leaves, e_leaves):
        assert a.dtype == e.dtype and a.shape == e.shape
        scale = max(1.0, float(np.max(np.abs(e))))
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol * scale)


# -- equal to the single-process gradient -------------------------------------------

CHUNKINGS = {
    "one chunk": (103,),
    "even": (26, 26, 26, 25),
    "uneven, an empty chunk": (30, 0, 50, 1, 22),
}


@pytest.mark.parametrize("row_chunks", CHUNKINGS.values(), ids=CHUNKINGS.keys())
def test_mean_loss_equals_single_process(client, row_chunks):
    rng = np.random.default_rng(1)
    X, y = classification_data(rng, 103)
    params = mlp_params(rng, 6, 9)
    # split_every=2 sums the chunks in a tree of several levels.
    step = atd.value_and_grad(mean_bce, reduction="mean", client=client, split_every=2)
    value, grads = step(params, dask_rows(X, row_chunks), dask_rows(y, row_chunks))
    expected_value, expected_grads = at.value_and_grad(mean_bce)(params, X, y)
    assert type(value) is np.float64
    assert abs(value - expected_value) <= 1e-12 * abs(expected_value)
    assert_trees_close(grads, expected_grads, rtol=1e-12)
    assert list(grads) == list(params)


class Linear(NamedTuple):
    weight: np.ndarray
    bias: np.ndarray


def summed_squared_error(params, X, Y):
    """A sum over rows (and outputs); params is a list of a namedtuple and a scalar-shaped scale."""
    linear, scale = params
    return at.mse(scale * (X @ linear.weight) + linear.bias, Y, reduction="sum")


def test_sum_loss_equals_single_process(client):
    rng = np.random.default_rng(2)
    X, Y = rng.normal(size=(77, 4)), rng.normal(size=(77, 3))
    params = [Linear(rng.normal(size=(4, 3)), rng.normal(size=3)), np.array(1.5)]
    row_chunks = (40, 7, 30)
    step = atd.value_and_grad(summed_squared_error, reduction="sum", client=client)
    value, grads = step(params, dask_rows(X, row_chunks), dask_rows(Y, row_chunks))
    expected_value, expected_grads = at.value_and_grad(summed_squared_error)(params, X, Y)
    assert abs(value - expected_value) <= 1e-12 * abs(expected_value)
    assert_trees_close(grads, expected_grads, rtol=1e-12)
    assert isinstance(grads[0], Linear) and grads[1].shape == ()


def dyadic_squared_error(params, X, y):
    return at.sum((X @ params["w"] + params["b"] - y) ** 2)


def dyadic_mean_squared_error(params, X, y):
    return at.mean((X @ params["w"] + params["b"] - y) ** 2)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_float32_gradient_is_float32_and_exact_where_the_arithmetic_is(client, reduction):
    """Small integers and multiples of 1/4: every float32 operation is exact, so the results must be equal.

    The chunks have 4, 8 and 4 of 16 rows, so the weights of the mean (1/4, 1/2, 1/4) are exact too.
    """
    rng = np.random.default_rng(3)
    X = rng.integers(-3, 4, size=(16, 3)).astype(np.float32)
    y = rng.integers(-4, 5, size=16).astype(np.float32)
    params = {"w": (rng.integers(-4, 5, size=3) / 4).astype(np.float32), "b": np.float32(0.5) * np.ones(1, np.float32)}
    loss = dyadic_squared_error if reduction == "sum" else dyadic_mean_squared_error
    step = atd.value_and_grad(loss, reduction=reduction, client=client)
    value, grads = step(params, dask_rows(X, (4, 8, 4)), dask_rows(y, (4, 8, 4)))
    expected_value, expected_grads = at.value_and_grad(loss)(params, X, y)
    assert type(value) is np.float32 and value == expected_value
    for key in params:
        assert grads[key].dtype == np.float32
        assert np.max(np.abs(grads[key] - expected_grads[key])) <= 1e-12
        np.testing.assert_array_equal(grads[key], expected_grads[key])


def test_float32_mlp_matches_single_process_to_float32_precision(client):
    rng = np.random.default_rng(4)
    X, y = classification_data(rng, 90, dtype=np.float32)
    params = mlp_params(rng, 6, 9, dtype=np.float32)
    step = atd.value_and_grad(mean_bce, reduction="mean", client=client)
    value, grads = step(params, dask_rows(X, (50, 40)), dask_rows(y, (50, 40)))
    expected_value, expected_grads = at.value_and_grad(mean_bce)(params, X, y)
    assert type(value) is np.float32
    np.testing.assert_allclose(value, expected_value, rtol=1e-6)
    assert_trees_close(grads, expected_grads, rtol=1e-5)


# -- aux, and what is sent once per step --------------------------------------------


def loss_reporting_the_workers_param_copies(params, X, y):
    """aux: the keys of the objects in this worker's memory that are the parameter dict."""
    held = sorted(str(key) for key, value in get_worker().data.items() if isinstance(value, dict) and "w1" in value)
    return mean_bce(params, X, y), (int(X.shape[0]), held)


def test_params_are_scattered_once_per_step_and_auxes_come_in_row_order(client):
    rng = np.random.default_rng(5)
    X, y = classification_data(rng, 60)
    params = mlp_params(rng, 6, 5)
    row_chunks = (10, 20, 0, 5, 25)
    Xd, yd = dask_rows(X, row_chunks), dask_rows(y, row_chunks)
    step = atd.value_and_grad(loss_reporting_the_workers_param_copies, reduction="mean", client=client, has_aux=True)
    held_per_step = []
    for _ in range(2):
        (value, auxes), grads = step(params, Xd, yd)
        assert [rows for rows, _ in auxes] == [10, 20, 5, 25]  # one per non-empty chunk, in row order
        keys = {key for _, held in auxes for key in held}
        # Every chunk task found exactly one copy of the parameters on its worker, the same
        # one for all chunks: one scatter this step, shared by the chunks.
        assert all(len(held) == 1 for _, held in auxes) and len(keys) == 1
        held_per_step.append(keys)
        wait_until_no_params_are_held(client)  # released after the step
    assert held_per_step[0] != held_per_step[1]  # a new scatter each step


def wait_until_no_params_are_held(client, timeout=10.0):
    """Wait until no worker holds a parameter dict (Dask releases data asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        held = client.run(lambda dask_worker: [k for k, v in dask_worker.data.items() if isinstance(v, dict)])
        if not any(held.values()):
            return
        assert time.monotonic() < deadline, f"the workers still hold parameters after {timeout} s: {held}"
        time.sleep(0.05)


# -- errors ----------------------------------------------------------------------------


def loss_failing_on_row_40(params, X, y):
    if np.any(X[:, 0] == 40.0):
        raise ValueError("row 40 is not welcome here")
    return mean_bce(params, X, y)


def test_an_error_on_a_worker_names_the_chunk_and_shows_the_workers_traceback(client):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(60, 6))
    X[:, 0] = np.arange(60)
    y = np.zeros(60)
    params = mlp_params(rng, 6, 4)
    step = atd.value_and_grad(loss_failing_on_row_40, reduction="mean", client=client)
    with pytest.raises(atd.ChunkError) as caught:
        step(params, dask_rows(X, (25, 25, 10)), dask_rows(y, (25, 25, 10)))
    error = caught.value
    assert (error.chunk, error.rows, error.error_type) == (1, (25, 50), "ValueError")
    assert error.worker in client.scheduler_info()["workers"]
    message = str(error)
    assert message.startswith("autotape.dask.value_and_grad: chunk 1 (rows 25:50) failed on worker tcp://")
    assert "ValueError: row 40 is not welcome here" in message
    # The line that raised, in the loss (pickled by value, so its file name is cloudpickle's).
    line = inspect.getsourcelines(loss_failing_on_row_40)[1] + 2
    assert "The worker's traceback:" in message and f"line {line}, in loss_failing_on_row_40" in message


def test_a_loss_the_workers_cannot_import_gets_a_clear_error(client, tmp_path, monkeypatch):
    # A module only this process can import: the workers started before its directory
    # was put on sys.path.
    (tmp_path / "autotape_client_only_loss.py").write_text(
        "import autotape as at\n\ndef loss(params, X):\n    return at.sum(X @ params)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import autotape_client_only_loss

    try:
        step = atd.value_and_grad(autotape_client_only_loss.loss, reduction="sum", client=client)
        with pytest.raises(atd.ChunkError, match="could not unpickle the loss function") as caught:
            step(np.ones(2), dask_rows(np.ones((4, 2)), (2, 2)))
        assert "No module named 'autotape_client_only_loss'" in str(caught.value)
        assert "client.upload_file(path)" in str(caught.value) and "register_pickle_by_value" in str(caught.value)
    finally:
        del sys.modules["autotape_client_only_loss"]


def test_bad_arguments_are_refused_before_anything_runs():
    X, y = da.from_array(np.ones((10, 3)), chunks=(5, 3)), da.from_array(np.ones(10), chunks=5)
    step = atd.value_and_grad(mean_bce, reduction="mean")
    params = mlp_params(np.random.default_rng(0), 3, 2)
    cases = [
        ((params, np.ones((10, 3)), y), TypeError, r"data argument 0 is a numpy.ndarray; .*da.from_array\(array"),
        ((params,), TypeError, r"step\(params, \*data\) needs at least one Dask array"),
        ((params, X, da.from_array(np.ones(9), chunks=5)), ValueError, r"has 10 rows .* has 9"),
        ((params, X, da.from_array(np.ones(10), chunks=4)), ValueError, r"row chunks \(5, 5\) .* \(4, 4, 2\)"),
        ((params, da.from_array(np.ones((10, 3)), chunks=(5, 2)), y), ValueError, r"axis 1; .*rechunk\(\{1: -1\}\)"),
        ((params, X[X[:, 0] > 0], y), ValueError, r"unknown chunk sizes .*compute_chunk_sizes"),
        ((params, X[:0], y[:0]), ValueError, r"no rows"),
        (({**params, "w1": np.ones((3, 2), int)}, X, y), TypeError, r"params\['w1'\] has dtype int64"),
        ((params, da.from_array(np.array(1.0))), ValueError, r"0-dimensional"),
    ]
    for args, error, pattern in cases:
        with pytest.raises(error, match=r"^autotape\.dask\.value_and_grad: .*" + pattern):
            step(*args)
    with pytest.raises(ValueError, match="reduction must be 'sum' .* or 'mean' .*, got 'none'"):
        atd.value_and_grad(mean_bce, reduction="none")
    with pytest.raises(TypeError, match="reduction"):
        atd.value_and_grad(mean_bce)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="split_every must be an integer of at least 2, got 1"):
        atd.value_and_grad(mean_bce, reduction="sum", split_every=1)
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client .*got str"):
        atd.value_and_grad(mean_bce, reduction="sum", client="tcp://127.0.0.1:8786")
    lock = threading.Lock()
    with pytest.raises(TypeError, match="cannot be pickled to send it to the workers"):
        atd.value_and_grad(lambda p, X: lock.locked() + at.sum(X @ p), reduction="sum")


def test_import_autotape_does_not_import_dask_and_a_step_without_a_client_says_how_to_make_one():
    code = """
import sys
import autotape
assert "dask" not in sys.modules and "distributed" not in sys.modules, "import autotape imported dask"
import numpy as np, dask.array as da
import autotape.dask
step = autotape.dask.value_and_grad(lambda p, X: autotape.sum(X @ p), reduction="sum")
try:
    step(np.ones(2), da.from_array(np.ones((4, 2)), chunks=(2, 2)))
except ValueError as error:
    print(error)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("autotape.dask.value_and_grad: no Dask client; make one first:")
    assert "dask.distributed.Client()" in result.stdout


# -- a worker lost mid-step ------------------------------------------------------------


def stalls_once(marker: str):
    """A mean loss that, the first time it sees the chunk starting at row 30, writes its pid to ``marker`` and hangs."""

    def loss(params, X, y):
        if X[0, 0] == 30.0 and not os.path.exists(marker):
            with open(marker + ".tmp", "w") as file:
                file.write(str(os.getpid()))
            os.replace(marker + ".tmp", marker)
            time.sleep(60)  # killed long before this ends
        return mean_bce(params, X, y)

    return loss


def test_a_worker_killed_mid_step_is_replaced_and_the_result_is_unchanged(tmp_path):
    rng = np.random.default_rng(7)
    X, y = classification_data(rng, 120)
    X[:, 0] = np.arange(120)
    params = mlp_params(rng, 6, 8)
    row_chunks = (30, 30, 30, 30)
    marker = str(tmp_path / "stalled-pid")
    with local_cluster_of_2() as cluster, Client(cluster) as client:
        Xd, yd = dask_rows(X, row_chunks), dask_rows(y, row_chunks)
        step = atd.value_and_grad(stalls_once(marker), reduction="mean", client=client)
        with open(marker, "w") as file:  # an undisturbed step first: no stall
            file.write("")
        undisturbed = step(params, Xd, yd)
        os.remove(marker)

        pids = set(client.run(os.getpid).values())
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            running = pool.submit(step, params, Xd, yd)
            deadline = time.monotonic() + 60
            while not os.path.exists(marker):
                assert time.monotonic() < deadline and not running.done(), "the chunk task never started"
                time.sleep(0.02)
            with open(marker) as file:
                pid = int(file.read())
            assert pid in pids
            os.kill(pid, signal.SIGKILL)
            value, grads = running.result(timeout=120)
        assert pid not in set(client.run(os.getpid).values())  # that worker process is gone

    assert value == undisturbed[0]
    for key in params:
        np.testing.assert_array_equal(grads[key], undisturbed[1][key])
    expected_value, expected_grads = at.value_and_grad(mean_bce)(params, X, y)
    assert abs(value - expected_value) <= 1e-12 * abs(expected_value)
    assert_trees_close(grads, expected_grads, rtol=1e-12)


# -- examples/dask_training.py -------------------------------------------------------

EPOCH_LINE = re.compile(
    r"^epoch +(\d+)  loss (\S+)  train acc (\S+)  val loss (\S+)  val acc (\S+)$",
    re.MULTILINE,
)
TEST_ACCURACY_LINE = re.compile(r"^test accuracy: ([0-9.]+)$", re.MULTILINE)


def load_mlp_example():
    sys.path.insert(0, str(EXAMPLES))
    try:
        import mlp_classifier
    finally:
        sys.path.remove(str(EXAMPLES))
    return mlp_classifier


def run_example(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "dask_training.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_example_prints_the_single_process_runs_numbers_epoch_by_epoch(client, tmp_path):
    epochs = 30
    out = run_example("--scheduler", client.scheduler.address, "--epochs", str(epochs), "--chunks", "3", cwd=tmp_path)
    mlp = load_mlp_example()
    X, y, _, _ = mlp.load_default()
    splits = mlp.split_and_standardize(X, y, mlp.DEFAULT_SEED)
    params = mlp.init_params(X.shape[1], mlp.DEFAULT_HIDDEN, mlp.DEFAULT_SEED)
    params, history = mlp.train(params, splits, epochs=epochs, optimizer="adam", quiet=True)

    printed = np.array([[float(v) for v in line] for line in EPOCH_LINE.findall(out)])
    assert printed.shape == (epochs, 5), out
    np.testing.assert_array_equal(printed[:, 0], np.arange(1, epochs + 1))
    for column, key in enumerate(["loss", "train_acc", "val_loss", "val_acc"], start=1):
        np.testing.assert_allclose(printed[:, column], history[key], rtol=0, atol=1e-10, err_msg=key)
    test_accuracy = mlp.accuracy(params, splits.X_test, splits.y_test)
    assert TEST_ACCURACY_LINE.findall(out) == [f"{test_accuracy:.4f}"]
    assert "training rows in 3 Dask chunks of [114, 114, 113] rows" in out
    assert f"Dask: 2 workers at {client.scheduler.address}" in out


def test_example_starts_a_local_cluster_of_2_workers_by_default(tmp_path):
    out = run_example("--epochs", "2", cwd=tmp_path)
    assert "Dask: 2 workers at a LocalCluster" in out
    assert len(EPOCH_LINE.findall(out)) == 2 and len(TEST_ACCURACY_LINE.findall(out)) == 1

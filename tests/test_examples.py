"""Tests of the example scripts in examples/: they run, train, and reach their targets.

The scripts are not part of the package, so they are imported by path. The
end-to-end classifier test on real data reads the UCI Raisin dataset from
``../shared/data/raisin/Raisin_Dataset.csv`` relative to the repository root (or
from the path in the environment variable ``AUTOTAPE_RAISIN_CSV``); a missing file
is a test failure, not a skip.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"
SYNTHETIC_CSV = EXAMPLES / "data" / "synthetic_regression.csv"
RAISIN_CSV = Path(
    os.environ.get("AUTOTAPE_RAISIN_CSV") or REPO_ROOT.parent / "shared" / "data" / "raisin" / "Raisin_Dataset.csv"
)

EPOCH_LINE = re.compile(r"^Epoch (\d+): MSE = (\S+)$")
TEST_ACCURACY_LINE = re.compile(r"^test accuracy: ([0-9.]+)$", re.MULTILINE)


def load_example(name: str):
    """Import examples/<name>.py as a module (cached in sys.modules under a prefixed name)."""
    module_name = f"autotape_example_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def run_script(name: str, *args: str, cwd: Path, timeout: float = 180) -> str:
    """Run examples/<name>.py in a fresh interpreter from ``cwd`` and return its standard output.

    Fails the test, showing the script's output, if it exits non-zero. Tests run the
    scripts from an unrelated directory, so a script must find its default data
    relative to itself.
    """
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    if result.returncode != 0:
        pytest.fail(f"{name}.py {' '.join(args)} exited with {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="module")
def linear_regression():
    return load_example("linear_regression")


@pytest.fixture(scope="module")
def mlp():
    return load_example("mlp_classifier")


def require_raisin_csv() -> Path:
    """The Raisin CSV's path; fails the calling test (never skips it) if the file is missing."""
    if not RAISIN_CSV.is_file():
        pytest.fail(
            f"the Raisin dataset is missing: expected it at {RAISIN_CSV} (../shared/data/raisin/"
            "Raisin_Dataset.csv from the repository root). Put the UCI Raisin CSV there, or set "
            "AUTOTAPE_RAISIN_CSV to its path.",
            pytrace=False,
        )
    return RAISIN_CSV


# -- linear regression (course assignment, Tasks 1 and 5) ---------------------------


def hand_written_sgd(csv_path: Path, epochs: int = 10, lr: float = 1e-2, seed: int = 1) -> list[float]:
    """The same per-row SGD in plain NumPy, with the gradients derived by hand.

    For one row, L = r**2 with r = x w + b - y, so dL/dw = 2 r x^T and dL/db = 2 r.
    """
    table = np.genfromtxt(csv_path, delimiter=",", names=True)
    X = np.column_stack([table["x1"], table["x2"]])
    y = table["y"].reshape(-1, 1)
    np.random.seed(seed)
    w = np.random.normal(size=(2, 1))
    b = np.random.normal(size=(1, 1))
    mses = []
    for _ in range(epochs):
        for i in range(X.shape[0]):
            x = X[i : i + 1]
            r = x @ w + b - y[i : i + 1]
            w = w - lr * (2 * x.T @ r)
            b = b - lr * (2 * r)
        mses.append(float(np.mean((X @ w + b - y) ** 2)))
    return mses


@pytest.fixture(scope="module")
def hand_mses() -> list[float]:
    return hand_written_sgd(SYNTHETIC_CSV)


def test_synthetic_csv_is_committed_and_regenerates_identically(tmp_path):
    generator = load_example("make_synthetic_regression")
    assert SYNTHETIC_CSV.is_file(), (
        "examples/data/synthetic_regression.csv is missing; run make_synthetic_regression.py"
    )
    out = tmp_path / "regenerated.csv"
    generator.main(["--out", str(out)])
    assert out.read_bytes() == SYNTHETIC_CSV.read_bytes()
    header = SYNTHETIC_CSV.read_text().splitlines()[0]
    assert header == "x1,x2,y"
    data = np.loadtxt(SYNTHETIC_CSV, delimiter=",", skiprows=1)
    assert data.shape == (1000, 3)
    # Least squares recovers the documented weights and bias; residuals have std ~ 0.1.
    A = np.column_stack([data[:, :2], np.ones(len(data))])
    coef, *_ = np.linalg.lstsq(A, data[:, 2], rcond=None)
    np.testing.assert_allclose(coef, [*generator.TRUE_W, generator.TRUE_B], atol=0.05)
    assert abs(np.std(data[:, 2] - A @ coef) - generator.NOISE_STD) < 0.01


def test_linear_regression_matches_hand_derived_numpy(linear_regression, hand_mses):
    X, y = linear_regression.load_csv(SYNTHETIC_CSV)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    mses = linear_regression.train(X, y, epochs=10, lr=1e-2, seed=1)
    assert len(mses) == 10
    np.testing.assert_allclose(mses, hand_mses, rtol=1e-12, atol=0)


def test_linear_regression_script_prints_falling_mse(hand_mses, tmp_path):
    out = run_script("linear_regression", cwd=tmp_path)
    lines = out.splitlines()
    matches = [EPOCH_LINE.match(line) for line in lines]
    assert len(lines) == 10 and all(matches), out
    assert [int(m.group(1)) for m in matches] == list(range(1, 11))
    values = [float(m.group(2)) for m in matches]
    # Printed at full precision: the repr of each float parses back to the exact value.
    assert [m.group(2) for m in matches] == [repr(v) for v in values]
    np.testing.assert_allclose(values, hand_mses, rtol=1e-12, atol=0)
    assert all(later < earlier for earlier, later in zip(values, values[1:])), values
    assert values[-1] < 0.2 * values[0]
    assert values[-1] < 0.011  # close to the noise floor 0.1**2


def test_linear_regression_help(tmp_path):
    out = run_script("linear_regression", "--help", cwd=tmp_path)
    for flag in ("--csv", "--epochs", "--lr", "--help"):
        assert flag in out


# -- MLP classifier ---------------------------------------------------------------


def test_mlp_reaches_target_on_raisin(mlp, capsys):
    raisin_csv = require_raisin_csv()
    accuracy = mlp.main(["--csv", str(raisin_csv), "--label", "Class"])
    out = capsys.readouterr().out
    assert accuracy >= 0.86, out
    assert "Besni=0 / Kecimen=1" in out
    assert "train/val/test 540/180/180" in out
    assert re.search(
        r"^epoch +\d+ +loss [0-9.]+ +val loss [0-9.]+ +train acc [0-9.]+ +val acc [0-9.]+$", out, re.MULTILINE
    )
    assert TEST_ACCURACY_LINE.findall(out) == [f"{accuracy:.4f}"]


def test_mlp_default_breast_cancer_reaches_target(mlp, capsys, tmp_path):
    accuracy = mlp.main([])
    out = capsys.readouterr().out
    assert accuracy >= 0.95, out
    assert "breast cancer" in out
    assert TEST_ACCURACY_LINE.findall(out) == [f"{accuracy:.4f}"]
    # The command line, with no arguments, does the same run.
    cli_out = run_script("mlp_classifier", cwd=tmp_path)
    assert TEST_ACCURACY_LINE.findall(cli_out) == [f"{accuracy:.4f}"], cli_out


def test_mlp_default_training_lowers_the_loss(mlp):
    X, y, _, _ = mlp.load_default()
    splits = mlp.split_and_standardize(X, y, mlp.DEFAULT_SEED)
    params = mlp.init_params(X.shape[1], mlp.DEFAULT_HIDDEN, mlp.DEFAULT_SEED)
    assert set(params) == {"w1", "b1", "w2", "b2"}
    params, history = mlp.train(params, splits, epochs=mlp.DEFAULT_EPOCHS, quiet=True)
    assert set(params) == {"w1", "b1", "w2", "b2"}
    assert history["epoch"] == list(range(1, mlp.DEFAULT_EPOCHS + 1))
    assert history["loss"][-1] < 0.2 * history["loss"][0]
    assert history["val_loss"][-1] < 0.2 * history["val_loss"][0]
    assert history["val_acc"][-1] >= 0.95


def test_mlp_help_documents_every_flag(tmp_path):
    out = run_script("mlp_classifier", "--help", cwd=tmp_path)
    for flag in (
        "--csv",
        "--label",
        "--hidden",
        "--epochs",
        "--lr",
        "--optimizer",
        "--seed",
        "--plot",
        "--quiet",
        "--help",
    ):
        assert flag in out, flag
    assert "breast-cancer" in out


def test_mlp_plot_writes_png(mlp, tmp_path, capsys):
    path = tmp_path / "curves.png"
    mlp.main(["--epochs", "5", "--hidden", "8", "--plot", str(path), "--quiet"])
    assert path.stat().st_size > 1000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().out.startswith("test accuracy: ")


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_mlp_each_optimizer_lowers_the_loss(mlp, optimizer):
    X, y, _, _ = mlp.load_default()
    splits = mlp.split_and_standardize(X, y, seed=1)
    params = mlp.init_params(X.shape[1], 16, seed=1)
    _, history = mlp.train(params, splits, epochs=30, optimizer=optimizer, quiet=True)
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_acc"][-1] > 0.9


def test_split_standardizes_with_training_statistics_only(mlp):
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 3.0, size=(200, 4))
    y = (X[:, 0] > 5).astype(np.int64)
    s = mlp.split_and_standardize(X, y, seed=3)
    assert (len(s.y_train), len(s.y_val), len(s.y_test)) == (120, 40, 40)
    np.testing.assert_allclose(s.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(s.X_train.std(axis=0), 1, rtol=1e-12)
    # One affine map, fitted on the training rows, scales all three splits: undoing it
    # gives back exactly the rows of X, while the validation and test splits are
    # not centred on their own.
    restored = np.concatenate([s.X_train, s.X_val, s.X_test]) * s.std + s.mean
    np.testing.assert_allclose(restored[np.lexsort(restored.T)], X[np.lexsort(X.T)], rtol=1e-12)
    assert np.abs(s.X_val.mean(axis=0)).max() > 1e-3 and np.abs(s.X_test.mean(axis=0)).max() > 1e-3
    assert abs(s.y_train.mean() - y.mean()) < 0.02  # stratified
    again = mlp.split_and_standardize(X, y, seed=3)
    np.testing.assert_array_equal(again.X_test, s.X_test)


def test_load_csv_maps_two_labels_and_rejects_bad_files(mlp, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("a,b,kind\n1,2,dog\n3,4,cat\n5,6,dog\n")
    X, y, names, classes = mlp.load_csv(good, "kind")
    np.testing.assert_array_equal(X, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(y, [1, 0, 1])
    assert names == ["a", "b"] and classes == ("cat", "dog")

    three = tmp_path / "three.csv"
    three.write_text("a,kind\n1,x\n2,y\n3,z\n")
    with pytest.raises(ValueError, match="exactly two distinct values"):
        mlp.load_csv(three, "kind")
    with pytest.raises(ValueError, match="no label column"):
        mlp.load_csv(good, "Class")
    text = tmp_path / "text.csv"
    text.write_text("a,b,kind\n1,q,dog\n3,r,cat\n")
    with pytest.raises(ValueError, match="must be numeric"):
        mlp.load_csv(text, "kind")


def test_mlp_cli_rejects_csv_without_label(mlp, tmp_path):
    with pytest.raises(SystemExit) as raised:
        mlp.main(["--csv", str(tmp_path / "x.csv")])
    assert raised.value.code == 2

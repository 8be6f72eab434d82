"""Tests of the example scripts in examples/: they run, train, and reach their targets.

The scripts are not part of the package, so they are imported by path. The
end-to-end classifier test on real data reads the UCI Raisin dataset that ships in
``examples/data/raisin.csv``; a missing or altered file is a test failure, not a skip.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"
SYNTHETIC_CSV = EXAMPLES / "data" / "synthetic_regression.csv"
RAISIN_CSV = EXAMPLES / "data" / "raisin.csv"
# The digest examples/data/README.md gives for the file as published by UCI.
RAISIN_SHA256 = "29cbbfa0b0caf1daf698dd2e553a54bfaab5919d05f67a54806fe61385cad1ee"

EPOCH_LINE = re.compile(r"^Epoch (\d+): MSE = (\S+)$")
DATASET_MSE_LINE = re.compile(r"^Epoch (\d+): dataset MSE after the epoch = (\S+)$")
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


def run_example(
    name: str, *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180
) -> subprocess.CompletedProcess:
    """Run examples/<name>.py in a fresh interpreter from ``cwd``; returns the finished process.

    ``env`` holds variables to set on top of the test's environment. Fails the test,
    showing the script's output, if it exits non-zero. Tests run the scripts from an
    unrelated directory, so a script must find its default data relative to itself.
    """
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "MPLBACKEND": "Agg", **(env or {})},
    )
    if result.returncode != 0:
        pytest.fail(f"{name}.py {' '.join(args)} exited with {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def run_script(name: str, *args: str, cwd: Path, timeout: float = 180) -> str:
    """Run examples/<name>.py as :func:`run_example` does and return its standard output."""
    return run_example(name, *args, cwd=cwd, timeout=timeout).stdout


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
            f"the Raisin dataset is missing: expected it at {RAISIN_CSV} (examples/data/raisin.csv, "
            "committed with the project). Restore it with `git checkout -- examples/data/raisin.csv`.",
            pytrace=False,
        )
    return RAISIN_CSV


def test_shipped_raisin_csv_is_the_published_file():
    data = require_raisin_csv().read_bytes()
    assert hashlib.sha256(data).hexdigest() == RAISIN_SHA256, "examples/data/raisin.csv differs from the UCI file"
    readme = (EXAMPLES / "data" / "README.md").read_text(encoding="utf-8")
    assert RAISIN_SHA256 in readme
    assert "CC BY 4.0" in readme and "Çinar" in readme and "Koklu" in readme and "Taşdemir" in readme


# -- linear regression (course assignment, Tasks 1 and 5) ---------------------------


def read_synthetic(csv_path: Path = SYNTHETIC_CSV) -> tuple[np.ndarray, np.ndarray]:
    """``X`` ``(n, 2)`` and ``y`` ``(n, 1)`` of the synthetic CSV, read without the example's loader."""
    table = np.genfromtxt(csv_path, delimiter=",", names=True)
    return np.column_stack([table["x1"], table["x2"]]), table["y"].reshape(-1, 1)


def seed_loop_numpy(csv_path: Path, epochs: int = 10, lr: float = 1e-2, seed: int = 1):
    """The assignment's loop in plain NumPy, with the gradients derived by hand.

    For one row, L = r**2 with r = x w + b - y, so dL/dw = 2 r x^T and dL/db = 2 r.
    Each row's error is added to ``sum_err`` before that row's update, and the epoch
    reports ``sum_err / n``. Returns those per-epoch figures and, beside them, the
    whole dataset's MSE under each epoch's final parameters.
    """
    X, y = read_synthetic(csv_path)
    n = X.shape[0]
    np.random.seed(seed)
    w = np.random.normal(size=(2, 1))
    b = np.random.normal(size=(1, 1))
    running, at_end = [], []
    for _ in range(epochs):
        sum_err = 0.0
        for i in range(n):
            x = X[i : i + 1]
            r = x @ w + b - y[i : i + 1]
            sum_err += float(r[0, 0] ** 2)
            w = w - lr * (2 * x.T @ r)
            b = b - lr * (2 * r)
        running.append(sum_err / n)
        at_end.append(float(np.mean((X @ w + b - y) ** 2)))
    return running, at_end


def seed_loop_torch(csv_path: Path, epochs: int = 10, lr: float = 1e-2, seed: int = 1) -> list[float]:
    """The assignment's PyTorch loop, in float64: autograd's ``backward`` and in-place updates under no_grad."""
    import torch

    X, y = (torch.from_numpy(a) for a in read_synthetic(csv_path))
    n = X.shape[0]
    np.random.seed(seed)
    w = torch.tensor(np.random.normal(size=(2, 1)), dtype=torch.float64, requires_grad=True)
    b = torch.tensor(np.random.normal(size=(1, 1)), dtype=torch.float64, requires_grad=True)
    mses = []
    for _ in range(epochs):
        sum_err = 0.0
        for i in range(n):
            prediction = X[i : i + 1] @ w + b
            loss = torch.nn.functional.mse_loss(prediction, y[i : i + 1])
            sum_err += loss.item()
            loss.backward()
            with torch.no_grad():
                w -= lr * w.grad
                b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
        mses.append(sum_err / n)
    return mses


@pytest.fixture(scope="module")
def seed_numbers() -> tuple[list[float], list[float]]:
    return seed_loop_numpy(SYNTHETIC_CSV)


@pytest.fixture(scope="module")
def hand_mses(seed_numbers) -> list[float]:
    return seed_numbers[0]


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


def test_linear_regression_matches_the_seed_loop_in_numpy(linear_regression, hand_mses):
    X, y = linear_regression.load_csv(SYNTHETIC_CSV)
    assert X.shape == (1000, 2) and y.shape == (1000, 1)
    mses = linear_regression.train(X, y, epochs=10, lr=1e-2, seed=1)
    assert len(mses) == 10
    np.testing.assert_allclose(mses, hand_mses, rtol=1e-12, atol=0)


def test_seed_figure_is_not_the_end_of_epoch_mse(seed_numbers):
    # The two figures differ most in epoch 1, whose first rows are visited with the random
    # start: the running figure is about twice the MSE under the epoch's final parameters.
    running, at_end = seed_numbers
    assert running[0] > 1.5 * at_end[0]
    assert all(r > e for r, e in zip(running, at_end))


def test_linear_regression_matches_the_seed_pytorch_loop(linear_regression):
    if importlib.util.find_spec("torch") is None:
        pytest.skip("PyTorch is not installed (it is not a dependency): the seed's PyTorch loop cannot run here")
    torch_mses = seed_loop_torch(SYNTHETIC_CSV)
    X, y = linear_regression.load_csv(SYNTHETIC_CSV)
    np.testing.assert_allclose(linear_regression.train(X, y), torch_mses, rtol=1e-12, atol=0)


def test_linear_regression_script_prints_the_seed_figures(hand_mses, tmp_path):
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
    assert values[-1] < 0.1 * values[0]
    assert values[-1] < 0.011  # close to the noise floor 0.1**2
    # The tutorial quotes some of these lines.
    tutorial = (REPO_ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    quoted = [line for line in tutorial.splitlines() if EPOCH_LINE.match(line)]
    assert len(quoted) >= 2 and set(quoted) <= set(lines), quoted


def test_linear_regression_dataset_mse_flag_adds_its_own_line(seed_numbers, tmp_path):
    running, at_end = seed_numbers
    out = run_script("linear_regression", "--epochs", "3", "--dataset-mse", cwd=tmp_path)
    lines = out.splitlines()
    assert len(lines) == 6, out
    seed_lines = [EPOCH_LINE.match(line) for line in lines[0::2]]
    end_lines = [DATASET_MSE_LINE.match(line) for line in lines[1::2]]
    assert all(seed_lines) and all(end_lines), out
    assert [int(m.group(1)) for m in seed_lines] == [int(m.group(1)) for m in end_lines] == [1, 2, 3]
    np.testing.assert_allclose([float(m.group(2)) for m in seed_lines], running[:3], rtol=1e-12, atol=0)
    np.testing.assert_allclose([float(m.group(2)) for m in end_lines], at_end[:3], rtol=1e-12, atol=0)


def test_linear_regression_help(tmp_path):
    out = run_script("linear_regression", "--help", cwd=tmp_path)
    for flag in ("--csv", "--epochs", "--lr", "--seed", "--dataset-mse", "--help"):
        assert flag in out


# -- MLP classifier ---------------------------------------------------------------


def readme_main_job_arguments() -> list[str]:
    """The arguments the README's first command gives examples/mlp_classifier.py."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    command = re.findall(r"```bash\n(.*?)\n```", readme, flags=re.S)[0]
    words = shlex.split(command.split("&&")[-1])
    assert words[:2] == ["python", "examples/mlp_classifier.py"], command
    return words[2:]


def test_mlp_reaches_target_on_raisin(mlp, capsys, monkeypatch):
    require_raisin_csv()
    args = readme_main_job_arguments()
    assert args == ["--csv", "examples/data/raisin.csv", "--label", "Class"]
    monkeypatch.chdir(REPO_ROOT)  # the README's command runs from the clone's root
    accuracy = mlp.main(args)
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


def test_mlp_progress_bar_goes_to_stderr_unless_quiet(tmp_path):
    loud = run_example("mlp_classifier", "--epochs", "30", "--hidden", "8", cwd=tmp_path)
    # tqdm redraws the bar in place with carriage returns; its last state shows every epoch done.
    final_bar = loud.stderr.replace("\r", "\n").strip().splitlines()[-1]
    bar = r"training: 100%\|[^|]*\| 30/30 \[[^\]]*, loss [0-9.]+, val acc [0-9.]+\]"
    assert re.fullmatch(bar, final_bar), loud.stderr
    # Standard output has the log lines and none of the bar, so it reads well in a file or a pipe.
    assert "\r" not in loud.stdout and "training" not in loud.stdout
    epochs = re.findall(r"^epoch +(\d+) +loss ", loud.stdout, re.MULTILINE)
    assert epochs == ["1", "10", "20", "30"], loud.stdout

    quiet = run_example("mlp_classifier", "--epochs", "30", "--hidden", "8", "--quiet", cwd=tmp_path)
    assert quiet.stderr == ""
    assert quiet.stdout == f"test accuracy: {TEST_ACCURACY_LINE.findall(loud.stdout)[0]}\n"


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


def test_mlp_cli_reports_a_missing_file_or_label_as_a_usage_error(mlp, tmp_path, capsys):
    with pytest.raises(SystemExit) as raised:
        mlp.main(["--csv", str(tmp_path / "missing.csv"), "--label", "Class"])
    assert raised.value.code == 2
    assert "missing.csv" in capsys.readouterr().err
    good = tmp_path / "good.csv"
    good.write_text("a,kind\n1,x\n2,y\n")
    with pytest.raises(SystemExit) as raised:
        mlp.main(["--csv", str(good), "--label", "Class"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "no label column 'Class'" in err and "Traceback" not in err


def usage_error(mlp, capsys, argv: list[str]) -> str:
    """Run the classifier's command line, expecting a usage error; returns what it printed on standard error."""
    with pytest.raises(SystemExit) as raised:
        mlp.main(argv)
    out, err = capsys.readouterr()
    assert raised.value.code == 2, (out, err)
    assert out == "", out  # nothing trained, nothing printed on standard output
    assert "Traceback" not in err and "usage: " in err, err
    return err


@pytest.mark.parametrize("name", ["curves.txt", "curves", "curves.csv"])
def test_mlp_plot_without_an_image_suffix_is_a_usage_error(mlp, tmp_path, capsys, name):
    err = usage_error(mlp, capsys, ["--epochs", "1", "--plot", str(tmp_path / name)])
    assert f"--plot {tmp_path / name}: the file name must end in an image suffix" in err
    assert ".png" in err and ".svg" in err
    assert not (tmp_path / name).exists()


def test_mlp_plot_into_a_missing_directory_is_a_usage_error(mlp, tmp_path, capsys):
    target = tmp_path / "no" / "such" / "dir" / "curves.png"
    err = usage_error(mlp, capsys, ["--epochs", "1", "--plot", str(target)])
    assert f"the directory {target.parent} does not exist" in err
    err = usage_error(mlp, capsys, ["--epochs", "1", "--plot", str(tmp_path)])
    assert "that is a directory" in err


def test_mlp_plot_prints_the_path_it_wrote(mlp, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    mlp.main(["--epochs", "3", "--hidden", "4", "--plot", "out/curves.svg"])
    written = tmp_path / "out" / "curves.svg"
    assert written.read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert f"saved curves to {written}\n" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400"])
def test_mlp_refuses_infinite_features_like_missing_ones(mlp, tmp_path, capsys, value):
    rows = "".join(f"{i},{i % 7},{'ab'[i % 2]}\n" for i in range(40))
    bad = tmp_path / "bad.csv"
    bad.write_text(f"f1,f2,kind\n{rows}3,{value},a\n")
    with pytest.raises(ValueError, match=r"feature columns hold infinite values.*\['f2'\]"):
        mlp.load_csv(bad, "kind")
    err = usage_error(mlp, capsys, ["--csv", str(bad), "--label", "kind"])
    assert "bad.csv" in err and "infinite values" in err
    missing = tmp_path / "missing.csv"
    missing.write_text(f"f1,f2,kind\n{rows}3,,a\n")
    err = usage_error(mlp, capsys, ["--csv", str(missing), "--label", "kind"])
    assert "missing values (empty or NaN): ['f2']" in err


@pytest.mark.parametrize("lr", ["0", "-0.1", "nan", "inf", "-inf"])
def test_mlp_lr_must_be_finite_and_positive(mlp, capsys, lr):
    err = usage_error(mlp, capsys, [f"--lr={lr}"])
    assert f"--lr must be a finite number greater than 0, got {float(lr)!r}" in err


def test_mlp_seed_out_of_range_is_a_usage_error(mlp, capsys):
    assert "--seed must be in [0, 2**32 - 1], got -1" in usage_error(mlp, capsys, ["--seed", "-1"])


def test_mlp_csv_too_small_to_split_names_the_minimum(mlp, tmp_path, capsys):
    assert mlp.MIN_ROWS_PER_CLASS == 5
    small = tmp_path / "small.csv"
    small.write_text("f,kind\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(9)))  # 4 of b, 5 of a
    err = usage_error(mlp, capsys, ["--csv", str(small), "--label", "kind"])
    assert "small.csv: too few rows to split" in err
    assert "needs at least 5 rows" in err and "found 5 of class 0, 4 of class 1" in err
    # Five of each is enough: every split then holds both classes.
    enough = tmp_path / "enough.csv"
    enough.write_text("f,kind\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(10)))
    accuracy = mlp.main(["--csv", str(enough), "--label", "kind", "--epochs", "2", "--hidden", "2", "--quiet"])
    assert 0.0 <= accuracy <= 1.0
    X, y, _, _ = mlp.load_csv(enough, "kind")
    s = mlp.split_and_standardize(X, y, seed=0)
    assert [sorted(set(part)) for part in (s.y_train, s.y_val, s.y_test)] == [[0, 1]] * 3


def test_mlp_usage_errors_print_no_traceback_from_the_command_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("f,kind\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(20)) + "inf,a\n")
    for args in (["--plot", "curves.txt"], ["--lr", "nan"], ["--csv", str(bad), "--label", "kind"]):
        result = subprocess.run(
            [sys.executable, str(EXAMPLES / "mlp_classifier.py"), *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2, (args, result.stderr)
        assert result.stdout == "" and "Traceback" not in result.stderr, (args, result.stderr)
        assert "mlp_classifier.py: error: " in result.stderr


# -- tape picture -------------------------------------------------------------------

DOT_NODE = re.compile(r'^ *n(\d+) \[label="((?:[^"\\]|\\.)*)", shape=(box|ellipse)\];$')
DOT_EDGE = re.compile(r'^ *n(\d+) -> n(\d+) \[label="([0-9x]+|scalar)"\];$')
DOT_DEFAULTS = re.compile(r"^ *(\w+=\w+|(graph|node|edge) \[.*\]);$")  # rankdir=LR; node [...];
TAPE_PICTURE_PNG = REPO_ROOT / "docs" / "img" / "tape-mlp.png"


@pytest.fixture(scope="module")
def tape_picture():
    return load_example("tape_picture")


def parse_dot(text: str) -> tuple[dict[int, tuple[str, str]], list[tuple[int, int, str]]]:
    """The nodes (id -> (label, shape)) and edges ((from, to, label)) of a DOT digraph as Tape.to_dot writes it.

    Fails on any line that is not a node, an edge or a default-attribute statement,
    on an edge whose ends are not declared nodes, and on a node declared twice.
    """
    lines = text.strip().splitlines()
    assert lines[0] == "digraph tape {" and lines[-1] == "}", text
    nodes: dict[int, tuple[str, str]] = {}
    edges = []
    for line in lines[1:-1]:
        if node := DOT_NODE.match(line):
            assert int(node[1]) not in nodes, line
            nodes[int(node[1])] = (node[2], node[3])
        elif edge := DOT_EDGE.match(line):
            edges.append((int(edge[1]), int(edge[2]), edge[3]))
        else:
            assert DOT_DEFAULTS.match(line), f"not a node, an edge or a default: {line!r}"
    assert all(a in nodes and b in nodes for a, b, _ in edges), edges
    return nodes, edges


def test_tape_picture_records_the_mlp_loss(tape_picture):
    tape = tape_picture.record_tape()
    assert [entry.primitive.name for entry in tape] == [
        "matmul",
        "add",
        "tanh",
        "matmul",
        "add",
        "reshape",
        "bce_with_logits",
        "mean",
    ]
    assert tape.input_labels == ["args[0]['b1']", "args[0]['b2']", "args[0]['w1']", "args[0]['w2']"]
    assert tape[-1].output_shape == ()


def test_tape_picture_writes_the_dot_text_without_graphviz(tape_picture, tmp_path):
    # An empty PATH: no Graphviz 'dot' program, as on a machine without Graphviz.
    no_programs = tmp_path / "no-programs"
    no_programs.mkdir()
    result = run_example("tape_picture", "--out", "mlp.png", cwd=tmp_path, env={"PATH": str(no_programs)})
    assert result.stdout.startswith("Tape(level=0, inputs=4, entries=8)\n"), result.stdout
    assert "wrote mlp.dot" in result.stdout
    assert not (tmp_path / "mlp.png").exists()
    assert "not rendering mlp.png" in result.stderr and "install" in result.stderr, result.stderr
    assert "dot -Tpng mlp.dot -o mlp.png" in result.stderr

    text = (tmp_path / "mlp.dot").read_text(encoding="utf-8")
    tape = tape_picture.record_tape()
    assert text == tape.to_dot() + "\n"
    nodes, edges = parse_dot(text)
    # One node per input and per entry: 4 parameters and 8 entries.
    assert len(nodes) == len(tape.input_nodes) + len(tape) == 12
    assert set(nodes) == set(tape.input_nodes) | {entry.output for entry in tape}
    assert [nodes[node] for node in tape.input_nodes] == [(label, "ellipse") for label in tape.input_labels]
    assert [nodes[entry.output] for entry in tape] == [(entry.primitive.name, "box") for entry in tape]
    # One edge per traced operand, labelled with its shape; the data X and y are constants, not drawn.
    named = sorted((nodes[a][0], nodes[b][0], shape) for a, b, shape in edges)
    assert named == [
        ("add", "reshape", "32x1"),
        ("add", "tanh", "32x8"),
        ("args[0]['b1']", "add", "8"),
        ("args[0]['b2']", "add", "1"),
        ("args[0]['w1']", "matmul", "3x8"),
        ("args[0]['w2']", "matmul", "8x1"),
        ("bce_with_logits", "mean", "32"),
        ("matmul", "add", "32x1"),
        ("matmul", "add", "32x8"),
        ("reshape", "bce_with_logits", "32"),
        ("tanh", "matmul", "32x8"),
    ]


def test_tape_picture_names_the_missing_graphviz_package(tape_picture, tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz raises ImportError
    tape_picture.main(["--out", str(tmp_path / "t.png"), "--dot", str(tmp_path / "elsewhere.dot")])
    err = capsys.readouterr().err
    assert "pip install graphviz" in err, err
    assert (tmp_path / "elsewhere.dot").read_text(encoding="utf-8").startswith("digraph tape {")
    assert not (tmp_path / "t.png").exists() and not (tmp_path / "t.dot").exists()


@pytest.mark.skipif(importlib.util.find_spec("graphviz") is None, reason="needs the graphviz Python package")
@pytest.mark.skipif(shutil.which("dot") is None, reason="needs the Graphviz 'dot' program on PATH")
def test_tape_picture_renders_png(tape_picture, tmp_path, capsys):
    out = tmp_path / "mlp.png"
    tape_picture.main(["--out", str(out)])
    assert capsys.readouterr().err == ""
    png = out.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 3 * height > 300, (width, height)  # twelve nodes laid out left to right
    assert (tmp_path / "mlp.dot").is_file()


def test_committed_tape_picture_is_a_small_png():
    png = TAPE_PICTURE_PNG.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert 5_000 < len(png) < 60_000
    page = (REPO_ROOT / "docs" / "how-the-tape-works.md").read_text(encoding="utf-8")
    assert "img/tape-mlp.png" in page

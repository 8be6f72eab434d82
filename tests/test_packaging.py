"""Packaging: ``python -m build`` makes an sdist and a wheel, and the wheel installs and works in a fresh virtualenv.

The tests here carry the ``packaging`` mark. They need the network: ``build`` installs
setuptools into its isolated build environment, and pip installs autotape's
dependencies from PyPI into the fresh virtualenv (a plain ``python -m venv``, without
the system's or this environment's packages). Together they take about half a minute;
``python -m pytest -m "not packaging"`` leaves them out. The sizes of the sdist and the
wheel are printed (``-s``) and recorded as JUnit properties ``sdist_bytes`` and
``wheel_bytes``.
"""

from __future__ import annotations

import email.parser
import os
import subprocess
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

import autotape as at

pytestmark = pytest.mark.packaging

ROOT = Path(__file__).resolve().parents[1]
VERSION = at.__version__

# Run in the fresh virtualenv, from an empty directory, so `import autotape` finds the
# installed wheel and not this checkout.
SMOKE = """
import importlib.metadata, importlib.util, pathlib, sys
import numpy as np
import autotape as at

package = pathlib.Path(at.__file__).parent
assert package.is_relative_to(sys.prefix), f"autotape imported from {package}, not from the virtualenv"
assert (package / "py.typed").is_file()
assert importlib.util.find_spec("pytest") is None, "the virtualenv sees packages it did not install"
assert importlib.metadata.version("autotape") == at.__version__

cubes = at.grad(lambda x: at.sum(x ** 3))(np.array([1.0, 2.0, -3.0]))
assert cubes.tolist() == [3.0, 12.0, 27.0], cubes
t = np.tanh(0.5)
second = at.grad(at.grad(at.tanh))(0.5)
assert abs(second - (-2 * t * (1 - t**2))) < 1e-12, second
print(at.__version__)
"""


def run(*command: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run a command without this environment's Python settings; fails the test, with its output, on an error."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    result = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, command))} exited with {result.returncode} (it needs network access to PyPI)\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}",
            pytrace=False,
        )
    return result


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """The sdist and the wheel that ``python -m build`` makes of this checkout (the wheel is built from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT, cwd=out)
    sdists, wheels = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    assert [p.name for p in sdists] == [f"autotape-{VERSION}.tar.gz"]
    assert [p.name for p in wheels] == [f"autotape-{VERSION}-py3-none-any.whl"]
    return {"sdist": sdists[0], "wheel": wheels[0]}


def report_size(kind: str, path: Path, record_property) -> int:
    size = path.stat().st_size
    record_property(f"{kind}_bytes", size)
    print(f"{kind} {path.name}: {size} bytes ({size / 1024:.1f} KiB)")
    return size


def test_wheel_holds_every_module_and_py_typed_and_nothing_else(dists, record_property):
    with zipfile.ZipFile(dists["wheel"]) as wheel:
        names = wheel.namelist()
        metadata = email.parser.Parser().parsestr(wheel.read(f"autotape-{VERSION}.dist-info/METADATA").decode())
    modules = sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "autotape").rglob("*.py"))
    assert "autotape/__init__.py" in modules and "autotape/ops/__init__.py" in modules
    assert sorted(name for name in names if name.endswith(".py")) == modules
    assert "autotape/py.typed" in names
    dist_info = f"autotape-{VERSION}.dist-info/"
    assert f"{dist_info}licenses/LICENSE" in names
    # Only the package and its metadata: no tests/, examples/, benchmarks/ or docs/.
    assert [name for name in names if not name.startswith(("autotape/", dist_info))] == []

    assert (metadata["Name"], metadata["Version"], metadata["Requires-Python"]) == ("autotape", VERSION, ">=3.10")
    assert metadata["License-Expression"] == "MIT"
    requirements = metadata.get_all("Requires-Dist")
    # What a plain `pip install autotape` brings; everything else belongs to an extra.
    assert sorted(r for r in requirements if "extra ==" not in r) == [
        "beartype>=0.18",
        "jaxtyping>=0.2.36",
        "numpy>=2.0",
        "safetensors>=0.4",
    ], requirements

    size = report_size("wheel", dists["wheel"], record_property)
    # The wheel is the package's modules compressed, plus a little metadata: its size follows
    # the op library's (hundreds of ops with their docstrings), never a stray data file.
    compressed = sum(len(zlib.compress((ROOT / module).read_bytes())) for module in modules)
    assert 20_000 < size < compressed + 40_000, (size, compressed)


def test_sdist_holds_the_sources_docs_examples_and_metadata(dists, record_property):
    with tarfile.open(dists["sdist"]) as sdist:
        names = set(sdist.getnames())
    top = f"autotape-{VERSION}/"
    for name in (
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
        "pyproject.toml",
        "PKG-INFO",
        "autotape/__init__.py",
        "autotape/py.typed",
        "examples/mlp_classifier.py",
        "examples/data/synthetic_regression.csv",
        "examples/data/raisin.csv",
        "examples/data/README.md",
        "docs/index.md",
        "mkdocs.yml",
        "benchmarks/run.py",
        "tests/data/params-0.1.npz",
    ):
        assert top + name in names, name
    assert all(name == top.rstrip("/") or name.startswith(top) for name in names)
    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".dot"))]
    report_size("sdist", dists["sdist"], record_property)


def test_wheel_installs_and_differentiates_in_a_fresh_virtualenv(dists, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    run(python, "-m", "pip", "install", "--quiet", dists["wheel"], cwd=tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    smoke = run(python, "-c", SMOKE, cwd=empty, timeout=120)
    assert smoke.stdout.strip() == VERSION

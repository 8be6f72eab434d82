"""The public namespace: ``dir()`` of autotape's public modules lists their API only, and
``import autotape`` leaves out what it loads lazily (``autotape.testing``, jaxtyping).

The import checks run in fresh interpreters: this test process has imported
jaxtyping (its pytest plugin) and autotape.testing already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import pytest

import autotape as at
import autotape.testing
import autotape.testing.strategies

PUBLIC_MODULES = {
    "autotape": at,
    "autotape.optim": at.optim,
    "autotape.tree": at.tree,
    "autotape.testing": autotape.testing,
    "autotape.testing.strategies": autotape.testing.strategies,
}


def fresh_python(code: str) -> str:
    """Run ``code`` in a new interpreter without the opt-in type checking; its standard output."""
    env = {k: v for k, v in os.environ.items() if k != "AUTOTAPE_TYPECHECK"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_dir_lists_the_public_api_only(name):
    module = PUBLIC_MODULES[name]
    listed = dir(module)
    public = [n for n in listed if not n.startswith("__")]
    submodules = ["strategies"] if name == "autotape.testing" else []
    assert sorted(public) == sorted([*module.__all__, *submodules])
    # Everything listed is there, and every public name resolves.
    for attribute in listed:
        getattr(module, attribute)
    assert "__doc__" in listed and "__name__" in listed


def test_the_reported_leaks_are_gone_from_dir():
    assert "annotations" not in dir(at)
    assert not {"np", "math", "numbers", "annotations", "Any", "tree"} & set(dir(at.optim))
    assert not {"np", "annotations", "Any", "Callable"} & set(dir(at.tree))
    assert not {"np", "math", "secrets", "ops", "transforms", "primal"} & set(dir(at.testing))
    # Submodules that are not public API (imported by autotape itself) are not listed either.
    assert not {"ops", "losses", "tape", "tracer", "transforms", "serialization"} & set(dir(at))
    # Still importable, for code that used them.
    assert at.optim.np is at.tree.np


def test_optimizer_states_are_public():
    assert {"AdamState", "MomentumState"} <= set(at.optim.__all__)
    state = at.optim.adam(0.1).init({"w": [1.0]})
    assert type(state) is at.optim.AdamState


def test_star_import_gives_the_public_names():
    namespace: dict = {}
    exec("from autotape import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == sorted(at.__all__)
    assert isinstance(namespace["testing"], types.ModuleType)


def test_unknown_attribute_is_an_attribute_error_naming_it():
    with pytest.raises(AttributeError, match="module 'autotape' has no attribute 'no_such_op'"):
        at.no_such_op  # noqa: B018
    assert not hasattr(at, "annotations")


def test_import_autotape_leaves_out_the_lazy_modules():
    report = json.loads(
        fresh_python(
            "import json, sys\n"
            "import autotape as at\n"
            "lazy = ['autotape.testing', 'jaxtyping', 'unittest.mock', 'hypothesis', 'beartype']\n"
            "before = [m for m in lazy if m in sys.modules]\n"
            "check_grads = at.testing.check_grads\n"
            "after = [m for m in lazy if m in sys.modules]\n"
            "print(json.dumps({'before': before, 'after': after, 'name': check_grads.__module__}))\n"
        )
    )
    assert report["before"] == []
    # First access imports autotape.testing (which needs jaxtyping for its own annotations).
    assert "autotape.testing" in report["after"] and report["name"] == "autotape.testing"


def test_import_autotape_testing_directly_works_in_a_fresh_interpreter():
    out = fresh_python(
        "import numpy as np\n"
        "from autotape.testing import check_grads\n"
        "import autotape as at\n"
        "check_grads(lambda x: at.sum(at.tanh(x) ** 2), (np.array([0.3, -0.7]),), order=2, seed=0)\n"
        "print(at.testing is __import__('autotape.testing').testing)\n"
    )
    assert out.strip() == "True"


def test_annotations_without_jaxtyping_are_stand_ins_that_evaluate():
    out = fresh_python(
        "import sys, typing\n"
        "import autotape as at\n"
        "hints = typing.get_type_hints(at.softmax_cross_entropy)\n"
        "print('jaxtyping' in sys.modules)\n"
        "print(repr(hints['logits']))\n"
        "print(at.grad(lambda x: at.sum(at.tanh(x)))(1.0))\n"
    )
    loaded, logits, value = out.strip().splitlines()
    assert loaded == "False"
    assert "Float[" in logits and "'n classes'" in logits and "Traced" in logits
    assert abs(float(value) - 0.41997434161402614) < 1e-15  # 1 - tanh(1)**2


def test_annotations_are_jaxtypings_own_where_jaxtyping_is_loaded_first():
    import jaxtyping

    from autotape import _types

    assert "jaxtyping" in sys.modules  # the test suite's pytest plugin imported it before autotape
    assert (_types.Float, _types.Shaped, _types.Integer, _types.Bool) == (
        jaxtyping.Float,
        jaxtyping.Shaped,
        jaxtyping.Integer,
        jaxtyping.Bool,
    )


def test_stand_ins_refuse_what_jaxtyping_would():
    from autotape._types import _DtypeStandIn

    Float = _DtypeStandIn("Float")
    subscripted = Float[int, "n"]
    assert repr(subscripted) == "Float[<class 'int'>, 'n']"
    with pytest.raises(TypeError, match="already subscripted"):
        subscripted[int, "m"]
    with pytest.raises(TypeError, match="cannot be called"):
        Float(1.0)


def test_import_autotape_never_imports_scipy():
    # SciPy is an optional extra: only autotape.scipy's modules (and a scipy.special ufunc
    # called on a traced value) import it.
    out = fresh_python(
        "import sys, numpy as np\n"
        "import autotape as at, autotape.numpy\n"
        "at.grad(lambda x: np.sum(np.sin(x) * np.exp(x)))(np.ones(3))\n"
        "prefixes = ('scipy.', 'autotape.scipy', 'autotape.ops.scipy')\n"
        "print(sorted(m for m in sys.modules if m == 'scipy' or m.startswith(prefixes)))\n"
    )
    assert out.strip() == "[]"

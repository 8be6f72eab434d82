"""``AUTOTAPE_TYPECHECK=1``: the annotations are checked, and autotape's own errors still come first.

Each case runs in two fresh interpreters, with and without the variable, and the
error must be the same exception with the same message; with checking on, a note of
what the annotations said may follow. Where autotape itself accepts the arguments
and only the annotations refuse them, jaxtyping's TypeCheckError stands.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Each case: a call that autotape refuses with a clear error of its own.
CASES = {
    "1-d logits": "at.softmax_cross_entropy(np.zeros(3), np.zeros(3, dtype=int))",
    "3-d logits": "at.softmax_cross_entropy(np.zeros((2, 3, 1)), np.array([0, 1]))",
    "label rows": "at.softmax_cross_entropy(np.zeros((4, 3)), np.zeros(5, dtype=int))",
    "float class ids": "at.softmax_cross_entropy(np.zeros((4, 3)), np.zeros(4))",
    "target shape": "at.bce_with_logits(np.zeros(4), np.zeros((4, 1)))",
    "mse shapes": "at.mse(np.zeros(4), np.zeros(5))",
    "matmul": "at.matmul(np.zeros((3, 4)), np.zeros((5, 1)))",
    "broadcast": "at.add(np.zeros(3), np.zeros(4))",
    "numpy dispatch": "at.grad(lambda x: at.sum(np.add(x, np.zeros(4))))(np.zeros(3))",
    "under grad": "at.grad(lambda z: at.softmax_cross_entropy(z, np.zeros(5, dtype=int)))(np.zeros((4, 3)))",
    "optimizer": "(lambda o: o.update({'a': np.zeros(3)}, {'a': np.zeros(4)}, o.init({'a': np.zeros(3)})))("
    "at.optim.adam(0.1))",
    "reshape": "at.reshape(np.zeros(6), (4, 2))",
}

RUNNER = """
import json, sys, traceback
import numpy as np
import autotape as at
results = {}
for name, call in json.loads(sys.argv[1]).items():
    try:
        eval(call)
        results[name] = None
    except Exception as error:
        lines = traceback.format_exception_only(type(error), error)
        results[name] = {"type": type(error).__name__, "message": str(error), "shown": "".join(lines),
                         "notes": getattr(error, "__notes__", [])}
print(json.dumps(results))
"""


def run_cases(cases: dict[str, str], typecheck: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "AUTOTAPE_TYPECHECK"}
    if typecheck:
        env["AUTOTAPE_TYPECHECK"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps(cases)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def plain() -> dict:
    return run_cases(CASES, typecheck=False)


@pytest.fixture(scope="module")
def checked() -> dict:
    return run_cases(CASES, typecheck=True)


@pytest.mark.parametrize("case", CASES)
def test_autotapes_own_error_comes_first_with_checking_on(plain, checked, case):
    expected, got = plain[case], checked[case]
    assert expected is not None, f"{case}: autotape should refuse {CASES[case]}"
    assert expected["type"] in ("ValueError", "TypeError"), expected
    assert (got["type"], got["message"]) == (expected["type"], expected["message"])
    # What a traceback shows ends with autotape's message, not jaxtyping's report.
    assert got["shown"].startswith(f"{expected['type']}: {expected['message']}")
    assert "Called with parameters" not in got["shown"]


def test_the_annotations_note_follows_where_they_also_refuse(checked):
    if sys.version_info < (3, 11):
        pytest.skip("exception notes need Python 3.11")
    notes = checked["1-d logits"]["notes"]
    assert len(notes) == 1 and notes[0].startswith("AUTOTAPE_TYPECHECK: the shape annotations reject")
    assert "parameter 'logits'" in notes[0] and "Expected type" in notes[0]


def test_annotation_errors_stand_where_autotape_accepts_the_arguments():
    # Integer targets: bce_with_logits computes with them, but its annotation asks for floats.
    call = {"int targets": "at.bce_with_logits(np.zeros(4), np.zeros(4, dtype=int))"}
    assert run_cases(call, typecheck=False)["int targets"] is None
    got = run_cases(call, typecheck=True)["int targets"]
    assert got["type"] == "TypeCheckError"
    assert "autotape.losses.bce_with_logits" in got["message"] and "targets" in got["message"]


def test_checking_mode_still_computes_the_same_values():
    code = (
        "import json, numpy as np, autotape as at\n"
        "x = np.array([[0.3, -1.2, 2.0], [0.5, 0.1, -0.4]])\n"
        "g = at.grad(lambda z: at.softmax_cross_entropy(z, np.array([2, 0])))(x)\n"
        "print(json.dumps(g.tolist()))\n"
    )
    values = []
    for flag in ("0", "1"):
        env = {**os.environ, "AUTOTAPE_TYPECHECK": flag}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
        values.append(json.loads(done.stdout))
    assert values[0] == values[1]

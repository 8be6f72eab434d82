"""``python -m autotape.coverage`` and the docs page generated from it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import autotape.coverage as coverage
from autotape.ops.registry import REGISTRY

ROOT = Path(__file__).resolve().parent.parent


def test_the_numpy_support_page_is_the_generated_one():
    assert coverage.load_optional() == []  # the test extra installs SciPy
    page = (ROOT / "docs" / "numpy-support.md").read_text(encoding="utf-8")
    assert page == coverage.markdown(), (
        "docs/numpy-support.md is out of date: regenerate it with "
        "`python -m autotape.coverage --markdown > docs/numpy-support.md`"
    )


def test_counts_add_up_to_the_registry():
    counts = coverage.counts()
    total = sum(sum(c.values()) for c in counts.values())
    assert total == sum(1 + len(info.aliases) for info in REGISTRY.values())
    assert coverage.differentiable_count() == sum(
        1 + len(i.aliases) for i in REGISTRY.values() if i.kind in ("primitive", "composite")
    )


def test_the_command_line_prints_counts_and_lists():
    run = lambda *args: (
        subprocess.run(  # noqa: E731
            [sys.executable, "-m", "autotape.coverage", *args], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout
    )
    summary = run()
    assert f"differentiable functions: {coverage.differentiable_count()}" in summary
    listed = run("--list").splitlines()
    assert "numpy.sin\tprimitive" in listed and "numpy.abs\tprimitive" in listed
    assert "numpy.argmax\tconstant" in listed or "numpy.sign\tconstant" in listed
    missing = run("--missing").splitlines()
    assert "numpy.sin" not in missing

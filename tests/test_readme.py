"""The README's code runs: every ```python block, in order, in one namespace."""

import pathlib
import re

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
# The main job: the example MLP on the Raisin data that ship with the project
# (tests/test_examples.py runs it with these arguments and checks its accuracy).
MAIN_JOB = "python examples/mlp_classifier.py --csv examples/data/raisin.csv --label Class"


def python_blocks(path: pathlib.Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    blocks = re.findall(r"^( *)```python\n(.*?)^\1```", text, flags=re.S | re.M)
    return [re.sub(rf"(?m)^{indent}", "", body) for indent, body in blocks]


def test_readme_python_blocks_run():
    blocks = python_blocks(ROOT / "README.md")
    assert len(blocks) >= 3
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    # The tour's training steps produced finite parameters of the original shapes.
    params = namespace["params"]
    assert params["w1"].shape == (3, 8) and np.all(np.isfinite(params["w1"]))


def test_readme_starts_with_the_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(.*?)\n```", text, flags=re.S)
    assert commands[0].endswith(MAIN_JOB)
    assert commands[1].endswith("python -m pytest")
    assert 'pip install -e ".[examples]"' in commands[0] and 'pip install -e ".[test,docs]"' in commands[1]


def test_readme_says_what_the_main_job_does_and_where_its_data_come_from():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1].split("```bash", 1)[0]
    assert "MLP classifier" in quick_start and "Raisin" in quick_start
    assert "`examples/data/raisin.csv`" in quick_start and "CC BY 4.0" in quick_start
    assert (ROOT / "examples" / "data" / "raisin.csv").is_file()
    # Nothing in the README depends on files outside the clone.
    assert "../" not in text

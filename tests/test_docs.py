"""The documentation site's pages run, and the site builds, so the docs cannot drift from the code.

Every ```python block of docs/*.md runs (the README's blocks run in tests/test_readme.py,
and a page whose blocks another test file runs is left to that file). The blocks of a
page run in order, in one namespace, with the repository root as the working directory,
so a page can build on its earlier blocks and read files by their paths from the root,
as a reader in a clone would. A failing block's traceback names the page and its line.

An HTML comment on the line before a block's opening fence changes how it runs:

- ``<!-- skip-test -->``: the block does not run (for long training runs; use sparingly);
- ``<!-- test-requires: torch -->``: it runs only where that module can be imported.

A ```text title="Output" block right after a ```python block must equal what that
block printed (trailing spaces aside); ``...`` in it matches any text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# Pages whose code another test file runs: page name -> that file.
RUN_ELSEWHERE = {"property-based-testing.md": ROOT / "tests" / "test_testing.py"}

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,})(?P<info>.*)$")
MARKER = re.compile(r"^<!--\s*(?P<name>skip-test|test-requires:\s*(?P<module>[\w.]+))\s*-->$")
OUTPUT_INFO = 'text title="Output"'


@dataclasses.dataclass
class Block:
    info: str  # the fence's info string: language and attributes
    code: str  # dedented to the fence's indentation
    line: int  # line number (from 1) of the code's first line in the page
    marker: str | None  # the marker comment's name, if any
    module: str | None  # the module a test-requires marker names

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info.split() else ""


def fenced_blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown page, indented ones (inside content tabs) included."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return parse_blocks(lines, path.name)


def parse_blocks(lines: list[str], name: str) -> list[Block]:
    blocks: list[Block] = []
    previous = ""  # the last non-blank line before the current one
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            if lines[i].strip():
                previous = lines[i].strip()
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        closing = re.compile(rf"^ {{0,{len(indent) + 3}}}{fence}`*\s*$")
        end = i + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        if end == len(lines):
            raise AssertionError(f"{name}:{i + 1}: a code fence that is never closed")
        body = [line[len(indent) :] if line.startswith(indent) else line.lstrip() for line in lines[i + 1 : end]]
        marker = MARKER.match(previous)
        blocks.append(
            Block(
                info=opening["info"].strip(),
                code="\n".join(body) + "\n",
                line=i + 2,
                marker=marker["name"].split(":")[0] if marker else None,
                module=marker["module"] if marker else None,
            )
        )
        previous = lines[end].strip()
        i = end + 1
    return blocks


def runnable_pages() -> list[Path]:
    pages = []
    for page in sorted(DOCS.rglob("*.md")):
        runner = RUN_ELSEWHERE.get(page.name)
        if runner is not None and runner.is_file() and page.name in runner.read_text(encoding="utf-8"):
            continue
        if any(block.language == "python" for block in fenced_blocks(page)):
            pages.append(page)
    return pages


def matches(expected: str, printed: str) -> bool:
    """``printed`` equals ``expected`` line by line (trailing spaces aside), ``...`` matching anything."""

    def normalize(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())

    pattern = ".*?".join(re.escape(part) for part in normalize(expected).split("..."))
    return re.fullmatch(pattern, normalize(printed), flags=re.S) is not None


@contextlib.contextmanager
def reader_in_repository_root():
    """Run as a reader in a clone would: from the repository root; leave sys.path and sys.modules as found."""
    cwd, path, modules = os.getcwd(), list(sys.path), set(sys.modules)
    os.chdir(ROOT)
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path[:] = path
        # Modules a page imported from the repository's examples/ (by adding it to sys.path).
        for name in set(sys.modules) - modules:
            if str(getattr(sys.modules[name], "__file__", "") or "").startswith(str(ROOT / "examples")):
                del sys.modules[name]


@pytest.mark.parametrize("page", runnable_pages(), ids=lambda page: page.relative_to(DOCS).as_posix())
def test_page_code_runs(page: Path):
    blocks = fenced_blocks(page)
    name = page.relative_to(ROOT).as_posix()
    namespace: dict = {"__name__": "__docs__"}
    printed: str | None = None  # what the last python block that ran printed
    ran = 0
    with reader_in_repository_root():
        for block in blocks:
            if block.info == OUTPUT_INFO:
                if printed is None:
                    continue  # the output of a block that did not run
                assert matches(block.code, printed), (
                    f"{name}:{block.line}: the page shows this output:\n{block.code}\n"
                    f"but the block before it printed:\n{printed}"
                )
                printed = None
                continue
            printed = None
            if block.language != "python" or block.marker == "skip-test":
                continue
            if block.module is not None and importlib.util.find_spec(block.module) is None:
                continue
            # Padding with blank lines makes tracebacks and recorded source lines point into the page.
            code = compile("\n" * (block.line - 1) + block.code, name, "exec")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(code, namespace)
            printed = out.getvalue()
            ran += 1
    assert ran > 0, f"{name} has python blocks, but none ran"


def test_output_blocks_follow_python_blocks():
    """An output block must come right after the block whose output it shows."""
    for page in sorted(DOCS.rglob("*.md")):
        blocks = fenced_blocks(page)
        for before, block in zip([None, *blocks], blocks):
            if block.info == OUTPUT_INFO:
                assert before is not None and before.language == "python", (
                    f"{page.name}:{block.line}: an output block that does not follow a python block"
                )


def test_block_parser():
    page = """Text.

<!-- skip-test -->
```python
long_run()
```

=== "Tab"

    <!-- test-requires: torch -->
    ```python
    import torch
    ```

    ```text title="Output"
    tensor
    ```
""".splitlines()
    skipped, tabbed, output = parse_blocks(page, "page.md")
    assert (skipped.language, skipped.marker, skipped.code, skipped.line) == ("python", "skip-test", "long_run()\n", 5)
    assert (tabbed.marker, tabbed.module, tabbed.code, tabbed.line) == ("test-requires", "torch", "import torch\n", 12)
    assert output.info == OUTPUT_INFO and output.marker is None and output.code == "tensor\n"
    assert matches("a ... c\nd", "a b c  \nd\n") and not matches("a ... c", "a b d")


# -- the site as a whole --------------------------------------------------------------


def nav_pages() -> list[str]:
    """The pages mkdocs.yml's nav lists (paths relative to docs/), read without a YAML parser."""
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = text.split("\nnav:\n", 1)[1].split("\n\n", 1)[0]
    return re.findall(r":\s*(\S+\.md)\s*$", nav, flags=re.M)


def test_nav_lists_every_page_once():
    listed = nav_pages()
    on_disk = sorted(page.relative_to(DOCS).as_posix() for page in DOCS.rglob("*.md"))
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed)


def test_relative_links_and_images_exist():
    """Local links and images of the pages and the README point at files that exist."""
    for page in [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        text = re.sub(r"(?ms)^ *```.*?^ *```", "", text)  # links inside code blocks are code
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            assert path.exists(), f"{page.relative_to(ROOT)} links to {target}, which does not exist"


def test_images_are_small():
    for image in DOCS.rglob("*.png"):
        assert image.stat().st_size < 100_000, f"{image.relative_to(ROOT)} is {image.stat().st_size} bytes"


def test_getting_started_shows_the_readme_commands():
    def commands(path: Path) -> list[str]:
        text = path.read_text(encoding="utf-8")
        return [line for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S) for line in block.splitlines()]

    readme = commands(ROOT / "README.md")[:2]
    assert readme[0].endswith("python examples/mlp_classifier.py --csv examples/data/raisin.csv --label Class")
    assert readme[1].endswith("python -m pytest")
    assert commands(DOCS / "index.md")[:2] == readme


def test_api_reference_reads_docstrings_as_markdown():
    """docs/rst_docstrings.py, the griffe extension of the API reference, on each habit it rewrites."""
    pytest.importorskip("griffe", reason='griffe comes with the docs extra (pip install -e ".[docs]")')
    spec = importlib.util.spec_from_file_location("rst_docstrings", DOCS / "rst_docstrings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    docstring = "\n".join(
        [
            "Uses :func:`grad`, :class:`~autotape.tape.Tape` and :math:`v^T J`; see `NumPy <https://numpy.org>`_.",
            "Args:",
            "    x: an array.",
            "Returns:",
            "    the same, as::",
            "",
            "        y = x",
            "",
            "====  ====",
            "name  eps",
            "====  ====",
            "f64   1e-5",
            "====  ====",
            "Example::",
            "",
            "    import autotape as at",
        ]
    )
    assert module.to_markdown(docstring).splitlines() == [
        "Uses `grad`, `Tape` and `v^T J`; see [NumPy](https://numpy.org).",
        "",
        "Args:",
        "    x: an array.",
        "",
        "Returns:",
        "    the same, as:",
        "",
        "    ```text",
        "    y = x",
        "    ```",
        "",
        "",
        "| name | eps |",
        "|---|---|",
        "| f64 | 1e-5 |",
        "",
        "Example:",
        "    ```python",
        "    import autotape as at",
        "    ```",
    ]


def test_mkdocs_build_strict(tmp_path):
    """``mkdocs build --strict``: API reference from the docstrings, every link and nav entry valid.

    Runs where the docs extra is installed (``pip install -e ".[docs]"``); CI installs
    only the test extra, so there it is skipped.
    """
    for module in ("mkdocs", "material", "mkdocstrings_handlers.python"):
        if importlib.util.find_spec(module.split(".")[0]) is None or importlib.util.find_spec(module) is None:
            pytest.skip(f'{module} is not installed: the docs extra (pip install -e ".[docs]") builds the site')
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    assert (tmp_path / "site" / "api" / "autotape" / "index.html").is_file()
    # The Mermaid diagrams arrive drawn, as inline SVG: no Mermaid source and nothing for a CDN script to draw.
    for page in DOCS.rglob("*.md"):
        diagrams = [b for b in fenced_blocks(page) if b.language == "mermaid"]
        if not diagrams:
            continue
        name = page.relative_to(DOCS).with_suffix("").as_posix()
        built = (tmp_path / "site" / name / "index.html").read_text(encoding="utf-8")
        ids = re.findall(r'<svg id="(mermaid-[0-9a-f]{12})"', built)
        assert len(ids) == len(set(ids)) == len(diagrams), (page.name, ids)
        assert 'class="mermaid"' not in built and "flowchart LR" not in built and "flowchart TB" not in built
    tape_page = (tmp_path / "site" / "how-the-tape-works" / "index.html").read_text(encoding="utf-8")
    assert "forward pass: each primitive call appends an entry" in tape_page


def load_mermaid_hook():
    pytest.importorskip("mermaidx", reason='mermaidx comes with the docs extra (pip install -e ".[docs]")')
    spec = importlib.util.spec_from_file_location("mermaid_svg", DOCS / "mermaid_svg.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mermaid_hook_draws_a_diagram_as_inline_svg_with_its_own_id():
    hook = load_mermaid_hook()
    source = "flowchart LR\n    a[tape] -- reverse --> b([gradient])\n"
    html = hook.fence_svg(source, "mermaid", "mermaid", {}, None)
    assert html.startswith('<div class="autotape-diagram" style="background: #fff;')
    svg_ids = re.findall(r'<svg id="([^"]+)"', html)
    assert len(svg_ids) == 1 and svg_ids[0].startswith("mermaid-") and "my-svg" not in html
    assert ">tape<" in html and ">gradient<" in html and ">reverse<" in html
    # Another diagram gets another id; the same source, the same drawing.
    other = hook.fence_svg(source.replace("tape", "tapes"), "mermaid", "mermaid", {}, None)
    assert re.findall(r'<svg id="([^"]+)"', other) != svg_ids
    assert hook.fence_svg(source, "mermaid", "mermaid", {}, None) == html


def test_mermaid_hook_names_a_diagram_it_cannot_draw():
    hook = load_mermaid_hook()
    with pytest.raises(ValueError, match="mermaid_svg: cannot draw the diagram starting 'flowchart LR'"):
        hook.render_svg("flowchart LR\n    a -->> -->\n")


def test_mkdocs_config_uses_the_mermaid_hook():
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "hooks:\n  - docs/mermaid_svg.py\n" in config
    assert "extra_javascript" not in config and "unpkg" not in config and "jsdelivr" not in config

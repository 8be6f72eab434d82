"""How long ``import autotape`` takes beyond ``import numpy``, measured with ``python -X importtime``.

Each round starts two fresh interpreters, ``python -X importtime -c "import numpy"``
and ``python -X importtime -c "import autotape"``, in alternating order, and reads
the import tree CPython prints on standard error (each module's own time and its
cumulative time, in microseconds). Modules imported at start-up (``site`` and what
it loads) are not counted in either. The imports run as a user's do, from bytecode
caches: a warm-up import writes autotape's ``__pycache__`` first, and
``PYTHONDONTWRITEBYTECODE`` is dropped from the interpreters' environment (with it
set and no caches, every autotape module is compiled from source at every import,
which costs more than all the rest). Two figures of autotape's cost come out:

* paired: in the autotape run, the cumulative time of ``autotape`` minus that of
  the ``numpy`` import inside it; the same process, so it is the steadier figure;
* unpaired: the median cumulative time of ``autotape`` minus the median of
  ``numpy`` in the numpy-only runs.

Both are medians over the rounds. The script also lists the modules, outside NumPy,
that take the most time in the autotape run (median own time), so a regression
shows where it comes from, and checks that ``import autotape`` left out the
modules it must load lazily (``autotape.testing``, ``jaxtyping``,
``unittest.mock``, ``hypothesis``).

Usage::

    python benchmarks/import_time.py [--rounds 15] [--target-ms 40] [--top 12]

The exit status is 1 when the paired median exceeds ``--target-ms`` or a lazy
module was imported. On a machine whose cores are busy the figures vary from
round to round: compare medians over enough rounds, not single runs.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass, field

LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( +)(\S+)\s*$")
LAZY = ("autotape.testing", "jaxtyping", "unittest.mock", "hypothesis")


@dataclass
class Node:
    """One module of an import tree: its own and its cumulative time (microseconds) and what it imported."""

    name: str
    own: int
    cumulative: int
    depth: int
    children: list[Node] = field(default_factory=list)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()

    def find(self, name: str) -> Node | None:
        return next((node for node in self.walk() if node.name == name), None)


def parse_importtime(text: str) -> list[Node]:
    """The top-level nodes of ``-X importtime`` output (children are printed before their parent)."""
    pending: list[Node] = []
    for line in text.splitlines():
        match = LINE.match(line)
        if match is None:
            continue
        own, cumulative, indent, name = match.groups()
        depth = (len(indent) - 1) // 2
        node = Node(name, int(own), int(cumulative), depth)
        while pending and pending[-1].depth > depth:
            node.children.insert(0, pending.pop())
        pending.append(node)
    return pending


def import_tree(module: str) -> tuple[Node, set[str]]:
    """Import ``module`` in a fresh interpreter; its import tree and the names in sys.modules afterwards."""
    code = f"import sys, {module}; print(' '.join(sys.modules))"
    # As users import it: with bytecode caches (written by the first, warm-up import),
    # without the opt-in annotation checking.
    env = {k: v for k, v in os.environ.items() if k not in ("AUTOTAPE_TYPECHECK", "PYTHONDONTWRITEBYTECODE")}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True, env=env
    )
    roots = [node for node in parse_importtime(done.stderr) if node.name == module]
    if not roots:
        raise RuntimeError(f"no import of {module} in the -X importtime output:\n{done.stderr[-2000:]}")
    return roots[0], set(done.stdout.split())


def outside_numpy(root: Node) -> list[Node]:
    """The modules of ``root``'s tree, leaving out NumPy's import and everything under it."""
    found = []

    def visit(node: Node) -> None:
        if node.name == "numpy":
            return
        found.append(node)
        for child in node.children:
            visit(child)

    visit(root)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time `import autotape` against `import numpy` with -X importtime.")
    parser.add_argument("--rounds", type=int, default=15, help="interpreter pairs to start (default: 15)")
    parser.add_argument("--target-ms", type=float, default=40.0, help="allowed cost beyond numpy (default: 40)")
    parser.add_argument("--top", type=int, default=12, help="modules to list by own time (default: 12)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    import_tree("autotape")  # warm-up: writes autotape's bytecode caches if they are missing or stale
    numpy_ms, autotape_ms, paired_ms = [], [], []
    own: dict[str, list[float]] = {}
    leaked: set[str] = set()
    for i in range(args.rounds):
        order = ("numpy", "autotape") if i % 2 == 0 else ("autotape", "numpy")
        for module in order:
            root, loaded = import_tree(module)
            if module == "numpy":
                numpy_ms.append(root.cumulative / 1000)
                continue
            autotape_ms.append(root.cumulative / 1000)
            inner_numpy = root.find("numpy")
            paired_ms.append((root.cumulative - (inner_numpy.cumulative if inner_numpy else 0)) / 1000)
            for node in outside_numpy(root):
                own.setdefault(node.name, []).append(node.own / 1000)
            leaked |= {name for name in LAZY if name in loaded}
        print(f"round {i + 1}/{args.rounds}: paired {paired_ms[-1]:.1f} ms", file=sys.stderr)

    paired = statistics.median(paired_ms)
    unpaired = statistics.median(autotape_ms) - statistics.median(numpy_ms)
    print(f"python {sys.version.split()[0]}, {args.rounds} rounds; medians (min, max) in ms")

    def row(label: str, times: list[float]) -> None:
        print(f"  {label:<32}  {statistics.median(times):7.1f}  ({min(times):.1f}, {max(times):.1f})")

    row("import numpy", numpy_ms)
    row("import autotape", autotape_ms)
    row("autotape beyond numpy, paired", paired_ms)
    print(f"  {'autotape beyond numpy, unpaired':<32}  {unpaired:7.1f}")
    print(f"modules outside NumPy by median own time (ms), of {len(own)}:")
    ranked = sorted(own.items(), key=lambda item: -statistics.median(item[1]))
    for name, times in ranked[: args.top]:
        print(f"  {statistics.median(times):7.2f}  {name}")
    ok = paired <= args.target_ms and not leaked
    lazy = ", ".join(sorted(leaked)) or "none"
    print(f"lazy modules imported by `import autotape`: {lazy} (checked: {', '.join(LAZY)})")
    print(f"target: at most {args.target_ms:g} ms beyond numpy (paired median): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

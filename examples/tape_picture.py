"""Draw the tape that autotape records for a small model's loss.

The loss is the mean binary cross-entropy of a one-hidden-layer tanh MLP (the
model of ``mlp_classifier.py``) on a seeded random batch. ``at.trace`` records its
tape with only the parameters traced, so the data are constants and are not
drawn; ``Tape.to_dot()`` turns the tape into Graphviz DOT text: inputs as
ellipses, entries as boxes, edges labelled with the shapes that flow along them.

The script prints the tape, writes the DOT text and renders it to PNG. Rendering
needs the ``graphviz`` Python package (``pip install graphviz``; the ``examples``
extra has it) and the Graphviz ``dot`` program (``apt-get install graphviz``,
``brew install graphviz``, or https://graphviz.org/download/). Without them the
script says what is missing and writes only the DOT file, which renders later
with ``dot -Tpng tape.dot -o tape.png``.

Examples::

    python examples/tape_picture.py
    python examples/tape_picture.py --out docs/img/tape-mlp.png
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import sys
from typing import Optional

import numpy as np

import autotape as at


def mlp_loss(params: dict, X: np.ndarray, y: np.ndarray):
    """Mean binary cross-entropy of the logits ``tanh(X @ w1 + b1) @ w2 + b2`` against 0/1 labels ``y``."""
    hidden = at.tanh(X @ params["w1"] + params["b1"])
    logits = at.reshape(hidden @ params["w2"] + params["b2"], (-1,))
    return at.bce_with_logits(logits, y)


def record_tape(rows: int = 32, features: int = 3, hidden: int = 8, seed: int = 0) -> at.Tape:
    """The tape of one evaluation of :func:`mlp_loss` on seeded random data, tracing only the parameters."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, features))
    y = (X[:, 0] > 0).astype(np.float64)
    params = {
        "w1": rng.normal(size=(features, hidden)),
        "b1": np.zeros(hidden),
        "w2": rng.normal(size=(hidden, 1)),
        "b2": np.zeros(1),
    }
    return at.trace(lambda p: mlp_loss(p, X, y))(params)


def missing_renderer() -> Optional[str]:
    """What is missing to render DOT to PNG here, as an install hint, or ``None`` when nothing is."""
    try:
        import graphviz  # noqa: F401
    except ImportError:
        return 'the graphviz Python package is not installed: pip install graphviz (or pip install -e ".[examples]")'
    if shutil.which("dot") is None:
        return (
            "the Graphviz 'dot' program is not on PATH: install Graphviz "
            "(apt-get install graphviz, brew install graphviz, or https://graphviz.org/download/)"
        )
    return None


def render_png(dot_text: str, path: pathlib.Path) -> None:
    """Lay out DOT text with Graphviz's ``dot`` and save the picture as PNG at ``path``."""
    import graphviz

    path.write_bytes(graphviz.Source(dot_text).pipe(format="png"))


def main(argv: Optional[list[str]] = None) -> at.Tape:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the recorded tape."""
    parser = argparse.ArgumentParser(description="Record the tape of a small MLP's loss and draw it with Graphviz.")
    parser.add_argument(
        "--out", type=pathlib.Path, default=pathlib.Path("tape.png"), metavar="FILE.png", help="the PNG to render"
    )
    parser.add_argument(
        "--dot", type=pathlib.Path, metavar="FILE.dot", help="where to write the DOT text (default: --out with .dot)"
    )
    args = parser.parse_args(argv)
    dot_path = args.dot or args.out.with_suffix(".dot")

    tape = record_tape()
    print(tape)
    dot_path.write_text(tape.to_dot() + "\n", encoding="utf-8")
    print(f"wrote {dot_path}")
    reason = missing_renderer()
    if reason is None:
        render_png(tape.to_dot(), args.out)
        print(f"wrote {args.out}")
    else:
        print(
            f"not rendering {args.out}: {reason}. The DOT file renders later with: dot -Tpng {dot_path} -o {args.out}",
            file=sys.stderr,
        )
    return tape


if __name__ == "__main__":
    main(sys.argv[1:])

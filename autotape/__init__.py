"""autotape: reverse-mode automatic differentiation for NumPy, in a functional style.

A global tape records each primitive op while pure functions run; ``grad`` replays
it in reverse. See the README for a tour.
"""

from __future__ import annotations

import os as _os

__version__ = "0.1.0"

if _os.environ.get("AUTOTAPE_TYPECHECK", "") not in ("", "0"):
    # Opt-in run-time checking of every jaxtyping shape annotation (slow; for debugging).
    from jaxtyping import install_import_hook as _install_import_hook

    with _install_import_hook(["autotape.ops", "autotape.losses", "autotape.optim"], "beartype.beartype"):
        from . import losses, ops, optim  # noqa: F401

from . import optim, testing, tree
from ._config import debug_nans
from .losses import bce_with_logits, mse, softmax_cross_entropy
from .ops import *  # noqa: F403  (every op of the registry, by its NumPy name)
from .ops import OPS as _OPS
from .optim import apply_sgd as sgd
from .primitive import Primitive, primitive
from .serialization import FileFormatError, load, register_namedtuple, save
from .tape import Entry, Tape
from .tracer import Traced
from .transforms import grad, hessian, jacobian, jvp, stop_gradient, trace, value_and_grad, vjp

__all__ = [
    "Entry",
    "FileFormatError",
    "Primitive",
    "Tape",
    "Traced",
    "load",
    "register_namedtuple",
    "save",
    "testing",
    "bce_with_logits",
    "debug_nans",
    "grad",
    "hessian",
    "jacobian",
    "jvp",
    "mse",
    "optim",
    "primitive",
    "sgd",
    "softmax_cross_entropy",
    "stop_gradient",
    "trace",
    "tree",
    "value_and_grad",
    "vjp",
    *sorted(_OPS),
]

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
from .ops import (
    abs,
    add,
    astype,
    broadcast_to,
    clip,
    concatenate,
    divide,
    exp,
    getitem,
    log,
    log1p,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    multiply,
    negative,
    power,
    relu,
    reshape,
    sigmoid,
    softmax,
    sqrt,
    stack,
    subtract,
    sum,
    tanh,
    transpose,
    where,
)
from .optim import apply_sgd as sgd
from .primitive import Primitive, primitive
from .serialization import FileFormatError, load, register_namedtuple, save
from .tape import Entry, Tape
from .tracer import Traced
from .transforms import grad, hessian, jacobian, stop_gradient, trace, value_and_grad, vjp

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
    "abs",
    "add",
    "astype",
    "bce_with_logits",
    "broadcast_to",
    "clip",
    "concatenate",
    "debug_nans",
    "divide",
    "exp",
    "getitem",
    "grad",
    "hessian",
    "jacobian",
    "log",
    "log1p",
    "log_softmax",
    "logsumexp",
    "matmul",
    "max",
    "min",
    "maximum",
    "mean",
    "minimum",
    "mse",
    "multiply",
    "negative",
    "optim",
    "power",
    "primitive",
    "relu",
    "reshape",
    "sgd",
    "sigmoid",
    "softmax",
    "softmax_cross_entropy",
    "sqrt",
    "stack",
    "stop_gradient",
    "subtract",
    "sum",
    "tanh",
    "trace",
    "transpose",
    "tree",
    "value_and_grad",
    "vjp",
    "where",
]

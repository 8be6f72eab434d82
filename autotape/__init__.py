"""autotape: reverse-mode automatic differentiation for NumPy, in a functional style.

A global tape records each primitive op while pure functions run; ``grad`` replays
it in reverse. See the README for a tour.

``autotape.testing`` is imported on first use (``at.testing`` or
``import autotape.testing``), so that ``import autotape`` stays quick.
"""

import os as _os

__version__ = "0.1.0"

if _os.environ.get("AUTOTAPE_TYPECHECK", "") not in ("", "0"):
    # Opt-in run-time checking of every jaxtyping shape annotation (slow; for debugging),
    # with autotape's own error raised first where it has one.
    from ._typecheck import install as _install_typecheck

    _install_typecheck()

from . import optim, tree
from ._config import debug_nans
from ._public import public_dir as _public_dir
from .custom import custom_jvp, custom_vjp
from .jit import JitError, JitMismatchError, RetraceWarning, jit
from .losses import bce_with_logits, mse, softmax_cross_entropy
from .ops import *  # noqa: F403  (every op of the registry, by its NumPy name)
from .ops import OPS as _OPS
from .optim import apply_sgd as sgd
from .primitive import Primitive, primitive
from .remat import checkpoint, checkpoint_policies, remat
from .serialization import FileFormatError, load, register_namedtuple, save
from .tape import Entry, Tape
from .tracer import Traced
from .transforms import (
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jvp,
    linearize,
    stop_gradient,
    trace,
    value_and_grad,
    vjp,
)

__all__ = [
    "Entry",
    "FileFormatError",
    "JitError",
    "JitMismatchError",
    "Primitive",
    "RetraceWarning",
    "Tape",
    "Traced",
    "load",
    "register_namedtuple",
    "save",
    "testing",  # noqa: F405  (imported on first use, by __getattr__ below)
    "bce_with_logits",
    "checkpoint",
    "checkpoint_policies",
    "custom_jvp",
    "custom_vjp",
    "remat",
    "debug_nans",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jit",
    "jvp",
    "linearize",
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
]
# The ops of the registry, by NumPy name, except where the API above has the name
# (``at.trace`` is the transform; NumPy's ``trace`` is ``autotape.numpy.trace``).
__all__ += sorted(set(_OPS) - set(__all__))


def __getattr__(name: str) -> object:
    # PEP 562: autotape.testing (check_grads, and the strategies that need hypothesis)
    # is imported on first access, not by `import autotape`.
    if name == "testing":
        import importlib

        return importlib.import_module(".testing", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__dir__ = _public_dir(globals(), __all__)

"""Opt-in run-time checking of the shape annotations (``AUTOTAPE_TYPECHECK=1``), autotape's own errors first.

:func:`install` imports the op library, the losses and the optimizers under
jaxtyping's import hook, so that every call checks its arguments and result against
the jaxtyping annotations (with beartype). Those checks run before the function's
body, so on their own they would replace autotape's errors, which name the op, the
shapes and the fix (``softmax_cross_entropy: logits must have shape (n, classes),
got (3,)``), with jaxtyping's report of every parameter and annotation.

So each checked function is wrapped once more: when the annotation check fails, the
function runs again without it. If autotape then raises an error of its own, that
error is raised, exactly as without checking (same type, same message), with a
short note of what the annotations said (Python 3.11+). Only where autotape itself
would accept the arguments (say an integer array where the annotation asks for
floats) does jaxtyping's ``TypeCheckError`` stand. The second run happens only on
the error path and only in this debugging mode. Functions made at run time, such as
the ``update`` of an optimizer that ``at.optim.adam(lr)`` returns, keep jaxtyping's
check as it is; their arguments are checked by autotape's code inside them after
the annotations pass.
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Callable
from typing import Any

#: The modules whose annotations are checked.
CHECKED = ("autotape.ops", "autotape.losses", "autotape.optim")


def install() -> None:
    """Import :data:`CHECKED` with jaxtyping's import hook (beartype checking), then put autotape's errors first."""
    from jaxtyping import install_import_hook

    with install_import_hook(list(CHECKED), "beartype.beartype"):
        from . import losses, ops, optim  # noqa: F401
    prefer_own_errors()


def _is_checked(value: Any) -> bool:
    """Whether ``value`` is a function as jaxtyping's hook wrapped it (not yet wrapped here)."""
    code = getattr(value, "__code__", None)
    return (
        isinstance(value, types.FunctionType)
        and hasattr(value, "__wrapped__")
        and code is not None
        and "jaxtyping" in code.co_filename
    )


def own_errors_first(checked: Callable) -> Callable:
    """``checked`` (a jaxtyped function), raising the unchecked function's own error where it has one."""
    from jaxtyping import TypeCheckError

    unchecked = checked.__wrapped__  # type: ignore[attr-defined]

    @functools.wraps(unchecked)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return checked(*args, **kwargs)
        except TypeCheckError as annotation_error:
            try:
                unchecked(*args, **kwargs)
            except TypeCheckError:
                pass  # a checked function inside failed its annotations, with no error of autotape's
            except Exception as own:
                if hasattr(own, "add_note"):  # Python 3.11+
                    own.add_note(_summary(annotation_error))
                raise own from None
            raise

    call.__autotape_own_errors_first__ = True  # type: ignore[attr-defined]
    return call


def _summary(error: Exception) -> str:
    """The first lines of a jaxtyping report (what failed and why), before its dump of every parameter."""
    head = str(error).split("\n----------------------", 1)[0].strip()
    return "AUTOTAPE_TYPECHECK: the shape annotations reject these arguments too:\n  " + head.replace("\n", "\n  ")


def prefer_own_errors() -> int:
    """Wrap every checked function of autotape's modules with :func:`own_errors_first`; returns how many.

    References are replaced wherever the modules keep them at their top level: as
    module globals (``ops.tanh``, ``autotape.tanh``), and as values of module-level
    dicts and namespaces (the NumPy dispatch tables, ``PRIMITIVE_OPS``).
    """
    modules = [m for name, m in list(sys.modules.items()) if name.split(".")[0] == "autotape" and m is not None]
    wrapped: dict[int, Callable] = {}
    for module in modules:
        for value in vars(module).values():
            if _is_checked(value) and id(value) not in wrapped:
                wrapped[id(value)] = own_errors_first(value)

    def swap(value: Any) -> Any:
        return wrapped.get(id(value), value) if _is_checked(value) else value

    for module in modules:
        namespace = vars(module)
        for key, value in list(namespace.items()):
            if _is_checked(value):
                namespace[key] = swap(value)
            elif type(value) is dict:
                for k, v in list(value.items()):
                    if _is_checked(v):
                        value[k] = swap(v)
            elif type(value) is types.SimpleNamespace:
                for k, v in list(vars(value).items()):
                    if _is_checked(v):
                        setattr(value, k, swap(v))
    return len(wrapped)

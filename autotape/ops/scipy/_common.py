"""Helpers shared by the SciPy op modules (``special``, ``signal``, ``integrate``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn

from ...primitive import Primitive
from ...tracer import Traced
from ..registry import RULE_NAMESPACE

__all__ = ["on_values", "no_derivative", "no_rule", "add_rule_names"]


def on_values(prim: Primitive, function: Callable, *operands: Any, **params: Any) -> Any:
    """``function(*operands, **params)`` (SciPy's own computation) on plain values; on values
    traced on an outer tape, ``prim`` bound there, so that the outer transform records it.

    A forward rule receives values traced on outer tapes under nested transforms, and
    SciPy's non-ufunc functions convert their arguments with ``np.asarray``, which a traced
    value refuses; binding the primitive again records it one level up instead, as
    ``index_add`` does. Its residuals are then traced there too, so the rules nest.
    """
    if any(type(o) is Traced for o in operands):
        return prim.bind(*operands, **params)
    return function(*operands, **params)


def no_derivative(function: str, operand: str) -> NoReturn:
    """Raise the error of an operand autotape does not differentiate (an order, a shape parameter).

    Called by the VJP and JVP rules of that operand, so it is raised only when a
    gradient would flow to it: passing it as a plain value (or ``at.stop_gradient`` of
    it) treats it as a constant.
    """
    raise NotImplementedError(
        f"{function}: the derivative with respect to {operand} is not implemented (autotape "
        f"differentiates {function} in its other argument only). Pass {operand} as a constant, "
        f"e.g. at.stop_gradient({operand.split()[-1]}), if its gradient is not needed."
    )


def no_rule(function: str, operand: str) -> Callable:
    """A VJP/JVP rule ``rule(g, *residuals)`` raising :func:`no_derivative`'s error for ``operand``."""

    def rule(g: Any, *residuals: Any) -> NoReturn:
        no_derivative(function, operand)

    rule.__name__ = rule.__qualname__ = f"no_derivative_in_{operand.split()[-1]}"
    return rule


def add_rule_names(**names: Any) -> None:
    """Make ``names`` usable in the derivative expressions of table rows (``RULE_NAMESPACE``).

    Raises:
        ValueError: a name is already bound to something else (``i0`` is NumPy's).
    """
    for name, value in names.items():
        if RULE_NAMESPACE.get(name, value) is not value:
            raise ValueError(f"the rule name {name!r} is already bound to {RULE_NAMESPACE[name]!r}")
        RULE_NAMESPACE[name] = value


RULE_NAMESPACE.setdefault("no_derivative", no_derivative)

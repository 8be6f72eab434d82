"""Array type aliases for jaxtyping shape annotations, and the jaxtyping names themselves.

``Array`` is what autotape ops accept and return: NumPy arrays and scalars, and
traced values. Annotations are checked only when asked for (``AUTOTAPE_TYPECHECK=1``,
or jaxtyping's pytest plugin in the test suite), so they cost nothing on the hot path.

The op library imports jaxtyping's dtype classes (``Float``, ``Shaped``, ...) from
here rather than from jaxtyping. When jaxtyping is already imported as autotape
loads (which both ways of checking do first) they are jaxtyping's own. Otherwise
nothing will check the annotations, and importing jaxtyping would only cost time
(about 50 ms, much of ``import autotape``: it loads ``importlib.metadata`` and
``unittest.mock``), so they are light stand-ins that accept the same subscripts,
``Float[Array, "n d"]``, and keep them for display.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from .tracer import Traced

__all__ = ["Array", "Scalar", "Integral", "Nested", "Bool", "Float", "Integer", "Shaped"]

Array = Union[np.ndarray, np.generic, Traced]
Scalar = Union[float, int]
# An integer argument (an axis, an offset): Python's or NumPy's, which NumPy's own
# functions return (np.count_nonzero, np.argmax).
Integral = Union[int, np.integer]
# Nested Python sequences of numbers, which the ops accept wherever NumPy would.
Nested = Union[list, tuple]


class _DtypeStandIn:
    """Stands in for one of jaxtyping's dtype classes while annotations go unchecked.

    ``Float[Array, "*shape"]`` gives a :class:`_ArrayStandIn` that records the
    subscript; both can sit inside ``typing.Union``.
    """

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __getitem__(self, item: Any) -> _ArrayStandIn:
        array_type, shape = item
        return _ArrayStandIn(self.name, array_type, shape)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{self.name} is an annotation stand-in (jaxtyping was not imported); it cannot be called")

    def __repr__(self) -> str:
        return self.name


class _ArrayStandIn(_DtypeStandIn):
    __slots__ = ("array_type", "shape")

    def __init__(self, name: str, array_type: Any, shape: str):
        super().__init__(name)
        self.array_type = array_type
        self.shape = shape

    def __getitem__(self, item: Any) -> _ArrayStandIn:
        raise TypeError(f"{self!r} is already subscripted")

    def __repr__(self) -> str:
        return f"{self.name}[{self.array_type!r}, {self.shape!r}]"


if TYPE_CHECKING or "jaxtyping" in sys.modules:
    from jaxtyping import Bool, Float, Integer, Shaped
else:
    Bool = _DtypeStandIn("Bool")
    Float = _DtypeStandIn("Float")
    Integer = _DtypeStandIn("Integer")
    Shaped = _DtypeStandIn("Shaped")

"""``scipy.stats`` for code differentiated with autotape: its distributions, with the methods
autotape differentiates, and SciPy's other names.

``norm``, ``t``, ``gamma``, ... are SciPy's distributions as namespaces: ``norm.logpdf(x,
loc, scale)`` is autotape's op ``norm.logpdf`` (registered in the op registry under module
``"scipy.stats"``), with SciPy's signature, and any other attribute is SciPy's own
(``norm.rvs``, ``norm.mean``, ...), which does not see traced values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ops.scipy import require_scipy as _require_scipy

_scipy_stats = _require_scipy("scipy.stats")

from .._namespace import install as _install  # noqa: E402
from .._namespace import ops_of as _ops_of  # noqa: E402
from ..ops.scipy import stats as _definitions  # noqa: E402, F401  (registers the ops)


class _Distribution:
    """A ``scipy.stats`` distribution whose registered methods are autotape's ops; its other
    attributes are SciPy's. Read-only."""

    __slots__ = ("_name", "_methods")

    def __init__(self, name: str, methods: dict[str, Callable]):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_methods", dict(methods))

    def __getattr__(self, attribute: str) -> Any:
        method = self._methods.get(attribute)
        if method is not None:
            return method
        return getattr(getattr(_scipy_stats, self._name), attribute)

    def __setattr__(self, attribute: str, value: Any) -> None:
        raise AttributeError(f"autotape.scipy.stats.{self._name} is read-only")

    def __dir__(self) -> list[str]:
        return sorted(set(dir(getattr(_scipy_stats, self._name))) | set(self._methods))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        first = sorted(self._methods)[0]
        raise TypeError(
            f"autotape.scipy.stats.{self._name}: frozen distributions are not supported; pass the parameters to "
            f"each method instead, e.g. {self._name}.{first}(x, ...)"
        )

    def __repr__(self) -> str:
        return f"<autotape.scipy.stats.{self._name}: differentiable {', '.join(sorted(self._methods))}>"


def _distributions() -> dict[str, _Distribution]:
    """The registered methods, grouped by distribution (the name before the dot)."""
    groups: dict[str, dict[str, Callable]] = {}
    for name, function in _ops_of("scipy.stats").items():
        distribution, method = name.split(".", 1)
        groups.setdefault(distribution, {})[method] = function
    return {name: _Distribution(name, methods) for name, methods in groups.items()}


globals().update(_distributions())
_install(globals(), "scipy.stats", extras=tuple(_distributions()))

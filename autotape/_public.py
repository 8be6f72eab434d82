"""``dir()`` of autotape's public modules: their public API only.

A module's globals also hold what it imports for its own use (``np``, ``math``,
``typing`` names, ``annotations`` from ``from __future__ import annotations``), and
``dir(module)``, which tab completion and ``inspect.getmembers`` read, would list
them as if they were part of the API. A module that sets
``__dir__ = public_dir(globals(), __all__)`` lists only the names of its
``__all__``, the module's own dunder attributes (``__doc__``, ``__version__``, ...)
and the public submodules named in ``submodules`` once they are imported (PEP 562
module ``__dir__``). The other names stay importable as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def public_dir(namespace: dict, public: Iterable[str], submodules: Iterable[str] = ()) -> Callable[[], list[str]]:
    """A module-level ``__dir__`` for the module whose globals are ``namespace``.

    Args:
        namespace: the module's ``globals()``.
        public: the module's ``__all__``.
        submodules: names of public submodules, listed while they are attributes of
            the module (that is, once imported).

    Returns:
        A function of no arguments returning the sorted list of names.
    """
    names = tuple(public)
    extra = tuple(submodules)

    def __dir__() -> list[str]:
        dunders = (name for name in namespace if name.startswith("__") and name.endswith("__"))
        present = (name for name in extra if name in namespace)
        return sorted({*names, *dunders, *present})

    return __dir__

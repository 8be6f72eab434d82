"""Ops mirroring SciPy (``scipy.special``, ``scipy.stats``, ``scipy.linalg``, ``scipy.signal``,
``scipy.integrate``), in the op registry's forms.

These modules import SciPy, an optional dependency (``pip install "autotape[scipy]"``),
so ``import autotape`` never imports them. They are imported by the namespaces of
:mod:`autotape.scipy`, and ``scipy.special``'s ufuncs are registered the first time one
of them is called on a traced value (NumPy's dispatch sees them: see
``autotape.ops.dispatch_ufunc``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require_scipy"]


def require_scipy(module: str) -> ModuleType:
    """Import SciPy's ``module`` (e.g. ``"scipy.special"``), or raise ImportError naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"autotape's {module} ops need SciPy, which is an optional dependency: "
            'pip install "autotape[scipy]" (or pip install scipy)'
        ) from error

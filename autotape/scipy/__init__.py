"""SciPy's namespaces for code differentiated with autotape: ``autotape.scipy.special``,
``.stats``, ``.linalg``, ``.signal`` and ``.integrate``.

Each mirrors its SciPy module: the functions autotape differentiates (generated from the
op registry) under SciPy's names and signatures, and SciPy's other names as they are.
SciPy is an optional dependency (``pip install "autotape[scipy]"``): importing one of
these modules without it raises ImportError naming the extra, and ``import autotape``
never imports SciPy. ``scipy.special``'s functions are ufuncs, so plain
``scipy.special.gammaln(x)`` on a traced value is differentiated too; the functions of
``scipy.stats``, ``scipy.linalg``, ``scipy.signal`` and ``scipy.integrate`` convert their
arguments with ``np.asarray``, which NumPy's dispatch cannot see, so use these
namespaces for them.
"""

import importlib as _importlib

_SUBMODULES = ("special", "stats", "linalg", "signal", "integrate")


def __getattr__(name: str):
    """``autotape.scipy.stats`` and the others after ``import autotape.scipy``, imported on
    first use (as ``import scipy; scipy.stats`` works), so SciPy loads only when asked for."""
    if name in _SUBMODULES:
        return _importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'autotape.scipy' has no attribute {name!r}; its modules are {', '.join(_SUBMODULES)}")


def __dir__() -> list:
    return sorted([*globals(), *_SUBMODULES])

"""``numpy.linalg`` for code differentiated with autotape: the ops registered for it, and NumPy's other names."""

from __future__ import annotations

from .. import ops as _ops  # noqa: F401  (registers the op library)
from .._namespace import install as _install

_install(globals(), "numpy.linalg")

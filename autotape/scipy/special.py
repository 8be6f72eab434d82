"""``scipy.special`` for code differentiated with autotape: the ops registered for it, and SciPy's other names."""

from __future__ import annotations

from ..ops.scipy import require_scipy as _require_scipy

_require_scipy("scipy.special")

from .._namespace import install as _install  # noqa: E402
from ..ops.scipy import special as _definitions  # noqa: E402, F401  (registers the ops)

_install(globals(), "scipy.special")

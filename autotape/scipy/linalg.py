"""``scipy.linalg`` for code differentiated with autotape: the ops registered for it, and SciPy's other names."""

from __future__ import annotations

from ..ops.scipy import require_scipy as _require_scipy

_require_scipy("scipy.linalg")

from .._namespace import install as _install  # noqa: E402
from ..ops.scipy import linalg as _definitions  # noqa: E402  (registers the ops)

# cho_factor and cho_solve take or return SciPy's (c, lower) pair, so they are plain
# functions of the ops (cholesky, solve_triangular) rather than registered ops.
cho_factor = _definitions.cho_factor
cho_solve = _definitions.cho_solve

_install(globals(), "scipy.linalg", extras=("cho_factor", "cho_solve"))

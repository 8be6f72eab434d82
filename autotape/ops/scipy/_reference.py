"""The test specs' references for ops whose SciPy function computes float32 in float64."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["keeping_float32"]


def keeping_float32(function: Callable) -> Callable:
    """SciPy's ``function`` with its result cast to the dtype the autotape op gives: NumPy's
    promotion of the array operands with a Python float, so float32 operands give float32
    where SciPy promotes them to float64 (``scipy.stats``, ``scipy.linalg.det``)."""

    def reference(*args: Any, **params: Any) -> Any:
        out = np.asarray(function(*args, **params))
        arrays = [a for a in (*args, *params.values()) if isinstance(a, (np.ndarray, np.generic))]
        dtype = np.result_type(*arrays, 0j if out.dtype.kind == "c" else 0.0)
        return out.astype(dtype)[()]

    reference.__name__ = getattr(function, "__name__", "reference")
    return reference

"""NumPy's namespace for code differentiated with autotape: ``import autotape.numpy as anp``.

Every NumPy function autotape differentiates is here under NumPy's name and with
NumPy's signature (generated from the op registry, so this module lists none of
them), and every other NumPy name (``anp.pi``, ``anp.float32``, ``anp.newaxis``) is
NumPy's own. Plain ``import numpy as np`` code differentiates too, through NumPy's
dispatch; this namespace adds what NumPy's protocols cannot route:

- ``anp.array([x, 2 * x])`` and ``anp.asarray`` of nested lists mixing traced values
  and numbers (NumPy's constructors cannot see traced values inside a list);
- ``anp.mean([x, y])``, ``anp.std``, ``anp.var`` and every other op given a list of
  traced values;
- ``anp.r_[...]`` and ``anp.c_[...]`` with traced pieces.

Submodules: :mod:`autotape.numpy.linalg`, :mod:`autotape.numpy.fft`.
"""

from __future__ import annotations

from typing import Any

import numpy as _np

from .. import ops as _ops  # noqa: F401  (registers the op library)
from .._namespace import install as _install
from ..tracer import Traced as _Traced
from ..tracer import primal as _primal


class _Concatenator:
    """``r_[...]``/``c_[...]``: NumPy's index-expression concatenation, with traced pieces.

    Pieces are arrays, traced values, numbers and slices (``r_[0:3]`` is ``arange(3)``).
    Without traced pieces this is NumPy's own ``r_``/``c_``; with them, string directives
    (``r_['0,2', ...]``) are not supported and raise TypeError.
    """

    def __init__(self, numpy_concatenator: Any, columns: bool):
        self._numpy = numpy_concatenator
        self._columns = columns

    def __getitem__(self, key: Any) -> Any:
        pieces = key if isinstance(key, tuple) else (key,)
        if not any(type(p) is _Traced for p in pieces):
            return self._numpy[key]
        if any(isinstance(p, str) for p in pieces):
            raise TypeError("r_/c_ with traced pieces: string directives are not supported; use anp.concatenate")
        arrays = [_np.r_[p] if isinstance(p, slice) else p for p in pieces]
        if self._columns:
            arrays = [_column(a) for a in arrays]
            return _ops.concatenate(arrays, axis=-1)
        return _ops.concatenate([_ops.reshape(a, (-1,)) if _np.ndim(_primal(a)) == 0 else a for a in arrays], axis=0)

    def __len__(self) -> int:
        return 0


def _column(a: Any) -> Any:
    """c_'s rule for a piece: a 1-D (or 0-d) piece becomes a column; higher ones are kept."""
    ndim = _np.ndim(_primal(a))
    if ndim <= 1:
        return _ops.reshape(a, (-1, 1))
    return a


r_ = _Concatenator(_np.r_, columns=False)
c_ = _Concatenator(_np.c_, columns=True)

_install(globals(), "numpy", extras=("r_", "c_"), submodules=("linalg", "fft"))

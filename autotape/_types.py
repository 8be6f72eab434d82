"""Array type aliases for jaxtyping shape annotations.

``Array`` is what autotape ops accept and return: NumPy arrays and scalars, and
traced values. Annotations are checked only when asked for (see
``autotape.typecheck``), so they cost nothing on the hot path.
"""

from __future__ import annotations

from typing import Union

import numpy as np

from .tracer import Traced

Array = Union[np.ndarray, np.generic, Traced]
Scalar = Union[float, int]
# Nested Python sequences of numbers, which the ops accept wherever NumPy would.
Nested = Union[list, tuple]

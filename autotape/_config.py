"""Process-wide switches of the engine: source recording and NaN checking.

Both are off by default, so that recording an entry costs only what it must.
"""

from __future__ import annotations

import contextlib

import numpy as np

record_source = False
debug_nans = False
debug_infs = False


@contextlib.contextmanager
def recording_source():
    """Record the user's source line in every tape entry while the block runs."""
    global record_source
    previous, record_source = record_source, True
    try:
        yield
    finally:
        record_source = previous


def check_finite(op_name: str, value, source, input_shapes, phase: str = "forward") -> None:
    """Raise FloatingPointError if ``value`` holds NaN (or Inf when ``debug_infs``)."""
    raw = value
    while hasattr(raw, "tape"):
        raw = raw.value
    raw = np.asarray(raw)
    if raw.dtype.kind not in "fc":
        return
    bad = np.isnan(raw).any() or (debug_infs and np.isinf(raw).any())
    if bad:
        where = "?" if source is None else f"{source[0].co_filename}:{source[1]}"
        kind = "NaN" if np.isnan(raw).any() else "Inf"
        shapes = ", ".join("const" if s is None else str(s) for s in input_shapes)
        raise FloatingPointError(
            f"debug_nans: {op_name} produced {kind} in the {phase} pass (input shapes: {shapes}; "
            f"output shape {raw.shape}) at {where}. Check that op's inputs there, e.g. log of a "
            "non-positive number or a division by zero."
        )


class debug_nans_mode:
    """Raise FloatingPointError at the first primitive whose output holds NaN.

    Use as a context manager (``with at.debug_nans(): ...``) or as a global switch
    (``at.debug_nans.enable()`` / ``.disable()``). With ``infs=True`` infinities
    are errors too. While on, entries also record the user's source line, which the
    error names. Off by default, and then free.
    """

    def __init__(self, infs: bool = False):
        self.infs = infs
        self._saved: tuple = ()

    def __enter__(self):
        global debug_nans, debug_infs, record_source
        self._saved = (debug_nans, debug_infs, record_source)
        debug_nans, debug_infs, record_source = True, self.infs, True
        return self

    def __exit__(self, *exc):
        global debug_nans, debug_infs, record_source
        debug_nans, debug_infs, record_source = self._saved
        return False

    @staticmethod
    def enable(infs: bool = False) -> None:
        global debug_nans, debug_infs, record_source
        debug_nans, debug_infs, record_source = True, infs, True

    @staticmethod
    def disable() -> None:
        global debug_nans, debug_infs, record_source
        debug_nans, debug_infs, record_source = False, False, False

"""Switches of the engine: source recording and NaN/Inf checking.

The switches live in a context variable, so a ``with`` block in one thread or
asyncio task never changes another; :meth:`debug_nans.enable` sets the process-wide
default that contexts without a block of their own follow. Everything is off by
default, so that recording an entry costs only what it must.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from typing import NamedTuple

import numpy as np


class Switches(NamedTuple):
    record_source: bool = False
    check_nans: bool = False
    check_infs: bool = False
    # While at.jit records: every primitive call appends through Primitive._append, which
    # hands the jit tape its operands (autotape/jit.py).
    jit: bool = False


OFF = Switches()
default = OFF  # the process-wide setting, for contexts that set none of their own
# True while checks may be on anywhere (the default is on, or some block is open), so that
# untraced calls can skip looking at their context in the common case.
maybe_checking = False
# True while any tape is open in any thread, or checks may be on: the op library's fast
# path (a plain NumPy call) is taken only when it is False, one attribute read.
busy = False
_open_tapes = 0
_open_blocks = 0
# How many at.jit recordings run, in any thread: the few places that must look for values
# it records outside traced operands (parameters of untraced calls) read this first.
jit_recording = 0
_blocks_lock = threading.Lock()
_context: contextvars.ContextVar[Switches | None] = contextvars.ContextVar("autotape_switches", default=None)


def current() -> Switches:
    """The switches in force in this thread or task."""
    return _context.get() or default


# For the hot path: ``context_switches() or default`` is current() without a Python call.
context_switches = _context.get


@contextlib.contextmanager
def switched(**changes: bool):
    """Change some switches for the duration of a block, in this context only."""
    token = _context.set(current()._replace(**changes))
    try:
        yield
    finally:
        _context.reset(token)


def check_finite(op_name: str, value, source, input_shapes, phase: str = "forward", infs: bool = False) -> None:
    """Raise FloatingPointError if ``value`` holds NaN (or Inf, with ``infs``)."""
    raw = value
    while hasattr(raw, "tape"):
        raw = raw.value
    raw = np.asarray(raw)
    if raw.dtype.kind not in "fc":
        return
    has_nan = bool(np.isnan(raw).any())
    if has_nan or (infs and np.isinf(raw).any()):
        where = "?" if source is None else f"{source[0].co_filename}:{source[1]}"
        shapes = ", ".join("const" if s is None else str(s) for s in input_shapes)
        raise FloatingPointError(
            f"debug_nans: {op_name} produced {'NaN' if has_nan else 'Inf'} in the {phase} pass "
            f"(input shapes: {shapes}; output shape {raw.shape}) at {where}. Check that op's "
            "inputs there, e.g. log of a non-positive number or a division by zero."
        )


class debug_nans:
    """Raise FloatingPointError at the first primitive whose output holds NaN.

    The check covers every primitive call, inside transforms (forward and reverse
    walk) and outside them. The error names the primitive, its input shapes and the
    user's source line (recorded while the check is on). With ``infs=True``
    infinities are errors too. Off by default, and then free.

    Use as a context manager, which affects only the current thread or asyncio
    task::

        with at.debug_nans():
            at.grad(loss)(params)

    or as a process-wide switch: ``at.debug_nans.enable()`` / ``at.debug_nans.disable()``.
    """

    def __init__(self, infs: bool = False):
        self.infs = infs
        self._tokens: list = []

    def __enter__(self) -> debug_nans:
        switches = Switches(record_source=True, check_nans=True, check_infs=self.infs)
        self._tokens.append(_context.set(switches))
        _count_block(+1)
        return self

    def __exit__(self, *exc: object) -> None:
        _context.reset(self._tokens.pop())
        _count_block(-1)

    @staticmethod
    def enable(infs: bool = False) -> None:
        """Turn the check on for every thread and task that has no block of its own."""
        global default
        default = Switches(record_source=True, check_nans=True, check_infs=infs)
        _count_block(0)

    @staticmethod
    def disable() -> None:
        """Turn the process-wide check off again."""
        global default
        default = OFF
        _count_block(0)


def checking() -> bool:
    """Whether NaN checks are on here: then even untraced calls go through their primitive."""
    return maybe_checking and (_context.get() or default).check_nans


def _count_block(change: int) -> None:
    global _open_blocks, maybe_checking, busy
    with _blocks_lock:
        _open_blocks += change
        maybe_checking = default.check_nans or _open_blocks > 0
        busy = maybe_checking or _open_tapes > 0


def count_tape(change: int) -> None:
    """A tape was opened (+1) or closed (-1) in some thread: keeps :data:`busy` up to date."""
    global _open_tapes, busy
    with _blocks_lock:
        _open_tapes += change
        busy = maybe_checking or _open_tapes > 0


def count_jit_recording(change: int) -> None:
    """An at.jit recording started (+1) or ended (-1) in some thread."""
    global jit_recording
    with _blocks_lock:
        jit_recording += change

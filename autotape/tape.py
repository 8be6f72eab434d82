"""The engine: tape entries, the context-local stack of active tapes, the reverse walk.

A tape is a Wengert list. Each call of a primitive on traced values appends one
immutable :class:`Entry`; a transform then walks the entries in reverse, calling
each primitive's VJP rules and summing the cotangents into the entry's inputs.

Nothing here knows any particular op: the walk only calls ``entry.primitive.vjps``
and, for broadcasting, ``numpy.sum`` and ``reshape`` (which dispatch to the op
library when the cotangents are themselves traced, at higher order).
"""

from __future__ import annotations

import contextvars
import os
import sys
import types
from typing import Any, NamedTuple

import numpy as np

from . import _config

__all__ = ["Entry", "Tape", "ForwardRecords", "active_tapes", "backward", "identity_vjp", "sum_to_shape"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_CHECKER_MARKS = (f"{os.sep}jaxtyping{os.sep}", f"{os.sep}beartype{os.sep}", "<@beartype")


class Entry(NamedTuple):
    """One recorded primitive call; immutable (a tuple), so the tape is append-only.

    Attributes:
        primitive: the :class:`~autotape.primitive.Primitive` that was called.
        inputs: for each positional argument, the node id of a value traced on this
            tape, or ``None`` for a constant (data, labels, Python scalars,
            values traced only on outer tapes).
        input_shapes: the shape of each traced input (``None`` for constants); the
            walk sums each cotangent back to it.
        output: the node id of the result.
        output_shape: shape of the result.
        output_dtype: dtype of the result.
        residuals: what the primitive's forward rule kept for its VJP rules.
        params: the static keyword parameters (``axis``, ``shape``, ...).
        source: ``(code object, line number)`` of the user's call, or ``None``
            when source recording is off (see :func:`autotape.trace`).
    """

    primitive: Any
    inputs: tuple
    input_shapes: tuple
    output: int
    output_shape: tuple
    output_dtype: Any
    residuals: tuple
    params: dict
    source: tuple | None

    def location(self) -> str:
        """``file:line`` of the user's call that recorded this entry, or ``"?"``."""
        if self.source is None:
            return "?"
        code, line = self.source
        return f"{code.co_filename}:{line}"


class Tape:
    """An append-only list of :class:`Entry` plus the node bookkeeping of one transform.

    Node ids number every value traced on this tape: the transform's inputs first,
    then one output per entry. ``level`` is the tape's depth in the active-tape
    stack: values traced on a deeper tape wrap values of shallower ones, which is
    how nested transforms tell their perturbations apart.
    """

    __slots__ = (
        "level",
        "origin",
        "records",
        "input_nodes",
        "input_labels",
        "num_nodes",
        "active",
        "whole_arguments",
        "__weakref__",
    )

    #: True on at.jit's recording tape (a :class:`JitTape`): primal() stops at its values.
    jit = False

    def __init__(self, level: int, transform: str = "a transform", fun: Any = None, forward: bool = False):
        self.level = level
        self.origin = (transform, fun)
        # The entries as plain tuples in Entry's field order: cheaper to build on the
        # hot path than Entry itself; ``entries`` gives the named view. A forward-mode
        # tape keeps no entries: its records turn each one into a tangent at once.
        self.records: Any = ForwardRecords() if forward else []
        self.input_nodes: list[int] = []
        self.input_labels: list[str] = []
        self.num_nodes = 0
        self.active = False
        # Nodes of inputs that are a whole positional argument of the traced function: the
        # transform's argument tuple holds one reference to each (see Traced's in-place
        # operators, which tell that reference from an alias).
        self.whole_arguments: frozenset = frozenset()

    def describe_origin(self) -> str:
        """Which transform of which function opened this tape, e.g. ``grad of loss (model.py:12)``."""
        transform, fun = self.origin
        if fun is None:
            return transform
        name = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)
        code = getattr(fun, "__code__", None)
        where = f" ({code.co_filename}:{code.co_firstlineno})" if code is not None else ""
        return f"{transform} of {name}{where}"

    def new_inputs(self, count: int) -> range:
        """Node ids for ``count`` new inputs of the transform (numbered after every node so far)."""
        nodes = range(self.num_nodes, self.num_nodes + count)
        self.num_nodes = nodes.stop
        self.input_nodes.extend(nodes)
        return nodes

    @property
    def entries(self) -> list[Entry]:
        """The recorded entries, oldest first (a new list of :class:`Entry` on each access)."""
        return [Entry._make(record) for record in self.records]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self):
        return iter(self.entries)

    def __getitem__(self, i: int) -> Entry:
        return Entry._make(self.records[i])

    def __str__(self) -> str:
        names = {node: f"%{node}" for node in range(self.num_nodes)}
        lines = [f"Tape(level={self.level}, inputs={len(self.input_nodes)}, entries={len(self.records)})"]
        labels = self.input_labels or [""] * len(self.input_nodes)
        for node, label in zip(self.input_nodes, labels):
            lines.append(f"  %{node} = input {label}".rstrip())
        for entry in self.entries:
            args = ", ".join("const" if node is None else names[node] for node in entry.inputs)
            params = "".join(f", {k}={v!r}" for k, v in entry.params.items())
            dtype = np.dtype(entry.output_dtype).name
            shape = _shape_text(entry.output_shape)
            lines.append(
                f"  %{entry.output} = {entry.primitive.name}({args}{params})"
                f"  -> {dtype}[{shape}]  at {entry.location()}"
            )
        return "\n".join(lines)

    __repr__ = __str__

    def to_dot(self) -> str:
        """The tape as Graphviz DOT text: one node per input and entry, edges labelled with shapes.

        Render it with the ``graphviz`` package (``graphviz.Source(tape.to_dot())``) or
        the ``dot`` command. Constant operands are not drawn.
        """
        labels = self.input_labels or [f"input {node}" for node in self.input_nodes]
        lines = [
            "digraph tape {",
            "  rankdir=LR;",
            '  node [fontname="Helvetica", fontsize=10];',
            '  edge [fontname="Helvetica", fontsize=9];',
        ]
        for node, label in zip(self.input_nodes, labels):
            lines.append(f'  n{node} [label="{_dot_escape(label)}", shape=ellipse];')
        for entry in self.entries:
            lines.append(f'  n{entry.output} [label="{_dot_escape(entry.primitive.name)}", shape=box];')
            for node, shape in zip(entry.inputs, entry.input_shapes):
                if node is not None:
                    lines.append(f'  n{node} -> n{entry.output} [label="{_shape_text(shape)}"];')
        lines.append("}")
        return "\n".join(lines)


def _shape_text(shape: tuple) -> str:
    return "x".join(map(str, shape)) or "scalar"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


# The active tapes of this thread or asyncio task, innermost last. A tuple, so that a
# context copied into a new task cannot be changed from the old one.
_active: contextvars.ContextVar[tuple[Tape, ...]] = contextvars.ContextVar("autotape_active_tapes", default=())
active_tapes = _active.get


def push_tape(transform: str, fun: Any = None, forward: bool = False) -> tuple[Tape, contextvars.Token]:
    """Open a new tape one level above the innermost active one.

    ``transform`` and ``fun`` say which transform of which function opened it, for
    error messages. A ``forward`` tape computes tangents as primitives run (forward
    mode) instead of keeping entries for a reverse walk.
    """
    stack = _active.get()
    tape = Tape(len(stack), transform, fun, forward)
    tape.active = True
    _config.count_tape(+1)
    return tape, _active.set(stack + (tape,))


class JitTape(Tape):
    """The outermost tape of an at.jit recording (level 0); its records keep every call's operands."""

    __slots__ = ()
    jit = True


def push_jit_tape(fun: Any, records: Any) -> tuple[Tape, contextvars.Token]:
    """Open at.jit's recording tape, with ``records`` (``autotape.jit.JitRecords``), below any other."""
    stack = _active.get()
    tape = JitTape(len(stack), "jit", fun)
    tape.records = records
    tape.active = True
    _config.count_tape(+1)
    return tape, _active.set(stack + (tape,))


def pop_tape(tape: Tape, token: contextvars.Token) -> None:
    """Close ``tape``: values traced on it become escaped tracers from now on."""
    tape.active = False
    _active.reset(token)
    _config.count_tape(-1)


def _is_library_frame(filename: str) -> bool:
    # This package, and the wrappers that run-time type checking puts around its functions.
    found = _LIBRARY_FILES.get(filename)
    if found is None:
        found = _LIBRARY_FILES[filename] = filename.startswith(_PACKAGE_DIR) or any(
            mark in filename for mark in _CHECKER_MARKS
        )
    return found


_LIBRARY_FILES: dict[str, bool] = {}  # filename -> whether it is a library frame (source recording)


def user_source() -> tuple | None:
    """(code, line) of the innermost frame outside this package, without keeping the frame."""
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None and _is_library_frame(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return None
    return frame.f_code, frame.f_lineno


def sum_to_shape(cotangent, shape: tuple):
    """Sum a broadcast cotangent back to the shape of the input it belongs to.

    This is the adjoint of NumPy broadcasting (NumPy user guide, "Broadcasting"):
    leading axes that broadcasting added are summed away, and axes where the input
    had length 1 are summed with ``keepdims``.
    """
    cshape = np.shape(cotangent)
    if cshape == shape:
        return cotangent
    lead = len(cshape) - len(shape)
    if lead < 0 or any(n != 1 and n != c for n, c in zip(shape, cshape[lead:])):
        raise ValueError(f"a cotangent of shape {cshape} cannot be summed to an input of shape {shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and cshape[lead + i] != 1)
    if axes:
        cotangent = np.sum(cotangent, axis=axes, keepdims=True)
    if lead or np.shape(cotangent) != shape:
        cotangent = np.reshape(cotangent, shape)
    return cotangent


def identity_vjp(g, *residuals):
    """The VJP rule of an operand whose derivative is 1 (``x`` and ``y`` in ``x + y``).

    Args:
        g: the output's cotangent, any shape and dtype.
        residuals: ignored.
    Returns:
        ``g`` itself. The reverse walk recognizes this rule and passes the cotangent on
        without calling it (summing it back to the operand's shape after broadcasting).
    """
    return g


def backward(tape: Tape, seeds: dict, consume: bool) -> list:
    """Walk ``tape`` in reverse from the cotangents in ``seeds`` (node id -> cotangent).

    Returns the cotangent of every node, indexed by node id: ``None`` where no path
    leads from the seeds (after the walk only the tape's input nodes can hold one).
    Cotangents of one node are summed, never overwritten. Entries whose output
    has no cotangent, and inputs that are constants, cost no VJP work. With
    ``consume`` each entry is dropped as the walk passes it, so its residuals and
    cotangents are freed as early as possible; the tape is empty afterwards.
    """
    cotangents: list = [None] * tape.num_nodes
    for node, seed in seeds.items():
        cotangents[node] = seed
    entries: list[Any] = tape.records
    switches = _config.current()
    check_nans = switches.check_nans
    for k in range(len(entries) - 1, -1, -1):
        primitive, inputs, shapes, output, output_shape, _, residuals, _, source = entries[k]
        if consume:
            entries[k] = None
        g = cotangents[output]
        if g is None:
            continue
        cotangents[output] = None
        rules = primitive.vjps
        for i, node in enumerate(inputs):
            if node is None:
                continue
            rule = rules[i]
            if rule is None:
                continue
            if rule is identity_vjp:  # g itself, which has the output's shape
                contribution = g
                if shapes[i] != output_shape:
                    contribution = _fit_cotangent(primitive, g, shapes[i])
            else:
                try:
                    contribution = rule(g, *residuals)
                except TypeError as error:
                    raise _rule_call_error(primitive, i, residuals, error) from error
                try:
                    fits = contribution.shape == shapes[i]
                except AttributeError:  # a Python scalar
                    fits = False
                if not fits:
                    contribution = _fit_cotangent(primitive, contribution, shapes[i])
            if check_nans:
                _config.check_finite(primitive.name, contribution, source, shapes, "reverse", switches.check_infs)
            previous = cotangents[node]
            cotangents[node] = contribution if previous is None else previous + contribution
    if consume:
        entries.clear()
    return cotangents


def _rule_call_error(primitive, index: int, residuals: Any, error: TypeError) -> TypeError:
    """A TypeError from calling a VJP rule, told again with the primitive and the calling convention."""
    if type(residuals) is not tuple:
        why = f"its forward rule returned residuals of type {type(residuals).__name__}, not a tuple"
    else:
        why = f"it was called as rule(g, *residuals) with the {len(residuals)} residual(s) its forward rule returned"
    return TypeError(f"VJP rule {index} of primitive {primitive.name!r} raised TypeError ({error}); {why}")


def _fit_cotangent(primitive, contribution, shape: tuple):
    """A VJP rule's result summed back to its operand's shape; ValueError naming the rule if it cannot be."""
    if not hasattr(contribution, "shape"):
        contribution = np.asarray(contribution)
    try:
        return sum_to_shape(contribution, shape)
    except ValueError:
        pass
    try:  # a cotangent constant along the operand's axes of length 1 in it (an empty axis too)
        spread = np.broadcast_to(contribution, shape)
        return spread.copy() if type(spread) is np.ndarray else spread  # a gradient the user may write
    except ValueError:
        raise ValueError(
            f"the VJP rule of primitive {primitive.name!r} returned a cotangent of shape "
            f"{np.shape(contribution)} for an operand of shape {shape}; a VJP rule must return "
            "the operand's shape or a shape that broadcasts to it"
        ) from None


class ForwardRecords:
    """The records of a forward-mode tape: every appended entry becomes its output's tangent at once.

    ``tangents[node]`` is the tangent of each node traced on the tape (``None`` for a
    zero tangent); the transform sets those of its inputs. When a primitive records
    an entry, the output's tangent is the sum over the operands of
    ``jvp_i(t_i, *residuals)``, broadcast to the output's shape (a linear primitive
    is applied to its operand's tangent instead). The entry itself is not kept, so
    forward mode holds no tape in memory. JVP rules dispatch like VJP rules, so the
    tangent work is itself recorded by enclosing transforms.
    """

    __slots__ = ("tangents",)

    def __init__(self) -> None:
        self.tangents: list = []

    def __len__(self) -> int:
        return 0

    def __iter__(self):
        return iter(())

    def clear(self) -> None:
        pass

    def append(self, record: tuple) -> None:
        primitive, inputs, _, node, out_shape, out_dtype, residuals, params, _ = record
        tangents = self.tangents
        total = None
        if primitive.linear:
            tangent = tangents[inputs[0]]
            if tangent is not None:
                total = primitive.bind(tangent, **params)
        elif primitive.joint_jvp is not None:
            given = [None if node is None else tangents[node] for node in inputs]
            if any(t is not None for t in given):
                total = primitive.joint_jvp(given, *residuals)
        else:
            rules = primitive.jvps
            for i, input_node in enumerate(inputs):
                if input_node is None:
                    continue
                tangent = tangents[input_node]
                if tangent is None:
                    continue
                if not rules:
                    raise NotImplementedError(
                        f"primitive {primitive.name!r} has no JVP rules, so forward mode (jvp) cannot "
                        f"differentiate it; define them with {primitive.name}.defjvp(...), one per operand"
                    )
                rule = rules[i]
                if rule is None:
                    continue
                contribution = rule(tangent, *residuals)
                total = contribution if total is None else total + contribution
        if total is not None:
            shape = total.shape if hasattr(total, "shape") else np.shape(total)
            if shape != out_shape:
                total = np.broadcast_to(total, out_shape)
            if total.dtype != out_dtype:
                if total.dtype.kind == "c" and out_dtype.kind != "c":
                    total = np.real(total)  # a real output's tangent is real (see "Complex numbers")
                if total.dtype != out_dtype and out_dtype.kind in "fc":
                    # The primal's dtype (a float32 rule beside a float64-only SciPy loop, say).
                    total = total.astype(out_dtype)
        if len(tangents) < node:
            tangents.extend([None] * (node - len(tangents)))
        tangents.append(total)

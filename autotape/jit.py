"""``at.jit``: record a function's primitive calls once, replay them as straight-line NumPy.

The first call of a jitted function for a given signature (the pytree structure of its
arguments, every array leaf's shape, dtype and strides, and the values of static
arguments) runs the function eagerly on an outermost *recording* tape (level 0), on
which every array leaf of the arguments is traced. Every primitive call that touches a
value derived from the arguments lands there as one step with its operands, including
the calls made inside ``grad``, ``vjp``, ``jvp`` and the optimizers' updates (their
tapes sit at higher levels, and their arithmetic on level-0 values is recorded at level
0). The steps are compiled once into a Python function that calls each primitive's plain
NumPy implementation on local variables; later calls with the same signature run that
function and not ``fun``'s Python code.

What would otherwise leave the recording is kept on it:

* ``primal(x)`` strips transforms down to the recording level only, so masks and
  shifts computed in VJP rules (``x > 0``, ``max(x)``) are recorded steps.
* Functions without a derivative (comparisons, ``argmax``, ``floor``) and NumPy
  functions autotape has no rule for are recorded as steps on level-0 values.
* Arrays that library code takes out of a traced value unchanged (an index array, the
  labels of a loss) are recognised by identity and replayed from their step.
* ``bool()``, ``int()``, ``float()``, ``.item()``, ``operator.index``, formatting and
  conversion to a NumPy array of a recorded value return the concrete value and record
  a *guard*: the replay checks that it would have taken the same decision, and records
  again (a new variant) when it would not. A guard never lets a replay take a branch the
  eager function would not take.

See ``docs/jit.md`` for what is recorded, what is baked in, the guards and the cache.
"""

from __future__ import annotations

import collections
import ctypes
import functools
import math
import operator
import os
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from . import _config, tracer
from .tape import active_tapes, pop_tape, push_jit_tape, user_source
from .tracer import Traced

__all__ = ["jit", "JitError", "JitMismatchError", "CacheInfo"]

#: After this many recordings of one jitted function a RetraceWarning-style warning names what changed.
RETRACE_WARNING_AFTER = 8
#: Recorded variants (different guard outcomes) kept per signature.
VARIANTS_PER_SIGNATURE = 8


class JitError(RuntimeError):
    """A function cannot be recorded by :func:`jit` (a random draw inside it, a traced value kept outside)."""


class JitMismatchError(AssertionError):
    """``jit(..., check=True)``: a replay differed from the eager run of the same call."""


class CacheInfo(NamedTuple):
    """Statistics of a jitted function's cache of recordings, in ``functools.lru_cache``'s shape."""

    hits: int
    misses: int
    maxsize: int
    currsize: int


# --------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------


class _Ref:
    """A reference to a recorded value (a slot) inside an operand or parameter template."""

    __slots__ = ("node",)

    def __init__(self, node: int):
        self.node = node

    def __repr__(self) -> str:
        return f"%{self.node}"


class _Call:
    """One recorded step: ``out = fn(*args, **kwargs)`` with :class:`_Ref` slots in the templates."""

    __slots__ = ("fn", "args", "kwargs", "out", "source", "name", "check_shape")

    def __init__(self, fn, args, kwargs, out, source, name, check_shape=None):
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.out = out
        self.source = source
        self.name = name
        self.check_shape = check_shape  # the recorded shape, for results whose shape depends on values


class _Guard:
    """A decision taken on a recorded value: replayed as a check, re-recording on a change."""

    __slots__ = ("kind", "node", "expected", "spec", "source")

    def __init__(self, kind: str, node: int, expected: Any, spec: Any, source):
        self.kind = kind
        self.node = node
        self.expected = expected
        self.spec = spec
        self.source = source

    def describe(self) -> str:
        return f"{_GUARD_TEXT[self.kind]} at {_where(self.source)}"


_GUARD_TEXT = {
    "bool": "bool() of a recorded value",
    "int": "int() of a recorded value",
    "index": "a recorded value used as an index (operator.index)",
    "float": "float() of a recorded value",
    "complex": "complex() of a recorded value",
    "item": ".item() of a recorded value",
    "tolist": ".tolist() of a recorded value",
    "format": "formatting a recorded value",
    "array": "a recorded value converted to a NumPy array",
    "value": "a non-array result of a recorded NumPy call",
}


def _where(source) -> str:
    if source is None:
        return "?"
    code, line = source
    return f"{code.co_filename}:{line}"


class JitRecords:
    """The records of the recording tape: each primitive call is kept with its operands.

    The engine appends through :meth:`append_call` (the recording switch makes every
    ``bind`` take that path); :meth:`call` records NumPy calls autotape has no primitive
    for, and :meth:`guard` the decisions taken on recorded values.
    """

    __slots__ = ("tape", "steps", "values", "ids", "guards")

    def __init__(self) -> None:
        self.tape: Any = None
        self.steps: list = []
        self.values: dict[int, Any] = {}  # node -> value at recording (kept alive: ids stay valid)
        self.ids: dict[int, int] = {}  # id(array) -> node, for arrays taken out of traced values unchanged
        self.guards = 0

    # The Tape protocol: a recording tape is never walked in reverse.
    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self):
        return iter(())

    def clear(self) -> None:
        pass

    def append(self, record: tuple) -> None:
        raise JitError(
            f"jit: primitive {record[0].name!r} was recorded on the jit tape without the recording switch "
            "(a traced value of the jitted function was used from another context); pass values in as arguments"
        )

    # -- values ------------------------------------------------------------------------
    def bind_value(self, node: int, value: Any, constants: Any = ()) -> None:
        self.values[node] = value
        if type(value) is np.ndarray or isinstance(value, np.generic):
            # A call that returned one of its constant operands (np.asarray(c)) must not make
            # that constant look like a recorded value later.
            if not _among_constants(value, constants):
                self.ids.setdefault(id(value), node)

    def template(self, obj: Any) -> Any:
        """``obj`` with every recorded value (traced, or taken out of a traced value unchanged) made a slot."""
        kind = type(obj)
        if kind is Traced:
            if obj.tape is self.tape:
                return _Ref(obj.node)
            raise JitError(
                "jit: a value traced by an inner transform reached a NumPy call recorded at the jit level; "
                "this is a bug of the op's rule (report it)"
            )
        if kind is np.ndarray or isinstance(obj, np.generic):
            node = self.ids.get(id(obj))
            if node is not None and self.values[node] is obj:
                return _Ref(node)
            return obj
        if kind is tuple or kind is list:
            items = [self.template(o) for o in obj]
            return items if kind is list else tuple(items)
        if kind is dict:
            return {k: self.template(v) for k, v in obj.items()}
        if kind is slice:
            return slice(self.template(obj.start), self.template(obj.stop), self.template(obj.step))
        return obj

    # -- steps -------------------------------------------------------------------------
    def append_call(self, prim: Any, inputs: tuple, args: Sequence, params: dict, out: Any, node: int) -> Any:
        """Record ``prim``'s call (its output already computed, node ``node``) with its operands."""
        operands = []
        for n, arg in zip(inputs, args):
            if n is not None:
                operands.append(_Ref(n))
            else:
                if type(arg) in (list, tuple):
                    arg = np.asarray(arg)
                operands.append(self.template(arg))
        kwargs = self.template(params) if params else {}
        source = _user_source()
        # Parameters taken from recorded values (an index array) may decide the result's shape.
        check_shape = np.shape(out) if any(_refs(kwargs)) else None
        self.steps.append(_Call(prim.impl, tuple(operands), kwargs, node, source, prim.name, check_shape))
        self.bind_value(node, out, (operands, kwargs))
        return source

    def call(self, fn: Callable, name: str, args: tuple, kwargs: dict, check_shape: bool) -> Any:
        """Run NumPy's ``fn`` on the concrete values and record it; array results come back traced."""
        out = fn(*_concrete_tree(args), **_concrete_tree(kwargs))
        source = _user_source()
        arg_template, kw_template = self.template(args), self.template(kwargs)
        return self._wrap_result(fn, name, arg_template, kw_template, out, source, check_shape)

    def _wrap_result(self, fn, name, args, kwargs, out, source, check_shape) -> Any:
        tape = self.tape
        if type(out) is np.ndarray or isinstance(out, np.generic):
            node = tape.num_nodes
            tape.num_nodes = node + 1
            self.steps.append(_Call(fn, args, kwargs, node, source, name, np.shape(out) if check_shape else None))
            self.bind_value(node, out, (args, kwargs))
            return Traced(out, tape, node)
        if (
            isinstance(out, (tuple, list))
            and out
            and all(type(o) is np.ndarray or isinstance(o, np.generic) for o in out)
        ):  # several arrays, NumPy's named tuples included (eigh, qr, slogdet)
            node = tape.num_nodes
            tape.num_nodes = node + 1
            self.steps.append(_Call(fn, args, kwargs, node, source, name))
            self.values[node] = out
            parts = []
            for i, part in enumerate(out):
                parts.append(
                    self._wrap_result(operator.getitem, "getitem", (_Ref(node), i), {}, part, source, check_shape)
                )
            return type(out)(*parts) if hasattr(type(out), "_fields") else type(out)(parts)
        # A non-array result (a Python bool or number, a tuple of them): a decision on recorded values.
        node = tape.num_nodes
        tape.num_nodes = node + 1
        self.steps.append(_Call(fn, args, kwargs, node, source, name))
        self.values[node] = out
        self.steps.append(_Guard("value", node, out, None, source))
        self.guards += 1
        return out

    def guard(self, value: Traced, kind: str, spec: Any = None) -> Any:
        """The concrete result of ``kind`` (``bool``, ``int``, ...) of a recorded value, guarded."""
        raw = value.value
        result = _CONVERSIONS[kind](raw, spec)
        self.steps.append(_Guard(kind, value.node, result, spec, _user_source()))
        self.guards += 1
        return result


def _among_constants(value: Any, template: Any) -> bool:
    """Whether the array ``value`` is itself one of the constants (not slots) of an operand template."""
    if template is value:
        return True
    kind = type(template)
    if kind is tuple or kind is list:
        for item in template:
            if _among_constants(value, item):
                return True
    elif kind is dict:
        for item in template.values():
            if _among_constants(value, item):
                return True
    return False


def _convert_array(raw, spec):
    return np.array(raw, copy=True)


_CONVERSIONS: dict[str, Callable] = {
    "bool": lambda raw, spec: bool(raw),
    "int": lambda raw, spec: int(raw),
    "index": lambda raw, spec: operator.index(raw),
    "float": lambda raw, spec: float(raw),
    "complex": lambda raw, spec: complex(raw),
    "item": lambda raw, spec: raw.item(*spec),
    "tolist": lambda raw, spec: raw.tolist(),
    "format": lambda raw, spec: format(raw[()] if np.ndim(raw) == 0 else raw, spec),
    "array": _convert_array,
}


def _user_source() -> Any:
    return user_source()


def _concrete_tree(obj: Any) -> Any:
    kind = type(obj)
    if kind is Traced:
        return tracer.concrete(obj)
    if kind is tuple or kind is list:
        return kind(_concrete_tree(o) for o in obj)
    if kind is dict:
        return {k: _concrete_tree(v) for k, v in obj.items()}
    return obj


def _recording_tape(values: Any) -> Any:
    """The recording tape a (nested) argument list refers to, or ``None``."""
    kind = type(values)
    if kind is Traced:
        return values.tape if values.tape.jit else None
    if kind is tuple or kind is list:
        for v in values:
            found = _recording_tape(v)
            if found is not None:
                return found
    if kind is dict:
        return _recording_tape(list(values.values()))
    return None


class _Hooks:
    """What the engine, the tracer and the op registry call while a jit recording runs."""

    # NumPy functions whose result's shape depends on the values (their replays check it).
    DYNAMIC_SHAPE = frozenset(
        {
            *("nonzero", "flatnonzero", "argwhere", "unique", "extract", "compress", "trim_zeros", "where"),
            *("bincount", "repeat", "delete", "insert", "split", "array_split", "hsplit", "vsplit", "dsplit"),
            *("pad", "resize", "histogram", "histogram_bin_edges", "select", "choose", "take", "put"),
            *("unique_values", "unique_counts", "unique_inverse", "unique_all", "histogram2d", "histogramdd"),
            *("intersect1d", "union1d", "setdiff1d", "setxor1d"),
        }
    )

    # Registered ops whose recordings are not yet checked to replay bit for bit (they joined
    # the op library after at.jit; tests/test_jit.py checks that each is refused). At.jit
    # refuses to record them rather than risk a replay that differs from eager mode.
    NOT_YET_CHECKED = frozenset(
        {
            # NumPy's binning reads the values to place the edges; its recording does not replay
            "histogram",
            "histogram_bin_edges",
            # the result's dtype depends on the values (real when a real square root exists)
            "scipy.linalg.sqrtm",
        }
    )

    @staticmethod
    def under_recording(values: Any) -> bool:
        """Whether a (nested) argument list holds a traced value that sits, at some level, on
        the jit recording of this context (directly, or under transforms inside it)."""
        kind = type(values)
        if kind is Traced:
            while type(values) is Traced:
                if values.tape.jit:
                    return True
                values = values.value
            return False
        if kind is tuple or kind is list:
            return any(_Hooks.under_recording(v) for v in values)
        if kind is dict:
            return any(_Hooks.under_recording(v) for v in values.values())
        return False

    @staticmethod
    def refuse(name: str) -> None:
        """Raise :class:`JitError`: ``name`` is not yet checked to replay under at.jit."""
        raise JitError(
            f"at.jit: {name} is not yet checked to replay exactly like eager mode, so at.jit does not "
            "record it (a replay must never differ from eager mode). Call the jitted function's part "
            "that uses it outside at.jit, or compute it before and pass its result as an argument."
        )

    @staticmethod
    def call(fn: Callable, args: tuple, kwargs: dict) -> Any:
        """Record ``fn(*args, **kwargs)`` on the recording tape of the traced values among them."""
        tape = _recording_tape((args, kwargs))
        if tape is None:
            return fn(*_concrete_tree(args), **_concrete_tree(kwargs))
        name = getattr(fn, "__name__", repr(fn))
        known = fn in _SHAPE_STATIC
        return tape.records.call(fn, name, args, kwargs, not known)

    @staticmethod
    def guard(value: Traced, kind: str, spec: Any = None) -> Any:
        return value.tape.records.guard(value, kind, spec)

    @staticmethod
    def holds_recorded(values: Any) -> bool:
        """Whether a (nested) argument list holds a value traced by a jit recording."""
        return _recording_tape(values) is not None


# NumPy functions (registered ops and constants) whose result's shape is decided by the
# operands' shapes and the parameters alone.
_SHAPE_STATIC: set = set()


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _init_shape_static() -> None:
    from .ops.registry import CONSTANTS, REGISTRY

    for function, name in CONSTANTS.items():
        if name not in _Hooks.DYNAMIC_SHAPE:
            _SHAPE_STATIC.add(function)
    for info in REGISTRY.values():  # the NumPy functions of registered ops: shapes from shapes
        if info.name not in _Hooks.DYNAMIC_SHAPE:
            _SHAPE_STATIC.update(f for f in info.numpy if _hashable(f))


tracer.jit_hooks = _Hooks


# --------------------------------------------------------------------------------------
# Random draws: the generators a function can reach, compared before and after recording
# --------------------------------------------------------------------------------------


def _reachable_generators(fun: Any, args: Any) -> list:
    """``(label, generator)`` of the NumPy random generators ``fun`` reads: NumPy's global one
    (``np.random.normal``), and ``Generator``/``RandomState`` objects in its closures, globals
    and defaults, and in those of the functions it closes over (a few levels deep)."""
    found: dict[int, tuple] = {}
    seen: set = set()

    def visit(obj: Any, label: str, depth: int) -> None:
        if isinstance(obj, (np.random.Generator, np.random.RandomState)):
            found.setdefault(id(obj), (label, obj))
            return
        if depth > 4 or id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, functools.partial):
            visit(obj.func, label, depth + 1)
            for a in (*obj.args, *obj.keywords.values()):
                visit(a, label, depth + 1)
            return
        if isinstance(obj, JittedFunction):
            visit(obj.fun, label, depth + 1)
            return
        if isinstance(obj, (list, tuple)):
            for item in obj[:64]:
                visit(item, label, depth + 1)
            return
        if isinstance(obj, dict):
            for item in list(obj.values())[:64]:
                visit(item, label, depth + 1)
            return
        code = getattr(obj, "__code__", None)
        if code is None:
            bound = getattr(obj, "__func__", None)
            if bound is not None:
                visit(bound, label, depth + 1)
                visit(getattr(obj, "__self__", None), label, depth + 1)
            elif hasattr(obj, "__dict__") and not isinstance(obj, type) and type(obj).__module__ != "builtins":
                for name, item in list(vars(obj).items())[:64]:
                    visit(item, f"{label}.{name}", depth + 1)
            return
        name = getattr(obj, "__qualname__", "?")
        for cell_name, cell in zip(code.co_freevars, obj.__closure__ or ()):
            try:
                visit(cell.cell_contents, f"{cell_name} (closure of {name})", depth + 1)
            except ValueError:  # an empty cell
                pass
        globals_ = getattr(obj, "__globals__", {})
        for global_name in _names_used(code):
            if global_name in globals_:
                visit(globals_[global_name], f"{global_name} (global of {name})", depth + 1)
        for default in obj.__defaults__ or ():
            visit(default, f"a default of {name}", depth + 1)
        visit(getattr(obj, "__wrapped__", None), label, depth + 1)

    visit(fun, "the function", 0)
    visit(args, "an argument", 0)
    generators = [("numpy.random's global generator (np.random.normal, ...)", np.random.mtrand._rand)]
    generators += [item for key, item in found.items() if item[1] is not np.random.mtrand._rand]
    return generators


def _names_used(code: Any) -> set:
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _names_used(const)
    return names


def _generator_state(generator: Any) -> Any:
    bit_generator = (
        generator._bit_generator if isinstance(generator, np.random.RandomState) else generator.bit_generator
    )
    if isinstance(bit_generator, np.random.MT19937):
        # The key and position, read in place (get_state() copies them: ~90 us). A draw that only
        # takes RandomState's cached second Gaussian leaves both unchanged and goes unseen.
        view = _MT_VIEWS.get(id(bit_generator))
        if view is None or view[0] is not bit_generator:
            words = (ctypes.c_uint32 * 625).from_address(bit_generator.ctypes.state_address)
            view = _MT_VIEWS[id(bit_generator)] = (bit_generator, np.frombuffer(words, dtype=np.uint32))  # type: ignore[call-overload]
        return view[1].tobytes()
    return repr(bit_generator.state)


_MT_VIEWS: dict = {}


class _RandomWatch:
    """Raises :class:`JitError` if a reachable random generator advanced while recording."""

    def __init__(self, fun_name: str, fun: Any, args: Any):
        self.fun_name = fun_name
        self.generators = _reachable_generators(fun, args)
        self.before = [_generator_state(g) for _, g in self.generators]

    def check(self) -> None:
        for (label, generator), before in zip(self.generators, self.before):
            if _generator_state(generator) != before:
                raise JitError(
                    f"jit({self.fun_name}): {label} drew random numbers while the function was recorded; a replay "
                    "would repeat the same draw on every call. Draw them outside the jitted function and pass them "
                    "in as arguments."
                )


# --------------------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------------------

_STATIC_SCALARS = (bool, int, float, complex, str, bytes, type(None))


def _signature(x: Any, leaves: list) -> Any:
    """The part of the cache key for argument ``x``; its array leaves are appended to ``leaves``.

    The key is flat (a tuple of tokens: container types and keys, then each array's shape,
    dtype and strides), which hashes and compares faster than a nested one.
    """
    flat: list = []
    _tokens(x, flat, leaves)
    return tuple(flat)


def _tokens(x: Any, flat: list, leaves: list) -> None:
    kind = type(x)
    if kind is np.ndarray:
        leaves.append(x)
        flat += (x.shape, x.dtype, x.strides)
        return
    if kind is dict:
        flat += (dict, tuple(x))
        for v in x.values():
            if type(v) is np.ndarray:
                leaves.append(v)
                flat += (v.shape, v.dtype, v.strides)
            else:
                _tokens(v, flat, leaves)
        flat.append(_END)
        return
    if kind is list or kind is tuple:
        flat += (kind, len(x))
        for v in x:
            if type(v) is np.ndarray:
                leaves.append(v)
                flat += (v.shape, v.dtype, v.strides)
            else:
                _tokens(v, flat, leaves)
        return
    if kind in _STATIC_SCALARS:
        flat += (kind, x)
        return
    if isinstance(x, np.generic):
        leaves.append(x)
        flat += (kind, x.dtype)
        return
    if isinstance(x, tuple) and hasattr(kind, "_fields"):  # a namedtuple (optimizer states)
        flat.append(kind)
        for v in x:
            _tokens(v, flat, leaves)
        return
    if kind is Traced:
        raise _Inline()
    raise _BadLeaf(x)


_END = object()  # closes a dict's tokens (its keys are listed first)


def _describe_argument(x: Any) -> Any:
    """A nested description of an argument's signature (shapes, dtypes, strides, numbers), for
    the retrace warning: computed only when it fires."""
    kind = type(x)
    if kind is np.ndarray:
        return ("array", x.shape, x.dtype, x.strides)
    if kind is dict:
        return ("dict", {k: _describe_argument(v) for k, v in x.items()})
    if kind is list or kind is tuple or (isinstance(x, tuple) and hasattr(kind, "_fields")):
        fields = getattr(kind, "_fields", None)
        return ("sequence", kind, fields, [_describe_argument(v) for v in x])
    if isinstance(x, np.generic):
        return ("scalar", kind, x.dtype)
    return ("static", kind, x)


class _BadLeaf(Exception):
    def __init__(self, leaf: Any):
        self.leaf = leaf


def _leaf_path(x: Any, target: Any, path: str) -> str | None:
    """Where ``target`` sits in ``x`` (``args[0]['w']``), for error messages."""
    if x is target:
        return path
    kind = type(x)
    if kind is dict:
        items: Any = ((f"{path}[{k!r}]", v) for k, v in x.items())
    elif isinstance(x, tuple) and hasattr(kind, "_fields"):
        items = ((f"{path}.{f}", v) for f, v in zip(kind._fields, x))
    elif isinstance(x, (list, tuple)):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(x))
    else:
        return None
    for sub, value in items:
        found = _leaf_path(value, target, sub)
        if found is not None:
            return found
    return None


_KEYWORDS = object()  # marks the key of a call with keyword or static arguments


class _Inline(Exception):
    """An argument is traced by an enclosing transform: call the function itself."""


def _describe_value(d: Any) -> str:
    if d[0] == "array":
        return f"array of shape {d[1]} and dtype {d[2]}"
    if d[0] == "scalar":
        return f"{d[1].__name__} of dtype {d[2]}"
    if d[0] == "static":
        return f"{d[1].__name__} {d[2]!r}"
    if d[0] == "dict":
        return f"dict with keys {list(d[1])}"
    return f"{d[1].__name__} of length {len(d[3])}"


def _describe_difference(old: Any, new: Any, path: str) -> str | None:
    """Where two described arguments differ, in words (for the retrace warning)."""
    if old == new:
        return None
    if old[0] == "array" and new[0] == "array":
        if old[1] != new[1]:
            return f"{path}: shape {old[1]} -> {new[1]}"
        if old[2] != new[2]:
            return f"{path}: dtype {old[2]} -> {new[2]}"
        return f"{path}: strides {old[3]} -> {new[3]} (memory layout)"
    if old[0] == "dict" and new[0] == "dict" and list(old[1]) == list(new[1]):
        for key in old[1]:
            found = _describe_difference(old[1][key], new[1][key], f"{path}[{key!r}]")
            if found:
                return found
    if old[0] == "sequence" and new[0] == "sequence" and old[1] is new[1] and len(old[3]) == len(new[3]):
        fields = old[2]
        for i, (a, b) in enumerate(zip(old[3], new[3])):
            found = _describe_difference(a, b, f"{path}.{fields[i]}" if fields else f"{path}[{i}]")
            if found:
                return found
    return f"{path}: {_describe_value(old)} -> {_describe_value(new)}"


def _call_difference(old: tuple, new: tuple) -> str:
    """Where two calls' described arguments ``(args, kwargs)`` differ."""
    old_args, old_kwargs = old
    new_args, new_kwargs = new
    for i in range(max(len(old_args), len(new_args))):
        if i >= len(old_args) or i >= len(new_args):
            return f"the number of positional arguments: {len(old_args)} -> {len(new_args)}"
        found = _describe_difference(old_args[i], new_args[i], f"args[{i}]")
        if found:
            return found
    if list(old_kwargs) != list(new_kwargs):
        return f"the keyword arguments: {list(old_kwargs)} -> {list(new_kwargs)}"
    for key in old_kwargs:
        found = _describe_difference(old_kwargs[key], new_kwargs[key], f"{key}=")
        if found:
            return found
    return "?"


# --------------------------------------------------------------------------------------
# Compiling a recording into a Python function
# --------------------------------------------------------------------------------------


class _GuardFailed(Exception):
    def __init__(self, step: Any):
        self.step = step


def _same_float(value: float, expected: float) -> bool:
    if value == expected:
        return value != 0.0 or math.copysign(1.0, value) == math.copysign(1.0, expected)
    return value != value and expected != expected


def _same_complex(value: complex, expected: complex) -> bool:
    return _same_float(value.real, expected.real) and _same_float(value.imag, expected.imag)


def _same_array(value: Any, expected: np.ndarray) -> bool:
    value = np.asarray(value)
    return value.shape == expected.shape and value.dtype == expected.dtype and value.tobytes() == expected.tobytes()


def _same_item(value: Any, expected: Any) -> bool:
    if type(value) is not type(expected):
        return False
    if type(value) is float:
        return _same_float(value, expected)
    if type(value) is complex:
        return _same_complex(value, expected)
    return value == expected


def _same_value(value: Any, expected: Any) -> bool:
    if type(value) is not type(expected):
        return False
    if type(value) in (tuple, list):
        return len(value) == len(expected) and all(_same_value(a, b) for a, b in zip(value, expected))
    if type(value) is np.ndarray:
        return _same_array(value, expected)
    if type(value) in (float, complex):
        return _same_item(value, expected)
    try:
        return bool(value == expected)
    except Exception:
        return False


def _item_of(raw, spec):
    return raw.item(*spec)


class _Info(NamedTuple):
    """What code generation needs to know of a recorded value (the value itself is not kept)."""

    array: bool  # an ndarray (not a NumPy scalar or Python object)
    ndim: int
    shape: tuple
    dtype: Any
    strides: tuple


def _summary(records: JitRecords) -> tuple[dict, dict]:
    """``(info, owner)``: each recorded value's :class:`_Info`, and for views the node of the array they look into."""
    info: dict[int, _Info] = {}
    owner: dict[int, int] = {}
    for node, value in records.values.items():
        if type(value) is np.ndarray:
            info[node] = _Info(True, value.ndim, value.shape, value.dtype, value.strides)
            first = records.ids.get(id(value))
            if first is not None and first != node and records.values[first] is value:
                # The very array of an earlier value (np.real or np.squeeze can return their
                # operand): an alias, which keeps that array alive and unwritten as a view does.
                owner[node] = first
                continue
            base = value.base
            if base is not None:
                found = records.ids.get(id(base))
                if found is not None and records.values[found] is base:
                    owner[node] = found
        else:
            info[node] = _Info(False, np.ndim(value) if isinstance(value, np.generic) else -1, (), None, ())
    return info, owner


class _Program:
    """A recording: ``interpret(leaves)`` replays it step by step; ``run(leaves)`` replays it as
    generated Python code, compiled on its first use (a recording never replayed costs no compile)."""

    def __init__(self, fun_name: str, records: JitRecords, inputs: list, output_template: Any, donate: bool = True):
        self.fun_name = fun_name
        self.all_steps = records.steps
        self.steps = records.steps
        self.inputs = inputs
        self.output_template = output_template
        self.donate = donate
        self.info, self.owner = _summary(records)
        self.source = ""
        self.namespace: dict = {}
        self.line_steps: dict = {}
        self.run: Callable = self._compile_and_run

    def _compile_and_run(self, leaves: list) -> Any:
        self._liveness()
        self.source, self.namespace, self.line_steps = self._generate(self.donate)
        code = compile(self.source, f"<jit of {self.fun_name}>", "exec")
        exec(code, self.namespace)
        self.info = {}  # no longer needed
        self.run = self.namespace["replay"]
        return self.run(leaves)

    # -- analysis ----------------------------------------------------------------------
    def _liveness(self) -> None:
        steps = self.all_steps
        needed: set = set(_refs(self.output_template))
        keep = [False] * len(steps)
        for k in range(len(steps) - 1, -1, -1):
            step = steps[k]
            if type(step) is _Guard:
                keep[k] = True
                needed.add(step.node)
            elif step.out in needed or step.check_shape is not None:
                keep[k] = True
                needed.update(_refs(step.args))
                needed.update(_refs(step.kwargs))
        self.steps = [s for s, k in zip(steps, keep) if k]
        # The last step index using each node; a view extends the life of the array it looks into.
        owner = self.owner
        last: dict[int, int] = {}
        for k, step in enumerate(self.steps):
            used = [step.node] if type(step) is _Guard else [*_refs(step.args), *_refs(step.kwargs)]
            for node in used:
                current: int | None = node
                while current is not None:
                    last[current] = k
                    current = owner.get(current)
        end = len(self.steps)
        for node in _refs(self.output_template):
            current = node
            while current is not None:
                last[current] = end
                current = owner.get(current)
        self.last_use = last

    # -- code generation ---------------------------------------------------------------
    def _generate(self, donate: bool) -> tuple:
        namespace: dict[str, Any] = {"_GuardFailed": _GuardFailed, "_S": self.steps}
        info = self.info
        constants: dict[int, str] = {}

        def const(value: Any) -> str:
            key = id(value)
            name = constants.get(key)
            if name is None:
                name = f"c{len(constants)}"
                constants[key] = name
                namespace[name] = value
            return name

        names: dict[int, str] = {}
        free: list[str] = []
        counter = [0]

        def fresh() -> str:
            if free:
                return free.pop()
            counter[0] += 1
            return f"v{counter[0]}"

        input_names = []
        for i, node in enumerate(self.inputs):
            names[node] = f"a{i}"
            input_names.append(f"a{i}")
        # Arrays that no one else holds: results of ufunc calls made in this replay (never
        # views, never inputs, constants or returned values) may be written into again.
        owned: dict[int, bool] = {}
        outputs = set(_refs(self.output_template))

        def expr(obj: Any) -> str:
            kind = type(obj)
            if kind is _Ref:
                return names[obj.node]
            if kind is tuple:
                inner = ", ".join(expr(o) for o in obj)
                return f"({inner},)" if len(obj) == 1 else f"({inner})"
            if kind is list:
                return "[" + ", ".join(expr(o) for o in obj) + "]"
            if kind is slice and any(type(p) is _Ref for p in (obj.start, obj.stop, obj.step)):
                return f"slice({expr(obj.start)}, {expr(obj.stop)}, {expr(obj.step)})"
            if kind is _Output:
                children = [expr(c) for c in obj.children]
                if obj.kind is dict:
                    return "{" + ", ".join(f"{const(k)}: {c}" for k, c in zip(obj.keys, children)) + "}"
                return f"{const(obj.kind)}({', '.join(children)})"
            if kind is _Copy:
                return f"{const(_copy)}({const(obj.value)})"
            if kind is dict and any(_refs(obj)):
                return "{" + ", ".join(f"{const(k)}: {expr(v)}" for k, v in obj.items()) + "}"
            if obj is None or kind is bool or (kind is int and -(2**31) < obj < 2**31):
                return repr(obj)
            if kind is float and math.isfinite(obj) and float(repr(obj)) == obj:
                return repr(obj)
            return const(obj)

        lines = ["def replay(leaves):"]
        if input_names:
            lines.append(f"    {', '.join(input_names)}{',' if len(input_names) == 1 else ''} = leaves")
        line_steps: dict[int, int] = {}
        last = self.last_use

        def release(node: int, k: int) -> None:
            if last.get(node, -1) == k and node in names and not names[node].startswith("a"):
                free.append(names[node])

        for k, step in enumerate(self.steps):
            if type(step) is _Guard:
                lines.append(self._guard_line(step, k, names[step.node], const))
                line_steps[len(lines)] = k
                for node in {step.node}:
                    release(node, k)
                continue
            fn = getattr(step.fn, "plain", step.fn)
            args = ", ".join(expr(a) for a in step.args)
            kwargs = ", ".join(f"{key}={expr(v)}" for key, v in step.kwargs.items())
            call_args = ", ".join(p for p in (args, kwargs) if p)
            inline = _INLINE.get(fn)
            if inline is not None:
                inline = inline(step, expr, info)
            out_value = info.get(step.out)
            target = None
            if (
                donate
                and isinstance(fn, np.ufunc)
                and fn.nout == 1
                and fn.signature is None
                and not step.kwargs
                and out_value is not None
                and out_value.array
                and out_value.ndim > 0
                and step.out not in outputs
            ):
                # A dead input buffer of the same shape, dtype and layout takes the result.
                for node in _refs(step.args):
                    if owned.get(node) and last.get(node, -1) == k and _fits(info[node], out_value):
                        target = node
                        break
            uses = list(dict.fromkeys([*_refs(step.args), *_refs(step.kwargs)]))
            fname = const(fn)
            if inline is not None:
                for node in uses:
                    release(node, k)
                name = fresh()
                lines.append(f"    {name} = {inline}")
            elif target is not None:
                name = names[target]
                owned[target] = False
                lines.append(f"    {name} = {fname}({call_args}, out={name})")
                for node in uses:
                    if node != target:
                        release(node, k)
            else:
                for node in uses:
                    release(node, k)
                name = fresh()
                lines.append(f"    {name} = {fname}({call_args})")
            line_steps[len(lines)] = k
            names[step.out] = name
            owned[step.out] = (
                isinstance(fn, np.ufunc)
                and inline is None
                and out_value is not None
                and out_value.array
                and out_value.ndim > 0
                and step.out not in outputs
                and step.out not in self.owner.values()
            )
            if step.check_shape is not None:
                lines.append(f"    if {name}.shape != {const(step.check_shape)}: raise _GuardFailed(_S[{k}])")
                line_steps[len(lines)] = k
            if step.out not in last:  # kept for its shape check only
                free.append(name)
        lines.append(f"    return {expr(self.output_template)}")
        source = "\n".join(lines) + "\n"
        return source, namespace, line_steps

    def _guard_line(self, guard: _Guard, k: int, name: str, const: Callable) -> str:
        kind, expected = guard.kind, guard.expected
        fail = f"raise _GuardFailed(_S[{k}])"
        if kind == "bool":
            return f"    if {'not ' if expected else ''}{name}: {fail}"
        if kind in ("int", "index"):
            fn = "int" if kind == "int" else const(operator.index)
            return f"    if {fn}({name}) != {expected!r}: {fail}"
        if kind == "float":
            return f"    if not {const(_same_float)}(float({name}), {const(expected)}): {fail}"
        if kind == "complex":
            return f"    if not {const(_same_complex)}(complex({name}), {const(expected)}): {fail}"
        if kind == "item":
            return (
                f"    if not {const(_same_item)}({const(_item_of)}({name}, {const(guard.spec)}), "
                f"{const(expected)}): {fail}"
            )
        if kind == "tolist":
            return f"    if not {const(_same_value)}({name}.tolist(), {const(expected)}): {fail}"
        if kind == "format":
            fmt = const(_CONVERSIONS["format"])
            return f"    if {fmt}({name}, {const(guard.spec)}) != {const(expected)}: {fail}"
        if kind == "array":
            return f"    if not {const(_same_array)}({name}, {const(expected)}): {fail}"
        return f"    if not {const(_same_value)}({name}, {const(expected)}): {fail}"

    # -- running -----------------------------------------------------------------------
    def step_of_error(self, error: BaseException) -> Any:
        """The recorded step a replay error came from (from the traceback's line in the generated code)."""
        tb = error.__traceback__
        found = None
        while tb is not None:
            if tb.tb_frame.f_code.co_name == "replay" and tb.tb_frame.f_globals is self.namespace:
                found = self.line_steps.get(tb.tb_lineno)
            tb = tb.tb_next
        return None if found is None else self.steps[found]

    def interpret(self, leaves: list, check_nans: bool = False, check_infs: bool = False) -> Any:
        """The replay, one step at a time (each result checked for NaN with ``check_nans``: debug_nans)."""
        slots: dict[int, Any] = dict(zip(self.inputs, leaves))
        for step in self.all_steps:
            if type(step) is _Guard:
                if not _guard_holds(step, slots[step.node]):
                    raise _GuardFailed(step)
                continue
            value = step.fn(*_fill(step.args, slots), **_fill(step.kwargs, slots))
            if step.check_shape is not None and np.shape(value) != step.check_shape:
                raise _GuardFailed(step)
            slots[step.out] = value
            if check_nans and (type(value) is np.ndarray or isinstance(value, np.generic)):
                shapes = tuple(np.shape(slots[r]) if type(r) is int else None for r in _ref_or_none(step.args))
                _config.check_finite(step.name, value, step.source, shapes, "forward (jit replay)", check_infs)
        return _fill(self.output_template, slots)


def _is_array(info: dict, node: int) -> bool:
    found = info.get(node)
    return found is not None and found.array


def _inline_getitem(step: _Call, expr: Callable, values: dict) -> str | None:
    (x,) = step.args
    if type(x) is not _Ref or not _is_array(values, x.node) or set(step.kwargs) != {"index"}:
        return None
    return f"{expr(x)}[{expr(step.kwargs['index'])}]"


def _inline_transpose(step: _Call, expr: Callable, values: dict) -> str | None:
    (x,) = step.args
    if type(x) is not _Ref or not _is_array(values, x.node) or step.kwargs.get("axes") is not None:
        return None
    return f"{expr(x)}.T" if values[x.node].ndim <= 2 else f"{expr(x)}.transpose()"


def _inline_table() -> dict:
    """Primitive implementations the generated code writes as Python expressions (the same NumPy calls)."""
    from .ops import shape

    return {shape._getitem.impl: _inline_getitem, shape._transpose.impl: _inline_transpose}


_INLINE: dict = {}


def _copy(value: np.ndarray) -> np.ndarray:
    return np.array(value, copy=True)


def _fits(buffer: _Info, out: _Info) -> bool:
    return buffer.array and buffer.shape == out.shape and buffer.dtype == out.dtype and buffer.strides == out.strides


def _ref_or_none(args: tuple) -> list:
    return [a.node if type(a) is _Ref else None for a in args]


def _guard_holds(guard: _Guard, value: Any) -> bool:
    kind, expected = guard.kind, guard.expected
    if kind == "bool":
        return bool(value) == expected
    if kind == "int":
        return int(value) == expected
    if kind == "index":
        return operator.index(value) == expected
    if kind == "float":
        return _same_float(float(value), expected)
    if kind == "complex":
        return _same_complex(complex(value), expected)
    if kind == "item":
        return _same_item(_item_of(value, guard.spec), expected)
    if kind == "tolist":
        return _same_value(value.tolist(), expected)
    if kind == "format":
        return _CONVERSIONS["format"](value, guard.spec) == expected
    if kind == "array":
        return _same_array(value, expected)
    return _same_value(value, expected)


def _refs(obj: Any):
    kind = type(obj)
    if kind is _Ref:
        yield obj.node
    elif kind is tuple or kind is list:
        for o in obj:
            yield from _refs(o)
    elif kind is dict:
        for o in obj.values():
            yield from _refs(o)
    elif kind is slice:
        yield from _refs((obj.start, obj.stop, obj.step))
    elif kind is _Output:
        yield from _refs(obj.children)


def _fill(obj: Any, slots: dict) -> Any:
    kind = type(obj)
    if kind is _Ref:
        return slots[obj.node]
    if kind is tuple or kind is list:
        return kind(_fill(o, slots) for o in obj)
    if kind is dict:
        return {k: _fill(v, slots) for k, v in obj.items()}
    if kind is slice:
        return slice(_fill(obj.start, slots), _fill(obj.stop, slots), _fill(obj.step, slots))
    if kind is _Output:
        return obj.build([_fill(c, slots) for c in obj.children])
    if kind is _Copy:
        return np.array(obj.value, copy=True)
    return obj


class _Output:
    """A container of the function's result (dict, namedtuple, ...), rebuilt from its children at replay."""

    __slots__ = ("kind", "keys", "children")

    def __init__(self, kind: Any, keys: tuple, children: list):
        self.kind = kind
        self.keys = keys
        self.children = children

    def build(self, children: list) -> Any:
        if self.kind is dict:
            return dict(zip(self.keys, children))
        return self.kind(*children)


class _Copy:
    """A constant array the function returned: each replay returns a copy of its own."""

    __slots__ = ("value",)

    def __init__(self, value: np.ndarray):
        self.value = value


def _output_template(out: Any, tape: Any, fun_name: str) -> Any:
    """The function's result with recorded values made slots; containers become :class:`_Output`."""
    kind = type(out)
    if kind is Traced:
        if out.tape is tape:
            return _Ref(out.node)
        raise JitError(
            f"jit({fun_name}): the function returned a value traced by {out.tape.describe_origin()}, "
            "which has already returned; return plain values (or gradients) from a jitted function"
        )
    if kind is np.ndarray:
        return _Copy(out)
    if kind is tuple or kind is list:
        return kind(_output_template(o, tape, fun_name) for o in out)
    if kind is dict:
        return _Output(dict, tuple(out), [_output_template(v, tape, fun_name) for v in out.values()])
    if isinstance(out, tuple) and hasattr(kind, "_fields"):
        return _Output(kind, (), [_output_template(v, tape, fun_name) for v in out])
    return out  # numbers, strings, None, NumPy scalars: immutable


# --------------------------------------------------------------------------------------
# The jitted function
# --------------------------------------------------------------------------------------


class _Recording(NamedTuple):
    program: _Program
    fails: list  # the latest guard (or shape check) that failed, if any


class JittedFunction:
    """``fun`` with its recordings; see :func:`jit`."""

    def __init__(
        self,
        fun: Callable,
        static_argnums: tuple,
        static_argnames: tuple,
        maxsize: int,
        check: bool,
        donate: bool,
    ):
        self.fun = fun
        self.static_argnums = static_argnums
        self.static_argnames = static_argnames
        self.maxsize = maxsize
        self.check = check
        self.donate = donate
        self._cache: collections.OrderedDict = collections.OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        self._recordings = 0
        self._warned = False
        self._last_key: Any = None
        self._last_described: Any = None  # shapes, dtypes and numbers of the latest recording's arguments
        self._name = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)
        # The user's function under the transforms' wrappers (functools.wraps sets __wrapped__).
        inner: Any = fun
        while getattr(inner, "__wrapped__", None) is not None:
            inner = inner.__wrapped__
        code = getattr(inner, "__code__", None)
        self._where = f" ({code.co_filename}:{code.co_firstlineno})" if code is not None else ""
        functools.update_wrapper(self, fun)

    def __repr__(self) -> str:
        return f"<jit of {self._name}{self._where}>"

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        """``@at.jit`` on a method: the instance becomes the first argument, which at.jit then
        asks to be marked static (``static_argnums=0``) or its arrays passed in."""
        if instance is None:
            return self
        return functools.partial(self, instance)

    def cache_info(self) -> CacheInfo:
        """Hits, misses, the bound and the number of cached signatures (``functools.lru_cache``'s shape)."""
        with self._lock:
            return CacheInfo(self._hits, self._misses, self.maxsize, len(self._cache))

    def cache_clear(self) -> None:
        """Forget every recording and reset the statistics."""
        with self._lock:
            self._cache.clear()
            self._hits = self._misses = self._recordings = 0
            self._warned = False

    # -- calling ------------------------------------------------------------------------
    def _split(self, args: tuple, kwargs: dict, leaves: list) -> Any:
        """The cache key of one call (its array leaves appended to ``leaves``), with static arguments."""
        if not kwargs and not self.static_argnums:
            return _signature(args, leaves)
        nums = {n % len(args) for n in self.static_argnums if -len(args) <= n < len(args)}
        statics = tuple((n, _static_key(self._name, f"args[{n}]", args[n])) for n in sorted(nums))
        dynamic = tuple([None if n in nums else _signature(a, leaves) for n, a in enumerate(args)])
        named = []
        for name, value in kwargs.items():
            if name in self.static_argnames:
                named.append((name, True, _static_key(self._name, name, value)))
            else:
                named.append((name, False, _signature(value, leaves)))
        return (_KEYWORDS, dynamic, statics, tuple(named))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if active_tapes():  # inside a transform (or another recording): the function itself
            return self.fun(*args, **kwargs)
        leaves: list = []
        try:
            key = self._split(args, kwargs, leaves)
        except _Inline:
            return self.fun(*args, **kwargs)
        except _BadLeaf as bad:
            path = _leaf_path((args, kwargs), bad.leaf, "arguments") or "?"
            raise TypeError(
                f"jit({self._name}): argument {path} is a {type(bad.leaf).__name__}; a jitted function takes "
                "pytrees (dicts, lists, tuples, namedtuples) of arrays and numbers. Mark it static "
                "(static_argnums/static_argnames) if it is a setting, or close over it."
            ) from None
        variants = self._cache.get(key)
        if variants is None:
            with self._lock:
                self._misses += 1
            return self._record(key, args, kwargs, leaves)
        with self._lock:
            self._hits += 1
            if len(self._cache) > 1:
                try:
                    self._cache.move_to_end(key)
                except KeyError:  # evicted by another thread meanwhile
                    pass
        checking = _config.maybe_checking and _config.checking()
        for recording in variants:
            try:
                if checking:
                    out = recording.program.interpret(leaves, True, _config.current().check_infs)
                else:
                    out = recording.program.run(leaves)
            except _GuardFailed as failed:
                recording.fails[:] = [failed.step]  # the latest, for the retrace warning
                continue
            except Exception as error:
                raise self._replay_error(recording.program, error) from error
            if self.check:
                self._compare(out, args, kwargs)
            return out
        with self._lock:  # no recording of the signature replays these values: a miss after all
            self._hits -= 1
            self._misses += 1
        return self._record(key, args, kwargs, leaves)

    def _compare(self, out: Any, args: tuple, kwargs: dict) -> None:
        expected = self.fun(*args, **kwargs)
        problem = _first_mismatch(out, expected, "result")
        if problem is not None:
            raise JitMismatchError(f"jit({self._name}) check: the replay differs from the eager call at {problem}")

    def _replay_error(self, program: _Program, error: Exception) -> Exception:
        step = program.step_of_error(error)
        where = "" if step is None else f" in step {step.name} recorded at {_where(step.source)}"
        message = (
            f"jit({self._name}{self._where}): replaying the recording raised {type(error).__name__}{where}: "
            f"{str(error).rstrip('.')}. The replay runs the same NumPy calls as the eager call, so the eager "
            "call raises this too for these values (if it does not, a value-dependent decision was not "
            "guarded: report the op)."
        )
        try:
            return type(error)(message)
        except Exception:  # an exception type with another constructor
            return JitError(message)

    def _record(self, key: Any, args: tuple, kwargs: dict, leaves: list) -> Any:
        records = JitRecords()
        tape, token = push_jit_tape(self.fun, records)
        records.tape = tape
        watch = _RandomWatch(self._name, self.fun, (args, kwargs))
        _config.count_jit_recording(+1)
        try:
            nodes = tape.new_inputs(len(leaves))
            traced = []
            for leaf, node in zip(leaves, nodes):
                # A view of its own (or a 0-d array for a NumPy scalar): closure arrays that are the
                # same object as an argument stay constants.
                value = leaf.view() if type(leaf) is np.ndarray else np.array(leaf)
                records.bind_value(node, value)
                traced.append(Traced(value, tape, node))
            call_args, call_kwargs = _substitute(args, kwargs, iter(traced), self.static_argnums, self.static_argnames)
            with _config.switched(jit=True):
                out = self.fun(*call_args, **call_kwargs)
            watch.check()
            template = _output_template(out, tape, self._name)
        finally:
            pop_tape(tape, token)
            _config.count_jit_recording(-1)
        program = _Program(self._name, records, list(nodes), template, self.donate)
        # This call's result: the recorded values, the arguments themselves where it returns them.
        slots = dict(records.values)
        slots.update(zip(nodes, leaves))
        result = _fill(template, slots)
        del slots, records
        with self._lock:
            # Variants are tuples, replaced whole: a replay in another thread iterates its own.
            variants = (_Recording(program, []), *self._cache.get(key, ()))[:VARIANTS_PER_SIGNATURE]
            self._cache[key] = variants
            self._cache.move_to_end(key)
            while len(self._cache) > self.maxsize:
                self._cache.popitem(last=False)
            self._recordings += 1
            previous, self._last_key = self._last_key, key
            described, self._last_described = self._last_described, _describe_call(args, kwargs)
            count = self._recordings
        if count > RETRACE_WARNING_AFTER and not self._warned:
            self._warned = True
            if previous is not None and previous != key and described is not None:
                why = f"the signature changed: {_call_difference(described, self._last_described)}"
            else:
                why = f"a guard failed: {_last_failed_guard(variants)}"
            warnings.warn(
                f"jit({self._name}{self._where}) has recorded {count} times; the latest because {why}. "
                "Each recording runs the function eagerly: pass changing shapes padded to a fixed size, mark "
                "settings static, or move value-dependent Python control flow out of the jitted function.",
                RetraceWarning,
                stacklevel=3,
            )
        return result


class RetraceWarning(UserWarning):
    """A jitted function was recorded again and again (its signature or a guard keeps changing)."""


def _describe_call(args: tuple, kwargs: dict) -> tuple:
    return [_describe_argument(a) for a in args], {k: _describe_argument(v) for k, v in kwargs.items()}


def _last_failed_guard(variants: Any) -> str:
    for recording in variants:
        if recording.fails:
            step = recording.fails[-1]
            if type(step) is _Guard:
                return step.describe()
            return f"the result shape of {step.name} at {_where(step.source)}"
    return "?"


def _static_key(fun_name: str, label: str, value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        raise TypeError(
            f"jit({fun_name}): static argument {label} is a {type(value).__name__}, which is not hashable; "
            "static arguments are part of the cache key (use a tuple instead of a list, or pass it as a traced "
            "argument)"
        ) from None
    return (type(value), value)


def _substitute(args: tuple, kwargs: dict, traced: Any, static_argnums: tuple, static_argnames: tuple) -> tuple:
    """The arguments with each array leaf replaced by its traced value, in signature order."""
    nums = {n % len(args) for n in static_argnums if -len(args) <= n < len(args)}
    new_args = [a if n in nums else _replace_leaves(a, traced) for n, a in enumerate(args)]
    new_kwargs = {k: v if k in static_argnames else _replace_leaves(v, traced) for k, v in kwargs.items()}
    return new_args, new_kwargs


def _replace_leaves(x: Any, traced: Any) -> Any:
    kind = type(x)
    if kind is np.ndarray or isinstance(x, np.generic):
        return next(traced)
    if kind is dict:
        return {k: _replace_leaves(v, traced) for k, v in x.items()}
    if kind is list or kind is tuple:
        return kind(_replace_leaves(v, traced) for v in x)
    if isinstance(x, tuple) and hasattr(kind, "_fields"):
        return kind(*(_replace_leaves(v, traced) for v in x))
    return x


def _first_mismatch(got: Any, expected: Any, path: str) -> str | None:
    if type(got) is not type(expected):
        return f"{path}: type {type(got).__name__} vs {type(expected).__name__} eagerly"
    if isinstance(got, dict):
        if list(got) != list(expected):
            return f"{path}: keys {list(got)} vs {list(expected)}"
        for k in got:
            found = _first_mismatch(got[k], expected[k], f"{path}[{k!r}]")
            if found:
                return found
        return None
    if isinstance(got, (tuple, list)):
        if len(got) != len(expected):
            return f"{path}: length {len(got)} vs {len(expected)}"
        for i, (a, b) in enumerate(zip(got, expected)):
            found = _first_mismatch(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(got, (np.ndarray, np.generic)):
        if not _same_array(got, np.asarray(expected)):
            return f"{path}: {got!r} vs {expected!r} eagerly"
        return None
    if not _same_value(got, expected):
        return f"{path}: {got!r} vs {expected!r} eagerly"
    return None


def jit(
    fun: Callable | None = None,
    static_argnums: int | Sequence[int] = (),
    static_argnames: str | Sequence[str] = (),
    *,
    cache_size: int = 64,
    check: bool | None = None,
    donate: bool = True,
) -> Any:
    """Record ``fun``'s primitive calls once per signature and replay them as straight-line NumPy.

    Args:
        fun: a function of pytrees (dicts, lists, tuples, namedtuples) of NumPy arrays,
            NumPy scalars and Python numbers, returning a pytree of arrays; it may call
            ``grad``, ``vjp``, ``jvp``, the optimizers and any autotape op.
        static_argnums: positions of arguments that are settings, not data: their values
            (hashable) are part of the signature and ``fun`` sees them as they are.
        static_argnames: the same for keyword arguments, by name.
        cache_size: how many signatures keep their recordings (least recently used out).
        check: replay and also run ``fun`` eagerly on every call, raising
            :class:`JitMismatchError` at the first leaf that differs; by default on when
            the environment variable ``AUTOTAPE_JIT_CHECK`` is ``1``. For debugging.
        donate: let the replay write results into arrays it made itself and no longer
            needs (never inputs, constants or returned arrays). ``False`` allocates anew.
    Returns:
        A function with ``fun``'s signature and results (bit for bit those of ``fun``),
        with ``cache_info()`` and ``cache_clear()``. Usable as a decorator, with or
        without arguments (``@at.jit`` or ``@at.jit(static_argnums=1)``).
    Raises:
        TypeError: an argument leaf that is not an array or number (mark it static), an
            unhashable static argument.
        JitError: while recording, ``fun`` drew random numbers (pass them in instead).
        Exception: an error while replaying is the eager call's error, its message naming
            the function, the op and the line it was recorded at.

    The signature of a call is the pytree structure of its arguments, every array leaf's
    shape, dtype and strides, the values of Python numbers among them and of static
    arguments. The first call for a signature runs ``fun`` eagerly while recording (so
    its Python side effects, like ``print``, happen then only); later calls replay.
    Python control flow on values (``if loss > 0``, ``int(x)`` as an index) is recorded
    as a guard: a replay that would decide otherwise records the function again (up to
    8 variants per signature are kept). Arrays read from globals and closures are held
    by reference, so changing them in place is seen; rebinding a global name to a new
    array is not. Inside another transform (``grad(jit(f))``) the jitted function runs
    eagerly. Source: the Wengert list (Griewank & Walther, "Evaluating Derivatives",
    2008, ch. 3) replayed as straight-line code, as ``jax.jit`` stages out a trace.
    """
    if fun is None:
        return lambda f: jit(f, static_argnums, static_argnames, cache_size=cache_size, check=check, donate=donate)
    if not callable(fun):
        raise TypeError(f"jit: expected a function, got {type(fun).__name__}")
    nums = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    if any(not isinstance(n, int) or isinstance(n, bool) for n in nums):
        raise TypeError(f"jit: static_argnums must be ints, got {static_argnums!r}")
    if not isinstance(cache_size, int) or cache_size < 1:
        raise ValueError(f"jit: cache_size must be a positive int, got {cache_size!r}")
    if check is None:
        check = os.environ.get("AUTOTAPE_JIT_CHECK", "") == "1"
    if not _SHAPE_STATIC:
        _init_shape_static()
        _INLINE.update(_inline_table())
    return JittedFunction(fun, tuple(n for n in nums), names, cache_size, bool(check), donate)

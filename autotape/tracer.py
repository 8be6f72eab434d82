"""Traced values: what a transform's function sees instead of its arguments.

A :class:`Traced` pairs a primal value with the tape that records what is done to
it and its node id on that tape. Under nested transforms the primal value is itself
a :class:`Traced` of an outer tape. Operators, methods and NumPy's dispatch
protocols (``__array_ufunc__``, ``__array_function__``) all route to the op
library's primitives, so that plain NumPy code is recorded, never silently
converted to an object array or detached from the tape.
"""

from __future__ import annotations

import operator
import sys
from typing import Any

import numpy as np

from .tape import active_tapes

__all__ = ["Traced", "primal", "concrete", "escaped_tracer_error"]

# The op library, set by ``autotape.ops`` once it is built (it imports this module).
_ops: Any = None
# at.jit's recording hooks (``call`` and ``guard``), set by ``autotape.jit``; used only for
# values traced on a jit recording tape.
jit_hooks: Any = None


def bind_op_library(ops_module: Any) -> None:
    global _ops
    _ops = ops_module


def op_library() -> Any:
    """The op library's entry points that traced values and the engine call."""
    return _ops


def primal(x: Any) -> Any:
    """The innermost primal value of ``x``: an ndarray or scalar with every tape stripped.

    While ``at.jit`` records, values traced on its recording tape are kept (that tape is
    never stripped), so what is computed from a primal value is recorded too.
    """
    while type(x) is Traced:
        if x.tape.jit:
            return x
        x = x.value
    return x


def primal_array(x: Any) -> Any:
    """:func:`primal` as an array: ``np.asarray(primal(x))``, except that a value an at.jit
    recording traces stays traced (converting it would bake its values into the recording)."""
    x = primal(x)
    return x if type(x) is Traced else np.asarray(x)


def concrete(x: Any) -> Any:
    """The plain value of ``x`` with every tape stripped, a jit recording's included.

    For shapes, dtypes, messages, and arrays that are passed on unchanged (at.jit
    recognises those by identity); anything computed from it is not recorded.
    """
    while type(x) is Traced:
        x = x.value
    return x


def is_live(tape) -> bool:
    stack = active_tapes()
    return tape.level < len(stack) and stack[tape.level] is tape


def escaped_tracer_error(op_name: str, tracer: Traced) -> RuntimeError:
    return RuntimeError(
        f"{op_name}: got a traced value from {tracer.tape.describe_origin()}, which has already returned "
        "(or runs in another thread). A traced value is only valid inside the function being "
        "differentiated: return it, or pass it in as an argument, instead of keeping it in a "
        "global or closure. Use at.stop_gradient(x) inside the function to keep a plain copy."
    )


def _check_live(name: str, values) -> None:
    for value in values:
        if type(value) is Traced and not is_live(value.tape):
            raise escaped_tracer_error(name, value)


class Traced:
    """A value being traced on a tape; behaves like the ndarray it wraps.

    Supports ``+ - * / ** @``, unary ``-``, ``abs()``, indexing ``x[index]`` (basic
    and integer-array), ``.T``, ``.shape``, ``.ndim``, ``.dtype``, ``.size``,
    ``len()``, comparisons (which return plain boolean arrays), and the methods
    ``reshape``, ``transpose``, ``sum``, ``mean``, ``max``, ``min``, ``ravel``,
    ``flatten``, ``copy``, ``astype``. NumPy functions with an autotape primitive
    (``np.tanh(x)``, ``np.sum(x)``, ...) are recorded too; others raise TypeError
    rather than dropping the gradient.
    """

    __slots__ = ("value", "tape", "node")

    def __init__(self, value: Any, tape: Any, node: int):
        self.value = value
        self.tape = tape
        self.node = node

    # -- array attributes -------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.value.shape

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    @property
    def ndim(self) -> int:
        return len(self.value.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.value.shape))

    def __len__(self) -> int:
        if not self.value.shape:
            raise TypeError("len() of a 0-d traced value")
        return self.value.shape[0]

    def __repr__(self) -> str:
        return f"Traced({concrete(self)!r}, level={self.tape.level}, node={self.node})"

    # -- arithmetic -------------------------------------------------------
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.subtract(self, other)

    def __rsub__(self, other):
        return _ops.subtract(other, self)

    def __mul__(self, other):
        return _ops.multiply(self, other)

    def __rmul__(self, other):
        return _ops.multiply(other, self)

    def __truediv__(self, other):
        return _ops.divide(self, other)

    def __rtruediv__(self, other):
        return _ops.divide(other, self)

    def __pow__(self, other):
        return _ops.power(self, other)

    def __rpow__(self, other):
        return _ops.power(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.negative(self)

    def __pos__(self):
        if self.tape.jit:  # a plain array eagerly: +x is a new array there
            return np.positive(self)
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        _check_live("getitem", (self,))
        return _ops.getitem(self, index)

    # -- comparisons: plain boolean arrays of the primal values ----------
    def __lt__(self, other):
        return np.less(primal(self), primal(other))

    def __le__(self, other):
        return np.less_equal(primal(self), primal(other))

    def __gt__(self, other):
        return np.greater(primal(self), primal(other))

    def __ge__(self, other):
        return np.greater_equal(primal(self), primal(other))

    def __eq__(self, other):
        return np.equal(primal(self), primal(other))

    def __ne__(self, other):
        return np.not_equal(primal(self), primal(other))

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        value = primal(self)
        if type(value) is Traced:  # a value at.jit records: a guarded decision
            return jit_hooks.guard(value, "bool")
        return bool(value)

    # -- methods ----------------------------------------------------------
    # The ndarray methods that are NumPy functions of the array (sum, prod, var, clip,
    # ...) are set below the class, from the op library; these need their own handling.
    @property
    def T(self):
        return _ops.transpose(self)

    @property
    def mT(self):
        return _ops.function("swapaxes")(self, -1, -2)

    @property
    def real(self):
        return _ops.function("real")(self)

    @property
    def imag(self):
        return _ops.function("imag")(self)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return _ops.function("reshape")(self, shape, order)

    def transpose(self, *axes):
        if len(axes) == 1 and not isinstance(axes[0], int):
            axes = axes[0]
        return _ops.transpose(self, axes or None)

    def flatten(self, order="C"):
        # A traced value is never modified, so a view and a copy are the same; a value at.jit
        # records is a plain array eagerly, where flatten copies (a result may be changed).
        if self.tape.jit:
            return jit_hooks.call(np.ndarray.flatten, (self,), {"order": order})
        return _ops.function("ravel")(self, order)

    def copy(self, order="C"):
        # A new traced value, so that in-place operators on the copy (which rebind it) never
        # look like an update of an array another name holds.
        return _ops.function("copy")(self)

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        return _ops.astype(self, dtype)

    def __iter__(self):
        if not self.value.shape:
            raise TypeError("iteration over a 0-d traced value")
        return (self[i] for i in range(self.value.shape[0]))

    def __mod__(self, other):
        return _ops.function("remainder")(self, other)

    def __rmod__(self, other):
        return _ops.function("remainder")(other, self)

    def __divmod__(self, other):
        return self // other, self % other

    def __rdivmod__(self, other):
        return other // self, other % self

    def _in_place_method(self, name: str, instead: str):
        _check_live(f"ndarray.{name}", (self,))
        return TypeError(
            f"x.{name}(...) changes the array in place, which a traced value never is (the tape has "
            f"recorded it); use the function that returns a new array: {instead}"
        )

    def sort(self, *args, **kwargs):
        raise self._in_place_method("sort", "x = np.sort(x, ...)")

    def partition(self, *args, **kwargs):
        raise self._in_place_method("partition", "x = np.partition(x, kth, ...)")

    def fill(self, value):
        raise self._in_place_method("fill", "x = np.full_like(x, value), or np.broadcast_to(value, x.shape)")

    def resize(self, *args, **kwargs):
        raise self._in_place_method("resize", "x = np.resize(x, shape)")

    def put(self, *args, **kwargs):
        raise self._in_place_method("put", "np.where(mask, values, x), or build the array from its pieces")

    # Bitwise operators (masks): no derivative, so they reach NumPy's ufuncs, which at.jit
    # records on its values and which raise for values a transform differentiates.
    def __and__(self, other):
        return np.bitwise_and(self, other)

    def __rand__(self, other):
        return np.bitwise_and(other, self)

    def __or__(self, other):
        return np.bitwise_or(self, other)

    def __ror__(self, other):
        return np.bitwise_or(other, self)

    def __xor__(self, other):
        return np.bitwise_xor(self, other)

    def __rxor__(self, other):
        return np.bitwise_xor(other, self)

    def __invert__(self):
        return np.invert(self)

    def __floordiv__(self, other):  # piecewise constant: a plain array
        return np.floor_divide(primal(self), primal(other))

    def __rfloordiv__(self, other):
        return np.floor_divide(primal(other), primal(self))

    def __format__(self, spec: str) -> str:
        # A string is not differentiated, so formatting the value loses nothing (as
        # PyTorch formats a scalar tensor).
        value = primal(self)
        if type(value) is Traced:
            return jit_hooks.guard(value, "format", spec)
        return format(value[()] if np.ndim(value) == 0 else value, spec)

    # In-place operators (x += y) rebind the name to x + y, a new traced value, as JAX and
    # autograd allow; they are defined below the class. Item assignment would modify an
    # array the tape has recorded, so it stays an error.
    def __setitem__(self, index, value):
        raise TypeError(
            "item assignment x[i] = v on a traced value: autotape records pure functions, so arrays "
            "are never modified in place. Build the rows as a list and stack them "
            "(autotape.numpy.stack(rows)), or select with at.where(mask, v, x)."
        )

    def _detaching(self, what: str):
        _check_live(what, (self,))
        return TypeError(
            f"{what} of a traced value would detach it from the tape and silently lose its "
            "gradient. Keep it an array, or call at.stop_gradient(x) if you want a constant."
        )

    def __float__(self):
        if self.tape.jit:
            return jit_hooks.guard(self, "float")
        error = self._detaching("float()")
        error.args = (
            error.args[0] + " (NumPy calls float() when a traced value is assigned into a NumPy array, "
            "preds[i] = x: collect the values in a list and build the array with autotape.numpy.stack "
            "or autotape.numpy.array instead.)",
        )
        raise error

    def __int__(self):
        if self.tape.jit:
            return jit_hooks.guard(self, "int")
        raise self._detaching("int()")

    def __complex__(self):
        if self.tape.jit:
            return jit_hooks.guard(self, "complex")
        raise self._detaching("complex()")

    def __index__(self):
        if self.tape.jit:
            return jit_hooks.guard(self, "index")
        raise self._detaching("using it as an index (operator.index)")

    def item(self, *args):
        if self.tape.jit:
            return jit_hooks.guard(self, "item", args)
        raise self._detaching(".item()")

    def tolist(self):
        if self.tape.jit:
            return jit_hooks.guard(self, "tolist")
        raise self._detaching(".tolist()")

    def __array__(self, dtype=None, copy=None):
        if self.tape.jit:  # the concrete array, its whole value guarded
            value = jit_hooks.guard(self, "array")
            return value if dtype is None else value.astype(dtype, copy=False)
        _check_live("numpy.asarray", (self,))
        raise TypeError(
            "a traced value cannot be converted to a NumPy array inside a transform: the "
            "gradient would be lost. This happens with np.array([x, y]) or np.mean([x, y]) of "
            "traced values and with item assignment into a NumPy array (preds[i] = x): use "
            "autotape.numpy (import autotape.numpy as anp; anp.array([x, y]), anp.stack(rows)), "
            "which builds the array from traced values. It also happens inside functions that "
            "convert their arguments instead of dispatching (np.random.*, np.vectorize, "
            "np.full, scipy.stats, scipy.linalg, scipy.signal): use autotape.numpy, autotape.scipy "
            "(e.g. autotape.scipy.stats.norm.logpdf), or pass at.stop_gradient(x) for an explicit constant."
        )

    # -- NumPy dispatch protocols -----------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _check_live(f"numpy.{ufunc.__name__}", inputs)
        if "out" in kwargs:
            raise TypeError(
                f"numpy.{ufunc.__name__}(..., out=...) on a traced value: writing into an "
                "output array is an in-place update the tape cannot follow. Drop out= and use "
                "the returned value; for an in-place operator on a NumPy array (total += loss with "
                "total = np.zeros(...)), write total = total + loss, or start from total = 0.0."
            )
        return _ops.dispatch_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        _check_live(f"numpy.{func.__name__}", args)
        return _ops.dispatch_function(func, args, kwargs)


#: ndarray methods that are the NumPy function of the same name applied to the array.
ARRAY_METHODS = (
    "all",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "choose",
    "clip",
    "compress",
    "conj",
    "conjugate",
    "cumprod",
    "cumsum",
    "diagonal",
    "dot",
    "max",
    "mean",
    "min",
    "nonzero",
    "prod",
    "ravel",
    "repeat",
    "round",
    "searchsorted",
    "squeeze",
    "std",
    "sum",
    "swapaxes",
    "take",
    "trace",
    "var",
)


def _array_method(name: str):
    def method(self, *args, **kwargs):
        return _ops.function(name)(self, *args, **kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``numpy.{name}`` of the traced value (``ndarray.{name}``)."
    return method


for _name in ARRAY_METHODS:
    setattr(Traced, _name, _array_method(_name))


class _Probe:
    """Measures how many references an in-place operator's target has when nothing else
    holds it (``x += 1`` on a local name), on this Python."""

    refs = 0

    def __iadd__(self, other):
        _Probe.refs = sys.getrefcount(self)
        return self


def _probe_refs(itself: bool) -> int:
    probe = _Probe()
    if itself:
        probe += probe
    else:
        probe += 1
    return _Probe.refs


_LONE_REFS = _probe_refs(itself=False)
_SELF_REFS = _probe_refs(itself=True)  # x *= x: the operand is the target itself


def _aliasing_error(symbol: str, why: str) -> TypeError:
    return TypeError(
        f"x {symbol} y on a traced value that {why}: NumPy would update that array in place, so "
        "the other name (or the array viewed) would change too, but a traced value is never "
        f"modified: x {symbol} y makes a new one. Write x = x {symbol[:-1]} y and use the new value "
        "wherever the update should be seen (or build the array from its pieces)."
    )


def _inplace(function: Any, symbol: str):
    def method(self, other):
        extra = sys.getrefcount(self) - (_SELF_REFS if other is self else _LONE_REFS)
        # A whole argument of the traced function is also held by the transform's argument
        # tuple: that one reference is not an alias.
        if extra > 0 and not (extra == 1 and self.node in self.tape.whole_arguments):
            raise _aliasing_error(symbol, "another name, list or object also refers to")
        if getattr(primal(self), "base", None) is not None:
            raise _aliasing_error(symbol, "is a view of another array (a slice, reshape or transpose)")
        return function(self, other)

    method.__name__ = method.__qualname__ = f"__i{function.__name__.strip('_')}__"
    return method


for _symbol, _function in (
    ("+=", operator.add),
    ("-=", operator.sub),
    ("*=", operator.mul),
    ("/=", operator.truediv),
    ("**=", operator.pow),
    ("@=", operator.matmul),
    ("%=", operator.mod),
    ("//=", operator.floordiv),
):
    setattr(Traced, f"__i{_function.__name__.strip('_')}__", _inplace(_function, _symbol))

"""Primitives: the ops the tape records, and the one function that records them.

A primitive has a forward rule that returns ``(output, residuals)`` and one VJP rule
per positional input. Positional arguments are the operands (arrays, Python
scalars, traced values); keyword arguments are static parameters (``axis``,
``shape``, ...) and are never differentiated. The op library defines every op this
way, and users define their own the same way (see :func:`primitive`).
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from . import _config
from . import tracer as tracer_module
from ._config import OFF as _OFF
from ._config import context_switches as _context_switches
from .tape import active_tapes, identity_vjp, user_source
from .tracer import Traced, concrete, escaped_tracer_error, primal
from .tracer import op_library as tracer_ops

__all__ = ["Primitive", "primitive", "identity_vjp"]


class Primitive:
    """A differentiable operation: a forward rule, VJP rules, and a fast NumPy path.

    Args:
        fwd: ``fwd(*operands, **params) -> (output, residuals)`` where ``residuals``
            is a tuple holding exactly what the VJP rules need. It receives NumPy
            arrays, or, under nested transforms, values traced on outer tapes, so it
            must be written with NumPy functions and operators that autotape
            dispatches (or with autotape primitives). Its first call's result is
            checked for that form (a TypeError names the rule otherwise, e.g. for a
            rule that returns only the output); later calls go to ``fwd`` directly.
        name: shown in tapes and error messages; defaults to ``fwd.__name__``.
        impl: ``impl(*operands, **params) -> output`` used when no operand is
            traced; defaults to ``fwd(...)[0]``. Give the bare NumPy function here
            to make untraced calls cost what NumPy costs.
        check: ``check(*operands, **params)``, called only after the forward rule or
            ``impl`` raised ValueError: it raises a clearer error naming the op, the
            shapes and a fix when the operands are at fault (NumPy's own message is
            kept otherwise). Costs nothing when nothing goes wrong.

    VJP rules are added with :meth:`defvjp`: ``vjp_i(g, *residuals)`` returns the
    cotangent of operand ``i`` given the output cotangent ``g``. It may return it in
    the output's (broadcast) shape: the engine sums it back to the operand's shape.
    Rules must also be written with dispatching NumPy calls, so that at higher order
    the reverse walk is itself recorded.
    """

    __slots__ = (
        "name",
        "fwd",
        "impl",
        "check",
        "vjps",
        "jvps",
        "joint_jvp",
        "linear",
        "arity",
        "__wrapped__",
        "__dict__",
    )

    def __init__(
        self, fwd: Callable, name: str | None = None, impl: Callable | None = None, check: Callable | None = None
    ):
        # The first call's result is checked for the (output, residuals) form, then
        # self.fwd becomes fwd itself: the check costs nothing on later calls.
        self.fwd = _checked_on_first_call(self, fwd)
        self.check = check
        self.name = name or fwd.__name__.lstrip("_").removesuffix("_fwd")
        self.impl = impl if impl is not None else _output_only(fwd, self.name)
        self.vjps: Any = ()
        self.jvps: Any = ()
        self.joint_jvp: Callable | None = None
        self.linear = False
        self.arity: int | None = 0
        self.__doc__ = fwd.__doc__
        self.__wrapped__ = fwd

    def defvjp(self, *vjps: Callable | None) -> Primitive:
        """Set one VJP rule per positional operand (``None``: not differentiable).

        Raises:
            TypeError: the forward rule's signature takes a fixed number of positional
                operands and ``vjps`` has another number of rules.
        """
        _check_rule_count(self, len(vjps))
        self.vjps = vjps
        self.arity = len(vjps)
        return self

    def defvjp_variadic(self, rule: Callable) -> Primitive:
        """For ops taking any number of operands: ``rule(i, g, *residuals)`` is operand ``i``'s VJP."""
        self.vjps = _VariadicRules(rule)
        self.arity = None
        return self

    def defjvp(self, *jvps: Callable | None) -> Primitive:
        """Set one JVP rule per positional operand (``None``: not differentiable).

        ``jvp_i(t, *residuals)`` returns the output's tangent caused by the tangent ``t``
        of operand ``i`` (which has that operand's shape), from the same residuals the
        VJP rules get; forward mode sums the contributions of all operands and
        broadcasts the sum to the output's shape. Like VJP rules, JVP rules must be
        written with dispatching NumPy calls (or autotape ops), so that they nest.

        Raises:
            TypeError: the number of rules differs from the number of VJP rules.
        """
        if self.arity is not None and self.vjps and len(jvps) != len(self.vjps):
            raise TypeError(
                f"primitive {self.name!r}: defjvp got {len(jvps)} rule(s) but it has {len(self.vjps)} VJP rule(s); "
                "give one JVP rule (or None) per positional operand"
            )
        self.jvps = jvps
        return self

    def defjvp_variadic(self, rule: Callable) -> Primitive:
        """For ops taking any number of operands: ``rule(i, t, *residuals)`` is operand ``i``'s JVP."""
        self.jvps = _VariadicRules(rule)
        return self

    def defjvp_joint(self, rule: Callable) -> Primitive:
        """One JVP rule for all operands at once: ``rule(tangents, *residuals)``, where
        ``tangents`` has one entry per operand (``None`` for a zero tangent), returns the
        output's tangent. Used by :func:`autotape.custom_jvp`, whose rules see every
        tangent together."""
        self.joint_jvp = rule
        return self

    def deflinear(self, transpose: Callable) -> Primitive:
        """Declare a one-operand primitive linear in its operand (JAX's ``deflinear``).

        Its JVP is the primitive itself applied to the tangent, with the same static
        parameters; ``transpose(g, *residuals)`` is its VJP rule (the adjoint map).
        """
        self.defvjp(transpose)
        self.linear = True
        return self

    def __repr__(self) -> str:
        return f"<autotape primitive {self.name}>"

    def bind(self, *args, **params):
        """Apply the primitive: ``prim.bind(x, y, axis=0)`` is ``prim(x, y, axis=0)``.

        The op library calls ``bind``: a method call runs in the caller's interpreter
        loop, where calling the instance goes through ``__call__`` from C, a new loop.
        """
        # Unary and binary calls, the hot path of tracing, are handled inline here,
        # including the append of their entry; other arities go through _record.
        try:
            stack = active_tapes()
            if not stack:
                return self._untraced(args, params)
            if len(args) == 1:
                (x,) = args
                if type(x) is not Traced:
                    return self._untraced(args, params)
                tape = x.tape
                level = tape.level
                if level >= len(stack) or stack[level] is not tape:
                    raise escaped_tracer_error(self.name, x)
                if self.arity != 1 and self.arity is not None:
                    _check_arity(self, 1)
                value = x.value
                if params:
                    _check_static(self.name, params, tape)
                    out, residuals = self.fwd(value, **params)
                else:
                    out, residuals = self.fwd(value)
                inputs: tuple = (x.node,)
                shapes: tuple = (value.shape,)
            elif len(args) == 2:
                x, y = args
                x_traced = type(x) is Traced
                y_traced = type(y) is Traced
                if not (x_traced or y_traced):
                    return self._untraced(args, params)
                if x_traced and (not y_traced or x.tape.level >= y.tape.level):
                    tape = x.tape
                else:
                    tape = y.tape
                level = tape.level
                if level >= len(stack) or stack[level] is not tape:
                    raise escaped_tracer_error(self.name, x if x_traced and x.tape is tape else y)
                if self.arity != 2 and self.arity is not None:
                    _check_arity(self, 2)
                if x_traced and x.tape is tape:
                    xv = x.value
                    x_node, x_shape = x.node, xv.shape
                else:
                    xv, x_node, x_shape = (np.asarray(x) if type(x) in _SEQUENCES else x), None, None
                if y_traced and y.tape is tape:
                    yv = y.value
                    y_node, y_shape = y.node, yv.shape
                else:
                    yv, y_node, y_shape = (np.asarray(y) if type(y) in _SEQUENCES else y), None, None
                if params:
                    _check_static(self.name, params, tape)
                    out, residuals = self.fwd(xv, yv, **params)
                else:
                    out, residuals = self.fwd(xv, yv)
                inputs = (x_node, y_node)
                shapes = (x_shape, y_shape)
            else:
                return self._record_any(stack, args, params)
        except ValueError:
            if self.check is not None:
                self.check(*map(primal, args), **params)
            _check_fwd_result(self, args, params)
            raise
        except TypeError:
            packed = _packed_sequences(args)
            if packed is not None:  # a list holding traced values, as autotape.numpy allows
                return self.bind(*packed, **params)
            _check_fwd_result(self, args, params)
            raise
        switches = _context_switches() or _config.default
        if switches is not _OFF:
            return self._append(tape, inputs, shapes, out, residuals, params, args)
        if type(out) is not np.ndarray and not hasattr(out, "shape"):
            out = np.asarray(out)
        node = tape.num_nodes
        tape.num_nodes = node + 1
        tape.records.append((self, inputs, shapes, node, out.shape, out.dtype, residuals, params, None))
        traced = _new_object(Traced)  # the slots set here: no __init__ call on the hot path
        traced.value = out
        traced.tape = tape
        traced.node = node
        return traced

    __call__ = bind

    def _record_any(self, stack: tuple, args: tuple, params: dict) -> Any:
        """A call with any number of operands: recorded on the innermost tape any of them is traced on."""
        top = None
        level = -1
        for arg in args:
            if type(arg) is Traced and arg.tape.level > level:
                top = arg.tape
                level = top.level
        if top is None:
            return self._untraced(args, params)
        if level >= len(stack) or stack[level] is not top:
            raise escaped_tracer_error(self.name, next(a for a in args if type(a) is Traced and a.tape is top))
        if self.arity is not None and self.arity != len(args):
            _check_arity(self, len(args))
        return self._record(top, args, params)

    def _untraced(self, args: tuple, params: dict) -> Any:
        """A call with nothing traced: plain NumPy, NaN-checked while debug_nans is on.

        While at.jit records, a call whose parameters hold a value it records (an index
        array in a VJP rule) is recorded as a step instead."""
        if _config.jit_recording and params and tracer_module.jit_hooks.holds_recorded(params):
            return tracer_module.jit_hooks.call(self.impl, args, params)
        out = self.impl(*args, **params)
        if _config.maybe_checking and _config.checking():
            _config.check_finite(self.name, out, user_source(), tuple(map(np.shape, args)))
        return out

    def _record(self, tape, args: tuple, params: dict) -> Traced:
        """Run the forward rule on the operands' values and append one entry to ``tape``."""
        operands = list(args)
        inputs: list = [None] * len(args)
        shapes: list = [None] * len(args)
        for i, arg in enumerate(args):
            if type(arg) is Traced and arg.tape is tape:
                value = arg.value
                operands[i] = value
                inputs[i] = arg.node
                shapes[i] = value.shape
            elif type(arg) in _SEQUENCES:
                operands[i] = np.asarray(arg)
        if params:
            _check_static(self.name, params, tape)
        out, residuals = self.fwd(*operands, **params)
        return self._append(tape, tuple(inputs), tuple(shapes), out, residuals, params, operands)

    def _append(
        self, tape, inputs: tuple, shapes: tuple, out, residuals: tuple, params: dict, args: Any = ()
    ) -> Traced:
        """Append the entry of one call to ``tape`` (with its source and NaN check when
        those switches are on) and return its traced output. ``args`` are the call's
        operands, which an at.jit recording tape keeps."""
        if type(out) is not np.ndarray and not hasattr(out, "shape"):
            out = np.asarray(out)
        node = tape.num_nodes
        tape.num_nodes = node + 1
        switches = _context_switches() or _config.default
        if tape.jit:
            source = tape.records.append_call(self, inputs, args, params, out, node)
        else:
            source = user_source() if switches.record_source else None
            tape.records.append((self, inputs, shapes, node, out.shape, out.dtype, residuals, params, source))
        if switches.check_nans:
            _config.check_finite(self.name, out, source, shapes, infs=switches.check_infs)
        return Traced(out, tape, node)


# Lists and tuples of numbers given as constant operands become arrays, as NumPy would
# make them, so VJP rules can rely on .shape, .T and friends.
_new_object = object.__new__
_SEQUENCES = frozenset({list, tuple})


def _holds_traced(value: Any) -> bool:
    if type(value) is Traced:
        return True
    return type(value) in _SEQUENCES and any(_holds_traced(v) for v in value)


def _packed_sequences(args: tuple) -> tuple | None:
    """``args`` with each list or tuple that holds traced values made one traced array
    (``autotape.numpy.array``); ``None`` if there is none, so the error stands."""
    if not any(type(a) in _SEQUENCES and _holds_traced(a) for a in args):
        return None
    return tuple(tracer_ops().array(a) if type(a) in _SEQUENCES and _holds_traced(a) else a for a in args)


class _VariadicRules:
    __slots__ = ("rule",)

    def __init__(self, rule: Callable):
        self.rule = rule

    def __getitem__(self, i: int) -> Callable:
        rule = self.rule
        return lambda g, *residuals: rule(i, g, *residuals)

    def __iter__(self):
        i = 0
        while True:
            yield self[i]
            i += 1


def _output_only(fwd: Callable, name: str) -> Callable:
    def impl(*args, **params):
        result = fwd(*args, **params)
        _check_pair(name, result, fwd)
        return result[0]

    return impl


def _checked_on_first_call(prim: Primitive, fwd: Callable) -> Callable:
    """``fwd``, checking the form of its result until a call returns ``(output, residuals tuple)``.

    A forward rule that returns only its output would otherwise be unpacked as
    ``(output, residuals)`` whenever that output has length 2 (its two rows), and the
    error would surface later, in a VJP rule. After the first well-formed result
    ``prim.fwd`` is ``fwd`` itself, so recording pays nothing for the check.
    """

    @functools.wraps(fwd)
    def first_call(*args, **params):
        result = fwd(*args, **params)
        _check_pair(prim.name, result, fwd)
        prim.fwd = fwd
        return result

    return first_call


def _rule_name(rule: Callable) -> str:
    """``name (file.py:line)`` of a forward rule, for error messages."""
    name = getattr(rule, "__name__", None) or repr(rule)
    code = getattr(rule, "__code__", None)
    if code is None:
        return name
    return f"{name} ({os.path.basename(code.co_filename)}:{code.co_firstlineno})"


def _check_pair(name: str, result: Any, rule: Callable | None = None) -> None:
    """TypeError naming primitive ``name`` and its forward ``rule`` unless ``result`` is ``(output, residuals)``."""
    if type(result) is tuple and len(result) == 2 and type(result[1]) is tuple:
        return
    if type(result) is tuple and len(result) == 2:
        got = f"residuals of type {type(result[1]).__name__}"
    elif type(result) is tuple:
        got = f"a tuple of length {len(result)}"
    else:
        got = f"a value of type {type(result).__name__}"
        if hasattr(result, "shape"):
            got += f" and shape {tuple(result.shape)}"
        got += " (only the output?)"
    rule_text = "" if rule is None else f" {_rule_name(rule)}"
    raise TypeError(
        f"primitive {name!r}: its forward rule{rule_text} must return (output, residuals) with residuals a tuple "
        f"(e.g. `return out, (x,)`, or `return out, ()` when the VJP rules need nothing), but it returned {got}"
    )


def _check_fwd_result(prim: Primitive, args: tuple, params: dict) -> None:
    """After a forward rule failed: a clearer TypeError if the rule's result is malformed.

    The rule is run again on the plain values; if that raises too, the original error
    stands (it was not about the result's form).
    """
    rule = prim.__wrapped__
    try:
        result = rule(*map(primal, args), **params)
    except Exception:
        return
    _check_pair(prim.name, result, rule)


def _check_rule_count(prim: Primitive, count: int) -> None:
    try:
        parameters = inspect.signature(prim.fwd).parameters.values()
    except (TypeError, ValueError):  # no signature to read (some builtins)
        return
    kinds = [p.kind for p in parameters]
    if inspect.Parameter.VAR_POSITIONAL in kinds:
        return
    positional = [
        p for p in parameters if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    if not len(required) <= count <= len(positional):
        takes = str(len(positional)) if len(required) == len(positional) else f"{len(required)} to {len(positional)}"
        raise TypeError(
            f"primitive {prim.name!r}: defvjp got {count} rule(s), but its forward rule takes {takes} positional "
            "operand(s); give one rule per operand (None for an operand that is not differentiated)"
        )


def _check_static(name: str, params: dict, tape: Any) -> None:
    for key, value in params.items():
        if type(value) is Traced:
            if value.tape.jit:
                # A value at.jit records, as a parameter (an index array): the call on the
                # recording tape gets its plain value, which the recording recognises by
                # identity; calls on higher tapes keep it traced (their rules record with it).
                if tape.jit:
                    params[key] = concrete(value)
                continue
            raise TypeError(
                f"{name}: the keyword argument {key}= is a traced value, but keyword arguments of a "
                "primitive are static parameters, never differentiated. Pass it positionally, as an "
                "operand with a VJP rule (or None), or pass at.stop_gradient(...) of it to use its value "
                "as a constant."
            )


def _check_arity(prim: Primitive, nargs: int) -> None:
    if not prim.vjps:
        raise NotImplementedError(
            f"primitive {prim.name!r} has no VJP rules; define them with {prim.name}.defvjp(...) "
            "before differentiating it"
        )
    raise TypeError(
        f"primitive {prim.name!r} was called with {nargs} positional operands but has {len(prim.vjps)} VJP rules; "
        "give one rule (or None) per positional operand, and pass static parameters by keyword"
    )


def primitive(fwd: Callable | None = None, *, name: str | None = None, impl: Callable | None = None) -> Any:
    """Decorator form of :class:`Primitive`: define a new differentiable op.

    Example (the rule :math:`d(x^3)/dx = 3x^2`)::

        @at.primitive
        def cube(x):
            return x ** 3, (x,)          # (output, residuals)

        cube.defvjp(lambda g, x: 3 * x ** 2 * g)

        at.grad(lambda x: cube(x).sum())(np.array([1.0, 2.0]))  # -> [3., 12.]

    Residuals pass explicitly from the forward rule to each VJP rule, after ``g``.
    Keyword arguments of the op are static: passed to ``fwd`` and never differentiated.
    """
    if fwd is None:
        return lambda f: Primitive(f, name=name, impl=impl)
    return Primitive(fwd, name=name, impl=impl)

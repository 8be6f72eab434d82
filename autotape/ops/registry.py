"""The op registry: how an op is declared, and the catalogue the rest of autotape reads.

An op is written once, in one place: its NumPy implementation, its VJP and JVP
rules, and its test spec. There are three forms:

* **A table row**, for elementwise functions (:func:`elementwise`). The row gives the
  NumPy function and, per operand, the derivative as a NumPy expression of the
  (co)tangent ``g``, the operands (``x``, ``y``) and the output ``ans``, e.g.
  ``"g * cos(x)"`` for ``sin``. For an elementwise op the VJP and the JVP are the
  same map (multiplication by the derivative; for complex holomorphic functions too,
  under the convention in ``docs/complex.md``), so one expression gives both rules.
  Only the names the expressions use are kept as residuals.
* **A primitive** (:func:`defprim`), for structured ops: a forward rule returning
  ``(output, residuals)``, one VJP and one JVP rule per operand (or ``linear=...``
  with the transpose), beside the public function that binds it.
* **A composite**: a public function written with other ops, which inherits their
  rules (``var`` is a mean of squares; ``vstack`` is a ``concatenate``).

The public function of a primitive or composite is declared with :func:`op`, which
gives it a fast path (outside any transform it calls NumPy directly) and registers
it. The registry then drives NumPy's dispatch (``__array_ufunc__`` and
``__array_function__``), the ``autotape.numpy`` namespace, the top-level ``autotape``
exports, ``python -m autotape.coverage`` and the docs' op list, and the generated
tests (each op's :class:`Spec`). Nothing else lists the ops.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _config, remat
from .. import tracer as _tracer
from ..primitive import Primitive, identity_vjp
from ..tracer import Traced, primal

__all__ = [
    "OpInfo",
    "Spec",
    "REGISTRY",
    "UFUNCS",
    "FUNCTIONS",
    "CONSTANTS",
    "defprim",
    "op",
    "elementwise",
    "constant",
    "refuse",
    "REFUSED",
    "no_extras",
    "RULE_NAMESPACE",
    "on_values",
]


@dataclass(frozen=True)
class Spec:
    """How the generated tests exercise an op (see ``tests/test_ops.py``).

    Attributes:
        cases: ``cases(k) -> strategy`` of :class:`autotape.testing.cases.Case`, where
            ``k`` is the :mod:`autotape.testing.cases` module (imported only by the
            tests, so hypothesis is not needed to import autotape). The drawn operands
            lie inside the op's smooth domain.
        domain: the domain drawn from, in words, for the docs' op list.
        reference: an independent NumPy implementation ``reference(*args, **params)``;
            ``None`` means the NumPy function the op mirrors.
        complex: the op also accepts complex operands: the tests check its rules on
            complex inputs too.
        second_order: check second derivatives (off for ops whose VJP is piecewise
            constant in a way finite differences cannot see, which is documented).
        float32: float32 operands give a float32 result.
        sequence: the op takes a sequence of arrays (``concatenate``, ``select``): lists
            of traced values among its arguments are not packed into one array; the
            tests pass the operands as one list (unless ``call`` says otherwise).
        fd_step, rtol: finite-difference step and tolerance, for ops whose curvature
            needs them.
        complex_cases: the cases whose differentiated operands are made complex
            (``z = a + i a'``, both parts drawn from the real domain), when they must keep
            further from poles and branch points than ``cases``.
        call: ``call(function, operands, params) -> array``: how the tests call the op (and
            its reference) with a case's operands, for an op whose operands go into several
            lists (``select``) or that returns several arrays (``split``: the call joins
            them into one array, with NumPy calls that dispatch). ``None``:
            ``function(*operands, **params)`` (or the one list of ``sequence``).
    """

    cases: Callable[[Any], Any]
    domain: str = ""
    reference: Callable | None = None
    complex: bool = False
    second_order: bool = True
    float32: bool = True
    sequence: bool = False
    fd_step: float = 1e-6
    rtol: float = 1e-6
    complex_cases: Callable[[Any], Any] | None = None
    call: Callable[[Callable, tuple, dict], Any] | None = None


@dataclass(frozen=True)
class OpInfo:
    """One registered op.

    Attributes:
        name: its name in ``autotape`` and ``autotape.numpy`` (NumPy's name).
        function: the public function, with NumPy's signature.
        numpy: the NumPy (or SciPy) callables it stands for: dispatch routes calls of
            these on traced values to ``function``.
        module: where the mirrored function lives: ``"numpy"``, ``"numpy.linalg"``,
            ``"numpy.fft"``, ``"scipy.special"``, or ``"autotape"`` for ops of its own.
        kind: ``"primitive"`` (has its own rules), ``"composite"`` (written with other
            ops) or ``"constant"`` (no useful derivative: runs on the primal values).
        spec: the test spec (``None`` for constants).
        rule: the derivative in words, with its source, for the docs.
        primitives: the primitives it binds (empty for composites and constants).
        aliases: other names it goes by (``abs`` for ``absolute``).
    """

    name: str
    function: Callable
    numpy: tuple
    module: str
    kind: str
    spec: Spec | None
    rule: str = ""
    primitives: tuple = field(default=(), compare=False)
    aliases: tuple = ()


#: Every op, by name.
REGISTRY: dict[str, OpInfo] = {}
#: NumPy ufunc -> the op's public function, for ``__array_ufunc__``.
UFUNCS: dict[Any, Callable] = {}
#: NumPy function -> the op's public function, for ``__array_function__``.
FUNCTIONS: dict[Any, Callable] = {}
#: NumPy callable -> name, for the functions that run on primal values (no derivative).
CONSTANTS: dict[Any, str] = {}
#: NumPy callable -> the functional alternative, for the functions that write into an array
#: (``numpy.put``): on traced values they raise TypeError saying what to write instead.
REFUSED: dict[Any, str] = {}


def _register(info: OpInfo) -> None:
    if info.name in REGISTRY and info.module == REGISTRY[info.name].module:
        raise ValueError(f"op {info.name!r} is registered twice")
    key = info.name if info.module in ("numpy", "autotape") else f"{info.module}.{info.name}"
    REGISTRY[key] = info
    for target in info.numpy:
        table = UFUNCS if isinstance(target, np.ufunc) else FUNCTIONS
        table[target] = info.function


# --------------------------------------------------------------------------------------
# Primitives
# --------------------------------------------------------------------------------------


def defprim(
    name: str,
    fwd: Callable,
    vjp: tuple = (),
    jvp: tuple | None = None,
    *,
    linear: Callable | None = None,
    variadic: bool = False,
    impl: Callable | None = None,
    check: Callable | None = None,
    saveable: bool = False,
) -> Primitive:
    """A primitive of the op library, its rules given at once.

    Args:
        name: shown in tapes and errors.
        fwd: ``fwd(*operands, **params) -> (output, residuals)``.
        vjp: one rule ``vjp_i(g, *residuals)`` per operand (``None``: not differentiable).
        jvp: one rule ``jvp_i(t, *residuals)`` per operand; ``None`` when every VJP rule
            is its own JVP rule (elementwise multiplication by a derivative).
        linear: for a one-operand primitive linear in its operand: the transpose
            ``transpose(g, *residuals)``; the JVP is the primitive applied to the tangent.
        variadic: the operands are any number of arrays; ``vjp`` and ``jvp`` are then
            single rules ``rule(i, g_or_t, *residuals)``.
        impl: the plain NumPy implementation for untraced calls (default ``fwd(...)[0]``).
        check: called after a ValueError to raise a clearer one (see :class:`Primitive`).
        saveable: a checkpoint policy may keep this primitive's output
            (:mod:`autotape.remat`); its residuals must be its operands (matrix products).
    """
    if saveable:
        fwd, impl = remat.saveable(name, fwd, impl if impl is not None else (lambda *a, **p: fwd(*a, **p)[0]))
    prim = Primitive(fwd, name=name, impl=impl, check=check)
    if saveable:
        fwd.bind_to(prim)  # type: ignore[attr-defined]
    if linear is not None:
        return prim.deflinear(linear)
    if variadic:
        prim.defvjp_variadic(vjp[0])
        return prim.defjvp_variadic(jvp[0] if jvp else vjp[0])
    prim.defvjp(*vjp)
    return prim.defjvp(*(vjp if jvp is None else jvp))


def no_extras(name: str, **given: Any) -> None:
    """TypeError naming ``name`` and the argument, for NumPy arguments a traced call cannot honour."""
    for key, value in given.items():
        if value is not None and value is not np._NoValue:
            raise TypeError(
                f"numpy.{name}: the argument {key}= is not supported on traced values; drop it "
                "(autotape computes a new array and never writes into one)"
                if key == "out"
                else f"numpy.{name}: the argument {key}= is not supported on traced values; drop it"
            )


def op(
    *numpy_functions: Callable,
    name: str | None = None,
    spec: Spec | None = None,
    module: str = "numpy",
    rule: str = "",
    primitives: tuple = (),
    fast: bool = True,
    pack: bool | None = None,
) -> Callable[[Callable], Callable]:
    """Register a public function as the op standing for ``numpy_functions``.

    The decorated function is the traced implementation, with NumPy's signature.
    With ``fast`` (the default) it gets a fast path: while no transform runs in any
    thread (and without :class:`autotape.debug_nans`) the call goes straight to
    ``numpy_functions[0]``, so it costs what NumPy costs; if NumPy raises, the call is
    run again through the traced implementation, whose errors are clearer. Inside a
    transform, positional arguments that are lists holding traced values are made one
    array first (NumPy's array_like), unless the spec says the op takes a sequence of
    arrays (``Spec(sequence=True)``: ``concatenate``, ``stack``).
    ``rule`` describes the derivative and its source, for the docs. ``pack=False`` leaves
    list and tuple arguments as they are for an op whose such arguments are not arrays
    (``getitem``'s index tuple).
    """

    def register(function: Callable) -> Callable:
        packing = not (spec is not None and spec.sequence) if pack is None else pack
        op_name = name or function.__name__
        key = op_name if module in ("numpy", "autotape") else f"{module}.{op_name}"
        public = _with_fast_path(function, numpy_functions[0] if fast and numpy_functions else None, packing, key)
        kind = "primitive" if primitives else "composite"
        _register(
            OpInfo(
                name or function.__name__,
                public,
                numpy_functions,
                module,
                kind,
                spec,
                rule or _first_paragraph(function.__doc__),
                primitives,
            )
        )
        return public

    return register


def _with_fast_path(function: Callable, numpy_function: Callable | None, pack: bool, key: str = "") -> Callable:
    """``function`` behind NumPy's fast path; with ``pack``, list or tuple arguments that hold
    traced values are made arrays first (NumPy's array_like arguments: ``mean([x, y])``)."""
    if numpy_function is None and not pack:
        return function

    @functools.wraps(function)
    def public(*args, **kwargs):
        if _config.busy:
            if _config.jit_recording and key in _tracer.jit_hooks.NOT_YET_CHECKED:
                if _tracer.jit_hooks.under_recording((args, kwargs)):
                    _tracer.jit_hooks.refuse(key)
            if numpy_function is not None and _config.jit_recording and only_recorded(args, kwargs):
                # Values only at.jit records (nothing differentiates them): NumPy's own function,
                # which is what the function computes eagerly outside transforms, becomes the step
                # (where NumPy refuses the call, the traced implementation runs, as eagerly).
                try:
                    return _tracer.jit_hooks.call(numpy_function, args, kwargs)
                except (ValueError, TypeError, IndexError):
                    pass
            if pack:
                for a in args:  # a plain loop: no generator on the common path (no lists)
                    if type(a) in _SEQUENCE_TYPES:
                        args = tuple(_as_array_like(a) if type(a) in _SEQUENCE_TYPES else a for a in args)
                        break
            return function(*args, **kwargs)
        if numpy_function is None:
            return function(*args, **kwargs)
        try:
            return numpy_function(*args, **kwargs)
        except (ValueError, TypeError, IndexError):
            return function(*args, **kwargs)  # raises autotape's clearer error

    return public


_SEQUENCE_TYPES = (list, tuple)


def only_recorded(args: Any, kwargs: dict) -> bool:
    """Whether every traced value among the arguments is traced by an at.jit recording only
    (no transform differentiates them): then any NumPy call on them can be recorded as it is."""
    kinds: set = set()
    _traced_kinds((*args, *kwargs.values()), kinds)
    return kinds == {True}


def _traced_kinds(values: Any, kinds: set) -> None:
    for value in values:
        if type(value) is Traced:
            kinds.add(bool(value.tape.jit))
        elif type(value) in _SEQUENCE_TYPES:
            _traced_kinds(value, kinds)


def _as_array_like(value: Any) -> Any:
    """A list holding traced values as one traced array (``autotape.numpy.array``); else ``value``."""
    from ..tracer import op_library

    return op_library().array(value) if _holds_traced(value) else value


def _holds_traced(value: Any) -> bool:
    if type(value) is Traced:
        return True
    return type(value) in _SEQUENCE_TYPES and any(_holds_traced(v) for v in value)


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def _concrete(value: Any) -> Any:
    if type(value) is Traced:
        return _tracer.concrete(value)
    if type(value) in (list, tuple):
        return type(value)(_concrete(v) for v in value)
    return value


def constant(*numpy_functions: Callable, module: str = "numpy") -> None:
    """Register NumPy functions with no useful derivative (``argmax``, ``floor``, comparisons).

    On traced values they run on the primal values and return plain arrays, constants
    to every transform, as in JAX and HIPS autograd: their derivative is zero wherever
    it exists.
    """
    for function in numpy_functions:
        public = _on_primals(function, module)
        CONSTANTS[function] = function.__name__
        table = UFUNCS if isinstance(function, np.ufunc) else FUNCTIONS
        table[function] = public
        key = function.__name__ if module == "numpy" else f"{module}.{function.__name__}"
        REGISTRY[key] = OpInfo(
            function.__name__, public, (function,), module, "constant", None, "no useful derivative: a constant"
        )


def refuse(numpy_function: Callable, instead: str) -> None:
    """Register a NumPy function that writes into an array (``put``, ``copyto``): on traced values
    it raises TypeError naming it and ``instead``, the functional way to write the same thing.

    Without this, NumPy's dispatch would raise the generic "has no autotape rule" error.
    """
    name = f"numpy.{numpy_function.__name__}"

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            f"{name} writes into an array in place, which autotape never does to a traced value (nor "
            f"lets a traced value be written into a plain array, which would lose its gradient); "
            f"compute the new array instead: {instead}"
        )

    refused.__name__ = refused.__qualname__ = numpy_function.__name__
    REFUSED[numpy_function] = instead
    FUNCTIONS[numpy_function] = refused


def _strip(value: Any) -> Any:
    if type(value) is Traced:
        return primal(value)
    if type(value) in (list, tuple):
        return type(value)(_strip(v) for v in value)
    return value


def _recorded(value: Any) -> bool:
    """Whether a stripped argument still holds a value that an at.jit recording traces."""
    if type(value) is Traced:
        return True
    return type(value) in (list, tuple) and any(_recorded(v) for v in value)


def on_values(function: Callable, *args: Any, **kwargs: Any) -> Any:
    """``function`` applied to the primal values of its arguments: a constant to every transform.

    While ``at.jit`` records, values it traces stay traced: the call is recorded as a step of
    the jitted function (its result traced at that level), so a replay computes it anew.
    """
    args = tuple(map(_strip, args))
    kwargs = {k: _strip(v) for k, v in kwargs.items()}
    if any(map(_recorded, args)) or any(map(_recorded, kwargs.values())):
        return _tracer.jit_hooks.call(function, args, kwargs)
    return function(*args, **kwargs)


# Functions of the shapes and dtypes alone: on values at.jit records, their results are static.
_STATIC_INFO = frozenset({np.shape, np.ndim, np.size, np.result_type})


def _on_primals(function: Callable, module: str = "numpy") -> Callable:
    if function in _STATIC_INFO:

        @functools.wraps(function)
        def on_primals(*args, **kwargs):
            return function(*map(_concrete, args), **{k: _concrete(v) for k, v in kwargs.items()})

    else:

        @functools.wraps(function)
        def on_primals(*args, **kwargs):
            return on_values(function, *args, **kwargs)

    on_primals.__doc__ = (
        f"``{module}.{function.__name__}`` on the primal values: a constant to every transform "
        "(its derivative is zero wherever it exists)."
    )
    return on_primals


# --------------------------------------------------------------------------------------
# Elementwise table rows
# --------------------------------------------------------------------------------------

#: The names a derivative expression may use besides ``g``, the operands and ``ans``:
#: NumPy's namespace (its calls dispatch, so the rules nest) and Python-float constants
#: (weakly typed, so float32 stays float32).
RULE_NAMESPACE: dict[str, Any] = {
    **{k: v for k, v in vars(np).items() if not k.startswith("_")},
    "LN2": math.log(2.0),
    "LN10": math.log(10.0),
    "PI": math.pi,
    "DEG": 180.0 / math.pi,
    "RAD": math.pi / 180.0,
}

_RESIDUAL_ORDER = ("x", "y", "ans")


def _negated(g):
    return -g


def _rule(expression: str, saved: tuple[str, ...], label: str) -> Callable | None:
    """``lambda g, *saved: <expression>`` compiled once; ``g``/``-g`` become the shared identity rules."""
    if expression == "g":
        return identity_vjp
    if expression == "-g":
        return _negated
    source = f"lambda g, {', '.join(saved)}: {expression}" if saved else f"lambda g: {expression}"
    rule = eval(compile(source, f"<rule of {label}>", "eval"), RULE_NAMESPACE)
    rule.__name__ = rule.__qualname__ = label
    rule.__doc__ = f"``{expression}``"
    return rule


def _names_in(expression: str) -> set[str]:
    return set(compile(expression, "<rule>", "eval").co_names)


def elementwise(
    name: str,
    numpy_function: Callable,
    derivatives: tuple[Any, ...],
    cases: Callable[[Any], Any],
    domain: str,
    *,
    complex: bool = False,
    source: str = "",
    reference: Callable | None = None,
    module: str = "numpy",
    aliases: tuple[str, ...] = (),
    second_order: bool = True,
    complex_cases: Callable[[Any], Any] | None = None,
) -> Callable:
    """Define an elementwise op from one table row; returns its public function.

    Args:
        name: the op's name (NumPy's).
        numpy_function: the NumPy ufunc (or function) computing it.
        derivatives: per operand, the cotangent map as an expression of ``g`` (the
            cotangent, or the tangent in forward mode), the operands ``x`` (and ``y``)
            and the output ``ans``, used as both the VJP and the JVP rule; or a pair
            ``(vjp, jvp)`` of expressions for a map that is not its own transpose (a
            function of complex numbers that is not holomorphic); ``None`` for an
            operand with no derivative. ``"g"`` and ``"-g"`` cost no rule call.
        cases, domain: the test spec's cases and its domain in words.
        complex: the op accepts complex operands, and its rules are right for them.
        source: where the derivative comes from (identity, reference).
        module: ``"autotape"`` for an op NumPy does not have (``sigmoid``): it is then
            not reached by NumPy's dispatch, and under nested transforms its forward
            rule records the op itself on the outer tape.
        aliases: other names of the op (``abs`` for ``absolute``).
        complex_cases: the cases for complex operands, if they must differ (see :class:`Spec`).
    """
    nin = len(derivatives)
    operands = ("x", "y")[:nin]
    pairs = [d if isinstance(d, tuple) else (d, d) for d in derivatives]
    expressions = [e for pair in pairs for e in pair if e is not None]
    used = set().union(*(_names_in(e) for e in expressions))
    saved = tuple(n for n in _RESIDUAL_ORDER if n in used)
    vjps = tuple(None if v is None else _rule(v, saved, f"{name}_vjp_{i}") for i, (v, _) in enumerate(pairs))
    jvps = tuple(
        None if t is None else vjps[i] if t == v else _rule(t, saved, f"{name}_jvp_{i}")
        for i, (v, t) in enumerate(pairs)
    )
    forward_function = numpy_function
    if module == "autotape":
        # Not a NumPy function, so its body would not dispatch as one op on values traced
        # on an outer tape: record the op itself there (sigmoid's stable formula would
        # otherwise be differentiated through its abs(), whose derivative at 0 is 0).
        def forward_function(*args):
            return prim.bind(*args) if any(type(a) is Traced for a in args) else numpy_function(*args)

    fwd = _elementwise_fwd(forward_function, saved, nin)
    prim = defprim(name, fwd, vjps, jvps, impl=numpy_function, check=_broadcast_check(name) if nin > 1 else None)
    public = _elementwise_function(prim, numpy_function, name, nin)
    described = "; ".join(
        f"d/d{operand}: ``{v}``" + ("" if t == v else f" (JVP ``{t}``)")
        for operand, (v, t) in zip(operands, pairs)
        if v is not None
    )
    public.__doc__ = _elementwise_doc(name, numpy_function, operands, described, domain, complex, source, module)
    _register(
        OpInfo(
            name,
            public,
            () if module == "autotape" else (numpy_function,),
            module,
            "primitive",
            Spec(cases, domain, reference, complex, second_order, complex_cases=complex_cases),
            f"{described}{f' ({source})' if source else ''}",
            (prim,),
            aliases,
        )
    )
    return public


def _elementwise_fwd(numpy_function: Callable, saved: tuple[str, ...], nin: int) -> Callable:
    """The forward rule keeping exactly ``saved``, compiled as straight-line code (it runs on the hot path)."""
    args = "x" if nin == 1 else "x, y"
    kept = "".join(f"{'out' if n == 'ans' else n}, " for n in saved)
    source = f"def fwd({args}):\n    out = f({args})\n    return out, ({kept})\n"
    namespace: dict[str, Any] = {"f": numpy_function}
    exec(compile(source, f"<forward rule of {getattr(numpy_function, '__name__', '?')}>", "exec"), namespace)
    return namespace["fwd"]


def _elementwise_function(prim: Primitive, numpy_function: Callable, name: str, nin: int) -> Callable:
    """The public function of an elementwise op: NumPy's call outside transforms, the primitive inside.

    Its signature is the ufunc's, restricted to what a traced call can honour:
    ``(x[, y], out=None, dtype=None)``.
    """
    bind = prim.bind
    function: Callable
    if nin == 1:
        # (x, out=None, dtype=None) rather than NumPy's (x, /, out=None, *, dtype=None): the
        # keyword-only parameter costs about a quarter of np.tanh's time on a 4x4 array.
        def unary(x, out=None, dtype=None):
            if _config.busy or out is not None or dtype is not None:
                if out is None and dtype is None:
                    return bind(x)
                return _with_ufunc_arguments(name, bind, (x,), out, dtype)
            return numpy_function(x)

        function = unary
    else:

        def binary(x, y, out=None, dtype=None):
            if _config.busy or out is not None or dtype is not None:
                if out is None and dtype is None:
                    return bind(x, y)
                return _with_ufunc_arguments(name, bind, (x, y), out, dtype)
            try:
                return numpy_function(x, y)
            except ValueError:
                return bind(x, y)  # raises the primitive's clearer message

        function = binary
    function.__name__ = function.__qualname__ = name
    return function


def _with_ufunc_arguments(name: str, bind: Callable, operands: tuple, out: Any, dtype: Any) -> Any:
    no_extras(name, out=out)
    from .shape import astype  # the cast is an op of its own

    return bind(*(astype(o, dtype) for o in operands))


def _broadcast_check(name: str) -> Callable:
    """A primitive ``check``: ValueError naming ``name`` and the shapes when operands do not broadcast."""

    def check(*operands, **params):
        shapes = [np.shape(primal(o)) for o in operands if o is not None]
        try:
            np.broadcast_shapes(*shapes)
        except ValueError:
            listed = ", ".join(map(str, shapes))
            raise ValueError(
                f"{name}: operands of shapes {listed} do not broadcast together (NumPy aligns "
                "shapes from the last axis; each pair of lengths must be equal or 1). Insert an "
                "axis, e.g. x[:, None], or reshape an operand."
            ) from None

    return check


broadcast_check = _broadcast_check


def _elementwise_doc(
    name: str,
    numpy_function: Callable,
    operands: tuple,
    described: str,
    domain: str,
    complex: bool,
    source: str,
    module: str,
) -> str:
    summary = _numpy_summary(numpy_function) if module != "autotape" else f"Elementwise {name}."
    args = ", ".join(operands)
    kinds = "float or complex" if complex else "float"
    broadcast = " Operands broadcast (NumPy's rules)." if len(operands) > 1 else ""
    mirrors = f"``{module}.{name}`` on arrays and traced values, elementwise.\n\n" if module != "autotape" else ""
    return (
        f"{summary}\n\n{mirrors}"
        f"Args:\n    {args}: {kinds} arrays, Python scalars or traced values.{broadcast}\n"
        f"    out: must be None (autotape never writes into an array).\n"
        f"    dtype: cast the operands to this dtype first.\n"
        f"Returns:\n    An array of the broadcast shape, dtype by NumPy's promotion.\n"
        f"Raises:\n    ValueError: shapes that do not broadcast. TypeError: ``out=`` given.\n\n"
        f"Derivative (the VJP and the JVP rule): {described}."
        f"{f' Source: {source}.' if source else ''}"
        f"{' Complex operands follow JAX convention (docs/complex.md).' if complex else ''}"
        f"\n\nTested on: {domain}."
    )


def _numpy_summary(numpy_function: Callable) -> str:
    """The one-line summary of NumPy's docstring (a ufunc's starts with its signature)."""
    doc = getattr(numpy_function, "__doc__", None) or ""
    for paragraph in doc.strip().split("\n\n"):
        text = " ".join(paragraph.split())
        if text and not text.startswith(getattr(numpy_function, "__name__", "?") + "("):
            return text
    return getattr(numpy_function, "__name__", "")

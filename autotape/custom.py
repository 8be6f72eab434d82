"""Functions with rules of their own: ``custom_vjp`` and ``custom_jvp``.

Each wraps a user's function as one :class:`~autotape.primitive.Primitive` whose
operands are the leaves of the positional arguments (pytrees are flattened) and whose
keyword arguments are static parameters, as for every primitive. The rules come from
the user, or (the reverse mode of ``custom_jvp``) from differentiating the user's rule
with autotape's own transforms, so they nest with every transform.
:mod:`autotape.remat` builds ``checkpoint`` on the same pieces.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from . import tree
from .primitive import Primitive
from .tracer import Traced, primal

__all__ = ["custom_vjp", "custom_jvp"]


def _name(fun: Callable) -> str:
    return getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)


class _Call:
    """The residuals of one call: the operands' values, the arguments' structures, the
    static parameters, what the user's forward rule kept, and the cotangents of the last
    ``g`` (each operand's VJP rule asks for its own; they are computed once)."""

    __slots__ = ("leaves", "treedefs", "params", "saved", "last_g", "cotangents")

    def __init__(self, leaves: tuple, treedefs: tuple, params: dict, saved: Any = None):
        self.leaves = leaves
        self.treedefs = treedefs
        self.params = params
        self.saved = saved
        self.last_g: Any = None
        self.cotangents: list = []

    def args(self, leaves: Any = None) -> list:
        """The positional arguments rebuilt from ``leaves`` (default: the operands)."""
        leaves = list(self.leaves if leaves is None else leaves)
        args, start = [], 0
        for treedef in self.treedefs:
            count = treedef.num_leaves
            args.append(tree.unflatten(treedef, leaves[start : start + count]))
            start += count
        return args

    def cotangent(self, i: int, g: Any, compute: Callable[[Any], list]) -> Any:
        if self.last_g is not g:
            self.cotangents = compute(g)
            self.last_g = g
        return self.cotangents[i]


def _flatten_args(name: str, args: tuple) -> tuple[list, tuple]:
    leaves, treedefs = [], []
    for arg in args:
        flat, treedef = tree.flatten(arg)
        leaves.extend(flat)
        treedefs.append(treedef)
    if not leaves:
        raise TypeError(f"{name}: called with no array arguments; give the values to differentiate positionally")
    return leaves, tuple(treedefs)


def _single_array(name: str, out: Any, what: str) -> Any:
    if type(out) is Traced or isinstance(out, (np.ndarray, np.generic, float, int, complex)):
        return out
    raise TypeError(
        f"{name}: {what} returned {type(out).__name__}; a function with custom rules (or checkpointed) must "
        "return one array. Return the arrays from separate functions, or stack them into one."
    )


def _zeros_like(value: Any) -> np.ndarray:
    raw = primal(value)
    return np.zeros(np.shape(raw), np.result_type(raw))


def _cotangent_list(name: str, call: _Call, cotangents: Any, what: str) -> list:
    """``cotangents`` (one per positional argument, pytrees; None for zero) flattened to operands."""
    if not isinstance(cotangents, (tuple, list)) or len(cotangents) != len(call.treedefs):
        raise TypeError(
            f"{name}: {what} must return a tuple with one cotangent per positional argument "
            f"({len(call.treedefs)}), got {type(cotangents).__name__}"
            + (f" of length {len(cotangents)}" if isinstance(cotangents, (tuple, list)) else "")
        )
    flat: list = []
    for k, (ct, treedef) in enumerate(zip(cotangents, call.treedefs)):
        if ct is None:
            flat.extend([None] * treedef.num_leaves)
            continue
        leaves, ct_def = tree.flatten(ct)
        if ct_def != treedef:
            raise TypeError(
                f"{name}: {what}'s cotangent {k} has structure {ct_def!r}, but argument {k} has {treedef!r}"
            )
        flat.extend(leaves)
    start = 0
    for k, treedef in enumerate(call.treedefs):
        for j in range(treedef.num_leaves):
            value, ct = call.leaves[start + j], flat[start + j]
            if ct is None:
                flat[start + j] = _zeros_like(value)
            elif np.shape(primal(ct)) != np.shape(primal(value)):
                raise TypeError(
                    f"{name}: {what}'s cotangent of argument {k} has shape {np.shape(primal(ct))}, but the argument "
                    f"has shape {np.shape(primal(value))}"
                )
        start += treedef.num_leaves
    return flat


class custom_vjp:
    """Give a function a VJP rule of your own, as ``jax.custom_vjp``.

    Example (a gradient clipped in the backward pass)::

        @at.custom_vjp
        def clip_gradient(x, limit=1.0):
            return x

        def fwd(x, limit=1.0):
            return x, None                       # (output, residuals for bwd)

        def bwd(residuals, g, limit=1.0):
            return (np.clip(g, -limit, limit),)  # one cotangent per positional argument

        clip_gradient.defvjp(fwd, bwd)

    Positional arguments are the differentiated operands (pytrees of arrays); keyword
    arguments are static parameters, passed to ``fun``, ``fwd`` and ``bwd`` and never
    differentiated (there is no ``nondiff_argnums``). ``fwd(*args, **kw)`` returns
    ``(output, residuals)``, the output one array; ``bwd(residuals, g, **kw)`` returns a
    tuple with one cotangent pytree (or None for zeros) per positional argument.
    Outside a reverse transform the function is ``fun`` itself.

    Raises:
        TypeError: the function is called before ``defvjp``; ``fwd`` or ``bwd`` return the
            wrong form (the message names your function); under forward mode (``jvp``,
            ``jacfwd``), which a VJP rule cannot serve: use :class:`custom_jvp` for that.
    """

    def __init__(self, fun: Callable):
        self.fun = fun
        self.name = f"custom_vjp function {_name(fun)}"
        self.primitive: Primitive | None = None
        functools.update_wrapper(self, fun)

    def defvjp(self, fwd: Callable, bwd: Callable) -> custom_vjp:
        """Set the forward rule ``fwd(*args, **kw) -> (out, residuals)`` and ``bwd(residuals, g, **kw)``."""
        name, fun = self.name, self.fun

        def forward(*leaves, _treedefs, **params):
            call = _Call(leaves, _treedefs, params)
            result = fwd(*call.args(), **params)
            if not (isinstance(result, tuple) and len(result) == 2):
                raise TypeError(f"{name}: its fwd must return (output, residuals), got {type(result).__name__}")
            call.saved = result[1]
            return _single_array(name, result[0], "fwd"), (call,)

        def impl(*leaves, _treedefs, **params):
            return _single_array(name, fun(*_Call(leaves, _treedefs, params).args(), **params), "the function")

        def vjp_rule(i: int, g: Any, call: _Call) -> Any:
            return call.cotangent(i, g, lambda g: _cotangent_list(name, call, bwd(call.saved, g, **call.params), "bwd"))

        def jvp_rule(tangents: list, call: _Call) -> Any:
            raise TypeError(
                f"{name} has only a VJP rule, so forward mode (jvp, jacfwd, hessian, hvp) cannot differentiate "
                "it; give it a JVP rule with at.custom_jvp instead (autotape derives reverse mode from that)"
            )

        self.primitive = Primitive(forward, name=_name(fun), impl=impl).defvjp_variadic(vjp_rule)
        self.primitive.defjvp_joint(jvp_rule)
        return self

    def __call__(self, *args: Any, **params: Any) -> Any:
        if self.primitive is None:
            raise TypeError(f"{self.name}: call {_name(self.fun)}.defvjp(fwd, bwd) before calling it")
        leaves, treedefs = _flatten_args(self.name, args)
        return self.primitive.bind(*leaves, _treedefs=treedefs, **params)


class custom_jvp:
    """Give a function a JVP rule of your own, as ``jax.custom_jvp``; reverse mode is derived from it.

    Example (a numerically safe derivative of ``log1p(exp(x))``)::

        @at.custom_jvp
        def softplus(x):
            return np.logaddexp(x, 0.0)

        @softplus.defjvp
        def softplus_jvp(primals, tangents):
            (x,), (t,) = primals, tangents
            return softplus(x), t * at.sigmoid(x)

    ``rule(primals, tangents, **kw)`` gets tuples with one entry per positional argument
    (the tangents have the primals' structure, zeros where none flows) and returns
    ``(primal_out, tangent_out)``; the tangent output must be linear in the tangents.
    Keyword arguments are static parameters. Reverse mode (``grad``, ``vjp``) transposes
    the rule's tangent map with autotape's own reverse mode, so the rule must be written
    with autotape ops (or NumPy calls autotape dispatches); at higher orders the rule is
    differentiated like any other code.

    Raises:
        TypeError: the function is called before ``defjvp``; the rule returns the wrong
            form (the message names your function).
    """

    def __init__(self, fun: Callable):
        self.fun = fun
        self.name = f"custom_jvp function {_name(fun)}"
        self.primitive: Primitive | None = None
        functools.update_wrapper(self, fun)

    def defjvp(self, rule: Callable) -> Callable:
        """Set the JVP rule ``rule(primals, tangents, **kw) -> (primal_out, tangent_out)``; returns ``rule``."""
        name, fun = self.name, self.fun

        def tangent_map(call: _Call) -> Callable:
            def tangent_out(*tangent_leaves):
                result = rule(tuple(call.args()), tuple(call.args(tangent_leaves)), **call.params)
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise TypeError(f"{name}: its JVP rule must return (primal_out, tangent_out)")
                return _single_array(name, result[1], "its JVP rule's tangent")

            return tangent_out

        def forward(*leaves, _treedefs, **params):
            call = _Call(leaves, _treedefs, params)
            return _single_array(name, fun(*call.args(), **params), "the function"), (call,)

        def jvp_rule(tangents: list, call: _Call) -> Any:
            full = [_zeros_like(v) if t is None else t for t, v in zip(tangents, call.leaves)]
            return tangent_map(call)(*full)

        def vjp_rule(i: int, g: Any, call: _Call) -> Any:
            from .transforms import vjp

            def transpose(g: Any) -> list:
                zeros = [_zeros_like(v) for v in call.leaves]
                _, pull = vjp(tangent_map(call), *zeros)
                return list(pull(g))

            return call.cotangent(i, g, transpose)

        impl = lambda *leaves, _treedefs, **params: fun(*_Call(leaves, _treedefs, params).args(), **params)  # noqa: E731
        self.primitive = Primitive(forward, name=_name(fun), impl=impl).defvjp_variadic(vjp_rule)
        self.primitive.defjvp_joint(jvp_rule)
        return rule

    def __call__(self, *args: Any, **params: Any) -> Any:
        if self.primitive is None:
            raise TypeError(f"{self.name}: define its rule with @{_name(self.fun)}.defjvp before calling it")
        leaves, treedefs = _flatten_args(self.name, args)
        return self.primitive.bind(*leaves, _treedefs=treedefs, **params)

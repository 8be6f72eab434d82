"""Checkpointing (rematerialization): keep a function's inputs, recompute its inside in the backward pass.

``checkpoint(fun)`` is one :class:`~autotape.primitive.Primitive` whose forward rule
runs ``fun`` without recording its inside and keeps only the operands; its VJP rule runs
``fun`` again under :func:`~autotape.transforms.vjp` and walks that tape. A ``policy``
may keep some intermediates all the same: the outputs of *saveable* primitives (the
op library marks its matrix products so), which the recomputation then takes instead
of computing them again (``jax.checkpoint``'s ``dots_saveable``).

The saving and reusing happen in the saveable primitives' own forward rules
(:func:`saveable`), which look at one context variable; no other primitive, and
nothing outside a checkpoint, pays for it.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any

from .custom import _Call, _flatten_args, _name, _single_array, _zeros_like
from .primitive import Primitive
from .tape import pop_tape, push_tape
from .tracer import Traced

__all__ = ["checkpoint", "remat", "checkpoint_policies", "saveable"]


class checkpoint_policies:
    """What a checkpointed function keeps from its forward pass, besides its inputs.

    A policy is a predicate on primitives; only saveable ones (the op library's matrix
    products: ``matmul``, ``dot``, ``einsum``, ``tensordot``, ...) are asked.
    """

    @staticmethod
    def nothing_saveable(primitive: Primitive) -> bool:
        """Keep nothing: recompute everything (the default)."""
        return False

    @staticmethod
    def dots_saveable(primitive: Primitive) -> bool:
        """Keep the outputs of matrix products: the backward pass recomputes only the rest."""
        return True


class _Saved:
    """The outputs kept by one checkpointed call, in the order they were computed."""

    __slots__ = ("policy", "values", "replaying", "position")

    def __init__(self, policy: Callable[[Primitive], bool]):
        self.policy = policy
        self.values: list = []
        self.replaying = False
        self.position = 0


_state: contextvars.ContextVar[_Saved | None] = contextvars.ContextVar("autotape_remat", default=None)


def saveable(primitive_name: str, fwd: Callable, impl: Callable) -> tuple[Callable, Callable]:
    """``(fwd, impl)`` of a primitive whose residuals are its operands, made saveable.

    Inside a checkpoint with a policy that keeps the primitive, the first run keeps the
    output and the recomputation takes it instead of computing it; elsewhere they are
    ``fwd`` and ``impl`` after one context-variable read. Values traced on an outer tape
    are never replaced (their derivatives must flow).
    """
    holder: dict = {}

    def saving_impl(*args: Any, **params: Any) -> Any:
        state = _state.get()
        if state is None:
            return impl(*args, **params)
        return _through(state, holder["primitive"], args, lambda: impl(*args, **params))

    def saving_fwd(*args: Any, **params: Any) -> Any:
        state = _state.get()
        if state is None:
            return fwd(*args, **params)
        out = _through(state, holder["primitive"], args, lambda: fwd(*args, **params)[0])
        return out, args

    def bind_to(primitive: Primitive) -> None:
        holder["primitive"] = primitive

    saving_fwd.bind_to = bind_to  # type: ignore[attr-defined]
    # What an at.jit replay calls (a replay never runs inside a checkpoint).
    saving_impl.plain = impl  # type: ignore[attr-defined]
    saving_fwd.__name__ = getattr(fwd, "__name__", primitive_name)
    return saving_fwd, saving_impl


def _through(state: _Saved, primitive: Primitive, args: tuple, compute: Callable[[], Any]) -> Any:
    if any(type(a) is Traced for a in args) or not state.policy(primitive):
        return compute()
    if state.replaying:
        out = state.values[state.position]
        state.position += 1
        return out
    out = compute()
    state.values.append(out)
    return out


def checkpoint(fun: Callable, *, policy: Callable[[Primitive], bool] | None = None) -> Callable:
    """Rematerialize ``fun`` in reverse mode: keep only its inputs, recompute the rest.

    The forward pass runs ``fun`` without recording its inside and records one tape
    entry holding only the inputs (and what ``policy`` keeps); the backward pass runs
    ``fun`` again on a tape of its own and walks that (Griewank & Walther 2008, ch. 12;
    ``jax.checkpoint``, ``torch.utils.checkpoint``). Peak memory then holds one segment's
    intermediates at a time instead of all of them, for one more forward pass of ``fun``.
    Forward mode differentiates ``fun`` as usual. ``at.remat`` is the same function.

    Args:
        fun: a function of pytrees of arrays (positional arguments, the operands)
            returning one array; keyword arguments are static parameters.
        policy: which saveable intermediates to keep: ``None`` or
            ``at.checkpoint_policies.nothing_saveable`` (nothing), or
            ``at.checkpoint_policies.dots_saveable`` (the outputs of matrix products, so
            the recomputation skips them), or a predicate on primitives.
    Returns:
        A function with ``fun``'s signature and values.
    Raises:
        TypeError: ``fun`` returns anything but one array.
    """
    name = f"checkpointed function {_name(fun)}"
    keep = policy or checkpoint_policies.nothing_saveable

    def run(call: _Call, leaves: Any = None) -> Any:
        return _single_array(name, fun(*call.args(leaves), **call.params), "it")

    def forward(*leaves, _treedefs, **params):
        call = _Call(leaves, _treedefs, params, _Saved(keep))
        if keep is checkpoint_policies.nothing_saveable:
            return run(call), (call,)
        # Plain NumPy calls on plain arrays never reach autotape, so run fun on values traced
        # on a forward-mode tape with no tangents: every primitive's rule sees its call (the
        # saveable ones keep their outputs) and nothing is recorded or differentiated.
        tape, tape_token = push_tape("checkpoint", fun, forward=True)
        token = _state.set(call.saved)
        try:
            nodes = tape.new_inputs(len(leaves))
            tape.records.tangents.extend([None] * len(leaves))
            out = run(call, [Traced(v, tape, node) for v, node in zip(leaves, nodes)])
        finally:
            _state.reset(token)
            pop_tape(tape, tape_token)
        return (out.value if type(out) is Traced and out.tape is tape else out), (call,)

    def vjp_rule(i: int, g: Any, call: _Call) -> Any:
        from .transforms import vjp

        def recompute(g: Any) -> list:
            saved = call.saved
            saved.replaying, saved.position = True, 0
            token = _state.set(saved)
            try:
                _, pull = vjp(lambda *leaves: run(call, leaves), *call.leaves)
            finally:
                _state.reset(token)
            return list(pull(g))

        return call.cotangent(i, g, recompute)

    def jvp_rule(tangents: list, call: _Call) -> Any:
        from .transforms import jvp

        full = tuple(_zeros_like(v) if t is None else t for t, v in zip(tangents, call.leaves))
        return jvp(lambda *leaves: run(call, leaves), tuple(call.leaves), full)[1]

    def impl(*leaves, _treedefs, **params):
        return run(_Call(leaves, _treedefs, params))

    prim = Primitive(forward, name=f"checkpoint({_name(fun)})", impl=impl)
    prim.defvjp_variadic(vjp_rule).defjvp_joint(jvp_rule)

    @functools.wraps(fun)
    def checkpointed(*args: Any, **params: Any) -> Any:
        leaves, treedefs = _flatten_args(name, args)
        return prim.bind(*leaves, _treedefs=treedefs, **params)

    return checkpointed


remat = checkpoint

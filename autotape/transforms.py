"""Transforms built on the engine: grad, value_and_grad, vjp, jacobian, hessian, trace.

Each transform opens a tape, wraps the leaves of the differentiated arguments as
traced values, runs the function once, closes the tape, and walks it in reverse.
Nesting works because the VJP rules dispatch to primitives: when an outer tape is
active, an inner transform's reverse walk is itself recorded on the outer tape.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Union

import numpy as np

from . import _config, tracer, tree
from .tape import Tape, backward, pop_tape, push_tape
from .tracer import Traced, primal

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "linearize",
    "jacrev",
    "jacfwd",
    "jacobian",
    "hessian",
    "hvp",
    "stop_gradient",
    "trace",
]

Argnums = Union[int, Sequence[int]]


def stop_gradient(x: Any) -> Any:
    """The value of ``x`` as a constant: no gradient flows through it, at any order.

    Args:
        x: a pytree of arrays or traced values.
    Returns:
        The same pytree with every traced value replaced by its plain NumPy value.
    """
    return tree.map(primal, x)


def _normalize_argnums(
    transform: str, argnums: Argnums, nargs: int, kwargs: dict | None = None
) -> tuple[tuple[int, ...], bool]:
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    if single:
        nums: tuple = (int(argnums),)  # type: ignore[arg-type]
    elif isinstance(argnums, (tuple, list)) and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in argnums
    ):
        nums = tuple(int(n) for n in argnums)
    else:
        raise TypeError(
            f"{transform}: argnums must be an int or a tuple of ints (argument positions), got "
            f"{type(argnums).__name__} {argnums!r}"
        )
    if not nums:
        raise ValueError(f"{transform}: argnums is empty; give at least one argument position")
    if nargs == 0:
        passed = f" (only the keyword argument(s) {', '.join(sorted(kwargs))})" if kwargs else ""
        raise ValueError(
            f"{transform}: argnums {argnums!r} names a positional argument, but the function was called "
            f"with none{passed}, so there is nothing to differentiate; pass the values to differentiate "
            "positionally"
        )
    for n in nums:
        if not -nargs <= n < nargs:
            hint = ""
            if kwargs:
                hint = (
                    f"; the keyword argument(s) {', '.join(sorted(kwargs))} are not differentiated: "
                    "pass the argument to differentiate positionally"
                )
            raise ValueError(
                f"{transform}: argnums {argnums!r} is out of range for a call with {nargs} positional "
                f"argument(s); use positions in [0, {nargs - 1}]{hint}"
            )
    normalized = tuple(n % nargs for n in nums)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{transform}: argnums {argnums!r} repeats an argument; list each position once")
    return normalized, single


@functools.lru_cache(maxsize=256)
def _cached_argnums(transform: str, argnums: Argnums, nargs: int) -> tuple[tuple[int, ...], bool]:
    return _normalize_argnums(transform, argnums, nargs)


def _argnums_for_call(transform: str, argnums: Any, nargs: int, kwargs: dict) -> tuple[tuple[int, ...], bool]:
    """``_normalize_argnums``, remembered per (argnums, nargs); errors get the keyword hint."""
    try:
        return _cached_argnums(transform, tuple(argnums) if isinstance(argnums, list) else argnums, nargs)
    except (TypeError, ValueError):
        return _normalize_argnums(transform, argnums, nargs, kwargs)  # raises the full message


def _as_differentiable(transform: str, flat: list, treedef: tree.TreeDef, argnum: int) -> list:
    """The leaves as float or complex arrays (or values traced on outer tapes); TypeError naming a bad leaf."""
    values = []
    for i, leaf in enumerate(flat):
        if type(leaf) is not Traced and type(leaf) is not np.ndarray:
            leaf = _as_array(transform, leaf, lambda: _leaf_label(treedef, argnum, i))
        if leaf.dtype.kind not in "fc":
            raise TypeError(_not_float_message(transform, _leaf_label(treedef, argnum, i), leaf.dtype))
        values.append(leaf)
    return values


def _not_float_message(transform: str, label: str, dtype: np.dtype) -> str:
    fix = "convert it with .astype(np.float64), or move integer data out of the differentiated arguments (argnums)"
    return (
        f"{transform}: argument {label} has dtype {dtype}; gradients are only defined for "
        f"floating-point (float32, float64) and complex inputs: {fix}."
    )


def _leaf_label(treedef: tree.TreeDef, argnum: int, index: int) -> str:
    return tree.paths(treedef, f"args[{argnum}]")[index]


def _as_array(transform: str, leaf: Any, label: Callable[[], str]) -> Any:
    if isinstance(leaf, (bool, np.bool_, str, bytes)):
        raise TypeError(
            f"{transform}: argument {label()} is {type(leaf).__name__} {leaf!r}; only floating-point "
            "values can be differentiated. Pass a float (e.g. 1.0) or a float array."
        )
    try:
        return np.asarray(leaf)
    except Exception as error:  # ragged sequences and the like
        raise TypeError(f"{transform}: argument {label()} is not an array: {error}") from None


def _whole_arguments(args: Any) -> frozenset:
    """Node ids of the traced values passed as whole positional arguments (not inside a pytree)."""
    return frozenset(a.node for a in args if type(a) is Traced)


class _TracedCall:
    """One run of ``fun`` on a fresh tape; the tape is closed (popped) on exit, even on error."""

    __slots__ = ("tape", "out", "argnums", "leaf_nodes", "treedefs", "leaves", "single")

    def __init__(self, transform: str, fun: Callable, args: tuple, argnums: Argnums, kwargs: dict):
        nums, self.single = _argnums_for_call(transform, argnums, len(args), kwargs)
        self.argnums = nums
        self.leaf_nodes: list[range] = []
        self.treedefs: list[tree.TreeDef] = []
        self.leaves: list[list] = []
        tape, token = push_tape(transform, fun)
        try:
            call_args = list(args)
            for n in nums:
                flat, treedef = tree.flatten(call_args[n])
                values = _as_differentiable(transform, flat, treedef, n)
                nodes = tape.new_inputs(len(values))
                call_args[n] = tree.unflatten(treedef, [Traced(v, tape, node) for v, node in zip(values, nodes)])
                self.leaf_nodes.append(nodes)
                self.treedefs.append(treedef)
                self.leaves.append(values)
            tape.whole_arguments = _whole_arguments(call_args)
            call_tuple = tuple(call_args)  # passed as it is: the only container of the arguments
            del call_args
            self.out = fun(*call_tuple, **kwargs)
        finally:
            pop_tape(tape, token)
        self.tape = tape

    def cotangents(self, seeds: dict, consume: bool) -> Any:
        """Walk the tape from ``seeds``; the gradient pytree(s), zeros where no path leads."""
        found = backward(self.tape, seeds, consume)
        # The seeds are the caller's arrays (vjp_fn's cotangent): a gradient that is a seed
        # passed straight through (f = x + y) must be a copy, as must one handed out twice.
        returned = {id(seed) for seed in seeds.values()}
        results = []
        for nodes, treedef, values in zip(self.leaf_nodes, self.treedefs, self.leaves):
            grads = [_cotangent_like(found[node], value, returned) for node, value in zip(nodes, values)]
            results.append(tree.unflatten(treedef, grads))
        return results[0] if self.single else tuple(results)

    def own(self, x: Any) -> bool:
        return type(x) is Traced and x.tape is self.tape


def _cotangent_like(ct: Any, value: Any, returned: set) -> Any:
    """``ct`` in ``value``'s shape and dtype; zeros when no path led to the input.

    Each gradient is an array of its own that the caller may modify: a read-only
    broadcast view, or an array already handed out for another input (``x + y``
    gives both the same cotangent), is copied.
    """
    if ct is None:
        return np.zeros(np.shape(primal(value)), dtype=value.dtype)
    if ct.dtype != value.dtype:
        if ct.dtype.kind == "c" and value.dtype.kind != "c":
            # A real input's cotangent is the real part: the transpose of embedding R in C.
            ct = np.real(ct)
        ct = ct.astype(value.dtype)
    if type(ct) is Traced:
        if ct.tape.jit:  # at.jit records: the same decision on the recorded value, the copy a step
            raw = ct.value
            if not isinstance(raw, np.ndarray) or not raw.flags.writeable or id(raw) in returned or id(ct) in returned:
                ct = tracer.jit_hooks.call(np.array, (ct,), {})
            returned.add(id(ct.value))
        return ct
    if not isinstance(ct, np.ndarray) or not ct.flags.writeable or id(ct) in returned:
        ct = np.array(ct)
    returned.add(id(ct))
    return ct


def _unit_seed(dtype: np.dtype) -> np.ndarray:
    """The cotangent 1 of a scalar output, read-only and shared (gradients never alias it:
    :func:`_cotangent_like` copies read-only arrays)."""
    seed = _UNIT_SEEDS.get(dtype)
    if seed is None:
        seed = np.ones((), dtype=dtype)
        seed.flags.writeable = False
        _UNIT_SEEDS[dtype] = seed
    return seed


_UNIT_SEEDS: dict = {}


def _check_scalar(transform: str, out: Any, holomorphic: bool = False) -> None:
    if type(out) is Traced and not holomorphic:
        value = out.value
        if type(value) is np.ndarray and value.shape == () and value.dtype.kind == "f":
            return  # the usual case, decided without the checks below
    shape = getattr(out, "shape", None)
    if isinstance(out, (float, int)) and not isinstance(out, bool):
        return
    if shape is None:
        raise TypeError(
            f"{transform}: the function must return a scalar array, but it returned "
            f"{type(out).__name__}. If it returns (loss, extra), pass has_aux=True; for "
            "several outputs use at.vjp or at.jacobian."
        )
    if shape != ():
        raise TypeError(
            f"{transform}: gradient is only defined for functions with a scalar output, but the "
            f"output has shape {shape}. Reduce it (e.g. .sum() or .mean()), or use at.vjp or "
            "at.jacobian for non-scalar outputs."
        )
    kind = np.dtype(out.dtype).kind
    if holomorphic:
        if kind != "c":
            raise TypeError(
                f"{transform} with holomorphic=True: the output has dtype {out.dtype}; a holomorphic "
                "function returns complex values. Drop holomorphic=True for a real-valued function."
            )
    elif kind == "c":
        raise TypeError(
            f"{transform}: the output has dtype {out.dtype}; gradients need a real scalar output. For a "
            "holomorphic function pass holomorphic=True (then grad gives f'(z)); otherwise differentiate "
            "a real function of it, e.g. at.real(f) or at.abs(f), or use at.vjp."
        )
    elif kind != "f":
        raise TypeError(f"{transform}: the output has dtype {out.dtype}; it must be floating-point")


def _split_aux(transform: str, result: Any, has_aux: bool) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        if isinstance(result, (tuple, list)):
            got = f"a {type(result).__name__} of length {len(result)}"
        elif type(result) is Traced:
            got = f"a single traced value of shape {result.shape}"
        else:
            got = (
                f"{type(result).__name__} (a scalar or single value)"
                if np.ndim(primal(result)) == 0
                else type(result).__name__
            )
        raise TypeError(
            f"{transform}: has_aux=True needs the function to return a pair (output, aux), but it "
            f"returned {got}. Return (output, aux), or drop has_aux=True."
        )
    return result[0], result[1]


def value_and_grad(fun: Callable, argnums: Argnums = 0, has_aux: bool = False, holomorphic: bool = False) -> Callable:
    """Transform ``fun`` into a function returning ``(value, gradient)``.

    Args:
        fun: a function of pytrees of float (or complex) arrays returning a real scalar
            (shape ``()``); with ``has_aux`` it returns ``(scalar, aux)``.
        argnums: the positional argument (int) or arguments (tuple) to differentiate.
        has_aux: return ``((value, aux), grads)``; ``aux`` is not differentiated.
        holomorphic: ``fun`` is a holomorphic function of complex inputs with a complex
            output; the gradient is then its complex derivative ``f'(z)``.
    Returns:
        A function with ``fun``'s signature. The gradient has the structure,
        shapes and dtypes of the differentiated argument (a tuple of them for a
        tuple ``argnums``); leaves the output does not depend on get zeros.
    Raises:
        TypeError: a differentiated leaf is neither floating-point nor complex (the
            message names it, e.g. ``args[0]['w1']``); the output is not a real scalar
            (or, with ``holomorphic``, a complex one, of complex inputs); with
            ``has_aux``, ``fun`` does not return a pair.
        ValueError: ``argnums`` out of range or repeated.

    The gradient is the reverse-mode derivative (Griewank & Walther, "Evaluating
    Derivatives", 2008, ch. 3): ``fun`` runs once, recording a tape, and the tape is
    walked once in reverse from the cotangent 1. For a complex input ``z = x + iy`` of
    a real ``fun`` it is ``df/dx - i df/dy``, JAX's convention (docs/complex.md).
    """

    return _value_and_grad(fun, argnums, has_aux, "value_and_grad", holomorphic)


def _value_and_grad(fun: Callable, argnums: Argnums, has_aux: bool, transform: str, holomorphic: bool) -> Callable:
    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        return _run_value_and_grad(transform, fun, args, kwargs, argnums, has_aux, holomorphic)

    return wrapped


def _run_value_and_grad(
    transform: str, fun: Callable, args: tuple, kwargs: dict, argnums: Argnums, has_aux: bool, holomorphic: bool = False
):
    """``((value, aux) or value, grads)`` of one call of ``fun``."""
    call = _TracedCall(transform, fun, args, argnums, kwargs)
    out, aux = _split_aux(transform, call.out, has_aux)
    _check_scalar(transform, out, holomorphic)
    if holomorphic:
        _check_complex_inputs(transform, call)
    if call.own(out):
        grads = call.cotangents({out.node: _unit_seed(out.dtype)}, consume=True)
        value = out.value
    else:
        grads = call.cotangents({}, consume=True)
        value = out
    if has_aux:
        return (value, stop_gradient_of(call, aux)), grads
    return value, grads


def _check_complex_inputs(transform: str, call: _TracedCall) -> None:
    for n, treedef, values in zip(call.argnums, call.treedefs, call.leaves):
        for i, value in enumerate(values):
            if value.dtype.kind != "c":
                raise TypeError(
                    f"{transform} with holomorphic=True: argument {_leaf_label(treedef, n, i)} has dtype "
                    f"{value.dtype}; a holomorphic derivative needs complex inputs: cast it with .astype(complex)"
                )


def grad(fun: Callable, argnums: Argnums = 0, has_aux: bool = False, holomorphic: bool = False) -> Callable:
    """Transform scalar-valued ``fun`` into its gradient, as ``jax.grad``.

    Arguments, results and errors as :func:`value_and_grad`, without the value;
    with ``has_aux`` it returns ``(grads, aux)``.

    Example: ``grad(lambda x: x * x + x)(3.0) == 7.0`` (the two uses of ``x`` sum).
    """

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        value, grads = _run_value_and_grad("grad", fun, args, kwargs, argnums, has_aux, holomorphic)
        return (grads, value[1]) if has_aux else grads

    return wrapped


def stop_gradient_of(call: _TracedCall, x: Any) -> Any:
    """Values traced on ``call``'s tape replaced by their primal values (outer tapes kept)."""
    return tree.map(lambda leaf: leaf.value if call.own(leaf) else leaf, x)


def vjp(fun: Callable, *primals: Any, has_aux: bool = False, holomorphic: bool = False) -> tuple:
    """Evaluate ``fun(*primals)`` and return its vector-Jacobian product function.

    Args:
        fun: a function of pytrees of float (or complex) arrays returning a pytree of arrays.
        primals: the arguments; every one is differentiated.
        has_aux: ``fun`` returns ``(out, aux)``; the result is then ``(out, vjp_fn, aux)``.
        holomorphic: check that ``fun``'s inputs and outputs are complex (a holomorphic
            function, whose VJP is ``g * f'(z)``); the VJP itself is the same either way,
            JAX's convention (docs/complex.md).
    Returns:
        ``(out, vjp_fn)``. ``vjp_fn(cotangent)``, where ``cotangent`` has the
        structure and shapes of ``out``, returns a tuple with one cotangent pytree
        per primal: :math:`v^T J`. ``vjp_fn`` may be called many times.
    Raises:
        TypeError: a primal leaf is not floating-point; in ``vjp_fn``, a cotangent
            whose structure or shapes differ from ``out``'s.
    """
    if not primals:
        raise TypeError("vjp: give at least one primal argument: vjp(fun, x, ...)")
    call = _TracedCall("vjp", fun, primals, tuple(range(len(primals))), {})
    out, aux = _split_aux("vjp", call.out, has_aux)
    out_leaves, out_def = tree.flatten(out)
    if holomorphic:
        _check_complex_inputs("vjp", call)
        _check_jacobian_dtypes("vjp", out_leaves, True, "output", False)
    shapes = [np.shape(primal(leaf)) for leaf in out_leaves]

    def vjp_fn(cotangent: Any) -> tuple:
        ct_leaves, ct_def = tree.flatten(cotangent)
        if ct_def != out_def:
            raise TypeError(f"vjp: the cotangent's structure {ct_def!r} differs from the output's {out_def!r}")
        seeds: dict = {}
        for leaf, ct, shape in zip(out_leaves, ct_leaves, shapes):
            if type(ct) is not Traced and type(ct) is not np.ndarray:
                ct = np.asarray(ct)  # VJP rules may rely on .shape and .ndim of the cotangent
            if np.shape(ct) != shape:
                raise TypeError(
                    f"vjp: cotangent of shape {np.shape(ct)} for an output of shape {shape}; they must match"
                )
            if call.own(leaf):
                seeds[leaf.node] = ct if leaf.node not in seeds else seeds[leaf.node] + ct
        return call.cotangents(seeds, consume=False)

    out = stop_gradient_of(call, out)
    return (out, vjp_fn, stop_gradient_of(call, aux)) if has_aux else (out, vjp_fn)


def jvp(fun: Callable, primals: Sequence, tangents: Sequence, has_aux: bool = False) -> tuple:
    """Forward mode: evaluate ``fun(*primals)`` and its Jacobian-vector product with ``tangents``.

    Args:
        fun: a function of pytrees of float (or complex) arrays returning a pytree of arrays.
        primals: a tuple or list of the arguments, every one differentiated.
        tangents: a tuple or list with one tangent per primal, of the same pytree
            structure, shapes and dtypes.
        has_aux: ``fun`` returns ``(out, aux)``; the result is then ``(out, tangent_out, aux)``.
    Returns:
        ``(out, tangent_out)``: ``fun``'s output and :math:`J t`, of the output's structure,
        shapes and dtypes (zeros where the output does not depend on the primals).
    Raises:
        TypeError: ``primals`` or ``tangents`` not a tuple or list, of different lengths,
            or a tangent whose structure, shape or dtype differs from its primal's; a
            primitive with no JVP rule (NotImplementedError, naming it).

    True forward mode, as ``jax.jvp``: each tangent travels beside its primal value and
    each primitive's JVP rule runs once, while ``fun`` runs (Griewank & Walther,
    "Evaluating Derivatives", 2008, ch. 3.1). No tape is kept. Forward and reverse mode
    nest in any order: the JVP rules are written with autotape's ops, so an enclosing
    transform records them.
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"jvp: primals and tangents must be tuples or lists (one entry per argument of fun), got "
            f"{type(primals).__name__} and {type(tangents).__name__}; e.g. at.jvp(f, (x,), (t,))"
        )
    if len(primals) != len(tangents):
        raise TypeError(f"jvp: {len(primals)} primal(s) but {len(tangents)} tangent(s); give one tangent per primal")
    tape, token = push_tape("jvp", fun, forward=True)
    try:
        args = []
        for n, (p, t) in enumerate(zip(primals, tangents)):
            flat, treedef = tree.flatten(p)
            t_flat, t_def = tree.flatten(t)
            if t_def != treedef:
                raise TypeError(f"jvp: tangent {n} has structure {t_def!r}, but its primal has {treedef!r}")
            values = _as_differentiable("jvp", flat, treedef, n)
            nodes = tape.new_inputs(len(values))
            for i, (value, tangent) in enumerate(zip(values, t_flat)):
                tape.records.tangents.append(_tangent_for("jvp", value, tangent, lambda: _leaf_label(treedef, n, i)))
            args.append(tree.unflatten(treedef, [Traced(v, tape, node) for v, node in zip(values, nodes)]))
        tape.whole_arguments = _whole_arguments(args)
        call_tuple = tuple(args)
        del args
        result = fun(*call_tuple)
    finally:
        pop_tape(tape, token)
    out, aux = _split_aux("jvp", result, has_aux)
    leaves, out_def = tree.flatten(out)
    found = tape.records.tangents
    primal_out, tangent_out = [], []
    for leaf in leaves:
        if type(leaf) is Traced and leaf.tape is tape:
            value, tangent = leaf.value, found[leaf.node]
        else:
            value, tangent = leaf, None
        primal_out.append(value)
        if tangent is None:
            tangent = np.zeros(np.shape(primal(value)), dtype=np.result_type(primal(value)))
        tangent_out.append(tangent)
    outs = (tree.unflatten(out_def, primal_out), tree.unflatten(out_def, tangent_out))
    if has_aux:
        return (*outs, tree.map(lambda leaf: leaf.value if type(leaf) is Traced and leaf.tape is tape else leaf, aux))
    return outs


def _tangent_for(transform: str, value: Any, tangent: Any, label: Callable[[], str]) -> Any:
    """``tangent`` checked against its primal ``value``: same shape and dtype (no silent casts)."""
    if type(tangent) is not Traced and type(tangent) is not np.ndarray:
        tangent = (
            np.asarray(tangent, dtype=value.dtype)
            if isinstance(tangent, (int, float, complex))
            else np.asarray(tangent)
        )
    if np.shape(tangent) != value.shape:
        raise TypeError(
            f"{transform}: the tangent of {label()} has shape {np.shape(tangent)}, but the primal has shape "
            f"{value.shape}; they must match"
        )
    if tangent.dtype != value.dtype:
        raise TypeError(
            f"{transform}: the tangent of {label()} has dtype {tangent.dtype}, but the primal has dtype "
            f"{value.dtype}; they must match: cast it with .astype({value.dtype})"
        )
    return tangent


def _partial(fun: Callable, args: tuple, kwargs: dict, nums: tuple) -> Callable:
    """``fun`` as a function of the arguments at positions ``nums`` only (the others fixed)."""

    def partial_fun(*diff_args):
        full = list(args)
        for n, a in zip(nums, diff_args):
            full[n] = a
        return fun(*full, **kwargs)

    return partial_fun


def _check_jacobian_dtypes(transform: str, leaves: list, holomorphic: bool, what: str, real_needed: bool) -> None:
    """JAX's rules: with ``holomorphic`` every leaf is complex; without it, ``real_needed`` leaves are real."""
    for leaf in leaves:
        kind = np.result_type(primal(leaf)).kind
        if holomorphic and kind != "c":
            raise TypeError(
                f"{transform} with holomorphic=True needs complex {what}s, but one has dtype "
                f"{np.result_type(primal(leaf))}; cast it with .astype(complex), or drop holomorphic=True"
            )
        if real_needed and not holomorphic and kind == "c":
            raise TypeError(
                f"{transform} needs real {what}s, but one has dtype {np.result_type(primal(leaf))}. For a "
                "holomorphic function pass holomorphic=True; otherwise split it into real and imaginary parts"
            )


def _blocks(columns: list, out_shape: tuple, in_leaves: list, leading: bool) -> list:
    """Per input leaf, the Jacobian block ``out_shape + in_shape`` from its columns or rows.

    ``columns[i]`` is, for input element (or output element) ``i``, the list of per-leaf
    arrays; ``leading`` says the stacked index goes first (rows of jacrev, indexed by the
    output element) or last (columns of jacfwd, indexed by the input element).
    """
    blocks = []
    for j, leaf in enumerate(in_leaves):
        in_shape = np.shape(primal(leaf))
        stacked = np.stack([c[j] for c in columns])
        if leading:
            blocks.append(np.reshape(stacked, out_shape + in_shape))
        else:
            blocks.append(np.reshape(np.moveaxis(stacked, 0, -1), out_shape + in_shape))
    return blocks


def _basis(shape: tuple, dtype: Any) -> Any:
    """The one-hot arrays of ``shape``, in order."""
    size = int(np.prod(shape))
    eye = np.eye(size, dtype=dtype)
    return (np.reshape(row, shape) for row in eye)


def jacrev(fun: Callable, argnums: Argnums = 0, has_aux: bool = False, holomorphic: bool = False) -> Callable:
    """Transform ``fun`` into its Jacobian, computed in reverse mode: one VJP per output element.

    Args:
        fun: a function of pytrees of float (or complex) arrays returning a pytree of arrays.
        argnums: the argument (int) or arguments (tuple) to differentiate.
        has_aux: ``fun`` returns ``(out, aux)``; the result is then ``(jacobian, aux)``.
        holomorphic: ``fun`` is holomorphic, its inputs and outputs complex: the blocks
            hold complex derivatives.
    Returns:
        A function returning the Jacobian with the structure of ``fun``'s output, each
        output leaf of shape ``out_shape`` replaced by the argument's structure (a tuple
        of them for a tuple ``argnums``) whose leaves are blocks of shape
        ``out_shape + in_shape`` with ``J[i..., j...] = d out[i...] / d x[j...]`` (as
        ``jax.jacrev``).
    Raises:
        TypeError: a complex output without ``holomorphic`` (or real leaves with it);
            errors of :func:`vjp`.

    One forward pass records the tape; it is then walked once per output element, so
    ``jacrev`` suits functions with fewer outputs than inputs. Keyword arguments of the
    call are passed to ``fun`` and not differentiated.
    """

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        nums, single = _normalize_argnums("jacrev", argnums, len(args), kwargs)
        diff_args = [args[n] for n in nums]
        if holomorphic:
            _check_jacobian_dtypes("jacrev", tree.leaves(diff_args), True, "input", False)
        result = vjp(_partial(fun, args, kwargs, nums), *diff_args, has_aux=has_aux)
        out, vjp_fn = result[0], result[1]
        out_leaves, out_def = tree.flatten(out)
        _check_jacobian_dtypes("jacrev", out_leaves, holomorphic, "output", True)
        zeros = [np.zeros(np.shape(primal(o)), np.result_type(primal(o))) for o in out_leaves]
        in_flat = [tree.flatten(a) for a in diff_args]
        per_output = []
        for j, leaf in enumerate(out_leaves):
            out_shape = np.shape(primal(leaf))
            rows = []
            for e in _basis(out_shape, zeros[j].dtype):
                cotangents = list(zeros)
                cotangents[j] = e
                grads = vjp_fn(tree.unflatten(out_def, cotangents))
                rows.append([g for k in range(len(nums)) for g in tree.leaves(grads[k])])
            per_arg, start = [], 0
            for leaves, treedef in in_flat:
                if rows:
                    blocks = _blocks([r[start : start + len(leaves)] for r in rows], out_shape, leaves, leading=True)
                else:
                    blocks = [_empty_block(out_shape, x) for x in leaves]
                per_arg.append(tree.unflatten(treedef, blocks))
                start += len(leaves)
            per_output.append(per_arg[0] if single else tuple(per_arg))
        jac = tree.unflatten(out_def, per_output)
        return (jac, result[2]) if has_aux else jac

    return wrapped


#: ``jacobian`` is :func:`jacrev`, as in JAX.
jacobian = jacrev


def jacfwd(fun: Callable, argnums: Argnums = 0, has_aux: bool = False, holomorphic: bool = False) -> Callable:
    """Transform ``fun`` into its Jacobian, computed in forward mode: one JVP per input element.

    Arguments, result structure and errors as :func:`jacrev` (as ``jax.jacfwd``), except
    that without ``holomorphic`` the *inputs* must be real (a complex output is then the
    derivative of its real and imaginary parts).

    For one input element it is one :func:`jvp` (true forward mode, no tape kept); for
    several, ``fun`` is linearized once (:func:`linearize`) and its linear map applied to
    each one-hot tangent, so ``fun`` runs once whatever the number of columns. Each
    column costs about two reverse walks, so ``jacfwd`` suits functions with fewer inputs
    than outputs (``jacrev``: one walk per output element).
    """

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        nums, single = _normalize_argnums("jacfwd", argnums, len(args), kwargs)
        diff_args = [args[n] for n in nums]
        in_flat = [tree.flatten(a) for a in diff_args]
        all_leaves = [np.asarray(x) if type(x) is not Traced else x for leaves, _ in in_flat for x in leaves]
        _check_jacobian_dtypes("jacfwd", all_leaves, holomorphic, "input", True)
        partial = _partial(fun, args, kwargs, nums)
        zeros = [np.zeros(np.shape(primal(x)), np.result_type(primal(x))) for x in all_leaves]

        def tangents_with(index: int, e: Any) -> tuple:
            flat = list(zeros)
            if index >= 0:
                flat[index] = e
            trees, start = [], 0
            for leaves, treedef in in_flat:
                trees.append(tree.unflatten(treedef, flat[start : start + len(leaves)]))
                start += len(leaves)
            return tuple(trees)

        columns: list = []  # per input leaf: the output-tangent leaves of each of its one-hot tangents
        out = aux = None
        size = sum(int(np.prod(np.shape(primal(x)))) for x in all_leaves)
        if size > 1:
            # Several columns: linearize once (the forward pass recorded, and its VJP) and apply
            # the linear map to each one-hot tangent, rather than running fun once per column.
            result = linearize(partial, *diff_args, has_aux=has_aux)
            out, column_of = result[0], result[1]
            aux = result[2] if has_aux else None
        for index, x in enumerate(all_leaves):
            leaf_columns = []
            for e in _basis(np.shape(primal(x)), zeros[index].dtype):
                if size > 1:
                    leaf_columns.append(tree.leaves(column_of(*tangents_with(index, e))))
                    continue
                result = jvp(partial, tuple(diff_args), tangents_with(index, e), has_aux=has_aux)
                out, leaf_columns_out = result[0], result[1]
                aux = result[2] if has_aux else None
                leaf_columns.append(tree.leaves(leaf_columns_out))
            columns.append(leaf_columns)
        if out is None:  # no input elements at all: run once for the output's structure
            result = jvp(partial, tuple(diff_args), tangents_with(-1, None), has_aux=has_aux)
            out, aux = result[0], (result[2] if has_aux else None)
        if holomorphic:
            _check_jacobian_dtypes("jacfwd", tree.leaves(out), True, "output", False)
        out_leaves, out_def = tree.flatten(out)
        per_output = []
        for j, leaf in enumerate(out_leaves):
            out_shape = np.shape(primal(leaf))
            blocks = []
            for index, x in enumerate(all_leaves):
                if columns[index]:
                    blocks.append(_blocks([[c[j]] for c in columns[index]], out_shape, [x], leading=False)[0])
                else:
                    blocks.append(_empty_block(out_shape, x, np.result_type(primal(leaf), primal(x))))
            per_arg, start = [], 0
            for leaves, treedef in in_flat:
                per_arg.append(tree.unflatten(treedef, blocks[start : start + len(leaves)]))
                start += len(leaves)
            per_output.append(per_arg[0] if single else tuple(per_arg))
        jac = tree.unflatten(out_def, per_output)
        return (jac, aux) if has_aux else jac

    return wrapped


def _empty_block(out_shape: tuple, leaf: Any, dtype: Any = None) -> np.ndarray:
    value = primal(leaf)
    return np.zeros(out_shape + np.shape(value), dtype=dtype or np.result_type(value))


def hessian(fun: Callable, argnums: Argnums = 0, has_aux: bool = False, holomorphic: bool = False) -> Callable:
    """The Hessian of scalar-valued ``fun``: ``jacfwd(jacrev(fun, argnums), argnums)``, as ``jax.hessian``.

    Returns, for an argument of shape ``s``, an array of shape ``s + s``; for a pytree
    argument, a nested pytree of blocks: with ``params`` a dict, ``H[k1][k2]`` has shape
    ``params[k1].shape + params[k2].shape``. With a tuple ``argnums`` it returns a tuple
    of tuples of blocks, ``H[i][j]`` holding the second derivatives by arguments ``i``
    and ``j``. ``has_aux`` and ``holomorphic`` as :func:`jacrev`.

    Forward-over-reverse: the gradient's reverse walk runs inside forward mode, once per
    input element (Griewank & Walther 2008, ch. 5).
    """
    inner = jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic)
    return jacfwd(inner, argnums, has_aux=has_aux, holomorphic=holomorphic)


def hvp(fun: Callable, primals: Sequence, tangents: Sequence) -> tuple:
    """The Hessian-vector product of scalar-valued ``fun`` at ``primals`` with ``tangents``.

    Args:
        fun: a function of pytrees of float arrays returning a real scalar.
        primals: a tuple or list of its arguments (all differentiated).
        tangents: a tuple or list of the same structure, shapes and dtypes.
    Returns:
        A tuple shaped like ``primals``: :math:`H v`, where ``H`` is the Hessian of ``fun``
        in all its arguments and ``v`` the tangents.
    Raises:
        TypeError: as :func:`jvp` and :func:`grad`.

    Forward-over-reverse (Pearlmutter 1994, "Fast exact multiplication by the Hessian"):
    one :func:`jvp` of the gradient, without forming ``H``.
    """
    if not isinstance(primals, (tuple, list)):
        raise TypeError(f"hvp: primals must be a tuple or list of fun's arguments, got {type(primals).__name__}")
    gradient = grad(fun, argnums=tuple(range(len(primals))))
    return jvp(gradient, primals, tangents)[1]


def linearize(fun: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """Evaluate ``fun(*primals)`` and return ``(out, f_jvp)``, its linear map at ``primals``.

    ``f_jvp(*tangents)`` returns :math:`J t` (the output's structure) for tangents shaped
    like ``primals``, as often as needed, without running ``fun``'s nonlinear part again:
    the forward pass is recorded once, and each call transposes its VJP (the VJP is linear
    in the cotangent, and the transpose of the transpose is the JVP), at the cost of two
    reverse walks. With ``has_aux`` the result is ``(out, f_jvp, aux)``.

    Raises:
        TypeError: as :func:`vjp`.
    """
    result = vjp(fun, *primals, has_aux=has_aux)
    out, vjp_fn = result[0], result[1]
    zero = tree.map(lambda leaf: np.zeros(np.shape(primal(leaf)), np.result_type(primal(leaf))), out)
    _, transposed = vjp(vjp_fn, zero)

    def f_jvp(*tangents: Any) -> Any:
        if len(tangents) != len(primals):
            raise TypeError(f"linearize: f_jvp takes {len(primals)} tangent(s), one per primal; got {len(tangents)}")
        return transposed(tuple(tangents))[0]

    return (out, f_jvp, result[2]) if has_aux else (out, f_jvp)


def trace(fun: Callable) -> Callable:
    """Run ``fun`` once and return the recorded :class:`~autotape.tape.Tape`.

    Every leaf of every positional argument is traced (so all must be floating-point);
    keyword arguments are passed to ``fun`` untraced. Each entry records the user's
    source line. ``print(at.trace(f)(x, w))`` lists one entry per line:
    ``%3 = tanh(%2)  -> float64[4x4]  at model.py:12``.

    Raises:
        TypeError: as :func:`vjp`, for arguments that are not floating-point.
    """

    @functools.wraps(fun)
    def wrapped(*args, **kwargs) -> Tape:
        if not args:
            raise TypeError("trace: give the arguments to trace fun with")
        with _config.switched(record_source=True):
            call = _TracedCall("trace", fun, args, tuple(range(len(args))), kwargs)
        call.tape.input_labels = [
            label for n, treedef in zip(call.argnums, call.treedefs) for label in tree.paths(treedef, f"args[{n}]")
        ]
        return call.tape

    return wrapped

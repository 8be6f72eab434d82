"""Testing tools for differentiable code written with autotape.

:func:`check_grads` compares autotape's reverse-mode derivatives of a function with
central finite differences along random directions, for pytree arguments, and to
any order. It needs only NumPy, so it can be used in any test suite::

    import numpy as np
    import autotape as at
    from autotape.testing import check_grads

    def loss(params, x):
        return at.sum(at.tanh(x @ params["w"] + params["b"]) ** 2)

    params = {"w": np.ones((3, 2)) * 0.1, "b": np.zeros(2)}
    check_grads(loss, (params, np.arange(3.0)), order=2, seed=0)   # passes silently

Hypothesis strategies for drawing arrays, shapes, MLP parameters and random
differentiable programs live in :mod:`autotape.testing.strategies`, which needs
``hypothesis`` installed (``pip install "autotape[testing]"``).

Default finite-difference settings
----------------------------------
The step ``eps`` is taken along directions of unit Euclidean norm. A check passes
when, for every direction, the reverse-mode directional derivative ``a`` and the
finite difference ``n`` satisfy::

    |a - n| <= atol + rtol * max(|a|, |n|) + noise

where ``noise = 8 * machine_eps * M / eps`` bounds the rounding error of the finite
difference itself (``M`` is the magnitude of the function's output, ``sum |f(x) * v|``,
and ``machine_eps`` that of the dtype the differences are evaluated in).

The defaults depend on the lowest-precision floating dtype among the differentiated
leaves and the outputs (see :data:`DEFAULT_TOLERANCES`):

============================  ========  ========  ========
regime                        eps       rtol      atol
============================  ========  ========  ========
float64                       1e-5      1e-5      1e-8
float32, differences in f64   1e-5      1e-3      1e-5
float32, differences in f32   1e-3      1e-2      1e-3
============================  ========  ========  ========

For float32 inputs the reverse-mode gradient is computed at the float32 arguments,
as given, but the finite differences are evaluated at float64 copies of them
whenever the function then returns float64 (autotape's ops follow their inputs'
dtype), which makes them accurate enough to check the float32 gradient to ``rtol``
1e-3. A function that still returns float32 at float64 inputs is differenced in
float32, with a larger step and looser tolerances. Pass ``eps``, ``rtol`` or
``atol`` to override any of them.
"""

from __future__ import annotations

import math
import numbers
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Optional, Union

import numpy as np
from jaxtyping import Float

from .. import ops, transforms, tree
from .._public import public_dir
from ..tracer import primal

__all__ = ["check_grads", "Tolerance", "DEFAULT_TOLERANCES", "FLOAT32_FD_TOLERANCE"]
__dir__ = public_dir(globals(), __all__, submodules=["strategies"])

PyTree = Any
FloatArray = Float[np.ndarray, "*shape"]


class Tolerance(NamedTuple):
    """A finite-difference step (along unit directions) and the tolerances it allows."""

    eps: float
    rtol: float
    atol: float


#: Defaults by the lowest-precision dtype among the differentiated leaves and the
#: outputs. The float32 entry applies when the finite differences can be evaluated in
#: float64 (the function returns float64 at float64 copies of the arguments).
DEFAULT_TOLERANCES: dict[np.dtype, Tolerance] = {
    np.dtype(np.float64): Tolerance(eps=1e-5, rtol=1e-5, atol=1e-8),
    np.dtype(np.float32): Tolerance(eps=1e-5, rtol=1e-3, atol=1e-5),
}

#: Defaults for float32 when the function returns float32 even at float64 inputs,
#: so the finite differences themselves are taken in float32.
FLOAT32_FD_TOLERANCE = Tolerance(eps=1e-3, rtol=1e-2, atol=1e-3)

# The finite differences' rounding error is estimated as NOISE_FACTOR * machine eps * |f| / eps.
_NOISE_FACTOR = 8.0


def check_grads(
    fun: Callable[..., PyTree],
    args: Union[tuple, PyTree],
    order: int = 1,
    eps: Optional[float] = None,
    rtol: Optional[float] = None,
    atol: Optional[float] = None,
    seed: Optional[int] = None,
    *,
    argnums: Union[int, Sequence[int], None] = None,
    directions: int = 2,
) -> None:
    """Check autotape's derivatives of ``fun`` at ``args`` against central finite differences.

    For a function whose output is not a scalar, the scalar ``s(x) = sum(fun(x) * v)``
    is checked, with ``v`` a random cotangent of the output's structure and shapes (a
    vector-Jacobian product check); a scalar output is used as it is. For each
    differentiated leaf ``x_i`` (every array in every differentiated argument, which
    may be a pytree), and each of ``directions`` random unit directions ``d`` in that
    leaf's space, the reverse-mode directional derivative ``<grad_i s(x), d>`` is
    compared with ``(s(x + eps d) - s(x - eps d)) / (2 eps)``: two evaluations of
    ``fun`` per direction, however many elements the leaf has.

    With ``order=2`` the gradient of the gradient is then checked the same way: the
    reverse-mode gradient of ``h(x) = <grad s(x), u>`` (``u`` random, so this is a
    Hessian-vector product) against finite differences of ``h``, which is itself
    computed by reverse mode. Higher orders continue the recursion.

    Args:
        fun: a function of pytrees of float arrays returning a pytree of float
            arrays (a scalar loss, or any array-valued output), written with autotape
            ops or NumPy calls on its arguments.
        args: the positional arguments, as a tuple. Anything other than a tuple is
            taken as the single argument (so a list is one pytree argument).
        order: how many orders of derivatives to check, 1 or more.
        eps: finite-difference step along unit-norm directions; default by dtype.
        rtol, atol: tolerances on each directional derivative; default by dtype (see
            the module documentation for the rule and the table).
        seed: seeds the directions and cotangents. ``None`` draws a fresh seed, which
            the failure report prints; pass a seed (e.g. one drawn by hypothesis) to
            make the check deterministic.
        argnums: the argument positions to differentiate (int or sequence); default
            all. Other arguments (integer labels, data) are passed unchanged.
        directions: random directions per leaf, at least 1.

    Returns:
        None; the check passed.

    Raises:
        AssertionError: a derivative disagrees with its finite difference, is not
            finite, or a gradient's structure, shape or dtype differs from its
            argument's. The message names the argument leaf (e.g. ``args[0]['w1']``),
            its largest absolute and relative errors, the worst direction's two values
            and tolerance, every leaf's errors, and the seed that reproduces it.
        TypeError: a differentiated leaf or an output leaf is not floating-point.
        ValueError: ``order`` or ``directions`` is less than 1, or ``argnums`` is out
            of range.

    Example::

        check_grads(lambda x: at.sum(at.sigmoid(x) * x), (np.linspace(-2, 2, 5),), order=2, seed=1)

        @at.primitive
        def bad_square(x):
            return x * x, (x,)

        bad_square.defvjp(lambda g, x: g * x)   # wrong: d(x^2)/dx is 2x
        check_grads(lambda x: at.sum(bad_square(x)), (np.ones(3),), seed=0)
        # AssertionError: check_grads: reverse-mode derivatives disagree with central
        # finite differences ... leaf args[0] ...
    """
    if not isinstance(args, tuple):
        args = (args,)
    if isinstance(order, bool) or not isinstance(order, numbers.Integral) or order < 1:
        raise ValueError(f"check_grads: order must be an integer >= 1, got {order!r}")
    if isinstance(directions, bool) or not isinstance(directions, numbers.Integral) or directions < 1:
        raise ValueError(f"check_grads: directions must be an integer >= 1, got {directions!r}")
    if not args:
        raise ValueError("check_grads: give at least one argument to differentiate: check_grads(fun, (x,))")
    nums = _normalize_argnums(argnums, len(args))
    if seed is None:
        seed = secrets.randbits(32)
    rng = np.random.default_rng(seed)

    def partial(*diff_args):
        full = list(args)
        for n, a in zip(nums, diff_args):
            full[n] = a
        return fun(*full)

    diff_args = []
    labels: list[str] = []
    for n in nums:
        flat, treedef = tree.flatten(args[n])
        paths = tree.paths(treedef, f"args[{n}]")
        leaves = []
        for path, leaf in zip(paths, flat):
            array = np.asarray(primal(leaf))
            if array.dtype.kind != "f":
                raise TypeError(
                    f"check_grads: argument leaf {path} has dtype {array.dtype}; only floating-point leaves can "
                    "be checked. Leave integer data out of argnums, or convert it with .astype(np.float64)."
                )
            leaves.append(leaf if isinstance(leaf, np.ndarray) else array)
        diff_args.append(tree.unflatten(treedef, leaves))
        labels.extend(paths)

    settings = _Overrides(eps, rtol, atol)
    _check_order(partial, tuple(diff_args), labels, 1, int(order), settings, rng, seed, int(directions))


# --------------------------------------------------------------------------------------
# Implementation
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Overrides:
    eps: Optional[float]
    rtol: Optional[float]
    atol: Optional[float]


@dataclass
class _LeafResult:
    label: str
    shape: tuple
    dtype: np.dtype
    max_abs: float = 0.0
    max_rel: float = 0.0
    failed: bool = False
    # the worst direction: (analytic, finite difference, tolerance, direction number)
    worst: Optional[tuple] = None
    worst_excess: float = -math.inf


def _normalize_argnums(argnums, nargs: int) -> tuple[int, ...]:
    if argnums is None:
        return tuple(range(nargs))
    nums = (argnums,) if isinstance(argnums, numbers.Integral) else tuple(argnums)
    if not nums:
        raise ValueError("check_grads: argnums is empty; give at least one argument position")
    out = []
    for n in nums:
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or not -nargs <= int(n) < nargs:
            raise ValueError(f"check_grads: argnums {argnums!r} is out of range for {nargs} argument(s)")
        out.append(int(n) % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"check_grads: argnums {argnums!r} repeats an argument")
    return tuple(out)


def _float_leaves(what: str, value: PyTree) -> tuple[list[FloatArray], Any]:
    flat, treedef = tree.flatten(value)
    arrays = []
    for path, leaf in zip(tree.paths(treedef, what), flat):
        array = np.asarray(primal(leaf))
        if array.dtype.kind != "f":
            raise TypeError(
                f"check_grads: the function's output {path or what} has dtype {array.dtype}; derivatives "
                "can only be checked for floating-point outputs"
            )
        arrays.append(array)
    if not arrays:
        raise TypeError("check_grads: the function's output has no array leaves to differentiate")
    return arrays, treedef


def _lowest_precision(dtypes) -> np.dtype:
    return np.dtype(np.float64) if all(np.dtype(d).itemsize >= 8 for d in dtypes) else np.dtype(np.float32)


def _scalarize(out_leaves: list[FloatArray], v_leaves: list[FloatArray]) -> tuple[float, float]:
    """``sum(out * v)`` over the leaves, in float64, and its magnitude ``sum |out * v|``."""
    total, magnitude = 0.0, 0.0
    for o, v in zip(out_leaves, v_leaves):
        terms = np.asarray(o, dtype=np.float64) * np.asarray(v, dtype=np.float64)
        total += float(np.sum(terms))
        magnitude += float(np.sum(np.abs(terms)))
    return total, magnitude


_ORDINALS = {1: "first", 2: "second", 3: "third"}


def _describe_order(level: int) -> str:
    if level == 1:
        return "first derivative (order 1) of s(x) = sum(fun(x) * v), v a random output cotangent"
    name = _ORDINALS.get(level, f"order-{level}")
    return (
        f"{name} derivative (order {level}): the gradient of h(x) = <grad of the order-{level - 1} "
        "function, u>, u a random direction (a Hessian-vector product at order 2)"
    )


def _check_order(
    f: Callable,
    diff_args: tuple,
    labels: list[str],
    level: int,
    order: int,
    settings: _Overrides,
    rng: np.random.Generator,
    seed: int,
    directions: int,
    upcast_ok: Optional[bool] = None,
) -> None:
    """Check the order-``level`` derivative of ``f``, then recurse up to ``order``.

    ``upcast_ok`` carries the first order's finding (may float32 leaves be differenced
    at float64 copies?) to the higher orders, whose functions are built from ``f``.
    """
    out = f(*diff_args)
    out_leaves, out_def = _float_leaves("output", out)
    single_scalar = len(out_leaves) == 1 and out_leaves[0].shape == ()
    if single_scalar:
        v_leaves = [np.ones((), dtype=out_leaves[0].dtype)]
    else:
        v_leaves = [rng.standard_normal(o.shape).astype(o.dtype) for o in out_leaves]
    v_tree = tree.unflatten(out_def, v_leaves)

    # Reverse mode.
    _, vjp_fn = transforms.vjp(f, *diff_args)
    cotangents = vjp_fn(v_tree)
    x_leaves: list[FloatArray] = []
    g_leaves: list[FloatArray] = []
    for k, (arg, ct) in enumerate(zip(diff_args, cotangents)):
        a_flat, a_def = tree.flatten(arg)
        c_flat, c_def = tree.flatten(ct)
        if a_def != c_def:
            raise AssertionError(
                f"check_grads: the gradient of argument {k} has structure {c_def!r}, its argument {a_def!r}"
            )
        x_leaves.extend(np.asarray(primal(a)) for a in a_flat)
        g_leaves.extend(np.asarray(primal(c)) for c in c_flat)
    for label, x, g in zip(labels, x_leaves, g_leaves):
        if g.shape != x.shape or g.dtype != x.dtype:
            raise AssertionError(
                f"check_grads: the gradient of {label} has shape {g.shape} and dtype {g.dtype}, but the "
                f"argument has shape {x.shape} and dtype {x.dtype}"
            )

    # The regime: which dtype the finite differences are evaluated in, and the defaults.
    precision = _lowest_precision([x.dtype for x in x_leaves] + [o.dtype for o in out_leaves])
    fd_leaves = x_leaves
    fd_dtype: np.dtype = np.dtype(np.float64)
    if precision == np.float32:
        upcast = [x.astype(np.float64) for x in x_leaves]
        if upcast_ok is None:
            up_out, _ = _float_leaves("output", f(*_rebuild(diff_args, upcast)))
            upcast_ok = all(o.dtype == np.float64 for o in up_out)
        if upcast_ok:
            fd_leaves = upcast
            defaults = DEFAULT_TOLERANCES[np.dtype(np.float32)]
        else:
            fd_dtype = np.dtype(np.float32)
            defaults = FLOAT32_FD_TOLERANCE
    else:
        defaults = DEFAULT_TOLERANCES[np.dtype(np.float64)]
    eps = defaults.eps if settings.eps is None else float(settings.eps)
    rtol = defaults.rtol if settings.rtol is None else float(settings.rtol)
    atol = defaults.atol if settings.atol is None else float(settings.atol)
    machine_eps = float(np.finfo(fd_dtype).eps)

    def scalar_at(leaves: list) -> tuple[float, float]:
        leaves_out, _ = _float_leaves("output", f(*_rebuild(diff_args, leaves)))
        return _scalarize(leaves_out, v_leaves)

    results = []
    for j, (label, x, g) in enumerate(zip(labels, fd_leaves, g_leaves)):
        result = _LeafResult(label, x_leaves[j].shape, x_leaves[j].dtype)
        results.append(result)
        if x.size == 0:
            continue
        g64 = g.astype(np.float64)
        for k in range(directions):
            d = rng.standard_normal(x.shape)
            d /= np.linalg.norm(d) or 1.0
            plus, minus = list(fd_leaves), list(fd_leaves)
            plus[j] = (x + eps * d).astype(x.dtype)
            minus[j] = (x - eps * d).astype(x.dtype)
            # The step actually taken, after rounding to the leaf's dtype.
            realized = (plus[j].astype(np.float64) - minus[j].astype(np.float64)) / (2 * eps)
            s_plus, m_plus = scalar_at(plus)
            s_minus, m_minus = scalar_at(minus)
            numeric = (s_plus - s_minus) / (2 * eps)
            analytic = float(np.sum(g64 * realized))
            noise = _NOISE_FACTOR * machine_eps * max(m_plus, m_minus) / eps
            scale = max(abs(analytic), abs(numeric))
            tolerance = atol + rtol * scale + noise
            error = abs(analytic - numeric)
            if not (math.isfinite(analytic) and math.isfinite(numeric)):
                error, relative, excess = math.inf, math.inf, math.inf
            else:
                relative = error / scale if scale > 0 else 0.0
                excess = error - tolerance
            result.max_abs = max(result.max_abs, error)
            result.max_rel = max(result.max_rel, relative)
            if excess > result.worst_excess:
                result.worst_excess = excess
                result.worst = (analytic, numeric, tolerance, k + 1)
            if not excess <= 0:
                result.failed = True

    if any(r.failed for r in results):
        raise AssertionError(
            _report(results, level, Tolerance(eps, rtol, atol), fd_dtype, directions, seed, single_scalar)
        )

    if level < order:
        u_leaves = [rng.standard_normal(x.shape).astype(x.dtype) for x in x_leaves]

        def h(*args):
            _, inner_vjp = transforms.vjp(f, *args)
            total: Any = 0.0
            for ct_arg, u_arg in zip(inner_vjp(v_tree), _rebuild(diff_args, u_leaves)):
                for ct, u in zip(tree.leaves(ct_arg), tree.leaves(u_arg)):
                    total = ops.add(total, ops.sum(ops.multiply(ct, u)))
            return total

        _check_order(h, diff_args, labels, level + 1, order, settings, rng, seed, directions, upcast_ok)


def _rebuild(diff_args: tuple, flat_leaves: list) -> tuple:
    """``diff_args``' structures filled with ``flat_leaves`` (in flatten order)."""
    out, i = [], 0
    for arg in diff_args:
        treedef = tree.structure(arg)
        out.append(tree.unflatten(treedef, list(flat_leaves[i : i + treedef.num_leaves])))
        i += treedef.num_leaves
    return tuple(out)


def _report(
    results: list, level: int, tol: Tolerance, fd_dtype: np.dtype, directions: int, seed: int, scalar_output: bool
) -> str:
    failed = [r for r in results if r.failed]
    worst = max(failed, key=lambda r: r.worst_excess)
    analytic, numeric, tolerance, k = worst.worst
    shape = f"shape {worst.shape}, {worst.dtype}"
    lines = [
        "check_grads: reverse-mode derivatives disagree with central finite differences",
        "  checked: "
        + (
            "first derivative (order 1) of the scalar fun(x)"
            if level == 1 and scalar_output
            else _describe_order(level)
        ),
        f"  failing leaf: {worst.label} ({shape})"
        + (f"; also failing: {', '.join(r.label for r in failed if r is not worst)}" if len(failed) > 1 else ""),
        f"  largest absolute error {worst.max_abs:.3g}, largest relative error {worst.max_rel:.3g} "
        f"(over {directions} random unit direction{'s' if directions > 1 else ''})",
        f"  worst direction ({k} of {directions}): reverse mode gives {analytic!r}, finite differences "
        f"give {numeric!r}; allowed difference {tolerance:.3g}",
        "  every leaf:",
    ]
    width = max(len(r.label) for r in results)
    for r in results:
        status = "FAILED" if r.failed else "ok"
        lines.append(
            f"    {r.label:<{width}}  {str(r.shape):<12} {str(r.dtype):<8} abs {r.max_abs:9.3g}  "
            f"rel {r.max_rel:9.3g}  {status}"
        )
    lines += [
        f"  settings: eps={tol.eps:g} along unit directions, rtol={tol.rtol:g}, atol={tol.atol:g}, "
        f"finite differences in {fd_dtype}",
        f"  reproduce with: check_grads(..., seed={seed})",
    ]
    return "\n".join(lines)

"""Optimizers as pure functions over parameter pytrees; inputs are never mutated.

Each optimizer is an :class:`Optimizer` pair, as in optax: ``state = opt.init(params)``
and ``params, state = opt.update(params, grads, state)``. The state is a pytree of
arrays (plus a step count), so it can be saved like parameters.

Every update is written with autotape ops, so it is differentiable: parameters,
gradients, state and hyperparameters (learning rate, betas) may be traced values, and
``grad`` of "the loss after k optimizer steps" by the learning rate or the initial
parameters works (meta-learning, as in MAML: Finn et al., 2017).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import tree
from ._public import public_dir
from .tracer import Traced, primal

__all__ = ["Optimizer", "sgd", "momentum", "adam", "apply_sgd", "MomentumState", "AdamState"]
__dir__ = public_dir(globals(), __all__)


class Optimizer(NamedTuple):
    """A pure optimizer: ``init(params) -> state``; ``update(params, grads, state) -> (new_params, new_state)``."""

    init: Callable[[Any], Any]
    update: Callable[[Any, Any, Any], tuple[Any, Any]]


def _check_lr(name: str, value: Any, what: str = "learning rate") -> Any:
    """A hyperparameter checked to be a finite real number: a Python or NumPy number, a 0-d
    array (made a float), or a traced 0-d value (kept, so the update is differentiable in it)."""
    if type(value) is float and math.isfinite(value):  # the common case, without ABC checks
        return value
    if type(value) is Traced and value.tape.jit:
        # A plain array to the function at.jit records: read as eagerly (its value guarded), so
        # that the update keeps a Python float's weak dtype, as eagerly.
        value = np.asarray(value)
    if type(value) is Traced:
        raw = primal(value)
        if np.shape(raw) != () or np.result_type(raw).kind not in "fiu":
            raise TypeError(
                f"{name}: the {what} must be a real scalar; got a traced value of shape {np.shape(raw)} "
                f"and dtype {np.result_type(raw)}"
            )
        if not math.isfinite(float(raw)):
            raise ValueError(f"{name}: the {what} must be finite, got {float(raw)!r}")
        return value
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "fiu":
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: the {what} must be a real number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name}: the {what} must be finite, got {value!r}")
    return float(value)


def _check_match(name: str, params: Any, grads: Any) -> tuple[list, list, Any]:
    p_leaves, p_def = tree.flatten(params)
    g_leaves, g_def = tree.flatten(grads)
    if p_def != g_def:
        raise ValueError(
            f"{name}: params and grads differ in structure at "
            f"{tree.first_difference(p_def, g_def, 'params')}; pass the gradient of the same "
            "pytree (e.g. at.grad(loss)(params))"
        )
    for i, (p, g) in enumerate(zip(p_leaves, g_leaves)):
        if getattr(p, "shape", None) != getattr(g, "shape", None) and np.shape(p) != np.shape(g):
            path = tree.paths(p_def, "params")[i]
            raise ValueError(f"{name}: {path} has shape {np.shape(p)} but its gradient has shape {np.shape(g)}")
    return p_leaves, g_leaves, p_def


def _check_state(name: str, treedef: Any, *states: Any) -> list:
    """Each state pytree's leaves, after checking it has the params' structure."""
    leaves_of = []
    for state in states:
        leaves, state_def = tree.flatten(state)
        if state_def != treedef:
            raise ValueError(
                f"{name}: the optimizer state does not match these params: it differs at "
                f"{tree.first_difference(treedef, state_def, 'params')}. Make the state with "
                "opt.init(params) for the same parameter pytree."
            )
        leaves_of.append(leaves)
    return leaves_of


def _new_leaf(p: Any, value: Any) -> Any:
    """``value`` in the dtype of parameter ``p`` (float32 parameters stay float32); traced
    values (a differentiated update) stay traced."""
    dtype = p.dtype if isinstance(p, (np.ndarray, Traced)) else np.result_type(p)
    if type(value) is Traced:
        return value if value.dtype == dtype else value.astype(dtype)
    return value if type(value) is np.ndarray and value.dtype == dtype else np.asarray(value, dtype=dtype)


def _descent(g: Any) -> Any:
    """The ascent direction of a gradient: ``g`` itself, or ``conj(g)`` for a complex parameter.

    Under the convention of ``docs/complex.md`` the gradient of a real loss by
    ``z = x + iy`` is ``df/dx - i df/dy``; the direction of steepest ascent in the pair
    ``(x, y)`` is its conjugate.
    """
    return np.conj(g) if getattr(g, "dtype", None) is not None and g.dtype.kind == "c" else g


def apply_sgd(params: Any, grads: Any, lr: float) -> Any:
    """One step of plain gradient descent: :math:`\\theta \\leftarrow \\theta - \\eta\\, g`.

    Args:
        params: pytree of float arrays.
        grads: pytree of the same structure and shapes (e.g. ``at.grad(loss)(params)``).
        lr: the learning rate :math:`\\eta`: a finite real number, a 0-d array, or a traced
            scalar (to differentiate through the step).
    Returns:
        New parameters; ``params`` and ``grads`` are not modified. Dtypes are kept.
        A complex parameter steps along ``conj(g)`` (the steepest descent in its real
        and imaginary parts: docs/complex.md).
    Raises:
        ValueError: structures or leaf shapes differ (the message names the first
            differing path), or ``lr`` is NaN or infinite.
        TypeError: ``lr`` is not a real number.
    """
    lr = _check_lr("sgd", lr)
    p_leaves, g_leaves, treedef = _check_match("sgd", params, grads)
    return tree.unflatten(treedef, [_new_leaf(p, p - lr * _descent(g)) for p, g in zip(p_leaves, g_leaves)])


def sgd(learning_rate: float) -> Optimizer:
    """Stochastic gradient descent as an :class:`Optimizer` (state: None). See :func:`apply_sgd`."""
    learning_rate = _check_lr("optim.sgd", learning_rate)

    def init(params: Any) -> None:
        return None

    def update(params: Any, grads: Any, state: None) -> tuple[Any, None]:
        return apply_sgd(params, grads, learning_rate), None

    return Optimizer(init, update)


class MomentumState(NamedTuple):
    velocity: Any


def momentum(learning_rate: float, beta: float = 0.9, nesterov: bool = False) -> Optimizer:
    """SGD with momentum, in PyTorch's form (``torch.optim.SGD`` with ``momentum``, ``dampening=0``).

    :math:`v \\leftarrow \\beta v + g`; then :math:`\\theta \\leftarrow \\theta - \\eta v`, or with
    Nesterov momentum (Sutskever et al., 2013) :math:`\\theta \\leftarrow \\theta - \\eta (g + \\beta v)`.
    The velocity starts at zero. Errors as :func:`apply_sgd`; ``beta`` must be in ``[0, 1)``.
    A complex parameter accumulates ``conj(g)``, as :func:`apply_sgd` steps along it.
    """
    learning_rate = _check_lr("optim.momentum", learning_rate)
    beta = _check_lr("optim.momentum", beta, "beta")
    if not 0 <= beta < 1:
        raise ValueError(f"optim.momentum: beta must be in [0, 1), got {beta}")

    def init(params: Any) -> MomentumState:
        return MomentumState(tree.map(np.zeros_like, params))

    def update(params: Any, grads: Any, state: MomentumState) -> tuple[Any, MomentumState]:
        p_leaves, g_leaves, treedef = _check_match("optim.momentum", params, grads)
        (v_leaves,) = _check_state("optim.momentum", treedef, state.velocity)
        g_leaves = [_descent(g) for g in g_leaves]
        new_v = [beta * v + g for v, g in zip(v_leaves, g_leaves)]
        steps = [g + beta * v for g, v in zip(g_leaves, new_v)] if nesterov else new_v
        new_p = [_new_leaf(p, p - learning_rate * s) for p, s in zip(p_leaves, steps)]
        velocity = [_new_leaf(p, v) for p, v in zip(p_leaves, new_v)]
        return tree.unflatten(treedef, new_p), MomentumState(tree.unflatten(treedef, velocity))

    return Optimizer(init, update)


def _squares(g: Any) -> Any:
    """``g * g``, or for complex ``g`` the squares of its parts as one complex number."""
    if getattr(g, "dtype", None) is not None and g.dtype.kind == "c":
        return g.real * g.real + 1j * (g.imag * g.imag)
    return g * g


def _adam_step(m: Any, v: Any, eps: float) -> Any:
    """``m / (sqrt(v) + eps)``, part by part for complex moments."""
    if getattr(m, "dtype", None) is not None and m.dtype.kind == "c":
        return m.real / (np.sqrt(v.real) + eps) + 1j * (m.imag / (np.sqrt(v.imag) + eps))
    return m / (np.sqrt(v) + eps)


class AdamState(NamedTuple):
    """Adam's state: the step count ``t`` (a NumPy ``int64`` scalar, an array leaf as optax's
    count is, so ``at.jit`` of a whole update replays rather than baking the count in), and the
    first and second moment estimates ``mu`` and ``nu``, each shaped like the parameters."""

    step: Any
    mu: Any
    nu: Any


def adam(learning_rate: float = 1e-3, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8) -> Optimizer:
    """Adam (Kingma & Ba, 2015, Algorithm 1), with bias-corrected moment estimates.

    :math:`m \\leftarrow b_1 m + (1-b_1) g`, :math:`v \\leftarrow b_2 v + (1-b_2) g^2`,
    :math:`\\theta \\leftarrow \\theta - \\eta\\, \\hat m / (\\sqrt{\\hat v} + \\epsilon)` with
    :math:`\\hat m = m / (1-b_1^t)`, :math:`\\hat v = v / (1-b_2^t)`.
    Errors as :func:`apply_sgd`; ``b1``, ``b2`` must be in ``[0, 1)``.

    A complex parameter is treated as the pair of its real and imaginary parts (as
    PyTorch's Adam does): ``m`` accumulates ``conj(g)``, and ``v`` holds the second
    moments of the two parts as its real and imaginary parts.
    """
    learning_rate = _check_lr("optim.adam", learning_rate)
    for name, b in (("b1", b1), ("b2", b2)):
        if not 0 <= _check_lr("optim.adam", b, name) < 1:
            raise ValueError(f"optim.adam: {name} must be in [0, 1), got {b}")

    def init(params: Any) -> AdamState:
        return AdamState(np.int64(0), tree.map(np.zeros_like, params), tree.map(np.zeros_like, params))

    def update(params: Any, grads: Any, state: AdamState) -> tuple[Any, AdamState]:
        p_leaves, g_leaves, treedef = _check_match("optim.adam", params, grads)
        mu_leaves, nu_leaves = _check_state("optim.adam", treedef, state.mu, state.nu)
        step = state.step + 1
        g_leaves = [_descent(g) for g in g_leaves]
        mu = [b1 * m + (1 - b1) * g for m, g in zip(mu_leaves, g_leaves)]
        nu = [b2 * v + (1 - b2) * _squares(g) for v, g in zip(nu_leaves, g_leaves)]
        c1, c2 = 1 - b1**step, 1 - b2**step
        new_p = [_new_leaf(p, p - learning_rate * _adam_step(m / c1, v / c2, eps)) for p, m, v in zip(p_leaves, mu, nu)]
        rebuild = lambda leaves: tree.unflatten(treedef, [_new_leaf(p, x) for p, x in zip(p_leaves, leaves)])  # noqa: E731
        return tree.unflatten(treedef, new_p), AdamState(step, rebuild(mu), rebuild(nu))

    return Optimizer(init, update)

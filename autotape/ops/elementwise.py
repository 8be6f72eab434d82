"""Elementwise primitives with NumPy broadcasting, each beside its VJP rules.

Outside any transform the public functions call NumPy directly, so they cost what
NumPy costs; inside one they record through their primitive.

Every VJP returns the cotangent in the broadcast output shape; the engine sums it
back to the operand's shape. Subgradients at kinks follow PyTorch: ``relu'(0) = 0``,
``abs'(0) = 0``, ties in ``maximum``/``minimum`` split the cotangent equally,
``clip`` passes the cotangent at its bounds, and ``d/dx x**0 = 0``.
"""

from __future__ import annotations

from typing import Union

import numpy as np

from .. import _config
from .._config import checking
from .._types import Array, Bool, Float, Nested, Scalar, Shaped
from ..primitive import Primitive, identity_vjp
from ..tape import active_tapes
from ..tracer import Traced, primal

__all__ = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "negative",
    "power",
    "exp",
    "log",
    "log1p",
    "sqrt",
    "abs",
    "tanh",
    "sigmoid",
    "relu",
    "maximum",
    "minimum",
    "where",
    "clip",
]

# Operands broadcast (NumPy's rules), checked by the ops themselves so that a mismatch
# gets a message naming the op; lists of numbers are accepted as NumPy accepts them.
Operand = Union[Shaped[Array, "..."], Scalar, Nested]
Result = Shaped[Array, "..."]


def _negated(g):
    return -g


def _in_dtype_of(g, values):
    """``values`` (a plain array) cast to the dtype of cotangent ``g``, so float32 stays float32."""
    return np.asarray(values, dtype=primal(g).dtype)


def _broadcast_check(name: str):
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


def _add_fwd(x, y):
    return np.add(x, y), ()


def _subtract_fwd(x, y):
    return np.subtract(x, y), ()


def _multiply_fwd(x, y):
    return np.multiply(x, y), (x, y)


def _divide_fwd(x, y):
    out = np.divide(x, y)
    return out, (y, out)


def _negative_fwd(x):
    return np.negative(x), ()


_add = Primitive(_add_fwd, impl=np.add, check=_broadcast_check("add")).defvjp(identity_vjp, identity_vjp)
_subtract = Primitive(_subtract_fwd, impl=np.subtract, check=_broadcast_check("subtract")).defvjp(
    identity_vjp, _negated
)
_multiply = Primitive(_multiply_fwd, impl=np.multiply, check=_broadcast_check("multiply")).defvjp(
    lambda g, x, y: g * y, lambda g, x, y: g * x
)
_divide = Primitive(_divide_fwd, impl=np.divide, check=_broadcast_check("divide")).defvjp(
    lambda g, y, out: g / y, lambda g, y, out: -g * out / y
)
_negative = Primitive(_negative_fwd, impl=np.negative).defvjp(_negated)


def _power_vjp_base(g, x, p, out):
    if type(p) is not Traced:
        if np.ndim(p) == 0:
            return g * 0 if p == 0 else g * (p * x ** (p - 1))
        # A constant exponent array: where p == 0 the rule is p * x**1, exactly 0 with an
        # x-derivative of exactly 0 at every order (x**(p - 1) could overflow there).
        return g * (p * x ** np.where(p == 0, 1, p - 1))
    # d/dx x**p = p x**(p-1), exactly 0 where p == 0. Where x**-1 would overflow there
    # (x == 0 or tiny), the exponent is replaced by 1 so 0 * inf never makes NaN; elsewhere
    # the dependence on p survives, which the mixed second derivative needs.
    dtype = np.result_type(primal(out))
    tiny = 1 / np.finfo(dtype if dtype.kind == "f" else np.float64).max
    overflows = (primal(p) == 0) & (np.abs(primal(x)) < tiny)
    return g * (p * x ** np.where(overflows, 1, p - 1))


def _power_vjp_exponent(g, x, p, out):
    # d/dp x**p = x**p log x, taken as 0 at x == 0 (where x**p is 0 for p > 0), as JAX does.
    if type(x) is not Traced:
        x = np.asarray(x, dtype=np.result_type(out))  # a Python-float base must not promote float32
    safe_x = np.where(primal(x) == 0, 1, x)
    return g * out * np.log(safe_x)


def _power_fwd(x, p):
    out = np.power(x, p)
    return out, (x, p, out)


def _exp_fwd(x):
    out = np.exp(x)
    return out, (out,)


def _log_fwd(x):
    return np.log(x), (x,)


def _log1p_fwd(x):
    return np.log1p(x), (x,)


def _sqrt_fwd(x):
    out = np.sqrt(x)
    return out, (out,)


def _abs_fwd(x):
    return np.abs(x), (np.sign(x),)


def _tanh_fwd(x):
    out = np.tanh(x)
    return out, (out,)


def _sigmoid_impl(x):
    # Stable for any x: exp only ever sees -|x|, so it never overflows.
    e = np.exp(-np.abs(x))
    return np.where(np.greater_equal(primal(x), 0), 1 / (1 + e), e / (1 + e))


def _sigmoid_fwd(x):
    # Under an outer tape, record sigmoid itself there: the stable formula's abs() would
    # make the outer derivative 0 at x == 0 (abs'(0) = 0).
    out = _sigmoid.bind(x) if type(x) is Traced else _sigmoid_impl(x)
    return out, (out,)


def _relu_impl(x):
    return np.maximum(x, 0)


def _relu_fwd(x):
    positive = primal(x) > 0
    # Under an outer tape, where() (not maximum, which splits ties) keeps relu'(0) = 0 there too.
    return np.where(positive, x, 0) if type(x) is Traced else np.maximum(x, 0), (positive,)


_power = Primitive(_power_fwd, impl=np.power, check=_broadcast_check("power")).defvjp(
    _power_vjp_base, _power_vjp_exponent
)
_exp = Primitive(_exp_fwd, impl=np.exp).defvjp(lambda g, out: g * out)
_log = Primitive(_log_fwd, impl=np.log).defvjp(lambda g, x: g / x)
_log1p = Primitive(_log1p_fwd, impl=np.log1p).defvjp(lambda g, x: g / (1 + x))
_sqrt = Primitive(_sqrt_fwd, impl=np.sqrt).defvjp(lambda g, out: g / (2 * out))
_abs = Primitive(_abs_fwd, impl=np.abs).defvjp(lambda g, sign: g * sign)
_tanh = Primitive(_tanh_fwd, impl=np.tanh).defvjp(lambda g, out: g * (1 - out * out))
_sigmoid = Primitive(_sigmoid_fwd, impl=_sigmoid_impl).defvjp(lambda g, out: g * (out * (1 - out)))
_relu = Primitive(_relu_fwd, impl=_relu_impl).defvjp(lambda g, positive: g * positive)


def _shares(x_wins, tie, dtype):
    """Each operand's share of the cotangent: 1 where it wins, 1/2 at ties, else 0."""
    x_share = np.asarray(x_wins, dtype) + np.asarray(tie, dtype) * dtype.type(0.5)
    return x_share, (1 - x_share)


def _extremum_dtype(x, y) -> np.dtype:
    dtype = np.result_type(x, y)
    return dtype if dtype.kind == "f" else np.dtype(np.float64)


def _maximum_fwd(x, y):
    xv, yv = primal(x), primal(y)
    return np.maximum(x, y), _shares(xv > yv, xv == yv, _extremum_dtype(xv, yv))


def _minimum_fwd(x, y):
    xv, yv = primal(x), primal(y)
    return np.minimum(x, y), _shares(xv < yv, xv == yv, _extremum_dtype(xv, yv))


def _share_vjp(which: int):
    def vjp(g, x_share, y_share):
        return g * _in_dtype_of(g, (x_share, y_share)[which])

    return vjp


_maximum = Primitive(_maximum_fwd, impl=np.maximum, check=_broadcast_check("maximum")).defvjp(
    _share_vjp(0), _share_vjp(1)
)
_minimum = Primitive(_minimum_fwd, impl=np.minimum, check=_broadcast_check("minimum")).defvjp(
    _share_vjp(0), _share_vjp(1)
)


def _where_fwd(condition, x, y):
    condition = np.asarray(primal(condition), dtype=bool)
    return np.where(condition, x, y), (condition,)


_where = Primitive(_where_fwd, name="where", impl=np.where, check=_broadcast_check("where")).defvjp(
    None, lambda g, c: np.where(c, g, 0), lambda g, c: np.where(c, 0, g)
)


def _clip_fwd(x, lo, hi):
    # numpy.clip is minimum(maximum(x, lo), hi): where lo > hi the result is hi, so
    # "above" is decided on maximum(x, lo) and takes precedence over "below".
    raw, lo_raw, hi_raw = primal(x), primal(lo), primal(hi)
    raised = raw if lo is None else np.maximum(raw, lo_raw)
    above = np.zeros(np.shape(raw), bool) if hi is None else raised > hi_raw
    below = np.zeros(np.shape(raw), bool) if lo is None else (raw < lo_raw) & ~above
    inside = ~(below | above)
    return np.clip(x, lo, hi), (inside, below, above)


_clip = Primitive(_clip_fwd, name="clip", impl=np.clip, check=_broadcast_check("clip")).defvjp(
    lambda g, inside, below, above: g * inside,
    lambda g, inside, below, above: g * below,
    lambda g, inside, below, above: g * above,
)


def add(x: Operand, y: Operand) -> Result:
    """Elementwise ``x + y`` with broadcasting (``numpy.add``).

    Args:
        x, y: arrays (any float dtype), Python scalars or traced values; shapes
            must broadcast together.
    Returns:
        Array of the broadcast shape, dtype by NumPy's promotion rules.
    Raises:
        ValueError: if the shapes do not broadcast.

    VJP: ``g`` to both operands, summed back to each operand's shape.
    """
    if active_tapes() or (_config.maybe_checking and checking()):
        return _add.bind(x, y)
    try:
        return np.add(x, y)
    except ValueError:
        return _add.bind(x, y)  # raises the primitive's clearer message


def subtract(x: Operand, y: Operand) -> Result:
    """Elementwise ``x - y`` (``numpy.subtract``); shapes and dtypes as :func:`add`. VJP: ``g``, ``-g``."""
    if active_tapes() or (_config.maybe_checking and checking()):
        return _subtract.bind(x, y)
    try:
        return np.subtract(x, y)
    except ValueError:
        return _subtract.bind(x, y)  # raises the primitive's clearer message


def multiply(x: Operand, y: Operand) -> Result:
    """Elementwise ``x * y`` (``numpy.multiply``); shapes and dtypes as :func:`add`.

    VJP (product rule): ``g * y`` for ``x`` and ``g * x`` for ``y``.
    """
    if active_tapes() or (_config.maybe_checking and checking()):
        return _multiply.bind(x, y)
    try:
        return np.multiply(x, y)
    except ValueError:
        return _multiply.bind(x, y)  # raises the primitive's clearer message


def divide(x: Operand, y: Operand) -> Result:
    """Elementwise true division ``x / y`` (``numpy.divide``); shapes and dtypes as :func:`add`.

    VJP (quotient rule): ``g / y`` for ``x`` and ``-g * x / y**2`` for ``y``.
    """
    if active_tapes() or (_config.maybe_checking and checking()):
        return _divide.bind(x, y)
    try:
        return np.divide(x, y)
    except ValueError:
        return _divide.bind(x, y)  # raises the primitive's clearer message


def negative(x: Operand) -> Result:
    """Elementwise ``-x`` (``numpy.negative``); same shape and dtype. VJP: ``-g``."""
    return _negative.bind(x) if active_tapes() or (_config.maybe_checking and checking()) else np.negative(x)


def power(x: Operand, p: Operand) -> Result:
    """Elementwise ``x ** p`` (``numpy.power``); shapes and dtypes as :func:`add`.

    VJP: ``g * p * x**(p-1)`` for ``x``, and exactly 0 where ``p == 0`` (PyTorch's
    convention, even at ``x == 0``); ``g * x**p * log(x)`` for ``p``, taken as 0 at
    ``x == 0``. Negative ``x`` with non-integer ``p`` gives NaN, as in NumPy.
    """
    if active_tapes() or (_config.maybe_checking and checking()):
        return _power.bind(x, p)
    try:
        return np.power(x, p)
    except ValueError:
        return _power.bind(x, p)  # raises the primitive's clearer message


def exp(x: Operand) -> Result:
    """Elementwise :math:`e^x` (``numpy.exp``); same shape and dtype. VJP: ``g * exp(x)``."""
    return _exp.bind(x) if active_tapes() or (_config.maybe_checking and checking()) else np.exp(x)


def log(x: Operand) -> Result:
    """Elementwise natural logarithm (``numpy.log``); same shape and dtype. VJP: ``g / x``."""
    return _log.bind(x) if active_tapes() or (_config.maybe_checking and checking()) else np.log(x)


def log1p(x: Operand) -> Result:
    """Elementwise :math:`\\log(1 + x)`, accurate near 0 (``numpy.log1p``). VJP: ``g / (1 + x)``."""
    return _log1p.bind(x) if active_tapes() or (_config.maybe_checking and checking()) else np.log1p(x)


def sqrt(x: Operand) -> Result:
    """Elementwise square root (``numpy.sqrt``); same shape and dtype.

    VJP: ``g / (2 sqrt(x))``, infinite at ``x == 0`` as in PyTorch and JAX.
    """
    return _sqrt.bind(x) if active_tapes() or (_config.maybe_checking and checking()) else np.sqrt(x)


def abs(x: Operand) -> Result:
    """Elementwise absolute value (``numpy.abs``); same shape and dtype.

    VJP: ``g * sign(x)``, so the subgradient at 0 is 0 (PyTorch's convention).
    """
    return _abs.bind(x) if active_tapes() or (_config.maybe_checking and checking()) else np.abs(x)


def tanh(x: Operand) -> Result:
    """Elementwise hyperbolic tangent (``numpy.tanh``); same shape and dtype.

    VJP: ``g * (1 - tanh(x)**2)``, computed from the saved output.
    """
    return _tanh.bind(x) if active_tapes() or (_config.maybe_checking and checking()) else np.tanh(x)


def sigmoid(x: Union[Float[Array, "*shape"], float, Nested]) -> Float[Array, "*shape"]:
    """Elementwise logistic function :math:`1 / (1 + e^{-x})` (``scipy.special.expit``).

    Computed as ``1/(1+e)`` for ``x >= 0`` and ``e/(1+e)`` otherwise, with
    ``e = exp(-|x|)``, so it never overflows and keeps full relative precision for
    large negative ``x``. VJP: ``g * s * (1 - s)`` from the saved output ``s``.
    """
    return _sigmoid.bind(x)


def relu(x: Union[Float[Array, "*shape"], float, Nested]) -> Float[Array, "*shape"]:
    """Elementwise ``max(x, 0)``; same shape and dtype.

    VJP: ``g`` where ``x > 0`` and 0 elsewhere, so ``relu'(0) = 0`` (PyTorch's convention).
    """
    return _relu.bind(x)


def maximum(x: Operand, y: Operand) -> Result:
    """Elementwise maximum with broadcasting (``numpy.maximum``).

    VJP: the cotangent goes to the larger operand; at ties each operand gets half
    (PyTorch's convention), so the two shares always sum to ``g``.
    """
    if active_tapes() or (_config.maybe_checking and checking()):
        return _maximum.bind(x, y)
    try:
        return np.maximum(x, y)
    except ValueError:
        return _maximum.bind(x, y)  # raises the primitive's clearer message


def minimum(x: Operand, y: Operand) -> Result:
    """Elementwise minimum with broadcasting (``numpy.minimum``); ties split as in :func:`maximum`."""
    if active_tapes() or (_config.maybe_checking and checking()):
        return _minimum.bind(x, y)
    try:
        return np.minimum(x, y)
    except ValueError:
        return _minimum.bind(x, y)  # raises the primitive's clearer message


def where(condition: Union[Bool[Array, ...], bool, list], x: Operand, y: Operand) -> Result:
    """Choose ``x`` where ``condition`` holds and ``y`` elsewhere (``numpy.where`` with 3 arguments).

    ``condition`` is never differentiated (a traced condition is read for its value).
    VJP: ``where(condition, g, 0)`` for ``x`` and ``where(condition, 0, g)`` for ``y``.
    """
    return _where.bind(condition, x, y)


def clip(x: Operand, lo: Operand | None, hi: Operand | None) -> Result:
    """Limit ``x`` to ``[lo, hi]`` (``numpy.clip``); ``None`` leaves a side open.

    VJP: ``g`` flows to ``x`` where ``lo <= x <= hi``, bounds included (PyTorch's
    ``clamp`` convention), and to ``lo``/``hi`` where they are the ones taken.
    """
    return _clip.bind(x, lo, hi)

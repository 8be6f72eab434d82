"""``scipy.special``: gamma and beta functions, error functions, Bessel functions, logsumexp and softmax.

Most of these are ufuncs, so NumPy's dispatch routes ``scipy.special.gammaln(x)`` on a
traced value here (``autotape.ops.dispatch_ufunc`` imports this module the first time a
``scipy.special`` ufunc meets a traced value); the others (``polygamma``,
``multigammaln``, ``logsumexp``, ``softmax``, ``log_softmax``) are Python functions that
convert their arguments with ``np.asarray``, so use them from ``autotape.scipy.special``.

The elementwise ones are table rows (see :func:`registry.elementwise`): the derivative
is an expression of the cotangent ``g``, the operands (``x`` and ``y``, positionally:
in ``iv(v, x)`` the order is ``x`` and the argument ``y``) and the output ``ans``. The
expressions call SciPy's functions, which dispatch, so derivatives of any order follow.
The identities are from the NIST Digital Library of Mathematical Functions (DLMF,
https://dlmf.nist.gov), cited by equation number, and Abramowitz & Stegun, "Handbook of
Mathematical Functions" (A&S).

Orders and shape parameters (``n`` of ``polygamma``, ``v`` of ``iv``, ``a`` of
``gammainc``, ``a`` and ``b`` of ``betainc``) are not differentiated: a gradient reaching
one raises NotImplementedError naming it (HIPS autograd does the same), rather than
silently being zero.

SciPy's float64 loops come first for some two-operand ufuncs (``beta``, ``gammainc``,
``xlogy``, ...), so a Python float operand makes a float32 array's result float64 there,
as in SciPy; two float32 arrays give float32.
"""

from __future__ import annotations

import math
from typing import Any, Optional, Union

import numpy as np

from ..._types import Array, Nested, Scalar, Shaped
from ...tracer import primal, primal_array
from .. import nn as _nn
from ..reductions import normalize_axes
from ..registry import Spec, broadcast_check, constant, defprim, elementwise, no_extras, op
from . import require_scipy
from ._common import add_rule_names, no_rule, on_values

special = require_scipy("scipy.special")

__all__ = ["polygamma", "multigammaln", "betainc", "logsumexp", "softmax", "log_softmax"]

MODULE = "scipy.special"
Operand = Union[Shaped[Array, "..."], Scalar, Nested]

add_rule_names(
    SQRT_PI=math.sqrt(math.pi),
    SQRT_2PI=math.sqrt(2 * math.pi),
    **{
        name: getattr(special, name)
        for name in ("gamma", "rgamma", "digamma", "gammaln", "betaln", "xlogy", "xlog1py")
        + ("i1", "i0e", "i1e", "iv", "ive", "j0", "j1", "jv", "y0", "y1", "yn")
    },
)


def _interval(lo, hi):
    return lambda k: k.unary(k.floats(lo, hi))


def _pair(x_dom, y_dom):
    return lambda k: k.array_pair(k.floats(*x_dom), k.floats(*y_dom))


def _order(orders, x_dom, python_orders=True):
    return lambda k: k.order_and_argument(orders(k), k.floats(*x_dom), python_orders=python_orders)


# --------------------------------------------------------------------------------------
# One operand
# --------------------------------------------------------------------------------------


def _rgamma_slope(x):
    """d/dx 1/Gamma(x), finite everywhere (1/Gamma is entire).

    For x > 1/2 it is -psi(x)/Gamma(x) (DLMF 5.2.2). For x <= 1/2 the reflection formula
    (DLMF 5.5.3) gives 1/Gamma(x) = Gamma(1 - x) sin(pi x)/pi, whose derivative
    Gamma(1 - x) (cos(pi x) - sin(pi x) psi(1 - x)/pi) has no poles there: at x = -n it is
    (-1)^n n!. Each branch sees only points where it is finite, so no NaN leaks through
    ``where`` at any order; written with ops, so its own derivatives follow.
    """
    right = np.real(primal(x)) > 0.5
    xr = np.where(right, x, 1.0)
    xl = np.where(right, 0.0, x)
    reflected = special.gamma(1 - xl) * (
        np.cos(math.pi * xl) - np.sin(math.pi * xl) * special.digamma(1 - xl) / math.pi
    )
    return np.where(right, -special.rgamma(xr) * special.digamma(xr), reflected)


add_rule_names(rgamma_slope=_rgamma_slope)

# name, SciPy ufunc, derivative (VJP = JVP), domain, source[, complex domain (both parts)]
UNARY: list[tuple[Any, ...]] = [
    ("gammaln", special.gammaln, "g * digamma(x)", (0.2, 5), "d/dx ln|Gamma(x)| = psi(x), DLMF 5.2.2"),
    ("gamma", special.gamma, "g * ans * digamma(x)", (0.2, 4), "Gamma' = Gamma psi, DLMF 5.2.2", (0.5, 3)),
    (
        "rgamma",
        special.rgamma,
        "g * rgamma_slope(x)",
        (-3.5, 4),
        "(1/Gamma)' = -psi/Gamma, DLMF 5.2.2; for x <= 1/2 through the reflection formula, DLMF 5.5.3, "
        "so it is finite at the poles of Gamma: (-1)^n n! at x = -n",
    ),
    ("erf", special.erf, "g * (2 / SQRT_PI) * exp(-x * x)", (-3, 3), "DLMF 7.2.1", (-1.5, 1.5)),
    ("erfc", special.erfc, "g * (-2 / SQRT_PI) * exp(-x * x)", (-3, 3), "DLMF 7.2.2", (-1.5, 1.5)),
    (
        "erfinv",
        special.erfinv,
        "g * (SQRT_PI / 2) * exp(ans * ans)",
        (-0.9, 0.9),
        "the inverse function's derivative, 1 / erf'(erfinv(y)), with DLMF 7.2.1",
    ),
    (
        "erfcinv",
        special.erfcinv,
        "g * (-SQRT_PI / 2) * exp(ans * ans)",
        (0.1, 1.9),
        "the inverse function's derivative, 1 / erfc'(erfcinv(y)), with DLMF 7.2.2",
    ),
    ("expit", special.expit, "g * (ans * (1 - ans))", (-6, 6), "expit' = expit (1 - expit)"),
    ("logit", special.logit, "g / (x * (1 - x))", (0.05, 0.95), "logit(p) = log(p / (1 - p))"),
    (
        "ndtr",
        special.ndtr,
        "g * (exp(-0.5 * x * x) / SQRT_2PI)",
        (-4, 4),
        "the normal density, A&S 26.2.1 and 26.2.2",
        (-1.5, 1.5),
    ),
    (
        "log_ndtr",
        special.log_ndtr,
        "g * (exp(-0.5 * x * x - ans) / SQRT_2PI)",
        (-8, 5),
        "phi(x) / Phi(x), A&S 26.2.1-2, as exp(-x^2/2 - log Phi(x)): no underflow in the left tail",
    ),
    (
        "ndtri",
        special.ndtri,
        "g * (SQRT_2PI * exp(0.5 * ans * ans))",
        (0.02, 0.98),
        "the inverse function's derivative, 1 / phi(ndtri(p))",
    ),
    ("entr", special.entr, "-g * (log(x) + 1)", (0.05, 3), "d/dx (-x log x) = -(log x + 1)"),
    ("i0", special.i0, "g * i1(x)", (-3, 3), "I0' = I1, DLMF 10.29.3"),
    (
        "i1",
        special.i1,
        "g * (exp(abs(x)) * (i0e(x) + ive(2, x)) / 2)",
        (-3, 3),
        "2 I1' = I0 + I2, DLMF 10.29.1 (I2 as exp(|x|) ive(2, x): SciPy's iv(2, x) is NaN at x = 2.2e-308)",
    ),
    (
        "i0e",
        special.i0e,
        "g * (i1e(x) - sign(x) * ans)",
        "away",
        "d/dx exp(-|x|) I0(x), DLMF 10.29.3; subgradient 0 at the kink x = 0 (sign(0) = 0), as abs",
    ),
    (
        "i1e",
        special.i1e,
        "g * ((i0e(x) + ive(2, x)) / 2 - sign(x) * ans)",
        "away",
        "d/dx exp(-|x|) I1(x), DLMF 10.29.1; continuous at 0, where the second derivative jumps",
    ),
    ("j0", special.j0, "-g * j1(x)", (-6, 6), "J0' = -J1, DLMF 10.6.3"),
    ("j1", special.j1, "g * ((j0(x) - jv(2, x)) / 2)", (-6, 6), "2 J1' = J0 - J2, DLMF 10.6.1"),
    ("y0", special.y0, "-g * y1(x)", (0.25, 6), "Y0' = -Y1, DLMF 10.6.3"),
    ("y1", special.y1, "g * ((y0(x) - yn(2.0, x)) / 2)", (0.25, 6), "2 Y1' = Y0 - Y2, DLMF 10.6.1"),
]

for _name, _f, _d, _dom, _source, *_complex_dom in UNARY:
    if _dom == "away":
        _cases, _text = (lambda k: k.unary(k.away_from_zero(0.05))), "0.05 <= |x| <= 3 (away from x = 0)"
    else:
        _cases, _text = _interval(*_dom), f"[{_dom[0]}, {_dom[1]}]"
    if _complex_dom:
        _text += f"; complex: both parts in [{_complex_dom[0][0]}, {_complex_dom[0][1]}]"
    globals()[_name] = elementwise(
        _name,
        _f,
        (_d,),
        _cases,
        _text,
        complex=bool(_complex_dom),
        complex_cases=_interval(*_complex_dom[0]) if _complex_dom else None,
        source=_source,
        module=MODULE,
    )

elementwise(
    "digamma",
    special.digamma,
    ("g * polygamma(1, x)",),
    _interval(0.2, 5),
    "[0.2, 5]",
    source="psi' = psi^(1), DLMF 5.15.1",
    module=MODULE,
    aliases=("psi",),
)

constant(special.gammasgn, module=MODULE)

# --------------------------------------------------------------------------------------
# Two operands
# --------------------------------------------------------------------------------------

_NO_ORDER = "no_derivative('scipy.special.{}', 'the order {}')"

# name, SciPy ufunc, (derivative in the first operand x, in the second y), cases, domain, source[, complex]
BINARY: list[tuple[Any, ...]] = [
    (
        "beta",
        special.beta,
        ("g * ans * (digamma(x) - digamma(x + y))", "g * ans * (digamma(y) - digamma(x + y))"),
        _pair((0.2, 4), (0.2, 4)),
        "a, b in [0.2, 4]",
        "B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b), DLMF 5.12.1, with DLMF 5.2.2",
    ),
    (
        "betaln",
        special.betaln,
        ("g * (digamma(x) - digamma(x + y))", "g * (digamma(y) - digamma(x + y))"),
        _pair((0.2, 4), (0.2, 4)),
        "a, b in [0.2, 4]",
        "log|B(a, b)|, DLMF 5.12.1, with DLMF 5.2.2",
    ),
    (
        "gammainc",
        special.gammainc,
        ("no_derivative('scipy.special.gammainc', 'the shape a')", "g * exp(xlogy(x - 1, y) - y - gammaln(x))"),
        _order(lambda k: k.floats(0.5, 4), (0.1, 5), python_orders=False),
        "a in [0.5, 4] (not differentiated), x in [0.1, 5]",
        "P(a, x) = gamma(a, x) / Gamma(a), DLMF 8.2.4 and 8.2.1: dP/dx = x^(a-1) e^(-x) / Gamma(a)",
    ),
    (
        "gammaincc",
        special.gammaincc,
        ("no_derivative('scipy.special.gammaincc', 'the shape a')", "-g * exp(xlogy(x - 1, y) - y - gammaln(x))"),
        _order(lambda k: k.floats(0.5, 4), (0.1, 5), python_orders=False),
        "a in [0.5, 4] (not differentiated), x in [0.1, 5]",
        "Q = 1 - P, DLMF 8.2.5: dQ/dx = -x^(a-1) e^(-x) / Gamma(a)",
    ),
    (
        "xlogy",
        special.xlogy,
        ("g * log(y)", "g * x / where((x == 0) & (y == 0), 1, y)"),
        _pair((-3, 3), (0.1, 4)),
        "x in [-3, 3], y in [0.1, 4]; complex: both parts there",
        "d/dx = log y; d/dy = x / y, exactly 0 where x == 0 (SciPy's convention xlogy(0, y) = 0 "
        "makes the function 0 along x = 0, also at y = 0)",
        True,
    ),
    (
        "xlog1py",
        special.xlog1py,
        ("g * log1p(y)", "g * x / where((x == 0) & (y == -1), 1, 1 + y)"),
        _pair((-3, 3), (-0.9, 3)),
        "x in [-3, 3], y in [-0.9, 3]; complex: both parts there",
        "d/dx = log1p(y); d/dy = x / (1 + y), exactly 0 where x == 0 (xlog1py(0, y) = 0)",
        True,
    ),
    (
        "iv",
        special.iv,
        (_NO_ORDER.format("iv", "v"), "g * ((iv(x - 1, y) + iv(x + 1, y)) / 2)"),
        _order(lambda k: k.floats(-2.5, 3), (0.1, 4)),
        "v in [-2.5, 3] (not differentiated), x in [0.1, 4]; complex x: both parts there",
        "2 I_v' = I_(v-1) + I_(v+1), DLMF 10.29.1",
        True,
    ),
    (
        "ive",
        special.ive,
        (_NO_ORDER.format("ive", "v"), "g * ((ive(x - 1, y) + ive(x + 1, y)) / 2 - sign(y) * ans)"),
        _order(lambda k: k.floats(-2.5, 3), (0.1, 4)),
        "v in [-2.5, 3] (not differentiated), x in [0.1, 4]",
        "ive = exp(-|x|) I_v(x), with DLMF 10.29.1",
    ),
    (
        "jv",
        special.jv,
        (_NO_ORDER.format("jv", "v"), "g * ((jv(x - 1, y) - jv(x + 1, y)) / 2)"),
        _order(lambda k: k.floats(-2.5, 3), (0.25, 6)),
        "v in [-2.5, 3] (not differentiated), x in [0.25, 6]; complex x: both parts there",
        "2 J_v' = J_(v-1) - J_(v+1), DLMF 10.6.1",
        True,
    ),
    (
        "yn",
        special.yn,
        (_NO_ORDER.format("yn", "n"), "g * ((yn(x - 1.0, y) - yn(x + 1.0, y)) / 2)"),
        _order(lambda k: k.integer_valued(0, 3), (0.25, 6)),
        "integer n in [0, 3] (not differentiated), x in [0.25, 6]",
        "2 Y_n' = Y_(n-1) - Y_(n+1), DLMF 10.6.1 (Y_(-1) = -Y_1, DLMF 10.4.1)",
    ),
]

for _name, _f, _ds, _cases, _text, _source, *_holomorphic in BINARY:
    globals()[_name] = elementwise(
        _name,
        _f,
        _ds,
        _cases,
        _text,
        complex=bool(_holomorphic),
        source=_source,
        module=MODULE,
        aliases=("jn",) if _name == "jv" else (),
    )


# --------------------------------------------------------------------------------------
# polygamma: SciPy's is a Python function (not a ufunc), and promotes float32 to float64
# --------------------------------------------------------------------------------------


def _float_type(x) -> np.dtype:
    return np.result_type(primal(x), 1.0)


def _polygamma_values(n, x):
    return np.asarray(special.polygamma(n, x), dtype=_float_type(x))


def _polygamma_fwd(n, x):
    return on_values(_polygamma, _polygamma_values, n, x), (n, x)


_polygamma = defprim(
    "polygamma",
    _polygamma_fwd,
    (no_rule("scipy.special.polygamma", "the order n"), lambda g, n, x: g * polygamma(n + 1, x)),
    impl=_polygamma_values,
    check=broadcast_check("polygamma"),
)


@op(
    special.polygamma,
    module=MODULE,
    fast=False,
    spec=Spec(
        lambda k: k.order_and_argument(k.integer_valued(0, 3), k.floats(0.3, 4)),
        "integer n in [0, 3] (not differentiated), x in [0.3, 4]",
        reference=lambda n, x: np.asarray(special.polygamma(n, x), dtype=np.result_type(x, 1.0)),
    ),
    primitives=(_polygamma,),
)
def polygamma(n: Operand, x: Operand) -> Shaped[Array, ...]:
    """The polygamma function psi^(n)(x), the n-th derivative of digamma (``scipy.special.polygamma``).

    Args:
        n: integer orders >= 0 (ints or integer-valued floats); not differentiated.
        x: real arguments; broadcasts with ``n``.
    Returns:
        SciPy's values in ``x``'s floating precision (SciPy's own function returns float64
        for float32 ``x``; here float32 stays float32).
    Raises:
        ValueError: shapes that do not broadcast. NotImplementedError: a gradient reaching ``n``.

    Derivative in ``x``: ``psi^(n+1)(x)`` (DLMF 5.15.1), itself a polygamma, so every order
    follows.
    """
    return _polygamma.bind(n, x)


add_rule_names(polygamma=polygamma)


# --------------------------------------------------------------------------------------
# multigammaln: a sum of gammaln
# --------------------------------------------------------------------------------------


@op(
    special.multigammaln,
    module=MODULE,
    spec=Spec(
        lambda k: k.multigammaln(),
        "d in 1..4, a in [0.5 (d - 1) + 0.2, 0.5 (d - 1) + 4]",
        float32=False,
    ),
)
def multigammaln(a: Any, d: Any) -> Any:
    """The log of the multivariate gamma function, ln Gamma_d(a) (``scipy.special.multigammaln``).

    ln Gamma_d(a) = d (d - 1) / 4 ln(pi) + sum_{j=1..d} ln Gamma(a - (j - 1) / 2)
    (DLMF 35.3.1), computed as SciPy does, so the values are SciPy's exactly.

    Args:
        a: array of any shape with every element > (d - 1) / 2.
        d: the dimension, a positive integer (not differentiated).
    Returns:
        float64 array of ``a``'s shape (SciPy's dtype, float32 ``a`` included).
    Raises:
        ValueError: ``d`` not an integer, or an element of ``a`` <= (d - 1) / 2 (SciPy's messages).

    Derivative: sum_j psi(a - (j - 1) / 2), from :func:`gammaln`'s rule.
    """
    given = primal_array(d)[()]
    if not np.isscalar(given) or (np.floor(given) != given):
        raise ValueError("multigammaln: d should be a positive integer (dimension)")
    dim = int(given)  # type: ignore[arg-type]  # a real scalar here
    if np.any(primal(a) <= 0.5 * (dim - 1)):
        raise ValueError(f"multigammaln: condition a ({primal(a)}) > 0.5 * (d-1) ({0.5 * (dim - 1)}) not met")
    constant_term = (dim * (dim - 1) * 0.25) * np.log(np.pi)
    terms = np.stack([a - (j - 1.0) / 2 for j in range(1, dim + 1)])
    return constant_term + np.sum(special.gammaln(terms), axis=0)


# --------------------------------------------------------------------------------------
# betainc: three operands, differentiated in x
# --------------------------------------------------------------------------------------


def _betainc_fwd(a, b, x):
    return special.betainc(a, b, x), (a, b, x)


def _betainc_slope(g, a, b, x):
    # x^(a-1) (1-x)^(b-1) / B(a, b), in logs; xlogy and xlog1py give 0 * log 0 = 0 when a or b is 1.
    return g * np.exp(special.xlogy(a - 1, x) + special.xlog1py(b - 1, -x) - special.betaln(a, b))


_betainc = defprim(
    "betainc",
    _betainc_fwd,
    (
        no_rule("scipy.special.betainc", "the parameter a"),
        no_rule("scipy.special.betainc", "the parameter b"),
        _betainc_slope,
    ),
    impl=special.betainc,
    check=broadcast_check("betainc"),
)


@op(
    special.betainc,
    module=MODULE,
    spec=Spec(lambda k: k.betainc(), "a, b in [0.5, 4] (not differentiated), x in [0.05, 0.95]"),
    primitives=(_betainc,),
)
def betainc(a: Operand, b: Operand, x: Operand, /, out: Any = None) -> Shaped[Array, ...]:
    """The regularized incomplete beta function I_x(a, b) (``scipy.special.betainc``), elementwise.

    Args:
        a, b: positive parameters (not differentiated).
        x: in [0, 1]. The three operands broadcast.
    Returns:
        SciPy's values, dtype by SciPy's loops.
    Raises:
        ValueError: shapes that do not broadcast. TypeError: ``out=``. NotImplementedError: a
        gradient reaching ``a`` or ``b``.

    Derivative in ``x``: x^(a-1) (1 - x)^(b-1) / B(a, b) (DLMF 8.17.2 with 8.17.1),
    computed as ``exp(xlogy(a - 1, x) + xlog1py(b - 1, -x) - betaln(a, b))``.
    """
    no_extras("betainc", out=out)
    return _betainc.bind(a, b, x)


# --------------------------------------------------------------------------------------
# logsumexp: SciPy's forward (b=, signs, zero weights), its gradient the weighted softmax
# --------------------------------------------------------------------------------------


def _lse_values(a, b, *, axis, keepdims, sign):
    out = special.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=sign is not None)
    return out if sign is None else out[0]


def _lse_fwd(a, b, *, axis, keepdims, sign):
    """``sign`` is None, or (with return_sign) the sign of the sum with the reduced axes kept,
    computed by the public function: the rules need it, and it is a constant.

    The residuals are the derivatives of the result in ``a`` and in ``b``,
    ``b e^a / S`` and ``e^a / S`` (``S`` the sum, over ``|S|`` times the sign with
    return_sign), written with ops so that they differentiate again. They are computed
    shifted by the largest term, as the softmax is, so they keep full precision for large
    ``a``; the shift is a constant (it cancels).
    """
    out = on_values(_lse, _lse_values, a, b, axis=axis, keepdims=keepdims, sign=sign)
    b_raw = None if b is None else primal_array(b)
    shape = np.broadcast_shapes(np.shape(primal(a)), () if b_raw is None else b_raw.shape) or (1,)
    axes = normalize_axes("logsumexp", axis, len(shape))
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    live = a
    if b_raw is not None and np.any(b_raw == 0):
        # Zero weights drop their terms, even an infinite a (SciPy's convention).
        live = np.where(b_raw == 0, -np.inf, a)
    if 0 in shape:  # an empty sum: log 0 = -inf, as SciPy gives (no largest term to shift by)
        shift = np.zeros(kept, np.finfo(primal_array(live).dtype).dtype)
    else:
        shift = np.max(np.broadcast_to(np.real(primal(live)), shape), axis=axes, keepdims=True)
        shift = np.where(np.isfinite(shift), shift, 0.0)
    terms = np.exp(live - shift)
    total = np.sum(terms if b is None else b * terms, axis=axes, keepdims=True)
    log_total = np.log(total) if sign is None else np.log(np.abs(total))
    d_a = np.exp((live - shift) - log_total)
    d_b = None
    if b is not None:
        d_a, d_b = b * d_a, np.exp((a - shift) - log_total)
    if sign is not None:
        d_a, d_b = d_a * sign, None if d_b is None else d_b * sign
    return out, (d_a, d_b, axes, kept, keepdims, shape)


def _lse_vjp_a(g, d_a, d_b, axes, kept, keepdims, shape):
    return np.reshape(g, kept) * d_a


def _lse_vjp_b(g, d_a, d_b, axes, kept, keepdims, shape):
    cotangent = np.reshape(g, kept) * d_b
    # a may broadcast over fewer elements than b: one cotangent per term of the sum.
    return cotangent if np.shape(cotangent) == shape else np.broadcast_to(cotangent, shape)


def _lse_jvp_a(t, d_a, d_b, axes, kept, keepdims, shape):
    return np.sum(t * d_a, axis=axes, keepdims=keepdims)


def _lse_jvp_b(t, d_a, d_b, axes, kept, keepdims, shape):
    return np.sum(t * d_b, axis=axes, keepdims=keepdims)


_lse = defprim("logsumexp", _lse_fwd, (_lse_vjp_a, _lse_vjp_b), (_lse_jvp_a, _lse_jvp_b), impl=_lse_values)


@op(
    special.logsumexp,
    module=MODULE,
    spec=Spec(
        lambda k: k.logsumexp(),
        "a in [-3, 3], weights b None or in [0.1, 2] (broadcasting), axis None/int/tuple, keepdims; "
        "complex: both parts of a in [-0.5, 0.5] and of b in [1, 1.5] (the terms in a half-plane: no branch cut)",
        complex=True,
        complex_cases=lambda k: k.logsumexp(k.floats(-0.5, 0.5), k.floats(1, 1.5)),
    ),
    primitives=(_lse,),
)
def logsumexp(
    a: Operand, axis: Any = None, b: Optional[Operand] = None, keepdims: bool = False, return_sign: bool = False
) -> Any:
    """log(sum(b * exp(a))) over ``axis``, computed stably (``scipy.special.logsumexp``).

    The values are SciPy's own (its function computes them), with its semantics: ``a`` and
    ``b`` broadcast and the reduction runs over the broadcast shape (made at least 1-D,
    so a 0-d ``a`` with ``keepdims`` gives shape ``(1,)``); terms whose weight is 0 are
    dropped, even where ``a`` is infinite; a negative sum gives NaN unless ``return_sign``,
    which returns ``(log|sum|, sign)``; an empty reduction gives -inf.

    Args:
        a: float or complex array. axis: None (all axes), an int or a tuple. b: weights
        (may be negative), or None. keepdims: keep the reduced axes with length 1.
        return_sign: also return the sign of the sum (a constant: it has no derivative).
    Returns:
        The reduced array (and its sign); dtype by SciPy's promotion of ``a`` and ``b``.
    Raises:
        SciPy's errors for bad axes and shapes.

    VJP: ``g * b * exp(a - out)`` for ``a`` and ``g * exp(a - out)`` for ``b`` (times the
    sign with ``return_sign``), the cotangent broadcast along the reduced axes: the
    weighted softmax (``b e^a / sum(b e^a)``); the JVPs are the matching sums over the
    reduced axes. Holomorphic in ``a`` and ``b`` without ``return_sign``.
    """
    if not return_sign:
        return _lse.bind(a, b, axis=axis, keepdims=bool(keepdims), sign=None)
    a_raw, b_raw = primal(a), None if b is None else primal(b)
    if np.iscomplexobj(a_raw) or (b_raw is not None and np.iscomplexobj(b_raw)):
        raise TypeError(
            "scipy.special.logsumexp: return_sign=True with complex input gives log|sum|, which is not "
            "holomorphic; autotape differentiates the complex logsumexp without return_sign"
        )
    sign = special.logsumexp(a_raw, axis=axis, b=b_raw, keepdims=True, return_sign=True)[1]
    out = _lse.bind(a, b, axis=axis, keepdims=bool(keepdims), sign=sign)
    return out, np.reshape(sign, np.shape(primal(out)))[()]


# --------------------------------------------------------------------------------------
# softmax and log_softmax: autotape's, with SciPy's default axis (all axes)
# --------------------------------------------------------------------------------------


@op(
    special.softmax,
    module=MODULE,
    fast=False,
    spec=Spec(lambda k: k.normalized_axes(), "ndim 0-3, axis default (None), None, an int or a tuple"),
)
def softmax(x: Operand, axis: Any = None) -> Any:
    """exp(x) / sum(exp(x)) over ``axis`` (``scipy.special.softmax``): SciPy's default is all axes.

    Computed by :func:`autotape.softmax` (the maximum subtracted first), whose rules it
    uses; the values equal SciPy's to rounding. Same shape and dtype as ``x``.
    Raises ValueError for an axis out of range.
    """
    return _nn.softmax(x, axis=axis)


@op(
    special.log_softmax,
    module=MODULE,
    fast=False,
    spec=Spec(lambda k: k.normalized_axes(), "ndim 0-3, axis default (None), None, an int or a tuple"),
)
def log_softmax(x: Operand, axis: Any = None) -> Any:
    """x - logsumexp(x) over ``axis`` (``scipy.special.log_softmax``): SciPy's default is all axes.

    Computed by :func:`autotape.log_softmax`, whose rules it uses; the values equal SciPy's
    to rounding. Same shape and dtype as ``x``. Raises ValueError for an axis out of range.
    """
    return _nn.log_softmax(x, axis=axis)

"""Elementwise ops: a table of NumPy functions and their derivatives, and the few that need more.

Each row is ``(name, NumPy function, derivative per operand, test domain[, options])``.
The derivative is the map applied to the cotangent ``g`` (in forward mode, to the
tangent), written with NumPy calls of the operands ``x``, ``y`` and the output
``ans``; it is both the VJP and the JVP rule (see :func:`registry.elementwise`).
The identities are the standard ones (Abramowitz & Stegun, "Handbook of Mathematical
Functions", ch. 4: elementary transcendental functions); HIPS autograd's
``numpy_vjps.py`` and JAX's ``lax`` rules state the same ones.

Holomorphic rows (``C``) accept complex operands: the same expression is then
``g * f'(z)``, which is JAX's convention (docs/complex.md). ``abs``, ``real``,
``imag``, ``conj`` and ``angle`` are not holomorphic and give their VJP and JVP
separately.

Subgradients at kinks follow PyTorch: ``relu'(0) = 0``, ``abs'(0) = 0``, ties in
``maximum``/``minimum``/``fmax``/``fmin`` split the cotangent equally, ``clip``
passes the cotangent at its bounds, ``d/dx x**0 = 0``.
"""

from __future__ import annotations

from typing import Any, Optional, Union

import numpy as np

from .._types import Array, Bool, Nested, Scalar, Shaped
from ..tracer import Traced, primal
from .registry import RULE_NAMESPACE, Spec, broadcast_check, constant, defprim, elementwise, op

Operand = Union[Shaped[Array, "..."], Scalar, Nested]
Result = Shaped[Array, "..."]

C = True  # holomorphic: also tested on complex operands


def _interval(lo, hi):
    return lambda k: k.unary(k.floats(lo, hi))


def _away(gap, bound=3):
    return lambda k: k.unary(k.away_from_zero(gap, bound))


R = (-3.0, 3.0)

# name, NumPy function, derivative (VJP = JVP), domain, holomorphic[, complex domain: both parts,
# where the real one would reach a pole or branch point off the real axis]
UNARY: list[tuple[Any, ...]] = [
    ("negative", np.negative, "-g", R, C),
    ("positive", np.positive, "g", R, C),
    ("exp", np.exp, "g * ans", (-5, 5), C),
    ("exp2", np.exp2, "g * ans * LN2", R, C),
    ("expm1", np.expm1, "g * (ans + 1)", R, C),
    ("log", np.log, "g / x", (0.1, 5), C),
    ("log2", np.log2, "g / (x * LN2)", (0.1, 5), C),
    ("log10", np.log10, "g / (x * LN10)", (0.1, 5), C),
    ("log1p", np.log1p, "g / (1 + x)", (-0.9, 5), C),
    ("sqrt", np.sqrt, "g / (2 * ans)", (0.1, 5), C),
    ("cbrt", np.cbrt, "g / (3 * ans * ans)", (0.1, 5), False),
    ("square", np.square, "2 * g * x", R, C),
    ("reciprocal", np.reciprocal, "-g * ans * ans", (0.25, 3), C),
    ("sin", np.sin, "g * cos(x)", R, C),
    ("cos", np.cos, "-g * sin(x)", R, C),
    ("tan", np.tan, "g * (1 + ans * ans)", (-1.2, 1.2), C),
    ("arcsin", np.arcsin, "g / sqrt(1 - x * x)", (-0.9, 0.9), C),
    ("arccos", np.arccos, "-g / sqrt(1 - x * x)", (-0.9, 0.9), C),
    ("arctan", np.arctan, "g / (1 + x * x)", R, C, (-0.9, 0.9)),
    ("sinh", np.sinh, "g * cosh(x)", R, C),
    ("cosh", np.cosh, "g * sinh(x)", R, C),
    ("tanh", np.tanh, "g * (1 - ans * ans)", (-4, 4), C, (-1.2, 1.2)),
    ("arcsinh", np.arcsinh, "g / sqrt(x * x + 1)", R, C, (-0.9, 0.9)),
    ("arccosh", np.arccosh, "g / (sqrt(x - 1) * sqrt(x + 1))", (1.1, 4), C),
    ("arctanh", np.arctanh, "g / (1 - x * x)", (-0.9, 0.9), C),
    ("fabs", np.fabs, "g * sign(x)", "away", False),
    ("rad2deg", np.rad2deg, "g * DEG", R, False),
    ("degrees", np.degrees, "g * DEG", R, False),
    ("deg2rad", np.deg2rad, "g * RAD", R, False),
    ("radians", np.radians, "g * RAD", R, False),
]

for _name, _f, _d, _dom, _holomorphic, *_complex_dom in UNARY:
    _cases, _text = (
        (_away(0.01), "|x| >= 0.01 (away from the kink)")
        if _dom == "away"
        else (
            _interval(*_dom),
            f"[{_dom[0]}, {_dom[1]}]",
        )
    )
    if _holomorphic:
        _text += f"; complex: both parts in [{(_complex_dom or [_dom])[0][0]}, {(_complex_dom or [_dom])[0][1]}]"
    globals()[_name] = elementwise(
        _name,
        _f,
        (_d,),
        _cases,
        _text,
        complex=_holomorphic,
        complex_cases=_interval(*_complex_dom[0]) if _complex_dom else None,
    )


def _binary_box(x_dom, y_dom):
    return lambda k: k.binary(k.floats(*x_dom), k.floats(*y_dom))


# name, NumPy function, (d/dx, d/dy), (x domain, y domain), holomorphic
BINARY: list[tuple[Any, ...]] = [
    ("add", np.add, ("g", "g"), (R, R), C),
    ("subtract", np.subtract, ("g", "-g"), (R, R), C),
    ("multiply", np.multiply, ("g * y", "g * x"), (R, R), C),
    ("divide", np.divide, ("g / y", "-g * ans / y"), (R, "away"), C),
    ("arctan2", np.arctan2, ("g * y / (x * x + y * y)", "-g * x / (x * x + y * y)"), ((0.2, 3), (0.2, 3)), False),
    ("hypot", np.hypot, ("g * x / ans", "g * y / ans"), ((0.2, 3), (0.2, 3)), False),
    ("logaddexp", np.logaddexp, ("g * exp(x - ans)", "g * exp(y - ans)"), (R, R), False),
    ("logaddexp2", np.logaddexp2, ("g * exp2(x - ans)", "g * exp2(y - ans)"), (R, R), False),
    # |x| sgn(y): d/dx = sgn(x) sgn(y); d/dy = 0 (no rule: no cotangent flows).
    ("copysign", np.copysign, ("where(signbit(x) == signbit(y), g, -g)", None), ("away", "away"), False),
    # x - floor(x / y) y and x - trunc(x / y) y: piecewise, with slope -floor(x / y) or -trunc(x / y) in y.
    ("remainder", np.remainder, ("g", "-g * floor_divide(x, y)"), ("lattice", "lattice"), False),
    ("fmod", np.fmod, ("g", "-g * trunc(x / y)"), ("lattice", "lattice"), False),
    ("ldexp", np.ldexp, ("ldexp(g, y)", None), ("ldexp", None), False),
    # x moved one ulp towards y: slope 1 in x, none in y.
    ("nextafter", np.nextafter, ("g", None), (R, "towards"), False),
    # 0 for x < 0, y at x == 0, 1 for x > 0: a jump in x (derivative 0 elsewhere), slope
    # 1 in y exactly where x == 0.
    ("heaviside", np.heaviside, (None, "g * (x == 0)"), ("heaviside", None), False),
]


def _binary_cases(x_dom, y_dom):
    if x_dom == "lattice":  # x / y = 5(2i + 1) / (10j + 4) is never within 1/84 of an integer
        return lambda k: k.binary(k.lattice(1 / 8, -12, 12), k.lattice(0.1, 2, 8)), (
            "x in (2i + 1) / 8, y in j / 4 + 0.1 for j = 2..8 (x / y at least 1/84 off the integers)"
        )
    if x_dom == "ldexp":
        return lambda k: k.ldexp(), "any x, integer exponents in [-3, 3]"
    if y_dom == "towards":
        return lambda k: k.binary(k.floats(*x_dom), k.floats(*x_dom), differentiate=(0,)), (
            f"x and y in {list(x_dom)} (x differentiated: the derivative in y is 0)"
        )
    if x_dom == "heaviside":
        return lambda k: k.heaviside(), "x in {-1, 0, 1} (not differentiated), y any"
    if y_dom == "away" and x_dom == "away":
        return lambda k: k.binary(k.away_from_zero(0.1), k.away_from_zero(0.1), differentiate=(0,)), (
            "|x|, |y| >= 0.1 (x differentiated: the derivative in y is 0)"
        )
    if y_dom == "away":
        return lambda k: k.binary(k.floats(*x_dom), k.away_from_zero(0.5)), f"x in {list(x_dom)}, |y| >= 0.5"
    return _binary_box(x_dom, y_dom), f"x in {list(x_dom)}, y in {list(y_dom)}"


for _name, _f, _ds, (_xd, _yd), _holomorphic in BINARY:
    _cases, _text = _binary_cases(_xd, _yd)
    globals()[_name] = elementwise(
        _name,
        _f,
        _ds,
        _cases,
        _text,
        complex=_holomorphic,
        aliases={"divide": ("true_divide",), "remainder": ("mod",)}.get(_name, ()),
    )

# --------------------------------------------------------------------------------------
# Not holomorphic: separate VJP and JVP (JAX's convention for functions of complex z)
# --------------------------------------------------------------------------------------

elementwise(
    "absolute",
    np.absolute,
    # conj(x) / |x| rather than conj(sign(x)): sign is a constant, which would lose the
    # derivative of the unit vector at second order for complex x. The mask (ans != 0)
    # keeps the rule and its derivatives 0 at x == 0 (abs'(0) = abs''(0) = 0).
    (
        (
            "real(g) * (conj(x) * (ans != 0) / where(ans == 0, 1, ans))",
            "real(conj(x) * (ans != 0) * g) / where(ans == 0, 1, ans)",
        ),
    ),
    _away(0.01),
    "|x| >= 0.01 (away from the kink); complex too",
    complex=True,
    source="d|z| = Re(conj(z) dz) / |z|; sign(0) = 0 gives the subgradient 0 at 0, as PyTorch",
    aliases=("abs",),
)
elementwise(
    "real",
    np.real,
    ("real(g)",),
    _interval(-3, 3),
    "[-3, 3]; complex too",
    complex=True,
    source="Re is R-linear; its transpose maps a real cotangent u to u + 0i",
)
elementwise(
    "imag",
    np.imag,
    (("-1j * real(g) if iscomplexobj(x) else 0 * g", "imag(g)"),),
    _interval(-3, 3),
    "[-3, 3]; complex too",
    complex=True,
    source="Im is R-linear; its transpose maps a real cotangent u to -iu",
)
elementwise(
    "conjugate",
    np.conjugate,
    ("conj(g)",),
    _interval(-3, 3),
    "[-3, 3]; complex too",
    complex=True,
    source="conj is R-linear and its own transpose",
    aliases=("conj",),
)
elementwise(
    "angle",
    np.angle,
    (
        (
            "-1j * real(g) * conj(x) / real(x * conj(x)) if iscomplexobj(x) else 0 * g",
            "imag(conj(x) * g) / real(x * conj(x)) if iscomplexobj(x) else 0 * g",
        ),
    ),
    lambda k: k.unary(k.away_from_zero(0.2)),
    "|x| >= 0.2; complex too (angle of a real number is piecewise constant)",
    complex=True,
    source="d arg z = Im(conj(z) dz) / |z|^2",
)


def _sigmoid_impl(x):
    # Stable for any x: exp only ever sees -|x|, so it never overflows.
    e = np.exp(-np.abs(x))
    return np.where(np.greater_equal(x, 0), 1 / (1 + e), e / (1 + e))


elementwise(
    "sigmoid",
    _sigmoid_impl,
    ("g * (ans * (1 - ans))",),
    _interval(-6, 6),
    "[-6, 6], 0 included",
    module="autotape",
    reference=lambda x: 1 / (1 + np.exp(-x)),
    source="s' = s (1 - s); computed as 1/(1+e) for x >= 0 and e/(1+e) otherwise with e = exp(-|x|) "
    "(scipy.special.expit), so it never overflows",
)
elementwise(
    "relu",
    lambda x: np.maximum(x, 0),
    ("g * (x > 0)",),
    _away(0.01),
    "|x| >= 0.01 (away from the kink)",
    module="autotape",
    reference=lambda x: x * (x > 0),
    source="max(x, 0); relu'(0) = 0 (PyTorch's convention)",
)

# Ties split the cotangent equally (PyTorch's convention), so the shares sum to g.
_max_min = lambda k: k.binary(k.lattice(1 / 16), k.lattice(3 / 16))  # noqa: E731
_untied = "operands on offset lattices: never tied"
elementwise(
    "maximum",
    np.maximum,
    ("where(x > y, g, 0.5 * g * (x == y))", "where(y > x, g, 0.5 * g * (x == y))"),
    _max_min,
    _untied,
)
elementwise(
    "minimum",
    np.minimum,
    ("where(x < y, g, 0.5 * g * (x == y))", "where(y < x, g, 0.5 * g * (x == y))"),
    _max_min,
    _untied,
)
elementwise(
    "fmax",
    np.fmax,
    ("where((x > y) | isnan(y), g, 0.5 * g * (x == y))", "where((y > x) | isnan(x), g, 0.5 * g * (x == y))"),
    _max_min,
    _untied,
    source="as maximum, except that a NaN operand loses",
)
elementwise(
    "fmin",
    np.fmin,
    ("where((x < y) | isnan(y), g, 0.5 * g * (x == y))", "where((y < x) | isnan(x), g, 0.5 * g * (x == y))"),
    _max_min,
    _untied,
    source="as minimum, except that a NaN operand loses",
)


# --------------------------------------------------------------------------------------
# power: the base's rule is exactly 0 where the exponent is 0, at every order
# --------------------------------------------------------------------------------------


def _power_fwd(x, p):
    out = np.power(x, p)
    return out, (x, p, out)


def _power_vjp_base(g, x, p, out):
    if type(p) is not Traced or p.tape.jit:  # a constant exponent (at.jit's values are constants to every rule)
        # np.power, never **: on NumPy scalars ** runs C's pow, not the ufunc's loop, whose
        # last bit can differ (and at.jit replays the ufunc).
        if np.ndim(p) == 0:
            return g * 0 if p == 0 else g * (p * np.power(x, p - 1))
        # A constant exponent array: where p == 0 the rule is p * x**1, exactly 0 with an
        # x-derivative of exactly 0 at every order (x**(p - 1) could overflow there).
        return g * (p * np.power(x, np.where(p == 0, 1, p - 1)))
    # d/dx x**p = p x**(p-1), exactly 0 where p == 0. Where x**-1 would overflow there
    # (x == 0 or tiny), the exponent is replaced by 1 so 0 * inf never makes NaN; elsewhere
    # the dependence on p survives, which the mixed second derivative needs.
    dtype = np.result_type(primal(out))
    tiny = 1 / np.finfo(dtype if dtype.kind in "fc" else np.float64).max
    overflows = (primal(p) == 0) & (np.abs(primal(x)) < tiny)
    return g * (p * np.power(x, np.where(overflows, 1, p - 1)))


def _power_vjp_exponent(g, x, p, out):
    # d/dp x**p = x**p log x, taken as 0 at x == 0 (where x**p is 0 for p > 0), as JAX does.
    if type(x) is not Traced:
        x = np.asarray(x, dtype=np.result_type(out))  # a Python-float base must not promote float32
    elif x.tape.jit and x.dtype != np.result_type(out):  # a plain array to this rule eagerly: the same cast
        x = x.astype(np.result_type(out))
    safe_x = np.where(primal(x) == 0, 1, x)
    return g * out * np.log(safe_x)


_power = defprim(
    "power", _power_fwd, (_power_vjp_base, _power_vjp_exponent), impl=np.power, check=broadcast_check("power")
)


@op(
    np.power,
    spec=Spec(
        lambda k: k.power(),
        "base in [0.25, 2.5], exponent in [-2, 3]; or any base, constant exponent 0..3",
        complex=True,
    ),
    primitives=(_power,),
)
def power(x: Operand, p: Operand, /, out: Any = None, *, dtype: Any = None) -> Result:
    """Elementwise ``x ** p`` (``numpy.power``), with broadcasting; dtype by NumPy's promotion.

    Raises ValueError if the shapes do not broadcast; TypeError for ``out=``.

    VJP: ``g * p * x**(p-1)`` for ``x``, exactly 0 where ``p == 0`` (PyTorch's convention,
    even at ``x == 0``); ``g * x**p * log(x)`` for ``p``, taken as 0 at ``x == 0`` (JAX's).
    Negative ``x`` with non-integer ``p`` gives NaN, as in NumPy. The JVP rules are the
    same maps. Holomorphic in both operands (complex too, principal branch of log).
    """
    if dtype is not None or out is not None:
        from .registry import no_extras

        no_extras("power", out=out)
        from .shape import astype

        x, p = astype(x, dtype), astype(p, dtype)
    return _power.bind(x, p)


def _float_power_fwd(x, p):
    out = np.float_power(x, p)
    return out, (x, p, out)


_float_power = defprim(
    "float_power",
    _float_power_fwd,
    (_power_vjp_base, _power_vjp_exponent),
    impl=np.float_power,
    check=broadcast_check("float_power"),
)


@op(
    np.float_power,
    spec=Spec(lambda k: k.power(), "as power", complex=True, float32=False),
    primitives=(_float_power,),
)
def float_power(x: Operand, p: Operand, /, out: Any = None) -> Result:
    """``x ** p`` computed in float64 or complex128 (``numpy.float_power``); rules as :func:`power`."""
    from .registry import no_extras

    no_extras("float_power", out=out)
    return _float_power.bind(x, p)


# --------------------------------------------------------------------------------------
# where and clip: selections, their conditions never differentiated
# --------------------------------------------------------------------------------------


def _where_fwd(condition, x, y):
    condition = primal(condition)
    if type(condition) is not Traced:
        condition = np.asarray(condition, dtype=bool)
    elif condition.dtype != bool:  # a value at.jit records: the cast recorded too
        condition = condition != 0
    return np.where(condition, x, y), (condition,)


_where = defprim(
    "where",
    _where_fwd,
    (None, lambda g, c: np.where(c, g, 0), lambda g, c: np.where(c, 0, g)),
    impl=np.where,
    check=broadcast_check("where"),
)


@op(
    np.where,
    spec=Spec(lambda k: k.where(), "boolean condition (not differentiated), broadcasting", complex=True),
    primitives=(_where,),
)
def where(
    condition: Union[Bool[Array, ...], bool, list], x: Optional[Operand] = None, y: Optional[Operand] = None
) -> Any:
    """Choose ``x`` where ``condition`` holds and ``y`` elsewhere (``numpy.where`` with 3 arguments).

    ``condition`` is never differentiated (a traced condition is read for its value).
    VJP: ``where(condition, g, 0)`` for ``x`` and ``where(condition, 0, g)`` for ``y``; the
    JVP rules are the same maps. With one argument, ``numpy.where`` gives the indices of
    the true elements, a constant (as ``numpy.nonzero``).

    Raises:
        ValueError: shapes that do not broadcast.
        TypeError: only one of ``x`` and ``y`` given.
    """
    if x is None and y is None:
        return np.nonzero(primal(condition))
    if x is None or y is None:
        raise TypeError("where: give both x and y (or neither, for the indices of the true elements)")
    return _where.bind(condition, x, y)


def _clip_fwd(x, lo, hi):
    # numpy.clip is minimum(maximum(x, lo), hi): where lo > hi the result is hi, so
    # "above" is decided on maximum(x, lo) and takes precedence over "below".
    raw, lo_raw, hi_raw = primal(x), primal(lo), primal(hi)
    raised = raw if lo is None else np.maximum(raw, lo_raw)
    above = np.zeros(np.shape(raw), bool) if hi is None else raised > hi_raw
    below = np.zeros(np.shape(raw), bool) if lo is None else (raw < lo_raw) & ~above
    inside = ~(below | above)
    return np.clip(x, lo, hi), (inside, below, above)


_clip_rules = (
    lambda g, inside, below, above: g * inside,
    lambda g, inside, below, above: g * below,
    lambda g, inside, below, above: g * above,
)
_clip = defprim("clip", _clip_fwd, _clip_rules, impl=np.clip, check=broadcast_check("clip"))


@op(
    np.clip,
    spec=Spec(lambda k: k.clip(), "x off the bounds' lattice; lo < 0 < hi arrays, floats or None"),
    primitives=(_clip,),
)
def clip(x: Operand, lo: Operand | None = None, hi: Operand | None = None, out: Any = None, **kwargs: Any) -> Result:
    """Limit ``x`` to ``[lo, hi]`` (``numpy.clip``); ``None`` leaves a side open.

    NumPy 2's keyword spellings ``min=`` and ``max=`` are accepted too. Operands broadcast.
    VJP: ``g`` flows to ``x`` where ``lo <= x <= hi``, bounds included (PyTorch's
    ``clamp`` convention), and to ``lo``/``hi`` where they are the ones taken; the JVP
    rules are the same masks.

    Raises:
        ValueError: shapes that do not broadcast.
        TypeError: ``out=`` or an unknown keyword.
    """
    from .registry import no_extras

    no_extras("clip", out=out)
    lo, hi = kwargs.pop("min", lo), kwargs.pop("max", hi)
    if kwargs:
        raise TypeError(f"numpy.clip: arguments {sorted(kwargs)} are not supported on traced values")
    return _clip.bind(x, lo, hi)


# --------------------------------------------------------------------------------------
# Functions with keyword parameters, written with the ops above
# --------------------------------------------------------------------------------------


@op(np.nan_to_num, spec=Spec(lambda k: k.unary(k.floats(-3, 3)), "[-3, 3] (finite: derivative 1)"))
def nan_to_num(x: Operand, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None) -> Any:
    """``numpy.nan_to_num``: NaN, +inf and -inf replaced by ``nan``, ``posinf``, ``neginf``
    (by default 0 and the largest finite values of the dtype).

    The derivative is 1 where ``x`` is finite and 0 where an element was replaced
    (a constant there). ``copy`` has no effect: traced values are never modified.
    """
    raw = primal(x)
    if np.result_type(raw).kind not in "fc":
        return x
    info = np.finfo(np.result_type(raw))
    if np.result_type(raw).kind == "c":
        return nan_to_num(np.real(x), nan=nan, posinf=posinf, neginf=neginf) + 1j * nan_to_num(
            np.imag(x), nan=nan, posinf=posinf, neginf=neginf
        )
    big = info.max if posinf is None else posinf
    small = info.min if neginf is None else neginf
    replaced = np.where(np.isnan(raw), nan, np.where(raw > 0, big, small))
    return where(np.isfinite(raw), x, replaced.astype(raw.dtype))


def _sinc_slope(x):
    """sinc'(x) = (cos(pi x) - sinc(x)) / x, by its Taylor series where |x| < 0.1 (no cancellation).

    Written with ops, so that its own derivatives (sinc's higher ones) follow; the series
    sum_k (-1)^k pi^(2k) 2k x^(2k-1) / (2k+1)!, k = 1..6, is exact to rounding there.
    """
    small = np.abs(primal(x)) < 0.1
    safe = np.where(small, 1.0, x)
    closed = (np.cos(np.pi * safe) - np.sinc(safe)) / safe
    series = 0 * x
    coefficient = 1.0
    for k in range(1, 7):
        coefficient *= -(np.pi**2) / ((2 * k) * (2 * k + 1))
        series = series + (2 * k * coefficient) * x ** (2 * k - 1)
    return np.where(small, series, closed)


RULE_NAMESPACE["sinc_slope"] = _sinc_slope
elementwise(
    "sinc",
    np.sinc,
    ("g * sinc_slope(x)",),
    _interval(-3, 3),
    "[-3, 3], 0 included",
    source="sinc(x) = sin(pi x) / (pi x); sinc'(x) = (cos(pi x) - sinc(x)) / x, its Taylor series near 0",
)


@op(np.divmod, spec=Spec(_binary_cases("lattice", "lattice")[0], "as remainder: x / y off the integers"))
def divmod(x: Operand, y: Operand, out: Any = None) -> Any:
    """``(x // y, x % y)`` (``numpy.divmod``): the quotient is a constant (piecewise
    constant: derivative 0), the remainder differentiates as :func:`remainder`."""
    from .registry import no_extras

    no_extras("divmod", out=out)
    return np.floor_divide(primal(x), primal(y)), np.remainder(x, y)


# --------------------------------------------------------------------------------------
# No useful derivative: run on the primal values, return constants
# --------------------------------------------------------------------------------------

constant(
    np.sign,
    np.floor,
    np.ceil,
    np.rint,
    np.trunc,
    np.fix,
    np.round,
    np.around,
    np.floor_divide,
    np.spacing,
    np.isnan,
    np.isinf,
    np.isfinite,
    np.isposinf,
    np.isneginf,
    np.isreal,
    np.iscomplex,
    np.isrealobj,
    np.iscomplexobj,
    np.signbit,
    np.greater,
    np.greater_equal,
    np.less,
    np.less_equal,
    np.equal,
    np.not_equal,
    np.logical_and,
    np.logical_or,
    np.logical_not,
    np.logical_xor,
    np.isclose,
    np.allclose,
    np.array_equal,
    np.array_equiv,
)

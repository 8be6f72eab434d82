"""``scipy.stats``: the densities, distribution functions and mass functions of common
distributions, differentiable in their arguments and parameters.

SciPy's distribution methods convert their arguments with ``np.asarray``, which NumPy's
dispatch cannot see, so autotape has its own, with SciPy's names and signatures: the op
``norm.logpdf`` (module ``"scipy.stats"``) is reached as
``autotape.scipy.stats.norm.logpdf(x, loc=0, scale=1)``. Each is a composite: SciPy's own
formula, written with NumPy calls and ``scipy.special`` ufuncs that dispatch to autotape's
ops on traced values (``gammaln``, ``xlogy``, ``ndtr``, ...), so its derivatives of every
order follow from theirs. Around the formula, SciPy's conventions are kept exactly:
``nan`` for invalid parameters (``scale <= 0``, a shape parameter out of range) and for a
``nan`` argument, ``0``/``-inf`` outside the support, and the limits of the distribution
functions there. Those values are constants; the formula is evaluated at a harmless
point in their place, so that no ``nan`` reaches the gradient of the other elements.

Unlike SciPy, float32 arguments give float32 results (SciPy computes in float64), as
everywhere in autotape. Integer arguments (the counts ``k`` and ``n`` of the discrete
distributions) are constants to every transform.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Union

import numpy as np

from ..._types import Array, Nested, Scalar, Shaped
from ...tracer import Traced, primal, primal_array
from ..registry import REGISTRY, Spec, defprim, only_recorded, op
from . import require_scipy
from ._reference import keeping_float32
from .linalg import cholesky, solve_triangular

_special = require_scipy("scipy.special")
_sigmoid = REGISTRY["sigmoid"].function
_stats = require_scipy("scipy.stats")
_linalg = require_scipy("scipy.linalg")

__all__ = ["DISTRIBUTIONS"]

ArrayIn = Union[Shaped[Array, "..."], Scalar, Nested]
Result = Shaped[Array, "..."]

#: The distributions with registered methods (their names in ``scipy.stats``).
DISTRIBUTIONS = (
    "norm",
    "t",
    "gamma",
    "beta",
    "chi2",
    "expon",
    "laplace",
    "cauchy",
    "logistic",
    "poisson",
    "bernoulli",
    "binom",
    "multivariate_normal",
    "dirichlet",
)

_INF = math.inf
_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))  # SciPy's _norm_pdf_logC
_SQRT_2PI = math.sqrt(2 * math.pi)  # SciPy's _norm_pdf_C
_LOG_PI = math.log(math.pi)
_LOG_2 = math.log(2.0)
_LOG_2PI = math.log(2 * math.pi)


# --------------------------------------------------------------------------------------
# Registration and docstrings
# --------------------------------------------------------------------------------------

_CONTINUOUS_ARGS = """Args:
    x: the points, float arrays or scalars, traced or not.{shapes}
    loc, scale: location and scale (``scale > 0``); ``z = (x - loc) / scale``.
    All arguments broadcast together."""

_DISCRETE_ARGS = """Args:
    k: the counts (integer values, any float or int array): a constant.{shapes}
    loc: shifts ``k`` (an integer): a constant.
    All arguments broadcast together."""

_RETURNS = """Returns:
    An array of the broadcast shape (a NumPy scalar for scalar arguments): float32 for
    float32 arguments, float64 otherwise. As in SciPy: ``nan`` where a parameter is
    invalid or the argument is ``nan``, and the method's limits outside the support."""


def _method(
    distribution: str, method: str, cases: Callable[[Any], Any], domain: str, shapes: str = "", **spec: Any
) -> Callable[[Callable], Callable]:
    """Register the decorated function as the op ``<distribution>.<method>`` of ``scipy.stats``.

    Its docstring's first paragraph (the formula, and where its derivative comes from) is
    completed with the arguments (``shapes`` describes the shape parameters) and the
    result. Its reference in the tests is SciPy's method, with the result cast as
    autotape's (float32 stays float32). No fast path: SciPy's value may differ from the
    formula's in the last bits, and traced and untraced calls must agree exactly.
    """

    def register(function: Callable) -> Callable:
        scipy_method = getattr(getattr(_stats, distribution), method)
        discrete = method in ("pmf", "logpmf") or distribution in ("poisson", "binom", "bernoulli")
        args = _DISCRETE_ARGS if discrete else _CONTINUOUS_ARGS
        if distribution in ("multivariate_normal", "dirichlet"):
            args = ""
        function.__doc__ = "\n\n".join(
            part
            for part in (
                (function.__doc__ or "").strip(),
                args.format(shapes=f"\n    {shapes}" if shapes else ""),
                _RETURNS if args else "",
                f"Mirrors ``scipy.stats.{distribution}.{method}``; tested on: {domain}.",
            )
            if part
        )
        function.__name__ = method
        function.__qualname__ = f"{distribution}.{method}"
        return op(
            scipy_method,
            name=f"{distribution}.{method}",
            module="scipy.stats",
            spec=Spec(cases, domain, keeping_float32(scipy_method), **spec),
            fast=False,
        )(function)

    return register


def _weak(function: Callable, *args: Any) -> Any:
    """``function(*args)``, a Python float when every argument is a Python number: weakly
    typed, as the arguments were (NumPy would return a float64 scalar, which makes float32
    arrays float64)."""
    out = function(*args)
    return float(out) if all(type(a) in (int, float) for a in args) else out


def _with_dtype(shapes: tuple, *others: Any) -> tuple:
    """``shapes`` with Python numbers made 0-d arrays of the result's dtype (NumPy's promotion
    of the array arguments, Python numbers weak): ``scipy.special``'s ufuncs would otherwise
    compute a float32 argument with a Python float parameter in float64."""
    if not any(type(s) in (int, float) for s in shapes):
        return shapes
    arrays = [primal(v) for v in (*shapes, *others) if type(v) not in (int, float, bool)]
    dtype = np.result_type(*arrays, 0.0)
    return tuple(np.asarray(s, dtype) if type(s) in (int, float) else s for s in shapes)


def _not_differentiable(name: str, parameter: str, value: Any) -> None:
    """TypeError naming the method and the parameter when ``value`` is traced: that
    derivative has no rule, and is not silently taken as zero. A value only an at.jit
    recording traces (nothing differentiates it) passes."""
    if type(value) is Traced and not only_recorded((value,), {}):
        raise TypeError(
            f"scipy.stats.{name} is not differentiable in {parameter} (autotape has no rule for that derivative); "
            f"pass {parameter} as a constant, e.g. at.stop_gradient({parameter}), or differentiate in the others"
        )


# --------------------------------------------------------------------------------------
# SciPy's conventions around a formula
# --------------------------------------------------------------------------------------

# The value of each kind of method below (index 0) and above (index 1) the support, for
# valid parameters; invalid parameters and nan arguments give nan.
_OUTSIDE = {
    "pdf": (0.0, 0.0),
    "logpdf": (-_INF, -_INF),
    "cdf": (0.0, 1.0),
    "logcdf": (-_INF, 0.0),
    "sf": (1.0, 0.0),
    "logsf": (0.0, -_INF),
    "pmf": (0.0, 0.0),
    "logpmf": (-_INF, -_INF),
}


def _where_inside(inside: Any, formula: Callable, operands: list, safe: list, outside: Any) -> Any:
    """``formula(*operands)`` where ``inside``, the constants ``outside`` elsewhere.

    Outside, each operand with a ``safe`` value (not ``None``) is replaced by it, so that
    the formula and its derivatives are finite there: ``where`` gives the branch it does
    not select a zero cotangent, and zero times an infinite derivative would be ``nan``.
    When every element is inside (the common case) the formula is all there is.
    """
    with np.errstate(divide="ignore"):  # a log of 0 is -inf, a value as SciPy gives it
        if np.all(inside):
            return _as_scipy_returns(formula(*operands))
        operands = [o if s is None else np.where(inside, o, s) for o, s in zip(operands, safe)]
        value = formula(*operands)
    return _as_scipy_returns(np.where(inside, value, np.asarray(outside).astype(np.result_type(primal(value)))))


def _as_scipy_returns(value: Any) -> Any:
    """A 0-d result as SciPy's methods return it, a NumPy scalar (``output[()]``); a Python
    float from Python numbers as a NumPy float64."""
    kind = type(value)
    if kind is float or kind is int:
        return np.float64(value)
    if (kind is np.ndarray or kind is Traced) and value.ndim == 0:
        return value[()]
    return value


def _all_valid(valid: Callable, shapes: list) -> bool:
    return bool(np.all(valid(*shapes)))


def _continuous(
    kind: str,
    formula: Callable,
    x: Any,
    shapes: tuple,
    loc: Any,
    scale: Any,
    *,
    valid: Callable = lambda *shapes: True,
    support: tuple = (-_INF, _INF),
    safe: float = 0.5,
    safe_shape: float = 1.0,
) -> Any:
    """SciPy's ``rv_continuous.<kind>(x, *shapes, loc=loc, scale=scale)`` around the
    standardized ``formula(z, *shapes)`` (SciPy's ``_pdf``, ``_logpdf``, ``_cdf``, ...).

    ``z = (x - loc) / scale``; a density is divided by ``scale`` (its log less
    ``log(scale)``). ``valid(*shapes)`` is SciPy's ``_argcheck`` and ``support`` its
    ``(a, b)`` (closed for densities, open for distribution functions, as SciPy's masks);
    ``safe`` and ``safe_shape`` are harmless values the formula is evaluated at in place
    of the points outside the support and of invalid shape parameters.
    """
    shapes = _with_dtype(shapes, x, loc, scale)
    scale_plain = primal_array(scale)
    good_scale = scale_plain > 0
    if not good_scale.all():
        scale = np.where(good_scale, scale, 1.0)
    z = (x - loc) / scale
    z_plain, shapes_plain = primal(z), [primal(s) for s in shapes]
    ok = good_scale & np.asarray(valid(*shapes_plain)) & ~np.isnan(z_plain)
    lo, hi = support
    if kind in ("pdf", "logpdf"):
        within = (lo <= z_plain) & (z_plain <= hi)
    else:
        within = (lo < z_plain) & (z_plain < hi)
    shape = np.broadcast_shapes(np.shape(z_plain), *map(np.shape, shapes_plain))
    inside = np.broadcast_to(ok & within, shape)
    below, above = _OUTSIDE[kind]
    outside = np.broadcast_to(np.where(ok, np.where(z_plain >= hi, above, below), np.nan), shape)
    if kind == "pdf":
        standard = formula
        formula = lambda z, *shapes: standard(z, *shapes) / scale  # noqa: E731
    elif kind == "logpdf":
        standard, log_scale = formula, _weak(np.log, scale)
        formula = lambda z, *shapes: standard(z, *shapes) - log_scale  # noqa: E731
    fill = None if _all_valid(valid, shapes_plain) else safe_shape
    return _where_inside(inside, formula, [z, *shapes], [safe, *(fill for _ in shapes)], outside)


def _discrete(
    kind: str, formula: Callable, k: Any, shapes: tuple, loc: Any, *, valid: Callable, support: Callable
) -> Any:
    """SciPy's ``rv_discrete.<kind>(k, *shapes, loc=loc)`` around ``formula(k, *shapes)``.

    ``k - loc`` is a constant (counts are integers). A mass function is ``formula`` at the
    integers of ``support(*shapes) = (a, b)`` and ``0`` (``-inf`` for its log) elsewhere;
    the distribution function is ``formula`` for ``a <= k < b`` and 1 from ``b`` on.
    """
    k = np.asarray(primal(k) - primal(loc))
    shapes = _with_dtype(shapes, k)
    shapes_plain = [primal(s) for s in shapes]
    ok = np.asarray(valid(*shapes_plain)) & ~np.isnan(k)
    lo, hi = support(*shapes_plain)
    with np.errstate(invalid="ignore"):
        if kind in ("pmf", "logpmf"):
            within = (k >= lo) & (k <= hi) & (np.floor(k) == k)
            outside = np.where(ok, _OUTSIDE[kind][0], np.nan)
        else:
            within = (k >= lo) & (k < hi) & np.isfinite(k)
            outside = np.where(ok, np.where(k >= hi, 1.0, 0.0), np.nan)
    shape = np.broadcast_shapes(k.shape, *map(np.shape, shapes_plain))
    inside = np.broadcast_to(ok & within, shape)
    safe_k = np.where(inside, k, 0.0)
    fill = None if _all_valid(valid, shapes_plain) else 0.5
    return _where_inside(
        inside,
        lambda *shapes: formula(safe_k, *shapes),
        list(shapes),
        [fill for _ in shapes],
        np.broadcast_to(outside, shape),
    )


# --------------------------------------------------------------------------------------
# The test cases (autotape.testing.cases.distribution), by distribution
# --------------------------------------------------------------------------------------


def _cases(z: tuple, *shapes: tuple, differentiate_shapes: bool = True) -> Callable[[Any], Any]:
    return lambda k: k.distribution(k.floats(*z), tuple(k.floats(*s) for s in shapes), differentiate_shapes)


def _domain(z: str, *shapes: str) -> str:
    listed = "".join(f", {s}" for s in shapes)
    return f"z = (x - loc) / scale in {z}{listed}; loc in [-1, 1] and scale in [0.5, 2], or the defaults"


def _positive(*values: Any) -> Any:
    result: Any = True
    for value in values:
        result = result & (np.asarray(value) > 0)
    return result


# --------------------------------------------------------------------------------------
# norm
# --------------------------------------------------------------------------------------


def _norm_logpdf(z):
    return -(z**2) / 2.0 - _LOG_SQRT_2PI


def _norm_pdf(z):
    return np.exp(-(z**2) / 2.0) / _SQRT_2PI


_NORM = (_cases((-3, 3)), _domain("[-3, 3]"))


@_method("norm", "pdf", *_NORM)
def norm_pdf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The normal density ``exp(-z^2 / 2) / (sqrt(2 pi) scale)``, composed of NumPy ops."""
    return _continuous("pdf", _norm_pdf, x, (), loc, scale)


@_method("norm", "logpdf", *_NORM)
def norm_logpdf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The log of the normal density, ``-z^2 / 2 - log(sqrt(2 pi)) - log(scale)``, composed of NumPy ops."""
    return _continuous("logpdf", _norm_logpdf, x, (), loc, scale)


@_method("norm", "cdf", *_NORM)
def norm_cdf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The normal distribution function ``ndtr(z)``, with ``scipy.special.ndtr``'s derivative."""
    return _continuous("cdf", _special.ndtr, x, (), loc, scale)


@_method("norm", "logcdf", *_NORM)
def norm_logcdf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The log of the normal distribution function ``log_ndtr(z)`` (accurate far in the lower
    tail), with ``scipy.special.log_ndtr``'s derivative."""
    return _continuous("logcdf", _special.log_ndtr, x, (), loc, scale)


@_method("norm", "sf", *_NORM)
def norm_sf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The normal survival function ``1 - cdf = ndtr(-z)``, with ``scipy.special.ndtr``'s derivative."""
    return _continuous("sf", lambda z: _special.ndtr(-z), x, (), loc, scale)


@_method("norm", "logsf", *_NORM)
def norm_logsf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The log of the normal survival function ``log_ndtr(-z)``, with ``scipy.special.log_ndtr``'s derivative."""
    return _continuous("logsf", lambda z: _special.log_ndtr(-z), x, (), loc, scale)


@_method(
    "norm", "ppf", lambda k: k.quantiles(), "q in [0.02, 0.98]; loc in [-1, 1] and scale in [0.5, 2], or the defaults"
)
def norm_ppf(q: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The normal quantile function ``loc + scale ndtri(q)``, with ``scipy.special.ndtri``'s
    derivative in ``q`` (``q`` takes the place of ``x``: ``-inf`` at 0, ``inf`` at 1, ``nan``
    outside [0, 1])."""
    q_plain, loc_plain, scale_plain = (primal_array(v) for v in (q, loc, scale))
    ok = (scale_plain > 0) & (loc_plain == loc_plain)
    shape = np.broadcast_shapes(q_plain.shape, loc_plain.shape, scale_plain.shape)
    inside = np.broadcast_to(ok & (0 < q_plain) & (q_plain < 1), shape)
    outside = np.where(ok & (q_plain == 0), -_INF, np.where(ok & (q_plain == 1), _INF, np.nan))
    return _where_inside(
        inside,
        lambda q, loc, scale: _special.ndtri(q) * scale + loc,
        [q, loc, scale],
        [0.5, 0.0, 1.0],
        np.broadcast_to(outside, shape),
    )


# --------------------------------------------------------------------------------------
# t
# --------------------------------------------------------------------------------------


def _t_logpdf(z, df):
    """SciPy's ``t._logpdf`` (``log(poch(df / 2, 1 / 2))`` written with ``gammaln``); the
    normal's where ``df`` is infinite."""
    df_plain = primal_array(df)
    infinite = np.isinf(df_plain)
    finite_df = np.where(infinite, 1.0, df) if infinite.any() else df
    value = (
        _weak(_special.gammaln, (finite_df + 1) / 2)
        - _weak(_special.gammaln, finite_df / 2)
        - 0.5 * (_weak(np.log, finite_df) + _LOG_PI)
        - (finite_df + 1) / 2 * np.log1p(z * z / finite_df)
    )
    return np.where(infinite, _norm_logpdf(z), value) if infinite.any() else value


def _stdtr_fwd(df, z):
    out = _stdtr.bind(df, z) if type(z) is Traced else _special.stdtr(df, z)
    return out, (df, z)


# Student's t distribution function in z (scipy.special.stdtr); its derivative in z is
# the density. Not differentiable in df: no rule (t.cdf refuses a traced df).
_stdtr = defprim("stdtr", _stdtr_fwd, (None, lambda g, df, z: g * np.exp(_t_logpdf(z, df))))

_T = (_cases((-3, 3), (0.5, 10)), _domain("[-3, 3]", "df in [0.5, 10]"))
# SciPy's stdtr loses digits near z = 0 when df = 1 (1e-11 at z = 1e-6), which finite
# differences of the reference would see: the cases keep z away from 0.
_T_CDF = (
    lambda k: k.distribution(k.away_from_zero(0.05, 3), (k.floats(0.5, 10),), False),
    _domain("[-3, -0.05] and [0.05, 3]", "df in [0.5, 10] (constant)"),
)
_T_SHAPES = "df: degrees of freedom (``> 0``, ``inf`` gives the normal)."


def _df_valid(df):
    return np.asarray(df) > 0


@_method("t", "pdf", *_T, shapes=_T_SHAPES)
def t_pdf(x: ArrayIn, df: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """Student's t density ``exp(logpdf)``; derivatives as :func:`t.logpdf`'s."""
    return _continuous("pdf", lambda z, df: np.exp(_t_logpdf(z, df)), x, (df,), loc, scale, valid=_df_valid)


@_method("t", "logpdf", *_T, shapes=_T_SHAPES)
def t_logpdf(x: ArrayIn, df: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The log of Student's t density, ``gammaln((df + 1) / 2) - gammaln(df / 2) - log(df pi) / 2
    - (df + 1) / 2 log1p(z^2 / df) - log(scale)``: differentiable in ``df`` too (through
    ``scipy.special.gammaln``)."""
    return _continuous("logpdf", _t_logpdf, x, (df,), loc, scale, valid=_df_valid)


@_method("t", "cdf", *_T_CDF, shapes=_T_SHAPES)
def t_cdf(x: ArrayIn, df: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """Student's t distribution function ``stdtr(df, z)`` (SciPy's), a primitive whose
    derivative in ``z`` is the density. Not differentiable in ``df`` (TypeError if it is traced)."""
    _not_differentiable("t.cdf", "df", df)
    return _continuous("cdf", lambda z, df: _stdtr.bind(df, z), x, (df,), loc, scale, valid=_df_valid)


@_method("t", "logcdf", *_T_CDF, shapes=_T_SHAPES)
def t_logcdf(x: ArrayIn, df: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The log of Student's t distribution function: ``log(stdtr(df, z))`` below the median 0
    and ``log1p(-stdtr(df, -z))`` above it, as SciPy's generic ``logcdf``. Not
    differentiable in ``df`` (TypeError if it is traced)."""
    _not_differentiable("t.logcdf", "df", df)

    def formula(z, df):
        negative = primal_array(z) < 0
        lower = np.log(_stdtr.bind(df, np.where(negative, z, -1.0)))
        upper = np.log1p(-_stdtr.bind(df, -np.where(negative, 1.0, z)))
        return np.where(negative, lower, upper)

    return _continuous("logcdf", formula, x, (df,), loc, scale, valid=_df_valid)


# --------------------------------------------------------------------------------------
# gamma, chi2, beta
# --------------------------------------------------------------------------------------


def _gamma_logpdf(z, a):
    return _special.xlogy(a - 1.0, z) - z - _weak(_special.gammaln, a)


_GAMMA = (_cases((0.2, 5), (0.5, 5)), _domain("[0.2, 5]", "a in [0.5, 5]"))
_GAMMA_CDF = (_cases((0.2, 5), (0.5, 5), differentiate_shapes=False), _domain("[0.2, 5]", "a in [0.5, 5] (constant)"))
_GAMMA_SHAPES = "a: the shape (``> 0``)."
_HALF_LINE: dict[str, Any] = {"valid": _positive, "support": (0.0, _INF), "safe": 1.0}


@_method("gamma", "pdf", *_GAMMA, shapes=_GAMMA_SHAPES)
def gamma_pdf(x: ArrayIn, a: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The gamma density ``exp(logpdf)``; derivatives as :func:`gamma.logpdf`'s."""
    return _continuous("pdf", lambda z, a: np.exp(_gamma_logpdf(z, a)), x, (a,), loc, scale, **_HALF_LINE)


@_method("gamma", "logpdf", *_GAMMA, shapes=_GAMMA_SHAPES)
def gamma_logpdf(x: ArrayIn, a: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The log of the gamma density, ``xlogy(a - 1, z) - z - gammaln(a) - log(scale)``:
    derivatives from ``scipy.special.xlogy`` and ``gammaln``, in ``a`` too."""
    return _continuous("logpdf", _gamma_logpdf, x, (a,), loc, scale, **_HALF_LINE)


@_method("gamma", "cdf", *_GAMMA_CDF, shapes=_GAMMA_SHAPES)
def gamma_cdf(x: ArrayIn, a: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The gamma distribution function ``gammainc(a, z)``, with ``scipy.special.gammainc``'s
    derivative in ``z``. Not differentiable in ``a`` (TypeError if it is traced)."""
    _not_differentiable("gamma.cdf", "a", a)
    return _continuous("cdf", lambda z, a: _special.gammainc(a, z), x, (a,), loc, scale, **_HALF_LINE)


def _chi2_logpdf(z, df):
    return _special.xlogy(df / 2.0 - 1, z) - z / 2.0 - _weak(_special.gammaln, df / 2.0) - (_LOG_2 * df) / 2.0


_CHI2 = (_cases((0.2, 8), (0.5, 8)), _domain("[0.2, 8]", "df in [0.5, 8]"))
_CHI2_CDF = (_cases((0.2, 8), (0.5, 8), differentiate_shapes=False), _domain("[0.2, 8]", "df in [0.5, 8] (constant)"))
_CHI2_SHAPES = "df: degrees of freedom (``> 0``)."


@_method("chi2", "pdf", *_CHI2, shapes=_CHI2_SHAPES)
def chi2_pdf(x: ArrayIn, df: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The chi-squared density ``exp(logpdf)``; derivatives as :func:`chi2.logpdf`'s."""
    return _continuous("pdf", lambda z, df: np.exp(_chi2_logpdf(z, df)), x, (df,), loc, scale, **_HALF_LINE)


@_method("chi2", "logpdf", *_CHI2, shapes=_CHI2_SHAPES)
def chi2_logpdf(x: ArrayIn, df: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The log of the chi-squared density, ``xlogy(df / 2 - 1, z) - z / 2 - gammaln(df / 2)
    - df log(2) / 2 - log(scale)``: derivatives from ``scipy.special.xlogy`` and ``gammaln``."""
    return _continuous("logpdf", _chi2_logpdf, x, (df,), loc, scale, **_HALF_LINE)


@_method("chi2", "cdf", *_CHI2_CDF, shapes=_CHI2_SHAPES)
def chi2_cdf(x: ArrayIn, df: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The chi-squared distribution function ``gammainc(df / 2, z / 2)`` (SciPy's ``chdtr``),
    with ``scipy.special.gammainc``'s derivative in ``z``. Not differentiable in ``df``."""
    _not_differentiable("chi2.cdf", "df", df)
    return _continuous("cdf", lambda z, df: _special.gammainc(df / 2.0, z / 2.0), x, (df,), loc, scale, **_HALF_LINE)


def _beta_logpdf(z, a, b):
    return _special.xlog1py(b - 1.0, -z) + _special.xlogy(a - 1.0, z) - _weak(_special.betaln, a, b)


_BETA = (_cases((0.05, 0.95), (0.5, 5), (0.5, 5)), _domain("[0.05, 0.95]", "a and b in [0.5, 5]"))
_BETA_CDF = (
    _cases((0.05, 0.95), (0.5, 5), (0.5, 5), differentiate_shapes=False),
    _domain("[0.05, 0.95]", "a and b in [0.5, 5] (constant)"),
)
_BETA_SHAPES = "a, b: the shapes (``> 0``)."
_UNIT: dict[str, Any] = {"valid": _positive, "support": (0.0, 1.0), "safe": 0.5}


@_method("beta", "pdf", *_BETA, shapes=_BETA_SHAPES)
def beta_pdf(x: ArrayIn, a: ArrayIn, b: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The beta density ``exp(logpdf)``; derivatives as :func:`beta.logpdf`'s."""
    return _continuous("pdf", lambda z, a, b: np.exp(_beta_logpdf(z, a, b)), x, (a, b), loc, scale, **_UNIT)


@_method("beta", "logpdf", *_BETA, shapes=_BETA_SHAPES)
def beta_logpdf(x: ArrayIn, a: ArrayIn, b: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The log of the beta density, ``xlogy(a - 1, z) + xlog1py(b - 1, -z) - betaln(a, b)
    - log(scale)``: derivatives from ``scipy.special.xlogy``, ``xlog1py`` and ``betaln``."""
    return _continuous("logpdf", _beta_logpdf, x, (a, b), loc, scale, **_UNIT)


@_method("beta", "cdf", *_BETA_CDF, shapes=_BETA_SHAPES)
def beta_cdf(x: ArrayIn, a: ArrayIn, b: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The beta distribution function ``betainc(a, b, z)``, with ``scipy.special.betainc``'s
    derivative in ``z``. Not differentiable in ``a`` or ``b``."""
    _not_differentiable("beta.cdf", "a", a)
    _not_differentiable("beta.cdf", "b", b)
    return _continuous("cdf", lambda z, a, b: _special.betainc(a, b, z), x, (a, b), loc, scale, **_UNIT)


# --------------------------------------------------------------------------------------
# expon, laplace, cauchy, logistic
# --------------------------------------------------------------------------------------

_EXPON = (_cases((0.05, 5)), _domain("[0.05, 5]"))


@_method("expon", "logpdf", *_EXPON)
def expon_logpdf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The log of the exponential density, ``-z - log(scale)`` for ``z >= 0``."""
    return _continuous("logpdf", lambda z: -z, x, (), loc, scale, support=(0.0, _INF), safe=1.0)


@_method("expon", "cdf", *_EXPON)
def expon_cdf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The exponential distribution function ``-expm1(-z)`` for ``z > 0``."""
    return _continuous("cdf", lambda z: -np.expm1(-z), x, (), loc, scale, support=(0.0, _INF), safe=1.0)


_LAPLACE = (
    lambda k: k.distribution(k.away_from_zero(0.1, 4), ()),
    _domain("[-4, -0.1] and [0.1, 4] (away from the kink at 0)"),
)


@_method("laplace", "logpdf", *_LAPLACE)
def laplace_logpdf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The log of the Laplace density, ``-|z| - log(2 scale)``; its derivative at ``z = 0`` is
    ``abs``'s subgradient 0. Finite where SciPy's (``log(exp(-|z|) / 2)``) underflows to
    ``-inf``, beyond ``|z| = 745``."""
    return _continuous("logpdf", lambda z: -np.abs(z) - _LOG_2, x, (), loc, scale)


def _laplace_cdf(z):
    positive = primal_array(z) > 0
    upper = 1.0 - 0.5 * np.exp(-np.where(positive, z, 0.0))
    lower = 0.5 * np.exp(np.where(positive, 0.0, z))
    return np.where(positive, upper, lower)


@_method("laplace", "cdf", *_LAPLACE)
def laplace_cdf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The Laplace distribution function: ``exp(z) / 2`` for ``z <= 0``, ``1 - exp(-z) / 2``
    above (each branch evaluated only where it is used, so neither overflows)."""
    return _continuous("cdf", _laplace_cdf, x, (), loc, scale)


def _cauchy_logpdf(z):
    """SciPy's: ``-log(pi) - log1p(z^2)`` for ``|z| < 1`` and ``-log(pi) - 2 log|z| - log1p(z^-2)``
    beyond (no overflow of ``z^2``)."""
    small = np.abs(primal_array(z)) < 1
    near = -_LOG_PI - np.log1p(z * z)
    far_z = np.abs(np.where(small, 2.0, z))
    far = -_LOG_PI - (2 * np.log(far_z) + np.log1p((1 / far_z) ** 2))
    return np.where(small, near, far)


_CAUCHY = (_cases((-4, 4)), _domain("[-4, 4]"))


@_method("cauchy", "logpdf", *_CAUCHY)
def cauchy_logpdf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The log of the Cauchy density, ``-log(pi) - log1p(z^2) - log(scale)`` (as SciPy, in a
    form that does not overflow for large ``|z|``)."""
    return _continuous("logpdf", _cauchy_logpdf, x, (), loc, scale)


@_method("cauchy", "cdf", *_CAUCHY)
def cauchy_cdf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The Cauchy distribution function ``arctan2(1, -z) / pi``."""
    return _continuous("cdf", lambda z: np.arctan2(1.0, -z) / math.pi, x, (), loc, scale)


_LOGISTIC = (_cases((-4, 4)), _domain("[-4, 4]"))


def _logistic_logpdf(z):
    """SciPy's ``y - 2 log1p(exp(y))`` with ``y = -|z|``, written per sign of ``z`` rather than
    with ``abs``, whose second derivative at 0 would be 0: each branch is smooth."""
    negative = primal_array(z) < 0
    below = np.where(negative, z, -1.0)
    above = -np.where(negative, 1.0, z)
    return np.where(negative, below - 2.0 * np.log1p(np.exp(below)), above - 2.0 * np.log1p(np.exp(above)))


@_method("logistic", "logpdf", *_LOGISTIC)
def logistic_logpdf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The log of the logistic density, ``-|z| - 2 log1p(exp(-|z|)) - log(scale)`` as SciPy,
    evaluated per sign of ``z`` so that its derivatives at 0 are right to every order."""
    return _continuous("logpdf", _logistic_logpdf, x, (), loc, scale)


@_method("logistic", "cdf", *_LOGISTIC)
def logistic_cdf(x: ArrayIn, loc: ArrayIn = 0, scale: ArrayIn = 1) -> Result:
    """The logistic distribution function ``expit(z)``: autotape's ``sigmoid``."""
    return _continuous("cdf", _sigmoid, x, (), loc, scale)


# --------------------------------------------------------------------------------------
# poisson, binom, bernoulli
# --------------------------------------------------------------------------------------


def _poisson_logpmf(k, mu):
    return _special.xlogy(k, mu) - _special.gammaln(k + 1) - mu


def _poisson_support(mu):
    return 0.0, _INF


def _nonnegative(mu):
    return np.asarray(mu) >= 0


_POISSON = (lambda k: k.counts("poisson"), "k in 0..10, mu in [0.5, 8]; loc 0 or an integer")
_POISSON_SHAPES = "mu: the mean (``>= 0``)."


@_method("poisson", "pmf", *_POISSON, shapes=_POISSON_SHAPES)
def poisson_pmf(k: ArrayIn, mu: ArrayIn, loc: ArrayIn = 0) -> Result:
    """The Poisson mass function ``exp(logpmf)``; derivative in ``mu`` as :func:`poisson.logpmf`'s."""
    logpmf = lambda k, mu: np.exp(_poisson_logpmf(k, mu))  # noqa: E731
    return _discrete("pmf", logpmf, k, (mu,), loc, valid=_nonnegative, support=_poisson_support)


@_method("poisson", "logpmf", *_POISSON, shapes=_POISSON_SHAPES)
def poisson_logpmf(k: ArrayIn, mu: ArrayIn, loc: ArrayIn = 0) -> Result:
    """The log of the Poisson mass function, ``xlogy(k, mu) - gammaln(k + 1) - mu``: its
    derivative in ``mu`` from ``scipy.special.xlogy``."""
    return _discrete("logpmf", _poisson_logpmf, k, (mu,), loc, valid=_nonnegative, support=_poisson_support)


@_method("poisson", "cdf", *_POISSON, shapes=_POISSON_SHAPES)
def poisson_cdf(k: ArrayIn, mu: ArrayIn, loc: ArrayIn = 0) -> Result:
    """The Poisson distribution function ``gammaincc(floor(k) + 1, mu)`` (SciPy's ``pdtr``),
    with ``scipy.special.gammaincc``'s derivative in ``mu``."""
    cdf = lambda k, mu: _special.gammaincc(np.floor(k) + 1, mu)  # noqa: E731
    return _discrete("cdf", cdf, k, (mu,), loc, valid=_nonnegative, support=_poisson_support)


def _binom_logpmf(k, n, p):
    k = np.floor(k)
    combinations = _special.gammaln(n + 1) - (_special.gammaln(k + 1) + _special.gammaln(n - k + 1))
    return combinations + _special.xlogy(k, p) + _special.xlog1py(n - k, -p)


def _binom_valid(n, p):
    n, p = np.asarray(n), np.asarray(p)
    return (n >= 0) & (np.floor(n) == n) & (p >= 0) & (p <= 1)


@_method(
    "binom",
    "logpmf",
    lambda k: k.counts("binom"),
    "n in 1..10, k in 0..n, p in [0.05, 0.95]; loc 0 or an integer",
    shapes="n: the number of trials (an integer ``>= 0``): a constant.\n    p: the probability of success, in [0, 1].",
)
def binom_logpmf(k: ArrayIn, n: ArrayIn, p: ArrayIn, loc: ArrayIn = 0) -> Result:
    """The log of the binomial mass function, ``gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
    + xlogy(k, p) + xlog1py(n - k, -p)``: its derivative in ``p`` from ``scipy.special.xlogy``
    and ``xlog1py``."""
    return _discrete(
        "logpmf",
        _binom_logpmf,
        k,
        (primal_array(n), p),
        loc,
        valid=_binom_valid,
        support=lambda n, p: (0.0, n),
    )


def _unit_interval(p):
    p = np.asarray(p)
    return (p >= 0) & (p <= 1)


@_method(
    "bernoulli",
    "logpmf",
    lambda k: k.counts("bernoulli"),
    "k in {0, 1}, p in [0.05, 0.95]; loc 0 or an integer",
    shapes="p: the probability of 1, in [0, 1].",
)
def bernoulli_logpmf(k: ArrayIn, p: ArrayIn, loc: ArrayIn = 0) -> Result:
    """The log of the Bernoulli mass function, :func:`binom.logpmf` with ``n = 1``: ``xlogy(k, p)
    + xlog1py(1 - k, -p)``."""
    return _discrete(
        "logpmf", _binom_logpmf, k, (1.0, p), loc, valid=lambda n, p: _unit_interval(p), support=lambda n, p: (0, 1)
    )


# --------------------------------------------------------------------------------------
# multivariate_normal
# --------------------------------------------------------------------------------------


def _float_dtype(*values: Any) -> np.dtype:
    arrays = [primal(v) for v in values if v is not None and type(v) not in (int, float, bool)]
    return np.result_type(*arrays, 0.0)


def _mvn_parameters(mean: Any, cov: Any, dtype: np.dtype) -> tuple[int, Any, Any]:
    """SciPy's ``multivariate_normal`` parameters: the dimension, the mean ``(dim,)`` and the
    covariance ``(dim, dim)`` (a scalar is a multiple of the identity, a vector a diagonal)."""
    cov = 1.0 if cov is None else cov
    cov = cov if type(cov) is Traced else np.asarray(cov, dtype=np.result_type(np.asarray(cov), dtype))
    cov_shape = np.shape(primal(cov))
    if mean is None:
        dim = 1 if len(cov_shape) < 2 else cov_shape[0]
        mean = np.zeros(dim, dtype)
    else:
        mean = mean if type(mean) is Traced else np.asarray(mean, dtype=np.result_type(np.asarray(mean), dtype))
        dim = int(np.size(primal(mean)))
    if dim == 1:
        mean, cov = np.reshape(mean, (1,)), np.reshape(cov, (1, 1))
        cov_shape = (1, 1)
    if np.ndim(primal(mean)) != 1 or np.shape(primal(mean))[0] != dim:
        raise ValueError(f"scipy.stats.multivariate_normal: array 'mean' must be a vector of length {dim}.")
    if len(cov_shape) < 2:
        cov = cov * np.eye(dim, dtype=bool)  # a multiple of the identity, or a diagonal
    elif len(cov_shape) > 2:
        raise ValueError(
            f"scipy.stats.multivariate_normal: array 'cov' must be at most two-dimensional, got shape {cov_shape}"
        )
    elif cov_shape != (dim, dim):
        raise ValueError(
            f"scipy.stats.multivariate_normal: array 'cov' of shape {cov_shape} does not fit a mean of length {dim}; "
            f"it must be ({dim}, {dim})"
        )
    return dim, mean, cov


class _Covariance:
    """What the densities need of a covariance: its rank, the log of its pseudo-determinant,
    and the squared Mahalanobis length of deviations ``(..., dim)``.

    SciPy's ``_PSD`` decides the rank from the eigenvalues of the constant values (the
    same cutoff: ``1e6`` float64 epsilons times the largest). At full rank the values come
    from the Cholesky factor (:func:`autotape.scipy.linalg.cholesky`), so they are
    differentiable in the covariance; below full rank (``allow_singular=True``) from the
    eigendecomposition, for a constant covariance only.
    """

    def __init__(self, cov: Any, allow_singular: bool):
        values = np.asarray(primal(cov), dtype=np.float64)
        s, u = _linalg.eigh(values, lower=True)
        eps = 1e6 * np.finfo(np.float64).eps * np.max(np.abs(s))
        if np.min(s) < -eps:
            raise ValueError("scipy.stats.multivariate_normal: the covariance must be symmetric positive semidefinite")
        kept = s > eps
        self.rank = int(np.sum(kept))
        if self.rank < len(s) and not allow_singular:
            raise np.linalg.LinAlgError(
                "scipy.stats.multivariate_normal: the covariance is singular; with allow_singular=False it must be "
                "symmetric positive definite (pass allow_singular=True for a degenerate distribution)"
            )
        self.full = self.rank == len(s)
        if self.full:
            self.factor = cholesky(cov, lower=True)
            n = np.shape(primal(cov))[-1]
            self.log_pdet = 2.0 * np.sum(np.log(self.factor[np.arange(n), np.arange(n)]))
            return
        if type(cov) is Traced:
            raise TypeError(
                "scipy.stats.multivariate_normal: a singular covariance (rank "
                f"{self.rank} < {len(s)}) is not differentiated (its pseudo-determinant jumps with the rank); "
                "pass cov as a constant, or a nonsingular one"
            )
        dtype = primal_array(cov).dtype
        self.whiten = (u * np.sqrt(np.where(kept, 1 / np.where(kept, s, 1.0), 0.0))).astype(dtype)
        self.log_pdet = np.sum(np.log(s[kept])).astype(dtype)
        self.null_space, self.tolerance = u[:, ~kept], 1e3 * eps

    def mahalanobis(self, deviation: Any) -> Any:
        if not self.full:
            return np.sum((deviation @ self.whiten) ** 2, axis=-1)
        dim = np.shape(primal(deviation))[-1]
        rows = np.reshape(deviation, (-1, dim))
        solved = solve_triangular(self.factor, np.swapaxes(rows, 0, 1), lower=True)
        return np.reshape(np.sum(solved**2, axis=0), np.shape(primal(deviation))[:-1])

    def in_support(self, deviation: np.ndarray) -> Any:
        if self.full:
            return True
        return np.linalg.norm(deviation @ self.null_space, axis=-1) < self.tolerance


def _squeezed(out: Any) -> Any:
    """SciPy's ``_squeeze_output``: length-1 axes dropped, a 0-d result as a scalar."""
    return _as_scipy_returns(np.squeeze(out))


def _mvn_logpdf(x: Any, mean: Any, cov: Any, allow_singular: bool) -> Any:
    dtype = _float_dtype(x, mean, cov)
    dim, mean, cov = _mvn_parameters(mean, cov, dtype)
    x = x if type(x) is Traced else np.asarray(x, dtype=np.result_type(np.asarray(x), dtype))
    if np.ndim(primal(x)) == 0:
        x = np.reshape(x, (1,))
    if np.ndim(primal(x)) == 1:
        x = np.reshape(x, (-1, 1) if dim == 1 else (1, -1))
    covariance = _Covariance(cov, allow_singular)
    deviation = x - mean
    out = -0.5 * (covariance.rank * _LOG_2PI + covariance.log_pdet + covariance.mahalanobis(deviation))
    support = covariance.in_support(np.asarray(primal(deviation), dtype=np.float64))
    if not np.all(support):
        out = np.where(support, out, -_INF)
    return out


_MVN = (lambda k: k.multivariate_normal(), "dim 1 to 3; cov B B^T + dim I (B in [-1, 1]), a positive vector or scalar")


@_method("multivariate_normal", "logpdf", *_MVN)
def multivariate_normal_logpdf(
    x: ArrayIn, mean: Union[ArrayIn, None] = None, cov: ArrayIn = 1, allow_singular: bool = False
) -> Result:
    """The log of the multivariate normal density, ``-(k log(2 pi) + log det(cov) + d^T cov^-1 d) / 2``
    with ``d = x - mean`` and ``k`` the dimension: from the Cholesky factor ``L`` of ``cov``,
    ``log det = 2 sum log diag(L)`` and ``cov^-1 d = L^-T L^-1 d`` (:func:`cholesky`,
    :func:`solve_triangular`), differentiable in ``x``, ``mean`` and ``cov`` (whose lower
    triangle is read, as SciPy's ``eigh``).

    Args:
        x: points ``(..., k)`` (for ``k = 1``, also any array of scalar points).
        mean: ``(k,)``, zeros by default. cov: ``(k, k)`` symmetric positive definite, a
            vector (a diagonal covariance) or a scalar (a multiple of the identity).
        allow_singular: accept a singular ``cov`` (as a constant: the density of the
            degenerate distribution, with the pseudo-determinant, and ``-inf`` off its
            support), as SciPy.

    Returns:
        The log densities, ``x``'s shape without its last axis, length-1 axes dropped (a
        scalar for one point), as SciPy. float32 for float32 arguments.

    Raises:
        ValueError: shapes that do not fit; a covariance with a negative eigenvalue.
        numpy.linalg.LinAlgError: a singular ``cov`` without ``allow_singular``.
        TypeError: a singular ``cov`` that is traced.
    """
    return _squeezed(_mvn_logpdf(x, mean, cov, allow_singular))


@_method("multivariate_normal", "pdf", *_MVN)
def multivariate_normal_pdf(
    x: ArrayIn, mean: Union[ArrayIn, None] = None, cov: ArrayIn = 1, allow_singular: bool = False
) -> Result:
    """The multivariate normal density ``exp(logpdf)``; arguments, results and derivatives as
    :func:`multivariate_normal.logpdf`'s."""
    return _squeezed(np.exp(_mvn_logpdf(x, mean, cov, allow_singular)))


@_method(
    "multivariate_normal",
    "entropy",
    lambda k: k.multivariate_normal(entropy=True),
    "dim 1 to 3; cov B B^T + dim I (B in [-1, 1]), a positive vector or scalar",
)
def multivariate_normal_entropy(mean: Union[ArrayIn, None] = None, cov: ArrayIn = 1) -> Result:
    """The differential entropy of the multivariate normal, ``(k (1 + log(2 pi)) + log det(cov)) / 2``,
    with ``log det`` from the Cholesky factor: differentiable in ``cov`` (``mean`` only gives
    the dimension). A singular constant ``cov`` counts its rank and pseudo-determinant, as SciPy.

    Raises:
        ValueError: shapes that do not fit; a covariance with a negative eigenvalue.
        TypeError: a singular ``cov`` that is traced.
    """
    _, _, cov = _mvn_parameters(mean, cov, _float_dtype(mean, cov))
    covariance = _Covariance(cov, allow_singular=True)
    return 0.5 * (covariance.rank * (_LOG_2PI + 1) + covariance.log_pdet)


# --------------------------------------------------------------------------------------
# dirichlet
# --------------------------------------------------------------------------------------


def _dirichlet_logpdf(x: Any, alpha: Any) -> Any:
    alpha = alpha if type(alpha) is Traced else np.asarray(alpha)
    x = x if type(x) is Traced else np.asarray(x)
    alpha_plain = primal_array(alpha)
    if alpha_plain.ndim != 1:
        raise ValueError(f"scipy.stats.dirichlet: alpha must be a vector, got shape {alpha_plain.shape}")
    if np.min(alpha_plain) <= 0:
        raise ValueError("scipy.stats.dirichlet: all parameters (alpha) must be greater than 0")
    k, shape = alpha_plain.shape[0], np.shape(primal(x))
    if not shape or shape[0] not in (k, k - 1):
        raise ValueError(
            f"scipy.stats.dirichlet: x must have {k} (or {k - 1}) entries along its first axis for alpha of "
            f"length {k}, got shape {shape}"
        )
    if len(shape) > 2:
        raise ValueError(f"scipy.stats.dirichlet: x must be 1- or 2-dimensional, got shape {shape}")
    if shape[0] == k - 1:  # the last component is 1 minus the others
        x = np.concatenate([x, np.reshape(1 - np.sum(x, axis=0), (1,) + shape[1:])], axis=0)
    values = primal_array(x)
    if np.min(values) < 0:
        raise ValueError("scipy.stats.dirichlet: each entry in x must be greater than or equal to zero")
    if np.max(values) > 1:
        raise ValueError("scipy.stats.dirichlet: each entry in x must be smaller than or equal to one")
    below_one = np.reshape(alpha_plain < 1, (k,) + (1,) * (values.ndim - 1))
    if np.any((values == 0) & below_one):
        raise ValueError("scipy.stats.dirichlet: each entry in x must be greater than zero if its alpha is below one")
    if np.any(np.abs(np.sum(values, axis=0) - 1.0) > 10e-10):
        raise ValueError(
            f"scipy.stats.dirichlet: x must lie on the simplex (sum to 1 along its first axis), but its sums are "
            f"{np.sum(values, axis=0)}"
        )
    log_beta = np.sum(_special.gammaln(alpha)) - _special.gammaln(np.sum(alpha))
    exponents = np.reshape(alpha - 1, (k,) + (1,) * (values.ndim - 1))
    return np.sum(_special.xlogy(exponents, x), axis=0) - log_beta


_DIRICHLET = (
    lambda k: k.dirichlet(),
    "alpha in [0.5, 4] (2 to 4 of them); x on the simplex, each entry at least 0.05, given without its last "
    "entry (so that every perturbation stays on the simplex); one point or several (columns)",
)


@_method("dirichlet", "logpdf", *_DIRICHLET)
def dirichlet_logpdf(x: ArrayIn, alpha: ArrayIn) -> Result:
    """The log of the Dirichlet density, ``sum((alpha - 1) log x) - sum(gammaln(alpha)) + gammaln(sum(alpha))``,
    with the derivatives of ``scipy.special.xlogy`` and ``gammaln``, in ``x`` and ``alpha``.

    Args:
        x: points on the simplex along the first axis: ``(k,)`` or ``(k, n)`` for ``n``
            points, or with ``k - 1`` entries (the last one is ``1 -`` their sum), as SciPy.
        alpha: ``(k,)``, positive.

    Returns:
        The log densities, length-1 axes dropped (a scalar for one point), as SciPy.

    Raises:
        ValueError: as SciPy: ``alpha`` not a positive vector, ``x`` of the wrong shape,
        off the simplex, or 0 where ``alpha < 1``.
    """
    return _squeezed(_dirichlet_logpdf(x, alpha))


@_method("dirichlet", "pdf", *_DIRICHLET)
def dirichlet_pdf(x: ArrayIn, alpha: ArrayIn) -> Result:
    """The Dirichlet density ``exp(logpdf)``; arguments, errors and derivatives as
    :func:`dirichlet.logpdf`'s."""
    return _squeezed(np.exp(_dirichlet_logpdf(x, alpha)))

"""autotape.scipy.stats: SciPy's values on grids (edges and invalid parameters included), the
derivatives in closed form, and the namespace.

The generated properties of tests/test_ops.py cover every method on drawn cases inside
the support. Methods whose formula calls a ``scipy.special`` function on a traced value
(``ndtr``, ``gammaln``, ``xlogy``, ...) differentiate once autotape has that function's
rule; their values (untraced) are checked here regardless.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as ss

import autotape as at
import autotape.scipy.stats as st
from autotape.testing import check_grads

RNG = np.random.default_rng(7)
X = np.concatenate([np.linspace(-6, 6, 49), [-40.0, 40.0, 0.0, np.nan, -np.inf, np.inf]])


def assert_like_scipy(ours, theirs, rtol=1e-12, atol=1e-300):
    """Equal values, nan and infinities in the same places, SciPy's shape."""
    theirs = np.asarray(theirs)
    assert np.shape(ours) == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
    finite = np.isfinite(theirs)
    np.testing.assert_allclose(np.asarray(ours)[finite], theirs[finite], rtol=rtol, atol=atol)


# --------------------------------------------------------------------------------------
# Values on grids, against SciPy
# --------------------------------------------------------------------------------------

CONTINUOUS = [
    ("norm", ("pdf", "logpdf", "cdf", "logcdf", "sf", "logsf"), [()]),
    ("t", ("pdf", "logpdf", "cdf", "logcdf"), [(0.7,), (1.0,), (3.0,), (30.0,), (np.inf,), (-1.0,)]),
    ("gamma", ("pdf", "logpdf", "cdf"), [(0.5,), (1.0,), (2.5,), (0.0,)]),
    ("chi2", ("pdf", "logpdf", "cdf"), [(1.0,), (2.0,), (5.5,), (-2.0,)]),
    ("beta", ("pdf", "logpdf", "cdf"), [(0.5, 0.5), (1.0, 1.0), (2.0, 5.0), (3.0, 0.0)]),
    ("expon", ("logpdf", "cdf"), [()]),
    ("laplace", ("logpdf", "cdf"), [()]),
    ("cauchy", ("logpdf", "cdf"), [()]),
    ("logistic", ("logpdf", "cdf"), [()]),
]


@pytest.mark.parametrize("loc,scale", [(0.0, 1.0), (0.7, 2.5), (-1.0, 0.3), (0.0, 0.0), (0.0, -1.0)])
@pytest.mark.parametrize("name,methods,shapes", CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_continuous_values_equal_scipys(name, methods, shapes, loc, scale):
    points = X / 6 + 0.5 if name == "beta" else X  # the grid of [0, 1] densely, and beyond it
    for method in methods:
        ours, theirs = getattr(getattr(st, name), method), getattr(getattr(ss, name), method)
        for parameters in shapes:
            with np.errstate(all="ignore"):
                expected = theirs(points, *parameters, loc, scale)
            assert_like_scipy(ours(points, *parameters, loc, scale), expected)
            # Keywords, and scalars (a scalar result, as SciPy gives).
            with np.errstate(all="ignore"):
                scalar = theirs(points[20], *parameters, loc=loc, scale=scale)
            assert_like_scipy(ours(points[20], *parameters, loc=loc, scale=scale), scalar)


def test_norm_ppf_equals_scipys():
    q = np.array([0.0, 1e-300, 1e-10, 0.025, 0.5, 0.975, 1 - 1e-10, 1.0, -0.1, 1.1, np.nan])
    for loc, scale in [(0.0, 1.0), (2.0, 3.0), (0.0, -1.0), (np.nan, 1.0)]:
        with np.errstate(all="ignore"):
            assert_like_scipy(st.norm.ppf(q, loc, scale), ss.norm.ppf(q, loc, scale))


DISCRETE = [
    ("poisson", ("pmf", "logpmf", "cdf"), [(0.0,), (0.5,), (4.0,), (-1.0,)]),
    ("binom", ("logpmf",), [(5.0, 0.3), (5.0, 0.0), (5.0, 1.0), (2.5, 0.3), (-1.0, 0.3), (5.0, 1.2)]),
    ("bernoulli", ("logpmf",), [(0.3,), (0.0,), (1.0,), (1.5,)]),
]


@pytest.mark.parametrize("loc", [0, 2])
@pytest.mark.parametrize("name,methods,shapes", DISCRETE, ids=[d[0] for d in DISCRETE])
def test_discrete_values_equal_scipys(name, methods, shapes, loc):
    k = np.concatenate([np.arange(-2.0, 12.0), [0.5, 2.5, np.nan, np.inf, -np.inf]]) + loc
    for method in methods:
        ours, theirs = getattr(getattr(st, name), method), getattr(getattr(ss, name), method)
        for parameters in shapes:
            with np.errstate(all="ignore"):
                expected = theirs(k, *parameters, loc=loc)
            assert_like_scipy(ours(k, *parameters, loc=loc), expected)
    with np.errstate(all="ignore"):
        assert_like_scipy(
            getattr(st, name).logpmf(k[:, None], *shapes[0]), getattr(ss, name).logpmf(k[:, None], *shapes[0])
        )


def test_laplace_logpdf_stays_finite_where_scipys_underflows():
    z = np.array([700.0, 800.0])
    np.testing.assert_allclose(st.laplace.logpdf(z), -z - np.log(2.0), rtol=1e-15)
    assert ss.laplace.logpdf(800.0) == -np.inf  # SciPy's log(exp(-800) / 2)


def test_broadcasting_and_float32():
    x, df, loc = RNG.standard_normal((3, 1)), np.array([1.5, 4.0]), np.array([[0.0], [1.0], [2.0]])
    assert_like_scipy(st.t.logpdf(x, df, loc, 2.0), ss.t.logpdf(x, df, loc, 2.0))
    x32 = x.astype(np.float32)
    for method, parameters in [
        (st.norm.logpdf, ()),
        (st.t.logpdf, (3.0,)),
        (st.t.cdf, (3.0,)),
        (st.logistic.cdf, ()),
        (st.cauchy.logpdf, ()),
    ]:
        out = method(x32, *parameters, 0.5, 2.0)
        assert out.dtype == np.float32, method
        np.testing.assert_allclose(out, method(x, *parameters, 0.5, 2.0), rtol=2e-6, atol=1e-6)
        g = at.grad(lambda x: at.sum(method(x, *parameters, 0.5, 2.0)))(x32)  # noqa: B023
        assert g.dtype == np.float32


# --------------------------------------------------------------------------------------
# Derivatives in closed form (methods that need no scipy.special rule)
# --------------------------------------------------------------------------------------


def test_norm_logpdf_derivatives():
    x, loc, scale = 1.3, 0.4, 1.7
    z = (x - loc) / scale
    gx, gloc, gscale = at.grad(st.norm.logpdf, argnums=(0, 1, 2))(x, loc, scale)
    assert gx == pytest.approx(-z / scale, rel=1e-14)
    assert gloc == pytest.approx(z / scale, rel=1e-14)
    assert gscale == pytest.approx((z * z - 1) / scale, rel=1e-14)
    assert at.grad(at.grad(st.norm.logpdf))(x, loc, scale) == pytest.approx(-1 / scale**2, rel=1e-14)
    # pdf' = -z pdf / scale
    assert at.grad(st.norm.pdf)(x, loc, scale) == pytest.approx(-z / scale * ss.norm.pdf(x, loc, scale), rel=1e-14)


def test_t_cdf_derivative_is_the_density_and_refuses_df():
    x = np.array([-2.5, -0.3, 0.8, 4.0])
    for df in (1.0, 2.5, 30.0):
        g = at.grad(lambda x: at.sum(st.t.cdf(x, df, 0.5, 2.0)))(x)  # noqa: B023
        np.testing.assert_allclose(g, ss.t.pdf(x, df, 0.5, 2.0), rtol=1e-13)
        g = at.grad(lambda x: at.sum(st.t.logcdf(x, df)))(x)  # noqa: B023
        np.testing.assert_allclose(g, ss.t.pdf(x, df) / ss.t.cdf(x, df), rtol=1e-12)
    check_grads(lambda x: st.t.cdf(x, 3.0), (x,), order=2, seed=0)
    with pytest.raises(TypeError, match=r"scipy\.stats\.t\.cdf is not differentiable in df"):
        at.grad(lambda df: st.t.cdf(1.0, df))(3.0)
    with pytest.raises(TypeError, match=r"gamma\.cdf is not differentiable in a"):
        at.grad(lambda a: st.gamma.cdf(1.0, a))(3.0)


def test_t_logpdf_in_x_matches_its_closed_form():
    x, df = np.array([-3.0, 0.0, 0.5, 2.0]), 4.0
    g = at.grad(lambda x: at.sum(st.t.logpdf(x, df)))(x)
    np.testing.assert_allclose(g, -(df + 1) * x / (df + x * x), rtol=1e-14)
    g = at.grad(lambda x: at.sum(st.t.logpdf(x, np.inf)))(x)  # df = inf: the normal
    np.testing.assert_allclose(g, -x, rtol=1e-14)


def test_edge_values_do_not_poison_the_gradient():
    # Outside the support, at invalid parameters and at nan, the values are constants and
    # the other elements' gradients stay finite and right.
    x = np.array([-1.0, 0.5, 2.0, np.nan])
    g = at.grad(lambda x: at.sum(at.where(np.isfinite(st.expon.logpdf(x)), st.expon.logpdf(x), 0.0)))(x)
    np.testing.assert_array_equal(g, [0.0, -1.0, -1.0, 0.0])
    scale = np.array([1.0, -1.0, 0.0, 2.0])
    g = at.grad(_finite_sum)(scale)
    np.testing.assert_allclose(g, [0.0, 0.0, 0.0, (0.25 - 1) / 2.0])
    g = at.grad(lambda x: at.sum(st.laplace.cdf(x)))(np.array([-800.0, 0.0, 800.0, 1.0]))
    np.testing.assert_allclose(g, [0.0, 0.5, 0.0, 0.5 * np.exp(-1.0)], rtol=1e-15)
    g = at.grad(lambda x: at.sum(st.cauchy.logpdf(x)))(np.array([0.0, 0.5, 1.0, 1e200]))
    np.testing.assert_allclose(g, [0.0, -0.8, -1.0, -2e-200], rtol=1e-14)


def _finite_sum(scale):
    values = st.norm.logpdf(1.0, 0.0, scale)
    return at.sum(at.where(np.isfinite(values), values, 0.0))  # isfinite: a constant


def test_logistic_logpdf_is_smooth_at_zero():
    # SciPy's form -|z| - 2 log1p(exp(-|z|)) would give a second derivative of 0 at 0 through abs.
    assert at.grad(st.logistic.logpdf)(0.0) == 0.0
    assert at.grad(at.grad(st.logistic.logpdf))(0.0) == pytest.approx(-0.5, rel=1e-15)
    assert at.grad(st.logistic.cdf)(0.0) == pytest.approx(0.25, rel=1e-15)


# --------------------------------------------------------------------------------------
# multivariate_normal and dirichlet
# --------------------------------------------------------------------------------------


def _spd(n):
    b = RNG.standard_normal((n, n))
    return b @ b.T + n * np.eye(n)


@pytest.mark.parametrize(
    "x_shape,mean,cov",
    [
        ((3,), None, "matrix"),
        ((4, 3), "vector", "matrix"),
        ((2, 4, 3), "vector", "matrix"),
        ((4, 3), "vector", "diagonal"),
        ((4, 3), "vector", 2.5),
        ((5,), None, 0.7),
        ((), None, 1),
        ((1, 3), None, "matrix"),
    ],
)
def test_multivariate_normal_values_equal_scipys(x_shape, mean, cov):
    dim = 3 if len(x_shape) and x_shape[-1] == 3 else 1
    x = RNG.standard_normal(x_shape)
    mean = RNG.standard_normal(dim) if mean == "vector" else None
    cov = _spd(dim) if cov == "matrix" else RNG.uniform(0.5, 2, dim) if cov == "diagonal" else cov
    for method in ("logpdf", "pdf"):
        ours = getattr(st.multivariate_normal, method)(x, mean, cov)
        theirs = getattr(ss.multivariate_normal, method)(x, mean, cov)
        assert np.shape(ours) == np.shape(theirs)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    np.testing.assert_allclose(st.multivariate_normal.entropy(mean, cov), ss.multivariate_normal.entropy(mean, cov))


def test_multivariate_normal_derivatives():
    dim = 3
    x, mean, cov = RNG.standard_normal((4, dim)), RNG.standard_normal(dim), _spd(dim)
    gx, gmean, gcov = at.grad(lambda x, m, c: at.sum(st.multivariate_normal.logpdf(x, m, c)), argnums=(0, 1, 2))(
        x, mean, cov
    )
    inverse = np.linalg.inv(cov)
    d = x - mean
    np.testing.assert_allclose(gx, -d @ inverse, rtol=1e-12)
    np.testing.assert_allclose(gmean, np.sum(d @ inverse, axis=0), rtol=1e-12)
    # The symmetric cotangent S = (inv d d^T inv - 4 inv) / 2, counted once per element of
    # the lower triangle (which SciPy's eigh and the Cholesky factor read).
    s = 0.5 * (inverse @ d.T @ d @ inverse - 4 * inverse)
    np.testing.assert_allclose(gcov, np.tril(2 * s) - np.diag(np.diag(s)), rtol=1e-11, atol=1e-14)
    check_grads(lambda x, m, c: st.multivariate_normal.logpdf(x, m, c), (x, mean, cov), order=2, seed=3)
    # entropy: d/dcov of log det / 2 is inv / 2, symmetric.
    g = at.grad(lambda c: st.multivariate_normal.entropy(None, c))(cov)
    np.testing.assert_allclose(g, np.tril(inverse) - np.diag(np.diag(inverse)) / 2, rtol=1e-12)


def test_multivariate_normal_singular_covariance():
    u = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    cov = u @ np.diag([2.0, 0.5]) @ u.T  # rank 2 in 3 dimensions
    x = np.array([[0.3, 0.3, -0.2], [0.3, 0.5, -0.2]])  # on the support, and off it
    ours = st.multivariate_normal.logpdf(x, None, cov, allow_singular=True)
    theirs = ss.multivariate_normal.logpdf(x, None, cov, allow_singular=True)
    assert ours[1] == theirs[1] == -np.inf
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_allclose(
        st.multivariate_normal.entropy(None, cov), ss.multivariate_normal.entropy(None, cov), rtol=1e-12
    )
    g = at.grad(lambda x: st.multivariate_normal.logpdf(x, None, cov, allow_singular=True))(x[0])
    expected = -np.linalg.pinv(cov) @ x[0]
    np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-12)
    with pytest.raises(np.linalg.LinAlgError, match="allow_singular"):
        st.multivariate_normal.logpdf(x, None, cov)
    with pytest.raises(TypeError, match="singular covariance"):
        at.grad(lambda c: st.multivariate_normal.logpdf(x[0], None, c, allow_singular=True))(cov)
    with pytest.raises(ValueError, match="positive semidefinite"):
        st.multivariate_normal.logpdf(x, None, -np.eye(3))
    with pytest.raises(ValueError, match=r"'cov' of shape \(2, 2\) does not fit a mean of length 3"):
        st.multivariate_normal.logpdf(x, np.zeros(3), np.eye(2))


def test_dirichlet_values_equal_scipys_and_errors():
    alpha = np.array([0.7, 2.0, 3.5])
    x = np.array([[0.2, 0.5], [0.3, 0.1], [0.5, 0.4]])
    for method in ("logpdf", "pdf"):
        for points in (x, x[:, 0], x[:-1], x[:-1, 0]):
            ours = getattr(st.dirichlet, method)(points, alpha)
            theirs = getattr(ss.dirichlet, method)(points, alpha)
            assert np.shape(ours) == np.shape(theirs)
            np.testing.assert_allclose(ours, theirs, rtol=1e-12)
    with pytest.raises(ValueError, match="greater than 0"):
        st.dirichlet.logpdf(x, -alpha)
    with pytest.raises(ValueError, match="simplex"):
        st.dirichlet.logpdf(x * 1.1, alpha)
    with pytest.raises(ValueError, match=r"3 \(or 2\) entries along its first axis"):
        st.dirichlet.logpdf(np.ones(5) / 5, alpha)


def test_dirichlet_and_special_function_derivatives():
    # Needs autotape's rules for scipy.special.xlogy and gammaln.
    alpha, x = np.array([0.7, 2.0, 3.5]), np.array([0.2, 0.3])
    gx, galpha = at.grad(st.dirichlet.logpdf, argnums=(0, 1))(x, alpha)
    full = np.append(x, 1 - x.sum())
    np.testing.assert_allclose(gx, (alpha[:2] - 1) / x - (alpha[2] - 1) / full[2], rtol=1e-12)
    from scipy.special import digamma

    np.testing.assert_allclose(galpha, np.log(full) - digamma(alpha) + digamma(alpha.sum()), rtol=1e-12)
    # gamma and poisson in their parameters, norm's cdf in x.
    assert at.grad(lambda a: st.gamma.logpdf(2.0, a))(1.5) == pytest.approx(np.log(2.0) - digamma(1.5), rel=1e-12)
    assert at.grad(lambda mu: st.poisson.logpmf(3, mu))(2.0) == pytest.approx(3 / 2.0 - 1, rel=1e-14)
    assert at.grad(st.norm.cdf)(0.3) == pytest.approx(ss.norm.pdf(0.3), rel=1e-14)
    assert at.grad(lambda p: st.binom.logpmf(3, 10, p))(0.4) == pytest.approx(3 / 0.4 - 7 / 0.6, rel=1e-13)


# --------------------------------------------------------------------------------------
# The namespace
# --------------------------------------------------------------------------------------


def test_namespace_has_one_object_per_distribution():
    expected = {
        "norm": {"pdf", "logpdf", "cdf", "logcdf", "sf", "logsf", "ppf"},
        "t": {"pdf", "cdf", "logpdf", "logcdf"},
        "gamma": {"pdf", "cdf", "logpdf"},
        "beta": {"pdf", "cdf", "logpdf"},
        "chi2": {"pdf", "cdf", "logpdf"},
        "poisson": {"pmf", "logpmf", "cdf"},
        "bernoulli": {"logpmf"},
        "binom": {"logpmf"},
        "multivariate_normal": {"pdf", "logpdf", "entropy"},
        "dirichlet": {"pdf", "logpdf"},
        "expon": {"logpdf", "cdf"},
        "laplace": {"logpdf", "cdf"},
        "cauchy": {"logpdf", "cdf"},
        "logistic": {"logpdf", "cdf"},
    }
    assert set(st.__all__) == set(expected)
    from autotape.ops.registry import REGISTRY

    for name, methods in expected.items():
        distribution = getattr(st, name)
        for method in methods:
            assert getattr(distribution, method) is REGISTRY[f"scipy.stats.{name}.{method}"].function
        assert set(methods) <= set(dir(distribution))
    assert st.norm.rvs == ss.norm.rvs  # SciPy's other methods
    assert st.gaussian_kde is ss.gaussian_kde  # and SciPy's other names
    with pytest.raises(TypeError, match="frozen distributions are not supported"):
        st.norm(0, 1)
    with pytest.raises(AttributeError, match="read-only"):
        st.norm.logpdf = None

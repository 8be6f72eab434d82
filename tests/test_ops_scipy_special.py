"""scipy.special ops: exact derivative identities, SciPy's values and conventions, and the special
points the generated tests (tests/test_ops.py) keep away from: the poles of Gamma for rgamma,
x = 0 for xlogy, the far tail of log_ndtr, negative weights in logsumexp.

Every op here also gets the registry's generated properties (forward == SciPy, VJP and JVP
against finite differences at first and second order, float32, complex where meaningful).
"""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

scipy_special = pytest.importorskip("scipy.special")

import autotape as at  # noqa: E402
import autotape.scipy.special as asp  # noqa: E402
from autotape.testing import check_grads  # noqa: E402

sp = scipy_special
X = np.array([0.3, 1.0, 2.5, 4.75])


def grad_sum(f, *args, argnums=0):
    return at.grad(lambda *a: at.sum(f(*a)), argnums=argnums)(*args)


def fresh_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


# --------------------------------------------------------------------------------------
# Dispatch, namespace, optional dependency
# --------------------------------------------------------------------------------------


def test_plain_scipy_ufuncs_on_traced_values_register_the_ops_on_first_use():
    # A fresh interpreter: nothing of autotape's scipy support is imported beforehand.
    out = fresh_python(
        "import sys, numpy as np, scipy.special, autotape as at\n"
        "assert 'autotape.ops.scipy.special' not in sys.modules\n"
        "x = np.array([0.5, 2.0, 7.25])\n"
        "g = at.grad(lambda x: np.sum(scipy.special.gammaln(x)))(x)\n"
        "print(np.array_equal(g, scipy.special.digamma(x)), 'autotape.ops.scipy.special' in sys.modules)\n"
    )
    assert out.split() == ["True", "True"]


def test_gammaln_through_scipy_dispatch_is_digamma_exactly():
    np.testing.assert_array_equal(grad_sum(sp.gammaln, X), sp.digamma(X))
    np.testing.assert_array_equal(at.grad(sp.gammaln)(2.5), sp.digamma(2.5))
    # Second order: psi' is polygamma(1, x), itself differentiable.
    np.testing.assert_array_equal(at.grad(at.grad(sp.gammaln))(1.0), sp.polygamma(1, 1.0))
    assert at.grad(at.grad(sp.gammaln))(1.0) == pytest.approx(math.pi**2 / 6, rel=1e-15)


def test_without_scipy_the_namespaces_raise_an_import_error_naming_the_extra():
    for module in ("special", "signal", "integrate"):
        out = fresh_python(
            "import sys\n"
            "sys.modules['scipy'] = None  # as if SciPy were not installed\n"
            "try:\n"
            f"    import autotape.scipy.{module}\n"
            "except ImportError as error:\n"
            "    print(error)\n"
        )
        assert 'pip install "autotape[scipy]"' in out and f"scipy.{module}" in out


def test_namespace_has_the_ops_their_aliases_and_scipy_s_other_names():
    assert asp.psi is asp.digamma
    assert asp.jn is asp.jv
    assert {"gammaln", "logsumexp", "betainc", "polygamma", "psi", "jn", "gammasgn"} <= set(asp.__all__)
    assert asp.zeta is sp.zeta  # not an op: SciPy's own
    with pytest.raises(AttributeError, match="has no attribute 'no_such_function'"):
        asp.no_such_function  # noqa: B018
    # scipy.special.jn and psi are the ufuncs jv and psi: dispatch finds the ops.
    np.testing.assert_allclose(grad_sum(lambda x: sp.jn(1, x), X), (sp.j0(X) - sp.jv(2, X)) / 2, rtol=1e-15)
    np.testing.assert_array_equal(grad_sum(sp.psi, X), sp.polygamma(1, X))


def test_sinc_is_numpy_s_and_differentiates():
    assert sp.sinc is np.sinc
    x = np.array([-1.5, 0.0, 0.25])
    expected = np.where(x == 0, 0.0, (np.cos(np.pi * x) - np.sinc(x)) / np.where(x == 0, 1, x))
    np.testing.assert_allclose(grad_sum(sp.sinc, x), expected, rtol=1e-13, atol=1e-15)


def test_gammasgn_is_a_constant():
    assert at.grad(lambda x: sp.gammasgn(x) * x)(-0.5) == sp.gammasgn(-0.5) == -1.0
    # On a traced value it runs on the primal values and returns a plain array.
    seen = []

    def f(x):
        seen.append(sp.gammasgn(x))
        return at.sum(x * seen[-1])

    np.testing.assert_array_equal(at.grad(f)(np.array([-0.5, 2.5])), [-1.0, 1.0])
    assert type(seen[0]) is np.ndarray


# --------------------------------------------------------------------------------------
# Derivative identities, exactly or to rounding
# --------------------------------------------------------------------------------------

IDENTITIES = [
    ("gamma", sp.gamma, lambda x: sp.gamma(x) * sp.digamma(x), X),
    ("erf", sp.erf, lambda x: 2 / np.sqrt(np.pi) * np.exp(-x * x), X - 2),
    ("erfc", sp.erfc, lambda x: -2 / np.sqrt(np.pi) * np.exp(-x * x), X - 2),
    ("erfinv", sp.erfinv, lambda y: 1 / (2 / np.sqrt(np.pi) * np.exp(-(sp.erfinv(y) ** 2))), X / 5 - 0.3),
    ("expit", sp.expit, lambda x: sp.expit(x) * sp.expit(-x), X - 2),
    ("logit", sp.logit, lambda p: 1 / p + 1 / (1 - p), X / 5),
    ("ndtr", sp.ndtr, lambda x: np.exp(-x * x / 2) / np.sqrt(2 * np.pi), X - 2),
    ("ndtri", sp.ndtri, lambda p: np.sqrt(2 * np.pi) * np.exp(sp.ndtri(p) ** 2 / 2), X / 5),
    ("entr", sp.entr, lambda x: -np.log(x) - 1, X),
    ("i0", sp.i0, sp.i1, X - 2),
    ("i1", sp.i1, lambda x: sp.i0(x) - sp.i1(x) / x, X - 2),
    ("i0e", sp.i0e, lambda x: sp.i1e(x) - np.sign(x) * sp.i0e(x), X - 2),
    ("j0", sp.j0, lambda x: -sp.j1(x), X),
    ("j1", sp.j1, lambda x: sp.j0(x) - sp.j1(x) / x, X),
    ("y0", sp.y0, lambda x: -sp.y1(x), X),
    ("y1", sp.y1, lambda x: sp.y0(x) - sp.y1(x) / x, X),
]


@pytest.mark.parametrize("name,f,derivative,x", IDENTITIES, ids=[row[0] for row in IDENTITIES])
def test_derivative_identities(name, f, derivative, x):
    np.testing.assert_allclose(grad_sum(f, x), derivative(x), rtol=2e-14, atol=1e-15)
    _, tangent = at.jvp(f, (x,), (np.ones_like(x),))
    np.testing.assert_allclose(tangent, derivative(x), rtol=2e-14, atol=1e-15)


def test_exact_rules_where_the_identity_is_one_function():
    np.testing.assert_array_equal(grad_sum(sp.i0, X), sp.i1(X))
    np.testing.assert_array_equal(grad_sum(sp.j0, X), -sp.j1(X))
    np.testing.assert_array_equal(grad_sum(sp.digamma, X), sp.polygamma(1, X))


def test_polygamma_values_derivatives_and_float32():
    # psi'(1) = pi^2 / 6, psi''(1) = -2 zeta(3), psi'''(1) = pi^4 / 15 (DLMF 5.15.2-3).
    assert asp.polygamma(1, 1.0) == pytest.approx(math.pi**2 / 6, rel=1e-15)
    assert at.grad(lambda x: asp.polygamma(1, x))(1.0) == pytest.approx(-2 * sp.zeta(3), rel=1e-14)
    assert at.grad(at.grad(lambda x: asp.polygamma(1, x)))(1.0) == pytest.approx(math.pi**4 / 15, rel=1e-13)
    n = np.array([0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(grad_sum(lambda x: asp.polygamma(n, x), X), sp.polygamma(n + 1, X))
    x32 = X.astype(np.float32)
    assert sp.polygamma(1, x32).dtype == np.float64  # SciPy's promotes; autotape's keeps float32
    assert asp.polygamma(1, x32).dtype == np.float32
    assert grad_sum(sp.digamma, x32).dtype == np.float32
    np.testing.assert_allclose(asp.polygamma(1, x32), sp.polygamma(1, x32), rtol=1e-6)


def test_beta_betaln_identities():
    a, b = np.array([0.5, 2.0, 3.5]), np.array([1.5, 0.75, 2.0])
    ga, gb = grad_sum(sp.betaln, a, b, argnums=(0, 1))
    np.testing.assert_allclose(ga, sp.digamma(a) - sp.digamma(a + b), rtol=1e-14)
    np.testing.assert_allclose(gb, sp.digamma(b) - sp.digamma(a + b), rtol=1e-14)
    ga, gb = grad_sum(sp.beta, a, b, argnums=(0, 1))
    np.testing.assert_allclose(ga, sp.beta(a, b) * (sp.digamma(a) - sp.digamma(a + b)), rtol=1e-14)
    check_grads(lambda a, b: sp.beta(a, b), (a, b), order=2)


def test_multigammaln_matches_scipy_exactly_and_differentiates_to_a_sum_of_digammas():
    a = np.array([[2.5, 3.0], [7.25, 11.0]])
    for d in (1, 2, 3, 5):
        np.testing.assert_array_equal(at.jvp(lambda a: asp.multigammaln(a, d), (a,), (a,))[0], sp.multigammaln(a, d))
        expected = sum(sp.digamma(a - j / 2) for j in range(d))
        np.testing.assert_allclose(grad_sum(lambda a: asp.multigammaln(a, d), a), expected, rtol=1e-14)
    check_grads(lambda a: asp.multigammaln(a, 3), (a,), order=2)
    with pytest.raises(ValueError, match=r"condition a .* > 0.5 \* \(d-1\)"):
        at.grad(lambda a: at.sum(asp.multigammaln(a, 4)))(np.array([1.0, 3.0]))
    with pytest.raises(ValueError, match="d should be a positive integer"):
        at.grad(lambda a: asp.multigammaln(a, 2.5))(3.0)


# --------------------------------------------------------------------------------------
# Special points
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
def test_rgamma_derivatives_at_the_poles_of_gamma(n):
    # 1/Gamma(x) = (-1)^n n! (x + n) (1 - psi(n + 1) (x + n) + ...) near x = -n (from DLMF 5.5.3):
    # first derivative (-1)^n n!, second -2 (-1)^n n! psi(n + 1).
    sign, factorial = (-1) ** n, math.factorial(n)
    assert at.grad(sp.rgamma)(float(-n)) == pytest.approx(sign * factorial, rel=1e-14)
    second = at.grad(at.grad(sp.rgamma))(float(-n))
    assert second == pytest.approx(-2 * sign * factorial * sp.digamma(n + 1), rel=1e-13)
    # Both sides of the switch between the formulas (x = 1/2) agree with finite differences.
    check_grads(sp.rgamma, (np.array([-n - 0.25, -n + 0.3, 0.5, 0.5 + 1e-9, 1.75]),), order=2)


def test_xlogy_and_xlog1py_at_x_zero_follow_scipy_s_convention():
    assert sp.xlogy(0.0, 0.0) == 0.0 and sp.xlog1py(0.0, -1.0) == 0.0
    # The function is 0 along x = 0, so its y-derivative there is 0, at y = 0 too.
    assert at.grad(lambda y: sp.xlogy(0.0, y))(0.0) == 0.0
    assert at.grad(lambda y: sp.xlogy(0.0, y))(2.0) == 0.0
    assert at.grad(lambda y: sp.xlog1py(0.0, y))(-1.0) == 0.0
    # The x-derivative is log y: log 2 at y = 2, and the true -inf at y = 0.
    assert at.grad(lambda x: sp.xlogy(x, 2.0))(0.0) == math.log(2.0)
    with np.errstate(divide="ignore"):
        assert at.grad(lambda x: sp.xlogy(x, 0.0))(0.0) == -np.inf
    # The Hessian stays symmetric at x = 0: d2/dxdy = 1/y.
    np.testing.assert_array_equal(
        at.hessian(lambda v: sp.xlogy(v[0], v[1]))(np.array([0.0, 2.0])), [[0, 0.5], [0.5, 0]]
    )
    np.testing.assert_array_equal(
        at.hessian(lambda v: sp.xlog1py(v[0], v[1]))(np.array([0.0, 1.0])), [[0, 0.5], [0.5, 0]]
    )
    # Entropy terms: d/dp of -xlogy(p, p) = -(log p + 1), as entr's.
    p = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(grad_sum(lambda p: -sp.xlogy(p, p), p), -(np.log(p) + 1), rtol=1e-15)
    np.testing.assert_allclose(grad_sum(sp.entr, p), -(np.log(p) + 1), rtol=1e-15)


def test_log_ndtr_gradient_in_the_far_left_tail():
    # phi(x)/Phi(x) for x = -30 from the asymptotic series of Mills' ratio (A&S 26.2.12):
    # |x| / (1 - 1/x^2 + 3/x^4 - 15/x^6 + ...), where ndtr(x) itself is 5e-198.
    x = -30.0
    t = 1 / x**2
    expected = 30 / (1 - t + 3 * t**2 - 15 * t**3 + 105 * t**4 - 945 * t**5 + 10395 * t**6)
    assert at.grad(sp.log_ndtr)(x) == pytest.approx(expected, rel=1e-12)
    assert at.grad(sp.log_ndtr)(-300.0) == pytest.approx(300.0033, rel=1e-6)
    assert at.grad(sp.log_ndtr)(10.0) == pytest.approx(np.exp(-50) / np.sqrt(2 * np.pi), rel=1e-12)


def test_incomplete_gamma_and_beta_derivatives_in_x():
    a, x = np.array([0.5, 1.0, 2.5]), np.array([0.25, 1.5, 4.0])
    density = x ** (a - 1) * np.exp(-x) / sp.gamma(a)  # DLMF 8.2.1, 8.2.4
    np.testing.assert_allclose(grad_sum(lambda x: sp.gammainc(a, x), x), density, rtol=1e-14)
    np.testing.assert_allclose(grad_sum(lambda x: sp.gammaincc(a, x), x), -density, rtol=1e-14)
    b, u = np.array([1.0, 0.5, 3.0]), np.array([0.2, 0.5, 0.9])
    density = u ** (a - 1) * (1 - u) ** (b - 1) / sp.beta(a, b)  # DLMF 8.17.1-2
    np.testing.assert_allclose(grad_sum(lambda u: sp.betainc(a, b, u), u), density, rtol=1e-14)
    check_grads(lambda u: sp.betainc(a, b, u), (u,), order=2)
    # a = b = 1 is the uniform distribution function: derivative 1 everywhere, x = 0 included.
    np.testing.assert_array_equal(grad_sum(lambda u: sp.betainc(1.0, 1.0, u), np.array([0.0, 0.5, 1.0])), 1.0)


@pytest.mark.parametrize(
    "f,name,args",
    [
        (lambda v, x: sp.iv(v, x), "scipy.special.iv: the derivative with respect to the order v", (1.5, 2.0)),
        (lambda v, x: sp.jv(v, x), "scipy.special.jv: the derivative with respect to the order v", (1.5, 2.0)),
        (
            lambda n, x: asp.polygamma(n, x),
            "scipy.special.polygamma: the derivative with respect to the order n",
            (1.0, 2.0),
        ),
        (
            lambda a, x: sp.gammainc(a, x),
            "scipy.special.gammainc: the derivative with respect to the shape a",
            (1.5, 2.0),
        ),
        (
            lambda a, x: sp.betainc(a, 2.0, x),
            "scipy.special.betainc: the derivative with respect to the parameter a",
            (1.5, 0.5),
        ),
    ],
    ids=["iv", "jv", "polygamma", "gammainc", "betainc"],
)
def test_orders_and_parameters_are_not_differentiated_silently(f, name, args):
    with pytest.raises(NotImplementedError, match=name):
        at.grad(f)(*args)
    with pytest.raises(NotImplementedError, match=name):
        at.jvp(lambda p: f(p, args[1]), (args[0],), (1.0,))
    # As a constant (or not an argnum), the other argument differentiates.
    assert np.isfinite(at.grad(f, argnums=1)(*args))
    assert np.isfinite(at.grad(lambda x: f(at.stop_gradient(args[0]), x))(args[1]))


def test_bessel_functions_of_any_order_in_x():
    v, x = np.array([-1.5, 0.0, 1.0, 2.5]), np.array([0.5, 1.0, 2.0, 3.5])
    np.testing.assert_allclose(grad_sum(lambda x: sp.iv(v, x), x), (sp.iv(v - 1, x) + sp.iv(v + 1, x)) / 2, rtol=1e-14)
    np.testing.assert_allclose(grad_sum(lambda x: sp.jv(v, x), x), (sp.jv(v - 1, x) - sp.jv(v + 1, x)) / 2, rtol=1e-14)
    n = np.array([0, 1, 2, 3])
    np.testing.assert_allclose(grad_sum(lambda x: sp.yn(n, x), x), (sp.yn(n - 1, x) - sp.yn(n + 1, x)) / 2, rtol=1e-14)
    # ive = exp(-|x|) iv: the exp's derivative shows.
    np.testing.assert_allclose(
        grad_sum(lambda x: sp.ive(v, x), x),
        np.exp(-x) * ((sp.iv(v - 1, x) + sp.iv(v + 1, x)) / 2 - sp.iv(v, x)),
        rtol=1e-13,
    )
    check_grads(lambda x: sp.jv(v, x) * sp.iv(v, x), (x,), order=2)


def test_complex_gamma_and_erf_are_holomorphic():
    z = 1.5 + 0.75j
    assert at.grad(sp.gamma, holomorphic=True)(z) == pytest.approx(sp.gamma(z) * sp.digamma(z), rel=1e-14)
    assert at.grad(sp.erf, holomorphic=True)(z) == pytest.approx(2 / np.sqrt(np.pi) * np.exp(-z * z), rel=1e-14)


def test_shapes_that_do_not_broadcast_name_the_op():
    with pytest.raises(ValueError, match=r"betaln: operands of shapes \(2,\), \(3,\) do not broadcast"):
        at.grad(lambda a: at.sum(sp.betaln(a, np.ones(3))))(np.ones(2))
    with pytest.raises(ValueError, match=r"betainc: operands of shapes"):
        at.grad(lambda x: at.sum(sp.betainc(np.ones(2), 1.0, x)))(np.full(3, 0.5))


# --------------------------------------------------------------------------------------
# logsumexp, softmax, log_softmax: SciPy's signatures and semantics
# --------------------------------------------------------------------------------------

A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_values_are_scipy_s_and_the_gradient_is_the_weighted_softmax(axis, keepdims):
    b = np.array([[1.0, 2.0, 0.5], [0.25, 1.0, 3.0]])
    out, vjp = at.vjp(lambda a, b: asp.logsumexp(a, axis=axis, b=b, keepdims=keepdims), A, b)
    np.testing.assert_array_equal(out, sp.logsumexp(A, axis=axis, b=b, keepdims=keepdims))
    np.testing.assert_array_equal(asp.logsumexp(A, axis=axis, b=b, keepdims=keepdims), out)
    ga, gb = vjp(np.ones_like(out))
    total = np.sum(b * np.exp(A), axis=axis, keepdims=True)
    np.testing.assert_allclose(ga, b * np.exp(A) / total, rtol=1e-14)
    np.testing.assert_allclose(gb, np.exp(A) / total, rtol=1e-14)
    check_grads(lambda a, b: asp.logsumexp(a, axis=axis, b=b, keepdims=keepdims), (A, b), order=2)


def test_logsumexp_hessian_is_diag_p_minus_p_p_transposed():
    a = np.array([0.5, -1.0, 2.0, 0.0])
    p = sp.softmax(a)
    np.testing.assert_allclose(at.hessian(asp.logsumexp)(a), np.diag(p) - np.outer(p, p), rtol=1e-13, atol=1e-16)


def test_logsumexp_with_negative_weights_and_return_sign():
    a, b = np.array([1.0, 2.0]), np.array([1.0, -1.0])  # log|e - e^2|, sign -1
    out, sign = asp.logsumexp(a, b=b, return_sign=True)
    assert (out, sign) == sp.logsumexp(a, b=b, return_sign=True)
    assert sign == -1.0 and out == pytest.approx(np.log(np.exp(2) - np.exp(1)), rel=1e-15)
    # Traced: the value differentiates, d log|S| / da = b e^a / S; the sign is a plain constant.
    signs: list = []
    ga = at.grad(lambda a: _keep(asp.logsumexp(a, b=b, return_sign=True), signs))(a)
    s = np.sum(b * np.exp(a))
    np.testing.assert_allclose(ga, b * np.exp(a) / s, rtol=1e-14)
    assert signs[0] == -1.0 and isinstance(signs[0], (np.ndarray, np.generic))
    gb = at.grad(lambda b: asp.logsumexp(a, b=b, return_sign=True)[0])(b)
    np.testing.assert_allclose(gb, np.exp(a) / s, rtol=1e-14)
    check_grads(lambda a, b: asp.logsumexp(a, b=b, return_sign=True)[0], (a, b), order=2)
    # Without return_sign a negative sum is NaN, as in SciPy, with a NaN gradient.
    with np.errstate(invalid="ignore"):
        assert np.isnan(asp.logsumexp(a, b=b)) and np.isnan(sp.logsumexp(a, b=b))
        assert np.isnan(at.grad(lambda a: asp.logsumexp(a, b=b))(a)).all()
    # Per row, keepdims: the signs have the output's shape.
    a2, b2 = np.stack([a, a]), np.stack([b, -b])
    out2, sign2 = asp.logsumexp(a2, axis=1, b=b2, return_sign=True)
    np.testing.assert_array_equal(sign2, [-1.0, 1.0])
    traced_sign2 = []
    at.grad(lambda a: at.sum(_keep(asp.logsumexp(a, axis=1, b=b2, keepdims=True, return_sign=True), traced_sign2)))(a2)
    np.testing.assert_array_equal(traced_sign2[0], [[-1.0], [1.0]])


def _keep(pair, store):
    store.append(pair[1])
    return pair[0]


def test_logsumexp_zero_weights_drop_their_terms_even_infinite_ones():
    a, b = np.array([np.inf, 1.0, 2.0]), np.array([0.0, 1.0, 1.0])
    assert asp.logsumexp(a, b=b) == sp.logsumexp(a, b=b) == pytest.approx(np.logaddexp(1.0, 2.0), rel=1e-15)
    ga, gb = at.grad(lambda a, b: asp.logsumexp(a, b=b), argnums=(0, 1))(a, b)
    p = np.exp([1.0, 2.0]) / np.sum(np.exp([1.0, 2.0]))
    np.testing.assert_allclose(ga, [0.0, *p], rtol=1e-14)
    # d/db at the dropped term is e^a / S = inf, the true derivative.
    assert gb[0] == np.inf
    np.testing.assert_allclose(gb[1:], p, rtol=1e-14)
    # With a finite a, a zero weight's term still has the derivative e^a / S in b, and 0 in a.
    a = np.array([0.5, 1.0, 2.0])
    ga, gb = at.grad(lambda a, b: asp.logsumexp(a, b=b), argnums=(0, 1))(a, b)
    total = np.exp(1.0) + np.exp(2.0)
    np.testing.assert_allclose(ga, [0.0, np.exp(1.0) / total, np.exp(2.0) / total], rtol=1e-14)
    np.testing.assert_allclose(gb, np.exp(a) / total, rtol=1e-14)


def test_logsumexp_shapes_follow_scipy():
    # A 0-d input is made 1-D: keepdims gives shape (1,).
    assert asp.logsumexp(np.array(1.5), keepdims=True).shape == sp.logsumexp(1.5, keepdims=True).shape == (1,)
    g = at.grad(lambda a: at.sum(asp.logsumexp(a, keepdims=True)))(np.array(1.5))
    assert g.shape == () and g == 1.0
    # a and b broadcast; the reduction runs over the broadcast shape.
    a, b = np.array([0.5, 1.0]), np.array([[1.0], [2.0], [3.0]])
    out, vjp = at.vjp(lambda a, b: asp.logsumexp(a, axis=0, b=b), a, b)
    np.testing.assert_array_equal(out, sp.logsumexp(a, axis=0, b=b))
    ga, gb = vjp(np.array([1.0, -2.0]))
    assert ga.shape == (2,) and gb.shape == (3, 1)
    check_grads(lambda a, b: asp.logsumexp(a, axis=0, b=b), (a, b), order=2)
    # Large inputs do not overflow.
    assert asp.logsumexp(np.array([1000.0, 1000.0])) == pytest.approx(1000 + np.log(2), rel=1e-15)
    np.testing.assert_allclose(at.grad(asp.logsumexp)(np.array([1000.0, 1000.0])), [0.5, 0.5], rtol=1e-15)


def test_complex_logsumexp_is_holomorphic_and_refuses_return_sign():
    z = np.array([0.5 + 0.25j, -0.25 + 0.5j])
    g = at.grad(lambda z: at.real(asp.logsumexp(z)))(z)
    # grad of Re f is df/dx - i df/dy = f'(z) for a holomorphic f (docs/complex.md): e^z / sum e^z.
    np.testing.assert_allclose(g, np.exp(z) / np.sum(np.exp(z)), rtol=1e-14)
    with pytest.raises(TypeError, match="return_sign=True with complex input"):
        at.grad(lambda z: at.real(asp.logsumexp(z, return_sign=True)[0]))(z)


@pytest.mark.parametrize("f,reference", [(asp.softmax, sp.softmax), (asp.log_softmax, sp.log_softmax)])
def test_softmax_and_log_softmax_default_to_all_axes_as_scipy(f, reference):
    np.testing.assert_allclose(f(A), reference(A), rtol=1e-14, atol=1e-16)
    assert not np.allclose(f(A), getattr(at, f.__name__)(A))  # autotape's own default axis is -1
    for axis in (None, 0, 1, (0, 1)):
        np.testing.assert_allclose(f(A, axis=axis), reference(A, axis=axis), rtol=1e-14)
        check_grads(lambda a: f(a, axis=axis), (A,), order=2)
    # Through a traced call too, with SciPy's values.
    np.testing.assert_allclose(at.vjp(f, A)[0], reference(A), rtol=1e-14)
    # softmax is the gradient of logsumexp (SciPy's docstring).
    np.testing.assert_allclose(at.grad(asp.logsumexp)(A), asp.softmax(A), rtol=1e-14)


def test_logsumexp_over_an_empty_axis_is_minus_infinity_with_zero_derivatives():
    # It raised "zero-size array to reduction operation maximum"; SciPy gives -inf.
    x = np.zeros((0, 3))
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.array_equal(asp.logsumexp(x, axis=0), scipy_special.logsumexp(x, axis=0))
        assert at.grad(lambda x: np.sum(asp.logsumexp(x, axis=0) * 0.0))(x).shape == (0, 3)
        out, tangent = at.jvp(lambda x: asp.logsumexp(x, axis=0), (x,), (x,))
    assert np.array_equal(out, np.full(3, -np.inf)) and np.array_equal(tangent, np.zeros(3))

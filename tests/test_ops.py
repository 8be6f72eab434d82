"""Property-based tests of every op in the registry, generated from each op's own spec.

Each op is registered (``autotape.ops.registry.REGISTRY``) with a
:class:`~autotape.ops.registry.Spec`: a strategy drawing its operands (shapes, values
inside the op's smooth domain, static parameters such as ``axis``) with the operands to
differentiate, and a reference (NumPy's own function, or an independent formula for
ops NumPy lacks). From the specs, every op gets the same properties:

1. forward: equal to the reference (values, shape, dtype), as plain NumPy values
   outside any transform, and inside one; traced and untraced calls agree exactly;
2. gradient: ``grad(sum(op(...) * v))`` equals central finite differences of the
   reference, for every differentiable operand, with broadcasting; each gradient
   has its operand's shape and dtype;
3. second order: the gradient of ``sum(grad(...) * u)`` (with respect to the operands
   and the cotangent ``v``) equals finite differences of the first gradient, and the
   value returned by ``value_and_grad`` differentiates like the op itself;
4. float32 in, float32 out: outputs, gradients and the cotangents the VJP rules
   produce stay float32;
5. JVP: ``at.jvp`` equals central differences along a random tangent ``u``, and
   ``<v, J u>`` from the JVP equals ``<J^T v, u>`` from the VJP;
6. complex operands (ops whose spec says they accept them): the gradient of a real
   loss is ``dL/dx - i dL/dy`` (JAX's convention) and the JVP checks of 5 hold.

A registered op without a spec fails the suite. The documented subgradient
conventions and the shape-combination cases of matmul and getitem have their own
exact tests below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autotape as at
from autotape.ops.registry import REGISTRY
from autotape.testing import cases, check_grads
from autotape.testing.cases import Case


def _examples(n: int) -> int:
    """``n`` examples under the default ("dev", 25 examples) profile, scaled for the others."""
    return max(1, round(n * settings.default.max_examples / 25))


# --------------------------------------------------------------------------------------
# Finite differences
# --------------------------------------------------------------------------------------

FD_STEP = 1e-6
FD_RTOL = 1e-6
FD_ATOL = 1e-6


def assert_grads_match_fd(
    fun, args, grads, rng, *, step=FD_STEP, rtol=FD_RTOL, atol=FD_ATOL, max_elementwise=8, directions=2, what="gradient"
):
    """Check ``grads[i]`` against central differences of the scalar ``fun(*args)``.

    Operands with at most ``max_elementwise`` elements are checked element by element;
    larger ones along ``directions`` random Gaussian directions. The analytic
    directional derivative ``<g, d>`` must match ``(f(x + h d) - f(x - h d)) / 2h`` to
    ``atol + rtol * max(sum |g * d|, |fd|)``.
    """
    args = [np.asarray(a, dtype=np.float64) for a in args]
    assert len(grads) == len(args)
    for i, (x, g) in enumerate(zip(args, grads)):
        g = np.asarray(g, dtype=np.float64)
        if x.size <= max_elementwise:
            dirs = [np.reshape(np.eye(x.size)[j], x.shape) for j in range(x.size)]
        else:
            dirs = [rng.standard_normal(x.shape) for _ in range(directions)]
        for d in dirs:
            plus, minus = list(args), list(args)
            plus[i], minus[i] = x + step * d, x - step * d
            fd = (float(fun(*plus)) - float(fun(*minus))) / (2 * step)
            analytic = float(np.sum(g * d))
            scale = max(float(np.sum(np.abs(g * d))), abs(fd))
            assert abs(analytic - fd) <= atol + rtol * scale, (
                f"{what} of operand {i} (shape {x.shape}) along direction\n{d}\n"
                f"analytic {analytic!r} != finite difference {fd!r}\n"
                f"operand:\n{x}\nanalytic gradient:\n{g}"
            )


# --------------------------------------------------------------------------------------
# Specs: each op's own, from the registry
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpSpec:
    """An op's registered :class:`~autotape.ops.registry.Spec`, resolved for the checks:
    the strategy of its cases, its reference (NumPy's function unless the spec names
    an independent one), and how it takes its operands."""

    cases: st.SearchStrategy
    complex_cases: st.SearchStrategy
    reference: Callable
    domain: str
    sequence: bool = False
    complex: bool = False
    second_order: bool = True
    float32: bool = True
    caller: Callable | None = None

    def call(self, fn: Callable, args, params: dict) -> Any:
        if self.caller is not None:
            out = self.caller(fn, tuple(args), params)
        else:
            out = fn(list(args), **params) if self.sequence else fn(*args, **params)
        if isinstance(out, (tuple, list)):
            # Several outputs (meshgrid, gradient along several axes, linspace's step):
            # checked as one array, their raveled values joined.
            return at.concatenate([at.ravel(part) for part in out])
        return out


SEEDS = st.integers(0, 2**32 - 1)
DIFFERENTIABLE = {key: info for key, info in REGISTRY.items() if info.kind != "constant"}
OP_NAMES = sorted(DIFFERENTIABLE)


def SPEC(name: str) -> OpSpec:
    info = DIFFERENTIABLE[name]
    if info.spec is None:
        pytest.fail(f"op {name!r} is registered without a test spec; give its definition spec=Spec(...)")
    spec = info.spec
    return OpSpec(
        spec.cases(cases),
        (spec.complex_cases or spec.cases)(cases),
        spec.reference or info.numpy[0],
        spec.domain,
        spec.sequence,
        spec.complex,
        spec.second_order,
        spec.float32,
        spec.call,
    )


def OP(name: str) -> Callable:
    return DIFFERENTIABLE[name].function


# Op names that autotape's own API keeps at the top level: the op is autotape.ops.<name>
# (and NumPy's dispatch target). at.trace is the transform that records a tape.
TAKEN_AT_TOP_LEVEL = {"trace"}


def test_every_op_has_a_spec_and_every_primitive_its_rules():
    for name, info in DIFFERENTIABLE.items():
        assert info.spec is not None, f"{name} has no test spec"
        assert info.spec.domain, f"{name}'s spec does not say what domain it draws from"
        for prim in info.primitives:
            assert prim.vjps, f"{name}: primitive {prim.name} has no VJP rules"
            assert prim.linear or prim.jvps, f"{name}: primitive {prim.name} has no JVP rules"
        if info.module in ("numpy", "autotape"):
            home = at.ops if info.name in TAKEN_AT_TOP_LEVEL else at
            assert getattr(home, info.name) is info.function, f"at.{info.name} is not the registered function"


# --------------------------------------------------------------------------------------
# The checks, shared by the generated properties and the explicit cases
# --------------------------------------------------------------------------------------


def _is_plain(value) -> bool:
    return type(value) is np.ndarray or isinstance(value, np.generic)


def _loss(spec: OpSpec, op, case: Case, v):
    """``xs -> sum(op(..xs..) * v)``: a scalar function of the differentiated operands; its
    real part for an op with complex outputs of real operands (``fft``), the pairing of the
    output with the cotangent ``v`` under JAX's convention."""

    def loss(*xs):
        total = at.sum(spec.call(op, case.substitute(xs), case.params) * v)
        return at.real(total) if total.dtype.kind == "c" else total

    return loss


def check_forward(spec: OpSpec, op, case: Case, rtol=1e-12, atol=1e-14):
    expected = spec.call(spec.reference, case.args, case.params)
    out = spec.call(op, case.args, case.params)
    assert _is_plain(out), f"outside a transform the op returned {type(out).__name__}, not a NumPy value"
    assert np.shape(out) == np.shape(expected)
    assert out.dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=atol)
    # Inside a transform (the forward rule rather than the plain implementation).
    traced_out, _ = at.vjp(lambda *xs: spec.call(op, case.substitute(xs), case.params), *case.diff_args)
    assert _is_plain(traced_out)
    assert np.shape(traced_out) == np.shape(expected)
    assert traced_out.dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(traced_out, expected, rtol=rtol, atol=atol)
    np.testing.assert_array_equal(traced_out, out, err_msg="traced and untraced calls differ")
    return out


def check_gradient(spec: OpSpec, op, case: Case, rng, **fd_options):
    expected = spec.call(spec.reference, case.args, case.params)
    v = _random_like(expected, rng)  # complex for complex outputs, so both parts are checked
    argnums = tuple(range(len(case.diff)))
    grads = at.grad(_loss(spec, op, case, v), argnums=argnums)(*case.diff_args)
    assert isinstance(grads, tuple) and len(grads) == len(argnums)
    for x, g in zip(case.diff_args, grads):
        assert type(g) is np.ndarray, f"gradient is a {type(g).__name__}"
        assert g.shape == np.shape(x), f"gradient shape {g.shape} for an operand of shape {np.shape(x)}"
        assert g.dtype == np.asarray(x).dtype
    reference_loss = lambda *xs: np.real(np.sum(spec.call(spec.reference, case.substitute(xs), case.params) * v))  # noqa: E731
    assert_grads_match_fd(reference_loss, case.diff_args, grads, rng, **fd_options)
    return grads


def check_second_order(spec: OpSpec, op, case: Case, rng):
    expected = spec.call(spec.reference, case.args, case.params)
    v = rng.standard_normal(np.shape(expected))
    k = len(case.diff)
    argnums = tuple(range(k))
    u = [rng.standard_normal(np.shape(x)) for x in case.diff_args]

    def first_grads(*xs, v):
        return at.grad(_loss(spec, op, case, v), argnums=argnums)(*xs)

    def contracted(*xs_and_v):
        # S(x, v) = sum_i <grad_i f(x; v), u_i>; its gradient is (H u, J u).
        *xs, v_ = xs_and_v
        return sum(at.sum(g * ui) for g, ui in zip(first_grads(*xs, v=v_), u))

    second = at.grad(contracted, argnums=tuple(range(k + 1)))(*case.diff_args, v)
    for x, g in zip([*case.diff_args, v], second):
        assert g.shape == np.shape(x) and g.dtype == np.float64
    assert_grads_match_fd(contracted, [*case.diff_args, v], second, rng, what="second-order gradient")

    # The forward rule run under an outer transform differentiates like the op: the
    # value returned by value_and_grad has the first-order gradient.
    first = first_grads(*case.diff_args, v=v)
    through_value = at.grad(
        lambda *xs: at.value_and_grad(_loss(spec, op, case, v), argnums=argnums)(*xs)[0], argnums=argnums
    )(*case.diff_args)
    for i, (a, b) in enumerate(zip(through_value, first)):
        np.testing.assert_allclose(
            a,
            b,
            rtol=1e-10,
            atol=1e-12,
            err_msg=f"grad of value_and_grad's value differs from grad, operand {i}",
        )


def check_float32(spec: OpSpec, op, case: Case, rng, name: str):
    case32 = case.cast(np.float32)
    expected = spec.call(spec.reference, case32.args, case32.params)
    out = spec.call(op, case32.args, case32.params)
    assert _is_plain(out)
    assert out.dtype == np.asarray(expected).dtype
    if name != "astype":  # astype's target dtype is its parameter (float64 here)
        assert out.dtype == np.float32, f"float32 operands gave a {out.dtype} output"
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)

    cotangent_dtypes = []

    @at.primitive
    def probe(x):
        return x, ()

    probe.defvjp(lambda g: cotangent_dtypes.append(np.asarray(g).dtype) or g)

    v = rng.standard_normal(np.shape(out))
    v32 = v.astype(np.float32)
    argnums = tuple(range(len(case.diff)))
    loss32 = lambda *xs: _loss(spec, op, case32, v32)(*[probe(x) for x in xs])  # noqa: E731
    grads32 = at.grad(loss32, argnums=argnums)(*case32.diff_args)
    for x, g in zip(case32.diff_args, grads32):
        assert g.dtype == np.float32 and g.shape == x.shape
    assert cotangent_dtypes and all(dt == np.float32 for dt in cotangent_dtypes), (
        f"the VJP rules of {name} produced cotangents of dtypes {cotangent_dtypes} for float32 operands"
    )
    # Same values as in float64, at the float32 points.
    case64 = case32.cast(np.float64)
    grads64 = at.grad(_loss(spec, op, case64, v32.astype(np.float64)), argnums=argnums)(*case64.diff_args)
    for g32, g64 in zip(grads32, grads64):
        scale = max(1.0, float(np.max(np.abs(g64), initial=0)))
        np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-4 * scale)


# --------------------------------------------------------------------------------------
# The generated properties, one test per op and property
# --------------------------------------------------------------------------------------


def _tangents(case: Case, rng) -> list:
    return [_random_like(x, rng) for x in case.diff_args]


def _random_like(x, rng):
    x = np.asarray(x)
    t = rng.standard_normal(x.shape)
    if x.dtype.kind == "c":
        t = t + 1j * rng.standard_normal(x.shape)
    return t.astype(x.dtype)


def _real_pairing(a, b) -> float:
    """Re(sum(a * b)): the pairing of a cotangent with a tangent under JAX's convention
    (no conjugation), for real and complex values alike."""
    return float(np.real(np.sum(np.asarray(a) * np.asarray(b))))


def check_jvp(spec: OpSpec, op, case: Case, rng, step=1e-6, rtol=1e-6, atol=1e-6):
    """The JVP rules against central differences along a random tangent, and against the
    VJP rules: ``<v, J u> == <J^T v, u>``."""
    fun = lambda *xs: spec.call(op, case.substitute(xs), case.params)  # noqa: E731
    reference = lambda *xs: spec.call(spec.reference, case.substitute(xs), case.params)  # noqa: E731
    primals = [np.asarray(x) if not isinstance(x, (float, complex)) else x for x in case.diff_args]
    u = _tangents(case, rng)
    out, tangent_out = at.jvp(fun, tuple(primals), tuple(np.asarray(t) if np.ndim(t) else t for t in u))
    expected = reference(*case.diff_args)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)
    assert np.shape(tangent_out) == np.shape(expected)
    assert np.asarray(tangent_out).dtype == np.asarray(expected).dtype
    plus = reference(*[x + step * t for x, t in zip(case.diff_args, u)])
    minus = reference(*[x - step * t for x, t in zip(case.diff_args, u)])
    fd = (np.asarray(plus) - np.asarray(minus)) / (2 * step)
    scale = np.max(np.abs(fd), initial=1.0)
    np.testing.assert_allclose(tangent_out, fd, rtol=rtol, atol=atol * scale, err_msg="JVP vs finite differences")
    v = _random_like(expected, rng)
    _, vjp_fn = at.vjp(fun, *primals)
    cotangents = vjp_fn(v)
    left = _real_pairing(v, tangent_out)
    right = sum(_real_pairing(c, t) for c, t in zip(cotangents, u))
    assert abs(left - right) <= 1e-10 * max(1.0, abs(left)), f"<v, J u> = {left} but <J^T v, u> = {right}"


def check_complex(spec: OpSpec, op, case: Case, rng, step=1e-6, rtol=1e-6, atol=1e-6):
    """On complex operands, ``grad`` of the real loss ``Re(sum(op(z) * v))`` is
    ``dL/dx - i dL/dy`` (JAX's convention), checked by central differences of both parts;
    then the JVP checks of :func:`check_jvp`."""
    case = case.complexify()
    expected = spec.call(spec.reference, case.args, case.params)
    v = _random_like(np.asarray(expected) * (1 + 0j), rng)
    loss = lambda *xs: at.sum(at.real(spec.call(op, case.substitute(xs), case.params) * v))  # noqa: E731
    ref_loss = lambda *xs: float(np.real(np.sum(spec.call(spec.reference, case.substitute(xs), case.params) * v)))  # noqa: E731
    grads = at.grad(loss, argnums=tuple(range(len(case.diff))))(*case.diff_args)
    for i, (z, g) in enumerate(zip(case.diff_args, grads)):
        z = np.asarray(z)
        assert np.shape(g) == z.shape and np.asarray(g).dtype == z.dtype
        for _ in range(2):
            d = rng.standard_normal(z.shape)
            for direction, part in ((d, np.real), (1j * d, lambda a: -np.imag(a))):
                args_plus, args_minus = list(case.diff_args), list(case.diff_args)
                args_plus[i], args_minus[i] = z + step * direction, z - step * direction
                fd = (ref_loss(*args_plus) - ref_loss(*args_minus)) / (2 * step)
                analytic = float(np.sum(part(np.asarray(g)) * d))
                assert abs(analytic - fd) <= atol + rtol * max(abs(fd), float(np.sum(np.abs(g * d)))), (
                    f"complex gradient of operand {i}: analytic {analytic} != finite difference {fd}"
                )
    check_jvp(spec, op, case, rng, step=step, rtol=rtol, atol=atol)


def _settings(n: int):
    return settings(max_examples=_examples(n), deadline=None, report_multiple_bugs=False)


@pytest.mark.parametrize("name", OP_NAMES)
@_settings(8)
@given(data=st.data())
def test_forward_matches_numpy(name, data):
    spec = SPEC(name)
    check_forward(spec, OP(name), data.draw(spec.cases, label="case"))


@pytest.mark.parametrize("name", OP_NAMES)
@_settings(8)
@given(data=st.data())
def test_gradient_matches_finite_differences(name, data):
    spec = SPEC(name)
    case = data.draw(spec.cases, label="case")
    check_gradient(spec, OP(name), case, np.random.default_rng(data.draw(SEEDS, label="seed")))


@pytest.mark.parametrize("name", OP_NAMES)
@_settings(5)
@given(data=st.data())
def test_second_order_matches_finite_differences(name, data):
    spec = SPEC(name)
    if not spec.second_order:
        pytest.skip(f"{name}: second order not checked (see its spec)")
    case = data.draw(spec.cases, label="case")
    check_second_order(spec, OP(name), case, np.random.default_rng(data.draw(SEEDS, label="seed")))


@pytest.mark.parametrize("name", OP_NAMES)
@_settings(5)
@given(data=st.data())
def test_float32_in_float32_out(name, data):
    spec = SPEC(name)
    if not spec.float32:
        pytest.skip(f"{name} does not keep float32 (its result dtype is fixed: see its docstring)")
    case = data.draw(spec.cases, label="case")
    check_float32(spec, OP(name), case, np.random.default_rng(data.draw(SEEDS, label="seed")), name)


@pytest.mark.parametrize("name", OP_NAMES)
@_settings(8)
@given(data=st.data())
def test_jvp_matches_finite_differences_and_the_vjp(name, data):
    spec = SPEC(name)
    case = data.draw(spec.cases, label="case")
    check_jvp(spec, OP(name), case, np.random.default_rng(data.draw(SEEDS, label="seed")))


COMPLEX_NAMES = [name for name in OP_NAMES if DIFFERENTIABLE[name].spec and DIFFERENTIABLE[name].spec.complex]


@pytest.mark.parametrize("name", COMPLEX_NAMES)
@_settings(5)
@given(data=st.data())
def test_complex_operands_follow_the_convention(name, data):
    spec = SPEC(name)
    case = data.draw(spec.complex_cases, label="case")
    check_complex(spec, OP(name), case, np.random.default_rng(data.draw(SEEDS, label="seed")))


# --------------------------------------------------------------------------------------
# Documented subgradient conventions, exactly
# --------------------------------------------------------------------------------------


def _grad_sum(f, *args, argnums=0):
    return at.grad(lambda *a: at.sum(f(*a)), argnums=argnums)(*args)


def test_relu_and_abs_have_zero_subgradient_at_zero():
    x = np.array([-1.5, 0.0, -0.0, 2.0])
    np.testing.assert_array_equal(_grad_sum(at.relu, x), [0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(_grad_sum(at.abs, x), [-1.0, 0.0, 0.0, 1.0])
    assert at.grad(at.relu)(0.0) == 0.0
    assert at.grad(at.abs)(0.0) == 0.0
    assert at.grad(at.grad(at.relu))(0.0) == 0.0
    assert at.grad(at.grad(at.abs))(0.0) == 0.0


@pytest.mark.parametrize("op", [at.maximum, at.minimum], ids=["maximum", "minimum"])
def test_maximum_and_minimum_split_ties_equally(op):
    assert at.grad(lambda x, y: op(x, y), argnums=(0, 1))(1.5, 1.5) == (0.5, 0.5)
    # Ties at elements 0 and 2 against a broadcast scalar: the scalar collects its halves.
    x = np.array([1.0, 2.0, 1.0, 0.0])
    gx, gy = at.grad(lambda x, y: at.sum(op(x, y) * np.array([1.0, 2.0, 4.0, 8.0])), argnums=(0, 1))(x, 1.0)
    if op is at.maximum:
        np.testing.assert_array_equal(gx, [0.5, 2.0, 2.0, 0.0])
        assert gy == 0.5 + 2.0 + 8.0
    else:
        np.testing.assert_array_equal(gx, [0.5, 0.0, 2.0, 8.0])
        assert gy == 0.5 + 2.0 + 2.0


@pytest.mark.parametrize("op", [at.maximum, at.minimum], ids=["maximum", "minimum"])
def test_maximum_and_minimum_send_the_cotangent_to_the_selected_operand(op):
    x, y = np.array([0.0, 2.0]), np.array([1.0, 1.0])
    gx, gy = at.grad(lambda x, y: at.sum(op(x, y)), argnums=(0, 1))(x, y)
    x_selected = (x > y) if op is at.maximum else (x < y)
    np.testing.assert_array_equal(gx, x_selected.astype(float))
    np.testing.assert_array_equal(gy, (~x_selected).astype(float))


def test_max_splits_ties_equally_over_the_reduced_axes():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [5.0, 0.0, 1.0]])
    third = 1 / 3
    by_row = [[0.0, 0.5, 0.5], [third, third, third], [1.0, 0.0, 0.0]]
    np.testing.assert_allclose(_grad_sum(lambda x: at.max(x, axis=1), x), by_row, rtol=1e-15)
    np.testing.assert_allclose(_grad_sum(lambda x: at.max(x, axis=-1, keepdims=True), x), by_row, rtol=1e-15)
    np.testing.assert_allclose(_grad_sum(lambda x: at.max(x, axis=0), x.T), np.transpose(by_row), rtol=1e-15)
    np.testing.assert_array_equal(_grad_sum(at.max, x), [[0, 0, 0], [0, 0, 0], [1, 0, 0]])
    ties = np.array([[1.0, 3.0], [3.0, 0.0]])
    np.testing.assert_array_equal(_grad_sum(at.max, ties), [[0, 0.5], [0.5, 0]])
    np.testing.assert_array_equal(_grad_sum(lambda x: at.max(x, axis=(0, 1)), ties), [[0, 0.5], [0.5, 0]])


def test_clip_passes_the_gradient_at_its_bounds():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(_grad_sum(lambda x: at.clip(x, -1.0, 1.0), x), [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(_grad_sum(lambda x: at.clip(x, None, 1.0), x), [1, 1, 1, 1, 0])
    np.testing.assert_array_equal(_grad_sum(lambda x: at.clip(x, -1.0, None), x), [0, 1, 1, 1, 1])
    lo, hi = np.full(5, -1.0), np.full(5, 1.0)
    gx, glo, ghi = at.grad(lambda x, lo, hi: at.sum(at.clip(x, lo, hi)), argnums=(0, 1, 2))(x, lo, hi)
    np.testing.assert_array_equal(gx, [0, 1, 1, 1, 0])
    np.testing.assert_array_equal(glo, [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(ghi, [0, 0, 0, 0, 1])
    # Broadcast bounds collect the cotangent of every element they clip.
    glo, ghi = at.grad(lambda lo, hi: at.sum(at.clip(x, lo, hi)), argnums=(0, 1))(-1.0, 1.0)
    assert (glo, ghi) == (1.0, 1.0)


def test_clip_with_lower_bound_above_upper_bound_differentiates_the_upper_one():
    # numpy.clip gives hi wherever lo > hi (it is minimum(maximum(x, lo), hi)).
    x = np.array([0.5, 2.0, -1.0])
    np.testing.assert_array_equal(np.clip(x, 1.5, 1.0), [1.0, 1.0, 1.0])
    gx, glo, ghi = at.grad(lambda x, lo, hi: at.sum(at.clip(x, lo, hi)), argnums=(0, 1, 2))(x, 1.5, 1.0)
    np.testing.assert_array_equal(gx, [0, 0, 0])
    assert (glo, ghi) == (0.0, 3.0)
    # Per element: lo > hi only in the first column.
    lo, hi = np.array([2.0, -1.0, -1.0]), np.array([1.0, 1.0, 1.0])
    gx, glo, ghi = at.grad(lambda x, lo, hi: at.sum(at.clip(x, lo, hi)), argnums=(0, 1, 2))(x, lo, hi)
    np.testing.assert_array_equal(gx, [0, 0, 1])
    np.testing.assert_array_equal(glo, [0, 0, 0])
    np.testing.assert_array_equal(ghi, [1, 1, 0])


@pytest.mark.parametrize(
    "p", [0, 0.0, np.float64(0.0), np.zeros(()), np.zeros(3)], ids=["int", "float", "np.float64", "0-d", "array"]
)
def test_power_with_zero_exponent_has_zero_base_gradient(p):
    x = np.array([0.0, 1.5, -2.0])
    g = _grad_sum(lambda x: at.power(x, p), x)
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    assert at.grad(lambda x: at.power(x, p) if np.ndim(p) == 0 else at.sum(at.power(x, p)))(0.0) == 0.0
    np.testing.assert_array_equal(at.grad(lambda x: at.sum(at.grad(lambda x: at.sum(at.power(x, p)))(x)))(x), 0.0)


def test_power_with_zero_exponent_array_has_zero_second_derivative_at_tiny_bases():
    # Regression: x**(p - 2) overflowed for |x| < 1e-154 and 0 * inf gave NaN.
    x, p = np.array([1.2465116636364306e-170, 1e-300, 0.0, 3.0]), np.zeros(4)
    second = at.grad(lambda x: at.sum(at.grad(lambda x: at.sum(at.power(x, p)))(x)))(x)
    np.testing.assert_array_equal(second, [0.0, 0.0, 0.0, 0.0])


def test_power_with_a_traced_zero_exponent():
    x, p = np.array([0.0, 1.5, 2.5]), np.zeros(3)
    gx, gp = at.grad(lambda x, p: at.sum(at.power(x, p)), argnums=(0, 1))(x, p)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0])
    # d/dp x**p = x**p log x, taken as 0 at x == 0.
    np.testing.assert_allclose(gp, [0.0, np.log(1.5), np.log(2.5)], rtol=1e-15)


def test_power_mixed_second_derivative_at_zero_exponent():
    # d2/dx dp x**p = x**(p-1) (1 + p log x): 1/x at p == 0, as at any p near 0.
    x = 0.5
    hessian = at.hessian(lambda xp: at.power(xp[0], xp[1]))(np.array([x, 0.0]))
    np.testing.assert_allclose(hessian, [[0.0, 1 / x], [1 / x, np.log(x) ** 2]], rtol=1e-12, atol=1e-15)


def test_power_at_zero_base():
    assert at.grad(lambda p: at.power(0.0, p))(2.0) == 0.0  # x**p log x, taken as 0 at x == 0
    assert at.grad(lambda x: at.power(x, 1.0))(0.0) == 1.0
    assert at.grad(lambda x: at.power(x, 2))(0.0) == 0.0
    with np.errstate(divide="ignore"):
        assert at.grad(lambda x: at.power(x, 0.5))(0.0) == np.inf


def test_sqrt_log_log1p_at_the_edge_of_their_domains():
    with np.errstate(divide="ignore"):
        assert at.grad(at.sqrt)(0.0) == np.inf
        assert at.grad(at.log)(0.0) == np.inf
        assert at.grad(at.log1p)(-1.0) == np.inf
    assert at.grad(at.sqrt)(4.0) == 0.25
    assert at.grad(at.log)(4.0) == 0.25
    assert at.grad(at.log1p)(3.0) == 0.25


def test_sigmoid_second_order_at_zero():
    # (s^2)'' = 2 s'^2 + 2 s s''; at 0: s' = 1/4, s'' = 0, so 1/8.
    assert at.grad(at.grad(lambda x: at.sigmoid(x) ** 2))(0.0) == pytest.approx(0.125, rel=1e-14)
    assert at.grad(lambda x: at.value_and_grad(at.sigmoid)(x)[0])(0.0) == 0.25
    np.testing.assert_allclose(at.hessian(lambda x: at.sum(at.sigmoid(x) ** 2))(np.zeros(2)), np.eye(2) / 8, rtol=1e-14)


def test_no_overflow_for_large_inputs():
    big = np.array([1000.0, 1000.0, -1000.0])
    assert at.logsumexp(big) == pytest.approx(1000.0 + np.log(2.0), rel=1e-15)
    np.testing.assert_allclose(at.softmax(big), [0.5, 0.5, 0.0], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(at.log_softmax(big), [-np.log(2.0), -np.log(2.0), -2000.0 - np.log(2.0)], rtol=1e-12)
    np.testing.assert_allclose(at.sigmoid(np.array([-800.0, 800.0])), [np.exp(-800.0), 1.0], rtol=1e-15)
    np.testing.assert_allclose(_grad_sum(at.logsumexp, big), [0.5, 0.5, 0.0], rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("axis", [None, (0, 1), (1,), 0], ids=["None", "(0,1)", "(1,)", "0"])
def test_softmax_and_log_softmax_over_several_axes_match_numpy_and_finite_differences(axis):
    x = np.random.default_rng(3).normal(size=(2, 3))
    weights = np.arange(6.0).reshape(2, 3)
    expected = np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True)  # scipy.special.softmax's definition
    np.testing.assert_allclose(at.softmax(x, axis=axis), expected, rtol=1e-14)
    np.testing.assert_allclose(at.log_softmax(x, axis=axis), np.log(expected), rtol=1e-14, atol=1e-15)
    check_grads(lambda x: at.sum(at.softmax(x, axis=axis) * weights), (x,))
    check_grads(lambda x: at.sum(at.log_softmax(x, axis=axis) * weights), (x,))


def test_concatenate_with_axis_none_flattens_first_as_numpy():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(at.concatenate([a, a[:1]], axis=None), np.concatenate([a, a[:1]], axis=None))
    g = at.grad(lambda a: np.sum(np.concatenate([a, 2 * a], axis=None) ** 2))(a)
    np.testing.assert_array_equal(g, 2 * a + 8 * a)  # d/da of sum(a^2) + sum(4 a^2)


def test_softmax_family_keeps_precision_for_large_logits():
    # Shifting by the maximum must not cost precision: softmax([s, s, s - 1]) is the same
    # for every s. Exact values, in float64:
    e = np.exp(-1.0)
    probabilities = np.array([1.0, 1.0, e]) / (2 + e)
    for s in (1e3, 1e6, 1e10):
        x = np.array([s, s, s - 1])
        np.testing.assert_allclose(at.softmax(x), probabilities, rtol=1e-12, err_msg=f"softmax at {s}")
        np.testing.assert_allclose(at.log_softmax(x), np.log(probabilities), rtol=1e-12, err_msg=f"log_softmax at {s}")
        np.testing.assert_allclose(_grad_sum(at.logsumexp, x), probabilities, rtol=1e-12, err_msg=f"logsumexp' at {s}")
    # float32 logits of magnitude 100: within a few float32 roundings.
    x32 = np.array([100.0, 100.0, 99.0], dtype=np.float32)
    np.testing.assert_allclose(at.softmax(x32), probabilities, rtol=1e-6)
    np.testing.assert_allclose(at.log_softmax(x32), np.log(probabilities), rtol=1e-6)


# --------------------------------------------------------------------------------------
# Broadcasting: a bias gets a gradient of its own shape
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [np.full(4, 0.5), np.full((1, 4), 0.5), 0.5], ids=["(n,)", "(1,n)", "float"])
def test_bias_gradient_has_the_bias_shape(bias):
    X = np.arange(12.0).reshape(3, 4)
    g = at.grad(lambda b: at.sum(X + b))(bias)
    assert np.shape(g) == np.shape(bias) and g.dtype == np.float64
    np.testing.assert_array_equal(g, np.full(np.shape(bias), 3.0 if np.ndim(bias) else 12.0))
    g = at.grad(lambda b: at.sum(at.subtract(b, X)))(bias)
    np.testing.assert_array_equal(g, np.full(np.shape(bias), 3.0 if np.ndim(bias) else 12.0))
    g = at.grad(lambda b: at.sum(X * b))(bias)
    np.testing.assert_array_equal(g, np.reshape(X.sum(axis=0), np.shape(bias)) if np.ndim(bias) else X.sum())
    g = at.grad(lambda b: at.sum(at.tanh(X / 10 - b) * X))(bias)
    assert np.shape(g) == np.shape(bias)
    assert_grads_match_fd(lambda b: np.sum(np.tanh(X / 10 - b) * X), [bias], [g], np.random.default_rng(0))


# --------------------------------------------------------------------------------------
# matmul: every 1-D / 2-D / batched combination
# --------------------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 2)),
    ((4, 3), (3,)),
    ((4, 3), (3, 2)),
    ((2, 4, 3), (3, 2)),
    ((2, 4, 3), (2, 3, 2)),
    ((1, 4, 3), (2, 3, 2)),
    ((4, 3), (2, 3, 2)),
    ((3,), (2, 3, 2)),
    ((2, 4, 3), (3,)),
    ((2, 1, 4, 3), (3, 3, 2)),
]


@pytest.mark.parametrize("a_shape,b_shape", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul_shape_combinations(a_shape, b_shape):
    rng = np.random.default_rng(len(a_shape) * 10 + len(b_shape))
    case = Case((rng.standard_normal(a_shape), rng.standard_normal(b_shape)), diff=(0, 1))
    spec, op = SPEC("matmul"), OP("matmul")
    check_forward(spec, op, case)
    check_gradient(spec, op, case, rng, max_elementwise=100)  # every element
    check_second_order(spec, op, case, rng)
    check_float32(spec, op, case, rng, "matmul")
    # The operator, with an ndarray on either side.
    a, b = case.args
    np.testing.assert_allclose(at.grad(lambda a: at.sum(a @ b))(a), at.grad(lambda a: at.sum(at.matmul(a, b)))(a))
    np.testing.assert_allclose(at.grad(lambda b: at.sum(a @ b))(b), at.grad(lambda b: at.sum(at.matmul(a, b)))(b))


# --------------------------------------------------------------------------------------
# getitem: basic, integer-array (accumulating) and boolean-mask indexing
# --------------------------------------------------------------------------------------

BASIC_INDICES = [
    0,
    -1,
    (1, 2),
    (1, -1, 3),
    slice(None, None, -1),
    (slice(None), slice(2, 0, -1)),
    (Ellipsis, 1),
    (Ellipsis, slice(None, None, -2)),
    (None, 0, slice(1, None, 2)),
    (slice(None), None, slice(None, None, -2), 1),
    (Ellipsis, None),
    (),
]


@pytest.mark.parametrize("index", BASIC_INDICES, ids=repr)
def test_getitem_basic_indexing(index):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4))
    v = rng.standard_normal(np.shape(x[index]))
    np.testing.assert_array_equal(at.getitem(x, index), x[index])
    g = at.grad(lambda x: at.sum(x[index] * v))(x)
    expected = np.zeros_like(x)
    expected[index] = v  # basic indexing selects each element at most once
    np.testing.assert_array_equal(g, expected)
    np.testing.assert_array_equal(at.grad(lambda x: at.sum(at.getitem(x, index) * v))(x), expected)
    check_second_order(SPEC("getitem"), at.getitem, Case((x,), {"index": index}), rng)


def test_getitem_repeated_integer_indices_accumulate():
    x = np.arange(5.0)
    idx = [0, 2, 2, 2, -1, 4]
    np.testing.assert_array_equal(at.grad(lambda x: at.sum(x[idx]))(x), [1, 0, 3, 0, 2])
    weighted = at.grad(lambda x: at.sum(x[np.array(idx)] * np.arange(1.0, 7.0)))(x)
    np.testing.assert_array_equal(weighted, [1, 0, 2 + 3 + 4, 0, 5 + 6])
    X = np.arange(12.0).reshape(3, 4)
    rows, cols = np.array([1, 1, 0, -2]), np.array([2, 2, 3, 2])
    expected = np.zeros((3, 4))
    expected[1, 2], expected[0, 3] = 3.0, 1.0
    np.testing.assert_array_equal(at.grad(lambda X: at.sum(X[rows, cols]))(X), expected)
    # Repeated rows with a slice after them.
    expected = np.zeros((3, 4))
    expected[0, ::2], expected[2, ::2] = 2.0, 1.0
    np.testing.assert_array_equal(at.grad(lambda X: at.sum(X[[0, 2, 0], ::2]))(X), expected)
    rng = np.random.default_rng(2)
    check_gradient(SPEC("getitem"), at.getitem, Case((X,), {"index": (rows, cols)}), rng, max_elementwise=100)
    check_second_order(SPEC("getitem"), at.getitem, Case((X,), {"index": (rows, cols)}), rng)


def test_getitem_boolean_masks():
    X = np.arange(12.0).reshape(3, 4)
    mask = X % 3 == 0
    np.testing.assert_array_equal(at.getitem(X, mask), X[mask])
    np.testing.assert_array_equal(at.grad(lambda X: at.sum(X[mask]))(X), mask.astype(float))
    rows = np.array([True, False, True])
    np.testing.assert_array_equal(at.grad(lambda X: at.sum(X[rows] * 2.0))(X), np.repeat(rows, 4).reshape(3, 4) * 2.0)
    none = np.zeros((3, 4), bool)
    assert at.getitem(X, none).shape == (0,)
    np.testing.assert_array_equal(at.grad(lambda X: at.sum(X[none]))(X), np.zeros((3, 4)))
    rng = np.random.default_rng(3)
    check_second_order(SPEC("getitem"), at.getitem, Case((X,), {"index": mask}), rng)


# --------------------------------------------------------------------------------------
# astype between float32 and float64
# --------------------------------------------------------------------------------------


def test_astype_between_float32_and_float64():
    x64 = np.array([0.1, 1 / 3, -2.5])
    v32 = np.array([1.5, -0.1, 3.0], dtype=np.float32)
    out = at.astype(x64, np.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, x64.astype(np.float32))
    g = at.grad(lambda x: at.sum(at.astype(x, np.float32) * v32))(x64)
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, v32.astype(np.float64))
    x32 = x64.astype(np.float32)
    v64 = np.array([0.1, 1 / 3, 7.0])
    g = at.grad(lambda x: at.sum(at.astype(x, "float64") * v64))(x32)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, v64.astype(np.float32))


BINARY_ELEMENTWISE = ["add", "subtract", "multiply", "divide", "power", "maximum", "minimum"]


@pytest.mark.parametrize("side", [0, 1], ids=["float op array", "array op float"])
@pytest.mark.parametrize("name", BINARY_ELEMENTWISE)
def test_float32_with_a_python_float_operand(name, side):
    # A Python float is weakly typed: float32 arrays stay float32, in the VJP rules too.
    rng = np.random.default_rng(4)
    array = rng.uniform(0.5, 2.0, size=(2, 3))
    scalar = 1.3125
    case = Case((scalar, array), diff=(1,)) if side == 0 else Case((array, scalar), diff=(0,))
    check_float32(SPEC(name), OP(name), case, rng, name)


# --------------------------------------------------------------------------------------
# Gradients are ordinary arrays the caller owns
# --------------------------------------------------------------------------------------


def test_gradients_of_distinct_operands_do_not_share_memory():
    c = np.arange(3.0)
    gx, gy = at.grad(lambda x, y: at.sum((x + y) * c), argnums=(0, 1))(np.ones(3), np.ones(3))
    assert not np.shares_memory(gx, gy), "updating one gradient in place would change the other"


@pytest.mark.parametrize("reduction", [at.sum, at.mean], ids=["sum", "mean"])
def test_gradients_are_writeable(reduction):
    g = at.grad(lambda x: reduction(x))(np.ones((2, 3)))
    assert g.flags.writeable, "the gradient is a read-only view"
    g *= 0.5  # e.g. in-place gradient scaling or clipping


def test_abs_of_a_complex_number_has_the_right_second_derivatives():
    # |x + iy| = r: its Hessian in (x, y) is [[y^2, -xy], [-xy, x^2]] / r^3 (at (0.6, 0.8),
    # r = 1). A rule through the constant sign(z) would lose the unit vector's derivative.
    h = at.hessian(lambda v: np.abs(v[0] + 1j * v[1]))(np.array([0.6, 0.8]))
    np.testing.assert_allclose(h, [[0.64, -0.48], [-0.48, 0.36]], rtol=1e-14)
    check_grads(lambda v: at.abs(v[0] + 1j * v[1]) ** 3, (np.array([0.6, -0.8]),), order=2)

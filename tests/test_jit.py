"""at.jit: replays equal eager calls bit for bit; guards, closures, random draws, threads, the cache."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autotape as at
from autotape.jit import JitError, JitMismatchError, RetraceWarning, _Hooks, _last_failed_guard
from autotape.ops.registry import REGISTRY
from autotape.tape import active_tapes
from autotape.testing import cases
from autotape.testing import strategies as ats

DIFFERENTIABLE = {key: info for key, info in REGISTRY.items() if info.kind != "constant" and info.spec is not None}
# Ops whose result's shape is read from an array operand's values (split points as an
# array, the zeros trimmed): new values there record again (guards), as documented.
SHAPE_FROM_VALUES = {"array_split", "split", "hsplit", "vsplit", "dsplit", "trim_zeros"}
# Ops whose recording guards on values (a NumPy call at.jit records with a non-array result,
# or a conversion of a recorded value): a second draw records again, correctly but slowly.
RECORDS_AGAIN = {
    "histogram2d",
    "histogramdd",
    "linspace",
    "logspace",
    "median",
    "nanmax",
    "nanmedian",
    "nanpercentile",
    "nanquantile",
    "numpy.linalg.cond",
    "numpy.linalg.det",
    "numpy.linalg.eig",
    "numpy.linalg.eigvals",
    "numpy.linalg.eigvalsh",
    "numpy.linalg.lstsq",
    "numpy.linalg.matrix_norm",
    "numpy.linalg.svd",
    "numpy.linalg.svdvals",
    "numpy.linalg.vector_norm",
    "percentile",
    "quantile",
    "scipy.linalg.det",
    "scipy.special.logsumexp",
    "scipy.stats.bernoulli.logpmf",
    "scipy.stats.binom.logpmf",
    "scipy.stats.norm.ppf",
    "scipy.stats.poisson.cdf",
    "scipy.stats.poisson.logpmf",
    "scipy.stats.poisson.pmf",
    "unique_all",
    "unique_counts",
    "unique_inverse",
    "unwrap",
    # a check of the operands' domain, the sample points' order or where the NaNs are, guarded
    *("nanmean", "nanvar", "nanstd"),
    # the derivative of a product: divided by each factor unless a slice holds a zero (guarded)
    *("prod", "nanprod", "cumprod", "nancumprod"),
    "interp",
    # results whose shape the values decide (the distinct elements)
    *("unique", "unique_values", "union1d", "intersect1d", "setdiff1d", "setxor1d"),
    *(name for name in REGISTRY if name.startswith("scipy.stats.")),
}
# Ops whose operands' domain a permutation leaves (positive definite or invertible matrices,
# a covariance): their second draw doubles the values instead, which keeps the domain.
SCALED = {name for name in REGISTRY if name.startswith(("numpy.linalg.", "scipy.linalg.", "scipy.stats.multivariate"))}
# polydiv: a permutation may move a zero to the divisor's front, which changes the result's length
SCALED.add("polydiv")
NOT_YET_CHECKED = _Hooks.NOT_YET_CHECKED


def _refused(name: str, jitted, xs) -> None:
    """An op at.jit does not yet record: the call raises JitError naming it."""
    with pytest.raises(JitError, match=f"at.jit: {name.replace('.', r'[.]')} is not yet checked"):
        jitted(*xs)


def assert_same(got, expected, path="result"):
    """Bit-for-bit equality of two pytrees: types, shapes, dtypes and bytes."""
    assert type(got) is type(expected), f"{path}: {type(got).__name__} vs {type(expected).__name__}"
    if isinstance(got, dict):
        assert list(got) == list(expected), path
        for k in got:
            assert_same(got[k], expected[k], f"{path}[{k!r}]")
    elif isinstance(got, (tuple, list)):
        assert len(got) == len(expected), path
        for i, (a, b) in enumerate(zip(got, expected)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(got, (np.ndarray, np.generic)):
        assert got.shape == expected.shape and got.dtype == expected.dtype, path
        a, b = np.array(got), np.array(expected)
        if a.dtype.kind in "fc":  # NaN at the same places; IEEE 754 leaves a NaN's sign and payload open
            nan = np.isnan(a)
            assert (nan == np.isnan(b)).all(), f"{path}: {got!r} != {expected!r}"
            a[nan] = b[nan] = 0
        assert a.tobytes() == b.tobytes(), f"{path}: {got!r} != {expected!r}"
    else:
        assert got == expected or (got != got and expected != expected), f"{path}: {got!r} != {expected!r}"


def _shuffled(x, rng, name=""):
    """``x`` with its elements permuted: the same values (the op's domain), another arrangement
    (for the ops in ``SCALED``, ``x`` doubled)."""
    if not isinstance(x, np.ndarray) or x.size < 2:
        return x
    flat = x.ravel().copy()
    rng.shuffle(flat)
    # In an array of x's layout (a Fortran-ordered x stays so): strides are part of the signature.
    out = np.empty_like(x)
    out[...] = x * 2 if name in SCALED else flat.reshape(x.shape)
    return out


def _layout(x):
    return (type(x), np.shape(x), getattr(x, "strides", None))


def _call(spec, fn, args, params):
    if spec.call is not None:
        return spec.call(fn, tuple(args), params)
    return fn(list(args), **params) if spec.sequence else fn(*args, **params)


def _joined(out):
    """Several outputs (``divmod``, ``qr``, ``meshgrid``) as one array, their raveled values
    joined, as the op tests check them; one output as it is."""
    if isinstance(out, (tuple, list)):
        return at.concatenate([at.ravel(part) for part in out])
    return out


# --------------------------------------------------------------------------------------
# Every op of the registry: jit(value_and_grad(loss)) replayed on a second draw equals eager
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
@settings(max_examples=3, deadline=None, report_multiple_bugs=False)
@given(data=st.data())
def test_every_op_replays_value_and_gradient_bit_for_bit(name, data):
    info = DIFFERENTIABLE[name]
    spec = info.spec
    case = data.draw(spec.cases(cases), label="case")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    op = info.function
    argnums = tuple(range(len(case.diff)))
    # Array operands that are not differentiated (conditions, indices) are arguments too;
    # anything else (slices, axes) is closed over.
    passed = [i for i, a in enumerate(case.args) if i not in case.diff and isinstance(a, np.ndarray)]
    others = [case.args[i] for i in passed]

    def loss(*xs_and_others):
        xs, rest = xs_and_others[: len(argnums)], xs_and_others[len(argnums) :]
        args = list(case.args)
        for i, x in zip(case.diff, xs):
            args[i] = x
        for i, x in zip(passed, rest):
            args[i] = x
        out = _joined(_call(spec, op, args, case.params))
        total = at.sum(out * weights)
        return at.real(total) if total.dtype.kind == "c" else total

    out0 = _joined(_call(spec, op, case.args, case.params))
    weights = rng.normal(size=np.shape(out0))
    eager = at.value_and_grad(loss, argnums=argnums)
    jitted = at.jit(eager)
    first = [case.args[i] for i in case.diff] + others
    # The second draw: every array argument's elements permuted (for ops whose result's shape
    # comes from an operand's values, only the differentiated ones, so that the shapes stay).
    shuffled = len(first) if name not in SHAPE_FROM_VALUES else len(case.diff)
    second = [
        _shuffled(np.asarray(a) if isinstance(a, float) else a, rng, name) if i < shuffled else a
        for i, a in enumerate(first)
    ]
    if name in NOT_YET_CHECKED:
        return _refused(name, jitted, first)
    for xs in (first, second, first):
        assert_same(jitted(*xs), eager(*xs))
    if name in RECORDS_AGAIN:
        return
    # The second draw replayed the first recording: nothing computed from the values was
    # baked in and guarded (which would record again, correctly but slowly). A view's copy
    # has other strides, a new signature: then it recorded once more.
    layouts = 1 if all(_layout(a) == _layout(b) for a, b in zip(first, second)) else 2
    assert jitted.cache_info().hits == 3 - layouts
    if jitted._recordings != layouts and name not in SHAPE_FROM_VALUES:
        (variants,) = jitted._cache.values()
        raise AssertionError(f"{name} recorded again for new values: {_last_failed_guard(variants)}")


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
@settings(max_examples=3, deadline=None, report_multiple_bugs=False)
@given(data=st.data())
def test_every_op_outside_transforms_replays_numpy_bit_for_bit(name, data):
    # jit(f)(x) == f(x) where f calls the op with no transform around it: eagerly that is
    # NumPy's own function (the fast path), which the recording must replay, not a rewrite.
    info = DIFFERENTIABLE[name]
    spec = info.spec
    case = data.draw(spec.cases(cases), label="case")
    passed = [i for i, a in enumerate(case.args) if isinstance(a, np.ndarray)]

    def f(*arrays):
        args = list(case.args)
        for i, x in zip(passed, arrays):
            args[i] = x
        return _call(spec, info.function, args, case.params)

    jitted = at.jit(f)
    first = [case.args[i] for i in passed]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    second = [
        x if i not in case.diff or name in SHAPE_FROM_VALUES else _shuffled(x, rng, name) for i, x in zip(passed, first)
    ]
    if name in NOT_YET_CHECKED:
        return _refused(name, jitted, first)
    with np.errstate(all="ignore"):
        for arrays in (first, second, first):
            assert_same(jitted(*arrays), f(*arrays))


# --------------------------------------------------------------------------------------
# Random programs with control flow on values
# --------------------------------------------------------------------------------------


def _with_control_flow(program):
    f = program.function("autotape")

    def fun(*xs):
        out = at.sum(f(*xs) * program.cotangent)
        if out > 0:  # a guard: the replay takes this branch only if eager would
            out = out * 2.0
        else:
            out = at.tanh(out) - 1.0
        k = 0
        while k < 3 and at.abs(out) < 1.0:  # a loop on a value
            out = out * 1.5 + 0.25
            k += 1
        flat = at.ravel(xs[0])
        return out + flat[int(np.argmax(at.stop_gradient(flat)))]  # int() of a recorded value used as an index

    return fun


@settings(max_examples=25, deadline=None)
@given(program=ats.programs(max_steps=5), data=st.data())
def test_random_programs_with_control_flow_replay_bit_for_bit(program, data):
    fun = _with_control_flow(program)
    argnums = tuple(range(program.num_inputs))
    eager = at.value_and_grad(fun, argnums=argnums)
    jitted = at.jit(eager)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    calls = [program.inputs, [_shuffled(x, rng) for x in program.inputs], [-x for x in program.inputs]]
    calls.append(program.inputs)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for xs in calls:
            assert_same(jitted(*xs), eager(*xs))
    assert jitted.cache_info().hits >= 1


# --------------------------------------------------------------------------------------
# Typical use: a training step, value_and_grad, an optimizer's update
# --------------------------------------------------------------------------------------


def _mlp_loss(p, x, y):
    h = at.tanh(x @ p["w1"] + p["b1"])
    return at.bce_with_logits((h @ p["w2"] + p["b2"])[:, 0], y)


def _mlp_data(seed, n=16):
    rng = np.random.default_rng(seed)
    params = {
        "w1": rng.normal(size=(3, 8)) * 0.5,
        "b1": np.zeros(8),
        "w2": rng.normal(size=(8, 1)) * 0.5,
        "b2": np.zeros(1),
    }
    return params, rng.normal(size=(n, 3)), (rng.random(n) > 0.5).astype(float)


def test_the_issue_examples_replay_bit_for_bit_over_many_steps():
    params, x, y = _mlp_data(0)
    step = at.jit(lambda p, x, y: at.sgd(p, at.grad(_mlp_loss)(p, x, y), 0.01))
    loss_and_grads = at.jit(at.value_and_grad(_mlp_loss))
    opt = at.optim.adam(1e-2)
    update = at.jit(lambda p, s, x, y: opt.update(p, at.grad(_mlp_loss)(p, x, y), s))
    p_jit = p_eager = params
    q_jit = q_eager = params
    s_jit = s_eager = opt.init(params)
    # Adam's step count is an int64 scalar, an array leaf: the whole update replays.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RetraceWarning)
        for i in range(12):
            _, xb, yb = _mlp_data(100 + i)
            p_jit, p_eager = step(p_jit, xb, yb), at.sgd(p_eager, at.grad(_mlp_loss)(p_eager, xb, yb), 0.01)
            assert_same(p_jit, p_eager)
            assert_same(loss_and_grads(p_jit, xb, yb), at.value_and_grad(_mlp_loss)(p_eager, xb, yb))
            q_jit, s_jit = update(q_jit, s_jit, xb, yb)
            q_eager, s_eager = opt.update(q_eager, at.grad(_mlp_loss)(q_eager, xb, yb), s_eager)
            assert_same((q_jit, s_jit), (q_eager, s_eager))
    for f in (step, loss_and_grads):
        assert f.cache_info() == (11, 1, 64, 1)
    assert update.cache_info() == (11, 1, 64, 1)
    assert type(s_jit.step) is np.int64 and s_jit.step == 12


def test_inputs_are_never_mutated_and_results_are_never_reused_buffers():
    params, x, y = _mlp_data(1)
    before = {k: v.copy() for k, v in params.items()}
    step = at.jit(lambda p, x, y: at.sgd(p, at.grad(_mlp_loss)(p, x, y), 0.01))
    first = step(params, x, y)
    kept = {k: v.copy() for k, v in first.items()}
    second = step(params, x * 2, y)
    assert_same(params, before)
    assert_same(first, kept)  # the second call wrote into none of the first call's results
    for k in first:
        assert not np.shares_memory(first[k], second[k])
        assert not np.shares_memory(first[k], params[k])


def test_jvp_and_hessian_vector_products_replay():
    def f(x):
        return at.sum(at.sin(x) * x**2)

    x, v = np.linspace(-1, 1, 5), np.linspace(0.5, 1.5, 5)
    jvp = at.jit(lambda x, v: at.jvp(f, (x,), (v,)))
    hvp = at.jit(lambda x, v: at.hvp(f, (x,), (v,)))
    for scale in (1.0, 2.0, -0.5):
        assert_same(jvp(x * scale, v), at.jvp(f, (x * scale,), (v,)))
        assert_same(hvp(x * scale, v), at.hvp(f, (x * scale,), (v,)))


# --------------------------------------------------------------------------------------
# Guards
# --------------------------------------------------------------------------------------


def test_a_branch_on_a_value_is_a_guard_that_records_the_other_branch():
    def f(x):
        if at.sum(x) > 0:
            return x * 2.0
        return x - 1.0

    g = at.jit(f)
    pos, neg = np.ones(3), -np.ones(3)
    assert_same(g(pos), pos * 2.0)
    assert_same(g(neg), neg - 1.0)  # the guard failed: recorded again, never the first branch
    assert_same(g(pos * 3), pos * 6.0)
    assert_same(g(neg * 3), neg * 3 - 1.0)
    assert g.cache_info().currsize == 1  # one signature, two variants
    # A call no variant replays is a miss (it records), as lru_cache counts a computed call.
    assert g.cache_info()[:2] == (2, 2)


@pytest.mark.parametrize(
    "convert",
    [
        lambda v: int(v),
        lambda v: float(v),
        lambda v: v.item(),
        lambda v: f"{v:.3f}",
        lambda v: v.tolist(),
        lambda v: range(4)[v],  # operator.index
        lambda v: complex(v),
    ],
    ids=["int", "float", "item", "format", "tolist", "index", "complex"],
)
def test_python_values_taken_from_recorded_values_are_guarded(convert):
    def f(x):
        k = np.argmax(x)
        value = convert(k)
        return x * float(len(str(value)))

    g = at.jit(f)
    for x in (np.array([0.0, 5.0, 1.0]), np.array([9.0, 5.0, 1.0]), np.array([0.0, 5.0, 10.0])):
        assert_same(g(x), f(x))


def test_numpy_conversions_of_recorded_values_are_guarded():
    def f(x):
        plain = np.asarray(x + 1.0)  # leaves the recording: its value is guarded
        return x * plain.sum()

    g = at.jit(f)
    for x in (np.arange(3.0), np.arange(3.0) + 1, np.arange(3.0)):
        assert_same(g(x), f(x))


def test_a_failing_guard_is_never_replayed_silently_and_retracing_warns_with_the_line():
    def f(x):
        return x * float(at.sum(x))  # the value itself decides: every new value records again

    g = at.jit(f)
    with pytest.warns(RetraceWarning, match=r"float\(\) of a recorded value at .*test_jit.py"):
        for i in range(12):
            x = np.full(2, float(i))
            assert_same(g(x), f(x))


def test_retrace_warning_names_the_changing_part_of_the_signature():
    g = at.jit(lambda p: p["w"] * 2.0)
    with pytest.warns(RetraceWarning, match=r"args\[0\]\['w'\]: shape \(8,\) -> \(9,\)"):
        for n in range(1, 12):
            g({"w": np.ones(n)})


# --------------------------------------------------------------------------------------
# What is read from outside the arguments
# --------------------------------------------------------------------------------------


def test_closure_arrays_are_held_by_reference_so_in_place_changes_are_seen():
    w = np.array([1.0, 2.0, 3.0])
    g = at.jit(lambda x: at.sum(at.tanh(x * w)))
    x = np.array([0.5, -0.5, 0.25])
    assert_same(g(x), at.sum(at.tanh(x * w)))
    w *= 3.0  # in place: seen by the next replay, as eagerly
    assert_same(g(x), at.sum(at.tanh(x * w)))
    assert g.cache_info().hits == 1


def test_a_closure_array_that_is_also_passed_as_an_argument_stays_a_constant():
    w = np.array([1.0, 2.0])
    g = at.jit(lambda x: x + w)
    assert_same(g(w), w + w)
    other = np.array([10.0, 20.0])
    assert_same(g(other), other + w)


def test_constant_arrays_returned_are_fresh_copies():
    g = at.jit(lambda x: (x * 2.0, np.zeros(2)))
    a = g(np.ones(2))[1]
    a += 5.0
    assert_same(g(np.ones(2))[1], np.zeros(2))


@pytest.mark.parametrize(
    "draw",
    [
        lambda rng: np.random.normal(size=3),
        lambda rng: rng.normal(size=3),
        lambda rng: np.random.rand(3),
    ],
    ids=["np.random.normal", "Generator.normal", "np.random.rand"],
)
def test_random_draws_while_recording_are_refused(draw):
    rng = np.random.default_rng(0)

    def f(x):
        return x + draw(rng)

    with pytest.raises(
        JitError, match=r"drew random numbers while the function was recorded.*pass them in as arguments"
    ):
        at.jit(f)(np.ones(3))


# --------------------------------------------------------------------------------------
# The cache, threads, errors, debugging
# --------------------------------------------------------------------------------------


def test_cache_info_and_lru_bound():
    g = at.jit(lambda x: x * 2.0, cache_size=2)
    for n in (1, 2, 1, 3, 2, 2):
        g(np.ones(n))
    # 1, 2 miss; 1 hit; 3 miss (evicts 2); 2 miss (evicts 1); 2 hit
    assert g.cache_info() == (2, 4, 2, 2)
    g.cache_clear()
    assert g.cache_info() == (0, 0, 2, 0)


def test_static_arguments_are_part_of_the_signature():
    def f(x, power, *, mode):
        return x**power if mode == "pow" else x * power

    g = at.jit(f, static_argnums=1, static_argnames="mode")
    x = np.arange(3.0)
    for power, mode in ((2, "pow"), (3, "pow"), (2, "mul"), (2, "pow")):
        assert_same(g(x, power, mode=mode), f(x, power, mode=mode))
    assert g.cache_info().misses == 3
    with pytest.raises(TypeError, match="static argument args\\[1\\] is a list"):
        g(x, [2], mode="pow")


def test_python_numbers_are_static_and_numpy_scalars_are_inputs():
    g = at.jit(lambda x, a, b: x * a + b)
    x = np.arange(3.0)
    assert_same(g(x, 2.0, np.float64(1.0)), x * 2.0 + np.float64(1.0))
    assert_same(g(x, 2.0, np.float64(5.0)), x * 2.0 + np.float64(5.0))
    assert g.cache_info().hits == 1
    g(x, 3.0, np.float64(5.0))
    assert g.cache_info().misses == 2


def test_unsupported_argument_types_name_the_argument():
    g = at.jit(lambda p: p["f"](1.0))
    with pytest.raises(TypeError, match=r"argument arguments\[0\]\[0\]\['f'\] is a function"):
        g({"f": lambda v: v})


def test_threads_replay_concurrently_and_agree_with_eager():
    params, x, y = _mlp_data(2)
    step = at.jit(lambda p, x, y: at.value_and_grad(_mlp_loss)(p, x, y))
    step(params, x, y)
    errors = []

    def work(seed):
        try:
            for i in range(20):
                _, xb, yb = _mlp_data(seed * 100 + i)
                assert_same(step(params, xb, yb), at.value_and_grad(_mlp_loss)(params, xb, yb))
        except BaseException as error:  # noqa: BLE001  (reported below)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert step.cache_info().hits + step.cache_info().misses == 81


def test_a_replay_error_names_the_function_the_op_and_the_recorded_line():
    table = {"k": np.arange(4)}

    def f(x):
        return x + x[table["k"]]  # recorded with an index array held by reference

    g = at.jit(f)
    x = np.arange(4.0)
    g(x)
    table["k"][:] = [0, 1, 2, 9]  # an out-of-range index slips past the signature
    with pytest.raises(IndexError, match=r"jit\(.*f .*\).*getitem recorded at .*test_jit.py:\d+"):
        g(x)


def test_debug_nans_names_the_op_and_the_recorded_line():
    g = at.jit(lambda x: at.sum(at.log(x)))
    g(np.ones(3))
    with at.debug_nans(), pytest.raises(FloatingPointError, match=r"log produced NaN .* at .*test_jit.py:\d+"):
        with np.errstate(invalid="ignore"):
            g(-np.ones(3))


def test_check_mode_compares_with_eager_and_reports_a_mismatch():
    state = {"scale": 1.0}

    def f(x):
        return x * state["scale"]  # a Python float read from outside: baked in (documented)

    g = at.jit(f, check=True)
    g(np.ones(2))
    g(np.ones(2))
    state["scale"] = 2.0
    with pytest.raises(JitMismatchError, match=r"result"):
        g(np.ones(2))


def test_inside_a_transform_the_jitted_function_runs_eagerly():
    g = at.jit(lambda x: at.sum(at.sin(x) ** 2))
    x = np.linspace(0, 1, 4)
    assert_same(at.grad(g)(x), at.grad(lambda x: at.sum(at.sin(x) ** 2))(x))
    assert g.cache_info().misses == 0


def test_nested_jit_records_the_inner_function_inline():
    inner = at.jit(lambda x: at.tanh(x) * 2.0)
    outer = at.jit(lambda x: inner(x) + 1.0)
    x = np.linspace(-1, 1, 3)
    for s in (1.0, 2.0):
        assert_same(outer(x * s), at.tanh(x * s) * 2.0 + 1.0)


def test_decorator_forms():
    @at.jit
    def f(x):
        return x + 1.0

    @at.jit(static_argnums=1)
    def g(x, n):
        return x * n

    assert_same(f(np.ones(2)), np.ones(2) + 1.0)
    assert_same(g(np.ones(2), 3), np.ones(2) * 3)
    assert "f" in repr(f)


# --------------------------------------------------------------------------------------
# The examples' --jit flag changes no printed number
# --------------------------------------------------------------------------------------

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def _run_example(name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *args], capture_output=True, text=True, timeout=300, check=True
    )


def test_linear_regression_prints_the_same_lines_with_jit():
    plain = _run_example("linear_regression", "--epochs", "3", "--dataset-mse")
    jitted = _run_example("linear_regression", "--epochs", "3", "--dataset-mse", "--jit", "--time")
    assert plain.stdout == jitted.stdout
    assert len(plain.stdout.splitlines()) == 6
    assert re.fullmatch(r"(Epoch \d: [\d.]+ s \([\d.]+ us per row\)\n){3}", jitted.stderr)


def test_mlp_classifier_prints_the_same_numbers_with_jit():
    args = ("--csv", str(EXAMPLES / "data" / "raisin.csv"), "--label", "Class", "--epochs", "30", "--log-every", "5")
    plain = _run_example("mlp_classifier", *args).stdout.splitlines()
    jitted = _run_example("mlp_classifier", *args, "--jit").stdout.splitlines()
    timing = re.compile(r"trained 30 epochs in [\d.]+ s \([\d.]+ ms per epoch\)")
    assert [line for line in plain if not timing.fullmatch(line)] == [
        line for line in jitted if not timing.fullmatch(line)
    ]
    assert sum(bool(timing.fullmatch(line)) for line in jitted) == 1
    assert len(plain) == 10


# --------------------------------------------------------------------------------------
# Index arrays among the arguments: labels, rows, masks
# --------------------------------------------------------------------------------------


def test_softmax_cross_entropy_with_integer_labels_as_an_argument_replays_new_labels():
    rng = np.random.default_rng(3)
    p = {"w1": rng.normal(size=(6, 8)), "b1": 0.1 * rng.normal(size=8), "w2": rng.normal(size=(8, 3))}

    def loss(params, X, labels):
        h = at.tanh(X @ params["w1"] + params["b1"])
        return at.softmax_cross_entropy(h @ params["w2"], labels)

    eager = at.value_and_grad(loss)
    jitted = at.jit(eager)
    for seed in range(5):
        batch = np.random.default_rng(seed)
        X, labels = batch.normal(size=(16, 6)), batch.integers(0, 3, size=16)
        assert_same(jitted(p, X, labels), eager(p, X, labels))
    assert jitted._recordings == 1
    with pytest.raises(ValueError, match="class ids must be in"):  # the range check is a guard, not baked
        jitted(p, X, np.full(16, 7))


def test_index_tuples_and_masks_among_the_arguments():
    def f(x, rows, cols, mask):
        picked = x[rows, cols] * 2.0  # a tuple of traced index arrays stays a tuple
        return at.sum(picked) + at.sum(x[mask] ** 2)  # a mask: its count decides the shape

    eager = at.value_and_grad(f)
    jitted = at.jit(eager)
    x = np.arange(12.0).reshape(3, 4)
    for seed in range(6):
        r = np.random.default_rng(seed)
        rows, cols = r.integers(0, 3, size=5), r.integers(0, 4, size=5)
        mask = r.random((3, 4)) > 0.5
        assert_same(jitted(x, rows, cols, mask), eager(x, rows, cols, mask))


# --------------------------------------------------------------------------------------
# Models written in plain NumPy, higher order, Jacobians: check mode compares every call
# --------------------------------------------------------------------------------------


def _plain_numpy_mlp(params, X, y):
    hidden = np.tanh(X @ params["w1"] + params["b1"])
    logits = np.squeeze(hidden @ params["w2"] + params["b2"], axis=1)
    probabilities = 1.0 / (1.0 + np.exp(-logits))
    return -np.mean(y * np.log(probabilities + 1e-12) + (1.0 - y) * np.log(1.0 - probabilities + 1e-12))


@at.custom_vjp
def _clip_gradient(x):
    return x


_clip_gradient.defvjp(lambda x: (x, (x,)), lambda residuals, g: (np.clip(g * residuals[0], -0.5, 0.5),))


def _custom_and_checkpointed(w, x):
    block = at.checkpoint(lambda w: at.tanh(x @ w) * 2.0)
    return at.sum(_clip_gradient(block(w)) ** 2)


def _maml_loss(w, x, y):
    def inner(w):
        return at.mean((x @ w - y) ** 2)

    adapted = w - 0.1 * at.grad(inner)(w)  # one inner step, differentiated through
    return at.mean(at.maximum(x @ adapted - y, 0.0) ** 2) + at.sum(at.clip(adapted, -0.5, 0.5) ** 2)


@pytest.mark.parametrize(
    "make",
    [
        lambda: (
            at.value_and_grad(_plain_numpy_mlp),
            lambda r: (_mlp_data(int(r.integers(1e6)))[0], *_mlp_data(1)[1:]),
        ),
        lambda: (at.grad(_maml_loss), lambda r: (r.normal(size=3), r.normal(size=(8, 3)), r.normal(size=8))),
        lambda: (at.hessian(lambda w: at.sum(at.tanh(w) ** 3)), lambda r: (r.normal(size=3),)),
        lambda: (at.jacfwd(lambda w: at.sin(w) * at.max(w)), lambda r: (r.normal(size=4),)),
        lambda: (lambda w, v: at.hvp(lambda w: at.sum(at.exp(w) * w), (w,), (v,)), lambda r: (r.normal(size=4),) * 2),
        lambda: (at.value_and_grad(_custom_and_checkpointed), lambda r: (r.normal(size=(3, 2)), r.normal(size=(5, 3)))),
    ],
    ids=["plain-numpy-mlp", "maml", "hessian", "jacfwd-with-max", "hvp", "custom-vjp-and-checkpoint"],
)
def test_models_and_higher_order_transforms_replay_as_eager(make):
    fun, draw = make()
    jitted = at.jit(fun, check=True)  # every call also runs eagerly and compares
    rng = np.random.default_rng(0)
    for _ in range(4):
        args = draw(rng)
        assert_same(jitted(*args), fun(*args))
    assert jitted._recordings == 1


def test_keyword_arrays_are_inputs_and_namedtuples_are_pytrees():
    state = at.optim.MomentumState(velocity={"w": np.zeros(3)})

    def f(x, state, *, scale):
        velocity = 0.9 * state.velocity["w"] + x * scale
        return at.optim.MomentumState(velocity={"w": velocity}), at.sum(velocity)

    g = at.jit(f)
    for k in range(4):
        x, scale = np.arange(3.0) + k, np.array(0.5 * k)
        got, expected = g(x, state, scale=scale), f(x, state, scale=scale)
        assert_same(got, expected)
        assert type(got[0]) is at.optim.MomentumState
        state = got[0]
    assert g._recordings == 1


@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_choose_and_select_with_recorded_indices_and_conditions(mode):
    def f(x, index, mask):
        chosen = np.choose(index, [x, 2.0 * x, x**2], mode=mode)
        return at.sum(np.select([mask, ~mask], [chosen, -x]))

    eager = at.value_and_grad(f)
    jitted = at.jit(eager, check=True)  # every call compared with the eager one
    x = np.linspace(-1.0, 1.0, 6)
    for seed in range(4):
        r = np.random.default_rng(seed)
        index, mask = r.integers(0, 3 if mode == "raise" else 5, size=6), r.random(6) > 0.5
        assert_same(jitted(x, index, mask), eager(x, index, mask))
    assert jitted._recordings == 1


def test_copies_are_copies_as_eagerly():
    g = at.jit(lambda x: (x.copy(), np.copy(x), x.flatten(), +x, x.astype(np.float64)))
    x = np.arange(4.0)
    for out in g(x):
        assert not np.shares_memory(out, x)
    out = g(x)
    out[0][0] = 99.0
    assert x[0] == 0.0


def test_an_error_while_recording_leaves_no_recording_and_no_open_tape():
    calls = []

    def f(x):
        calls.append(1)
        if len(calls) == 1:
            raise KeyError("first call fails")
        return {"y": [x * 2.0, None, "label", 3]}

    g = at.jit(f)
    with pytest.raises(KeyError, match="first call fails"):
        g(np.ones(2))
    assert active_tapes() == ()
    assert g.cache_info().currsize == 0
    assert_same(g(np.ones(2)), {"y": [np.ones(2) * 2.0, None, "label", 3]})
    assert_same(g(np.zeros(2)), {"y": [np.zeros(2), None, "label", 3]})
    assert g.cache_info() == (1, 2, 64, 1)


def test_a_learning_rate_array_is_read_as_eagerly_and_guarded():
    params = {"w": np.ones(3, dtype=np.float32)}
    grads = {"w": np.full(3, 0.5, dtype=np.float32)}
    step = at.jit(lambda p, g, lr: at.sgd(p, g, lr))
    for lr in (0.1, 0.1, 0.2, 0.1):
        got = step(params, grads, np.array(lr))
        assert_same(got, at.sgd(params, grads, np.array(lr)))
        assert got["w"].dtype == np.float32
    assert step._recordings == 2  # one per distinct rate (a guard), never a wrong one


def test_a_constant_returned_by_a_recorded_call_stays_a_constant():
    table = np.array([1.0, 2.0, 3.0])

    def f(x, k):
        same = np.asarray(table) if k.sum() >= 0 else table  # a guard, then the constant itself
        return x * same + np.where(k > 0, table, 0.0)

    g = at.jit(f)
    x = np.arange(3.0)
    for k in (np.array([1, -1, 2]), np.array([3, 1, -4]), np.array([-1, -1, 5])):
        assert_same(g(x, k), f(x, k))


# --------------------------------------------------------------------------------------
# A result that is its operand itself (an alias) keeps that array alive and unwritten
# --------------------------------------------------------------------------------------

_ALIASING = {
    "np.real": np.real,
    ".real": lambda a: a.real,
    "np.squeeze": np.squeeze,
    ".squeeze()": lambda a: a.squeeze(),
    "np.atleast_1d": np.atleast_1d,
    "np.atleast_2d": np.atleast_2d,
    "np.real_if_close": np.real_if_close,
    "np.broadcast_arrays": lambda a: np.broadcast_arrays(a, a)[0],
    "np.conj of a view": lambda a: np.conj(a.T).T,
    "a[...]": lambda a: a[...],
}


@pytest.mark.parametrize("name", sorted(_ALIASING))
def test_an_op_returning_its_operand_is_never_overwritten_by_a_later_step(name):
    # NumPy returns the operand itself here (np.real of a real array): the replay once
    # wrote a later product into that array, so the second call returned 116 for 58.
    view = _ALIASING[name]

    def f(x):
        a = x + 1.0
        b = view(a)
        c = a * 2.0
        return at.sum(b * c), np.sin(c) + 1, b

    def loss(x):
        return f(x)[0]

    jitted, jitted_grad = at.jit(f), at.jit(at.value_and_grad(loss))
    for i in range(3):
        x = np.arange(6.0).reshape(2, 3) + i
        assert_same(jitted(x), f(x))
        assert_same(jitted_grad(x), at.value_and_grad(loss)(x))
    x = np.arange(6.0).reshape(2, 3) + 1
    assert float(jitted_grad(x)[0]) == float(np.sum((x + 1.0) * (x + 1.0) * 2))  # 182, not a stale buffer's
    assert jitted.cache_info().hits == 2


def test_a_jitted_method_takes_its_instance_as_a_static_first_argument():
    class Layer:
        def __init__(self):
            self.w = np.array([1.0, 2.0])

        @at.jit
        def unmarked(self, x):
            return x * self.w

        marked = at.jit(lambda self, x: at.tanh(x * self.w), static_argnums=0)

    layer = Layer()
    with pytest.raises(TypeError, match=r"jit\(.*unmarked\): argument .* is a Layer; .*Mark it static"):
        layer.unmarked(np.ones(2))
    for x in (np.ones(2), np.full(2, 3.0)):
        assert_same(layer.marked(x), np.tanh(x * layer.w))
    assert Layer.marked.cache_info()[:2] == (1, 1)
    assert Layer.__dict__["marked"] is Layer.marked  # unbound: the jitted function itself


def test_errors_name_the_users_function_under_a_transform_and_replay_errors_read_cleanly():
    def gp_loss(a, b):
        return at.sum(np.linalg.solve(a, b))

    jitted = at.jit(at.value_and_grad(gp_loss))
    assert f"{__file__}:" in repr(jitted) and "transforms.py" not in repr(jitted)
    jitted(np.eye(2) * 2, np.ones(2))
    with pytest.raises(np.linalg.LinAlgError) as caught:
        jitted(np.zeros((2, 2)), np.ones(2))  # singular: eager mode raises too
    message = str(caught.value)
    assert "Singular matrix. The replay runs the same NumPy calls as the eager call" in message
    assert ".." not in message and "gp_loss" in message

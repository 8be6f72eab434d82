"""Tests of the testing kit: ``autotape.testing.check_grads`` and ``autotape.testing.strategies``,
and the docs page "Property-based testing your model", whose code runs here.

check_grads is tested on both sides: it passes for correct derivatives (pytrees,
non-scalar outputs, float32, higher orders) and it fails, with a report naming the
leaf, the errors and the seed, for deliberately wrong VJP rules.
"""

from __future__ import annotations

import collections
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autotape as at
from autotape.ops import OPS
from autotape.testing import DEFAULT_TOLERANCES, FLOAT32_FD_TOLERANCE, check_grads
from autotape.testing import strategies as ats

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _examples(n: int) -> int:
    """``n`` examples under the default ("dev", 25 examples) profile, scaled for the others."""
    return max(1, round(n * settings.default.max_examples / 25))


# --------------------------------------------------------------------------------------
# Deliberately wrong primitives
# --------------------------------------------------------------------------------------


@at.primitive
def square_half_vjp(x):
    """x**2 with a VJP that forgets the factor 2."""
    return x * x, (x,)


square_half_vjp.defvjp(lambda g, x: g * x)


@at.primitive
def sine_flipped(x):
    """sin with the sign of its VJP flipped."""
    return np.sin(x), (x,)


sine_flipped.defvjp(lambda g, x: -g * np.cos(x))


@at.primitive
def cube_first_order_only(x):
    """x**3 whose VJP is right at first order but hides x from higher orders."""
    return x**3, (x,)


cube_first_order_only.defvjp(lambda g, x: g * 3 * at.stop_gradient(x) ** 2)


# --------------------------------------------------------------------------------------
# check_grads passes for correct derivatives
# --------------------------------------------------------------------------------------


def mlp(params, x):
    for layer in params[:-1]:
        x = at.tanh(x @ layer["w"] + layer["b"])
    return x @ params[-1]["w"] + params[-1]["b"]


Pair = collections.namedtuple("Pair", ["scale", "shift"])


def test_check_grads_passes_for_scalar_functions_of_arrays_and_floats():
    check_grads(lambda x: at.sum(at.sigmoid(x) * x), (np.linspace(-2, 2, 7),), order=2, seed=0)
    check_grads(at.tanh, (0.3,), order=3, seed=1)  # a Python float argument
    check_grads(lambda x, y: at.sum(x * at.exp(y)), (np.ones((2, 3)), np.linspace(-1, 1, 3)), seed=2)


def test_check_grads_passes_for_pytree_arguments_and_outputs():
    rng = np.random.default_rng(0)
    params = [{"w": rng.normal(size=(3, 4)) * 0.5, "b": np.zeros(4)}, {"w": rng.normal(size=(4, 2)), "b": np.ones(2)}]
    x = rng.normal(size=(5, 3))
    check_grads(lambda p: at.mean(mlp(p, x) ** 2), (params,), order=2, seed=3)
    # Tuples, namedtuples, None leaves, and a dict output (a VJP check with a random cotangent).
    check_grads(
        lambda pair, rest: {"y": pair.scale * at.tanh(rest[0]) + pair.shift, "z": (at.sum(rest[0] ** 2),)},
        (Pair(np.array(1.5), np.array([0.5, -0.5])), (np.array([0.1, 0.2]), None)),
        order=2,
        seed=4,
    )


def test_check_grads_non_scalar_outputs_are_checked_with_a_random_cotangent():
    check_grads(lambda x: at.softmax(x, axis=0), (np.array([[0.1, 2.0], [1.0, -1.0], [0.0, 0.3]]),), order=2, seed=5)
    with pytest.raises(AssertionError, match=r"sum\(fun\(x\) \* v\)"):
        check_grads(lambda x: square_half_vjp(x), (np.arange(1.0, 4.0),), seed=5)


def test_check_grads_argnums_leaves_integer_data_alone():
    logits = np.array([[1.0, -0.5, 0.2], [0.3, 0.3, -1.0]])
    labels = np.array([2, 0])
    check_grads(at.softmax_cross_entropy, (logits, labels), argnums=0, order=2, seed=6)
    with pytest.raises(TypeError, match=r"args\[1\] has dtype int"):
        check_grads(at.softmax_cross_entropy, (logits, labels), seed=6)


def test_check_grads_float32_is_checked_against_float64_differences():
    x = np.linspace(-2, 2, 9, dtype=np.float32)
    check_grads(lambda x: at.sum(at.tanh(x) * x), (x,), order=2, seed=7)
    with pytest.raises(AssertionError) as info:
        check_grads(lambda x: at.sum(sine_flipped(x)), (x,), seed=7)
    report = str(info.value)
    assert "float32" in report and "finite differences in float64" in report
    assert f"rtol={DEFAULT_TOLERANCES[np.dtype(np.float32)].rtol:g}" in report


def test_check_grads_float32_only_functions_are_differenced_in_float32():
    # The function casts to float32 itself, so float64 copies of its arguments do not help.
    x = np.linspace(-1, 1, 5, dtype=np.float32)

    def fun(x):
        return at.sum(at.tanh(at.astype(x, np.float32)) ** 2)

    check_grads(fun, (x,), order=2, seed=8)
    with pytest.raises(AssertionError) as info:
        check_grads(lambda x: at.sum(square_half_vjp(at.astype(x, np.float32))), (x + 2,), seed=8)
    assert "finite differences in float32" in str(info.value)
    assert f"eps={FLOAT32_FD_TOLERANCE.eps:g}" in str(info.value)


def test_check_grads_costs_a_few_evaluations_per_direction_not_per_element():
    calls = []

    def fun(x):
        calls.append(1)
        return at.sum(at.tanh(x))

    check_grads(fun, (np.linspace(-1, 1, 10_000),), seed=9, directions=3)
    assert len(calls) == 2 + 2 * 3  # the value, the reverse pass, two per direction


def test_check_grads_overrides_of_eps_and_tolerances_are_used():
    x = np.array([0.5, 1.5])
    # A step of 0.5 has a truncation error far beyond the default tolerance ...
    with pytest.raises(AssertionError, match="eps=0.5"):
        check_grads(lambda x: at.sum(at.exp(3 * x)), (x,), eps=0.5, seed=10)
    # ... which a loose enough rtol accepts.
    check_grads(lambda x: at.sum(at.exp(3 * x)), (x,), eps=0.5, rtol=0.5, seed=10)


def test_check_grads_argument_errors():
    with pytest.raises(ValueError, match="order"):
        check_grads(at.tanh, (0.5,), order=0)
    with pytest.raises(ValueError, match="directions"):
        check_grads(at.tanh, (0.5,), directions=0)
    with pytest.raises(ValueError, match="argnums"):
        check_grads(at.tanh, (0.5,), argnums=3)
    with pytest.raises(TypeError, match="output"):
        check_grads(lambda x: np.array([1, 2]), (0.5,))
    # A non-tuple is the single argument; a list is one pytree.
    check_grads(lambda xs: xs[0] * xs[1], [np.array(2.0), np.array(3.0)], seed=11)


# --------------------------------------------------------------------------------------
# check_grads fails, readably, for wrong derivatives
# --------------------------------------------------------------------------------------


def test_check_grads_reports_the_wrong_leaf_its_errors_and_the_seed():
    params = {"good": np.array([0.5, -1.0]), "bad": [np.array([1.0, 2.0, 3.0])]}

    def loss(p):
        return at.sum(at.tanh(p["good"])) + at.sum(square_half_vjp(p["bad"][0]))

    with pytest.raises(AssertionError) as info:
        check_grads(loss, (params,), seed=1234)
    report = str(info.value)
    assert "failing leaf: args[0]['bad'][0] (shape (3,), float64)" in report
    assert "largest absolute error" in report and "largest relative error" in report
    assert "reproduce with: check_grads(..., seed=1234)" in report
    # The right leaf is listed as passing.
    assert re.search(r"args\[0\]\['good'\] .* ok", report)
    assert re.search(r"args\[0\]\['bad'\]\[0\] .* FAILED", report)
    # Half the gradient: the relative error is 1/2, along every direction.
    rel = float(re.search(r"largest relative error ([0-9.e+-]+)", report).group(1))
    assert rel == pytest.approx(0.5, rel=1e-4)


def test_check_grads_seed_in_the_report_reproduces_the_failure():
    x = np.array([0.3, -1.2, 2.0])
    with pytest.raises(AssertionError) as first:
        check_grads(lambda x: at.sum(sine_flipped(x) * x), (x,))  # seed drawn fresh
    seed = int(re.search(r"seed=(\d+)", str(first.value)).group(1))
    with pytest.raises(AssertionError) as again:
        check_grads(lambda x: at.sum(sine_flipped(x) * x), (x,), seed=seed)
    assert str(again.value) == str(first.value)


def test_check_grads_order_2_catches_a_vjp_that_is_wrong_only_at_second_order():
    x = np.array([0.5, -1.0, 2.0])
    fun = lambda x: at.sum(cube_first_order_only(x))  # noqa: E731
    check_grads(fun, (x,), order=1, seed=12)  # first order is right
    with pytest.raises(AssertionError) as info:
        check_grads(fun, (x,), order=2, seed=12)
    assert "order 2" in str(info.value)


def test_check_grads_catches_non_finite_derivatives():
    @at.primitive
    def nan_vjp(x):
        return x * 1.0, ()

    nan_vjp.defvjp(lambda g: g * np.nan)
    with pytest.raises(AssertionError, match="FAILED"):
        check_grads(lambda x: at.sum(nan_vjp(x)), (np.ones(2),), seed=13)


@settings(max_examples=_examples(10), deadline=None)
@given(x=ats.float_arrays(min_value=0.5, max_value=3.0), seed=ats.seeds())
def test_check_grads_catches_a_wrong_vjp_at_every_drawn_input(x, seed):
    with pytest.raises(AssertionError, match="failing leaf: args"):
        check_grads(lambda x: at.sum(square_half_vjp(x)), (x,), seed=seed)


def test_importing_autotape_testing_does_not_need_hypothesis():
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"  # make `import hypothesis` fail
        "import numpy as np, autotape as at\n"
        "from autotape.testing import check_grads\n"
        "check_grads(at.tanh, (0.5,), seed=0)\n"
        "try:\n"
        "    import autotape.testing.strategies\n"
        "except ImportError:\n"
        "    print('strategies need hypothesis')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "strategies need hypothesis" in result.stdout


# --------------------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------------------


@settings(max_examples=_examples(25), deadline=None)
@given(data=st.data())
def test_float_arrays_respect_shape_dtype_bounds_and_kinks(data):
    dtype = data.draw(st.sampled_from([np.float32, np.float64]), label="dtype")
    shape = data.draw(st.sampled_from([None, (2, 3), 4, ()]), label="shape")
    x = data.draw(ats.float_arrays(shape, dtype, min_value=-1.0, max_value=2.0, away_from=(0.0, 1.0), margin=0.1))
    assert x.dtype == dtype
    if shape is not None:
        assert x.shape == ((shape,) if isinstance(shape, int) else shape)
    assert np.all((x >= -1.0) & (x <= 2.0))
    assert np.all(np.abs(x) >= 0.1 - 1e-7) and np.all(np.abs(x - 1.0) >= 0.1 - 1e-7)


@settings(max_examples=_examples(15), deadline=None)
@given(x=ats.float_arrays(dtype=st.sampled_from([np.float32, np.float64]), min_value=0.1, max_value=0.3))
def test_float_arrays_draw_dtypes_from_a_strategy_with_float32_bounds_rounded_inwards(x):
    assert x.dtype in (np.float32, np.float64)
    assert np.all((x >= 0.1) & (x <= 0.3))


def test_float_arrays_reject_impossible_requests():
    with pytest.raises(ValueError, match="no values are left"):
        ats.float_arrays(min_value=-0.1, max_value=0.1, away_from=0.0, margin=0.5)
    with pytest.raises(ValueError, match="min_value <= max_value"):
        ats.float_arrays(min_value=1.0, max_value=0.0)
    with pytest.raises(ValueError, match="float32 or float64"):
        ats.float_arrays(dtype=np.int64)


@settings(max_examples=_examples(25), deadline=None)
@given(arrays=ats.untied_arrays(3, st.sampled_from([np.float32, np.float64]), margin=0.01))
def test_untied_arrays_never_tie_and_keep_away_from_zero(arrays):
    assert len(arrays) == 3
    broadcast = np.broadcast_arrays(*[a.astype(np.float64) for a in arrays])
    for i in range(3):
        assert np.all(np.abs(broadcast[i]) >= 0.01 * (1 - 1e-5))
        for j in range(i):
            assert np.all(np.abs(broadcast[i] - broadcast[j]) >= 0.02 * (1 - 1e-5))


@settings(max_examples=_examples(25), deadline=None)
@given(x=ats.distinct_arrays(margin=0.05, max_dims=2, max_side=4))
def test_distinct_arrays_have_pairwise_separated_elements(x):
    flat = np.sort(x.ravel())
    assert np.all(np.diff(flat) >= 0.05 * (1 - 1e-9))
    assert np.all(np.abs(flat) >= 0.025 * (1 - 1e-9))


@settings(max_examples=_examples(25), deadline=None)
@given(arrays=ats.broadcastable_arrays(3, away_from=0.0), shapes=ats.broadcastable_shapes(4))
def test_broadcastable_arrays_and_shapes_broadcast(arrays, shapes):
    np.broadcast_shapes(*[a.shape for a in arrays])
    np.broadcast_shapes(*shapes)
    assert len(shapes) == 4 and all(np.all(np.abs(a) >= 0.01) for a in arrays)


@settings(max_examples=_examples(15), deadline=None)
@given(sizes=ats.mlp_layer_sizes(1, 3), data=st.data())
def test_mlp_params_have_the_layer_shapes(sizes, data):
    params = data.draw(ats.mlp_params(sizes, np.float32, scale=2.0))
    assert len(params) == len(sizes) - 1
    for layer, n_in, n_out in zip(params, sizes[:-1], sizes[1:]):
        assert set(layer) == {"w", "b"}
        assert layer["w"].shape == (n_in, n_out) and layer["b"].shape == (n_out,)
        assert layer["w"].dtype == np.float32 and layer["b"].dtype == np.float32
        assert np.all(np.abs(layer["w"]) <= 2.0 / np.sqrt(n_in)) and np.all(np.abs(layer["b"]) <= 1.0)


def test_mlp_params_need_two_sizes():
    @settings(max_examples=1, database=None)
    @given(ats.mlp_params([3]))
    def draw(params):
        pass

    with pytest.raises(ValueError, match="at least two layer sizes"):
        draw()


def test_programs_draw_from_autotape_ops():
    assert set(ats.PROGRAM_OPS) <= set(OPS)
    with pytest.raises(ValueError, match="unknown ops"):
        ats.programs(ops=["tanh", "not_an_op"])


@pytest.mark.parametrize("name", ats.PROGRAM_OPS)
@settings(max_examples=_examples(3), deadline=None)
@given(data=st.data())
def test_programs_of_one_op_run_with_every_backend(name, data):
    program = data.draw(ats.programs(ops=[name], max_steps=3), label="program")
    assert program.ops and set(program.ops) == {name}
    out = program.function("autotape")(*program.inputs)
    assert out.shape == program.output_shape
    expected = program.function("numpy")(*program.inputs)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert name in repr(program)


@settings(max_examples=_examples(30), deadline=None)
@given(program=ats.programs(dtype=st.sampled_from([np.float32, np.float64])))
def test_program_values_are_finite_bounded_and_match_the_numpy_reference(program):
    out = program.function("autotape")(*program.inputs)
    expected = program.function("numpy")(*program.inputs)
    assert out.shape == expected.shape == program.output_shape
    assert out.dtype == expected.dtype
    assert np.all(np.isfinite(out)) and np.all(np.abs(out) <= 1e4)
    tol = 1e-12 if out.dtype == np.float64 and program.inputs[0].dtype == np.float64 else 1e-4
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol * max(1.0, float(np.max(np.abs(expected)))))
    loss = program.loss("autotape")(*program.inputs)
    assert np.shape(loss) == ()


@settings(max_examples=_examples(10), deadline=None)
@given(data=st.data())
def test_programs_over_fixed_inputs_use_them(data):
    x = np.linspace(0.2, 2.0, 6).reshape(2, 3)
    program = data.draw(ats.programs(inputs=(x,), ops=["log", "sqrt", "sum", "multiply"]))
    assert program.inputs[0] is x or np.array_equal(program.inputs[0], x)
    np.testing.assert_allclose(program.function()(x), program.function("numpy")(x), rtol=1e-13)


# --------------------------------------------------------------------------------------
# The docs page runs
# --------------------------------------------------------------------------------------


def _python_blocks(path: pathlib.Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", path.read_text(encoding="utf-8"), flags=re.S | re.M)


def test_docs_property_based_testing_page_runs():
    """Every ```python block of docs/property-based-testing.md, in order, in one namespace;
    then every test function the page defines (its property tests) is called."""
    page = ROOT / "docs" / "property-based-testing.md"
    blocks = _python_blocks(page)
    assert len(blocks) >= 3
    namespace: dict = {"__name__": "docs_property_based_testing"}
    for block in blocks:
        exec(compile(block, str(page.name), "exec"), namespace)
    tests = {name: f for name, f in namespace.items() if name.startswith("test_") and callable(f)}
    assert {"test_mlp_gradient", "test_sgd_step_lowers_the_loss"} <= set(tests)
    for _name, test in sorted(tests.items()):
        test()

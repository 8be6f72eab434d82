"""at.jit: replays equal eager calls bit for bit; guards, closures, random draws, threads, the cache."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autotape as at
from autotape.ops.registry import REGISTRY
from autotape.testing import cases

DIFFERENTIABLE = {key: info for key, info in REGISTRY.items() if info.kind != "constant" and info.spec is not None}


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
        assert np.asarray(got).tobytes() == np.asarray(expected).tobytes(), f"{path}: {got!r} != {expected!r}"
    else:
        assert got == expected or (got != got and expected != expected), f"{path}: {got!r} != {expected!r}"


def _shuffled(x, rng):
    """``x`` with its elements permuted: the same values (the op's domain), another arrangement."""
    if not isinstance(x, np.ndarray) or x.size < 2:
        return x
    flat = x.ravel().copy()
    rng.shuffle(flat)
    return flat.reshape(x.shape)


def _call(spec, fn, args, params):
    if spec.call is not None:
        return spec.call(fn, tuple(args), params)
    return fn(list(args), **params) if spec.sequence else fn(*args, **params)


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
        out = _call(spec, op, args, case.params)
        total = at.sum(out * weights)
        return at.real(total) if total.dtype.kind == "c" else total

    out0 = _call(spec, op, case.args, case.params)
    weights = rng.normal(size=np.shape(out0))
    eager = at.value_and_grad(loss, argnums=argnums)
    jitted = at.jit(eager)
    first = [case.args[i] for i in case.diff] + others
    second = [_shuffled(np.asarray(a) if isinstance(a, float) else a, rng) for a in first]
    for xs in (first, second, first):
        assert_same(jitted(*xs), eager(*xs))
    assert jitted.cache_info().hits >= 1

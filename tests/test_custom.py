"""custom_vjp, custom_jvp and checkpoint: user rules and rematerialization, in every transform."""

from __future__ import annotations

import numpy as np
import pytest

import autotape as at
from autotape.testing import check_grads


@at.custom_vjp
def clip_gradient(x, limit=1.0):
    return x


def _clip_fwd(x, limit=1.0):
    return x, None


def _clip_bwd(residuals, g, limit=1.0):
    return (np.clip(g, -limit, limit),)


clip_gradient.defvjp(_clip_fwd, _clip_bwd)


def test_custom_vjp_uses_its_backward_rule_with_static_keywords():
    x = np.array([1.0, -2.0])
    assert clip_gradient(x) is x  # outside a transform: the function itself
    # the cotangent 3 is clipped to 2, then multiplied by 5 on the way to x
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(3 * clip_gradient(5 * x, limit=2.0)))(x), [10.0, 10.0])
    # g = 1 clipped to 0.5, times d(0.1 x^2)/dx = 0.2 x
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(clip_gradient(x * x * 0.1, limit=0.5)))(x), [0.1, -0.2])


def test_custom_vjp_with_pytree_arguments_and_residuals():
    @at.custom_vjp
    def weighted(p, x):
        return np.sum(p["w"] * x) + p["b"]

    def fwd(p, x):
        return weighted(p, x), (p, x)

    def bwd(res, g):
        p, x = res
        return {"w": g * x, "b": g}, g * p["w"] * 2  # deliberately twice the true x-cotangent

    weighted.defvjp(fwd, bwd)
    p, x = {"w": np.array([1.0, 3.0]), "b": np.array(0.5)}, np.array([2.0, -1.0])
    gp, gx = at.grad(lambda p, x: weighted(p, x), argnums=(0, 1))(p, x)
    np.testing.assert_array_equal(gp["w"], x)
    assert gp["b"] == 1.0
    np.testing.assert_array_equal(gx, 2 * p["w"])  # the user's rule, not the true derivative


def test_custom_vjp_errors_name_the_function():
    @at.custom_vjp
    def undefined(x):
        return x

    with pytest.raises(TypeError, match=r"custom_vjp function .*undefined.*defvjp"):
        undefined(np.ones(2))

    @at.custom_vjp
    def bad(x):
        return x

    bad.defvjp(lambda x: (x, None), lambda res, g: g)  # not a tuple of cotangents
    with pytest.raises(TypeError, match=r"custom_vjp function .*bad.*one cotangent per positional argument"):
        at.grad(lambda x: np.sum(bad(x)))(np.ones(2))
    with pytest.raises(TypeError, match=r"clip_gradient has only a VJP rule.*custom_jvp"):
        at.jvp(clip_gradient, (np.ones(2),), (np.ones(2),))


@at.custom_jvp
def softplus(x):
    return np.logaddexp(x, 0.0)


@softplus.defjvp
def _softplus_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return softplus(x), t * at.sigmoid(x)


def test_custom_jvp_in_forward_and_reverse_mode_and_at_higher_order():
    x = np.array([0.3, -2.0, 40.0])
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(at.jvp(softplus, (x,), (np.ones(3),))[1], s, rtol=1e-15)
    np.testing.assert_allclose(at.grad(lambda x: np.sum(softplus(x)))(x), s, rtol=1e-15)
    # second order through the rule: sigmoid' = s (1 - s)
    np.testing.assert_allclose(at.grad(lambda x: np.sum(at.grad(lambda y: np.sum(softplus(y)))(x)))(x), s * (1 - s))
    np.testing.assert_allclose(at.hessian(lambda x: np.sum(softplus(x)))(x), np.diag(s * (1 - s)), rtol=1e-14)
    check_grads(lambda x: np.sum(softplus(x) ** 2), (x[:2],), order=2)


def test_custom_jvp_of_two_pytree_arguments_transposes_to_both():
    @at.custom_jvp
    def f(a, b):
        return a["u"] * np.sin(b)

    @f.defjvp
    def f_jvp(primals, tangents):
        (a, b), (ta, tb) = primals, tangents
        return f(a, b), ta["u"] * np.sin(b) + a["u"] * np.cos(b) * tb

    a, b = {"u": np.array([1.0, 2.0])}, np.array([0.5, 1.5])
    ga, gb = at.grad(lambda a, b: np.sum(f(a, b)), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga["u"], np.sin(b), rtol=1e-15)
    np.testing.assert_allclose(gb, a["u"] * np.cos(b), rtol=1e-15)


def test_checkpoint_gives_the_same_gradients_and_recomputes_in_the_backward_pass():
    runs = []

    def block(w, h):
        runs.append(1)
        return np.tanh(h @ w)

    segment = at.checkpoint(block)
    rng = np.random.default_rng(0)
    ws = [rng.normal(size=(4, 4)) * 0.5 for _ in range(3)]
    x = rng.normal(size=(5, 4))

    def loss(ws, layer):
        h = x
        for w in ws:
            h = layer(w, h)
        return np.sum(h**2)

    plain = at.grad(loss)(ws, block)
    runs.clear()
    remat = at.grad(loss)(ws, segment)
    assert len(runs) == 6  # three forward runs, three recomputations
    for a, b in zip(plain, remat):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    # forward mode and second order through a checkpoint
    t = [np.ones((4, 4))] * 3
    np.testing.assert_allclose(
        at.jvp(lambda ws: loss(ws, segment), (ws,), (t,))[1], at.jvp(lambda ws: loss(ws, block), (ws,), (t,))[1]
    )
    check_grads(lambda w: loss([w], segment), (ws[0],), order=2)
    assert at.remat is at.checkpoint


def test_checkpoint_records_one_entry_with_only_its_inputs():
    segment = at.checkpoint(lambda w, h: np.tanh(np.tanh(h @ w) @ w))
    tape = at.trace(lambda w, h: segment(w, h))(np.ones((2, 2)), np.ones((3, 2)))
    assert [e.primitive.name for e in tape] == [f"checkpoint({segment.__wrapped__.__qualname__})"]
    (call,) = tape[0].residuals
    assert len(call.leaves) == 2  # the inputs, nothing of the inside
    with pytest.raises(TypeError, match=r"checkpointed function .* must\s+return one array"):
        at.grad(lambda w: at.checkpoint(lambda w: (w, w))(w)[0].sum())(np.ones(2))


def test_checkpoint_policy_dots_saveable_keeps_matmul_outputs(monkeypatch):
    import autotape.ops.linalg as linalg

    rng = np.random.default_rng(1)
    ws = [rng.normal(size=(3, 3)) for _ in range(4)]
    x = rng.normal(size=(2, 3))

    def block(ws, h):
        for w in ws:
            h = np.tanh(h @ w)
        return h

    plain = at.grad(lambda ws: np.sum(block(ws, x) ** 2))(ws)

    class CountingNumPy:  # the matmul module's numpy, counting its matrix products
        count = 0

        def __getattr__(self, name):
            return getattr(np, name)

        def matmul(self, a, b):
            CountingNumPy.count += 1
            return np.matmul(a, b)

    monkeypatch.setattr(linalg, "np", CountingNumPy())
    counts = {}
    for label, policy in (
        ("none", None),
        ("nothing", at.checkpoint_policies.nothing_saveable),
        ("dots", at.checkpoint_policies.dots_saveable),
    ):
        segment = at.checkpoint(block, policy=policy)
        loss, pull = at.vjp(lambda ws: np.sum(segment(ws, x) ** 2), ws)
        CountingNumPy.count = 0  # count the backward pass's products only
        (remat,) = pull(np.ones(()))
        counts[label] = CountingNumPy.count
        for a, b in zip(plain, remat):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    # The recomputation's 4 forward products are taken from the saved ones with
    # dots_saveable (the VJP rules' products remain).
    assert counts["none"] == counts["nothing"] == counts["dots"] + 4

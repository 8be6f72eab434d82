"""Differential testing against an independent implementation, HIPS autograd.

Random differentiable programs (``autotape.testing.strategies.programs``) run twice:
on autotape's primitives, differentiated by autotape, and on ``autograd.numpy``
(NumPy's functions, with textbook formulas for the ops NumPy lacks: sigmoid, relu,
logsumexp, softmax, log_softmax; see ``strategies.numpy_backend``), differentiated by
autograd. Values, gradients, Jacobians and Hessian-vector products must agree to
1e-10 relative in float64, relative to the magnitude of the compared array.
"""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autotape as at
from autotape.testing import strategies as ats

RTOL = 1e-10

# autograd warns when a gradient is constant (a linear program's Hessian-vector product).
pytestmark = pytest.mark.filterwarnings("ignore:Output seems independent of input:UserWarning")


def _examples(n: int) -> int:
    """``n`` examples under the default ("dev", 25 examples) profile, scaled for the others."""
    return max(1, round(n * settings.default.max_examples / 25))


def assert_agree(ours, theirs, what: str, rtol: float = RTOL):
    """``|ours - theirs| <= rtol * max(1, max |theirs|)`` elementwise, same shape."""
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{what}: autotape shape {ours.shape}, autograd shape {theirs.shape}"
    scale = max(1.0, float(np.max(np.abs(theirs), initial=0.0)))
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale, err_msg=f"{what}: autotape vs autograd")


def autotape_grads(program):
    return at.grad(program.loss("autotape"), argnums=tuple(range(program.num_inputs)))(*program.inputs)


def autograd_grads(program):
    loss = program.loss(anp)
    return autograd.grad(lambda xs: loss(*xs))(tuple(program.inputs))


def check_program(program):
    value = program.loss("autotape")(*program.inputs)
    assert_agree(value, program.loss(anp)(*program.inputs), "value")
    ours, theirs = autotape_grads(program), autograd_grads(program)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.dtype == np.float64
        assert_agree(a, b, f"gradient of input {i}")


def check_hessian_vector_products(program, us):
    nums = tuple(range(program.num_inputs))
    loss_at, loss_ag = program.loss("autotape"), program.loss(anp)

    def hvp_at(*xs):
        return sum(at.sum(g * u) for g, u in zip(at.grad(loss_at, argnums=nums)(*xs), us))

    def hvp_ag(xs):
        return sum(anp.sum(g * u) for g, u in zip(autograd.grad(lambda ys: loss_ag(*ys))(xs), us))

    ours = at.grad(hvp_at, argnums=nums)(*program.inputs)
    theirs = autograd.grad(hvp_ag)(tuple(program.inputs))
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert_agree(a, b, f"Hessian-vector product, input {i}")


def draw_directions(data, program):
    return [
        data.draw(ats.float_arrays(x.shape, min_value=-1, max_value=1), label=f"u{i}")
        for i, x in enumerate(program.inputs)
    ]


@settings(max_examples=_examples(60), deadline=None)
@given(program=ats.programs())
def test_gradients_agree_with_autograd(program):
    check_program(program)


@pytest.mark.parametrize("name", ats.PROGRAM_OPS)
@settings(max_examples=_examples(5), deadline=None)
@given(data=st.data())
def test_first_and_second_order_agree_with_autograd_op_by_op(name, data):
    # Programs of one op (chains of it, with constants and reused values), so that every
    # primitive is compared however rarely the mixed programs draw it.
    program = data.draw(ats.programs(ops=[name], max_steps=4), label="program")
    assert name in program.ops
    check_program(program)
    check_hessian_vector_products(program, draw_directions(data, program))


@settings(max_examples=_examples(40), deadline=None)
@given(program=ats.programs(), data=st.data())
def test_hessian_vector_products_agree_with_autograd(program, data):
    check_hessian_vector_products(program, draw_directions(data, program))


@settings(max_examples=_examples(15), deadline=None)
@given(program=ats.programs(min_inputs=1, max_inputs=1, max_dims=2, max_side=3, max_steps=5))
def test_jacobians_agree_with_autograd(program):
    (x,) = program.inputs
    ours = at.jacobian(program.function("autotape"))(x)
    theirs = autograd.jacobian(program.function(anp))(x)
    assert_agree(ours, theirs, "jacobian")


@settings(max_examples=_examples(15), deadline=None)
@given(
    params=ats.mlp_params(ats.mlp_layer_sizes(1, 3, min_size=2, max_size=5)),
    data=st.data(),
)
def test_mlp_classifier_gradients_agree_with_autograd(params, data):
    n_in, n_classes = params[0]["w"].shape[0], params[-1]["w"].shape[1]
    x = data.draw(ats.float_arrays((6, n_in), min_value=-2, max_value=2), label="x")
    labels = data.draw(st.lists(st.integers(0, n_classes - 1), min_size=6, max_size=6).map(np.array), label="labels")

    def logits(np_like, params):
        h = x
        for layer in params[:-1]:
            h = np_like.tanh(h @ layer["w"] + layer["b"])
        return h @ params[-1]["w"] + params[-1]["b"]

    def loss_at(params):
        return at.softmax_cross_entropy(logits(at, params), labels)

    def loss_ag(params):
        z = logits(anp, params)
        log_probabilities = z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
        return -anp.mean(log_probabilities[np.arange(len(labels)), labels])

    value, ours = at.value_and_grad(loss_at)(params)
    assert_agree(value, loss_ag(params), "loss")
    theirs = autograd.grad(loss_ag)(params)
    for layer, (mine, other) in enumerate(zip(ours, theirs)):
        for key in ("w", "b"):
            assert_agree(mine[key], other[key], f"params[{layer}][{key!r}]")

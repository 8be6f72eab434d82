"""Reliability: clear errors for bad input, NaN debugging, no leaked or shared state, untouched inputs.

Each bad-input test checks the exception type and that the message names the op or
argument, the shapes or types involved, and a fix. Cases already covered in
test_engine.py and test_tree_optim_losses.py are not repeated here.
"""

import asyncio
import gc
import inspect
import json
import os
import re
import subprocess
import sys
import threading
import weakref
from collections import namedtuple

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autotape as at
from autotape import _config  # only to watch check_finite, which must not run while off
from autotape.tape import Tape, active_tapes

# -- helpers ----------------------------------------------------------------------------------


def assert_mentions(error, *patterns):
    """Every regex in ``patterns`` occurs in the message of ``error`` (an exception or ExceptionInfo)."""
    message = str(getattr(error, "value", error))
    missing = [p for p in patterns if not re.search(p, message)]
    assert not missing, f"the message lacks {missing}:\n{message}"


def raised_while_running(excinfo, fun) -> bool:
    """True if the exception came out of a call made by ``fun`` (the user's code), outside the reverse walk."""
    codes = []
    tb = excinfo.tb
    while tb is not None:
        codes.append(tb.tb_frame.f_code)
        tb = tb.tb_next
    in_reverse_walk = any(c.co_name == "backward" and c.co_filename.endswith("tape.py") for c in codes)
    return fun.__code__ in codes and not in_reverse_walk


def nan_raises() -> bool:
    """Whether debug_nans is in force here: does a NaN in a grad raise?"""
    with np.errstate(all="ignore"):
        try:
            at.grad(lambda x: at.sum(at.log(x)))(np.array([-1.0]))
        except FloatingPointError:
            return True
    return False


def inf_raises() -> bool:
    """Whether debug_nans(infs=True) is in force here: does an Inf in a grad raise?"""
    with np.errstate(all="ignore"):
        try:
            at.grad(lambda x: at.sum(at.exp(x)))(np.array([1000.0]))
        except FloatingPointError:
            return True
    return False


def live_tapes() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Tape)


def line_of(marker: str) -> int:
    """The line number in this file of the line containing ``marker`` (a unique comment)."""
    lines = inspect.getsource(inspect.getmodule(line_of)).splitlines()
    (number,) = [i + 1 for i, line in enumerate(lines) if marker in line and "line_of(" not in line]
    return number


Pair = namedtuple("Pair", ["w", "b"])


# == Bad input ==================================================================================
# -- outputs that grad cannot differentiate ---------------------------------------------------


def test_grad_of_a_keepdims_output_names_the_shape_and_suggests_a_reduction():
    with pytest.raises(TypeError) as raised:
        at.grad(lambda x: at.sum(x * x, keepdims=True))(np.ones(3))
    assert_mentions(raised, r"^grad:", r"shape \(1,\)", r"\.sum\(\)|\.mean\(\)", r"vjp|jacobian")


def test_grad_of_a_tuple_output_suggests_has_aux():
    with pytest.raises(TypeError) as raised:
        at.grad(lambda x: (at.sum(x), at.mean(x)))(np.ones(3))
    assert_mentions(raised, r"^grad:", r"\btuple\b", r"has_aux=True")


def test_grad_of_a_none_output_says_it_must_return_a_scalar():
    def forgot_return(x):
        at.sum(x * x)

    with pytest.raises(TypeError) as raised:
        at.grad(forgot_return)(np.ones(3))
    assert_mentions(raised, r"^grad:", r"None", r"return")


def test_grad_of_a_string_output():
    with pytest.raises(TypeError) as raised:
        at.grad(lambda x: "loss")(1.0)
    assert_mentions(raised, r"^grad:", r"\bstr\b", r"scalar")


def test_grad_of_an_integer_output_asks_for_floating_point():
    with pytest.raises(TypeError) as raised:
        at.grad(lambda x: np.int64(3))(1.0)
    assert_mentions(raised, r"^grad:", r"int64", r"float")


# -- differentiated arguments that are not floating-point ----------------------------------------


@pytest.mark.parametrize(
    "value, dtype",
    [
        (np.array([1.0, None]), r"dtype object"),
        (np.array(["a", "b"]), r"dtype <U1"),
        (np.array([True, False]), r"dtype bool"),
        ("abc", r"\bstr\b"),
    ],
    ids=["object", "unicode", "bool", "str"],
)
def test_non_float_argument_is_a_type_error_naming_it_and_its_type(value, dtype):
    with pytest.raises(TypeError) as raised:
        at.grad(lambda x: 1.0)(value)
    assert_mentions(raised, r"^grad:", r"args\[0\]", dtype, r"float")


def test_complex_arguments_follow_jax_convention_and_complex_outputs_need_holomorphic():
    # d|z|^2 = 2 Re(conj(z) dz): the gradient is df/dx - i df/dy = 2 conj(z).
    np.testing.assert_array_equal(at.grad(lambda z: at.sum(at.abs(z) ** 2))(np.array([1 + 2j])), [2 - 4j])
    with pytest.raises(TypeError) as raised:
        at.grad(lambda z: at.sum(z * z))(np.array([1 + 2j]))
    assert_mentions(raised, r"complex128", r"holomorphic=True", r"at\.real")
    assert at.grad(lambda z: at.sum(z * z), holomorphic=True)(np.array([1 + 2j])) == [2 + 4j]
    with pytest.raises(TypeError) as raised:
        at.grad(lambda x: at.sum(x * 1j), holomorphic=True)(np.array([1.0]))
    assert_mentions(raised, r"args\[0\]", r"float64", r"astype\(complex\)")


def test_integer_leaf_deep_in_a_pytree_is_named_by_its_path():
    params = {"layers": [{"w": np.ones((2, 2)), "b": np.zeros(2)}, {"w": np.ones((2, 1)), "b": np.arange(1)}]}
    with pytest.raises(TypeError) as raised:
        at.grad(lambda p: 1.0)(params)
    assert_mentions(raised, r"\['layers'\]\[1\]\['b'\]", r"int64", r"astype\(np\.float64\)")


def test_integer_leaf_of_a_namedtuple_is_named_by_its_field():
    with pytest.raises(TypeError) as raised:
        at.grad(lambda a, p: 1.0, argnums=1)(1.0, Pair(np.ones(2), np.arange(2)))
    assert_mentions(raised, r"args\[1\]\.b", r"int64")


def test_python_list_of_floats_is_accepted_as_a_pytree_argument():
    grads = at.grad(lambda xs: at.sum(at.stack(xs) ** 2))([1.0, 2.0, -3.0])
    assert isinstance(grads, list) and [float(g) for g in grads] == [2.0, 4.0, -6.0]


def test_python_int_in_a_list_argument_is_named():
    with pytest.raises(TypeError) as raised:
        at.grad(lambda xs: xs[0] * xs[1])([1.0, 2])
    assert_mentions(raised, r"args\[0\]\[1\]", r"int")


# Each case takes ``c``, applied to every list literal: ``c = list`` passes the lists as they
# are, ``c = np.asarray`` converts them by hand. "Accepted as an array" means both agree.
LIST_OPERANDS = {
    "add": lambda w, c: at.sum(at.add(w, c([1.0, 2.0]))),
    "multiply": lambda w, c: at.sum(at.multiply(c([1.0, 2.0]), w)),
    "matmul": lambda w, c: at.sum(at.matmul(c([[1.0, 2.0], [3.0, 4.0]]), w)),
    "maximum": lambda w, c: at.sum(at.maximum(w, c([0.0, 3.0]))),
    "where": lambda w, c: at.sum(at.where(c([True, False]), w, c([0.5, 0.5]))),
    "mse": lambda w, c: at.mse(w, c([0.0, 1.0])),
    "bce_with_logits": lambda w, c: at.bce_with_logits(w, c([0.0, 1.0])),
    "sigmoid": lambda w, c: at.sum(w * at.sigmoid(c([1.0, -1.0]))),
    "softmax": lambda w, c: at.sum(w * at.softmax(c([1.0, -1.0]))),
}


@pytest.mark.parametrize("op", list(LIST_OPERANDS))
def test_python_lists_of_floats_are_accepted_as_array_operands(op):
    fun = LIST_OPERANDS[op]
    w = np.array([0.5, -1.5])
    expected_value, expected_grad = at.value_and_grad(lambda w: fun(w, np.asarray))(w)
    value, grad = at.value_and_grad(lambda w: fun(w, list))(w)
    np.testing.assert_array_equal(value, expected_value)
    np.testing.assert_array_equal(grad, expected_grad)


# -- argnums and has_aux --------------------------------------------------------------------------


def test_negative_argnums_out_of_range():
    with pytest.raises(ValueError) as raised:
        at.grad(lambda a, b: a * b, argnums=-3)(1.0, 2.0)
    assert_mentions(raised, r"argnums -3", r"2 positional", r"\[0, 1\]")


def test_argnums_repeated_through_a_negative_alias():
    with pytest.raises(ValueError) as raised:
        at.grad(lambda a, b: a * b, argnums=(1, -1))(1.0, 2.0)
    assert_mentions(raised, r"argnums \(1, -1\)", r"repeats", r"once")


def test_argnums_of_the_wrong_type():
    with pytest.raises(TypeError) as raised:
        at.grad(lambda a, b: a * b, argnums=0.5)(1.0, 2.0)
    assert_mentions(raised, r"^grad:", r"argnums", r"0\.5", r"\bint\b")


def test_differentiated_argument_passed_by_keyword():
    # grad differentiates positional arguments; grad(f)(params=p) has none.
    with pytest.raises(ValueError) as raised:
        at.grad(lambda params: at.sum(params * params))(params=np.ones(2))
    assert_mentions(raised, r"^grad:", r"argnums 0", r"keyword", r"positional")


@pytest.mark.parametrize(
    "transform, call",
    [
        ("grad", lambda f: at.grad(f, has_aux=True)(2.0)),
        ("value_and_grad", lambda f: at.value_and_grad(f, has_aux=True)(2.0)),
        ("vjp", lambda f: at.vjp(f, 2.0, has_aux=True)),
    ],
)
@pytest.mark.parametrize("result", ["scalar", "triple"])
def test_has_aux_with_a_function_that_does_not_return_a_pair(transform, call, result):
    fun = (lambda x: x * x) if result == "scalar" else (lambda x: (x * x, 1.0, 2.0))
    with pytest.raises(TypeError) as raised:
        call(fun)
    assert_mentions(
        raised,
        rf"^{transform}:",
        r"has_aux=True",
        r"pair \(output, aux\)",
        r"Traced|traced|scalar" if result == "scalar" else r"tuple of length 3",
    )


# -- shape errors, raised at the user's call --------------------------------------------------------


def test_matmul_inner_dimensions_message_is_exact_and_raised_at_the_call():
    def loss(a):
        return at.sum(a @ np.ones((5, 1)))

    with pytest.raises(ValueError) as raised:
        at.grad(loss)(np.ones((3, 4)))
    assert str(raised.value).startswith("matmul: (3, 4) @ (5, 1): inner dimensions 4 and 5 differ")
    assert_mentions(raised, r"transpose or reshape")
    assert raised_while_running(raised, loss)


def test_matmul_batch_dimensions_that_do_not_broadcast():
    def loss(a):
        return at.sum(a @ np.ones((5, 4, 2)))

    with pytest.raises(ValueError) as raised:
        at.grad(loss)(np.ones((2, 3, 4)))
    assert_mentions(raised, r"^matmul:", r"\(2, 3, 4\)", r"\(5, 4, 2\)", r"batch|broadcast")
    assert raised_while_running(raised, loss)


BROADCASTS = {
    "x + y": ("add", lambda x, y: x + y),
    "x * y": ("multiply", lambda x, y: x * y),
    "np.add(x, y)": ("add", lambda x, y: np.add(x, y)),
    "at.subtract": ("subtract", lambda x, y: at.subtract(x, y)),
    "at.maximum": ("maximum", lambda x, y: at.maximum(x, y)),
    "at.where": ("where", lambda x, y: at.where(np.ones(4, bool), x, y)),
}


@pytest.mark.parametrize("case", list(BROADCASTS))
def test_operands_that_do_not_broadcast(case):
    op, fun = BROADCASTS[case]

    def loss(x):
        return at.sum(fun(x, np.ones((2, 4))))

    with pytest.raises(ValueError) as raised:
        at.grad(loss)(np.ones(3))
    assert_mentions(raised, rf"^{op}:", r"\(3,\)", r"\(2, 4\)", r"broadcast", r"reshape|\[:, None\]|expand")
    assert raised_while_running(raised, loss)


def test_stack_of_mismatched_shapes_names_them():
    def loss(a):
        return at.sum(at.stack([a, a, np.ones(4)]))

    with pytest.raises(ValueError) as raised:
        at.grad(loss)(np.ones(3))
    assert_mentions(raised, r"^stack:", r"array 0 has shape \(3,\)", r"array 2 has shape \(4,\)", r"must match")
    assert raised_while_running(raised, loss)


def test_concatenate_of_mismatched_ranks_names_them():
    def loss(a):
        return at.sum(at.concatenate([a, np.ones((2, 3, 1))], axis=0))

    with pytest.raises(ValueError) as raised:
        at.grad(loss)(np.ones((2, 3)))
    assert_mentions(raised, r"^concatenate:", r"\(2, 3\)", r"\(2, 3, 1\)", r"except axis 0 must match")
    assert raised_while_running(raised, loss)


def test_reshape_to_an_incompatible_size():
    def loss(a):
        return at.sum(a.reshape(4, 2))

    with pytest.raises(ValueError) as raised:
        at.grad(loss)(np.ones((3, 2)))
    assert_mentions(raised, r"^reshape:", r"\(3, 2\) \(6 elements\)", r"\(4, 2\)", r"-1")
    assert raised_while_running(raised, loss)


AXIS_OPS = {
    "sum": lambda x: at.sum(x, axis=2),
    "mean": lambda x: at.mean(x, axis=-3),
    "max": lambda x: at.max(x, axis=(0, 5)),
    "logsumexp": lambda x: at.logsumexp(x, axis=2),
    "softmax": lambda x: at.softmax(x, axis=2),
    "log_softmax": lambda x: at.log_softmax(x, axis=-3),
    "concatenate": lambda x: at.concatenate([x, x], axis=2),
    "stack": lambda x: at.stack([x, x], axis=4),
}


@pytest.mark.parametrize("op", list(AXIS_OPS))
def test_axis_out_of_range(op):
    def loss(x):
        return at.sum(AXIS_OPS[op](x))

    with pytest.raises(ValueError) as raised:
        at.grad(loss)(np.ones((3, 2)))
    assert_mentions(raised, rf"^{op}:", r"axis -?\d", r"out of range", r"dimension", r"use an axis in \[")
    assert raised_while_running(raised, loss)


def test_transpose_axes_that_are_not_a_permutation():
    def loss(x):
        return at.sum(at.transpose(x, (0, 0)))

    with pytest.raises(ValueError) as raised:
        at.grad(loss)(np.ones((3, 2)))
    assert_mentions(raised, r"^transpose:", r"\(0, 0\)", r"permutation", r"\(3, 2\)")


UNTRACED = {
    "reshape": lambda: at.reshape(np.ones(3), (2, 2)),
    "concatenate": lambda: at.concatenate([np.ones((2, 3)), np.ones((3, 4))]),
    "stack": lambda: at.stack([np.ones(3), np.ones(4)]),
    "transpose": lambda: at.transpose(np.ones((2, 3)), (0, 0)),
    "mean": lambda: at.mean(np.ones((3, 2)), axis=5),
    "matmul": lambda: at.matmul(np.ones((2, 3, 4)), np.ones((5, 4, 2))),
}


@pytest.mark.parametrize("op", list(UNTRACED))
def test_ops_outside_a_transform_give_the_same_clear_errors(op):
    # Plain NumPy inputs take a fast path that skips the tape; its errors must be as clear.
    with pytest.raises(ValueError) as raised:
        UNTRACED[op]()
    assert_mentions(raised, rf"^{op}:")


# -- losses -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loss, prediction, target, shapes",
    [
        (at.mse, np.ones(4), np.ones((4, 1)), (r"\(4,\)", r"\(4, 1\)")),
        (at.bce_with_logits, np.ones((4, 1)), np.ones(4), (r"\(4, 1\)", r"\(4,\)")),
        (at.softmax_cross_entropy, np.ones((3, 2)), np.eye(4)[:3], (r"\(3, 2\)", r"\(3, 4\)")),
        (at.softmax_cross_entropy, np.ones((3, 2)), np.array([0, 1]), (r"\(3,\)", r"\(3, 2\)", r"\(2,\)")),
    ],
    ids=["mse", "bce_with_logits", "softmax_cross_entropy-one-hot", "softmax_cross_entropy-ids"],
)
def test_loss_under_grad_with_mismatched_shapes(loss, prediction, target, shapes):
    def objective(p):
        return loss(p, target)

    with pytest.raises(ValueError) as raised:
        at.grad(objective)(prediction)
    assert_mentions(raised, rf"^{loss.__name__}:", *shapes)
    assert raised_while_running(raised, objective)


def test_float_class_ids_for_softmax_cross_entropy():
    # A common slip: class ids as floats. Both shapes named, and the fix is an integer cast.
    with pytest.raises(ValueError) as raised:
        at.softmax_cross_entropy(np.ones((3, 2)), np.array([0.0, 1.0, 1.0]))
    assert_mentions(raised, r"^softmax_cross_entropy:", r"\(3, 2\)", r"\(3,\)", r"astype\(int\)|integer")


# -- optimizers -------------------------------------------------------------------------------------

PARAMS = {"layers": [{"w": np.ones((2, 2)), "b": np.zeros(2)}, {"w": np.ones((2, 1)), "b": np.zeros(1)}]}


def _optimizers():
    return {"momentum": at.optim.momentum(0.1), "adam": at.optim.adam(0.1), "optim.sgd": at.optim.sgd(0.1)}


@pytest.mark.parametrize("name", ["momentum", "adam", "optim.sgd"])
def test_optimizer_update_with_grads_of_another_structure_names_the_first_differing_path(name):
    opt = _optimizers()[name]
    grads = {"layers": [PARAMS["layers"][0], {"w": np.ones((2, 1))}]}
    with pytest.raises(ValueError) as raised:
        opt.update(PARAMS, grads, opt.init(PARAMS))
    assert_mentions(raised, r"params\['layers'\]\[1\]", r"keys \['b', 'w'\]", r"keys \['w'\]", r"at\.grad")


@pytest.mark.parametrize("name", ["momentum", "adam", "optim.sgd"])
def test_optimizer_update_with_a_gradient_of_another_shape(name):
    opt = _optimizers()[name]
    grads = {"layers": [PARAMS["layers"][0], {"w": np.ones((2, 1)), "b": np.zeros((1, 1))}]}
    with pytest.raises(ValueError) as raised:
        opt.update(PARAMS, grads, opt.init(PARAMS))
    assert_mentions(raised, r"params\['layers'\]\[1\]\['b'\]", r"shape \(1,\)", r"\(1, 1\)")


@pytest.mark.parametrize("name", ["momentum", "adam"])
def test_optimizer_state_of_other_params_is_an_error_not_a_silent_mix_up(name):
    # The state holds one moment per parameter: a state from other parameters must not be
    # paired with these leaf by leaf (zip would silently drop or mismatch leaves).
    opt = _optimizers()[name]
    state = opt.init({"a": np.ones(2), "b": np.ones(2)})
    params = {"b": np.ones(2), "c": np.ones(2)}
    with pytest.raises(ValueError) as raised:
        opt.update(params, params, state)
    assert_mentions(raised, r"state", r"\['a'\]|\['c'\]|keys", r"init")


@pytest.mark.parametrize("lr", [float("nan"), float("inf"), -np.inf, np.float32("nan")], ids=repr)
@pytest.mark.parametrize("make", ["optim.sgd", "momentum", "adam"])
def test_optimizer_learning_rate_that_is_not_finite(make, lr):
    factory = {"optim.sgd": at.optim.sgd, "momentum": at.optim.momentum, "adam": at.optim.adam}[make]
    with pytest.raises(ValueError) as raised:
        factory(lr)
    assert_mentions(raised, rf"{make}:", r"learning rate", r"finite", re.escape(repr(lr)))


@pytest.mark.parametrize("lr", [None, "0.1", [0.1], 1j, True], ids=repr)
def test_learning_rate_that_is_not_a_number(lr):
    with pytest.raises(TypeError) as raised:
        at.sgd({"w": np.ones(2)}, {"w": np.ones(2)}, lr)
    assert_mentions(raised, r"^sgd:", r"learning rate", r"real number", re.escape(type(lr).__name__))


# -- NumPy used in ways the tape cannot follow -------------------------------------------------------


def _setitem(x):
    x[0] = 0.0
    return at.sum(x)


def _ndarray_iadd(x):
    buffer = np.zeros(2)
    buffer += x
    return at.sum(x)


MISUSES = {
    "x[0] = v": (_setitem, [r"item assignment", r"at\.where"]),
    "ndarray += traced": (_ndarray_iadd, [r"numpy\.add", r"out=", r"Drop out="]),
    "np.multiply(out=)": (lambda x: at.sum(np.multiply(x, 2.0, out=np.empty(2))), [r"numpy\.multiply", r"out="]),
    "np.sum(out=)": (lambda x: np.sum(x, out=np.empty(())), [r"numpy\.sum", r"out=", r"drop it"]),
    "np.copyto": (lambda x: (np.copyto(np.empty(2), x), at.sum(x))[1], [r"numpy\.copyto", r"in place", r"np\.where"]),
    "float(x)": (lambda x: float(at.sum(x)) * 1.0, [r"float\(\)", r"stop_gradient"]),
    "int(x)": (lambda x: int(at.sum(x)) * 1.0, [r"int\(\)", r"stop_gradient"]),
    "x.item()": (lambda x: at.sum(x).item() * 1.0, [r"item\(\)", r"stop_gradient"]),
    "x.tolist()": (lambda x: sum(x.tolist()), [r"tolist\(\)", r"stop_gradient"]),
    "np.asarray(x, float)": (lambda x: np.asarray(x, dtype=float).sum(), [r"converted", r"stop_gradient"]),
}


@pytest.mark.parametrize("case", list(MISUSES))
def test_numpy_misuse_on_a_traced_value_is_a_clear_type_error(case):
    fun, patterns = MISUSES[case]
    with pytest.raises(TypeError) as raised:
        at.grad(fun)(np.ones(2))
    assert_mentions(raised, *patterns)


def test_casting_to_an_integer_never_passes_a_gradient_through():
    # floor-like casts have derivative 0 almost everywhere: a gradient of 1 would be silently wrong.
    x = np.array([1.7, 2.2])
    for dtype in (np.int64, bool):
        try:
            g = at.grad(lambda x: at.sum(at.astype(x, dtype) * 1.0))(x)
        except (TypeError, ValueError) as error:
            assert_mentions(error, r"astype", r"int|bool")
        else:
            np.testing.assert_array_equal(g, np.zeros(2), err_msg=f"gradient through astype({dtype.__name__})")


# -- escaped tracers -----------------------------------------------------------------------------


def _leak():
    leaked = []

    def remember_me(x):
        leaked.append(x)
        return at.sum(x * 2.0)

    at.grad(remember_me)(np.ones(2))
    return leaked[0]


ESCAPED_USES = {
    "at.tanh": lambda t: at.tanh(t),
    "t * 2": lambda t: t * 2.0,
    "2 - t": lambda t: 2.0 - t,
    "np.exp": lambda t: np.exp(t),
    "np.sum": lambda t: np.sum(t),
    "t.sum()": lambda t: t.sum(),
    "t.T": lambda t: t.T,
    "t[0]": lambda t: t[0],
    "np.asarray": lambda t: np.asarray(t),
    "at.mse": lambda t: at.mse(t, np.ones(2)),
    "float(t)": lambda t: float(t),
    "inside another grad": lambda t: at.grad(lambda y: at.sum(y * t))(np.ones(2)),
}


@pytest.mark.parametrize("use", list(ESCAPED_USES))
def test_escaped_tracer_error_names_where_it_was_created(use):
    leaked = _leak()
    with pytest.raises(RuntimeError) as raised:
        ESCAPED_USES[use](leaked)
    assert_mentions(
        raised, r"already returned", r"grad of .*remember_me", r"test_reliability\.py:\d+", r"stop_gradient"
    )


def test_tracer_from_a_running_transform_used_in_another_thread():
    handed_over, done = [], threading.Event()
    errors = []

    def other_thread():
        try:
            at.tanh(handed_over[0])
        except RuntimeError as error:
            errors.append(error)
        finally:
            done.set()

    def f(x):
        handed_over.append(x)
        thread = threading.Thread(target=other_thread)
        thread.start()
        done.wait(10)
        thread.join()
        return at.sum(x * x)

    g = at.grad(f)(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [2.0, 4.0])  # the transform itself is unaffected
    assert len(errors) == 1
    assert_mentions(errors[0], r"grad of .*\bf\b", r"another thread")


# == NaN and Inf debugging ===========================================================================


def test_debug_nans_is_off_by_default_and_costs_no_checks(monkeypatch):
    assert not nan_raises() and not inf_raises()

    def must_not_run(*args, **kwargs):
        raise AssertionError("check_finite ran while debug_nans is off")

    monkeypatch.setattr(_config, "check_finite", must_not_run)
    with np.errstate(all="ignore"):
        g = at.grad(lambda x: at.sum(at.log(x) + at.sqrt(x)))(np.array([-1.0, 0.0]))
    assert np.isnan(g[0]) and np.isinf(g[1])  # NaN flows through, as in NumPy, when off


def test_debug_nans_as_a_global_switch():
    at.debug_nans.enable()
    try:
        with pytest.raises(FloatingPointError, match=r"log produced NaN"):
            with np.errstate(invalid="ignore"):
                at.grad(lambda x: at.sum(at.log(x)))(np.array([-1.0]))
    finally:
        at.debug_nans.disable()
    with np.errstate(invalid="ignore"):
        value, _ = at.value_and_grad(lambda x: at.sum(at.log(x)))(np.array([-1.0]))
    assert np.isnan(value)


def test_forward_error_names_the_first_bad_primitive_its_input_shapes_and_the_source_line():
    X = np.array([[1.0, 2.0, 3.0], [-1.0, -2.0, -3.0]])

    def loss(w):
        z = X @ w
        h = at.log(z)  # <- the NaN appears here
        return at.sum(at.tanh(h))

    with at.debug_nans(), np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError) as raised:
            at.grad(loss)(np.ones((3, 1)))
    assert_mentions(
        raised,
        r"^debug_nans: log produced NaN in the forward pass",
        r"input shapes: \(2, 1\)",
        rf"test_reliability\.py:{line_of('# <- the NaN appears here')}\b",
    )


def test_nan_in_the_data_is_reported_at_the_op_that_reads_it():
    X = np.array([[1.0, np.nan], [0.0, 1.0]])
    with at.debug_nans():
        with pytest.raises(FloatingPointError) as raised:
            at.grad(lambda w: at.sum(X @ w))(np.ones(2))
    assert_mentions(raised, r"matmul produced NaN", r"input shapes: const, \(2,\)")


def test_reverse_pass_error_names_the_user_source_line():
    def loss(x):
        root = at.sqrt(x)  # <- sqrt'(0) is infinite
        return at.sum(root * 0.0)

    with at.debug_nans(), np.errstate(divide="ignore", invalid="ignore"):
        with pytest.raises(FloatingPointError) as raised:
            at.grad(loss)(np.zeros(2))
    assert_mentions(
        raised,
        r"sqrt produced NaN in the reverse pass",
        r"input shapes: \(2,\)",
        rf"test_reliability\.py:{line_of('# <- sqrt' + chr(39) + '(0) is infinite')}\b",
    )


def test_infinities_are_errors_only_when_asked_for():
    exp_of = lambda x: at.sum(at.exp(x))  # noqa: E731
    with at.debug_nans(infs=True), np.errstate(over="ignore"):
        with pytest.raises(FloatingPointError) as raised:
            at.grad(exp_of)(np.array([1000.0]))
    assert_mentions(raised, r"exp produced Inf in the forward pass", r"\(1,\)")
    with at.debug_nans(), np.errstate(over="ignore"):
        assert np.isinf(at.grad(exp_of)(np.array([1000.0]))).all()


def test_debug_nans_block_restores_the_previous_mode_even_after_an_error():
    with at.debug_nans(infs=True):
        with pytest.raises(ZeroDivisionError):
            with at.debug_nans():
                assert nan_raises() and not inf_raises()
                raise ZeroDivisionError("an error inside the inner block")
        assert nan_raises() and inf_raises()
    assert not nan_raises() and not inf_raises()


def test_debug_nans_also_checks_primitives_called_outside_a_transform():
    # Evaluating a validation loss is not under grad, but a NaN there needs finding too.
    with at.debug_nans(), np.errstate(invalid="ignore"):
        with pytest.raises(FloatingPointError) as raised:
            at.log(np.array([1.0, -1.0]))
    assert_mentions(raised, r"log produced NaN", r"\(2,\)")


# == No leaked or shared state =======================================================================


class _Probe:
    """A primitive whose residual can be watched with a weak reference."""

    def __init__(self):
        self.residuals = []
        probe = self

        def forward(x):
            residual = np.array(primal_of(x), copy=True)
            probe.residuals.append(weakref.ref(residual))
            return x * 1.0, (residual,)

        self.op = at.primitive(forward, name="probe")
        self.op.defvjp(lambda g, residual: g * 1.0)


def primal_of(x):
    while isinstance(x, at.Traced):
        x = x.value
    return x


def _interrupt_in_forward(probe, tapes):
    def f(x):
        tapes.append(weakref.ref(x.tape))
        y = at.tanh(probe.op(x))
        if y.shape:
            raise KeyboardInterrupt
        return at.sum(y)

    return lambda: at.grad(f)(np.ones(3))


def _interrupt_in_reverse(probe, tapes):
    @at.primitive
    def explode(x):
        return x * 1.0, ()

    def vjp(g):
        raise KeyboardInterrupt

    explode.defvjp(vjp)

    def f(x):
        tapes.append(weakref.ref(x.tape))
        return at.sum(explode(probe.op(x)))

    return lambda: at.grad(f)(np.ones(3))


def _shape_error(probe, tapes):
    def f(x):
        tapes.append(weakref.ref(x.tape))
        return at.sum(probe.op(x) + np.ones(4))

    return lambda: at.grad(f)(np.ones(3))


def _nan_in_reverse(probe, tapes):
    def f(x):
        tapes.append(weakref.ref(x.tape))
        return at.sum(at.sqrt(probe.op(x)) * 0.0)

    def run():
        with at.debug_nans(), np.errstate(all="ignore"):
            at.grad(f)(np.zeros(3))

    return run


def _non_scalar_output(probe, tapes):
    def f(x):
        tapes.append(weakref.ref(x.tape))
        return probe.op(x)

    return lambda: at.grad(f)(np.ones(3))


def _bad_leaf(probe, tapes):
    return lambda: at.grad(lambda p: 1.0)({"a": np.ones(2), "b": np.arange(2)})


FAILURES = {
    "KeyboardInterrupt in the function": (_interrupt_in_forward, KeyboardInterrupt),
    "KeyboardInterrupt in a VJP rule": (_interrupt_in_reverse, KeyboardInterrupt),
    "shape error": (_shape_error, ValueError),
    "debug_nans in the reverse walk": (_nan_in_reverse, FloatingPointError),
    "non-scalar output": (_non_scalar_output, TypeError),
    "integer leaf": (_bad_leaf, TypeError),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_a_failure_leaves_no_tape_behind_and_the_next_grad_is_right(failure):
    make, error = FAILURES[failure]
    probe, tapes = _Probe(), []
    before = live_tapes()
    try:
        make(probe, tapes)()
    except error:
        pass
    else:  # pragma: no cover
        pytest.fail(f"{failure}: expected {error.__name__}")
    assert active_tapes() == ()
    assert not nan_raises()
    g = at.grad(lambda x: at.sum(at.tanh(x) * x))(np.array([0.5, -1.0]))
    t = np.tanh([0.5, -1.0])
    np.testing.assert_allclose(g, t + np.array([0.5, -1.0]) * (1 - t**2), rtol=1e-15)
    gc.collect()
    assert all(ref() is None for ref in tapes), "the failed transform's tape is still referenced"
    assert all(ref() is None for ref in probe.residuals), "a residual of the failed transform is still referenced"
    assert live_tapes() <= before


def test_an_error_caught_inside_an_outer_function_restores_the_outer_tape():
    def outer(x):
        try:
            at.grad(lambda y: at.sum(y + np.ones(4)))(np.ones(3))
        except ValueError:
            pass
        assert len(active_tapes()) == 1
        return x * x * x

    assert at.grad(outer)(2.0) == 12.0
    assert active_tapes() == ()


def test_residuals_are_freed_when_grad_returns_without_waiting_for_the_collector():
    probe = _Probe()
    leaked = []

    def f(x):
        leaked.append(x)  # even an escaped tracer must not keep the recorded entries alive
        return at.sum(at.tanh(probe.op(x)))

    gc.disable()
    try:
        at.grad(f)(np.ones(3))
        assert [ref() for ref in probe.residuals] == [None]
        assert len(leaked[0].tape) == 0
    finally:
        gc.enable()


def test_vjp_keeps_its_tape_only_while_its_function_lives():
    probe = _Probe()
    out, vjp_fn = at.vjp(lambda x: at.tanh(probe.op(x)), np.array([0.1, 0.2]))
    first = vjp_fn(np.ones(2))
    second = vjp_fn(np.ones(2))  # callable again: nothing was consumed
    np.testing.assert_array_equal(first[0], second[0])
    assert probe.residuals[0]() is not None
    del vjp_fn
    gc.collect()
    assert probe.residuals[0]() is None


def _run_in_threads(*targets):
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)


def test_interleaved_debug_nans_blocks_in_two_threads_leave_it_off():
    # Thread A enters, thread B enters, A leaves, B leaves: afterwards debug_nans is off again.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def thread_a():
        with at.debug_nans():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def thread_b():
        a_in.wait(10)
        with at.debug_nans():
            b_in.set()
            a_out.wait(10)

    _run_in_threads(thread_a, thread_b)
    left_on = nan_raises()
    at.debug_nans.disable()  # repair the global state for the tests that follow
    assert not left_on, "debug_nans was left on by two overlapping blocks"


def test_a_debug_nans_block_in_one_thread_does_not_change_another_thread():
    inside, checked = threading.Event(), threading.Event()
    results = []

    def debugging():
        with at.debug_nans():
            inside.set()
            checked.wait(10)

    def training():
        inside.wait(10)
        try:
            with np.errstate(invalid="ignore"):
                results.append(at.grad(lambda x: at.sum(at.log(x)))(np.array([-1.0])))
        except FloatingPointError as error:
            results.append(error)
        finally:
            checked.set()

    _run_in_threads(debugging, training)
    at.debug_nans.disable()
    assert len(results) == 1 and isinstance(results[0], np.ndarray), results


# -- concurrency --------------------------------------------------------------------------------------

_rng = np.random.default_rng(42)
_X = _rng.normal(size=(16, 3))
_Y = (_rng.uniform(size=16) > 0.5).astype(float)
_LABELS = _rng.integers(0, 3, size=16)
_MLP = {
    "w1": _rng.normal(size=(3, 8)) * 0.5,
    "b1": np.zeros(8),
    "w2": _rng.normal(size=(8, 1)) * 0.5,
    "b2": np.zeros(1),
}
_A = _rng.normal(size=(4, 4))


def _mlp_loss(p, X, y):
    hidden = at.tanh(X @ p["w1"] + p["b1"])
    return at.bce_with_logits((hidden @ p["w2"] + p["b2"])[:, 0], y)


@at.primitive
def _cube(x):
    return x**3, (x,)


_cube.defvjp(lambda g, x: 3 * x**2 * g)


def _program_mlp():
    return at.value_and_grad(_mlp_loss)(_MLP, _X, _Y)


def _program_adam():
    opt, w = at.optim.adam(0.05), _rng_fixed(1).normal(size=(3, 3))
    state = opt.init(w)
    for _ in range(5):
        w, state = opt.update(w, at.grad(lambda w: at.softmax_cross_entropy(_X @ w, _LABELS))(w), state)
    return w


def _program_hessian():
    return at.hessian(lambda x: x @ _A @ x + at.sum(at.tanh(x)))(np.linspace(-1, 1, 4))


def _program_jacobian():
    return at.jacobian(lambda x: at.softmax(x * 2.0))(np.array([0.1, -0.4, 2.0]))


def _program_vjp():
    out, vjp_fn = at.vjp(lambda W, x: at.tanh(W @ x), _A, np.ones(4))
    return out, vjp_fn(np.arange(4.0))


def _program_third_order():
    return at.grad(at.grad(at.grad(lambda x: at.sigmoid(x) * x**4)))(0.7)


def _program_aux():
    return at.grad(lambda x: (at.sum(_cube(x)), {"n": at.max(x)}), has_aux=True)(np.array([1.0, -2.0, 0.5]))


def _program_indexing():
    def f(x):
        pieces = at.concatenate([x[::2], x[np.array([0, 0, 3])], at.reshape(x, (2, 2))[1]])
        return at.logsumexp(pieces) + at.mean(at.clip(x, -0.5, 0.5))

    return at.grad(f)(np.array([0.3, -1.0, 2.0, 0.0]))


def _rng_fixed(seed):
    return np.random.default_rng(seed)


PROGRAMS = [
    _program_mlp,
    _program_adam,
    _program_hessian,
    _program_jacobian,
    _program_vjp,
    _program_third_order,
    _program_aux,
    _program_indexing,
]


def assert_bitwise_equal(a, b):
    leaves_a, def_a = at.tree.flatten(a)
    leaves_b, def_b = at.tree.flatten(b)
    assert def_a == def_b
    for x, y in zip(leaves_a, leaves_b):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


def test_eight_threads_running_different_grads_at_once_match_running_them_one_by_one():
    expected = [program() for program in PROGRAMS]
    rounds = 15
    results = [[] for _ in PROGRAMS]
    errors = []
    start = threading.Barrier(len(PROGRAMS))

    def worker(k):
        try:
            start.wait(10)
            for _ in range(rounds):
                results[k].append(PROGRAMS[k]())
        except BaseException as error:  # pragma: no cover - reported below
            errors.append((PROGRAMS[k].__name__, error))

    _run_in_threads(*[lambda k=k: worker(k) for k in range(len(PROGRAMS))])
    assert not errors, errors
    for k in range(len(PROGRAMS)):
        assert len(results[k]) == rounds
        for result in results[k]:
            assert_bitwise_equal(result, expected[k])
    assert active_tapes() == ()


def test_asyncio_tasks_interleaving_grads_match_running_them_one_by_one():
    expected = [program() for program in PROGRAMS]

    async def task(k, in_thread):
        out = []
        for _ in range(4):
            out.append(await asyncio.to_thread(PROGRAMS[k]) if in_thread else PROGRAMS[k]())
            await asyncio.sleep(0)  # let the other tasks run between steps
        return out

    async def main():
        return await asyncio.gather(*[task(k, in_thread=k % 2 == 1) for k in range(len(PROGRAMS))])

    for k, results in enumerate(asyncio.run(main())):
        for result in results:
            assert_bitwise_equal(result, expected[k])


def test_asyncio_tasks_started_inside_a_differentiated_function_do_not_share_its_tape():
    # Tasks created inside f inherit a copy of its context: their own grads open their own tapes,
    # and a task's grad of an unrelated function gives the same value as outside.
    inner_expected = _program_indexing()

    def f(x):
        async def side_work():
            await asyncio.sleep(0)
            return _program_indexing()

        async def main():
            return await asyncio.gather(side_work(), side_work())

        for result in asyncio.run(main()):
            assert_bitwise_equal(result, inner_expected)
        return at.sum(x * x)

    np.testing.assert_array_equal(at.grad(f)(np.array([1.0, 3.0])), [2.0, 6.0])


# -- inputs are never mutated ---------------------------------------------------------------------


def _snapshot(tree):
    return [
        (
            np.asarray(leaf).dtype.str,
            np.shape(leaf),
            np.asarray(leaf).tobytes(),
            getattr(getattr(leaf, "flags", None), "writeable", None),
        )
        for leaf in at.tree.leaves(tree)
    ]


def _arrays(tree):
    return [leaf for leaf in at.tree.leaves(tree) if isinstance(leaf, np.ndarray)]


@st.composite
def _training_setups(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n_in, hidden, batch = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layout = draw(st.sampled_from(["C", "F", "strided", "readonly"]))

    def make(shape):
        if layout == "strided":
            return rng.normal(size=shape + (2,)).astype(dtype)[..., 0]
        array = rng.normal(size=shape).astype(dtype)
        if layout == "F":
            array = np.asfortranarray(array)
        if layout == "readonly":
            array.flags.writeable = False
        return array

    params = {"w1": make((n_in, hidden)), "b1": make((hidden,)), "head": [make((hidden, 1)), dtype(0.1)]}
    X, y = make((batch, n_in)), (rng.uniform(size=batch) > 0.5).astype(dtype)
    return params, X, y


def _loss(params, X, y):
    hidden = at.tanh(X @ params["w1"] + params["b1"])
    w2, b2 = params["head"]
    return at.bce_with_logits((hidden @ w2)[:, 0] + b2, y) + 1e-3 * at.sum(params["w1"] ** 2)


@settings(deadline=None)
@given(_training_setups())
def test_inputs_are_never_mutated_by_grad_sgd_or_optimizer_updates(setup):
    params, X, y = setup
    inputs = _snapshot((params, X, y))
    value, grads = at.value_and_grad(_loss)(params, X, y)
    g_params, g_X = at.grad(_loss, argnums=(0, 1))(params, X, y)
    after_grad = _snapshot(grads)
    outputs = [grads, g_params, g_X, at.sgd(params, grads, lr=0.1)]
    for opt in (at.optim.momentum(0.1, beta=0.9, nesterov=True), at.optim.adam(0.01)):
        state0 = opt.init(params)
        snap0 = _snapshot(state0)
        params1, state1 = opt.update(params, grads, state0)
        snap1 = _snapshot((params1, state1))
        params2, state2 = opt.update(params1, grads, state1)
        assert _snapshot(state0) == snap0 and _snapshot((params1, state1)) == snap1
        outputs += [state0, params1, state1, params2, state2]
    assert _snapshot((params, X, y)) == inputs, "grad, sgd or an optimizer changed an input array"
    assert _snapshot(grads) == after_grad, "an optimizer changed the gradients it was given"
    # Nothing returned is a view of the user's arrays: writing to a result cannot corrupt them.
    for result in _arrays(outputs):
        for original in _arrays((params, X, y)):
            assert not np.shares_memory(result, original)


# -- memory -------------------------------------------------------------------------------------------

# Run in a fresh interpreter without the test suite's jaxtyping hook: it measures autotape as
# users run it (the hook's own caches are not autotape's), and tracing 1,000 steps stays fast.
_MEMORY_SCRIPT = r"""
import gc, json, tracemalloc
import numpy as np
import autotape as at
from autotape.tape import Tape

rng = np.random.default_rng(0)
X = rng.normal(size=(16, 3)).astype(np.float32)
y = (rng.uniform(size=16) > 0.5).astype(np.float32)
params = {"w1": rng.normal(size=(3, 8)).astype(np.float32), "b1": np.zeros(8, np.float32),
          "w2": rng.normal(size=(8, 1)).astype(np.float32), "b2": np.zeros(1, np.float32)}

def loss(p, X, y):
    hidden = at.tanh(X @ p["w1"] + p["b1"])
    return at.bce_with_logits((hidden @ p["w2"] + p["b2"])[:, 0], y)

opt = at.optim.adam(1e-2)
state = opt.init(params)
step = at.value_and_grad(loss)

def train(n, params, state):
    for _ in range(n):
        value, grads = step(params, X, y)
        params, state = opt.update(params, grads, state)
    return params, state, value

def tapes():
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Tape)

params, state, _ = train(50, params, state)  # warm NumPy's and Python's caches first
tapes_before = tapes()
tracemalloc.start()
gc.collect()
baseline = tracemalloc.get_traced_memory()[0]
snapshot = tracemalloc.take_snapshot()
params, state, value = train(1000, params, state)
gc.collect()
growth = tracemalloc.get_traced_memory()[0] - baseline
top = [str(s) for s in tracemalloc.take_snapshot().compare_to(snapshot, "lineno")[:5]]
tracemalloc.stop()
print(json.dumps({"growth": growth, "tapes_before": tapes_before, "tapes_after": tapes(),
                  "loss": float(value), "top": top}))
"""


def test_a_thousand_training_steps_do_not_grow_memory():
    env = {k: v for k, v in os.environ.items() if k != "AUTOTAPE_TYPECHECK"}
    done = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    # Anything kept per step (an entry, a tape, a residual of a few hundred bytes) would add
    # hundreds of kilobytes over 1,000 steps; allocator noise stays far below this bound.
    assert report["growth"] < 64 * 1024, "memory grew over 1,000 steps:\n" + "\n".join(report["top"])
    assert report["tapes_after"] == report["tapes_before"] == 0
    assert np.isfinite(report["loss"])

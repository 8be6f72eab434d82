"""Fuzzing: random programs of autotape ops over random inputs, good and bad.

Each example draws a few inputs (float64, float32, sometimes int or bool, sometimes
holding NaN or Inf) and a program of 1-6 ops. A *well-formed* program picks operands
whose shapes fit each op; a *scrambled* one ignores shapes, axes and index ranges.
The program's last value is summed and differentiated with ``value_and_grad``, with
``debug_nans`` on or off. The properties:

* The only exceptions are the documented ones: ValueError and TypeError (jaxtyping's
  TypeCheckError included) for bad shapes, dtypes and arguments, IndexError for bad
  indices, and FloatingPointError only under ``debug_nans``.
* Nothing hangs: each example has a time limit.
* Where the math says the result is finite (a well-formed program over finite float
  inputs, using no op with a restricted domain, with every intermediate bounded),
  the call succeeds, the value and every gradient are finite, ``debug_nans`` stays
  quiet, and the value equals the same program run on plain arrays.
* No tape is left active after any example.
"""

import math
import re
import signal
import threading
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import autotape as at
from autotape.tape import active_tapes

DOCUMENTED = (ValueError, TypeError, IndexError)
LIMIT = 1e4  # bound on every intermediate of a "finite" program, so gradients stay far from overflow
TIME_LIMIT = 20  # seconds per example


@dataclass
class Value:
    shape: tuple
    dtype: np.dtype
    bound: float  # |x| <= bound for every element, when the inputs are finite


@dataclass
class Program:
    inputs: list  # the arrays
    diff: tuple  # argnums
    steps: list = field(default_factory=list)  # (op name, operand refs, params)
    finite: bool = True  # the math guarantees a finite value and gradient
    well_formed: bool = True

    def __repr__(self):
        lines = [
            f"inputs: {[(a.dtype.name, a.shape) for a in self.inputs]}, argnums={self.diff}, "
            f"well_formed={self.well_formed}, finite={self.finite}"
        ]
        for i, (name, refs, params) in enumerate(self.steps):
            lines.append(f"  v{len(self.inputs) + i} = {name}({', '.join(map(_ref_repr, refs))}; {params})")
        return "\n".join(lines)


def _ref_repr(ref):
    return f"v{ref}" if isinstance(ref, int) else f"const{np.shape(ref[1])}" if ref[0] == "const" else repr(ref[1])


# -- running a program ------------------------------------------------------------------------------


def _operand(values, ref):
    if isinstance(ref, int):
        return values[ref]
    return ref[1]  # ("const", array) or ("scalar", float)


def _apply(name, args, params):
    form = params.get("form", "at")
    if name in BINARY:
        x, y = args
        if form == "operator" and name in OPERATORS:
            return OPERATORS[name](x, y)
        if form == "numpy":
            return BINARY[name][1](x, y)
        return BINARY[name][0](x, y)
    if name in UNARY:
        return (UNARY[name][1] if form == "numpy" else UNARY[name][0])(args[0])
    if name == "power":
        return args[0] ** params["p"]
    if name == "where":
        return (
            at.where(args[0] > 0, args[0], args[1])
            if params.get("traced_condition")
            else at.where(params["condition"], args[0], args[1])
        )
    if name == "clip":
        return at.clip(args[0], params["lo"], params["hi"])
    if name == "matmul":
        return args[0] @ args[1] if form == "operator" else at.matmul(args[0], args[1])
    if name in ("sum", "mean", "max", "logsumexp"):
        return getattr(at, name)(args[0], axis=params["axis"], keepdims=params["keepdims"])
    if name in ("softmax", "log_softmax"):
        return getattr(at, name)(args[0], axis=params["axis"])
    if name == "reshape":
        return at.reshape(args[0], params["shape"])
    if name == "transpose":
        return at.transpose(args[0], params["axes"])
    if name == "getitem":
        return args[0][params["index"]]
    if name == "concatenate":
        return at.concatenate(list(args), axis=params["axis"])
    if name == "stack":
        return at.stack(list(args), axis=params["axis"])
    if name == "broadcast_to":
        return at.broadcast_to(args[0], params["shape"])
    if name == "astype":
        return at.astype(args[0], params["dtype"])
    if name == "mse":
        return at.mse(args[0], args[1])
    if name == "bce_with_logits":
        return at.bce_with_logits(args[0], args[1])
    if name == "softmax_cross_entropy":
        return at.softmax_cross_entropy(args[0], args[1])
    raise AssertionError(name)  # pragma: no cover


def run(program, *inputs):
    values = list(inputs)
    for name, refs, params in program.steps:
        values.append(_apply(name, [_operand(values, r) for r in refs], params))
    return at.sum(values[-1])


UNARY = {
    "tanh": (at.tanh, np.tanh),
    "sigmoid": (at.sigmoid, at.sigmoid),
    "relu": (at.relu, at.relu),
    "abs": (at.abs, np.abs),
    "negative": (at.negative, np.negative),
    "exp": (at.exp, np.exp),
    "log": (at.log, np.log),
    "sqrt": (at.sqrt, np.sqrt),
    "log1p": (at.log1p, np.log1p),
}
BINARY = {
    "add": (at.add, np.add),
    "subtract": (at.subtract, np.subtract),
    "multiply": (at.multiply, np.multiply),
    "divide": (at.divide, np.divide),
    "maximum": (at.maximum, np.maximum),
    "minimum": (at.minimum, np.minimum),
}
OPERATORS = {
    "add": lambda x, y: x + y,
    "subtract": lambda x, y: x - y,
    "multiply": lambda x, y: x * y,
    "divide": lambda x, y: x / y,
}
DOMAIN_OPS = {"log", "sqrt", "log1p", "divide"}  # finite only on part of the real line
KINKED_OPS = {"relu", "abs", "max", "maximum", "minimum", "clip", "where"}  # not differentiable everywhere
OPS = sorted(
    set(UNARY)
    | set(BINARY)
    | {
        "power",
        "where",
        "clip",
        "matmul",
        "sum",
        "mean",
        "max",
        "logsumexp",
        "softmax",
        "log_softmax",
        "reshape",
        "transpose",
        "getitem",
        "concatenate",
        "stack",
        "broadcast_to",
        "astype",
        "mse",
        "bce_with_logits",
        "softmax_cross_entropy",
    }
)


# -- drawing programs -------------------------------------------------------------------------------

SHAPES = [(), (1,), (3,), (4,), (2, 3), (3, 2), (1, 3), (2, 1, 3), (2, 2, 2)]
BAD_SHAPES = SHAPES + [(0,), (0, 3), (5,), (3, 4)]


def _const(draw, shape, low=-2.0, high=2.0, dtype=np.float64):
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype(dtype)


def _broadcast_partner(draw, v):
    """An operand that broadcasts with ``v``: a Python float or a constant of a suffix of its shape."""
    if draw(st.booleans()):
        return ("scalar", draw(st.floats(-2, 2))), 2.0, v.shape
    suffix = v.shape[len(v.shape) - draw(st.integers(0, len(v.shape))) :]
    if suffix and draw(st.booleans()):
        suffix = (1,) + suffix[1:]  # a length-1 axis, broadcast along
    return ("const", _const(draw, suffix)), 2.0, v.shape


def _axis(draw, ndim, allow_tuple=True):
    if ndim == 0 or draw(st.integers(0, 3)) == 0:
        return None
    axes = list(range(-ndim, ndim))
    if allow_tuple and ndim > 1 and draw(st.booleans()):
        picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        return tuple(a - ndim if draw(st.booleans()) else a for a in picked)
    return draw(st.sampled_from(axes))


def _reduced_count(shape, axis):
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)


def _draw_well_formed_step(draw, program, values):
    """One step whose operands fit; returns (name, refs, params, Value) or None to try another op."""
    name = draw(st.sampled_from(OPS))
    k = draw(st.integers(0, len(values) - 1))
    v = values[k]
    size = math.prod(v.shape)
    form = draw(st.sampled_from(["at", "operator", "numpy"]))
    same = lambda bound: Value(v.shape, v.dtype, bound)  # noqa: E731
    if name in UNARY:
        if name == "exp" and v.bound > 4:
            return None
        bound = {"tanh": 1, "sigmoid": 1, "exp": math.exp(v.bound)}.get(name, v.bound)
        if name in DOMAIN_OPS:
            bound = math.inf
        return name, [k], {"form": form}, same(bound)
    if name in BINARY:
        if draw(st.booleans()):
            others = [j for j, w in enumerate(values) if _broadcasts(w.shape, v.shape)]
            j = draw(st.sampled_from(others))
            ref, other_bound, shape = j, values[j].bound, np.broadcast_shapes(v.shape, values[j].shape)
        else:
            ref, other_bound, shape = _broadcast_partner(draw, v)
        bound = {
            "add": v.bound + other_bound,
            "subtract": v.bound + other_bound,
            "multiply": v.bound * other_bound,
            "maximum": max(v.bound, other_bound),
            "minimum": max(v.bound, other_bound),
            "divide": math.inf,
        }[name]
        refs = [k, ref] if draw(st.booleans()) else [ref, k]
        dtype = np.result_type(*[np.float64 if isinstance(r, tuple) else values[r].dtype for r in (k, ref)])
        return name, refs, {"form": form}, Value(shape, dtype, bound)
    if name == "power":
        p = draw(st.sampled_from([2, 3]))
        return name, [k], {"p": p}, same(v.bound**p)
    if name == "where":
        ref, other_bound, _ = _broadcast_partner(draw, v)
        params = {"traced_condition": draw(st.booleans()), "condition": _const(draw, v.shape) > 0}
        return name, [k, ref], params, same(max(v.bound, other_bound))
    if name == "clip":
        lo, hi = draw(st.sampled_from([(-0.5, 0.5), (None, 1.0), (-1.0, None)]))
        return name, [k], {"lo": lo, "hi": hi}, same(v.bound)
    if name == "matmul":
        if not v.shape:
            return None
        n = draw(st.integers(1, 3))
        if draw(st.booleans()):  # v @ const
            const_shape = (v.shape[-1],) if draw(st.booleans()) else (v.shape[-1], n)
            out = np.matmul(np.zeros(v.shape), np.zeros(const_shape)).shape
            return (
                name,
                [k, ("const", _const(draw, const_shape))],
                {"form": form},
                Value(out, np.result_type(v.dtype, np.float64), v.shape[-1] * 2 * v.bound),
            )
        inner = v.shape[0] if len(v.shape) == 1 else v.shape[-2]
        const_shape = (inner,) if draw(st.booleans()) else (n, inner)
        out = np.matmul(np.zeros(const_shape), np.zeros(v.shape)).shape
        return (
            name,
            [("const", _const(draw, const_shape)), k],
            {"form": form},
            Value(out, np.result_type(v.dtype, np.float64), inner * 2 * v.bound),
        )
    if name in ("sum", "mean", "max", "logsumexp"):
        axis, keepdims = _axis(draw, len(v.shape)), draw(st.booleans())
        out = np.sum(np.zeros(v.shape), axis=axis, keepdims=keepdims).shape
        count = _reduced_count(v.shape, axis)
        bound = {
            "sum": count * v.bound,
            "mean": v.bound,
            "max": v.bound,
            "logsumexp": v.bound + math.log(max(count, 1)),
        }[name]
        return name, [k], {"axis": axis, "keepdims": keepdims}, Value(out, v.dtype, bound)
    if name in ("softmax", "log_softmax"):
        if not v.shape:
            return None
        axis = draw(st.integers(-len(v.shape), len(v.shape) - 1))
        bound = 1 if name == "softmax" else 2 * v.bound + math.log(v.shape[axis])
        return name, [k], {"axis": axis}, same(bound)
    if name == "reshape":
        targets = [(-1,), (size,), (1, -1), tuple(reversed(v.shape)), v.shape + (1,)]
        target = draw(st.sampled_from(targets))
        return name, [k], {"shape": target}, Value(np.zeros(v.shape).reshape(target).shape, v.dtype, v.bound)
    if name == "transpose":
        axes = None if draw(st.booleans()) else tuple(draw(st.permutations(range(len(v.shape)))))
        return name, [k], {"axes": axes}, Value(np.zeros(v.shape).transpose(axes).shape, v.dtype, v.bound)
    if name == "getitem":
        if not v.shape or size == 0:
            return None
        n = v.shape[0]
        index = draw(
            st.sampled_from(
                [
                    draw(st.integers(-n, n - 1)),
                    slice(None, None, -1),
                    slice(1, None),
                    np.array(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4))),
                    _mask(draw, v.shape),
                    (Ellipsis, 0),
                    (None, slice(None)),
                ]
            )
        )
        out = np.zeros(v.shape)[index].shape
        return name, [k], {"index": index}, Value(out, v.dtype, v.bound)
    if name == "concatenate":
        if not v.shape:
            return None
        axis = draw(st.integers(-len(v.shape), len(v.shape) - 1))
        other_shape = list(v.shape)
        other_shape[axis] = draw(st.integers(1, 3))
        refs = [k, ("const", _const(draw, tuple(other_shape))), k]
        out = np.concatenate([np.zeros(v.shape), np.zeros(other_shape), np.zeros(v.shape)], axis=axis).shape
        return name, refs, {"axis": axis}, Value(out, np.result_type(v.dtype, np.float64), max(v.bound, 2))
    if name == "stack":
        axis = draw(st.integers(-len(v.shape) - 1, len(v.shape)))
        refs = [k, ("const", _const(draw, v.shape))]
        out = np.stack([np.zeros(v.shape)] * 2, axis=axis).shape
        return name, refs, {"axis": axis}, Value(out, np.result_type(v.dtype, np.float64), max(v.bound, 2))
    if name == "broadcast_to":
        shape = (2,) + v.shape
        return name, [k], {"shape": shape}, Value(shape, v.dtype, v.bound)
    if name == "astype":
        dtype = draw(st.sampled_from([np.float32, np.float64]))
        return name, [k], {"dtype": dtype}, Value(v.shape, np.dtype(dtype), v.bound)
    if name == "mse":
        return name, [k, ("const", _const(draw, v.shape))], {}, Value((), v.dtype, (v.bound + 2) ** 2)
    if name == "bce_with_logits":
        return name, [k, ("const", _const(draw, v.shape, 0.0, 1.0))], {}, Value((), v.dtype, v.bound + 1)
    if name == "softmax_cross_entropy":
        if len(v.shape) != 2:
            return None
        rows, classes = v.shape
        labels = np.random.default_rng(draw(st.integers(0, 99))).integers(0, classes, size=rows)
        if draw(st.booleans()):
            labels = np.eye(classes)[labels]
        return name, [k, ("const", labels)], {}, Value((), v.dtype, 2 * v.bound + math.log(classes))
    raise AssertionError(name)  # pragma: no cover


def _mask(draw, shape):
    mask = _const(draw, shape) > 0
    mask.flat[0] = True  # never empty: a reduction of nothing has no finite value
    return mask


def _broadcasts(a, b):
    try:
        return np.broadcast_shapes(a, b) == b  # a broadcasts to b, leaving b as it is
    except ValueError:
        return False


def _draw_scrambled_step(draw, values):
    """Any op on any operands, with axes, shapes and indices drawn without regard to fit."""
    name = draw(st.sampled_from(OPS))
    refs = [draw(st.integers(0, len(values) - 1)) for _ in range(2)]
    if draw(st.booleans()):
        refs[1] = ("const", _const(draw, draw(st.sampled_from(BAD_SHAPES))))
    params = {"form": draw(st.sampled_from(["at", "operator", "numpy"]))}
    axis = draw(st.one_of(st.none(), st.integers(-4, 4), st.tuples(st.integers(-3, 3), st.integers(-3, 3))))
    if name in UNARY or name in (
        "sum",
        "mean",
        "max",
        "logsumexp",
        "softmax",
        "log_softmax",
        "transpose",
        "reshape",
        "getitem",
        "broadcast_to",
        "astype",
        "clip",
        "power",
    ):
        refs = refs[:1]
    if isinstance(axis, tuple) and name in ("softmax", "log_softmax", "concatenate", "stack"):
        axis = axis[0]
    params.update(
        axis=axis,
        keepdims=draw(st.booleans()),
        shape=draw(st.sampled_from([(-1,), (2, 2), (3, -1), (5,), (0,), (-1, -1), (2, 3)])),
        axes=draw(st.one_of(st.none(), st.lists(st.integers(-3, 3), max_size=3).map(tuple))),
        index=draw(st.sampled_from([0, 3, -5, slice(None), np.array([0, 7]), np.array([0.5]), (0, 0, 0), (None, 1)])),
        dtype=draw(st.sampled_from([np.float32, np.float64])),
        p=draw(st.sampled_from([2, 0.5, -1])),
        lo=-0.5,
        hi=0.5,
        condition=np.ones(draw(st.sampled_from(SHAPES)), dtype=bool),
        traced_condition=draw(st.booleans()),
    )
    if name == "softmax_cross_entropy" and draw(st.booleans()):
        refs[1] = ("const", np.array(draw(st.lists(st.integers(-1, 4), min_size=0, max_size=4)), dtype=np.int64))
    return name, refs, params


@st.composite
def programs(draw):
    well_formed = draw(st.integers(0, 9)) < 7
    n_inputs = draw(st.integers(1, 3))
    inputs, values, finite = [], [], True
    for _ in range(n_inputs):
        kind = "float64" if well_formed else draw(st.sampled_from(["float64", "float32", "int64", "bool"]))
        if well_formed and draw(st.integers(0, 3)) == 0:
            kind = "float32"
        shape = draw(st.sampled_from(SHAPES if well_formed else BAD_SHAPES))
        array = _const(draw, shape)
        if kind in ("int64", "bool"):
            array = (array > 0) if kind == "bool" else np.round(array * 3).astype(np.int64)
        else:
            array = array.astype(kind)
            special = draw(st.sampled_from([None] * 20 + [np.nan, np.inf, -np.inf, 1e30]))
            if special is not None and array.size:
                array.flat[draw(st.integers(0, array.size - 1))] = special
                finite = False
        inputs.append(array)
        values.append(Value(array.shape, array.dtype, 2.0))
    float_inputs = tuple(i for i, a in enumerate(inputs) if a.dtype.kind == "f")
    if well_formed or (float_inputs and draw(st.integers(0, 3)) > 0):
        diff = float_inputs  # integer and boolean inputs, if any, are constants
    else:
        diff = tuple(sorted(set(draw(st.lists(st.integers(0, n_inputs - 1), min_size=1, max_size=n_inputs)))))
    program = Program(inputs, diff, well_formed=well_formed)
    for _ in range(draw(st.integers(1, 6))):
        if well_formed:
            step = None
            for _attempt in range(5):
                step = _draw_well_formed_step(draw, program, values)
                if step is not None and step[3].bound <= LIMIT and math.prod(step[3].shape) > 0:
                    break  # fits, bounded, and not empty (a reduction of nothing has no finite value)
                step = None
            if step is None:  # tanh always fits and bounds its result
                k = len(values) - 1
                step = ("tanh", [k], {"form": "at"}, Value(values[k].shape, values[k].dtype, 1.0))
            name, refs, params, value = step
            finite = finite and name not in DOMAIN_OPS
            values.append(value)
            program.steps.append((name, refs, params))
        else:
            program.steps.append(_draw_scrambled_step(draw, values))
            values.append(Value((), np.dtype(np.float64), math.inf))  # shapes unknown from here on
    program.finite = finite and well_formed and bool(diff)
    return program


# -- the property -------------------------------------------------------------------------------------


def _check_directional_derivative(program, grads):
    """For smooth float64 programs: grad . d matches a central difference along a random direction d."""
    names = {name for name, _, _ in program.steps}
    dtypes = {a.dtype for a in program.inputs} | {np.dtype(p["dtype"]) for _, _, p in program.steps if "dtype" in p}
    if names & KINKED_OPS or dtypes != {np.dtype(np.float64)}:
        return
    rng = np.random.default_rng(len(program.steps))
    directions = [rng.normal(size=program.inputs[i].shape) for i in program.diff]
    predicted = sum(float(np.sum(g * d)) for g, d in zip(grads, directions))

    def moved(step):
        inputs = list(program.inputs)
        for i, d in zip(program.diff, directions):
            inputs[i] = inputs[i] + step * d
        return float(run(program, *inputs))

    eps = 1e-6
    measured = (moved(eps) - moved(-eps)) / (2 * eps)
    scale = max(1.0, abs(predicted), abs(float(run(program, *program.inputs))))
    assert abs(measured - predicted) <= 1e-5 * scale, (
        f"grad . d = {predicted} but the central difference is {measured}\n{program!r}"
    )


class _Watchdog:
    """Raise TimeoutError in the main thread if an example runs longer than ``seconds``."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.armed = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()

    def _fire(self, signum, frame):
        raise TimeoutError(f"an example ran longer than {self.seconds} s")

    def __enter__(self):
        if self.armed:
            self.previous = signal.signal(signal.SIGALRM, self._fire)
            signal.alarm(self.seconds)
        return self

    def __exit__(self, *exc):
        if self.armed:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


def _fuzz_examples():
    return max(150, 6 * settings().max_examples)


@settings(max_examples=_fuzz_examples(), deadline=None)
@given(programs(), st.sampled_from(["off", "nans", "nans+infs"]))
def test_random_programs_raise_only_documented_errors_and_finite_math_gives_finite_results(program, debug):
    fun = lambda *inputs: run(program, *inputs)  # noqa: E731
    allowed = DOCUMENTED + ((FloatingPointError,) if debug != "off" else ())
    started = time.perf_counter()
    with _Watchdog(TIME_LIMIT), warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            if debug == "off":
                value, grads = at.value_and_grad(fun, argnums=program.diff)(*program.inputs)
            else:
                with at.debug_nans(infs=debug == "nans+infs"):
                    value, grads = at.value_and_grad(fun, argnums=program.diff)(*program.inputs)
        except allowed as error:
            event(f"raised {type(error).__name__}" + ("" if program.well_formed else " (scrambled)"))
            assert not program.finite, f"a well-formed finite program raised {error!r}\n{program!r}"
            assert str(error), "an exception without a message"
            return
        finally:
            assert active_tapes() == (), "a tape was left active"
        event("succeeded" + (" (finite claim)" if program.finite else ""))
        if program.finite:
            assert np.isfinite(value), f"value {value} is not finite\n{program!r}"
            for g in grads:
                assert np.all(np.isfinite(g)), f"gradient {g} is not finite\n{program!r}"
            expected = run(program, *program.inputs)  # the same program on plain arrays
            tolerance = 1e-4 if any(a.dtype == np.float32 for a in program.inputs) else 1e-10
            np.testing.assert_allclose(value, expected, rtol=tolerance, atol=tolerance)
            _check_directional_derivative(program, grads)
        for g, i in zip(grads, program.diff):
            assert np.shape(g) == program.inputs[i].shape and g.dtype == program.inputs[i].dtype
    assert time.perf_counter() - started < TIME_LIMIT


# -- cases the fuzzer found, kept as plain tests ------------------------------------------------------


@pytest.mark.parametrize("traced", [False, True], ids=["plain", "under grad"])
def test_mse_of_empty_arrays_is_nan_or_a_value_error(traced):
    # mse's mean divided by the element count in Python, so empty inputs raised ZeroDivisionError.
    # Acceptable: NaN, as numpy.mean and torch's mse_loss give, or a ValueError naming the shape.
    empty = np.ones(0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            value = at.value_and_grad(at.mse)(empty, empty)[0] if traced else at.mse(empty, empty)
        except ValueError as error:
            assert re.search(r"^mse:.*\(0,\)", str(error)), str(error)
        else:
            assert np.isnan(value)


@pytest.mark.parametrize("traced", [False, True], ids=["plain", "under grad"])
def test_transpose_of_a_scalar_with_axes_is_a_value_error(traced):
    # transpose reduced each axis modulo the rank, which is 0 for a scalar: ZeroDivisionError.
    x = np.array(1.5)
    with pytest.raises(ValueError) as raised:
        if traced:
            at.grad(lambda x: at.sum(at.transpose(x, (0,))))(x)
        else:
            at.transpose(x, (0,))
    assert re.search(r"^transpose:.*\(0,\).*permutation", str(raised.value)), str(raised.value)

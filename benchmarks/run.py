"""Benchmark autotape against hand-written NumPy, HIPS autograd and PyTorch.

Run ``python benchmarks/run.py`` (a few minutes), ``--quick`` (under a
minute), or ``--json`` for machine-readable output; ``--help`` lists the flags.

Contenders, all in one process, float64, single-threaded BLAS:

* ``numpy``: forward and backward passes written out by hand. It is the floor
  every other time is divided by, and the gradient reference every other
  contender is checked against.
* ``autotape``: ``at.grad`` on the workload's loss, written as the README does.
* ``autograd``: HIPS autograd's ``grad`` on the same loss written with ``autograd.numpy``.
* ``jit``: ``at.jit`` of the same step (the gradient, and for workload 2 the update too,
  recorded once and replayed as straight-line NumPy); the data are arguments.
* ``jax``: ``jax.jit`` of the same step, CPU, float64, when ``import jax`` works (it is
  no dependency: ``pip install jax`` to compare; skipped with a note otherwise).
* ``torch``: PyTorch on CPU with float64 tensors made once from the NumPy data,
  gradients from ``torch.autograd.grad`` (nothing accumulates in ``.grad``).
  Skipped, with a note, when ``import torch`` fails.

What each figure means (every time is the median over interleaved repeats):

1. ``ops``: a chain of 50 x ``x = tanh(x) + x`` on a 4x4 array, then ``sum``:
   101 recorded ops. Forward plus gradient, divided by 101: the cost of one op,
   which for 4x4 arrays is almost all per-op overhead (recording, dispatch, VJP
   call), not arithmetic.
2. ``sgd``: the Task 5 loop of the linear-regression example: one epoch of
   per-row SGD over 1,000 rows (2 features, w (2, 1), b (1, 1), squared error
   of one row, lr 1e-2): a gradient and a parameter update per row. Microseconds
   per row. Checked on every row's gradient and on the final parameters.
3. ``mlp-small``: one full-batch step of a Raisin-sized MLP, X 720x7 -> 128
   tanh -> 1, mean binary cross-entropy with logits; forward plus the gradient
   of all four parameters. Milliseconds per step.
4. ``mlp-large``: the same for 4096x64 -> 512 tanh -> 10 with mean softmax
   cross-entropy on integer labels. Milliseconds per step: mostly BLAS, so
   ratios near 1 are the goal.
5. ``chain``: a 20,000-op chain (10,000 x ``x = tanh(x) + x``) on a (16,)
   vector, gradient of the sum; microseconds per op. Also run at 40,000 ops:
   the "doubling ratio" time(40k) / time(20k) should be close to 2 (linear
   cost; above 2 means something grows faster than the tape). Finally autotape
   alone runs a 100,000-op chain once, to show no RecursionError (ok/fail,
   also checked against NumPy; timed only without ``--quick``). ``--quick``
   uses shorter chains (printed in the header).
6. ``memory``: peak memory above the baseline during one ``mlp-large`` step,
   in MiB, and its ratio to hand-written NumPy. Two measures:
   ``tracemalloc`` sees every NumPy array allocation (NumPy reports them to
   it) and all Python objects, but not PyTorch's allocator, so torch is
   "n/a" there. ``rss`` runs each contender in a fresh subprocess with glibc's
   mmap threshold fixed at 128 KiB (so freed arrays go back to the OS at once
   and cannot hide in malloc's cache), does two warm-up steps, resets the
   kernel's peak-RSS counter (``/proc/self/clear_refs``), and reports peak RSS
   minus RSS just before the step: page granular, Linux only, and the only one
   of the two that sees torch's tensors.
7. ``outside``: autotape ops (``at.tanh``, ``at.sin``, ``at.add``, ``at.matmul``,
   ``at.sum`` on 4x4 arrays) called outside any transform, against calling NumPy
   directly: microseconds per call and ratio (autograd's ``autograd.numpy``
   wrappers shown for comparison). The elementwise ops are generated from the op
   registry's table; ``sum`` goes through the fast path every registered function
   with NumPy's signature has. Target: within 1.3x of NumPy.

8. ``first-call``: at.jit's first call of a step (it runs the step eagerly while
   recording, then compiles the replay) divided by one eager call of the step, for the
   Task 5 row step and the Raisin-size MLP gradient; JAX's first call (trace and XLA
   compile) in milliseconds beside it.

Method: each contender is built, run once and checked (max abs error / max
abs reference value, ``ok`` at or below 1e-8, else ``FAIL``), run once more as
a warm-up that also picks how many calls make one sample (at least
``--min-sample`` seconds; with ``--quick`` the checking call picks it), and
then sampled in the order numpy, autotape, autograd, torch, numpy, ... for
``--repeats`` rounds; the table shows medians. Both chain lengths of workload
5 share their rounds, so that a change of machine load between them does not
show up as a doubling ratio. Python's garbage collector stays on (it is part
of what users pay); the objects that exist once everything is imported are
frozen out of it (``gc.freeze``), and ``gc.collect()`` runs before each
sample. Times are wall-clock (``--clock cpu`` uses this process's CPU time
instead, which leaves out waiting for a CPU that other processes hold).

Output: a table on stdout (progress on stderr); with ``--json`` one JSON
document on stdout instead, with the same figures, every ratio and relative
error, and the environment. ``--quick``: 3 repeats of 0.02 s samples,
2,000/4,000-op chains, RSS for numpy and torch only. The exit status is 1
when any check fails or any contender raises.
"""

from __future__ import annotations

import os

# Single-threaded BLAS for every contender; must be set before NumPy is imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import autotape as at  # noqa: E402

try:
    import autograd  # noqa: E402
    import autograd.numpy as anp  # noqa: E402
    from autograd.scipy.special import logsumexp as ag_logsumexp  # noqa: E402
except ImportError:  # pragma: no cover - the bench extra installs it
    autograd = None

torch: Any = None  # set by load_torch()
jax: Any = None  # set by load_jax(): an optional contender, never a dependency

CONTENDERS = ("numpy", "autotape", "jit", "autograd", "torch", "jax")
TOLERANCE = 1e-8
LR = 1e-2

# A step is a zero-argument callable (the timed work); a check is a zero-argument
# callable returning a dict of arrays to compare with the NumPy reference.
Step = Callable[[], Any]
Check = Callable[[], dict]
Builder = Callable[[], "tuple[Step, Check]"]


# --------------------------------------------------------------------------- config


@dataclass
class Config:
    quick: bool
    repeats: int
    min_sample: float  # seconds of work in one timing sample (at least one call)
    ops_pairs: int = 50  # workload 1: 50 x (tanh, add) + sum = 101 ops
    chain_ops: tuple = (20_000, 40_000)  # workload 5
    deep_ops: int = 100_000  # workload 5, autotape only
    skip: tuple = ()
    only: tuple = ()
    clock: str = "wall"

    def wants(self, key: str) -> bool:
        return not self.only or key in self.only


def make_config(args: argparse.Namespace) -> Config:
    if args.quick:
        cfg = Config(quick=True, repeats=3, min_sample=0.02, chain_ops=(2_000, 4_000))
    else:
        cfg = Config(quick=False, repeats=11, min_sample=0.15)
    if args.repeats:
        cfg.repeats = args.repeats
    if args.min_sample:
        cfg.min_sample = args.min_sample
    cfg.skip = tuple(args.skip)
    cfg.clock = args.clock
    cfg.only = tuple(args.only)
    return cfg


def load_torch(cfg: Config, notes: list) -> None:
    """Import torch (CPU, one thread) into the module global, or note why it is skipped."""
    global torch
    if "torch" in cfg.skip:
        return
    try:
        import torch as _torch
    except Exception as error:  # ImportError, or a broken install raising OSError
        notes.append(f"torch skipped: import torch failed ({type(error).__name__}: {error})")
        return
    _torch.set_num_threads(1)
    try:
        _torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set once in this process
    torch = _torch


def load_jax(cfg: Config, notes: list) -> None:
    """Import JAX (CPU, float64) into the module global, or note why it is skipped."""
    global jax
    if "jax" in cfg.skip:
        return
    try:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
        import jax as _jax

        _jax.config.update("jax_enable_x64", True)
    except Exception as error:
        notes.append(f"jax skipped: import jax failed ({type(error).__name__}: {error}); pip install jax to compare")
        return
    jax = _jax


def active_contenders(cfg: Config) -> list:
    names = ["numpy", "autotape"]
    if "jit" not in cfg.skip:
        names.append("jit")
    if autograd is not None and "autograd" not in cfg.skip:
        names.append("autograd")
    if torch is not None:
        names.append("torch")
    if jax is not None:
        names.append("jax")
    return names


# --------------------------------------------------------------------------- checking


def as_numpy(value: Any) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def relative_error(result: dict, reference: dict) -> float:
    """max |result - reference| / max |reference|, the worst over the dict's entries."""
    worst = 0.0
    for key, ref in reference.items():
        ref = as_numpy(ref)
        got = as_numpy(result[key])
        if got.shape != ref.shape:
            return math.inf
        scale = float(np.max(np.abs(ref))) if ref.size else 0.0
        err = float(np.max(np.abs(got - ref))) if ref.size else 0.0
        err = err / scale if scale > 0 else err
        if not math.isfinite(err):
            return math.inf
        worst = max(worst, err)
    return worst


def simple_check(step: Step) -> Check:
    """The check for steps that return the gradients themselves."""
    return lambda: {k: as_numpy(v) for k, v in step().items()}


def to_torch(array: np.ndarray, requires_grad: bool = False):
    tensor = torch.from_numpy(np.ascontiguousarray(array).copy())
    return tensor.requires_grad_(requires_grad)


# --------------------------------------------------------------------------- timing


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter  # set from --clock by main()


def time_call(fn: Callable) -> tuple:
    """``(fn(), seconds)`` after a garbage collection."""
    gc.collect()
    t0 = clock()
    result = fn()
    return result, clock() - t0


def time_interleaved(steps: dict, first_call: dict, cfg: Config) -> dict:
    """Median seconds per call of each step, sampled A B C A B C ... over ``cfg.repeats`` rounds.

    ``first_call`` holds the seconds the (checking) first call of each step took. Outside
    ``--quick`` every step gets one more warm-up call, which also sets how many calls
    make a sample; in ``--quick`` the first call sets it.
    """
    numbers = {}
    for name, step in steps.items():
        once = first_call[name] if cfg.quick else time_call(step)[1]
        numbers[name] = max(1, math.ceil(cfg.min_sample / max(once, 1e-9)))
    samples: dict = {name: [] for name in steps}
    for _ in range(cfg.repeats):
        for name, step in steps.items():
            number = numbers[name]
            gc.collect()
            t0 = clock()
            for _ in range(number):
                step()
            samples[name].append((clock() - t0) / number)
    return {name: statistics.median(s) for name, s in samples.items()}


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    key: str
    title: str
    unit: str
    values: dict = field(default_factory=dict)  # contender -> number (or None)
    checks: dict = field(default_factory=dict)  # contender -> "ref" / "ok" / "FAIL" / "n/a"
    errors: dict = field(default_factory=dict)  # contender -> relative error
    failures: dict = field(default_factory=dict)  # contender -> exception text
    ratio_to_numpy: bool = True
    text: dict = field(default_factory=dict)  # contender -> a string shown instead of a number

    def ratios(self) -> dict:
        base = self.values.get("numpy")
        if not self.ratio_to_numpy or not base:
            return {}
        return {n: v / base for n, v in self.values.items() if v is not None}

    def as_json(self) -> dict:
        ratios = self.ratios()
        out = {}
        for name in CONTENDERS:
            if name in self.values or name in self.text or name in self.failures:
                out[name] = {
                    "value": self.values.get(name),
                    "ratio_to_numpy": ratios.get(name),
                    "check": self.checks.get(name),
                    "relative_error": self.errors.get(name),
                    "text": self.text.get(name),
                    "error": self.failures.get(name),
                }
        return {"key": self.key, "title": self.title, "unit": self.unit, "contenders": out}


def prepare(row: Row, builders: dict, cfg: Config) -> tuple:
    """Build, run once and check every contender; ``(steps, first_call_seconds)`` of those that ran."""
    steps, first_call, reference = {}, {}, None
    for name in active_contenders(cfg):
        if name not in builders:
            continue
        try:
            step, check = builders[name]()
            got, first_call[name] = time_call(check)
        except Exception as error:
            row.failures[name] = f"{type(error).__name__}: {error}"
            row.checks[name] = "ERROR"
            continue
        if name == "numpy":
            reference = got
            row.checks[name] = "ref"
        elif reference is not None:
            err = relative_error(got, reference)
            row.errors[name] = err
            row.checks[name] = "ok" if err <= TOLERANCE else "FAIL"
        steps[name] = step
    return steps, first_call


def compare(key: str, title: str, unit: str, per_call: float, builders: dict, cfg: Config) -> Row:
    """Build, check and time every contender of one workload; ``per_call`` scales seconds to ``unit``."""
    row = Row(key, title, unit)
    steps, first_call = prepare(row, builders, cfg)
    progress(f"  timing {title} ({', '.join(steps)})")
    for name, seconds in time_interleaved(steps, first_call, cfg).items():
        row.values[name] = seconds * per_call
    return row


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- 1 and 5: op chains
#
# y = sum(x_K) with x_{k+1} = tanh(x_k) + x_k; dy/dx_k = dy/dx_{k+1} * (1 - tanh(x_k)^2 + 1).


def chain_numpy(x0: np.ndarray, pairs: int) -> Builder:
    def step():
        x, saved = x0, []
        for _ in range(pairs):
            t = np.tanh(x)
            saved.append(t)
            x = t + x
        x.sum()
        g = np.ones_like(x0)
        for t in reversed(saved):
            g = g * (1.0 - t * t) + g
        return {"x": g}

    return lambda: (step, simple_check(step))


def chain_autotape(x0: np.ndarray, pairs: int) -> Builder:
    def f(x):
        for _ in range(pairs):
            x = at.tanh(x) + x
        return at.sum(x)

    grad_f = at.grad(f)

    def step():
        return {"x": grad_f(x0)}

    return lambda: (step, simple_check(step))


def chain_autograd(x0: np.ndarray, pairs: int) -> Builder:
    def f(x):
        for _ in range(pairs):
            x = anp.tanh(x) + x
        return anp.sum(x)

    grad_f = autograd.grad(f)

    def step():
        # autograd's tanh VJP is g / cosh(x)**2; cosh overflows to inf once x passes
        # ~710 in long chains, which gives the right limit (0) but warns.
        with np.errstate(over="ignore"):
            return {"x": grad_f(x0)}

    return lambda: (step, simple_check(step))


def chain_torch(x0: np.ndarray, pairs: int) -> Builder:
    def build():
        x = to_torch(x0, requires_grad=True)

        def step():
            y = x
            for _ in range(pairs):
                y = torch.tanh(y) + y
            (g,) = torch.autograd.grad(y.sum(), x)
            return {"x": g}

        return step, simple_check(step)

    return build


def chain_jit(x0: np.ndarray, pairs: int) -> Builder:
    def f(x):
        for _ in range(pairs):
            x = at.tanh(x) + x
        return at.sum(x)

    def build():
        grad_f = at.jit(at.grad(f))

        def step():
            return {"x": grad_f(x0)}

        return step, simple_check(step)

    return build


def chain_jax(x0: np.ndarray, pairs: int) -> Builder:
    def build():
        jnp = jax.numpy

        def f(x):
            for _ in range(pairs):
                x = jnp.tanh(x) + x
            return jnp.sum(x)

        grad_f = jax.jit(jax.grad(f))
        x = jax.numpy.asarray(x0)

        def step():
            return {"x": grad_f(x).block_until_ready()}

        return step, simple_check(step)

    return build


CHAIN_BUILDERS = {
    "numpy": chain_numpy,
    "autotape": chain_autotape,
    "autograd": chain_autograd,
    "torch": chain_torch,
}


def chain_x0(shape: tuple) -> np.ndarray:
    return np.random.default_rng(1).normal(size=shape)


def bench_ops(cfg: Config) -> list:
    pairs = cfg.ops_pairs
    n_ops = 2 * pairs + 1
    x0 = chain_x0((4, 4))
    builders = {name: make(x0, pairs) for name, make in CHAIN_BUILDERS.items()}
    builders["jit"] = chain_jit(x0, pairs)
    builders["jax"] = chain_jax(x0, pairs)
    title = f"1 per-op chain, 4x4 ({n_ops} ops)"
    return [compare("ops", title, "us/op", 1e6 / n_ops, builders, cfg)]


def bench_chain(cfg: Config) -> list:
    """Both chain lengths are timed in the same interleaved rounds, so that a change of
    machine load between them cannot pass for a change in how the cost grows."""
    x0 = chain_x0((16,))
    rows, steps, first_call = [], {}, {}
    for n_ops in cfg.chain_ops:
        row = Row(f"chain-{n_ops}", f"5 tanh/add chain, (16,), {n_ops:,} ops", "us/op")
        builders = {name: make(x0, n_ops // 2) for name, make in CHAIN_BUILDERS.items()}
        row_steps, row_first = prepare(row, builders, cfg)
        for name in row_steps:
            steps[(n_ops, name)] = row_steps[name]
            first_call[(n_ops, name)] = row_first[name]
        rows.append(row)
    progress(f"  timing {' and '.join(r.title for r in rows)}")
    for (n_ops, name), seconds in time_interleaved(steps, first_call, cfg).items():
        rows[cfg.chain_ops.index(n_ops)].values[name] = seconds * 1e6 / n_ops
    short, long_ = rows
    doubling = Row("chain-doubling", f"5 doubling ratio t({cfg.chain_ops[1]:,})/t({cfg.chain_ops[0]:,})", "ratio")
    doubling.ratio_to_numpy = False
    for name in short.values:
        if name in long_.values:
            # Per-op times, so the ratio of totals is twice their ratio.
            doubling.values[name] = 2 * long_.values[name] / short.values[name]
    rows.append(doubling)
    rows.append(deep_chain_row(cfg, x0))
    return rows


def deep_chain_row(cfg: Config, x0: np.ndarray) -> Row:
    """autotape on a cfg.deep_ops chain, once: no RecursionError, and the right gradient."""
    n_ops = cfg.deep_ops
    row = Row("chain-deep", f"5 autotape {n_ops:,}-op chain runs", "s")
    row.ratio_to_numpy = False
    progress(f"  running {row.title}")
    reference = chain_numpy(x0, n_ops // 2)()[0]()
    try:
        _, check = chain_autotape(x0, n_ops // 2)()
        got, seconds = time_call(check)
    except Exception as error:  # RecursionError above all
        row.failures["autotape"] = f"{type(error).__name__}: {error}"
        row.checks["autotape"] = "ERROR"
        row.text["autotape"] = "fail"
        return row
    err = relative_error(got, reference)
    row.errors["autotape"] = err
    row.checks["autotape"] = "ok" if err <= TOLERANCE else "FAIL"
    if cfg.quick:
        row.text["autotape"] = "ran"
    else:
        row.values["autotape"] = seconds
    return row


# --------------------------------------------------------------------------- 2: per-row SGD


def sgd_data() -> dict:
    rng = np.random.default_rng(5)
    X = rng.normal(size=(1000, 2))
    y = X @ np.array([[2.0], [-3.0]]) + 0.5 + 0.1 * rng.normal(size=(1000, 1))
    return {"X": X, "y": y, "w": rng.normal(size=(2, 1)), "b": rng.normal(size=(1, 1))}


def sgd_builder(epoch: Callable) -> Builder:
    """``epoch(record)`` runs one epoch; with ``record`` it also returns every row's gradient."""
    return lambda: (lambda: epoch(False), lambda: {k: as_numpy(v) for k, v in epoch(True).items()})


def sgd_result(w, b, gws: list, gbs: list, record: bool) -> dict:
    out = {"w": w, "b": b}
    if record:
        out["gw"] = np.stack([as_numpy(g) for g in gws])
        out["gb"] = np.stack([as_numpy(g) for g in gbs])
    return out


def sgd_numpy(d: dict) -> Builder:
    X, y, n = d["X"], d["y"], len(d["X"])

    def epoch(record):
        w, b, gws, gbs = d["w"], d["b"], [], []
        for i in range(n):
            x = X[i : i + 1]
            r = x @ w + b - y[i : i + 1]  # forward: residual, loss = r**2
            (r * r).mean()
            gw = 2.0 * (x.T @ r)  # backward by hand
            gb = 2.0 * r
            if record:
                gws.append(gw)
                gbs.append(gb)
            w = w - LR * gw
            b = b - LR * gb
        return sgd_result(w, b, gws, gbs, record)

    return sgd_builder(epoch)


def sgd_autotape(d: dict) -> Builder:
    X, y, n = d["X"], d["y"], len(d["X"])

    def row_loss(params, x, t):
        return at.mse(at.matmul(x, params["w"]) + params["b"], t)

    grad_loss = at.grad(row_loss)

    def epoch(record):
        params, gws, gbs = {"w": d["w"], "b": d["b"]}, [], []
        for i in range(n):
            grads = grad_loss(params, X[i : i + 1], y[i : i + 1])
            if record:
                gws.append(grads["w"])
                gbs.append(grads["b"])
            params = at.sgd(params, grads, LR)
        return sgd_result(params["w"], params["b"], gws, gbs, record)

    return sgd_builder(epoch)


def sgd_jit(d: dict) -> Builder:
    """The gradient and the update of one row jitted as one step."""
    X, y, n = d["X"], d["y"], len(d["X"])

    def row_loss(params, x, t):
        return at.mse(at.matmul(x, params["w"]) + params["b"], t)

    def build():
        step = at.jit(lambda params, x, t: at.sgd(params, at.grad(row_loss)(params, x, t), LR))
        grads = at.jit(at.grad(row_loss))

        def epoch(record):
            params, gws, gbs = {"w": d["w"], "b": d["b"]}, [], []
            for i in range(n):
                x, t = X[i : i + 1], y[i : i + 1]
                if record:
                    g = grads(params, x, t)
                    gws.append(g["w"])
                    gbs.append(g["b"])
                params = step(params, x, t)
            return sgd_result(params["w"], params["b"], gws, gbs, record)

        return sgd_builder(epoch)()

    return build


def sgd_jax(d: dict) -> Builder:
    def build():
        jnp = jax.numpy
        X, y, n = jnp.asarray(d["X"]), jnp.asarray(d["y"]), len(d["X"])

        def row_loss(params, x, t):
            r = x @ params["w"] + params["b"] - t
            return jnp.mean(r * r)

        grads = jax.jit(jax.grad(row_loss))
        step = jax.jit(lambda p, x, t: jax.tree_util.tree_map(lambda a, g: a - LR * g, p, jax.grad(row_loss)(p, x, t)))
        rows = [(X[i : i + 1], y[i : i + 1]) for i in range(n)]

        def epoch(record):
            params, gws, gbs = {"w": jnp.asarray(d["w"]), "b": jnp.asarray(d["b"])}, [], []
            for x, t in rows:
                if record:
                    g = grads(params, x, t)
                    gws.append(g["w"])
                    gbs.append(g["b"])
                params = step(params, x, t)
            params["w"].block_until_ready()
            return sgd_result(params["w"], params["b"], gws, gbs, record)

        return sgd_builder(epoch)()

    return build


def sgd_autograd(d: dict) -> Builder:
    X, y, n = d["X"], d["y"], len(d["X"])

    def row_loss(params, x, t):
        r = anp.matmul(x, params["w"]) + params["b"] - t
        return anp.mean(r * r)

    grad_loss = autograd.grad(row_loss)

    def epoch(record):
        params, gws, gbs = {"w": d["w"], "b": d["b"]}, [], []
        for i in range(n):
            grads = grad_loss(params, X[i : i + 1], y[i : i + 1])
            if record:
                gws.append(grads["w"])
                gbs.append(grads["b"])
            params = {k: params[k] - LR * grads[k] for k in params}
        return sgd_result(params["w"], params["b"], gws, gbs, record)

    return sgd_builder(epoch)


def sgd_torch(d: dict) -> Builder:
    def build():
        X, y, n = to_torch(d["X"]), to_torch(d["y"]), len(d["X"])
        w0, b0 = to_torch(d["w"]), to_torch(d["b"])
        mse = torch.nn.functional.mse_loss

        def epoch(record):
            w, b = w0.clone().requires_grad_(), b0.clone().requires_grad_()
            gws, gbs = [], []
            for i in range(n):
                loss = mse(X[i : i + 1] @ w + b, y[i : i + 1])
                gw, gb = torch.autograd.grad(loss, (w, b))
                if record:
                    gws.append(gw)
                    gbs.append(gb)
                with torch.no_grad():  # the usual in-place update of leaf tensors
                    w -= LR * gw
                    b -= LR * gb
            return sgd_result(w, b, gws, gbs, record)

        return sgd_builder(epoch)()

    return build


def bench_sgd(cfg: Config) -> list:
    d = sgd_data()
    makers = {
        "numpy": sgd_numpy,
        "autotape": sgd_autotape,
        "jit": sgd_jit,
        "autograd": sgd_autograd,
        "torch": sgd_torch,
        "jax": sgd_jax,
    }
    builders = {name: make(d) for name, make in makers.items()}
    n = len(d["X"])
    return [compare("sgd", f"2 Task 5 loop, SGD over {n:,} rows", "us/row", 1e6 / n, builders, cfg)]


# --------------------------------------------------------------------------- 3 and 4: MLP steps


def mlp_params(rng, n_in: int, hidden: int, n_out: int) -> dict:
    return {
        "w1": rng.normal(size=(n_in, hidden)) / np.sqrt(n_in),
        "b1": 0.1 * rng.normal(size=hidden),
        "w2": rng.normal(size=(hidden, n_out)) / np.sqrt(hidden),
        "b2": 0.1 * rng.normal(size=n_out),
    }


def small_mlp_data() -> dict:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(720, 7))
    y = (X @ rng.normal(size=7) + 0.5 * rng.normal(size=720) > 0).astype(np.float64)
    return {"X": X, "y": y, "params": mlp_params(rng, 7, 128, 1)}


def large_mlp_data() -> dict:
    rng = np.random.default_rng(4)
    X = rng.normal(size=(4096, 64))
    labels = rng.integers(0, 10, size=4096)
    return {"X": X, "labels": labels, "params": mlp_params(rng, 64, 512, 10)}


def mlp_backward_numpy(X, p, h, dz) -> dict:
    """Gradients of X -> tanh(X w1 + b1) w2 + b2 given dloss/dlogits ``dz`` of shape (n, out)."""
    dh = dz @ p["w2"].T
    da = dh * (1.0 - h * h)
    return {"w1": X.T @ da, "b1": da.sum(axis=0), "w2": h.T @ dz, "b2": dz.sum(axis=0)}


def small_mlp_numpy(d: dict) -> Builder:
    X, y, p = d["X"], d["y"], d["params"]
    n = len(X)

    def step():
        h = np.tanh(X @ p["w1"] + p["b1"])
        z = (h @ p["w2"] + p["b2"])[:, 0]
        np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
        sigmoid = 0.5 * (1.0 + np.tanh(0.5 * z))  # stable logistic
        dz = ((sigmoid - y) / n)[:, None]
        return mlp_backward_numpy(X, p, h, dz)

    return lambda: (step, simple_check(step))


def small_mlp_autotape(d: dict) -> Builder:
    X, y, p = d["X"], d["y"], d["params"]

    def loss(params):
        h = at.tanh(X @ params["w1"] + params["b1"])
        logits = (h @ params["w2"] + params["b2"])[:, 0]
        return at.bce_with_logits(logits, y)

    grad_loss = at.grad(loss)
    step = lambda: grad_loss(p)  # noqa: E731
    return lambda: (step, simple_check(step))


def small_mlp_jit(d: dict) -> Builder:
    X, y, p = d["X"], d["y"], d["params"]

    def loss(params, X, y):
        h = at.tanh(X @ params["w1"] + params["b1"])
        logits = (h @ params["w2"] + params["b2"])[:, 0]
        return at.bce_with_logits(logits, y)

    def build():
        grad_loss = at.jit(at.grad(loss))
        step = lambda: grad_loss(p, X, y)  # noqa: E731
        return step, simple_check(step)

    return build


def small_mlp_jax(d: dict) -> Builder:
    def build():
        jnp = jax.numpy
        X, y = jnp.asarray(d["X"]), jnp.asarray(d["y"])
        p = {k: jnp.asarray(v) for k, v in d["params"].items()}

        def loss(params, X, y):
            h = jnp.tanh(X @ params["w1"] + params["b1"])
            z = (h @ params["w2"] + params["b2"])[:, 0]
            return jnp.mean(jnp.maximum(z, 0) - z * y + jnp.log1p(jnp.exp(-jnp.abs(z))))

        grad_loss = jax.jit(jax.grad(loss))

        def step():
            g = grad_loss(p, X, y)
            jax.block_until_ready(g)
            return g

        return step, simple_check(step)

    return build


def small_mlp_autograd(d: dict) -> Builder:
    X, y, p = d["X"], d["y"], d["params"]

    def loss(params):
        h = anp.tanh(anp.matmul(X, params["w1"]) + params["b1"])
        z = (anp.matmul(h, params["w2"]) + params["b2"])[:, 0]
        return anp.mean(anp.maximum(z, 0) - z * y + anp.log1p(anp.exp(-anp.abs(z))))

    grad_loss = autograd.grad(loss)
    step = lambda: grad_loss(p)  # noqa: E731
    return lambda: (step, simple_check(step))


def torch_params(p: dict) -> dict:
    return {k: to_torch(v, requires_grad=True) for k, v in p.items()}


def small_mlp_torch(d: dict) -> Builder:
    def build():
        X, y, p = to_torch(d["X"]), to_torch(d["y"]), torch_params(d["params"])
        names = list(p)
        bce = torch.nn.functional.binary_cross_entropy_with_logits

        def step():
            h = torch.tanh(X @ p["w1"] + p["b1"])
            z = (h @ p["w2"] + p["b2"])[:, 0]
            grads = torch.autograd.grad(bce(z, y), [p[k] for k in names])
            return dict(zip(names, grads))

        return step, simple_check(step)

    return build


def large_mlp_numpy(d: dict) -> Builder:
    X, labels, p = d["X"], d["labels"], d["params"]
    n, rows = len(X), np.arange(len(X))

    def step():
        h = np.tanh(X @ p["w1"] + p["b1"])
        z = h @ p["w2"] + p["b2"]
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        -np.mean(shifted[rows, labels] - np.log(total[:, 0]))  # the loss
        dz = e / total  # softmax - one_hot, over n
        dz[rows, labels] -= 1.0
        dz /= n
        return mlp_backward_numpy(X, p, h, dz)

    return lambda: (step, simple_check(step))


def large_mlp_autotape(d: dict) -> Builder:
    X, labels, p = d["X"], d["labels"], d["params"]

    def loss(params):
        h = at.tanh(X @ params["w1"] + params["b1"])
        return at.softmax_cross_entropy(h @ params["w2"] + params["b2"], labels)

    grad_loss = at.grad(loss)
    step = lambda: grad_loss(p)  # noqa: E731
    return lambda: (step, simple_check(step))


def large_mlp_jit(d: dict) -> Builder:
    X, labels, p = d["X"], d["labels"], d["params"]

    def loss(params, X, labels):
        h = at.tanh(X @ params["w1"] + params["b1"])
        return at.softmax_cross_entropy(h @ params["w2"] + params["b2"], labels)

    def build():
        grad_loss = at.jit(at.grad(loss))
        step = lambda: grad_loss(p, X, labels)  # noqa: E731
        return step, simple_check(step)

    return build


def large_mlp_jax(d: dict) -> Builder:
    def build():
        jnp = jax.numpy
        X, labels = jnp.asarray(d["X"]), jnp.asarray(d["labels"])
        p = {k: jnp.asarray(v) for k, v in d["params"].items()}
        rows = jnp.arange(len(d["X"]))

        def loss(params, X, labels):
            h = jnp.tanh(X @ params["w1"] + params["b1"])
            log_p = jax.nn.log_softmax(h @ params["w2"] + params["b2"], axis=1)
            return -jnp.mean(log_p[rows, labels])

        grad_loss = jax.jit(jax.grad(loss))

        def step():
            g = grad_loss(p, X, labels)
            jax.block_until_ready(g)
            return g

        return step, simple_check(step)

    return build


def large_mlp_autograd(d: dict) -> Builder:
    X, labels, p = d["X"], d["labels"], d["params"]
    rows = np.arange(len(X))

    def loss(params):
        h = anp.tanh(anp.matmul(X, params["w1"]) + params["b1"])
        z = anp.matmul(h, params["w2"]) + params["b2"]
        log_p = z - ag_logsumexp(z, axis=1, keepdims=True)
        return -anp.mean(log_p[rows, labels])

    grad_loss = autograd.grad(loss)
    step = lambda: grad_loss(p)  # noqa: E731
    return lambda: (step, simple_check(step))


def large_mlp_torch(d: dict) -> Builder:
    def build():
        X, p = to_torch(d["X"]), torch_params(d["params"])
        labels = torch.from_numpy(d["labels"].astype(np.int64))
        names = list(p)
        cross_entropy = torch.nn.functional.cross_entropy

        def step():
            h = torch.tanh(X @ p["w1"] + p["b1"])
            loss = cross_entropy(h @ p["w2"] + p["b2"], labels)
            return dict(zip(names, torch.autograd.grad(loss, [p[k] for k in names])))

        return step, simple_check(step)

    return build


LARGE_MLP = {
    "numpy": large_mlp_numpy,
    "autotape": large_mlp_autotape,
    "jit": large_mlp_jit,
    "autograd": large_mlp_autograd,
    "torch": large_mlp_torch,
    "jax": large_mlp_jax,
}


def bench_mlp_small(cfg: Config) -> list:
    d = small_mlp_data()
    makers = {
        "numpy": small_mlp_numpy,
        "autotape": small_mlp_autotape,
        "jit": small_mlp_jit,
        "autograd": small_mlp_autograd,
        "torch": small_mlp_torch,
        "jax": small_mlp_jax,
    }
    builders = {name: make(d) for name, make in makers.items()}
    return [compare("mlp-small", "3 MLP step 720x7-128-1, BCE", "ms/step", 1e3, builders, cfg)]


def bench_mlp_large(cfg: Config) -> list:
    d = large_mlp_data()
    builders = {name: make(d) for name, make in LARGE_MLP.items()}
    return [compare("mlp-large", "4 MLP step 4096x64-512-10, CE", "ms/step", 1e3, builders, cfg)]


# --------------------------------------------------------------------------- 6: memory


def tracemalloc_peak(step: Step) -> float:
    """MiB above the traced baseline at the peak of one call of ``step`` (result included)."""
    gc.collect()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = step()
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        tracemalloc.stop()
    return (peak - baseline) / 2**20


def _proc_status_kib(field_name: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field_name} in /proc/self/status")


def rss_child(name: str) -> None:
    """In a fresh process: peak RSS growth (MiB) of one large-MLP step of ``name``; prints JSON."""
    cfg = Config(quick=True, repeats=1, min_sample=0.0)
    if name == "torch":
        load_torch(cfg, [])
    if name == "jax":
        load_jax(cfg, [])
    step, _ = LARGE_MLP[name](large_mlp_data())()
    for _ in range(2):  # warm-up: lazy imports, thread pools, first-call caches
        step()
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak-RSS counter (VmHWM) to the current RSS
    baseline = _proc_status_kib("VmRSS")
    result = step()
    peak = _proc_status_kib("VmHWM")
    del result
    print(json.dumps({"mib": (peak - baseline) / 1024}))


def start_rss_child(name: str) -> subprocess.Popen:
    env = dict(os.environ)
    # A fixed mmap threshold also turns off glibc's dynamic one, so big freed blocks
    # are unmapped at once instead of kept (resident) for reuse.
    env["MALLOC_MMAP_THRESHOLD_"] = "131072"
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--rss-child", name],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_rss_child(proc: subprocess.Popen) -> float:
    try:
        out, err = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise RuntimeError("the measuring subprocess took over 300 s") from None
    if proc.returncode != 0:
        raise RuntimeError(err.strip().splitlines()[-1] if err.strip() else f"exit status {proc.returncode}")
    return json.loads(out.strip().splitlines()[-1])["mib"]


def bench_memory(cfg: Config) -> list:
    d = large_mlp_data()
    names = active_contenders(cfg)
    traced = Row("memory-tracemalloc", "6 peak memory, MLP-large step (tracemalloc)", "MiB")
    rss = Row("memory-rss", "6 peak RSS growth, MLP-large step (subprocess)", "MiB")
    children = {}
    if sys.platform.startswith("linux") and os.path.exists("/proc/self/clear_refs"):
        # RSS is per process, so the children can run side by side (and beside the
        # tracemalloc measures below) without changing each other's figures.
        # --quick measures RSS only where tracemalloc cannot: torch (and numpy, its baseline).
        rss_names = [n for n in names if not cfg.quick or n in ("numpy", "torch", "jax")]
        if cfg.quick and "torch" not in names and "jax" not in names:
            rss_names = []
        if rss_names:
            progress(f"  memory: RSS subprocesses for {', '.join(rss_names)}")
        children = {name: start_rss_child(name) for name in rss_names}
    else:
        rss.text = {name: "n/a" for name in names}
    for name in names:
        if name in ("torch", "jax"):  # their allocators are not NumPy's: tracemalloc cannot see them
            traced.text[name] = "n/a"
            continue
        progress(f"  memory: tracemalloc for {name}")
        try:
            step, _ = LARGE_MLP[name](d)()
            step()
            traced.values[name] = tracemalloc_peak(step)
        except Exception as error:
            traced.failures[name] = f"{type(error).__name__}: {error}"
    for name, proc in children.items():
        try:
            rss.values[name] = finish_rss_child(proc)
        except Exception as error:
            rss.failures[name] = f"{type(error).__name__}: {error}"
    return [traced, rss]


# --------------------------------------------------------------------------- 8: at.jit's first call


def bench_first_call(cfg: Config) -> list:
    """The first call of a jitted step (it records) divided by one eager call of the same step.

    For the Task 5 row step and the Raisin-size MLP step; JAX's first call (tracing and
    XLA compilation) is shown in milliseconds beside it. A fresh jitted function per sample.
    """
    rows = []
    sgd = sgd_data()
    x, t = sgd["X"][:1], sgd["y"][:1]
    params = {"w": sgd["w"], "b": sgd["b"]}

    def row_loss(p, x, t):
        return at.mse(at.matmul(x, p["w"]) + p["b"], t)

    small = small_mlp_data()

    def mlp_loss(p, X, y):
        h = at.tanh(X @ p["w1"] + p["b1"])
        return at.bce_with_logits((h @ p["w2"] + p["b2"])[:, 0], y)

    cases = (
        ("sgd", "Task 5 row step", lambda p, x, t: at.sgd(p, at.grad(row_loss)(p, x, t), LR), (params, x, t)),
        ("mlp-small", "MLP 720x7-128-1 gradient", at.grad(mlp_loss), (small["params"], small["X"], small["y"])),
    )
    for key, label, fun, args in cases:
        row = Row(f"first-call-{key}", f"8 at.jit first call / eager call, {label}", "ratio")
        row.ratio_to_numpy = False
        progress(f"  timing {row.title}")
        eager = statistics.median(time_call(lambda: fun(*args))[1] for _ in range(max(cfg.repeats, 5)))
        firsts = []
        for _ in range(max(cfg.repeats, 5)):
            jitted = at.jit(fun)
            firsts.append(time_call(lambda: jitted(*args))[1])
        row.values["jit"] = statistics.median(firsts) / eager
        row.text["autotape"] = f"{eager * 1e3:.2f} ms eager"
        if jax is not None:
            row.text["jax"] = _jax_first_call_ms(key, args)
        rows.append(row)
    return rows


def _jax_first_call_ms(key: str, args: tuple) -> str:
    jnp = jax.numpy

    def row_step(p, x, t):
        loss = lambda p: jnp.mean((x @ p["w"] + p["b"] - t) ** 2)  # noqa: E731
        return jax.tree_util.tree_map(lambda a, g: a - LR * g, p, jax.grad(loss)(p))

    def mlp_grad(p, X, y):
        def loss(p):
            z = (jnp.tanh(X @ p["w1"] + p["b1"]) @ p["w2"] + p["b2"])[:, 0]
            return jnp.mean(jnp.maximum(z, 0) - z * y + jnp.log1p(jnp.exp(-jnp.abs(z))))

        return jax.grad(loss)(p)

    fun = jax.jit(row_step if key == "sgd" else mlp_grad)
    jax_args = jax.tree_util.tree_map(jnp.asarray, args)
    t0 = clock()
    jax.block_until_ready(fun(*jax_args))
    return f"{(clock() - t0) * 1e3:.0f} ms compile"


# --------------------------------------------------------------------------- 7: outside any transform

CALLS_PER_STEP = 100


def outside_builder(op: Callable, *operands) -> Builder:
    # Called as users call them, op(a) or op(a, b): a call through op(*operands) costs a
    # Python function about 40 ns more than a C function such as np.tanh, which would
    # measure the benchmark's calling convention rather than the op.
    calls = range(CALLS_PER_STEP)
    if len(operands) == 1:
        (a,) = operands

        def step():
            for _ in calls:
                out = op(a)
            return {"out": out}

    else:
        a, b = operands

        def step():
            for _ in calls:
                out = op(a, b)
            return {"out": out}

    return lambda: (step, simple_check(step))


def bench_outside(cfg: Config) -> list:
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    rows = []
    for op_name, operands in (("tanh", (a,)), ("sin", (a,)), ("add", (a, b)), ("matmul", (a, b)), ("sum", (a,))):
        builders = {
            "numpy": outside_builder(getattr(np, op_name), *operands),
            "autotape": outside_builder(getattr(at, op_name), *operands),
        }
        if autograd is not None:
            builders["autograd"] = outside_builder(getattr(anp, op_name), *operands)
        title = f"7 outside grad: {op_name}, 4x4"
        rows.append(compare(f"outside-{op_name}", title, "us/call", 1e6 / CALLS_PER_STEP, builders, cfg))
    return rows


# --------------------------------------------------------------------------- report

WORKLOADS = {
    "ops": bench_ops,
    "sgd": bench_sgd,
    "mlp-small": bench_mlp_small,
    "mlp-large": bench_mlp_large,
    "chain": bench_chain,
    "memory": bench_memory,
    "outside": bench_outside,
    "first-call": bench_first_call,
}


def fmt_number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def cell(row: Row, name: str, ratios: dict) -> str:
    if name in row.failures:
        return "ERROR"
    if name in row.text:
        text = row.text[name]
    elif row.values.get(name) is None:
        return "-"
    else:
        text = fmt_number(row.values[name])
        if name in ratios and name != "numpy":
            text += f" ({ratios[name]:.2f}x)"
    check = row.checks.get(name)
    if check in ("ok", "FAIL"):
        text += f" {check}"
    return text


def format_table(rows: list, names: list) -> str:
    labels = {"numpy": "numpy (hand)", "jit": "at.jit", "jax": "jax.jit"}
    header = ["workload", "unit"] + [labels.get(n, n) for n in names]
    body = []
    for row in rows:
        ratios = row.ratios()
        body.append([row.title, row.unit] + [cell(row, n, ratios) for n in names])
    widths = [max(len(r[i]) for r in [header] + body) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for r in body:
        lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def _dist_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def _git_commit(directory: str) -> str | None:
    """``git describe --always --dirty`` of the checkout holding autotape, if it is one."""
    try:
        proc = subprocess.run(
            ["git", "-C", directory, "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() or None


def environment() -> dict:
    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "autotape": at.__version__,
        "autograd": _dist_version("autograd") if autograd is not None else None,
        "torch": torch.__version__ if torch is not None else None,
        "jax": jax.__version__ if jax is not None else None,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    commit = _git_commit(os.path.dirname(os.path.abspath(at.__file__)))
    if commit:
        info["autotape_commit"] = commit
    if hasattr(os, "getloadavg"):
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            f"{p.get('internal_api')} {p.get('version')} {p.get('architecture', '')} threads={p.get('num_threads')}"
            for p in threadpool_info()
            if p.get("user_api") == "blas"
        ]
    except ImportError:
        pass
    return info


def parse_args(argv: list | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time autotape against hand-written NumPy (the floor and the gradient "
        "reference), HIPS autograd and, when it imports, PyTorch (CPU, float64); all "
        "single-threaded, interleaved, medians. The module docstring says what each figure means.",
        epilog="Exit status: 0, or 1 when a gradient check fails or a contender raises.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 repeats, short samples, 2,000/4,000-op chains: under a minute"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document on stdout instead of the table (progress still goes to stderr)",
    )
    parser.add_argument(
        "--repeats", type=int, default=0, help="timing rounds per workload (default 11, or 3 with --quick)"
    )
    parser.add_argument(
        "--min-sample",
        type=float,
        default=0.0,
        help="seconds of work per timing sample (default 0.15, or 0.02 with --quick)",
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="wall: time.perf_counter (default); cpu: time.process_time, this "
        "process's CPU time, which leaves out time spent waiting while other "
        "processes use the CPU (every contender runs on one thread)",
    )
    parser.add_argument(
        "--only",
        type=lambda s: [x for x in s.split(",") if x],
        default=[],
        help=f"comma-separated workloads to run, from: {', '.join(WORKLOADS)}",
    )
    parser.add_argument(
        "--skip",
        type=lambda s: [x for x in s.split(",") if x],
        default=[],
        help="comma-separated contenders to leave out: jit, autograd, torch, jax",
    )
    parser.add_argument("--rss-child", metavar="CONTENDER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.only) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workload(s) {sorted(unknown)}; choose from {', '.join(WORKLOADS)}")
    unknown = set(args.skip) - {"jit", "autograd", "torch", "jax"}
    if unknown:
        parser.error(f"--skip takes jit, autograd, torch and/or jax, got {sorted(unknown)}")
    return args


def main(argv: list | None = None) -> int:
    args = parse_args(argv)
    if args.rss_child:
        rss_child(args.rss_child)
        return 0
    cfg = make_config(args)
    global clock
    clock = CLOCKS[cfg.clock]
    notes: list = []
    load_torch(cfg, notes)
    load_jax(cfg, notes)
    if autograd is None and "autograd" not in cfg.skip:
        notes.append("autograd skipped: import autograd failed (pip install '.[bench]')")
    names = active_contenders(cfg)
    # Move everything imported so far out of the collector's reach: gc.collect() before
    # each sample then costs microseconds, not the tens of milliseconds that scanning
    # torch's and jaxtyping's module objects takes.
    gc.collect()
    gc.freeze()
    env = environment()
    sizes = (
        f"mode={'quick' if cfg.quick else 'full'} clock={cfg.clock} repeats={cfg.repeats} "
        f"min_sample={cfg.min_sample}s; "
        f"ops chain {2 * cfg.ops_pairs + 1} ops on 4x4; chains {cfg.chain_ops[0]:,} and "
        f"{cfg.chain_ops[1]:,} ops on (16,); autotape deep chain {cfg.deep_ops:,} ops"
    )
    if not args.json:
        print(" ".join(f"{k}={v}" for k, v in env.items() if v is not None))
        print(sizes)
        for note in notes:
            print(f"note: {note}")
        print(flush=True)

    started = time.perf_counter()
    rows: list = []
    workload_seconds = {}
    for key, bench in WORKLOADS.items():
        if cfg.wants(key):
            progress(f"workload {key}")
            t0 = time.perf_counter()
            rows.extend(bench(cfg))
            workload_seconds[key] = round(time.perf_counter() - t0, 1)
            progress(f"  ({workload_seconds[key]} s)")
    elapsed = time.perf_counter() - started

    failed = [
        (r.title, n, r.failures.get(n) or f"relative error {r.errors.get(n)}")
        for r in rows
        for n, c in r.checks.items()
        if c in ("FAIL", "ERROR")
    ]
    failed += [(r.title, n, msg) for r in rows for n, msg in r.failures.items() if n not in r.checks]
    if args.json:
        doc = {
            "environment": env,
            "config": {
                "quick": cfg.quick,
                "clock": cfg.clock,
                "repeats": cfg.repeats,
                "min_sample_s": cfg.min_sample,
                "ops_chain_ops": 2 * cfg.ops_pairs + 1,
                "chain_ops": list(cfg.chain_ops),
                "deep_chain_ops": cfg.deep_ops,
                "tolerance": TOLERANCE,
            },
            "contenders": names,
            "results": [r.as_json() for r in rows],
            "notes": notes,
            "elapsed_s": round(elapsed, 1),
            "workload_elapsed_s": workload_seconds,
        }
        print(json.dumps(doc, indent=2))
    else:
        print(format_table(rows, names))
        print()
        print(
            "Times are medians; (Nx) is the ratio to hand-written NumPy; ok/FAIL: gradients within "
            f"{TOLERANCE:g} relative of NumPy's."
        )
        for title, name, message in failed:
            print(f"{name} on '{title}': {message}")
        print(f"elapsed {elapsed:.1f} s (" + ", ".join(f"{k} {v} s" for k, v in workload_seconds.items()) + ")")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

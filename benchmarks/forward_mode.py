"""Forward mode, Hessian-vector products, Jacobians and checkpointing: speed and memory ratios.

Run ``python benchmarks/forward_mode.py`` (about a minute; ``--quick`` for fewer
repeats). Every figure is a ratio of two measurements taken in this one run, with the
target beside it:

1. ``jvp / forward``: one ``at.jvp`` of a 10-layer tanh MLP (width 64, batch 32)
   against the plain NumPy forward pass of the same function (target <= 3), and
   ``jvp / vjp``: against ``at.vjp`` plus one call of its ``vjp_fn`` (target <= 1).
2. ``hvp / grad-of-grad``: ``at.hvp`` (forward over reverse) of that MLP's loss in its
   parameters, against reverse over reverse (the gradient of ``<grad, v>``) (target
   <= 1.5), and ``hvp / grad`` against one ``at.grad`` (target <= 4).
3. ``jacfwd / jacrev`` of a function from R^4 to R^1000 (target < 1).
4. ``checkpoint``: ``at.grad`` of a 64-layer tanh MLP (width 64, batch 2048), checkpointed
   in 8 segments of 8 layers, against the plain ``at.grad``: peak memory by
   ``tracemalloc`` (target <= 0.35), time (target <= 1.5), and the largest relative
   difference of the gradients (target <= 1e-12).

Times are the minimum over repeats (each repeat a few calls), single-threaded BLAS.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

import autotape as at  # noqa: E402


def best_time(fn: Callable, repeats: int, number: int = 3) -> float:
    fn()
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def peak_memory(fn: Callable) -> float:
    """Peak traced allocation (MiB) above the level before the call."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 2**20


def mlp(layers: int, width: int, batch: int, seed: int = 0) -> tuple[list, np.ndarray]:
    rng = np.random.default_rng(seed)
    ws = [rng.normal(size=(width, width)) / np.sqrt(width) for _ in range(layers)]
    return ws, rng.normal(size=(batch, width))


def forward(ws: list, x: np.ndarray):
    h = x
    for w in ws:
        h = np.tanh(h @ w)
    return h


def row(name: str, value: float, target: str, met: bool) -> str:
    return f"{name:<44} {value:>10.3f}   target {target:<8} {'met' if met else 'MISSED'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 9")
    repeats = 3 if parser.parse_args().quick else 9
    lines = []

    ws, x = mlp(10, 64, 32)
    tangents = [np.ones_like(w) for w in ws]
    t_forward = best_time(lambda: forward(ws, x), repeats, 20)
    t_jvp = best_time(lambda: at.jvp(lambda ws: forward(ws, x), (ws,), (tangents,)), repeats, 5)
    ct = np.ones((32, 64))

    def vjp_once():
        _, pull = at.vjp(lambda ws: forward(ws, x), ws)
        pull(ct)

    t_vjp = best_time(vjp_once, repeats, 5)
    lines.append(row("1 jvp / forward (10-layer MLP, 64 wide)", t_jvp / t_forward, "<= 3", t_jvp / t_forward <= 3))
    lines.append(row("1 jvp / (vjp forward + backward)", t_jvp / t_vjp, "<= 1", t_jvp <= t_vjp))

    def loss(ws):
        return np.sum(forward(ws, x) ** 2)

    grad = at.grad(loss)
    t_grad = best_time(lambda: grad(ws), repeats, 5)
    t_hvp = best_time(lambda: at.hvp(loss, (ws,), (tangents,)), repeats, 5)

    def reverse_over_reverse():
        return at.grad(lambda ws: sum(np.sum(g * v) for g, v in zip(grad(ws), tangents)))(ws)

    t_rr = best_time(reverse_over_reverse, repeats, 5)
    lines.append(row("2 hvp / grad-of-grad (reverse over reverse)", t_hvp / t_rr, "<= 1.5", t_hvp / t_rr <= 1.5))
    lines.append(row("2 hvp / grad", t_hvp / t_grad, "<= 4", t_hvp / t_grad <= 4))

    a = np.random.default_rng(1).normal(size=(1000, 4))

    def wide(v):
        return np.tanh(a @ v) * np.sin(v[0])

    v0 = np.array([0.1, -0.2, 0.3, 0.4])
    t_fwd = best_time(lambda: at.jacfwd(wide)(v0), repeats, 1)
    t_rev = best_time(lambda: at.jacrev(wide)(v0), max(1, repeats // 3), 1)
    lines.append(row("3 jacfwd / jacrev, R^4 -> R^1000", t_fwd / t_rev, "< 1", t_fwd < t_rev))

    deep, xs = mlp(64, 64, 2048, seed=2)
    segments = [at.checkpoint(lambda ws_k, h: forward(ws_k, h)) for _ in range(8)]

    def deep_loss(ws):
        return np.sum(forward(ws, xs) ** 2) / xs.shape[0]

    def deep_loss_checkpointed(ws):
        h = xs
        for k, segment in enumerate(segments):
            h = segment(ws[8 * k : 8 * k + 8], h)
        return np.sum(h**2) / xs.shape[0]

    g_plain = at.grad(deep_loss)(deep)
    g_remat = at.grad(deep_loss_checkpointed)(deep)
    error = max(float(np.max(np.abs(a - b)) / np.max(np.abs(a))) for a, b in zip(g_plain, g_remat))
    m_plain = peak_memory(lambda: at.grad(deep_loss)(deep))
    m_remat = peak_memory(lambda: at.grad(deep_loss_checkpointed)(deep))
    t_plain = best_time(lambda: at.grad(deep_loss)(deep), max(1, repeats // 3), 1)
    t_remat = best_time(lambda: at.grad(deep_loss_checkpointed)(deep), max(1, repeats // 3), 1)
    lines.append(row("4 checkpoint peak memory / plain", m_remat / m_plain, "<= 0.35", m_remat / m_plain <= 0.35))
    lines.append(row("4 checkpoint time / plain", t_remat / t_plain, "<= 1.5", t_remat / t_plain <= 1.5))
    lines.append(row("4 checkpoint gradient relative difference", error, "<= 1e-12", error <= 1e-12))

    print(f"numpy={np.__version__} autotape={at.__version__} repeats={repeats}")
    print(f"forward {t_forward * 1e6:.0f} us, jvp {t_jvp * 1e6:.0f} us, vjp {t_vjp * 1e6:.0f} us")
    print(f"grad {t_grad * 1e6:.0f} us")
    print(f"hvp {t_hvp * 1e6:.0f} us, reverse over reverse {t_rr * 1e6:.0f} us")
    print(f"jacfwd {t_fwd * 1e3:.1f} ms, jacrev {t_rev * 1e3:.1f} ms")
    print(f"checkpoint: peak {m_remat:.1f} MiB vs {m_plain:.1f} MiB; {t_remat * 1e3:.0f} ms vs {t_plain * 1e3:.0f} ms")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

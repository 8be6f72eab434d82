"""Matrix multiplication, with NumPy's rules for 1-D operands and batch broadcasting."""

from __future__ import annotations

from typing import Any, Union

import numpy as np

from .._types import Array, Nested, Shaped
from ..tracer import primal
from .registry import Spec, defprim, no_extras, op

__all__ = ["matmul"]


def _swap_last(x):
    return x.T if x.ndim == 2 else np.swapaxes(x, -1, -2)


def _check_inner(a, b) -> None:
    """ValueError naming both shapes when ``a @ b`` is undefined (NumPy's matmul rules)."""
    sa, sb = np.shape(primal(a)), np.shape(primal(b))
    if not sa or not sb:
        raise ValueError(f"matmul: {sa} @ {sb}: operands must have at least one dimension; use multiply for scalars")
    inner_a = sa[-1]
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if inner_a != inner_b:
        raise ValueError(
            f"matmul: {sa} @ {sb}: inner dimensions {inner_a} and {inner_b} differ; "
            "transpose or reshape one operand so they match"
        )
    try:
        np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(
            f"matmul: {sa} @ {sb}: batch dimensions {sa[:-2]} and {sb[:-2]} do not broadcast; "
            "make them equal, or 1 where one operand should be shared"
        ) from None


def _matmul_fwd(a, b):
    return np.matmul(a, b), (a, b)


# The operands are arrays or traced values (constants given as lists were made arrays
# when recorded), so .ndim and .shape are read directly rather than through np.ndim.
def _vjp_a(g, a, b):
    if b.ndim == 1:
        if a.ndim == 1:  # (k,) @ (k,) -> (): the inner product
            return g * b
        # (..., n, k) @ (k,) -> (..., n): the outer product of g with b.
        return np.reshape(g, g.shape + (1,)) * b
    if a.ndim == 1:
        # (k,) @ (..., k, m) -> (..., m): b @ g, batch axes summed by the engine.
        return np.reshape(np.matmul(b, np.reshape(g, g.shape + (1,))), g.shape[:-1] + (b.shape[-2],))
    return np.matmul(g, _swap_last(b))


def _vjp_b(g, a, b):
    if a.ndim == 1:
        if b.ndim == 1:  # (k,) @ (k,) -> ()
            return g * a
        # (k,) @ (..., k, m) -> (..., m): the outer product of a with g.
        return np.reshape(a, (-1, 1)) * np.reshape(g, g.shape[:-1] + (1, g.shape[-1]))
    if b.ndim == 1:
        # (..., n, k) @ (k,) -> (..., n): a^T @ g, batch axes summed by the engine.
        return np.reshape(np.matmul(_swap_last(a), np.reshape(g, g.shape + (1,))), a.shape[:-2] + (a.shape[-1],))
    return np.matmul(_swap_last(a), g)


_matmul = defprim(
    "matmul",
    _matmul_fwd,
    (_vjp_a, _vjp_b),
    (lambda t, a, b: np.matmul(t, b), lambda t, a, b: np.matmul(a, t)),
    impl=np.matmul,
    check=_check_inner,
    saveable=True,
)


@op(
    np.matmul,
    spec=Spec(lambda k: k.matmul(), "any shapes matmul accepts: 1-D, 2-D, broadcast batches", complex=True),
    primitives=(_matmul,),
)
def matmul(
    a: Union[Shaped[Array, ...], Nested], b: Union[Shaped[Array, ...], Nested], /, out: Any = None
) -> Shaped[Array, ...]:
    """Matrix product ``a @ b`` (``numpy.matmul``).

    Shapes follow NumPy: ``(..., n, k) @ (..., k, m) -> (..., n, m)`` with the batch
    axes broadcast; a 1-D ``a`` of shape ``(k,)`` acts as a row and a 1-D ``b`` as a
    column, their axis dropped from the result. Dtype by NumPy's promotion.

    Raises:
        ValueError: a 0-d operand, or inner dimensions that differ, e.g.
            ``matmul: (3, 4) @ (5, 1): inner dimensions 4 and 5 differ``.

    Bilinear (Giles 2008, "An extended collection of matrix derivative results for
    forward and reverse mode AD"): the VJP is ``g @ b^T`` for ``a`` and ``a^T @ g`` for
    ``b``, with batch axes that broadcasting added summed back by the engine; the JVP is
    ``ta @ b + a @ tb``. For complex operands these are the transposes (not the
    conjugate transposes), JAX's convention.
    """
    no_extras("matmul", out=out)
    return _matmul.bind(a, b)


@op(np.dot, spec=Spec(lambda k: k.dot(), "0-d, 1-d and 2-d operands", complex=True))
def dot(
    a: Union[Shaped[Array, ...], Nested], b: Union[Shaped[Array, ...], Nested], out: Any = None
) -> Shaped[Array, ...]:
    """``numpy.dot``: a product for 0-d operands, the inner product of vectors, and the
    matrix product of 2-D operands; for an N-D ``a`` and ``b``, the sum over the last axis
    of ``a`` and the second-to-last of ``b``. Derivatives from :func:`multiply`,
    :func:`matmul` and :func:`tensordot`.
    """
    no_extras("dot", out=out)
    if np.ndim(primal(a)) == 0 or np.ndim(primal(b)) == 0:
        return np.multiply(a, b)
    if np.ndim(primal(b)) <= 2:
        return _matmul.bind(a, b)
    raise TypeError("numpy.dot with a >2-D second operand is not supported on traced values yet; use matmul")

"""Linear algebra on arrays: products and contractions (``matmul``, ``einsum``, ``dot``,
``tensordot``, ...), diagonals and triangles, ``cross``, and 1-D ``convolve``/``correlate``.

Primitives carry the products: ``matmul``, ``dot`` (computed by ``numpy.dot``),
``einsum`` (any multilinear contraction) and ``convolve``. The other ops are composites
of these and of indexing and reshaping, chosen so that a traced call computes exactly
NumPy's numbers: ``tensordot`` reshapes to one ``dot`` as NumPy does, ``trace`` sums
NumPy's ``diagonal``. NumPy's gufuncs ``matvec``, ``vecmat`` and ``vecdot`` run loops of
their own that no composite reproduces bit for bit: they bind the ``einsum`` primitive
with the gufunc as its forward computation, so the value is NumPy's and the derivatives
are einsum's.
"""

from __future__ import annotations

import math
import string
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Optional, Union

import numpy as np

from .._types import Array, Integral, Nested, Scalar, Shaped
from ..tracer import Traced, primal
from .registry import Spec, constant, defprim, no_extras, op
from .shape import _index_add

__all__ = [
    "matmul",
    "einsum",
    "dot",
    "vdot",
    "inner",
    "outer",
    "tensordot",
    "kron",
    "trace",
    "diagonal",
    "diag",
    "tril",
    "triu",
    "cross",
    "convolve",
    "correlate",
]

ArrayIn = Union[Shaped[Array, "..."], Scalar, complex, Nested]


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


# --------------------------------------------------------------------------------------
# einsum: the multilinear primitive
# --------------------------------------------------------------------------------------

# The labels NumPy's einsum accepts; integer labels of the sublist form map to them in
# this order (0-25 to 'A'-'Z', 26-51 to 'a'-'z'), as NumPy maps them.
_LABELS = string.ascii_uppercase + string.ascii_lowercase


def _sublist_subscripts(arguments: tuple) -> tuple[str, list]:
    """``einsum(op0, sublist0, op1, sublist1, ..., [sublistout])`` as a subscripts string and the operands."""
    operands = list(arguments[0::2])
    sublists = list(arguments[1::2])
    output = operands.pop() if len(arguments) % 2 == 1 else None  # the output sublist comes last

    def term(sublist) -> str:
        parts = []
        for label in sublist:
            if label is Ellipsis:
                parts.append("...")
            elif isinstance(label, (int, np.integer)) and 0 <= label < len(_LABELS):
                parts.append(_LABELS[int(label)])
            else:
                raise ValueError(f"einsum: sublist labels must be integers in [0, 52) or Ellipsis, got {label!r}")
        return "".join(parts)

    subscripts = ",".join(term(s) for s in sublists)
    return (subscripts if output is None else f"{subscripts}->{term(output)}"), operands


def _explicit_subscripts(subscripts: str, shapes: Sequence[tuple]) -> tuple[tuple[str, ...], str]:
    """The subscripts with every axis named by a letter: ``...`` replaced by letters
    unused elsewhere (right-aligned across operands, as NumPy broadcasts ellipsis axes),
    and the output written out in implicit mode (the ellipsis axes, then the labels
    appearing once, in alphabetical order, uppercase first).

    Called after NumPy accepted the subscripts, so it does not re-check them.
    """
    spec = subscripts.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    counts = [len(shape) - (len(term) - 3) if "..." in term else 0 for term, shape in zip(terms, shapes)]
    width = max(counts, default=0)
    ellipsis = "".join([c for c in _LABELS if c not in spec][:width])
    inputs = tuple(
        term.replace("...", ellipsis[width - n :]) if "..." in term else term for term, n in zip(terms, counts)
    )
    if arrow:
        output = rhs.replace("...", ellipsis)
    else:
        named = "".join(terms).replace("...", "")
        output = ellipsis + "".join(sorted(c for c in set(named) if named.count(c) == 1))
    return inputs, output


def _rule_optimize(optimize: Any) -> Any:
    """The ``optimize=`` of the derivative einsums: the forward's, except that a path
    computed for the forward's operands (a list) does not fit theirs, so NumPy's
    greedy search is used instead."""
    return "greedy" if isinstance(optimize, list) else optimize


def _einsum_fwd(*operands, subscripts, optimize=False, via=None):
    out = np.einsum(subscripts, *operands, optimize=optimize) if via is None else via(*operands)
    inputs, output = _explicit_subscripts(subscripts, [np.shape(o) for o in operands])
    return out, (operands, inputs, output, subscripts, optimize)


def _einsum_impl(*operands, subscripts, optimize=False, via=None):
    return np.einsum(subscripts, *operands, optimize=optimize) if via is None else via(*operands)


def _einsum_vjp(i, g, operands, inputs, output, subscripts, optimize):
    """Operand ``i``'s cotangent: the einsum of ``g`` with the other operands into operand
    ``i``'s subscripts (the transpose of a map linear in operand ``i``).

    A label repeated in operand ``i`` (``'ii->i'``) cannot be an einsum output twice: its
    second occurrence gets a fresh label tied to the first by an identity matrix, which
    puts the cotangent on the diagonal and zeros elsewhere. A label that only operand
    ``i`` carries at its length (summed away, or length 1 in every other operand) cannot
    be an output at all: the einsum leaves it out and the result is broadcast along it.
    Where operand ``i`` has length 1 and the others more (NumPy broadcasts there), the
    cotangent comes out at the broadcast length and the engine sums it back.
    """
    subs = inputs[i]
    shape = operands[i].shape
    terms = [output] + [s for j, s in enumerate(inputs) if j != i]
    arrays = [g] + [a for j, a in enumerate(operands) if j != i]
    taken = set(output).union(*inputs)
    fresh = iter([c for c in _LABELS if c not in taken])
    labels = []
    for axis, c in enumerate(subs):
        if c in labels:
            f = next(fresh)
            terms.append(c + f)
            arrays.append(np.eye(shape[axis], dtype=g.dtype))
            labels.append(f)
        else:
            labels.append(c)

    def provided(c: str, n: int) -> bool:
        return any(c in t and (n == 1 or a.shape[t.index(c)] == n) for t, a in zip(terms, arrays))

    kept = [c for axis, c in enumerate(labels) if provided(c, shape[axis])]
    result = np.einsum(f"{','.join(terms)}->{''.join(kept)}", *arrays, optimize=_rule_optimize(optimize))
    if len(kept) == len(labels):
        return result
    sizes = iter(result.shape)
    expanded = [next(sizes) if c in kept else 1 for c in labels]
    result = np.reshape(result, expanded)
    return np.broadcast_to(result, tuple(max(n, e) for n, e in zip(shape, expanded)))


def _einsum_jvp(i, t, operands, inputs, output, subscripts, optimize):
    """Linear in each operand: operand ``i``'s tangent contribution is the einsum with
    that operand replaced by its tangent."""
    replaced = list(operands)
    replaced[i] = t
    return np.einsum(subscripts, *replaced, optimize=_rule_optimize(optimize))


def _einsum_check(*operands, subscripts, optimize=False, via=None):
    """After NumPy rejected the call: its reason, with the subscripts and the operands' shapes."""
    try:
        _einsum_fwd(*operands, subscripts=subscripts, optimize=optimize, via=via)
    except ValueError as error:
        shapes = ", ".join(str(np.shape(o)) for o in operands)
        raise ValueError(
            f"einsum: subscripts {subscripts!r} do not fit operands of shapes {shapes}: {error}. Each operand "
            "needs one label per axis (or '...' for any number of leading axes), and axes sharing a label "
            "must have equal lengths (or length 1)"
        ) from None


# Static parameters: the subscripts, optimize=, and ``via``: None, or a NumPy function
# computing the same contraction of the operands (numpy.matvec...), which then gives the
# forward value while the rules stay einsum's.
_einsum: Any = defprim(
    "einsum",
    _einsum_fwd,
    (_einsum_vjp,),
    (_einsum_jvp,),
    variadic=True,
    impl=_einsum_impl,
    check=_einsum_check,
)


def _operand(a: Any) -> Any:
    return a if type(a) is Traced or isinstance(a, np.ndarray) else np.asarray(a)


@op(
    np.einsum,
    spec=Spec(
        lambda k: k.einsum(),
        "explicit and implicit outputs, '...' with broadcasting (length-1 axes too), repeated labels "
        "('ii->i', 'ii', 'iij->j'), 1-3 operands, the sublist form, optimize=False/True/'greedy'",
        complex=True,
    ),
    primitives=(_einsum,),
)
def einsum(
    *operands: Any,
    out: Any = None,
    dtype: Any = None,
    order: str = "K",
    casting: str = "safe",
    optimize: Any = False,
) -> Shaped[Array, ...]:
    """Einstein summation (``numpy.einsum``): ``einsum('ij,jk->ik', a, b)`` is ``a @ b``.

    Args:
        operands: the subscripts string followed by the arrays, or NumPy's sublist form
            ``einsum(a, [0, 1], b, [1, 2], [0, 2])``. Subscripts name each axis by a
            letter; ``...`` stands for leading axes, which broadcast across operands (as
            do axes of length 1); a label repeated in one operand takes its diagonal
            (``'ii->i'``); without ``->`` the output is the ellipsis axes and then the
            labels appearing once, in alphabetical order.
        out: must be None.
        dtype: cast the operands to this dtype first (allowed by ``casting``).
        order: accepted for NumPy's signature; it sets only the memory layout.
        optimize: NumPy's contraction order (False, True, 'greedy', 'optimal' or a path
            from ``numpy.einsum_path``), used for the forward call and for the derivative
            einsums (with 'greedy' in place of a path, which fits the forward's operands only).
    Returns:
        The contraction, dtype by NumPy's promotion.
    Raises:
        ValueError: subscripts that do not fit the operands, with NumPy's reason.
        TypeError: ``out=`` given, or a ``dtype`` the operands cannot be cast to.

    Multilinear, so the derivative is einsum itself: the JVP is the sum over operands of
    the einsum with that operand replaced by its tangent, and operand ``i``'s VJP, the
    transpose of that linear map, contracts the cotangent with the other operands into
    operand ``i``'s subscripts (as HIPS autograd's ``grad_einsum`` and JAX's transpose of
    ``dot_general`` do). A repeated label puts the cotangent on the diagonal (through an
    identity matrix); a label only operand ``i`` carries broadcasts it; axes broadcast by
    ``...`` or by length 1 are summed back. Complex operands: plain transposes, JAX's
    convention. Rules written with einsum nest to any order.
    """
    no_extras("einsum", out=out)
    if not operands:
        raise TypeError("einsum: give the subscripts and the operands, e.g. einsum('ij,jk->ik', a, b)")
    if isinstance(operands[0], str):
        subscripts, arrays = operands[0], list(operands[1:])
    else:
        subscripts, arrays = _sublist_subscripts(operands)
    arrays = [_operand(a) for a in arrays]
    if dtype is not None:
        dtype = np.dtype(dtype)
        for a in arrays:
            if not np.can_cast(a.dtype, dtype, casting=casting):  # type: ignore[arg-type]
                raise TypeError(
                    f"einsum: cannot cast an operand of dtype {a.dtype} to dtype {dtype} under casting={casting!r}"
                )
        from .shape import astype

        arrays = [astype(a, dtype) for a in arrays]
    return _einsum.bind(*arrays, subscripts=subscripts, optimize=optimize)


constant(np.einsum_path)


# --------------------------------------------------------------------------------------
# dot, and the products written with it
# --------------------------------------------------------------------------------------


def _shape(a: Any) -> tuple:
    return np.shape(primal(a))


def _conj(a: Any) -> Any:
    """``conj(a)`` for complex ``a``; ``a`` itself otherwise (no op recorded)."""
    return np.conj(a) if np.iscomplexobj(primal(a)) else a


def _dot_subscripts(ndim_a: int, ndim_b: int) -> tuple[tuple[str, str], str]:
    """``dot``'s contraction as einsum subscripts: the last axis of ``a`` with the
    second-to-last of ``b`` (its only one for a 1-D ``b``)."""
    a_free = string.ascii_lowercase[: ndim_a - 1]
    b_free = string.ascii_lowercase[ndim_a - 1 : ndim_a + max(ndim_b - 2, 0) - 1]
    b_last = "Z" if ndim_b >= 2 else ""
    return (a_free + "Y", b_free + "Y" + b_last), a_free + b_free + b_last


def _dot_vjp(operand: int) -> Callable:
    def rule(g, a, b):
        if a.ndim <= 2 and b.ndim <= 2:  # dot is matmul here: matmul's rule
            return (_vjp_a if operand == 0 else _vjp_b)(g, a, b)
        inputs, output = _dot_subscripts(a.ndim, b.ndim)
        return _einsum_vjp(operand, g, (a, b), inputs, output, None, True)

    rule.__name__ = rule.__qualname__ = f"dot_vjp_{operand}"
    return rule


# Forward numpy.dot itself: matmul and einsum compute the same sums but not always in
# the same order (complex operands in Fortran order, N-D operands), and a traced call
# must give NumPy's numbers.
_dot = defprim(
    "dot",
    lambda a, b: (np.dot(a, b), (a, b)),
    (_dot_vjp(0), _dot_vjp(1)),
    (lambda t, a, b: np.dot(t, b), lambda t, a, b: np.dot(a, t)),
    impl=np.dot,
)


@op(
    np.dot,
    spec=Spec(lambda k: k.dot_any_rank(), "0-d to 3-d operands, every combination", complex=True),
    primitives=(_dot,),
)
def dot(a: ArrayIn, b: ArrayIn, out: Any = None) -> Shaped[Array, ...]:
    """``numpy.dot``: a product when either operand is 0-d, the inner product of vectors,
    the matrix product of 2-D operands, and for N-D operands the sum over the last axis
    of ``a`` and the second-to-last of ``b`` (the last if ``b`` is 1-D):
    ``dot(a, b)[i, j, k, m] = sum(a[i, j, :] * b[k, :, m])``.

    Args:
        a, b: arrays of any rank (float or complex), with ``a``'s last axis as long as
            ``b``'s contracted one. ``out`` must be None.
    Returns:
        Shape ``a.shape[:-1] + b.shape[:-2] + b.shape[-1:]``; dtype by NumPy's promotion.
    Raises:
        ValueError: the contracted axes differ in length, naming both shapes.

    A bilinear primitive computed by ``numpy.dot`` (0-d operands go to :func:`multiply`).
    Its VJP is matmul's for operands of at most 2 dimensions (``g @ b^T`` and ``a^T @ g``,
    Giles 2008) and einsum's otherwise (the cotangent contracted with the other operand);
    its JVP is ``dot(ta, b) + dot(a, tb)``. No conjugation: JAX's convention for complex.
    """
    no_extras("dot", out=out)
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        return np.multiply(a, b)
    k = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != k:
        raise ValueError(
            f"dot: shapes {sa} and {sb} are not aligned: the last axis of a ({sa[-1]}) must match "
            f"{'the only' if len(sb) == 1 else 'the second-to-last'} axis of b ({k})"
        )
    if len(sa) + len(sb) > 26:
        raise ValueError(f"dot: operands of {len(sa)} and {len(sb)} dimensions have too many axes")
    return _dot.bind(_operand(a), _operand(b))


def _tensordot_axes(axes: Any, ndim_a: int, ndim_b: int) -> tuple[list[int], list[int]]:
    """``tensordot``'s ``axes`` (an int N, or a pair of ints or of sequences) as two lists of non-negative axes."""
    if isinstance(axes, (int, np.integer)):
        if axes < 0:
            raise ValueError(f"tensordot: axes={axes} must be non-negative (the number of axes to sum over)")
        axes_a: list[Any] = list(range(ndim_a - int(axes), ndim_a))
        axes_b: list[Any] = list(range(int(axes)))
    else:
        try:
            first, second = axes
        except (TypeError, ValueError):
            raise ValueError(
                f"tensordot: axes={axes!r} must be an int or a pair of axis sequences, e.g. ([1, 0], [0, 1])"
            ) from None
        axes_a = [first] if isinstance(first, (int, np.integer)) else list(first)
        axes_b = [second] if isinstance(second, (int, np.integer)) else list(second)
    if len(axes_a) != len(axes_b):
        raise ValueError(f"tensordot: axes {axes!r} name {len(axes_a)} axes of a but {len(axes_b)} of b")
    for name, listed, ndim in (("a", axes_a, ndim_a), ("b", axes_b, ndim_b)):
        for ax in listed:
            if not -ndim <= ax < ndim:
                raise ValueError(f"tensordot: axis {ax} is out of range for {name} with {ndim} dimension(s)")
    return [int(ax) % ndim_a for ax in axes_a], [int(ax) % ndim_b for ax in axes_b]


@op(np.tensordot, spec=Spec(lambda k: k.tensordot(), "axes an int or a pair (ints or sequences)", complex=True))
def tensordot(a: ArrayIn, b: ArrayIn, axes: Any = 2) -> Shaped[Array, ...]:
    """``numpy.tensordot``: the sum of products over the axes ``axes[0]`` of ``a`` and
    ``axes[1]`` of ``b`` (an int ``N`` means the last ``N`` of ``a`` and the first ``N`` of ``b``).

    Returns:
        The remaining axes of ``a`` followed by those of ``b``.
    Raises:
        ValueError: summed axes of different lengths, an axis out of range, a negative
            ``N`` or unequal numbers of axes, naming them.

    Computed as NumPy computes it, which gives NumPy's exact numbers: both operands
    transposed and reshaped into matrices, one :func:`dot`, the result reshaped;
    derivatives from those ops (the VJP is again a matrix product, Giles 2008).
    """
    sa, sb = _shape(a), _shape(b)
    axes_a, axes_b = _tensordot_axes(axes, len(sa), len(sb))
    for i, j in zip(axes_a, axes_b):
        if sa[i] != sb[j]:
            raise ValueError(
                f"tensordot: shape mismatch for sum: axis {i} of a {sa} has length {sa[i]} but axis {j} of b "
                f"{sb} has length {sb[j]}"
            )
    free_a = [i for i in range(len(sa)) if i not in axes_a]
    free_b = [j for j in range(len(sb)) if j not in axes_b]
    summed = math.prod(sa[i] for i in axes_a)
    a2 = _matrix(a, free_a + axes_a, (math.prod(sa[i] for i in free_a), summed))
    b2 = _matrix(b, axes_b + free_b, (summed, math.prod(sb[j] for j in free_b)))
    return np.reshape(dot(a2, b2), tuple(sa[i] for i in free_a) + tuple(sb[j] for j in free_b))


def _matrix(x: Any, order: list, shape: tuple) -> Any:
    """``x`` with its axes in ``order``, reshaped to ``shape`` (no op recorded for a no-op)."""
    if order != sorted(order):
        x = np.transpose(x, order)
    return x if _shape(x) == shape else np.reshape(x, shape)


@op(np.inner, spec=Spec(lambda k: k.inner(), "0-d to 3-d operands with equal last axes", complex=True))
def inner(a: ArrayIn, b: ArrayIn, /) -> Shaped[Array, ...]:
    """``numpy.inner``: the sum of products over the last axes, ``inner(a, b)[i, j] =
    sum(a[i, :] * b[j, :])``; a product when either operand is 0-d. No conjugation.

    Returns:
        Shape ``a.shape[:-1] + b.shape[:-1]``.
    Raises:
        ValueError: the last axes differ in length.

    Computed as NumPy computes it, :func:`dot` with ``b``'s last two axes swapped
    (NumPy's numbers exactly); derivatives from those ops.
    """
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        return np.multiply(a, b)
    if sa[-1] != sb[-1]:
        raise ValueError(f"inner: the last axes of shapes {sa} and {sb} differ in length; they must match")
    return dot(a, b if len(sb) == 1 else np.swapaxes(b, -1, -2))


@op(np.outer, spec=Spec(lambda k: k.outer(), "any two arrays (flattened)", complex=True))
def outer(a: ArrayIn, b: ArrayIn, out: Any = None) -> Shaped[Array, "m n"]:
    """``numpy.outer``: ``outer(a, b)[i, j] = a.ravel()[i] * b.ravel()[j]`` (operands of any
    shape are flattened), shape ``(a.size, b.size)``. No conjugation.

    A :func:`multiply` of reshaped operands (NumPy's computation); derivatives from those.
    """
    no_extras("outer", out=out)
    return np.multiply(np.reshape(a, (-1, 1)), np.reshape(b, (1, -1)))


@op(np.vdot, spec=Spec(lambda k: k.vdot(), "operands of equal size, any shapes", complex=True))
def vdot(a: ArrayIn, b: ArrayIn, /) -> Any:
    """``numpy.vdot``: ``sum(conj(a.ravel()) * b.ravel())``, the first operand conjugated
    (for real operands, the dot product of the flattened arrays).

    Raises:
        ValueError: ``a`` and ``b`` have different numbers of elements.

    A :func:`dot` of the flattened operands, ``a`` first through :func:`conj` when it is
    complex (NumPy's numbers exactly); derivatives from those ops (so the conjugation
    follows ``conj``'s rule).
    """
    sa, sb = _shape(a), _shape(b)
    if math.prod(sa) != math.prod(sb):
        raise ValueError(f"vdot: a of shape {sa} and b of shape {sb} must have the same number of elements")
    return dot(np.reshape(_conj(a), (-1,)), np.reshape(b, (-1,)))


@op(np.kron, spec=Spec(lambda k: k.kron(), "0-d to 3-d operands, different ranks", complex=True))
def kron(a: ArrayIn, b: ArrayIn) -> Shaped[Array, ...]:
    """``numpy.kron``: the Kronecker product, blocks ``a[i, j] * b``; for operands of
    different ranks the smaller shape is padded with leading 1s.

    Returns:
        Shape ``a.shape * b.shape`` elementwise (after padding).

    A :func:`multiply` of ``a`` and ``b`` reshaped to interleaved axes, then one
    :func:`reshape` (NumPy's computation); derivatives from those.
    """
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        return np.multiply(a, b)
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    a_spread = np.reshape(a, tuple(d for m in sa for d in (m, 1)))
    b_spread = np.reshape(b, tuple(d for m in sb for d in (1, m)))
    return np.reshape(np.multiply(a_spread, b_spread), tuple(p * q for p, q in zip(sa, sb)))


# --------------------------------------------------------------------------------------
# Diagonals and triangles: indexing and selection
# --------------------------------------------------------------------------------------


def _diagonal_index(offset: int, n1: int, n2: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of the ``offset`` diagonal of an ``n1 x n2`` matrix."""
    length = max(0, min(n1 + min(offset, 0), n2 - max(offset, 0)))
    steps = np.arange(length)
    return steps + max(-offset, 0), steps + max(offset, 0)


@op(
    np.diagonal,
    spec=Spec(lambda k: k.diagonal(), "2-d and 3-d, offsets inside and outside, any axis pair", complex=True),
)
def diagonal(a: ArrayIn, offset: Integral = 0, axis1: Integral = 0, axis2: Integral = 1) -> Shaped[Array, ...]:
    """``numpy.diagonal``: the elements ``a[..., i, i + offset]`` of the matrices spanned by
    ``axis1`` and ``axis2``, as a new last axis after the remaining ones (empty when the
    offset is past the matrix).

    Raises:
        ValueError: ``a`` has fewer than 2 dimensions, or ``axis1`` and ``axis2`` name the same axis.

    Linear: a :func:`transpose` and a :func:`getitem`; the VJP scatters the cotangent
    onto the diagonal of zeros.
    """
    shape = _shape(a)
    if len(shape) < 2:
        raise ValueError(f"diagonal: the array must have at least 2 dimensions, got shape {shape}")
    ax1, ax2 = _axis("diagonal", axis1, len(shape)), _axis("diagonal", axis2, len(shape))
    if ax1 == ax2:
        raise ValueError(f"diagonal: axis1 ({axis1}) and axis2 ({axis2}) name the same axis; give two different axes")
    rest = [i for i in range(len(shape)) if i not in (ax1, ax2)]
    rows, cols = _diagonal_index(int(offset), shape[ax1], shape[ax2])
    moved: Any = a if rest + [ax1, ax2] == list(range(len(shape))) else np.transpose(a, rest + [ax1, ax2])
    return moved[..., rows, cols]


def _axis(name: str, axis: Integral, ndim: int) -> int:
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}: axis {axis} is out of range for {ndim} dimensions; use [{-ndim}, {ndim - 1}]")
    return int(axis) % ndim


@op(np.trace, spec=Spec(lambda k: k.diagonal(), "2-d and 3-d, offsets inside and outside, any axis pair", complex=True))
def trace(
    a: ArrayIn, offset: Integral = 0, axis1: Integral = 0, axis2: Integral = 1, dtype: Any = None, out: Any = None
) -> Shaped[Array, ...]:
    """``numpy.trace``: the sum along the ``offset`` diagonal of the matrices spanned by
    ``axis1`` and ``axis2``; shape: the remaining axes (0 for an empty diagonal).

    Raises as :func:`diagonal`; ``out`` must be None; ``dtype`` casts first.

    A :func:`sum` of :func:`diagonal` (NumPy's computation); derivatives from those: the
    cotangent lands on the diagonal. At autotape's top level ``autotape.trace`` is the
    transform that records a tape; this op is ``autotape.ops.trace``, and what
    ``numpy.trace`` calls on traced values.
    """
    no_extras("trace", out=out)
    return np.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)


@op(np.diag, spec=Spec(lambda k: k.diag(), "1-d (builds a matrix) or 2-d (extracts), offsets k", complex=True))
def diag(v: ArrayIn, k: Integral = 0) -> Shaped[Array, ...]:
    """``numpy.diag``: for a 1-D ``v`` of length n, the ``(n + |k|, n + |k|)`` matrix with
    ``v`` on its ``k``-th diagonal and zeros elsewhere; for a 2-D ``v``, its ``k``-th
    diagonal (:func:`diagonal`).

    Raises:
        ValueError: ``v`` is neither 1-D nor 2-D.

    Linear. Building scatters ``v`` into zeros (the adjoint of indexing, whose VJP reads
    the diagonal back); extracting is :func:`diagonal`.
    """
    shape = _shape(v)
    if len(shape) == 2:
        return diagonal(v, k)
    if len(shape) != 1:
        raise ValueError(f"diag: the input must be 1-D (to build a matrix) or 2-D (to take a diagonal), got {shape}")
    size = shape[0] + abs(int(k))
    rows, cols = _diagonal_index(int(k), size, size)
    return _index_add.bind(_operand(v), index=(rows, cols), shape=(size, size))


def _triangle(name: str, m: Any, mask_k: int, keep_lower: bool) -> Any:
    shape = _shape(m)
    if not shape:
        raise ValueError(f"{name}: the input must have at least 1 dimension, got a 0-d array")
    rows, cols = shape[-2:] if len(shape) > 1 else shape * 2
    lower = np.tri(rows, cols, k=mask_k, dtype=bool)
    return np.where(lower, m, 0) if keep_lower else np.where(lower, 0, m)


_TRIANGLE = Spec(lambda k: k.triangle(), "1-d to 3-d (batched), k from -3 to 3", complex=True)


@op(np.tril, spec=_TRIANGLE)
def tril(m: ArrayIn, k: Integral = 0) -> Shaped[Array, ...]:
    """``numpy.tril``: ``m`` with the elements above the ``k``-th diagonal of its last two
    axes zeroed (a 1-D ``m`` is repeated as the rows of a square matrix first).

    A :func:`where` with a constant mask; its VJP masks the cotangent the same way.
    """
    return _triangle("tril", m, int(k), True)


@op(np.triu, spec=_TRIANGLE)
def triu(m: ArrayIn, k: Integral = 0) -> Shaped[Array, ...]:
    """``numpy.triu``: ``m`` with the elements below the ``k``-th diagonal of its last two
    axes zeroed (a 1-D ``m`` is repeated as the rows of a square matrix first).

    A :func:`where` with a constant mask; its VJP masks the cotangent the same way.
    """
    return _triangle("triu", m, int(k) - 1, False)


# --------------------------------------------------------------------------------------
# cross
# --------------------------------------------------------------------------------------


@op(np.cross, spec=Spec(lambda k: k.cross(), "3-vectors with broadcast batches, axisa/axisb/axisc/axis", complex=True))
def cross(
    a: ArrayIn, b: ArrayIn, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Optional[int] = None
) -> Shaped[Array, ...]:
    """``numpy.cross``: the cross product of the vectors along ``axisa`` of ``a`` and
    ``axisb`` of ``b`` (``axis`` sets all three axes), batches broadcast.

    Vectors have 3 components, or 2 with the third taken as 0 (deprecated by NumPy 2.0,
    which warns: so does this op). Two 2-vectors give the scalar z component; otherwise
    the result holds 3-vectors along ``axisc``.

    Raises:
        ValueError: a 0-d operand, a vector axis of length other than 2 or 3, or an axis
            out of range.

    Written as NumPy computes it (products and differences of the components, stacked);
    derivatives from :func:`getitem`, :func:`multiply`, :func:`subtract` and :func:`stack`.
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        raise ValueError(f"cross: the operands must have at least 1 dimension, got shapes {sa} and {sb}")
    ax_a, ax_b = _axis("cross (axisa)", axisa, len(sa)), _axis("cross (axisb)", axisb, len(sb))
    a_last, b_last = _operand(a), _operand(b)
    if ax_a != len(sa) - 1:
        a_last = np.moveaxis(a_last, ax_a, -1)
    if ax_b != len(sb) - 1:
        b_last = np.moveaxis(b_last, ax_b, -1)
    na, nb = sa[ax_a], sb[ax_b]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError(
            f"cross: incompatible dimensions for a cross product: the vector axes have lengths {na} and {nb} "
            "(each must be 2 or 3)"
        )
    if na == 2 or nb == 2:
        warnings.warn(
            "Arrays of 2-dimensional vectors are deprecated. Use arrays of 3-dimensional vectors instead. "
            "(deprecated in NumPy 2.0)",
            DeprecationWarning,
            stacklevel=2,
        )
    a0, a1, b0, b1 = a_last[..., 0], a_last[..., 1], b_last[..., 0], b_last[..., 1]
    z = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return z
    if na == 3 and nb == 3:
        a2, b2 = a_last[..., 2], b_last[..., 2]
        x, y = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    elif na == 2:
        b2 = b_last[..., 2]
        x, y = a1 * b2, -(a0 * b2)
    else:
        a2 = a_last[..., 2]
        x, y = -(a2 * b1), a2 * b0
    batch = np.broadcast_shapes(np.shape(primal(a0)), np.shape(primal(b0)))
    components = [np.broadcast_to(c, batch) if np.shape(primal(c)) != batch else c for c in (x, y, z)]
    result = np.stack(components, axis=-1)
    ax_c = _axis("cross (axisc)", axisc, len(batch) + 1)
    return result if ax_c == len(batch) else np.moveaxis(result, -1, ax_c)


# --------------------------------------------------------------------------------------
# 1-D convolution and correlation
# --------------------------------------------------------------------------------------

_MODES = {0: "valid", 1: "same", 2: "full", "valid": "valid", "same": "same", "full": "full"}


def _window(mode: str, n: int, m: int, correlate: bool) -> tuple[int, int]:
    """Start and length of NumPy's ``mode`` output inside the full convolution of lengths ``n`` and ``m``.

    For ``same``, NumPy's ``correlate`` of a shorter first operand computes the swapped
    correlation reversed, which moves the window for even lengths.
    """
    short, long = min(n, m), max(n, m)
    if mode == "full":
        return 0, n + m - 1
    if mode == "valid":
        return short - 1, long - short + 1
    if correlate and n < m:
        return (n - 1) - (n - 1) // 2, long
    return (short - 1) // 2, long


def _convolve_fwd(a, w, *, mode, correlate):
    # correlate(a, v) == convolve(a, w) with w = conj(v[::-1]): NumPy's correlate is
    # called on conj(w[::-1]), v itself, so the value is NumPy's to the bit.
    out = np.correlate(a, np.conj(w[::-1]), mode) if correlate else np.convolve(a, w, mode)
    start, _ = _window(mode, a.shape[0], w.shape[0], correlate)
    return out, (a, w, start, a.shape[0] + w.shape[0] - 1, mode, correlate)


def _convolve_impl(a, w, *, mode, correlate):
    return np.correlate(a, np.conj(w[::-1]), mode) if correlate else np.convolve(a, w, mode)


def _full_cotangent(g, start, full):
    """The cotangent of the full convolution: ``g`` in its window, zeros outside."""
    n = g.shape[0]
    if n == full:
        return g
    parts = [np.zeros(start, dtype=g.dtype), g, np.zeros(full - start - n, dtype=g.dtype)]
    return np.concatenate(parts)


# Bilinear: full[n] = sum_k a[k] w[n - k]. Its transposes are correlations with the
# other operand, sum_n g[n] w[n - k], written as a "valid" convolution with the other
# operand reversed (no conjugation, JAX's convention), which nests.
_convolve: Any = defprim(
    "convolve",
    _convolve_fwd,
    (
        lambda g, a, w, start, full, mode, correlate: np.convolve(_full_cotangent(g, start, full), w[::-1], "valid"),
        lambda g, a, w, start, full, mode, correlate: np.convolve(_full_cotangent(g, start, full), a[::-1], "valid"),
    ),
    (
        lambda t, a, w, start, full, mode, correlate: _convolve.bind(t, w, mode=mode, correlate=correlate),
        lambda t, a, w, start, full, mode, correlate: _convolve.bind(a, t, mode=mode, correlate=correlate),
    ),
    impl=_convolve_impl,
)


def _convolve_operands(name: str, a: Any, v: Any, mode: Any) -> tuple[Any, Any, str]:
    if mode not in _MODES:
        raise ValueError(f"{name}: mode {mode!r} must be 'full', 'same' or 'valid'")
    a, v = _operand(a), _operand(v)
    for label, x in (("a", a), ("v", v)):
        if x.ndim > 1:
            raise ValueError(f"{name}: {label} must be 1-D, got shape {x.shape}")
        if x.ndim == 1 and x.shape[0] == 0:
            raise ValueError(f"{name}: {label} cannot be empty")
    return a, v, _MODES[mode]


@op(
    np.convolve,
    spec=Spec(lambda k: k.convolve(), "1-d lengths 1-5, modes full/same/valid", complex=True),
    primitives=(_convolve,),
)
def convolve(a: ArrayIn, v: ArrayIn, mode: Any = "full") -> Shaped[Array, " n"]:
    """``numpy.convolve``: the discrete linear convolution ``(a * v)[n] = sum_k a[k] v[n - k]``
    of 1-D arrays (0-d operands act as length 1), ``mode`` 'full' (length n + m - 1),
    'same' (length max(n, m), centred) or 'valid' (length max(n, m) - min(n, m) + 1).

    Raises:
        ValueError: an operand that is not 1-D or is empty, or an unknown mode.

    A primitive, bilinear: the JVP is the convolution with each operand replaced by its
    tangent; the VJP of each operand embeds the cotangent in the full output and
    correlates it with the other operand (the transpose of a Toeplitz matrix), written as
    a 'valid' convolution with the other operand reversed, so it nests. No conjugation
    (JAX's convention for complex operands).
    """
    x, y, mode = _convolve_operands("convolve", a, v, mode)
    x, y = (np.reshape(z, (1,)) if z.ndim == 0 else z for z in (x, y))
    return _convolve.bind(x, y, mode=mode, correlate=False)


@op(np.correlate, spec=Spec(lambda k: k.convolve(), "1-d lengths 1-5, modes full/same/valid", complex=True))
def correlate(a: ArrayIn, v: ArrayIn, mode: Any = "valid") -> Shaped[Array, " n"]:
    """``numpy.correlate``: the cross-correlation ``c[k] = sum_n a[n + k] conj(v[n])`` of 1-D
    arrays, ``mode`` 'valid' (the default), 'same' or 'full', with NumPy's output windows
    (for 'same' with a shorter ``a``, NumPy's window, which differs from convolve's).

    Raises:
        ValueError: an operand that is not 1-D or is empty, or an unknown mode.

    The convolution of ``a`` with ``conj(v[::-1])``, computed by NumPy's correlate;
    derivatives from the :func:`convolve` primitive and :func:`conj` (so ``v``'s
    cotangent is conjugated, JAX's convention).
    """
    x, y, mode = _convolve_operands("correlate", a, v, mode)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError("correlate: a and v must be 1-D arrays (NumPy's correlate rejects 0-d operands)")
    return _convolve.bind(x, _conj(y[::-1]), mode=mode, correlate=True)


# --------------------------------------------------------------------------------------
# matvec, vecmat, vecdot: NumPy's (>= 2.2) gufuncs for products of stacks
# --------------------------------------------------------------------------------------


def _core_axes(
    name: str, operands: tuple, core: tuple[int, ...], out_core: int, axes: Any, axis: Any, keepdims: bool
) -> tuple[list, Callable[[Any], Any]]:
    """The operands with their core axes moved last, per a gufunc's ``axes``/``axis``, and
    the function putting the result's core axes where ``axes`` (or ``keepdims``) says."""
    if axis is not None:
        if axes is not None:
            raise TypeError(f"{name}: give axes= or axis=, not both")
        if any(c != 1 for c in core) or out_core:
            raise TypeError(f"{name}: axis= needs one core axis per operand and none in the output; use axes=")
        axes = [(axis,)] * (len(core) + (1 if keepdims else 0))
    if keepdims and out_core:
        raise ValueError(f"{name}: keepdims=True needs an output without core axes (as vecdot's)")
    if axes is None:
        moved = list(operands)
        out_axes = None
    else:
        axes = list(axes)
        if len(axes) not in (len(core), len(core) + 1) or (len(axes) == len(core) and out_core):
            raise ValueError(f"{name}: axes={axes!r} must give the core axes of every operand (and of the output)")
        moved = []
        for x, n, given in zip(operands, core, axes):
            given = (given,) if isinstance(given, (int, np.integer)) else tuple(given)
            ndim = len(_shape(x))
            if len(given) != n:
                raise ValueError(f"{name}: axes={axes!r}: an operand has {n} core axes, not {len(given)}")
            source = [_axis(name, ax, ndim) for ax in given]
            moved.append(x if source == list(range(ndim - n, ndim)) else np.moveaxis(x, source, list(range(-n, 0))))
        out_axes = axes[len(core)] if len(axes) > len(core) else None

    def place(result: Any) -> Any:
        if keepdims:  # the reduced axis kept where the output's axes entry says, else last
            kept: Any = -1 if not out_axes else out_axes if isinstance(out_axes, (int, np.integer)) else out_axes[0]
            return np.expand_dims(result, _axis(name, kept, len(_shape(result)) + 1))
        if out_axes is None:
            return result
        target = (out_axes,) if isinstance(out_axes, (int, np.integer)) else tuple(out_axes)
        ndim = len(_shape(result))
        dest = [_axis(name, ax, ndim) for ax in target]
        last = list(range(ndim - out_core, ndim))
        return result if dest == last else np.moveaxis(result, last, dest)

    return moved, place


def _cast(operands: list, dtype: Any) -> list:
    """The operands cast to ``dtype`` (the gufuncs' ``dtype=``); unchanged for None."""
    if dtype is None:
        return operands
    from .shape import astype

    return [astype(x, dtype) for x in operands]


class _of_conjugate:
    """``gufunc(conj(c), m)``: the forward of a product that conjugates its first operand
    (vecdot, vecmat), bound as an einsum of the conjugated operand ``c``; conjugating
    twice gives the operand back exactly, so the value is NumPy's."""

    def __init__(self, gufunc: Any):
        self.gufunc = gufunc

    def __call__(self, c: Any, m: Any) -> Any:
        return self.gufunc(np.conj(c), m)


def _check_core(name: str, x1: Any, x2: Any, core: tuple[int, int], contracted: tuple[int, int]) -> None:
    """ValueError naming ``name`` and the shapes unless the operands have their ``core``
    axes and the ``contracted`` ones (one axis of each) have equal lengths."""
    s1, s2 = _shape(x1), _shape(x2)
    if len(s1) < core[0] or len(s2) < core[1] or s1[contracted[0]] != s2[contracted[1]]:
        raise ValueError(
            f"{name}: operands of shapes {s1} and {s2} do not fit its signature {getattr(np, name).signature} "
            "(the contracted core axes must have equal lengths)"
        )


def _gufunc_product(
    name: str, subscripts: str, core: tuple[int, int], out_core: int, contracted: tuple[int, int], doc: str
) -> Callable:
    """The public function of ``numpy.<name>``, a gufunc computing the einsum ``subscripts``
    of its two operands (the first conjugated for vecmat and vecdot), with the gufunc's
    signature and its ``axes``/``axis``/``keepdims`` arguments.

    It binds the :func:`einsum` primitive with the gufunc itself as the forward
    computation: the value is NumPy's to the bit, the derivatives are einsum's.
    """
    gufunc = getattr(np, name)
    conjugates = name != "matvec"

    def function(
        x1: ArrayIn,
        x2: ArrayIn,
        /,
        out: Any = None,
        *,
        axes: Any = None,
        axis: Any = None,
        keepdims: bool = False,
        dtype: Any = None,
        casting: str = "same_kind",
        order: str = "K",
        subok: bool = True,
        signature: Any = None,
    ) -> Shaped[Array, ...]:
        no_extras(name, out=out, signature=signature)
        if casting != "same_kind" or order != "K" or subok is not True:
            raise TypeError(f"{name}: casting=, order= and subok= are not supported on traced values; drop them")
        (p, q), place = _core_axes(name, (x1, x2), core, out_core, axes, axis, keepdims)
        p, q = _cast([_operand(p), _operand(q)], dtype)
        _check_core(name, p, q, core, contracted)
        if conjugates and np.iscomplexobj(primal(p)):
            return place(_einsum.bind(np.conj(p), q, subscripts=subscripts, optimize=False, via=_of_conjugate(gufunc)))
        return place(_einsum.bind(p, q, subscripts=subscripts, optimize=False, via=gufunc))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    domain = "broadcast stacks; axes= (and for vecdot axis= and keepdims=)"
    return op(gufunc, spec=Spec(lambda k: k.gufunc_product(name), domain, complex=True))(function)


_GUFUNC_NOTES = """
    Raises:
        ValueError: core axes that do not fit the signature; TypeError: ``out=`` or
            other ufunc arguments (casting, order, subok, signature) given.

    The :func:`einsum` primitive ``{subscripts}``{conj}, bound with ``numpy.{name}`` as its
    forward computation (NumPy's value to the bit; einsum's derivatives).
    """

if hasattr(np, "matvec"):
    matvec = _gufunc_product(
        "matvec",
        "...ij,...j->...i",
        (2, 1),
        1,
        (-1, -1),
        """``numpy.matvec`` (NumPy >= 2.2): matrix-vector products of stacks,
    ``(..., m, n), (..., n) -> (..., m)``, batches broadcast; ``axes`` moves the core axes.
"""
        + _GUFUNC_NOTES.format(subscripts="'...ij,...j->...i'", name="matvec", conj=""),
    )
    vecmat = _gufunc_product(
        "vecmat",
        "...i,...ij->...j",
        (1, 2),
        1,
        (-1, -2),
        """``numpy.vecmat`` (NumPy >= 2.2): vector-matrix products of stacks with the vector
    conjugated, ``vecmat(v, m)[..., j] = sum_i conj(v[..., i]) m[..., i, j]``, shapes
    ``(..., n), (..., n, m) -> (..., m)``, batches broadcast.
"""
        + _GUFUNC_NOTES.format(
            subscripts="'...i,...ij->...j'", name="vecmat", conj=" of ``conj(v)`` (:func:`conj`) and ``m``"
        ),
    )
    vecdot = _gufunc_product(
        "vecdot",
        "...i,...i->...",
        (1, 1),
        0,
        (-1, -1),
        """``numpy.vecdot`` (NumPy >= 2.2): dot products of stacks of vectors along ``axis``
    (default the last), the first conjugated: ``sum(conj(x1) * x2, axis)``, batches broadcast.
"""
        + _GUFUNC_NOTES.format(
            subscripts="'...i,...i->...'", name="vecdot", conj=" of ``conj(x1)`` (:func:`conj`) and ``x2``"
        ),
    )
    __all__ += ["matvec", "vecmat", "vecdot"]

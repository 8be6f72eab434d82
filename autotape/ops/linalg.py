"""Products and contractions: ``matmul`` (NumPy's rules for 1-D operands and batch
broadcasting) and ``einsum`` (any multilinear contraction), both primitives."""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any, Union

import numpy as np
from jaxtyping import Shaped

from .._types import Array, Nested, Scalar
from ..tracer import Traced, primal
from .registry import Spec, constant, defprim, no_extras, op

__all__ = ["matmul", "einsum", "dot"]

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

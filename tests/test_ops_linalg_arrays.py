"""Exact tests of the linear algebra on arrays: einsum in every form, dot of every rank
combination, vdot/inner/outer/tensordot/kron, trace/diagonal/diag/tril/triu, cross,
convolve/correlate, and NumPy's matvec/vecmat/vecdot gufuncs.

The generated properties (tests/test_ops.py) check every op on drawn cases; here are the
special cases each op has, with their right values: repeated einsum labels (the
gradient lands on the diagonal), broadcasting inside ``...`` and of length-1 labels,
the conjugations of vdot/vecdot/vecmat/correlate, NumPy's windows for 'same' mode, and
identities such as ``grad_a <w, a x b> = b x w``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autotape as at
from autotape.testing import check_grads

RNG = np.random.default_rng(20240610)


def _normal(*shape):
    return RNG.standard_normal(shape)


def _complex(*shape):
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def _grads(f, *args):
    """Gradients of ``sum(f(*args) * w)`` for a fixed random ``w``, and ``w``."""
    w = _normal(*np.shape(f(*args)))
    return at.grad(lambda *xs: np.sum(f(*xs) * w), argnums=tuple(range(len(args))))(*args), w


def _same_traced_and_untraced(f, *args):
    """``f``'s value outside a transform and inside one (the traced forward) are NumPy's, bit for bit."""
    expected = f(*args)
    traced, _ = at.vjp(f, *args)
    np.testing.assert_array_equal(traced, expected)
    assert np.shape(traced) == np.shape(expected) and np.asarray(traced).dtype == np.asarray(expected).dtype
    return expected


# --------------------------------------------------------------------------------------
# einsum
# --------------------------------------------------------------------------------------

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output: 'ik'
    ("ba,ab", [(2, 3), (3, 2)]),  # implicit output: nothing (each label twice)
    ("Ab,bc", [(2, 3), (3, 2)]),  # implicit output 'Ac': uppercase sorts first
    ("i,j->ij", [(2,), (3,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->i", [(2, 3)]),  # j summed: only this operand carries it
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),  # the trace
    ("iij->j", [(2, 2, 3)]),
    ("iii->i", [(2, 2, 2)]),
    ("ii,i->", [(3, 3), (3,)]),
    ("iji->j", [(2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 4)]),  # a length-1 axis inside '...' broadcasts
    ("...ij,...jk", [(2, 2, 3), (3, 4)]),
    ("...i,...i->...", [(2, 1, 3), (4, 3)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("i...->...", [(3, 2)]),
    ("...,...", [(2, 3), (3,)]),
    ("i,i", [(1,), (3,)]),  # a length-1 label broadcasts against 3
    ("ij,j->i", [(2, 1), (3,)]),
    ("ij,ij->j", [(1, 3), (2, 1)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 4)]),
    ("i,ij,j", [(3,), (3, 2), (2,)]),
    ("i,j,k->ijk", [(2,), (3,), (1,)]),
    ("a,b,c,d->", [(2,), (1,), (2,), (3,)]),
]


@pytest.mark.parametrize("optimize", [False, True, "greedy"], ids=lambda o: f"optimize={o}")
@pytest.mark.parametrize("subscripts,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
def test_einsum_forms_match_numpy_and_finite_differences(subscripts, shapes, optimize):
    args = [_normal(*s) for s in shapes]

    def f(*xs):
        return np.einsum(subscripts, *xs, optimize=optimize)

    _same_traced_and_untraced(f, *args)
    expected = np.einsum(subscripts, *args, optimize=optimize)
    np.testing.assert_array_equal(at.einsum(subscripts, *args, optimize=optimize), expected)
    np.testing.assert_allclose(expected, np.einsum(subscripts, *args), rtol=1e-13, atol=1e-14)
    check_grads(f, tuple(args), order=2, seed=1)


def test_einsum_repeated_labels_put_the_gradient_on_the_diagonal():
    a = _normal(3, 3)
    w = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(at.grad(lambda a: np.sum(np.einsum("ii->i", a) * w))(a), np.diag(w))
    np.testing.assert_array_equal(at.grad(lambda a: np.einsum("ii", a))(a), np.eye(3))
    np.testing.assert_array_equal(at.grad(lambda a: np.einsum("ii->", a))(a), np.eye(3))
    b = _normal(2, 2, 3)
    v = np.array([1.0, -2.0, 0.5])
    expected = np.zeros((2, 2, 3))
    expected[0, 0], expected[1, 1] = v, v
    np.testing.assert_array_equal(at.grad(lambda b: np.sum(np.einsum("iij->j", b) * v))(b), expected)
    c = _normal(2, 2, 2)
    expected = np.zeros((2, 2, 2))
    expected[0, 0, 0], expected[1, 1, 1] = 5.0, 7.0
    np.testing.assert_array_equal(at.grad(lambda c: np.sum(np.einsum("iii->i", c) * [5.0, 7.0]))(c), expected)
    # The diagonal operand and a vector: d/dA sum_i A_ii x_i = diag(x), d/dx = diag(A).
    x = _normal(3)
    ga, gx = at.grad(lambda a, x: np.einsum("ii,i->", a, x), argnums=(0, 1))(a, x)
    np.testing.assert_array_equal(ga, np.diag(x))
    np.testing.assert_array_equal(gx, np.diag(a))


def test_einsum_broadcast_labels_and_ellipsis_axes_are_summed_back():
    # 'i,i' with lengths 1 and 3 is a[0] * sum(b).
    a, b = np.array([2.0]), np.array([1.0, 2.0, 4.0])
    assert at.einsum("i,i", a, b) == 14.0
    ga, gb = at.grad(lambda a, b: np.einsum("i,i", a, b), argnums=(0, 1))(a, b)
    np.testing.assert_array_equal(ga, [7.0])
    np.testing.assert_array_equal(gb, [2.0, 2.0, 2.0])
    # A length-1 axis inside '...' against 3 batches: its gradient sums the 3.
    x, y = _normal(2, 1, 2, 3), _normal(3, 3, 4)
    gx, gy = at.grad(lambda x, y: np.sum(np.einsum("...ij,...jk->...ik", x, y)), argnums=(0, 1))(x, y)
    # out[b, c, i, k] = sum_j x[b, 0, i, j] y[c, j, k], so dL/dx sums y over c and k, dL/dy x over b and i.
    np.testing.assert_allclose(gx, np.broadcast_to(y.sum(axis=(0, 2)), (2, 1, 2, 3)), rtol=1e-14)
    np.testing.assert_allclose(gy, np.broadcast_to(x.sum(axis=(0, 1, 2))[:, None], (3, 3, 4)), rtol=1e-14)
    # A label only one operand carries with its length (here j, length 3; the other has 1).
    p, q = _normal(2, 3), _normal(1)
    gp = at.grad(lambda p: np.sum(np.einsum("ij,j->i", p, q)))(p)
    np.testing.assert_array_equal(gp, np.full((2, 3), q[0]))


def test_einsum_implicit_output_order_and_sublist_form():
    a, b = _normal(2, 3), _normal(3, 4)
    np.testing.assert_array_equal(np.einsum("ij,jk", a, b), np.einsum("ij,jk->ik", a, b))
    # Sublist form, with and without the output list; ints 0-25 are 'A'-'Z' and 26-51 'a'-'z'.
    for args in [(a, [0, 1], b, [1, 2], [0, 2]), (a, [0, 1], b, [1, 2]), (a, [26, 1], b, [1, 0])]:
        expected = np.einsum(*args)
        np.testing.assert_array_equal(at.einsum(*args), expected)
        ga, gb = at.grad(lambda a, b: np.sum(np.einsum(a, args[1], b, *args[3:]) ** 2), argnums=(0, 1))(a, b)
        check_grads(lambda a, b: np.einsum(a, args[1], b, *args[3:]), (a, b))
    x = _normal(2, 3, 3)
    np.testing.assert_array_equal(at.einsum(x, [Ellipsis, 0, 0], [Ellipsis, 0]), np.einsum("...ii->...i", x))
    g = at.grad(lambda x: np.sum(np.einsum(x, [Ellipsis, 0, 0], [Ellipsis])))(x)
    np.testing.assert_array_equal(g, np.broadcast_to(np.eye(3), (2, 3, 3)))


def test_einsum_second_order_and_forward_mode():
    A, x = _normal(3, 3), _normal(3)
    # f(x) = x^T A x: gradient (A + A^T) x, Hessian A + A^T.
    f = lambda x: np.einsum("i,ij,j", x, A, x)  # noqa: E731
    np.testing.assert_allclose(at.grad(f)(x), (A + A.T) @ x, rtol=1e-13)
    np.testing.assert_allclose(at.hessian(f)(x), A + A.T, rtol=1e-13)
    # The trace of X X^T X: gradient 3 (X^2)^T... checked against the closed form 3 (X X)^T for
    # g(X) = trace(X^3) = einsum('ij,jk,ki', X, X, X).
    X = _normal(3, 3)
    g = lambda X: np.einsum("ij,jk,ki", X, X, X)  # noqa: E731
    np.testing.assert_allclose(at.grad(g)(X), 3 * (X @ X).T, rtol=1e-12)
    # Its Hessian-vector product: d/dt 3 ((X + tV)^2)^T = 3 (XV + VX)^T.
    V = _normal(3, 3)
    _, hvp = at.jvp(at.grad(g), (X,), (V,))
    np.testing.assert_allclose(hvp, 3 * (X @ V + V @ X).T, rtol=1e-12)
    # JVP of a bilinear einsum: ta b + a tb.
    a, b, ta, tb = _normal(2, 3), _normal(3, 4), _normal(2, 3), _normal(3, 4)
    out, tangent = at.jvp(lambda a, b: np.einsum("ij,jk->ik", a, b), (a, b), (ta, tb))
    np.testing.assert_array_equal(out, np.einsum("ij,jk->ik", a, b))
    np.testing.assert_allclose(tangent, ta @ b + a @ tb, rtol=1e-13)
    # The diagonal rule differentiated again: d2/dA2 of sum(diag(A)^2 * w) is 2 w on the diagonal.
    w = np.array([1.0, 2.0, 3.0])
    h = at.hessian(lambda a: np.sum(np.einsum("ii->i", a) ** 2 * w))(np.eye(3))
    expected = np.zeros((3, 3, 3, 3))
    for i in range(3):
        expected[i, i, i, i] = 2 * w[i]
    np.testing.assert_allclose(h, expected, atol=1e-14)


def test_einsum_complex_gradients_agree_with_autograd():
    autograd = pytest.importorskip("autograd")
    anp = pytest.importorskip("autograd.numpy")
    # autograd's einsum has no rule for repeated labels; those are checked by finite differences above.
    a, b, c = _complex(2, 3), _complex(3, 4), _complex(4)
    v = _complex(2)
    loss = lambda np_, a, b, c: np_.real(np_.sum(np_.einsum("ij,jk,k->i", a, b, c) * v))  # noqa: E731
    ours = at.grad(lambda a, b, c: loss(np, a, b, c), argnums=(0, 1, 2))(a, b, c)
    theirs = autograd.grad(lambda a, b, c: loss(anp, a, b, c), argnum=[0, 1, 2])(a, b, c)
    for g, h in zip(ours, theirs):
        np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-14)
    # JAX's convention written out: for L = Re(sum(a * x)), grad_a = x (dL/dRe a - i dL/dIm a).
    x = _complex(3)
    np.testing.assert_allclose(at.grad(lambda a: np.real(np.einsum("i,i", a, x)))(_complex(3)), x, rtol=1e-15)


def test_einsum_keeps_float32_with_repeated_labels():
    a = _normal(3, 3).astype(np.float32)
    g = at.grad(lambda a: np.sum(np.einsum("ii->i", a) * np.float32(2.0)))(a)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, 2 * np.eye(3, dtype=np.float32))
    assert at.grad(lambda a: np.einsum("ij->", a))(a).dtype == np.float32


def test_einsum_with_a_path_from_einsum_path():
    a, b, c = _normal(2, 3), _normal(3, 4), _normal(4, 2)
    path, _ = np.einsum_path("ij,jk,kl->il", a, b, c, optimize="optimal")
    f = lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c, optimize=path)  # noqa: E731
    _same_traced_and_untraced(f, a, b, c)
    check_grads(f, (a, b, c))
    # einsum_path runs on the values of traced operands (a constant).
    at.grad(lambda a: np.einsum_path("ij,jk", a, b)[0] and np.sum(a))(a)


def test_einsum_dtype_and_errors():
    a = _normal(2, 3).astype(np.float32)
    out = at.grad(lambda a: np.sum(np.einsum("ij->i", a, dtype=np.float64)))(a)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.ones((2, 3)))
    with pytest.raises(TypeError, match="einsum: cannot cast"):
        at.grad(lambda a: np.sum(np.einsum("ij->i", a.astype(np.float64), dtype=np.float32)))(a)
    with pytest.raises(
        ValueError, match=r"einsum: subscripts 'ij,jk' do not fit operands of shapes \(2, 3\), \(4, 2\)"
    ):
        at.grad(lambda a: np.sum(np.einsum("ij,jk", a, np.ones((4, 2)))))(_normal(2, 3))
    with pytest.raises(ValueError, match="einsum: subscripts"):
        at.einsum("ij,jk", np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(TypeError, match="out="):
        at.grad(lambda a: np.sum(np.einsum("ij->i", a, out=np.empty(2))))(_normal(2, 3))


# --------------------------------------------------------------------------------------
# dot, vdot, inner, outer, tensordot, kron
# --------------------------------------------------------------------------------------


def _dot_shapes(a_dims: int, b_dims: int) -> tuple[tuple, tuple]:
    a = {0: (), 1: (3,), 2: (2, 3), 3: (2, 1, 3)}[a_dims]
    if a_dims == 0:
        b = {0: (), 1: (3,), 2: (3, 2), 3: (2, 3, 2)}[b_dims]
    else:
        b = {0: (), 1: (3,), 2: (3, 4), 3: (2, 3, 4)}[b_dims]
    return a, b


@pytest.mark.parametrize("b_dims", [0, 1, 2, 3])
@pytest.mark.parametrize("a_dims", [0, 1, 2, 3])
def test_dot_of_every_rank_combination(a_dims, b_dims):
    a_shape, b_shape = _dot_shapes(a_dims, b_dims)
    a, b = _normal(*a_shape), _normal(*b_shape)
    expected = _same_traced_and_untraced(np.dot, a, b)
    np.testing.assert_array_equal(at.dot(a, b), expected)
    (ga, gb), w = _grads(np.dot, a, b)
    # The VJP in closed form: tensordot of the cotangent with the other operand.
    if a_dims and b_dims:
        rest_b = list(range(a_dims - 1, w.ndim))  # the output axes b contributes
        b_free = [ax for ax in range(b_dims) if ax != max(b_dims - 2, 0)]
        np.testing.assert_allclose(ga, np.tensordot(w, b, (rest_b, b_free)), rtol=1e-13, atol=1e-14)
    check_grads(np.dot, (a, b), order=2, seed=2)


def test_dot_with_a_3d_second_operand_was_refused_before():
    a, b = _normal(2, 3), _normal(4, 3, 5)
    g = at.grad(lambda b: np.sum(np.dot(a, b)))(b)
    np.testing.assert_allclose(g, np.broadcast_to(np.sum(a, axis=0)[None, :, None], (4, 3, 5)), rtol=1e-14)


def test_dot_gives_numpys_numbers_for_complex_fortran_ordered_operands():
    # matmul and dot order their sums differently here; a traced dot must be NumPy's dot.
    for _ in range(20):
        a = np.asfortranarray(_complex(7, 19))
        b = np.asfortranarray(_complex(19, 5))
        _same_traced_and_untraced(np.dot, a, b)
        _same_traced_and_untraced(lambda a, b: np.tensordot(a, b, 1), a, b)
        _same_traced_and_untraced(np.inner, a, b.T)


def test_vdot_flattens_and_conjugates_its_first_operand():
    a, b = _complex(2, 3), _complex(3, 2)
    value = _same_traced_and_untraced(np.vdot, a, b)
    np.testing.assert_allclose(value, np.sum(np.conj(a).ravel() * b.ravel()), rtol=1e-14)
    # L = Re(vdot(a, b)) = Re(a)Re(b) + Im(a)Im(b): grad_a = Re(b) - i Im(b) = conj(b), grad_b = conj(a).
    ga, gb = at.grad(lambda a, b: np.real(np.vdot(a, b)), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, np.conj(b).reshape(2, 3), rtol=1e-15)
    np.testing.assert_allclose(gb, np.conj(a).reshape(3, 2), rtol=1e-15)
    x, y = _normal(6), _normal(2, 3)
    assert at.vdot(x, y) == np.vdot(x, y)
    gx, gy = at.grad(lambda x, y: np.vdot(x, y), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, y.ravel())
    np.testing.assert_array_equal(gy, x.reshape(2, 3))
    with pytest.raises(ValueError, match="same number of elements"):
        at.grad(lambda x: np.vdot(x, np.ones(5)))(x)


def test_inner_outer_and_kron_values_and_gradients():
    a, b = _normal(2, 3), _normal(4, 3)
    _same_traced_and_untraced(np.inner, a, b)
    ga, gb = at.grad(lambda a, b: np.sum(np.inner(a, b)), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, np.broadcast_to(b.sum(axis=0), (2, 3)), rtol=1e-14)
    np.testing.assert_allclose(gb, np.broadcast_to(a.sum(axis=0), (4, 3)), rtol=1e-14)
    check_grads(np.inner, (_normal(2, 1, 3), _normal(3)), order=2)
    assert at.inner(2.0, 3.0) == 6.0
    with pytest.raises(ValueError, match="inner: the last axes"):
        at.grad(lambda a: np.sum(np.inner(a, np.ones((2, 4)))))(a)

    x, y = _normal(2, 2), _normal(3)
    np.testing.assert_array_equal(_same_traced_and_untraced(np.outer, x, y), np.outer(x, y))
    gx, gy = at.grad(lambda x, y: np.sum(np.outer(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_allclose(gx, np.full((2, 2), y.sum()), rtol=1e-15)
    np.testing.assert_allclose(gy, np.full(3, x.sum()), rtol=1e-15)

    A, B = _normal(2, 3), _normal(2, 2)
    np.testing.assert_array_equal(_same_traced_and_untraced(np.kron, A, B), np.kron(A, B))
    # sum(kron(A, B) * W) = sum_ij A_ij <B, W_block(i,j)>: grad_A[i, j] = <B, block (i, j) of W>.
    (gA, gB), W = _grads(np.kron, A, B)
    blocks = W.reshape(2, 2, 3, 2).transpose(0, 2, 1, 3)
    np.testing.assert_allclose(gA, np.einsum("ijkl,kl->ij", blocks, B), rtol=1e-13)
    np.testing.assert_allclose(gB, np.einsum("ijkl,ij->kl", blocks, A), rtol=1e-13)
    for shapes in [((2,), (2, 3)), ((2, 1, 2), (3, 2)), ((), (2, 2)), ((3,), ())]:
        args = tuple(_normal(*s) for s in shapes)
        _same_traced_and_untraced(np.kron, *args)
        check_grads(np.kron, args, order=2)


@pytest.mark.parametrize(
    "shapes,axes",
    [
        (((2, 3, 4), (3, 4, 5)), 2),
        (((2, 3), (3, 4)), 1),
        (((2, 3), (4, 5)), 0),
        (((3, 2, 4), (2, 5, 3)), ([1, 0], [0, 2])),
        (((3, 2, 4), (2, 5, 3)), ([-2, -3], [-3, -1])),
        (((3, 2), (4, 3)), (0, 1)),
        (((2, 3, 4), (4, 3, 2)), ((1, 2), (1, 0))),
    ],
    ids=["int 2", "int 1", "int 0 (outer)", "pairs", "negative", "two ints", "tuples"],
)
def test_tensordot_axes_forms(shapes, axes):
    a, b = _normal(*shapes[0]), _normal(*shapes[1])
    _same_traced_and_untraced(lambda a, b: np.tensordot(a, b, axes), a, b)
    check_grads(lambda a, b: np.tensordot(a, b, axes), (a, b), order=2)


def test_tensordot_errors_name_the_axes():
    a = _normal(2, 3)
    with pytest.raises(ValueError, match="tensordot: shape mismatch for sum: axis 1 of a"):
        at.grad(lambda a: np.sum(np.tensordot(a, np.ones((4, 2)), ([1], [0]))))(a)
    with pytest.raises(ValueError, match="non-negative"):
        at.grad(lambda a: np.sum(np.tensordot(a, np.ones((2, 3)), -1)))(a)
    with pytest.raises(ValueError, match="out of range"):
        at.grad(lambda a: np.sum(np.tensordot(a, np.ones((3, 3)), ([2], [0]))))(a)


# --------------------------------------------------------------------------------------
# trace, diagonal, diag, tril, triu
# --------------------------------------------------------------------------------------


def test_trace_and_diagonal_values_and_gradients():
    a = _normal(3, 4)
    for offset in (-3, -1, 0, 1, 3, 4, 5):
        assert _same_traced_and_untraced(lambda a: np.trace(a, offset), a) == np.trace(a, offset)
        expected = np.eye(3, 4, k=offset)
        np.testing.assert_array_equal(at.grad(lambda a: np.trace(a, offset))(a), expected)
        np.testing.assert_array_equal(at.grad(lambda a: np.sum(np.diagonal(a, offset)))(a), expected)
    b = _normal(2, 3, 4)
    for offset, axis1, axis2 in [(0, 0, 1), (1, 0, 2), (-1, 2, 0), (0, -1, -2), (2, 1, 2)]:
        f = lambda b: np.diagonal(b, offset, axis1, axis2)  # noqa: E731
        np.testing.assert_array_equal(_same_traced_and_untraced(f, b), np.diagonal(b, offset, axis1, axis2))
        check_grads(f, (b,), order=2)
        check_grads(lambda b: np.trace(b, offset, axis1, axis2), (b,), order=2)
    # The trace of a batch of matrices along the last two axes: the gradient is eye per matrix.
    g = at.grad(lambda b: np.sum(np.trace(b, axis1=1, axis2=2) * np.array([1.0, 2.0])))(b)
    np.testing.assert_array_equal(g, np.array([1.0, 2.0])[:, None, None] * np.eye(3, 4))
    with pytest.raises(ValueError, match="diagonal: axis1 .* name the same axis"):
        at.grad(lambda b: np.sum(np.diagonal(b, 0, 1, -2)))(b)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        at.grad(lambda x: np.sum(np.diagonal(x)))(_normal(3))


def test_numpy_trace_dispatches_to_the_op_while_at_trace_stays_the_transform():
    assert at.ops.trace is at.ops.REGISTRY["trace"].function
    assert at.trace is not at.ops.trace  # autotape.trace records a tape
    a = _normal(3, 3)
    np.testing.assert_array_equal(at.grad(lambda a: np.trace(a))(a), np.eye(3))
    assert at.ops.trace(a) == np.trace(a)


def test_diag_builds_and_extracts():
    v = np.array([1.0, 2.0, 3.0])
    for k in (-2, 0, 1):
        built = _same_traced_and_untraced(lambda v: np.diag(v, k), v)
        np.testing.assert_array_equal(built, np.diag(v, k))
        assert built.shape == (3 + abs(k), 3 + abs(k))
        W = _normal(*built.shape)
        # The adjoint of building a diagonal is reading it.
        np.testing.assert_array_equal(at.grad(lambda v: np.sum(np.diag(v, k) * W))(v), np.diagonal(W, k))
        check_grads(lambda v: np.diag(v, k), (v,), order=2)
    m = _normal(3, 4)
    for k in (-1, 0, 2, 4):
        np.testing.assert_array_equal(_same_traced_and_untraced(lambda m: np.diag(m, k), m), np.diag(m, k))
        np.testing.assert_array_equal(at.grad(lambda m: np.sum(np.diag(m, k)))(m), np.eye(3, 4, k=k))
    d32 = at.grad(lambda v: np.sum(np.diag(v) * 2.0))(v.astype(np.float32))
    assert d32.dtype == np.float32
    with pytest.raises(ValueError, match="diag: the input must be 1-D"):
        at.grad(lambda x: np.sum(np.diag(x)))(_normal(2, 2, 2))


@pytest.mark.parametrize("k", [-2, -1, 0, 1, 3])
def test_tril_and_triu_mask_values_and_gradients(k):
    m = _normal(2, 3, 4)
    for f, keep in ((np.tril, np.tri(3, 4, k=k, dtype=bool)), (np.triu, ~np.tri(3, 4, k=k - 1, dtype=bool))):
        out = _same_traced_and_untraced(lambda m: f(m, k), m)
        np.testing.assert_array_equal(out, f(m, k))
        np.testing.assert_array_equal(at.grad(lambda m: np.sum(f(m, k)))(m), np.broadcast_to(keep, (2, 3, 4)) * 1.0)
    # A 1-D input is the rows of a square matrix: its gradient sums the kept column entries.
    v = _normal(3)
    np.testing.assert_array_equal(at.grad(lambda v: np.sum(np.tril(v, k)))(v), np.tri(3, k=k).sum(axis=0))
    np.testing.assert_array_equal(at.grad(lambda v: np.sum(np.triu(v, k)))(v), (1 - np.tri(3, k=k - 1)).sum(axis=0))


# --------------------------------------------------------------------------------------
# cross
# --------------------------------------------------------------------------------------


def test_cross_of_3_vectors_and_its_gradient_identity():
    a, b, w = _normal(4, 3), _normal(3), _normal(4, 3)
    np.testing.assert_array_equal(_same_traced_and_untraced(np.cross, a, b), np.cross(a, b))
    # <w, a x b> = <a, b x w> = <b, w x a>.
    ga, gb = at.grad(lambda a, b: np.sum(np.cross(a, b) * w), argnums=(0, 1))(a, b)
    np.testing.assert_allclose(ga, np.cross(b, w), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(gb, np.sum(np.cross(w, a), axis=0), rtol=1e-13, atol=1e-15)
    e = np.eye(3)
    np.testing.assert_array_equal(at.cross(e[0], e[1]), e[2])
    # Vectors along other axes.
    x, y = _normal(3, 2), _normal(2, 3)
    for kwargs in ({"axisa": 0}, {"axisa": 0, "axisc": 0}, {"axisa": -2, "axisb": 1, "axisc": -2}):
        f = lambda x, y: np.cross(x, y, **kwargs)  # noqa: E731
        np.testing.assert_array_equal(_same_traced_and_untraced(f, x, y), np.cross(x, y, **kwargs))
        check_grads(f, (x, y), order=2)
    f = lambda x, y: np.cross(x, y, axis=0)  # noqa: E731
    _same_traced_and_untraced(f, x, y.T)
    check_grads(f, (x, y.T), order=2)


@pytest.mark.parametrize("na,nb", [(2, 2), (2, 3), (3, 2)])
def test_cross_of_2_vectors_warns_as_numpy_and_differentiates(na, nb):
    a, b = _normal(2, na), _normal(nb)
    with pytest.warns(DeprecationWarning, match="2-dimensional vectors are deprecated"):
        expected = np.cross(a, b)
    with pytest.warns(DeprecationWarning, match="2-dimensional vectors are deprecated"):
        traced, _ = at.vjp(np.cross, a, b)
    np.testing.assert_array_equal(traced, expected)
    # The missing third component is 0: the same as the cross product of padded vectors.
    pad = lambda x: np.concatenate([x, np.zeros(x.shape[:-1] + (3 - x.shape[-1],))], axis=-1)  # noqa: E731
    padded = np.cross(pad(a), pad(b))
    np.testing.assert_array_equal(expected, padded[..., 2] if na == nb == 2 else padded)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        check_grads(np.cross, (a, b), order=2)
    with pytest.raises(ValueError, match="each must be 2 or 3"):
        at.grad(lambda a: np.sum(np.cross(a, np.ones(4))))(a)


# --------------------------------------------------------------------------------------
# convolve and correlate
# --------------------------------------------------------------------------------------

LENGTHS = [(1, 1), (1, 4), (2, 4), (2, 5), (3, 5), (4, 4), (5, 2), (6, 3)]


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n,m", LENGTHS)
def test_convolve_and_correlate_modes(n, m, mode):
    a, v = _normal(n), _normal(m)
    for f in (np.convolve, np.correlate):
        out = _same_traced_and_untraced(lambda a, v: f(a, v, mode), a, v)
        np.testing.assert_array_equal(out, f(a, v, mode))
        check_grads(lambda a, v: f(a, v, mode), (a, v), order=2)
    # Exact gradients: the output is T(v) a with the Toeplitz matrix of v, so grad_a = T^T w.
    full = np.array([[v[i - k] if 0 <= i - k < m else 0.0 for k in range(n)] for i in range(n + m - 1)])
    size = len(np.convolve(a, v, mode))
    start = {"full": 0, "same": (min(n, m) - 1) // 2, "valid": min(n, m) - 1}[mode]
    w = _normal(size)
    g = at.grad(lambda a: np.sum(np.convolve(a, v, mode) * w))(a)
    np.testing.assert_allclose(g, full[start : start + size].T @ w, rtol=1e-13, atol=1e-15)


def test_correlate_conjugates_its_second_operand_and_uses_numpys_windows():
    a, v = _complex(2), _complex(4)
    for mode in ("full", "same", "valid"):
        out = _same_traced_and_untraced(lambda a, v: np.correlate(a, v, mode), a, v)
        full = np.array([np.sum(a[max(k, 0) : len(v) + k] * np.conj(v[max(-k, 0) : len(a) - k])) for k in range(-3, 2)])
        # Lags -3..1; 'same' keeps NumPy's window for a shorter first operand (lags -2..1).
        window = {"full": full, "same": full[1:5], "valid": full[1:4]}[mode]
        np.testing.assert_allclose(out, window, rtol=1e-14)
    # L = Re(correlate(a, v)[k]) with a of length 1: L = Re(a0 conj(v_k)) = x p + y q, so
    # grad_v = conj(a0) e_k... written out: dL/dRe(v_k) = Re(a0), dL/dIm(v_k) = Im(a0).
    a0 = np.array([1.5 - 2.0j])
    g = at.grad(lambda v: np.real(np.correlate(a0, v, "full")[1]))(v)
    expected = np.zeros(4, dtype=complex)
    expected[2] = np.conj(a0[0])  # the full window of lag -2 holds v[2]
    np.testing.assert_allclose(g, expected, rtol=1e-15)
    with pytest.raises(ValueError, match="convolve: a cannot be empty"):
        at.grad(lambda v: np.sum(np.convolve(np.ones(0), v)))(_normal(3))
    with pytest.raises(ValueError, match="correlate: v must be 1-D"):
        at.grad(lambda a: np.sum(np.correlate(a, np.ones((2, 2)))))(_normal(3))
    with pytest.raises(ValueError, match="mode 'middle'"):
        at.grad(lambda a: np.sum(np.convolve(a, a, "middle")))(_normal(3))


def test_convolve_accepts_scalars_and_integer_modes_as_numpy():
    assert at.grad(lambda a: np.sum(np.convolve(a, [1.0, 2.0])))(3.0) == 3.0
    a, v = _normal(4), _normal(2)
    for code in (0, 1, 2):
        np.testing.assert_array_equal(
            _same_traced_and_untraced(lambda a, v: np.convolve(a, v, code), a, v), np.convolve(a, v, code)
        )


# --------------------------------------------------------------------------------------
# matvec, vecmat, vecdot (NumPy >= 2.2)
# --------------------------------------------------------------------------------------

needs_gufuncs = pytest.mark.skipif(not hasattr(np, "matvec"), reason="numpy.matvec needs NumPy >= 2.2")


@needs_gufuncs
def test_matvec_vecmat_vecdot_values_conjugation_and_gradients():
    A, x, y = _complex(2, 3, 4), _complex(4), _complex(2, 3)
    np.testing.assert_array_equal(_same_traced_and_untraced(np.matvec, A, x), np.matvec(A, x))
    np.testing.assert_array_equal(_same_traced_and_untraced(np.vecmat, y, A), np.vecmat(y, A))
    np.testing.assert_allclose(np.vecmat(y, A), np.einsum("bi,bij->bj", np.conj(y), A), rtol=1e-14)
    np.testing.assert_array_equal(_same_traced_and_untraced(np.vecdot, y, y[::-1]), np.vecdot(y, y[::-1]))
    # L = Re(vecdot(u, v)) = sum Re(conj(u) v): grad_u = conj(v), grad_v = conj(u).
    u, v = _complex(2, 3), _complex(3)
    gu, gv = at.grad(lambda u, v: np.sum(np.real(np.vecdot(u, v))), argnums=(0, 1))(u, v)
    np.testing.assert_allclose(gu, np.broadcast_to(np.conj(v), (2, 3)), rtol=1e-15)
    np.testing.assert_allclose(gv, np.sum(np.conj(u), axis=0), rtol=1e-15)
    B, p, q = _normal(2, 3, 4), _normal(4), _normal(2, 3)
    for f, args in ((np.matvec, (B, p)), (np.vecmat, (q, B)), (np.vecdot, (q, _normal(3)))):
        check_grads(f, args, order=2)
    # matvec's gradient in closed form: grad_A = w x^T per batch, grad_x = sum A^T w.
    (gB, gp), w = _grads(np.matvec, B, p)
    np.testing.assert_allclose(gB, w[..., :, None] * p, rtol=1e-14)
    np.testing.assert_allclose(gp, np.einsum("bij,bi->j", B, w), rtol=1e-13)


@needs_gufuncs
def test_gufunc_axes_axis_and_keepdims():
    x1, x2 = _normal(3, 2), _normal(3, 1)
    for kwargs in (
        {"axis": 0},
        {"axis": -2, "keepdims": True},
        {"axes": [(0,), (0,)]},
        {"axes": [(0,), (0,), (0,)], "keepdims": True},
        {"axes": [(-2,), (-2,)], "keepdims": True},
    ):
        f = lambda a, b: np.vecdot(a, b, **kwargs)  # noqa: E731
        np.testing.assert_array_equal(_same_traced_and_untraced(f, x1, x2), np.vecdot(x1, x2, **kwargs))
        check_grads(f, (x1, x2), order=2)
    A, v = _normal(4, 3), _normal(4)  # A stored transposed: core axes (m, n) at (-1, -2)
    f = lambda A, v: np.matvec(A, v, axes=[(-1, -2), (-1,), (-1,)])  # noqa: E731
    np.testing.assert_array_equal(_same_traced_and_untraced(f, A, v), A.T @ v)
    check_grads(f, (A, v), order=2)
    with pytest.raises(ValueError, match="keepdims"):
        at.grad(lambda A: np.sum(np.matvec(A, v[:3], keepdims=True)))(A)
    with pytest.raises(ValueError, match=r"matvec: operands of shapes \(4, 3\) and \(4,\) do not fit"):
        at.grad(lambda A: np.sum(np.matvec(A, v)))(A)


def test_numpy_integers_are_accepted_where_ints_are():
    # np.count_nonzero and np.argmax return NumPy integers; the annotations accept them.
    k, axis = np.count_nonzero(np.ones(1)), np.int64(0)
    x = np.arange(1.0, 5.0).reshape(2, 2)
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(np.triu(x, k)))(x), [[0, 1], [0, 0]])
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(np.diagonal(x, 0, axis, 1)))(x), np.eye(2))
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(np.swapaxes(x, axis, 1)[0]))(x), [[1, 0], [1, 0]])


@pytest.mark.parametrize("subscripts", ["ij->j", "ij->i", "ij->", "ij,jk->ik"])
def test_einsum_of_an_empty_operand_has_an_empty_gradient(subscripts):
    # 'ij->j' of a (0, 3) operand raised: its VJP's (1, 3) cotangent was not spread to (0, 3).
    x = np.zeros((0, 3))
    operands = (x, np.ones((3, 2))) if "," in subscripts else (x,)
    grad = at.grad(lambda x: np.sum(np.einsum(subscripts, x, *operands[1:])))(x)
    assert grad.shape == (0, 3) and grad.dtype == np.float64
    grad.setflags(write=True)  # the user's array, not a read-only broadcast view

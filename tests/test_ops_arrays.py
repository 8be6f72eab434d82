"""Exact tests of the ops that join, split, tile, pad, reorder, select and sort arrays
(``autotape/ops/arrays.py``), beyond the generated properties of ``tests/test_ops.py``.

Most of these ops are linear maps with 0/1 (or small integer) matrices, so their
derivatives are checked exactly: the Jacobian autotape computes (reverse mode) must
equal, entry for entry, NumPy's own function applied to each unit vector, and the JVP
along a tangent must equal NumPy's function of the tangent.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autotape as at


def numpy_jacobian(numpy_f, x):
    """The Jacobian of a map affine in ``x``, column by column: ``f(e_j) - f(0)`` (exact)."""
    x = np.asarray(x, dtype=float)
    offset = np.asarray(numpy_f(np.zeros_like(x)))
    columns = [np.asarray(numpy_f(e.reshape(x.shape))) - offset for e in np.eye(x.size)]
    return np.stack(columns, axis=-1).reshape(offset.shape + x.shape)


def assert_linear(f, x, numpy_f=None, seed=0):
    """``f`` (autotape) agrees with ``numpy_f`` (default: ``f`` on plain arrays, NumPy's fast
    path) in value, and its Jacobian and JVP are exactly NumPy's map of unit vectors and tangents."""
    numpy_f = numpy_f or f
    x = np.asarray(x, dtype=float)
    expected = np.asarray(numpy_f(x))
    np.testing.assert_array_equal(at.vjp(f, x)[0], expected)  # traced
    np.testing.assert_array_equal(at.jacobian(f)(x), numpy_jacobian(numpy_f, x))
    t = np.random.default_rng(seed).standard_normal(x.shape)
    out, tangent = at.jvp(f, (x,), (t,))
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_allclose(tangent, np.asarray(numpy_f(t)) - np.asarray(numpy_f(np.zeros_like(t))), rtol=1e-15)


def grad_of_weighted(f, x, w):
    """``grad(sum(f(x) * w))``."""
    return at.grad(lambda x: np.sum(f(x) * w))(np.asarray(x, dtype=float))


# --------------------------------------------------------------------------------------
# atleast_nd and joining
# --------------------------------------------------------------------------------------


def test_atleast_nd_return_one_array_or_a_tuple_as_numpy():
    a, b, c = np.float64(2.0), np.arange(3.0), np.arange(6.0).reshape(2, 3)
    for name, shapes in [
        ("atleast_1d", [(1,), (3,), (2, 3)]),
        ("atleast_2d", [(1, 1), (1, 3), (2, 3)]),
        ("atleast_3d", [(1, 1, 1), (1, 3, 1), (2, 3, 1)]),
    ]:
        ours, numpys = getattr(at, name), getattr(np, name)
        out = ours(a, b, c)
        assert isinstance(out, tuple) and [o.shape for o in out] == shapes
        assert ours(b).shape == numpys(b).shape == shapes[1]

        def loss(a, b, c):
            pieces = ours(a, b, c)
            return sum(np.sum(p * (i + 1.0)) for i, p in enumerate(pieces))

        grads = at.grad(loss, argnums=(0, 1, 2))(a, b, c)
        np.testing.assert_array_equal(grads[0], 1.0)
        np.testing.assert_array_equal(grads[1], np.full(3, 2.0))
        np.testing.assert_array_equal(grads[2], np.full((2, 3), 3.0))
        # Through NumPy's dispatch, with a plain array among the arguments.
        traced_and_plain = at.grad(lambda b: np.sum(getattr(np, name)(b, c)[0] * 5.0))(b)
        np.testing.assert_array_equal(traced_and_plain, np.full(3, 5.0))


def test_stacks_match_numpy_and_send_each_piece_its_cotangent():
    row, rows, scalar = np.arange(3.0), np.arange(6.0).reshape(2, 3), np.float64(7.0)
    cases = [
        (at.vstack, [row, rows]),
        (at.hstack, [row, scalar, row]),
        (at.hstack, [rows, rows[:, :1]]),
        (at.dstack, [rows, rows[..., None]]),
        (at.dstack, [row, row]),
        (at.column_stack, [row, row[:, None] * 2, row]),
        (at.column_stack, [scalar, scalar]),
    ]
    for function, parts in cases:
        numpy_function = getattr(np, function.__name__)
        expected = numpy_function(parts)
        np.testing.assert_array_equal(function(parts), expected)
        w = np.arange(expected.size, dtype=float).reshape(expected.shape)
        # Each part's gradient: the weights at its places, found by stacking unit markers with NumPy.
        argnums = tuple(range(len(parts)))
        grads = at.grad(lambda *ps: np.sum(numpy_function(list(ps)) * w), argnums=argnums)(*parts)
        for i, (part, g) in enumerate(zip(parts, grads)):
            markers = [np.full(np.shape(p), j == i, dtype=bool) for j, p in enumerate(parts)]
            where_mine = numpy_function(markers)
            np.testing.assert_array_equal(g, np.reshape(w[where_mine], np.shape(part)))


def test_vstack_and_hstack_take_dtype():
    a = np.arange(3.0)
    out = at.vstack([a, a], dtype=np.float32)
    assert out.dtype == np.float32
    g = at.grad(lambda a: np.sum(at.hstack([a, a], dtype=np.float32) * np.float32(2)))(a)
    assert g.dtype == np.float64
    np.testing.assert_array_equal(g, np.full(3, 4.0))


@pytest.mark.skipif(not hasattr(np, "row_stack"), reason="NumPy removed row_stack")
def test_row_stack_is_vstack():
    a = np.arange(4.0).reshape(2, 2)
    np.testing.assert_array_equal(at.row_stack([a, a[0]]), np.vstack([a, a[0]]))
    # NumPy's own row_stack warns, then calls vstack, which dispatches on the traced value.
    with pytest.warns(DeprecationWarning):
        g = at.grad(lambda a: np.sum(np.row_stack([a, a[0]]) ** 2))(a)
    np.testing.assert_array_equal(g, 2 * a + np.array([[2 * a[0, 0], 2 * a[0, 1]], [0, 0]]))


def test_append_flattens_with_axis_none_and_differentiates_both():
    arr, values = np.arange(6.0).reshape(2, 3), np.array([[10.0], [20.0]])
    np.testing.assert_array_equal(at.append(arr, values), np.append(arr, values))
    assert_linear(lambda a: at.append(a, values, axis=1), arr, lambda a: np.append(a, values, axis=1))
    g_arr, g_values = at.grad(lambda a, v: np.sum(np.append(a, v) * np.arange(8.0)), argnums=(0, 1))(arr, values)
    np.testing.assert_array_equal(g_arr, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(g_values, [[6.0], [7.0]])


# --------------------------------------------------------------------------------------
# Splitting: every piece differentiable on its own
# --------------------------------------------------------------------------------------


def test_split_pieces_each_carry_their_own_gradient():
    x = np.arange(10.0)
    pieces = at.array_split(x, 3)
    assert isinstance(pieces, list) and [p.shape for p in pieces] == [(4,), (3,), (3,)]
    for i, (start, stop) in enumerate([(0, 4), (4, 7), (7, 10)]):
        g = at.grad(lambda x: np.sum(np.array_split(x, 3)[i] * (i + 2.0)))(x)
        expected = np.zeros(10)
        expected[start:stop] = i + 2.0
        np.testing.assert_array_equal(g, expected)
    # All pieces in one loss: piece k weighted by k + 1.
    g = at.grad(lambda x: sum(np.sum(p * (k + 1.0)) for k, p in enumerate(np.split(x, [2, 5, -1]))))(x)
    np.testing.assert_array_equal(g, [1, 1, 2, 2, 2, 3, 3, 3, 3, 4])
    # Unsorted points: x[:6], x[6:3] (empty) and x[3:], as in NumPy; x[3:6] is in two pieces.
    pieces = at.split(x, [6, 3])
    assert [p.shape for p in pieces] == [p.shape for p in np.split(x, [6, 3])] == [(6,), (0,), (7,)]
    g = at.grad(lambda x: sum(np.sum(p * (k + 1.0)) for k, p in enumerate(np.split(x, [6, 3]))))(x)
    np.testing.assert_array_equal(g, [1, 1, 1, 1 + 3, 1 + 3, 1 + 3, 3, 3, 3, 3])


@pytest.mark.parametrize(
    "name, shape, sections",
    [
        ("split", (4, 6), 2),
        ("array_split", (4, 5), 3),
        ("array_split", (2, 5), 7),
        ("hsplit", (6,), 3),
        ("hsplit", (2, 4, 3), [1, 3]),
        ("vsplit", (4, 2), 2),
        ("dsplit", (2, 2, 6), [2, 2, 4]),
    ],
)
def test_split_family_pieces_are_numpy_slices_with_exact_jacobians(name, shape, sections):
    ours, numpys = getattr(at, name), getattr(np, name)
    x = np.arange(np.prod(shape), dtype=float).reshape(shape)
    expected = numpys(x, sections)
    got = ours(x, sections)
    assert len(got) == len(expected)
    for i, (a, b) in enumerate(zip(got, expected)):
        np.testing.assert_array_equal(a, b)
        assert_linear(lambda x: ours(x, sections)[i], x, lambda x: numpys(x, sections)[i])


def test_split_errors_name_the_op_and_the_fix():
    x = np.arange(6.0).reshape(2, 3)
    with pytest.raises(ValueError, match="split: an axis of length 3 does not split into 2 equal sections"):
        at.grad(lambda x: np.sum(np.split(x, 2, axis=1)[0]))(x)
    with pytest.raises(ValueError, match="number of sections must be positive"):
        at.array_split(x, 0)
    with pytest.raises(ValueError, match="hsplit: needs an array of at least 1 dimension"):
        at.hsplit(np.float64(1.0), 1)
    with pytest.raises(ValueError, match="dsplit: needs an array of at least 3 dimension"):
        at.grad(lambda x: np.sum(np.dsplit(x, 1)[0]))(x)


@pytest.mark.skipif(not hasattr(np, "unstack"), reason="numpy.unstack is NumPy 2.1+")
def test_unstack_slices_along_an_axis():
    x = np.arange(6.0).reshape(2, 3)
    got = at.unstack(x, axis=1)
    assert isinstance(got, tuple) and len(got) == 3
    for a, b in zip(got, np.unstack(x, axis=1)):
        np.testing.assert_array_equal(a, b)
    g = at.grad(lambda x: np.sum(np.unstack(x, axis=-1)[2] * np.array([3.0, 4.0])))(x)
    np.testing.assert_array_equal(g, [[0, 0, 3], [0, 0, 4]])


# --------------------------------------------------------------------------------------
# tile, repeat
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("reps", [2, (2, 1), (1, 3), (2, 1, 2), (0, 2), (3,)], ids=repr)
def test_tile_sums_the_cotangents_of_the_copies(reps):
    x = np.arange(6.0).reshape(2, 3)
    assert_linear(lambda x: at.tile(x, reps), x, lambda x: np.tile(x, reps))
    copies = int(np.prod(reps))
    np.testing.assert_array_equal(grad_of_weighted(lambda x: np.tile(x, reps), x, 1.0), np.full((2, 3), copies))


def test_repeat_with_per_element_counts():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(at.repeat(x, [2, 0, 3]), [1, 1, 3, 3, 3])
    g = grad_of_weighted(lambda x: np.repeat(x, [2, 0, 3]), x, np.array([1.0, 2, 3, 4, 5]))
    np.testing.assert_array_equal(g, [1 + 2, 0, 3 + 4 + 5])
    # Rows of a matrix, counts per row; and columns.
    X = np.arange(6.0).reshape(2, 3)
    g = grad_of_weighted(lambda X: np.repeat(X, [1, 2], axis=0), X, np.arange(9.0).reshape(3, 3))
    np.testing.assert_array_equal(g, [[0, 1, 2], [3 + 6, 4 + 7, 5 + 8]])
    g = grad_of_weighted(lambda X: np.repeat(X, [3, 0, 1], axis=-1), X, 1.0)
    np.testing.assert_array_equal(g, [[3, 0, 1], [3, 0, 1]])
    for repeats, axis in [(2, None), (2, 1), ([2], 0), (np.array([1, 0, 2, 1, 1, 3]), None), (0, None)]:
        assert_linear(lambda X: at.repeat(X, repeats, axis), X, lambda X: np.repeat(X, repeats, axis))


def test_repeat_with_counts_that_do_not_fit_says_so():
    with pytest.raises(ValueError, match="repeat: 2 counts for 6 elements of the flattened array"):
        at.grad(lambda x: np.sum(np.repeat(x, [1, 2])))(np.ones((2, 3)))
    with pytest.raises(ValueError, match="repeat: 2 counts for 3 elements along axis 1"):
        at.repeat(np.ones((2, 3)), [1, 2], axis=1)


# --------------------------------------------------------------------------------------
# pad: every mode and form of pad_width against NumPy, with exact Jacobians
# --------------------------------------------------------------------------------------

PAD_WIDTHS = [1, (2, 0), ((1, 3),), [(0, 1), (2, 2)], np.array([[3, 0], [1, 4]]), (5,), ((0, 0), (7, 6))]


@pytest.mark.parametrize("pad_width", PAD_WIDTHS, ids=lambda w: repr(w).replace("\n", ""))
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
def test_pad_matches_numpy_with_exact_jacobian(mode, pad_width):
    # Widths up to 7 on axes of length 2 and 3: reflect, symmetric and wrap repeat.
    x = np.arange(1.0, 7.0).reshape(2, 3)
    assert_linear(lambda x: at.pad(x, pad_width, mode), x, lambda x: np.pad(x, pad_width, mode))
    # The gradient: each element collects the weights of its copies.
    w = np.random.default_rng(1).standard_normal(np.pad(x, pad_width, mode).shape)
    expected = np.tensordot(w, numpy_jacobian(lambda x: np.pad(x, pad_width, mode), x), axes=w.ndim)
    np.testing.assert_allclose(grad_of_weighted(lambda x: np.pad(x, pad_width, mode=mode), x, w), expected, rtol=1e-13)


def test_pad_constant_values_in_every_form_and_traced():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    for values in [0.5, (1.0, 2.0), ((1.0, 2.0),), [(1.0, 2.0), (3.0, 4.0)], np.array([[1.0, 2.0], [3.0, 4.0]])]:
        expected = np.pad(x, ((1, 2), (2, 1)), constant_values=values)
        np.testing.assert_array_equal(at.pad(x, ((1, 2), (2, 1)), constant_values=values), expected)
        traced = at.vjp(lambda x: at.pad(x, ((1, 2), (2, 1)), constant_values=values), x)[0]
        np.testing.assert_array_equal(traced, expected)
    # Traced constants: each gets the cotangents of the cells it fills (later axes win the corners,
    # as NumPy fills them).
    values = np.array([[1.0, 2.0], [3.0, 4.0]])
    filled = np.pad(np.zeros((2, 3)), ((1, 2), (2, 1)), constant_values=np.array([[1, 2], [3, 4]]))
    g = at.grad(lambda v: np.sum(at.pad(x, ((1, 2), (2, 1)), constant_values=v)))(values)
    np.testing.assert_array_equal(g, [[np.sum(filled == k) for k in (1, 2)], [np.sum(filled == k) for k in (3, 4)]])
    g = at.grad(lambda c: np.sum(at.pad(x, 1, constant_values=c)))(0.25)
    assert g == 14.0  # 4 x 5 padded, 6 inside
    # Through NumPy's dispatch (which needs the array traced), both are differentiated.
    gx, gc = at.grad(lambda x, c: np.sum(np.pad(x, 1, constant_values=c) ** 2), argnums=(0, 1))(x, 0.25)
    np.testing.assert_array_equal(gx, 2 * x)
    assert gc == 14 * 2 * 0.25


def test_pad_keeps_the_array_dtype():
    x32 = np.arange(4.0, dtype=np.float32)
    out = at.pad(x32, 2, constant_values=1 / 3)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.pad(x32, 2, constant_values=1 / 3))
    g = at.grad(lambda x: np.sum(np.pad(x, 1, mode="reflect") * np.float32(0.5)))(x32)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, [0.5, 1.0, 1.0, 0.5])
    ints = np.arange(3)
    np.testing.assert_array_equal(at.pad(ints, 2, mode="symmetric"), np.pad(ints, 2, mode="symmetric"))


@pytest.mark.parametrize("mode", ["reflect", "symmetric"])
def test_pad_odd_reflection(mode):
    x = np.array([[1.5, -2.0, 4.25], [0.5, 3.0, -1.0]])
    # Within one reflection the values are NumPy's exactly.
    for widths in [1, ((1, 1), (2, 1))]:
        np.testing.assert_array_equal(
            at.vjp(lambda x: at.pad(x, widths, mode, reflect_type="odd"), x)[0],
            np.pad(x, widths, mode, reflect_type="odd"),
        )
    # Wider pads reflect repeatedly; NumPy computes them in steps, so values agree to rounding.
    widths = ((3, 4), (7, 5))
    expected = np.pad(x, widths, mode, reflect_type="odd")
    np.testing.assert_allclose(
        at.vjp(lambda x: at.pad(x, widths, mode, reflect_type="odd"), x)[0], expected, rtol=1e-14
    )
    # The Jacobian (integer coefficients such as 2 and -1) is NumPy's map of the unit vectors, exactly.
    jacobian = at.jacobian(lambda x: at.pad(x, widths, mode, reflect_type="odd"))(x)
    np.testing.assert_array_equal(jacobian, numpy_jacobian(lambda x: np.pad(x, widths, mode, reflect_type="odd"), x))
    # An axis of length 1 is repeated.
    np.testing.assert_array_equal(
        at.vjp(lambda x: at.pad(x, 2, mode, reflect_type="odd"), x[:1, :1])[0], np.full((5, 5), 1.5)
    )


def test_pad_odd_reflection_with_an_infinite_element_not_copied_everywhere():
    x = np.array([np.inf, 1.0, 2.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.pad(x, (0, 2), "reflect", reflect_type="odd")
        got = at.vjp(lambda x: at.pad(x, (0, 2), "reflect", reflect_type="odd"), x)[0]
    np.testing.assert_array_equal(got, expected)  # [inf, 1, 2, 3, 4, 5]: no NaN from 0 * inf


def test_pad_modes_without_a_rule_are_refused_on_traced_values():
    x = np.arange(4.0)
    np.testing.assert_array_equal(at.pad(x, 1, mode="mean"), np.pad(x, 1, mode="mean"))  # NumPy's, untraced
    with pytest.raises(TypeError, match="numpy.pad: mode='mean' is not supported on traced values"):
        at.grad(lambda x: np.sum(np.pad(x, 1, mode="mean")))(x)
    with pytest.raises(ValueError, match="pad: .*negative"):
        at.grad(lambda x: np.sum(np.pad(x, -1)))(x)


# --------------------------------------------------------------------------------------
# roll, flips, rot90
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shift, axis",
    [(1, None), (-7, None), (2, 0), (-1, 1), ((1, 2), (0, 1)), ((1, 1), (1, 1)), (1, (0, 1)), ((2, -1), 1)],
)
def test_roll(shift, axis):
    x = np.arange(12.0).reshape(3, 4)
    assert_linear(lambda x: at.roll(x, shift, axis), x, lambda x: np.roll(x, shift, axis))
    w = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(
        grad_of_weighted(lambda x: np.roll(x, shift, axis), x, w), np.roll(w, np.negative(shift), axis)
    )


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2), ()])
def test_flip(axis):
    x = np.arange(24.0).reshape(2, 3, 4)
    assert_linear(lambda x: at.flip(x, axis), x, lambda x: np.flip(x, axis))
    assert_linear(at.fliplr, x, np.fliplr)
    assert_linear(at.flipud, x, np.flipud)
    with pytest.raises(ValueError, match="fliplr: needs an array of at least 2 dimensions"):
        at.grad(lambda x: np.sum(np.fliplr(x)))(np.ones(3))


@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (0, 2), (2, -3), (-1, 1)])
@pytest.mark.parametrize("k", range(-5, 6))
def test_rot90_every_k(k, axes):
    x = np.arange(24.0).reshape(2, 3, 4)
    assert_linear(lambda x: at.rot90(x, k, axes), x, lambda x: np.rot90(x, k, axes))
    # Rotating back is the identity, and so is its gradient.
    w = np.arange(24.0).reshape(2, 3, 4)
    g = grad_of_weighted(lambda x: np.rot90(np.rot90(x, k, axes), -k, axes), x, w)
    np.testing.assert_array_equal(g, w)


def test_rot90_of_a_matrix_by_hand():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(at.rot90(x), [[2, 4], [1, 3]])
    g = grad_of_weighted(np.rot90, x, np.array([[10.0, 20.0], [30.0, 40.0]]))
    np.testing.assert_array_equal(g, [[30, 10], [40, 20]])
    np.testing.assert_array_equal(at.vjp(lambda x: at.rot90(x, axes=(1, -2)), x)[0], np.rot90(x, axes=(1, 0)))
    with pytest.raises(ValueError, match="rot90: axes \\(1, -1\\) name the same axis twice"):
        at.rot90(x, axes=(1, -1))
    with pytest.raises(ValueError, match="rot90: needs an array of at least 2 dimensions"):
        at.grad(lambda x: np.sum(np.rot90(x)))(np.ones(3))


# --------------------------------------------------------------------------------------
# take, take_along_axis
# --------------------------------------------------------------------------------------


def test_take_modes():
    x = np.array([10.0, 20.0, 30.0, 40.0])
    indices, w = np.array([-1, 5, 2, 2]), np.array([1.0, 2.0, 3.0, 4.0])
    # wrap: -1 -> 3, 5 -> 1; clip: -1 -> 0 (clipped, not counted from the end), 5 -> 3.
    for mode, values, grad in [("wrap", [40, 20, 30, 30], [0, 2, 7, 1]), ("clip", [10, 40, 30, 30], [1, 0, 7, 2])]:
        np.testing.assert_array_equal(at.take(x, indices, mode=mode), values)
        np.testing.assert_array_equal(at.vjp(lambda x: at.take(x, indices, mode=mode), x)[0], values)
        np.testing.assert_array_equal(grad_of_weighted(lambda x: np.take(x, indices, mode=mode), x, w), grad)
    # raise: negative indices count from the end; repeated ones accumulate.
    np.testing.assert_array_equal(grad_of_weighted(lambda x: np.take(x, [-1, 2, 2]), x, w[:3]), [0, 0, 5, 1])
    with pytest.raises(IndexError, match="take: index 5 is out of bounds"):
        at.grad(lambda x: np.sum(np.take(x, indices)))(x)


@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_take_along_an_axis_with_array_indices(mode, axis):
    x = np.arange(12.0).reshape(3, 4)
    indices = np.array([[0, 2], [2, -1], [2, 2]]) if mode == "raise" else np.array([[0, 7], [-5, 2], [3, 3]])
    assert_linear(lambda x: at.take(x, indices, axis, mode=mode), x, lambda x: np.take(x, indices, axis, mode=mode))
    assert at.take(x, 1, axis=1).shape == (3,)


def test_take_along_axis_gathers_and_accumulates():
    x = np.array([[4.0, 1.0, 3.0], [2.0, 6.0, 5.0]])
    order = np.argsort(x, axis=1)
    assert_linear(lambda x: at.take_along_axis(x, order, axis=1), x, lambda x: np.take_along_axis(x, order, axis=1))
    repeated = np.array([[0, 0], [2, 2]])
    g = grad_of_weighted(lambda x: np.take_along_axis(x, repeated, axis=1), x, np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(g, [[3, 0, 0], [0, 0, 7]])
    broadcast = np.array([[1], [0]])  # one index per row, broadcast against nothing else
    assert_linear(lambda x: at.take_along_axis(x, broadcast, axis=1), x, lambda x: np.take_along_axis(x, broadcast, 1))
    flat = np.array([5, 0, 5])
    assert_linear(lambda x: at.take_along_axis(x, flat, None), x, lambda x: np.take_along_axis(x, flat, None))


# --------------------------------------------------------------------------------------
# sort, partition: the cotangent follows the permutation, ties as the stable sort
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [None, "quicksort", "mergesort", "heapsort", "stable"])
def test_sort_with_ties_follows_the_stable_permutation(kind):
    x = np.array([3.0, 1.0, 2.0, 1.0, 3.0])
    np.testing.assert_array_equal(at.sort(x, kind=kind), [1, 1, 2, 3, 3])
    # The stable permutation is [1, 3, 2, 0, 4]: x[1] takes place 0, x[3] place 1, ...
    w = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    g = grad_of_weighted(lambda x: np.sort(x, kind=kind), x, w)
    np.testing.assert_array_equal(g, [40, 10, 30, 20, 50])
    # The same as indexing with NumPy's stable argsort.
    np.testing.assert_array_equal(g, grad_of_weighted(lambda x: x[np.argsort(x, kind="stable")], x, w))
    # Signed zeros are equal, and NaNs sort last: ties too, kept in their order.
    for x, order in [([0.0, -0.0, -1.0], [2, 0, 1]), ([np.nan, 1.0, np.nan], [1, 0, 2])]:
        g = grad_of_weighted(lambda x: np.sort(x, kind=kind), x, np.array([1.0, 2.0, 3.0]))
        np.testing.assert_array_equal(g[order], [1, 2, 3])


def test_sort_along_axes_and_flattened():
    x = np.array([[2.0, 2.0, 1.0], [0.0, 5.0, 0.0]])
    for axis in [0, 1, -1]:
        # Linear near x (no ties move): the permutation of the stable argsort at x.
        order = np.argsort(x, axis=axis, kind="stable")
        assert_linear(lambda v: at.sort(v, axis=axis), x, lambda v: np.take_along_axis(v, order, axis=axis))
    order = np.argsort(x, axis=None, kind="stable")
    assert_linear(lambda v: at.sort(v, axis=None), x, lambda v: v.ravel()[order])
    g = grad_of_weighted(lambda x: np.sort(x, axis=None), x, np.arange(6.0))
    # Sorted: 0 (x[1,0]), 0 (x[1,2]), 1 (x[0,2]), 2 (x[0,0]), 2 (x[0,1]), 5 (x[1,1]).
    np.testing.assert_array_equal(g, [[3, 4, 2], [0, 5, 1]])


def test_sort_nan_last_and_complex_lexicographic():
    x = np.array([2.0, np.nan, -1.0])
    np.testing.assert_array_equal(at.vjp(np.sort, x)[0], [-1, 2, np.nan])
    np.testing.assert_array_equal(grad_of_weighted(np.sort, x, np.array([1.0, 2.0, 3.0])), [2, 3, 1])
    z = np.array([1 + 2j, 1 - 1j, -3 + 0j])
    np.testing.assert_array_equal(at.sort(z), np.sort(z))
    # A real loss of complex z: d/dx - i d/dy of Re(sum(sort(z) * w)) is w at each element's place.
    w = np.array([1.0 + 1j, 2.0, 3.0 - 2j])
    g = at.grad(lambda z: np.sum(np.real(np.sort(z) * w)))(z)
    np.testing.assert_array_equal(g, [w[2], w[1], w[0]])


def test_sort_second_order():
    # f(x) = sum(w * sort(x)^3): the Hessian is diag(6 x_i w_{rank(i)}).
    x, w = np.array([0.5, -1.0, 2.0, 1.5]), np.array([1.0, 2.0, 3.0, 4.0])
    ranks = np.argsort(np.argsort(x))
    hessian = at.hessian(lambda x: np.sum(w * np.sort(x) ** 3))(x)
    np.testing.assert_allclose(hessian, np.diag(6 * x * w[ranks]), rtol=1e-14)


def test_sort_refuses_order_and_checks_kind():
    with pytest.raises(TypeError, match="order="):
        at.grad(lambda x: np.sum(np.sort(x, order="f")))(np.ones(3))
    with pytest.raises(ValueError, match="sort: sort kind must be one of"):
        at.grad(lambda x: np.sum(np.sort(x, kind="bubble")))(np.ones(3))


def test_sort_complex_casts_as_numpy():
    x = np.array([3.0, 1.0, 2.0], dtype=np.float32)
    out = at.vjp(at.sort_complex, x)[0]
    assert out.dtype == np.sort_complex(x).dtype == np.complex128
    np.testing.assert_array_equal(out, [1, 2, 3])
    g = at.grad(lambda x: np.sum(np.real(np.sort_complex(x) * np.array([1 + 5j, 2, 3]))))(x)
    assert g.dtype == np.float32
    np.testing.assert_array_equal(g, [3, 1, 2])


@pytest.mark.parametrize("kth", [0, 2, -1, [1, 3]])
def test_partition_values_follow_argpartition(kth):
    x = np.array([5.0, 1.0, 4.0, 1.0, 3.0])
    np.testing.assert_array_equal(at.vjp(lambda x: at.partition(x, kth), x)[0], np.partition(x, kth))
    order = np.argpartition(x, kth)
    w = np.arange(1.0, 6.0)
    expected = np.zeros(5)
    expected[order] = w
    np.testing.assert_array_equal(grad_of_weighted(lambda x: np.partition(x, kth), x, w), expected)
    X = np.array([[3.0, 1.0, 2.0], [0.0, -1.0, 7.0]])
    for axis in [0, 1, None]:
        k = 0 if axis == 0 else 1
        np.testing.assert_array_equal(at.vjp(lambda X: at.partition(X, k, axis), X)[0], np.partition(X, k, axis))
        order = np.argpartition(X, k, axis=axis)
        permuted = (lambda V: np.take_along_axis(V, order, axis)) if axis is not None else (lambda V: V.ravel()[order])
        assert_linear(lambda V: at.partition(V, k, axis=axis), X, permuted)


# --------------------------------------------------------------------------------------
# insert, delete, resize
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "obj, values, axis",
    [(1, 9.0, None), ([1, 3], [7.0, 8.0], None), (2, [7.0, 8.0], 1), ([0, 0], 5.0, 0), (slice(0, None, 2), 4.0, 1)],
    ids=repr,
)
def test_insert_differentiates_the_array_and_the_values(obj, values, axis):
    arr = np.arange(6.0).reshape(2, 3)
    values = np.asarray(values)
    assert_linear(lambda a: at.insert(a, obj, values, axis), arr, lambda a: np.insert(a, obj, values, axis))
    assert_linear(lambda v: at.insert(arr, obj, v, axis), values, lambda v: np.insert(arr, obj, v, axis))


def test_insert_casts_values_to_the_array_dtype():
    arr = np.arange(3.0, dtype=np.float32)
    out = at.vjp(lambda v: at.insert(arr, 1, v), 1 / 3)[0]
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.insert(arr, 1, 1 / 3))
    # A value inserted at two places collects both cotangents.
    g = at.grad(lambda v: np.sum(np.insert(arr, [0, 2], v) * np.arange(5.0)))(1.5)
    assert g == 0.0 + 3.0  # places 0 and 3 of the result


@pytest.mark.parametrize(
    "obj, axis", [(1, None), ([0, 4, 4], None), (slice(None, None, 2), 1), (np.array([True, False]), 0), (-1, 1)]
)
def test_delete(obj, axis):
    arr = np.arange(6.0).reshape(2, 3)
    assert_linear(lambda a: at.delete(a, obj, axis), arr, lambda a: np.delete(a, obj, axis))


@pytest.mark.parametrize("new_shape", [4, 9, (2, 5), (3, 0), ()])
def test_resize_repeats_cyclically(new_shape):
    x = np.arange(1.0, 5.0)
    assert_linear(lambda x: at.resize(x, new_shape), x, lambda x: np.resize(x, new_shape))
    np.testing.assert_array_equal(at.resize(np.zeros(0), 3), np.zeros(3))


# --------------------------------------------------------------------------------------
# select, choose, compress, extract
# --------------------------------------------------------------------------------------


def test_select_first_true_condition_wins():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    conditions = [x < 0, x < 1]
    choices = [x * 10, x * 100]
    np.testing.assert_array_equal(at.select(conditions, choices, -1.0), [-20, -5, 50, -1])
    gx, gd = at.grad(lambda x, d: np.sum(np.select([x < 0, x < 1], [x * 10, x * 100], d)), argnums=(0, 1))(
        x, np.full(4, -1.0)
    )
    np.testing.assert_array_equal(gx, [10, 10, 100, 0])
    np.testing.assert_array_equal(gd, [0, 0, 0, 1])
    # A scalar default collects the cotangents of every place it fills; broadcasting choices too.
    g0, g1, gd = at.grad(
        lambda a, b, d: np.sum(np.select([x < 0, x < 1], [a, b], d) * np.arange(1.0, 5.0)), argnums=(0, 1, 2)
    )(np.array(5.0), np.ones(4), 0.0)
    assert (g0, gd) == (1.0 + 2.0, 4.0)
    np.testing.assert_array_equal(g1, [0, 0, 3, 0])


def test_select_dtype_and_errors():
    c32 = np.array([1.0, 2.0], dtype=np.float32)
    assert at.select([c32 > 1], [c32]).dtype == np.float32  # a Python default does not widen it
    assert at.vjp(lambda c: at.select([c32 > 1], [c], 0.5), c32)[0].dtype == np.float32
    assert at.vjp(lambda c: at.select([c32 > 1], [c], np.float64(0.5)), c32)[0].dtype == np.float64
    with pytest.raises(ValueError, match="select: 1 condition\\(s\\) but 2 choice\\(s\\)"):
        at.grad(lambda c: np.sum(np.select([c > 1], [c, c])))(c32)
    with pytest.raises(TypeError, match="select: condition 0 has dtype int64"):
        at.grad(lambda c: np.sum(np.select([np.array([0, 1])], [c])))(c32)


@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_choose(mode):
    index = np.array([[0, 2, 1], [3, -1, 2]]) if mode != "raise" else np.array([[0, 2, 1], [1, 1, 2]])
    a, b, c = np.arange(3.0), np.arange(10.0, 16.0).reshape(2, 3), np.array(7.0)
    expected = np.choose(index, [a, b, c], mode=mode)
    np.testing.assert_array_equal(at.vjp(lambda a: at.choose(index, [a, b, c], mode=mode), a)[0], expected)
    for i, operand in enumerate([a, b, c]):

        def f(v, i=i):
            choices = [a, b, c]
            choices[i] = v
            return at.choose(index, choices, mode=mode)

        assert_linear(f, operand, f)
    with pytest.raises(ValueError, match="choose: entries of a must lie in \\[0, 3\\)"):
        at.grad(lambda a: np.sum(np.choose(np.array([3]), [a, a, a])))(a)


def test_compress_and_extract():
    x = np.arange(6.0).reshape(2, 3)
    for condition, axis in [
        ([True, False, True], 1),
        ([False, True], 0),
        ([True, False, True, True], None),
        ([True], 1),
    ]:
        assert_linear(lambda x: at.compress(condition, x, axis), x, lambda x: np.compress(condition, x, axis))
    even = np.arange(6).reshape(2, 3) % 2 == 0
    assert_linear(lambda x: at.extract(even, x), x, lambda x: np.extract(even, x))
    assert_linear(lambda x: at.extract([[1, 0, 2], [0, 3, 0]], x), x, lambda x: np.extract([[1, 0, 2], [0, 3, 0]], x))


@pytest.mark.parametrize("trim", ["fb", "f", "b", "BF"])
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1), ()])
def test_trim_zeros_box_and_gradient(trim, axis):
    x = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 1.5, 0.0, 0.0], [0.0, 0.0, -2.0, 0.0]])
    expected = np.trim_zeros(x, trim, axis)
    np.testing.assert_array_equal(at.vjp(lambda x: at.trim_zeros(x, trim, axis), x)[0], expected)
    # Linear near x (the zeros stay zeros): the slice of x that NumPy keeps.
    assert_linear(lambda v: at.trim_zeros(v, trim, axis), x, lambda v: v[_kept_slices(x, trim, axis)])


def _kept_slices(x, trim, axis):
    """The slices numpy.trim_zeros keeps, found by trimming an array of markers with NumPy."""
    marked = np.where(x != 0, 1.0, 0.0)
    marked[tuple(np.argwhere(x != 0)[0])] = 2.0  # an anchor: its place in the result gives the offsets
    kept = np.trim_zeros(marked, trim, axis)
    anchor_in, anchor_out = np.argwhere(marked == 2)[0], np.argwhere(kept == 2)[0]
    return tuple(slice(a - b, a - b + n) for a, b, n in zip(anchor_in, anchor_out, kept.shape))


def test_trim_zeros_of_zeros_and_of_a_vector():
    np.testing.assert_array_equal(at.vjp(lambda x: at.trim_zeros(x, "f"), np.zeros(3))[0], np.zeros(0))
    assert at.vjp(lambda x: at.trim_zeros(x, "b", axis=1), np.zeros((2, 3)))[0].shape == (2, 0)
    g = grad_of_weighted(lambda x: np.trim_zeros(x), np.array([0.0, 2.0, 0.0, 3.0, 0.0]), np.array([5.0, 6.0, 7.0]))
    np.testing.assert_array_equal(g, [0, 5, 6, 7, 0])
    with pytest.raises(ValueError, match="trim_zeros: trim must be 'f', 'b' or 'fb'"):
        at.grad(lambda x: np.sum(np.trim_zeros(x, "x")))(np.ones(2))


# --------------------------------------------------------------------------------------
# bincount: weights differentiable, counts constant
# --------------------------------------------------------------------------------------


def test_bincount_is_linear_in_its_weights():
    x = np.array([0, 2, 2, 4])
    w = np.array([0.5, 1.0, 2.0, -1.0])
    np.testing.assert_array_equal(at.bincount(x, w), [0.5, 0, 3, 0, -1])
    assert_linear(lambda w: at.bincount(x, w, minlength=7), w, lambda w: np.bincount(x, w, minlength=7))
    g = at.grad(lambda w: np.sum(np.bincount(x, w) * np.array([1.0, 10, 100, 1000, 10000])))(w)
    np.testing.assert_array_equal(g, [1, 100, 100, 10000])
    w32 = w.astype(np.float32)
    assert at.grad(lambda w: np.sum(np.bincount(x, w)))(w32).dtype == np.float32
    # Counts alone are constants (integers), inside a transform too.
    counts = at.vjp(lambda w: (np.bincount(x), w)[1], w)[0]
    np.testing.assert_array_equal(counts, w)
    np.testing.assert_array_equal(at.bincount(x), [1, 0, 2, 0, 1])


# --------------------------------------------------------------------------------------
# Functions returning indices: constants on traced values
# --------------------------------------------------------------------------------------


def test_index_functions_are_constants_of_the_primal_values():
    x = np.array([3.0, 1.0, 2.0, 1.0])
    seen = {}

    def f(x):
        seen["argsort"] = np.argsort(x)
        seen["argpartition"] = np.argpartition(x, 1)
        seen["argwhere"] = np.argwhere(x > 1.5)
        seen["nonzero"] = np.nonzero(x - 1.0)
        seen["flatnonzero"] = np.flatnonzero(x - 1.0)
        seen["lexsort"] = np.lexsort((x, -x))
        seen["searchsorted"] = np.searchsorted(np.sort(x), x)
        seen["digitize"] = np.digitize(x, [1.5, 2.5])
        seen["unique"] = np.unique(x, return_counts=True)
        return np.sum(x[seen["argsort"]] * np.arange(4.0))

    g = at.grad(f)(x)
    np.testing.assert_array_equal(g, [3, 0, 2, 1])
    np.testing.assert_array_equal(seen["argsort"], np.argsort(x))
    np.testing.assert_array_equal(seen["argpartition"][:2], np.argpartition(x, 1)[:2])
    np.testing.assert_array_equal(seen["argwhere"], [[0], [2]])
    np.testing.assert_array_equal(seen["nonzero"][0], [0, 2])
    np.testing.assert_array_equal(seen["flatnonzero"], [0, 2])
    np.testing.assert_array_equal(seen["lexsort"], np.lexsort((x, -x)))
    np.testing.assert_array_equal(seen["searchsorted"], np.searchsorted(np.sort(x), x))
    np.testing.assert_array_equal(seen["digitize"], [2, 0, 1, 0])
    # unique's values are differentiable (traced); its counts are a constant.
    np.testing.assert_array_equal(at.stop_gradient(seen["unique"][0]), [1, 2, 3])
    np.testing.assert_array_equal(seen["unique"][1], [2, 1, 1])
    for value in [seen["argsort"], seen["argwhere"], seen["unique"][1], *seen["nonzero"]]:
        assert type(value) is np.ndarray


# --------------------------------------------------------------------------------------
# Outside a transform: NumPy's own results, at NumPy's speed
# --------------------------------------------------------------------------------------


def test_untraced_calls_return_numpy_results():
    x = np.arange(12.0).reshape(3, 4)
    assert all(type(p) is np.ndarray for p in at.split(x, 2, axis=1))
    for function, args in [
        (at.pad, (x, 2, "wrap")),
        (at.tile, (x, 2)),
        (at.sort, (x[::-1],)),
        (at.take, (x, [[0, 5]])),
        (at.roll, (x, 3)),
        (at.rot90, (x, 3)),
    ]:
        out = function(*args)
        assert type(out) is np.ndarray
        np.testing.assert_array_equal(out, getattr(np, function.__name__)(*args))


def test_unique_is_differentiable_in_its_values_and_splits_repeats_equally():
    # sum(unique(x)) counts each distinct value once: its derivative is 1 per distinct
    # value, shared equally by the elements equal to it.
    x = np.array([3.0, 1.0, 3.0, 2.0, 3.0])
    np.testing.assert_allclose(at.grad(lambda x: np.sum(np.unique(x)))(x), [1 / 3, 1, 1 / 3, 1, 1 / 3])
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(np.unique(x)))(np.array([3.0, 1.0, 2.0])), [1, 1, 1])
    values, index, inverse, counts = at.unique(x, return_index=True, return_inverse=True, return_counts=True)
    expected = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for a, b in zip((values, index, inverse, counts), expected):
        np.testing.assert_array_equal(a, b)
    rows = np.array([[1.0, 2.0], [0.0, 5.0], [1.0, 2.0]])
    g = at.grad(lambda r: np.sum(np.unique(r, axis=0) * np.array([[1.0, 10.0], [100.0, 1000.0]])))(rows)
    np.testing.assert_allclose(g, [[50.0, 500.0], [1.0, 10.0], [50.0, 500.0]])


def test_heaviside_and_nextafter_have_their_derivatives():
    x1 = np.array([-1.0, 0.0, 2.0, 0.0])
    # heaviside(x1, x2) is x2 exactly where x1 == 0
    np.testing.assert_array_equal(at.grad(lambda x2: np.sum(np.heaviside(x1, x2)))(np.full(4, 0.5)), [0, 1, 0, 1])
    np.testing.assert_array_equal(at.grad(lambda x: np.sum(np.nextafter(x, 0.0)))(np.array([1.0, -2.0])), [1, 1])

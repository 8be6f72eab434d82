"""autotape.numpy, and traced values that behave like arrays (issue: NumPy at full breadth, section 3)."""

from __future__ import annotations

import numpy as np
import pytest

import autotape as at
import autotape.numpy as anp
from autotape.ops.registry import REGISTRY
from autotape.testing import check_grads


def test_the_namespace_is_the_registry_plus_numpy():
    for info in REGISTRY.values():
        if info.module == "numpy":
            assert getattr(anp, info.name) is info.function
            for alias in info.aliases:
                assert getattr(anp, alias) is info.function
    assert anp.pi == np.pi and anp.float32 is np.float32 and anp.newaxis is None
    assert "sin" in anp.__all__ and "r_" in anp.__all__
    assert "sin" in dir(anp)
    with pytest.raises(AttributeError, match="autotape.numpy"):
        anp.not_a_numpy_name  # noqa: B018


def test_array_and_asarray_of_nested_lists_of_traced_values():
    x = np.array([1.0, 2.0])
    # d/dx sum([x, 2x]^2) = 2x + 8x
    np.testing.assert_array_equal(at.grad(lambda x: anp.sum(anp.array([x, 2 * x]) ** 2))(x), [10.0, 20.0])

    # numbers and traced scalars mixed, with dtype and ndmin
    def f(x):
        a = anp.array([[x[0], 1.0], [2.0, x[1] * x[0]]], dtype=np.float64, ndmin=3)
        assert a.shape == (1, 2, 2)
        return anp.sum(a * np.arange(4.0).reshape(1, 2, 2))

    np.testing.assert_array_equal(at.grad(f)(x), [0.0 + 3 * 2.0, 3 * 1.0])
    np.testing.assert_array_equal(at.grad(lambda x: anp.sum(anp.asarray([x[1], x[0]]) * [1.0, 5.0]))(x), [5.0, 1.0])
    # Without traced values they are NumPy's own.
    assert anp.array([1, 2]).dtype == np.array([1, 2]).dtype
    with pytest.raises(ValueError, match="ragged"):
        at.grad(lambda x: anp.sum(anp.array([x, x[:1]])))(x)


def test_reductions_of_lists_of_traced_values():
    x = np.array([1.0, 3.0])
    np.testing.assert_array_equal(at.grad(lambda x: anp.mean([x[0], x[1]]))(x), [0.5, 0.5])
    np.testing.assert_array_equal(at.grad(lambda x: anp.sum([x[0], 3 * x[1]]))(x), [1.0, 3.0])
    np.testing.assert_array_equal(at.grad(lambda x: anp.max([x[0], x[1]]))(x), [0.0, 1.0])
    # NumPy itself cannot see traced values inside a list: the error points to autotape.numpy.
    with pytest.raises(TypeError, match="autotape.numpy"):
        at.grad(lambda x: np.mean([x[0], x[1]]))(x)


def test_r_and_c_with_traced_pieces():
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(at.grad(lambda x: anp.sum(anp.r_[x, 3 * x, 1.0, 0:2] ** 2))(x), [20.0, 40.0])
    np.testing.assert_array_equal(
        at.grad(lambda x: anp.sum(anp.c_[x, 3 * x] * [[1.0, 2.0], [3.0, 4.0]]))(x), [7.0, 15.0]
    )
    assert anp.c_[x, x].shape == np.c_[x, x].shape
    np.testing.assert_array_equal(anp.r_[x, 0:3], np.r_[x, 0:3])
    with pytest.raises(TypeError, match="directives"):
        at.grad(lambda x: anp.sum(anp.r_["0,2", x, x]))(x)


def test_traced_values_have_the_ndarray_methods():
    x = np.array([[1.0, -2.0], [3.0, 0.5]])

    def f(x):
        terms = [
            x.sum(),
            x.mean(axis=0).sum(),
            x.max(),
            x.min(axis=1).sum(),
            x.dot(np.ones(2)).sum(),
            x.reshape(4).sum(),
            x.reshape((4, 1)).sum(),
            x.transpose(1, 0)[0, 1],
            x.T[0, 1],
            x.squeeze().sum(),
            x.ravel()[0],
            x.flatten()[3],
            x.swapaxes(0, 1)[1, 0],
            x.clip(-1.0, 2.0).sum(),
            x.astype(np.float64).sum(),
            x.copy()[1, 1],
            x.conj().sum(),
            x.real.sum(),
        ]
        return sum(terms)

    check_grads(f, (x,))
    assert at.grad(lambda x: x.size * x.sum())(x).tolist() == [[4.0, 4.0], [4.0, 4.0]]


def test_operators_iteration_len_and_formatting():
    x = np.array([2.5, -1.0, 4.0])

    def f(x):
        assert len(x) == 3
        rows = [r * r for r in x]  # iteration over the first axis
        floor = x // 2.0  # piecewise constant: a plain array
        assert type(floor) is np.ndarray and floor.tolist() == [1.0, -1.0, 2.0]
        assert f"{anp.sum(x):.3f}" == "5.500"
        assert f"{x[0]}" == "2.5"
        return anp.sum(anp.stack(rows)) + anp.sum(x % 2.0) + abs(x[1])

    # d/dx: 2x + 1 (x % 2 has slope 1) + sign(x1) at x1
    np.testing.assert_array_equal(at.grad(f)(x), [6.0, -2.0 + 1.0 - 1.0, 9.0])


def test_comparisons_return_plain_arrays_and_item_keeps_raising():
    def f(x):
        mask = x > 0
        assert type(mask) is np.ndarray and mask.dtype == bool
        with pytest.raises(TypeError, match="item"):
            x[0].item()
        return anp.sum(anp.where(mask, x, 0.0))

    np.testing.assert_array_equal(at.grad(f)(np.array([1.0, -1.0])), [1.0, 0.0])


def test_item_assignment_says_what_to_do_instead():
    def setitem(x):
        x[0] = 1.0
        return x

    with pytest.raises(TypeError, match="stack them"):
        at.grad(lambda x: anp.sum(setitem(x)))(np.ones(2))

    def ndarray_slice_assignment(x):
        preds = np.zeros(2)
        preds[:] = x
        return anp.sum(preds)

    with pytest.raises(TypeError, match=r"preds\[i\] = x\): use autotape\.numpy"):
        at.grad(ndarray_slice_assignment)(np.ones(2))
    # A single element (preds[0] = x[0]) gets NumPy's own "setting an array element with a
    # sequence": NumPy decides that from the traced value's __len__ before asking it
    # anything, so autotape cannot add its message there (docs/numpy-support.md says so).
    with pytest.raises(ValueError, match="sequence"):
        at.grad(lambda x: anp.sum(_assign_element(x)))(np.ones(2))


def _assign_element(x):
    preds = np.zeros(2)
    preds[0] = x[0]
    return preds


def test_submodules_mirror_numpy_submodules():
    import autotape.numpy.fft as afft
    import autotape.numpy.linalg as alinalg

    assert anp.linalg is alinalg and anp.fft is afft
    assert alinalg.LinAlgError is np.linalg.LinAlgError
    assert afft.fftfreq(4).tolist() == np.fft.fftfreq(4).tolist()


def test_autotape_scipy_reaches_its_modules_as_attributes():
    pytest.importorskip("scipy")
    import autotape.scipy as asp

    assert asp.stats.norm.logpdf(0.0) == pytest.approx(-0.9189385332046727, rel=1e-15)
    assert "stats" in dir(asp)
    with pytest.raises(AttributeError, match="its modules are special, stats"):
        _ = asp.optimize

"""Exact tests of the ``numpy.fft`` ops (autotape/ops/fft.py).

Every transform is a linear map, so its VJP must be the transpose of its matrix. The
matrix is built here by applying NumPy's own function to basis vectors (and, for
complex inputs, to ``i`` times them), and the VJP is compared with ``M^T g`` under
JAX's convention, with no conjugation (docs/complex.md). Then: cropping and padding
(``n`` smaller and larger than the input), every norm (Parseval's identity),
round trips, gradients through ``abs`` against finite differences, second order,
float32, NumPy's argument quirks (deprecated forms, ``-1`` in ``s``, repeated axes)
and the errors.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autotape as at
from autotape.ops import fft as F
from autotape.ops.registry import REGISTRY

NORMS = [None, "backward", "ortho", "forward"]


def _random(shape, rng, complex_values: bool):
    x = rng.standard_normal(shape)
    return x + 1j * rng.standard_normal(shape) if complex_values else x


def transpose_of_dense_matrix(f, x, g):
    """The VJP of the real-linear map ``f`` at ``x``'s shape and dtype, from its matrix.

    Column ``j`` of ``M`` is ``f(e_j)``; for a complex input also ``f(i e_j)``. The
    cotangent of input ``j`` pairs with a tangent ``t`` as ``Re(ct_j t_j)``, so
    ``ct_j = Re(<g, f(e_j)>) - i Re(<g, f(i e_j)>)`` with ``<a, b> = sum(a * b)`` (no
    conjugation). For a map that is complex-linear, ``f(i e_j) = i f(e_j)`` and this is
    ``(M^T g)_j`` exactly; for a real input it is ``Re(M^T g)_j``.
    """
    size = x.size
    flat_g = np.ravel(g)
    columns = []
    for j in range(size):
        e = np.zeros(size, dtype=x.dtype)
        e[j] = 1
        columns.append(np.ravel(f(e.reshape(x.shape))))
    M = np.stack(columns, axis=1)
    ct = np.real(M.T @ flat_g)
    if np.iscomplexobj(x):
        imaginary = np.stack([np.ravel(f((1j * np.eye(size)[j]).reshape(x.shape))) for j in range(size)], axis=1)
        ct = ct - 1j * np.real(imaginary.T @ flat_g)
    return M, ct.reshape(x.shape)


def _vjp(f, x, g):
    out, vjp_fn = at.vjp(f, x)
    (ct,) = vjp_fn(g)
    return out, ct


def _check_transpose(f, x, rng, complex_linear: bool):
    out = f(x)
    g = _random(np.shape(out), rng, np.iscomplexobj(out))
    M, expected = transpose_of_dense_matrix(f, x, g)
    traced_out, ct = _vjp(f, x, g)
    np.testing.assert_array_equal(traced_out, out)
    assert ct.shape == x.shape and ct.dtype == x.dtype
    np.testing.assert_allclose(ct, expected, rtol=1e-12, atol=1e-12)
    if complex_linear or np.isrealobj(x):
        np.testing.assert_allclose(np.ravel(out), M @ np.ravel(x), rtol=1e-12, atol=1e-12)
    if complex_linear:
        plain = M.T @ np.ravel(g)  # the transpose, not the adjoint M^H g
        np.testing.assert_allclose(ct, np.real(plain).reshape(x.shape) if np.isrealobj(x) else plain.reshape(x.shape))
        if np.iscomplexobj(x) and np.max(np.abs(np.imag(M))) > 0.1:  # the adjoint differs
            assert not np.allclose(ct, (M.conj().T @ np.ravel(g)).reshape(x.shape))
    # Linear: the JVP is the map applied to the tangent.
    t = _random(x.shape, rng, np.iscomplexobj(x))
    _, tangent_out = at.jvp(f, (x,), (t,))
    np.testing.assert_allclose(tangent_out, f(t), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------
# The VJP is the transpose of the dense matrix
# --------------------------------------------------------------------------------------

ONE_AXIS_LENGTHS = [None, 1, 3, 5, 8]  # inputs have 5 points: cropping, neither, padding


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", ONE_AXIS_LENGTHS, ids=lambda n: f"n={n}")
@pytest.mark.parametrize("complex_input", [True, False], ids=["complex", "real"])
@pytest.mark.parametrize("name", ["fft", "ifft"])
def test_fft_and_ifft_vjp_is_the_plain_transpose_of_their_matrix(name, complex_input, n, norm):
    rng = np.random.default_rng(1)
    x = _random(5, rng, complex_input)
    numpy_function = getattr(np.fft, name)
    _check_transpose(lambda a: numpy_function(a, n, norm=norm), x, rng, complex_linear=True)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 1, 2, 4, 5, 8], ids=lambda n: f"n={n}")
@pytest.mark.parametrize("name", ["rfft", "ihfft"])
def test_rfft_and_ihfft_vjp_is_the_transpose_of_their_matrix(name, n, norm):
    rng = np.random.default_rng(2)
    numpy_function = getattr(np.fft, name)
    for length in (4, 5):  # even and odd inputs
        _check_transpose(lambda a: numpy_function(a, n, norm=norm), rng.standard_normal(length), rng, False)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 1, 2, 3, 4, 5, 6, 7, 11], ids=lambda n: f"n={n}")
@pytest.mark.parametrize("complex_input", [True, False], ids=["complex", "real"])
@pytest.mark.parametrize("name", ["irfft", "hfft"])
def test_irfft_and_hfft_vjp_is_the_transpose_of_their_matrix(name, complex_input, n, norm):
    # 4 input bins: the default n is 6, so n = 1..11 crops the bins (n//2 + 1 < 4), uses
    # them all, or pads them; odd and even n (a Nyquist bin or none).
    rng = np.random.default_rng(3)
    x = _random(4, rng, complex_input)
    numpy_function = getattr(np.fft, name)
    # Real-linear only: the imaginary parts of bin 0 and bin n/2 are ignored.
    _check_transpose(lambda a: numpy_function(a, n, norm=norm), x, rng, complex_linear=False)


def test_irfft_ignores_the_imaginary_parts_of_bin_zero_and_the_nyquist_bin():
    x = np.array([1.0 + 5j, 2 - 1j, 3 + 2j])
    out, ct = _vjp(lambda a: np.fft.irfft(a), x, np.arange(4.0))
    np.testing.assert_allclose(out, np.fft.irfft(np.array([1.0, 2 - 1j, 3])), rtol=1e-15)
    # The cotangent of an ignored part is 0: bins 0 and 2 (= n/2 for n = 4) are real.
    assert ct[0].imag == 0 and ct[2].imag == 0 and ct[1].imag != 0


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"])
def test_one_axis_transforms_of_a_batch(name, axis):
    rng = np.random.default_rng(4)
    real_input = name in ("rfft", "ihfft")
    x = _random((3, 4), rng, not real_input)
    numpy_function = getattr(np.fft, name)
    _check_transpose(lambda a: numpy_function(a, 5, axis, "ortho"), x, rng, name in ("fft", "ifft"))


N_D_ARGUMENTS = [
    {},
    {"axes": (0,)},
    {"axes": (1, 0)},
    {"axes": (-1,), "norm": "ortho"},
    {"s": (2, 6), "axes": (0, 1)},
    {"s": (5, -1), "axes": (1, 0), "norm": "forward"},
    {"axes": (1, 1)},  # NumPy transforms axis 1 twice
    {"s": (3, 3), "axes": (0, 0), "norm": "backward"},
]


@pytest.mark.parametrize("params", N_D_ARGUMENTS, ids=repr)
@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn"])
def test_n_dimensional_vjp_is_the_transpose_of_the_matrix(name, params):
    rng = np.random.default_rng(5)
    x = _random((3, 4), rng, name != "rfftn")
    numpy_function = getattr(np.fft, name)
    _check_transpose(lambda a: numpy_function(a, **params), x, rng, name in ("fftn", "ifftn"))


@pytest.mark.parametrize(
    "params", [{}, {"s": (4, 2)}, {"axes": (0, 2), "norm": "ortho"}, {"s": (2, 5), "axes": (2, 1)}]
)
@pytest.mark.parametrize("name", ["fft2", "ifft2", "rfft2", "irfft2"])
def test_two_dimensional_vjp_is_the_transpose_of_the_matrix(name, params):
    rng = np.random.default_rng(6)
    x = _random((2, 3, 3), rng, name != "rfft2")
    numpy_function = getattr(np.fft, name)
    _check_transpose(lambda a: numpy_function(a, **params), x, rng, name in ("fft2", "ifft2"))


@pytest.mark.parametrize("axes", [None, 0, 1, (1, 0), (-1,), (0, 0)], ids=repr)
@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
def test_shifts_are_permutations_whose_transpose_is_the_inverse_shift(name, axes):
    rng = np.random.default_rng(7)
    x = _random((5, 4), rng, True)
    shift = getattr(np.fft, name)
    _check_transpose(lambda a: shift(a, axes), x, rng, complex_linear=True)
    g = rng.standard_normal((5, 4))
    inverse = np.fft.ifftshift if name == "fftshift" else np.fft.fftshift
    np.testing.assert_array_equal(_vjp(lambda a: shift(a, axes), x.real, g)[1], inverse(g, axes))


# --------------------------------------------------------------------------------------
# Cropping and padding, norms, round trips
# --------------------------------------------------------------------------------------


def test_fft_with_fewer_points_than_the_input_has_zero_gradient_beyond_them():
    x = np.arange(1.0, 7.0)
    v = np.array([1.0, -2j, 0.5 + 1j])
    g = at.grad(lambda x: np.real(np.sum(np.fft.fft(x, 3) * v)))(x)
    # d/dx_j Re(sum_k v_k sum_{l<3} x_l e^{-2 pi i kl/3}) = Re(sum_k v_k e^{-2 pi i kj/3}) for j < 3, else 0.
    k = np.arange(3)
    expected = [np.real(np.sum(v * np.exp(-2j * np.pi * k * j / 3))) for j in range(3)] + [0.0, 0.0, 0.0]
    np.testing.assert_allclose(g, expected, rtol=1e-13, atol=1e-15)


def test_fft_with_more_points_than_the_input_crops_the_transposed_cotangent():
    x = np.array([1.0 + 1j, -2.0, 0.5j])
    v = np.arange(8.0) - 2j
    _, ct = _vjp(lambda a: np.fft.fft(a, 8), x, v)
    # sum_k v_k e^{-2 pi i kj/8} for the three input points: fft(v) cropped.
    k = np.arange(8)
    expected = [np.sum(v * np.exp(-2j * np.pi * k * j / 8)) for j in range(3)]
    np.testing.assert_allclose(ct, expected, rtol=1e-13)


@pytest.mark.parametrize("complex_input", [True, False], ids=["complex", "real"])
@pytest.mark.parametrize("norm,factor", [(None, 6.0), ("backward", 6.0), ("ortho", 1.0), ("forward", 1 / 6)])
def test_every_norm_scales_parsevals_identity(norm, factor, complex_input):
    # sum |fft(x)|^2 = c^2 n sum |x|^2, so its gradient is 2 c^2 n conj(x) (JAX's convention).
    rng = np.random.default_rng(8)
    x = _random(6, rng, complex_input)

    def energy(x):
        return np.sum(np.abs(np.fft.fft(x, norm=norm)) ** 2)

    assert energy(x) == pytest.approx(factor * np.sum(np.abs(x) ** 2), rel=1e-12)
    np.testing.assert_allclose(at.grad(energy)(x), 2 * factor * np.conj(x), rtol=1e-12)
    inverse = at.grad(lambda x: np.sum(np.abs(np.fft.ifft(x, norm=norm)) ** 2))(x)
    np.testing.assert_allclose(inverse, 2 / factor * np.conj(x), rtol=1e-12)  # ifft's factor is 1 / (c^2 n)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("m", [5, 6])
def test_irfft_of_rfft_is_the_identity_and_so_is_its_gradient(m, norm):
    rng = np.random.default_rng(9)
    x, v = rng.standard_normal(m), rng.standard_normal(m)
    round_trip = lambda x: np.fft.irfft(np.fft.rfft(x, norm=norm), m, norm=norm)  # noqa: E731
    np.testing.assert_allclose(round_trip(x), x, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(at.grad(lambda x: np.sum(round_trip(x) * v))(x), v, rtol=1e-12, atol=1e-14)
    # Padded to 9 points and back: the signal with zeros appended; the gradient keeps the first m.
    padded = lambda x: np.fft.irfft(np.fft.rfft(x, 9, norm=norm), 9, norm=norm)  # noqa: E731
    np.testing.assert_allclose(padded(x), np.concatenate([x, np.zeros(9 - m)]), rtol=1e-12, atol=1e-14)
    w = rng.standard_normal(9)
    np.testing.assert_allclose(at.grad(lambda x: np.sum(padded(x) * w))(x), w[:m], rtol=1e-12, atol=1e-14)
    # The other way: rfft of irfft is the identity on half spectra with real bins 0 and n/2.
    spectrum = np.fft.rfft(rng.standard_normal(m))
    np.testing.assert_allclose(np.fft.rfft(np.fft.irfft(spectrum, m)), spectrum, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("norm", NORMS)
def test_complex_and_hermitian_round_trips(norm):
    rng = np.random.default_rng(10)
    z, v = _random((3, 4), rng, True), _random((3, 4), rng, True)
    for forward, inverse in ((np.fft.fft, np.fft.ifft), (np.fft.fftn, np.fft.ifftn), (np.fft.fft2, np.fft.ifft2)):
        trip = lambda z: inverse(forward(z, norm=norm), norm=norm)  # noqa: E731
        np.testing.assert_allclose(trip(z), z, rtol=1e-12, atol=1e-14)
        _, ct = _vjp(trip, z, v)
        np.testing.assert_allclose(ct, v, rtol=1e-12, atol=1e-14)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for trip in (
        lambda x: np.fft.hfft(np.fft.ihfft(x, norm=norm), 4, norm=norm),
        lambda x: np.fft.irfftn(np.fft.rfftn(x, norm=norm), (3, 4), axes=(0, 1), norm=norm),
        lambda x: np.fft.irfft2(np.fft.rfft2(x, norm=norm), (3, 4), norm=norm),
    ):
        np.testing.assert_allclose(trip(x), x, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(at.grad(lambda x: np.sum(trip(x) * w))(x), w, rtol=1e-12, atol=1e-14)


def test_an_axis_transformed_twice_reverses_the_signal():
    # fft(fft(x)) = n x[-j mod n], NumPy's fftn with a repeated axis.
    x = np.arange(1.0, 6.0)
    np.testing.assert_allclose(np.fft.fftn(x, axes=(0, 0)), 5 * x[[0, 4, 3, 2, 1]], atol=1e-12)
    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    g = at.grad(lambda x: np.real(np.sum(np.fft.fftn(x, axes=(0, 0)) * v)))(x)
    np.testing.assert_allclose(g, 5 * v[[0, 4, 3, 2, 1]], rtol=1e-13)


# --------------------------------------------------------------------------------------
# Gradients of real losses, finite differences, second order
# --------------------------------------------------------------------------------------


def finite_difference_gradient(f, x, step=1e-6):
    """``df/dRe x - i df/dIm x`` (JAX's convention) by central differences, element by element."""
    grad = np.zeros(x.shape, dtype=x.dtype)
    for j in np.ndindex(x.shape):
        directions = (1.0, 1j) if np.iscomplexobj(x) else (1.0,)
        for direction in directions:
            e = np.zeros(x.shape, dtype=x.dtype)
            e[j] = direction * step
            derivative = (f(x + e) - f(x - e)) / (2 * step)
            grad[j] += derivative if direction == 1.0 else -1j * derivative
    return grad


@pytest.mark.parametrize(
    "transform",
    [
        lambda x: np.fft.fft(x),
        lambda x: np.fft.ifft(x, 7, norm="ortho"),
        lambda x: np.fft.fft2(x, (3, 2)),
        lambda x: np.fft.fftn(x, axes=(1,), norm="forward"),
        lambda x: np.fft.fftshift(np.fft.fft(x, axis=0)),
    ],
    ids=["fft", "ifft n=7 ortho", "fft2 s=(3,2)", "fftn axes=(1,) forward", "fftshift of fft"],
)
@pytest.mark.parametrize("complex_input", [True, False], ids=["complex", "real"])
def test_gradient_of_fft_abs_sum_matches_finite_differences(transform, complex_input):
    rng = np.random.default_rng(11)
    x = _random((3, 4), rng, complex_input)

    def loss(x):
        return np.sum(np.abs(transform(x)))

    g = at.grad(loss)(x)
    assert g.dtype == x.dtype
    np.testing.assert_allclose(g, finite_difference_gradient(loss, x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "transform",
    [
        lambda x: np.fft.rfft(x, 6),
        lambda x: np.fft.ihfft(x, norm="ortho"),
        lambda x: np.fft.rfftn(x, (2, 3), axes=(0, 1)),
        lambda x: np.fft.irfft(x + 0.5j, 5),
        lambda x: np.fft.hfft(x, 3, axis=0),
        lambda x: np.fft.irfft2(x, norm="forward"),
    ],
    ids=["rfft n=6", "ihfft ortho", "rfftn s=(2,3)", "irfft n=5", "hfft axis 0", "irfft2 forward"],
)
def test_gradient_of_real_transforms_through_abs_matches_finite_differences(transform):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 4))

    def loss(x):
        return np.sum(np.abs(transform(x)))

    np.testing.assert_allclose(at.grad(loss)(x), finite_difference_gradient(loss, x), rtol=1e-6, atol=1e-7)


def test_hessian_of_the_half_spectrum_energy_is_twice_its_gram_matrix():
    # E(x) = sum_k |rfft(x)_k|^2 = |R x|^2 with R the rfft matrix: the Hessian is 2 Re(R^H R).
    x = np.random.default_rng(13).standard_normal(5)
    R = np.fft.rfft(np.eye(5), axis=0)

    def energy(x):
        spectrum = np.fft.rfft(x)
        return np.sum(np.real(spectrum) ** 2 + np.imag(spectrum) ** 2)

    expected = 2 * np.real(R.conj().T @ R)
    np.testing.assert_allclose(at.hessian(energy)(x), expected, rtol=1e-12, atol=1e-12)
    # Forward over reverse: the JVP of the gradient is the Hessian-vector product.
    u = np.arange(5.0)
    _, hvp = at.jvp(at.grad(energy), (x,), (u,))
    np.testing.assert_allclose(hvp, expected @ u, rtol=1e-12, atol=1e-12)


def test_second_derivatives_through_irfft_and_fft2():
    rng = np.random.default_rng(14)
    x = rng.standard_normal((2, 3))
    K = np.fft.irfft2(np.eye(6).reshape(6, 2, 3), (2, 4)).reshape(6, 8).T  # column j: irfft2 of basis j
    hessian = at.hessian(lambda x: np.sum(np.fft.irfft2(x, (2, 4)) ** 2))(x)
    np.testing.assert_allclose(hessian.reshape(6, 6), 2 * K.T @ K, rtol=1e-12, atol=1e-14)
    z = rng.standard_normal((2, 2))
    W = np.fft.fft2(np.eye(4).reshape(4, 2, 2)).reshape(4, 4).T
    hessian = at.hessian(lambda z: np.sum(np.real(np.fft.fft2(z)) ** 2))(z)
    np.testing.assert_allclose(hessian.reshape(4, 4), 2 * np.real(W).T @ np.real(W), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------
# dtypes: NumPy 2's, float32 gradients
# --------------------------------------------------------------------------------------

ALL_TRANSFORMS = ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fftn", "ifftn", "fft2", "ifft2", "rfftn"]
ALL_TRANSFORMS += ["irfftn", "rfft2", "irfft2", "fftshift", "ifftshift"]


@pytest.mark.parametrize("name", ALL_TRANSFORMS)
def test_float32_gives_numpys_dtype_and_float32_gradients(name):
    rng = np.random.default_rng(15)
    x32 = rng.standard_normal((3, 4)).astype(np.float32)
    numpy_function = getattr(np.fft, name)
    op = REGISTRY[f"numpy.fft.{name}"].function
    expected = numpy_function(x32)
    assert expected.dtype in (np.complex64, np.float32)
    out = op(x32)
    traced, _ = _vjp(numpy_function, x32, np.ones(expected.shape, expected.dtype))
    assert out.dtype == traced.dtype == expected.dtype
    np.testing.assert_array_equal(traced, expected)
    g32 = at.grad(lambda x: np.sum(np.abs(numpy_function(x))))(x32)
    assert g32.dtype == np.float32
    g64 = at.grad(lambda x: np.sum(np.abs(numpy_function(x))))(x32.astype(np.float64))
    np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)
    if name not in ("rfft", "ihfft", "rfftn", "rfft2"):  # these take real input only
        z64 = (x32 + 1j * x32[::-1]).astype(np.complex64)
        expected = numpy_function(z64)
        assert expected.dtype == (np.float32 if name in ("irfft", "hfft", "irfftn", "irfft2") else np.complex64)
        traced, _ = _vjp(numpy_function, z64, np.ones(expected.shape, expected.dtype))
        assert traced.dtype == expected.dtype
        assert at.grad(lambda z: np.sum(np.abs(numpy_function(z))))(z64).dtype == np.complex64


# --------------------------------------------------------------------------------------
# NumPy's argument forms
# --------------------------------------------------------------------------------------


def test_positional_arguments_and_negative_axes_as_numpy():
    x = np.random.default_rng(16).standard_normal((2, 3))
    for name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft"):
        expected = getattr(np.fft, name)(x, 4, 0, "ortho")
        out, _ = _vjp(lambda a: getattr(np.fft, name)(a, 4, -2, "ortho"), x, np.ones(expected.shape))
        np.testing.assert_array_equal(out, expected)
    for name in ("fftn", "ifftn", "rfftn", "irfftn", "fft2", "ifft2", "rfft2", "irfft2"):
        expected = getattr(np.fft, name)(x, (3, 2), (1, 0), "forward")
        out, _ = _vjp(lambda a: getattr(np.fft, name)(a, (3, 2), (-1, -2), "forward"), x, np.ones(expected.shape))
        np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn", "fftshift"])
def test_axes_and_lengths_as_lists_and_arrays(name):
    x = np.random.default_rng(18).standard_normal((3, 4))
    numpy_function = getattr(np.fft, name)
    params = [{"axes": [1, 0]}, {"axes": np.array([1, 0])}]
    if name != "fftshift":
        params += [{"s": [2, 5], "axes": [-1, 0]}, {"s": np.array([2, 5]), "axes": np.array([-1, 0])}]
    for kwargs in params:
        expected = numpy_function(x, **kwargs)
        out, ct = _vjp(lambda a: numpy_function(a, **kwargs), x, np.ones(expected.shape, expected.dtype))
        np.testing.assert_array_equal(out, expected)
        assert ct.shape == x.shape


@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn"])
def test_deprecated_forms_warn_and_give_numpys_values(name):
    x = np.random.default_rng(17).standard_normal((3, 4))
    numpy_function = getattr(np.fft, name)
    with pytest.warns(DeprecationWarning):
        expected = numpy_function(x, s=(2, 5))  # s without axes: the last len(s) axes
    with pytest.warns(DeprecationWarning, match="axes"):
        out, ct = _vjp(lambda a: numpy_function(a, s=(2, 5)), x, np.ones(expected.shape))
    np.testing.assert_array_equal(out, expected)
    with pytest.warns(DeprecationWarning):
        expected = numpy_function(x, s=(None, 6), axes=(0, 1))  # None: the 1-D default
    with pytest.warns(DeprecationWarning, match="None"):
        out, _ = _vjp(lambda a: numpy_function(a, s=(None, 6), axes=(0, 1)), x, np.ones(expected.shape))
    np.testing.assert_array_equal(out, expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        expected = numpy_function(x, s=(-1, 3), axes=(0, 1))  # -1: the input's length
        out, _ = _vjp(lambda a: numpy_function(a, s=(-1, 3), axes=(0, 1)), x, np.ones(expected.shape))
    np.testing.assert_array_equal(out, expected)


def test_fftn_over_no_axes_returns_the_input():
    x = np.arange(6.0).reshape(2, 3)
    assert np.fft.fftn(x, axes=()).dtype == np.float64
    out, ct = _vjp(lambda a: np.fft.fftn(a, axes=()), x, np.ones((2, 3)))
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(ct, np.ones((2, 3)))
    with pytest.raises(ValueError, match="axes is empty"):
        at.vjp(lambda a: np.fft.rfftn(a, axes=()), x)
    with pytest.raises(ValueError, match="axes is empty"):
        F.irfftn(x, axes=())


def test_fftfreq_and_rfftfreq_are_constants():
    for name, expected in (("fftfreq", [0.0, 0.5, -1.0, -0.5]), ("rfftfreq", [0.0, 0.5, 1.0])):
        info = REGISTRY[f"numpy.fft.{name}"]
        assert info.kind == "constant" and info.module == "numpy.fft"
        np.testing.assert_array_equal(info.function(4, 0.5), expected)
        # A traced spacing is used by value: the frequencies are constants.
        seen = []
        at.grad(lambda d: seen.append(info.function(4, d)) or d * 1.0)(0.5)
        assert type(seen[0]) is np.ndarray
        np.testing.assert_array_equal(seen[0], expected)


# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


def _traced(f, x):
    return at.vjp(f, x)


def test_errors_name_the_function_and_the_fix():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"numpy\.fft\.fft: the number of points n=0 must be at least 1"):
        _traced(lambda a: np.fft.fft(a, 0), x)
    with pytest.raises(ValueError, match=r"numpy\.fft\.fft: the number of points n=0"):
        F.fft(x, 0)  # outside a transform: NumPy refuses, then autotape's message
    with pytest.raises(ValueError, match=r"irfft: .*n=0.*2 \(m - 1\) for the m = 1 points"):
        _traced(lambda a: np.fft.irfft(a, axis=0), np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"rfft: axis 2 is out of range for an array of shape \(2, 3\)"):
        _traced(lambda a: np.fft.rfft(a, axis=2), x)
    with pytest.raises(ValueError, match="needs at least one dimension"):
        _traced(lambda a: np.fft.fft(a), np.float64(1.0))
    with pytest.raises(ValueError, match=r'ifft2: norm=.?sideways.? is not a normalization; use "backward"'):
        _traced(lambda a: np.fft.ifft2(a, norm="sideways"), x)
    with pytest.raises(ValueError, match=r"hfft: norm="):
        F.hfft(x, norm="Ortho")
    with pytest.raises(ValueError, match=r"fftn: s=\[2\] and axes=\[0, 1\] differ in length"):
        _traced(lambda a: np.fft.fftn(a, s=(2,), axes=(0, 1)), x)
    with pytest.raises(ValueError, match=r"rfftn: axis 3 in axes"):
        _traced(lambda a: np.fft.rfftn(a, axes=(0, 3)), x)
    with pytest.raises(TypeError, match=r"numpy\.fft\.fft: the argument out= is not supported on traced values"):
        _traced(lambda a: np.fft.fft(a, out=np.empty((2, 3), complex)), x)
    with pytest.raises(TypeError, match=r"numpy\.fft\.rfft: the input is complex \(complex128\); use fft"):
        _traced(lambda a: np.fft.rfft(a), x + 1j)  # real input only, as NumPy
    with pytest.raises(TypeError, match=r"numpy\.fft\.rfft2: the input is complex"):
        F.rfft2(x + 1j)
    with pytest.raises(TypeError, match=r"numpy\.fft\.ihfft: the input is complex"):
        F.ihfft(x + 1j)


def test_out_works_outside_a_transform_as_numpy():
    x = np.arange(4.0)
    out = np.empty(4, complex)
    assert F.fft(x, out=out) is out
    np.testing.assert_allclose(out, np.fft.fft(x))

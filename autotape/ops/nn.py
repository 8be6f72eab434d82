"""Normalizing functions of neural networks: softmax and log-softmax along an axis."""

from __future__ import annotations

from typing import Union

import numpy as np
from jaxtyping import Float

from .._types import Array, Nested
from ..primitive import Primitive
from .reductions import normalize_axes, shifted_log_normalizer

__all__ = ["softmax", "log_softmax"]


def _softmax_fwd(x, *, axis=-1):
    (ax,) = normalize_axes("softmax", axis, np.ndim(x))
    _, shifted, log_sum = shifted_log_normalizer(x, (ax,))
    out = np.exp(shifted - log_sum)
    return out, (out, ax)


def _softmax_vjp(g, out, ax):
    return out * (g - np.sum(g * out, axis=ax, keepdims=True))


def _log_softmax_fwd(x, *, axis=-1):
    (ax,) = normalize_axes("log_softmax", axis, np.ndim(x))
    _, shifted, log_sum = shifted_log_normalizer(x, (ax,))
    out = shifted - log_sum
    return out, (np.exp(out), ax)


def _log_softmax_vjp(g, probabilities, ax):
    return g - probabilities * np.sum(g, axis=ax, keepdims=True)


_softmax = Primitive(_softmax_fwd, name="softmax", check=_softmax_fwd).defvjp(_softmax_vjp)
_log_softmax = Primitive(_log_softmax_fwd, name="log_softmax", check=_log_softmax_fwd).defvjp(_log_softmax_vjp)


def softmax(x: Union[Float[Array, "*shape"], Nested], axis: int = -1) -> Float[Array, "*shape"]:
    """:math:`e^{x_i} / \\sum_j e^{x_j}` along ``axis`` (``scipy.special.softmax``).

    Stable for large inputs (the maximum is subtracted first); same shape and dtype.
    Raises ValueError for an axis out of range.
    VJP: ``s * (g - sum(g * s, axis))`` from the saved output ``s``.
    """
    return _softmax.bind(x, axis=axis)


def log_softmax(x: Union[Float[Array, "*shape"], Nested], axis: int = -1) -> Float[Array, "*shape"]:
    """``x - logsumexp(x, axis)`` (``scipy.special.log_softmax``), stable for any input.

    Same shape and dtype. Raises ValueError for an axis out of range.
    VJP: ``g - softmax(x) * sum(g, axis)``.
    """
    return _log_softmax.bind(x, axis=axis)

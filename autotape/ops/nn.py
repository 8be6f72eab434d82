"""Normalizing functions of neural networks: softmax and log-softmax along an axis."""

from __future__ import annotations

from typing import Union

import numpy as np

from .._types import Array, Float, Nested
from .reductions import Axis, normalize_axes, shifted_log_normalizer
from .registry import Spec, defprim, op

__all__ = ["softmax", "log_softmax"]


def _softmax_fwd(x, *, axis=-1):
    axes = normalize_axes("softmax", axis, np.ndim(x))
    _, shifted, log_sum = shifted_log_normalizer(x, axes)
    out = np.exp(shifted - log_sum)
    return out, (out, axes)


def _softmax_vjp(g, out, axes):
    return out * (g - np.sum(g * out, axis=axes, keepdims=True))


def _log_softmax_fwd(x, *, axis=-1):
    axes = normalize_axes("log_softmax", axis, np.ndim(x))
    _, shifted, log_sum = shifted_log_normalizer(x, axes)
    out = shifted - log_sum
    return out, (np.exp(out), axes)


def _log_softmax_vjp(g, probabilities, axes):
    return g - probabilities * np.sum(g, axis=axes, keepdims=True)


# The softmax Jacobian diag(s) - s s^T is symmetric: its VJP rule is its JVP rule.
_softmax = defprim("softmax", _softmax_fwd, (_softmax_vjp,), check=_softmax_fwd)
_log_softmax = defprim(
    "log_softmax",
    _log_softmax_fwd,
    (_log_softmax_vjp,),
    (lambda t, p, axes: t - np.sum(t * p, axis=axes, keepdims=True),),
    check=_log_softmax_fwd,
)


def _softmax_reference(x, axis=-1):
    e = np.exp(x)
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax_reference(x, axis=-1):
    return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))


@op(
    module="autotape",
    spec=Spec(lambda k: k.along_axis(), "ndim >= 1, axis default or any int", reference=_softmax_reference),
    primitives=(_softmax,),
)
def softmax(x: Union[Float[Array, "*shape"], Nested], axis: Axis = -1) -> Float[Array, "*shape"]:
    """:math:`e^{x_i} / \\sum_j e^{x_j}` along ``axis`` (``scipy.special.softmax``).

    ``axis`` is an int, a tuple of ints (normalized jointly over those axes) or
    ``None`` (over all elements). Stable for large inputs (the maximum is subtracted
    first); same shape and dtype. Raises ValueError for an axis out of range.
    VJP (and JVP, the Jacobian being symmetric): ``s * (g - sum(g * s, axis))`` from the
    saved output ``s``.
    """
    return _softmax.bind(x, axis=axis)


@op(
    module="autotape",
    spec=Spec(lambda k: k.along_axis(), "ndim >= 1, axis default or any int", reference=_log_softmax_reference),
    primitives=(_log_softmax,),
)
def log_softmax(x: Union[Float[Array, "*shape"], Nested], axis: Axis = -1) -> Float[Array, "*shape"]:
    """``x - logsumexp(x, axis)`` (``scipy.special.log_softmax``), stable for any input.

    ``axis`` as :func:`softmax`. Same shape and dtype. Raises ValueError for an axis
    out of range.
    VJP: ``g - softmax(x) * sum(g, axis)``; JVP: ``t - sum(t * softmax(x), axis)``.
    """
    return _log_softmax.bind(x, axis=axis)

"""Loss functions, numerically stable in float32 and float64.

Each takes predictions and targets of matching shapes (no silent broadcasting:
``(4,)`` against ``(4, 1)`` would train on a ``(4, 4)`` loss) and reduces with
``reduction="mean"`` (default, over all elements), ``"sum"``, or ``"none"``.
"""

from __future__ import annotations

from typing import Literal, Union

import numpy as np

from . import ops
from ._types import Array, Float, Integer, Nested
from .primitive import Primitive
from .tracer import Traced, concrete, primal

__all__ = ["mse", "bce_with_logits", "softmax_cross_entropy"]

Reduction = Literal["mean", "sum", "none"]


def _reduce(loss_name: str, values, reduction: str):
    if reduction == "mean":
        return ops.mean(values)
    if reduction == "sum":
        return ops.sum(values)
    if reduction == "none":
        return values
    raise ValueError(f"{loss_name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


# The annotations give targets their own dimension names: matching shapes is checked
# by _same_shape, whose ValueError names both shapes, also when annotations are checked.
def _shape_of(x) -> tuple:
    x = concrete(x)  # a shape: every tape stripped, at.jit's included
    return x.shape if type(x) is np.ndarray else np.shape(x)


def _same_shape(loss_name: str, prediction, target, pred_name: str, target_name: str) -> None:
    ps, ts = _shape_of(prediction), _shape_of(target)
    if ps != ts:
        raise ValueError(
            f"{loss_name}: {pred_name} have shape {ps} but {target_name} have shape {ts}; they "
            "must match exactly (broadcasting them would silently compute a different loss). "
            f"Reshape one, e.g. {target_name.split()[-1]}.reshape({pred_name}.shape)."
        )


def mse(
    prediction: Union[Float[Array, "*shape"], Nested],
    target: Union[Float[Array, "*target_shape"], Nested],
    reduction: Reduction = "mean",
) -> Float[Array, ...]:
    """Mean squared error :math:`\\frac{1}{n}\\sum_i (p_i - t_i)^2` (``torch.nn.functional.mse_loss``).

    Args:
        prediction, target: float arrays of the same shape.
        reduction: ``"mean"`` (scalar), ``"sum"`` (scalar) or ``"none"`` (per element).
    Raises:
        ValueError: the shapes differ, or an unknown ``reduction``.
    """
    _same_shape("mse", prediction, target, "predictions", "targets")
    if reduction == "none":
        residual = ops.subtract(prediction, target)
        return ops.multiply(residual, residual)
    if reduction not in ("mean", "sum"):
        raise ValueError(f"mse: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return _squared_error.bind(prediction, target, mean=reduction == "mean")


def _squared_error_fwd(prediction, target, *, mean):
    residual = np.subtract(prediction, target)
    total = np.add.reduce(residual * residual, axis=None)
    if not mean:
        return total, (residual, 2)
    # Dividing a NumPy scalar: the mean of no elements is NaN (with NumPy's warning), as in numpy.mean.
    return total / residual.size, (residual, 2 / max(residual.size, 1))


# One entry for the whole reduced loss: d/dp of scale * sum((p - t)^2) is 2 * scale * (p - t).
# JVP: the directional derivative 2 * scale * sum((p - t) * (dp - dt)).
_squared_error = (
    Primitive(_squared_error_fwd, name="mse")
    .defvjp(
        lambda g, residual, factor: (g * factor) * residual,
        lambda g, residual, factor: (g * -factor) * residual,
    )
    .defjvp(
        lambda t, residual, factor: factor * np.sum(t * residual),
        lambda t, residual, factor: -factor * np.sum(t * residual),
    )
)


def _bce_fwd(z, y):
    # max(z, 0) - z*y + log1p(exp(-|z|)): exp never sees a positive argument.
    loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return loss, (z, y)


def _bce_vjp_logits(g, z, y):
    return g * (ops.sigmoid(z) - y)


def _bce_vjp_targets(g, z, y):
    return -g * z


# Elementwise, so each VJP rule (multiplication by the derivative) is also the JVP rule.
_bce_elementwise = (
    Primitive(_bce_fwd, name="bce_with_logits")
    .defvjp(_bce_vjp_logits, _bce_vjp_targets)
    .defjvp(_bce_vjp_logits, _bce_vjp_targets)
)


def bce_with_logits(
    logits: Union[Float[Array, "*shape"], Nested],
    targets: Union[Float[Array, "*target_shape"], Nested],
    reduction: Reduction = "mean",
) -> Float[Array, ...]:
    """Binary cross-entropy of ``sigmoid(logits)`` against ``targets`` in [0, 1].

    Per element: :math:`-y \\log \\sigma(z) - (1-y) \\log(1-\\sigma(z))`, computed as
    :math:`\\max(z, 0) - z y + \\log(1 + e^{-|z|})` so it is finite and exact for
    logits of any size, ±1000 included (the form of
    ``torch.nn.functional.binary_cross_entropy_with_logits``). Its VJP is
    ``g * (sigmoid(z) - y)`` for the logits and ``-g * z`` for the targets.

    Args:
        logits: float array of any shape.
        targets: float array (0/1 labels or probabilities) of the same shape.
        reduction: ``"mean"``, ``"sum"`` or ``"none"``.
    Raises:
        ValueError: the shapes differ, or an unknown ``reduction``.
    """
    _same_shape("bce_with_logits", logits, targets, "logits", "targets")
    return _reduce("bce_with_logits", _bce_elementwise.bind(logits, targets), reduction)


def softmax_cross_entropy(
    logits: Union[Float[Array, "n classes"], Nested],
    labels: Union[Integer[Array, " label_rows"], Float[Array, "*label_shape"], Nested],
    reduction: Reduction = "mean",
) -> Float[Array, ...]:
    """Cross-entropy of ``softmax(logits)`` against class labels, per row.

    :math:`-\\sum_c y_c \\log \\mathrm{softmax}(z)_c`, with the log-softmax computed via
    logsumexp so it is stable for any logits (``torch.nn.functional.cross_entropy``).

    Args:
        logits: float array ``(n, classes)``.
        labels: integer class ids ``(n,)`` in ``[0, classes)``, or float one-hot (or
            probability) rows ``(n, classes)``.
        reduction: ``"mean"`` over rows (default), ``"sum"``, or ``"none"`` (shape ``(n,)``).
    Raises:
        ValueError: shapes that do not fit the above, or class ids out of range.
    """
    z_shape = np.shape(primal(logits))
    raw_labels = primal(labels)
    if len(z_shape) != 2:
        raise ValueError(f"softmax_cross_entropy: logits must have shape (n, classes), got {z_shape}")
    log_p = ops.log_softmax(logits, axis=-1)
    recorded = type(raw_labels) is Traced  # labels that at.jit records: checked and gathered on the recording
    if np.result_type(raw_labels).kind in "iu":
        ids = raw_labels if recorded else np.asarray(raw_labels)
        if ids.shape != z_shape[:1]:
            raise ValueError(
                f"softmax_cross_entropy: integer labels must have shape {z_shape[:1]} for logits of "
                f"shape {z_shape}, got {ids.shape}"
            )
        if ids.size and (ids.min() < 0 or ids.max() >= z_shape[1]):
            raise ValueError(
                f"softmax_cross_entropy: class ids must be in [0, {z_shape[1]}), got values from "
                f"{ids.min()} to {ids.max()}"
            )
        per_row = ops.negative(ops.getitem(log_p, (np.arange(z_shape[0]), ids)))
    else:
        if np.ndim(raw_labels) == 1:
            raise ValueError(
                f"softmax_cross_entropy: labels of shape {np.shape(raw_labels)} and dtype "
                f"{np.result_type(raw_labels)} for logits of shape {z_shape}: class ids must be "
                "integers (labels.astype(int)), or give one-hot rows of the logits' shape"
            )
        _same_shape("softmax_cross_entropy", logits, labels, "logits", "one-hot labels")
        per_row = ops.negative(ops.sum(ops.multiply(labels, log_p), axis=-1))
    return _reduce("softmax_cross_entropy", per_row, reduction)

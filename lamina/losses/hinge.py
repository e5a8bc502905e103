"""Hinge losses for maximum-margin classifiers: hinge, squared hinge, categorical hinge.

`y_true` holds -1/1 labels; 0/1 labels are converted to -1/1 (when every label is 0 or 1).
Shapes `(batch, ..., d)` -> per-sample `(batch, ...)`.
"""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.losses.loss import LossFunctionWrapper, builtin, mean_last, prepare
from lamina.ops import math, reduce


def convert_binary_labels_to_hinge(y_true):
    """0/1 labels -> -1/1; labels that are not all 0 or 1 are returned unchanged."""
    a = y_true.data if isinstance(y_true, Tensor) else np.asarray(y_true)
    if not np.all((a == 0) | (a == 1)):
        return y_true
    return math.subtract(math.multiply(y_true, 2.0), 1.0) if isinstance(y_true, Tensor) else 2.0 * a - 1.0


def _margin(y_true, y_pred):
    y_true, y_pred = prepare(y_true, y_pred)
    y_true = convert_binary_labels_to_hinge(y_true)
    return math.maximum(math.subtract(1.0, math.multiply(y_true, y_pred)), 0.0)


@builtin
def hinge(y_true, y_pred):
    """mean(maximum(1 - y_true * y_pred, 0), axis=-1)."""
    return mean_last(_margin(y_true, y_pred))


@builtin
def squared_hinge(y_true, y_pred):
    """mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)."""
    return mean_last(math.square(_margin(y_true, y_pred)))


@builtin
def categorical_hinge(y_true, y_pred):
    """maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) over the last axis."""
    y_true, y_pred = prepare(y_true, y_pred)
    pos = reduce.sum(math.multiply(y_true, y_pred), axis=-1)
    neg_mask = math.subtract(1.0, y_true) if isinstance(y_true, Tensor) else 1.0 - y_true
    neg = reduce.max(math.multiply(neg_mask, y_pred), axis=-1)
    return math.maximum(math.add(math.subtract(neg, pos), 1.0), 0.0)


class Hinge(LossFunctionWrapper):
    """`maximum(1 - y_true * y_pred, 0)` averaged over the last axis."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """`square(maximum(1 - y_true * y_pred, 0))` averaged over the last axis."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Margin between the true class's score and the best wrong class's score."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)


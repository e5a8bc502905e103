"""Overlap losses for segmentation: Dice and Tversky (Keras 3's formulas and defaults).

Both compare soft masks: y_true in {0, 1}, y_pred in [0, 1] (e.g. sigmoid outputs), summed
over `axis` (None: every entry, giving one scalar for the whole batch; e.g. (1, 2, 3) for
(batch, h, w, 1) masks gives one loss per image).
"""

from lamina.engine import dtypes
from lamina.losses.loss import LossFunctionWrapper, builtin, convert_pair
from lamina.ops import math, reduce


@builtin
def dice(y_true, y_pred, axis=None):
    """1 - 2 sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon), over `axis`."""
    y_true, y_pred = convert_pair(y_true, y_pred)
    intersection = reduce.sum(math.multiply(y_true, y_pred), axis=axis)
    total = math.add(reduce.sum(y_true, axis=axis), reduce.sum(y_pred, axis=axis))
    return math.subtract(
        1.0, math.divide(math.multiply(intersection, 2.0), math.add(total, dtypes.epsilon()))
    )


@builtin
def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """1 - I / (I + alpha * sum(y_true (1 - y_pred)) + beta * sum((1 - y_true) y_pred) + epsilon)
    with I = sum(y_true * y_pred), over `axis`. alpha = beta = 0.5 gives the Dice loss.

    (alpha weighs the missed positives and beta the false alarms, as in Keras's code.)
    """
    y_true, y_pred = convert_pair(y_true, y_pred)
    intersection = reduce.sum(math.multiply(y_true, y_pred), axis=axis)
    missed = reduce.sum(math.multiply(y_true, math.subtract(1.0, y_pred)), axis=axis)
    false_alarms = reduce.sum(math.multiply(math.subtract(1.0, y_true), y_pred), axis=axis)
    denom = math.add(math.add(intersection, math.multiply(missed, float(alpha))),
                     math.add(math.multiply(false_alarms, float(beta)), dtypes.epsilon()))  # fmt: skip
    return math.subtract(1.0, math.divide(intersection, denom))


class Dice(LossFunctionWrapper):
    """The Dice loss (1 - the Dice coefficient) as a `Loss`; see `dice`."""

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Tversky(LossFunctionWrapper):
    """The Tversky loss as a `Loss`; see `tversky`."""

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):  # fmt: skip
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha,
                         beta=beta, axis=axis)  # fmt: skip


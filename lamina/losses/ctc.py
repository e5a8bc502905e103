"""The CTC loss (Connectionist Temporal Classification) for unaligned label sequences, as
keras.losses.CTC: logits in, the blank is class 0."""

import numpy as np

from lamina.losses.loss import LossFunctionWrapper, builtin
from lamina.ops import core


@builtin
def ctc(y_true, y_pred):
    """CTC loss of logits y_pred (batch, time, classes) for integer labels y_true
    (batch, max_label); class 0 is the blank and pads the labels (Keras's convention)."""
    labels = np.asarray(core.convert_to_numpy(y_true))
    if labels.ndim != 2 or len(y_pred.shape) != 3:
        raise ValueError(
            f"ctc: y_true must be (batch, max_label) and y_pred (batch, time, classes), got shapes "
            f"{labels.shape} and {tuple(y_pred.shape)}"
        )
    from lamina.ops.ctc import ctc_loss  # noqa: PLC0415  (rarely used; keeps losses light)

    batch, steps = y_pred.shape[0], y_pred.shape[1]
    return ctc_loss(
        labels.astype(np.int32),
        y_pred,
        np.sum(labels != 0, axis=-1),
        np.full(batch, steps),
        mask_index=0,
    )


class CTC(LossFunctionWrapper):
    """The CTC loss as a `Loss`; see `ctc`."""

    _cast_true = False

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)

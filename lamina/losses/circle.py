"""The Circle loss (Sun et al., 2020) for metric learning and the Generalized Cross Entropy
(Zhang & Sabuncu, 2018) for noisy labels, with Keras 3's formulas and defaults."""

import numpy as np

from lamina.losses.loss import LossFunctionWrapper, builtin, convert_pair
from lamina.ops import core, linalg, math, nn, reduce
from lamina.ops.shape import transpose


def _pos_neg_masks(labels, ref_labels, remove_diagonal):
    q = np.asarray(labels).reshape(-1, 1)
    k = np.asarray(ref_labels).reshape(-1, 1)
    positive = q == k.T
    negative = ~positive
    if remove_diagonal:
        positive &= ~np.eye(q.shape[0], k.shape[0], dtype=bool)
    return positive, negative


@builtin
def circle(
    y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4
):
    """Per-sample Circle loss of L2-normalized embeddings `y_pred` (batch, dim) with integer
    labels `y_true`: softplus(logsumexp over positives + logsumexp over negatives) of the
    self-paced, margin-shifted cosine distances to `ref_embeddings` (default: the batch)."""
    labels = np.asarray(core.convert_to_numpy(y_true)).astype(np.int32).reshape(-1)
    _, y_pred = convert_pair(None, y_pred)
    ref = y_pred if ref_embeddings is None else convert_pair(None, ref_embeddings)[1]
    ref_labels = (
        labels
        if ref_labels is None
        else np.asarray(core.convert_to_numpy(ref_labels)).astype(np.int32)
    )
    positive, negative = _pos_neg_masks(labels, ref_labels, remove_diagonal)
    dist = math.maximum(math.subtract(1.0, linalg.matmul(y_pred, transpose(ref))), 0.0)
    pos_weights = math.maximum(
        math.multiply(math.add(margin, dist), positive.astype(np.float32)), 0.0
    )
    neg_weights = math.maximum(
        math.multiply(math.subtract(1 + margin, dist), negative.astype(np.float32)), 0.0
    )
    pos_logits = math.multiply(
        math.multiply(pos_weights, math.subtract(margin, dist)), -float(gamma)
    )
    neg_logits = math.multiply(
        math.multiply(neg_weights, math.subtract(1 - margin, dist)), float(gamma)
    )
    p_loss = reduce.logsumexp(math.where(positive, pos_logits, -np.inf), axis=1)
    n_loss = reduce.logsumexp(math.where(negative, neg_logits, -np.inf), axis=1)
    out = nn.softplus(math.add(p_loss, n_loss))
    out._keras_mask = out.data > 0  # as Keras: samples without a positive pair do not count
    return out


class Circle(LossFunctionWrapper):
    """The Circle loss as a `Loss` (see `circle`); y_true: integer labels (batch,)."""

    _cast_true = False

    def __init__(
        self,
        gamma=80.0,
        margin=0.4,
        remove_diagonal=True,
        reduction="sum_over_batch_size",
        name="circle",
        dtype=None,
    ):
        super().__init__(
            circle,
            name=name,
            reduction=reduction,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )


@builtin
def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """(1 - p^q) / q with p the predicted probability of the true (integer) class."""
    _, y_pred = convert_pair(None, y_pred)
    labels = np.asarray(core.convert_to_numpy(y_true)).astype(np.int64).reshape(-1)
    onehot = np.eye(y_pred.shape[-1], dtype=y_pred.dtype)[labels]
    p = reduce.sum(math.multiply(y_pred, onehot), axis=-1)
    return math.divide(math.subtract(1.0, math.power(p, float(q))), float(q))


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized Cross Entropy as a `Loss`; q in (0, 1): near 0 like cross entropy, near 1
    like mean absolute error (more robust to noisy labels)."""

    _cast_true = False

    def __init__(
        self,
        q=0.5,
        reduction="sum_over_batch_size",
        name="categorical_generalized_cross_entropy",
        dtype=None,
    ):
        if not 0 < q < 1:
            raise ValueError(f"CategoricalGeneralizedCrossEntropy: q must be in (0, 1), got {q}")
        super().__init__(
            categorical_generalized_cross_entropy, name=name, reduction=reduction, dtype=dtype, q=q
        )

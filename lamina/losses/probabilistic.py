"""Probabilistic losses: binary/categorical/sparse cross-entropies (plain and focal), KL, Poisson.

The cross-entropies go straight to the fused ops in `lamina.ops.nn`, which clip
probabilities to [epsilon, 1 - epsilon] as Keras does, or use the exact logits formulas
when `from_logits=True` or when `y_pred` came out of the activation the loss assumes
(`_keras_logits`: a softmax for the categorical losses, a sigmoid for the binary one). Shapes: `y_true`, `y_pred` `(batch, ..., classes)`;
sparse labels `(batch, ...)` or `(batch, ..., 1)`; results `(batch, ...)`.
"""
import warnings

import numpy as np

from lamina.engine import dtypes
from lamina.engine.tensor import Tensor
from lamina.losses.loss import LossFunctionWrapper, builtin, convert_pair, mean_last, prepare
from lamina.ops import math, nn, reduce


def _affine(y, scale, shift):
    """y * scale + shift on a constant array (no ops) or a Tensor (differentiable)."""
    if isinstance(y, Tensor):
        return math.add(math.multiply(y, scale), shift)
    return y * scale + shift


@builtin
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """mean(-(y log p + (1 - y) log(1 - p)), axis); smoothing squeezes labels towards 0.5."""
    y_true, y_pred = prepare(y_true, y_pred)
    if label_smoothing:
        y_true = _affine(y_true, 1.0 - label_smoothing, 0.5 * label_smoothing)
    return mean_last(nn.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis)


@builtin
def binary_focal_crossentropy(
    y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
    label_smoothing=0.0, axis=-1,
):  # fmt: skip
    """Binary cross-entropy scaled by (1 - p_t)^gamma (Lin et al., 2018), mean over `axis`.

    p_t is the probability given to the true class; with class balancing, positives are
    weighted by `alpha` and negatives by `1 - alpha`.
    """
    y_true, y_pred = prepare(y_true, y_pred)
    if label_smoothing:
        y_true = _affine(y_true, 1.0 - label_smoothing, 0.5 * label_smoothing)
    if from_logits:
        y_pred = nn.sigmoid(y_pred)
    bce = nn.binary_crossentropy(y_true, y_pred, from_logits=False)
    one_minus_t = _affine(y_true, -1.0, 1.0)
    p_t = math.add(math.multiply(y_true, y_pred), math.multiply(one_minus_t, math.subtract(1.0, y_pred)))
    focal = math.multiply(math.power(math.subtract(1.0, p_t), gamma), bce)
    if apply_class_balancing:
        focal = math.multiply(_affine(y_true, 2 * alpha - 1.0, 1.0 - alpha), focal)
    return mean_last(focal, axis)


def _smooth_categorical(y_true, label_smoothing, axis):
    n = np.shape(y_true.data if isinstance(y_true, Tensor) else y_true)[axis]
    return _affine(y_true, 1.0 - label_smoothing, label_smoothing / n)


def _warn_single_class(fn, y_pred):
    if y_pred.data.ndim and y_pred.data.shape[-1] == 1:
        warnings.warn(
            f"In loss {fn}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={y_pred.data.shape}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis!r} of type {type(axis)}")


@builtin
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """-sum(y_true * log(softmax or clipped probabilities), axis) for one-hot `y_true`."""
    _check_axis(axis)
    y_true, y_pred = prepare(y_true, y_pred)
    _warn_single_class("categorical_crossentropy", y_pred)
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing, axis)
    return nn.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


@builtin
def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """sum(alpha * (1 - p)^gamma * -y_true log p, axis), p renormalized and clipped."""
    _check_axis(axis)
    y_true, y_pred = prepare(y_true, y_pred)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    if label_smoothing:
        y_true = _smooth_categorical(y_true, label_smoothing, axis)
    if from_logits:
        y_pred = nn.softmax(y_pred, axis=axis)
    eps = dtypes.epsilon()
    p = math.clip(math.divide(y_pred, reduce.sum(y_pred, axis=axis, keepdims=True)), eps, 1.0 - eps)
    cce = math.multiply(math.negative(y_true), math.log(p))
    weight = math.multiply(math.power(math.subtract(1.0, p), gamma), alpha)
    return reduce.sum(math.multiply(weight, cce), axis=axis)


def _labels(y_true):
    return np.asarray(y_true.data if isinstance(y_true, Tensor) else y_true)


@builtin
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """-log p[label] per sample for integer labels `(batch, ...)` or `(batch, ..., 1)`.

    With `ignore_class`, those entries get loss 0 and a mask, so the mean reductions
    average over the other entries only.
    """
    if not isinstance(y_pred, Tensor) or y_pred.data.dtype.kind != "f":
        _, y_pred = convert_pair(None, y_pred)
    labels = _labels(y_true)
    if labels.ndim == y_pred.data.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if ignore_class is None:
        return nn.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits, axis=axis)
    valid = labels != ignore_class
    labels = np.where(valid, labels, 0)
    y_pred = math.multiply(y_pred, valid[..., None].astype(y_pred.data.dtype))
    res = nn.sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits, axis=axis)
    res = math.where(valid, res, 0.0)
    res._keras_mask = valid
    return res


@builtin
def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred), axis=-1), both clipped to [epsilon, 1]."""
    y_true, y_pred = prepare(y_true, y_pred)
    eps = dtypes.epsilon()
    t = math.clip(y_true, eps, 1.0)
    p = math.clip(y_pred, eps, 1.0)
    return reduce.sum(math.multiply(t, math.log(math.divide(t, p))), axis=-1)


@builtin
def poisson(y_true, y_pred):
    """mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)."""
    y_true, y_pred = prepare(y_true, y_pred)
    log_p = math.log(math.add(y_pred, dtypes.epsilon()))
    return mean_last(math.subtract(y_pred, math.multiply(y_true, log_p)))


# --- classes ------------------------------------------------------------------------------


class BinaryCrossentropy(LossFunctionWrapper):
    """Cross-entropy for 0/1 labels; `from_logits=True` takes raw scores (recommended)."""

    def __init__(
        self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
        name="binary_crossentropy", dtype=None,
    ):  # fmt: skip
        super().__init__(
            binary_crossentropy, name=name, reduction=reduction, dtype=dtype,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Focal binary cross-entropy: down-weights easy examples by (1 - p_t)^gamma."""

    def __init__(
        self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
        label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
        name="binary_focal_crossentropy", dtype=None,
    ):  # fmt: skip
        super().__init__(
            binary_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
            apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for one-hot labels `(batch, classes)`."""

    def __init__(
        self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
        name="categorical_crossentropy", dtype=None,
    ):  # fmt: skip
        super().__init__(
            categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Alpha-balanced focal cross-entropy for one-hot labels."""

    def __init__(
        self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
        reduction="sum_over_batch_size", name="categorical_focal_crossentropy", dtype=None,
    ):  # fmt: skip
        super().__init__(
            categorical_focal_crossentropy, name=name, reduction=reduction, dtype=dtype,
            alpha=alpha, gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing,
            axis=axis,
        )  # fmt: skip


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy for integer labels; `ignore_class` masks a 'void' label out."""

    _cast_true = False  # integer labels stay integers

    def __init__(
        self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
        name="sparse_categorical_crossentropy", dtype=None,
    ):  # fmt: skip
        super().__init__(
            sparse_categorical_crossentropy, name=name, reduction=reduction, dtype=dtype,
            from_logits=from_logits, ignore_class=ignore_class,
        )  # fmt: skip


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence `y_true * log(y_true / y_pred)`, summed over classes."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """Poisson negative log-likelihood `y_pred - y_true * log(y_pred)` (up to a constant)."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


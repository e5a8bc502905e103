"""Accuracy metrics: exact, binary (thresholded), categorical, sparse, and top-k.

Per-sample functions return float32 Tensors of shape `(batch,)` (or the label shape);
the classes keep their running (weighted) mean. Shapes: `y_pred` `(batch, classes)`;
one-hot `y_true` `(batch, classes)`; sparse labels `(batch,)` or `(batch, 1)`.
"""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.losses.loss import squeeze_or_expand_to_same_rank
from lamina.metrics.metric import to_numpy
from lamina.metrics.reduction import MeanMetricWrapper

_F32 = np.float32


def _mean_last(matches):
    """Mean of a boolean array over its last axis, as float32 (a cast when that axis is 1)."""
    if matches.ndim == 0:
        return matches.astype(_F32)
    if matches.shape[-1] == 1:
        return matches[..., 0].astype(_F32)
    return matches.mean(axis=-1, dtype=_F32)


# --- NumPy kernels (the classes call these directly) ----------------------------------------


def _accuracy(y_true, y_pred):
    p = to_numpy(y_pred)
    t = to_numpy(y_true)
    t, p = squeeze_or_expand_to_same_rank(t.astype(p.dtype, copy=False), p)
    return _mean_last(t == p)


def _binary_accuracy(y_true, y_pred, threshold=0.5):
    t, p = squeeze_or_expand_to_same_rank(to_numpy(y_true), to_numpy(y_pred))
    return _mean_last(t == (p > threshold))


def _categorical_accuracy(y_true, y_pred):
    t = to_numpy(y_true).argmax(axis=-1)
    p = to_numpy(y_pred)
    if t.ndim == p.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    return (t == p.argmax(axis=-1)).astype(_F32)


def _sparse_labels(y_true, pred_ndim):
    t = to_numpy(y_true)
    if t.ndim == pred_ndim and t.shape[-1] == 1:
        t = t[..., 0]
    return t


def _sparse_categorical_accuracy(y_true, y_pred):
    p = to_numpy(y_pred)
    t = _sparse_labels(y_true, p.ndim)
    return (t == p.argmax(axis=-1)).astype(_F32)


def _in_top_k(labels, scores, k):
    """Whether each label's score is among the k largest of its row (ties count as in)."""
    scores = scores.reshape(-1, scores.shape[-1])
    labels = labels.reshape(-1).astype(np.intp)
    target = scores[np.arange(scores.shape[0]), labels]
    return (scores > target[:, None]).sum(axis=-1) < k


def _top_k_categorical_accuracy(y_true, y_pred, k=5):
    t = to_numpy(y_true).argmax(axis=-1)
    return _in_top_k(t, to_numpy(y_pred), k).astype(_F32).reshape(t.shape)


def _sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    t = to_numpy(y_true)
    return _in_top_k(t, to_numpy(y_pred), k).astype(_F32).reshape(t.shape)


# --- public functions (Keras names; return Tensors) -----------------------------------------


def accuracy(y_true, y_pred):
    """1 where y_pred == y_true exactly, averaged over the last axis."""
    return Tensor(_accuracy(y_true, y_pred))


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1 where (y_pred > threshold) matches the 0/1 label, averaged over the last axis."""
    return Tensor(_binary_accuracy(y_true, y_pred, threshold))


def categorical_accuracy(y_true, y_pred):
    """1 where argmax(y_pred) == argmax(y_true) (one-hot labels), per sample."""
    return Tensor(_categorical_accuracy(y_true, y_pred))


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where argmax(y_pred) equals the integer label, per sample."""
    return Tensor(_sparse_categorical_accuracy(y_true, y_pred))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the one-hot label's class is among the k highest predictions."""
    return Tensor(_top_k_categorical_accuracy(y_true, y_pred, k))


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label is among the k highest predictions."""
    return Tensor(_sparse_top_k_categorical_accuracy(y_true, y_pred, k))


# --- classes --------------------------------------------------------------------------------


class _AccuracyWrapper(MeanMetricWrapper):
    def __init__(self, fn, kernel, name, dtype, **kwargs):
        super().__init__(fn=fn, name=name, dtype=dtype, **kwargs)
        self._kernel = kernel
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


class Accuracy(_AccuracyWrapper):
    """How often predictions equal labels exactly."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, _accuracy, name, dtype)


class BinaryAccuracy(_AccuracyWrapper):
    """How often `y_pred > threshold` matches the binary label."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and (threshold <= 0 or threshold >= 1):
            raise ValueError(
                f"Invalid value for argument `threshold`: expected a value in (0, 1), "
                f"got threshold={threshold}"
            )
        super().__init__(binary_accuracy, _binary_accuracy, name, dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(_AccuracyWrapper):
    """How often argmax(y_pred) matches argmax of the one-hot label."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, _categorical_accuracy, name, dtype)


class SparseCategoricalAccuracy(_AccuracyWrapper):
    """How often argmax(y_pred) matches the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, _sparse_categorical_accuracy, name, dtype)


class TopKCategoricalAccuracy(_AccuracyWrapper):
    """How often the one-hot label is in the top `k` predictions."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, _top_k_categorical_accuracy, name, dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(_AccuracyWrapper):
    """How often the integer label is in the top `k` predictions."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(
            sparse_top_k_categorical_accuracy, _sparse_top_k_categorical_accuracy, name, dtype, k=k
        )
        self.k = k

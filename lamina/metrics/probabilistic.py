"""Probabilistic and hinge metrics: cross-entropies, KL divergence, Poisson, hinge losses.

NumPy kernels with the formulas of the matching `lamina.losses` functions, averaged over
samples. As in the losses, a `y_pred` produced by the activation the formula assumes
(softmax for the categorical ones, sigmoid for the binary one) is scored from its logits
(`_keras_logits`); otherwise probabilities are clipped to [epsilon, 1 - epsilon].
"""
import numpy as np

from lamina.engine import dtypes
from lamina.ops.nn import logits_for
from lamina.losses import probabilistic as loss_fns
from lamina.losses.hinge import categorical_hinge, hinge, squared_hinge
from lamina.metrics.metric import as_float, to_numpy
from lamina.metrics.reduction import MeanMetricWrapper
from lamina.metrics.regression import mean_last, pair


def _scores(y_pred, from_logits, activation):
    """(array, from_logits): the cached logits of an output of `activation` when present (a
    softmax output scored by a binary cross-entropy keeps its probabilities, as in the losses)."""
    logits = logits_for(y_pred, activation)
    if logits is not None:
        return to_numpy(logits), True
    return as_float(y_pred), from_logits


def _log_softmax(z, axis):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    p, from_logits = _scores(y_pred, from_logits, "sigmoid")
    t, p = pair(y_true, p)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        bce = np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))
    else:
        eps = dtypes.epsilon()
        p = np.clip(p, eps, 1 - eps)
        bce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return bce.mean(axis=axis) if bce.ndim else bce


def _categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    p, from_logits = _scores(y_pred, from_logits, "softmax")
    t, p = pair(y_true, p)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / t.shape[axis]
    if from_logits:
        log_p = _log_softmax(p, axis)
    else:
        eps = dtypes.epsilon()
        log_p = np.log(np.clip(p / p.sum(axis=axis, keepdims=True), eps, 1 - eps))
    return -(t * log_p).sum(axis=axis)


def _sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    z, from_logits = _scores(y_pred, from_logits, "softmax")
    labels = to_numpy(y_true)
    if labels.ndim == z.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if not from_logits:  # Keras: the log of the clipped probabilities serves as logits
        eps = dtypes.epsilon()
        z = np.log(np.clip(z, eps, 1 - eps))
    log_p = _log_softmax(z, -1)
    idx = labels.astype(np.intp)[..., None]
    return -np.take_along_axis(log_p, idx, axis=-1)[..., 0]


def _kl_divergence(y_true, y_pred):
    t, p = pair(y_true, y_pred)
    eps = dtypes.epsilon()
    t = np.clip(t, eps, 1)
    p = np.clip(p, eps, 1)
    return (t * np.log(t / p)).sum(axis=-1)


def _poisson(y_true, y_pred):
    t, p = pair(y_true, y_pred)
    return mean_last(p - t * np.log(p + dtypes.epsilon()))


def _hinge_pair(y_true, y_pred):
    t, p = pair(y_true, y_pred)
    if np.all((t == 0) | (t == 1)):
        t = 2 * t - 1
    return t, p


def _hinge(y_true, y_pred):
    t, p = _hinge_pair(y_true, y_pred)
    return mean_last(np.maximum(1 - t * p, 0))


def _squared_hinge(y_true, y_pred):
    t, p = _hinge_pair(y_true, y_pred)
    m = np.maximum(1 - t * p, 0)
    return mean_last(m * m)


def _categorical_hinge(y_true, y_pred):
    t, p = pair(y_true, y_pred)
    pos = (t * p).sum(axis=-1)
    neg = ((1 - t) * p).max(axis=-1)
    return np.maximum(neg - pos + 1, 0)


class _Wrapper(MeanMetricWrapper):
    def __init__(self, fn, kernel, name, dtype, **kwargs):
        super().__init__(fn=fn, name=name, dtype=dtype, **kwargs)
        self._kernel = kernel
        self._direction = "down"
        for key, value in kwargs.items():
            setattr(self, key, value)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


class BinaryCrossentropy(_Wrapper):
    """Running mean of the binary cross-entropy (labels 0/1)."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0):
        super().__init__(
            loss_fns.binary_crossentropy, _binary_crossentropy, name, dtype,
            from_logits=from_logits, label_smoothing=label_smoothing,
        )  # fmt: skip


class CategoricalCrossentropy(_Wrapper):
    """Running mean of the categorical cross-entropy (one-hot labels)."""

    def __init__(
        self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0, axis=-1
    ):
        super().__init__(
            loss_fns.categorical_crossentropy, _categorical_crossentropy, name, dtype,
            from_logits=from_logits, label_smoothing=label_smoothing, axis=axis,
        )  # fmt: skip


class SparseCategoricalCrossentropy(_Wrapper):
    """Running mean of the sparse categorical cross-entropy (integer labels)."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, axis=-1):
        if axis not in (-1,):
            raise ValueError(
                f"SparseCategoricalCrossentropy metric: only axis=-1 is supported, got axis={axis}"
            )
        super().__init__(
            loss_fns.sparse_categorical_crossentropy, _sparse_categorical_crossentropy, name, dtype,
            from_logits=from_logits, axis=axis,
        )  # fmt: skip


class KLDivergence(_Wrapper):
    """Running mean of `sum(y_true * log(y_true / y_pred), axis=-1)`."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(loss_fns.kl_divergence, _kl_divergence, name, dtype)


class Poisson(_Wrapper):
    """Running mean of `mean(y_pred - y_true * log(y_pred), axis=-1)`."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(loss_fns.poisson, _poisson, name, dtype)


class Hinge(_Wrapper):
    """Running mean of the hinge loss (0/1 labels converted to -1/1)."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(hinge, _hinge, name, dtype)


class SquaredHinge(_Wrapper):
    """Running mean of the squared hinge loss."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, _squared_hinge, name, dtype)


class CategoricalHinge(_Wrapper):
    """Running mean of the categorical hinge loss."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, _categorical_hinge, name, dtype)

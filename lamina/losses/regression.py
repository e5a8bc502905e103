"""Regression losses: MSE, MAE, MAPE, MSLE, cosine similarity, Huber, log-cosh.

Each function takes `y_true`, `y_pred` of shape `(batch, ..., d)` and returns per-sample
losses `(batch, ...)` (the mean over the last axis), after Keras's rank fix (`(n,)` targets
against `(n, 1)` predictions are compared row by row). The losses that depend only on the
error `y_pred - y_true` (MSE, MAE, Huber, log-cosh) are single fused ops: they run every
training step.
"""
import math as _math

import numpy as np

from lamina.engine import dtypes
from lamina.engine.tensor import data_of, record
from lamina.losses.loss import LossFunctionWrapper, builtin, mean_last, prepare
from lamina.ops import math, reduce

_LOG2 = _math.log(2.0)


def _mean_of_error(y_true, y_pred, f, df):
    """mean(f(y_pred - y_true), axis=-1) as one op; `df` is f' (applied only in backward)."""
    d = y_pred.data - data_of(y_true)
    vals = f(d)
    if d.ndim == 0:
        out, n = vals, 1
    else:
        n = d.shape[-1]
        out = vals[..., 0] if n == 1 else vals.mean(axis=-1)

    def backward(g, need):
        gp = df(d) * (g[..., None] / n if d.ndim else g)
        return (-gp if need[0] else None, gp if need[1] else None)

    return record(out, (y_true, y_pred), backward)


@builtin
def mean_squared_error(y_true, y_pred):
    """mean(square(y_true - y_pred), axis=-1)."""
    y_true, y_pred = prepare(y_true, y_pred)
    return _mean_of_error(y_true, y_pred, np.square, lambda d: 2 * d)


@builtin
def mean_absolute_error(y_true, y_pred):
    """mean(abs(y_true - y_pred), axis=-1)."""
    y_true, y_pred = prepare(y_true, y_pred)
    return _mean_of_error(y_true, y_pred, np.abs, np.sign)


@builtin
def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)."""
    y_true, y_pred = prepare(y_true, y_pred)
    denom = math.maximum(math.abs(y_true), dtypes.epsilon())
    diff = math.abs(math.divide(math.subtract(y_true, y_pred), denom))
    return math.multiply(mean_last(diff), 100.0)


@builtin
def mean_squared_logarithmic_error(y_true, y_pred):
    """mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)."""
    y_true, y_pred = prepare(y_true, y_pred)
    eps = dtypes.epsilon()
    first = math.log1p(math.maximum(y_pred, eps))
    second = math.log1p(math.maximum(y_true, eps))
    return mean_last(math.square(math.subtract(first, second)))


def l2_normalize(x, axis=-1):
    """x / max(norm(x), epsilon) along `axis`, with a finite gradient at the zero vector."""
    sq = reduce.sum(math.square(x), axis=axis, keepdims=True)
    return math.divide(x, math.sqrt(math.maximum(sq, dtypes.epsilon() ** 2)))


@builtin
def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): -1 for aligned vectors.

    The sign makes it a loss to minimize (Keras's convention); the metric
    `lamina.metrics.CosineSimilarity` reports the positive similarity.
    """
    y_true, y_pred = prepare(y_true, y_pred)
    prod = math.multiply(l2_normalize(y_true, axis), l2_normalize(y_pred, axis))
    return math.negative(reduce.sum(prod, axis=axis))


@builtin
def huber(y_true, y_pred, delta=1.0):
    """mean(0.5 e^2 if |e| <= delta else delta |e| - 0.5 delta^2, axis=-1), e = y_pred - y_true."""
    y_true, y_pred = prepare(y_true, y_pred)
    delta = float(delta)

    def f(d):
        a = np.abs(d)
        return np.where(a <= delta, 0.5 * d * d, delta * a - 0.5 * delta * delta).astype(d.dtype, copy=False)

    return _mean_of_error(y_true, y_pred, f, lambda d: np.clip(d, -delta, delta))


@builtin
def log_cosh(y_true, y_pred):
    """mean(log(cosh(y_pred - y_true)), axis=-1), computed as e + softplus(-2e) - log 2."""
    y_true, y_pred = prepare(y_true, y_pred)

    def f(d):
        out = np.logaddexp(0, -2 * d)
        out += d
        out -= _LOG2
        return out

    return _mean_of_error(y_true, y_pred, f, np.tanh)


# --- classes ------------------------------------------------------------------------------


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squares of errors: `mean(square(y_true - y_pred))`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors: `mean(abs(y_true - y_pred))`."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """`100 * mean(abs((y_true - y_pred) / y_true))`, the divisor floored at epsilon."""

    def __init__(
        self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None
    ):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """`mean(square(log(y_true + 1) - log(y_pred + 1)))`, inputs floored at epsilon."""

    def __init__(
        self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None
    ):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along `axis` (so minimizing aligns the vectors)."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Huber(LossFunctionWrapper):
    """Quadratic for |error| <= delta, linear beyond (robust regression)."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    """`mean(log(cosh(y_pred - y_true)))`: like MSE for small errors, like MAE for large."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)


__all__ = [
    "CosineSimilarity", "Huber", "LogCosh", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "cosine_similarity", "huber", "log_cosh",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error",
]  # fmt: skip

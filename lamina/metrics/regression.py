"""Regression metrics: MSE, MAE, RMSE, MAPE, MSLE, cosine similarity, log-cosh, R^2.

Each wraps a NumPy kernel with the formula of the matching `lamina.losses` function
(mean over the last axis after Keras's rank fix), averaged over samples.
"""
import math as _math
import warnings

import numpy as np

from lamina.engine import dtypes
from lamina.losses import regression as loss_fns
from lamina.losses.loss import squeeze_or_expand_to_same_rank
from lamina.metrics.metric import Metric, as_float, to_numpy
from lamina.metrics.reduction import Mean, MeanMetricWrapper

_LOG2 = _math.log(2.0)


def pair(y_true, y_pred):
    """Float arrays, y_true in y_pred's dtype, ranks aligned (`(n,)` vs `(n, 1)` row-wise)."""
    p = as_float(y_pred)
    t = to_numpy(y_true)
    if t.dtype != p.dtype:
        t = t.astype(p.dtype)
    return squeeze_or_expand_to_same_rank(t, p)


def mean_last(x):
    if x.ndim == 0:
        return x
    return x[..., 0] if x.shape[-1] == 1 else x.mean(axis=-1)


def _mse(y_true, y_pred):
    t, p = pair(y_true, y_pred)
    d = p - t
    d *= d
    return mean_last(d)


def _mae(y_true, y_pred):
    t, p = pair(y_true, y_pred)
    d = p - t
    return mean_last(np.abs(d, out=d))


def _mape(y_true, y_pred):
    t, p = pair(y_true, y_pred)
    diff = np.abs((t - p) / np.maximum(np.abs(t), dtypes.epsilon()))
    return 100.0 * mean_last(diff)


def _msle(y_true, y_pred):
    t, p = pair(y_true, y_pred)
    eps = dtypes.epsilon()
    d = np.log1p(np.maximum(p, eps)) - np.log1p(np.maximum(t, eps))
    return mean_last(d * d)


def _l2_normalize(x, axis):
    norm = np.sqrt((x * x).sum(axis=axis, keepdims=True))
    return x / np.maximum(norm, dtypes.epsilon())


def cosine_similarity(y_true, y_pred, axis=-1):
    """sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): +1 for aligned vectors."""
    t, p = pair(y_true, y_pred)
    return (_l2_normalize(t, axis) * _l2_normalize(p, axis)).sum(axis=axis)


def _log_cosh(y_true, y_pred):
    t, p = pair(y_true, y_pred)
    d = p - t
    return mean_last(d + np.logaddexp(0, -2 * d) - _LOG2)


class _RegressionWrapper(MeanMetricWrapper):
    def __init__(self, fn, kernel, name, dtype, direction="down", **kwargs):
        super().__init__(fn=fn, name=name, dtype=dtype, **kwargs)
        self._kernel = kernel
        self._direction = direction

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


class MeanSquaredError(_RegressionWrapper):
    """Running mean of `mean(square(y_true - y_pred), axis=-1)`."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(loss_fns.mean_squared_error, _mse, name, dtype)


class MeanAbsoluteError(_RegressionWrapper):
    """Running mean of `mean(abs(y_true - y_pred), axis=-1)`."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(loss_fns.mean_absolute_error, _mae, name, dtype)


class MeanAbsolutePercentageError(_RegressionWrapper):
    """Running mean of `100 * mean(abs((y_true - y_pred) / y_true), axis=-1)`."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(loss_fns.mean_absolute_percentage_error, _mape, name, dtype)


class MeanSquaredLogarithmicError(_RegressionWrapper):
    """Running mean of `mean(square(log(y_true + 1) - log(y_pred + 1)), axis=-1)`."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(loss_fns.mean_squared_logarithmic_error, _msle, name, dtype)


class CosineSimilarity(_RegressionWrapper):
    """Running mean of the cosine similarity along `axis` (positive: 1 means aligned)."""

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, cosine_similarity, name, dtype, direction="up", axis=axis)
        self.axis = axis


class LogCoshError(_RegressionWrapper):
    """Running mean of `mean(log(cosh(y_pred - y_true)), axis=-1)`."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(loss_fns.log_cosh, _log_cosh, name, dtype)


class RootMeanSquaredError(Mean):
    """sqrt of the running mean of the squared errors (each element weighs the same)."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = pair(y_true, y_pred)
        d = p - t
        d *= d
        super().update_state(d, sample_weight=sample_weight)

    def result(self):
        count = self.count.data
        return self._result_tensor(np.sqrt(self.total.data / count) if count else 0.0)


class R2Score(Metric):
    """Coefficient of determination 1 - SS_res / SS_tot per output, aggregated.

    `class_aggregation`: "uniform_average" (default), "variance_weighted_average" or None
    (one score per output); `num_regressors` > 0 gives the adjusted R^2. Inputs are
    `(batch, outputs)`.
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ValueError(
                "Invalid value for argument `class_aggregation`: expected None, "
                f"'uniform_average' or 'variance_weighted_average', got {class_aggregation!r}"
            )
        if num_regressors < 0:
            raise ValueError(
                f"Invalid value for argument `num_regressors`: expected >= 0, got {num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), name="num_samples")
        self._built = False

    def _build(self, shape):
        if len(shape) != 2:
            raise ValueError(f"R2Score expects 2D inputs (batch_size, output_dim), got shape {shape}")
        n = shape[-1]
        self.squared_sum = self.add_variable((n,), name="squared_sum")
        self.sum = self.add_variable((n,), name="sum")
        self.total_mse = self.add_variable((n,), name="residual")
        self.count = self.add_variable((n,), name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        t, p = pair(y_true, y_pred)
        if not self._built:
            self._build(t.shape)
        w = np.ones((), t.dtype) if sample_weight is None else as_float(sample_weight)
        if w.ndim == 1:
            w = w[:, None]
        w = np.broadcast_to(w, t.shape)
        wt = t * w
        self.sum.data += wt.sum(axis=0)
        self.squared_sum.data += (t * wt).sum(axis=0)
        self.total_mse.data += ((t - p) ** 2 * w).sum(axis=0)
        self.count.data += w.sum(axis=0)
        self.num_samples.data += t.size

    def result(self):
        if not self._built:
            return self._result_tensor(0.0)
        s, c = self.sum.data.astype(np.float64), self.count.data.astype(np.float64)
        total = self.squared_sum.data - s * (s / c)
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = 1 - self.total_mse.data / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            score = raw.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw).sum() / total.sum()
        else:
            score = raw
        n, k = float(self.num_samples.data), self.num_regressors
        if k and k >= n - 1:
            warnings.warn(
                "R2Score: adjusted R2 needs num_regressors < num_samples - 1 (more predictors than "
                "datapoints, or a division by zero); falling back to the standard R2 score.",
                stacklevel=2,
            )
        elif k:
            score = 1 - (1 - score) * (n - 1) / (n - k - 1)
        return self._result_tensor(score)

    def get_config(self):
        return {
            "name": self.name, "dtype": self.dtype, "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }  # fmt: skip

"""Pearson and concordance correlation metrics (Keras 3's formulas): per-sample correlations
along `axis`, averaged over every batch seen."""

from lamina.engine import dtypes
from lamina.losses.loss import convert_pair, squeeze_or_expand_to_same_rank
from lamina.metrics.reduction import MeanMetricWrapper
from lamina.ops import math, reduce


def pearson_correlation(y_true, y_pred, axis=-1):
    """mean(z(y_true) * z(y_pred)) along `axis`, z = standardized (population std)."""
    y_true, y_pred = convert_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    t = math.subtract(y_true, reduce.mean(y_true, axis=axis, keepdims=True))
    p = math.subtract(y_pred, reduce.mean(y_pred, axis=axis, keepdims=True))
    t = math.divide(t, reduce.std(t, axis=axis, keepdims=True))
    p = math.divide(p, reduce.std(p, axis=axis, keepdims=True))
    return reduce.mean(math.multiply(t, p), axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance 2 cov / (var_true + var_pred + (mean_true - mean_pred)^2 + epsilon)."""
    y_true, y_pred = convert_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    mt = reduce.mean(y_true, axis=axis, keepdims=True)
    mp = reduce.mean(y_pred, axis=axis, keepdims=True)
    vt = reduce.var(y_true, axis=axis, keepdims=True)
    vp = reduce.var(y_pred, axis=axis, keepdims=True)
    covar = math.multiply(math.subtract(y_true, mp), math.subtract(y_pred, mp))
    norm = math.add(math.add(vt, vp), math.square(math.subtract(mt, mp)))
    return reduce.mean(
        math.divide(math.multiply(covar, 2.0), math.add(norm, dtypes.epsilon())), axis=axis
    )


class PearsonCorrelation(MeanMetricWrapper):
    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}

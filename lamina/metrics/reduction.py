"""Streaming `Sum` and (weighted) `Mean`, and `MeanMetricWrapper` around per-sample functions.

Per-sample values `(batch, ...)` are first reduced to one value per sample (mean, or sum
for `Sum`, over the non-batch axes), weighted by `sample_weight` (rank 0, or broadcastable
to the values after Keras's squeeze/expand rank fix), then accumulated. `Mean` divides the
weighted total by the total weight (the number of samples when unweighted).
"""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.losses.loss import apply_mask, squeeze_or_expand_to_same_rank
from lamina.metrics.metric import Metric, as_float, to_numpy


def reduce_to_samplewise_values(values, sample_weight, reduce_fn):
    """(per-sample weighted values, per-sample weights or None), as Keras does it."""
    values = as_float(values)
    if sample_weight is not None:
        sample_weight = as_float(sample_weight)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        wn, vn = sample_weight.ndim, values.ndim
        if vn > wn:
            values = reduce_fn(values, axis=tuple(range(wn, vn)))
        sample_weight = np.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if wn > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, wn)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


class Sum(Metric):
    """The (weighted) sum of the values seen: `[1, 3, 5, 7]` -> 16."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, np.sum)
        self.total.data += values.sum()

    def result(self):
        return self._result_tensor(self.total.data)


class Mean(Metric):
    """The (weighted) mean of the values seen: `[1, 3, 5, 7]` with weights `[1, 1, 0, 0]` -> 2."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), name="total")
        self.count = self.add_variable((), name="count")

    def update_state(self, values, sample_weight=None):
        if sample_weight is None and type(values) is np.ndarray and values.ndim == 1:  # hot path
            self.total.data += values.sum()
            self.count.data += values.shape[0]
            return
        if isinstance(sample_weight, (int, float)) and np.ndim(to_numpy(values)) == 0:
            self.total.data += float(to_numpy(values)) * sample_weight
            self.count.data += sample_weight
            return
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, np.mean)
        self.total.data += values.sum()
        if sample_weight is not None:
            self.count.data += sample_weight.sum()
        else:
            self.count.data += values.shape[0] if values.ndim else 1

    def result(self):
        count = self.count.data
        return self._result_tensor(self.total.data / count if count else 0.0)


class MeanMetricWrapper(Mean):
    """The running mean of `fn(y_true, y_pred, **kwargs)`, a per-sample metric function.

    `fn` may return a NumPy array or a Tensor. lamina's built-in metrics run a NumPy kernel
    with `fn`'s semantics (`_kernel`) instead of `fn` itself, to keep `update_state` cheap.
    """

    _kernel = None

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        from lamina import losses  # noqa: PLC0415  (losses never import metrics)

        if fn in losses.ALL_OBJECTS or type(fn) in losses.ALL_OBJECTS:
            self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        values = (self._kernel or self._fn)(y_true, y_pred, **self._fn_kwargs)
        if isinstance(values, Tensor):
            if mask is None:
                mask = getattr(values, "_keras_mask", None)
            values = values.data
        if mask is not None:
            sample_weight = apply_mask(sample_weight, mask, np.dtype(self._dtype), "sum")
        Mean.update_state(self, values, sample_weight)

    def get_config(self):
        config = {"name": self.name, "dtype": self.dtype}
        config["fn"] = getattr(self._fn, "__name__", repr(self._fn))
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fn = config.pop("fn", None)
        if cls is not MeanMetricWrapper:  # built-in subclasses fix their own function
            return cls(**config)
        if isinstance(fn, str):
            from lamina import metrics  # noqa: PLC0415  (the package imports this module)

            fn = metrics.get_function(fn)
        return cls(fn, **config)

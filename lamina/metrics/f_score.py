"""F-beta and F1 scores for multi-class / multi-label `(batch, classes)` inputs (Keras semantics).

Predictions become 0/1 with `y_pred > threshold`, or (threshold None) 1 at each row's
maximum (ties all count, all-zero rows stay zero). Per-class TP/FP/FN accumulate over
batches; `average` None gives one score per class, "micro" pools the counts, "macro" takes
the plain mean of the class scores and "weighted" weights them by class support.
"""
import numpy as np

from lamina.engine import dtypes
from lamina.metrics.metric import Metric, as_float


class FBetaScore(Metric):
    """(1 + b^2) P R / (b^2 P + R), with epsilon guards as in Keras."""

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                f"'weighted'}}. Received: average={average!r}"
            )
        if not isinstance(beta, float):
            raise ValueError(f"Invalid `beta` argument value: it should be a Python float, got {beta!r}")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value: it should be > 0, got {beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    f"Invalid `threshold` argument value: it should be a Python float, got {threshold!r}"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    f"Invalid `threshold` argument value: it should verify 0 < threshold <= 1, "
                    f"got {threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, t_shape, p_shape):
        if len(p_shape) != 2 or len(t_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). "
                f"Received input shapes: y_pred.shape={p_shape} and y_true.shape={t_shape}."
            )
        shape = () if self.average == "micro" else (p_shape[-1],)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        t = as_float(y_true).astype(np.float32, copy=False)
        p = as_float(y_pred).astype(np.float32, copy=False)
        if not self._built:
            self._build(t.shape, p.shape)
        if self.threshold is None:
            pred = (p >= p.max(axis=-1, keepdims=True)) & (np.abs(p) > 1e-9)
        else:
            pred = p > self.threshold
        pred = pred.astype(np.float32)
        w = None if sample_weight is None else as_float(sample_weight).astype(np.float32)[:, None]

        def weighted_sum(v):
            return (v if w is None else v * w).sum(axis=self.axis)

        self.true_positives.data += weighted_sum(pred * t)
        self.false_positives.data += weighted_sum(pred * (1 - t))
        self.false_negatives.data += weighted_sum((1 - pred) * t)
        self.intermediate_weights.data += weighted_sum(t)

    def result(self):
        if not self._built:
            return self._result_tensor(0.0)
        eps = dtypes.epsilon()
        tp, fp, fn = self.true_positives.data, self.false_positives.data, self.false_negatives.data
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        b2 = self.beta**2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + eps)
        if self.average == "weighted":
            support = self.intermediate_weights.data
            score = (score * support / (support.sum() + eps)).sum()
        elif self.average is not None:
            score = score.mean()
        return self._result_tensor(score)

    def get_config(self):
        return {
            "name": self.name, "dtype": self.dtype, "average": self.average, "beta": self.beta,
            "threshold": self.threshold,
        }  # fmt: skip


class F1Score(FBetaScore):
    """2 P R / (P + R): the harmonic mean of precision and recall."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config

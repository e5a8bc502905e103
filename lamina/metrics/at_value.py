"""Best-operating-point metrics: one rate maximized subject to another being >= a value.

Counts are kept at `num_thresholds` evenly spaced thresholds [0, 1/(n-1), ..., 1] (0.5
alone when n == 1); `result()` is the best dependent rate over the thresholds whose
constrained rate reaches the value (0 when none does), as Keras computes it:
SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision.
"""
import numpy as np

from lamina.metrics.confusion import _divide_no_nan
from lamina.metrics.confusion_utils import confusion_counts
from lamina.metrics.metric import Metric


class _AtValueBase(Metric):
    _value_name = None  # "specificity", "sensitivity", "recall" or "precision"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(f"Argument `{self._value_name}` must be in the range [0, 1]. Received: {value}")
        if num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: {num_thresholds}")
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.value = value
        setattr(self, self._value_name, value)
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds, self._evenly = [0.5], False
        else:
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds, self._evenly = [0.0] + inner + [1.0], True
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        self.false_positives = self.add_variable((n,), name="false_positives")
        self.true_negatives = self.add_variable((n,), name="true_negatives")
        self.false_negatives = self.add_variable((n,), name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            y_true, y_pred, self.thresholds, class_id=self.class_id, sample_weight=sample_weight,
            evenly=self._evenly,
        )  # fmt: skip
        self.true_positives.data += counts["tp"]
        self.false_positives.data += counts["fp"]
        self.true_negatives.data += counts["tn"]
        self.false_negatives.data += counts["fn"]

    def _rates(self):
        tp, fp, tn, fn = (
            v.data.astype(np.float64)
            for v in (self.true_positives, self.false_positives, self.true_negatives, self.false_negatives)
        )
        return {
            "sensitivity": _divide_no_nan(tp, tp + fn), "specificity": _divide_no_nan(tn, tn + fp),
            "precision": _divide_no_nan(tp, tp + fp),
        }  # fmt: skip

    def _best(self, constrained, dependent):
        feasible = constrained >= self.value
        return self._result_tensor(dependent[feasible].max(initial=0.0) if feasible.any() else 0.0)

    def get_config(self):
        return {
            "name": self.name, "dtype": self.dtype, "class_id": self.class_id,
            "num_thresholds": self.num_thresholds, self._value_name: self.value,
        }  # fmt: skip


class SensitivityAtSpecificity(_AtValueBase):
    """Best sensitivity TP / (TP + FN) where specificity TN / (TN + FP) >= `specificity`."""

    _value_name = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        r = self._rates()
        return self._best(r["specificity"], r["sensitivity"])


class SpecificityAtSensitivity(_AtValueBase):
    """Best specificity where sensitivity >= `sensitivity`."""

    _value_name = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        r = self._rates()
        return self._best(r["sensitivity"], r["specificity"])


class PrecisionAtRecall(_AtValueBase):
    """Best precision where recall >= `recall`."""

    _value_name = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        r = self._rates()
        return self._best(r["sensitivity"], r["precision"])


class RecallAtPrecision(_AtValueBase):
    """Best recall where precision >= `precision` (0 if that precision is never reached)."""

    _value_name = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        r = self._rates()
        return self._best(r["precision"], r["sensitivity"])

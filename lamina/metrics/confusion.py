"""Confusion-matrix metrics: TP/FP/TN/FN counts, Precision, Recall and AUC (Keras semantics).

Predictions count as positive when `y_pred > threshold` (default 0.5; one result per
threshold when a list is given). `top_k` keeps only each row's k largest predictions;
`class_id` scores a single column of `(batch, classes)` inputs. Sample weights weight each
sample's contributions.
"""
import numpy as np

from lamina.engine import dtypes
from lamina.metrics.confusion_utils import (
    NEG_INF, confusion_counts, is_evenly_distributed, parse_thresholds,
)
from lamina.metrics.metric import Metric, as_float


def _divide_no_nan(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b != 0, a / np.where(b != 0, b, 1), 0.0)


class _ConfusionMatrixConditionCount(Metric):
    """The weighted count of one confusion-matrix cell ("tp", "fp", "tn" or "fn")."""

    _cell = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, default_threshold=0.5)
        self._evenly = is_evenly_distributed(self.thresholds)
        self.accumulator = self.add_variable((len(self.thresholds),), name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            y_true, y_pred, self.thresholds, sample_weight=sample_weight, evenly=self._evenly
        )
        self.accumulator.data += counts[self._cell]

    def result(self):
        acc = self.accumulator.data
        return self._result_tensor(acc[0] if len(self.thresholds) == 1 else acc)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true positives."""

    _cell = "tp"


class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false positives."""

    _cell = "fp"


class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of true negatives."""

    _cell = "tn"


class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of false negatives."""

    _cell = "fn"


class _PrecisionRecall(Metric):
    _other = None  # "fp" for precision, "fn" for recall

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_thresholds(thresholds, default_threshold=default)
        self._evenly = is_evenly_distributed(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable((n,), name="true_positives")
        other_name = "false_positives" if self._other == "fp" else "false_negatives"
        setattr(self, other_name, self.add_variable((n,), name=other_name))
        self._other_var = getattr(self, other_name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(
            y_true, y_pred, self.thresholds, top_k=self.top_k, class_id=self.class_id,
            sample_weight=sample_weight, evenly=self._evenly,
        )  # fmt: skip
        self.true_positives.data += counts["tp"]
        self._other_var.data += counts[self._other]

    def result(self):
        tp = self.true_positives.data
        out = _divide_no_nan(tp, tp + self._other_var.data)
        return self._result_tensor(out[0] if len(self.thresholds) == 1 else out)

    def get_config(self):
        return {
            "name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds,
            "top_k": self.top_k, "class_id": self.class_id,
        }  # fmt: skip


class Precision(_PrecisionRecall):
    """TP / (TP + FP): how many predicted positives are right."""

    _other = "fp"


class Recall(_PrecisionRecall):
    """TP / (TP + FN): how many actual positives are found."""

    _other = "fn"


_CURVES = {"roc": "ROC", "pr": "PR"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at `num_thresholds` thresholds.

    Thresholds are [-eps, 1/(n-1), ..., (n-2)/(n-1), 1 + eps] (or sorted `thresholds` plus
    those endpoints). "interpolation" uses the trapezoid rule for ROC and Davis & Goadrich's
    interpolation of TP and FP for PR; "minoring"/"majoring" give lower/upper Riemann sums.
    With `multi_label=True`, inputs `(batch, labels)` get one curve per label, averaged
    (weighted by `label_weights` if given); otherwise all entries are pooled.
    `from_logits=True` applies a sigmoid to `y_pred` first.
    """

    def __init__(
        self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
        dtype=None, thresholds=None, multi_label=False, num_labels=None, label_weights=None,
        from_logits=False,
    ):  # fmt: skip
        self._direction = "up"
        if str(curve).lower() not in _CURVES:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC"]')
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". Expected values are '
                '["interpolation", "majoring", "minoring"]'
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(parse_thresholds(thresholds))
            self.num_thresholds = len(thresholds) + 2
            self._evenly = is_evenly_distributed([0.0] + thresholds + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    f"Argument `num_thresholds` must be an integer > 1. Received: {num_thresholds}"
                )
            self.num_thresholds = num_thresholds
            thresholds = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        eps = dtypes.epsilon()
        self._thresholds = np.array([0.0 - eps] + thresholds + [1.0 + eps])
        self.curve = _CURVES[str(curve).lower()]
        self.summation_method = str(summation_method).lower()
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else np.asarray(label_weights, dtype=self.dtype)
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds used for evaluating AUC (with the -eps and 1+eps endpoints)."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {len(shape)}. "
                    f"Full shape received for `y_pred`: {shape}"
                )
            self._num_labels = shape[1]
            var_shape = (self.num_thresholds, self._num_labels)
        else:
            var_shape = (self.num_thresholds,)
        self.true_positives = self.add_variable(var_shape, name="true_positives")
        self.false_positives = self.add_variable(var_shape, name="false_positives")
        self.true_negatives = self.add_variable(var_shape, name="true_negatives")
        self.false_negatives = self.add_variable(var_shape, name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        p = as_float(y_pred)
        if not self._built:
            self._build(p.shape)
        if self._from_logits:
            p = 0.5 * np.tanh(0.5 * p) + 0.5  # sigmoid
        counts = confusion_counts(
            y_true, p, self._thresholds, sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights, evenly=self._evenly,
        )  # fmt: skip
        self.true_positives.data += counts["tp"]
        self.false_positives.data += counts["fp"]
        self.true_negatives.data += counts["tn"]
        self.false_negatives.data += counts["fn"]

    def _average(self, by_label):
        if not self.multi_label:
            return by_label
        if self.label_weights is None:
            return by_label.mean()
        return _divide_no_nan((by_label * self.label_weights).sum(), self.label_weights.sum())

    def interpolate_pr_auc(self):
        """PR-AUC with TP and FP linear between thresholds (Davis & Goadrich 2006, closed form)."""
        tp, fp, fn = (
            v.data.astype(np.float64)
            for v in (self.true_positives, self.false_positives, self.false_negatives)
        )
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        total_pos = np.maximum(tp[1:] + fn[1:], 0)
        increment = _divide_no_nan(slope * (dtp + intercept * np.log(ratio)), total_pos)
        return self._average(increment.sum(axis=0))

    def result(self):
        if not self._built:
            return self._result_tensor(0.0)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._result_tensor(self.interpolate_pr_auc())
        tp, fp, tn, fn = (
            v.data.astype(np.float64)
            for v in (self.true_positives, self.false_positives, self.true_negatives, self.false_negatives)
        )
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return self._result_tensor(self._average(((x[:-1] - x[1:]) * heights).sum(axis=0)))

    def get_config(self):
        config = {
            "name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds,
            "curve": self.curve, "summation_method": self.summation_method,
            "multi_label": self.multi_label, "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self._from_logits,
        }  # fmt: skip
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config

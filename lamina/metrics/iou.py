"""Intersection-over-Union metrics for segmentation: IoU, MeanIoU, BinaryIoU, OneHotIoU,
OneHotMeanIoU (Keras 3's arguments, defaults and numerics).

Every one accumulates a weighted confusion matrix `total_cm` (rows: true class, columns:
predicted class) over batches. For class c, with TP = cm[c, c], the IoU is
TP / (TP + FP + FN) = cm[c, c] / (column sum + row sum - cm[c, c]); the result is the mean
IoU over the target classes whose denominator is nonzero (an absent class is ignored).
Labels are flattened, so any shape works: (batch,), (batch, h, w), ...
"""

import numpy as np

from lamina.engine import dtypes
from lamina.metrics.metric import Metric, as_float, to_numpy


def _check_num_classes(metric, num_classes):
    if (
        isinstance(num_classes, bool)
        or not isinstance(num_classes, (int, np.integer))
        or num_classes < 1
    ):
        raise ValueError(f"{metric}: `num_classes` must be a positive int, got {num_classes!r}")
    return int(num_classes)


def _check_target_ids(target_class_ids, num_classes):
    ids = [int(i) for i in target_class_ids]
    if not ids:
        raise ValueError("`target_class_ids` must list at least one class id, got an empty list")
    for i in ids:
        if not 0 <= i < num_classes:
            raise ValueError(
                f"Target class id {i} is out of range, which is [0, {num_classes}); "
                f"target_class_ids={ids} must be below num_classes={num_classes}"
            )
    return ids


class _IoUBase(Metric):
    """The confusion-matrix accumulation shared by the IoU metrics (see the module docstring).

    num_classes: number of classes (the matrix is num_classes x num_classes).
    ignore_class: a label (e.g. 255 or -1, a "void" class) whose pixels are left out.
    sparse_y_true / sparse_y_pred: False when that input holds per-class scores along
    `axis` (one-hot labels, softmax outputs): its argmax is taken first.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):  # fmt: skip
        super().__init__(name=name, dtype=dtype or "float32")
        self._direction = "up"
        self.num_classes = _check_num_classes(type(self).__name__, num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            (self.num_classes, self.num_classes), name="total_confusion_matrix"
        )

    def _labels(self, x, sparse):
        a = to_numpy(x)
        if not sparse:
            a = np.argmax(a, axis=self.axis)
        # as Keras: through the metric's float dtype, then truncated to an integer class id
        return np.asarray(a, dtype=self.dtype).reshape(-1).astype(np.int64)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add the batch's (weighted) confusion matrix to `total_cm`."""
        t = self._labels(y_true, self.sparse_y_true)
        p = self._labels(y_pred, self.sparse_y_pred)
        if t.size != p.size:
            raise ValueError(
                f"{type(self).__name__}: y_true has {t.size} labels but y_pred has {p.size} (after "
                "flattening); their shapes must match (set sparse_y_true/sparse_y_pred=False for "
                "one-hot or score inputs)"
            )
        if sample_weight is None:
            w = np.ones(t.size, dtype=self.dtype)
        else:  # a scalar, or one weight per label (any shape with as many entries)
            w = as_float(sample_weight, self.dtype).astype(self.dtype, copy=False)
            w = np.broadcast_to(w.reshape(-1) if w.ndim > 1 else w, t.shape)
        if self.ignore_class is not None:
            keep = t != self.ignore_class
            t, p, w = t[keep], p[keep], w[keep]
        n = self.num_classes
        bad = (t < 0) | (t >= n) | (p < 0) | (p >= n)
        if np.any(bad):
            label = np.concatenate([t[bad], p[bad]])[0]
            raise ValueError(
                f"{type(self).__name__}: label {label} is outside [0, {n}) for num_classes={n}; "
                "raise num_classes, or set ignore_class for a void label"
            )
        cm = np.bincount(t * n + p, weights=w, minlength=n * n).reshape(n, n)
        self.total_cm.data += cm.astype(self.total_cm.data.dtype)

    def _class_ious(self):
        cm = self.total_cm.data.astype(self.dtype)
        tp = np.diagonal(cm)
        return tp, cm.sum(axis=0) + cm.sum(axis=1) - tp


class IoU(_IoUBase):
    """Mean IoU over `target_class_ids` (the IoU of one class with a single id).

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])   # cm [[1, 1], [1, 1]]: IoU_0 = 1 / 3
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):  # fmt: skip
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)  # fmt: skip
        self.target_class_ids = _check_target_ids(target_class_ids, self.num_classes)

    def result(self):
        tp, denom = self._class_ious()
        ids = self.target_class_ids
        tp, denom = tp[ids], denom[ids]
        eps = dtypes.epsilon()
        valid = np.sum(denom > 1e-9, dtype=self.dtype)  # classes never seen nor predicted: skipped
        iou = tp / (denom + np.asarray(eps, self.dtype))
        return self._result_tensor(np.sum(iou) / (valid + np.asarray(eps, self.dtype)))

    def get_config(self):
        return {
            "name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }  # fmt: skip


class BinaryIoU(IoU):
    """IoU of a binary task: predictions >= `threshold` are class 1, the rest class 0.

    target_class_ids: (0,), (1,) or (0, 1) (the default: the mean of both IoUs).
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        predicted = as_float(y_pred, self.dtype) >= self.threshold
        super().update_state(y_true, predicted, sample_weight)

    def get_config(self):
        return {
            "target_class_ids": self.target_class_ids, "threshold": self.threshold,
            "name": self.name, "dtype": self.dtype,
        }  # fmt: skip


class MeanIoU(IoU):
    """The mean IoU over all `num_classes` classes (those present in labels or predictions)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):  # fmt: skip
        n = _check_num_classes(type(self).__name__, num_classes)
        super().__init__(n, list(range(n)), name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)  # fmt: skip

    def get_config(self):
        return {
            "num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
            "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred, "axis": self.axis,
        }  # fmt: skip


class OneHotIoU(IoU):
    """IoU for one-hot labels (argmax along `axis`) and score predictions (argmax too, unless
    `sparse_y_pred=True`), averaged over `target_class_ids`."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):  # fmt: skip
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)  # fmt: skip

    def get_config(self):
        return {
            "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
            "name": self.name, "dtype": self.dtype, "ignore_class": self.ignore_class,
            "sparse_y_pred": self.sparse_y_pred, "axis": self.axis,
        }  # fmt: skip


class OneHotMeanIoU(MeanIoU):
    """MeanIoU for one-hot labels and score predictions (argmax along `axis`)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1):  # fmt: skip
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)  # fmt: skip

    def get_config(self):
        return {
            "num_classes": self.num_classes, "name": self.name, "dtype": self.dtype,
            "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }  # fmt: skip

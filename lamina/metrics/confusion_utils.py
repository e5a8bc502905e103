"""Weighted confusion-matrix counts at many thresholds in O(N + T) (NumPy).

A prediction is positive at threshold t when `y_pred > t` (strictly); labels are
positive when nonzero. Instead of comparing every prediction with every threshold, each
prediction is mapped to k = the number of thresholds strictly below it (it is positive at
exactly thresholds 0..k-1 of the sorted list); a weighted histogram of k and a reversed
cumulative sum give TP/FP at all thresholds. For evenly spaced thresholds i / (T - 1), k is
Keras's bucket formula ceil(p (T - 1)) (predictions clipped to [0, 1] first, as Keras does
on that path); otherwise k comes from a binary search.
"""
import numpy as np

from lamina.engine import dtypes
from lamina.losses.loss import squeeze_or_expand_to_same_rank
from lamina.metrics.metric import as_float, to_numpy

NEG_INF = -1e10  # the threshold used with top_k: everything kept by top_k is "positive"


def to_list(x):
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, np.ndarray):
        return x.tolist() if x.ndim else [x.item()]
    return [x]


def parse_thresholds(thresholds, default_threshold=0.5):
    """The threshold list; user values must lie in [0, 1] (Keras's check)."""
    if thresholds is None:
        return to_list(default_threshold)
    values = to_list(thresholds)
    bad = [t for t in values if t is None or t < 0 or t > 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return values


def is_evenly_distributed(thresholds):
    """Whether thresholds are i / (n - 1), i = 0..n-1 (n >= 3), up to epsilon."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=dtypes.epsilon()))


def filter_top_k(x, k):
    """Keep the k largest entries of the last axis (ties: lower index first), NEG_INF elsewhere."""
    idx = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    out = np.full_like(x, NEG_INF)
    np.put_along_axis(out, idx, np.take_along_axis(x, idx, axis=-1), axis=-1)
    return out


def _bucket_counts(k, weights, n_thresholds, n_labels):
    """Weighted histogram of k in [0, T] -> TP-like counts at each threshold, (T,) or (T, L)."""
    size = n_thresholds + 1
    if n_labels is None:
        hist = np.bincount(k.ravel(), weights=weights.ravel(), minlength=size)
        return np.cumsum(hist[::-1])[::-1][1:]
    idx = k + size * np.arange(n_labels)
    hist = np.bincount(idx.ravel(), weights=weights.ravel(), minlength=size * n_labels)
    hist = hist.reshape(n_labels, size)
    return np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:].T


def confusion_counts(
    y_true, y_pred, thresholds, *, top_k=None, class_id=None, sample_weight=None,
    multi_label=False, label_weights=None, evenly=False,
):  # fmt: skip
    """{"tp", "fp", "tn", "fn"}: float64 arrays of shape (T,), or (T, labels) if multi_label.

    `y_pred` `(batch, ...)` in [0, 1]; `y_true` the same shape (cast to bool);
    `sample_weight` rank 0 or broadcastable per sample; `top_k` keeps only each row's top
    k predictions; `class_id` restricts to one column. `evenly`: the thresholds are
    i / (T - 1), possibly with endpoints -eps and 1 + eps (Keras's AUC thresholds).
    """
    thresholds = np.asarray(thresholds, dtype=np.float32)
    n_t = thresholds.shape[0]
    p = as_float(y_pred).astype(np.float32, copy=False)
    t = to_numpy(y_true)
    p, t = squeeze_or_expand_to_same_rank(p, t)
    w = None
    if sample_weight is not None:
        w = as_float(sample_weight).astype(np.float32, copy=False)[..., None]
        _, w = squeeze_or_expand_to_same_rank(t, w, expand_rank_1=False)
    if top_k is not None:
        p = filter_top_k(p, top_k)
    if class_id is not None:
        if p.ndim == 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {p.shape}"
            )
        t, p = t[..., class_id, None], p[..., class_id, None]
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred must have the same shape, got {t.shape} and {p.shape}")
    if w is not None:
        w = np.broadcast_to(w, p.shape)
    if label_weights is not None and not multi_label:
        lw = np.broadcast_to(np.asarray(label_weights, np.float32), p.shape)
        w = lw if w is None else w * lw
    pos = t.astype(bool)
    neg = ~pos
    w_pos, w_neg = (pos, neg) if w is None else (w * pos, w * neg)
    if multi_label and p.ndim != 2:
        raise ValueError(f"multi_label=True needs y_pred of rank 2 (batch, labels), got shape {p.shape}")
    axis = 0 if multi_label else None
    total_pos = w_pos.sum(axis=axis, dtype=np.float64)
    total_neg = w_neg.sum(axis=axis, dtype=np.float64)
    if n_t == 1 and not evenly:  # one threshold (Precision, Recall defaults): a plain comparison
        above = p > thresholds[0]
        tp = (w_pos & above if w is None else w_pos * above).sum(axis=axis, dtype=np.float64)[None]
        fp = (w_neg & above if w is None else w_neg * above).sum(axis=axis, dtype=np.float64)[None]
        return {"tp": tp, "fp": fp, "tn": total_neg - fp, "fn": total_pos - tp}
    if evenly:
        p = np.clip(p, 0.0, 1.0)
        k = np.ceil(p * np.float32(n_t - 1)).astype(np.intp)
        if thresholds[0] < 0:  # an endpoint below 0: every prediction clears it
            np.maximum(k, 1, out=k)
        np.minimum(k, n_t, out=k)
        order = None
    else:
        order = np.argsort(thresholds, kind="stable")
        k = np.searchsorted(thresholds[order], p, side="left")
    n_labels = p.shape[1] if multi_label else None
    tp = _bucket_counts(k, w_pos, n_t, n_labels)
    fp = _bucket_counts(k, w_neg, n_t, n_labels)
    if order is not None:  # back to the caller's threshold order
        tp_sorted, fp_sorted = tp, fp
        tp, fp = np.empty_like(tp), np.empty_like(fp)
        tp[order], fp[order] = tp_sorted, fp_sorted
    return {"tp": tp, "fp": fp, "tn": total_neg - fp, "fn": total_pos - tp}

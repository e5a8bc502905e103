"""Metrics against NumPy float64 transcriptions over several batches, hand counts and exact AUCs."""
import numpy as np
import pytest

import lamina
from lamina import losses, metrics, ops

EPS = 1e-7
RNG = np.random.default_rng(7)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def log_softmax(z):
    s = z - z.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


# per-sample references (float64), shapes (batch, d) -> (batch,)
def _pm1(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


REFS = {
    "mse": lambda t, p: np.mean((t - p) ** 2, -1),
    "mae": lambda t, p: np.mean(np.abs(t - p), -1),
    "mape": lambda t, p: 100 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), -1),
    "msle": lambda t, p: np.mean((np.log1p(np.maximum(p, EPS)) - np.log1p(np.maximum(t, EPS))) ** 2, -1),
    "logcosh": lambda t, p: np.mean(np.log(np.cosh(p - t)), -1),
    "cosine": lambda t, p: np.sum(t * p, -1) / (np.linalg.norm(t, axis=-1) * np.linalg.norm(p, axis=-1)),
    "kld": lambda t, p: np.sum(np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1)), -1),
    "poisson": lambda t, p: np.mean(p - t * np.log(p + EPS), -1),
    "bce": lambda t, p: np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)), -1),
    "bce_logits": lambda t, z: np.mean(-(t * np.log(sigmoid(z)) + (1 - t) * np.log(1 - sigmoid(z))), -1),
    "cce": lambda t, p: -np.sum(t * np.log(p / p.sum(-1, keepdims=True)), -1),
    "cce_logits": lambda t, z: -np.sum(t * log_softmax(z), -1),
    "scce": lambda lab, p: -np.log(p[np.arange(len(lab)), lab.astype(int)] / p.sum(-1)),
    "hinge": lambda t, p: np.mean(np.maximum(1 - _pm1(t) * p, 0), -1),
    "squared_hinge": lambda t, p: np.mean(np.maximum(1 - _pm1(t) * p, 0) ** 2, -1),
    "categorical_hinge": lambda t, p: np.maximum(np.max((1 - t) * p, -1) - np.sum(t * p, -1) + 1, 0),
    "accuracy": lambda t, p: np.mean(t == p, -1),
    "binary_accuracy": lambda t, p: np.mean(t == (p > 0.5), -1),
    "binary_accuracy_0.7": lambda t, p: np.mean(t == (p > 0.7), -1),
    "categorical_accuracy": lambda t, p: (t.argmax(-1) == p.argmax(-1)).astype(float),
    "sparse_categorical_accuracy": lambda lab, p: (lab == p.argmax(-1)).astype(float),
    "top_k": lambda t, p: (np.sum(p > p[np.arange(len(p)), t.argmax(-1)][:, None], -1) < 2).astype(float),
    "sparse_top_k": lambda lab, p: (np.sum(p > p[np.arange(len(p)), lab][:, None], -1) < 2).astype(float),
}

B, C = 9, 5


def _data(kind):
    """One batch (y_true, y_pred) for a data kind."""
    lab = RNG.integers(0, C, B)
    if kind == "real":
        return RNG.normal(size=(B, C)), RNG.normal(size=(B, C))
    if kind == "positive":
        return RNG.uniform(0.2, 3, (B, C)), RNG.uniform(0.2, 3, (B, C))
    if kind == "binary":
        return (RNG.random((B, C)) > 0.5).astype(float), RNG.uniform(0.05, 0.95, (B, C))
    if kind == "binary_logits":
        return (RNG.random((B, C)) > 0.5).astype(float), RNG.normal(size=(B, C))
    if kind == "dist":
        return softmax(RNG.normal(size=(B, C))), softmax(RNG.normal(size=(B, C)))
    if kind == "onehot":
        return np.eye(C)[lab], softmax(RNG.normal(size=(B, C)))
    if kind == "onehot_logits":
        return np.eye(C)[lab], RNG.normal(size=(B, C))
    if kind == "sparse":
        return lab, softmax(RNG.normal(size=(B, C)))
    if kind == "ints":
        return RNG.integers(0, 3, (B, 2)).astype(float), RNG.integers(0, 3, (B, 2)).astype(float)
    raise KeyError(kind)


STREAMING = [
    (metrics.MeanSquaredError, "mse", "real"),
    (metrics.MeanAbsoluteError, "mae", "real"),
    (metrics.MeanAbsolutePercentageError, "mape", "positive"),
    (metrics.MeanSquaredLogarithmicError, "msle", "positive"),
    (metrics.LogCoshError, "logcosh", "real"),
    (metrics.CosineSimilarity, "cosine", "real"),
    (metrics.KLDivergence, "kld", "dist"),
    (metrics.Poisson, "poisson", "positive"),
    (metrics.BinaryCrossentropy, "bce", "binary"),
    (lambda: metrics.BinaryCrossentropy(from_logits=True), "bce_logits", "binary_logits"),
    (metrics.CategoricalCrossentropy, "cce", "onehot"),
    (lambda: metrics.CategoricalCrossentropy(from_logits=True), "cce_logits", "onehot_logits"),
    (metrics.SparseCategoricalCrossentropy, "scce", "sparse"),
    (metrics.Hinge, "hinge", "binary_logits"),
    (metrics.SquaredHinge, "squared_hinge", "binary_logits"),
    (metrics.CategoricalHinge, "categorical_hinge", "onehot_logits"),
    (metrics.Accuracy, "accuracy", "ints"),
    (metrics.BinaryAccuracy, "binary_accuracy", "binary"),
    (lambda: metrics.BinaryAccuracy(threshold=0.7), "binary_accuracy_0.7", "binary"),
    (metrics.CategoricalAccuracy, "categorical_accuracy", "onehot"),
    (metrics.SparseCategoricalAccuracy, "sparse_categorical_accuracy", "sparse"),
    (lambda: metrics.TopKCategoricalAccuracy(k=2), "top_k", "onehot"),
    (lambda: metrics.SparseTopKCategoricalAccuracy(k=2), "sparse_top_k", "sparse"),
]


@pytest.mark.parametrize("make,ref_key,kind", STREAMING, ids=[s[1] for s in STREAMING])
def test_streaming_weighted_mean_matches_reference(make, ref_key, kind):
    m = make()
    ref = REFS[ref_key]
    num = den = 0.0
    for i, weights in enumerate([None, RNG.uniform(0, 2, B), RNG.uniform(0, 2, (B, 1))]):
        t, p = _data(kind)
        m.update_state(t.astype(np.float32) if t.dtype.kind == "f" else t, p.astype(np.float32), sample_weight=weights)
        values = ref(t, p)
        w = np.ones(B) if weights is None else np.reshape(weights, B)
        num += np.sum(values * w)
        den += np.sum(w)
    out = m.result()
    assert isinstance(out, lamina.Tensor) and out.shape == () and out.dtype == np.float32
    assert float(out) == pytest.approx(num / den, rel=2e-5, abs=1e-6)
    m.reset_state()
    assert float(m.result()) == 0.0
    t, p = _data(kind)
    m.update_state(t, p.astype(np.float32))
    assert float(m.result()) == pytest.approx(ref(t, p).mean(), rel=2e-5, abs=1e-6)
    assert float(m(t, p.astype(np.float32))) == pytest.approx(ref(t, p).mean(), rel=2e-5, abs=1e-6)


def test_rank_variants_of_labels():
    lab = RNG.integers(0, C, 12)
    p = softmax(RNG.normal(size=(12, C))).astype(np.float32)
    expected = np.mean(lab == p.argmax(-1))
    for labels in (lab, lab[:, None], lab.astype(np.float32)):
        assert float(metrics.SparseCategoricalAccuracy()(labels, p)) == pytest.approx(expected)
    assert metrics.sparse_categorical_accuracy(lab[:, None], p).shape == (12,)
    assert metrics.sparse_top_k_categorical_accuracy(lab[:, None], p, k=2).shape == (12, 1)
    y = (RNG.random(12) > 0.5).astype(np.float32)
    probs = RNG.random((12, 1)).astype(np.float32)
    expected = np.mean(y == (probs[:, 0] > 0.5))
    assert float(metrics.BinaryAccuracy()(y, probs)) == pytest.approx(expected)
    assert float(metrics.BinaryAccuracy()(y[:, None], probs[:, 0])) == pytest.approx(expected)
    # regression (404,) targets vs (404, 1) predictions compare row by row
    t = RNG.normal(size=404)
    pr = RNG.normal(size=(404, 1)).astype(np.float32)
    assert float(metrics.MeanAbsoluteError()(t, pr)) == pytest.approx(np.mean(np.abs(t - pr[:, 0])), rel=1e-5)
    assert float(metrics.RootMeanSquaredError()(t, pr)) == pytest.approx(np.sqrt(np.mean((t - pr[:, 0]) ** 2)), rel=1e-5)


def test_rmse_over_batches_and_weights():
    m = metrics.RootMeanSquaredError()
    sq, ws = [], []
    for _ in range(3):
        t, p = RNG.normal(size=(5, 2)), RNG.normal(size=(5, 2))
        w = RNG.uniform(0, 1, 5)
        m.update_state(t, p, sample_weight=w)
        sq.append(np.mean((t - p) ** 2, -1) * w)
        ws.append(w)
    assert float(m.result()) == pytest.approx(np.sqrt(np.sum(sq) / np.sum(ws)), rel=1e-5)


def test_mean_and_sum_keras_examples():
    assert float(metrics.Mean()([1, 3, 5, 7])) == 4.0
    assert float(metrics.Mean()([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])) == 2.0
    assert float(metrics.Sum()([1, 3, 5, 7])) == 16.0
    assert float(metrics.Sum()([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])) == 4.0
    m = metrics.Mean()
    m.update_state(np.array([[1.0, 3.0], [5.0, 7.0]]), sample_weight=[1.0, 3.0])  # per-row means 2, 6
    assert float(m.result()) == pytest.approx((2 * 1 + 6 * 3) / 4)
    m.update_state(10.0, sample_weight=2.0)
    assert float(m.result()) == pytest.approx((2 + 18 + 20) / 6)
    assert [v.name for v in m.variables] == ["total", "count"]


def test_keras_doc_values():
    assert float(metrics.MeanSquaredLogarithmicError()([[0, 1], [0, 0]], [[1, 1], [0, 0]])) == pytest.approx(0.12011322, rel=1e-6)
    assert float(metrics.LogCoshError()([[0, 1], [0, 0]], [[1, 1], [0, 0]])) == pytest.approx(0.10844523, rel=1e-6)
    assert float(metrics.CosineSimilarity(axis=1)([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]], sample_weight=[0.3, 0.7])) == pytest.approx(0.7, rel=1e-6)
    assert float(metrics.KLDivergence()([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])) == pytest.approx(0.45814306, rel=1e-6)
    assert float(metrics.BinaryCrossentropy()([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])) == pytest.approx(0.81492424, rel=1e-6)
    cce = metrics.CategoricalCrossentropy()
    cce.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], sample_weight=np.array([0.3, 0.7]))
    assert float(cce.result()) == pytest.approx(1.6271976, rel=1e-6)
    assert float(metrics.MeanAbsolutePercentageError()([[0, 1], [0, 0]], [[1, 1], [0, 0]])) == pytest.approx(2.5e8, rel=1e-6)
    assert float(metrics.R2Score()(np.array([[1], [4], [3]]), np.array([[2], [4], [4]]))) == pytest.approx(0.57142854, rel=1e-6)


def test_r2_score_streams_over_batches():
    t = RNG.normal(size=(30, 2))
    p = t + RNG.normal(scale=0.3, size=(30, 2))
    m = metrics.R2Score()
    for i in range(3):
        m.update_state(t[i * 10:(i + 1) * 10], p[i * 10:(i + 1) * 10])
    ss_res = ((t - p) ** 2).sum(0)
    ss_tot = ((t - t.mean(0)) ** 2).sum(0)
    per_output = 1 - ss_res / ss_tot
    assert float(m.result()) == pytest.approx(per_output.mean(), rel=1e-5)
    weighted = metrics.R2Score(class_aggregation="variance_weighted_average")(t, p)
    assert float(weighted) == pytest.approx(np.sum(per_output * ss_tot) / ss_tot.sum(), rel=1e-5)
    np.testing.assert_allclose(metrics.R2Score(class_aggregation=None)(t, p).numpy(), per_output, rtol=1e-5)
    n = t.size  # Keras counts elements for the adjusted score
    adjusted = metrics.R2Score(num_regressors=4)(t, p)
    assert float(adjusted) == pytest.approx(1 - (1 - per_output.mean()) * (n - 1) / (n - 4 - 1), rel=1e-5)


def test_cached_logits_give_the_unclipped_crossentropy():
    z = np.array([[60.0, 0.0, 0.0]], np.float32)
    via_softmax = float(metrics.CategoricalCrossentropy()(np.array([[0.0, 1.0, 0.0]]), ops.softmax(z)))
    assert via_softmax == pytest.approx(60.0, rel=1e-5)
    assert float(metrics.SparseCategoricalCrossentropy()([1], ops.softmax(z))) == pytest.approx(60.0, rel=1e-5)
    clipped = float(metrics.CategoricalCrossentropy()(np.array([[0.0, 1.0, 0.0]]), ops.softmax(z).numpy()))
    assert clipped == pytest.approx(-np.log(np.float32(EPS)), rel=1e-5)


def test_mean_metric_wrapper_with_functions():
    def squared(t, p):
        return (np.asarray(t) - np.asarray(p)) ** 2

    m = metrics.MeanMetricWrapper(squared)
    assert m.name == "mean_metric_wrapper"
    m.update_state([1.0, 2.0], [0.0, 0.0])
    m.update_state([3.0], [0.0], sample_weight=[2.0])
    assert float(m.result()) == pytest.approx((1 + 4 + 2 * 9) / 4)
    wrapped = metrics.MeanMetricWrapper(losses.mean_squared_error, name="mse_fn")
    t, p = RNG.normal(size=(4, 3)), RNG.normal(size=(4, 3))
    assert float(wrapped(t, p)) == pytest.approx(np.mean((t - p) ** 2), rel=1e-5)
    assert wrapped._direction == "down"
    again = metrics.MeanMetricWrapper.from_config(wrapped.get_config())
    assert again._fn is losses.mean_squared_error and again.name == "mse_fn"
    acc = metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.2)
    assert float(acc([[1.0], [0.0]], [[0.3], [0.3]])) == pytest.approx(0.5)


# --- confusion-matrix metrics ---------------------------------------------------------------


def direct_counts(t, p, w, thresholds):
    """TP, FP, TN, FN at each threshold by comparing every prediction (float32, as Keras)."""
    pred = p.astype(np.float32)[None, :] > np.asarray(thresholds, np.float32)[:, None]
    pos = t.astype(bool)[None, :]
    return (
        (pred & pos) @ w, (pred & ~pos) @ w, (~pred & ~pos) @ w, (~pred & pos) @ w,
    )  # fmt: skip


def test_condition_counts_with_threshold_lists_and_weights():
    thresholds = [0.7, 0.1, 0.5, 0.33]  # unsorted on purpose
    ms = [metrics.TruePositives(thresholds), metrics.FalsePositives(thresholds),
          metrics.TrueNegatives(thresholds), metrics.FalseNegatives(thresholds)]  # fmt: skip
    totals = np.zeros((4, 4))
    for _ in range(3):
        t, p, w = (RNG.random(20) > 0.4).astype(np.float32), RNG.random(20).astype(np.float32), RNG.uniform(0, 2, 20)
        for m in ms:
            m.update_state(t, p, sample_weight=w)
        totals += np.array(direct_counts(t, p, w, thresholds))
    for m, expected in zip(ms, totals):
        np.testing.assert_allclose(m.result().numpy(), expected, rtol=1e-5)
    assert float(metrics.FalsePositives()([0, 1, 0, 0], [0, 0, 1, 1])) == 2.0
    assert float(metrics.TruePositives()([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])) == 1.0


def test_precision_recall_hand_counts():
    t = np.array([[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0]], np.float32)
    p = np.array([[0.9, 0.6, 0.4, 0.1], [0.2, 0.8, 0.7, 0.55], [0.6, 0.3, 0.3, 0.95]], np.float32)
    # threshold 0.5, entries pooled: predicted positive = 0.9 0.6 | 0.8 0.7 0.55 | 0.6 0.95
    tp, fp, fn = 4, 3, 2
    assert float(metrics.Precision()(t, p)) == pytest.approx(tp / (tp + fp))
    assert float(metrics.Recall()(t, p)) == pytest.approx(tp / (tp + fn))
    # class_id=1: column [0.6, 0.8, 0.3] vs labels [0, 1, 1]
    assert float(metrics.Precision(class_id=1)(t, p)) == pytest.approx(1 / 2)
    assert float(metrics.Recall(class_id=1)(t, p)) == pytest.approx(1 / 2)
    # top_k=2: per row keep the 2 largest -> rows {0,1}, {1,2}, {0,3}; hits 1 + 2 + 1 = 4 of 6
    assert float(metrics.Precision(top_k=2)(t, p)) == pytest.approx(4 / 6)
    assert float(metrics.Recall(top_k=2)(t, p)) == pytest.approx(4 / 6)
    # several thresholds at once, weighted rows
    w = np.array([1.0, 2.0, 0.5])
    prec = metrics.Precision(thresholds=[0.25, 0.65])(t, p, sample_weight=w).numpy()
    ww = np.repeat(w, 4)
    tp_, fp_, _, fn_ = direct_counts(t.ravel(), p.ravel(), ww, [0.25, 0.65])
    np.testing.assert_allclose(prec, tp_ / (tp_ + fp_), rtol=1e-6)
    rec = metrics.Recall(thresholds=[0.25, 0.65])(t, p, sample_weight=w).numpy()
    np.testing.assert_allclose(rec, tp_ / (tp_ + fn_), rtol=1e-6)
    assert float(metrics.Precision()([0, 0], [0.1, 0.2])) == 0.0  # no predicted positives: 0, not NaN
    assert float(metrics.Precision(top_k=2)([0, 0, 1, 1], [1, 1, 1, 1])) == 0.0  # Keras doc example


def _roc_auc_from_counts(tp, fp, tn, fn, summation="interpolation"):
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = np.nan_to_num(tp / (tp + fn))
        fpr = np.nan_to_num(fp / (fp + tn))
    dx = fpr[:-1] - fpr[1:]
    heights = {"interpolation": (tpr[:-1] + tpr[1:]) / 2, "minoring": np.minimum(tpr[:-1], tpr[1:]),
               "majoring": np.maximum(tpr[:-1], tpr[1:])}[summation]  # fmt: skip
    return np.sum(dx * heights)


def _pr_auc_numeric(tp, fp, total_pos, steps=4000):
    """Integrate precision d(recall) with TP and predicted-positives linear per interval."""
    s = (np.arange(steps) + 0.5) / steps
    area = 0.0
    for i in range(len(tp) - 1):
        tp_s = tp[i + 1] + s * (tp[i] - tp[i + 1])
        p_s = (tp[i + 1] + fp[i + 1]) + s * ((tp[i] + fp[i]) - (tp[i + 1] + fp[i + 1]))
        if tp[i] == tp[i + 1]:
            continue
        area += np.mean(tp_s / p_s) * (tp[i] - tp[i + 1]) / total_pos
    return area


def _auc_thresholds(n):
    return [-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + EPS]


@pytest.mark.parametrize("summation", ["interpolation", "minoring", "majoring"])
def test_roc_auc_matches_exact_riemann_sum(summation):
    m = metrics.AUC(num_thresholds=50, summation_method=summation)
    ts, ps, ws = [], [], []
    for _ in range(3):
        t = (RNG.random(40) > 0.5).astype(np.float32)
        p = np.clip(0.35 * t + RNG.random(40) * 0.65, 0, 1).astype(np.float32)
        w = RNG.uniform(0, 2, 40)
        m.update_state(t, p, sample_weight=w)
        ts.append(t), ps.append(p), ws.append(w)
    t, p, w = np.concatenate(ts), np.concatenate(ps), np.concatenate(ws)
    counts = direct_counts(t, p, w, _auc_thresholds(50))
    np.testing.assert_allclose(m.true_positives.numpy(), counts[0], rtol=1e-5)
    assert float(m.result()) == pytest.approx(_roc_auc_from_counts(*counts, summation), rel=1e-5)


def test_roc_auc_approaches_mann_whitney_and_from_logits():
    t = (RNG.random(300) > 0.5).astype(np.float32)
    z = RNG.normal(size=300) + 1.2 * t
    p = sigmoid(z)
    pos, neg = p[t == 1], p[t == 0]
    exact = np.mean(pos[:, None] > neg[None, :])
    auc = metrics.AUC(num_thresholds=2000)(t, p.astype(np.float32))
    assert float(auc) == pytest.approx(exact, abs=2e-3)
    from_logits = metrics.AUC(num_thresholds=2000, from_logits=True)(t, z.astype(np.float32))
    assert float(from_logits) == pytest.approx(float(auc), abs=1e-6)
    assert float(metrics.AUC(num_thresholds=3)([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])) == pytest.approx(0.75)


def test_pr_auc_interpolation_matches_numeric_integral():
    m = metrics.AUC(num_thresholds=25, curve="PR")
    t = (RNG.random(120) > 0.6).astype(np.float32)
    p = np.clip(0.3 * t + RNG.random(120) * 0.7, 0, 1).astype(np.float32)
    m.update_state(t, p)
    tp, fp, _, _ = direct_counts(t, p, np.ones(120), _auc_thresholds(25))
    assert float(m.result()) == pytest.approx(_pr_auc_numeric(tp, fp, t.sum()), rel=1e-4)
    careful = metrics.AUC(num_thresholds=25, curve="PR", summation_method="majoring")(t, p)
    with np.errstate(invalid="ignore"):
        prec = np.nan_to_num(tp / (tp + fp))
    rec = tp / t.sum()
    assert float(careful) == pytest.approx(np.sum((rec[:-1] - rec[1:]) * np.maximum(prec[:-1], prec[1:])), rel=1e-5)


def test_multi_label_auc_averages_per_label_curves():
    t = (RNG.random((60, 3)) > 0.5).astype(np.float32)
    p = np.clip(0.4 * t + RNG.random((60, 3)) * 0.6, 0, 1).astype(np.float32)
    label_weights = [1.0, 2.0, 0.5]
    m = metrics.AUC(num_thresholds=30, multi_label=True, label_weights=label_weights)
    m.update_state(t, p)
    per_label = [
        _roc_auc_from_counts(*direct_counts(t[:, j], p[:, j], np.ones(60), _auc_thresholds(30))) for j in range(3)
    ]
    assert m.true_positives.shape == (30, 3)
    assert float(m.result()) == pytest.approx(np.average(per_label, weights=label_weights), rel=1e-5)
    pooled = metrics.AUC(num_thresholds=30)(t, p)
    expected = _roc_auc_from_counts(*direct_counts(t.ravel(), p.ravel(), np.ones(180), _auc_thresholds(30)))
    assert float(pooled) == pytest.approx(expected, rel=1e-5)


def test_auc_custom_thresholds_and_config():
    m = metrics.AUC(thresholds=[0.6, 0.2, 0.4])
    assert m.num_thresholds == 5 and m.thresholds[1:-1] == [0.2, 0.4, 0.6]
    t = (RNG.random(50) > 0.5).astype(np.float32)
    p = RNG.random(50).astype(np.float32)
    m.update_state(t, p)
    expected = _roc_auc_from_counts(*direct_counts(t, p, np.ones(50), m.thresholds))
    assert float(m.result()) == pytest.approx(expected, rel=1e-5)
    again = metrics.AUC.from_config(m.get_config())
    assert again.thresholds == m.thresholds and again.curve == "ROC"


def test_rate_at_value_metrics():
    y, p = [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]
    assert float(metrics.SensitivityAtSpecificity(0.5)(y, p)) == pytest.approx(0.5)
    assert float(metrics.SensitivityAtSpecificity(0.5)(y, p, sample_weight=[1, 1, 2, 2, 1])) == pytest.approx(1 / 3)
    assert float(metrics.SpecificityAtSensitivity(0.5)(y, p)) == pytest.approx(2 / 3)
    assert float(metrics.PrecisionAtRecall(0.5)(y, p, sample_weight=[2, 2, 2, 1, 1])) == pytest.approx(1 / 3)
    assert float(metrics.RecallAtPrecision(0.8)([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])) == pytest.approx(0.5)
    assert float(metrics.RecallAtPrecision(0.99)([0, 1], [0.9, 0.1])) == 0.0  # never reached
    # random data against rates from direct threshold comparisons
    t = (RNG.random(200) > 0.5).astype(np.float32)
    s = np.clip(0.3 * t + 0.7 * RNG.random(200), 0, 1).astype(np.float32)
    grid = [0.0] + [(i + 1) / 19 for i in range(18)] + [1.0]
    tp, fp, tn, fn = direct_counts(t, s, np.ones(200), grid)
    with np.errstate(invalid="ignore"):
        sens, spec, prec = tp / (tp + fn), tn / (tn + fp), np.nan_to_num(tp / (tp + fp))
    assert float(metrics.SensitivityAtSpecificity(0.7, num_thresholds=20)(t, s)) == pytest.approx(sens[spec >= 0.7].max())
    assert float(metrics.SpecificityAtSensitivity(0.7, num_thresholds=20)(t, s)) == pytest.approx(spec[sens >= 0.7].max())
    assert float(metrics.PrecisionAtRecall(0.6, num_thresholds=20)(t, s)) == pytest.approx(prec[sens >= 0.6].max())
    assert float(metrics.RecallAtPrecision(0.6, num_thresholds=20)(t, s)) == pytest.approx(sens[prec >= 0.6].max())
    with pytest.raises(ValueError, match="recall"):
        metrics.PrecisionAtRecall(1.5)


def _f_beta(tp, fp, fn, beta):
    b2 = beta**2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num((1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp))


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("threshold", [None, 0.5])
def test_fbeta_against_counts(average, threshold):
    m = metrics.FBetaScore(average=average, beta=2.0, threshold=threshold)
    tp = fp = fn = support = 0
    for _ in range(2):
        t = np.eye(4)[RNG.integers(0, 4, 30)] if threshold is None else (RNG.random((30, 4)) > 0.5) * 1.0
        p = RNG.random((30, 4)).astype(np.float32)
        w = RNG.uniform(0.5, 1.5, 30)
        m.update_state(t, p, sample_weight=w)
        pred = (p == p.max(-1, keepdims=True)) if threshold is None else p > threshold
        tp = tp + ((pred * t) * w[:, None]).sum(0)
        fp = fp + ((pred * (1 - t)) * w[:, None]).sum(0)
        fn = fn + (((1 - pred) * t) * w[:, None]).sum(0)
        support = support + (t * w[:, None]).sum(0)
    if average == "micro":
        expected = _f_beta(tp.sum(), fp.sum(), fn.sum(), 2.0)
    else:
        per_class = _f_beta(tp, fp, fn, 2.0)
        expected = {None: per_class, "macro": per_class.mean(), "weighted": np.sum(per_class * support / support.sum())}[average]
    np.testing.assert_allclose(m.result().numpy(), expected, rtol=1e-5)


def test_f1_keras_example():
    y_true = np.array([[1, 1, 1], [1, 0, 0], [1, 1, 0]], np.int32)
    y_pred = np.array([[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]], np.float32)
    np.testing.assert_allclose(metrics.F1Score(threshold=0.5)(y_true, y_pred).numpy(), [0.5, 0.8, 0.6666667], rtol=1e-6)
    np.testing.assert_allclose(
        metrics.FBetaScore(beta=2.0, threshold=0.5)(y_true, y_pred).numpy(), [0.3846154, 0.90909094, 0.8333334], rtol=1e-6
    )
    with pytest.raises(ValueError, match="average"):
        metrics.F1Score(average="samples")


# --- names, registry, configs ---------------------------------------------------------------


def test_default_names_match_keras():
    expected = {
        metrics.MeanAbsoluteError: "mean_absolute_error", metrics.MeanSquaredError: "mean_squared_error",
        metrics.RootMeanSquaredError: "root_mean_squared_error", metrics.LogCoshError: "logcosh",
        metrics.BinaryAccuracy: "binary_accuracy", metrics.Accuracy: "accuracy",
        metrics.CategoricalAccuracy: "categorical_accuracy",
        metrics.SparseCategoricalAccuracy: "sparse_categorical_accuracy",
        metrics.TopKCategoricalAccuracy: "top_k_categorical_accuracy", metrics.AUC: "auc",
        metrics.Precision: "precision", metrics.Recall: "recall", metrics.TruePositives: "true_positives",
        metrics.F1Score: "f1_score", metrics.FBetaScore: "fbeta_score", metrics.KLDivergence: "kl_divergence",
        metrics.Mean: "mean", metrics.Sum: "sum", metrics.R2Score: "r2_score",
        metrics.MeanAbsolutePercentageError: "mean_absolute_percentage_error",
    }  # fmt: skip
    for cls, name in expected.items():
        assert cls().name == name
        assert cls().name == name  # no "_1" suffix on the second instance
    assert metrics.PrecisionAtRecall(0.5).name == "precision_at_recall"
    assert metrics.SensitivityAtSpecificity(0.5).name == "sensitivity_at_specificity"


def test_get_and_unknown_names():
    assert isinstance(metrics.get("mae"), metrics.MeanAbsoluteError)
    assert isinstance(metrics.get("MSE"), metrics.MeanSquaredError)
    assert isinstance(metrics.get("accuracy"), metrics.Accuracy)
    assert isinstance(metrics.get("binary_accuracy"), metrics.BinaryAccuracy)
    assert isinstance(metrics.get("auc"), metrics.AUC) and isinstance(metrics.get("AUC"), metrics.AUC)
    assert isinstance(metrics.get("root_mean_squared_error"), metrics.RootMeanSquaredError)
    assert isinstance(metrics.get(metrics.Precision), metrics.Precision)
    m = metrics.Recall()
    assert metrics.get(m) is m and metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    assert metrics.get(None) is None
    with pytest.raises(ValueError, match="sparse_categorical_accuracy"):
        metrics.get("sparse_categorical_acuracy")
    # lamina accepts "rmse" (the course writes it; Keras 3 does not)
    assert isinstance(metrics.get("rmse"), metrics.RootMeanSquaredError)
    with pytest.raises(ValueError, match="Did you mean"):
        metrics.get("rmsee")


def test_serialize_round_trips():
    for m in (metrics.BinaryAccuracy(threshold=0.3), metrics.AUC(num_thresholds=17, curve="PR"),
              metrics.Precision(thresholds=[0.2, 0.8], class_id=1), metrics.F1Score(average="macro"),
              metrics.TopKCategoricalAccuracy(k=3), metrics.CategoricalCrossentropy(from_logits=True)):  # fmt: skip
        again = metrics.deserialize(metrics.serialize(m))
        assert type(again) is type(m) and again.get_config() == m.get_config()
    got = metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.9}})
    assert got.threshold == 0.9
    assert metrics.deserialize(metrics.serialize(metrics.binary_accuracy)) is metrics.binary_accuracy

"""Losses against independent NumPy float64 formulas, Keras's documented values, and gradients."""
import warnings

import numpy as np
import pytest

import lamina
from lamina import losses, ops
from lamina.utils import check_gradients

EPS = 1e-7
RNG = np.random.default_rng(42)


# --- independent float64 references (per-sample losses) ------------------------------------


def ref_mse(t, p):
    return np.mean((t - p) ** 2, axis=-1)


def ref_mae(t, p):
    return np.mean(np.abs(t - p), axis=-1)


def ref_mape(t, p):
    return 100 * np.mean(np.abs(t - p) / np.maximum(np.abs(t), EPS), axis=-1)


def ref_msle(t, p):
    return np.mean((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2, axis=-1)


def ref_cosine(t, p):
    nt = t / np.maximum(np.linalg.norm(t, axis=-1, keepdims=True), EPS)
    np_ = p / np.maximum(np.linalg.norm(p, axis=-1, keepdims=True), EPS)
    return -np.sum(nt * np_, axis=-1)


def ref_huber(t, p, delta=1.0):
    e = p - t
    quad = 0.5 * e**2
    lin = delta * np.abs(e) - 0.5 * delta**2
    return np.mean(np.where(np.abs(e) <= delta, quad, lin), axis=-1)


def ref_log_cosh(t, p):
    return np.mean(np.log(np.cosh(p - t)), axis=-1)


def _pm1(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def ref_hinge(t, p):
    return np.mean(np.maximum(1 - _pm1(t) * p, 0), axis=-1)


def ref_squared_hinge(t, p):
    return np.mean(np.maximum(1 - _pm1(t) * p, 0) ** 2, axis=-1)


def ref_categorical_hinge(t, p):
    pos = np.sum(t * p, axis=-1)
    neg = np.max((1 - t) * p, axis=-1)
    return np.maximum(neg - pos + 1, 0)


def ref_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def ref_poisson(t, p):
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def ref_bce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = sigmoid(p)  # moderate logits only: no clipping is active
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)), axis=-1)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def ref_cce(t, p, from_logits=False, label_smoothing=0.0):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    p = softmax(p) if from_logits else p / p.sum(axis=-1, keepdims=True)
    return -np.sum(t * np.log(np.clip(p, EPS, 1 - EPS)), axis=-1)


def ref_scce(labels, p, from_logits=False):
    if not from_logits:
        p = np.log(np.clip(p, EPS, 1 - EPS))
    logp = np.log(softmax(p))
    return -logp[np.arange(len(labels)), labels.astype(int)]


def ref_bfce(t, p, gamma=2.0, alpha=0.25, balance=False, from_logits=False):
    if from_logits:
        p = sigmoid(p)
    pc = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * bce
    if balance:
        out = out * (t * alpha + (1 - t) * (1 - alpha))
    return np.mean(out, axis=-1)


def ref_cfce(t, p, gamma=2.0, alpha=0.25, from_logits=False):
    p = softmax(p) if from_logits else p / p.sum(axis=-1, keepdims=True)
    p = np.clip(p, EPS, 1 - EPS)
    return np.sum(alpha * (1 - p) ** gamma * -t * np.log(p), axis=-1)


# --- data ---------------------------------------------------------------------------------

B, C = 6, 4
REAL_T = RNG.normal(size=(B, C))
REAL_P = RNG.normal(size=(B, C))
POS_T = RNG.uniform(0.1, 2.0, size=(B, C))
POS_P = RNG.uniform(0.1, 2.0, size=(B, C))
BIN_T = (RNG.random((B, C)) > 0.5).astype(float)
PROB_P = RNG.uniform(0.02, 0.98, size=(B, C))
LOGITS = RNG.normal(scale=2.0, size=(B, C))
LABELS = RNG.integers(0, C, size=B)
ONEHOT = np.eye(C)[LABELS]
SOFT_P = softmax(LOGITS / 2)  # probabilities away from 0 (finite differences stay accurate)
DIST_T = softmax(RNG.normal(size=(B, C)))
DIST_P = softmax(RNG.normal(size=(B, C)))
PM1_T = 2 * BIN_T - 1
WEIGHTS = RNG.uniform(0.0, 2.0, size=B)

# (loss factory, reference(t, p), y_true, y_pred)
CASES = {
    "mse": (losses.MeanSquaredError, ref_mse, REAL_T, REAL_P),
    "mae": (losses.MeanAbsoluteError, ref_mae, REAL_T, REAL_P),
    "mape": (losses.MeanAbsolutePercentageError, ref_mape, POS_T, POS_P),
    "msle": (losses.MeanSquaredLogarithmicError, ref_msle, POS_T, POS_P),
    "cosine": (losses.CosineSimilarity, ref_cosine, REAL_T, REAL_P),
    "huber": (losses.Huber, ref_huber, REAL_T, REAL_P),
    "huber_delta": (lambda **k: losses.Huber(delta=0.4, **k), lambda t, p: ref_huber(t, p, 0.4), REAL_T, REAL_P),
    "log_cosh": (losses.LogCosh, ref_log_cosh, REAL_T, REAL_P),
    "hinge_01": (losses.Hinge, ref_hinge, BIN_T, REAL_P),
    "hinge_pm1": (losses.Hinge, ref_hinge, PM1_T, REAL_P),
    "squared_hinge": (losses.SquaredHinge, ref_squared_hinge, BIN_T, REAL_P),
    "categorical_hinge": (losses.CategoricalHinge, ref_categorical_hinge, ONEHOT, REAL_P),
    "kld": (losses.KLDivergence, ref_kld, DIST_T, DIST_P),
    "poisson": (losses.Poisson, ref_poisson, POS_T, POS_P),
    "bce": (losses.BinaryCrossentropy, ref_bce, BIN_T, PROB_P),
    "bce_smooth": (
        lambda **k: losses.BinaryCrossentropy(label_smoothing=0.2, **k),
        lambda t, p: ref_bce(t, p, label_smoothing=0.2), BIN_T, PROB_P,
    ),
    "bce_logits": (
        lambda **k: losses.BinaryCrossentropy(from_logits=True, **k),
        lambda t, p: ref_bce(t, p, from_logits=True), BIN_T, LOGITS,
    ),
    "cce": (losses.CategoricalCrossentropy, ref_cce, ONEHOT, SOFT_P),
    "cce_unnormalized": (losses.CategoricalCrossentropy, ref_cce, ONEHOT, PROB_P),
    "cce_smooth": (
        lambda **k: losses.CategoricalCrossentropy(label_smoothing=0.1, **k),
        lambda t, p: ref_cce(t, p, label_smoothing=0.1), ONEHOT, SOFT_P,
    ),
    "cce_logits": (
        lambda **k: losses.CategoricalCrossentropy(from_logits=True, **k),
        lambda t, p: ref_cce(t, p, from_logits=True), ONEHOT, LOGITS,
    ),
    "scce": (losses.SparseCategoricalCrossentropy, ref_scce, LABELS, SOFT_P),
    "scce_logits": (
        lambda **k: losses.SparseCategoricalCrossentropy(from_logits=True, **k),
        lambda t, p: ref_scce(t, p, from_logits=True), LABELS, LOGITS,
    ),
    "bfce": (losses.BinaryFocalCrossentropy, ref_bfce, BIN_T, PROB_P),
    "bfce_balanced_logits": (
        lambda **k: losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3.0, from_logits=True, **k),
        lambda t, p: ref_bfce(t, p, gamma=3.0, balance=True, from_logits=True), BIN_T, LOGITS,
    ),
    "cfce": (losses.CategoricalFocalCrossentropy, ref_cfce, ONEHOT, SOFT_P),
    "cfce_logits": (
        lambda **k: losses.CategoricalFocalCrossentropy(from_logits=True, **k),
        lambda t, p: ref_cfce(t, p, from_logits=True), ONEHOT, LOGITS,
    ),
}  # fmt: skip


@pytest.mark.parametrize("key", sorted(CASES))
def test_every_reduction_matches_reference(key):
    make, ref, t, p = CASES[key]
    per_sample = ref(t, p)
    t32, p32 = t.astype(np.float32), p.astype(np.float32)
    rtol = 2e-5
    none = make(reduction=None)(t32, p32)
    assert none.dtype == np.float32 and none.shape == (B,)
    np.testing.assert_allclose(none.numpy(), per_sample, rtol=rtol, atol=1e-6)
    weighted = make(reduction="none")(t32, p32, sample_weight=WEIGHTS)
    np.testing.assert_allclose(weighted.numpy(), per_sample * WEIGHTS, rtol=rtol, atol=1e-6)
    expected = {
        "sum_over_batch_size": np.sum(per_sample * WEIGHTS) / B,  # divided by the count, not sum(w)
        "mean": np.sum(per_sample * WEIGHTS) / B,
        "sum": np.sum(per_sample * WEIGHTS),
        "mean_with_sample_weight": np.sum(per_sample * WEIGHTS) / np.sum(WEIGHTS),
    }
    for reduction, value in expected.items():
        out = make(reduction=reduction)(t32, p32, sample_weight=WEIGHTS)
        assert out.shape == () and out.dtype == np.float32
        np.testing.assert_allclose(float(out), value, rtol=rtol, atol=1e-6, err_msg=reduction)
    default = make()(t32, p32)
    np.testing.assert_allclose(float(default), per_sample.mean(), rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("key", sorted(CASES))
def test_gradients_float64(key):
    make, _, t, p = CASES[key]
    loss = make()
    weights = np.linspace(0.5, 1.5, B)
    err = check_gradients(lambda yp: loss(t, yp, sample_weight=weights), p)
    assert err < 1e-5, err
    if "scce" not in key and key not in ("hinge_01", "squared_hinge"):  # integer / 0-1 labels are not
        err = check_gradients(lambda yt, yp: loss(yt, yp), t, p)
        assert err < 1e-4, err


def test_functions_equal_classes_and_keep_float64():
    for fn, ref, t, p in [
        (losses.mean_squared_error, ref_mse, REAL_T, REAL_P),
        (losses.mse, ref_mse, REAL_T, REAL_P),
        (losses.kld, ref_kld, DIST_T, DIST_P),
        (losses.huber, ref_huber, REAL_T, REAL_P),
        (losses.binary_crossentropy, ref_bce, BIN_T, PROB_P),
        (losses.categorical_crossentropy, ref_cce, ONEHOT, PROB_P),
    ]:
        out = fn(t, lamina.Tensor(p))
        assert out.dtype == np.float64
        np.testing.assert_allclose(out.numpy(), ref(t, p), rtol=1e-10, atol=1e-12)


# --- Keras documentation examples -----------------------------------------------------------


def test_keras_doc_examples():
    y_true = np.array([[0, 1, 0], [0, 0, 1]])
    y_pred = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    cce = losses.CategoricalCrossentropy()
    assert float(cce(y_true, y_pred)) == pytest.approx(1.177, abs=1e-3)
    assert float(cce(y_true, y_pred, sample_weight=np.array([0.3, 0.7]))) == pytest.approx(0.814, abs=1e-3)
    assert float(losses.CategoricalCrossentropy(reduction="sum")(y_true, y_pred)) == pytest.approx(2.354, abs=1e-3)
    np.testing.assert_allclose(
        losses.CategoricalCrossentropy(reduction=None)(y_true, y_pred).numpy(), [0.0513, 2.303], atol=5e-4
    )
    scce = losses.SparseCategoricalCrossentropy()
    assert float(scce([1, 2], y_pred)) == pytest.approx(1.177, abs=1e-3)
    assert float(scce([1, 2], y_pred, sample_weight=np.array([0.3, 0.7]))) == pytest.approx(0.814, abs=1e-3)

    bce = losses.BinaryCrossentropy(from_logits=True)
    assert float(bce(np.array([0, 1, 0, 0]), np.array([-18.6, 0.51, 2.94, -12.8]))) == pytest.approx(0.8654, abs=1e-3)
    yt, yp = np.array([[0, 1], [0, 0]]), np.array([[-18.6, 0.51], [2.94, -12.8]])
    assert float(bce(yt, yp)) == pytest.approx(0.8654, abs=1e-3)
    assert float(bce(yt, yp, sample_weight=[0.8, 0.2])) == pytest.approx(0.2436, abs=1e-3)  # doc: 0.243
    assert float(losses.BinaryCrossentropy(from_logits=True, reduction="sum")(yt, yp)) == pytest.approx(1.730, abs=1e-3)
    np.testing.assert_allclose(
        losses.BinaryCrossentropy(from_logits=True, reduction=None)(yt, yp).numpy(), [0.235, 1.496], atol=5e-4
    )
    focal = losses.BinaryFocalCrossentropy
    assert float(focal(gamma=2, from_logits=True)(np.array([0, 1, 0, 0]), np.array([-18.6, 0.51, 2.94, -12.8]))) == pytest.approx(0.691, abs=1e-3)
    assert float(focal(gamma=3, from_logits=True)(yt, yp)) == pytest.approx(0.647, abs=1e-3)
    assert float(focal(apply_class_balancing=True, gamma=3, from_logits=True)(yt, yp)) == pytest.approx(0.482, abs=1e-3)
    assert float(focal(gamma=3, from_logits=True)(yt, yp, sample_weight=[0.8, 0.2])) == pytest.approx(0.133, abs=1e-3)
    assert float(focal(gamma=4, from_logits=True, reduction="sum")(yt, yp)) == pytest.approx(1.222, abs=1e-3)
    np.testing.assert_allclose(focal(gamma=5, from_logits=True, reduction=None)(yt, yp).numpy(), [0.0017, 1.1561], atol=5e-4)

    np.testing.assert_allclose(
        losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]).numpy(), [0.916, 0.714], atol=5e-4
    )
    assert float(ops.convert_to_numpy(losses.huber([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])).mean()) == pytest.approx(0.155, abs=1e-3)
    assert float(losses.log_cosh([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]]).numpy().mean()) == pytest.approx(0.108, abs=1e-3)
    np.testing.assert_allclose(
        losses.cosine_similarity([[0.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0], [-1.0, -1.0]]).numpy(),
        [0.0, -1.0, 1.0], atol=1e-6,
    )  # fmt: skip
    cfce = losses.CategoricalFocalCrossentropy()
    assert float(cfce([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])) == pytest.approx(0.23315276, rel=1e-5)


# --- shapes, clipping, logits, masks --------------------------------------------------------


def test_rank_fix_never_broadcasts_batch_against_batch():
    y = RNG.normal(size=404)
    pred = RNG.normal(size=(404, 1)).astype(np.float32)
    per_sample = losses.MeanSquaredError(reduction=None)(y, pred)
    assert per_sample.shape == (404,)
    np.testing.assert_allclose(per_sample.numpy(), (y - pred[:, 0]) ** 2, rtol=1e-5)
    assert float(losses.MeanSquaredError()(y, pred)) == pytest.approx(np.mean((y - pred[:, 0]) ** 2), rel=1e-5)
    assert float(losses.MeanAbsoluteError()(pred, y)) == pytest.approx(np.mean(np.abs(y - pred[:, 0])), rel=1e-5)
    # (batch, 1) targets against (batch,) predictions, and (batch, 1) weights
    out = losses.mean_squared_error(y[:, None], pred[:, 0])
    assert out.shape == (404,)
    w = RNG.random((404, 1))
    weighted = losses.MeanSquaredError(reduction="sum")(y, pred, sample_weight=w)
    assert float(weighted) == pytest.approx(np.sum((y - pred[:, 0]) ** 2 * w[:, 0]), rel=1e-5)
    labels = RNG.integers(0, 3, size=(10, 1))
    probs = softmax(RNG.normal(size=(10, 3)))
    assert float(losses.SparseCategoricalCrossentropy()(labels, probs)) == pytest.approx(ref_scce(labels[:, 0], probs).mean(), rel=1e-5)


def test_per_sample_weights_broadcast_over_time_axis():
    t, p = RNG.normal(size=(3, 5, 2)), RNG.normal(size=(3, 5, 2))
    w = np.array([1.0, 0.0, 2.0])
    per_step = ref_mse(t, p)  # (3, 5)
    out = losses.MeanSquaredError()(t, p, sample_weight=w)
    assert float(out) == pytest.approx(np.sum(per_step * w[:, None]) / per_step.size, rel=1e-5)


def test_probabilities_are_clipped_at_epsilon():
    # float32 inputs are clipped to [eps, 1 - eps] in float32, where 1 - eps rounds to 1 - 1.19e-7
    lo, hi = np.float32(EPS), np.float32(1 - EPS)
    t = np.array([[1.0, 0.0, 1.0, 0.0]])
    p = np.array([[0.0, 1.0, 1.0, 0.0]])  # raw arrays: no logits to recover
    pc = np.clip(p.astype(np.float32), lo, hi).astype(np.float64)
    expected = np.mean(-(t * np.log(pc) + (1 - t) * np.log(1 - pc)))
    assert float(losses.BinaryCrossentropy()(t, p)) == pytest.approx(expected, rel=1e-5)
    assert expected > 7.9  # the clip is what keeps log(0) finite
    onehot = np.array([[0.0, 1.0, 0.0]])
    assert float(losses.CategoricalCrossentropy()(onehot, np.array([[1.0, 0.0, 0.0]]))) == pytest.approx(-np.log(lo), rel=1e-5)
    # sparse: log of the clipped probabilities, renormalized by log-softmax
    probs = np.array([[1.0, 0.0, 0.0]])
    clipped = np.clip(probs.astype(np.float32), lo, hi).astype(np.float64)
    expected = -np.log(clipped[0, 1] / clipped.sum())
    assert float(losses.SparseCategoricalCrossentropy()([1], probs)) == pytest.approx(expected, rel=1e-5)
    # with float64 inputs the clip happens in float64
    assert float(losses.binary_crossentropy(np.array([0.0]), lamina.Tensor(np.array([1.0])))) == pytest.approx(-np.log(EPS), rel=1e-6)


def test_from_logits_equivalence_and_cached_logits():
    z = RNG.normal(scale=2.0, size=(8, 3))
    y = (RNG.random((8, 3)) > 0.5).astype(np.float32)
    via_probs = losses.BinaryCrossentropy()(y, sigmoid(z))  # a NumPy array: the probability path
    via_logits = losses.BinaryCrossentropy(from_logits=True)(y, z)
    assert float(via_probs) == pytest.approx(float(via_logits), rel=1e-5)
    onehot = np.eye(3)[RNG.integers(0, 3, 8)]
    assert float(losses.CategoricalCrossentropy()(onehot, softmax(z))) == pytest.approx(
        float(losses.CategoricalCrossentropy(from_logits=True)(onehot, z)), rel=1e-5
    )
    labels = onehot.argmax(-1)
    assert float(losses.SparseCategoricalCrossentropy()(labels, softmax(z))) == pytest.approx(
        float(losses.SparseCategoricalCrossentropy(from_logits=True)(labels, z)), rel=1e-5
    )
    # a sigmoid/softmax Tensor carries its logits: extreme logits give the exact loss, unclipped
    big = np.array([[40.0], [-40.0]])
    exact = float(losses.BinaryCrossentropy(from_logits=True)(np.array([0.0, 1.0]), big))
    assert exact == pytest.approx(40.0, rel=1e-6)
    assert float(losses.BinaryCrossentropy()(np.array([0.0, 1.0]), ops.sigmoid(big))) == pytest.approx(exact, rel=1e-6)
    big3 = np.array([[50.0, 0.0, 0.0]])
    assert float(losses.CategoricalCrossentropy()(np.array([[0.0, 1.0, 0.0]]), ops.softmax(big3))) == pytest.approx(50.0, rel=1e-5)


def test_sparse_ignore_class_masks_the_mean():
    labels = np.array([0, 2, -1, 1, -1])
    z = RNG.normal(size=(5, 3))
    valid = labels != -1
    ref = ref_scce(labels[valid], z[valid], from_logits=True)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    assert float(loss(labels, z)) == pytest.approx(ref.mean(), rel=1e-5)  # mean over valid entries
    per_sample = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, reduction=None)(labels, z)
    np.testing.assert_allclose(per_sample.numpy()[~valid], 0.0)
    np.testing.assert_allclose(per_sample.numpy()[valid], ref, rtol=1e-5)
    assert float(losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, reduction="sum")(labels, z)) == pytest.approx(ref.sum(), rel=1e-5)


def test_input_mask_on_predictions():
    t, p = RNG.normal(size=(4, 3)), lamina.Tensor(RNG.normal(size=(4, 3)).astype(np.float32))
    mask = np.array([True, False, True, True])
    p._keras_mask = mask
    per = ref_mse(t, p.numpy().astype(np.float64))
    assert float(losses.MeanSquaredError()(t, p)) == pytest.approx(per[mask].mean(), rel=1e-5)
    assert float(losses.MeanSquaredError(reduction="sum")(t, p)) == pytest.approx(per[mask].sum(), rel=1e-5)
    # a (batch, time) mask with per-sample (batch,) weights: the mean runs over valid steps
    labels = RNG.integers(0, 3, (4, 5))
    logits = lamina.Tensor(RNG.normal(size=(4, 5, 3)).astype(np.float32))
    step_mask = RNG.random((4, 5)) > 0.3
    logits._keras_mask = step_mask
    w = np.array([1.0, 2.0, 0.0, 1.0])
    per_step = ref_scce(labels.ravel(), logits.numpy().reshape(-1, 3).astype(np.float64), from_logits=True).reshape(4, 5)
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits, sample_weight=w)
    assert float(loss) == pytest.approx(np.sum(per_step * w[:, None] * step_mask) / step_mask.sum(), rel=1e-5)


def test_triplet_loss():
    a, pos, neg = (RNG.normal(size=(5, 4)) for _ in range(3))
    d_ap, d_an = np.sum((a - pos) ** 2, -1), np.sum((a - neg) ** 2, -1)
    expected = np.maximum(d_ap - d_an + 1.5, 0)
    np.testing.assert_allclose(losses.triplet_loss(a, pos, neg, margin=1.5).numpy(), expected, rtol=1e-6)
    stacked = np.stack([a, pos, neg], axis=1)
    assert float(losses.TripletLoss(margin=1.5)(None, stacked)) == pytest.approx(expected.mean(), rel=1e-5)
    eu = np.maximum(np.sqrt(d_ap) - np.sqrt(d_an) + 0.3, 0)
    assert float(losses.TripletLoss(margin=0.3, distance="euclidean")(np.zeros(5), stacked)) == pytest.approx(eu.mean(), rel=1e-5)
    cos = lambda u, v: 1 - np.sum(u * v, -1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))  # noqa: E731
    expected_cos = np.maximum(cos(a, pos) - cos(a, neg) + 0.2, 0)
    assert float(losses.TripletLoss(margin=0.2, distance="cosine")(None, stacked)) == pytest.approx(expected_cos.mean(), rel=1e-5)
    with pytest.raises(ValueError, match=r"\(batch, 3, dim\)"):
        losses.TripletLoss()(None, a)
    with pytest.raises(ValueError, match="euclidean"):
        losses.TripletLoss(distance="euclidian")
    err = check_gradients(lambda e: losses.TripletLoss(margin=4.0, distance="euclidean")(None, e), stacked)
    assert err < 1e-5


def test_gradient_tape_through_a_loss():
    x = RNG.normal(size=(16, 3)).astype(np.float32)
    y = RNG.normal(size=16).astype(np.float32)
    w = lamina.Variable(RNG.normal(size=(3, 1)))
    with lamina.GradientTape() as tape:
        loss = losses.MeanSquaredError()(y, ops.matmul(x, w))
    (grad,) = tape.gradient(loss, [w])
    residual = x @ w.numpy() - y[:, None]
    np.testing.assert_allclose(grad.numpy(), 2 * x.T @ residual / 16, rtol=1e-4, atol=1e-6)


def test_single_class_categorical_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses.categorical_crossentropy(np.ones((2, 1)), np.full((2, 1), 0.5))
    assert any(issubclass(w.category, SyntaxWarning) for w in caught)


# --- registry, names, configs ---------------------------------------------------------------


def test_get_resolves_keras_names():
    names = {
        "mse": losses.mean_squared_error, "MSE": losses.mean_squared_error,
        "mae": losses.mean_absolute_error, "mape": losses.mean_absolute_percentage_error,
        "msle": losses.mean_squared_logarithmic_error, "kld": losses.kl_divergence,
        "bce": losses.binary_crossentropy, "binary_crossentropy": losses.binary_crossentropy,
        "categorical_crossentropy": losses.categorical_crossentropy,
        "sparse_categorical_crossentropy": losses.sparse_categorical_crossentropy,
        "huber": losses.huber, "hinge": losses.hinge, "squared_hinge": losses.squared_hinge,
        "kl_divergence": losses.kl_divergence, "poisson": losses.poisson,
        "cosine_similarity": losses.cosine_similarity, "log_cosh": losses.log_cosh,
    }  # fmt: skip
    for name, fn in names.items():
        assert losses.get(name) is fn, name
    for cls in (losses.MeanSquaredError, losses.CategoricalCrossentropy, losses.Huber, losses.TripletLoss):
        assert type(losses.get(cls.__name__)) is cls
    assert isinstance(losses.get(losses.MeanAbsoluteError), losses.MeanAbsoluteError)
    inst = losses.Huber(delta=2.0)
    assert losses.get(inst) is inst and losses.get(None) is None
    got = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(got, losses.CategoricalCrossentropy) and got.from_logits


def test_unknown_loss_name_suggests_closest():
    with pytest.raises(ValueError, match="mean_squared_error") as info:
        losses.get("mean_sqaured_error")
    assert "Valid names" in str(info.value)
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="auto")


def test_default_names_and_config_round_trip():
    expected = {
        losses.MeanSquaredError: "mean_squared_error", losses.MeanAbsoluteError: "mean_absolute_error",
        losses.Huber: "huber_loss", losses.LogCosh: "log_cosh", losses.KLDivergence: "kl_divergence",
        losses.BinaryCrossentropy: "binary_crossentropy", losses.CategoricalHinge: "categorical_hinge",
        losses.SparseCategoricalCrossentropy: "sparse_categorical_crossentropy",
        losses.CosineSimilarity: "cosine_similarity", losses.TripletLoss: "triplet_loss",
    }  # fmt: skip
    for cls, name in expected.items():
        assert cls().name == name
    assert losses.MeanSquaredError().dtype == "float32"
    loss = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, reduction="sum", name="b")
    again = losses.deserialize(losses.serialize(loss))
    assert type(again) is losses.BinaryCrossentropy and again.get_config() == loss.get_config()
    assert losses.deserialize(losses.serialize(losses.mse)) is losses.mean_squared_error
    wrapped = losses.LossFunctionWrapper(lambda t, p: ops.abs(ops.subtract(t, p)), reduction="sum")
    assert float(wrapped(np.zeros(3), np.array([[1.0], [-2.0], [3.0]]))) == pytest.approx(6.0)


def test_user_subclass_of_loss():
    class MyAbsolute(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.sum(ops.abs(ops.subtract(y_pred, y_true)), axis=-1)

    loss = MyAbsolute(reduction="sum")
    assert loss.name == "my_absolute" and loss.get_config() == {"name": "my_absolute", "reduction": "sum"}
    t, p = RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2))
    assert float(loss(t, p, sample_weight=[1.0, 0.0, 2.0])) == pytest.approx(
        np.sum(np.abs(p - t).sum(-1) * [1.0, 0.0, 2.0]), rel=1e-5
    )
    with pytest.raises(NotImplementedError, match="call"):
        losses.Loss()(t, p)

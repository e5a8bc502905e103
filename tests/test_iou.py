"""IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU: Keras's documented values, an
independent confusion-matrix reference, masking, accumulation, config and compile()."""

import numpy as np
import pytest

import lamina
from lamina import metrics

Y_TRUE_1H = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
Y_PRED_SCORES = np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
WEIGHTS = [0.1, 0.2, 0.3, 0.4]


def ref_ious(t, p, n, w=None):
    """Per-class IoU from a confusion matrix built with a plain loop (float64)."""
    cm = np.zeros((n, n))
    for i, (a, b) in enumerate(zip(np.ravel(t), np.ravel(p))):
        cm[a, b] += 1.0 if w is None else np.ravel(w)[i]
    tp = np.diag(cm)
    denom = cm.sum(0) + cm.sum(1) - tp
    return tp, denom


def ref_mean_iou(t, p, n, ids, w=None):
    tp, denom = ref_ious(t, p, n, w)
    tp, denom = tp[ids], denom[ids]
    valid = denom > 0
    return float(np.sum(tp[valid] / denom[valid]) / valid.sum())


def test_keras_docstring_examples():
    m = metrics.IoU(num_classes=2, target_class_ids=[0])
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    assert float(m.result()) == pytest.approx(0.33333334, rel=1e-6)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    assert float(m.result()) == pytest.approx(0.33333334, rel=1e-6)

    m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    assert float(m.result()) == pytest.approx(0.33333334, rel=1e-6)
    m.reset_state()
    m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], sample_weight=[0.2, 0.3, 0.4, 0.1])
    assert float(m.result()) == pytest.approx(0.17361112, rel=1e-6)

    m = metrics.MeanIoU(num_classes=2)
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    assert float(m.result()) == pytest.approx(0.33333334, rel=1e-6)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    assert float(m.result()) == pytest.approx(0.23809525, rel=1e-6)

    m = metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    m.update_state(y_true=Y_TRUE_1H, y_pred=Y_PRED_SCORES, sample_weight=WEIGHTS)
    assert float(m.result()) == pytest.approx((0 / 0.9 + 0.1 / 0.7) / 2, rel=1e-5)  # ~0.071
    m = metrics.OneHotMeanIoU(num_classes=3)
    m.update_state(y_true=Y_TRUE_1H, y_pred=Y_PRED_SCORES, sample_weight=WEIGHTS)
    assert float(m.result()) == pytest.approx((0.1 / 0.7) / 3, rel=1e-5)  # ~0.048
    assert m.result().dtype == np.float32 and m.total_cm.shape == (3, 3)
    np.testing.assert_allclose(
        m.total_cm.numpy(), [[0, 0, 0.6], [0.3, 0, 0], [0, 0, 0.1]], atol=1e-7
    )


def test_segmentation_maps_against_reference_over_batches():
    rng = np.random.default_rng(0)
    n = 4
    t = rng.integers(0, n, size=(3, 5, 6))
    scores = rng.random((3, 5, 6, n)).astype("float32")
    p = scores.argmax(-1)
    w = rng.random((3, 5, 6))
    m = metrics.MeanIoU(num_classes=n, sparse_y_pred=False)
    for i in range(3):  # batch by batch: the confusion matrix accumulates
        m.update_state(t[i : i + 1], scores[i : i + 1], sample_weight=w[i : i + 1])
    assert float(m.result()) == pytest.approx(ref_mean_iou(t, p, n, list(range(n)), w), rel=1e-5)
    one = metrics.IoU(num_classes=n, target_class_ids=[2])
    one.update_state(t, p)
    tp, denom = ref_ious(t, p, n)
    assert float(one.result()) == pytest.approx(tp[2] / denom[2], rel=1e-5)


def test_absent_classes_are_left_out_of_the_mean_and_ignore_class():
    m = metrics.MeanIoU(num_classes=3)
    m.update_state([0, 0, 1, 1], [0, 0, 1, 0])  # class 2 never appears: mean over 2 classes
    assert float(m.result()) == pytest.approx((2 / 3 + 1 / 2) / 2, rel=1e-6)
    m = metrics.MeanIoU(num_classes=2, ignore_class=255)
    m.update_state([0, 255, 1, 1, 255], [0, 1, 1, 1, 0])  # the 255 pixels do not count
    assert float(m.result()) == pytest.approx(1.0, rel=1e-6)
    m = metrics.IoU(num_classes=2, target_class_ids=[1], ignore_class=-1)
    m.update_state([[1, -1], [0, 1]], [[1, 0], [1, 1]])
    assert float(m.result()) == pytest.approx(2 / 3, rel=1e-6)
    assert float(metrics.MeanIoU(num_classes=2).result()) == 0.0  # nothing seen yet


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="Target class id 2 is out of range"):
        metrics.IoU(num_classes=2, target_class_ids=[0, 2])
    with pytest.raises(ValueError, match="num_classes"):
        metrics.MeanIoU(num_classes=0)
    m = metrics.MeanIoU(num_classes=2)
    with pytest.raises(ValueError, match=r"label 5 is outside \[0, 2\)"):
        m.update_state([0, 5], [0, 1])
    with pytest.raises(ValueError, match="sparse_y_true"):
        m.update_state([0, 1, 1], [0, 1])


@pytest.mark.parametrize("make", [
    lambda: metrics.IoU(num_classes=3, target_class_ids=[1, 2], ignore_class=0, name="iou_x"),
    lambda: metrics.BinaryIoU(target_class_ids=[1], threshold=0.7),
    lambda: metrics.MeanIoU(num_classes=4, sparse_y_pred=False, axis=1),
    lambda: metrics.OneHotIoU(num_classes=3, target_class_ids=[0]),
    lambda: metrics.OneHotMeanIoU(num_classes=5, ignore_class=4),
])  # fmt: skip
def test_config_round_trip_and_keras_keys(make):
    m = make()
    config = m.get_config()
    again = type(m).from_config(config)
    assert again.get_config() == config
    assert metrics.deserialize(metrics.serialize(m)).get_config() == config
    keys = {
        "IoU": {"name", "dtype", "num_classes", "target_class_ids", "ignore_class",
                "sparse_y_true", "sparse_y_pred", "axis"},
        "BinaryIoU": {"target_class_ids", "threshold", "name", "dtype"},
        "MeanIoU": {"num_classes", "name", "dtype", "ignore_class", "sparse_y_true",
                    "sparse_y_pred", "axis"},
        "OneHotIoU": {"num_classes", "target_class_ids", "name", "dtype", "ignore_class",
                      "sparse_y_pred", "axis"},
        "OneHotMeanIoU": {"num_classes", "name", "dtype", "ignore_class", "sparse_y_pred", "axis"},
    }[type(m).__name__]  # fmt: skip
    assert set(config) == keys


def test_default_names_and_string_lookup():
    assert metrics.IoU(num_classes=2, target_class_ids=[0]).name == "io_u"
    assert metrics.MeanIoU(num_classes=2).name == "mean_io_u"
    assert metrics.OneHotMeanIoU(num_classes=2).name == "one_hot_mean_io_u"
    assert type(metrics.get("binary_io_u")) is metrics.BinaryIoU
    assert type(metrics.get("BinaryIoU")) is metrics.BinaryIoU


def test_compile_with_iou_metrics():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    lamina.utils.set_random_seed(0)
    model = lamina.Sequential(
        [lamina.Input(shape=(3,)), lamina.layers.Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=["binary_io_u", metrics.BinaryIoU(target_class_ids=[1], name="fg_iou")])  # fmt: skip
    history = model.fit(x, y, epochs=1, batch_size=64, verbose=0)
    assert {"binary_io_u", "fg_iou"} <= set(history.history)
    logs = model.evaluate(x, y, return_dict=True, verbose=0)
    pred = (model.predict(x, verbose=0) >= 0.5).astype(int)
    assert logs["fg_iou"] == pytest.approx(ref_mean_iou(y.astype(int), pred, 2, [1]), rel=1e-5)
    assert logs["binary_io_u"] == pytest.approx(
        ref_mean_iou(y.astype(int), pred, 2, [0, 1]), rel=1e-5
    )

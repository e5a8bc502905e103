"""BatchNormalization, LayerNormalization, GroupNormalization against float64 NumPy
transcriptions: training vs inference, moving statistics, gradients (training mode too),
Keras's weight order and parameter counts."""

import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.utils import check_gradients
from tests.helpers.layer_test import run_layer_test


@pytest.mark.parametrize(
    "cls, kwargs, shape, n_train, n_non",
    [
        (layers.BatchNormalization, {}, (4, 3), 2, 2),
        (layers.BatchNormalization, {"axis": 1, "center": False}, (4, 3, 2, 2), 1, 2),
        (layers.LayerNormalization, {}, (2, 3, 4), 2, 0),
        (layers.LayerNormalization, {"axis": [1, 2]}, (2, 3, 4), 2, 0),
        (layers.LayerNormalization, {"rms_scaling": True}, (2, 3, 4), 1, 0),
        (layers.GroupNormalization, {"groups": 2}, (2, 3, 4), 2, 0),
        (layers.GroupNormalization, {"groups": -1, "axis": 1}, (2, 4, 3), 2, 0),
    ],
)
def test_normalization_layer_harness(cls, kwargs, shape, n_train, n_non):
    run_layer_test(
        cls,
        kwargs,
        shape,
        expected_num_trainable_weights=n_train,
        expected_num_non_trainable_weights=n_non,
    )


def bn_reference(x, gamma, beta, mean, var, eps=1e-3):
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_batchnorm_training_and_inference_values(rng):
    bn = layers.BatchNormalization(
        dtype="float64", gamma_initializer="random_normal", beta_initializer="random_normal"
    )
    x = rng.standard_normal((8, 5, 3)) * 3 + 2
    train = bn(x, training=True).numpy()
    gamma, beta = bn.gamma.numpy(), bn.beta.numpy()
    mean, var = x.mean(axis=(0, 1)), x.var(axis=(0, 1))
    np.testing.assert_allclose(train, bn_reference(x, gamma, beta, mean, var), atol=1e-12)
    # moving = moving * 0.99 + batch * 0.01, from zeros/ones
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mean, atol=1e-14)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.99 + 0.01 * var, atol=1e-14)
    infer = bn(x, training=False).numpy()
    np.testing.assert_allclose(
        infer, bn_reference(x, gamma, beta, 0.01 * mean, 0.99 + 0.01 * var), atol=1e-12
    )
    np.testing.assert_allclose(
        bn.moving_mean.numpy(), 0.01 * mean, atol=1e-14
    )  # inference: no update


def test_batchnorm_moving_statistics_follow_fit(rng):
    x = (rng.standard_normal((64, 4)) * [1, 2, 3, 4] + [5, -5, 0, 1]).astype("float32")
    model = keras.Sequential(
        [keras.Input(shape=(4,)), layers.BatchNormalization(momentum=0.5), layers.Dense(1)]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((64, 1), "float32"), batch_size=64, epochs=3, shuffle=False, verbose=0)
    bn = model.layers[0]
    mean, var = np.zeros(4), np.ones(4)
    for _ in range(3):
        mean, var = mean * 0.5 + x.mean(0) * 0.5, var * 0.5 + x.var(0) * 0.5
    np.testing.assert_allclose(bn.moving_mean.numpy(), mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), var, rtol=1e-5)
    before = bn.moving_mean.numpy().copy()
    model.predict(x, verbose=0)
    model.evaluate(x, np.zeros((64, 1)), verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)


def test_batchnorm_training_gradients(rng):
    x = rng.standard_normal((6, 3, 2))
    bn = layers.BatchNormalization(
        dtype="float64", gamma_initializer="random_normal", beta_initializer="random_normal"
    )
    bn(x)
    assert check_gradients(lambda inp, *w: bn(inp, training=True), x, *bn.trainable_weights) < 1e-6
    assert check_gradients(lambda inp, *w: bn(inp, training=False), x, *bn.trainable_weights) < 1e-6


def test_batchnorm_channels_first_and_masked(rng):
    bn = layers.BatchNormalization(axis=1, dtype="float64")
    x = rng.standard_normal((4, 3, 2, 2))
    out = bn(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 2, 3), keepdims=True), x.var(axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3), atol=1e-12)
    masked = layers.BatchNormalization(dtype="float64")
    seq = rng.standard_normal((2, 4, 3))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
    out = masked(seq, training=True, mask=keras.ops.convert_to_tensor(mask)).numpy()
    kept = seq[mask]
    np.testing.assert_allclose(
        out[mask], (kept - kept.mean(0)) / np.sqrt(kept.var(0) + 1e-3), atol=1e-6
    )
    np.testing.assert_allclose(masked.moving_mean.numpy(), 0.01 * kept.mean(0), atol=1e-8)


def test_frozen_batchnorm_runs_in_inference_mode(rng):
    bn = layers.BatchNormalization()
    x = rng.standard_normal((8, 3)).astype("float32") + 4
    bn(x, training=True)
    bn.trainable = False
    before = bn.moving_mean.numpy().copy()
    out = bn(x, training=True).numpy()
    np.testing.assert_allclose(
        out, (x - before) / np.sqrt(bn.moving_variance.numpy() + 1e-3), rtol=1e-5
    )
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)


def test_batchnorm_weights_order_params_and_config(capsys):
    model = keras.Sequential(
        [
            keras.Input(shape=(8, 8, 16)),
            layers.Conv2D(32, 3),
            layers.BatchNormalization(),
            layers.Activation("relu"),
        ]
    )
    bn = model.layers[1]
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert bn.count_params() == 128 and len(bn.trainable_weights) == 2
    model.summary()
    out = capsys.readouterr().out
    assert "Trainable params: 4,704" in out and "Non-trainable params: 64" in out
    config = bn.get_config()
    assert config["momentum"] == 0.99 and config["epsilon"] == 1e-3 and config["axis"] == -1
    for key in (
        "center",
        "scale",
        "beta_initializer",
        "gamma_initializer",
        "moving_mean_initializer",
        "moving_variance_initializer",
        "beta_regularizer",
        "gamma_regularizer",
        "beta_constraint",
        "gamma_constraint",
        "synchronized",
    ):
        assert key in config


def test_layer_normalization_values(rng):
    ln = layers.LayerNormalization(
        dtype="float64", gamma_initializer="random_normal", beta_initializer="random_normal"
    )
    x = rng.standard_normal((2, 3, 5)) * 4 + 1
    out = ln(x).numpy()
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(out, ref * ln.gamma.numpy() + ln.beta.numpy(), atol=1e-12)
    multi = layers.LayerNormalization(axis=[1, 2], dtype="float64")
    ref2 = (x - x.mean((1, 2), keepdims=True)) / np.sqrt(x.var((1, 2), keepdims=True) + 1e-3)
    np.testing.assert_allclose(multi(x).numpy(), ref2, atol=1e-12)
    assert multi.gamma.shape == (3, 5)
    rms = layers.LayerNormalization(rms_scaling=True, dtype="float64")
    np.testing.assert_allclose(
        rms(x).numpy(), x / np.sqrt(x.var(-1, keepdims=True) + 1e-3), atol=1e-12
    )
    assert rms.beta is None
    np.testing.assert_array_equal(ln(x, training=True).numpy(), out)  # no training behaviour


def test_group_normalization_values(rng):
    gn = layers.GroupNormalization(groups=2, dtype="float64", gamma_initializer="random_normal")
    x = rng.standard_normal((3, 4, 6))
    out = gn(x).numpy()
    grouped = x.reshape(3, 4, 2, 3)
    mean, var = grouped.mean(axis=(1, 3), keepdims=True), grouped.var(axis=(1, 3), keepdims=True)
    ref = ((grouped - mean) / np.sqrt(var + 1e-3)).reshape(3, 4, 6) * gn.gamma.numpy()
    np.testing.assert_allclose(out, ref, atol=1e-12)
    with pytest.raises(ValueError, match="cannot be split into 4 equal groups"):
        layers.GroupNormalization(groups=4)(np.zeros((1, 6), "float32"))


def test_bad_normalization_arguments():
    with pytest.raises(TypeError, match="axis must be an int"):
        layers.BatchNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match="out of range"):
        layers.BatchNormalization(axis=3)(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="momentum"):
        layers.BatchNormalization(momentum=1.5)

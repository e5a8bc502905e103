"""GaussianNoise, GaussianDropout, SpatialDropout1D/2D: identity at inference; at training,
the noise has the documented statistics and shape, and gradients flow through it."""

import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Tensor
from tests.helpers.layer_test import run_layer_test


@pytest.mark.parametrize(
    "cls, kwargs, shape",
    [
        (layers.GaussianNoise, {"stddev": 0.1}, (2, 3)),
        (layers.GaussianDropout, {"rate": 0.3}, (2, 3)),
        (layers.SpatialDropout1D, {"rate": 0.3}, (2, 3, 4)),
        (layers.SpatialDropout2D, {"rate": 0.3}, (2, 3, 4, 2)),
        (layers.SpatialDropout2D, {"rate": 0.3, "data_format": "channels_first"}, (2, 2, 3, 4)),
    ],
)
def test_noise_layer_harness(cls, kwargs, shape):
    run_layer_test(cls, kwargs, shape, expected_output_shape=shape, expected_num_params=0)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (layers.GaussianNoise(0.5), (2, 3)),
        (layers.GaussianDropout(0.4), (2, 3)),
        (layers.SpatialDropout1D(0.5), (2, 3, 4)),
        (layers.SpatialDropout2D(0.5), (2, 3, 4, 5)),
    ],
)
def test_identity_at_inference(layer, shape, rng):
    x = rng.standard_normal(shape).astype("float32")
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    assert not np.array_equal(layer(x, training=True).numpy(), x)


def test_gaussian_noise_statistics():
    x = np.full((200, 500), 3.0, "float32")
    y = layers.GaussianNoise(0.5, seed=1)(x, training=True).numpy()
    noise = y - 3.0
    assert abs(noise.mean()) < 0.005 and abs(noise.std() - 0.5) < 0.005
    assert y.dtype == np.float32


def test_gaussian_dropout_statistics_and_gradient():
    x = np.full((200, 500), 2.0, "float32")
    y = layers.GaussianDropout(0.2, seed=3)(x, training=True).numpy() / 2.0  # the multiplier
    assert abs(y.mean() - 1.0) < 0.005 and abs(y.std() - np.sqrt(0.2 / 0.8)) < 0.005
    layer = layers.GaussianDropout(0.5, seed=4)
    xt = Tensor(np.ones((3, 4), "float32"))
    with GradientTape() as tape:
        tape.watch(xt)
        out = layer(xt, training=True)
    np.testing.assert_allclose(
        tape.gradient(out, xt).numpy(), out.numpy(), rtol=1e-6
    )  # d(x*m)/dx = m


def test_spatial_dropout_drops_whole_channels():
    x = np.ones((64, 10, 10, 16), "float32")
    y = layers.SpatialDropout2D(0.25, seed=2)(x, training=True).numpy()
    per_channel = y.reshape(64, 100, 16)
    assert np.all(
        per_channel.min(axis=1) == per_channel.max(axis=1)
    )  # constant per (sample, channel)
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((per_channel[:, 0] == 0).mean() - 0.25) < 0.05
    seq = layers.SpatialDropout1D(0.5, seed=5)(
        np.ones((32, 7, 8), "float32"), training=True
    ).numpy()
    assert np.all(seq.min(axis=1) == seq.max(axis=1))
    first = layers.SpatialDropout2D(0.5, data_format="channels_first", seed=6)(
        np.ones((8, 4, 3, 3), "float32"), training=True
    ).numpy()
    assert np.all(first.reshape(8, 4, 9).min(-1) == first.reshape(8, 4, 9).max(-1))


def test_seeded_noise_is_reproducible():
    x = np.zeros((4, 5), "float32")
    a = layers.GaussianNoise(1.0, seed=7)(x, training=True).numpy()
    b = layers.GaussianNoise(1.0, seed=7)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)


def test_noise_is_active_in_fit_only(rng):
    model = keras.Sequential([keras.Input(shape=(4,)), layers.GaussianNoise(10.0), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = rng.standard_normal((8, 4)).astype("float32")
    np.testing.assert_array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))


def test_bad_rates():
    with pytest.raises(ValueError, match="rate must be a number"):
        layers.GaussianDropout(1.0)
    with pytest.raises(ValueError, match="stddev must be a number"):
        layers.GaussianNoise(-1)
    with pytest.raises(ValueError, match="rate must be a number in"):
        layers.SpatialDropout2D(1.5)
    config = layers.SpatialDropout2D(0.3, seed=1).get_config()
    assert (config["rate"], config["seed"], config["data_format"]) == (0.3, 1, "channels_last")


def test_training_gradients_of_additive_and_spatial_noise():
    xt = Tensor(np.ones((4, 3, 5), "float32"))
    for layer in (layers.GaussianNoise(1.0, seed=1), layers.SpatialDropout1D(0.5, seed=2)):
        with GradientTape() as tape:
            tape.watch(xt)
            out = layer(xt, training=True)
        grad = tape.gradient(out, xt).numpy()
        if isinstance(layer, layers.GaussianNoise):
            np.testing.assert_array_equal(grad, np.ones_like(grad))  # d(x + noise)/dx = 1
        else:
            np.testing.assert_array_equal(grad, out.numpy())  # x = 1: the gradient is the mask

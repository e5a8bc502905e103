"""Pooling and spatial resizing layers: the layer harness, values against float64 NumPy
transcriptions, the fast 2x2 max pooling against `ops.max_pool` (values and gradients,
ties included), masks, and errors."""

import numpy as np
import pytest

import lamina as keras
from lamina import layers, ops
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Tensor
from lamina.kernels import pool as fast_pool
from tests.helpers.layer_test import run_layer_test


@pytest.mark.parametrize(
    "cls, kwargs, shape, out_shape",
    [
        (layers.MaxPooling2D, {}, (2, 5, 5, 2), (2, 2, 2, 2)),
        (
            layers.MaxPooling2D,
            {"pool_size": 3, "strides": 2, "padding": "same"},
            (2, 5, 5, 2),
            (2, 3, 3, 2),
        ),
        (layers.MaxPooling2D, {"data_format": "channels_first"}, (2, 2, 4, 6), (2, 2, 2, 3)),
        (layers.MaxPooling1D, {}, (2, 5, 3), (2, 2, 3)),
        (
            layers.MaxPooling1D,
            {"pool_size": 3, "strides": 1, "padding": "same"},
            (2, 5, 3),
            (2, 5, 3),
        ),
        (layers.AveragePooling2D, {"padding": "same"}, (2, 5, 5, 2), (2, 3, 3, 2)),
        (layers.AveragePooling2D, {"pool_size": (2, 3)}, (2, 4, 6, 1), (2, 2, 2, 1)),
        (layers.AveragePooling1D, {}, (2, 6, 2), (2, 3, 2)),
        (layers.GlobalAveragePooling2D, {}, (2, 3, 4, 2), (2, 2)),
        (layers.GlobalMaxPooling2D, {"keepdims": True}, (2, 3, 4, 2), (2, 1, 1, 2)),
        (layers.GlobalAveragePooling1D, {}, (2, 3, 4), (2, 4)),
        (layers.GlobalMaxPooling1D, {"data_format": "channels_first"}, (2, 3, 4), (2, 3)),
    ],
)
def test_pooling_layer(cls, kwargs, shape, out_shape):
    run_layer_test(cls, kwargs, shape, expected_output_shape=out_shape, expected_num_params=0)


@pytest.mark.parametrize(
    "cls, kwargs, shape, out_shape",
    [
        (layers.UpSampling2D, {"size": (2, 3)}, (2, 3, 2, 2), (2, 6, 6, 2)),
        (layers.UpSampling2D, {"interpolation": "bilinear"}, (2, 3, 2, 2), (2, 6, 4, 2)),
        (layers.UpSampling1D, {"size": 3}, (2, 3, 2), (2, 9, 2)),
        (layers.ZeroPadding2D, {"padding": ((1, 2), (0, 1))}, (2, 3, 2, 2), (2, 6, 3, 2)),
        (
            layers.ZeroPadding2D,
            {"padding": 1, "data_format": "channels_first"},
            (2, 2, 3, 2),
            (2, 2, 5, 4),
        ),
        (layers.ZeroPadding1D, {"padding": 2}, (2, 3, 2), (2, 7, 2)),
        (layers.Cropping2D, {"cropping": ((1, 0), (1, 1))}, (2, 4, 4, 2), (2, 3, 2, 2)),
        (layers.Cropping1D, {}, (2, 4, 2), (2, 2, 2)),
    ],
)
def test_spatial_layer(cls, kwargs, shape, out_shape):
    run_layer_test(cls, kwargs, shape, expected_output_shape=out_shape, expected_num_params=0)


def windows_reference(x, p, s, fn):
    """Valid pooling by loops over output pixels (float64)."""
    n, h, w, c = x.shape
    ho, wo = (h - p) // s + 1, (w - p) // s + 1
    out = np.zeros((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            out[:, i, j] = fn(x[:, i * s : i * s + p, j * s : j * s + p], axis=(1, 2))
    return out


def test_pooling_values(rng):
    x = rng.standard_normal((2, 7, 6, 3))
    np.testing.assert_allclose(
        layers.MaxPooling2D(dtype="float64")(x).numpy(), windows_reference(x, 2, 2, np.max)
    )
    np.testing.assert_allclose(
        layers.MaxPooling2D(3, strides=2, dtype="float64")(x).numpy(),
        windows_reference(x, 3, 2, np.max),
    )
    np.testing.assert_allclose(
        layers.AveragePooling2D(3, strides=1, dtype="float64")(x).numpy(),
        windows_reference(x, 3, 1, np.mean),
        atol=1e-12,
    )
    np.testing.assert_allclose(
        layers.GlobalMaxPooling2D(dtype="float64")(x).numpy(), x.max(axis=(1, 2))
    )
    np.testing.assert_allclose(
        layers.GlobalAveragePooling2D(dtype="float64")(x).numpy(), x.mean(axis=(1, 2))
    )


@pytest.mark.parametrize("shape", [(3, 8, 6, 4), (2, 7, 5, 3), (2, 9, 3), (1, 2, 2, 1)])
def test_fast_max_pool_matches_ops_max_pool(rng, shape):
    x = rng.standard_normal(shape).astype("float32")
    x[..., 0] = 0.0  # whole windows of ties (as after a ReLU)
    if shape[1] >= 4 and len(shape) == 4:
        x[0, 2, 2:4, -1] = 5.0  # a tie inside one row
        x[0, 0:2, 0, -1] = 7.0  # a tie inside one column
    g = rng.standard_normal(ops.max_pool(x, 2).shape).astype("float32")
    grads = []
    for fn in (lambda t: ops.max_pool(t, 2), fast_pool.max_pool_2x2):
        xt = Tensor(x)
        with GradientTape() as tape:
            tape.watch(xt)
            y = fn(xt)
        grads.append((y.numpy(), tape.gradient(y, xt, output_gradients=Tensor(g)).numpy()))
    np.testing.assert_array_equal(grads[0][0], grads[1][0])
    np.testing.assert_array_equal(grads[0][1], grads[1][1])


def test_max_pool_gradient_goes_to_first_maximum():
    x = np.array([[[[1.0], [3.0]], [[3.0], [2.0]]]], "float32")  # (1, 2, 2, 1), tie at (0,1), (1,0)
    xt = Tensor(x)
    with GradientTape() as tape:
        tape.watch(xt)
        y = layers.MaxPooling2D()(xt)
    g = tape.gradient(y, xt).numpy()
    np.testing.assert_array_equal(g[0, :, :, 0], [[0, 1], [0, 0]])


def test_global_average_pooling_1d_respects_mask():
    x = np.arange(12, dtype="float32").reshape(2, 3, 2)
    mask = Tensor(np.array([[True, True, False], [True, False, False]]))
    out = layers.GlobalAveragePooling1D()(x, mask=mask).numpy()
    np.testing.assert_allclose(out, [[1.0, 2.0], [6.0, 7.0]])
    emb = layers.Embedding(5, 2, mask_zero=True)
    tokens = np.array([[1, 2, 0, 0]])
    pooled = layers.GlobalAveragePooling1D()(emb(tokens)).numpy()
    np.testing.assert_allclose(pooled[0], emb.embeddings.numpy()[[1, 2]].mean(axis=0), rtol=1e-6)


def bilinear_reference(x, scale):
    """Half-pixel-centre bilinear resize of axis 1 (float64, by explicit neighbours)."""
    n = x.shape[1]
    out = []
    for i in range(n * scale):
        src = min(max((i + 0.5) / scale - 0.5, 0.0), n - 1)
        lo = int(np.floor(src))
        hi = min(lo + 1, n - 1)
        out.append(x[:, lo] * (1 - (src - lo)) + x[:, hi] * (src - lo))
    return np.stack(out, axis=1)


def test_upsampling_values(rng):
    x = rng.standard_normal((2, 3, 4, 2))
    near = layers.UpSampling2D((2, 3), dtype="float64")(x).numpy()
    np.testing.assert_array_equal(near, np.repeat(np.repeat(x, 2, axis=1), 3, axis=2))
    bil = layers.UpSampling2D(2, interpolation="bilinear", dtype="float64")(x).numpy()
    ref = np.swapaxes(bilinear_reference(np.swapaxes(bilinear_reference(x, 2), 1, 2), 2), 1, 2)
    np.testing.assert_allclose(bil, ref, atol=1e-12)
    np.testing.assert_array_equal(
        layers.UpSampling1D(2, dtype="float64")(x[:, :, 0]).numpy(),
        np.repeat(x[:, :, 0], 2, axis=1),
    )


def test_padding_and_cropping_values(rng):
    x = rng.standard_normal((2, 3, 4, 2))
    padded = layers.ZeroPadding2D(((1, 2), (3, 0)), dtype="float64")(x).numpy()
    np.testing.assert_array_equal(padded, np.pad(x, ((0, 0), (1, 2), (3, 0), (0, 0))))
    cropped = layers.Cropping2D(((1, 0), (1, 2)), dtype="float64")(x).numpy()
    np.testing.assert_array_equal(cropped, x[:, 1:, 1:2])
    assert layers.ZeroPadding2D(2).padding == ((2, 2), (2, 2))
    assert layers.ZeroPadding2D((1, 3)).padding == ((1, 1), (3, 3))


def test_pool_larger_than_input_names_both_sizes():
    with pytest.raises(ValueError, match=r"pool size 3 is larger than the input height 2"):
        layers.MaxPooling2D(3)(np.zeros((1, 2, 5, 1), "float32"))


def test_pooling_needs_channel_axis():
    with pytest.raises(ValueError, match=r"reshape\(-1, 28, 28, 1\)"):
        layers.MaxPooling2D()(np.zeros((2, 28, 28), "float32"))


def test_bad_pooling_arguments():
    with pytest.raises(ValueError, match="did you mean 'valid'"):
        layers.MaxPooling2D(padding="vaild")
    with pytest.raises(ValueError, match="pool_size must be positive"):
        layers.AveragePooling2D(pool_size=0)
    with pytest.raises(ValueError, match="removes all"):
        layers.Cropping2D(((2, 2), (0, 0)))(np.zeros((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="interpolation must be one of"):
        layers.UpSampling2D(interpolation="cubic")


def test_upsampling2d_bicubic_is_ops_image_resize():
    x = np.random.default_rng(0).random((2, 3, 4, 2)).astype("float32")
    got = layers.UpSampling2D(size=(2, 3), interpolation="bicubic")(x)
    want = keras.ops.image.resize(x, (6, 12), "bicubic")
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    assert np.asarray(got).shape == (2, 6, 12, 2)


def test_pooling_config_keys_and_aliases():
    config = layers.MaxPooling2D(3, strides=2, padding="same").get_config()
    assert (config["pool_size"], config["strides"], config["padding"]) == ((3, 3), (2, 2), "same")
    assert layers.MaxPooling2D(2).get_config()["strides"] == (2, 2)
    assert (
        layers.MaxPool2D is layers.MaxPooling2D
        and layers.GlobalAvgPool2D is layers.GlobalAveragePooling2D
    )
    assert layers.GlobalAveragePooling2D(keepdims=True).get_config()["keepdims"] is True


def test_pooling_in_a_model_is_symbolic_and_trains(rng):
    model = keras.Sequential(
        [
            keras.Input(shape=(6, 6, 2)),
            layers.AveragePooling2D(),
            layers.UpSampling2D(),
            layers.ZeroPadding2D(1),
            layers.Cropping2D(1),
            layers.Conv2D(1, 1),
        ]
    )
    assert model.output_shape == (None, 6, 6, 1)
    model.compile(optimizer="sgd", loss="mse")
    x = rng.standard_normal((4, 6, 6, 2)).astype("float32")
    assert np.isfinite(model.train_on_batch(x, x[..., :1]))

"""Convolution layers: the layer harness (shapes, config, float64 gradients of inputs and
weights, a training step), values against direct-loop float64 references, Keras's
parameter counts, and the errors for bad input."""

import numpy as np
import pytest

import lamina as keras
from lamina import layers
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Tensor
from lamina.kernels import conv as fused_conv
from lamina.utils import check_gradients
from tests.helpers.layer_test import run_layer_test


def direct_conv(x, k, stride=1, padding="valid", dilation=1):
    """2-D cross-correlation by loops over output pixels, float64, TensorFlow padding."""
    x, k = np.asarray(x, np.float64), np.asarray(k, np.float64)
    n, h, w, _ = x.shape
    kh, kw, _, cout = k.shape
    eff_h, eff_w = (kh - 1) * dilation + 1, (kw - 1) * dilation + 1
    if padding == "same":
        ho, wo = -(-h // stride), -(-w // stride)
        ph, pw = max((ho - 1) * stride + eff_h - h, 0), max((wo - 1) * stride + eff_w - w, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        ho, wo = (h - eff_h) // stride + 1, (w - eff_w) // stride + 1
    out = np.zeros((n, ho, wo, cout))
    for i in range(ho):
        for j in range(wo):
            win = x[
                :,
                i * stride : i * stride + eff_h : dilation,
                j * stride : j * stride + eff_w : dilation,
            ]
            out[:, i, j] = np.einsum("nabc,abcf->nf", win, k)
    return out


@pytest.mark.parametrize(
    "kwargs, shape, out_shape",
    [
        ({"filters": 3, "kernel_size": 2, "activation": "relu"}, (2, 5, 5, 2), (2, 4, 4, 3)),
        (
            {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
            (2, 5, 6, 2),
            (2, 3, 3, 3),
        ),
        (
            {"filters": 4, "kernel_size": (3, 2), "dilation_rate": 2, "groups": 2},
            (2, 6, 6, 2),
            (2, 2, 4, 4),
        ),
        (
            {"filters": 3, "kernel_size": 2, "data_format": "channels_first", "activation": "tanh"},
            (2, 2, 5, 4),
            (2, 3, 4, 3),
        ),
        ({"filters": 2, "kernel_size": 1, "use_bias": False}, (2, 3, 3, 2), (2, 3, 3, 2)),
    ],
)
def test_conv2d_layer(kwargs, shape, out_shape):
    run_layer_test(
        layers.Conv2D,
        kwargs,
        shape,
        expected_output_shape=out_shape,
        expected_num_trainable_weights=1 if kwargs.get("use_bias") is False else 2,
    )


@pytest.mark.parametrize(
    "kwargs, shape, out_shape",
    [
        (
            {"filters": 3, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
            (2, 7, 2),
            (2, 7, 3),
        ),
        (
            {"filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu", "strides": 2},
            (2, 7, 2),
            (2, 4, 3),
        ),
        ({"filters": 2, "kernel_size": 2}, (2, 5, 3), (2, 4, 2)),
    ],
)
def test_conv1d_layer(kwargs, shape, out_shape):
    run_layer_test(layers.Conv1D, kwargs, shape, expected_output_shape=out_shape)


@pytest.mark.parametrize(
    "cls, kwargs, shape, out_shape, n_params",
    [
        (
            layers.Conv2DTranspose,
            {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
            (2, 3, 4, 2),
            (2, 6, 8, 3),
            57,
        ),
        (
            layers.Conv2DTranspose,
            {"filters": 3, "kernel_size": 3, "strides": 2, "output_padding": 1},
            (2, 3, 4, 2),
            (2, 8, 10, 3),
            57,
        ),
        (
            layers.Conv2DTranspose,
            {"filters": 2, "kernel_size": 2, "strides": 2},
            (2, 3, 3, 2),
            (2, 6, 6, 2),
            18,
        ),
        (
            layers.Conv1DTranspose,
            {"filters": 3, "kernel_size": 3, "strides": 2},
            (2, 4, 2),
            (2, 9, 3),
            21,
        ),
        (
            layers.DepthwiseConv2D,
            {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"},
            (2, 5, 5, 2),
            (2, 5, 5, 4),
            40,
        ),
        (layers.DepthwiseConv1D, {"kernel_size": 3}, (2, 5, 2), (2, 3, 2), 8),
        (
            layers.SeparableConv2D,
            {"filters": 4, "kernel_size": 3, "depth_multiplier": 2},
            (2, 5, 5, 2),
            (2, 3, 3, 4),
            56,
        ),
        (
            layers.SeparableConv1D,
            {"filters": 4, "kernel_size": 3, "activation": "relu"},
            (2, 6, 2),
            (2, 4, 4),
            18,
        ),
    ],
)
def test_other_convolutions(cls, kwargs, shape, out_shape, n_params):
    run_layer_test(
        cls, kwargs, shape, expected_output_shape=out_shape, expected_num_params=n_params
    )


def test_conv2d_values_match_direct_loops(rng):
    for kw in (
        {"strides": 1, "padding": "valid"},
        {"strides": 2, "padding": "same"},
        {"dilation_rate": 2, "padding": "same"},
    ):
        layer = layers.Conv2D(
            4, 3, activation="relu", dtype="float64", bias_initializer="random_normal", **kw
        )
        x = rng.standard_normal((2, 7, 6, 3))
        y = layer(x).numpy()
        ref = direct_conv(
            x, layer.kernel.numpy(), kw.get("strides", 1), kw["padding"], kw.get("dilation_rate", 1)
        )
        np.testing.assert_allclose(y, np.maximum(ref + layer.bias.numpy(), 0), atol=1e-12)


def test_conv1d_causal_sees_only_the_past(rng):
    layer = layers.Conv1D(2, 3, padding="causal", dilation_rate=2, dtype="float64")
    x = rng.standard_normal((1, 9, 2))
    y = layer(x).numpy()
    k = layer.kernel.numpy()  # (3, 2, 2): out[t] = sum_i x[t - 2 (2 - i)] k[i]
    ref = np.zeros((9, 2))
    for t in range(9):
        for i in range(3):
            s = t - 2 * (2 - i)
            if s >= 0:
                ref[t] += x[0, s] @ k[i]
    np.testing.assert_allclose(y[0], ref, atol=1e-12)
    x2 = x.copy()
    x2[0, 5:] += 10.0  # changing the future leaves the past unchanged
    np.testing.assert_allclose(layer(x2).numpy()[0, :5], y[0, :5], atol=1e-12)


def test_grouped_conv_equals_separate_convs(rng):
    layer = layers.Conv2D(4, 2, groups=2, dtype="float64", use_bias=False)
    x = rng.standard_normal((2, 4, 4, 6))
    y = layer(x).numpy()
    k = layer.kernel.numpy()  # (2, 2, 3, 4): group g uses channels 3g..3g+2 and filters 2g, 2g+1
    ref = np.concatenate(
        [direct_conv(x[..., :3], k[..., :2]), direct_conv(x[..., 3:], k[..., 2:])], -1
    )
    np.testing.assert_allclose(y, ref, atol=1e-12)


def test_channels_first_equals_channels_last(rng):
    last = layers.Conv2D(3, 3, padding="same", activation="relu")
    first = layers.Conv2D(3, 3, padding="same", activation="relu", data_format="channels_first")
    x = rng.standard_normal((2, 5, 6, 2)).astype("float32")
    y_last = last(x)
    first(np.transpose(x, (0, 3, 1, 2)))
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(
        np.transpose(first(np.transpose(x, (0, 3, 1, 2))).numpy(), (0, 2, 3, 1)),
        y_last.numpy(),
        atol=1e-6,
    )


def test_conv2d_transpose_is_the_adjoint_of_conv2d(rng):
    """<conv(x, k), y> = <x, conv_transpose(y, k)> for a strided 'same' convolution."""
    k = rng.standard_normal((3, 3, 2, 4))
    x, y = rng.standard_normal((1, 6, 6, 2)), rng.standard_normal((1, 3, 3, 4))
    t = layers.Conv2DTranspose(2, 3, strides=2, padding="same", use_bias=False, dtype="float64")
    t(y)
    t.set_weights([k])  # (kh, kw, filters=2, in=4): the same array as the conv kernel
    lhs = np.sum(direct_conv(x, k, 2, "same") * y)
    rhs = np.sum(x * t(y).numpy())
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


@pytest.mark.parametrize(
    "relu, use_bias, strides, padding, cin",
    [
        (True, True, 1, "valid", 3),  # window depth 18: bias folded into the matmul
        (False, True, 2, "same", 3),
        (True, False, (2, 1), "same", 3),
        (True, True, 1, "same", 7),  # depth 42: bias added after the matmul
        (False, True, (1, 2), "valid", 7),
    ],
)
def test_fused_conv_gradients(rng, relu, use_bias, strides, padding, cin):
    x = rng.standard_normal((2, 5, 6, cin))
    k = rng.standard_normal((3, 2, cin, 4)) * 0.5
    b = rng.standard_normal(4) if use_bias else None
    args = (x, k) + ((b,) if use_bias else ())

    def fn(xx, kk, *bb):
        return fused_conv.conv_bias_act(xx, kk, bb[0] if bb else None, strides, padding, relu=relu)

    assert check_gradients(fn, *args) < 1e-6
    y = fn(x, k, *args[2:]).numpy()
    ref = direct_conv(x, k, 1, padding) if strides == 1 else None
    if ref is not None:
        ref = ref + (b if use_bias else 0)
        np.testing.assert_allclose(y, np.maximum(ref, 0) if relu else ref, atol=1e-12)


def test_fused_conv_does_not_compute_unneeded_input_gradient(rng):
    x = rng.standard_normal((2, 5, 5, 1)).astype("float32")
    k = keras.Variable(rng.standard_normal((3, 3, 1, 2)).astype("float32"))
    with GradientTape() as tape:
        y = fused_conv.conv_bias_act(x, k, None, relu=True)
    gk = tape.gradient(y, k)
    assert gk.dtype == np.float32 and gk.shape == (3, 3, 1, 2)


def test_mnist_convnet_summary_matches_keras(capsys):
    keras.backend.clear_session()
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(128, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    assert [l.count_params() for l in model.layers] == [320, 0, 18496, 0, 73856, 0, 11530]
    assert model.count_params() == 104202
    model.summary()
    out = capsys.readouterr().out
    for text in (
        "(None, 26, 26, 32)",
        "(None, 13, 13, 32)",
        "(None, 11, 11, 64)",
        "(None, 5, 5, 64)",
        "(None, 3, 3, 128)",
        "(None, 1152)",
        "Total params: 104,202",
    ):
        assert text in out, text


@pytest.mark.parametrize(
    "layer, input_shape, params",
    [
        (layers.Conv2D(32, 3), (28, 28, 1), 320),
        (layers.Conv2D(64, (3, 3), use_bias=False), (13, 13, 32), 18432),
        (layers.Conv1D(32, 7), (500, 128), 28704),
        (layers.SeparableConv2D(64, 3), (14, 14, 32), 288 + 2048 + 64),
        (layers.DepthwiseConv2D(3, depth_multiplier=2), (14, 14, 32), 576 + 64),
        (layers.Conv2DTranspose(16, 3, strides=2, padding="same"), (7, 7, 32), 4624),
    ],
)
def test_param_counts_match_keras(layer, input_shape, params):
    model = keras.Sequential([keras.Input(shape=input_shape), layer])
    assert model.count_params() == params


def test_output_shape_with_unknown_spatial_size():
    layer = layers.Conv2D(8, 3, strides=2, padding="same")
    assert layer.compute_output_shape((None, None, 9, 3)) == (None, None, 5, 8)
    assert layers.Conv2DTranspose(4, 3, strides=2).compute_output_shape((None, 5, None, 2)) == (
        None,
        11,
        None,
        4,
    )


def test_mnist_without_channel_axis_suggests_reshape():
    model = keras.Sequential(
        [layers.Conv2D(32, 3, activation="relu"), layers.Flatten(), layers.Dense(10)]
    )
    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"reshape\(-1, 28, 28, 1\)"):
        model.fit(np.zeros((8, 28, 28), "float32"), np.zeros(8, "int64"), verbose=0)
    built = layers.Conv2D(4, 3)
    built(np.zeros((1, 28, 28, 1), "float32"))
    with pytest.raises(ValueError, match=r"reshape\(-1, 28, 28, 1\)"):
        built(np.zeros((2, 28, 28), "float32"))


def test_kernel_larger_than_input_names_both_sizes():
    with pytest.raises(ValueError, match=r"kernel size 5 is larger than the input height 3"):
        layers.Conv2D(4, 5)(np.zeros((1, 3, 8, 1), "float32"))
    with pytest.raises(ValueError, match=r"kernel size 9 .* input width 4"):
        keras.Sequential([keras.Input(shape=(4, 2)), layers.Conv1D(2, 9)])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"filters": 0, "kernel_size": 3}, "filters must be a positive integer"),
        ({"filters": 4, "kernel_size": 3, "padding": "sme"}, "did you mean 'same'"),
        (
            {"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
            "strides > 1 cannot be combined",
        ),
        (
            {"filters": 4, "kernel_size": (3, 3, 3)},
            "kernel_size must be an int or a tuple of 2 ints",
        ),
        ({"filters": 3, "kernel_size": 3, "groups": 2}, "divisible by groups"),
        (
            {"filters": 4, "kernel_size": 3, "data_format": "channels_lats"},
            "did you mean 'channels_last'",
        ),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.Conv2D(**kwargs)


def test_causal_padding_only_for_conv1d():
    with pytest.raises(ValueError, match="padding must be one of"):
        layers.Conv2D(2, 3, padding="causal")


def test_kernel_regularizer_and_constraint(rng):
    layer = layers.Conv2D(
        2,
        3,
        kernel_regularizer=keras.regularizers.L2(0.1),
        kernel_constraint=keras.constraints.NonNeg(),
    )
    layer(rng.standard_normal((1, 5, 5, 1)).astype("float32"))
    np.testing.assert_allclose(
        float(layer.losses[0].numpy()), 0.1 * np.sum(layer.kernel.numpy() ** 2), rtol=1e-5
    )
    assert layer.kernel.constraint is layer.kernel_constraint


def test_config_round_trip_keeps_keras_keys():
    config = layers.Conv2D(
        8, 3, strides=2, padding="same", activation="relu", name="c"
    ).get_config()
    for key in (
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "data_format",
        "dilation_rate",
        "groups",
        "activation",
        "use_bias",
        "kernel_initializer",
        "bias_initializer",
        "kernel_regularizer",
        "bias_regularizer",
        "activity_regularizer",
        "kernel_constraint",
        "bias_constraint",
    ):
        assert key in config, key
    assert config["kernel_size"] == (3, 3) and config["strides"] == (2, 2)
    clone = layers.Conv2D.from_config(config)
    assert clone.get_config() == config


def test_symbolic_conv_model_trains(rng):
    inputs = keras.Input(shape=(8, 8, 1))
    h = layers.Conv2D(4, 3, activation="relu", padding="same")(inputs)
    h = layers.MaxPooling2D()(h)
    outputs = layers.Dense(1)(layers.GlobalAveragePooling2D()(h))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    x = rng.standard_normal((16, 8, 8, 1)).astype("float32")
    y = x.mean(axis=(1, 2, 3))[:, None]
    first = model.train_on_batch(x, y)
    for _ in range(30):
        last = model.train_on_batch(x, y)
    assert last < first
    assert isinstance(model(Tensor(x)), Tensor)


@pytest.mark.parametrize(
    "x_shape, ksize, strides, dilation, padding, cin, cout",
    [
        ((2, 7, 6), (3, 3), (1, 1), (1, 1), "same", 4, 4),  # the flipped-kernel convolution
        ((2, 7, 6), (3, 2), (1, 1), (1, 1), "same", 5, 3),  # uneven "same" padding (0, 1)
        ((1, 9, 8), (3, 3), (1, 1), (2, 1), "same", 3, 2),  # dilated
        ((2, 6, 7), (2, 3), (1, 1), (1, 1), "valid", 4, 4),
        ((2, 7, 6), (3, 3), (1, 1), (1, 1), "same", 2, 5),  # more outputs: windows summed back
        ((2, 7, 6), (3, 3), (2, 1), (1, 1), "same", 4, 4),  # strided: windows summed back
        ((2, 1, 9), (1, 3), (1, 1), (1, 1), "same", 3, 3),  # a 1-D convolution lifted to 2-D
        ((1, 4, 5, 4), (2, 3, 3), (1, 1, 1), (1, 1, 1), "same", 3, 2),  # 3-D
    ],
)
def test_input_gradient_is_the_adjoint_of_conv(rng, x_shape, ksize, strides, dilation, padding, cin, cout):
    """<conv(x, k), g> = <x, input_gradient(g)> for every x: the gradient is conv's adjoint,
    whichever way it is computed (flipped-kernel convolution or windows summed back)."""
    from lamina.ops import _window as W
    from lamina.ops.convolution import input_gradient

    x = rng.standard_normal((*x_shape, cin))
    k = rng.standard_normal((*ksize, cin, cout))
    y = keras.ops.conv(x, k, strides, padding, dilation_rate=dilation).numpy()
    g = rng.standard_normal(y.shape)
    out_sz, pads = W.geometry("conv", x.shape[1:-1], ksize, strides, dilation, padding)
    gx = input_gradient(g.reshape(-1, cout), k, x.shape, out_sz, pads, strides, dilation)
    assert gx.shape == x.shape
    np.testing.assert_allclose(np.sum(y * g), np.sum(x * gx), rtol=1e-12)
    x2 = rng.standard_normal(x.shape)  # linear in x: the identity holds for any other x too
    y2 = keras.ops.conv(x2, k, strides, padding, dilation_rate=dilation).numpy()
    np.testing.assert_allclose(np.sum(y2 * g), np.sum(x2 * gx), rtol=1e-12)

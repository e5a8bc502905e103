"""3-D convolution and pooling: `ops.conv`/`conv_transpose`/`max_pool`/`average_pool` on
(N, D, H, W, C) inputs and the layers Conv3D, Conv3DTranspose, MaxPooling3D,
AveragePooling3D, GlobalMax/AveragePooling3D, UpSampling3D, ZeroPadding3D, Cropping3D.

Values come from direct loops over output voxels in float64 (TensorFlow padding), pooling
windows read by hand, the transposed convolution as the adjoint of the convolution
(<conv(x), y> == <x, conv_transpose(y)>), and hand-counted small cases; gradients by central
finite differences; Keras's parameter counts; a tiny Conv3D model learns a volumetric task.
"""

import numpy as np
import pytest

import lamina as keras
from lamina import layers, ops
from tests.helpers import check_op
from tests.helpers.layer_test import run_layer_test


def _axis(size, k, s, d, padding):
    """(output length, padding before) of one axis, TensorFlow's rule."""
    eff = (k - 1) * d + 1
    if padding == "valid":
        return (size - eff) // s + 1, 0
    out = -(-size // s)
    return out, max((out - 1) * s + eff - size, 0) // 2


def _triple(v):
    return (v,) * 3 if isinstance(v, int) else tuple(v)


def loop_conv3d(x, k, strides=1, padding="valid", dilation=1):
    """out[n, o, f] = sum_t sum_c x[n, o*s + t*d - before, c] k[t, c, f], one output voxel and
    one kernel offset at a time; positions outside the input read as zeros."""
    s, d = _triple(strides), _triple(dilation)
    geo = [_axis(x.shape[1 + i], k.shape[i], s[i], d[i], padding) for i in range(3)]
    out = np.zeros((x.shape[0], *(g[0] for g in geo), k.shape[-1]))
    for o in np.ndindex(*out.shape[1:4]):
        for t in np.ndindex(*k.shape[:3]):
            p = [o[i] * s[i] + t[i] * d[i] - geo[i][1] for i in range(3)]
            if all(0 <= p[i] < x.shape[1 + i] for i in range(3)):
                out[(slice(None), *o)] += x[(slice(None), *p)] @ k[t]
    return out


def loop_pool3d(x, pool, strides, padding, kind):
    """Max or mean of the real (non-padded) elements of each window."""
    pool = _triple(pool)
    s = pool if strides is None else _triple(strides)
    geo = [_axis(x.shape[1 + i], pool[i], s[i], 1, padding) for i in range(3)]
    out = np.zeros((x.shape[0], *(g[0] for g in geo), x.shape[-1]))
    for o in np.ndindex(*out.shape[1:4]):
        lo = [o[i] * s[i] - geo[i][1] for i in range(3)]
        win = x[(slice(None), *(slice(max(lo[i], 0), lo[i] + pool[i]) for i in range(3)))]
        out[(slice(None), *o)] = win.max(axis=(1, 2, 3)) if kind == "max" else win.mean(axis=(1, 2, 3))
    return out


def to_first(a):
    return np.moveaxis(a, -1, 1)


# ---------------------------------------------------------------- ops: convolution

CONV3D = [  # (input, kernel, strides, padding, dilation)
    ((2, 4, 5, 3, 2), (2, 3, 2, 2, 3), 1, "valid", 1),
    ((2, 4, 5, 3, 2), (3, 3, 3, 2, 2), 1, "same", 1),
    ((1, 5, 4, 6, 2), (3, 2, 3, 2, 2), 2, "same", 1),  # odd sizes: extra pad after
    ((1, 5, 6, 4, 1), (2, 3, 1, 1, 2), (2, 1, 3), "valid", 1),
    ((1, 5, 5, 4, 2), (2, 2, 2, 2, 2), 1, "valid", (2, 1, 2)),
    ((1, 4, 3, 4, 2), (3, 2, 3, 2, 2), 1, "same", 2),
    ((2, 3, 2, 3, 3), (1, 1, 1, 3, 4), 1, "valid", 1),  # pointwise: no im2col copy
]


@pytest.mark.parametrize("xs, ks, strides, padding, dilation", CONV3D, ids=str)
def test_conv3d_matches_direct_loops_and_gradients(xs, ks, strides, padding, dilation):
    check_op(lambda x, k: ops.conv(x, k, strides, padding, dilation_rate=dilation), xs, ks,
             ref=lambda x, k: loop_conv3d(x, k, strides, padding, dilation))


def test_conv3d_channels_first_and_hand_counted_values():
    check_op(lambda x, k: ops.conv(x, k, 2, "same", data_format="channels_first"),
             (1, 2, 5, 4, 3), (3, 3, 3, 2, 2),
             ref=lambda x, k: to_first(loop_conv3d(np.moveaxis(x, 1, -1), k, 2, "same")))
    # a ones kernel counts the real voxels under each window: 2 * 2 * 2 inside, fewer at the
    # "same" border (the 4-long axis pads one voxel after only: windows of 2, 2, 2, 1 voxels)
    out = ops.conv(np.ones((1, 4, 4, 4, 1), np.float32), np.ones((2, 2, 2, 1, 1), np.float32),
                   padding="same").numpy()[0, ..., 0]
    per_axis = np.array([2, 2, 2, 1])
    np.testing.assert_array_equal(out, np.einsum("i,j,k->ijk", per_axis, per_axis, per_axis))
    assert out.dtype == np.float32


# ---------------------------------------------------------------- ops: transposed convolution

@pytest.mark.parametrize("strides, padding, dilation", [
    (1, "valid", 1), (2, "valid", 1), (3, "valid", 1), (2, "same", 1), (3, "same", 1),
    (1, "same", 1), ((2, 1, 3), "same", 1), (1, "valid", 2), (1, "same", (2, 1, 1)),
])
def test_conv_transpose3d_is_the_adjoint_of_conv3d(strides, padding, dilation):
    rng = np.random.default_rng(3)
    y, k = rng.standard_normal((2, 3, 2, 3, 4)), rng.standard_normal((3, 2, 3, 2, 4))
    xt = ops.conv_transpose(y, k, strides, padding, dilation_rate=dilation).numpy()
    x = rng.standard_normal(xt.shape)
    cy = ops.conv(x, k, strides, padding, dilation_rate=dilation).numpy()
    assert cy.shape == y.shape
    np.testing.assert_allclose(np.sum(xt * x), np.sum(y * cy), rtol=1e-12)


def test_conv_transpose3d_output_padding_shapes_values_and_gradients():
    rng = np.random.default_rng(4)
    y, k = rng.standard_normal((1, 2, 3, 2, 2)), rng.standard_normal((2, 2, 3, 3, 2))
    # valid: (in - 1) * s + k + output_padding per axis, and still conv's adjoint there
    xt = ops.conv_transpose(y, k, (3, 2, 2), "valid", output_padding=(2, 1, 0)).numpy()
    assert xt.shape == (1, 7, 7, 5, 3)
    x = rng.standard_normal(xt.shape)
    cy = ops.conv(x, k, (3, 2, 2), "valid").numpy()
    np.testing.assert_allclose(np.sum(xt * x), np.sum(y * cy), rtol=1e-12)
    # same with output_padding: (in - 1) * s + k % 2 + output_padding (Keras's formula)
    assert ops.conv_transpose(y, k, 2, "same", output_padding=1).shape == (1, 3, 5, 4, 3)
    check_op(lambda a, b: ops.conv_transpose(a, b, 2, "same", output_padding=1), (1, 2, 3, 2, 2),
             (2, 3, 2, 3, 2))
    check_op(lambda a, b: ops.conv_transpose(a, b, (2, 1, 2), "valid", dilation_rate=1),
             (2, 2, 3, 2, 3), (3, 2, 2, 2, 3))


def test_conv_transpose3d_hand_values_and_channels_first():
    ones = np.ones((1, 2, 2, 2, 1), np.float32)
    kernel = np.ones((2, 2, 2, 1, 1), np.float32)
    # stride 2 = kernel: the windows tile the output, each voxel written once
    np.testing.assert_array_equal(ops.conv_transpose(ones, kernel, 2).numpy(), np.ones((1, 4, 4, 4, 1)))
    # stride 1: a voxel of the 3x3x3 output is covered by (1, 2, 1) windows per axis
    per_axis = np.array([1, 2, 1])
    np.testing.assert_array_equal(ops.conv_transpose(ones, kernel, 1).numpy()[0, ..., 0],
                                  np.einsum("i,j,k->ijk", per_axis, per_axis, per_axis))
    rng = np.random.default_rng(5)
    x, k = rng.standard_normal((2, 2, 3, 2, 3)), rng.standard_normal((2, 3, 2, 4, 3))
    last = ops.conv_transpose(x, k, 2, "same").numpy()
    first = ops.conv_transpose(to_first(x), k, 2, "same", data_format="channels_first").numpy()
    np.testing.assert_allclose(first, to_first(last), rtol=1e-12)


# ---------------------------------------------------------------- ops: pooling

POOL3D = [  # (input, pool, strides, padding)
    ((2, 4, 4, 4, 2), 2, None, "valid"),
    ((1, 5, 4, 3, 2), (2, 2, 2), None, "valid"),  # odd sizes: trailing voxels dropped
    ((1, 5, 4, 5, 2), 3, 2, "same"),
    ((2, 4, 5, 3, 1), (2, 3, 1), (1, 2, 1), "same"),
    ((1, 5, 3, 4, 2), (3, 2, 2), (2, 1, 2), "valid"),
]


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("xs, pool, strides, padding", POOL3D, ids=str)
def test_pool3d_matches_windows_and_gradients(kind, xs, pool, strides, padding):
    fn = ops.max_pool if kind == "max" else ops.average_pool
    check_op(lambda x: fn(x, pool, strides, padding), xs,
             ref=lambda x: loop_pool3d(x, pool, strides, padding, kind))


def test_pool3d_hand_values_and_channels_first():
    x = np.arange(64, dtype=np.float32).reshape(1, 4, 4, 4, 1)  # x[d, h, w] = 16 d + 4 h + w
    mx, avg = ops.max_pool(x, 2).numpy()[0, ..., 0], ops.average_pool(x, 2).numpy()[0, ..., 0]
    # a 2x2x2 block's maximum is its last corner, its mean its centre
    assert mx[0, 0, 0] == 21 and mx[1, 0, 1] == 16 * 3 + 4 * 1 + 3 and mx[1, 1, 1] == 63
    assert avg[0, 0, 0] == 10.5 and avg[1, 1, 0] == 16 * 2.5 + 4 * 2.5 + 0.5
    # "same" 2x2x2 stride 2 on a 3-long cube: the last window along each axis holds 1 voxel
    same = ops.average_pool(np.ones((1, 3, 3, 3, 1), np.float32) * 6, 2, padding="same")
    np.testing.assert_array_equal(same.numpy(), np.full((1, 2, 2, 2, 1), 6.0))
    check_op(lambda a: ops.max_pool(a, (2, 1, 2), data_format="channels_first"), (1, 2, 4, 3, 4),
             ref=lambda a: to_first(loop_pool3d(np.moveaxis(a, 1, -1), (2, 1, 2), None, "valid", "max")))
    check_op(lambda a: ops.average_pool(a, 2, 1, "same", data_format="channels_first"), (1, 2, 3, 3, 2),
             ref=lambda a: to_first(loop_pool3d(np.moveaxis(a, 1, -1), 2, 1, "same", "average")))


def test_max_pool3d_gradient_goes_to_the_first_maximum():
    x = keras.Variable(np.ones((1, 2, 2, 2, 1), np.float32))
    with keras.GradientTape() as tape:
        y = ops.sum(ops.max_pool(x, 2))
    g = tape.gradient(y, x).numpy()[0, ..., 0]
    assert g[0, 0, 0] == 1 and g.sum() == 1  # a tie: the first voxel in row-major order wins


def test_3d_op_errors():
    with pytest.raises(ValueError, match=r"rank 5 \(batch, depth, height, width, channels\).*reshape"):
        ops.conv(np.ones((2, 4, 4, 4)), np.ones((2, 2, 2, 1, 1)))
    with pytest.raises(ValueError, match=r"size 3.*larger than the input depth 2"):
        ops.conv(np.ones((1, 2, 4, 4, 1)), np.ones((3, 2, 2, 1, 1)))
    with pytest.raises(ValueError, match=r"2 channels.*expects 1"):
        ops.conv(np.ones((1, 4, 4, 4, 2)), np.ones((2, 2, 2, 1, 1)))
    with pytest.raises(ValueError, match="strides must be an int or 3 ints"):
        ops.conv(np.ones((1, 4, 4, 4, 1)), np.ones((2, 2, 2, 1, 1)), strides=(1, 2))
    with pytest.raises(ValueError, match=r"max_pool.*rank 5"):
        ops.max_pool(np.ones((2, 4, 4, 4)), (2, 2, 2))
    with pytest.raises(ValueError, match="larger than the input"):
        ops.average_pool(np.ones((1, 2, 4, 4, 1)), 3)
    with pytest.raises(NotImplementedError, match="3-D depthwise"):
        ops.depthwise_conv(np.ones((1, 4, 4, 4, 2)), np.ones((2, 2, 2, 2, 1)))


# ---------------------------------------------------------------- layers: harness

@pytest.mark.parametrize("cls, kwargs, shape, out_shape, params", [
    (layers.Conv3D, {"filters": 3, "kernel_size": 2}, (2, 3, 4, 3, 2), (2, 2, 3, 2, 3), 51),
    (layers.Conv3D, {"filters": 2, "kernel_size": (3, 2, 2), "strides": 2, "padding": "same",
                     "activation": "relu"}, (2, 4, 3, 5, 2), (2, 2, 2, 3, 2), 50),
    (layers.Conv3D, {"filters": 2, "kernel_size": 2, "dilation_rate": (2, 1, 1)},
     (1, 4, 3, 3, 2), (1, 2, 2, 2, 2), 34),
    (layers.Conv3D, {"filters": 4, "kernel_size": 2, "groups": 2, "use_bias": False},
     (1, 3, 3, 3, 4), (1, 2, 2, 2, 4), 64),
    (layers.Conv3D, {"filters": 2, "kernel_size": 2, "data_format": "channels_first"},
     (1, 2, 3, 3, 4), (1, 2, 2, 2, 3), 34),
    (layers.Conv3DTranspose, {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"},
     (2, 2, 1, 2, 3), (2, 4, 2, 4, 2), 50),
    (layers.Conv3DTranspose, {"filters": 2, "kernel_size": (3, 2, 2), "strides": (2, 2, 1),
                              "output_padding": (1, 0, 0), "activation": "tanh"},
     (1, 2, 2, 2, 2), (1, 6, 4, 3, 2), 50),
])
def test_conv3d_layers_harness(cls, kwargs, shape, out_shape, params):
    run_layer_test(cls, kwargs, shape, expected_output_shape=out_shape,
                   expected_num_trainable_weights=1 + kwargs.get("use_bias", True),
                   expected_num_params=params)


@pytest.mark.parametrize("cls, kwargs, shape, out_shape", [
    (layers.MaxPooling3D, {}, (2, 4, 5, 4, 2), (2, 2, 2, 2, 2)),
    (layers.MaxPooling3D, {"pool_size": (2, 1, 3), "strides": 1, "padding": "same"},
     (1, 3, 3, 4, 2), (1, 3, 3, 4, 2)),
    (layers.AveragePooling3D, {"pool_size": 3, "strides": 2, "padding": "same"},
     (1, 5, 4, 3, 2), (1, 3, 2, 2, 2)),
    (layers.AveragePooling3D, {"data_format": "channels_first"}, (1, 2, 4, 2, 4), (1, 2, 2, 1, 2)),
    (layers.GlobalMaxPooling3D, {}, (2, 3, 2, 4, 3), (2, 3)),
    (layers.GlobalAveragePooling3D, {"keepdims": True}, (2, 3, 2, 4, 3), (2, 1, 1, 1, 3)),
    (layers.GlobalAveragePooling3D, {"data_format": "channels_first"}, (2, 3, 2, 4, 3), (2, 3)),
    (layers.UpSampling3D, {}, (1, 2, 1, 2, 2), (1, 4, 2, 4, 2)),
    (layers.UpSampling3D, {"size": (1, 3, 2), "data_format": "channels_first"},
     (1, 2, 2, 1, 2), (1, 2, 2, 3, 4)),
    (layers.ZeroPadding3D, {}, (1, 2, 1, 2, 2), (1, 4, 3, 4, 2)),
    (layers.ZeroPadding3D, {"padding": ((0, 1), 2, (1, 0))}, (1, 2, 1, 2, 2), (1, 3, 5, 3, 2)),
    (layers.Cropping3D, {}, (1, 3, 4, 3, 2), (1, 1, 2, 1, 2)),
    (layers.Cropping3D, {"cropping": (1, (0, 2), 0), "data_format": "channels_first"},
     (1, 2, 3, 4, 2), (1, 2, 1, 2, 2)),
])
def test_pooling_and_resizing_3d_layers_harness(cls, kwargs, shape, out_shape):
    run_layer_test(cls, kwargs, shape, expected_output_shape=out_shape,
                   expected_num_trainable_weights=0, expected_num_params=0)


# ---------------------------------------------------------------- layers: values

def test_conv3d_layer_values_and_keras_parameter_counts():
    model = keras.Sequential([keras.Input((16, 16, 16, 1)), layers.Conv3D(8, 3)])
    assert model.count_params() == 224  # 3*3*3*1*8 + 8
    assert model.output_shape == (None, 14, 14, 14, 8)
    grouped = layers.Conv3D(16, 3, groups=2)
    grouped(np.zeros((1, 8, 8, 8, 4), np.float32))
    assert grouped.count_params() == 3 * 3 * 3 * 2 * 16 + 16 == 880
    up = layers.Conv3DTranspose(32, 2, 2, activation="relu")
    y = up(np.random.default_rng(0).random((4, 10, 8, 12, 8)).astype("float32"))
    assert y.shape == (4, 20, 16, 24, 32) and up.count_params() == 2 * 2 * 2 * 32 * 8 + 32

    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 5, 4, 4)).astype("float32")
    layer = layers.Conv3D(4, (2, 3, 2), strides=(1, 2, 1), padding="same", groups=2,
                          activation="relu", bias_initializer="ones")
    out = layer(x).numpy()
    k, b = (w.numpy().astype(np.float64) for w in layer.weights)
    parts = [loop_conv3d(x[..., 2 * g : 2 * g + 2].astype(np.float64), k[..., 2 * g : 2 * g + 2],
                         (1, 2, 1), "same") for g in range(2)]
    np.testing.assert_allclose(out, np.maximum(np.concatenate(parts, -1) + b, 0), rtol=1e-5, atol=1e-5)


def test_conv3d_transpose_layer_is_the_adjoint_plus_bias():
    rng = np.random.default_rng(2)
    layer = layers.Conv3DTranspose(2, 3, strides=2, padding="same", bias_initializer="ones")
    y = rng.standard_normal((1, 2, 3, 2, 3)).astype("float32")
    out = layer(y).numpy().astype(np.float64) - 1.0
    x = rng.standard_normal(out.shape)
    k = layer.kernel.numpy().astype(np.float64)
    cy = loop_conv3d(x, k, 2, "same")
    np.testing.assert_allclose(np.sum(out * x), np.sum(y * cy), rtol=1e-4, atol=1e-4)


def test_pooling_resizing_3d_layer_values():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 4, 3, 5, 2)).astype("float32")
    np.testing.assert_allclose(layers.MaxPooling3D((2, 3, 2), padding="same")(x).numpy(),
                               loop_pool3d(x, (2, 3, 2), None, "same", "max"), rtol=1e-6)
    np.testing.assert_allclose(layers.AveragePooling3D(2, strides=1)(x).numpy(),
                               loop_pool3d(x, 2, 1, "valid", "average"), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layers.GlobalMaxPooling3D()(x).numpy(), x.max(axis=(1, 2, 3)))
    np.testing.assert_allclose(layers.GlobalAvgPool3D()(x).numpy(), x.mean(axis=(1, 2, 3)), rtol=1e-6)

    up = layers.UpSampling3D((2, 1, 3))(x).numpy()
    assert up.shape == (2, 8, 3, 15, 2)
    for d, h, w in [(0, 0, 0), (5, 2, 14), (3, 1, 7)]:
        assert up[1, d, h, w, 1] == x[1, d // 2, h, w // 3, 1]

    small = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2, 1)
    padded = layers.ZeroPadding3D(((1, 0), (0, 2), 1))(small).numpy()[0, ..., 0]
    assert padded.shape == (3, 4, 4)
    np.testing.assert_array_equal(padded[1:, :2, 1:3], small[0, ..., 0])
    assert padded.sum() == small.sum() and padded[0].sum() == 0 and padded[:, 2:].sum() == 0

    cropped = layers.Cropping3D(((1, 0), (0, 1), (1, 2)))(x).numpy()
    np.testing.assert_array_equal(cropped, x[:, 1:, :2, 1:3])


# ---------------------------------------------------------------- config, aliases, saving

def test_3d_layer_configs_defaults_and_aliases():
    conv = layers.Conv3D(4, 3).get_config()
    assert (conv["kernel_size"], conv["strides"], conv["dilation_rate"]) == ((3,) * 3, (1,) * 3, (1,) * 3)
    assert (conv["padding"], conv["groups"], conv["data_format"]) == ("valid", 1, "channels_last")
    tconv = layers.Conv3DTranspose(4, 2, 2, "same", "channels_first", output_padding=1)
    cfg = tconv.get_config()
    assert cfg["strides"] == (2, 2, 2) and cfg["data_format"] == "channels_first"
    assert cfg["output_padding"] == (1, 1, 1) and cfg["padding"] == "same"
    pool = layers.MaxPooling3D().get_config()
    assert (pool["pool_size"], pool["strides"], pool["padding"]) == ((2, 2, 2), (2, 2, 2), "valid")
    assert layers.GlobalMaxPooling3D().get_config()["keepdims"] is False
    assert layers.UpSampling3D().get_config()["size"] == (2, 2, 2)
    assert layers.ZeroPadding3D().get_config()["padding"] == ((1, 1),) * 3
    assert layers.Cropping3D(2).get_config()["cropping"] == ((2, 2),) * 3
    assert layers.MaxPool3D is layers.MaxPooling3D and layers.AvgPool3D is layers.AveragePooling3D
    assert layers.GlobalMaxPool3D is layers.GlobalMaxPooling3D
    assert layers.GlobalAvgPool3D is layers.GlobalAveragePooling3D
    assert layers.Convolution3D is layers.Conv3D
    assert layers.Convolution3DTranspose is layers.Conv3DTranspose
    assert layers.Conv3D(1, 1).name.startswith("conv3d")
    assert layers.MaxPooling3D().name.startswith("max_pooling3d")


def test_3d_model_saves_and_loads(tmp_path):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((4, 6, 4, 2)),
        layers.ZeroPadding3D(1),
        layers.Conv3D(3, 3, activation="relu"),
        layers.MaxPool3D(2),
        layers.Conv3DTranspose(2, 2, 2, padding="same"),
        layers.Cropping3D(((0, 0), (1, 1), (0, 0))),
        layers.UpSampling3D((1, 1, 2)),
        layers.AveragePooling3D(2, padding="same"),
        layers.GlobalAveragePooling3D(),
        layers.Dense(2),
    ])
    x = np.random.default_rng(7).standard_normal((3, 4, 6, 4, 2)).astype("float32")
    model.save(tmp_path / "vol.keras")
    loaded = keras.models.load_model(tmp_path / "vol.keras")
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers]
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_3d_ops_and_layers_on_symbolic_inputs_with_unknown_depth():
    inp = keras.Input((None, 6, 5, 2))
    pooled = ops.max_pool(ops.conv(inp, np.ones((3, 3, 3, 2, 4), "float32"), 1, "same"), 2)
    assert pooled.shape == (None, None, 3, 2, 4)
    assert layers.Conv3DTranspose(3, 2, 2)(inp).shape == (None, None, 12, 10, 3)
    model = keras.Model(inp, layers.GlobalMaxPooling3D()(pooled))
    out = model.predict(np.ones((2, 4, 6, 5, 2), "float32"), verbose=0)
    np.testing.assert_array_equal(out, np.full((2, 4), 3 * 3 * 3 * 2.0))  # an interior window


def test_3d_layer_errors_name_the_layer_and_the_fix():
    with pytest.raises(ValueError, match=r"Conv3D.*rank 5.*one value per voxel.*reshape\(-1, 8, 8, 8, 1\)"):
        layers.Conv3D(4, 3)(np.ones((2, 8, 8, 8), np.float32))
    with pytest.raises(ValueError, match=r"Conv2D.*use the 3-D layer"):
        layers.Conv2D(4, 3)(np.ones((2, 8, 8, 8, 1), np.float32))
    with pytest.raises(ValueError, match=r"MaxPooling3D.*pool size 3 is larger than the input depth 2"):
        layers.MaxPooling3D(3)(np.ones((1, 2, 4, 4, 1), np.float32))
    with pytest.raises(ValueError, match="output_padding"):
        layers.Conv3DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="Cropping3D.*removes all"):
        layers.Cropping3D(2)(np.ones((1, 4, 8, 8, 1), np.float32))
    with pytest.raises(ValueError, match="ZeroPadding3D.*3 ints or 3"):
        layers.ZeroPadding3D((1, 2))


# ---------------------------------------------------------------- training

def _bars(n, rng, size=8, length=4):
    """Noisy volumes holding one bright bar of `length` voxels; the label is the bar's axis
    (depth, height or width), which only a 3-D filter sees directly."""
    x = rng.normal(0.0, 0.1, (n, size, size, size, 1)).astype("float32")
    y = rng.integers(0, 3, n)
    for i in range(n):
        voxel = rng.integers(0, size, 3)
        start = rng.integers(0, size - length + 1)
        for t in range(length):
            voxel[y[i]] = start + t
            x[(i, *voxel, 0)] += 1.0
    return x, y


def test_tiny_conv3d_model_learns_bar_orientation():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    (x, y), (xt, yt) = _bars(400, rng), _bars(200, rng)
    model = keras.Sequential([
        keras.Input((8, 8, 8, 1)),
        layers.Conv3D(4, 3, activation="relu"),
        layers.MaxPooling3D(2),
        layers.GlobalMaxPooling3D(),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy >= 0.9, accuracy

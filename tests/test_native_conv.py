"""The compiled convolution/pooling kernels (lamina/_native/_conv.c) against their NumPy twins.

Every kernel performs the twin's float operations in the same order, so results must be
*bitwise* equal (compared as raw bytes: signed zeros and NaN payloads included) on random
inputs with odd sizes, strides, dilations, ties, NaN and infinities; hand-computed cases
pin the values themselves. A small convnet trains to bitwise the same weights with and
without the extension.
"""

import collections
import os
import shutil
import sysconfig

import numpy as np
import pytest

import lamina
from lamina import _native, layers, ops
from lamina.engine.tape import GradientTape
from lamina.engine.tensor import Tensor
from lamina.ops import _conv_kernels as K
from lamina.kernels import conv as fused_conv, pool as fast_pool
from tests.helpers import use_native

needs_kernels = pytest.mark.skipif(_native.conv is None, reason="the C extension is not built")


def assert_bitwise(a, b):
    """The same bits, signed zeros included; a NaN only has to be a NaN in both. (Which NaN
    a sum of two NaNs keeps depends on the instruction's operand order, which the compiler
    may swap in an addition: AVX2 builds of col2im give inf - inf + NaN another sign bit.)"""
    assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    a, b = np.where(np.isnan(a), 0, a), np.where(np.isnan(b), 0, b)
    np.testing.assert_array_equal(
        np.ascontiguousarray(a).view(np.uint8), np.ascontiguousarray(b).view(np.uint8)
    )


def awkward(rng, shape, dtype=np.float32):
    """Random values with exact ties, zeros of both signs, NaN and infinities sprinkled in."""
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    k = max(1, flat.size // 10)
    flat[rng.integers(0, flat.size, k)] = 0.5  # ties
    flat[rng.integers(0, flat.size, k)] = 0.0
    flat[rng.integers(0, flat.size, k)] = -0.0
    flat[rng.integers(0, flat.size, max(1, k // 3))] = np.nan
    flat[rng.integers(0, flat.size, max(1, k // 3))] = np.inf
    flat[rng.integers(0, flat.size, max(1, k // 3))] = -np.inf
    return x


# (input shape, window, strides, dilation): odd sizes, strides, dilations, 1 and 3+ channels
GEOMETRIES = [
    ((2, 7, 9, 1), (3, 3), (1, 1), (1, 1)),
    ((3, 6, 5, 3), (2, 3), (2, 1), (1, 2)),
    ((1, 9, 8, 5), (3, 2), (3, 2), (2, 1)),
    ((2, 5, 5, 70), (3, 3), (1, 1), (1, 1)),  # more channels than one kernel block (64)
    ((2, 1, 7, 2), (1, 3), (1, 2), (1, 1)),  # a 1-D convolution lifted to 2-D
]


def out_hw(shape, window, strides, dilation):
    return tuple(
        (shape[1 + i] - (window[i] - 1) * dilation[i] - 1) // strides[i] + 1 for i in range(2)
    )


@needs_kernels
@pytest.mark.parametrize("shape, window, strides, dilation", GEOMETRIES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ones", [False, True])
def test_im2col_matches_numpy(shape, window, strides, dilation, dtype, ones):
    x = awkward(np.random.default_rng(0), shape, dtype)
    hw = out_hw(shape, window, strides, dilation)
    cols = K.im2col(x, window, strides, dilation, hw, ones)
    assert_bitwise(cols, K.im2col_numpy(x, window, strides, dilation, hw, ones))
    assert cols.shape == (shape[0] * hw[0] * hw[1], window[0] * window[1] * shape[3] + ones)


@pytest.mark.parametrize("native", [True, False])
def test_im2col_values(native, monkeypatch):
    use_native(monkeypatch, "conv", native)
    x = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    cols = K.im2col(x, (3, 3), (1, 1), (1, 1), (3, 3), ones=True)
    np.testing.assert_array_equal(cols[0], [0, 1, 2, 5, 6, 7, 10, 11, 12, 1])
    np.testing.assert_array_equal(cols[8], [12, 13, 14, 17, 18, 19, 22, 23, 24, 1])
    strided = K.im2col(x, (3, 3), (2, 2), (1, 1), (2, 2))
    np.testing.assert_array_equal(strided[1], [2, 3, 4, 7, 8, 9, 12, 13, 14])
    dilated = K.im2col(x, (2, 2), (1, 1), (2, 2), (3, 3))
    np.testing.assert_array_equal(dilated[0], [0, 2, 10, 12])


@needs_kernels
@pytest.mark.parametrize("shape, window, strides, dilation", GEOMETRIES)
def test_col2im_matches_numpy(shape, window, strides, dilation):
    rng = np.random.default_rng(1)
    hw = out_hw(shape, window, strides, dilation)
    cols = awkward(rng, (shape[0], *hw, *window, shape[3]))
    with np.errstate(invalid="ignore"):  # inf - inf
        assert_bitwise(
            K.col2im(cols, shape, strides, dilation), K.col2im_numpy(cols, shape, strides, dilation)
        )
    cols = rng.standard_normal(cols.shape).astype(np.float32)  # finite: sums of many terms
    assert_bitwise(
        K.col2im(cols, shape, strides, dilation), K.col2im_numpy(cols, shape, strides, dilation)
    )


@pytest.mark.parametrize("native", [True, False])
def test_col2im_counts_windows(native, monkeypatch):
    use_native(monkeypatch, "conv", native)
    # 3x3 windows over 5x5: a pixel is in (windows along its row) x (along its column)
    out = K.col2im(np.ones((1, 3, 3, 3, 3, 2), np.float32), (1, 5, 5, 2), (1, 1), (1, 1))
    per_axis = np.array([1, 2, 3, 2, 1], np.float32)
    np.testing.assert_array_equal(out[0, :, :, 0], np.outer(per_axis, per_axis))
    np.testing.assert_array_equal(out[0, :, :, 1], np.outer(per_axis, per_axis))
    # stride 2 leaves the last row and column outside every window: zero there
    out = K.col2im(np.ones((1, 2, 2, 2, 2, 1), np.float32), (1, 5, 5, 1), (2, 2), (1, 1))
    np.testing.assert_array_equal(out[0, :, :, 0], np.outer([1, 1, 1, 1, 0], [1, 1, 1, 1, 0]))


@needs_kernels
@pytest.mark.parametrize("size", [1, 63, 64, 1000])
def test_relu_mask_matches_numpy(size):
    rng = np.random.default_rng(2)
    g, z = awkward(rng, (size,)), awkward(rng, (size,))
    with np.errstate(invalid="ignore"):  # inf * 0
        assert_bitwise(K.relu_mask(g, z), K.relu_mask_numpy(g, z))


@pytest.mark.parametrize("native", [True, False])
def test_relu_mask_values_and_signed_zeros(native, monkeypatch):
    use_native(monkeypatch, "conv", native)
    g = np.array([[1.0, -2.0, 3.0], [-4.0, 5.0, np.inf]], np.float32)
    z = np.array([[0.5, 0.0, -1.0], [np.nan, -0.0, 2.0]], np.float32)
    with np.errstate(invalid="ignore"):
        out = K.relu_mask(g, z)
    np.testing.assert_array_equal(out, [[1.0, 0.0, 0.0], [0.0, 0.0, np.inf]])
    # g * 0 keeps g's sign, as NumPy's multiply by a False mask
    np.testing.assert_array_equal(np.signbit(out), [[False, True, False], [True, False, False]])


# (input shape, window rows): rows 1 is a 1-D pooling (N, W, C) lifted to (N, 1, W, C)
POOLS = [
    ((2, 8, 6, 4), 2),
    ((3, 7, 5, 3), 2),
    ((1, 2, 2, 1), 2),
    ((2, 5, 9, 70), 2),
    ((2, 1, 9, 3), 1),
    ((3, 1, 8, 70), 1),
    ((1, 1, 2, 1), 1),
]


@needs_kernels
@pytest.mark.parametrize("shape, rows", POOLS)
def test_max_pool_matches_numpy(shape, rows):
    rng = np.random.default_rng(3)
    x = awkward(rng, shape)
    out, backward = fast_pool._native_pool(_native.conv, x, rows)
    ref, ref_backward = fast_pool.numpy_pool(x, rows)
    assert_bitwise(out, ref)
    g = awkward(rng, out.shape)
    with np.errstate(invalid="ignore"):  # inf * 0 in the NumPy twin
        assert_bitwise(backward(g), ref_backward(g))
    g = rng.standard_normal(out.shape).astype(np.float32)
    assert_bitwise(backward(g), ref_backward(g))


@pytest.mark.parametrize("native", [True, False])
def test_max_pool_values_and_routing(native, monkeypatch):
    use_native(monkeypatch, "conv", native)
    # windows [[1, 3], [3, 2]] (first maximum top-right), [[5, 0], [5, 9]] (bottom-right),
    # [[4, 4], [4, 4]] (all tied: top-left); the odd last column and row take no part
    x = np.array(
        [[1, 3, 5, 0, 4, 4, 8], [3, 2, 5, 9, 4, 4, 8], [8, 8, 8, 8, 8, 8, 8]], np.float32
    ).reshape(1, 3, 7, 1)
    xt = Tensor(x)
    with GradientTape() as tape:
        tape.watch(xt)
        y = fast_pool.max_pool_2x2(xt)
    gx = tape.gradient(
        y, xt, output_gradients=Tensor(np.array([10, 20, 30], np.float32).reshape(1, 1, 3, 1))
    ).numpy()
    np.testing.assert_array_equal(y.numpy().reshape(-1), [3, 9, 4])
    np.testing.assert_array_equal(
        gx[0, :, :, 0],
        [[0, 10, 0, 0, 30, 0, 0], [0, 0, 0, 20, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0]],
    )
    x1 = np.array([[2, 7, -1, -1, 3]], np.float32).reshape(1, 5, 1)  # 1-D, a tie
    xt = Tensor(x1)
    with GradientTape() as tape:
        tape.watch(xt)
        y = fast_pool.max_pool_2x2(xt)
    np.testing.assert_array_equal(y.numpy().reshape(-1), [7, -1])
    np.testing.assert_array_equal(tape.gradient(y, xt).numpy().reshape(-1), [0, 1, 1, 0, 0])


@needs_kernels
def test_max_pool_index_is_the_first_maximum_in_row_major_order():
    x = np.array([[1, 3, 5, 0, 4, 4, 1, 0, 1, 2], [3, 2, 5, 9, 4, 4, 5, 2, 2, 1]], np.float32)
    out = np.empty((1, 1, 5, 1), np.float32)
    index = np.empty((1, 1, 5, 1), np.uint8)
    _native.conv.max_pool_2x2(x.reshape(1, 2, 10, 1), out, index, 2)
    np.testing.assert_array_equal(index.reshape(-1), [1, 3, 0, 2, 1])
    np.testing.assert_array_equal(out.reshape(-1), [3, 9, 4, 5, 2])


@needs_kernels
def test_kernel_arguments_are_checked():
    conv = _native.conv
    x = np.zeros((1, 4, 4, 2), np.float32)
    with pytest.raises(TypeError, match="float32"):
        conv.relu_mask(np.zeros(3), np.zeros(3, np.float32), np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="same size, got 3, 4 and 3"):
        conv.relu_mask(*(np.zeros(n, np.float32) for n in (3, 4, 3)))
    with pytest.raises(TypeError, match="3 arguments"):
        conv.relu_mask(x, x)
    with pytest.raises(ValueError, match=r"out has shape \(1, 2, 3, 2\), expected \(1, 2, 2, 2\)"):
        conv.max_pool_2x2(
            x, np.zeros((1, 2, 3, 2), np.float32), np.zeros((1, 2, 2, 2), np.uint8), 2
        )
    with pytest.raises(TypeError, match="uint8"):
        conv.max_pool_2x2(
            x, np.zeros((1, 2, 2, 2), np.float32), np.zeros((1, 2, 2, 2), np.int32), 2
        )
    with pytest.raises(ValueError, match="rows must be 1 or 2, got 3"):
        conv.max_pool_2x2_backward(x, x.astype(np.uint8), x, 3)
    with pytest.raises(ValueError, match="do not fit the padded input of 4x4"):
        conv.im2col(x, np.zeros((9, 18), np.float32), 3, 3, 1, 1, 1, 1, 3, 3, False)
    with pytest.raises(ValueError, match=r"cols has shape \(9, 18\), expected \(4, 19\)"):
        conv.im2col(x, np.zeros((9, 18), np.float32), 3, 3, 1, 1, 1, 1, 2, 2, True)
    with pytest.raises(TypeError, match="same dtype"):
        conv.im2col(x, np.zeros((4, 18)), 3, 3, 1, 1, 1, 1, 2, 2, False)
    with pytest.raises(ValueError, match="positive int"):
        conv.col2im(np.zeros((1, 2, 2, 3, 3, 2), np.float32), x, 0, 1, 1, 1)
    with pytest.raises(ValueError, match="col2im: out has shape"):
        conv.col2im(np.zeros((1, 3, 3, 3, 3, 2), np.float32), x, 1, 1, 1, 1)
    with pytest.raises((BufferError, ValueError), match="contiguous"):
        conv.relu_mask(x[..., 0], x[..., 1], np.zeros((1, 4, 4), np.float32))
    ro = np.zeros(4, np.float32)
    ro.flags.writeable = False
    with pytest.raises((BufferError, ValueError)):
        conv.relu_mask(ro, ro, ro)


@needs_kernels
def test_float32_conv_and_gradients_match_float64_numpy(monkeypatch):
    """The compiled path end to end: values and all three gradients of the fused conv (and
    ops.conv, strided and padded) in float32 against the float64 NumPy path."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 9, 8, 5))
    k = rng.standard_normal((3, 3, 5, 6)) * 0.3
    b = rng.standard_normal(6) * 0.1

    def run(dtype, op):
        xs, ks, bs = (Tensor(a.astype(dtype)) for a in (x, k, b))
        with GradientTape() as tape:
            tape.watch([xs, ks, bs])
            y = op(xs, ks, bs)
        g = np.random.default_rng(5).standard_normal(y.shape).astype(dtype)
        grads = tape.gradient(y, [xs, ks, bs], output_gradients=Tensor(g))
        return [y.numpy()] + [None if t is None else t.numpy() for t in grads]

    def fused(xs, ks, bs):
        return fused_conv.conv_bias_act(xs, ks, bs, 1, "same", relu=True)

    def plain(xs, ks, bs):
        return ops.conv(xs, ks, strides=(2, 1), padding="same") + bs

    for op in (fused, plain):
        got = run(np.float32, op)
        assert got[0].dtype == np.float32
        monkeypatch.setattr(_native, "conv", None)
        want = run(np.float64, op)
        monkeypatch.undo()
        for a, w in zip(got, want):
            np.testing.assert_allclose(a, w, rtol=2e-4, atol=2e-5)


class CountingKernels:
    """Wraps the compiled module and counts calls per kernel."""

    def __init__(self, module):
        self.module, self.calls = module, collections.Counter()

    def __getattr__(self, name):
        fn = getattr(self.module, name)

        def counted(*args):
            self.calls[name] += 1
            return fn(*args)

        return counted


@needs_kernels
def test_training_is_identical_with_and_without_kernels(monkeypatch):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((96, 11, 11, 2)).astype("float32")
    y = (x[:, :5, :5, 0].mean(axis=(1, 2)) > x[:, 5:, 5:, 1].mean(axis=(1, 2))).astype("int32")

    def train():
        lamina.utils.set_random_seed(2)
        model = lamina.Sequential(
            [
                lamina.Input((11, 11, 2)),
                layers.Conv2D(6, 3, activation="relu"),  # depth 18: bias folded into the matmul
                layers.MaxPooling2D(2),  # 9x9 -> 4x4, odd trailing row and column
                layers.Conv2D(8, 3, padding="same", activation="relu"),  # needs the input gradient
                layers.MaxPooling2D(2),
                layers.Flatten(),
                layers.Dense(2, activation="softmax"),
            ]
        )
        model.compile("rmsprop", "sparse_categorical_crossentropy", metrics=["accuracy"])
        h = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        return h.history, [w.copy() for w in model.get_weights()]

    counting = CountingKernels(_native.conv)
    monkeypatch.setattr(_native, "conv", counting)
    hist, weights = train()
    assert set(counting.calls) == {
        "im2col",
        "col2im",
        "relu_mask",
        "max_pool_2x2",
        "max_pool_2x2_backward",
    }
    monkeypatch.setattr(_native, "conv", None)
    ref_hist, ref_weights = train()
    assert hist == ref_hist
    for a, b in zip(weights, ref_weights):
        assert_bitwise(a, b)
    assert hist["loss"][-1] < hist["loss"][0], hist["loss"]


def test_extension_is_built_where_a_compiler_exists():
    """A silently failed build would only make lamina slower: catch it here."""
    if os.environ.get("LAMINA_NATIVE", "1").strip().lower() in ("0", "false", "no", "off"):
        pytest.skip("LAMINA_NATIVE=0 disables the kernels")
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        pytest.skip(f"no C compiler ({cc}) on this machine")
    assert _native.conv is not None, (
        "lamina/_native/_conv.c was not compiled: reinstall with `pip install -e .` and read "
        "the compiler's error"
    )

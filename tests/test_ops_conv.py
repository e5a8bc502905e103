"""Convolutions and pooling against naive direct-loop references; gradients by finite differences."""
import numpy as np
import pytest

from lamina import ops
from tests.helpers import check_op


def _geometry(size, k, s, d, padding):
    """Output size and pad-before, TensorFlow conventions, for the naive references."""
    eff = (k - 1) * d + 1
    if padding == "same":
        out = -(-size // s)
        return out, max((out - 1) * s + eff - size, 0) // 2
    return (size - eff) // s + 1, 0


def naive_conv2d(x, k, strides, padding, dilation, depthwise=False):
    n, h, w, c = x.shape
    kh, kw = k.shape[:2]
    (ho, top), (wo, left) = (_geometry(h, kh, strides[0], dilation[0], padding),
                             _geometry(w, kw, strides[1], dilation[1], padding))
    cout = c * k.shape[3] if depthwise else k.shape[3]
    out = np.zeros((n, ho, wo, cout))
    for i in range(ho):
        for j in range(wo):
            for a in range(kh):
                for b in range(kw):
                    r, q = i * strides[0] + a * dilation[0] - top, j * strides[1] + b * dilation[1] - left
                    if 0 <= r < h and 0 <= q < w:
                        if depthwise:  # channel c*M + m = x[..., c] * k[a, b, c, m]
                            out[:, i, j] += (x[:, r, q, :, None] * k[a, b]).reshape(n, -1)
                        else:
                            out[:, i, j] += x[:, r, q] @ k[a, b]
    return out


def naive_conv(x, k, strides=1, padding="valid", dilation=1, depthwise=False):
    """1-D (N, W, C) or 2-D (N, H, W, C) reference, by explicit loops over output pixels."""
    nd = x.ndim - 2
    strides = (strides,) * nd if isinstance(strides, int) else tuple(strides)
    dilation = (dilation,) * nd if isinstance(dilation, int) else tuple(dilation)
    if nd == 1:
        return naive_conv2d(x[:, None], k[None], (1, *strides), padding, (1, *dilation), depthwise)[:, 0]
    return naive_conv2d(x, k, strides, padding, dilation, depthwise)


CONV2D = [  # (input shape, kernel shape, strides, padding, dilation)
    ((2, 5, 6, 3), (3, 3, 3, 4), 1, "valid", 1),
    ((2, 5, 6, 3), (3, 3, 3, 4), 1, "same", 1),
    ((2, 6, 6, 2), (3, 3, 2, 3), 2, "same", 1),  # even size, stride 2: pad on bottom/right
    ((2, 7, 5, 2), (2, 3, 2, 3), (2, 1), "same", 1),
    ((1, 7, 8, 2), (3, 2, 2, 2), (3, 2), "valid", 1),
    ((2, 7, 7, 2), (3, 3, 2, 2), 1, "valid", 2),
    ((2, 6, 7, 2), (2, 3, 2, 2), 1, "same", (2, 1)),
    ((2, 4, 4, 3), (1, 1, 3, 5), 1, "valid", 1),
    ((2, 5, 5, 1), (5, 5, 1, 2), 1, "valid", 1),  # kernel as large as the input
    ((1, 3, 4, 2), (4, 2, 2, 1), 1, "same", 1),  # kernel taller than the input
]
CONV1D = [
    ((2, 7, 3), (3, 3, 4), 1, "valid", 1),
    ((2, 7, 3), (3, 3, 4), 2, "same", 1),
    ((2, 8, 2), (2, 2, 3), 3, "same", 1),
    ((2, 9, 2), (3, 2, 2), 1, "valid", 3),
    ((2, 6, 2), (4, 2, 2), 1, "same", 1),
]


@pytest.mark.parametrize("xs,ks,strides,padding,dilation", CONV2D + CONV1D, ids=str)
def test_conv(xs, ks, strides, padding, dilation):
    check_op(lambda x, k: ops.conv(x, k, strides, padding, dilation_rate=dilation), xs, ks,
             ref=lambda x, k: naive_conv(x, k, strides, padding, dilation))


DEPTHWISE = [
    ((2, 5, 6, 3), (3, 3, 3, 1), 1, "valid", 1),
    ((2, 5, 6, 2), (3, 2, 2, 3), 2, "same", 1),
    ((2, 7, 7, 2), (3, 3, 2, 2), 1, "same", 2),
    ((2, 8, 3), (3, 3, 2), 2, "valid", 1),
]


@pytest.mark.parametrize("xs,ks,strides,padding,dilation", DEPTHWISE, ids=str)
def test_depthwise_conv(xs, ks, strides, padding, dilation):
    check_op(lambda x, k: ops.depthwise_conv(x, k, strides, padding, dilation_rate=dilation), xs, ks,
             ref=lambda x, k: naive_conv(x, k, strides, padding, dilation, depthwise=True))


@pytest.mark.parametrize("xs,dks,pks,strides,padding", [
    ((2, 5, 6, 3), (3, 3, 3, 2), (1, 1, 6, 4), 1, "same"),
    ((2, 7, 2), (3, 2, 1), (1, 2, 3), 2, "valid"),
], ids=str)
def test_separable_conv(xs, dks, pks, strides, padding):
    check_op(lambda x, d, p: ops.separable_conv(x, d, p, strides, padding), xs, dks, pks,
             ref=lambda x, d, p: naive_conv(naive_conv(x, d, strides, padding, depthwise=True), p))


def naive_conv_transpose2d(x, k, strides, padding, output_padding, dilation):
    """Scatter every input pixel through the kernel; sizes and crop follow Keras's formulas."""
    n, h, w, _ = x.shape
    kh, kw, cout, _ = k.shape
    sizes, crops = [], []
    for size, kk, s, d, op in zip((h, w), (kh, kw), strides, dilation, output_padding):
        eff = (kk - 1) * d + 1
        if padding == "valid":
            length = (size - 1) * s + eff + (max(eff, s) - eff if op is None else op)
            left = eff - 1
        else:
            length = size * s if op is None else (size - 1) * s + eff % 2 + op
            pad_len = s + eff - 2 if op is None else eff + eff % 2 - 2 + op
            left = min(pad_len // 2 + pad_len % 2, eff - 1)
        sizes.append(length)
        crops.append(eff - 1 - left)  # JAX pads the dilated input by `left`: crop the rest
    full = np.zeros((n, (h - 1) * strides[0] + (kh - 1) * dilation[0] + 1 + sizes[0],
                     (w - 1) * strides[1] + (kw - 1) * dilation[1] + 1 + sizes[1], cout))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    full[:, i * strides[0] + a * dilation[0], j * strides[1] + b * dilation[1]] += x[:, i, j] @ k[a, b].T
    return full[:, crops[0] : crops[0] + sizes[0], crops[1] : crops[1] + sizes[1]]


CONV_T = [  # (input, kernel (kh, kw, Cout, Cin), strides, padding, output_padding, dilation)
    ((2, 3, 4, 3), (3, 3, 2, 3), 1, "valid", None, 1),
    ((2, 3, 4, 3), (3, 3, 2, 3), 2, "valid", None, 1),
    ((2, 3, 4, 3), (3, 3, 2, 3), 2, "same", None, 1),
    ((2, 3, 3, 2), (2, 2, 3, 2), 2, "same", None, 1),
    ((2, 3, 3, 2), (1, 1, 3, 2), 3, "valid", None, 1),  # stride > kernel: zero gaps
    ((2, 3, 3, 2), (3, 3, 2, 2), 2, "same", 1, 1),
    ((2, 3, 3, 2), (3, 3, 2, 2), 2, "same", 0, 1),
    ((2, 3, 3, 2), (3, 2, 2, 2), (2, 3), "valid", (1, 2), 1),
    ((2, 4, 3, 2), (3, 3, 2, 2), 1, "same", None, 2),
]


@pytest.mark.parametrize("xs,ks,strides,padding,output_padding,dilation", CONV_T, ids=str)
def test_conv_transpose(xs, ks, strides, padding, output_padding, dilation):
    st = (strides,) * 2 if isinstance(strides, int) else strides
    dl = (dilation,) * 2 if isinstance(dilation, int) else dilation
    op = (output_padding,) * 2 if output_padding is None or isinstance(output_padding, int) else output_padding
    check_op(lambda x, k: ops.conv_transpose(x, k, strides, padding, output_padding, dilation_rate=dilation), xs, ks,
             ref=lambda x, k: naive_conv_transpose2d(x, k, st, padding, op, dl))


def test_conv_transpose_1d_and_known_keras_shapes():
    check_op(lambda x, k: ops.conv_transpose(x, k, 2, "same"), (2, 4, 3), (3, 2, 3),
             ref=lambda x, k: naive_conv_transpose2d(x[:, None], k[None], (1, 2), "same", (None, None), (1, 1))[:, 0])
    x = np.zeros((1, 4, 4, 3), np.float32)
    assert ops.conv_transpose(x, np.zeros((3, 3, 8, 3), np.float32), 2, "same").shape == (1, 8, 8, 8)
    assert ops.conv_transpose(x, np.zeros((3, 3, 8, 3), np.float32), 2, "valid").shape == (1, 9, 9, 8)
    assert ops.conv_transpose(x, np.zeros((2, 2, 8, 3), np.float32), 2, "valid").shape == (1, 8, 8, 8)


@pytest.mark.parametrize("strides,padding", [(1, "valid"), (2, "valid"), (2, "same"), (1, "same"), (3, "same")])
def test_conv_transpose_is_the_adjoint_of_conv(strides, padding):
    rng = np.random.default_rng(0)
    y, k = rng.standard_normal((2, 4, 3, 5)), rng.standard_normal((3, 3, 2, 5))
    xt = ops.conv_transpose(y, k, strides, padding).numpy()
    x = rng.standard_normal(xt.shape)
    cy = ops.conv(x, k, strides, padding).numpy()
    assert cy.shape == y.shape
    np.testing.assert_allclose(np.sum(xt * x), np.sum(y * cy))


def naive_pool(x, pool, strides, padding, kind):
    nd = x.ndim - 2
    if nd == 1:
        return naive_pool(x[:, None], (1, *pool), (1, *strides), padding, kind)[:, 0]
    n, h, w, c = x.shape
    (ho, top), (wo, left) = _geometry(h, pool[0], strides[0], 1, padding), _geometry(w, pool[1], strides[1], 1, padding)
    out = np.zeros((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            r0, q0 = i * strides[0] - top, j * strides[1] - left
            win = x[:, max(r0, 0) : r0 + pool[0], max(q0, 0) : q0 + pool[1]]  # only real elements
            out[:, i, j] = win.max(axis=(1, 2)) if kind == "max" else win.mean(axis=(1, 2))
    return out


POOLS = [  # (input, pool, strides, padding)
    ((2, 6, 6, 3), (2, 2), None, "valid"),
    ((2, 7, 5, 2), (2, 2), None, "valid"),  # odd sizes: the last row/column is dropped
    ((2, 5, 7, 2), (3, 3), (2, 2), "same"),
    ((2, 5, 6, 2), (2, 3), (1, 2), "same"),
    ((2, 6, 5, 2), (3, 2), (2, 1), "valid"),
    ((2, 4, 4, 2), (2, 2), (1, 1), "same"),
    ((2, 7, 3), (2,), None, "valid"),
    ((2, 7, 3), (3,), (2,), "same"),
    ((2, 8, 2), (2,), (1,), "valid"),
]


@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("xs,pool,strides,padding", POOLS, ids=str)
def test_pooling(kind, xs, pool, strides, padding):
    fn = ops.max_pool if kind == "max" else ops.average_pool
    check_op(lambda x: fn(x, pool, strides, padding), xs,
             ref=lambda x: naive_pool(x, pool, strides or pool, padding, "max" if kind == "max" else "avg"))


def test_pool_size_as_int_and_max_pool_ties():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    np.testing.assert_array_equal(ops.max_pool(x, 2).numpy()[0, :, :, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(ops.average_pool(x, 2).numpy()[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])
    import lamina  # noqa: PLC0415

    v = lamina.Variable(np.ones((1, 2, 2, 1)))
    with lamina.GradientTape() as tape:
        y = ops.sum(ops.max_pool(v, 2))
    np.testing.assert_array_equal(tape.gradient(y, v).numpy().ravel(), [1, 0, 0, 0])  # first maximum only


def test_same_average_pool_counts_only_real_elements():
    out = ops.average_pool(np.ones((1, 3, 3, 1), np.float32), 3, 1, "same").numpy()
    np.testing.assert_allclose(out, np.ones((1, 3, 3, 1)))


@pytest.mark.parametrize("name,args", [
    ("conv", ((3, 3, 2, 4),)), ("depthwise_conv", ((3, 3, 2, 2),)), ("max_pool", ((2, 2),)), ("average_pool", ((2, 2),)),
    ("conv_transpose", ((3, 3, 4, 2),)),
])
def test_channels_first_matches_channels_last(name, args):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 6, 5, 2))
    extra = [rng.standard_normal(s) if isinstance(s, tuple) and len(s) == 4 else s for s in args]
    fn = getattr(ops, name)
    last = fn(x, *extra, padding="same").numpy()
    first = fn(np.transpose(x, (0, 3, 1, 2)), *extra, padding="same", data_format="channels_first").numpy()
    np.testing.assert_allclose(np.transpose(first, (0, 2, 3, 1)), last, rtol=1e-12)
    check_op(lambda a: fn(a, *extra, padding="same", data_format="channels_first"), (1, 2, 4, 3), float32=False)


def test_float32_stays_float32():
    x, k = np.ones((2, 8, 8, 3), np.float32), np.ones((3, 3, 3, 4), np.float32)
    assert ops.conv(x, k).dtype == np.float32
    assert ops.max_pool(x, 2).dtype == np.float32
    assert ops.average_pool(x, 2, padding="same").dtype == np.float32


def test_conv_errors_are_helpful():
    with pytest.raises(ValueError, match=r"rank 4.*\(64, 28, 28\).*reshape\(-1, 28, 28, 1\)"):
        ops.conv(np.ones((64, 28, 28)), np.ones((3, 3, 1, 8)))
    with pytest.raises(ValueError, match=r"size 5.*larger than the input height 3"):
        ops.conv(np.ones((1, 3, 8, 1)), np.ones((5, 3, 1, 2)))
    with pytest.raises(ValueError, match=r"dilated to 5.*width 4"):
        ops.conv(np.ones((1, 8, 4, 1)), np.ones((3, 3, 1, 2)), dilation_rate=2)
    with pytest.raises(ValueError, match=r"3 channels.*expects 1"):
        ops.conv(np.ones((1, 8, 8, 3)), np.ones((3, 3, 1, 2)))
    with pytest.raises(ValueError, match="did you mean 'same'"):
        ops.conv(np.ones((1, 8, 8, 1)), np.ones((3, 3, 1, 2)), padding="sane")
    with pytest.raises(ValueError, match="channels_last"):
        ops.conv(np.ones((1, 8, 8, 1)), np.ones((3, 3, 1, 2)), data_format="channel_last")
    with pytest.raises(ValueError, match=r"1-D, 2-D or 3-D.*\(2, 2, 2, 2, 1, 1\)"):
        ops.conv(np.ones((1, 4, 4, 4, 4, 1)), np.ones((2, 2, 2, 2, 1, 1)))
    with pytest.raises(ValueError, match="strides"):
        ops.conv(np.ones((1, 8, 8, 1)), np.ones((3, 3, 1, 2)), strides=(1, 2, 3))
    with pytest.raises(ValueError, match=r"max_pool.*rank 4.*reshape"):
        ops.max_pool(np.ones((2, 8, 8)), (2, 2))
    with pytest.raises(ValueError, match="larger than the input"):
        ops.average_pool(np.ones((1, 2, 2, 1)), 3)
    with pytest.raises(ValueError, match="output_padding"):
        ops.conv_transpose(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1)), 2, output_padding=-1)


def test_pad_hw_fills_only_the_borders_with_the_value():
    from lamina.ops import _window
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 5, 6, 2)).astype(np.float32)
    np.testing.assert_array_equal(_window.pad_hw(x, ((1, 2), (0, 3)), -np.inf),
                                  np.pad(x, ((0, 0), (1, 2), (0, 3), (0, 0)), constant_values=-np.inf))
    x3 = rng.standard_normal((2, 3, 4, 5, 2)).astype(np.float32)
    np.testing.assert_array_equal(_window.pad_hw(x3, ((2, 0), (1, 1), (0, 2))),
                                  np.pad(x3, ((0, 0), (2, 0), (1, 1), (0, 2), (0, 0))))
    assert _window.pad_hw(x, ((0, 0), (0, 0))) is x

"""Convolutions (`keras.ops.conv`, `depthwise_conv`, `separable_conv`, `conv_transpose`).

1-D inputs are (N, W, C) with kernels (kw, ...); 2-D inputs (N, H, W, C) with kernels
(kh, kw, ...); 3-D inputs (N, D, H, W, C) with kernels (kd, kh, kw, ...) (`conv` and
`conv_transpose`; the depthwise ops are 1-D/2-D). `data_format="channels_first"` is
supported by transposing to channels-last and back. Padding follows TensorFlow ("same":
output ceil(in / stride), extra pad at the bottom/right). A convolution is im2col (every
window copied once into a matrix row) and one BLAS matmul; the input gradient is, for a
stride of 1 and no more output than input channels, the same of the output gradient with the
flipped kernel, else a matmul and col2im (windows summed back, looping over the kernel
offsets only: `input_gradient`). For 2-D (and 1-D,
run as 2-D) im2col and col2im are compiled kernels when `lamina._native.conv` is built
(`lamina.ops._conv_kernels`); 3-D uses their NumPy twins. A float32 stride-1 2-D convolution
with a multiple of 16 output channels runs the direct AVX-512/AVX2 kernels instead, when the
CPU has them (`lamina.ops._direct_conv`: no im2col matrix, ~1.7x the product's speed).
"""
import math

import numpy as np

from lamina.engine import threads
from lamina.ops import _conv_kernels as K
from lamina.ops import _direct_conv as D
from lamina.ops import _window as W
from lamina.ops._base import fdata, record
from lamina.ops.shapes import transpose


def _spatial_rank(op, kernel_shape, layout):
    """Number of spatial axes (1, 2 or 3) implied by a kernel of shape (*spatial, a, b)."""
    rank = len(kernel_shape)
    if rank not in (3, 4, 5):
        raise ValueError(
            f"{op}: the kernel must have shape {layout} for 1-D, 2-D or 3-D inputs (rank 3, 4 "
            f"or 5), got shape {tuple(kernel_shape)}"
        )
    return rank - 2


def _first_to_last(fn, inputs, n, *args, **kwargs):
    """Run channels-last `fn` on channels-first `inputs` (transposes are differentiable)."""
    W.check_rank(fn.__name__, W.data_shape(inputs), n)
    to_last = (0, *range(2, n + 2), 1)
    to_first = (0, n + 1, *range(1, n + 1))
    out = fn(transpose(inputs, to_last), *args, data_format="channels_last", **kwargs)
    return transpose(out, to_first)


def _check_channels(op, x_shape, k_shape, axis, role="input"):
    if x_shape[-1] != k_shape[axis]:
        raise ValueError(
            f"{op}: the inputs have {x_shape[-1]} channels (shape {tuple(x_shape)}) but the kernel "
            f"expects {k_shape[axis]} {role} channels (kernel shape {tuple(k_shape)}, axis {axis})"
        )


def _prepare(op, inputs, kernel, strides, padding, dilation_rate, layout, channel_axis):
    """Validate arguments; return (x, k, n, strides, dilation, padding), 1-D lifted to 2-D.

    A 1-D op becomes a 2-D one with a height of 1 (window, stride and dilation 1 on it);
    2-D and 3-D ops keep their rank.
    """
    x, k = fdata(inputs), fdata(kernel)
    n = _spatial_rank(op, k.shape, layout)
    W.check_rank(op, x.shape, n)
    _check_channels(op, x.shape, k.shape, channel_axis)
    strides = W.as_tuple(strides, n, "strides", op)
    dilation = W.as_tuple(dilation_rate, n, "dilation_rate", op)
    padding = W.check_padding(padding, op)
    if n == 1:  # lift to 2-D: height 1
        x, k = x[:, None], k[None]
        strides, dilation = (1, *strides), (1, *dilation)
    return x, k, n, strides, dilation, padding


def _lower(g, n):
    return g[:, 0] if n == 1 else g


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-D convolution (cross-correlation, as Keras): inputs (N, *spatial, Cin), kernel
    (*kernel_spatial, Cin, Cout) -> (N, *out_spatial, Cout)."""
    if W.check_data_format(data_format, "conv") == "channels_first":
        n = len(W.data_shape(kernel)) - 2
        return _first_to_last(conv, inputs, n, kernel, strides, padding, dilation_rate=dilation_rate)
    x, k, n, strides, dil, padding = _prepare(
        "conv", inputs, kernel, strides, padding, dilation_rate, "(*window, in_channels, out_channels)", -2
    )
    ksize, (cin, cout) = k.shape[:-2], k.shape[-2:]
    out_sz, pads = W.geometry("conv", x.shape[1:-1], ksize, strides, dil, padding)
    nb = x.shape[0]
    rows = nb * math.prod(out_sz)
    k2 = k.reshape(-1, cout)
    direct = D.applies(np.result_type(x, k), ksize, strides, dil, cin, cout, out_sz)
    if direct:  # no im2col matrix, no padded copy
        cols, out = None, D.forward(x, k, pads)
    elif pointwise(ksize, strides):
        cols = W.pad_hw(x, pads).reshape(rows, cin)
        out = threads.matmul(cols, k2)
    else:
        cols, out = lowered_product(W.pad_hw(x, pads), ksize, strides, dil, out_sz, k2)
    out = out.reshape(nb, *out_sz, cout)

    def backward(g, need):
        g2 = g.reshape(rows, cout)
        gx = gk = None
        if need[1]:  # d out / d k: patches^T g
            if direct:
                gk = D.kernel_grad(x, g2.reshape(nb, *out_sz, cout), ksize, pads)
            else:
                gk = threads.matmul(cols.T, g2).reshape(k.shape)
            gk = gk[0] if n == 1 else gk
        if need[0]:
            gx = _lower(input_gradient(g2, k, x.shape, out_sz, pads, strides, dil), n)
        return gx, gk

    return record(_lower(out, n), (inputs, kernel), backward)


def lowered_product(xp, ksize, strides, dilation, out_sz, w2, ones=False, keep_cols=True):
    """(cols, cols @ w2): the im2col matrix of padded `xp` (None unless `keep_cols`) and its
    product with w2 (window * C [+ 1], Cout).

    Without `keep_cols` (the input gradient's convolution) a big one runs, inside
    fit/evaluate/predict, in blocks of samples on two threads (`threads.sample_blocks`,
    `map_pair`): each block copies its windows into a buffer of its own and multiplies them
    while they are in cache, and the copying, single-threaded otherwise, is shared. Blocks
    start on the GEMM's row alignment, so the values are the whole one-thread product's.
    MNIST BN convnet, 20 steps, medians of 18 runs interleaved on a 2-vCPU AVX-512 Xeon:
    2.26 s whole, 2.07 s in blocks; writing the kept forward matrix in blocks too: 2.29 s.
    """
    nb, per = xp.shape[0], math.prod(out_sz)
    depth, cout = w2.shape
    blocks = None if keep_cols else threads.sample_blocks(
        nb, per, nb * per * depth * cout, np.result_type(xp, w2), (depth + cout) * xp.dtype.itemsize)
    if blocks is None:
        cols = K.im2col(xp, ksize, strides, dilation, out_sz, ones=ones)
        return (cols if keep_cols else None), threads.matmul(cols, w2)
    xp = np.ascontiguousarray(xp)
    z = np.empty((nb * per, cout), np.result_type(xp, w2))

    def block(span):
        cols = K.im2col(xp[span[0]:span[1]], ksize, strides, dilation, out_sz, ones=ones)
        np.matmul(cols, w2, out=z[span[0] * per:span[1] * per])

    threads.map_pair(block, blocks)
    return None, z


def input_gradient(g2, k, x_shape, out_sz, pads, strides, dilation):
    """d conv / d x for the output gradient g2 (rows, Cout), channels-last, x unpadded.

    Two equal ways (the same products, summed in another order): with a stride of 1 and no
    more output channels than input ones, x's gradient is itself a convolution, of g
    (padded by each window span minus the forward's padding) with the kernel flipped
    spatially and its channel axes swapped: im2col and one GEMM of K = window * Cout, whose
    output has x's size (MNIST convnet, 32 -> 32 channels at 28x28: 12 ms instead of 34).
    Otherwise g k^T gives every window's gradient (rows x window*Cin, a large write when
    Cout is small), summed back onto the padded input by col2im. The direct kernels, when
    they apply, run the flipped convolution whatever the channel counts (no im2col).
    """
    ksize, (cin, cout) = k.shape[:-2], k.shape[-2:]
    if D.input_grad_applies(np.result_type(g2, k), ksize, strides, dilation, cin, cout,
                            x_shape[1:-1], pads):
        return D.input_grad(g2.reshape(x_shape[0], *out_sz, cout), k, pads)
    spans = [(size - 1) * d for size, d in zip(ksize, dilation)]
    if (cout <= cin and all(s == 1 for s in strides)
            and all(0 <= lo <= span and 0 <= hi <= span for span, (lo, hi) in zip(spans, pads))):
        nb = x_shape[0]
        gpads = tuple((span - lo, span - hi) for span, (lo, hi) in zip(spans, pads))
        gp = W.pad_hw(g2.reshape(nb, *out_sz, cout), gpads)
        flipped = np.flip(k, axis=tuple(range(len(ksize)))).swapaxes(-1, -2)
        flipped = np.ascontiguousarray(flipped).reshape(-1, cin)
        return lowered_product(gp, ksize, strides, dilation, x_shape[1:-1], flipped,
                               keep_cols=False)[1].reshape(x_shape)
    xp_shape = (x_shape[0], *(size + lo + hi for size, (lo, hi) in zip(x_shape[1:-1], pads)), cin)
    gcols = threads.matmul(g2, k.reshape(-1, cout).T).reshape(g2.shape[0] // math.prod(out_sz), *out_sz, *ksize, cin)
    return W.crop_hw(K.col2im(gcols, xp_shape, strides, dilation), pads)


def pointwise(ksize, strides):
    """A 1x1 window moved by 1: the input is already the im2col matrix (no copy)."""
    return all(v == 1 for v in (*ksize, *strides))


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Per-channel convolution: kernel (*window, Cin, M) -> output (N, *out, Cin * M),
    output channel c * M + m uses input channel c and kernel[..., c, m]."""
    if W.check_data_format(data_format, "depthwise_conv") == "channels_first":
        n = len(W.data_shape(kernel)) - 2
        return _first_to_last(depthwise_conv, inputs, n, kernel, strides, padding, dilation_rate=dilation_rate)
    x, k, n, strides, dil, padding = _prepare(
        "depthwise_conv", inputs, kernel, strides, padding, dilation_rate,
        "(*window, in_channels, depth_multiplier)", -2,
    )
    if n == 3:
        raise NotImplementedError(
            f"depthwise_conv: 3-D depthwise convolutions are not implemented (kernel shape "
            f"{k.shape}); use ops.conv on each channel group, or 1-D/2-D inputs"
        )
    kh, kw, cin, mult = k.shape
    out_hw, pads = W.geometry("depthwise_conv", x.shape[1:3], (kh, kw), strides, dil, padding)
    xp = W.pad_hw(x, pads)
    nb = x.shape[0]
    dtype = np.result_type(x, k)
    out = np.zeros((nb, out_hw[0], out_hw[1], cin, mult), dtype)
    for a in range(kh):  # loop over kernel offsets only; each step is one vectorized product
        for b in range(kw):
            out += xp[W.offset_index((a, b), strides, dil, out_hw)][..., None] * k[a, b]

    def backward(g, need):
        g5 = g.reshape(nb, out_hw[0], out_hw[1], cin, mult)
        gk = np.empty(k.shape, dtype) if need[1] else None
        gxp = np.zeros(xp.shape, dtype) if need[0] else None
        for a in range(kh):
            for b in range(kw):
                idx = W.offset_index((a, b), strides, dil, out_hw)
                if need[1]:
                    gk[a, b] = np.einsum("nhwc,nhwcm->cm", xp[idx], g5)
                if need[0]:
                    gxp[idx] += np.einsum("nhwcm,cm->nhwc", g5, k[a, b])
        gx = _lower(W.crop_hw(gxp, pads), n) if need[0] else None
        return gx, (gk[0] if n == 1 and need[1] else gk)

    return record(_lower(out.reshape(nb, out_hw[0], out_hw[1], cin * mult), n), (inputs, kernel), backward)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution mixing channels."""
    if W.check_data_format(data_format, "separable_conv") == "channels_first":
        n = len(W.data_shape(depthwise_kernel)) - 2
        return _first_to_last(separable_conv, inputs, n, depthwise_kernel, pointwise_kernel, strides,
                              padding, dilation_rate=dilation_rate)
    depthwise = depthwise_conv(inputs, depthwise_kernel, strides, padding, dilation_rate=dilation_rate)
    return conv(depthwise, pointwise_kernel, 1, "valid")


def _transpose_geometry(size, k, s, d, padding, output_padding):
    """(output length, forward-conv pad before) of a transposed convolution, as Keras."""
    eff = (k - 1) * d + 1
    if padding == "valid":
        extra = max(eff, s) - eff if output_padding is None else output_padding
        return (size - 1) * s + eff + extra, 0
    if output_padding is None:
        length, pad_len = size * s, s + eff - 2
    else:
        length, pad_len = (size - 1) * s + eff % 2 + output_padding, eff + eff % 2 - 2 + output_padding
    left = min(pad_len // 2 + pad_len % 2, eff - 1)  # padding of the stride-dilated input
    return length, eff - 1 - left


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """Transposed convolution (the input-gradient of `conv`): inputs (N, *spatial, Cin), kernel
    (*window, Cout, Cin) -> (N, *out, Cout); output sizes follow Keras's conventions."""
    if W.check_data_format(data_format, "conv_transpose") == "channels_first":
        n = len(W.data_shape(kernel)) - 2
        return _first_to_last(conv_transpose, inputs, n, kernel, strides, padding,
                              output_padding=output_padding, dilation_rate=dilation_rate)
    x, k, n, strides, dil, padding = _prepare(
        "conv_transpose", inputs, kernel, strides, padding, dilation_rate,
        "(*window, out_channels, in_channels)", -1,
    )
    *ksize, cout, cin = k.shape
    if output_padding is not None:
        output_padding = tuple(int(v) for v in np.broadcast_to(output_padding, (n,)))
        if any(v < 0 for v in output_padding):
            raise ValueError(f"conv_transpose: output_padding must be >= 0, got {output_padding}")
        output_padding = ((0,) if n == 1 else ()) + output_padding
    nb, in_sz = x.shape[0], x.shape[1:-1]
    geo = [
        _transpose_geometry(size, kk, s, d, padding, None if output_padding is None else output_padding[i])
        for i, (size, kk, s, d) in enumerate(zip(in_sz, ksize, strides, dil))
    ]
    # the full (uncropped) scatter target must hold every window and the requested output
    full = tuple(max(before + size, (m - 1) * s + (kk - 1) * d + 1)
                 for (size, before), m, s, kk, d in zip(geo, in_sz, strides, ksize, dil))
    crop = (slice(None), *(slice(before, before + size) for size, before in geo))
    k2 = k.reshape(-1, cin)
    cols = (x.reshape(-1, cin) @ k2.T).reshape(nb, *in_sz, *ksize, cout)
    buf = K.col2im(cols, (nb, *full, cout), strides, dil)
    out = np.ascontiguousarray(buf[crop])

    def backward(g, need):
        g = g[:, None] if n == 1 else g
        gbuf = np.zeros((nb, *full, cout), g.dtype)
        gbuf[crop] = g
        gcols = K.im2col(gbuf, ksize, strides, dil, in_sz)
        gx = _lower((gcols @ k2).reshape(x.shape), n) if need[0] else None
        gk = None
        if need[1]:
            gk = (gcols.T @ x.reshape(-1, cin)).reshape(k.shape)
            gk = gk[0] if n == 1 else gk
        return gx, gk

    return record(_lower(out, n), (inputs, kernel), backward)

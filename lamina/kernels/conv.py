"""A fused convolution for the layers' hot path: relu?(conv(x, kernel) + bias), one graph node.

Exactly `ops.conv` followed by a bias add and (optionally) a ReLU, channels-last, 1-D
(N, W, C), 2-D (N, H, W, C) or 3-D (N, D, H, W, C): im2col (every window copied once into a matrix row), one BLAS
matmul, then the bias and ReLU applied in place on the matmul's output (for a short window,
kh*kw*cin <= 32 as a first 3x3 layer on grayscale images, the bias is folded into the matmul
as a column of ones: one pass less over the output, and the bias gradient comes with the
kernel's). The backward masks the gradient once by the ReLU, and computes the kernel
gradient (cols^T g), the bias gradient (1^T g, a matrix-vector product: 4x faster than a
column sum here) and, when needed, the input gradient (`ops.convolution.input_gradient`: a
convolution of g with the flipped kernel, or g k^T summed back onto the input by col2im).
im2col, the ReLU mask and col2im are the compiled kernels of
`lamina._native.conv` when built (`lamina.ops._conv_kernels`, same results as NumPy). A
float32 stride-1 2-D convolution with a multiple of 16 output channels runs the direct
AVX-512/AVX2 kernels instead when the CPU has them (`lamina.ops._direct_conv`: no im2col).
"""

import math

import numpy as np

from lamina.engine import threads
from lamina.kernels.linear import column_sums
from lamina.ops import _conv_kernels as K
from lamina.ops import _direct_conv as D
from lamina.ops import _window as W
from lamina.ops._base import data_of, record
from lamina.ops.convolution import _lower, _prepare, input_gradient, lowered_product, pointwise


def conv_bias_act(
    inputs, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, relu=False
):
    """relu?(conv(inputs, kernel, strides, padding, dilation_rate) + bias), channels_last.

    inputs (N, *spatial, Cin), kernel (*window, Cin, Cout), bias (Cout,) or None.
    """
    x, k, n, strides, dil, padding = _prepare(
        "conv",
        inputs,
        kernel,
        strides,
        padding,
        dilation_rate,
        "(*window, in_channels, out_channels)",
        -2,
    )
    ksize, (cin, cout) = k.shape[:-2], k.shape[-2:]
    out_sz, pads = W.geometry("conv", x.shape[1:-1], ksize, strides, dil, padding)
    nb = x.shape[0]
    rows = nb * math.prod(out_sz)
    depth = math.prod(ksize) * cin
    k2 = k.reshape(depth, cout)
    one_by_one = pointwise(ksize, strides)
    direct = D.applies(np.result_type(x, k), ksize, strides, dil, cin, cout, out_sz)
    # a short window (e.g. 3x3 on one channel): the bias rides in the matmul as a column
    # of ones, which saves a pass over the output and gives the bias gradient for free
    fold = bias is not None and depth <= _FOLD_DEPTH and not one_by_one and not direct
    if fold:
        k2 = np.concatenate([k2, data_of(bias).reshape(1, cout).astype(k2.dtype, copy=False)])
    if direct:  # no im2col matrix, no padded copy (lamina.ops._direct_conv)
        cols, z = None, D.forward(x, k, pads).reshape(rows, cout)
    elif one_by_one:
        cols = W.pad_hw(x, pads).reshape(rows, cin)
        z = threads.matmul(cols, k2)
    else:
        cols, z = lowered_product(W.pad_hw(x, pads), ksize, strides, dil, out_sz, k2, ones=fold)
    if bias is not None and not fold:
        z += data_of(bias)
    if relu:
        np.maximum(z, 0, out=z)
    out = z.reshape(nb, *out_sz, cout)

    def backward(g, need):
        g2 = g.reshape(rows, cout)
        if relu:  # d relu = 1 where the output is positive
            g2 = K.relu_mask(g2, z)
        gx = gk = gb = None
        if fold and (need[1] or need[2]):
            both = threads.matmul(cols.T, g2)  # (depth + 1, cout): kernel rows, then the bias row
            gk, gb = both[:depth].reshape(k.shape), both[depth]
        elif need[1] and direct:
            gk = D.kernel_grad(x, g2.reshape(nb, *out_sz, cout), ksize, pads)
        elif need[1]:
            gk = threads.matmul(cols.T, g2).reshape(k.shape)
        if gk is not None and n == 1:
            gk = gk[0]
        if need[0]:
            gx = _lower(input_gradient(g2, k, x.shape, out_sz, pads, strides, dil), n)
        if gb is None and len(need) > 2 and need[2]:
            threads.gemm(1, rows, cout)  # a matrix-vector product: one thread
            gb = column_sums(g2)
        return gx, gk, gb

    return record(_lower(out, n), (inputs, kernel, bias), backward)


_FOLD_DEPTH = 32  # fold the bias into the matmul up to this window depth (kh*kw*cin)

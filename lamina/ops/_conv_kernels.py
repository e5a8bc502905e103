"""The memory-bound steps of a convolution, compiled or in NumPy (not public).

Each function runs the C kernel of `lamina._native.conv` when the extension is built (and
the arrays are 2-D (N, H, W, C) float32; im2col also takes float64) and otherwise its NumPy
twin, defined here next to it (which also handles 3-D (N, D, H, W, C) arrays). Both perform the same IEEE operations in the same order, so the results
are bitwise identical: the extension only changes speed (tests/test_native_conv.py).

- `im2col`: every window of a padded input as one matrix row (the NumPy strided copy is
  slow for few channels: one element at a time when there is a single channel).
- `col2im`: window-shaped gradients summed back onto the padded input, offsets in
  row-major order (NumPy: one strided add per kernel offset).
- `relu_mask`: g * (z > 0) in one pass, without the boolean temporary.
"""

import math

import numpy as np

from lamina import _native
from lamina.engine import threads
from lamina.ops import _window as W


def im2col(xp, ksize, strides, dilation, out_hw, ones=False):
    """(N*Ho*Wo, kh*kw*C [+ 1]) rows of the windows of xp (N, Hp, Wp, C), each row in
    (kh, kw, C) order; `ones` appends a column of ones (a bias folded into the matmul).
    3-D: (N*Do*Ho*Wo, kd*kh*kw*C [+ 1]) rows of the windows of xp (N, Dp, Hp, Wp, C)."""
    kernels = _native.conv
    if kernels is not None and xp.ndim == 4 and xp.dtype in (np.float32, np.float64):
        xp = np.ascontiguousarray(xp)
        nb, c = xp.shape[0], xp.shape[3]
        rows, depth = nb * out_hw[0] * out_hw[1], ksize[0] * ksize[1] * c
        cols = np.empty((rows, depth + bool(ones)), xp.dtype)
        kernels.im2col(xp, cols, *ksize, *strides, *dilation, *out_hw, bool(ones))
        return cols
    return im2col_numpy(xp, ksize, strides, dilation, out_hw, ones)


def im2col_numpy(xp, ksize, strides, dilation, out_hw, ones=False):
    nb, c = xp.shape[0], xp.shape[-1]
    rows, depth = nb * math.prod(out_hw), math.prod(ksize) * c
    windows = W.patches(xp, ksize, strides, dilation, out_hw)
    if not ones:
        return windows.reshape(rows, depth)  # a copy: the view is not contiguous
    cols = np.empty((rows, depth + 1), xp.dtype)
    np.copyto(cols[:, :depth].reshape(windows.shape), windows)
    cols[:, depth] = 1
    return cols


def col2im(cols, padded_shape, strides, dilation):
    """Sum window-shaped gradients cols (N, Ho, Wo, kh, kw, C) back onto (N, Hp, Wp, C):
    out[:, i sh + a dh, j sw + b dw] += cols[:, i, j, a, b], offsets (a, b) in row-major order
    (3-D: cols (N, Do, Ho, Wo, kd, kh, kw, C) onto (N, Dp, Hp, Wp, C), in NumPy)."""
    kernels = _native.conv
    if kernels is not None and cols.ndim == 6 and cols.dtype == np.float32:
        out = np.empty(padded_shape, np.float32)
        kernels.col2im(np.ascontiguousarray(cols), out, *strides, *dilation)
        return out
    return W.col2im(cols, padded_shape, strides, dilation)


col2im_numpy = W.col2im


def relu_mask(g, z):
    """g * (z > 0): the gradient through a ReLU whose output (or input) is z."""
    kernels = _native.conv
    if kernels is not None and g.dtype == z.dtype == np.float32 and g.shape == z.shape:
        out = np.empty(g.shape, np.float32)
        gf, zf, of = np.ascontiguousarray(g).reshape(-1), np.ascontiguousarray(z).reshape(-1), out.reshape(-1)
        threads.by_rows(lambda r: kernels.relu_mask(gf[r], zf[r], of[r]), gf.size)  # elementwise
        return out
    return relu_mask_numpy(g, z)


def relu_mask_numpy(g, z):
    return np.multiply(g, z > 0)

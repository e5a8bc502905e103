"""Max pooling with 2x2 windows and stride 2 ("valid"), the convnet hot path, channels-last.

Same values and gradients as `ops.max_pool(x, 2)` (the gradient goes to the first maximum
of each window in row-major order). With the compiled kernels (`lamina._native.conv`) and
float32 inputs, one pass computes the maxima and a uint8 index of each window's first
maximum, and one pass writes the whole input gradient from it. The NumPy twin works in two
pairwise steps whose selections are kept for the backward pass: left/right columns of every
row (strided pairs), then top/bottom rows of the result (long contiguous rows). The first
maximum of a window is in the top row iff max(top row) >= max(bottom row), and there in
the left column iff left >= right, so two boolean masks route the gradient. Both paths do
the same float operations, so their results are bitwise identical (NaN propagates as in
np.maximum). 1-D inputs (N, W, C) use the column step only. Odd trailing rows/columns are
dropped (their gradient is zero).
"""

import numpy as np

from lamina import _native
from lamina.engine.graph import STATE
from lamina.ops._base import fdata, record


def max_pool_2x2(inputs):
    """(N, H, W, C) -> (N, H // 2, W // 2, C), or (N, W, C) -> (N, W // 2, C)."""
    x = fdata(inputs)
    one_d = x.ndim == 3
    x4 = x[:, None] if one_d else x
    h, w = x4.shape[1:3]
    ho, wo = (1, w // 2) if one_d else (h // 2, w // 2)
    if wo == 0 or ho == 0:
        raise ValueError(f"max_pool_2x2: inputs of shape {x.shape} are smaller than the 2x2 window")
    rows = 1 if one_d else 2  # rows of a window
    kernels = _native.conv
    if kernels is not None and x4.dtype == np.float32:
        out, backward = _native_pool(kernels, np.ascontiguousarray(x4), rows)
    else:
        out, backward = numpy_pool(x4, rows, keep=STATE.recording)
    if one_d:
        return record(out[:, 0], (inputs,), lambda g, need: (backward(g)[:, 0],))
    return record(out, (inputs,), lambda g, need: (backward(g),))


def _native_pool(kernels, x4, rows):
    """(pooled values, backward g -> input gradient) with the compiled kernels."""
    n, h, w, c = x4.shape
    pooled = (n, h // rows, w // 2, c)
    out = np.empty(pooled, np.float32)
    index = np.empty(pooled, np.uint8)
    kernels.max_pool_2x2(x4, out, index, rows)

    def backward(g):
        g = np.ascontiguousarray(g, np.float32).reshape(pooled)
        gx = np.empty(x4.shape, np.float32)
        kernels.max_pool_2x2_backward(g, index, gx, rows)
        return gx

    return out, backward


def numpy_pool(x4, rows, keep=True):
    """The NumPy twin of `_native_pool` (any float dtype); `keep=False` skips the masks
    (no backward possible), for inference."""
    n, h, w, c = x4.shape
    ho, wo = h // rows, w // 2
    hh = ho * rows  # rows that take part
    pairs = x4[:, :hh, : 2 * wo].reshape(n, hh, wo, 2, c)
    left, right = pairs[..., 0, :], pairs[..., 1, :]
    cols = np.maximum(left, right)  # (n, hh, wo, c), contiguous
    left_wins = np.greater_equal(left, right) if keep else None
    if rows == 1:
        out, top_wins = cols, None
    else:
        pair_rows = cols.reshape(n * ho, 2, wo * c)
        top, bottom = pair_rows[:, 0], pair_rows[:, 1]
        out = np.maximum(top, bottom).reshape(n, ho, wo, c)
        top_wins = np.greater_equal(top, bottom) if keep else None

    def backward(g):
        if rows == 1:
            gcols = g.reshape(n, 1, wo, c)
        else:  # route each window's gradient to its top or bottom row
            g2 = g.reshape(n * ho, wo * c)
            gcols = np.empty((n * ho, 2, wo * c), g.dtype)
            np.multiply(g2, top_wins, out=gcols[:, 0])
            np.subtract(g2, gcols[:, 0], out=gcols[:, 1])
            gcols = gcols.reshape(n, hh, wo, c)
        exact = hh == h and 2 * wo == w
        gx = np.empty(x4.shape, g.dtype) if exact else np.zeros(x4.shape, g.dtype)
        gpairs = gx[:, :hh, : 2 * wo].reshape(n, hh, wo, 2, c)
        np.multiply(gcols, left_wins, out=gpairs[..., 0, :])
        np.subtract(gcols, gpairs[..., 0, :], out=gpairs[..., 1, :])
        return gx

    return out, backward

"""Max pooling with 2x2 windows and stride 2 ("valid"), the convnet hot path, channels-last.

Same values and gradients as `ops.max_pool(x, 2)` (the gradient goes to the first maximum
of each window in row-major order), computed in two pairwise steps whose selections are
kept for the backward pass: left/right columns of every row (strided pairs), then
top/bottom rows of the result (long contiguous rows). The first maximum of a window is in
the top row iff max(top row) >= max(bottom row), and there in the left column iff
left >= right, so two boolean masks route the gradient; nothing loops in Python.
1-D inputs (N, W, C) use the column step only. Odd trailing rows/columns are dropped.
"""

import numpy as np

from lamina.engine.graph import STATE
from lamina.ops._base import fdata, record


def max_pool_2x2(inputs):
    """(N, H, W, C) -> (N, H // 2, W // 2, C), or (N, W, C) -> (N, W // 2, C)."""
    x = fdata(inputs)
    one_d = x.ndim == 3
    x4 = x[:, None] if one_d else x
    n, h, w, c = x4.shape
    ho, wo = (1, w // 2) if one_d else (h // 2, w // 2)
    if wo == 0 or ho == 0:
        raise ValueError(f"max_pool_2x2: inputs of shape {x.shape} are smaller than the 2x2 window")
    hh = h if one_d else 2 * ho  # rows that take part
    pairs = x4[:, :hh, : 2 * wo].reshape(n, hh, wo, 2, c)
    left, right = pairs[..., 0, :], pairs[..., 1, :]
    cols = np.maximum(left, right)  # (n, hh, wo, c), contiguous
    keep = STATE.recording  # selections only when a tape may need them
    left_wins = np.greater_equal(left, right) if keep else None
    if one_d:
        out, top_wins = cols, None
    else:
        rows = cols.reshape(n * ho, 2, wo * c)
        top, bottom = rows[:, 0], rows[:, 1]
        out = np.maximum(top, bottom).reshape(n, ho, wo, c)
        top_wins = np.greater_equal(top, bottom) if keep else None

    def backward(g, need):
        if one_d:
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
        return (gx[:, 0] if one_d else gx,)

    return record(out[:, 0] if one_d else out, (inputs,), backward)

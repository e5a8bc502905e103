"""Pooling (`keras.ops.max_pool`, `average_pool`) over 1-D (N, W, C), 2-D (N, H, W, C) or
3-D (N, D, H, W, C) inputs.

Windows are visited by looping over the pool offsets (e.g. 4 for 2x2, 8 for 2x2x2), each step one
vectorized operation on a strided slice; nothing loops over pixels. Padding follows
TensorFlow: "same" pads max pooling with -inf and divides average pooling by the number
of non-padded elements in each window.
"""
import numpy as np

from lamina.ops import _window as W
from lamina.ops._base import fdata, record
from lamina.ops.shapes import transpose


def _prepare(op, inputs, pool_size, strides, padding):
    x = fdata(inputs)
    n = len(pool_size) if isinstance(pool_size, (tuple, list)) else x.ndim - 2
    if n not in (1, 2, 3):
        raise ValueError(
            f"{op}: inputs must have rank 3 (N, W, C), 4 (N, H, W, C) or 5 (N, D, H, W, C), "
            f"got shape {x.shape}"
        )
    W.check_rank(op, x.shape, n)
    pool = W.as_tuple(pool_size, n, "pool_size", op)
    strides = pool if strides is None else W.as_tuple(strides, n, "strides", op)
    padding = W.check_padding(padding, op)
    if n == 1:
        x, pool, strides = x[:, None], (1, *pool), (1, *strides)
    out_sz, pads = W.geometry(op, x.shape[1:-1], pool, strides, (1,) * len(pool), padding)
    return x, n, pool, strides, out_sz, pads


def _covers(out_sz, pool, padded):
    """Non-overlapping windows that tile the padded input exactly (every input gets one
    gradient, so the gradient buffer needs no zero fill)."""
    return all(o * p == size for o, p, size in zip(out_sz, pool, padded))


def _channels_first(fn, inputs, pool_size, strides, padding):
    n = len(W.data_shape(inputs)) - 2
    to_last, to_first = (0, *range(2, n + 2), 1), (0, n + 1, *range(1, n + 1))
    out = fn(transpose(inputs, to_last), pool_size, strides, padding, data_format="channels_last")
    return transpose(out, to_first)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Maximum over each window; the gradient goes to the first maximum of a window (as TF)."""
    if W.check_data_format(data_format, "max_pool") == "channels_first":
        return _channels_first(max_pool, inputs, pool_size, strides, padding)
    x, n, pool, strides, out_sz, pads = _prepare("max_pool", inputs, pool_size, strides, padding)
    xp = W.pad_hw(x, pads, -np.inf)
    ones = (1,) * len(pool)
    index = [W.offset_index(o, strides, ones, out_sz) for o in W.window_offsets(pool)]
    out = None
    for idx in index:
        v = xp[idx]
        out = v.copy() if out is None else np.maximum(out, v, out=out)

    tiled = strides == pool  # windows do not overlap: each input gets at most one gradient

    def backward(g, need):
        g = g[:, None] if n == 1 else g
        covers = tiled and _covers(out_sz, pool, xp.shape[1:-1])
        gxp = np.empty(xp.shape, g.dtype) if covers else np.zeros(xp.shape, g.dtype)
        taken = None  # windows whose maximum already received the gradient
        for i, idx in enumerate(index):
            hit = xp[idx] == out
            if taken is not None:
                np.greater(hit, taken, out=hit)  # hit and not taken: the first maximum wins
            if i + 1 < len(index):
                taken = hit.copy() if taken is None else np.logical_or(taken, hit, out=taken)
            if tiled:
                np.multiply(g, hit, out=gxp[idx])
            else:
                gxp[idx] += g * hit
        gx = W.crop_hw(gxp, pads)
        return (gx[:, 0] if n == 1 else gx,)

    return record(out[:, 0] if n == 1 else out, (inputs,), backward)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Mean over each window; with "same" padding, of the non-padded elements only."""
    if W.check_data_format(data_format, "average_pool") == "channels_first":
        return _channels_first(average_pool, inputs, pool_size, strides, padding)
    x, n, pool, strides, out_sz, pads = _prepare("average_pool", inputs, pool_size, strides, padding)
    xp = W.pad_hw(x, pads)
    ones = (1,) * len(pool)
    index = [W.offset_index(o, strides, ones, out_sz) for o in W.window_offsets(pool)]
    out = np.zeros((x.shape[0], *out_sz, x.shape[-1]), x.dtype)
    for idx in index:
        out += xp[idx]
    if any(p for pair in pads for p in pair):  # count the real elements of each window
        real = W.pad_hw(np.ones((1, *x.shape[1:-1], 1), x.dtype), pads)
        count = np.zeros((1, *out_sz, 1), x.dtype)
        for idx in index:
            count += real[idx]
        scale = 1 / count
    else:
        scale = np.asarray(1 / len(index), x.dtype)
    out *= scale

    tiled = strides == pool

    def backward(g, need):  # each window element receives g / count
        gs = (g[:, None] if n == 1 else g) * scale
        covers = tiled and _covers(out_sz, pool, xp.shape[1:-1])
        gxp = np.empty(xp.shape, g.dtype) if covers else np.zeros(xp.shape, g.dtype)
        for idx in index:
            if tiled:
                gxp[idx] = gs
            else:
                gxp[idx] += gs
        gx = W.crop_hw(gxp, pads)
        return (gx[:, 0] if n == 1 else gx,)

    return record(out[:, 0] if n == 1 else out, (inputs,), backward)

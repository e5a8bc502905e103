"""Sliding-window geometry shared by convolutions and pooling (not public).

Everything works on 2-D channels-last arrays (N, H, W, C); 1-D ops add a height-1 axis.
Windows are read as strided views (no Python loop over pixels) and gradients are written
back by looping over the kh*kw window offsets only ("col2im").
"""
import difflib

import numpy as np
from numpy.lib.stride_tricks import as_strided

from lamina.engine.tensor import Tensor

PADDINGS = ("valid", "same")


def as_tuple(value, n, name, op):
    """An int or a sequence of n positive ints, as a tuple of n ints."""
    if isinstance(value, (int, np.integer)):
        out = (int(value),) * n
    else:
        out = tuple(int(v) for v in value)
        if len(out) != n:
            raise ValueError(f"{op}: {name} must be an int or {n} ints for a {n}-D op, got {value!r}")
    if any(v < 1 for v in out):
        raise ValueError(f"{op}: {name} must be positive, got {value!r}")
    return out


def check_padding(padding, op):
    p = padding.lower() if isinstance(padding, str) else padding
    if p not in PADDINGS:
        close = difflib.get_close_matches(str(padding).lower(), PADDINGS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{op}: padding must be 'valid' or 'same', got {padding!r}{hint}")
    return p


def check_data_format(data_format, op):
    """'channels_last' (default) or 'channels_first' (handled by transposing)."""
    fmt = "channels_last" if data_format is None else data_format
    if fmt not in ("channels_last", "channels_first"):
        close = difflib.get_close_matches(str(fmt), ("channels_last", "channels_first"), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{op}: data_format must be 'channels_last' or 'channels_first', got {fmt!r}{hint}")
    return fmt


def check_rank(op, x_shape, n_spatial, what="inputs"):
    """Inputs of an n-D op must have rank n + 2: (batch, *spatial, channels)."""
    want = n_spatial + 2
    if len(x_shape) == want:
        return
    names = {1: "(batch, width, channels)", 2: "(batch, height, width, channels)"}[n_spatial]
    hint = ""
    if len(x_shape) == want - 1:
        spatial = ", ".join(str(s) for s in x_shape[1:])
        hint = f"; if the data has a single channel, add that axis, e.g. x.reshape(-1, {spatial}, 1)"
    raise ValueError(
        f"{op}: a {n_spatial}-D op needs {what} of rank {want} {names}, got shape {tuple(x_shape)}{hint}"
    )


def geometry(op, spatial, ksize, strides, dilation, padding):
    """Output sizes and (before, after) paddings per spatial axis (TensorFlow conventions).

    SAME: out = ceil(in / s), total pad = max((out - 1) s + (k - 1) d + 1 - in, 0), the
    extra element on the bottom/right. VALID: out = floor((in - (k - 1) d - 1) / s) + 1.
    """
    outs, pads = [], []
    axes = ("height", "width") if len(spatial) == 2 else ("width",)
    for size, k, s, d, axis in zip(spatial, ksize, strides, dilation, axes):
        eff = (k - 1) * d + 1
        if padding == "same":
            out = -(-size // s)
            total = max((out - 1) * s + eff - size, 0)
            pads.append((total // 2, total - total // 2))
        else:
            if eff > size:
                dil = f" (dilated to {eff})" if d > 1 else ""
                raise ValueError(
                    f"{op}: the window of size {k}{dil} is larger than the input {axis} {size} with "
                    "padding='valid'; use padding='same', a smaller kernel/pool, or a larger input"
                )
            out = (size - eff) // s + 1
            pads.append((0, 0))
        outs.append(out)
    return tuple(outs), tuple(pads)


def pad_hw(x, pads, value=0.0):
    """Pad the two spatial axes of (N, H, W, C) (no copy when there is no padding)."""
    (t, b), (l, r) = pads
    if not (t or b or l or r):
        return x
    out = np.full((x.shape[0], x.shape[1] + t + b, x.shape[2] + l + r, x.shape[3]), value, x.dtype)
    out[:, t : t + x.shape[1], l : l + x.shape[2]] = x
    return out


def crop_hw(x, pads):
    (t, b), (l, r) = pads
    if not (t or b or l or r):
        return x
    return x[:, t : x.shape[1] - b, l : x.shape[2] - r]


def offset_slice(a, b, strides, dilation, out_hw):
    """Index of the input elements that window offset (a, b) touches, one per output pixel."""
    (sh, sw), (dh, dw), (ho, wo) = strides, dilation, out_hw
    return (
        slice(None),
        slice(a * dh, a * dh + (ho - 1) * sh + 1, sh),
        slice(b * dw, b * dw + (wo - 1) * sw + 1, sw),
    )


def patches(xp, ksize, strides, dilation, out_hw):
    """A read-only strided view (N, Ho, Wo, kh, kw, C) of every window of padded `xp`."""
    n, _, _, c = xp.shape
    s0, s1, s2, s3 = xp.strides
    return as_strided(
        xp,
        shape=(n, out_hw[0], out_hw[1], ksize[0], ksize[1], c),
        strides=(s0, s1 * strides[0], s2 * strides[1], s1 * dilation[0], s2 * dilation[1], s3),
        writeable=False,
    )


def col2im(cols, padded_shape, strides, dilation):
    """Sum window-shaped gradients (N, Ho, Wo, kh, kw, C) back onto (N, Hp, Wp, C)."""
    out = np.zeros(padded_shape, cols.dtype)
    _, ho, wo, kh, kw, _ = cols.shape
    for a in range(kh):
        for b in range(kw):
            out[offset_slice(a, b, strides, dilation, (ho, wo))] += cols[:, :, :, a, b, :]
    return out


def data_shape(x):
    return x.data.shape if isinstance(x, Tensor) else np.shape(x)

"""Sliding-window geometry shared by convolutions and pooling (not public).

Everything works on channels-last arrays (N, *spatial, C) with 2 or 3 spatial axes
((N, H, W, C) or (N, D, H, W, C)); 1-D ops add a height-1 axis and run as 2-D. Windows are
read as strided views (no Python loop over pixels) and gradients are written back by
looping over the window offsets only (kh*kw of them in 2-D: "col2im").
"""
import difflib
import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from lamina.engine.tensor import Tensor

PADDINGS = ("valid", "same")
# names of the spatial axes and the channels-last layout of an n-D op's inputs, for messages
SPATIAL_AXES = {1: ("width",), 2: ("height", "width"), 3: ("depth", "height", "width")}
LAYOUTS = {n: f"(batch, {', '.join(axes)}, channels)" for n, axes in SPATIAL_AXES.items()}


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
    names = LAYOUTS[n_spatial]
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
    axes = SPATIAL_AXES[len(spatial)]
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
    """Pad the spatial axes of (N, *spatial, C) by `pads` ((before, after) per axis; no
    copy when there is no padding)."""
    if not any(b or a for b, a in pads):
        return x
    spatial = x.shape[1:-1]
    padded = tuple(size + b + a for size, (b, a) in zip(spatial, pads))
    out = np.empty((x.shape[0], *padded, x.shape[-1]), x.dtype)
    for axis, (size, (b, a)) in enumerate(zip(spatial, pads), start=1):  # only the borders
        lead = (slice(None),) * axis
        out[lead + (slice(0, b),)] = value
        out[lead + (slice(b + size, None),)] = value
    out[(slice(None), *(slice(b, b + size) for size, (b, _) in zip(spatial, pads)))] = x
    return out


def crop_hw(x, pads):
    """Undo `pad_hw`: a view of (N, *spatial, C) without the padding."""
    if not any(b or a for b, a in pads):
        return x
    return x[(slice(None), *(slice(b, size - a) for size, (b, a) in zip(x.shape[1:-1], pads)))]


def window_offsets(ksize):
    """Every offset of a window of size `ksize` (a tuple per axis), in row-major order."""
    return itertools.product(*(range(k) for k in ksize))


def offset_index(offset, strides, dilation, out_sizes):
    """Index of the input elements that window offset `offset` (one int per spatial axis)
    touches, one per output position: (:, offset*d : ... : s, ..., :)."""
    return (slice(None), *(
        slice(o * d, o * d + (m - 1) * s + 1, s)
        for o, s, d, m in zip(offset, strides, dilation, out_sizes)
    ))


def patches(xp, ksize, strides, dilation, out_sizes):
    """A read-only strided view (N, *out_sizes, *ksize, C) of every window of padded `xp`."""
    st = xp.strides
    spatial = st[1:-1]
    return as_strided(
        xp,
        shape=(xp.shape[0], *out_sizes, *ksize, xp.shape[-1]),
        strides=(st[0], *(a * s for a, s in zip(spatial, strides)),
                 *(a * d for a, d in zip(spatial, dilation)), st[-1]),
        writeable=False,
    )


def col2im(cols, padded_shape, strides, dilation):
    """Sum window-shaped gradients (N, *out, *ksize, C) back onto (N, *padded, C), window
    offsets in row-major order (the inverse scatter of `patches`)."""
    out = np.zeros(padded_shape, cols.dtype)
    n = len(padded_shape) - 2
    out_sizes, ksize = cols.shape[1 : n + 1], cols.shape[n + 1 : 2 * n + 1]
    lead = (slice(None),) * (n + 1)
    for offset in window_offsets(ksize):
        out[offset_index(offset, strides, dilation, out_sizes)] += cols[(*lead, *offset)]
    return out


def data_shape(x):
    return x.data.shape if isinstance(x, Tensor) else np.shape(x)

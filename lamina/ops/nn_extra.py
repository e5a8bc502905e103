"""`keras.ops.nn` extras: space_to_depth / depth_to_space, sparsemax, sparse_sigmoid, psnr,
adaptive pooling (Keras's window rule), unfold / fold (im2col), extract_sequences,
segment_min / segment_prod, saturate_cast, polar."""

import builtins

import numpy as np

from lamina.engine import dtypes
from lamina.ops import math, reduce
from lamina.ops._base import const, data_of, fdata, record
from lamina.ops.shape import concatenate, getitem, pad, reshape, take, transpose

py_slice = builtins.slice


def _channels_last(data_format):
    fmt = data_format or "channels_last"
    if fmt not in ("channels_last", "channels_first"):
        raise ValueError(
            f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}"
        )
    return fmt == "channels_last"


def space_to_depth(x, block_size, data_format="channels_last"):
    """(N, H, W, C) -> (N, H/b, W/b, b*b*C): each b x b block of pixels becomes channels."""
    b = int(block_size)
    last = _channels_last(data_format)
    if not last:
        x = transpose(x, (0, 2, 3, 1))
    n, h, w, c = fdata(x).shape if np.ndim(data_of(x)) == 4 else (None,) * 4
    if n is None or h % b or w % b:
        raise ValueError(
            f"space_to_depth: needs a rank-4 input with height and width divisible by "
            f"block_size={b}, got shape {np.shape(data_of(x))}"
        )
    out = reshape(
        transpose(reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5)),
        (n, h // b, w // b, b * b * c),
    )
    return out if last else transpose(out, (0, 3, 1, 2))


def depth_to_space(x, block_size, data_format="channels_last"):
    """(N, H, W, b*b*C) -> (N, H*b, W*b, C): the inverse of space_to_depth."""
    b = int(block_size)
    last = _channels_last(data_format)
    if not last:
        x = transpose(x, (0, 2, 3, 1))
    n, h, w, c = fdata(x).shape if np.ndim(data_of(x)) == 4 else (None,) * 4
    if n is None or c % (b * b):
        raise ValueError(
            f"depth_to_space: needs a rank-4 input whose channels divide by "
            f"block_size**2={b * b}, got shape {np.shape(data_of(x))}"
        )
    out = reshape(
        transpose(reshape(x, (n, h, w, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5)),
        (n, h * b, w * b, c // (b * b)),
    )
    return out if last else transpose(out, (0, 3, 1, 2))


def sparsemax(x, axis=-1):
    """Euclidean projection of x onto the probability simplex along `axis` (sparse softmax)."""
    a = fdata(x)
    z = np.moveaxis(a, axis, -1)
    s = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1, dtype=a.dtype)
    cums = np.cumsum(s, axis=-1)
    support = 1 + k * s > cums
    kz = np.sum(support, axis=-1, keepdims=True)
    tau = (np.take_along_axis(cums, kz - 1, axis=-1) - 1) / kz
    out = np.moveaxis(np.maximum(z - tau, 0), -1, axis)
    on = out > 0

    def backward(g, need):  # Jacobian diag(s) - s s^T / |S| with s the support indicator
        mean_g = np.sum(g * on, axis=axis, keepdims=True) / np.sum(on, axis=axis, keepdims=True)
        return (on * (g - mean_g),)

    return record(out.astype(a.dtype), (x,), backward)


def sparse_sigmoid(x):
    """0 for x <= -1, 1 for x >= 1, (x + 1) / 2 in between."""
    a = fdata(x)
    inside = (a > -1) & (a < 1)
    return record(
        np.clip(0.5 * (a + 1), 0, 1).astype(a.dtype), (x,), lambda g, need: (g * 0.5 * inside,)
    )


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio 20 log10(max_val) - 10 log10(mean((x1 - x2)^2)), in dB."""
    if np.shape(data_of(x1)) != np.shape(data_of(x2)):
        raise ValueError(
            f"psnr: x1 and x2 must have one shape, got {np.shape(data_of(x1))} and {np.shape(data_of(x2))}"
        )
    mse = reduce.mean(math.square(math.subtract(x1, x2)))
    return math.subtract(
        20 * np.log10(float(max_val)), math.multiply(10 / np.log(10), math.log(mse))
    )


def polar(abs_, angle):
    """The complex numbers abs_ * exp(i angle) (complex values: no gradient in lamina)."""
    r, t = fdata(abs_), fdata(angle)
    return const(r * (np.cos(t) + 1j * np.sin(t)))


def view_as_real(x):
    a = np.asarray(data_of(x))
    if not np.iscomplexobj(a):
        raise ValueError(f"view_as_real: x must be complex, got dtype {a.dtype}")
    return const(np.stack([a.real, a.imag], axis=-1))


def view_as_complex(x):
    a = fdata(x)
    if a.shape[-1:] != (2,):
        raise ValueError(
            f"view_as_complex: the last axis must have size 2 (real, imag), got shape {a.shape}"
        )
    return const(a[..., 0] + 1j * a[..., 1])


def saturate_cast(x, dtype):
    """Cast to `dtype`, first clipping values to the range it can hold."""
    dtype = np.dtype(dtypes.standardize(dtype))
    info = np.iinfo(dtype) if dtype.kind in "iu" else np.finfo(dtype) if dtype.kind == "f" else None
    if info is not None and np.asarray(data_of(x)).dtype.kind in "iuf":
        a = np.asarray(data_of(x))
        lo, hi = max(info.min, np.finfo(np.float64).min), info.max
        if a.dtype.kind in "iu":  # compare in the wider of the two integer types
            lo, hi = max(lo, np.iinfo(a.dtype).min), min(hi, np.iinfo(a.dtype).max)
        x = math.clip(x, np.asarray(lo).astype(a.dtype), np.asarray(hi).astype(a.dtype))
    from lamina.ops.core import cast  # noqa: PLC0415  (core imports shape ops)

    return cast(x, dtype.name)


# --- adaptive pooling (Keras's rule: windows of ceil(L/out) or ceil(L/out)+1 samples) -------


def _adaptive_windows(length, out):
    small = -(-length // out)
    starts = (np.arange(out) * length) // out
    ends = -((-np.arange(1, out + 1) * length) // out)
    sizes = np.where(ends - starts == small + 1, small + 1, small)
    return starts, sizes


def _adaptive(op, inputs, output_size, data_format, reducer):
    a = fdata(inputs)
    spatial = a.ndim - 2
    if spatial not in (1, 2, 3):
        raise ValueError(
            f"{op}: inputs must have rank 3, 4 or 5 (batch, spatial..., channels), got shape {a.shape}"
        )
    sizes = (
        (output_size,) * spatial
        if isinstance(output_size, (int, np.integer))
        else tuple(output_size)
    )
    if len(sizes) != spatial:
        raise ValueError(
            f"{op}: output_size must have {spatial} entries for rank-{a.ndim} inputs, got {output_size!r}"
        )
    first_axis = 1 if _channels_last(data_format) else 2
    out = inputs
    for i, size in enumerate(sizes):
        axis = first_axis + i
        length = a.shape[axis]
        if size <= 0 or size > length:
            raise ValueError(
                f"{op}: output_size entry {size} must be in [1, {length}] for an input of shape {a.shape}"
            )
        starts, widths = _adaptive_windows(length, int(size))
        lead = (py_slice(None),) * axis
        parts = [
            reducer(getitem(out, lead + (py_slice(s, s + w),)), axis=axis, keepdims=True)
            for s, w in zip(starts, widths)
        ]
        out = concatenate(parts, axis=axis)
    return out


def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling whose windows are chosen so that the output has `output_size`."""
    return _adaptive("adaptive_average_pool", inputs, output_size, data_format, reduce.mean)


def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling whose windows are chosen so that the output has `output_size`."""
    return _adaptive("adaptive_max_pool", inputs, output_size, data_format, reduce.max)


# --- patches -----------------------------------------------------------------------------


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` samples every `sequence_stride` along the last axis:
    (..., frames, sequence_length)."""
    n = np.shape(data_of(x))[-1]
    frames = (n - sequence_length) // sequence_stride + 1
    if frames <= 0:
        raise ValueError(
            f"extract_sequences: the last axis ({n}) is shorter than sequence_length={sequence_length}"
        )
    index = np.arange(frames)[:, None] * sequence_stride + np.arange(sequence_length)[None, :]
    return take(x, index, axis=np.ndim(data_of(x)) - 1)


def _pair(v):
    return (int(v), int(v)) if isinstance(v, (int, np.integer)) else tuple(int(i) for i in v)


def _patch_index(h, w, kernel_size, dilation, padding, stride):
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = map(_pair, (kernel_size, dilation, padding, stride))
    hp, wp = h + 2 * ph, w + 2 * pw
    oh, ow = (hp - dh * (kh - 1) - 1) // sh + 1, (wp - dw * (kw - 1) - 1) // sw + 1
    if oh <= 0 or ow <= 0:
        raise ValueError(
            f"unfold/fold: kernel_size {kernel_size} with dilation {dilation} does not fit "
            f"an image of {h}x{w} padded by {padding}"
        )
    rows = (np.arange(kh)[:, None] * dh)[:, :, None, None] + (np.arange(oh) * sh)[
        None, None, :, None
    ]
    cols = (np.arange(kw)[None, :] * dw)[:, :, None, None] + (np.arange(ow) * sw)[
        None, None, None, :
    ]
    index = (rows * wp + cols).reshape(kh * kw, oh * ow)  # flat index into the padded image
    return index, (ph, pw), (hp, wp)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """im2col of (N, C, H, W): (N, C * kh * kw, L) with the patches' pixels on axis 1."""
    a = fdata(x)
    if a.ndim != 4:
        raise ValueError(f"unfold: x must be (N, C, H, W), got shape {a.shape}")
    n, c, h, w = a.shape
    index, (ph, pw), (hp, wp) = _patch_index(h, w, kernel_size, dilation, padding, stride)
    padded = pad(x, [(0, 0), (0, 0), (ph, ph), (pw, pw)]) if ph or pw else x
    flat = reshape(padded, (n, c, hp * wp))
    return reshape(take(flat, index, axis=2), (n, c * index.shape[0], index.shape[1]))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of unfold: sums (N, C * kh * kw, L) patches into (N, C, H, W)."""
    a = fdata(x)
    h, w = _pair(output_size)
    index, (ph, pw), (hp, wp) = _patch_index(h, w, kernel_size, dilation, padding, stride)
    k, length = index.shape
    if a.ndim != 3 or a.shape[1] % k or a.shape[2] != length:
        raise ValueError(
            f"fold: x must be (N, C * {k}, {length}) for these sizes, got shape {a.shape}"
        )
    n, c = a.shape[0], a.shape[1] // k
    flat_index = index.ravel()
    cols = a.reshape(n * c, k * length)
    out = np.zeros((n * c, hp * wp), a.dtype)
    for row, values in zip(out, cols):
        row += np.bincount(flat_index, weights=values, minlength=hp * wp)
    out = out.reshape(n, c, hp, wp)[:, :, ph : hp - ph, pw : wp - pw]

    def backward(g, need):
        gp = np.pad(g, [(0, 0), (0, 0), (ph, ph), (pw, pw)]).reshape(n * c, hp * wp)
        return (gp[:, flat_index].reshape(a.shape),)

    return record(np.ascontiguousarray(out), (x,), backward)


# --- segments ------------------------------------------------------------------------------


def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """out[s] = elementwise min of the rows in segment s (empty segments: the dtype's max)."""
    if np.asarray(data_of(data)).dtype.kind == "f":
        return math.negative(
            reduce.segment_max(math.negative(data), segment_ids, num_segments, sorted)
        )
    a, ids, keep, n = reduce._segments("segment_min", data, segment_ids, num_segments)
    out = np.full((n,) + a.shape[1:], np.iinfo(a.dtype).max, a.dtype)
    np.minimum.at(out, ids[keep], a[keep])
    return const(out)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """out[s] = elementwise product of the rows in segment s (empty segments: 1)."""
    a, ids, keep, n = reduce._segments("segment_prod", data, segment_ids, num_segments)
    out = np.ones((n,) + a.shape[1:], a.dtype)
    np.multiply.at(out, ids[keep], a[keep])

    def backward(g, need):  # each row: its segment's gradient times the product of the others
        gx = np.zeros(a.shape, g.dtype)
        for s in np.unique(ids[keep]):
            rows = np.nonzero(keep & (ids == s))[0]
            block = a[rows]
            for j, r in enumerate(rows):
                gx[r] = g[s] * np.prod(np.delete(block, j, axis=0), axis=0)
        return gx, None

    return record(out, (data, segment_ids), backward)

"""Resampling kernels of the image layers, on (batch, height, width, channels) arrays.

`affine_transform` follows Keras 3's `ops.image.affine_transform` (NumPy backend): each
transform row `[a0, a1, a2, b0, b1, b2, 0, 0]` maps an output pixel (x, y) (column, row,
integer pixel centres) to the input point (a0 x + a1 y + a2, b0 x + b1 y + b2), sampled
with "nearest" (round half up) or "bilinear" interpolation; samples outside the image take
the `fill_mode` extension:
    reflect  (d c b a | a b c d | d c b a)   mirror about the edge, edge pixel repeated
    wrap     (a b c d | a b c d | a b c d)
    nearest  (a a a a | a b c d | d d d d)
    constant (k k k k | a b c d | k k k k)   k = fill_value
`resize` uses half-pixel centres without antialiasing, as `tf.image.resize` and
`jax.image.resize` do for upsampling and for downsampling with `antialias=False`.

For fixed sampling positions the output is a linear map of the input (plus a constant for
`fill_mode="constant"`), so each kernel is one sparse matrix M (output pixels x input
pixels, a few taps per row): forward `M @ x`, gradient `M.T @ g`. This NumPy/SciPy code is
used instead of `scipy.ndimage.map_coordinates` because it is vectorized over the batch
(one call per batch, not per image and channel), gives the gradient for free, and
reproduces Keras's numerics exactly (Keras pads the image by the fill mode before calling
`map_coordinates`, which is what folding the tap indices below does).
"""
import numpy as np

from lamina.engine.tensor import data_of, record

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


def _fold(index, size, fill_mode):
    """Integer indices into [0, size) per fill_mode; also the in-range mask for "constant"."""
    outside = (index < 0) | (index >= size)
    if not outside.any():
        return index, (np.ones(index.shape, dtype=bool) if fill_mode == "constant" else None)
    if fill_mode == "constant":
        return np.clip(index, 0, size - 1), ~outside
    folded = index.copy()
    i = index[outside]  # only the few samples outside the image need folding
    if fill_mode == "reflect":
        i = np.mod(i, 2 * size)
        i = np.where(i >= size, 2 * size - 1 - i, i)
    elif fill_mode == "wrap":
        i = np.mod(i, size)
    else:
        i = np.clip(i, 0, size - 1)
    folded[outside] = i
    return folded, None


def resample(images, taps, out_hw, fill_mode="nearest", fill_value=0.0):
    """out[b, i, j] = sum_k w_k[b, i, j] * images[b, iy_k[b, i, j], ix_k[b, i, j]].

    images: (B, H, W, C) Tensor or array; taps: [(iy, ix, w)] with integer source rows and
    columns (any value: folded by fill_mode) and float weights, each broadcastable to
    (B, Ho, Wo). Differentiable with respect to `images`.
    """
    x = data_of(images)
    b, h, w, c = x.shape
    ho, wo = out_hw
    k = len(taps)
    shape = (b, ho, wo)
    cols = np.empty(shape + (k,), dtype=np.int64)
    weights = np.empty(shape + (k,), dtype=x.dtype)
    outside = np.zeros(shape) if fill_mode == "constant" else None
    base = (np.arange(b, dtype=np.int64) * (h * w))[:, None, None]
    folded = {}  # taps share their row / column arrays: fold each once

    def fold(index, size):
        key = (id(index), size)
        if key not in folded:
            folded[key] = _fold(np.broadcast_to(index, shape).astype(np.int64), size, fill_mode)
        return folded[key]

    for t, (iy, ix, wt) in enumerate(taps):
        iy, vy = fold(iy, h)
        ix, vx = fold(ix, w)
        wt = np.broadcast_to(wt, shape)
        if outside is not None:
            valid = vy & vx
            outside += np.where(valid, 0.0, wt)
            wt = np.where(valid, wt, 0.0)
        cols[..., t] = base + iy * w + ix
        weights[..., t] = wt
    n_out = b * ho * wo
    # k taps per output row, in order: CSR built directly (duplicate columns add up)
    from scipy import sparse  # noqa: PLC0415  (lazy: keeps `import lamina` fast)

    m = sparse.csr_matrix((weights.ravel(), cols.ravel(), np.arange(0, n_out * k + 1, k)),
                          shape=(n_out, b * h * w))
    out = np.asarray(m @ x.reshape(b * h * w, c)).reshape(b, ho, wo, c)
    if outside is not None and fill_value != 0:
        out = out + (outside * fill_value).astype(x.dtype)[..., None]
    out = out.astype(x.dtype, copy=False)

    def backward(g, need):
        return (np.asarray(m.T @ g.reshape(n_out, c)).reshape(b, h, w, c).astype(g.dtype, copy=False),)

    return record(out, (images,), backward)


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="reflect",
                     fill_value=0.0):
    """Apply one affine transform per image (see the module docstring); (B, H, W, C)."""
    x = data_of(images)
    _, h, w, _ = x.shape
    t = np.asarray(transforms, dtype=np.float64).reshape(-1, 8)[:, :, None, None]
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                         indexing="ij")
    src_x = t[:, 0] * xs + t[:, 1] * ys + t[:, 2]
    src_y = t[:, 3] * xs + t[:, 4] * ys + t[:, 5]
    if interpolation == "nearest":
        taps = [(np.floor(src_y + 0.5), np.floor(src_x + 0.5), 1.0)]
    else:
        y0, x0 = np.floor(src_y), np.floor(src_x)
        fy, fx = src_y - y0, src_x - x0
        y1, x1 = y0 + 1, x0 + 1
        taps = [(y0, x0, (1 - fy) * (1 - fx)), (y0, x1, (1 - fy) * fx),
                (y1, x0, fy * (1 - fx)), (y1, x1, fy * fx)]
    return resample(images, taps, (h, w), fill_mode, fill_value)


def _axis_taps(n_in, n_out, interpolation):
    """[(source index, weight)] along one axis for a half-pixel-centre resize."""
    scale = n_in / n_out
    if interpolation == "nearest":
        idx = np.minimum(np.floor((np.arange(n_out) + 0.5) * scale), n_in - 1)
        return [(idx, np.ones(n_out))]
    src = np.clip((np.arange(n_out) + 0.5) * scale - 0.5, 0, n_in - 1)
    i0 = np.floor(src)
    frac = src - i0
    return [(i0, 1 - frac), (np.minimum(i0 + 1, n_in - 1), frac)]


def resize(images, size, interpolation="bilinear"):
    """Resize (B, H, W, C) to (B, size[0], size[1], C) (half-pixel centres, no antialias)."""
    _, h, w, _ = data_of(images).shape
    ho, wo = size
    if (ho, wo) == (h, w):
        return images
    taps = []
    for iy, wy in _axis_taps(h, ho, interpolation):
        for ix, wx in _axis_taps(w, wo, interpolation):
            taps.append((iy[:, None], ix[None, :], wy[:, None] * wx[None, :]))
    return resample(images, taps, (ho, wo))


def aspect_crop_box(height, width, target_height, target_width):
    """(top, left, crop height, crop width) of the largest centred window with the target's
    aspect ratio, as Keras's `crop_to_aspect_ratio` / `smart_resize` compute it."""
    crop_h = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_w = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def crop(images, top, left, height, width):
    """images[:, top:top + height, left:left + width, :] (differentiable)."""
    return images[:, top:top + height, left:left + width, :]


def smart_resize(images, size, interpolation="bilinear"):
    """Crop the largest centred window of the target aspect ratio, then resize to `size`."""
    _, h, w, _ = data_of(images).shape
    top, left, ch, cw = aspect_crop_box(h, w, size[0], size[1])
    return resize(crop(images, top, left, ch, cw), size, interpolation)

"""`Equalization` and `ContrastLimitedAdaptiveHistogramEqualization` (CLAHE), Keras 3's
numerics (float32), on images in `value_range` (mapped to 0-255 and back).

Equalization (training only, as Keras): per channel, one histogram of `bins` bins over the
whole batch (bin = int(v * (bins - 1) / 255), clipped); a channel with at most one
non-empty bin is unchanged; otherwise v -> round((cdf[b] - cdf_min) * 255 / (n - cdf_min)),
b = int(v / 255 * (bins - 1)), cdf_min the first non-zero cdf value.

CLAHE (always, training or not, as Keras): the image (padded bottom/right by symmetric
reflection to a multiple of `tile_grid_size`) is cut into tiles; each tile and channel gets
a 256-bin histogram clipped at clip_limit * tile_area / 256 with the excess spread evenly,
and its cdf mapping (cdf - cdf_min) * 255 / (tile_area - cdf_min); each pixel's value is the
bilinear blend of the four nearest tiles' mappings (tile centres at (i + 1/2) * tile size,
edge tiles repeated beyond the border).

Both are lookups: their outputs carry no gradient.
"""
import numpy as np

from lamina.engine.tensor import Tensor
from lamina.layers.preprocessing.color_transforms import _value_range
from lamina.layers.preprocessing.image_base import BaseImagePreprocessingLayer


def _to_255(x, value_range):
    low, high = value_range
    return (x - low) * np.float32(255.0 / (high - low))


def _from_255(x, value_range):
    low, high = value_range
    return x * np.float32((high - low) / 255.0) + np.float32(low)


def equalize_channel(channel, bins):
    """One channel (any shape, 0-255 float32) equalized over all its values."""
    idx = np.clip((channel * np.float32((bins - 1) / 255.0)).astype(np.int32), 0, bins - 1)
    hist = np.bincount(idx.ravel(), minlength=bins)
    if np.count_nonzero(hist) <= 1:
        return channel
    cdf = np.cumsum(hist)
    cdf_min = cdf[np.nonzero(cdf)[0][0]]
    den = cdf[-1] - cdf_min
    lut = np.clip(np.round((cdf - cdf_min).astype(np.float32) * np.float32(255.0)
                           / np.float32(den if den else 1)), 0, 255).astype(np.float32)
    look = np.clip(channel / np.float32(255.0) * np.float32(bins - 1), 0, bins - 1).astype(np.int32)
    return lut[look]


class Equalization(BaseImagePreprocessingLayer):
    """Histogram equalization of each channel (see the module docstring); `bins` histogram
    bins, `value_range` the images' (low, high). Identity when not training."""

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 2:
            raise ValueError(f"Equalization: `bins` must be an integer >= 2, got {bins!r}")
        self.bins = int(bins)
        self.value_range = _value_range(value_range, "Equalization")

    def transform(self, images, training):
        if not training:
            return images
        x = _to_255(np.asarray(images.data, np.float32), self.value_range)
        out = np.stack([equalize_channel(x[..., c], self.bins) for c in range(x.shape[-1])], -1)
        return Tensor(_from_255(out, self.value_range).astype(self.dtype))

    def get_config(self):
        return {**super().get_config(), "bins": self.bins, "value_range": self.value_range}


def clahe(images, clip_limit, grid):
    """CLAHE of a (B, H, W, C) float32 batch on the 0-255 scale."""
    b, h, w, c = images.shape
    gh, gw = grid
    th, tw = -(-h // gh), -(-w // gw)
    padded = np.pad(images, [(0, 0), (0, th * gh - h), (0, tw * gw - w), (0, 0)], mode="symmetric")
    tiles = padded.reshape(b, gh, th, gw, tw, c).transpose(0, 1, 3, 5, 2, 4).reshape(b, gh, gw, c, -1)
    levels = np.clip(tiles.astype(np.int32), 0, 255)
    hist = np.zeros((b, gh, gw, c, 256), np.float32)
    flat = levels.reshape(-1, levels.shape[-1])
    rows = np.repeat(np.arange(flat.shape[0]), flat.shape[1])
    np.add.at(hist.reshape(-1, 256), (rows, flat.ravel()), 1.0)
    area = th * tw
    if clip_limit > 0:
        limit = np.float32(clip_limit * area / 256.0)
        clipped = np.minimum(hist, limit)
        hist = clipped + (hist - clipped).sum(-1, keepdims=True) / np.float32(256.0)
    cdf = np.cumsum(hist, axis=-1, dtype=np.float32)
    cdf_min = cdf.min(-1, keepdims=True)
    den = np.float32(area) - cdf_min
    lut = np.clip((cdf - cdf_min) * np.float32(255.0) / np.where(den == 0, 1, den), 0, 255)
    lut = np.pad(lut, [(0, 0), (1, 1), (1, 1), (0, 0), (0, 0)], mode="edge")

    def axis_weights(n, tile, g):
        pos = (np.arange(n, dtype=np.float32) - np.float32(tile / 2.0)) / np.float32(tile) + 1
        lo = np.floor(pos)
        return (np.clip(lo, 0, g + 1).astype(int), np.clip(lo + 1, 0, g + 1).astype(int),
                (pos - lo).astype(np.float32))

    y0, y1, wy = axis_weights(th * gh, th, gh)
    x0, x1, wx = axis_weights(tw * gw, tw, gw)
    pix = np.clip(padded, 0, 255).astype(np.int32)
    bi = np.arange(b)[:, None, None, None]
    ci = np.arange(c)[None, None, None, :]

    def at(ys, xs):
        return lut[bi, ys[None, :, None, None], xs[None, None, :, None], ci, pix]

    wx_, wy_ = wx[None, None, :, None], wy[None, :, None, None]
    top = at(y0, x0) * (1 - wx_) + at(y0, x1) * wx_
    bottom = at(y1, x0) * (1 - wx_) + at(y1, x1) * wx_
    return (top * (1 - wy_) + bottom * wy_)[:, :h, :w, :]


class ContrastLimitedAdaptiveHistogramEqualization(BaseImagePreprocessingLayer):
    """CLAHE (see the module docstring): `clip_limit` (0 disables the clipping),
    `tile_grid_size` (rows, columns) of tiles, `value_range` the images' (low, high).
    Applied in training and inference alike, as Keras."""

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        _value_range(value_range, "ContrastLimitedAdaptiveHistogramEqualization")
        self.clip_limit = clip_limit
        grid = tuple(tile_grid_size) if isinstance(tile_grid_size, (list, tuple)) else ()
        if len(grid) != 2 or not all(isinstance(g, (int, np.integer)) and g > 0 for g in grid):
            raise ValueError("ContrastLimitedAdaptiveHistogramEqualization: `tile_grid_size` must "
                             f"be two positive integers (rows, columns), got {tile_grid_size!r}")
        self.tile_grid_size = tile_grid_size

    def transform(self, images, training):
        rng = tuple(float(v) for v in self.value_range)
        x = _to_255(np.asarray(images.data, np.float32), rng)
        out = clahe(x, float(self.clip_limit), tuple(self.tile_grid_size))
        return Tensor(_from_255(out, rng).astype(self.dtype))

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "clip_limit": self.clip_limit, "tile_grid_size": self.tile_grid_size}

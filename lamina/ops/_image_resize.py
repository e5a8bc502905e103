"""Resampling weights of `keras.ops.image.resize` and the aspect-ratio boxes (not public).

Every method is separable: out = W_h @ image @ W_w^T, one (out, in) weight matrix per axis.
Coordinates use half-pixel centres (TF2's `tf.image.resize`, `jax.image.resize`): output
pixel i samples the input at s = (i + 0.5) * in / out - 0.5.

- "bilinear": the two nearest input pixels, weights 1 - f and f (f = s - floor(s)), indices
  clamped to the image, so [a, b] -> 4 pixels gives [a, .75a + .25b, .25a + .75b, b].
- "nearest": input pixel floor((i + 0.5) * in / out).
- "area": the mean of the input pixels that output pixel i covers, [i, i + 1) * in / out,
  each weighted by its overlap.
- "bicubic" (Keys, a = -0.5), "lanczos3", "lanczos5", "gaussian" (radius 1.5, sigma 0.5),
  "mitchellcubic" (B = C = 1/3): kernel k(j + 0.5 - c) with c = (i + 0.5) * in / out over
  the input pixels j in the kernel's support inside the image, renormalised to sum to 1.
- antialias=True, when downsampling by in / out = r > 1: the kernel is stretched by r,
  k((j + 0.5 - c) / r) over a support r times wider (bilinear becomes a triangle of radius
  r), so every input pixel contributes; "nearest" and "area" ignore it, as in TF.
"""
import difflib
import functools
import math

import numpy as np

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                  "mitchellcubic")


def _triangle(x):
    return np.maximum(1.0 - np.abs(x), 0.0)


def _keys_cubic(x, a=-0.5):
    x = np.abs(x)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x <= 1, near, np.where(x < 2, far, 0.0))


def _mitchell(x, b=1 / 3, c=1 / 3):
    x = np.abs(x)
    near = ((12 - 9 * b - 6 * c) * x ** 3 + (-18 + 12 * b + 6 * c) * x ** 2 + (6 - 2 * b)) / 6
    far = ((-b - 6 * c) * x ** 3 + (6 * b + 30 * c) * x ** 2 + (-12 * b - 48 * c) * x
           + (8 * b + 24 * c)) / 6
    return np.where(x < 1, near, np.where(x < 2, far, 0.0))


def _lanczos(radius):
    def kernel(x):
        return np.where(np.abs(x) < radius, np.sinc(x) * np.sinc(x / radius), 0.0)
    return kernel


def _gaussian(x, radius=1.5, sigma=0.5):
    return np.where(np.abs(x) < radius, np.exp(-x * x / (2 * sigma * sigma)), 0.0)


_KERNELS = {  # name -> (kernel, radius)
    "bilinear": (_triangle, 1.0),
    "bicubic": (_keys_cubic, 2.0),
    "lanczos3": (_lanczos(3), 3.0),
    "lanczos5": (_lanczos(5), 5.0),
    "gaussian": (_gaussian, 1.5),
    "mitchellcubic": (_mitchell, 2.0),
}


def check_interpolation(interpolation, where, choices=INTERPOLATIONS):
    """The lower-cased method name; ValueError naming `where` and the closest valid name."""
    name = str(interpolation).lower()
    if name not in choices:
        close = difflib.get_close_matches(name, choices, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{where}: `interpolation` must be one of {choices}, got "
                         f"{interpolation!r}{hint}")
    return name


def _kernel_weights(in_size, out_size, interpolation, stretch):
    """Weights of a kernel method, the kernel stretched by `stretch` (>= 1)."""
    kernel, radius = _KERNELS[interpolation]
    radius *= stretch
    scale = in_size / out_size
    w = np.zeros((out_size, in_size))
    for i in range(out_size):
        center = (i + 0.5) * scale
        start = max(math.ceil(center - radius - 0.5), 0)
        stop = min(math.floor(center + radius - 0.5), in_size - 1)
        js = np.arange(start, stop + 1)
        k = kernel((js + 0.5 - center) / stretch)
        total = k.sum()
        w[i, js] = k / total if abs(total) > 1e-12 else k
    return w


def resize_weights(in_size, out_size, interpolation, antialias=False):
    """The (out_size, in_size) float64 matrix that resamples one axis (see the docstring)."""
    scale = in_size / out_size
    rows = np.arange(out_size)
    if antialias and scale > 1 and interpolation not in ("nearest", "area"):
        return _kernel_weights(in_size, out_size, interpolation, scale)
    w = np.zeros((out_size, in_size))
    if interpolation == "bilinear":
        s = (rows + 0.5) * scale - 0.5
        lo = np.floor(s)
        frac = s - lo
        i0 = np.clip(lo, 0, in_size - 1).astype(int)
        i1 = np.clip(lo + 1, 0, in_size - 1).astype(int)
        np.add.at(w, (rows, i0), 1 - frac)
        np.add.at(w, (rows, i1), frac)
        return w
    if interpolation == "nearest":
        w[rows, np.minimum(np.floor((rows + 0.5) * scale), in_size - 1).astype(int)] = 1.0
        return w
    if interpolation == "area":
        left, right = rows * scale, (rows + 1) * scale
        cols = np.arange(in_size)
        overlap = (np.minimum(right[:, None], cols[None, :] + 1)
                   - np.maximum(left[:, None], cols[None, :]))
        return np.maximum(overlap, 0.0) / scale
    return _kernel_weights(in_size, out_size, interpolation, 1.0)


@functools.lru_cache(maxsize=64)
def cached_weights(in_size, out_size, interpolation, antialias, dtype):
    """`resize_weights` in `dtype`, read-only (shared between calls)."""
    w = resize_weights(in_size, out_size, interpolation, antialias).astype(dtype)
    w.flags.writeable = False
    return w


def aspect_crop_box(height, width, target_height, target_width):
    """(top, left, crop height, crop width): the largest centred window with the target's
    aspect ratio, as Keras's `crop_to_aspect_ratio` and `smart_resize` compute it."""
    crop_h = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_w = max(min(width, int(float(height * target_width) / target_height)), 1)
    return int(float(height - crop_h) / 2), int(float(width - crop_w) / 2), crop_h, crop_w


def aspect_pad(height, width, target_height, target_width):
    """(rows, columns) added on EACH side by Keras's `pad_to_aspect_ratio` before resizing:
    the short side is padded evenly towards the target's aspect ratio (one of them is 0)."""
    pad_h = max(height, int(float(width * target_height) / target_width))
    pad_w = max(width, int(float(height * target_width) / target_height))
    top, left = int(float(pad_h - height) / 2), int(float(pad_w - width) / 2)
    return (top, 0) if top > 0 else (0, left)

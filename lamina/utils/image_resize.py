"""Resizing images as `tf.image.resize` does (antialias=False), in NumPy.

Every method is separable: output = W_h @ image @ W_w^T with one (out, in) weight matrix per
axis. Coordinates use half-pixel centers, as TF2 does: output pixel i samples the input at
s = (i + 0.5) * in / out - 0.5.

- "bilinear": the two nearest input pixels, weights 1 - f and f (f = s - floor(s)), indices
  clamped to the image, so e.g. [a, b] -> 4 pixels gives [a, .75a+.25b, .25a+.75b, b].
- "nearest": input pixel floor((i + 0.5) * in / out).
- "area": the mean of the input pixels that output pixel i covers, [i, i+1) * in / out,
  each weighted by its overlap.
- "bicubic" (Keys, a=-0.5), "lanczos3", "lanczos5", "gaussian" (radius 1.5, sigma 0.5),
  "mitchellcubic" (B = C = 1/3): kernel k(j + 0.5 - c) with c = (i + 0.5) * in / out over the
  input pixels j in the kernel's support inside the image, renormalised to sum to 1.
"""
import functools
import math

import numpy as np

INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                  "mitchellcubic")


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


_KERNELS = {
    "bicubic": (_keys_cubic, 2.0),
    "lanczos3": (_lanczos(3), 3.0),
    "lanczos5": (_lanczos(5), 5.0),
    "gaussian": (_gaussian, 1.5),
    "mitchellcubic": (_mitchell, 2.0),
}


def resize_weights(in_size, out_size, interpolation):
    """The (out_size, in_size) float64 matrix that resamples one axis."""
    scale = in_size / out_size
    w = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    if interpolation == "bilinear":
        s = (rows + 0.5) * scale - 0.5
        lo = np.floor(s)
        frac = s - lo
        i0 = np.clip(lo, 0, in_size - 1).astype(int)
        i1 = np.clip(lo + 1, 0, in_size - 1).astype(int)
        np.add.at(w, (rows, i0), 1 - frac)
        np.add.at(w, (rows, i1), frac)
    elif interpolation == "nearest":
        idx = np.minimum(np.floor((rows + 0.5) * scale), in_size - 1).astype(int)
        w[rows, idx] = 1.0
    elif interpolation == "area":
        left, right = rows * scale, (rows + 1) * scale
        cols = np.arange(in_size)
        overlap = np.minimum(right[:, None], cols[None, :] + 1) - np.maximum(left[:, None], cols[None, :])
        w = np.maximum(overlap, 0.0) / scale
    else:
        kernel, radius = _KERNELS[interpolation]
        for i in rows:
            center = (i + 0.5) * scale
            start = max(math.ceil(center - radius - 0.5), 0)
            stop = min(math.floor(center + radius - 0.5), in_size - 1)
            js = np.arange(start, stop + 1)
            k = kernel(js + 0.5 - center)
            total = k.sum()
            w[i, js] = k / total if abs(total) > 1e-12 else k
    return w


@functools.lru_cache(maxsize=64)
def _cached_weights(in_size, out_size, interpolation):
    w = resize_weights(in_size, out_size, interpolation).astype(np.float32)
    w.flags.writeable = False  # shared between calls
    return w


def resize(image, size, interpolation="bilinear"):
    """`image` (h, w, c) or (batch, h, w, c), any dtype, resized to `size` = (height, width).

    Returns float32, like `tf.image.resize`; values are not clipped (bicubic may overshoot).
    """
    interpolation = check_interpolation(interpolation, "resize")
    image = np.asarray(image)
    if image.ndim not in (3, 4):
        raise ValueError(f"resize expects (height, width, channels) or a batch of them, got shape {image.shape}")
    out_h, out_w = int(size[0]), int(size[1])
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"resize: the target size must be positive, got {tuple(size)}")
    h, w = image.shape[-3], image.shape[-2]
    x = image.astype(np.float32, copy=False)
    if (h, w) == (out_h, out_w):
        return x.copy() if x is image else x
    wh = _cached_weights(h, out_h, interpolation)
    ww = _cached_weights(w, out_w, interpolation)
    out = np.einsum("ih,...hwc->...iwc", wh, x, optimize=True)
    return np.einsum("jw,...iwc->...ijc", ww, out, optimize=True).astype(np.float32, copy=False)


def check_interpolation(interpolation, where):
    name = str(interpolation).lower()
    if name not in INTERPOLATIONS:
        import difflib  # noqa: PLC0415

        close = difflib.get_close_matches(name, INTERPOLATIONS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{where}: interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}{hint}")
    return name


def crop_box(height, width, target_height, target_width):
    """(top, left, crop_h, crop_w): the largest centred window with the target's aspect ratio."""
    crop_h = max(min(height, int(width * target_height / target_width)), 1)
    crop_w = max(min(width, int(height * target_width / target_height)), 1)
    return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w


def resize_image(image, size, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False):
    """One (h, w, c) image to `size`, optionally cropping or zero-padding to keep its aspect.

    Cropping takes the largest centred window with the target's aspect ratio (Keras's
    `smart_resize`); padding scales the image to fit inside and centres it on zeros
    (`tf.image.resize_with_pad`).
    """
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be True")
    th, tw = int(size[0]), int(size[1])
    h, w = image.shape[0], image.shape[1]
    if crop_to_aspect_ratio:
        top, left, ch, cw = crop_box(h, w, th, tw)
        return resize(image[top:top + ch, left:left + cw], (th, tw), interpolation)
    if pad_to_aspect_ratio:
        ratio = max(w / tw, h / th)
        rh, rw = max(math.floor(h / ratio), 1), max(math.floor(w / ratio), 1)
        inner = resize(image, (rh, rw), interpolation)
        out = np.zeros((th, tw, image.shape[2]), np.float32)
        top, left = (th - rh) // 2, (tw - rw) // 2
        out[top:top + rh, left:left + rw] = inner
        return out
    return resize(image, (th, tw), interpolation)

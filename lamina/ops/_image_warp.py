"""keras.ops.image warps: perspective_transform, elastic_transform, scale_and_translate.

- perspective_transform: the homography H that maps each `end_points` corner to its
  `start_points` corner (8 unknowns, one 8x8 solve per image); output pixel (x, y) samples
  the input at H(x, y), constant fill outside.
- elastic_transform: two noise fields N(0, 1) * sigma, each blurred by a Gaussian of size
  int(6 sigma) | 1 and `sigma` (zero padding), scaled by `alpha`: output (x, y) samples the
  input at (x + alpha dx, y + alpha dy). An int seed draws the noise as Keras's NumPy
  backend (np.random.default_rng([seed, 0])), so the outputs match it.
- scale_and_translate (jax.image's): per spatial axis a weight matrix from the kernel
  evaluated at |(j + 0.5 - t) / s - 0.5 - i| (stretched by 1/s when antialiasing a
  downscale), columns normalised; outputs whose sample point falls outside the input get 0.
All three are differentiable with respect to the images (fixed sparse / dense linear maps).
"""
import numpy as np

from lamina import random
from lamina.engine import dtypes
from lamina.engine.tensor import Tensor, data_of
from lamina.ops import _image_sampling as S
from lamina.ops import linalg, shapes
from lamina.ops._image_args import check_images
from lamina.ops._image_filters import gaussian_blur

INTERPOLATIONS = ("nearest", "bilinear")  # -> order 0, 1
SCALE_METHODS = ("linear", "bilinear", "trilinear", "cubic", "bicubic", "tricubic",
                 "lanczos3", "lanczos5")


def _choice(value, choices, op, name):
    if value not in choices:
        raise ValueError(f"{op}: `{name}` must be one of {choices}, got {value!r}")
    return value


def _warp(op, images, data_format, source, order, fill_mode, fill_value):
    """Sample each (B, H, W, C) image at `source(b, h, w)` = (src_y, src_x), each (B, H, W)."""
    x, fmt = check_images(images, op, data_format)
    dtype = x.dtype
    if dtype.kind != "f":
        images = Tensor(x.astype(dtypes.floatx()))
    batched = x.ndim == 4
    if not batched:
        images = shapes.getitem(images, (None,))
    if fmt == "channels_first":
        images = shapes.transpose(images, (0, 2, 3, 1))
    b, h, w, _ = data_of(images).shape
    src_y, src_x = source(b, h, w)
    batch = np.arange(b)[:, None, None]
    out = S.sample(images, [batch, src_y, src_x], order, fill_mode, float(fill_value))
    if fmt == "channels_first":
        out = shapes.transpose(out, (0, 3, 1, 2))
    if not batched:
        out = shapes.getitem(out, 0)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return Tensor(np.clip(np.round(out.data), info.min, info.max).astype(dtype))
    return out


def homography(start_points, end_points):
    """(B, 8) rows [a0..a7] with a corner of end_points mapped onto its start_points corner:
    x_in = (a0 x + a1 y + a2) / (a6 x + a7 y + 1), y_in = (a3 x + a4 y + a5) / (...)."""
    s = np.asarray(data_of(start_points), np.float64).reshape(-1, 4, 2)
    e = np.asarray(data_of(end_points), np.float64).reshape(-1, 4, 2)
    n = s.shape[0]
    a = np.zeros((n, 8, 8))
    ex, ey, sx, sy = e[..., 0], e[..., 1], s[..., 0], s[..., 1]
    a[:, 0::2, 0], a[:, 0::2, 1], a[:, 0::2, 2] = ex, ey, 1.0
    a[:, 0::2, 6], a[:, 0::2, 7] = -sx * ex, -sx * ey
    a[:, 1::2, 3], a[:, 1::2, 4], a[:, 1::2, 5] = ex, ey, 1.0
    a[:, 1::2, 6], a[:, 1::2, 7] = -sy * ex, -sy * ey
    target = np.stack([sx, sy], axis=-1).reshape(n, 8)
    return np.linalg.solve(a, target[..., None])[..., 0]


def _check_points(points, name):
    p = np.asarray(data_of(points))
    if p.ndim not in (2, 3) or p.shape[-2:] != (4, 2):
        raise ValueError(f"perspective_transform: `{name}` must have shape (4, 2) for one image "
                         f"or (batch, 4, 2), got {p.shape}")
    return p


def perspective_transform(images, start_points, end_points, interpolation="bilinear",
                          fill_value=0, data_format=None):
    """Warp so that the four `start_points` (x, y) corners land on `end_points`; points
    (4, 2) for all images or (batch, 4, 2). interpolation "bilinear" or "nearest"."""
    _choice(interpolation, INTERPOLATIONS, "perspective_transform", "interpolation")
    s, e = _check_points(start_points, "start_points"), _check_points(end_points, "end_points")
    if s.shape != e.shape:
        raise ValueError("perspective_transform: start_points and end_points must have the same "
                         f"shape, got {s.shape} and {e.shape}")
    t = homography(s, e)

    def source(b, h, w):
        if t.shape[0] not in (1, b):
            raise ValueError(f"perspective_transform: {t.shape[0]} sets of points for a batch "
                             f"of {b} images; pass one set per image or one for all")
        ys, xs = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                             indexing="ij")
        r = t[:, :, None, None]
        k = r[:, 6] * xs + r[:, 7] * ys + 1.0
        return (r[:, 3] * xs + r[:, 4] * ys + r[:, 5]) / k, (r[:, 0] * xs + r[:, 1] * ys + r[:, 2]) / k

    return _warp("perspective_transform", images, data_format, source,
                 INTERPOLATIONS.index(interpolation), "constant", fill_value)


def _noise_generator(seed):
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng([int(seed) & 0xFFFFFFFF, 0])  # Keras's NumPy draw_seed
    return random.generator(seed)


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Displace every pixel by a smooth random field (Simard et al. 2003): `alpha` scales the
    displacement, `sigma` its smoothness; fill_mode as `affine_transform`."""
    _choice(interpolation, INTERPOLATIONS, "elastic_transform", "interpolation")
    _choice(fill_mode, S.FILL_MODES, "elastic_transform", "fill_mode")
    x = data_of(images)
    work = x.dtype if getattr(x, "dtype", np.dtype("f4")).kind == "f" else np.dtype(dtypes.floatx())
    sigma_w, alpha_w = work.type(sigma), work.type(alpha)
    size = int(6 * sigma_w) | 1

    def source(b, h, w):
        rng = _noise_generator(seed)
        fields = []
        for _ in range(2):
            noise = rng.normal(size=(b, h, w), loc=0.0, scale=1.0).astype(work) * sigma_w
            blurred = gaussian_blur(noise[..., None], (size, size), (float(sigma_w), float(sigma_w)),
                                    data_format="channels_last")
            fields.append(blurred.data[..., 0].astype(np.float64) * float(alpha_w))
        ys, xs = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64),
                             indexing="ij")
        return ys + fields[1], xs + fields[0]

    return _warp("elastic_transform", images, data_format, source,
                 INTERPOLATIONS.index(interpolation), fill_mode, fill_value)


def _kernel(method):
    if method in ("linear", "bilinear", "trilinear"):
        return lambda x: np.maximum(0.0, 1.0 - np.abs(x))
    if method in ("cubic", "bicubic", "tricubic"):
        def keys(x):
            out = ((1.5 * x - 2.5) * x) * x + 1.0
            out = np.where(x >= 1.0, ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0, out)
            return np.where(x >= 2.0, 0.0, out)
        return keys
    radius = 3.0 if method == "lanczos3" else 5.0
    return lambda x: np.where(x > radius, 0.0, np.sinc(x) * np.sinc(x / radius))


def scale_weights(in_size, out_size, scale, translation, method, antialias):
    """(in_size, out_size) float64 weights of one axis (see the module docstring)."""
    inv = 1.0 / scale
    stretch = max(inv, 1.0) if antialias else 1.0
    sample = (np.arange(out_size) + 0.5) * inv - translation * inv - 0.5
    w = _kernel(method)(np.abs(sample[None, :] - np.arange(in_size)[:, None]) / stretch)
    total = w.sum(axis=0, keepdims=True)
    w = np.where(np.abs(total) > 1000.0 * np.finfo(np.float32).eps,
                 w / np.where(total != 0, total, 1.0), 0.0)
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return np.where(inside[None, :], w, 0.0)


def scale_and_translate(images, output_shape, scale, translation, spatial_dims, method,
                        antialias=True):
    """Resample the axes `spatial_dims` of `images` (any rank) to `output_shape` (the full
    output shape): input coordinate = (output coordinate + 0.5 - translation) / scale - 0.5,
    `scale` and `translation` one value per spatial axis. method: linear / cubic / lanczos3 /
    lanczos5 (and their "bi"/"tri" names); integer images are rounded and clipped back."""
    _choice(method, SCALE_METHODS, "scale_and_translate", "method")
    x = data_of(images)
    if not hasattr(x, "ndim"):
        x = np.asarray(x, dtypes.floatx())
        images = Tensor(x)
    dims = [int(d) % x.ndim for d in spatial_dims]
    scale = np.asarray(data_of(scale), np.float64).reshape(-1)
    translation = np.asarray(data_of(translation), np.float64).reshape(-1)
    if len(output_shape) != x.ndim or scale.size != len(dims) or translation.size != len(dims):
        raise ValueError(
            f"scale_and_translate: output_shape must have the images' rank {x.ndim} and scale / "
            f"translation one value per spatial dim {dims}; got output_shape={tuple(output_shape)}, "
            f"scale={scale.tolist()}, translation={translation.tolist()}")
    out = images if x.dtype.kind == "f" else Tensor(x.astype(dtypes.floatx()))
    work = data_of(out).dtype
    for i, d in enumerate(dims):
        w = scale_weights(x.shape[d], int(output_shape[d]), scale[i], translation[i], method,
                          antialias).astype(work)
        out = shapes.moveaxis(linalg.matmul(shapes.moveaxis(out, d, -1), w), -1, d)
    if x.dtype.kind in "iub":
        lo, hi = (x.min(), x.max()) if x.size else (0, 0)
        return Tensor(np.clip(np.round(out.data), lo, hi).astype(x.dtype))
    return out
